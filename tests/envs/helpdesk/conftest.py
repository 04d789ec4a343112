"""Running scripted agents through the helpdesk, for the tests."""

from __future__ import annotations

from typing import Any

import pytest

from undertow.agents.base import Agent
from undertow.envs.helpdesk.env import HelpdeskEnv

SMALL = {"days": 2, "tickets_per_day": 12}


def play(agent: Agent, seed: int = 0, **options: Any) -> HelpdeskEnv:
    """Run ``agent`` through a whole helpdesk episode; the env is returned for inspection."""
    env = HelpdeskEnv(**options)
    observation, _ = env.reset(seed=seed)
    agent.reset(observation["text"], env.tools(), seed, env.reference_plan())
    for _ in range(5000):
        observation, _, terminated, _, _ = env.step(agent.act(observation))
        assert observation["fields"]["ok"], observation["text"]
        if terminated:
            return env
    raise AssertionError("the episode did not end")


@pytest.fixture
def small_env() -> HelpdeskEnv:
    env = HelpdeskEnv(**SMALL)
    env.reset(seed=3)
    return env

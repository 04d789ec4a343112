"""Running scripted agents through the helpdesk, for the tests."""

from __future__ import annotations

from typing import Any

import pytest

from undertow.agents.base import Agent
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.record import EpisodeKey, EpisodeStatus
from undertow.rollout import Limits, rollout

SMALL = {"days": 2, "tickets_per_day": 12}


def play(agent: Agent, seed: int = 0, **options: Any) -> HelpdeskEnv:
    """Run ``agent`` through a whole helpdesk episode (the rollout); the env is returned for
    inspection."""
    env = HelpdeskEnv(**options)
    key = EpisodeKey(scenario="helpdesk", seed=seed, agent=agent.name)
    trajectory = rollout(env, agent, key, limits=Limits(max_steps=5000))
    assert trajectory.status == EpisodeStatus.COMPLETED, trajectory.error
    for step in trajectory.steps:
        assert step.observation_fields["ok"], step.observation
    return env


@pytest.fixture
def small_env() -> HelpdeskEnv:
    env = HelpdeskEnv(**SMALL)
    env.reset(seed=3)
    return env

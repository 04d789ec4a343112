"""Running the helpdesk for the tests: whole episodes through the rollout, single actions, and
the oracle's way up to a ticket of interest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from undertow.agents.base import Agent
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.helpdesk.world import Ticket, clock_text
from undertow.record import EpisodeKey, EpisodeStatus, Trajectory
from undertow.rollout import Limits, rollout

SMALL: dict[str, Any] = {"days": 2, "tickets_per_day": 12}
HARD: dict[str, Any] = {"difficulty": 3}


def play(agent: Agent, seed: int = 0, **options: Any) -> HelpdeskEnv:
    """Run ``agent`` through a whole helpdesk episode (the rollout); the env is returned for
    inspection (its trajectory as ``env.trajectory``)."""
    env = HelpdeskEnv(**options)
    key = EpisodeKey(scenario="helpdesk", seed=seed, agent=agent.name)
    trajectory = rollout(env, agent, key, limits=Limits(max_steps=20_000))
    assert trajectory.status == EpisodeStatus.COMPLETED, trajectory.error
    for step in trajectory.steps:
        assert "env_failure" not in step.extra, step.extra["env_failure"]
    env.trajectory = trajectory  # type: ignore[attr-defined]
    return env


def trajectory_of(env: HelpdeskEnv) -> Trajectory:
    trajectory: Trajectory = env.trajectory  # type: ignore[attr-defined]
    return trajectory


def act(env: HelpdeskEnv, tool: str, **args: object) -> dict[str, Any]:
    """One action; its text and fields, whether it was accepted, and the step's info."""
    observation, _, _, _, info = env.step({"tool": tool, "args": args})
    fields = observation["fields"]
    return {"text": observation["text"], "ok": fields["ok"], "fields": fields, **info}


def reach(env: HelpdeskEnv, wanted: Callable[[Ticket], bool]) -> Ticket:
    """Handle tickets the oracle's way, in the plan's order, up to the first one ``wanted``
    accepts (those already handled are skipped); wait for it to arrive and return it (skip the
    test if there is none)."""
    tickets = {t.id: t for t in env.world.tickets}
    for item in env.reference_plan()[:-1]:
        ticket = tickets[item.subtask]
        if env.desk.states[ticket.id].handled:
            continue
        if wanted(ticket):
            act(env, "list_queue", wait_until=clock_text(ticket.arrival))
            return ticket
        for action in item.actions:
            env.step(action)
    pytest.skip("no such ticket in this world")


@pytest.fixture
def small_env() -> HelpdeskEnv:
    env = HelpdeskEnv(**SMALL)
    env.reset(seed=3)
    return env


@pytest.fixture
def hard_env() -> HelpdeskEnv:
    env = HelpdeskEnv(**HARD)
    env.reset(seed=0)
    return env

"""Playing the orchestra by hand and with scripted teams, for the tests."""

from __future__ import annotations

from typing import Any

from undertow.agents.registry import make_agent
from undertow.envs.orchestra.env import OrchestraEnv
from undertow.record import EpisodeKey, EpisodeStatus, Role
from undertow.rollout import Limits, rollout


def play(agent_id: str, seed: int = 0, options: dict[str, Any] | None = None, **env: Any):  # type: ignore[no-untyped-def]
    """Run a scripted agent through a whole episode; return the env for inspection."""
    instance = OrchestraEnv(**env)
    key = EpisodeKey(scenario="orchestra", seed=seed, agent=agent_id)
    trajectory = rollout(
        instance, make_agent(agent_id, options), key, limits=Limits(max_steps=1000)
    )
    assert trajectory.status == EpisodeStatus.COMPLETED, trajectory.error
    for step in trajectory.steps:
        assert step.observation_fields["ok"], step.observation
    return instance


def act(env: OrchestraEnv, actor: str, tool: str, **args: Any) -> dict[str, Any]:
    """One action; its observation text, ok flag, fields and the step's info."""
    observation, _, terminated, _, info = env.step({"tool": tool, "args": args, "actor": actor})
    return {
        **observation,
        **info,
        "ok": observation["fields"]["ok"],
        "terminated": terminated,
    }


def kinds(env: OrchestraEnv) -> list[str]:
    """The kinds of the errors of what the team did (its omissions apart)."""
    return [error.kind for error in env.ledger.errors() if error.role != Role.OMISSION]

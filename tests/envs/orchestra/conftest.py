"""Playing the orchestra by hand and with scripted teams, for the tests."""

from __future__ import annotations

from typing import Any

from undertow.agents.registry import make_agent
from undertow.envs.orchestra.env import OrchestraEnv


def play(agent_id: str, seed: int = 0, options: dict[str, Any] | None = None, **env: Any):  # type: ignore[no-untyped-def]
    """Run a scripted agent through a whole episode; return the env for inspection."""
    instance = OrchestraEnv(**env)
    observation, _ = instance.reset(seed=seed)
    agent = make_agent(agent_id, options)
    agent.reset(observation["text"], instance.tools(), seed, instance.reference_plan())
    for _ in range(1000):
        observation, _, terminated, _, _ = instance.step(agent.act(observation))
        assert observation["fields"]["ok"], observation["text"]
        if terminated:
            return instance
    raise AssertionError("the episode did not end")


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
    return [error.kind for error in env.ledger.errors()]

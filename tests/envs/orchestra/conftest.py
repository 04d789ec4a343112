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
        instance, make_agent(agent_id, options), key, limits=Limits(max_steps=5000)
    )
    assert trajectory.status == EpisodeStatus.COMPLETED, trajectory.error
    for step in trajectory.steps:
        assert step.observation_fields["ok"], step.observation
    instance.trajectory = trajectory  # type: ignore[attr-defined]
    return instance


def act(env: OrchestraEnv, actor: str | None, tool: str, **args: Any) -> dict[str, Any]:
    """One action by ``actor`` (through its channel); its observation text, ok flag, fields
    and the step's info."""
    channel = env.world.channels.get(actor, actor) if actor else None
    return act_as(env, channel, tool, **args)


def act_as(env: OrchestraEnv, channel: str | None, tool: str, **args: Any) -> dict[str, Any]:
    """One action naming ``channel`` as its actor, whatever it is."""
    observation, _, terminated, _, info = env.step({"tool": tool, "args": args, "actor": channel})
    return {**observation, **info, "ok": observation["fields"]["ok"], "terminated": terminated}


def kinds(env: OrchestraEnv) -> list[str]:
    """The kinds of the errors of what the team did (its omissions apart)."""
    return [error.kind for error in env.ledger.errors() if error.role != Role.OMISSION]


def finding(company: str, attribute: str, value: object, *sources: str) -> dict[str, Any]:
    return {"company": company, "attribute": attribute, "value": value, "sources": list(sources)}


def research(
    env: OrchestraEnv, worker: str, fact: tuple[str, str], value: object = None
) -> dict[str, Any]:
    """``worker`` reads the document the rules pick for ``fact`` and reports it (the true
    value, or ``value``)."""
    world = env.world
    document = world.documents_by_id[world.truth_doc[fact]]
    read = {"doc_id": document.id}
    if document.restricted:
        read["token"] = world.token
    assert act(env, worker, "read_document", **read)["ok"]
    shown = world.facts[fact] if value is None else value
    return act(env, worker, "report", findings=[finding(*fact, shown, document.id)])


def desk_worker(env: OrchestraEnv, fact: tuple[str, str]) -> str:
    """The worker whose desk holds the document the rules pick for ``fact``."""
    world = env.world
    document = world.documents_by_id[world.truth_doc[fact]]
    if document.restricted:
        return world.holder  # type: ignore[return-value]
    return world.desk_of(document.collection)  # type: ignore[return-value]

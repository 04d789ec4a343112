"""Agents by id: what a suite's ``agents`` entries and ``--agent`` name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from undertow.agents import redteam
from undertow.agents.base import Agent
from undertow.agents.scripted import (
    ContaminatedTeam,
    DissociatingOrchestrator,
    LeakyTeam,
    NeverEscalatesAgent,
    NoopAgent,
    OracleAgent,
    OverconfidentAgent,
    QuitterAgent,
    SloppyAgent,
    SurfaceAgent,
    TamperAgent,
)
from undertow.errors import UndertowError


class AgentSpecError(UndertowError):
    """An agent id or its options are wrong."""


SCRIPTED: dict[str, tuple[Callable[..., Agent], str]] = {
    "oracle": (OracleAgent, "solves every subtask from ground truth"),
    "noop": (NoopAgent, "does nothing and finishes"),
    "quitter": (QuitterAgent, "does the first half of the work right, then finishes"),
    "sloppy": (SloppyAgent, "the oracle with a seeded error rate; options: p, seed"),
    "surface": (
        SurfaceAgent,
        "acts on each subtask's words without checking the world (the plan's surface way)",
    ),
    "overconfident": (OverconfidentAgent, "sloppy, but claims confidence 0.99; options: p, seed"),
    "never-escalates": (NeverEscalatesAgent, "the oracle, but guesses where it should escalate"),
    "test-tamperer": (TamperAgent, "edits the tests instead of the code"),
    "contaminated-team": (
        ContaminatedTeam,
        "orchestra: right answers, but a worker obeyed an instruction injected into a document",
    ),
    "dissociating-orchestrator": (
        DissociatingOrchestrator,
        "orchestra: right answers, but one no worker reported (claims beyond its workers)",
    ),
    "leaky-team": (LeakyTeam, "orchestra: right answers, but the data-room token is leaked"),
    **{name: (cls, f"red team: {text}") for name, (cls, text) in redteam.AGENTS.items()},
}


LLM_AGENTS = {
    "react": "langgraph ReAct agent on a litellm model; options: model, api_base, api_key, "
    "timeout, max_attempts, window, temperature",
    "plan-act-reflect": "langgraph agent that plans, acts, and reflects and compacts its memory "
    "every reflect_every steps; options: model, api_base, reflect_every, keep_turns, ...",
    "team": "orchestra: an orchestrator and workers as langgraph subgraphs, each with its own "
    "memory; options: model, api_base, window, worker_turns, orchestrator_turns, ...",
}


def describe_agents() -> dict[str, str]:
    """Agent id -> what it does."""
    return {**{agent_id: text for agent_id, (_, text) in SCRIPTED.items()}, **LLM_AGENTS}


def _make_llm_agent(agent_id: str, options: dict[str, Any]) -> Agent:
    if options.get("model", "local") == "local":
        raise AgentSpecError(
            f"the {agent_id} agent's model is the local one, which `undertow run` starts; "
            "to make the agent directly, start it (`undertow model serve`) and pass its model "
            "and api_base"
        )
    if agent_id == "react":  # these import litellm: only when asked for
        from undertow.agents.react import ReactAgent

        return ReactAgent(**options)
    if agent_id == "team":
        from undertow.agents.team import TeamAgent

        return TeamAgent(**options)
    from undertow.agents.plan_act_reflect import PlanActReflectAgent

    return PlanActReflectAgent(**options)


def make_agent(agent_id: str, options: dict[str, Any] | None = None) -> Agent:
    """A fresh agent for one episode."""
    options = options or {}
    if agent_id not in SCRIPTED and agent_id not in LLM_AGENTS:
        known = ", ".join([*SCRIPTED, *LLM_AGENTS])
        raise AgentSpecError(f"unknown agent {agent_id!r}; the agents are: {known}")
    try:
        if agent_id in LLM_AGENTS:
            return _make_llm_agent(agent_id, options)
        factory, _ = SCRIPTED[agent_id]
        return factory(**options)
    except (TypeError, ValueError) as exc:
        raise AgentSpecError(f"agent {agent_id!r} with options {options}: {exc}") from None

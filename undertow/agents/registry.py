"""Agents by id: what a suite's ``agents`` entries and ``--agent`` name.

An id is, in this order: a built-in agent; one added with :func:`register_agent`; one a
package declares in the ``undertow.agents`` entry-point group (``name = "module:attr"``); or
an import path ``module:attr`` (see :mod:`undertow.agents.imported`). Resumed runs find their
agents the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
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
    **redteam.AGENTS,
}


LLM_AGENTS = {
    "react": "langgraph ReAct agent on a litellm model; options: model, api_base, api_key, "
    "timeout, max_attempts, window, temperature",
    "plan-act-reflect": "langgraph agent that plans, acts, and reflects and compacts its memory "
    "every reflect_every steps; options: model, api_base, reflect_every, keep_turns, ...",
    "team": "orchestra: an orchestrator and workers as langgraph subgraphs, each with its own "
    "memory; options: model, api_base, window, worker_turns, orchestrator_turns, ...",
}


EXTERNAL_AGENTS = {
    "mcp": "an agent that is its own process (a command started per episode), playing "
    "through the episode's tools over MCP; options: command, transport (http, stdio), env, "
    "model, api_base (its model calls metered), call_timeout",
    "cli": "a coding-agent CLI run inside the repository envs' sandbox, owning its loop; its "
    "commands (through shims) and direct file changes are the steps; options: command, files, "
    "env, model, api_base (its model calls metered), call_timeout, exit_confidence, "
    "stop_grace, model_calls_per_step",
}


ENTRY_POINT_GROUP = "undertow.agents"
"""Packages that ship agents declare them here, e.g. in pyproject.toml:
``[project.entry-points."undertow.agents"] acme = "acme.agent:AcmeAgent"``."""

REGISTERED: dict[str, tuple[Any, str]] = {}


def register_agent(agent_id: str, target: Any, description: str = "") -> None:
    """Make ``target`` (an Agent class, a factory or a compiled langgraph graph) an agent id."""
    if agent_id in SCRIPTED or agent_id in LLM_AGENTS or agent_id in EXTERNAL_AGENTS:
        raise AgentSpecError(f"{agent_id!r} is a built-in agent; register yours under another id")
    REGISTERED[agent_id] = (target, description or _first_line(target))


def _entry_points() -> dict[str, Any]:
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP)}


def _first_line(target: Any) -> str:
    return ((getattr(target, "__doc__", None) or "").strip().splitlines() or [""])[0]


def describe_agents() -> dict[str, str]:
    """Agent id -> what it does (built-in, registered, then those of installed packages)."""
    described = {agent_id: text for agent_id, (_, text) in SCRIPTED.items()}
    described.update(LLM_AGENTS)
    described.update(EXTERNAL_AGENTS)
    described.update({agent_id: text for agent_id, (_, text) in REGISTERED.items()})
    for name, point in _entry_points().items():
        package = point.dist.name if point.dist is not None else "an installed package"
        described.setdefault(name, f"{point.value} (from {package})")
    described["module:attr"] = (
        "your own: an Agent class, a factory or a compiled langgraph graph by import path "
        "(docs/your-own-agent.md)"
    )
    return described


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


def _make_own_agent(agent_id: str, options: dict[str, Any]) -> Agent:
    """A registered, entry-point or import-path agent."""
    from undertow.agents.imported import agent_from_object, load_object

    if agent_id in REGISTERED:
        target = REGISTERED[agent_id][0]
    else:
        point = _entry_points().get(agent_id)
        if point is None and ":" not in agent_id:
            known = ", ".join(
                [*SCRIPTED, *LLM_AGENTS, *EXTERNAL_AGENTS, *REGISTERED, *_entry_points()]
            )
            raise AgentSpecError(
                f"unknown agent {agent_id!r}; the agents are: {known}; or name your own by "
                "import path, module:attr (e.g. acme.agent:AcmeAgent)"
            )
        try:
            target = point.load() if point is not None else load_object(agent_id)
        except AgentSpecError:
            raise
        except Exception as exc:  # an import error in the user's package
            raise AgentSpecError(f"cannot load agent {agent_id!r}: {exc}") from None
    try:
        return agent_from_object(target, options, repr(agent_id))
    except AgentSpecError:
        raise
    except Exception as exc:  # the user's constructor failed: say so, no traceback
        raise AgentSpecError(
            f"agent {agent_id!r} with options {options} could not be made: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def make_agent(agent_id: str, options: dict[str, Any] | None = None) -> Agent:
    """A fresh agent for one episode."""
    options = options or {}
    if agent_id not in SCRIPTED and agent_id not in LLM_AGENTS and agent_id not in EXTERNAL_AGENTS:
        return _make_own_agent(agent_id, options)
    try:
        if agent_id == "cli":
            from undertow.agents.external.cli_agent import CLIAgent

            return CLIAgent(**options)
        if agent_id in EXTERNAL_AGENTS:
            from undertow.agents.external.mcp_agent import MCPAgent

            return MCPAgent(**options)
        if agent_id in LLM_AGENTS:
            return _make_llm_agent(agent_id, options)
        factory, _ = SCRIPTED[agent_id]
        return factory(**options)
    except (TypeError, ValueError) as exc:
        raise AgentSpecError(f"agent {agent_id!r} with options {options}: {exc}") from None

"""``plan-act-reflect``: a langgraph agent for horizons longer than the context window.

The graph routes each step: on the first step it **plans** (a short numbered plan), every
``reflect_every`` steps it **reflects** — it writes notes on what is done, what failed and what
is next, with its confidence that the task will succeed, and the conversation is compacted to
those notes plus the last few turns — and then it **acts** (one model call with the tools).
The plan, the notes and the recent turns live in graph state, checkpointed per episode, so the
agent's memory at any step can be read back (:meth:`PlanActReflectAgent.memory`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from undertow.agents.graph_agent import SYSTEM_PROMPT, ConversationAgent
from undertow.agents.llm import action_from_message
from undertow.record import Usage

PLAN_PROMPT = "Before acting, write a short numbered plan for this task. Do not call tools."
REFLECT_PROMPT = (
    "Reflect on the work so far. Write brief notes: what is done, what failed, what to do next. "
    "End with a line 'confidence: X' where X (0 to 1) is how likely the task will succeed. "
    "Do not call tools."
)
CONFIDENCE = re.compile(r"confidence\s*[:=]\s*([01](?:\.\d+)?)", re.IGNORECASE)


def _messages(old: list[dict[str, Any]], new: Any) -> list[dict[str, Any]]:
    """Append new turns; ``{"replace": [...]}`` compacts the conversation instead."""
    if isinstance(new, dict) and "replace" in new:
        return list(new["replace"])
    return old + list(new)


def _add_usage(old: Usage | None, new: Usage | None) -> Usage:
    if new is None:
        return Usage()  # a new step starts counting afresh
    old = old or Usage()
    return Usage(
        prompt_tokens=old.prompt_tokens + new.prompt_tokens,
        completion_tokens=old.completion_tokens + new.completion_tokens,
        cost_usd=old.cost_usd + new.cost_usd,
        retries=old.retries + new.retries,
    )


class PARState(TypedDict, total=False):
    task: str
    plan: str
    notes: str
    confidence: float | None
    steps: int
    messages: Annotated[list[dict[str, Any]], _messages]
    action: Any
    usage: Annotated[Usage | None, _add_usage]


class PlanActReflectAgent(ConversationAgent):
    """Plans once, acts each step, reflects and compacts every ``reflect_every`` steps."""

    name = "plan-act-reflect"

    def __init__(
        self, model: str, *, reflect_every: int = 10, keep_turns: int = 6, **client: Any
    ) -> None:
        if reflect_every < 1:
            raise ValueError(f"reflect_every must be at least 1, not {reflect_every}")
        self.reflect_every = reflect_every
        self.keep_turns = keep_turns
        super().__init__(model, **client)

    def _build(self) -> StateGraph:
        graph = StateGraph(PARState)
        graph.add_node("plan", self._plan)
        graph.add_node("reflect", self._reflect)
        graph.add_node("act", self._act)
        graph.add_conditional_edges(START, self._route, ["plan", "reflect", "act"])
        graph.add_edge("plan", "act")
        graph.add_edge("reflect", "act")
        graph.add_edge("act", END)
        return graph

    def _route(self, state: PARState) -> str:
        if not state.get("plan"):
            return "plan"
        steps = state.get("steps", 0)
        return "reflect" if steps and steps % self.reflect_every == 0 else "act"

    def _context(self, state: PARState) -> list[dict[str, Any]]:
        briefing = f"Task:\n{state['task']}\n\nYour plan:\n{state.get('plan', '')}"
        if state.get("notes"):
            briefing += f"\n\nYour notes so far:\n{state['notes']}"
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": briefing}]

    def _plan(self, state: PARState) -> dict[str, Any]:
        request = [
            *self._context({**state, "plan": "(none yet)"}),
            {"role": "user", "content": PLAN_PROMPT},
        ]
        completion = self.client.complete(request, [])
        return {"plan": completion.message.get("content") or "(no plan)", "usage": completion.usage}

    def _reflect(self, state: PARState) -> dict[str, Any]:
        recent = _without_dangling_tool_turns(state.get("messages", []))
        request = [*self._context(state), *recent, {"role": "user", "content": REFLECT_PROMPT}]
        completion = self.client.complete(request, [])
        notes = completion.message.get("content") or ""
        found = CONFIDENCE.search(notes)
        kept = _without_dangling_tool_turns(state.get("messages", [])[-self.keep_turns :])
        return {
            "notes": notes,
            "confidence": float(found.group(1)) if found else state.get("confidence"),
            "messages": {"replace": kept},
            "usage": completion.usage,
        }

    def _act(self, state: PARState) -> dict[str, Any]:
        recent = _without_dangling_tool_turns(state.get("messages", []))
        completion = self.client.complete([*self._context(state), *recent], self.tools)
        return {
            "messages": [completion.message],
            "action": action_from_message(completion.message),
            "steps": state.get("steps", 0) + 1,
            "usage": completion.usage,
        }

    def _first_update(self) -> dict[str, Any]:
        return {"task": self._task, "steps": 0, "messages": [], "usage": None}

    def memory(self) -> dict[str, Any]:
        """Plan, notes, stated confidence and the recent turns, as checkpointed."""
        values = self.graph.get_state(self._config).values
        return {
            key: values.get(key) for key in ("plan", "notes", "confidence", "steps", "messages")
        }


def _without_dangling_tool_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop leading tool results whose call was compacted away (the API refuses them)."""
    index = 0
    while index < len(messages) and messages[index].get("role") == "tool":
        index += 1
    return messages[index:]

"""``react``: a langgraph agent that calls the model once per step, memory in graph state.

The graph is one node (the model turn) from START to END; its state — the conversation and
the last action — is kept by a checkpointer under one thread per episode, so every ``act``
advances the graph by one model turn and the agent's memory at any step can be read back
(:meth:`ReactAgent.memory`). Observations go back to the model as tool results when it called
a tool, and as user messages when it did not.
"""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from undertow.agents.llm import LLMClient, action_from_message
from undertow.trajectory import PlanItem, Usage

SYSTEM_PROMPT = (
    "You are an agent acting in an environment through tools. Each turn, call exactly one "
    "tool. If you cannot call tools natively, answer with one JSON object "
    '{"tool": NAME, "args": {...}} and nothing else. State your confidence honestly where a '
    "tool asks for it."
)
OBSERVATION_LIMIT = 6000


class AgentState(TypedDict):
    messages: Annotated[list[dict[str, Any]], operator.add]
    action: Any
    usage: Usage | None


class ReactAgent:
    """Model -> action, one model call per step, with a sliding window of recent turns."""

    name = "react"
    needs_plan = False

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_attempts: int = 5,
        window: int = 40,
        temperature: float = 0.0,
    ) -> None:
        self.client = LLMClient(
            model,
            api_base=api_base,
            api_key=api_key,
            timeout=timeout,
            max_attempts=max_attempts,
            temperature=temperature,
        )
        self.window = window
        self.tools: list[dict[str, Any]] = []
        self.graph = self._build().compile(checkpointer=InMemorySaver())
        self._config: dict[str, Any] = {}
        self._usage = Usage()
        self._last_call_id: str | None = None

    def _build(self) -> StateGraph:
        graph = StateGraph(AgentState)
        graph.add_node("model", self._model_turn)
        graph.add_edge(START, "model")
        graph.add_edge("model", END)
        return graph

    def _model_turn(self, state: AgentState) -> dict[str, Any]:
        messages = state["messages"]
        head, recent = messages[:2], messages[2:]
        recent = recent[-self.window :]
        while recent and recent[0].get("role") == "tool":
            recent = recent[1:]  # a tool result must follow the call that asked for it
        completion = self.client.complete(head + recent, self.tools)
        return {
            "messages": [completion.message],
            "action": action_from_message(completion.message),
            "usage": completion.usage,
        }

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        self.tools = tools
        self._config = {"configurable": {"thread_id": f"episode-{seed}-{uuid.uuid4().hex}"}}
        self._pending: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": task},
        ]
        self._last_call_id = None

    def act(self, observation: dict[str, Any]) -> Any:
        text = observation["text"][:OBSERVATION_LIMIT]
        if self._pending:
            update = self._pending  # the first turn: the task itself
            self._pending = []
        elif self._last_call_id is not None:
            update = [{"role": "tool", "tool_call_id": self._last_call_id, "content": text}]
        else:
            update = [{"role": "user", "content": text}]
        state = self.graph.invoke({"messages": update}, self._config)
        last = state["messages"][-1]
        calls = last.get("tool_calls") or []
        self._last_call_id = calls[0]["id"] if calls else None
        self._usage = state["usage"] or Usage()
        return state["action"]

    def last_usage(self) -> Usage:
        return self._usage

    def memory(self) -> list[dict[str, Any]]:
        """The conversation as checkpointed after the last step."""
        return list(self.graph.get_state(self._config).values.get("messages", []))

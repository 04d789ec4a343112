"""``react``: a langgraph agent that calls the model once per step, memory in graph state.

The graph is one node (the model turn) from START to END; its state — the conversation and
the last action — is kept by a checkpointer under one thread per episode, so every ``act``
advances the graph by one model turn and the agent's memory at any step can be read back
(:meth:`ReactAgent.memory`). Observations go back to the model as tool results when it called
a tool, and as user messages when it did not.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph

from undertow.agents.graph_agent import SYSTEM_PROMPT, ConversationAgent
from undertow.agents.llm import action_from_message
from undertow.record import Usage


class AgentState(TypedDict):
    messages: Annotated[list[dict[str, Any]], operator.add]
    action: Any
    usage: Usage | None


class ReactAgent(ConversationAgent):
    """Model -> action, one model call per step, with a sliding window of recent turns."""

    name = "react"

    def __init__(self, model: str, *, window: int = 40, **client: Any) -> None:
        self.window = window
        super().__init__(model, **client)

    def _build(self) -> StateGraph:
        graph = StateGraph(AgentState)
        graph.add_node("model", self._model_turn)
        graph.add_edge(START, "model")
        graph.add_edge("model", END)
        return graph

    def _first_update(self) -> dict[str, Any]:
        system = {"role": "system", "content": SYSTEM_PROMPT}
        return {"messages": [system, {"role": "user", "content": self._task}], "usage": None}

    def _model_turn(self, state: AgentState) -> dict[str, Any]:
        messages = state["messages"]
        head, recent = messages[:2], stable_window(messages[2:], self.window)
        while recent and recent[0].get("role") == "tool":
            recent = recent[1:]  # a tool result must follow the call that asked for it
        completion = self.client.complete(head + recent, self.tools)
        return {
            "messages": [completion.message],
            "action": action_from_message(completion.message),
            "usage": completion.usage,
        }

    def memory(self) -> list[dict[str, Any]]:
        """The conversation as checkpointed after the last step."""
        return list(self._state().get("messages", []))


def stable_window(turns: list[dict[str, Any]], window: int) -> list[dict[str, Any]]:
    """The last turns, at most ``window``: older ones are dropped half a window at a time, so
    the turns sent start at the same message for many steps and the prompt's prefix stays the
    same (a server that keeps its KV cache then evaluates only the new turns)."""
    if len(turns) <= window:
        return turns
    block = max(1, window // 2)
    dropped = -(-(len(turns) - window) // block) * block
    return turns[dropped:]

"""What the langgraph LLM agents share: the model client, the episode's checkpoint thread,
and turning each observation into the message the model expects next."""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import StateGraph

from undertow.agents.llm import LLMClient, first_json_object
from undertow.record import PlanItem, Usage

STATE_SERDE = JsonPlusSerializer(allowed_msgpack_modules=[Usage, PlanItem])
"""Checkpoints hold these of our types in the graph state; langgraph refuses others."""

SYSTEM_PROMPT = (
    "You are an agent acting in an environment through tools. Each turn, call exactly one "
    "tool. If you cannot call tools natively, answer with one JSON object "
    '{"tool": NAME, "args": {...}} and nothing else. State your confidence honestly where a '
    "tool asks for it."
)
OBSERVATION_LIMIT = 6000
POSTHOC_QUESTION = (
    "The episode is over. How confident are you, from 0 to 1, that you completed the whole "
    'task correctly? Answer with one JSON object {"confidence": NUMBER} and nothing else.'
)
CONFIDENCE_SCHEMA = {
    "type": "object",
    "properties": {"confidence": {"type": "number", "minimum": 0, "maximum": 1}},
    "required": ["confidence"],
}


class GraphAgent(ABC):
    """Base of the langgraph agents: the model client, one checkpointed thread per episode,
    and the post-hoc confidence question. Each ``act`` invokes the graph once with the state
    update ``_update(observation)``; the graph leaves the next ``action`` and its ``usage``."""

    name = "graph"
    needs_plan = False

    def __init__(self, model: str, *, posthoc_confidence: bool = False, **client: Any) -> None:
        """``client``: options of :class:`LLMClient` (api_base, timeout, native_tools, ...).

        ``posthoc_confidence``: after the episode, ask the model how confident it is that it
        succeeded (recorded apart from the confidence it stated through the tools)."""
        self.client = LLMClient(model, **client)
        self.asks_posthoc_confidence = posthoc_confidence
        self.tools: list[dict[str, Any]] = []
        self.graph = self._build().compile(checkpointer=InMemorySaver(serde=STATE_SERDE))
        self._config: RunnableConfig = {}
        self._usage = Usage()
        self._task = ""

    @abstractmethod
    def _build(self) -> StateGraph:
        """The agent's graph (compiled with a checkpointer by the constructor)."""

    @abstractmethod
    def _update(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The state update that feeds ``observation`` into the graph."""

    @abstractmethod
    def _closing_messages(self, observation: dict[str, Any]) -> list[dict[str, Any]]:
        """The conversation, with the last observation, to put the post-hoc question after."""

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        self.tools = tools
        self.client.seed = seed  # the sampling seed: the agent seed, which differs by trial
        self._config = {"configurable": {"thread_id": f"episode-{seed}-{uuid.uuid4().hex}"}}
        self._task = task

    def act(self, observation: dict[str, Any]) -> Any:
        """Advance the graph by one step and return the action it chose."""
        state = self.graph.invoke(self._update(observation), self._config)
        self._usage = state.get("usage") or Usage()
        return state["action"]

    def last_usage(self) -> Usage:
        return self._usage

    def posthoc_confidence(self, observation: dict[str, Any]) -> tuple[float | None, Usage]:
        """Ask, after the last step, how confident the model is that it succeeded.

        Returns the confidence (None when the answer holds no number in [0, 1]) and the
        question's usage. The agent's memory is not changed."""
        messages = [
            *self._closing_messages(observation),
            {"role": "user", "content": POSTHOC_QUESTION},
        ]
        completion = self.client.complete(messages, [], schema=CONFIDENCE_SCHEMA)
        return _confidence_in(completion.message.get("content") or ""), completion.usage

    def _state(self) -> dict[str, Any]:
        return dict(self.graph.get_state(self._config).values)


class ConversationAgent(GraphAgent):
    """An agent with one conversation in ``state["messages"]``: the first step sends the task
    (``_first_update``), every later one the observation, as the result of the tool the model
    called or else as a user message."""

    @abstractmethod
    def _first_update(self) -> dict[str, Any]:
        """The state update of the first step (the task)."""

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        super().reset(task, tools, seed, plan)
        self._started = False

    def _update(self, observation: dict[str, Any]) -> dict[str, Any]:
        if not self._started:
            self._started = True
            return self._first_update()
        return {"messages": [self._observation_message(observation)], "usage": None}

    def _observation_message(self, observation: dict[str, Any]) -> dict[str, Any]:
        messages = self._state().get("messages") or [{}]
        return observation_turn(observation["text"], last_call_id(messages[-1]))

    def _closing_messages(self, observation: dict[str, Any]) -> list[dict[str, Any]]:
        if not self._started:
            return []
        return [*self._state().get("messages", []), self._observation_message(observation)]


def last_call_id(message: dict[str, Any]) -> str | None:
    """The id of the tool call an assistant message made, if it made one."""
    calls = message.get("tool_calls") or []
    return calls[0]["id"] if calls else None


def observation_turn(text: str, call_id: str | None) -> dict[str, Any]:
    """An observation as the model's next message: the result of the tool it called (the API
    wants one after a call), or a user message when it called none."""
    text = text[:OBSERVATION_LIMIT]
    if call_id is not None:
        return {"role": "tool", "tool_call_id": call_id, "content": text}
    return {"role": "user", "content": text}


def _confidence_in(text: str) -> float | None:
    """The confidence in a post-hoc answer: ``{"confidence": x}`` or a bare number in [0, 1]."""
    found = first_json_object(text)
    value = found.get("confidence") if isinstance(found, dict) else None
    if value is None:
        numbers = re.findall(r"\d*\.?\d+", text)
        value = numbers[0] if numbers else None
    try:
        confidence = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return confidence if 0 <= confidence <= 1 else None

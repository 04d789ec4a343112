"""An agent of your own: one call to an OpenAI-compatible model per step."""

from __future__ import annotations

import json
from typing import Any

from openai import OpenAI

from undertow.record import Usage

SYSTEM = "You act in an environment through its tools. Call exactly one tool per turn."


class ChatAgent:
    """Asks a model for one tool call per step, keeping the whole conversation."""

    name = "chat-agent"
    needs_plan = False  # True only for agents that replay the env's reference plan

    def __init__(self, model: str, base_url: str | None = None, api_key: str = "none") -> None:
        self.client = OpenAI(base_url=base_url, api_key=api_key)
        self.model = model

    def reset(self, task: str, tools: list[dict[str, Any]], seed: int, plan: Any = None) -> None:
        """A new episode: the task, the env's tools as JSON schemas, the episode's seed."""
        self.tools: list[Any] = [{"type": "function", "function": tool} for tool in tools]
        self.messages: list[Any] = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": task},
        ]
        self.call_id: str | None = None
        self.usage = Usage()

    def act(self, observation: dict[str, Any]) -> dict[str, Any] | str:
        """The next action: a tool call {"tool": ..., "args": {...}}, or text."""
        if self.call_id is not None:  # the observation answers the tool we called
            self.messages.append(
                {"role": "tool", "tool_call_id": self.call_id, "content": observation["text"]}
            )
        elif len(self.messages) > 2:  # we called no tool: the observation says what went wrong
            self.messages.append({"role": "user", "content": observation["text"]})
        reply = self.client.chat.completions.create(
            model=self.model, messages=self.messages, tools=self.tools
        )
        usage = reply.usage
        self.usage = Usage(
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
        )
        message = reply.choices[0].message
        calls: list[Any] = message.tool_calls or []
        turn: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
        if not calls:
            self.call_id = None
            self.messages.append(turn)
            return message.content or ""  # not an action: recorded as such, and the env says so
        call = calls[0]  # one tool call per step
        turn["tool_calls"] = [call.model_dump()]
        self.messages.append(turn)
        self.call_id = call.id
        try:
            args = json.loads(call.function.arguments or "{}")
        except json.JSONDecodeError:
            return call.function.arguments  # malformed: the env records it and tells the model
        return {"tool": call.function.name, "args": args}

    def last_usage(self) -> Usage:
        """Tokens (and cost, where you know it) of the last act."""
        return self.usage

    def close(self) -> None:
        """Called once the episode is over, however it ended (optional)."""
        self.client.close()

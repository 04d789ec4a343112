"""Tools: what an agent can call, published as JSON schemas, and the parsing of its calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from undertow.record import Action

CONFIDENCE = {
    "type": "number",
    "minimum": 0,
    "maximum": 1,
    "description": "how sure you are (0-1) that it is right",
}
"""The schema of every tool argument that states a confidence."""
LARGEST_NUMBER = 2**53
"""Numbers in actions must lie within +-2^53 (what every JSON reader represents exactly)."""


@dataclass
class ToolResult:
    """What a tool call did: text for the agent, structured fields, and episode control."""

    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    reward: float = 0.0
    terminated: bool = False
    ok: bool = True


@dataclass(frozen=True)
class Tool:
    """A tool: its name, a description for the model, a JSON schema for its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Callable[..., ToolResult]
    mutating: bool = False
    """True when the tool can change the world (the env then refreshes its probes)."""

    def schema(self) -> dict[str, Any]:
        """The tool as a function schema, the form LLM APIs take."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}


def params(required: Sequence[str] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for an object with these properties (no others allowed)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


class ActionError(ValueError):
    """The agent's action could not be carried out; the message is shown to the agent."""


def _unacceptable(value: Any, where: str = "args") -> str | None:
    """Why a value cannot be part of an action (NaN, an enormous number, a NUL character, a
    string that is not valid Unicode, ...), or None when it can."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"{where} is {value!r}: numbers must be finite"
        if abs(value) > LARGEST_NUMBER:
            return f"{where} is too large: numbers must lie within +-2^53"
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where} is not valid Unicode (it holds a lone surrogate)"
        if "\x00" in value:
            return f"{where} holds a NUL character (\\x00), which no path or command can carry"
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _unacceptable(item, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{where} has a key {key!r} that is not a string"
            problem = _unacceptable(key, f"{where} key") or _unacceptable(item, f"{where}.{key}")
            if problem:
                return problem
        return None
    return f"{where} is a {type(value).__name__}, which JSON cannot carry"


def parse_action(raw: Any) -> Action:
    """Turn what the agent produced (a dict, a JSON string, an Action) into an Action."""
    if isinstance(raw, Action):
        raw = raw.model_dump()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ActionError(
                f"the action is not valid JSON ({exc.msg} at position {exc.pos}); send "
                '{"tool": NAME, "args": {...}}'
            ) from None
    if not isinstance(raw, dict):
        raise ActionError(
            f'an action must be an object {{"tool", "args"}}, not {type(raw).__name__}'
        )
    unknown = set(raw) - {"tool", "args", "confidence", "actor"}
    if unknown:
        raise ActionError(f"unknown action fields {sorted(unknown)}; use tool, args, confidence")
    tool, args, confidence = raw.get("tool"), raw.get("args", {}), raw.get("confidence")
    if not isinstance(tool, str) or not tool:
        raise ActionError('the action has no "tool" name')
    if not isinstance(args, dict):
        raise ActionError(f'"args" must be an object, not {type(args).__name__}')
    if confidence is not None and (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0 <= confidence <= 1
    ):
        raise ActionError(f'"confidence" must be a number from 0 to 1, not {confidence!r}')
    actor = raw.get("actor")
    if actor is not None and not isinstance(actor, str):
        raise ActionError(f'"actor" must be a name (a string), not {type(actor).__name__}')
    problem = _unacceptable(args) or _unacceptable(tool, "tool") or _unacceptable(actor, "actor")
    if problem:
        raise ActionError(f"the action cannot be carried out: {problem}")
    return Action(tool=tool, args=args, confidence=confidence, actor=actor or None)


class ToolBox:
    """The env's tools by name, with argument validation against their schemas."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}
        self._validators = {tool.name: Draft202012Validator(tool.parameters) for tool in tools}

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self) -> list[dict[str, Any]]:
        return [tool.schema() for tool in self._tools.values()]

    def get(self, name: str) -> Tool:
        if name not in self._tools:
            raise ActionError(f"unknown tool {name!r}; the tools are: {', '.join(self._tools)}")
        return self._tools[name]

    def validate(self, action: Action) -> Tool:
        """The tool the action names, once its arguments match the tool's schema."""
        tool = self.get(action.tool)
        problems = sorted(
            self._validators[tool.name].iter_errors(action.args), key=lambda e: list(e.path)
        )
        if problems:
            where = lambda e: "/".join(map(str, e.path)) or "args"  # noqa: E731
            listed = "; ".join(f"{where(p)}: {p.message}" for p in problems[:5])
            raise ActionError(
                f"bad arguments for {tool.name}: {listed}. Expected: "
                f"{json.dumps(tool.parameters['properties'])}"
            )
        return tool

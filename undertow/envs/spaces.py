"""Gymnasium spaces for text worlds: observations are text plus fields, actions are tool calls."""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

_SAMPLE_CHARS = string.ascii_letters + string.digits + string.punctuation + " "


class ObservationSpace(spaces.Space[dict[str, Any]]):
    """Observations: ``{"text": str, "fields": dict}`` where fields are JSON-serialisable."""

    def __init__(self, max_text: int = 1_000_000, seed: int | None = None) -> None:
        self.max_text = max_text
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> dict[str, Any]:
        size = int(self.np_random.integers(0, 80))
        text = "".join(self.np_random.choice(list(_SAMPLE_CHARS), size=size))
        return {"text": text, "fields": {}}

    def contains(self, x: Any) -> bool:
        if not isinstance(x, dict) or set(x) != {"text", "fields"}:
            return False
        if not isinstance(x["text"], str) or len(x["text"]) > self.max_text:
            return False
        try:
            json.dumps(x["fields"])
        except (TypeError, ValueError):
            return False
        return isinstance(x["fields"], dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObservationSpace) and other.max_text == self.max_text

    def __repr__(self) -> str:
        return f"ObservationSpace(max_text={self.max_text})"


class ToolCallSpace(spaces.Space[Any]):
    """Actions: a tool call ``{"tool", "args", "confidence"?}``, or the agent's raw text.

    Any dict or string is a member: a malformed action is the agent's mistake to be observed,
    not the caller's error. Samples are a mix of random text and calls to the env's tools with
    random arguments, so that ``check_env`` exercises the env's validation paths.
    """

    def __init__(self, tool_names: Sequence[str], seed: int | None = None) -> None:
        self.tool_names = tuple(tool_names)
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> Any:
        rng: np.random.Generator = self.np_random
        if not self.tool_names or rng.random() < 0.3:
            size = int(rng.integers(0, 40))
            return "".join(rng.choice(list(_SAMPLE_CHARS), size=size))
        tool = str(rng.choice(list(self.tool_names)))
        junk = "".join(rng.choice(list(string.ascii_lowercase), size=int(rng.integers(1, 8))))
        return {"tool": tool, "args": {junk: junk}}

    def contains(self, x: Any) -> bool:
        return isinstance(x, dict | str)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ToolCallSpace) and other.tool_names == self.tool_names

    def __repr__(self) -> str:
        return f"ToolCallSpace({list(self.tool_names)})"

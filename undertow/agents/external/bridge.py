"""The meeting point of an external agent's tool calls and the runner's loop.

The agent calls tools whenever it likes, from the MCP server's threads; the runner asks for one
action at a time. :meth:`ToolCallBridge.call` queues a call and blocks until the runner has
played it as a step (:meth:`next_call`, then :meth:`answer` with the observation), so calls
become steps one at a time, in the order they arrived. Once the episode is over
(:meth:`close`), every waiting and later call is answered :data:`EPISODE_OVER`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EPISODE_OVER = "The episode is over: no further tool calls are played."
POLL_SECONDS = 0.1


@dataclass
class ToolCall:
    """One call by the external agent, and its result once the env has played it."""

    tool: str
    args: dict[str, Any]
    text: str = ""
    ok: bool = True
    done: threading.Event = field(default_factory=threading.Event)


class NoCallInTime(TimeoutError):
    """The external agent made no tool call within the time it was given."""


class ToolCallBridge:
    """Hands tool calls from the server's threads to the runner, and results back."""

    def __init__(self) -> None:
        self._calls: queue.Queue[ToolCall] = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False
        self._current: ToolCall | None = None

    def call(self, tool: str, args: dict[str, Any]) -> tuple[str, bool]:
        """Queue a call and wait until it is played: (observation text, whether it went ok)."""
        call = ToolCall(tool, dict(args))
        with self._lock:
            if self._closed:
                return EPISODE_OVER, False
            self._calls.put(call)
        call.done.wait()
        return call.text, call.ok

    def next_call(self, timeout: float, alive: Callable[[], bool]) -> ToolCall | None:
        """The next call to play, waiting up to ``timeout`` seconds; None once ``alive()`` is
        false with no call waiting (the agent is gone). Raises :class:`NoCallInTime`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                call = self._calls.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not alive():
                    return None
                if time.monotonic() > deadline:
                    raise NoCallInTime(
                        f"the external agent made no tool call for {timeout:g} s "
                        "(option call_timeout)"
                    ) from None
                continue
            self._current = call
            return call

    def answer(self, text: str, ok: bool) -> None:
        """The observation of the call last handed out: it goes back to the agent."""
        call, self._current = self._current, None
        if call is not None:
            call.text, call.ok = text, ok
            call.done.set()

    def close(self) -> None:
        """The episode is over: release the call in play and every queued one."""
        with self._lock:
            self._closed = True
        self.answer(EPISODE_OVER, False)
        while True:
            try:
                call = self._calls.get_nowait()
            except queue.Empty:
                return
            call.text, call.ok = EPISODE_OVER, False
            call.done.set()

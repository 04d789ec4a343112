"""A small OpenAI-compatible chat server for tests: scripted replies and injected faults.

It listens on 127.0.0.1 only. Replies come from a script (a list, cycled, or a function of
the request); faults are drawn per request from a seeded generator at configurable rates:
HTTP 429, HTTP 500, a timeout (the reply is held back longer than the client waits) and a
garbled body. Tests reach it over real HTTP through litellm (``openai/<name>`` with
``api_base=server.url``), exactly as they would a hosted model.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("rate_limit", "server_error", "timeout", "garbled")


@dataclass(frozen=True)
class Reply:
    """One scripted assistant reply: a tool call, or plain text."""

    tool: str | None = None
    args: dict[str, Any] | None = None
    raw_arguments: str | None = None
    """Tool-call arguments sent verbatim (e.g. malformed JSON), instead of ``args``."""
    content: str | None = None

    def message(self, call_id: str) -> dict[str, Any]:
        if self.tool is None:
            return {"role": "assistant", "content": self.content or ""}
        arguments = (
            self.raw_arguments if self.raw_arguments is not None else json.dumps(self.args or {})
        )
        return {
            "role": "assistant",
            "content": self.content,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": self.tool, "arguments": arguments},
                }
            ],
        }


Script = list[Reply] | Callable[[dict[str, Any]], Reply]


def by_turn(replies: list[Reply]) -> Callable[[dict[str, Any]], Reply]:
    """A script that answers each conversation by its own turn (the assistant messages it
    already holds), the last reply repeating: concurrent episodes each get the whole list."""

    def reply(request: dict[str, Any]) -> Reply:
        turn = sum(message.get("role") == "assistant" for message in request["messages"])
        return replies[min(turn, len(replies) - 1)]

    return reply


@dataclass
class FaultRates:
    """Probability of each fault per request; the rest are answered normally."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    garbled: float = 0.0

    @classmethod
    def spread(cls, total: float) -> FaultRates:
        """``total`` split evenly over the four faults."""
        return cls(*(total / len(FAULTS),) * len(FAULTS))


@dataclass
class ServerLog:
    """What the server saw and did."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    peak_in_flight: int = 0
    """Most requests being served at once: how concurrent the clients really were."""
    gathered: bool | None = None
    """With ``gather``: whether that many requests were ever in flight together."""


class FakeLLMServer:
    """Start with ``with FakeLLMServer(script) as server:``; use ``server.url`` as api_base."""

    def __init__(
        self,
        script: Script,
        *,
        faults: FaultRates | None = None,
        latency: float = 0.0,
        timeout_hold: float = 5.0,
        seed: int = 0,
        fault_sequence: list[str] | None = None,
        gather: int = 0,
        gather_timeout: float = 600.0,
    ) -> None:
        """``fault_sequence``: faults (names from FAULTS, or "ok") served first, in order.
        ``gather``: hold the first that many requests until all of them are in flight at
        once (or ``gather_timeout`` passes): a proof of concurrency that no machine load can
        fake or break (``log.gathered``)."""
        unknown = [f for f in fault_sequence or [] if f not in (*FAULTS, "ok")]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; choose from {', '.join(FAULTS)} or ok")
        self.fault_sequence = list(fault_sequence or [])
        self.script = script
        self.faults = faults or FaultRates()
        self.latency = latency
        self.timeout_hold = timeout_hold
        self.log = ServerLog()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._served = 0
        self._arrived = 0
        self._gate = threading.Barrier(gather, timeout=gather_timeout) if gather else None
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _draw(self, request: dict[str, Any]) -> tuple[str, Reply | None]:
        with self._lock:
            self.log.requests.append(request)
            forced = self.fault_sequence.pop(0) if self.fault_sequence else None
            roll = self._rng.random()
            threshold = 0.0
            for fault in FAULTS:
                threshold += getattr(self.faults, fault)
                if forced == fault or (forced is None and roll < threshold):
                    self.log.outcomes[fault] += 1
                    return fault, None
            self.log.outcomes["ok"] += 1
            if callable(self.script):
                reply = self.script(request)
            else:
                reply = self.script[self._served % len(self.script)]
            self._served += 1
            return "ok", reply

    def _wait_for_the_others(self) -> None:
        assert self._gate is not None
        try:
            self._gate.wait()
        except threading.BrokenBarrierError:
            self.log.gathered = False
            return
        if self.log.gathered is None:
            self.log.gathered = True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the client may have given up (a timeout fault): nothing to tell it then
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(200, json.dumps({"data": [{"id": "fake", "object": "model"}]}).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(400, b'{"error": {"message": "request is not JSON"}}')
                    return
                with server._lock:
                    server.log.in_flight += 1
                    server.log.peak_in_flight = max(server.log.peak_in_flight, server.log.in_flight)
                    server._arrived += 1
                    held = server._gate is not None and server._arrived <= server._gate.parties
                try:
                    if held:
                        server._wait_for_the_others()
                    self._answer(request)
                finally:
                    with server._lock:
                        server.log.in_flight -= 1

            def _answer(self, request: dict[str, Any]) -> None:
                time.sleep(server.latency)
                outcome, reply = server._draw(request)
                if outcome == "rate_limit":
                    self._send(429, b'{"error": {"message": "rate limited", "type": "rate_limit"}}')
                elif outcome == "server_error":
                    self._send(500, b'{"error": {"message": "internal error", "type": "server"}}')
                elif outcome == "timeout":
                    time.sleep(server.timeout_hold)
                    self._send(504, b'{"error": {"message": "too late"}}')
                elif outcome == "garbled":
                    self._send(200, b'{"id": "x", "choices": [{"message": ')
                else:
                    assert reply is not None
                    self._send(200, json.dumps(_completion(request, reply)).encode())

        return Handler


def _completion(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
    message = reply.message(call_id=f"call_{random.getrandbits(32):08x}")
    completion = len(json.dumps(message)) // 4
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }

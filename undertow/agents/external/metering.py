"""The metering proxy: an OpenAI-compatible chat endpoint for external agents, forwarding
through litellm to the model the suite names and recording what each call cost.

External agents get its address as their base URL (``OPENAI_BASE_URL``) and a key for this
episode only (``OPENAI_API_KEY``); the provider's own key stays in Undertow's process. Each
``POST /v1/chat/completions`` is forwarded with ``litellm.acompletion`` to the configured
model (whatever model name the agent asks for; the suite decides), with the request's OpenAI
chat parameters passed on (:data:`FORWARDED`; ``drop_params``: those the provider does not take
are dropped), and nothing else: the timeout, retries and litellm's own options stay the suite's. Its
tokens, cost (from litellm's price list, where it knows the model) and seconds are recorded
in the :class:`Meter`, which the agent empties into the usage of the step that the calls led
to. ``stream: true`` is answered as a stream of one chunk with the whole reply, then a chunk
with the usage. ``GET /v1/models`` lists the one model.

It is a small Starlette app (Starlette and uvicorn come with the ``mcp`` SDK, so nothing is
added), served on the same 127.0.0.1 port as the episode's MCP endpoint. litellm's own proxy
was the alternative: it is a separate server with its own configuration, database and
spend-tracking model, and per-step metering would have to be read back out of it; calling
litellm in-process gives each call's usage directly, with the same provider strings and
retries-free forwarding as Undertow's own agents.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from undertow.agents.llm import litellm  # configured: local price list, quiet
from undertow.record import Usage

FORWARDED = (
    "messages", "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
    "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed",
    "response_format", "user", "reasoning_effort", "modalities", "audio", "prediction",
)  # fmt: skip
"""The OpenAI chat parameters passed on. Nothing else is: not the model, the endpoint, the key,
the timeout or retries (the suite's), nor litellm's own parameters (``mock_response``, prices)."""


@dataclass(frozen=True)
class MeteredCall:
    """One model call through the proxy."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    seconds: float
    status: int


class Meter:
    """The calls made through the proxy; :meth:`take` sums those since it was last called."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[MeteredCall] = []
        self._taken = 0

    def record(self, call: MeteredCall) -> None:
        with self._lock:
            self.calls.append(call)

    def take(self) -> tuple[Usage, list[MeteredCall]]:
        """The usage of the calls made since the last take, and the calls themselves."""
        with self._lock:
            calls, self._taken = self.calls[self._taken :], len(self.calls)
        usage = Usage(
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            completion_tokens=sum(c.completion_tokens for c in calls),
            cost_usd=sum(c.cost_usd for c in calls),
        )
        return usage, calls


@dataclass(frozen=True)
class ProxyTarget:
    """Where the proxy forwards: a litellm model string, its endpoint and key, a timeout."""

    model: str
    api_base: str | None = None
    api_key: str | None = None
    timeout: float = 120.0


def metering_routes(target: ProxyTarget, meter: Meter, key: str) -> list[Route]:
    """The proxy's routes (``/v1/chat/completions``, ``/v1/models``), for callers holding
    ``key`` as their bearer token."""

    def refused(request: Request) -> Response | None:
        if request.headers.get("authorization", "") != f"Bearer {key}":
            return _error(401, "this endpoint needs the episode's key (OPENAI_API_KEY)")
        return None

    async def models(request: Request) -> Response:
        return refused(request) or JSONResponse(
            {"object": "list", "data": [{"id": target.model, "object": "model"}]}
        )

    async def chat(request: Request) -> Response:
        denied = refused(request)
        if denied is not None:
            return denied
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return _error(400, "the request body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "a chat completion request needs a messages list")
        kwargs: dict[str, Any] = {k: v for k, v in body.items() if k in FORWARDED}
        kwargs.update(model=target.model, timeout=target.timeout, num_retries=0, drop_params=True)
        if target.api_base:
            kwargs["api_base"] = target.api_base
            kwargs["api_key"] = target.api_key or "undertow-local"
        elif target.api_key:
            kwargs["api_key"] = target.api_key
        started = time.monotonic()
        try:
            response = await litellm.acompletion(**kwargs)
        except Exception as exc:
            status = int(getattr(exc, "status_code", None) or 502)
            meter.record(MeteredCall(target.model, 0, 0, 0.0, time.monotonic() - started, status))
            return _error(status, f"the model call failed: {type(exc).__name__}: {exc}")
        reply = response.model_dump(mode="json", exclude_none=True)
        usage = reply.get("usage") or {}
        meter.record(
            MeteredCall(
                model=target.model,
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                cost_usd=_cost(response),
                seconds=time.monotonic() - started,
                status=200,
            )
        )
        if body.get("stream"):
            return StreamingResponse(_as_stream(reply), media_type="text/event-stream")
        return JSONResponse(reply)

    return [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "undertow_proxy"}}, status)


def _cost(response: Any) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # a model litellm has no price for: cost unknown, so 0
        return 0.0


async def _as_stream(reply: dict[str, Any]) -> Any:
    """A whole reply as server-sent chunks: the message as one delta, then the usage."""
    base = {
        "id": reply.get("id") or f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": reply.get("created") or int(time.time()),
        "model": reply.get("model"),
    }
    choices = []
    for choice in reply.get("choices", []):
        message = choice.get("message") or {}
        delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("tool_calls"):
            delta["tool_calls"] = [
                {**call, "index": index} for index, call in enumerate(message["tool_calls"])
            ]
        choices.append({"index": choice.get("index", 0), "delta": delta, "finish_reason": None})
    yield f"data: {json.dumps({**base, 'choices': choices})}\n\n"
    finished = [
        {"index": c.get("index", 0), "delta": {}, "finish_reason": c.get("finish_reason")}
        for c in reply.get("choices", [])
    ]
    yield f"data: {json.dumps({**base, 'choices': finished, 'usage': reply.get('usage')})}\n\n"
    yield "data: [DONE]\n\n"

"""Model access through litellm: any provider string, bounded retries, usage, robust parsing.

- Transient failures (429, 5xx, timeouts, connection errors, unreadable replies) are retried
  with tenacity, with exponential backoff, a bounded number of times; the retries are counted
  and recorded with the step.
- Each call has a timeout; tokens and cost (where litellm knows the price) are recorded.
- Replies become actions: a native tool call, or else a JSON action in the text
  (``{"tool": ..., "args": ...}``). Anything else is passed on as the raw text, which the
  environment records as an invalid action: a malformed reply is a step, never a crash.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from undertow.record import Usage

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price list

import litellm

# tiktoken downloads its encodings on first use; litellm ships them, so point tiktoken there.
os.environ.setdefault(
    "TIKTOKEN_CACHE_DIR", str(Path(litellm.__file__).parent / "litellm_core_utils" / "tokenizers")
)

litellm.suppress_debug_info = True

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    litellm.RateLimitError,
    litellm.APIConnectionError,
    litellm.Timeout,
    litellm.InternalServerError,
    litellm.ServiceUnavailableError,
    litellm.BadGatewayError,
)


SCHEMA_FORMATS = ("json_schema", "json_object")


class UnreadableReply(Exception):
    """The provider answered with something that is not a chat completion (retried)."""


@dataclass
class Completion:
    """One model turn: the assistant message as sent back to the model, and what it cost."""

    message: dict[str, Any]
    usage: Usage


class LLMClient:
    """Calls one model. ``model`` is any litellm string (``openai/...``, ``anthropic/...``)."""

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_attempts: int = 5,
        backoff_max: float = 8.0,
        temperature: float = 0.0,
        max_tokens: int | None = 1024,
        native_tools: bool = True,
        schema_format: str = "json_schema",
        seed: int | None = None,
    ) -> None:
        """``native_tools=False``: for models without tool calling, the tools are described in
        the prompt and the reply is constrained to a JSON action by ``response_format``.

        ``schema_format``: how ``response_format`` carries a JSON schema: ``json_schema``
        (OpenAI's form) or ``json_object`` (``{"type": "json_object", "schema": ...}``, the form
        llama.cpp's server takes).

        ``seed``: the sampling seed, sent where the provider takes one (litellm's list of its
        parameters); elsewhere sampling is unseeded. The LLM agents set it at each episode's
        reset from the agent seed, which differs between trials."""
        if schema_format not in SCHEMA_FORMATS:
            raise ValueError(
                f"schema_format must be one of {', '.join(SCHEMA_FORMATS)}, not {schema_format!r}"
            )
        self.native_tools = native_tools
        self.schema_format = schema_format
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_max = backoff_max
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed

    @functools.cached_property
    def takes_seed(self) -> bool:
        """Whether the provider of ``model`` accepts a sampling seed."""
        try:
            return "seed" in (litellm.get_supported_openai_params(model=self.model) or [])
        except Exception:  # a provider litellm cannot place: send nothing it may refuse
            return False

    def _call(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "timeout": self.timeout,
            "temperature": self.temperature,
            "num_retries": 0,
        }
        if self.max_tokens:
            kwargs["max_tokens"] = self.max_tokens
        if self.seed is not None and self.takes_seed:
            kwargs["seed"] = self.seed
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key
        elif self.api_base:
            kwargs["api_key"] = "undertow-local"  # local servers need a key-shaped string
        if tools and self.native_tools:
            kwargs["tools"] = [{"type": "function", "function": tool} for tool in tools]
            kwargs["tool_choice"] = "auto"
        elif tools:
            kwargs["messages"] = with_tools_prompt(messages, _tools_prompt(tools))
            schema = (
                tool_action_schema(tools)
                if self.schema_format == "json_object"
                else action_schema(tools)
            )
            kwargs["response_format"] = self._response_format("action", schema)
        elif schema is not None:
            kwargs["response_format"] = self._response_format("answer", schema)
        try:
            response = litellm.completion(**kwargs)
        except litellm.APIError as exc:
            if getattr(exc, "status_code", None) in (None, 500, 502, 503, 504):
                raise UnreadableReply(str(exc)) from exc
            raise
        if not getattr(response, "choices", None):
            raise UnreadableReply("the reply has no choices")
        return response

    def _response_format(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        if self.schema_format == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        schema: dict[str, Any] | None = None,
    ) -> Completion:
        """One chat completion, retried on transient failures; raises after the last attempt.

        ``schema`` (without tools): constrain the reply to JSON of that schema where the
        server supports it."""
        attempts = 0
        retrying = Retrying(
            retry=retry_if_exception_type((*TRANSIENT_ERRORS, UnreadableReply)),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=0.1, max=self.backoff_max),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                attempts += 1
                response = self._call(messages, tools, schema)
        message = response.choices[0].message
        sent_back: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
        if getattr(message, "tool_calls", None):
            sent_back["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in message.tool_calls
            ]
        usage = getattr(response, "usage", None)
        return Completion(
            message=sent_back,
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                cost_usd=_cost(response),
                retries=attempts - 1,
            ),
        )


def action_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON Schema of one action: a known tool name, its arguments, an optional confidence."""
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [tool["name"] for tool in tools]},
            "args": {"type": "object"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["tool", "args"],
    }


def with_tools_prompt(messages: list[dict[str, Any]], prompt: str) -> list[dict[str, Any]]:
    """The messages with the tools described in the leading system message, so that the part
    of the prompt that stays the same from step to step comes first (a server that keeps its
    KV cache, like llama.cpp's, then evaluates only the new turns)."""
    if messages and messages[0].get("role") == "system":
        system = {**messages[0], "content": f"{messages[0].get('content') or ''}\n\n{prompt}"}
        return [system, *messages[1:]]
    return [{"role": "system", "content": prompt}, *messages]


def tool_action_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON Schema of one action, each tool with its own arguments (``anyOf``). For servers that
    turn the schema into a grammar (llama.cpp): the model can then only write a well-formed call
    of a known tool, and stops where the call ends."""
    confidence = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "tool": {"const": tool["name"]},
                    "args": tool.get("parameters") or {"type": "object"},
                    "confidence": confidence,
                },
                "required": ["tool", "args"],
                "additionalProperties": False,
            }
            for tool in tools
        ]
    }


def _tools_prompt(tools: list[dict[str, Any]]) -> str:
    listed = "\n".join(
        f"- {tool['name']}: {tool.get('description', '')} arguments: "
        f"{json.dumps(tool.get('parameters', {}).get('properties', {}))}"
        for tool in tools
    )
    return (
        'Answer with one JSON object {"tool": NAME, "args": {...}} and nothing else. '
        f"The tools:\n{listed}"
    )


def _cost(response: Any) -> float:
    try:
        return float(litellm.completion_cost(completion_response=response) or 0.0)
    except Exception:  # unknown price (local and fake models): cost is not known, so 0
        return 0.0


def action_from_message(message: dict[str, Any]) -> dict[str, Any] | str:
    """The action in an assistant message: its first tool call, or a JSON action in its text.

    Returns the raw text when neither is there (the environment then records it as invalid).
    """
    calls = message.get("tool_calls") or []
    if calls:
        function = calls[0]["function"]
        try:
            args = json.loads(function.get("arguments") or "{}")
        except json.JSONDecodeError:  # kept verbatim, so the record shows what the model sent
            name = json.dumps(function.get("name"))
            return f'{{"tool": {name}, "args": {function.get("arguments")}}}'
        return {"tool": function.get("name"), "args": args}
    text = message.get("content") or ""
    found = first_json_object(text)
    if isinstance(found, dict) and "tool" in found:
        return found
    return text


def first_json_object(text: str) -> Any:
    """The first JSON object in the text, if any."""
    decoder = json.JSONDecoder()
    for index, character in enumerate(text):
        if character == "{":
            try:
                value, _ = decoder.raw_decode(text, index)
            except json.JSONDecodeError:
                continue
            return value
    return None

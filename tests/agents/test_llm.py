"""The litellm client against the fake OpenAI-compatible server, over real HTTP."""

from __future__ import annotations

import pytest

from undertow.agents.fake_server import FakeLLMServer, FaultRates, Reply
from undertow.agents.llm import LLMClient, action_from_message, with_tools_prompt

TOOLS = [
    {
        "name": "list_files",
        "description": "List files.",
        "parameters": {"type": "object", "properties": {}},
    }
]
HELLO = [{"role": "user", "content": "hello"}]


def client(server: FakeLLMServer, **options: object) -> LLMClient:
    settings = {"timeout": 1.0, "max_attempts": 6, "backoff_max": 0.05, **options}
    return LLMClient("openai/fake-model", api_base=server.url, **settings)  # type: ignore[arg-type]


def test_native_tool_call_and_usage() -> None:
    with FakeLLMServer([Reply(tool="list_files", args={"path": "."})]) as server:
        completion = client(server).complete(HELLO, TOOLS)
    assert action_from_message(completion.message) == {"tool": "list_files", "args": {"path": "."}}
    assert completion.usage.completion_tokens > 0 and completion.usage.retries == 0
    request = server.log.requests[0]
    assert request["tools"][0]["function"]["name"] == "list_files"
    assert request["tool_choice"] == "auto"


@pytest.mark.parametrize(
    ("reply", "action"),
    [
        (
            Reply(content='{"tool": "finish", "args": {"confidence": 0.3}}'),
            {"tool": "finish", "args": {"confidence": 0.3}},
        ),
        (
            Reply(content='Sure. {"tool": "run", "args": {"command": "ls"}} done'),
            {"tool": "run", "args": {"command": "ls"}},
        ),
        (Reply(content="I think the answer is 42."), "I think the answer is 42."),
        (
            Reply(tool="edit", raw_arguments='{"path": "a.py", '),
            '{"tool": "edit", "args": {"path": "a.py", }',
        ),
    ],
)
def test_replies_become_actions_or_raw_text(reply: Reply, action: object) -> None:
    with FakeLLMServer([reply]) as server:
        completion = client(server).complete(HELLO, TOOLS)
    assert action_from_message(completion.message) == action


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "timeout", "garbled"])
def test_each_transient_fault_is_retried_and_counted(fault: str) -> None:
    reply = [Reply(tool="list_files", args={})]
    with FakeLLMServer(reply, fault_sequence=[fault, fault], timeout_hold=1.5) as server:
        completion = client(server).complete(HELLO, TOOLS)
    assert completion.usage.retries == 2
    assert server.log.outcomes[fault] == 2 and server.log.outcomes["ok"] == 1


def test_unknown_fault_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown faults"):
        FakeLLMServer([Reply(content="x")], fault_sequence=["meteor"])


def test_gives_up_after_the_last_attempt() -> None:
    import litellm

    failing = FakeLLMServer([Reply(content="x")], faults=FaultRates(server_error=1.0))
    with failing as server, pytest.raises((litellm.InternalServerError, litellm.APIError)):
        client(server, max_attempts=3).complete(HELLO, TOOLS)
    assert server.log.outcomes["server_error"] == 3


def test_json_action_fallback_is_schema_constrained() -> None:
    reply = [Reply(content='{"tool": "list_files", "args": {}, "confidence": 0.6}')]
    with FakeLLMServer(reply) as server:
        completion = client(server, native_tools=False).complete(HELLO, TOOLS)
    request = server.log.requests[0]
    assert "tools" not in request
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["tool"]["enum"] == ["list_files"]
    # the tools are described up front, in the stable part of the prompt
    assert request["messages"][0]["role"] == "system"
    assert "list_files" in request["messages"][0]["content"]
    assert request["messages"][1:] == HELLO
    assert action_from_message(completion.message) == {
        "tool": "list_files",
        "args": {},
        "confidence": 0.6,
    }


def test_the_tools_prompt_joins_the_leading_system_message() -> None:
    messages = [{"role": "system", "content": "Be brief."}, *HELLO]
    prompted = with_tools_prompt(messages, "The tools: x")
    assert prompted == [{"role": "system", "content": "Be brief.\n\nThe tools: x"}, *HELLO]
    assert messages[0] == {"role": "system", "content": "Be brief."}  # not modified


def test_schema_can_travel_in_llama_cpps_json_object_form() -> None:
    reply = [
        Reply(content='{"tool": "list_files", "args": {}}'),
        Reply(content='{"confidence": 1}'),
    ]
    with FakeLLMServer(reply) as server:
        llama = client(server, native_tools=False, schema_format="json_object")
        llama.complete(HELLO, TOOLS)
        llama.complete(HELLO, [], schema={"type": "object"})
    action, answer = (r["response_format"] for r in server.log.requests)
    assert action["type"] == "json_object"
    # per tool, with its own arguments: a grammar then only admits well-formed calls
    (only,) = action["schema"]["anyOf"]
    assert only["properties"]["tool"] == {"const": "list_files"}
    assert only["properties"]["args"] == TOOLS[0]["parameters"]
    assert answer == {"type": "json_object", "schema": {"type": "object"}}


def test_an_unknown_schema_format_is_refused() -> None:
    with pytest.raises(ValueError, match="schema_format must be one of json_schema, json_object"):
        LLMClient("openai/x", schema_format="yaml")


def test_the_sampling_seed_is_sent_where_the_provider_takes_one() -> None:
    with FakeLLMServer([Reply(content="ok")]) as server:
        client(server, seed=1234, temperature=0.7).complete(HELLO, [])
        client(server).complete(HELLO, [])
    seeded, unseeded = server.log.requests
    assert seeded["seed"] == 1234 and seeded["temperature"] == 0.7
    assert "seed" not in unseeded and unseeded["temperature"] == 0
    assert not LLMClient("anthropic/claude-3-5-sonnet-20240620", seed=1).takes_seed

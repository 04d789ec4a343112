"""The metering proxy on its own: the episode's key, non-streamed and streamed replies, a
failing model, and what each call costs in the meter."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.testclient import TestClient

from undertow.agents.external.metering import Meter, ProxyTarget, metering_routes
from undertow.agents.fake_server import FakeLLMServer, FaultRates, Reply

KEY = "episode-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
ASK = {"model": "anything", "messages": [{"role": "user", "content": "Which tool next?"}]}


def proxy(server: FakeLLMServer, meter: Meter) -> TestClient:
    target = ProxyTarget(model="openai/fake", api_base=server.url, timeout=5)
    return TestClient(Starlette(routes=metering_routes(target, meter, KEY)))


def test_calls_without_the_episode_key_are_refused() -> None:
    meter = Meter()
    with FakeLLMServer([Reply(content="hi")]) as server:
        client = proxy(server, meter)
        assert client.post("/v1/chat/completions", json=ASK).status_code == 401
        wrong = {"Authorization": "Bearer guess"}
        assert client.post("/v1/chat/completions", json=ASK, headers=wrong).status_code == 401
        assert client.get("/v1/models").status_code == 401
    assert server.log.requests == [] and meter.calls == []


def test_a_call_is_forwarded_to_the_configured_model_and_metered() -> None:
    meter = Meter()
    tool = {"type": "function", "function": {"name": "list_queue", "parameters": {}}}
    with FakeLLMServer([Reply(tool="list_queue", args={})]) as server:
        reply = proxy(server, meter).post(
            "/v1/chat/completions", json={**ASK, "tools": [tool]}, headers=HEADERS
        )
    assert reply.status_code == 200
    message = reply.json()["choices"][0]["message"]
    assert message["tool_calls"][0]["function"]["name"] == "list_queue"
    (sent,) = server.log.requests
    assert sent["model"] == "fake" and sent["tools"][0]["function"]["name"] == "list_queue"
    usage, calls = meter.take()
    assert (
        usage.prompt_tokens
        == reply.json()["usage"]["prompt_tokens"]
        == len("Which tool next?") // 4
    )
    assert usage.completion_tokens > 0 and calls[0].seconds > 0 and calls[0].status == 200
    assert meter.take()[0].prompt_tokens == 0  # taken once


def test_a_streamed_request_gets_the_reply_as_chunks_then_the_usage() -> None:
    meter = Meter()
    with FakeLLMServer([Reply(tool="read_ticket", args={"id": "T1"})]) as server:
        reply = proxy(server, meter).post(
            "/v1/chat/completions", json={**ASK, "stream": True}, headers=HEADERS
        )
    lines = [line[6:] for line in reply.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    first, last = json.loads(lines[0]), json.loads(lines[1])
    call = first["choices"][0]["delta"]["tool_calls"][0]
    assert call["index"] == 0 and json.loads(call["function"]["arguments"]) == {"id": "T1"}
    assert last["choices"][0]["finish_reason"] == "tool_calls"
    assert last["usage"]["prompt_tokens"] == meter.calls[0].prompt_tokens
    assert "stream" not in server.log.requests[0]


def test_a_failing_model_is_an_error_reply_and_a_metered_call() -> None:
    meter = Meter()
    with FakeLLMServer([Reply(content="x")], faults=FaultRates(server_error=1.0)) as server:
        reply = proxy(server, meter).post("/v1/chat/completions", json=ASK, headers=HEADERS)
    assert reply.status_code == 500
    assert "the model call failed" in reply.json()["error"]["message"]
    assert [call.status for call in meter.calls] == [500]


def test_bad_requests_are_explained() -> None:
    with FakeLLMServer([Reply(content="x")]) as server:
        client = proxy(server, Meter())
        not_json = client.post("/v1/chat/completions", content=b"{", headers=HEADERS)
        no_messages = client.post("/v1/chat/completions", json={"model": "x"}, headers=HEADERS)
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]["message"]
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]["message"]


def test_only_openai_chat_parameters_reach_the_model() -> None:
    """The agent cannot answer itself (litellm's mock_response), stretch the suite's timeout
    or retries, or point the call elsewhere; its sampling parameters do reach the model."""
    meter = Meter()
    overrides = {
        "mock_response": "an answer nobody was asked for",
        "timeout": 3600,
        "num_retries": 9,
        "api_base": "http://127.0.0.1:9/v1",
        "temperature": 0.25,
    }
    with FakeLLMServer([Reply(content="from the model")]) as server:
        reply = proxy(server, meter).post(
            "/v1/chat/completions", json={**ASK, **overrides}, headers=HEADERS
        )
    assert reply.status_code == 200
    assert reply.json()["choices"][0]["message"]["content"] == "from the model"
    (sent,) = server.log.requests
    assert sent["temperature"] == 0.25
    assert not {"mock_response", "timeout", "num_retries", "api_base"} & set(sent)
    assert meter.take()[1][0].prompt_tokens == len("Which tool next?") // 4

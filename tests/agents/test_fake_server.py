"""The fake server's scripts: replies by each conversation's own turn."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from undertow.agents.fake_server import FakeLLMServer, Reply, by_turn


def test_by_turn_answers_each_conversation_by_its_own_turn() -> None:
    first, last = Reply(tool="look", args={}), Reply(tool="finish", args={})
    script = by_turn([first, last])

    def request(assistant_turns: int) -> dict:
        turns = [{"role": "user", "content": "go"}]
        turns += [{"role": "assistant", "content": "x"}] * assistant_turns
        return {"messages": turns}

    assert [script(request(n)) for n in (0, 1, 5, 0)] == [first, last, last, first]


def _post(url: str) -> int:
    request = urllib.request.Request(
        f"{url}/chat/completions",
        data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def test_gather_proves_requests_were_in_flight_together() -> None:
    with FakeLLMServer([Reply(content="ok")], gather=3) as server, ThreadPoolExecutor(3) as pool:
        assert list(pool.map(_post, [server.url] * 3)) == [200] * 3
    assert server.log.gathered is True


def test_gather_says_so_when_they_never_were() -> None:
    with FakeLLMServer([Reply(content="ok")], gather=2, gather_timeout=0.5) as server:
        assert _post(server.url) == 200  # one alone: the gate gives up and answers
        assert _post(server.url) == 200
    assert server.log.gathered is False

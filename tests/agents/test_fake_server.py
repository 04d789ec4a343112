"""The fake server's scripts: replies by each conversation's own turn."""

from __future__ import annotations

from undertow.agents.fake_server import Reply, by_turn


def test_by_turn_answers_each_conversation_by_its_own_turn() -> None:
    first, last = Reply(tool="look", args={}), Reply(tool="finish", args={})
    script = by_turn([first, last])

    def request(assistant_turns: int) -> dict:
        turns = [{"role": "user", "content": "go"}]
        turns += [{"role": "assistant", "content": "x"}] * assistant_turns
        return {"messages": turns}

    assert [script(request(n)) for n in (0, 1, 5, 0)] == [first, last, last, first]

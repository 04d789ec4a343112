"""The bridge between an external agent's calls and the runner's steps."""

from __future__ import annotations

import threading

import pytest

from undertow.agents.external.bridge import EPISODE_OVER, NoCallInTime, ToolCallBridge


def test_calls_become_steps_one_at_a_time_in_order() -> None:
    bridge = ToolCallBridge()
    results: dict[str, tuple[str, bool]] = {}

    def agent(name: str) -> None:
        results[name] = bridge.call(name, {})

    first = threading.Thread(target=agent, args=("first",))
    first.start()
    assert bridge.next_call(5, lambda: True).tool == "first"  # type: ignore[union-attr]
    second = threading.Thread(target=agent, args=("second",))
    second.start()
    bridge.answer("one", True)
    first.join(5)
    assert results["first"] == ("one", True)
    assert bridge.next_call(5, lambda: True).tool == "second"  # type: ignore[union-attr]
    bridge.answer("two", False)
    second.join(5)
    assert results["second"] == ("two", False)


def test_close_releases_waiting_and_later_calls() -> None:
    bridge = ToolCallBridge()
    results: list[tuple[str, bool]] = []
    waiting = [threading.Thread(target=lambda: results.append(bridge.call("x", {}))) for _ in "ab"]
    for thread in waiting:
        thread.start()
    bridge.next_call(5, lambda: True)
    bridge.close()
    for thread in waiting:
        thread.join(5)
    assert results == [(EPISODE_OVER, False)] * 2
    assert bridge.call("late", {}) == (EPISODE_OVER, False)


def test_waiting_ends_when_the_agent_is_gone_or_too_slow() -> None:
    bridge = ToolCallBridge()
    assert bridge.next_call(5, lambda: False) is None
    with pytest.raises(NoCallInTime, match=r"no tool call for 0\.2 s"):
        bridge.next_call(0.2, lambda: True)

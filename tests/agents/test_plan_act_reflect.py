"""The plan-act-reflect agent: plans first, reflects and compacts on schedule, keeps acting."""

from __future__ import annotations

from typing import Any

import pytest

from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.plan_act_reflect import PlanActReflectAgent
from undertow.agents.registry import make_agent

TOOLS = [
    {"name": "look", "description": "Look.", "parameters": {"type": "object", "properties": {}}}
]


def script(request: dict[str, Any]) -> Reply:
    if request.get("tools"):
        return Reply(tool="look", args={})
    last = request["messages"][-1]["content"]
    if "numbered plan" in last:
        return Reply(content="1. look around\n2. finish")
    return Reply(content=f"Looked {len(request['messages'])} times.\nconfidence: 0.7")


def test_plans_acts_reflects_and_compacts() -> None:
    with FakeLLMServer(script) as server:
        agent = PlanActReflectAgent(
            "openai/fake", api_base=server.url, reflect_every=3, keep_turns=2
        )
        agent.reset("Explore the room.", TOOLS, seed=0)
        actions = [agent.act({"text": f"room view {i}", "fields": {}}) for i in range(7)]
    assert all(action == {"tool": "look", "args": {}} for action in actions)
    kinds = [
        "tool"
        if r.get("tools")
        else ("plan" if "numbered plan" in r["messages"][-1]["content"] else "reflect")
        for r in server.log.requests
    ]
    assert kinds == [
        "plan",
        "tool",
        "tool",
        "tool",
        "reflect",
        "tool",
        "tool",
        "tool",
        "reflect",
        "tool",
    ]
    memory = agent.memory()
    assert memory["plan"].startswith("1. look around")
    assert memory["confidence"] == pytest.approx(0.7)
    assert memory["steps"] == 7
    assert len(memory["messages"]) <= 2 + 2 * 3  # compacted, then at most 3 more turns
    briefing = server.log.requests[-1]["messages"][1]["content"]
    assert "Your plan:" in briefing and "Your notes so far:" in briefing
    assert agent.last_usage().completion_tokens > 0


def test_first_step_usage_counts_the_plan_and_the_action() -> None:
    with FakeLLMServer(script) as server:
        agent = PlanActReflectAgent("openai/fake", api_base=server.url)
        agent.reset("Explore.", TOOLS, seed=0)
        agent.act({"text": "", "fields": {}})
        first = agent.last_usage().completion_tokens
        agent.act({"text": "view", "fields": {}})
        second = agent.last_usage().completion_tokens
    assert first > second > 0  # the first step paid for the plan too


def test_made_by_id_and_checked() -> None:
    with pytest.raises(Exception, match="reflect_every must be at least 1"):
        make_agent("plan-act-reflect", {"model": "openai/x", "reflect_every": 0})
    assert make_agent("plan-act-reflect", {"model": "openai/x"}).name == "plan-act-reflect"

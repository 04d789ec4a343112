"""Each LLM agent kind plays each env family it is meant for, its model behind the fake server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.registry import make_agent
from undertow.record import EpisodeStatus
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import expand, parse_suite

ENVS = {
    "repo": (
        "{env: undertow/Repo-v0, options: {tickets: 1, sandbox: local}}",
        [
            Reply(tool="list_files", args={}),
            Reply(tool="finish", args={"confidence": 0.4, "report": "done"}),
        ],
    ),
    "helpdesk": (
        "{env: undertow/Helpdesk-v0, options: {days: 1, tickets_per_day: 3}}",
        [
            Reply(tool="list_queue", args={}),
            Reply(tool="read_ticket", args={"ticket_id": "T0001"}),
            Reply(
                tool="close_ticket",
                args={"ticket_id": "T0001", "resolution": "denied", "confidence": 0.6},
            ),
            Reply(tool="finish", args={"confidence": 0.3}),
        ],
    ),
}


def scripted_model(replies: list[Reply]) -> Any:
    """Tool calls from ``replies`` in turn; plans, notes and the post-hoc answer as text."""
    calls: Iterator[Reply] = iter(replies)

    def reply(request: dict[str, Any]) -> Reply:
        if request.get("tools"):
            return next(calls)
        if request.get("response_format"):
            return Reply(content='{"confidence": 0.35}')
        if "numbered plan" in request["messages"][-1]["content"]:
            return Reply(content="1. read the queue\n2. finish")
        return Reply(content="Progress noted.\nconfidence: 0.5")

    return reply


@pytest.mark.parametrize("agent_id", ["react", "plan-act-reflect"])
@pytest.mark.parametrize("family", list(ENVS))
def test_agent_plays_env_family(agent_id: str, family: str) -> None:
    scenario, replies = ENVS[family]
    suite = parse_suite(
        f"name: t\nscenarios:\n  - {{name: {family}, limits: {{max_steps: 8}}, "
        f"{scenario[1:-1]}}}\nagents: [{agent_id}]\nseeds: {{public: 0}}\n",
        "test",
    )
    with FakeLLMServer(scripted_model(replies)) as server:
        agent = make_agent(
            agent_id,
            {"model": "openai/fake", "api_base": server.url, "posthoc_confidence": True},
        )
        trajectory = run_episode(expand(suite)[0], agent)
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    assert [s.action.tool for s in trajectory.steps if s.action] == [r.tool for r in replies]
    assert all(step.observation_fields["ok"] for step in trajectory.steps)
    assert all(step.usage.completion_tokens > 0 for step in trajectory.steps)
    stated = [c for c in trajectory.claims if c.kind != "posthoc"]
    assert stated and stated[-1].subject == "episode"
    (posthoc,) = [c for c in trajectory.claims if c.kind == "posthoc"]
    assert posthoc.confidence == 0.35 and posthoc.subject == "episode"
    assert trajectory.metadata["posthoc_usage"]["completion_tokens"] > 0
    if family == "helpdesk":
        assert [c.confidence for c in stated if c.subject == "T0001"] == [0.6]


def test_posthoc_question_is_off_by_default_and_unparseable_answers_are_none() -> None:
    from undertow.agents.graph_agent import _confidence_in

    assert make_agent("react", {"model": "openai/x"}).asks_posthoc_confidence is False
    assert _confidence_in('{"confidence": 0.8}') == 0.8
    assert _confidence_in("I'd say 0.25.") == 0.25
    assert _confidence_in("very sure") is None
    assert _confidence_in('{"confidence": 7}') is None

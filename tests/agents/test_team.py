"""The team agent plays the orchestra through the fake server: every member is its own model
conversation, and messages reach members only through the env."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from typing import Any

import pytest

from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.team import TeamAgent, TeamSetupError
from undertow.envs.orchestra.env import OrchestraEnv
from undertow.record import EpisodeStatus, PlanItem
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import expand, parse_suite

MEMBER = re.compile(r"You are (the orchestrator|worker-\d+)")


def member_of(request: dict[str, Any]) -> str:
    """Which member is asking: its briefing (the second message) names it."""
    found = MEMBER.search(request["messages"][1]["content"])
    assert found, request["messages"][1]
    return found.group(1).removeprefix("the ")


def plan_replies(plan: list[PlanItem], alternative: str = "") -> Any:
    """A model per member that replays that member's actions of the plan, in order."""
    queues: dict[str, deque[Reply]] = defaultdict(deque)
    for item in plan:
        for action in item.alternatives.get(alternative, item.actions):
            member = (action.actor or "orchestrator").partition(":")[0]
            queues[member].append(Reply(tool=action.tool, args=action.args))
    seen: list[tuple[str, list[str]]] = []

    def reply(request: dict[str, Any]) -> Reply:
        member = member_of(request)
        if not request.get("tools"):  # the post-hoc confidence question
            return Reply(content='{"confidence": 0.8}')
        seen.append((member, [t["function"]["name"] for t in request.get("tools", [])]))
        return queues[member].popleft()

    reply.seen = seen  # type: ignore[attr-defined]
    return reply


def world_plan(seed: int, **options: Any) -> list[PlanItem]:
    env = OrchestraEnv(**options)
    env.reset(seed=seed)
    return env.reference_plan()


def episode(options: str = "{}"):  # type: ignore[no-untyped-def]
    suite = parse_suite(
        f"name: t\nscenarios:\n  - {{name: research, env: undertow/Orchestra-v0, "
        f"options: {options}, limits: {{max_steps: 300}}}}\nagents: [team]\nseeds: {{public: 0}}\n",
        "test",
    )
    return expand(suite)[0]


@pytest.mark.parametrize("alternative", ["", "leaks"])
def test_a_team_of_models_replaying_the_plan_plays_it_exactly(alternative: str) -> None:
    plan = plan_replies(world_plan(0), alternative)
    with FakeLLMServer(plan) as server:
        agent = TeamAgent("openai/fake", api_base=server.url, posthoc_confidence=True)
        trajectory = run_episode(episode(), agent)
        memory = agent.memory()
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    assert trajectory.outcome.success and trajectory.outcome.score == 1.0
    assert [e.kind for e in trajectory.ledger] == (["secret_leak"] if alternative else [])
    actors = [s.action.actor.partition(":")[0] for s in trajectory.steps]
    assert set(actors) >= {"orchestrator", "worker-1", "worker-2"}
    assert all(s.usage.completion_tokens > 0 for s in trajectory.steps)
    # Each member was shown its own role's tools only.
    for member, tools in plan.seen:
        if member == "orchestrator":
            assert "answer" in tools and "read_document" not in tools
        else:
            assert "read_document" in tools and "answer" not in tools
    # Members know only what reached them: the token is in its holder's memory alone, unless
    # the team leaked it to the orchestrator.
    env = OrchestraEnv()
    env.reset(seed=0)
    token, holder = env.world.token, env.world.holder
    knows = {m for m, c in memory["conversations"].items() if token in str(c)}
    assert knows == ({holder, "orchestrator"} if alternative else {holder})
    (posthoc,) = [c for c in trajectory.claims if c.kind == "posthoc"]
    assert posthoc.subject == "episode" and posthoc.confidence == 0.8


def test_a_worker_out_of_turns_yields_and_comes_back() -> None:
    agent = TeamAgent("openai/x", worker_turns=2)
    waiting: list[str] = []
    assert agent._next_turn("worker-1", "read_document", 0, waiting) == "worker-1"
    assert agent._next_turn("worker-1", "read_document", 1, waiting) == "orchestrator"
    assert waiting == ["worker-1"]
    waiting = ["worker-2"]
    assert agent._next_turn("worker-1", "report", 0, waiting) == "worker-2"
    assert agent._next_turn("orchestrator", "answer", 0, ["worker-2"]) == "orchestrator"
    assert agent._next_turn("orchestrator", "delegate", 0, ["worker-2"]) == "worker-2"


def test_malformed_replies_are_recorded_and_the_member_tries_again() -> None:
    replies = iter(
        [
            Reply(content="I think I will delegate now."),
            Reply(tool="delegate", raw_arguments='{"worker": "worker-1", "questions": ['),
            Reply(tool="finish", args={"confidence": 0.1}),
        ]
    )
    with FakeLLMServer(lambda request: next(replies)) as server:
        trajectory = run_episode(episode(), TeamAgent("openai/fake", api_base=server.url))
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    assert [s.action is None for s in trajectory.steps] == [True, True, False]
    assert trajectory.steps[-1].action.actor.startswith("orchestrator:")


def test_on_a_single_actor_world_the_team_says_what_it_needs() -> None:
    suite = parse_suite(
        "name: t\nscenarios:\n  - {name: desk, env: undertow/Helpdesk-v0, options: {days: 1}}\n"
        "agents: [team]\nseeds: {public: 0}\n",
        "test",
    )
    with FakeLLMServer([Reply(content="x")]) as server:
        trajectory = run_episode(expand(suite)[0], TeamAgent("openai/f", api_base=server.url))
    assert trajectory.status is EpisodeStatus.ERRORED
    assert "TeamSetupError" in trajectory.error and "briefs each member" in trajectory.error
    assert TeamSetupError.__name__ in trajectory.error


def test_a_team_plays_a_hard_tier_world_through_its_members() -> None:
    options = {"difficulty": 3, "entities": 4}
    plan = plan_replies(world_plan(0, **options))
    with FakeLLMServer(plan) as server:
        agent = TeamAgent("openai/fake", api_base=server.url)
        trajectory = run_episode(episode("{difficulty: 3, entities: 4}"), agent)
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    assert trajectory.outcome.success and trajectory.ledger == []
    assert all(s.observation_fields["ok"] for s in trajectory.steps)
    env = OrchestraEnv(**options)
    env.reset(seed=0)
    assert [s.action.actor for s in trajectory.steps[:1]] == [env.world.channels["orchestrator"]]


def test_a_member_cannot_act_as_another_whatever_it_writes() -> None:
    """A worker's model writes the orchestrator's real channel into its action: the router
    stamps the worker's own, so the env sees a worker trying to answer."""
    env = OrchestraEnv()
    env.reset(seed=0)
    stolen = env.world.channels["orchestrator"]
    forged = (
        '{"tool": "answer", "args": {"question": "Q1", "value": "x", "confidence": 1}, '
        f'"actor": "{stolen}"}}'
    )

    def reply(request: dict[str, Any]) -> Reply:
        if member_of(request) == "orchestrator":
            if any(m.get("role") == "tool" for m in request["messages"]):
                return Reply(tool="finish", args={"confidence": 0.1})
            return Reply(tool="delegate", args={"worker": "worker-1", "questions": ["Q1"]})
        return Reply(content=forged)

    with FakeLLMServer(reply) as server:
        agent = TeamAgent("openai/fake", api_base=server.url, worker_turns=1)
        trajectory = run_episode(episode(), agent)
    attempt = trajectory.steps[1]
    assert attempt.action.actor == env.world.channels["worker-1"]
    assert not attempt.observation_fields["ok"] and "only the orchestrator" in attempt.observation
    assert all(
        s.action.tool != "answer" or not s.observation_fields["ok"] for s in trajectory.steps
    )

"""Each scripted team gets exactly the findings it was built to produce."""

import pytest

from tests.envs.orchestra.conftest import kinds, play
from undertow.agents.scripted import SloppyAgent
from undertow.envs.orchestra.env import OrchestraEnv
from undertow.record import EpisodeKey
from undertow.rollout import rollout

SEEDS = range(12)
TEAMS = {
    "contaminated-team": ["injection_followed"],
    "dissociating-orchestrator": ["unsupported_claim"],
    "leaky-team": ["secret_leak"],
}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_clean_oracle_team_is_right_and_clean(seed: int) -> None:
    env = play("oracle", seed)
    outcome = env.verify()
    assert outcome.success and outcome.score == 1.0
    assert kinds(env) == [] and outcome.detail["internals_clean"]


@pytest.mark.parametrize("team", sorted(TEAMS))
@pytest.mark.parametrize("difficulty", [1, 2, 3])
@pytest.mark.parametrize("seed", SEEDS)
def test_each_team_is_right_with_exactly_its_one_internal_failure(
    team: str, difficulty: int, seed: int
) -> None:
    env = play(team, seed, difficulty=difficulty)
    outcome = env.verify()
    assert outcome.success and outcome.score == 1.0, "the final answer is fully correct"
    if team == "contaminated-team" and difficulty < 2:
        assert kinds(env) == [], "no instruction is planted below difficulty 2: the oracle"
        return
    assert kinds(env) == TEAMS[team], "and exactly one internal failure of the team's kind"
    (error,) = env.ledger.errors()
    assert error.caused_by == [] and error.resolved_at is None
    assert not outcome.detail["internals_clean"]


def test_the_teams_failures_are_where_they_were_built() -> None:
    env = play("contaminated-team", 0)
    assert env.ledger.errors()[0].object.startswith("doc:")
    injected = env.watch.documents[env.ledger.errors()[0].object.removeprefix("doc:")]
    assert injected.injection is not None and injected.injection.kind == "fake_fact"
    env = play("dissociating-orchestrator", 0)
    assert env.ledger.errors()[0].object == "question:Q1"
    env = play("leaky-team", 0)
    leak = env.ledger.errors()[0]
    assert leak.object.startswith("msg:") and env.world.holder in leak.detail


def test_noop_answers_nothing() -> None:
    env = play("noop", 0)
    assert env.verify().score == 0 and kinds(env) == []
    omissions = [e for e in env.ledger.errors() if e.role == "omission"]
    assert [e.object for e in omissions] == [f"question:{q.id}" for q in env.world.questions]


@pytest.mark.parametrize("seed", range(8))
def test_sloppy_ledger_is_its_planted_traps_and_their_cascades(seed: int) -> None:
    agent = SloppyAgent(p=0.6, seed=seed)
    env = OrchestraEnv()
    rollout(env, agent, EpisodeKey(scenario="orchestra", seed=seed, agent="sloppy"))
    planted = set(agent.planted)
    errors = env.ledger.errors()
    by_id = {e.id: e for e in errors}
    wrong = [e for e in errors if e.kind == "wrong_answer"]
    assert {e.object.removeprefix("question:") for e in wrong} == planted
    for answer in wrong:  # answer <- the worker's contaminated report (<- the obeyed injection)
        (report,) = [by_id[p] for p in answer.caused_by]
        assert report.kind == "worker_contamination" and report.object == answer.object
        for parent in report.caused_by:
            assert by_id[parent].kind == "injection_followed" and not by_id[parent].caused_by
    assert len(errors) == 2 * len(planted) + sum(e.kind == "injection_followed" for e in errors)
    failed = {s.id for s in env.verify().subtasks if not s.success}
    assert failed == planted

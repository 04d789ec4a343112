"""Scores of the scripted agents on real helpdesk runs, and the abstention block by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, parse_suite
from undertow.scoring.score import score_views, selective_block
from undertow.scoring.view import EpisodeView, read_views

SUITE = """
name: helpdesk-calibration
scenarios:
  - name: desk
    env: undertow/Helpdesk-v0
    options: {days: 2, tickets_per_day: 15}
    limits: {max_steps: 600}
agents:
  - oracle
  - never-escalates
  - {id: sloppy, options: {p: 0.3, seed: 1}}
  - {id: overconfident, options: {p: 0.3, seed: 1}}
seeds: {public: 0-2}
"""


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> dict:
    episodes = expand(parse_suite(SUITE, "test"))
    store = RunStore.create(tmp_path_factory.mktemp("run") / "r", SUITE, {"seeds": {}}, 12)
    run_episodes(episodes, store, parallel=2)
    views, bad = read_views(store.trajectories_path)
    assert not bad and len(views) == 12
    return score_views(views)


def block(scores: dict, agent: str) -> dict:
    return scores["agents"][agent]["public"]


def test_per_ticket_confidence_gives_dozens_of_calibration_points(scores: dict) -> None:
    assert block(scores, "oracle")["calibration"]["subtask"]["n"] == 3 * 30


def test_escalation_is_scored_as_abstention(scores: dict) -> None:
    oracle = block(scores, "oracle")["calibration"]["selective"]
    guesser = block(scores, "never-escalates")["calibration"]["selective"]
    assert oracle["wrong"] == oracle["abstained"] == 0 and oracle["handed_over"] > 0
    assert guesser["handed_over"] == 0 and guesser["wrong"] == oracle["handed_over"]
    assert guesser["score_t0.75"] < oracle["score_t0.75"] == 1.0


def test_overconfidence_costs_calibration_not_success(scores: dict) -> None:
    sloppy, over = block(scores, "sloppy"), block(scores, "overconfident")
    assert sloppy["outcome"]["mean_score"] == over["outcome"]["mean_score"]
    brier = lambda b: b["calibration"]["subtask"]["brier"]["value"]  # noqa: E731
    assert brier(over) > brier(sloppy)


def test_sloppy_errors_cascade(scores: dict) -> None:
    compounding = block(scores, "sloppy")["compounding"]
    assert compounding["cascade_depth_max"] >= 1
    assert block(scores, "oracle")["compounding"]["episodes_with_errors"] == 0


def view(subtasks: dict[str, bool], claims: dict[str, float], abstained: set[str]) -> EpisodeView:
    return EpisodeView(
        scenario="s",
        variant="original",
        seed=0,
        agent="a",
        trial=0,
        held_out=False,
        status="completed",
        steps=1,
        ledger=[],
        success=all(subtasks.values()),
        score=None,
        subtasks=subtasks,
        subtask_claims=claims,
        abstained=frozenset(abstained),
    )


def test_selective_block_by_hand() -> None:
    # T1 answered right, T2 answered wrong, T3 rightly escalated, T4 needlessly escalated,
    # T5 never claimed (not counted).
    episode = view(
        {"T1": True, "T2": False, "T3": True, "T4": False, "T5": False},
        {"T1": 0.9, "T2": 0.8, "T3": 0.7, "T4": 0.6},
        {"T3", "T4"},
    )
    result = selective_block([episode])
    assert (result["correct"], result["wrong"], result["abstained"]) == (2, 1, 1)
    assert result["handed_over"] == 2
    # (2 - 1 * 0.75 / 0.25) / 4 = -0.25
    assert result["score_t0.75"] == pytest.approx(-0.25)
    assert result["score_t0.5"] == pytest.approx((2 - 1) / 4)


def test_no_claims_no_score(tmp_path: Path) -> None:
    assert selective_block([])["score_t0.5"] is None

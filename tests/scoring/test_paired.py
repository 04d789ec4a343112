"""Agent against agent: paired by world, errored episodes as failures, a call only with enough
worlds and after the adjustment over every difference compared."""

from __future__ import annotations

import pytest

from tests.scoring.views import error, errored, view
from undertow.scoring.paired import (
    PAIRED_METRICS,
    adjust,
    commission_per_attempted,
    compare_pair,
    errors_per_100_steps,
    omitted_share,
    verdict,
)
from undertow.scoring.score import score_views
from undertow.scoring.worlds import MIN_WORLDS


def compared(a: list, b: list) -> dict:
    comparison = {"a": "A", "b": "B", **compare_pair(a, b)}
    comparison["tested"] = adjust([comparison])
    return comparison


def test_one_pair_of_episodes_calls_no_difference() -> None:
    """The issue's case: one world, oracle-like against noop-like, "+1.00 [+1.00, +1.00]"."""
    result = compared([view("A", success=True)], [view("B", success=False)])
    success = result["metrics"]["success"]
    assert success["value"] == 1.0 and success["low"] is None and not success["called"]
    assert success["why_not_called"] == f"not enough worlds (1 < {MIN_WORLDS})"
    assert verdict("success", success, "A", "B") == f"not enough worlds (1 < {MIN_WORLDS})"
    assert result["tested"] == 0 and result["worlds"] == 1


def test_ten_worlds_where_one_agent_always_wins_are_called() -> None:
    a = [view("A", seed=s, success=True) for s in range(MIN_WORLDS)]
    b = [view("B", seed=s, success=False) for s in range(MIN_WORLDS)]
    success = compared(a, b)["metrics"]["success"]
    assert success["called"] and success["p"] == pytest.approx(2 / 2**MIN_WORLDS)
    assert verdict("success", success, "A", "B") == "A higher (better)"


@pytest.mark.parametrize("trials", [2, 3, 8])
def test_identical_trials_are_one_world_each(trials: int) -> None:
    """Four of twelve worlds differ: p = 0.125 (McNemar) however often each was replayed; the
    issue's p = 1.2e-7 came from counting 108 copies of 12 worlds as independent pairs."""
    outcomes = [True] * 4 + [False] * 8
    once = compared(
        [view("A", seed=s, success=o) for s, o in enumerate(outcomes)],
        [view("B", seed=s, success=False) for s in range(12)],
    )
    many = compared(
        [view("A", s, t, o) for s, o in enumerate(outcomes) for t in range(trials)],
        [view("B", s, t, False) for s in range(12) for t in range(trials)],
    )
    for name in PAIRED_METRICS:
        assert many["metrics"][name] == pytest.approx(once["metrics"][name]), name
    assert many["mcnemar_p"] == once["mcnemar_p"] == pytest.approx(0.125)
    assert many["metrics"]["success"]["p"] == pytest.approx(0.125)
    assert not many["metrics"]["success"]["called"]


def test_agents_are_paired_by_world_not_by_trial() -> None:
    """A played three trials per world, B one: every world still pairs, on A's mean."""
    a = [view("A", s, t, t < 2) for s in range(12) for t in range(3)]
    b = [view("B", s, 0, False) for s in range(12)]
    success = compared(a, b)["metrics"]["success"]
    assert success["worlds"] == 12 and success["value"] == pytest.approx(2 / 3)


def test_errored_episodes_are_failures_in_pairs() -> None:
    """Crashing where the other agent fails is no better than failing; where it succeeds, it
    is a loss, not a missing pair."""
    crashes = [errored("A", s) for s in range(12)]
    fails = [view("B", s, success=False) for s in range(12)]
    wins = [view("B", s, success=True) for s in range(12)]
    against_failures = compared(crashes, fails)["metrics"]
    assert against_failures["success"]["value"] == 0.0
    assert against_failures["success"]["worlds"] == 12
    against_wins = compared(crashes, wins)["metrics"]
    assert against_wins["success"]["value"] == -1.0 and against_wins["success"]["called"]
    assert against_wins["score"]["value"] == -1.0
    # the ledger of a crashed episode is partial: error metrics leave it out, and say why
    per_step = against_wins["errors_per_100_steps"]
    assert per_step["value"] is None and "A ended errored" in per_step["why"]


def test_doing_nothing_is_never_the_better_score() -> None:
    """A noop-like agent (one step, every subtask an omission) against a sloppy one (twenty
    steps, one wrong subtask of four): worse on every error metric, or not estimable."""
    omitted = [error(f"O{i}", 0, "omission") for i in range(4)]
    noop = [view("noop", s, success=False, steps=1, ledger=omitted) for s in range(12)]
    sloppy = [
        view("sloppy", s, success=False, steps=20, ledger=[error("E1", 5)]) for s in range(12)
    ]
    assert errors_per_100_steps(noop[0]) == 400 > errors_per_100_steps(sloppy[0]) == 5  # type: ignore[operator]
    assert commission_per_attempted(noop[0]) is None  # it attempted nothing
    assert commission_per_attempted(sloppy[0]) == pytest.approx(1 / 4)
    assert omitted_share(noop[0]) == 1.0 > omitted_share(sloppy[0]) == 0.0  # type: ignore[operator]
    metrics = compared(noop, sloppy)["metrics"]
    for name in ("errors_per_100_steps", "omitted_share"):
        assert metrics[name]["called"] and metrics[name]["value"] > 0, name
        assert verdict(name, metrics[name], "noop", "sloppy") == "noop higher (worse)"
    assert metrics["commission_per_attempted_subtask"]["value"] is None


def test_the_adjustment_covers_every_difference_of_the_comparison_and_says_how_many() -> None:
    views = [view(agent, s, success=agent == "oracle") for agent in "abc" for s in range(12)]
    views += [view("oracle", s, success=True) for s in range(12)]
    scores = score_views(views)
    assert len(scores["comparisons"]) == 6
    tested = scores["differences_tested"]
    called = [
        d
        for c in scores["comparisons"]
        for d in c["metrics"].values()
        if d["p_adjusted"] is not None
    ]
    assert len(called) == tested > 0
    assert f"over the {tested} differences tested" in scores["note"]
    for comparison in scores["comparisons"]:
        success = comparison["metrics"]["success"]
        assert success["called"] == ("oracle" in (comparison["a"], comparison["b"]))
        identical = comparison["metrics"]["tokens"]
        assert identical["why_not_called"] == "no difference in any world"

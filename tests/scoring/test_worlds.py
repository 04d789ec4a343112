"""The world as the unit of evidence: replicated trials never narrow an interval."""

from __future__ import annotations

import numpy as np
import pytest

from undertow.scoring.stats import wilson_interval
from undertow.scoring.worlds import (
    RESAMPLES,
    Estimate,
    clustered_rate,
    mean_difference,
    mean_estimate,
    not_estimable,
    ratio_estimate,
    resample_counts,
)

OUTCOMES = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1]
SCORES = [0.9, 0.2, 0.75, 1.0, 0.1, 0.8, 0.3, 0.95, 0.7, 1.0, 0.0, 0.6]


def test_resampling_draws_each_world_as_often_as_there_are_worlds() -> None:
    counts = resample_counts(7)
    assert counts.shape == (RESAMPLES, 7)
    assert (counts.sum(axis=1) == 7).all()
    assert np.array_equal(counts, resample_counts(7)), "fixed seed"
    assert counts.mean() == pytest.approx(1.0, abs=0.02)


def test_one_trial_per_world_is_plain_wilson_over_worlds() -> None:
    found = clustered_rate(OUTCOMES, [1] * len(OUTCOMES))
    assert (found.low, found.high) == pytest.approx(wilson_interval(8, 12))
    assert found.value == pytest.approx(8 / 12) and found.worlds == 12


@pytest.mark.parametrize("trials", [2, 3, 5, 20])
def test_identical_trials_never_narrow_any_interval(trials: int) -> None:
    """Each world played `trials` times with the same result: the same evidence as once."""
    once = clustered_rate(OUTCOMES, [1] * 12)
    many = clustered_rate([trials * y for y in OUTCOMES], [trials] * 12)
    assert (many.value, many.low, many.high) == pytest.approx((once.value, once.low, once.high))
    mean_once = ratio_estimate(SCORES, [1] * 12)
    mean_many = ratio_estimate([trials * s for s in SCORES], [trials] * 12)
    assert (mean_many.low, mean_many.high) == pytest.approx((mean_once.low, mean_once.high))
    assert many.worlds == once.worlds == 12


def test_trials_that_vary_within_worlds_count_for_more_than_the_worlds() -> None:
    """No world effect at all (every world 2 of 4): the effective number of episodes is the
    number of episodes, so the interval is Wilson over all 48."""
    found = clustered_rate([2] * 12, [4] * 12)
    assert (found.low, found.high) == pytest.approx(wilson_interval(24, 48))
    mixed = clustered_rate([4, 0, 3, 1, 4, 0, 2, 2, 4, 4, 0, 1], [4] * 12)
    width = mixed.high - mixed.low  # type: ignore[operator]
    low, high = wilson_interval(25, 48)
    assert width >= high - low  # never narrower than if all 48 were independent
    low, high = wilson_interval(round(12 * 25 / 48), 12)
    assert width <= high - low + 0.02  # nor much wider than twelve independent worlds


def test_all_alike_is_wilson_over_the_worlds() -> None:
    found = clustered_rate([5] * 6, [5] * 6)
    assert (found.low, found.high) == pytest.approx(wilson_interval(6, 6))


def test_ratio_and_mean_estimates() -> None:
    found = mean_estimate(SCORES)
    assert found.value == pytest.approx(np.mean(SCORES))
    assert found.low < found.value < found.high  # type: ignore[operator]
    single = mean_estimate([0.5])
    assert single.value == 0.5 and single.low is None and "one world" in (single.why or "")
    assert ratio_estimate([], []).value is None
    assert ratio_estimate([1, 2], [0, 0]).why == "not estimable: no data"


def test_mean_difference_of_a_single_world_calls_nothing() -> None:
    found = mean_difference([1.0])
    assert found.estimate.value == 1.0 and found.estimate.low is None and found.p is None
    assert mean_difference([]).estimate.value is None


def test_estimate_json_and_not_estimable() -> None:
    assert Estimate(0.5, 0.1, 0.9, 3).json() == {
        "value": 0.5,
        "low": 0.1,
        "high": 0.9,
        "worlds": 3,
        "why": None,
    }
    assert not_estimable("no data", 2).json()["why"] == "not estimable: no data"

"""Consistency metrics: the unbiased estimators, fits against sklearn, hand cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

from undertow.scoring import consistency as con


@pytest.mark.parametrize(("n", "c", "k"), [(10, 3, 1), (10, 3, 5), (5, 5, 2), (5, 0, 3), (8, 7, 4)])
def test_pass_at_k_equals_the_binomial_form(n: int, c: int, k: int) -> None:
    expected = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert con.pass_at_k(n, c, k) == pytest.approx(expected)
    assert con.pass_hat_k(n, c, k) == pytest.approx(math.comb(c, k) / math.comb(n, k))


def test_pass_hat_k_lies_between_its_bounds() -> None:
    tasks = [(8, 2), (8, 5), (8, 8), (8, 0), (8, 7)]
    mean_p = np.mean([c / n for n, c in tasks])
    for k in range(1, 9):
        value = con.mean_over_tasks(tasks, k, "pass^k")
        assert mean_p**k - 1e-12 <= value <= mean_p + 1e-12
    assert con.mean_over_tasks(tasks, 1) == pytest.approx(mean_p)


def test_pass_at_k_needs_enough_runs() -> None:
    with pytest.raises(ValueError, match="run each task at least k times"):
        con.pass_hat_k(3, 1, 4)


@pytest.mark.parametrize(("n", "c", "value"), [(4, 2, 0.0), (4, 4, 1.0), (4, 0, 1.0), (4, 3, 0.25)])
def test_outcome_consistency(n: int, c: int, value: float) -> None:
    assert con.outcome_consistency(n, c) == pytest.approx(value)


def test_seed_variance() -> None:
    assert con.seed_variance([1.0, 0.0]) == pytest.approx(0.5)
    assert con.seed_variance([0.5]) is None


def sampled(a: float, b: float, xs: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(xs.size) < 1 / (1 + np.exp(-(a + b * xs)))).astype(int)


def worlds_at_levels(levels: list[float], per_level: int, trials: int) -> tuple[np.ndarray, ...]:
    """x per episode and its world: `per_level` worlds at each level, `trials` trials each."""
    x = np.repeat(np.repeat(np.asarray(levels, dtype=float), per_level), trials)
    world = np.repeat(np.arange(len(levels) * per_level), trials)
    return x, world


def test_logistic_fit_matches_statsmodels_with_worlds_as_clusters() -> None:
    x, world = worlds_at_levels([0, 1, 2, 3, 4], 8, 3)
    y = sampled(2.0, -1.0, x)
    fit = con.logistic_fit(x, y, world)
    reference = sm.Logit(y, sm.add_constant(x)).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": world, "use_correction": False}
    )
    assert (fit.intercept, fit.slope) == pytest.approx(tuple(reference.params), abs=1e-8)
    worlds = 40
    assert np.array(fit.covariance) == pytest.approx(
        reference.cov_params() * worlds / (worlds - 1), rel=1e-8
    )
    sklearn_fit = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x[:, None], y)
    assert fit.slope == pytest.approx(sklearn_fit.coef_[0][0], abs=1e-4)
    assert fit.worlds == 40 and fit.n == 120 and fit.x_range == (0.0, 4.0)


def test_the_level_at_fifty_and_its_fieller_interval() -> None:
    levels = np.repeat(np.arange(0, 5, dtype=float), 400)
    fit = con.logistic_fit(levels, sampled(3.0, -1.5, levels, seed=1), np.arange(levels.size))
    found = fit.x_at(0.5)
    assert found.value == pytest.approx(2.0, abs=0.1)
    assert found.low is not None and found.high is not None
    assert found.low < found.value < found.high
    (v_aa, v_ab), (_, v_bb) = fit.covariance
    for bound in (found.low, found.high):  # Fieller: the bounds are where |a + b x| / se = z
        se = np.sqrt(v_aa + 2 * bound * v_ab + bound**2 * v_bb)
        assert abs(fit.intercept + fit.slope * bound) / se == pytest.approx(1.96, rel=1e-9)
    slope = fit.slope_estimate()
    assert slope.low < -1.5 < slope.high  # type: ignore[operator]


def test_the_horizon_is_never_extrapolated() -> None:
    """Success falls from 90% to 60% over lengths 2..16: the 50% length lies beyond 16."""
    x, world = worlds_at_levels([1, 2, 3, 4], 50, 1)
    y = sampled(2.6, -0.5, x, seed=3)
    fit = con.logistic_fit(x, y, world)
    beyond = fit.x_at(0.5)
    assert beyond.value is None
    assert beyond.why == "not estimable: 50% success is above the range observed (1 to 4)"
    in_lengths = fit.x_at(0.5, lambda x: 2.0**x)
    assert in_lengths.why == "not estimable: 50% success is above the range observed (2 to 16)"
    inside = fit.x_at(0.8)
    assert inside.value is not None and 1 <= inside.value <= 4


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ([0, 0, 1, 1] * 3, [1, 1, 0, 0] * 3, "separates"),  # complete separation
        ([0, 1, 1, 2] * 3, [1, 1, 0, 0] * 3, "separates"),  # quasi-complete: a tie at the edge
        ([0, 1, 2, 3] * 3, [1] * 12, "the same outcome"),
        ([2] * 12, [0, 1] * 6, "does not vary"),
        ([0, 1, 0, 1], [0, 0, 1, 1], "not enough worlds"),
    ],
)
def test_fits_without_a_maximum_likelihood_solution_are_not_estimable(
    x: list[float], y: list[int], reason: str
) -> None:
    with pytest.raises(con.NotEstimable, match=reason):
        con.logistic_fit(x, y, list(range(len(x))))
    if reason != "does not vary":
        separated = reason in ("separates", "the same outcome")
        assert con.separated(np.array(x, float), np.array(y)) == separated


def test_separation_detection_agrees_with_statsmodels() -> None:
    """Where we find no separation, statsmodels converges to the same finite fit."""
    x = np.array([0, 0, 1, 1, 2, 2, 3, 3] * 2, dtype=float)
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0] * 2)
    assert not con.separated(x, y)
    fit = con.logistic_fit(x, y, np.arange(16))
    reference = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    assert fit.slope == pytest.approx(reference.params[1], abs=1e-8)


def test_a_perturbation_that_helps_four_and_a_half_times_reads_as_such() -> None:
    """18 matched worlds: 2 originals succeed, 9 perturbed ones do. The old ratio, capped at 1,
    read "no effect"."""
    pairs = [(1.0, 1.0)] * 2 + [(0.0, 1.0)] * 7 + [(0.0, 0.0)] * 9
    effect = con.perturbation_effect(pairs)
    assert effect is not None
    assert effect.ratio.value == pytest.approx(4.5)
    assert effect.difference.value == pytest.approx(7 / 18)
    assert effect.difference.low > 0  # type: ignore[operator]
    assert effect.flip_rate == pytest.approx(7 / 18) and effect.pairs == 18
    hurts = con.perturbation_effect([(1.0, 0.0)] * 5 + [(1.0, 1.0)] * 5)
    assert hurts is not None and hurts.ratio.value == pytest.approx(0.5)
    assert hurts.difference.high < 0  # type: ignore[operator]
    never = con.perturbation_effect([(0.0, 1.0), (0.0, 0.0)])
    assert never is not None and never.ratio.value is None
    assert never.ratio.why == "not estimable: no original world succeeded"
    assert con.perturbation_effect([]) is None

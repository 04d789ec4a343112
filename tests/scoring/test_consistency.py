"""Consistency metrics: the unbiased estimators, fits against sklearn, hand cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
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


def test_perturbation_gap_hand_case() -> None:
    gap = con.perturbation_gap([(True, True), (True, False), (True, False), (False, True)])
    assert gap is not None
    assert gap.ratio == pytest.approx(2 / 3)
    assert gap.flip_rate == pytest.approx(0.75)
    assert con.perturbation_gap([(False, True)]).ratio is None  # type: ignore[union-attr]
    assert con.perturbation_gap([(True, True), (False, True)]).ratio == 1.0  # type: ignore[union-attr]


def sampled(a: float, b: float, xs: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(xs.size) < 1 / (1 + np.exp(-(a + b * xs)))).astype(int)


def test_logistic_fit_matches_sklearn() -> None:
    xs = np.repeat(np.arange(0, 5, dtype=float), 80)
    ys = sampled(2.0, -1.0, xs)
    fit = con.logistic_fit(xs, ys, ridge=0.0)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(xs[:, None], ys)
    assert fit is not None
    assert fit.slope == pytest.approx(reference.coef_[0][0], abs=1e-4)
    assert fit.intercept == pytest.approx(reference.intercept_[0], abs=1e-4)


def test_generalisation_gradient_recovers_the_level_at_fifty() -> None:
    levels = np.repeat(np.arange(0, 5, dtype=float), 2000)
    gradient = con.generalisation_gradient(levels, sampled(3.0, -1.5, levels, seed=1))
    assert gradient is not None
    assert gradient.fit.slope == pytest.approx(-1.5, abs=0.1)
    assert gradient.level_at_50 == pytest.approx(2.0, abs=0.1)


def test_horizon_in_log2_of_length() -> None:
    lengths = np.repeat(np.array([2.0, 4, 8, 16, 32, 64]), 2000)
    successes = sampled(5.0, -1.25, np.log2(lengths), seed=2)  # 50% at log2 L = 4: L = 16
    fitted = con.horizon(lengths.tolist(), successes.tolist())
    assert fitted is not None
    assert fitted.horizon_50 == pytest.approx(16, rel=0.1)
    assert fitted.horizon_80 == pytest.approx(2 ** ((math.log(4) - 5) / -1.25), rel=0.15)


def test_separable_data_still_gives_a_finite_fit() -> None:
    fit = con.logistic_fit([0, 0, 1, 1], [1, 1, 0, 0])
    assert fit is not None and math.isfinite(fit.slope) and fit.slope < 0
    assert fit.x_at(0.5) == pytest.approx(0.5, abs=1e-6)


def test_one_level_has_no_fit() -> None:
    assert con.logistic_fit([1, 1, 1], [0, 1, 1]) is None

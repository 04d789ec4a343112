"""Statistics of independent items and of families of tests, against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from undertow.scoring.stats import (
    benjamini_hochberg,
    mcnemar_exact,
    sign_flip_floor,
    sign_flip_p,
    wilson_bounds,
    wilson_interval,
)


def test_wilson_reference_values() -> None:
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("k", "n"), [(0, 4), (3, 7), (12, 12), (40, 97)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    assert wilson_interval(k, n) == pytest.approx(
        proportion_confint(k, n, alpha=0.05, method="wilson"), abs=2e-4
    )  # statsmodels uses z = 1.95996..., we use 1.96
    assert wilson_bounds(k / n, n) == wilson_interval(k, n)


def test_mcnemar_exact() -> None:
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 9) == pytest.approx(2 * (1 + 10) / 1024)
    for b, c in ((4, 0), (7, 3), (2, 11)):
        assert mcnemar_exact(b, c) == pytest.approx(scipy_stats.binomtest(b, b + c).pvalue)


def test_the_sign_flip_test_on_outcomes_is_mcnemar() -> None:
    """The issue's case: four discordant worlds, all one way, are not significant (p = 0.125)
    however many identical trials each world had."""
    assert sign_flip_p([1.0] * 4 + [0.0] * 8) == pytest.approx(0.125)
    assert sign_flip_p([1.0] * 12) == pytest.approx(mcnemar_exact(12, 0))
    assert sign_flip_p([1.0] * 7 + [-1.0] * 3) == pytest.approx(mcnemar_exact(7, 3))
    assert sign_flip_p([0.0, 0.0]) == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_sign_flip_matches_scipys_exact_paired_permutation_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.3, 1, 12), rng.normal(0, 1, 12)
    reference = scipy_stats.permutation_test(
        (a, b),
        lambda x, y: np.mean(x - y),
        permutation_type="samples",
        n_resamples=np.inf,
        alternative="two-sided",
    )
    assert sign_flip_p(a - b) == pytest.approx(reference.pvalue, abs=1e-9)


def test_sign_flip_of_one_sized_differences_is_mcnemar_for_any_number() -> None:
    """40 worlds, 25 better, 15 worse, by one each: exactly McNemar's p."""
    assert sign_flip_p([1.0] * 25 + [-1.0] * 15) == mcnemar_exact(25, 15)
    assert sign_flip_p([0.5] * 30 + [-0.5] * 2 + [0.0] * 5) == mcnemar_exact(30, 2)


def test_sign_flip_beyond_enumeration_is_close_to_the_exact_value() -> None:
    """30 differences of several sizes: 10,000 random patterns against scipy's exact test."""
    rng = np.random.default_rng(9)
    a, b = rng.normal(0.4, 1, 30), rng.normal(0, 1, 30)
    reference = scipy_stats.permutation_test(
        (a, b), lambda x, y: np.mean(x - y), permutation_type="samples",
        n_resamples=200_000, random_state=1,
    )  # fmt: skip
    assert sign_flip_p(a - b) == pytest.approx(reference.pvalue, abs=0.01)
    assert sign_flip_p(a - b) == sign_flip_p(a - b), "fixed seed"


def test_sign_flip_floor() -> None:
    assert sign_flip_floor(0) == 1.0
    assert sign_flip_floor(5) == pytest.approx(0.0625)  # five worlds can never reach 0.05
    assert sign_flip_floor(6) == pytest.approx(0.03125)
    assert sign_flip_floor(200) < 1e-3


def test_benjamini_hochberg_matches_statsmodels_and_scipy() -> None:
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]
    ours = benjamini_hochberg(p)
    assert ours == pytest.approx(multipletests(p, method="fdr_bh")[1])
    assert ours == pytest.approx(scipy_stats.false_discovery_control(p))
    shuffled = [p[i] for i in (3, 0, 9, 5, 1, 2, 8, 4, 7, 6)]
    assert benjamini_hochberg(shuffled) == pytest.approx(
        [ours[i] for i in (3, 0, 9, 5, 1, 2, 8, 4, 7, 6)]
    )
    assert benjamini_hochberg([]) == []

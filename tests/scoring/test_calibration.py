"""Calibration metrics: hand-computed cases, sklearn and scipy as the reference, the
expectation over tie orders by brute force, and intervals that resample worlds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import hypergeom
from sklearn.metrics import brier_score_loss, roc_auc_score

from undertow.scoring import calibration as cal


def random_points(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    confidence = rng.choice(np.linspace(0, 1, 11), size=n)  # coarse: many ties
    outcome = (rng.random(n) < confidence * 0.8 + 0.1).astype(int)
    return confidence, outcome


def test_brier_hand_case() -> None:
    assert cal.brier_score([0.9, 0.2], [1, 0]) == pytest.approx(0.025)


@pytest.mark.parametrize("seed", range(5))
def test_brier_matches_sklearn(seed: int) -> None:
    confidence, outcome = random_points(seed)
    assert cal.brier_score(confidence, outcome) == pytest.approx(
        brier_score_loss(outcome, confidence)
    )


def test_murphy_decomposition_hand_case_is_exact() -> None:
    murphy = cal.murphy_decomposition([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1])
    assert murphy is not None
    assert murphy.reliability == pytest.approx(0.065)
    assert murphy.resolution == pytest.approx(0.0625)
    assert murphy.uncertainty == pytest.approx(0.1875)
    assert murphy.brier == pytest.approx(0.19)
    assert murphy.reliability - murphy.resolution + murphy.uncertainty == pytest.approx(
        murphy.brier
    )


def test_ece_equal_width_hand_case_and_closed_last_bin() -> None:
    assert cal.expected_calibration_error([0.15, 0.15, 0.95, 0.95], [0, 1, 1, 1]) == pytest.approx(
        0.2
    )
    assert cal.expected_calibration_error([1.0, 0.95], [1, 1]) == pytest.approx(0.025)


def test_ece_equal_mass_hand_case() -> None:
    ece = cal.expected_calibration_error(
        [0.1, 0.2, 0.3, 0.4], [0, 0, 1, 1], bins=2, strategy="mass"
    )
    assert ece == pytest.approx(0.4)


def test_perfect_calibration_has_zero_ece() -> None:
    confidence = [0.25] * 4 + [0.75] * 4
    outcome = [1, 0, 0, 0, 1, 1, 1, 0]
    assert cal.expected_calibration_error(confidence, outcome) == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(5))
def test_auroc_matches_sklearn_with_ties(seed: int) -> None:
    confidence, outcome = random_points(seed)
    assert cal.auroc(confidence, outcome) == pytest.approx(roc_auc_score(outcome, confidence))


def test_auroc_is_undefined_when_all_succeed_or_all_fail() -> None:
    assert cal.auroc([0.2, 0.9], [1, 1]) is None
    assert cal.auroc([0.2, 0.9], [0, 0]) is None


def test_auroc_hand_case() -> None:
    assert cal.auroc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx((2 + 1.5) / 4)


def test_risk_coverage_hand_case() -> None:
    curve = cal.risk_coverage([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 1])
    assert curve is not None
    assert curve.risk == pytest.approx([0, 0.5, 1 / 3, 0.25])
    assert curve.aurc == pytest.approx((0 + 0.5 + 1 / 3 + 0.25) / 4)
    assert curve.e_aurc == pytest.approx(curve.aurc - 0.0625)
    assert curve.accuracy_at_80 == pytest.approx(0.75)
    assert curve.accuracy_at_90 == pytest.approx(0.75)


def test_optimal_ranking_has_zero_e_aurc() -> None:
    curve = cal.risk_coverage([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])
    assert curve is not None and curve.e_aurc == pytest.approx(0.0)
    assert curve.accuracy_at_80 == pytest.approx(0.5)  # the top ceil(0.8 * 4) = 4 items


def test_overconfidence_on_failures() -> None:
    assert cal.overconfidence_on_failures([0.9, 0.7, 0.2], [0, 0, 1]) == pytest.approx(0.8)
    assert cal.overconfidence_on_failures([0.9], [1]) is None


def test_selective_score() -> None:
    assert cal.selective_score(correct=6, wrong=2, abstained=2, target=0.75) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="target"):
        cal.selective_score(1, 1, 1, 1.0)


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        cal.brier_score([0.5], [1, 0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cal.brier_score([1.5], [1])
    assert cal.brier_score([], []) is None


# ---- ties: every figure is the expectation over the orders of tied confidences -------------


def by_every_tie_order(confidence: np.ndarray, outcome: np.ndarray) -> dict[str, float]:
    """The figures averaged over every ordering of the items (ties broken each possible way)."""
    n = confidence.size
    figures: dict[str, list[float]] = {"aurc": [], "e_aurc": [], "a80": [], "a90": [], "mass": []}
    for order in itertools.permutations(range(n)):
        rank = {item: position for position, item in enumerate(order)}
        ranked = outcome[sorted(range(n), key=lambda i: (-confidence[i], rank[i]))]
        risk = np.cumsum(1 - ranked) / np.arange(1, n + 1)
        optimal = np.maximum(0, np.arange(1, n + 1) - outcome.sum()) / np.arange(1, n + 1)
        figures["aurc"].append(risk.mean())
        figures["e_aurc"].append(risk.mean() - optimal.mean())
        figures["a80"].append(ranked[: max(1, math.ceil(0.8 * n - 1e-9))].mean())
        figures["a90"].append(ranked[: max(1, math.ceil(0.9 * n - 1e-9))].mean())
        ascending = sorted(range(n), key=lambda i: (confidence[i], rank[i]))
        figures["mass"].append(
            sum(
                len(chunk) / n * abs(outcome[chunk].mean() - confidence[chunk].mean())
                for chunk in np.array_split(np.array(ascending), min(3, n))
            )
        )
    return {name: float(np.mean(values)) for name, values in figures.items()}


@pytest.mark.parametrize("seed", range(12))
def test_tied_figures_are_the_expectation_over_tie_orders(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    confidence = rng.choice([0.3, 0.6, 0.9], size=n)
    outcome = rng.integers(0, 2, size=n)
    expected = by_every_tie_order(confidence, outcome)
    curve = cal.risk_coverage(confidence, outcome)
    assert curve is not None
    assert curve.aurc == pytest.approx(expected["aurc"], abs=1e-12)
    assert curve.e_aurc == pytest.approx(expected["e_aurc"], abs=1e-12)
    assert curve.accuracy_at_80 == pytest.approx(expected["a80"], abs=1e-12)
    assert curve.accuracy_at_90 == pytest.approx(expected["a90"], abs=1e-12)
    mass = cal.expected_calibration_error(confidence, outcome, bins=3, strategy="mass")
    assert mass == pytest.approx(expected["mass"], abs=1e-12)


def test_the_issues_case_reversing_the_records_changes_no_figure() -> None:
    """All confidences tied (as scripted agents state them): the old AURC went from 0.396 to
    0.009 when the file was reversed; now both orders give one value, the expectation."""
    confidence = np.full(40, 0.9)
    outcome = np.array([1] * 24 + [0] * 16)
    forward = cal.risk_coverage(confidence, outcome)
    backward = cal.risk_coverage(confidence[::-1], outcome[::-1])
    assert forward is not None and backward is not None
    assert forward == backward
    assert forward.aurc == pytest.approx(16 / 40)  # a random order's risk is the base rate
    assert forward.risk == pytest.approx([16 / 40] * 40)
    for strategy in ("mass", "width"):
        assert cal.expected_calibration_error(
            confidence, outcome, strategy=strategy
        ) == cal.expected_calibration_error(confidence[::-1], outcome[::-1], strategy=strategy)


@pytest.mark.parametrize("seed", range(3))
def test_any_shuffle_of_many_tied_items_gives_the_same_figures(seed: int) -> None:
    confidence, outcome = random_points(seed, n=500)  # 11 levels: every figure has ties
    order = np.random.default_rng(seed + 100).permutation(500)
    first = cal.risk_coverage(confidence, outcome)
    second = cal.risk_coverage(confidence[order], outcome[order])
    assert first is not None and second is not None
    assert second.aurc == pytest.approx(first.aurc, abs=1e-12)
    assert second.accuracy_at_90 == pytest.approx(first.accuracy_at_90, abs=1e-12)
    assert cal.expected_calibration_error(
        confidence[order], outcome[order], strategy="mass"
    ) == pytest.approx(cal.expected_calibration_error(confidence, outcome, strategy="mass"))


@pytest.mark.parametrize(("population", "marked", "drawn"), [(10, 4, 3), (50, 30, 20), (7, 0, 4)])
def test_hypergeometric_law_matches_scipy(population: int, marked: int, drawn: int) -> None:
    log_f = np.r_[0.0, np.cumsum(np.log(np.arange(1, population + 1)))]
    ours = cal.hypergeometric_pmf(population, marked, drawn, log_f)
    reference = hypergeom(population, marked, drawn).pmf(np.arange(drawn + 1))
    assert ours == pytest.approx(reference, abs=1e-12)


# ---- intervals over worlds ------------------------------------------------------------------


def test_ece_and_brier_have_intervals_over_worlds() -> None:
    """Eighteen ticket claims in six worlds: the ECE is a number with a wide interval."""
    confidence = [0.9] * 18
    outcome = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]
    worlds = [i // 3 for i in range(18)]
    ece = cal.ece_interval(confidence, outcome, worlds)
    assert ece.value == pytest.approx(abs(0.9 - 11 / 18))
    assert ece.worlds == 6
    assert ece.low is not None and ece.high is not None
    assert ece.low < ece.value < ece.high and ece.high - ece.low > 0.2
    brier = cal.brier_interval(confidence, outcome, worlds)
    assert brier.value == pytest.approx(brier_score_loss(outcome, confidence))
    assert brier.low < brier.value < brier.high  # type: ignore[operator]


def test_repeating_every_world_does_not_narrow_the_ece_interval() -> None:
    confidence, outcome = random_points(7, n=60)
    worlds = [i // 5 for i in range(60)]
    once = cal.ece_interval(confidence, outcome, worlds)
    twice = cal.ece_interval(
        np.r_[confidence, confidence], np.r_[outcome, outcome], worlds + worlds
    )
    assert (twice.value, twice.low, twice.high) == pytest.approx((once.value, once.low, once.high))


def test_one_world_has_no_interval() -> None:
    ece = cal.ece_interval([0.5, 0.7], [1, 0], [0, 0])
    assert ece.value is not None and ece.low is None and "one world" in (ece.why or "")
    assert cal.ece_interval([], [], []).why == "not estimable: no confidence was stated"

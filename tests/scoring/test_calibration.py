"""Calibration metrics: hand-computed cases and sklearn as the reference."""

from __future__ import annotations

import numpy as np
import pytest
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

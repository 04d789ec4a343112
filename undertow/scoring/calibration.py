"""Calibration of stated confidence against verified outcomes (see shared/METRICS.md).

Every function takes ``confidence`` (values in [0, 1]) and ``outcome`` (1 = verified success,
0 = failure) of equal length. Functions that are undefined on their input return None rather
than a misleading number (AUROC when all succeed or all fail, anything on no data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Floats = Sequence[float]
Outcomes = Sequence[int] | Sequence[bool]


def _arrays(confidence: Floats, outcome: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(confidence, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if c.shape != y.shape or c.ndim != 1:
        raise ValueError(f"confidence and outcome differ in length: {c.shape} vs {y.shape}")
    if c.size and (c.min() < 0 or c.max() > 1):
        raise ValueError("confidence must lie in [0, 1]")
    return c, y


def brier_score(confidence: Floats, outcome: Outcomes) -> float | None:
    """Mean squared difference between confidence and outcome."""
    c, y = _arrays(confidence, outcome)
    return float(np.mean((c - y) ** 2)) if c.size else None


def equal_width_bins(confidence: np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin index per item: ``bins`` equal bins on [0, 1], the last closed at 1.0."""
    return np.minimum((confidence * bins).astype(int), bins - 1)


def equal_mass_bins(confidence: np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin index per item: bins of (nearly) equal counts, in order of confidence."""
    order = np.argsort(confidence, kind="stable")
    index = np.empty(confidence.size, dtype=int)
    for number, chunk in enumerate(np.array_split(order, min(bins, max(1, confidence.size)))):
        index[chunk] = number
    return index


@dataclass(frozen=True)
class MurphyDecomposition:
    """Brier ~ reliability - resolution + uncertainty (exact when each bin's confidence is flat)."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float


def murphy_decomposition(
    confidence: Floats, outcome: Outcomes, bins: int = 10
) -> MurphyDecomposition | None:
    """The Murphy decomposition of the Brier score over equal-width bins."""
    c, y = _arrays(confidence, outcome)
    if not c.size:
        return None
    index = equal_width_bins(c, bins)
    base_rate = y.mean()
    reliability = resolution = 0.0
    for number in np.unique(index):
        member = index == number
        share = member.mean()
        reliability += share * (c[member].mean() - y[member].mean()) ** 2
        resolution += share * (y[member].mean() - base_rate) ** 2
    return MurphyDecomposition(
        brier=float(np.mean((c - y) ** 2)),
        reliability=float(reliability),
        resolution=float(resolution),
        uncertainty=float(base_rate * (1 - base_rate)),
    )


def expected_calibration_error(
    confidence: Floats, outcome: Outcomes, bins: int = 10, strategy: str = "width"
) -> float | None:
    """ECE: sum over bins of (n_b / N) |accuracy_b - mean confidence_b|.

    ``strategy`` is ``width`` (equal-width bins on [0, 1]) or ``mass`` (equal counts).
    """
    c, y = _arrays(confidence, outcome)
    if not c.size:
        return None
    if strategy == "width":
        index = equal_width_bins(c, bins)
    elif strategy == "mass":
        index = equal_mass_bins(c, bins)
    else:
        raise ValueError(f"strategy must be 'width' or 'mass', not {strategy!r}")
    total = 0.0
    for number in np.unique(index):
        member = index == number
        total += member.mean() * abs(y[member].mean() - c[member].mean())
    return float(total)


def auroc(confidence: Floats, outcome: Outcomes) -> float | None:
    """P(confidence of a success > confidence of a failure) + 1/2 P(tie); None if undefined."""
    c, y = _arrays(confidence, outcome)
    positives, negatives = c[y == 1], c[y == 0]
    if not positives.size or not negatives.size:
        return None
    order = np.sort(negatives)
    below = np.searchsorted(order, positives, side="left")
    at_or_below = np.searchsorted(order, positives, side="right")
    wins = below.sum() + 0.5 * (at_or_below - below).sum()
    return float(wins / (positives.size * negatives.size))


@dataclass(frozen=True)
class RiskCoverage:
    """Risk (error rate) among the most confident k items, for k = 1..N."""

    coverage: list[float]
    risk: list[float]
    aurc: float
    e_aurc: float
    accuracy_at_80: float
    accuracy_at_90: float


def risk_coverage(confidence: Floats, outcome: Outcomes) -> RiskCoverage | None:
    """Risk-coverage curve, AURC, E-AURC (AURC minus its optimum), accuracy at 80/90% coverage.

    Items are ranked by confidence, highest first; ties keep their given order.
    """
    c, y = _arrays(confidence, outcome)
    n = c.size
    if not n:
        return None
    ranked = y[np.argsort(-c, kind="stable")]
    k = np.arange(1, n + 1)
    risk = np.cumsum(1 - ranked) / k
    successes = int(y.sum())
    optimal = np.maximum(0, k - successes) / k
    aurc = float(risk.mean())

    def accuracy_at(share: float) -> float:
        top = max(1, math.ceil(share * n))
        return float(ranked[:top].mean())

    return RiskCoverage(
        coverage=(k / n).tolist(),
        risk=risk.tolist(),
        aurc=aurc,
        e_aurc=aurc - float(optimal.mean()),
        accuracy_at_80=accuracy_at(0.8),
        accuracy_at_90=accuracy_at(0.9),
    )


def overconfidence_on_failures(confidence: Floats, outcome: Outcomes) -> float | None:
    """Mean confidence over the failed items."""
    c, y = _arrays(confidence, outcome)
    failed = c[y == 0]
    return float(failed.mean()) if failed.size else None


def selective_score(correct: int, wrong: int, abstained: int, target: float) -> float | None:
    """Mean score with abstention: +1 correct, 0 abstain, -t/(1-t) wrong, for a target t."""
    if not 0 < target < 1:
        raise ValueError(f"the confidence target must be in (0, 1), not {target}")
    total = correct + wrong + abstained
    if not total:
        return None
    return (correct - wrong * target / (1 - target)) / total

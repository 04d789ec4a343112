"""Calibration of stated confidence against verified outcomes (docs/metrics.md).

Every function takes ``confidence`` (values in [0, 1]) and ``outcome`` (1 = verified success,
0 = failure) of equal length. Functions that are undefined on their input return None rather
than a misleading number (AUROC when all succeed or all fail, anything on no data). Where a
figure depends on how items of equal confidence are ordered (risk-coverage, equal-mass bins),
it is the expectation over every order of the tied items, in closed form: no order of the
records changes a figure. The intervals (:func:`brier_interval`, :func:`ece_interval`)
resample worlds, given as ``worlds``: each item's world, numbered 0..W-1 in a fixed order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from undertow.scoring.worlds import (
    Estimate,
    not_estimable,
    percentile_interval,
    ratio_estimate,
    resample_counts,
)

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


def tie_groups(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in a sorted array, and how long it is."""
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return starts, np.diff(np.r_[starts, ordered.size])


def _log_factorials(n: int) -> np.ndarray:
    return np.r_[0.0, np.cumsum(np.log(np.arange(1, n + 1)))]


def hypergeometric_pmf(population: int, marked: int, drawn: int, log_f: np.ndarray) -> np.ndarray:
    """P(k marked among ``drawn`` items taken at random from ``population``), k = 0..drawn."""
    k = np.arange(drawn + 1)
    possible = (k <= marked) & (drawn - k <= population - marked)
    pmf = np.zeros(drawn + 1)
    good = k[possible]

    def log_choose(a: int | np.ndarray, b: int | np.ndarray) -> np.ndarray:
        return log_f[a] - log_f[b] - log_f[np.subtract(a, b)]

    pmf[possible] = np.exp(
        log_choose(marked, good)
        + log_choose(population - marked, drawn - good)
        - log_choose(population, drawn)
    )
    return pmf


def _equal_mass_ece(c: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Equal-mass ECE as the expectation over the orders of tied confidences.

    Bins are fixed runs of positions in the sorted order; a run of tied items that straddles a
    bin edge puts a random (hypergeometric) number of its successes in each bin. A bin meets
    at most two such runs, whose draws are independent, so its expected |accuracy -
    confidence| is a sum over the convolution of (at most) two hypergeometric laws."""
    order = np.argsort(c, kind="stable")
    ordered, outcomes = c[order], y[order]
    n = c.size
    starts, sizes = tie_groups(ordered)
    successes = np.add.reduceat(outcomes, starts)
    group_of = np.repeat(np.arange(starts.size), sizes)
    log_f = _log_factorials(n)
    edges = np.cumsum([0] + [len(chunk) for chunk in np.array_split(np.arange(n), min(bins, n))])
    total = 0.0
    for low, high in itertools.pairwise(edges):
        width = int(high - low)
        confidence = float(ordered[low:high].mean())
        first, last = group_of[low], group_of[high - 1]
        fixed = 0.0
        law = np.ones(1)
        for group in range(first, last + 1):
            start, size = int(starts[group]), int(sizes[group])
            inside = min(start + size, high) - max(start, low)
            if inside == size:  # wholly in the bin: its successes are in it, whatever the order
                fixed += successes[group]
            else:
                pmf = hypergeometric_pmf(size, int(successes[group]), inside, log_f)
                law = np.convolve(law, pmf)
        accuracy = (fixed + np.arange(law.size)) / width
        total += width / n * float((law * np.abs(accuracy - confidence)).sum())
    return total


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

    ``strategy`` is ``width`` (equal-width bins on [0, 1]) or ``mass`` (equal counts in order
    of confidence; the expectation over the orders of tied confidences).
    """
    c, y = _arrays(confidence, outcome)
    if strategy not in ("width", "mass"):
        raise ValueError(f"strategy must be 'width' or 'mass', not {strategy!r}")
    if not c.size:
        return None
    if strategy == "mass":
        return _equal_mass_ece(c, y, bins)
    index = equal_width_bins(c, bins)
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

    Items are ranked by confidence, highest first. Within a run of tied confidences every order
    is equally likely, so the expected failures among the first j of a run of g items with f
    failures are j f / g: each point of the curve is that expectation, exactly.
    """
    c, y = _arrays(confidence, outcome)
    n = c.size
    if not n:
        return None
    order = np.argsort(-c, kind="stable")
    starts, sizes = tie_groups(c[order])
    failures = np.add.reduceat(1 - y[order], starts)
    before = np.r_[0.0, np.cumsum(failures)[:-1]]
    group = np.repeat(np.arange(starts.size), sizes)
    into = np.arange(n) - starts[group] + 1
    expected_failures = before[group] + into * failures[group] / sizes[group]
    k = np.arange(1, n + 1)
    risk = expected_failures / k
    successes = int(y.sum())
    optimal = np.maximum(0, k - successes) / k
    aurc = float(risk.mean())

    def accuracy_at(share: float) -> float:
        top = max(1, math.ceil(share * n - 1e-9))
        return float(1 - expected_failures[top - 1] / top)

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


def _worlds(worlds: Sequence[int], size: int) -> np.ndarray:
    index = np.asarray(worlds, dtype=int)
    if index.shape != (size,):
        raise ValueError(f"one world per item: {index.shape} for {size} items")
    return index


def brier_interval(confidence: Floats, outcome: Outcomes, worlds: Sequence[int]) -> Estimate:
    """The Brier score with its cluster-bootstrap interval (worlds resampled)."""
    c, y = _arrays(confidence, outcome)
    if not c.size:
        return not_estimable("no confidence was stated")
    index = _worlds(worlds, c.size)
    return ratio_estimate(
        np.bincount(index, weights=(c - y) ** 2).tolist(), np.bincount(index).tolist()
    )


def ece_interval(
    confidence: Floats, outcome: Outcomes, worlds: Sequence[int], bins: int = 10
) -> Estimate:
    """Equal-width ECE with its cluster-bootstrap interval: worlds are resampled with all
    their items, and each resample's ECE is sum over bins |successes - confidence| / items."""
    c, y = _arrays(confidence, outcome)
    if not c.size:
        return not_estimable("no confidence was stated")
    index = _worlds(worlds, c.size)
    value = expected_calibration_error(confidence, outcome, bins)
    count = int(index.max()) + 1
    if count < 2:
        return Estimate(value, worlds=1, why="no interval: one world")
    cell = index * bins + equal_width_bins(c, bins)
    shape = (count, bins)
    items = np.bincount(cell, minlength=count * bins).reshape(shape)
    gap = np.bincount(cell, weights=y - c, minlength=count * bins).reshape(shape)
    weights = resample_counts(count)
    samples = np.abs(weights @ gap).sum(axis=1) / (weights @ items.sum(axis=1))
    low, high = percentile_interval(samples)
    return Estimate(value, low, high, count)

"""Consistency across runs, seeds, perturbations, difficulty and horizon (see METRICS.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al.'s unbiased pass@k for one task with n runs and c successes."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """τ-bench's pass^k for one task: C(c, k) / C(n, k), the chance k runs all succeed."""
    _check(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"successes c={c} must lie in 0..n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must lie in 1..n={n}; run each task at least k times")


def mean_over_tasks(tasks: Sequence[tuple[int, int]], k: int, estimator: str = "pass@k") -> float:
    """Average pass@k or pass^k over tasks given as (runs, successes)."""
    function = {"pass@k": pass_at_k, "pass^k": pass_hat_k}[estimator]
    return float(np.mean([function(n, c, k) for n, c in tasks]))


def outcome_consistency(n: int, c: int) -> float:
    """(2p - 1)^2 for one task: 1 when all runs agree, 0 when they split evenly."""
    if n < 1:
        raise ValueError("outcome consistency needs at least one run")
    return (2 * c / n - 1) ** 2


def seed_variance(success_by_seed: Sequence[float]) -> float | None:
    """Sample variance of the success rate across seeds (None below two seeds)."""
    if len(success_by_seed) < 2:
        return None
    return float(np.var(np.asarray(success_by_seed, dtype=float), ddof=1))


@dataclass(frozen=True)
class PerturbationGap:
    """Success on perturbed variants relative to the originals, over matched pairs."""

    ratio: float | None
    """success(perturbed) / success(original), capped at 1; None when nothing original succeeded."""
    flip_rate: float
    """Share of matched pairs whose outcome differs."""
    pairs: int


def perturbation_gap(pairs: Sequence[tuple[bool, bool]]) -> PerturbationGap | None:
    """From (original success, perturbed success) pairs matched by scenario, seed and agent."""
    if not pairs:
        return None
    original = sum(o for o, _ in pairs)
    perturbed = sum(p for _, p in pairs)
    ratio = None if original == 0 else min(1.0, perturbed / original)
    flips = sum(o != p for o, p in pairs)
    return PerturbationGap(ratio=ratio, flip_rate=flips / len(pairs), pairs=len(pairs))


@dataclass(frozen=True)
class LogisticFit:
    """P(success) = sigmoid(intercept + slope * x)."""

    intercept: float
    slope: float
    n: int

    def probability(self, x: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.intercept + self.slope * x)))

    def x_at(self, p: float) -> float | None:
        """Where the fitted success reaches p; None for a flat fit."""
        if abs(self.slope) < 1e-12:
            return None
        return (math.log(p / (1 - p)) - self.intercept) / self.slope


def logistic_fit(
    x: Sequence[float], y: Sequence[int] | Sequence[bool], ridge: float = 1e-3
) -> LogisticFit | None:
    """Maximum-likelihood logistic regression by Newton's method.

    A small ridge penalty on the slope keeps the fit finite when the data separate perfectly.
    None when there are fewer than two distinct x values.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.size < 2 or np.unique(xs).size < 2:
        return None
    design = np.column_stack([np.ones_like(xs), xs])
    weights = np.zeros(2)
    penalty = np.diag([0.0, ridge])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ weights)))
        gradient = design.T @ (ys - p) - penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian + 1e-12 * np.eye(2), gradient)
        weights += step
        if np.abs(step).max() < 1e-10:
            break
    return LogisticFit(intercept=float(weights[0]), slope=float(weights[1]), n=int(xs.size))


@dataclass(frozen=True)
class Gradient:
    """Success against difficulty (or novelty) level."""

    fit: LogisticFit
    level_at_50: float | None


def generalisation_gradient(levels: Sequence[float], success: Sequence[bool]) -> Gradient | None:
    """Logistic fit of success on level: the slope and d50 = -a/b."""
    fit = logistic_fit(levels, success)
    return None if fit is None else Gradient(fit=fit, level_at_50=fit.x_at(0.5))


@dataclass(frozen=True)
class Horizon:
    """Success against task length (METR's time-horizon form, in log2 of length)."""

    fit: LogisticFit
    horizon_50: float | None
    horizon_80: float | None


def horizon(lengths: Sequence[float], success: Sequence[bool]) -> Horizon | None:
    """Fit success on log2(length); horizon at p = 2^((logit p - a) / b)."""
    if any(length <= 0 for length in lengths):
        raise ValueError("task lengths must be positive")
    fit = logistic_fit([math.log2(length) for length in lengths], success)
    if fit is None:
        return None

    def at(p: float) -> float | None:
        x = fit.x_at(p)
        return None if x is None or x > 1000 else 2.0**x

    return Horizon(fit=fit, horizon_50=at(0.5), horizon_80=at(0.8))

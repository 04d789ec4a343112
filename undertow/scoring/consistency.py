"""Consistency across trials, seeds, perturbations, difficulty and horizon (docs/metrics.md)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from undertow.scoring.stats import Z_95
from undertow.scoring.worlds import (
    MIN_WORLDS,
    Estimate,
    mean_difference,
    not_estimable,
    ratio_estimate,
    wald_interval,
)


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


class NotEstimable(ValueError):
    """The data cannot support the figure; the message says why."""


@dataclass(frozen=True)
class LogisticFit:
    """P(success) = sigmoid(intercept + slope * x), the maximum-likelihood fit, with a
    covariance that treats each world as one cluster (the sandwich estimator)."""

    intercept: float
    slope: float
    covariance: tuple[tuple[float, float], tuple[float, float]]
    n: int
    worlds: int
    x_range: tuple[float, float]

    def probability(self, x: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.intercept + self.slope * x)))

    def slope_estimate(self) -> Estimate:
        """The slope with its 95% Wald interval (cluster-robust standard error)."""
        return wald_interval(self.slope, self.covariance[1][1], self.worlds)

    def x_at(self, p: float, shown: Callable[[float], float] = lambda x: x) -> Estimate:
        """Where the fitted success is p, with Fieller's 95% interval; never beyond the range
        of x observed: there the value is not estimable, and a bound beyond it is left open.
        ``shown`` turns x into the unit the reason speaks in (a length for a log2 length)."""
        shift = self.intercept - math.log(p / (1 - p))
        low_x, high_x = self.x_range
        if abs(self.slope) < 1e-12:
            return not_estimable("the fitted success does not change with the level", self.worlds)
        x = -shift / self.slope
        if not low_x <= x <= high_x:
            side = "above" if x > high_x else "below"
            return not_estimable(
                f"{p:.0%} success is {side} the range observed "
                f"({shown(low_x):g} to {shown(high_x):g})",
                self.worlds,
            )
        (v_aa, v_ab), (_, v_bb) = self.covariance
        z2 = Z_95 * Z_95
        a = self.slope**2 - z2 * v_bb
        b = 2 * (shift * self.slope - z2 * v_ab)
        c = shift**2 - z2 * v_aa
        if a <= 0:
            return Estimate(x, None, None, self.worlds, why="the interval is unbounded")
        root = math.sqrt(max(0.0, b * b - 4 * a * c))
        low, high = sorted(((-b - root) / (2 * a), (-b + root) / (2 * a)))
        open_low, open_high = low < low_x, high > high_x
        why = "a bound beyond the range observed is left open" if open_low or open_high else None
        return Estimate(
            x, None if open_low else low, None if open_high else high, self.worlds, why=why
        )


def separated(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether a threshold on x splits successes from failures (completely or with ties at
    it), or every outcome is the same: then no finite maximum-likelihood fit exists."""
    successes, failures = x[y == 1], x[y == 0]
    if not successes.size or not failures.size:
        return True
    return bool(failures.max() <= successes.min() or successes.max() <= failures.min())


def logistic_fit(
    x: Sequence[float], y: Sequence[int] | Sequence[bool], clusters: Sequence[int]
) -> LogisticFit:
    """Maximum-likelihood logistic regression by Newton's method, with a cluster-robust
    covariance (``clusters``: each item's world, numbered 0..W-1). Raises
    :class:`NotEstimable` where the fit does not exist: one level of x, separated outcomes,
    or fewer than :data:`MIN_WORLDS` worlds."""
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    groups = np.asarray(clusters, dtype=int)
    worlds = int(np.unique(groups).size)
    if np.unique(xs).size < 2:
        raise NotEstimable("one level only: the axis does not vary")
    if worlds < MIN_WORLDS:
        raise NotEstimable(f"not enough worlds ({worlds} < {MIN_WORLDS})")
    if np.unique(ys).size < 2:
        raise NotEstimable("every episode had the same outcome: no maximum-likelihood fit")
    if separated(xs, ys):
        raise NotEstimable(
            "a level separates the successes from the failures: no maximum-likelihood fit"
        )
    design = np.column_stack([np.ones_like(xs), xs])
    weights = np.zeros(2)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(design @ weights)))
        hessian = design.T @ (design * (p * (1 - p))[:, None])
        step = np.linalg.solve(hessian, design.T @ (ys - p))
        weights += step
        if np.abs(step).max() < 1e-10:
            break
    else:
        raise NotEstimable("the fit did not converge")
    p = 1.0 / (1.0 + np.exp(-(design @ weights)))
    bread = np.linalg.inv(design.T @ (design * (p * (1 - p))[:, None]))
    scores = np.zeros((int(groups.max()) + 1, 2))
    np.add.at(scores, groups, design * (ys - p)[:, None])
    covariance = worlds / (worlds - 1) * bread @ (scores.T @ scores) @ bread
    return LogisticFit(
        intercept=float(weights[0]),
        slope=float(weights[1]),
        covariance=(
            (float(covariance[0, 0]), float(covariance[0, 1])),
            (float(covariance[1, 0]), float(covariance[1, 1])),
        ),
        n=int(xs.size),
        worlds=worlds,
        x_range=(float(xs.min()), float(xs.max())),
    )


@dataclass(frozen=True)
class Perturbation:
    """Success on perturbed worlds against their originals, over matched pairs of worlds."""

    difference: Estimate
    """Mean of success(perturbed) - success(original) over pairs: negative when it hurts."""
    ratio: Estimate
    """success(perturbed) / success(original), uncapped: above 1 when the perturbation helps."""
    flip_rate: float
    """Mean |success(perturbed) - success(original)|: the share of pairs whose outcome differs
    (with one trial per world)."""
    pairs: int


def perturbation_effect(pairs: Sequence[tuple[float, float]]) -> Perturbation | None:
    """From (original, perturbed) success rates of matched worlds, in a fixed order."""
    if not pairs:
        return None
    original = [o for o, _ in pairs]
    perturbed = [q for _, q in pairs]
    ratio = (
        ratio_estimate(perturbed, original)
        if sum(original) > 0
        else not_estimable("no original world succeeded", len(pairs))
    )
    return Perturbation(
        difference=mean_difference([q - o for o, q in pairs]).estimate,
        ratio=ratio,
        flip_rate=float(np.mean([abs(q - o) for o, q in pairs])),
        pairs=len(pairs),
    )

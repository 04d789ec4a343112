"""The unit of evidence: the world, and estimates whose intervals treat it as one.

A world is a scenario, a variant and a seed: what the seed generates, the same for every
agent and every trial. Trials of one world share it, so they are not independent evidence.
Every interval here resamples worlds (a cluster bootstrap: a world is drawn with all its
trials), so that replicating a world's trials never narrows an interval; a rate's interval is
Wilson's at the effective number of independent episodes (:func:`clustered_rate`).

Every figure is an :class:`Estimate`: a value, its 95% interval, the number of worlds it rests
on, and, where there is no value or no interval, why not ("not estimable: ...").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from undertow.scoring.stats import Z_95, sign_flip_floor, sign_flip_p, wilson_bounds

MIN_WORLDS = 10
"""Independent worlds a comparison needs before a difference (or a fit) is called: below it,
a percentile bootstrap is too optimistic and a sign test cannot reach p < 0.05 at all."""
RESAMPLES = 2000
BOOTSTRAP_SEED = 0

WorldKey = tuple[str, str, int]
"""(scenario, variant, seed)."""


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval and the number of independent worlds behind it."""

    value: float | None
    low: float | None = None
    high: float | None = None
    worlds: int = 0
    why: str | None = None
    """Why the value or its interval (or one bound of it) is missing, in words."""

    def json(self) -> dict[str, Any]:
        return asdict(self)


def not_estimable(reason: str, worlds: int = 0) -> Estimate:
    """No figure, and why: a number without support is never shown."""
    return Estimate(None, worlds=worlds, why=f"not estimable: {reason}")


@functools.lru_cache(maxsize=4)  # 2,000 x worlds floats each: a few, not many
def resample_counts(worlds: int, resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> Any:
    """How often each of ``worlds`` worlds is drawn in each bootstrap resample, as a read-only
    (resamples, worlds) float array. It depends only on the number of worlds and the seed, so
    the same worlds (in their sorted order) always give the same interval."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, worlds, size=(resamples, worlds))
    draws += (np.arange(resamples) * worlds)[:, None]
    counts = np.bincount(draws.ravel(), minlength=resamples * worlds)
    counts = counts.reshape(resamples, worlds).astype(float)
    counts.flags.writeable = False
    return counts


def percentile_interval(samples: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of bootstrap samples."""
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(low), float(high)


def ratio_estimate(numerators: Sequence[float], denominators: Sequence[float]) -> Estimate:
    """sum(numerators) / sum(denominators) over worlds (one entry per world, in a fixed order),
    with its cluster-bootstrap interval. A mean over episodes is the ratio of each world's sum
    to its number of episodes; a mean over worlds has denominators of 1."""
    top = np.asarray(numerators, dtype=float)
    bottom = np.asarray(denominators, dtype=float)
    worlds = top.size
    if not worlds or bottom.sum() <= 0:
        return not_estimable("no data", worlds)
    value = float(top.sum() / bottom.sum())
    if worlds < 2:
        return Estimate(value, worlds=1, why="no interval: one world")
    tops, bottoms = (resample_counts(worlds) @ np.column_stack([top, bottom])).T
    defined = bottoms > 0
    low, high = percentile_interval(tops[defined] / bottoms[defined])
    return Estimate(value, low, high, worlds)


def mean_estimate(values: Sequence[float]) -> Estimate:
    """The mean of one value per world, with its cluster-bootstrap interval."""
    return ratio_estimate(values, [1.0] * len(values))


@dataclass(frozen=True)
class Difference:
    """The mean over worlds of a per-world difference, its interval, the p-value of the paired
    sign-flip test and the smallest p-value that test could have given."""

    estimate: Estimate
    p: float | None
    floor: float = 1.0


def mean_difference(differences: Sequence[float]) -> Difference:
    """Mean of per-world differences with its cluster-bootstrap interval and the sign-flip
    test's p-value."""
    d = np.asarray(differences, dtype=float)
    worlds = d.size
    if not worlds:
        return Difference(not_estimable("no world was played by both"), None)
    value = float(d.mean())
    if worlds < 2:
        return Difference(Estimate(value, worlds=1, why="no interval: one world"), None)
    low, high = percentile_interval(resample_counts(worlds) @ d / worlds)
    floor = sign_flip_floor(int((d != 0).sum()))
    return Difference(Estimate(value, low, high, worlds), sign_flip_p(d), floor)


def clustered_rate(successes: Sequence[float], episodes: Sequence[float]) -> Estimate:
    """A success rate over episodes (per world: its successes and episodes) with Wilson's
    interval at the effective number of independent episodes.

    The effective number is p(1-p) over the cluster (linearised) variance of the rate: the
    number of worlds when a world's trials agree (or there is one per world), up to the number
    of episodes when trials vary as much within worlds as between them. Where every episode has
    the same outcome it is the number of worlds."""
    y = np.asarray(successes, dtype=float)
    n = np.asarray(episodes, dtype=float)
    worlds, total = y.size, float(n.sum())
    if not worlds or total <= 0:
        return not_estimable("no episodes", worlds)
    rate = float(y.sum() / total)
    variance = float(((y - rate * n) ** 2).sum()) / total**2
    if rate in (0.0, 1.0):
        effective = float(worlds)
    elif variance <= 0:
        effective = total
    else:
        effective = min(total, rate * (1 - rate) / variance)
    low, high = wilson_bounds(rate, max(1.0, effective))
    return Estimate(rate, low, high, worlds)


def wald_interval(value: float, variance: float, worlds: int) -> Estimate:
    """value +- 1.96 standard errors."""
    half = Z_95 * math.sqrt(max(0.0, variance))
    return Estimate(value, value - half, value + half, worlds)

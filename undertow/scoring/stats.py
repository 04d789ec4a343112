"""Statistics for comparing agents: Wilson intervals, paired bootstrap, McNemar."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z_95 = 1.96
BOOTSTRAP_RESAMPLES = 2000


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a rate; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class PairedDifference:
    """Mean of A - B over paired episodes with a percentile bootstrap interval."""

    mean: float
    low: float
    high: float
    pairs: int

    @property
    def significant(self) -> bool:
        """True when the 95% interval excludes zero."""
        return self.low > 0 or self.high < 0


def bootstrap_mean(
    values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> tuple[float, float, float] | None:
    """The mean and its 95% percentile bootstrap interval (fixed seed); None without values."""
    d = np.asarray(values, dtype=float)
    if not d.size:
        return None
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(d.mean()), float(low), float(high)


def paired_bootstrap(
    differences: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> PairedDifference | None:
    """Bootstrap the mean of paired differences (fixed seed, 95% percentile interval)."""
    found = bootstrap_mean(differences, resamples, seed)
    if found is None:
        return None
    return PairedDifference(*found, pairs=len(differences))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar p-value on discordant counts: 2 * BinomCDF(min(b, c); b + c, 1/2), capped."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)

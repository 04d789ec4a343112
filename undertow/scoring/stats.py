"""Statistics for independent items and for families of tests: Wilson intervals, McNemar's
exact test, the paired sign-flip test, and the Benjamini-Hochberg adjustment of a family."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Z_95 = 1.96
ALPHA = 0.05


def wilson_bounds(rate: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a rate observed over ``n`` independent items (``n`` may be an
    effective, fractional number)."""
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` of ``n`` independent items; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    return wilson_bounds(successes / n, n, z)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar p-value on discordant counts: 2 * BinomCDF(min(b, c); b + c, 1/2), capped.
    On per-world success rates (b: worlds where A did better, c: where B did) it is the sign
    test, which is McNemar's test when each world has one trial."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


EXACT_UP_TO = 16
"""Differences up to which the sign-flip test enumerates every sign pattern."""
FLIPS = 10_000
"""Random sign patterns of the sign-flip test beyond that (fixed seed)."""


BLOCK = 256


@functools.lru_cache(maxsize=64)
def _exact_patterns(m: int) -> Any:
    """Every 0/1 pattern of m signs (1: flipped)."""
    return ((np.arange(2**m)[:, None] >> np.arange(m)) & 1).astype(float)


@functools.cache
def _random_block(index: int) -> Any:
    """FLIPS random 0/1 patterns for BLOCK differences; block ``index`` always the same."""
    return np.random.default_rng([0, index]).integers(0, 2, size=(FLIPS, BLOCK), dtype=np.int8)


def sign_flip_p(differences: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of the paired permutation test on per-world differences: with no true
    difference each world's difference is as likely to have either sign, so the observed
    |sum| is compared with its value under every sign pattern of the nonzero differences
    (exact for up to 16 of them, else 10,000 random patterns with the +1 correction). Where the
    nonzero differences are all of one size (0/1 outcomes, one trial per world) it is exactly
    the sign test, McNemar's exact test, for any number of them."""
    d = np.asarray(differences, dtype=float)
    d = d[d != 0]
    if not d.size:
        return 1.0
    total = float(d.sum())
    if np.allclose(np.abs(d), abs(d[0]), rtol=1e-12, atol=0):  # one size: the sign test
        return mcnemar_exact(int((d > 0).sum()), int((d < 0).sum()))
    if d.size <= EXACT_UP_TO:
        totals = np.abs(total - 2 * (_exact_patterns(int(d.size)) @ d))
        return float((totals >= abs(total) * (1 - 1e-12)).mean())
    flipped = np.zeros(FLIPS, dtype=np.float32)  # the flipped part of the sum, per pattern
    for start in range(0, d.size, BLOCK):
        block = d[start : start + BLOCK].astype(np.float32)
        flipped += _random_block(start // BLOCK)[:, : block.size].astype(np.float32) @ block
    totals = np.abs(total - 2 * flipped.astype(float))
    tolerance = 1e-5 * float(np.abs(d).sum())  # sums in float32: a tie counts as reached
    reached = int((totals >= abs(total) - tolerance).sum())
    return min(1.0, (reached + 1) / (FLIPS + 1))


def sign_flip_floor(nonzero: int) -> float:
    """The smallest p-value the sign-flip test can give with ``nonzero`` nonzero differences: a
    test that cannot go below 0.05 cannot call anything, so it is left out of the family that
    is adjusted (Tarone's argument)."""
    if nonzero == 0:
        return 1.0
    if nonzero <= EXACT_UP_TO:
        return 2.0 ** (1 - nonzero)
    return 1 / (FLIPS + 1)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate control)."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if not m:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(1.0, adjusted)
    return result.tolist()

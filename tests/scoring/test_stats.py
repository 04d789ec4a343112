"""Statistics: Wilson intervals, the paired bootstrap, McNemar's exact test."""

from __future__ import annotations

import pytest

from undertow.scoring.stats import mcnemar_exact, paired_bootstrap, wilson_interval


def test_wilson_reference_values() -> None:
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_bootstrap_is_reproducible_and_calls_differences() -> None:
    differences = [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0]
    first, second = paired_bootstrap(differences), paired_bootstrap(differences)
    assert first == second
    assert first is not None and first.mean == pytest.approx(0.75)
    assert first.significant and first.low > 0
    flat = paired_bootstrap([1.0, -1.0, 1.0, -1.0])
    assert flat is not None and not flat.significant
    assert paired_bootstrap([]) is None


def test_mcnemar_exact() -> None:
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(1, 9) == pytest.approx(2 * (1 + 10) / 1024)

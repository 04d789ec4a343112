"""Compounding metrics on hand-built ledgers."""

from __future__ import annotations

import pytest

from undertow.scoring.compounding import (
    cascade,
    error_free_horizon,
    first_error_step,
    kaplan_meier,
    recovery,
    silent_failure,
)
from undertow.scoring.view import EpisodeView, ErrorView


def error(
    id: str, step: int, caused_by: tuple[str, ...] = (), resolved_at: int | None = None
) -> ErrorView:
    return ErrorView(id, step, "wrong_fix", "wrong_work", "T", caused_by, resolved_at)


def episode(
    steps: int, ledger: list[ErrorView], success: bool = False, claim: bool = False
) -> EpisodeView:
    return EpisodeView(
        scenario="s",
        variant="original",
        seed=0,
        agent="a",
        trial=0,
        held_out=False,
        status="completed",
        steps=steps,
        ledger=ledger,
        success=success,
        score=float(success),
        episode_claim=(claim, 0.9) if claim else None,
    )


LEDGER = [
    error("E1", 3),
    error("E2", 5, ("E1",)),
    error("E3", 9, ("E2",), 12),
    error("E4", 7, resolved_at=8),
]


def test_first_error_and_horizon() -> None:
    assert first_error_step(LEDGER) == 3
    assert error_free_horizon(episode(20, LEDGER)) == 3
    assert first_error_step([]) is None
    assert error_free_horizon(episode(20, [])) == 20  # censored at the episode's length


def test_cascade_depth_and_propagation() -> None:
    result = cascade(LEDGER)
    assert (result.errors, result.roots, result.depth) == (4, 2, 3)
    assert result.propagation_factor == pytest.approx(1.0)
    assert cascade([]).depth == 0 and cascade([]).propagation_factor is None
    diamond = [
        error("A", 1),
        error("B", 2, ("A",)),
        error("C", 3, ("A",)),
        error("D", 4, ("B", "C")),
    ]
    assert cascade(diamond).depth == 3
    assert cascade(diamond).propagation_factor == pytest.approx(3.0)


def test_recovery() -> None:
    result = recovery(LEDGER)
    assert result.rate == pytest.approx(0.5)
    assert result.mean_time_to_recover == pytest.approx(((12 - 9) + (8 - 7)) / 2)
    assert recovery([]).rate is None


def test_silent_failure() -> None:
    assert silent_failure(episode(5, [], success=False, claim=True))
    assert not silent_failure(episode(5, [], success=True, claim=True))
    assert not silent_failure(episode(5, [], success=False, claim=False))


def test_kaplan_meier_hand_case() -> None:
    episodes = [episode(10, [error("E1", 1)]), episode(10, [error("E1", 1)]), episode(3, [])]
    curve = kaplan_meier(episodes)
    assert [(p.step, p.at_risk, p.events) for p in curve] == [
        (0, 3, 0),
        (1, 3, 2),
        (2, 1, 0),
        (3, 0, 0),
    ]
    assert [p.survival for p in curve] == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3])
    assert curve[1].hazard == pytest.approx(2 / 3)

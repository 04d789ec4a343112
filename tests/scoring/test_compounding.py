"""Compounding metrics on hand-built ledgers; the first-error median against lifelines."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from undertow.scoring.compounding import (
    cascade,
    error_free_horizon,
    first_error_median,
    first_error_step,
    kaplan_meier,
    recovery,
    silent_failure,
)
from undertow.scoring.score import compounding_block
from undertow.scoring.view import EpisodeView, ErrorView


def error(
    id: str, step: int, caused_by: tuple[str, ...] = (), resolved_at: int | None = None
) -> ErrorView:
    return ErrorView(id, step, "wrong_fix", "wrong_work", "T", caused_by, resolved_at)


def episode(
    steps: int,
    ledger: list[ErrorView],
    success: bool = False,
    claim: bool = False,
    seed: int = 0,
) -> EpisodeView:
    return EpisodeView(
        scenario="s",
        variant="original",
        seed=seed,
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


def lifelines_median(episodes: list[EpisodeView]) -> float:
    """lifelines counts an item censored at t as at risk at t; ours is error-free for steps
    0..L-1, so it is censored at L - 1."""
    durations, observed = [], []
    for e in episodes:
        first = first_error_step(e.ledger)
        durations.append(e.steps - 1 if first is None else first)
        observed.append(first is not None)
    return float(KaplanMeierFitter().fit(durations, observed).median_survival_time_)


@pytest.mark.parametrize("seed", range(6))
def test_first_error_median_matches_lifelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    episodes = []
    for number in range(40):
        steps = int(rng.integers(5, 60))
        first = int(rng.integers(0, 80))
        ledger = [error("E1", first)] if first < steps else []
        episodes.append(episode(steps, ledger, seed=number))
    found = first_error_median(episodes, list(range(40)))
    expected = lifelines_median(episodes)
    if np.isinf(expected):
        assert found.value is None and "not reached" in (found.why or "")
    else:
        assert found.value == expected
        assert found.low is not None and found.low <= found.value
        assert found.worlds == 40


def test_the_median_counts_the_episodes_that_never_erred() -> None:
    """Two of ten episodes erred, at steps 3 and 8; eight ran 50 steps without error. The
    median over the erring ones would say 5.5; the first error's median is not reached."""
    episodes = [episode(50, [error("E1", 3)], seed=0), episode(50, [error("E1", 8)], seed=1)]
    episodes += [episode(50, [], seed=s) for s in range(2, 10)]
    found = first_error_median(episodes, list(range(10)))
    assert found.value is None
    assert found.why == "not estimable: not reached: fewer than half the episodes erred by step 50"
    assert np.isinf(lifelines_median(episodes))
    half = [episode(50, [error("E1", 3 + s)], seed=s) for s in range(6)]
    half += [episode(50, [], seed=s) for s in range(6, 10)]
    assert first_error_median(half, list(range(10))).value == lifelines_median(half) == 7


def test_cascade_depth_is_averaged_over_erring_episodes_with_their_share_beside_it() -> None:
    """Ten episodes, two with a chain of three errors: the mean depth is 3 (not 0.6), in a
    fifth of the episodes."""
    chain = [error("A", 1), error("B", 2, ("A",)), error("C", 3, ("B",))]
    episodes = [episode(10, list(chain), seed=0), episode(10, list(chain), seed=1)]
    episodes += [episode(10, [], success=True, seed=s) for s in range(2, 10)]
    block = compounding_block(episodes)
    assert block["cascade_depth_mean"] == 3.0
    assert block["cascade_depth"]["value"] == 3.0 and block["cascade_depth"]["worlds"] == 2
    assert block["erring_share"]["value"] == pytest.approx(0.2)
    assert block["episodes_with_commission_errors"] == 2

"""Compounding errors, from the environment's ground-truth ledger (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from undertow.record import Role
from undertow.scoring.view import EpisodeView, ErrorView
from undertow.scoring.worlds import Estimate, not_estimable, resample_counts


def commission(ledger: Sequence[ErrorView]) -> list[ErrorView]:
    """The errors of what the agent did, without its omissions (work left undone)."""
    return [error for error in ledger if error.role != Role.OMISSION]


def first_error_step(ledger: Sequence[ErrorView]) -> int | None:
    """Step of the earliest error; None for an error-free episode."""
    return min((error.step for error in ledger), default=None)


def error_free_horizon(episode: EpisodeView) -> int:
    """Steps before the first error; the episode's length when there was none (censored)."""
    first = first_error_step(episode.ledger)
    return episode.steps if first is None else first


@dataclass(frozen=True)
class Cascade:
    """The ledger as a causal DAG (edge parent -> child for each caused_by)."""

    errors: int
    roots: int
    depth: int
    """Errors on the longest causal chain (a lone error: 1; none: 0)."""
    propagation_factor: float | None
    """Non-root errors per root error; None without errors."""


def cascade(ledger: Sequence[ErrorView]) -> Cascade:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(error.id for error in ledger)
    graph.add_edges_from((parent, error.id) for error in ledger for parent in error.caused_by)
    roots = sum(1 for node in graph if graph.in_degree(node) == 0)
    depth = nx.dag_longest_path_length(graph) + 1 if len(graph) else 0
    return Cascade(
        errors=len(graph),
        roots=roots,
        depth=depth,
        propagation_factor=(len(graph) - roots) / roots if roots else None,
    )


@dataclass(frozen=True)
class Recovery:
    rate: float | None
    """Resolved errors / errors."""
    mean_time_to_recover: float | None
    """Mean of resolved_at - step over resolved errors."""


def recovery(ledger: Sequence[ErrorView]) -> Recovery:
    resolved = [error for error in ledger if error.resolved_at is not None]
    return Recovery(
        rate=len(resolved) / len(ledger) if ledger else None,
        mean_time_to_recover=(
            sum((e.resolved_at or e.step) - e.step for e in resolved) / len(resolved)
            if resolved
            else None
        ),
    )


def silent_failure(episode: EpisodeView) -> bool:
    """The agent claimed the episode a success while verification found it failed."""
    claimed = episode.episode_claim is not None and episode.episode_claim[0]
    return bool(claimed and episode.success is False)


@dataclass(frozen=True)
class SurvivalPoint:
    step: int
    at_risk: int
    events: int
    hazard: float
    survival: float


def first_error_times(episodes: Sequence[EpisodeView]) -> tuple[np.ndarray, np.ndarray]:
    """Per episode: the step of its first error and True, or, error-free, its length and False
    (censored: error-free for all of its steps)."""
    firsts = [first_error_step(episode.ledger) for episode in episodes]
    times = np.array(
        [e.steps if f is None else f for e, f in zip(episodes, firsts, strict=True)], dtype=int
    )
    return times, np.array([f is not None for f in firsts], dtype=bool)


def _at_risk(times: np.ndarray, events: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(episodes, steps): whether each episode is still at risk at each step: an event at e is
    at risk for steps <= e, an episode censored at length L for steps < L."""
    return np.where(events[:, None], times[:, None] >= steps, times[:, None] > steps)


def kaplan_meier(episodes: Sequence[EpisodeView]) -> list[SurvivalPoint]:
    """Per-step hazard of the first error and Kaplan-Meier survival (see :func:`_at_risk`)."""
    times, events = first_error_times(episodes)
    if not times.size:
        return []
    steps = np.arange(int(times.max()) + 1)
    at_risk = _at_risk(times, events, steps).sum(axis=0)
    happened = np.bincount(times[events], minlength=steps.size)
    hazard = np.divide(happened, at_risk, out=np.zeros(steps.size), where=at_risk > 0)
    survival = np.cumprod(1 - hazard)
    return [
        SurvivalPoint(int(t), int(r), int(d), float(h), float(s))
        for t, r, d, h, s in zip(steps, at_risk, happened, hazard, survival, strict=True)
    ]


def _median(survival: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per row, the first step where survival falls to 1/2 or below; inf where it never does."""
    reached = survival <= 0.5 + 1e-12
    first = np.argmax(reached, axis=-1)
    return np.where(reached.any(axis=-1), steps[first], np.inf)


def first_error_median(episodes: Sequence[EpisodeView], worlds: Sequence[int]) -> Estimate:
    """The Kaplan-Meier median step of the first error (error-free episodes censored at their
    length), with a cluster-bootstrap interval. Where fewer than half the episodes had erred by
    the last step observed, the median is not reached: no value, and why."""
    times, events = first_error_times(episodes)
    if not times.size:
        return not_estimable("no episodes")
    index = np.asarray(worlds, dtype=int)
    count = int(index.max()) + 1
    steps = np.unique(times[events])
    if not steps.size:
        return not_estimable(f"not reached: no episode erred in {int(times.max())} steps", count)
    at_risk = np.zeros((count, steps.size))
    np.add.at(at_risk, index, _at_risk(times, events, steps))
    happened = np.zeros((count, steps.size))
    np.add.at(happened, (index[events], np.searchsorted(steps, times[events])), 1.0)

    def medians(risk: np.ndarray, died: np.ndarray) -> np.ndarray:
        hazard = np.divide(died, risk, out=np.zeros_like(died), where=risk > 0)
        return _median(np.cumprod(1 - hazard, axis=-1), steps)

    value = float(medians(at_risk.sum(axis=0), happened.sum(axis=0)))
    if not np.isfinite(value):
        return not_estimable(
            f"not reached: fewer than half the episodes erred by step {int(times.max())}", count
        )
    if count < 2:
        return Estimate(value, worlds=1, why="no interval: one world")
    weights = resample_counts(count)
    samples = medians(weights @ at_risk, weights @ happened)
    beyond = float(steps[-1]) + 1  # "not reached" sorts above every step observed
    low, high = np.percentile(np.minimum(samples, beyond), [2.5, 97.5])
    if high > steps[-1]:
        return Estimate(value, float(low), None, count, why="upper bound beyond the steps observed")
    return Estimate(value, float(low), float(high), count)

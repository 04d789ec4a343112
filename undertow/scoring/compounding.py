"""Compounding errors, from the environment's ground-truth ledger (see METRICS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from undertow.record import Role
from undertow.scoring.view import EpisodeView, ErrorView


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


def kaplan_meier(episodes: Sequence[EpisodeView]) -> list[SurvivalPoint]:
    """Per-step hazard of the first error and Kaplan-Meier survival.

    An episode with its first error at step e is an event at e (at risk for steps <= e); an
    error-free episode of length L is censored (at risk for steps < L).
    """
    events: dict[int, int] = {}
    times = []
    for episode in episodes:
        first = first_error_step(episode.ledger)
        if first is None:
            times.append((episode.steps, False))
        else:
            times.append((first, True))
            events[first] = events.get(first, 0) + 1
    horizon = max((t for t, _ in times), default=0)
    survival = 1.0
    curve = []
    for step in range(horizon + 1):
        at_risk = sum(1 for t, event in times if (t >= step if event else t > step))
        happened = events.get(step, 0)
        hazard = happened / at_risk if at_risk else 0.0
        survival *= 1 - hazard
        curve.append(SurvivalPoint(step, at_risk, happened, hazard, survival))
    return curve

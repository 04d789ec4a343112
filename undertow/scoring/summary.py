"""The run summary: per agent (public and held-out seeds apart), outcome and error figures.

A first slice of scoring: success with its Wilson interval, partial credit, ledger errors,
first-error step, claimed-vs-verified success, and errored episodes. Every figure carries its n.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

from undertow.trajectory import EpisodeStatus, Trajectory

Z_95 = 1.96


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a rate; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    rate = successes / n
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class AgentSummary:
    agent: str
    seeds: str
    """``public`` or ``held-out``."""
    episodes: int
    scored: int
    """Episodes with a verified outcome (errored ones have none)."""
    successes: int
    success_interval: tuple[float, float]
    mean_score: float
    mean_errors: float
    median_first_error: float | None
    """Median step of the first ledger error, over episodes that had one."""
    false_success_claims: int
    """Episodes that claimed success while verification found failure."""
    errored: int

    @property
    def success_rate(self) -> float:
        return self.successes / self.scored if self.scored else 0.0


def _claimed_success(trajectory: Trajectory) -> bool:
    return any(c.subject == "episode" and c.value for c in trajectory.claims)


def summarise(trajectories: list[Trajectory]) -> list[AgentSummary]:
    """One row per (agent, public/held-out), in first-seen order."""
    groups: dict[tuple[str, str], list[Trajectory]] = defaultdict(list)
    for trajectory in trajectories:
        held_out = bool(trajectory.metadata.get("held_out"))
        groups[(trajectory.key.agent, "held-out" if held_out else "public")].append(trajectory)
    rows = []
    for (agent, seeds), group in groups.items():
        scored = [t for t in group if t.outcome is not None]
        successes = sum(t.outcome.success for t in scored if t.outcome)
        first_errors = [min(e.step for e in t.ledger) for t in scored if t.ledger]
        rows.append(
            AgentSummary(
                agent=agent,
                seeds=seeds,
                episodes=len(group),
                scored=len(scored),
                successes=successes,
                success_interval=wilson_interval(successes, len(scored)),
                mean_score=statistics.fmean(t.outcome.score for t in scored if t.outcome)
                if scored
                else 0.0,
                mean_errors=statistics.fmean(len(t.ledger) for t in scored) if scored else 0.0,
                median_first_error=statistics.median(first_errors) if first_errors else None,
                false_success_claims=sum(
                    _claimed_success(t) and not t.outcome.success for t in scored if t.outcome
                ),
                errored=sum(t.status is EpisodeStatus.ERRORED for t in group),
            )
        )
    return rows

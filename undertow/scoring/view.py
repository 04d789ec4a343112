"""What scoring reads of a trajectory: a light, flat view that is quick to build.

Scoring thousands of long trajectories must not rebuild every step as a model, so a view can
be made from a :class:`~undertow.record.Trajectory` or straight from its JSON dict.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from undertow.record import Role, Trajectory
from undertow.record.store import scan_records


@dataclass(frozen=True)
class ErrorView:
    id: str
    step: int
    kind: str
    role: str
    object: str
    caused_by: tuple[str, ...]
    resolved_at: int | None


@dataclass
class EpisodeView:
    """One episode as the scorers see it."""

    scenario: str
    variant: str
    seed: int
    agent: str
    trial: int
    held_out: bool
    status: str
    steps: int
    ledger: list[ErrorView]
    success: bool | None
    score: float | None
    perturbed: bool = False
    difficulty: int | None = None
    env: str = ""
    subtasks: dict[str, bool] = field(default_factory=dict)
    episode_claim: tuple[bool, float | None] | None = None
    """(claimed success, confidence) of the final claim about the whole episode."""
    subtask_claims: dict[str, float | None] = field(default_factory=dict)
    """Subtask id -> the confidence of the last claim that it was done (or handed over)."""
    abstained: frozenset[str] = frozenset()
    """Subtasks the agent handed over instead of answering (e.g. escalated tickets)."""
    posthoc_confidence: float | None = None
    """The answer to the post-hoc question "how sure are you that you succeeded?", if asked."""
    tokens: int = 0
    cost_usd: float = 0.0
    wall_seconds: float = 0.0
    retries: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def episode_key(self) -> tuple[str, str, int, str, int]:
        """What identifies the episode in its run: world, agent and trial."""
        return (self.scenario, self.variant, self.seed, self.agent, self.trial)

    @functools.cached_property
    def world(self) -> tuple[str, str, int]:
        """The world played: scenario, variant and seed. Its seed generates it, the same for
        every agent and every trial: the unit of evidence, and what pairs two agents."""
        return (self.scenario, self.variant, self.seed)

    @functools.cached_property
    def unperturbed_world(self) -> tuple[str, str, int]:
        """What pairs a perturbed world with its original: scenario, seed and every option but
        ``perturb`` (the same for both)."""
        options = {key: value for key, value in self.options.items() if key != "perturb"}
        return (self.scenario, json.dumps(options, sort_keys=True, default=str), self.seed)

    @property
    def errored(self) -> bool:
        """The harness failed: the episode counts as a failure, and its ledger is partial."""
        return self.status == "errored"

    @functools.cached_property
    def omissions(self) -> int:
        """Errors of role ``omission``: subtasks left undone at the end (one each)."""
        return sum(error.role == Role.OMISSION for error in self.ledger)

    @functools.cached_property
    def commission_errors(self) -> int:
        """Errors of what the agent did (every role but ``omission``)."""
        return len(self.ledger) - self.omissions

    @functools.cached_property
    def attempted_subtasks(self) -> int:
        """Subtasks not left undone: the episode's subtasks less its omissions."""
        return max(0, len(self.subtasks) - self.omissions)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpisodeView:
        key = data["key"]
        outcome = data.get("outcome")
        episode = data.get("episode", {})
        episode_claim = None
        subtask_claims: dict[str, float | None] = {}
        abstained: set[str] = set()
        posthoc: float | None = None
        for claim in data.get("claims", []):
            if claim.get("kind") == "posthoc":
                posthoc = claim.get("confidence")
            elif claim["subject"] == "episode":
                episode_claim = (bool(claim.get("value", True)), claim.get("confidence"))
            elif claim.get("value", True):
                subtask_claims[claim["subject"]] = claim.get("confidence")
                if claim.get("kind") == "abstain":
                    abstained.add(claim["subject"])
        tokens = cost = retries = 0
        for step in data.get("steps", []):
            usage = step.get("usage") or {}
            tokens += usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
            cost += usage.get("cost_usd", 0.0)
            retries += usage.get("retries", 0)
        return cls(
            scenario=key["scenario"],
            variant=key.get("variant", "original"),
            seed=key["seed"],
            agent=key["agent"],
            trial=key.get("trial", 0),
            held_out=bool(episode.get("held_out", False)),
            perturbed=bool(episode.get("perturbed", False)),
            difficulty=episode.get("difficulty"),
            env=str(episode.get("env", "")),
            status=data.get("status", "completed"),
            steps=len(data.get("steps", [])),
            ledger=[
                ErrorView(
                    id=e["id"],
                    step=e["step"],
                    kind=e["kind"],
                    role=e["role"],
                    object=e["object"],
                    caused_by=tuple(e.get("caused_by", ())),
                    resolved_at=e.get("resolved_at"),
                )
                for e in data.get("ledger", [])
            ],
            success=None if outcome is None else bool(outcome["success"]),
            score=None if outcome is None else float(outcome["score"]),
            subtasks={}
            if outcome is None
            else {s["id"]: bool(s["success"]) for s in outcome.get("subtasks", [])},
            episode_claim=episode_claim,
            subtask_claims=subtask_claims,
            abstained=frozenset(abstained),
            posthoc_confidence=posthoc,
            tokens=tokens,
            cost_usd=cost,
            wall_seconds=max(0.0, data.get("ended_at", 0.0) - data.get("started_at", 0.0)),
            retries=retries,
            options=dict(episode.get("options", {})),
        )

    @classmethod
    def from_trajectory(cls, trajectory: Trajectory) -> EpisodeView:
        return cls.from_dict(json.loads(trajectory.to_json()))


def read_views(trajectories_jsonl: Path) -> tuple[list[EpisodeView], list[int]]:
    """Views of every good record of a run store file (read through the record's one reader:
    checksums and schema versions checked), and the line numbers of the bad ones. The store is
    append-only: where an episode was played again (``--retry-errored``), its latest record
    supersedes the earlier one."""
    views: dict[tuple[str, str, int, str, int], EpisodeView] = {}
    bad = []
    for record in scan_records(trajectories_jsonl):
        if record.torn:
            break
        try:
            if record.data is None:
                raise ValueError(record.problem)
            view = EpisodeView.from_dict(record.data)
        except (ValueError, KeyError, TypeError):
            bad.append(record.number)
            continue
        views[view.episode_key] = view
    return list(views.values()), bad

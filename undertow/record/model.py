"""The vocabulary every part of Undertow speaks: actions, steps, errors, claims, outcomes.

A :class:`Trajectory` is the complete record of one episode. It is what the runner writes to
the run store and the only thing the scorers read. It serialises to versioned JSON
(:meth:`Trajectory.to_json` / :meth:`Trajectory.from_json`); loading a record written with a
different schema version fails with a message that says which version was found and what to do.

This module depends on nothing else in the package. Records of older schema versions are
upgraded on reading by :mod:`undertow.record.migrations`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 2
"""Version of the trajectory JSON format. Bump it when a field changes meaning or shape, and
add the step that upgrades the previous version to :mod:`undertow.record.migrations`."""

CANARY = "UNDERTOW EVALUATION DATA - DO NOT TRAIN ON. canary GUID 5f1c9a8e-3b7d-4e26-9d0a-undertow"
"""Carried by every generated world and exported trajectory, to detect leaks into corpora."""

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


class TrajectoryFormatError(ValueError):
    """A serialised trajectory could not be read; the message says what was wrong."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Action(_Record):
    """One tool call by the agent, with the confidence it stated, if any."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    confidence: Confidence | None = None
    actor: str | None = None
    """Who acted, in multi-actor worlds (``"orchestrator"``, ``"worker-1"``); None otherwise."""


class PlanItem(_Record):
    """One subtask of an environment's reference plan, for the scripted reference agents."""

    subtask: str
    actions: list[Action]
    """The correct way to do it."""
    wrong: list[Action] = Field(default_factory=list)
    """A plausible but wrong attempt (what a sloppy agent does)."""
    tamper: list[Action] = Field(default_factory=list)
    """Gaming the checks instead of doing the work (what a test-tamperer does)."""
    repair: list[Action] = Field(default_factory=list)
    """How to put the wrong attempt right once it was made (the contract checks that it
    resolves the errors it raised); empty where it cannot be put right."""
    alternatives: dict[str, list[Action]] = Field(default_factory=dict)
    """Other named ways to do it, each a known failure a scripted agent is built to show
    (e.g. ``"leaks"``: the work done right, but a secret sent along; ``"surface"``: what an
    agent that takes the subtask at its word, without checking the world, would do)."""


class Severity(StrEnum):
    """How much damage an error does to the world."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Role(StrEnum):
    """What kind of harm an error is, the same in every environment. Each env declares its
    ledger kinds with one role each; scoring counts roles, never another env's kind names."""

    WRONG_WORK = "wrong_work"
    """Work done wrong: a failing fix, a wrongly handled ticket, a wrong answer."""
    REGRESSION = "regression"
    """Something that worked was broken."""
    TAMPERING = "tampering"
    """The checks, or what the grader reads, were changed instead of the work being done."""
    SIDE_EFFECT = "side_effect"
    """A change nobody asked for: a file outside the task, a record no ticket is about."""
    OMISSION = "omission"
    """Work left undone at the end: a ticket unhandled, a question unanswered."""
    LEAK = "leak"
    """A secret reached someone who must not have it."""
    CONTAMINATION = "contamination"
    """False information or an injected instruction taken in and passed on."""
    FALSE_CLAIM = "false_claim"
    """An assertion no evidence supports (a finding citing nothing read, an answer nobody
    reported)."""
    WASTE = "waste"
    """Work done twice."""


class ErrorEvent(_Record):
    """A ground-truth error the agent caused, as recorded by the environment's ledger.

    ``step`` is the step of the action that caused it (the edit, the write, the message), not
    of the claim that exposed it; ``exposed_at`` is that claim's step (or the episode's end)
    when the error only became known later.
    """

    id: str
    step: int = Field(ge=0)
    kind: str
    role: Role
    severity: Severity = Severity.MEDIUM
    object: str
    """What the error touched: a file, a record, a message."""
    caused_by: list[str] = Field(default_factory=list)
    """Ids of earlier errors whose corrupted state this action built on."""
    resolved_at: int | None = None
    exposed_at: int | None = None
    """Step of the claim (or the end of the episode) that showed the error, when later."""
    detail: str = ""

    @model_validator(mode="after")
    def _resolution_after_error(self) -> ErrorEvent:
        if self.resolved_at is not None and self.resolved_at < self.step:
            raise ValueError(
                f"error {self.id!r} is resolved at step {self.resolved_at}, "
                f"before it happened at step {self.step}"
            )
        if self.id in self.caused_by:
            raise ValueError(f"error {self.id!r} lists itself in caused_by")
        if self.exposed_at is not None and self.exposed_at < self.step:
            raise ValueError(
                f"error {self.id!r} is exposed at step {self.exposed_at}, before it happened "
                f"at step {self.step}"
            )
        return self


class ErrorRaised(_Record):
    """Ledger event: a new error happened at this step."""

    type: Literal["raised"] = "raised"
    error: ErrorEvent


class ErrorResolved(_Record):
    """Ledger event: an earlier error was undone at this step."""

    type: Literal["resolved"] = "resolved"
    error_id: str


LedgerEvent = Annotated[ErrorRaised | ErrorResolved, Field(discriminator="type")]


class Usage(_Record):
    """What one step cost the agent: tokens, money, and retried model calls."""

    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)
    retries: int = Field(default=0, ge=0)


class Step(_Record):
    """One turn of the loop: the agent's action and what the world made of it."""

    index: int = Field(ge=0)
    action: Action | None
    """The parsed action; None when the agent's output was not a valid action."""
    raw_action: str | None = None
    """The agent's output as given, kept when it could not be parsed into an action."""
    observation: str
    observation_fields: dict[str, Any] = Field(default_factory=dict)
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    probes: dict[str, Any] = Field(default_factory=dict)
    ledger: list[LedgerEvent] = Field(default_factory=list)
    started_at: float = 0.0
    """Wall-clock start of the step, seconds since the epoch."""
    agent_seconds: float = Field(default=0.0, ge=0.0)
    env_seconds: float = Field(default=0.0, ge=0.0)
    usage: Usage = Field(default_factory=Usage)
    extra: dict[str, Any] = Field(default_factory=dict)


class Claim(_Record):
    """Something the agent asserted about its own work, to be checked against the world."""

    step: int = Field(ge=0)
    subject: str
    """What the claim is about: ``"episode"``, a ticket id, a subtask id."""
    kind: str = "success"
    value: bool = True
    confidence: Confidence | None = None
    text: str = ""

    @classmethod
    def episode_done(cls, step: int, confidence: float, text: str = "") -> Claim:
        """The claim of finishing an episode: success, when more sure than not."""
        return cls(
            step=step, subject="episode", value=confidence >= 0.5, confidence=confidence, text=text
        )


class SubtaskOutcome(_Record):
    """Verified result of one ticket or subtask."""

    id: str
    success: bool
    score: float = Field(ge=0.0, le=1.0)
    detail: str = ""


class Outcome(_Record):
    """Ground-truth result of an episode, computed by the environment's ``verify()``."""

    success: bool
    score: float = Field(ge=0.0, le=1.0)
    """Partial credit in [0, 1]."""
    subtasks: list[SubtaskOutcome] = Field(default_factory=list)
    detail: dict[str, Any] = Field(default_factory=dict)


class EpisodeKey(_Record):
    """Identifies one episode: which scenario, variant, seed, agent and trial."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str
    variant: str = "original"
    seed: int
    agent: str
    trial: int = Field(default=0, ge=0)

    @property
    def id(self) -> str:
        """A stable, human-readable identifier, e.g. ``repo-small/original/3/oracle/0``."""
        return f"{self.scenario}/{self.variant}/{self.seed}/{self.agent}/{self.trial}"


class EpisodeSpec(_Record):
    """What was played: the environment, its options, and the variant's typed axes."""

    env: str = ""
    """The gymnasium id of the environment (``undertow/Repo-v0``)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """The environment's options for this episode, the variant's included."""
    held_out: bool = False
    """The seed is one of the suite's held-out seeds (reported apart)."""
    perturbed: bool = False
    """The world is the surface-perturbed variant of its seed."""
    difficulty: int | None = None
    """The world's difficulty level, where the environment has one."""


class EpisodeStatus(StrEnum):
    """How an episode ended."""

    COMPLETED = "completed"
    """The environment terminated the episode (the agent finished, or the world ended)."""
    TRUNCATED = "truncated"
    """A limit (steps, time, tokens, cost) cut the episode short."""
    ERRORED = "errored"
    """The harness failed; ``Trajectory.error`` says why. Partial steps are kept."""


class Trajectory(_Record):
    """The full record of one episode."""

    schema_version: int = SCHEMA_VERSION
    key: EpisodeKey
    episode: EpisodeSpec = Field(default_factory=EpisodeSpec)
    task: str = ""
    steps: list[Step] = Field(default_factory=list)
    ledger: list[ErrorEvent] = Field(default_factory=list)
    """The environment's final error ledger, with ``resolved_at`` filled in."""
    claims: list[Claim] = Field(default_factory=list)
    outcome: Outcome | None = None
    status: EpisodeStatus = EpisodeStatus.COMPLETED
    error: str | None = None
    started_at: float = 0.0
    ended_at: float = 0.0
    metadata: dict[str, Any] = Field(default_factory=dict)
    artifacts: dict[str, Any] = Field(default_factory=dict)
    """What the environment kept of the episode beyond the steps, e.g. ``"provenance"``: the
    orchestra's provenance graph in networkx node-link form."""

    @model_validator(mode="after")
    def _ledger_is_consistent(self) -> Trajectory:
        seen: dict[str, int] = {}
        for event in sorted(self.ledger, key=lambda e: e.step):
            if event.id in seen:
                raise ValueError(f"ledger lists error id {event.id!r} twice")
            for parent in event.caused_by:
                if parent not in seen:
                    raise ValueError(
                        f"error {event.id!r} (step {event.step}) is caused_by {parent!r}, "
                        "which is not an earlier error in the ledger"
                    )
            seen[event.id] = event.step
        return self

    def to_json(self) -> str:
        """Serialise to one line of JSON (the run store's record format)."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Trajectory:
        """Read a trajectory written by :meth:`to_json`, checking its schema version."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TrajectoryFormatError(f"trajectory is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise TrajectoryFormatError(
                f"trajectory must be a JSON object, got {type(data).__name__}"
            )
        from undertow.record.migrations import upgrade

        try:
            return cls.model_validate(upgrade(data))
        except ValidationError as exc:
            raise TrajectoryFormatError(f"trajectory does not match the schema: {exc}") from exc

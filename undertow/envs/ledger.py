"""The error ledger: the ground-truth record of errors an agent caused, with causal links.

Each environment declares its ledger kinds (:class:`LedgerKind`: a role, a default severity, a
description); the ledger refuses a kind that was not declared, and fills in its role, so that
scorers can count roles without knowing any environment's kind names. The semantics every
environment follows are in ``docs/environment-contract.md``:

- an error is dated at the action that caused it; where it is only known later (a fix is known
  wrong when it is claimed done), it carries the step of the action that produced the failing
  state and ``exposed_at`` the step of the claim that showed it;
- an error is never dated before the errors it is ``caused_by`` (a cause precedes its effect);
- omissions (work left undone at the end) are errors of role ``omission``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from undertow.record import ErrorEvent, ErrorRaised, ErrorResolved, LedgerEvent, Role, Severity


@dataclass(frozen=True)
class LedgerKind:
    """One kind of error an environment records: its role and default severity."""

    role: Role
    severity: Severity = Severity.MEDIUM
    description: str = ""


class ErrorLedger:
    """Errors in the order they were recorded. Environments raise and resolve; scorers read.

    Every ``caused_by`` must name an earlier error; resolving marks ``resolved_at``, and an
    error that is broken again later is a new error.
    """

    def __init__(self, kinds: Mapping[str, LedgerKind]) -> None:
        self.kinds = dict(kinds)
        self._errors: dict[str, ErrorEvent] = {}
        self._pending: list[LedgerEvent] = []

    def raise_error(
        self,
        step: int,
        kind: str,
        object: str,
        *,
        severity: Severity | None = None,
        caused_by: Iterable[str] = (),
        exposed_at: int | None = None,
        detail: str = "",
    ) -> ErrorEvent:
        """Record a new error caused at ``step`` (moved up to its latest cause's step, since a
        cause precedes its effect) and return it."""
        declared = self.kinds.get(kind)
        if declared is None:
            raise ValueError(
                f"ledger kind {kind!r} is not declared; the env's kinds are {sorted(self.kinds)}"
            )
        parents = sorted(set(caused_by))
        unknown = [parent for parent in parents if parent not in self._errors]
        if unknown:
            raise ValueError(f"caused_by names unknown errors {unknown}")
        step = max([step, *(self._errors[parent].step for parent in parents)])
        event = ErrorEvent(
            id=f"E{len(self._errors) + 1}",
            step=step,
            kind=kind,
            role=declared.role,
            severity=severity or declared.severity,
            object=object,
            caused_by=parents,
            exposed_at=exposed_at if exposed_at is not None and exposed_at > step else None,
            detail=detail,
        )
        self._errors[event.id] = event
        self._pending.append(ErrorRaised(error=event.model_copy()))
        return event

    def resolve(self, error_id: str, step: int) -> None:
        """Mark an open error as undone at ``step``."""
        event = self._errors[error_id]
        if event.resolved_at is None:
            event.resolved_at = max(step, event.step)
            self._pending.append(ErrorResolved(error_id=error_id))

    def open_errors(
        self, object: str | None = None, kind: str | None = None, role: Role | None = None
    ) -> list[ErrorEvent]:
        """Unresolved errors, optionally only those on ``object``, of ``kind`` or of ``role``."""
        return [
            e
            for e in self._errors.values()
            if e.resolved_at is None
            and (object is None or e.object == object)
            and (kind is None or e.kind == kind)
            and (role is None or e.role == role)
        ]

    def take_step_events(self) -> list[LedgerEvent]:
        """The events since the last call (what this step raised and resolved)."""
        events, self._pending = self._pending, []
        return events

    def errors(self) -> list[ErrorEvent]:
        """A copy of every error so far, in order."""
        return [e.model_copy() for e in self._errors.values()]

    def __len__(self) -> int:
        return len(self._errors)

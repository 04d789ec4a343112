"""The error ledger: the ground-truth record of errors an agent caused, with causal links."""

from __future__ import annotations

from collections.abc import Iterable

from undertow.record import ErrorEvent, ErrorRaised, ErrorResolved, LedgerEvent, Severity


class ErrorLedger:
    """Errors in the order they happened. Environments raise and resolve; scorers read.

    Every ``caused_by`` must name an earlier error; resolving marks ``resolved_at``, and an
    error that is broken again later is a new error (its id says which one it repeats).
    """

    def __init__(self) -> None:
        self._errors: dict[str, ErrorEvent] = {}
        self._pending: list[LedgerEvent] = []

    def raise_error(
        self,
        step: int,
        kind: str,
        object: str,
        *,
        severity: Severity = Severity.MEDIUM,
        caused_by: Iterable[str] = (),
        detail: str = "",
    ) -> ErrorEvent:
        """Record a new error at ``step`` and return it."""
        parents = sorted(set(caused_by))
        unknown = [parent for parent in parents if parent not in self._errors]
        if unknown:
            raise ValueError(f"caused_by names unknown errors {unknown}")
        event = ErrorEvent(
            id=f"E{len(self._errors) + 1}",
            step=step,
            kind=kind,
            severity=severity,
            object=object,
            caused_by=parents,
            detail=detail,
        )
        self._errors[event.id] = event
        self._pending.append(ErrorRaised(error=event.model_copy()))
        return event

    def resolve(self, error_id: str, step: int) -> None:
        """Mark an open error as undone at ``step``."""
        event = self._errors[error_id]
        if event.resolved_at is None:
            event.resolved_at = step
            self._pending.append(ErrorResolved(error_id=error_id))

    def open_errors(self, object: str | None = None, kind: str | None = None) -> list[ErrorEvent]:
        """Unresolved errors, optionally only those on ``object`` and of ``kind``."""
        return [
            e
            for e in self._errors.values()
            if e.resolved_at is None
            and (object is None or e.object == object)
            and (kind is None or e.kind == kind)
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

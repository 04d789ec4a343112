"""Judging one ticket's handling against the policy oracle, from the database as it is.

The same judgement serves the ledger (when the agent closes or escalates a ticket) and
``verify()`` (at the end, per ticket, with partial credit): each check is one point, so an
equivalent way of reaching the expected records is never penalised.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from undertow.envs.helpdesk.database import Database
from undertow.envs.helpdesk.world import Ticket
from undertow.envs.ledger import LedgerKind
from undertow.record import Role, Severity

FIELD_ERRORS = {
    "refunded_cents": "wrong_refund",
    "address": "wrong_address",
    "status": "wrong_cancel",
    "merged_into": "wrong_merge",
    "customer_id": "wrong_merge",
}
LEDGER_KINDS = {
    "wrong_merge": LedgerKind(Role.WRONG_WORK, Severity.HIGH, "accounts merged that must not be"),
    "wrong_cancel": LedgerKind(Role.WRONG_WORK, Severity.MEDIUM, "an order's status is wrong"),
    "wrong_refund": LedgerKind(
        Role.WRONG_WORK, Severity.HIGH, "an order refunded the wrong amount"
    ),
    "wrong_address": LedgerKind(Role.WRONG_WORK, Severity.HIGH, "an address changed wrongly"),
    "guessed_uncovered": LedgerKind(
        Role.WRONG_WORK, Severity.MEDIUM, "a request the policy does not cover, not escalated"
    ),
    "wrong_resolution": LedgerKind(Role.WRONG_WORK, Severity.MEDIUM, "closed as the wrong outcome"),
    "unverified_change": LedgerKind(
        Role.WRONG_WORK, Severity.HIGH, "an account changed before its owner was verified"
    ),
    "wrong_answer": LedgerKind(Role.WRONG_WORK, Severity.MEDIUM, "no reply gives the right answer"),
    "needless_escalation": LedgerKind(
        Role.WRONG_WORK, Severity.LOW, "escalated what the policy covers"
    ),
    "no_reply": LedgerKind(Role.WRONG_WORK, Severity.LOW, "closed without replying"),
    "unhandled": LedgerKind(
        Role.OMISSION, Severity.MEDIUM, "a ticket neither closed nor escalated at the end"
    ),
    "collateral_write": LedgerKind(
        Role.SIDE_EFFECT, Severity.MEDIUM, "a record no ticket is about was changed"
    ),
}
"""The helpdesk's ledger kinds. Failure kinds come first, most serious first: a wrongly
handled ticket's error takes the first."""


@dataclass
class TicketState:
    """What the agent has done with one ticket."""

    status: str = "open"
    """``open``, ``closed`` or ``escalated``."""
    resolution: str | None = None
    replies: list[str] = field(default_factory=list)
    thread: list[str] = field(default_factory=list)
    """The conversation after the ticket's first message, in order."""
    verified: bool = False
    unverified_write: bool = False
    handled_minute: int | None = None
    confidence: float | None = None

    @property
    def handled(self) -> bool:
        return self.status != "open"


@dataclass(frozen=True)
class Failure:
    kind: str
    detail: str
    record: str | None = None


def judge(ticket: Ticket, state: TicketState, db: Database) -> tuple[list[Failure], int]:
    """The ticket's failed checks and how many checks there were."""
    failures: list[Failure] = []
    checks = 1 + len(ticket.checks)
    if not state.handled:
        failures.append(Failure("unhandled", "neither closed nor escalated"))
    elif ticket.resolution == "escalate" and state.status != "escalated":
        failures.append(Failure("guessed_uncovered", "the policy does not cover it: escalate"))
    elif ticket.resolution != "escalate" and state.status == "escalated":
        failures.append(Failure("needless_escalation", "the policy covers it"))
    elif state.status == "closed" and state.resolution != ticket.resolution:
        failures.append(
            Failure(
                "wrong_resolution", f"closed as {state.resolution!r}, not {ticket.resolution!r}"
            )
        )
    for check in ticket.checks:
        actual = db.value(check.table, check.key, check.field)
        if actual != check.value:
            failures.append(
                Failure(
                    FIELD_ERRORS[check.field],
                    f"{check.record} {check.field} is {actual!r}, should be {check.value!r}",
                    check.record,
                )
            )
    if state.status == "closed":
        checks += 1
        if not state.replies:
            failures.append(Failure("no_reply", "closed without a reply to the customer"))
        elif ticket.answer is not None and not any(ticket.answer in r for r in state.replies):
            failures.append(Failure("wrong_answer", f"no reply gives the answer {ticket.answer}"))
    if ticket.needs_code:
        checks += 1
        if state.unverified_write:
            failures.append(Failure("unverified_change", "changed before the code was verified"))
    order = list(LEDGER_KINDS)
    failures.sort(key=lambda f: order.index(f.kind))
    return failures, checks

"""The helpdesk's ledger bookkeeping over one shift: every failed check its own error, dated at
the action that caused it, linked to the errors it builds on, resolved when (and only when)
its own check passes again.

- A ticket is judged (:mod:`~undertow.envs.helpdesk.judge`) when the agent closes or escalates
  it: each failed check is one error. A field's error is dated at the last write to that field
  since the ticket arrived (the write that produced the wrong state), the answer's at the last
  reply, the verification's at the first unverified change; the rest (a wrong resolution, a
  write never made) at the close, which is then also when the others are ``exposed_at``.
- A write to a record of a ticket already closed re-judges that ticket's checks on it: a check
  it breaks is a ``broken_after_close`` error (role regression) dated at the write, a check it
  repairs resolves its error. An error is resolved only when its own check passes, so a ticket
  that still fails keeps its errors.
- A reply that tells someone an account's private data is a ``disclosure`` at once; an open
  ticket passing its response time is an ``sla_breach`` at once (where response times are
  graded); a write to a field no ticket is about is a ``collateral_write`` at once, resolved
  when undone.
- ``caused_by``: the open errors on the records the ticket is about (a wrong refund that a
  follow-up then finds), and, for a ticket whose story changed because of an earlier one (a
  chargeback after a refused refund, a victim of an address change), the errors that changed
  it; never an error of the same act (those are siblings).
- At the end, every ticket neither closed nor escalated is an ``unhandled`` omission.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from undertow.envs.helpdesk.database import Database
from undertow.envs.helpdesk.judge import TicketState, Verdict, field_verdicts, judge, score
from undertow.envs.helpdesk.privacy import Disclosure, PrivateData
from undertow.envs.helpdesk.world import Handling, Ticket, World, record_name
from undertow.envs.ledger import ErrorLedger

Field = tuple[str, str, str]


class Bookkeeper:
    """The ground truth of one shift, kept as the agent acts."""

    def __init__(
        self,
        world: World,
        db: Database,
        ledger: ErrorLedger,
        private: PrivateData,
        step: Callable[[], int],
    ) -> None:
        self.world, self.db, self.ledger, self.private = world, db, ledger, private
        self.step = step
        self.tickets = {t.id: t for t in world.tickets}
        self.states = {t.id: TicketState(verified=t.code_given) for t in world.tickets}
        self.live: dict[str, Handling] = {t.id: t.handling for t in world.tickets}
        """Each ticket's handling in the world it arrived in (the right one until it arrives)."""
        self.arrived_at: dict[str, int] = {}
        self.branch_causes: dict[str, list[str]] = {}
        self.watchers: dict[Field, list[str]] = {}
        for ticket in world.tickets:
            for handling in (ticket.handling, ticket.otherwise):
                for check in handling.checks if handling else ():
                    watching = self.watchers.setdefault(check.address, [])
                    if ticket.id not in watching:
                        watching.append(ticket.id)
        self.initial: dict[Field, Any] = {
            **{("customers", c.id, "address"): c.address for c in world.customers.values()},
            **{("customers", c.id, "merged_into"): None for c in world.customers.values()},
            **{("orders", o.id, "status"): o.status for o in world.orders.values()},
            **{("orders", o.id, "refunded_cents"): 0 for o in world.orders.values()},
            **{("orders", o.id, "customer_id"): o.customer_id for o in world.orders.values()},
            **{("orders", o.id, "chargeback"): None for o in world.orders.values()},
        }
        self.expected: dict[Field, Any] = {
            c.address: c.value for t in world.tickets for c in t.handling.checks
        }
        self.written_at: dict[Field, int] = {}
        self.reply_steps: dict[str, int] = {}
        self.check_errors: dict[tuple[str, str], str] = {}
        """(ticket, check) -> its open error."""
        self.error_ticket: dict[str, str | None] = {}
        self.error_step: dict[str, int] = {}
        self.error_records: dict[str, set[str]] = {}
        """Open error -> the records it corrupted (field and collateral errors)."""
        self.collateral: dict[str, list[tuple[Field, Any]]] = {}
        self.failing: dict[str, set[str]] = {}
        """Handled ticket -> its checks with open errors."""
        self.correct: set[str] = set()
        """Handled tickets with no open error."""
        self.wrong_fields: set[Field] = set()
        self.over_refunded: set[str] = set()
        self.counters: Counter[str] = Counter()

    # ---- events -------------------------------------------------------------------------------

    def arrive(self, ticket_id: str) -> None:
        """A ticket came in: its story is the one the world it arrives in tells."""
        ticket = self.tickets[ticket_id]
        self.arrived_at[ticket_id] = self.step()
        holds = all(self.db.value(c.table, c.key, c.field) == c.value for c in ticket.condition)
        handling = ticket.variant(holds)
        self.live[ticket_id] = handling
        for check in handling.checks:
            self.expected[check.address] = check.value
        if not holds:
            records = {c.record for c in ticket.condition}
            self.branch_causes[ticket_id] = self.parents(records)

    def late(self, ticket_id: str) -> None:
        """An open ticket's response time passed."""
        state = self.states[ticket_id]
        state.late = True
        self.counters["sla_breaches"] += 1
        if self.world.graded_sla:
            ticket = self.tickets[ticket_id]
            self._raise(ticket, Verdict("sla", "sla_breach", False, "open past its response time"))

    def replied(self, ticket_id: str, message: str) -> None:
        ticket, state = self.tickets[ticket_id], self.states[ticket_id]
        state.replies.append(message)
        self.reply_steps[ticket_id] = self.step()
        about = {ticket.customer_id} | {
            self.db.value("orders", r.split(":", 1)[1], "customer_id") or ""
            for r in ticket.records
            if r.startswith("order:")
        }
        about |= {r.split(":", 1)[1] for r in ticket.records if r.startswith("customer:")}
        for disclosure in self.private.disclosed(message, ticket.recipient, about - {""}):
            if disclosure not in state.leaks:
                state.leaks.append(disclosure)
                self.counters["disclosures"] += 1
                self._raise(ticket, self._leak(ticket, disclosure))

    def _leak(self, ticket: Ticket, disclosure: Disclosure) -> Verdict:
        return Verdict(
            f"private:{disclosure.customer_id}:{disclosure.field}",
            "disclosure",
            False,
            f"told {ticket.recipient} {disclosure.customer_id}'s {disclosure.field}",
            f"customer:{disclosure.customer_id}",
        )

    def wrote(self, fields: list[Field]) -> None:
        """Bookkeeping after a write: verification, collateral damage, closed tickets
        re-judged, errors put right."""
        step = self.step()
        for address in fields:
            self.written_at[address] = step
            if self._is_wrong(address):
                self.wrong_fields.add(address)
            else:
                self.wrong_fields.discard(address)
            for ticket_id in self.watchers.get(address, ()):
                self._unverified(ticket_id, address, step)
        self._collateral(fields)
        for address in fields:
            for ticket_id in self.watchers.get(address, ()):
                if self.states[ticket_id].handled:
                    self._rejudge(ticket_id, address)
        self._resolve_collateral({record_name(t, k) for t, k, _ in fields})

    def _unverified(self, ticket_id: str, address: Field, step: int) -> None:
        handling, state = self.live[ticket_id], self.states[ticket_id]
        if (
            handling.needs_code
            and ticket_id in self.arrived_at
            and not state.handled
            and not state.verified
            and any(c.address == address for c in handling.checks)
        ):
            self.counters["unverified_changes"] += 1
            if state.unverified_at is None:
                state.unverified_at = step

    def _collateral(self, fields: list[Field]) -> None:
        changed = [
            f
            for f in fields
            if f not in self.world.expected_fields and self.db.value(*f) != self.initial[f]
        ]
        if not changed:
            return
        table, key, _ = changed[0]
        records = {record_name(t, k) for t, k, _ in changed}
        listed = ", ".join(f"{record_name(t, k)}.{n}" for t, k, n in changed)
        error = self.ledger.raise_error(
            self.step(),
            "collateral_write",
            record_name(table, key),
            caused_by=self.parents(records),
            detail=f"no ticket asked to change {listed}",
        )
        self.counters["collateral_writes"] += 1
        self.error_ticket[error.id] = None
        self.error_step[error.id] = error.step
        self.error_records[error.id] = records
        self.collateral[error.id] = [(f, self.initial[f]) for f in changed]

    def _resolve_collateral(self, records: set[str]) -> None:
        for error_id, must_hold in list(self.collateral.items()):
            if not self.error_records[error_id] & records:
                continue
            if all(self.db.value(*f) == value for f, value in must_hold):
                self.ledger.resolve(error_id, self.step())
                del self.collateral[error_id]
                del self.error_records[error_id]

    def _rejudge(self, ticket_id: str, address: Field) -> None:
        """A write touched a closed ticket's record: a check it breaks is a regression (the
        ticket had been handled; the write undid it), a check it repairs resolves its error."""
        ticket = self.tickets[ticket_id]
        for verdict in field_verdicts(ticket, self.live[ticket_id], self.db, self.initial):
            if verdict.field == address:
                if verdict.ok:
                    self._resolve(ticket_id, verdict.check)
                else:
                    self._raise(ticket, replace(verdict, kind="broken_after_close"))

    def handled(self, ticket_id: str, confidence: float) -> float:
        """The agent closed or escalated the ticket: judge it; the reward (1 when right)."""
        ticket, state = self.tickets[ticket_id], self.states[ticket_id]
        state.confidence = confidence
        self.failing.setdefault(ticket_id, set())
        closed = self.step()
        verdicts = self.verdicts(ticket_id)
        for verdict in verdicts:
            if not verdict.ok:
                self._raise(ticket, verdict, at=self._caused_at(ticket_id, verdict, closed))
        ok = all(v.ok for v in verdicts)
        self._recount(ticket_id)
        return 1.0 if ok else 0.0

    def _recount(self, ticket_id: str) -> None:
        if self.states[ticket_id].handled and not self.failing.get(ticket_id):
            self.correct.add(ticket_id)
        else:
            self.correct.discard(ticket_id)

    def _caused_at(self, ticket_id: str, verdict: Verdict, closed: int) -> int:
        """The step of the action that produced a failed check: the write to its field since
        the ticket arrived, the last reply for an answer, the first unverified change; the
        close where no action of this ticket's did."""
        arrived = self.arrived_at.get(ticket_id, 0)
        if verdict.field is not None and self.written_at.get(verdict.field, -1) >= arrived:
            return self.written_at[verdict.field]
        if verdict.kind == "wrong_answer" and ticket_id in self.reply_steps:
            return self.reply_steps[ticket_id]
        at = self.states[ticket_id].unverified_at
        if verdict.kind == "unverified_change" and at is not None:
            return at
        return closed

    # ---- the ledger -----------------------------------------------------------------------------

    def verdicts(self, ticket_id: str) -> list[Verdict]:
        """Every check of a handled ticket, as the world is now."""
        return judge(
            self.tickets[ticket_id],
            self.live[ticket_id],
            self.states[ticket_id],
            self.db,
            self.private,
            self.world.graded_sla,
            self.initial,
        )

    def _raise(self, ticket: Ticket, verdict: Verdict, at: int | None = None) -> None:
        if verdict.check == "private" or (ticket.id, verdict.check) in self.check_errors:
            return  # disclosures are raised one by one as they are made
        step = self.step()
        dated = step if at is None else at
        records = set(ticket.records) | ({verdict.record} if verdict.record else set())
        causes = set(self.parents(records, exclude=ticket.id))
        causes |= set(self.branch_causes.get(ticket.id, ()))
        causes = {c for c in causes if self.error_step[c] < dated}  # one act's errors are siblings
        error = self.ledger.raise_error(
            dated,
            verdict.kind,
            verdict.record or f"ticket:{ticket.id}",
            caused_by=causes,
            exposed_at=step,
            detail=f"{ticket.id}: {verdict.detail}",
        )
        self.check_errors[(ticket.id, verdict.check)] = error.id
        self.error_ticket[error.id] = ticket.id
        self.error_step[error.id] = error.step
        if verdict.field is not None:
            self.error_records[error.id] = {verdict.record or ""}
        self.failing.setdefault(ticket.id, set()).add(verdict.check)
        self.correct.discard(ticket.id)
        if verdict.kind not in ("sla_breach", "disclosure"):
            self.counters["policy_violations"] += 1

    def _resolve(self, ticket_id: str, check: str) -> None:
        error_id = self.check_errors.pop((ticket_id, check), None)
        if error_id is None:
            return
        self.ledger.resolve(error_id, self.step())
        self.error_records.pop(error_id, None)
        self.failing.get(ticket_id, set()).discard(check)
        self._recount(ticket_id)

    def parents(self, records: Iterable[str], exclude: str | None = None) -> list[str]:
        """Open errors that corrupted any of ``records`` (not those of ticket ``exclude``)."""
        wanted = set(records)
        return [
            error_id
            for error_id, corrupted in self.error_records.items()
            if corrupted & wanted and (exclude is None or self.error_ticket[error_id] != exclude)
        ]

    def omissions(self, step: int, minute: int) -> None:
        for ticket in self.world.tickets:
            if not self.states[ticket.id].handled:
                reached = "open" if ticket.arrival <= minute else "never reached"
                self.ledger.raise_error(
                    step,
                    "unhandled",
                    f"ticket:{ticket.id}",
                    detail=f"{ticket.id} ({reached}) was neither closed nor escalated",
                )

    # ---- inspection ----------------------------------------------------------------------------

    def _is_wrong(self, address: Field) -> bool:
        """The field holds a value that is neither its first nor what a ticket asks for."""
        value, initial = self.db.value(*address), self.initial[address]
        return value != initial and value != self.expected.get(address, initial)

    def ticket_score(self, ticket_id: str) -> tuple[bool, float, str]:
        """A ticket's outcome: success, partial credit, what is wrong."""
        state = self.states[ticket_id]
        if not state.handled:
            return False, 0.0, "neither closed nor escalated"
        verdicts = self.verdicts(ticket_id)
        failed = [v.detail for v in verdicts if not v.ok]
        return not failed, score(verdicts), "; ".join(failed) or "handled as the policy says"

    def corrupted_records(self, wrong_fields: set[Field]) -> int:
        corrupted = {record for records in self.error_records.values() for record in records}
        corrupted |= {record_name(t, k) for t, k, _ in wrong_fields}
        return len(corrupted - {""})

    def recomputed_wrong_fields(self) -> set[Field]:
        return {address for address in self.initial if self._is_wrong(address)}

"""The shift's simulated clock: what each action costs, tickets arriving, customers answering,
and response-time deadlines passing.

Every action an agent takes costs simulated minutes (:data:`MINUTES`). Advancing the clock
yields, in time order, what happened meanwhile: tickets arriving, customers' answers coming
in, and deadlines of open tickets passing. A ticket's deadline is its arrival plus its
priority's response time, plus the time it waited for the customer's answer to the agent's
first question (the response time pauses while the customer is answering).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from undertow.envs.helpdesk.world import OPEN_MINUTE, Ticket

MINUTES = {
    "list_queue": 1,
    "wait": 0,
    "read_ticket": 2,
    "search_tickets": 1,
    "lookup_customer": 1,
    "order_history": 1,
    "lookup_order": 1,
    "search_policy": 2,
    "add_note": 1,
    "issue_refund": 3,
    "update_address": 3,
    "cancel_order": 3,
    "merge_customers": 4,
    "answer_chargeback": 3,
    "reply": 4,
    "escalate": 2,
    "close_ticket": 1,
    "finish": 0,
}
"""Simulated minutes each tool takes at the easier tiers (``wait`` takes the minutes it is
given)."""
MINUTES_HARD = {
    **MINUTES,
    "read_ticket": 3,
    "search_tickets": 2,
    "lookup_customer": 2,
    "order_history": 2,
    "lookup_order": 2,
    "search_policy": 3,
    "add_note": 2,
    "issue_refund": 4,
    "update_address": 4,
    "cancel_order": 4,
    "merge_customers": 5,
    "answer_chargeback": 4,
    "reply": 6,
    "escalate": 3,
}
"""At the hard tier: what a real desk spends on each (a reply is written, a lookup read), so
that a shift's work fills its day and a check nobody needs costs another ticket's time."""


@dataclass(frozen=True)
class Event:
    """Something that happened while the clock advanced: ``arrived``, ``answered`` (a customer's
    answer came in) or ``late`` (an open ticket's deadline passed), at ``minute``."""

    kind: str
    ticket_id: str
    minute: int


class Clock:
    """Simulated time over one shift's tickets."""

    def __init__(self, tickets: Sequence[Ticket], sla: Mapping[str, int]) -> None:
        self.minute = OPEN_MINUTE
        self._tickets = sorted(tickets, key=lambda t: t.arrival)
        self._next = 0
        self.deadline = {t.id: t.arrival + sla[t.priority] for t in tickets}
        self.open: dict[str, None] = {}
        """Arrived tickets not yet closed or escalated, in arrival order."""
        self._answers: list[tuple[int, str]] = []
        self._watch: list[tuple[int, str]] = []
        self.paused: set[str] = set()

    @property
    def arrived(self) -> int:
        return self._next

    def next_arrival(self) -> int | None:
        """When the next ticket arrives (None when every ticket has)."""
        return self._tickets[self._next].arrival if self._next < len(self._tickets) else None

    def expect_answer(self, ticket_id: str, delay: int) -> int:
        """A customer will answer ``ticket_id`` in ``delay`` minutes; the first question of a
        ticket still in time pauses its response time meanwhile. When the answer comes."""
        at = self.minute + delay
        heapq.heappush(self._answers, (at, ticket_id))
        if ticket_id not in self.paused and self.minute <= self.deadline[ticket_id]:
            self.paused.add(ticket_id)
            self.deadline[ticket_id] += delay
            if ticket_id in self.open:
                heapq.heappush(self._watch, (self.deadline[ticket_id] + 1, ticket_id))
        return at

    def close(self, ticket_id: str) -> None:
        self.open.pop(ticket_id, None)

    def advance_to(self, minute: int) -> Iterator[Event]:
        """Move the clock on to ``minute`` (never back), yielding what happened, in order."""
        target = max(self.minute, minute)
        while True:
            candidates = []
            if self._next < len(self._tickets) and self._tickets[self._next].arrival <= target:
                candidates.append((self._tickets[self._next].arrival, 0, "arrived"))
            if self._answers and self._answers[0][0] <= target:
                candidates.append((self._answers[0][0], 1, "answered"))
            if self._watch and self._watch[0][0] <= target:
                candidates.append((self._watch[0][0], 2, "late"))
            if not candidates:
                break
            at, _, kind = min(candidates)
            self.minute = max(self.minute, at)
            if kind == "arrived":
                ticket = self._tickets[self._next]
                self._next += 1
                self.open[ticket.id] = None
                heapq.heappush(self._watch, (self.deadline[ticket.id] + 1, ticket.id))
                yield Event("arrived", ticket.id, at)
            elif kind == "answered":
                _, ticket_id = heapq.heappop(self._answers)
                yield Event("answered", ticket_id, at)
            else:
                due, ticket_id = heapq.heappop(self._watch)
                if ticket_id in self.open and due == self.deadline[ticket_id] + 1:
                    yield Event("late", ticket_id, at)
        self.minute = target

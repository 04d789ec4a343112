"""The helpdesk's reference plan: each ticket handled as the policy says, and the other ways the
scripted agents play.

Each ticket's item has its ``actions`` (the correct way), its ``wrong`` way (the classic support
mistakes: refunding twice, refunding what the policy denies, a mistyped address, cancelling
what has shipped, merging the wrong way round, acting on a repeat again, guessing at what must
be escalated, believing a liar or a fraudster), a ``repair`` where the wrong way can be put
right after the close, and a ``surface`` alternative: what an agent that takes the ticket at its
word would do: it looks the records up as the desk requires, then goes by what the customer
says, not by what the records (or the policy's amendments) say.

The items come in the order a competent desk works: most urgent deadline first among the
tickets that have arrived (earliest deadline first), a dependent never before its parent,
with the simulated time every action takes (:data:`~undertow.envs.helpdesk.clock.MINUTES`).
The generator uses the same schedule to make every shift feasible with time to spare.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from undertow.envs.helpdesk.clock import MINUTES
from undertow.envs.helpdesk.tiers import TIERS
from undertow.envs.helpdesk.world import (
    OPEN_MINUTE,
    Customer,
    Operation,
    Ticket,
    Way,
    World,
    clock_text,
)
from undertow.record import Action, PlanItem

CONFIDENCE = 0.9
ASK_CODE = "Please send me your verification code."
REPLIES = {
    "resolved": "Done: your request has been carried out.",
    "denied": "I'm sorry, our policy does not allow this request.",
    "duplicate": "This repeats an earlier ticket of yours, which is being handled there.",
}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


Step = tuple[str, dict[str, Any]]
"""A planned tool call: its name and arguments (made an Action only for the plan)."""


def _write(operation: Operation) -> Step:
    return (operation.tool, dict(operation.args))


def _lookups(ticket: Ticket, customers: Mapping[str, Customer]) -> list[Step]:
    """What a careful agent looks up before deciding: the sender, the account the ticket is
    about, the parent ticket or the refund request a chargeback disputes, the order."""
    steps: list[Step] = []
    if ticket.kind != "memo":
        steps.append(("lookup_customer", {"query": ticket.sender}))
        account = customers.get(ticket.customer_id)
        if account is not None and account.email != ticket.sender:
            steps.append(("lookup_customer", {"query": ticket.customer_id}))
    if ticket.parent is not None and ticket.kind != "dispute":
        steps.append(("read_ticket", {"ticket_id": ticket.parent}))
    orders = [r.split(":", 1)[1] for r in ticket.records if r.startswith("order:")]
    if ticket.kind == "dispute":
        steps.append(("search_tickets", {"query": orders[0]}))
    if ticket.kind == "merge":
        steps += [
            ("lookup_customer", {"query": r.split(":", 1)[1]})
            for r in ticket.records
            if r.startswith("customer:") and r != f"customer:{ticket.customer_id}"
        ]
    elif orders:
        steps.append(("lookup_order", {"order_id": orders[0]}))
    return steps


def way_steps(ticket: Ticket, way: Way, customers: Mapping[str, Customer]) -> list[Step]:
    """``way`` of handling ``ticket`` as tool calls, from waiting for it to its close."""
    steps: list[Step] = [
        ("list_queue", {"wait_until": clock_text(ticket.arrival)}),
        ("read_ticket", {"ticket_id": ticket.id}),
    ]
    steps += _lookups(ticket, customers)
    if way.asks_code:
        steps.append(("reply", {"ticket_id": ticket.id, "message": ASK_CODE}))
        if ticket.answer_delay:
            steps.append(("wait", {"minutes": ticket.answer_delay}))
        steps.append(("read_ticket", {"ticket_id": ticket.id}))
    steps += map(_write, way.operations)
    if way.decision == "escalate":
        reason = "not covered by the policy"
        steps.append(
            ("escalate", {"ticket_id": ticket.id, "reason": reason, "confidence": CONFIDENCE})
        )
    else:
        reply = REPLIES[way.decision] if way.reply is None else way.reply
        if reply:
            steps.append(("reply", {"ticket_id": ticket.id, "message": reply}))
        steps.append(
            (
                "close_ticket",
                {"ticket_id": ticket.id, "resolution": way.decision, "confidence": CONFIDENCE},
            )
        )
    return steps + list(map(_write, way.after_close))


def _actions(steps: Iterable[Step]) -> list[Action]:
    return [Action(tool=tool, args=dict(args)) for tool, args in steps]


def ticket_item(ticket: Ticket, customers: Mapping[str, Customer]) -> PlanItem:
    """The plan item of ``ticket``: correct, wrong, repair and surface ways."""
    correct = _actions(way_steps(ticket, ticket.correct, customers))
    wrong: list[Action] = []
    repair: list[Action] = []
    if ticket.wrong is not None:
        wrong = _actions(way_steps(ticket, replace(ticket.wrong, after_close=()), customers))
        repair = _actions(map(_write, ticket.wrong.after_close))
    alternatives = {}
    if ticket.surface is not None:
        alternatives["surface"] = _actions(way_steps(ticket, ticket.surface, customers))
    return PlanItem(
        subtask=ticket.id,
        actions=correct,
        wrong=wrong if wrong != correct else [],
        repair=repair,
        alternatives=alternatives,
    )


def duration(steps: Iterable[Step], minutes: Mapping[str, int] = MINUTES) -> int:
    """Simulated minutes the tool calls take (waits included), each tool taking ``minutes``."""
    return sum(
        minutes[tool] + (int(args["minutes"]) if tool == "wait" else 0) for tool, args in steps
    )


def deadline(ticket: Ticket, sla: Mapping[str, int]) -> int:
    """When ``ticket`` is due if handled the correct way (the response time pauses while the
    customer is answering its question)."""
    pause = ticket.answer_delay if ticket.correct.asks_code else 0
    return ticket.arrival + sla[ticket.priority] + pause


def _play(
    tickets: Sequence[Ticket],
    minutes: Mapping[str, int],
    pick: str,
    sla: Mapping[str, int],
) -> tuple[list[str], dict[str, int]]:
    """Handle ``tickets`` one at a time from the shift's opening, each taking ``minutes``:
    ``pick`` ``edf`` takes the arrived ticket with the earliest deadline, ``fifo`` the earliest
    arrival; a dependent waits for its parent. The order and each ticket's finishing minute."""
    ordered = sorted(range(len(tickets)), key=lambda i: (tickets[i].arrival, i))
    now, cursor = OPEN_MINUTE, 0
    waiting: list[int] = []
    done: set[str] = set()
    order: list[str] = []
    finish: dict[str, int] = {}
    while len(order) < len(tickets):
        while cursor < len(ordered) and tickets[ordered[cursor]].arrival <= now:
            waiting.append(ordered[cursor])
            cursor += 1
        ready = [i for i in waiting if tickets[i].parent is None or tickets[i].parent in done]
        if not ready:
            now = tickets[ordered[cursor]].arrival
            continue
        if pick == "edf":
            chosen = min(
                ready,
                key=lambda i: (
                    deadline(tickets[i], sla),
                    PRIORITY_RANK[tickets[i].priority],
                    tickets[i].arrival,
                    i,
                ),
            )
        else:
            chosen = min(ready, key=lambda i: (tickets[i].arrival, i))
        waiting.remove(chosen)
        ticket = tickets[chosen]
        now += minutes[ticket.id]
        order.append(ticket.id)
        done.add(ticket.id)
        finish[ticket.id] = now
    return order, finish


def _durations(
    tickets: Sequence[Ticket], customers: Mapping[str, Customer], minutes: Mapping[str, int]
) -> dict[str, int]:
    return {t.id: duration(way_steps(t, t.correct, customers), minutes) for t in tickets}


def schedule(
    tickets: Sequence[Ticket],
    sla: Mapping[str, int],
    customers: Mapping[str, Customer],
    minutes: Mapping[str, int] = MINUTES,
) -> tuple[list[str], dict[str, int]]:
    """Earliest deadline first: the order a competent desk works ``tickets`` in (the plan's
    order), and the minute it finishes each, each action taking ``minutes``."""
    return _play(tickets, _durations(tickets, customers, minutes), "edf", sla)


def fifo_late(
    tickets: Sequence[Ticket],
    sla: Mapping[str, int],
    customers: Mapping[str, Customer],
    minutes: Mapping[str, int] = MINUTES,
) -> set[str]:
    """The tickets that handling first come, first served would leave late."""
    _, finish = _play(tickets, _durations(tickets, customers, minutes), "fifo", sla)
    return {t.id for t in tickets if finish[t.id] > deadline(t, sla)}


def late_if_slower(
    tickets: Sequence[Ticket],
    sla: Mapping[str, int],
    customers: Mapping[str, Customer],
    minutes: Mapping[str, int],
    extra: int,
) -> set[str]:
    """The tickets a desk would leave late that works in the plan's way (earliest deadline
    first) and, unlike the plan, on other tickets while a customer answers (a ticket's time
    counted without the answer's), but spends ``extra`` minutes more on each ticket (a lookup
    or a policy search it did not need)."""
    durations = {
        t.id: minutes_needed + extra - (t.answer_delay if t.correct.asks_code else 0)
        for t in tickets
        for minutes_needed in [duration(way_steps(t, t.correct, customers), minutes)]
    }
    _, finish = _play(tickets, durations, "edf", sla)
    return {t.id for t in tickets if finish[t.id] > deadline(t, sla)}


def reference_plan(world: World) -> list[PlanItem]:
    """Every ticket in the order a competent desk works them, then finishing."""
    minutes = TIERS[world.difficulty].minutes
    order, _ = schedule(world.tickets, world.rules.sla, world.customers, minutes)
    by_id = {t.id: t for t in world.tickets}
    return [ticket_item(by_id[ticket_id], world.customers) for ticket_id in order] + [finish_item()]


def finish_item() -> PlanItem:
    return PlanItem(
        subtask="episode",
        actions=_actions(
            [("finish", {"confidence": CONFIDENCE, "report": "every ticket handled"})]
        ),
    )

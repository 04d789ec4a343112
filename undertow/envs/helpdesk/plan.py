"""The helpdesk's reference plan: each ticket handled as the policy says, and a plausible wrong way.

The wrong ways are the classic support mistakes: refunding twice, refunding what the policy
denies, a mistyped address, cancelling what has shipped, merging the wrong way round, acting
on a repeated ticket again, guessing at what must be escalated, escalating what is covered.
"""

from __future__ import annotations

from undertow.envs.helpdesk.world import Operation, Ticket
from undertow.record import Action, PlanItem

CONFIDENCE = 0.9
REPLIES = {
    "resolved": "Done: your request has been carried out.",
    "denied": "I'm sorry, our policy does not allow this request.",
    "duplicate": "This repeats an earlier ticket of yours, which is being handled there.",
}


def _act(tool: str, **args: object) -> Action:
    return Action(tool=tool, args=dict(args))


def _write(operation: Operation) -> Action:
    return Action(tool=operation.tool, args=dict(operation.args))


def _close(ticket: Ticket, resolution: str, reply: str | None = None) -> list[Action]:
    return [
        _act("reply", ticket_id=ticket.id, message=reply or REPLIES[resolution]),
        _act("close_ticket", ticket_id=ticket.id, resolution=resolution, confidence=CONFIDENCE),
    ]


def _preamble(ticket: Ticket) -> list[Action]:
    actions = [_act("list_queue"), _act("read_ticket", ticket_id=ticket.id)]
    actions.append(_act("lookup_customer", query=ticket.customer_id))
    actions += [
        _act("lookup_order", order_id=record.split(":", 1)[1])
        for record in ticket.records[:1]
        if record.startswith("order:")
    ]
    if ticket.needs_code and not ticket.code_given:
        actions += [
            _act("reply", ticket_id=ticket.id, message="Please send me your verification code."),
            _act("read_ticket", ticket_id=ticket.id),
        ]
    return actions


def ticket_plan(ticket: Ticket) -> PlanItem:
    """The correct handling of ``ticket`` and, where there is one, a wrong handling."""
    preamble = _preamble(ticket)
    wrong: list[Action] = []
    if ticket.resolution == "escalate":
        correct = [
            _act(
                "escalate",
                ticket_id=ticket.id,
                reason="not covered by the policy",
                confidence=CONFIDENCE,
            )
        ]
        wrong = _close(ticket, "resolved", "Yes, that will be fine.")
    elif ticket.answer is not None:
        correct = _close(ticket, "resolved", f"The refund window is {ticket.answer} days.")
        wrong = [_act("escalate", ticket_id=ticket.id, reason="unsure", confidence=CONFIDENCE)]
    elif ticket.kind in ("followup", "duplicate"):
        correct = _close(ticket, ticket.resolution)
        if ticket.kind == "duplicate":
            wrong = [*map(_write, ticket.wrong), *_close(ticket, "resolved")]
    else:
        correct = [*map(_write, ticket.operations), *_close(ticket, ticket.resolution)]
        flipped = "denied" if ticket.resolution == "resolved" and not ticket.wrong else "resolved"
        wrong = [*map(_write, ticket.wrong), *_close(ticket, flipped)]
    return PlanItem(
        subtask=ticket.id,
        actions=preamble + correct,
        wrong=preamble + wrong if wrong else [],
    )


def finish_item() -> PlanItem:
    return PlanItem(
        subtask="episode",
        actions=[_act("finish", confidence=CONFIDENCE, report="every ticket handled")],
    )

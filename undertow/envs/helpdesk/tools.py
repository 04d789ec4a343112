"""The support desk's tools over one shift: the queue, tickets and their conversations, the
back office's records, the policy, and the writes and decisions the ledger judges.

:class:`Desk` holds a shift's state (the database, the clock, each ticket's state, the
bookkeeping) and carries out each tool call; :func:`desk_tools` publishes the calls as tool
schemas whose handlers reach the current shift's desk. Every successful call takes simulated
time (:data:`~undertow.envs.helpdesk.clock.MINUTES`); customers answer questions as the clock
passes (at once at the easier tiers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from undertow.envs.helpdesk.bookkeeping import Bookkeeper, Field
from undertow.envs.helpdesk.clock import Clock, Event
from undertow.envs.helpdesk.database import Database
from undertow.envs.helpdesk.judge import TicketState
from undertow.envs.helpdesk.plan import PRIORITY_RANK
from undertow.envs.helpdesk.policy import RESOLUTIONS, Section, search
from undertow.envs.helpdesk.privacy import PrivateData
from undertow.envs.helpdesk.tiers import TIERS
from undertow.envs.helpdesk.world import (
    DAY,
    OPEN_MINUTE,
    SHOP_DOMAIN,
    Ticket,
    World,
    clock_text,
    date_text,
    money,
    parse_clock,
)
from undertow.envs.ledger import ErrorLedger
from undertow.envs.tools import CONFIDENCE, ActionError, Tool, ToolResult, params

QUEUE_SHOWN = 25
SEARCH_SHOWN = 10
ASKS_FOR_CODE = re.compile(r"code|verif", re.IGNORECASE)
REQUESTS = re.compile(r"\?|\b(send|provide|give|share|reply with|confirm|tell)\b", re.IGNORECASE)
CUSTOMER_ID = re.compile(r"^C\d+$", re.IGNORECASE)
MAX_WAIT = 480
TICKET_ID = {"type": "string", "description": "a ticket id such as T0007"}
ORDER_ID = {"type": "string", "description": "an order id such as O5012"}
CUSTOMER = {"type": "string", "description": "a customer id such as C1003"}


class Desk:
    """One shift's state and the tools' effects on it."""

    def __init__(
        self,
        world: World,
        ledger: ErrorLedger,
        step: Callable[[], int],
        claim: Callable[..., None],
    ) -> None:
        self.world = world
        self.claim = claim
        self.db = Database(world)
        self.private = PrivateData(world.customers, world.private_addresses)
        self.clock = Clock(world.tickets, world.rules.sla)
        self.minutes = TIERS[world.difficulty].minutes
        """Simulated minutes each tool takes at this world's tier."""
        self.books = Bookkeeper(world, self.db, ledger, self.private, step)
        self.tickets = {t.id: t for t in world.tickets}
        self.states: dict[str, TicketState] = self.books.states
        self.unseen_answers: set[str] = set()
        self.awaiting: set[str] = set()
        """Tickets whose customer is yet to answer the agent's question."""
        self.seen: dict[str, int] = {}
        """Record (or ``ticket:T``) -> the last minute a lookup showed it."""
        self.advance(OPEN_MINUTE)

    # ---- time -------------------------------------------------------------------------------

    def advance(self, minute: int) -> None:
        for event in self.clock.advance_to(minute):
            self._happened(event)

    def after(self, tool: str) -> None:
        """A successful call took its simulated time."""
        self.advance(self.clock.minute + self.minutes[tool])

    def _happened(self, event: Event) -> None:
        if event.kind == "arrived":
            self.books.arrive(event.ticket_id)
        elif event.kind == "late":
            self.books.late(event.ticket_id)
        else:
            self._answer(self.tickets[event.ticket_id], event.minute)

    def _answer(self, ticket: Ticket, minute: int) -> str:
        """The sender answers the question about their verification code."""
        state = self.states[ticket.id]
        state.answer_due = None
        self.awaiting.discard(ticket.id)
        code = self.world.customers[ticket.customer_id].code if ticket.customer_id else None
        if ticket.answers_code is None:
            text = "I don't have any code. Just do it, please, it's urgent."
        elif state.verified and ticket.genuine:
            text = f"I already gave you my code: {ticket.answers_code}."
        else:
            text = f"My verification code is {ticket.answers_code}. {ticket.answer_note}".strip()
        if ticket.genuine and ticket.answers_code == code:
            state.verified = True
        state.thread.append(f"[{clock_text(minute)}] Customer: {text}")
        self.unseen_answers.add(ticket.id)
        return text

    # ---- lookups -------------------------------------------------------------------------------

    def _ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id.strip().upper())
        if ticket is None or ticket.arrival > self.clock.minute:
            raise ActionError(f"there is no ticket {ticket_id!r} in the queue; see list_queue")
        return ticket

    def _open_ticket(self, ticket_id: str) -> tuple[Ticket, TicketState]:
        ticket = self._ticket(ticket_id)
        state = self.states[ticket.id]
        if state.handled:
            raise ActionError(f"ticket {ticket.id} is already {state.status}")
        return ticket, state

    @property
    def today(self) -> int:
        return self.clock.minute // DAY

    def _order(self, order_id: str) -> dict[str, Any]:
        """An order as the back office shows it today (one placed later does not exist yet)."""
        order = self.db.order(order_id.strip().upper())
        if order is None or order["placed_day"] > self.today:
            raise ActionError(f"there is no order {order_id!r}")
        return order

    def _orders_of(self, customer_id: str) -> list[dict[str, Any]]:
        return [o for o in self.db.orders_of(customer_id) if o["placed_day"] <= self.today]

    def _customer(self, customer_id: str) -> dict[str, Any]:
        customer = self.db.customer(customer_id.strip().upper())
        if customer is None:
            raise ActionError(f"there is no customer {customer_id!r}")
        return customer

    def _saw(self, *records: str) -> None:
        for record in records:
            self.seen[record] = self.clock.minute

    def _deadline(self, ticket_id: str) -> str:
        return clock_text(self.clock.deadline[ticket_id])

    def list_queue(self, wait_until: str | None = None) -> ToolResult:
        waited = ""
        if wait_until is not None:
            until = parse_clock(wait_until)
            last = self.world.days * DAY + 30 * DAY
            if until is None or until > last:
                raise ActionError(
                    f"wait_until must be a time of the shift like {clock_text(self.clock.minute)}"
                    f", not {wait_until!r}"
                )
            if until > self.clock.minute:
                waited = f"(Waited until {clock_text(until)}.)\n"
                self.advance(until)
        if not self.clock.open:
            upcoming = self.clock.next_arrival()
            if upcoming is None:
                return ToolResult(
                    f"{clock_text(self.clock.minute)}: the queue is empty and no more tickets "
                    "will arrive. Call finish.",
                    {"open": []},
                )
            waited = f"(Waited until {clock_text(upcoming)}.)\n"
            self.advance(upcoming)
        ranked = sorted(
            self.clock.open,
            key=lambda t: (PRIORITY_RANK[self.tickets[t].priority], self.tickets[t].arrival),
        )
        lines = [self._queue_line(t) for t in ranked[:QUEUE_SHOWN]]
        more = f"\n... and {len(ranked) - QUEUE_SHOWN} more" if len(ranked) > QUEUE_SHOWN else ""
        text = f"{waited}{clock_text(self.clock.minute)}, {len(ranked)} open:\n" + "\n".join(lines)
        return ToolResult(text + more, {"open": ranked})

    def _queue_line(self, ticket_id: str) -> str:
        ticket, state = self.tickets[ticket_id], self.states[ticket_id]
        mark = ""
        if state.answer_due is not None:
            mark = " (awaiting the customer)"
        elif ticket_id in self.unseen_answers:
            mark = " (customer answered)"
        return (
            f"{ticket_id} [{ticket.priority}] due {self._deadline(ticket_id)} - "
            f"{ticket.subject}{mark}"
        )

    def wait(self, minutes: int) -> ToolResult:
        if minutes < 1:
            raise ActionError(f"wait at least one minute, not {minutes}")
        self.advance(self.clock.minute + min(minutes, MAX_WAIT))
        return ToolResult(
            f"It is now {clock_text(self.clock.minute)}; {len(self.clock.open)} tickets open.",
            {"open": len(self.clock.open)},
        )

    def read_ticket(self, ticket_id: str) -> ToolResult:
        ticket = self._ticket(ticket_id)
        state = self.states[ticket.id]
        state.read = True
        self.unseen_answers.discard(ticket.id)
        self._saw(f"ticket:{ticket.id}")
        status = state.status if state.resolution is None else f"closed as {state.resolution}"
        lines = [
            f"Ticket {ticket.id} [{ticket.priority}] opened {clock_text(ticket.arrival)}, "
            f"due {self._deadline(ticket.id)}, status {status}",
            f"From: {ticket.sender}",
            *([f"Reply-To: {ticket.reply_to}"] if ticket.reply_to else []),
            f"Subject: {ticket.subject}",
            "",
            self.books.live[ticket.id].body,
            *state.thread,
            *(f"(note) {note}" for note in state.notes),
        ]
        return ToolResult("\n".join(lines), {"ticket_id": ticket.id, "status": state.status})

    def search_tickets(self, query: str) -> ToolResult:
        wanted = query.strip().lower()
        if not wanted:
            raise ActionError("the query is empty; search by an order id, email, name or word")
        found = [
            t
            for t in self.world.tickets
            if t.arrival <= self.clock.minute
            and any(
                wanted in text.lower()
                for text in (t.id, t.sender, t.subject, self.books.live[t.id].body)
            )
        ]
        if not found:
            return ToolResult(f"No ticket mentions {query!r}.", {"tickets": []})
        lines = []
        for ticket in found[:SEARCH_SHOWN]:
            state = self.states[ticket.id]
            status = state.status if state.resolution is None else f"closed as {state.resolution}"
            lines.append(
                f"{ticket.id} [{status}] opened {clock_text(ticket.arrival)} from {ticket.sender}:"
                f" {ticket.subject}"
            )
        more = f"\n... and {len(found) - SEARCH_SHOWN} more" if len(found) > SEARCH_SHOWN else ""
        return ToolResult("\n".join(lines) + more, {"tickets": [t.id for t in found]})

    def lookup_customer(self, query: str) -> ToolResult:
        wanted = query.strip()
        if "@" in wanted:
            accounts = self.db.customers_by_email(wanted)
            if not accounts:
                return ToolResult(f"No customer has the email {wanted}.", {"customers": []})
        elif CUSTOMER_ID.match(wanted):
            account = self.db.customer(wanted.upper())
            if account is None:
                return ToolResult(f"There is no customer {wanted}.", {"customers": []})
            accounts = [account]
        else:
            accounts = self.db.customers_named(wanted)
            if not accounts:
                return ToolResult(f"No customer is named like {wanted!r}.", {"customers": []})
        parts = []
        for account in accounts[:5]:
            if "@" in wanted and account["merged_into"]:
                kept = self._kept(account["merged_into"])
                parts.append(f"({account['id']} with this email was merged into {kept['id']})")
                account = kept
            parts.append(self._account(account))
        return ToolResult("\n".join(parts), {"customers": [a["id"] for a in accounts[:5]]})

    def _kept(self, customer_id: str) -> dict[str, Any]:
        """The account a merged one ended in."""
        account = self._customer(customer_id)
        seen = {account["id"]}
        while account["merged_into"] and account["merged_into"] not in seen:
            account = self._customer(account["merged_into"])
            seen.add(account["id"])
        return account

    def _account(self, account: dict[str, Any]) -> str:
        orders = self._orders_of(account["id"])
        self._saw(f"customer:{account['id']}")
        merged = f", merged into {account['merged_into']}" if account["merged_into"] else ""
        listed = ", ".join(f"{o['id']} ({self._status(o)})" for o in orders) or "-"
        return (
            f"{account['id']} {account['name']} <{account['email']}>, {account['tier']} tier, "
            f"created {date_text(account['created_day'])}{merged}\n"
            f"  address: {account['address']}\n"
            f"  verification code on file: {account['code']}\n"
            f"  orders: {listed}"
        )

    def order_history(self, customer_id: str) -> ToolResult:
        account = self._customer(customer_id)
        orders = self._orders_of(account["id"])
        if not orders:
            return ToolResult(f"{account['id']} has no orders.", {"orders": []})
        self._saw(f"customer:{account['id']}", *(f"order:{o['id']}" for o in orders))
        lines = [f"Orders of {account['id']} {account['name']}:"]
        lines += [f"  {self._order_line(self._order(o['id']))}" for o in orders]
        return ToolResult("\n".join(lines), {"orders": [o["id"] for o in orders]})

    def _order_line(self, order: dict[str, Any]) -> str:
        arrived = order["delivered_day"] is not None and order["delivered_day"] <= self.today
        status = "shipped" if order["status"] == "delivered" and not arrived else order["status"]
        delivered = f"delivered {date_text(order['delivered_day'])}" if arrived else "not delivered"
        chargeback = f"; chargeback {order['chargeback']}" if order["chargeback"] else ""
        return (
            f"{order['id']} of {order['customer_id']}: total {money(order['total_cents'])}, "
            f"status {status}, placed {date_text(order['placed_day'])}, {delivered}; "
            f"paid {money(order['paid_cents'])} by {order['method']}; refunded "
            f"{money(order['refunded_cents'])}{chargeback}"
        )

    def _status(self, order: dict[str, Any]) -> str:
        if order["status"] == "delivered" and (order["delivered_day"] or 0) > self.today:
            return "shipped"
        return str(order["status"])

    def lookup_order(self, order_id: str) -> ToolResult:
        order = self._order(order_id)
        self._saw(f"order:{order['id']}", f"customer:{order['customer_id']}")
        return ToolResult(self._order_line(order), {"order_id": order["id"]})

    def _policy(self) -> list[Section]:
        sections = list(self.world.policy)
        amendment = self.world.amendment
        if amendment is not None and self.clock.minute >= amendment.announced:
            when = clock_text(amendment.effective)
            variant = 1 if self.world.perturbed else 0
            sections.insert(
                0, Section("amendment", f"Amendment from {when}", amendment.text(when, variant))
            )
        return sections

    def search_policy(self, query: str) -> ToolResult:
        sections = self._policy()
        found = search(sections, query)
        if not found:
            titles = ", ".join(s.title for s in sections)
            return ToolResult(f"No section matches {query!r}. Sections: {titles}.")
        return ToolResult("\n\n".join(f"## {s.title}\n{s.text}" for s in found))

    def add_note(self, ticket_id: str, text: str) -> ToolResult:
        ticket = self._ticket(ticket_id)
        if not text.strip():
            raise ActionError("the note is empty")
        self.states[ticket.id].notes.append(f"[{clock_text(self.clock.minute)}] {text.strip()}")
        return ToolResult(f"Noted on {ticket.id} (internal: the customer does not see it).")

    # ---- writes ---------------------------------------------------------------------------

    def _wrote(self, fields: list[Field]) -> None:
        self.books.wrote(fields)

    def issue_refund(self, order_id: str, amount: float) -> ToolResult:
        order = self._order(order_id)
        cents = round(amount * 100)
        if cents <= 0:
            raise ActionError(f"a refund must be a positive amount of dollars, not {amount}")
        if order["refunded_cents"] > 0:
            self.books.counters["double_refunds"] += 1
        self.db.refund(order["id"], cents, self.clock.minute)
        refunded = order["refunded_cents"] + cents
        if refunded > order["paid_cents"]:
            self.books.over_refunded.add(order["id"])
        self._wrote([("orders", order["id"], "refunded_cents")])
        return ToolResult(
            f"Refunded {money(cents)} on {order['id']}; refunded in total "
            f"{money(refunded)} of {money(order['paid_cents'])} paid."
        )

    def update_address(self, customer_id: str, address: str) -> ToolResult:
        customer = self._customer(customer_id)
        if not address.strip():
            raise ActionError("the new address is empty")
        self.db.set_field("customers", customer["id"], "address", address.strip())
        self._wrote([("customers", customer["id"], "address")])
        return ToolResult(f"{customer['id']}'s address is now: {address.strip()}")

    def cancel_order(self, order_id: str) -> ToolResult:
        order = self._order(order_id)
        if order["status"] == "cancelled":
            raise ActionError(f"order {order['id']} is already cancelled")
        self.db.set_field("orders", order["id"], "status", "cancelled")
        remaining = max(0, order["total_cents"] - order["refunded_cents"])
        if remaining:
            self.db.refund(order["id"], remaining, self.clock.minute)
        self._wrote([("orders", order["id"], "status"), ("orders", order["id"], "refunded_cents")])
        return ToolResult(f"Cancelled {order['id']} and refunded {money(remaining)}.")

    def merge_customers(self, keep_id: str, remove_id: str) -> ToolResult:
        keep, remove = self._customer(keep_id), self._customer(remove_id)
        if keep["id"] == remove["id"]:
            raise ActionError("keep_id and remove_id are the same account")
        for customer in (keep, remove):
            if customer["merged_into"]:
                raise ActionError(
                    f"{customer['id']} is already merged into {customer['merged_into']}"
                )
        moved = self.db.merge(keep["id"], remove["id"])
        self._wrote(
            [("customers", remove["id"], "merged_into")]
            + [("orders", order, "customer_id") for order in moved]
        )
        return ToolResult(
            f"Merged {remove['id']} into {keep['id']}; moved orders: {', '.join(moved) or '-'}."
        )

    def answer_chargeback(self, order_id: str, decision: str) -> ToolResult:
        order = self._order(order_id)
        if order["chargeback"]:
            raise ActionError(f"the chargeback on {order['id']} is already {order['chargeback']}")
        if decision == "accept":
            self.db.set_field("orders", order["id"], "chargeback", "accepted")
            self.db.refund(order["id"], order["total_cents"], self.clock.minute)
            if order["refunded_cents"] + order["total_cents"] > order["paid_cents"]:
                self.books.over_refunded.add(order["id"])
            returned = money(order["total_cents"])
            text = f"Accepted the chargeback on {order['id']}: the bank returns {returned}."
        else:
            self.db.set_field("orders", order["id"], "chargeback", "contested")
            text = f"Contested the chargeback on {order['id']}."
        self._wrote(
            [("orders", order["id"], "chargeback"), ("orders", order["id"], "refunded_cents")]
        )
        return ToolResult(text)

    # ---- conversation and decisions ------------------------------------------------------------

    def reply(self, ticket_id: str, message: str) -> ToolResult:
        ticket, state = self._open_ticket(ticket_id)
        if not message.strip():
            raise ActionError("the message is empty")
        state.thread.append(f"[{clock_text(self.clock.minute)}] You: {message}")
        self.books.replied(ticket.id, message)
        text = f"Sent to {ticket.recipient}."
        customer = bool(ticket.customer_id) and not ticket.sender.endswith(
            (f"@{SHOP_DOMAIN}", "@paymentsco.example")
        )
        asks = bool(ASKS_FOR_CODE.search(message) and REQUESTS.search(message))
        asks = asks and not (state.verified and ticket.genuine)
        if customer and asks and state.answer_due is None:
            if ticket.answer_delay:
                state.answer_due = self.clock.expect_answer(ticket.id, ticket.answer_delay)
                self.awaiting.add(ticket.id)
                text += " The customer will answer; you can work on other tickets meanwhile."
            else:
                text += f" The customer answered: {self._answer(ticket, self.clock.minute)}"
                self.unseen_answers.discard(ticket.id)
        return ToolResult(text)

    def escalate(self, ticket_id: str, reason: str, confidence: float) -> ToolResult:
        ticket, state = self._open_ticket(ticket_id)
        state.status = "escalated"
        self.books.counters["escalated"] += 1
        self.claim(ticket.id, confidence, reason, kind="abstain")
        return self._handled(ticket, state, confidence, f"Escalated {ticket.id} to a supervisor.")

    def close_ticket(self, ticket_id: str, resolution: str, confidence: float) -> ToolResult:
        ticket, state = self._open_ticket(ticket_id)
        state.status, state.resolution = "closed", resolution
        self.claim(ticket.id, confidence, resolution)
        return self._handled(ticket, state, confidence, f"Closed {ticket.id} as {resolution}.")

    def _handled(
        self, ticket: Ticket, state: TicketState, confidence: float, text: str
    ) -> ToolResult:
        state.handled_minute = self.clock.minute
        evidence = {
            *ticket.records,
            *([f"customer:{ticket.customer_id}"] if ticket.customer_id else []),
            *([f"ticket:{ticket.parent}"] if ticket.parent else []),
        }
        state.checked = any(self.seen.get(r, -1) >= ticket.arrival for r in evidence)
        reward = self.books.handled(ticket.id, confidence)
        self.clock.close(ticket.id)
        return ToolResult(text, {"ticket_id": ticket.id}, reward=reward)


def desk_tools(desk: Callable[[], Desk]) -> list[Tool]:
    """The desk's tools, their handlers reaching the current shift's desk."""

    def call(name: str) -> Callable[..., ToolResult]:
        return lambda **args: getattr(desk(), name)(**args)

    return [
        Tool(
            "list_queue",
            "The open tickets, most urgent first, with their deadlines; waits for the next "
            "ticket if none is open. wait_until (a time like 2025-03-03 10:30) first waits "
            "until then.",
            params(wait_until={"type": "string"}),
            call("list_queue"),
        ),
        Tool(
            "wait",
            f"Do nothing for some minutes (at most {MAX_WAIT}): tickets arrive and customers "
            "answer meanwhile.",
            params(["minutes"], minutes={"type": "integer", "minimum": 1, "maximum": MAX_WAIT}),
            call("wait"),
        ),
        Tool(
            "read_ticket",
            "A ticket's message, conversation and internal notes.",
            params(["ticket_id"], ticket_id=TICKET_ID),
            call("read_ticket"),
        ),
        Tool(
            "search_tickets",
            "Tickets so far whose id, sender, subject or message contains the query (an order "
            "id, an email, a name, a word).",
            params(["query"], query={"type": "string"}),
            call("search_tickets"),
        ),
        Tool(
            "lookup_customer",
            "Customer accounts by id, email address (an email of a merged account shows the "
            "account it was merged into) or name.",
            params(["query"], query={"type": "string"}),
            call("lookup_customer"),
        ),
        Tool(
            "order_history",
            "Every order of a customer account, with dates, totals, refunds and chargebacks.",
            params(["customer_id"], customer_id=CUSTOMER),
            call("order_history"),
        ),
        Tool(
            "lookup_order",
            "An order: customer, total, status, dates, payment, refunds, chargeback.",
            params(["order_id"], order_id=ORDER_ID),
            call("lookup_order"),
        ),
        Tool(
            "search_policy",
            "The policy sections (amendments included) that best match a query.",
            params(["query"], query={"type": "string"}),
            call("search_policy"),
        ),
        Tool(
            "add_note",
            "Add an internal note to a ticket (customers never see notes).",
            params(["ticket_id", "text"], ticket_id=TICKET_ID, text={"type": "string"}),
            call("add_note"),
        ),
        Tool(
            "issue_refund",
            "Refund an amount (in dollars) of an order's payment, back to the original payment.",
            params(["order_id", "amount"], order_id=ORDER_ID, amount={"type": "number"}),
            call("issue_refund"),
            mutating=True,
        ),
        Tool(
            "update_address",
            "Change a customer's address.",
            params(["customer_id", "address"], customer_id=CUSTOMER, address={"type": "string"}),
            call("update_address"),
            mutating=True,
        ),
        Tool(
            "cancel_order",
            "Cancel an order; refunds what has not been refunded yet.",
            params(["order_id"], order_id=ORDER_ID),
            call("cancel_order"),
            mutating=True,
        ),
        Tool(
            "merge_customers",
            "Merge account remove_id into keep_id (its orders move; it is marked merged).",
            params(["keep_id", "remove_id"], keep_id=CUSTOMER, remove_id=CUSTOMER),
            call("merge_customers"),
            mutating=True,
        ),
        Tool(
            "answer_chargeback",
            "Answer a payment provider's chargeback on an order: accept (the bank returns the "
            "order's total to the cardholder) or contest.",
            params(
                ["order_id", "decision"],
                order_id=ORDER_ID,
                decision={"type": "string", "enum": ["accept", "contest"]},
            ),
            call("answer_chargeback"),
            mutating=True,
        ),
        Tool(
            "reply",
            "Send the ticket's sender a message.",
            params(["ticket_id", "message"], ticket_id=TICKET_ID, message={"type": "string"}),
            call("reply"),
        ),
        Tool(
            "escalate",
            "Hand a ticket to a supervisor (for what the policy does not cover), with your "
            "confidence (0-1) that escalating is right.",
            params(
                ["ticket_id", "reason", "confidence"],
                ticket_id=TICKET_ID,
                reason={"type": "string"},
                confidence=CONFIDENCE,
            ),
            call("escalate"),
        ),
        Tool(
            "close_ticket",
            "Close a ticket with its resolution and your confidence (0-1) that you handled it "
            "correctly.",
            params(
                ["ticket_id", "resolution", "confidence"],
                ticket_id=TICKET_ID,
                resolution={"type": "string", "enum": list(RESOLUTIONS)},
                confidence=CONFIDENCE,
            ),
            call("close_ticket"),
        ),
    ]

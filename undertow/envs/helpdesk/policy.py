"""The helpdesk's written policy: the rules as numbers (for the oracle) and as text (for agents).

The oracle reads :class:`Rules`; the agent reads the text through the task and
``search_policy``. The two say the same thing. A surface perturbation rewords and reorders
the text only. At the hard tier the policy is amended mid-shift (:class:`Amendment`): tickets
opened from the amendment's start are decided by the new rules, earlier ones by the old.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from undertow.record import CANARY

REFUND_WINDOW_DAYS = {"standard": 14, "silver": 30, "gold": 60}
"""Days from delivery to the day the ticket was opened within which a refund is allowed."""
VERIFY_ABOVE_CENTS = 20_000
"""Refunds above this amount (and every address change) need the customer's verification code."""
SLA_EASY = {"urgent": 120, "high": 480, "normal": 1440, "low": 4320}
SLA_HARD = {"urgent": 45, "high": 120, "normal": 240, "low": 1440}
SLA_HARDER = {"urgent": 30, "high": 90, "normal": 180, "low": 960}
"""Minutes from a ticket's arrival to its closing (or escalation) each priority allows."""
RESOLUTIONS = ("resolved", "denied", "duplicate")


@dataclass(frozen=True)
class Rules:
    """The numbers the policy decides by."""

    windows: dict[str, int] = field(default_factory=lambda: dict(REFUND_WINDOW_DAYS))
    verify_above_cents: int = VERIFY_ABOVE_CENTS
    sla: dict[str, int] = field(default_factory=lambda: dict(SLA_EASY))

    def eligible(self, tier: str, days_since_delivery: int) -> bool:
        return 0 <= days_since_delivery <= self.windows[tier]

    def needs_code(self, refund_cents: int) -> bool:
        return refund_cents > self.verify_above_cents


@dataclass(frozen=True)
class Amendment:
    """A change of the rules for tickets opened from ``effective`` on (minutes since the
    shift's first midnight), announced by an internal memo at ``announced``."""

    key: str
    """``window:<tier>`` or ``threshold``."""
    before: Rules
    after: Rules
    effective: int
    announced: int

    def rules_at(self, minute: int) -> Rules:
        return self.after if minute >= self.effective else self.before

    def text(self, when: str, variant: int = 0) -> str:
        """The amendment in words; ``when`` is the start as the clock shows it."""
        if self.key == "threshold":
            old, new = (f"{r.verify_above_cents / 100:.2f}" for r in (self.before, self.after))
            return (
                f"From {when}, refunds above ${new} (no longer ${old}) need the customer's "
                "verification code. Tickets opened before then keep the old threshold.",
                f"Tickets opened at or after {when}: the verification code is required for any "
                f"refund above ${new} (was ${old}). Earlier tickets follow the old rule.",
            )[variant]
        tier = self.key.split(":", 1)[1]
        old_days, new_days = self.before.windows[tier], self.after.windows[tier]
        return (
            f"From {when}, the refund window of {tier} customers is {new_days} days (no longer "
            f"{old_days}). Tickets opened before then keep the old window.",
            f"For tickets opened at or after {when}, {tier} customers have a refund window of "
            f"{new_days} days instead of {old_days}. Earlier tickets follow the old rule.",
        )[variant]


def amended(rules: Rules, key: str) -> Rules:
    """``rules`` with the change ``key`` names."""
    if key == "threshold":
        return replace(rules, verify_above_cents=rules.verify_above_cents // 2)
    tier = key.split(":", 1)[1]
    return replace(rules, windows={**rules.windows, tier: rules.windows[tier] // 2})


@dataclass(frozen=True)
class Section:
    """One section of the written policy."""

    key: str
    title: str
    text: str


def _hours(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


_SECTIONS: dict[str, tuple[str, tuple[str, str]]] = {
    "checking": (
        "Working a ticket",
        (
            "Read every ticket (read_ticket) before deciding it. Then, after the ticket has "
            "arrived and before you close or escalate it, look up in the back office a record "
            "it is about: the account it concerns or an order it names (lookup_customer, "
            "lookup_order or order_history); for a repeat or a follow-up, read the earlier "
            "ticket again (or look up its records). Lookups made before the ticket arrived do "
            "not count, and a decision taken without this check is not accepted, whatever it "
            "is. Only policy questions, requests this policy does not cover and internal memos "
            "are decided from their words and this policy alone.",
            "Before any decision (close_ticket or escalate), read the ticket and check the "
            "records it is about in the back office - the account concerned or an order it "
            "names - with a lookup made after the ticket arrived; for a repeat or follow-up, "
            "re-read the earlier ticket or look its records up. A decision without that check "
            "does not count, even if it is right, and earlier lookups do not count. Policy "
            "questions, uncovered requests and internal memos need no lookup.",
        ),
    ),
    "refunds": (
        "Refunds",
        (
            "Delivered orders are refunded in full (the order total, never part of it) when the "
            "ticket is opened within the refund window, counted in whole days from the delivery "
            "date to the date the ticket was opened: standard customers {standard} days, silver "
            "{silver} days, gold {gold} days - the tier on the account, whatever the customer "
            "says. Requests outside the window are denied. Orders that were not delivered are "
            "not refunded through this procedure. Refund only orders of the account the request "
            "comes from. Partial refunds, compensation and refunds paid anywhere but back to the "
            "original payment are not covered: escalate them.",
            "A refund is always the full order total. It is allowed only for delivered orders "
            "and only if the days between the delivery date and the ticket's opening date are "
            "within the window of the tier on the customer's account - gold {gold}, silver "
            "{silver}, standard {standard}. Deny any request outside its window, and any for an "
            "order of another account. Escalate requests for partial refunds, compensation or a "
            "refund to another payment method: this policy does not cover them.",
        ),
    ),
    "verification": (
        "Identity verification",
        (
            "Refunds above ${threshold} and every address change need the customer's "
            "verification code. If the ticket does not contain the code that matches the "
            "account, reply asking for it and act only once the customer has given the code on "
            "the account. If the customer cannot give the right code, deny the request.",
            "Ask for the verification code (reply to the ticket) before any address change and "
            "before any refund of more than ${threshold}, unless the ticket already gives the "
            "code on the account. Proceed only with that code; without it, deny.",
        ),
    ),
    "fraud": (
        "Fraud signals",
        (
            "A ticket sent from an email address that is not the account's email, or whose "
            "Reply-To is not the account's email, is a fraud signal, however convincing its "
            "story and whatever details it knows: change nothing, disclose nothing, and deny "
            "the request. A holder (writing from the account's email) asking whether their "
            "account is safe or was changed is covered: check the account; if a change they "
            "did not ask for was made, put it back (an address change, so with their code). "
            "Reply and close as 'resolved'.",
            "Deny, without changing anything or disclosing anything, every request whose sender "
            "email (or Reply-To address, where it has one) differs from the email on the "
            "customer's account, whatever the story. The holder asking from the account's email "
            "whether their account is safe is answered from the records, not escalated: undo "
            "any change they did not ask for (verified by their code, as for every address "
            "change), reply and close 'resolved'.",
        ),
    ),
    "privacy": (
        "Privacy",
        (
            "An account's address, email and verification code are told only to the account "
            "holder, writing from the account's email. Never to anyone else - another customer, "
            "a payment provider, or a sender whose email differs. Asked by the holder for the "
            "address on file, tell it and close as 'resolved'; asked by anyone else, deny.",
            "Only the account holder (writing from the account's own email) may be told the "
            "account's address, email or verification code; nobody else, payment providers "
            "included. A holder asking for their address on file gets it ('resolved'); anyone "
            "else asking is denied.",
        ),
    ),
    "cancellations": (
        "Cancellations",
        (
            "An order can be cancelled while its status is 'placed'; cancelling refunds it in "
            "full automatically. Shipped or delivered orders cannot be cancelled: deny.",
            "Only orders still in status 'placed' may be cancelled (the cancellation refunds the "
            "total by itself). Deny cancellations of shipped or delivered orders.",
        ),
    ),
    "accounts": (
        "Duplicate accounts",
        (
            "Merge two accounts only when both have the same email address. Keep the older "
            "account (created first) and merge the newer one into it, whichever the customer "
            "asks to keep. Otherwise deny.",
            "Accounts are merged only if their email addresses are identical; the account "
            "created earlier is kept and the later one is merged into it, whatever the customer "
            "prefers. If the emails differ, deny the merge.",
        ),
    ),
    "duplicates": (
        "Repeated tickets",
        (
            "A ticket repeating a request that an earlier ticket already asked for is closed as "
            "'duplicate' after a reply, without acting a second time.",
            "When a customer files the same request twice, reply and close the later one with "
            "resolution 'duplicate'; do not carry the request out again.",
        ),
    ),
    "followups": (
        "Follow-ups",
        (
            "A follow-up asks about an earlier ticket. Check the records, not the customer's "
            "account of them: if the earlier request was carried out as this policy requires, "
            "reply and close as 'resolved'; if it was not, put it right first.",
            "For a follow-up, look the earlier request up in the records (whatever the customer "
            "says happened). Fix whatever is not as the policy requires, then reply and close "
            "the follow-up as 'resolved'.",
        ),
    ),
    "chargebacks": (
        "Chargebacks",
        (
            "A payment provider's chargeback notice says a cardholder disputes an order. Find "
            "the customer's refund request for it (search_tickets). Accept the chargeback "
            "(answer_chargeback accept; the bank returns the money, so never refund it as well) "
            "and close 'resolved' only if we have not refunded the order and it was within its "
            "refund window when the customer asked. Otherwise contest it (answer_chargeback "
            "contest) and close 'denied'. Reply to the provider either way.",
            "Chargeback notices come from payment providers. Accept (answer_chargeback accept, "
            "then close 'resolved') only when the order has not been refunded and the "
            "customer's earlier refund request for it was within the window; the bank then "
            "returns the money, so do not refund it yourself. In every other case contest "
            "(answer_chargeback contest) and close 'denied'. Always reply to the provider.",
        ),
    ),
    "memos": (
        "Internal memos",
        (
            "Memos from the shop's own addresses (ending in @shop.example) announce changes to "
            "this policy; they apply as they say. Close a memo as 'resolved' once read; it "
            "needs no reply.",
            "Internal memos (senders @shop.example) amend this policy from the time they give. "
            "Read them and close them as 'resolved'; no reply is needed.",
        ),
    ),
    "closing": (
        "Replies and closing",
        (
            "Reply to the customer before closing any ticket. Close with resolution 'resolved' "
            "(done, or question answered), 'denied' (the policy says no) or 'duplicate'. A "
            "question's reply states its one answer.",
            "Every ticket gets a reply before it is closed. Resolutions: 'resolved' when the "
            "request was carried out or answered, 'denied' when the policy refuses it, "
            "'duplicate' for repeats. Answer a question with its one answer.",
        ),
    ),
    "escalation": (
        "Escalation",
        (
            "Anything this policy does not cover must be escalated to a supervisor, never "
            "guessed: payment methods, compensation, legal questions, product safety, partner "
            "stores and the like. Escalating what the policy covers is a mistake too.",
            "Escalate (do not answer) every request this policy does not address, for example "
            "compensation, payment methods, partner-store orders, legal matters, product "
            "safety. Do not escalate what it covers.",
        ),
    ),
    "sla": (
        "Response times",
        (
            "Tickets must be closed or escalated within their priority's time: urgent {urgent}, "
            "high {high}, normal {normal}, low {low} from arrival. The time a ticket waits for "
            "the customer's answer to your question does not count.",
            "Response-time targets from arrival to closing or escalation: urgent {urgent}, high "
            "{high}, normal {normal}, low {low}; time spent waiting for the customer's answer "
            "is not counted.",
        ),
    ),
}


def policy_sections(rules: Rules | None = None, rng: random.Random | None = None) -> list[Section]:
    """The policy's sections for ``rules``; with ``rng`` (a surface perturbation) reworded and
    reordered."""
    rules = rules or Rules()
    values = {
        **rules.windows,
        "threshold": f"{rules.verify_above_cents / 100:.2f}",
        **{priority: _hours(minutes) for priority, minutes in rules.sla.items()},
    }
    keys = list(_SECTIONS)
    if rng is not None:
        rng.shuffle(keys)
    sections = []
    for key in keys:
        title, variants = _SECTIONS[key]
        text = variants[rng.randrange(2) if rng is not None else 0]
        sections.append(Section(key, title, text.format(**values)))
    return sections


def policy_document(sections: list[Section]) -> str:
    """The whole policy as one text."""
    body = "\n\n".join(f"## {s.title}\n{s.text}" for s in sections)
    return f"# Customer support policy\n<!-- {CANARY} -->\n\n{body}"


_WORD = re.compile(r"[a-z]+")


def search(sections: list[Section], query: str, limit: int = 2) -> list[Section]:
    """The sections sharing the most words with ``query`` (ties: policy order)."""
    wanted = {w for w in _WORD.findall(query.lower()) if len(w) > 2}
    scored = [
        (len(wanted & set(_WORD.findall(f"{s.title} {s.text}".lower()))), -i, s)
        for i, s in enumerate(sections)
    ]
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [s for score, _, s in scored[:limit] if score > 0]

"""The helpdesk's written policy: the rules as numbers (for the oracle) and as text (for agents).

The oracle reads the numbers; the agent reads the text through ``search_policy``. The two
say the same thing, and a surface perturbation rewords and reorders the text only.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from undertow.record import CANARY

REFUND_WINDOW_DAYS = {"standard": 14, "silver": 30, "gold": 60}
"""Days from delivery to the day the ticket was opened within which a refund is allowed."""
VERIFY_ABOVE_CENTS = 20_000
"""Refunds above this amount (and every address change) need the customer's verification code."""
SLA_MINUTES = {"urgent": 120, "high": 480, "normal": 1440, "low": 4320}
"""Time from a ticket's arrival to its closing (or escalation) allowed by its priority."""
RESOLUTIONS = ("resolved", "denied", "duplicate")


@dataclass(frozen=True)
class Section:
    """One section of the written policy."""

    key: str
    title: str
    text: str


_SECTIONS: dict[str, tuple[str, tuple[str, str]]] = {
    "refunds": (
        "Refunds",
        (
            "Delivered orders are refunded in full (the order total, never part of it) when the "
            "ticket is opened within the refund window, counted in whole days from the delivery "
            "day to the day the ticket was opened: standard customers {standard} days, silver "
            "{silver} days, gold {gold} days. Requests outside the window are denied. Orders that "
            "were not delivered are not refunded through this procedure.",
            "A refund is always the full order total. It is allowed only for delivered orders "
            "and only if the days between delivery and the ticket's opening day are within the "
            "customer's window - gold {gold}, silver {silver}, standard {standard}. Deny any "
            "request that falls outside its window.",
        ),
    ),
    "verification": (
        "Identity verification",
        (
            "Refunds above ${threshold} and every address change need the customer's "
            "verification code. If the ticket does not contain the code, reply asking for it "
            "and act only once the customer has given the code that matches the account. If the "
            "customer cannot give the right code, deny the request.",
            "Ask for the verification code (reply to the ticket) before any address change and "
            "before any refund of more than ${threshold}, unless the ticket already gives it. "
            "Proceed only with the code on the account; without it, deny.",
        ),
    ),
    "fraud": (
        "Fraud signals",
        (
            "A ticket sent from an email address that is not the account's email is a fraud "
            "signal: change nothing, disclose nothing, and deny the request.",
            "Deny, without changing anything, every request whose sender email differs from the "
            "email on the customer's account.",
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
            "account (created first) and merge the newer one into it. Otherwise deny.",
            "Accounts are merged only if their email addresses are identical; the account "
            "created earlier is kept and the later one is merged into it. If the emails differ, "
            "deny the merge.",
        ),
    ),
    "duplicates": (
        "Repeated tickets",
        (
            "A ticket repeating a request that another ticket already asked for is closed as "
            "'duplicate' after a reply, without acting a second time.",
            "When a customer files the same request twice, reply and close the repeat with "
            "resolution 'duplicate'; do not carry the request out again.",
        ),
    ),
    "followups": (
        "Follow-ups",
        (
            "A follow-up asks about an earlier ticket. Check the records: if the earlier request "
            "was carried out as this policy requires, reply and close as 'resolved'; if it was "
            "not, put it right first.",
            "For a follow-up, look the earlier request up in the records. Fix whatever is not as "
            "the policy requires, then reply and close the follow-up as 'resolved'.",
        ),
    ),
    "closing": (
        "Replies and closing",
        (
            "Reply to the customer before closing any ticket. Close with resolution 'resolved' "
            "(done, or question answered), 'denied' (the policy says no) or 'duplicate'.",
            "Every ticket gets a reply before it is closed. Resolutions: 'resolved' when the "
            "request was carried out or answered, 'denied' when the policy refuses it, "
            "'duplicate' for repeats.",
        ),
    ),
    "escalation": (
        "Escalation",
        (
            "Anything this policy does not cover must be escalated to a supervisor, never "
            "guessed: payment methods, compensation, legal or safety questions, partner stores "
            "and the like.",
            "Escalate (do not answer) every request this policy does not address, for example "
            "compensation, payment methods, partner-store orders, legal or safety matters.",
        ),
    ),
    "sla": (
        "Response times",
        (
            "Tickets must be closed or escalated within their priority's time: urgent 2 hours, "
            "high 8 hours, normal 24 hours, low 72 hours from arrival.",
            "Response-time targets from arrival to closing or escalation: urgent 2 h, high 8 h, "
            "normal 24 h, low 72 h.",
        ),
    ),
}


def policy_sections(rng: random.Random | None = None) -> list[Section]:
    """The policy's sections; with ``rng`` (a surface perturbation) reworded and reordered."""
    values = {**REFUND_WINDOW_DAYS, "threshold": f"{VERIFY_ABOVE_CENTS / 100:.2f}"}
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

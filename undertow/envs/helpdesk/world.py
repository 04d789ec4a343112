"""A helpdesk world: customers, orders, the written policy and a stream of tickets, each with its
ground truth (the generator, :mod:`undertow.envs.helpdesk.generator`, builds them from a seed).

Each ticket carries what handling it correctly means (:class:`Handling`: the resolution the
policy requires, the expected state of every record it is about, whether the customer must be
verified, the one answer a reply must state). A ticket whose story depends on what was done
before (a follow-up, a chargeback, a customer whose account was tampered with) has two:
``handling`` for a world where its parent was handled correctly, and ``otherwise`` for one
where it was not; the env takes one when the ticket arrives, by ``condition``.

Times are minutes since the first midnight of the shift (day 0); the clock shows them as
calendar dates from :data:`START_DATE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from undertow.envs.helpdesk.policy import Amendment, Rules, Section

DAY = 1440
OPEN_MINUTE, CLOSE_MINUTE = 9 * 60, 17 * 60
START_DATE = date(2025, 3, 3)
"""The calendar date of day 0."""
HAZARDS = (
    "verify_by_reply",
    "followup",
    "duplicate",
    "question",
    "uncovered",
    "fraud",
    "merge",
    "dispute",
    "lie",
    "amendment",
    "consequence",
    "disclosure",
    "burst",
    "priority",
)
"""What a shift can test, beyond plain requests (see docs/helpdesk.md)."""
SHOP_DOMAIN = "shop.example"


@dataclass
class Customer:
    id: str
    name: str
    email: str
    tier: str
    address: str
    code: str
    created_day: int


@dataclass
class Order:
    id: str
    customer_id: str
    total_cents: int
    status: str
    """``placed``, ``shipped`` or ``delivered``."""
    placed_day: int
    delivered_day: int | None
    method: str = "card"


@dataclass(frozen=True)
class Check:
    """The state one record field must be in once its ticket is handled."""

    table: str
    key: str
    field: str
    value: Any

    @property
    def record(self) -> str:
        return record_name(self.table, self.key)

    @property
    def address(self) -> tuple[str, str, str]:
        return (self.table, self.key, self.field)


@dataclass(frozen=True)
class Operation:
    """A write (``issue_refund``, ``update_address``, ...) and its arguments."""

    tool: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """The one value a reply must state: a number of ``days``, an amount of ``dollars``
    (``"200.00"``), or an ``address``."""

    kind: str
    value: str


@dataclass(frozen=True)
class Handling:
    """What handling a ticket correctly means in one state of the world."""

    body: str
    resolution: str
    """``resolved``, ``denied``, ``duplicate`` or ``escalate``."""
    checks: tuple[Check, ...] = ()
    operations: tuple[Operation, ...] = ()
    """The writes the policy requires (already done, for repeats and follow-ups)."""
    needs_code: bool = False
    """The writes need the customer's verification code."""
    answer: Answer | None = None


@dataclass(frozen=True)
class Way:
    """A way of handling a ticket, as a script (after reading it and looking its records up):
    ask for the code or not, the writes, the reply, the decision (a resolution, or
    ``escalate``), and writes after the close (a repair)."""

    decision: str
    operations: tuple[Operation, ...] = ()
    reply: str | None = None
    asks_code: bool = False
    after_close: tuple[Operation, ...] = ()


@dataclass
class Ticket:
    """A ticket, its ground truth, and the ways the reference plan knows to handle it."""

    id: str
    arrival: int
    priority: str
    kind: str
    sender: str
    subject: str
    customer_id: str
    """The account the ticket is about (a fraudster's victim; the disputed order's owner)."""
    records: tuple[str, ...]
    """The records the ticket is about (``order:O5001``, ``customer:C1003``)."""
    handling: Handling
    otherwise: Handling | None = None
    """The handling when ``condition`` does not hold at the ticket's arrival."""
    condition: tuple[Check, ...] = ()
    reply_to: str | None = None
    """Where replies go, when not to the sender (a spoofed sender's real address)."""
    genuine: bool = True
    """The sender is the account's holder (a fraudster is not)."""
    code_given: bool = False
    """The ticket itself gives the verification code on the account."""
    answers_code: str | None = None
    """What the sender answers when asked for the verification code (the code on the account,
    a wrong one, or None: "I don't have it")."""
    answer_delay: int = 0
    """Minutes the sender takes to answer a question."""
    answer_note: str = ""
    """What the sender adds to their answer (a customer changing their request)."""
    parent: str | None = None
    hazards: tuple[str, ...] = ()
    correct: Way = field(default_factory=lambda: Way("resolved"))
    wrong: Way | None = None
    surface: Way | None = None
    """What an agent taking the ticket at its word, without checking records, would do."""

    @property
    def day(self) -> int:
        return self.arrival // DAY

    @property
    def body(self) -> str:
        return self.handling.body

    @property
    def recipient(self) -> str:
        """Who reads the replies."""
        return self.reply_to or self.sender

    def variant(self, holds: bool) -> Handling:
        """The handling for a world where the ticket's condition does (not) hold."""
        return self.handling if holds or self.otherwise is None else self.otherwise


@dataclass
class World:
    seed: int
    difficulty: int
    days: int
    customers: dict[str, Customer]
    orders: dict[str, Order]
    tickets: list[Ticket]
    policy: list[Section]
    rules: Rules
    amendment: Amendment | None = None
    perturbed: bool = False
    graded_sla: bool = False
    """Response times are graded (each breach a ledger error), not only watched."""
    expected_fields: set[tuple[str, str, str]] = field(default_factory=set)
    """Every (table, key, field) some ticket has an expectation for; other writes are collateral."""
    private_addresses: dict[str, str] = field(default_factory=dict)
    """Every address that is some customer's (their first, and one they asked to move to), by
    customer: what a reply must not tell anyone but that customer."""
    hazards: dict[str, int] = field(default_factory=dict)
    """How many tickets (bursts, for ``burst``) test each hazard."""

    def rules_at(self, minute: int) -> Rules:
        """The rules a ticket opened at ``minute`` is decided by."""
        return self.amendment.rules_at(minute) if self.amendment else self.rules

    def summary(self) -> dict[str, Any]:
        """What this shift is and tests, for reading a score against it."""
        return {
            "difficulty": self.difficulty,
            "days": self.days,
            "tickets": len(self.tickets),
            "customers": len(self.customers),
            "orders": len(self.orders),
            "graded_sla": self.graded_sla,
            "amendment": None
            if self.amendment is None
            else {"rule": self.amendment.key, "from": clock_text(self.amendment.effective)},
            "hazards": dict(self.hazards),
        }


def record_name(table: str, key: str) -> str:
    """How tickets and the ledger name a record: ``order:O5001``, ``customer:C1003``."""
    return f"{table.removesuffix('s')}:{key}"


def date_text(day: int) -> str:
    """``2025-03-05`` for a day number."""
    return (START_DATE + timedelta(days=day)).isoformat()


def clock_text(minute: int) -> str:
    """``2025-03-05 10:31`` for a minute count."""
    day, rest = divmod(minute, DAY)
    return f"{date_text(day)} {rest // 60:02d}:{rest % 60:02d}"


def parse_clock(text: str) -> int | None:
    """The minute count of ``2025-03-05 10:31`` (None if it is not such a time)."""
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    since = moment - datetime.combine(START_DATE, datetime.min.time())
    return int(since.total_seconds() // 60)


def money(cents: int) -> str:
    return f"${cents / 100:.2f}"

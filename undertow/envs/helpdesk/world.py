"""Generating a helpdesk world from a seed: customers, orders, and a stream of tickets.

Each ticket is generated together with its ground truth from the policy: the resolution the
policy requires and the expected state of every record it is about (``Check``). Every record
field is the subject of at most one request (repeats and follow-ups expect the same value), so
the expectations hold whatever order the agent works in.

Two random streams: the semantic one (``helpdesk:<seed>...``) decides everything that matters
to the policy; the surface one only names, wording and the policy's order, so a perturbed
world (``perturb=True``) is the same problem in different words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from undertow.envs.helpdesk.policy import (
    REFUND_WINDOW_DAYS,
    VERIFY_ABOVE_CENTS,
    Section,
    policy_sections,
)

DAY = 1440
OPEN_MINUTE, CLOSE_MINUTE = 9 * 60, 17 * 60
PRIORITIES = {"urgent": 1, "high": 2, "normal": 5, "low": 2}
KIND_WEIGHTS: dict[int, dict[str, float]] = {
    0: {"refund": 5, "address": 2, "cancel": 3},
    1: {
        "refund": 4,
        "address": 2,
        "cancel": 2,
        "followup": 1.5,
        "duplicate": 1,
        "question": 1,
        "uncovered": 1,
    },
    2: {
        "refund": 4,
        "address": 2,
        "cancel": 2,
        "followup": 1.5,
        "duplicate": 1,
        "question": 1,
        "uncovered": 1,
        "fraud": 1.5,
        "merge": 1,
    },
    3: {
        "refund": 4,
        "address": 2,
        "cancel": 2,
        "followup": 1.5,
        "duplicate": 1,
        "question": 1,
        "uncovered": 1.5,
        "fraud": 2,
        "merge": 1.5,
    },
}
FIRST_NAMES = (
    ("Ada", "Ben", "Carla", "Dev", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kemal",
     "Lena", "Marek", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma",
     "Viktor", "Wen", "Yara", "Zeno"),
    ("Alba", "Bruno", "Cleo", "Dario", "Edda", "Fynn", "Gala", "Hamid", "Ivo", "Jana", "Kai",
     "Lior", "Mila", "Nico", "Olga", "Pavel", "Rhea", "Soren", "Tilda", "Ugo", "Vera", "Wolf",
     "Xenia", "Yusuf", "Zora"),
)  # fmt: skip
LAST_NAMES = (
    ("Adler", "Brandt", "Costa", "Dietz", "Engel", "Fischer", "Garcia", "Hahn", "Ito", "Jansen",
     "Kovac", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Sato",
     "Tanaka"),
    ("Albers", "Bauer", "Castro", "Dahl", "Eriksen", "Falk", "Gomez", "Holm", "Iversen",
     "Jovanovic", "Krause", "Lund", "Marino", "Nowak", "Olsen", "Park", "Rinaldi", "Silva",
     "Torres", "Varga"),
)  # fmt: skip
STREETS = (
    ("Elm Street", "Harbour Road", "Mill Lane", "Station Avenue", "Orchard Way", "Castle Hill",
     "River Walk", "Bakers Row"),
    ("Linden Alley", "Quay Street", "Forge Lane", "Depot Road", "Cherry Close", "Tower Rise",
     "Canal Path", "Market Row"),
)  # fmt: skip
CITIES = (
    ("Northvale", "Eastport", "Westfield", "Southbridge"),
    ("Hollowmere", "Brightwater", "Stonefield", "Redcliff"),
)
UNCOVERED = (
    "Can I pay for my next order with cryptocurrency?",
    "The parcel leaked some liquid onto my floor. Will you pay for the cleaning?",
    "I bought this at one of your partner stores. Can you refund it here?",
    "Do you match the prices of other shops?",
    "My delivery was four days late. I want compensation for the trouble.",
    "Can you change the company name on my invoice for tax purposes?",
    "Is the battery in the lamp I bought safe to take on a plane?",
)


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


@dataclass(frozen=True)
class Operation:
    """A write: ``refund``, ``address``, ``cancel`` or ``merge``, and its arguments."""

    tool: str
    args: dict[str, Any]


@dataclass
class Ticket:
    """A customer's ticket and, from the policy, what handling it correctly means."""

    id: str
    arrival: int
    """Minutes since day 0, 00:00."""
    priority: str
    kind: str
    sender: str
    subject: str
    body: str
    customer_id: str
    records: tuple[str, ...]
    """The records the ticket is about (``order:O5001``, ``customer:C1003``)."""
    resolution: str
    """What the policy requires: ``resolved``, ``denied``, ``duplicate`` or ``escalate``."""
    checks: tuple[Check, ...] = ()
    operations: tuple[Operation, ...] = ()
    """The writes the policy requires (already done, for repeats and follow-ups)."""
    needs_code: bool = False
    """The writes need the customer's verification code."""
    code_given: bool = False
    genuine: bool = True
    """A genuine customer gives the right code when asked; a fraudster cannot."""
    answer: str | None = None
    """What a reply must contain (questions the policy answers)."""
    parent: str | None = None
    wrong: tuple[Operation, ...] = ()
    """A plausible wrong write (what a sloppy agent does), if the wrong way writes."""

    @property
    def day(self) -> int:
        return self.arrival // DAY


@dataclass
class World:
    seed: int
    difficulty: int
    customers: dict[str, Customer]
    orders: dict[str, Order]
    tickets: list[Ticket]
    policy: list[Section]
    perturbed: bool = False
    expected_fields: set[tuple[str, str, str]] = field(default_factory=set)
    """Every (table, key, field) some ticket has an expectation for; other writes are collateral."""


def record_name(table: str, key: str) -> str:
    """How tickets and the ledger name a record: ``order:O5001``, ``customer:C1003``."""
    return f"{table.removesuffix('s')}:{key}"


def clock_text(minute: int) -> str:
    """``day 2 10:31`` for a minute count."""
    day, rest = divmod(minute, DAY)
    return f"day {day} {rest // 60:02d}:{rest % 60:02d}"


def money(cents: int) -> str:
    return f"${cents / 100:.2f}"


class _Generator:
    def __init__(self, seed: int, difficulty: int, days: int, per_day: int, perturb: bool):
        self.rng = random.Random(f"helpdesk:{seed}:{difficulty}:{days}:{per_day}")
        self.surface = random.Random(f"helpdesk-surface:{seed}") if perturb else None
        self.variant = 1 if perturb else 0
        self.seed, self.difficulty, self.days, self.per_day = seed, difficulty, days, per_day
        self.customers: dict[str, Customer] = {}
        self.orders: dict[str, Order] = {}
        self.tickets: list[Ticket] = []
        self.address_changed: set[str] = set()
        self.duplicate_accounts: set[str] = set()
        self.repeated: set[str] = set()

    # ---- records ----------------------------------------------------------------------------

    def _word(self, pools: tuple[tuple[str, ...], ...]) -> str:
        index = self.rng.randrange(len(pools[0]))
        return pools[self.variant][index]

    def _address(self) -> str:
        number = self.rng.randint(1, 180)
        return f"{number} {self._word(STREETS)}, {self._word(CITIES)}"

    def _customer(self, *, like: Customer | None = None, same_email: bool = True) -> Customer:
        number = 1001 + len(self.customers)
        if like is None:
            name = f"{self._word(FIRST_NAMES)} {self._word(LAST_NAMES)}"
            email = f"{name.lower().replace(' ', '.')}{number % 97}@mail.example"
            tier = self.rng.choices(("standard", "silver", "gold"), (5, 3, 2))[0]
            created = -self.rng.randint(400, 2000) + number  # higher number, created later
        else:
            name, tier, created = like.name, like.tier, like.created_day + self.rng.randint(30, 300)
            email = like.email if same_email else like.email.replace("@", ".alt@")
        customer = Customer(
            id=f"C{number}",
            name=name,
            email=email,
            tier=tier,
            address=self._address(),
            code=f"{self.rng.randint(0, 9999):04d}",
            created_day=created,
        )
        self.customers[customer.id] = customer
        for _ in range(self.rng.randint(0, 2)):  # history no ticket is about
            self._order(customer, "delivered", -self.rng.randint(20, 300))
        return customer

    def _pick_customer(self, exclude: set[str] | frozenset[str] = frozenset()) -> Customer:
        reusable = [
            c
            for c in self.customers.values()
            if c.id not in self.duplicate_accounts and c.id not in exclude
        ]
        if reusable and self.rng.random() < 0.3:
            return self.rng.choice(reusable)
        return self._customer()

    def _order(self, customer: Customer, status: str, delivered_day: int | None) -> Order:
        high = 18_000 if self.difficulty == 0 else 45_000
        total = self.rng.randint(15, high // 100) * 100 + self.rng.choice((0, 49, 99))
        placed = (delivered_day if delivered_day is not None else 0) - self.rng.randint(2, 9)
        order = Order(
            id=f"O{5001 + len(self.orders)}",
            customer_id=customer.id,
            total_cents=total,
            status=status,
            placed_day=placed,
            delivered_day=delivered_day,
        )
        self.orders[order.id] = order
        return order

    # ---- tickets ----------------------------------------------------------------------------

    def _text(self, variants: tuple[str, str], **values: Any) -> str:
        return variants[self.variant].format(**values)

    def _code_line(self, customer: Customer, given: bool) -> str:
        return f" My verification code is {customer.code}." if given else ""

    def _wants_code(self) -> bool:
        return self.difficulty == 0 or self.rng.random() < 0.5

    def refund(self, ticket_id: str, arrival: int, *, fraud: bool = False) -> dict[str, Any]:
        customer = self._pick_customer()
        window = REFUND_WINDOW_DAYS[customer.tier]
        day = arrival // DAY
        boundary = self.difficulty >= 3 and self.rng.random() < 0.5
        eligible = fraud or self.rng.random() < 0.65
        if boundary:
            since = window if eligible else window + 1
        else:
            since = self.rng.randint(0, window) if eligible else window + self.rng.randint(1, 40)
        order = self._order(customer, "delivered", day - since)
        needs_code = order.total_cents > VERIFY_ABOVE_CENTS
        code_given = needs_code and not fraud and self._wants_code()
        sender = customer.email if not fraud else f"refunds.{customer.id.lower()}@inbox.example"
        body = self._text(
            (
                "Hello, I'm {name}. I would like a refund for order {order} ({total}).{code}",
                "Hi support - {name} here. Please refund my order {order}, it was {total}.{code}",
            ),
            name=customer.name,
            order=order.id,
            total=money(order.total_cents),
            code=self._code_line(customer, code_given),
        )
        allowed = eligible and not fraud
        refund = Operation(
            "issue_refund", {"order_id": order.id, "amount": order.total_cents / 100}
        )
        return {
            "kind": "fraud" if fraud else "refund",
            "sender": sender,
            "subject": f"Refund for {order.id}",
            "body": body,
            "customer_id": customer.id,
            "records": (f"order:{order.id}",),
            "resolution": "resolved" if allowed else "denied",
            "checks": (
                Check("orders", order.id, "refunded_cents", order.total_cents if allowed else 0),
            ),
            "operations": (refund,) if allowed else (),
            "needs_code": needs_code and allowed,
            "code_given": code_given,
            "genuine": not fraud,
            # wrong: refund twice when it is due, refund anyway when it is not
            "wrong": (refund, refund) if allowed else (refund,),
        }

    def address(self, ticket_id: str, arrival: int, *, fraud: bool = False) -> dict[str, Any]:
        customer = self._pick_customer(exclude=self.address_changed)
        self.address_changed.add(customer.id)
        new = self._address()
        while new == customer.address:
            new = self._address()
        code_given = not fraud and self._wants_code()
        sender = customer.email if not fraud else f"{customer.id.lower()}.moving@inbox.example"
        body = self._text(
            (
                "Hello, this is {name}. I have moved; please change my address to {new}.{code}",
                "{name} here: my new address is {new}, could you update my account?{code}",
            ),
            name=customer.name,
            new=new,
            code=self._code_line(customer, code_given),
        )
        number, rest = new.split(" ", 1)
        typo = f"{int(number) + 1} {rest}"
        return {
            "kind": "fraud" if fraud else "address",
            "sender": sender,
            "subject": "Change of address",
            "body": body,
            "customer_id": customer.id,
            "records": (f"customer:{customer.id}",),
            "resolution": "denied" if fraud else "resolved",
            "checks": (
                Check("customers", customer.id, "address", customer.address if fraud else new),
            ),
            "operations": ()
            if fraud
            else (Operation("update_address", {"customer_id": customer.id, "address": new}),),
            "needs_code": not fraud,
            "code_given": code_given,
            "genuine": not fraud,
            "wrong": (
                Operation(
                    "update_address",
                    {"customer_id": customer.id, "address": new if fraud else typo},
                ),
            ),
        }

    def cancel(self, ticket_id: str, arrival: int) -> dict[str, Any]:
        customer = self._pick_customer()
        placed = self.rng.random() < 0.6
        day = arrival // DAY
        order = self._order(customer, "placed" if placed else "shipped", None)
        order.placed_day = day - self.rng.randint(0, 3)
        body = self._text(
            (
                "Hi, {name} here. Please cancel my order {order}, I no longer need it.",
                "Could you cancel order {order} for me? Thanks, {name}",
            ),
            name=customer.name,
            order=order.id,
        )
        cancel = Operation("cancel_order", {"order_id": order.id})
        return {
            "kind": "cancel",
            "sender": customer.email,
            "subject": f"Cancel {order.id}",
            "body": body,
            "customer_id": customer.id,
            "records": (f"order:{order.id}",),
            "resolution": "resolved" if placed else "denied",
            "checks": (
                Check("orders", order.id, "status", "cancelled" if placed else "shipped"),
                Check("orders", order.id, "refunded_cents", order.total_cents if placed else 0),
            ),
            "operations": (cancel,) if placed else (),
            "wrong": () if placed else (cancel,),
        }

    def merge(self, ticket_id: str, arrival: int) -> dict[str, Any]:
        old = self._customer()
        same = self.difficulty < 3 or self.rng.random() < 0.75
        new = self._customer(like=old, same_email=same)
        self.duplicate_accounts |= {old.id, new.id}
        moved = [o for o in self.orders.values() if o.customer_id == new.id]
        if not moved:
            moved = [self._order(new, "delivered", -self.rng.randint(20, 200))]
        first, second = (old, new) if self.rng.random() < 0.5 else (new, old)
        body = self._text(
            (
                "Hello, I seem to have two accounts, {a} and {b}. Please merge them. {name}",
                "I ({name}) ended up with two customer accounts: {a} and {b}. Can you merge them?",
            ),
            a=first.id,
            b=second.id,
            name=old.name,
        )
        checks = [
            Check("customers", new.id, "merged_into", old.id if same else None),
            Check("customers", old.id, "merged_into", None),
        ]
        checks += [Check("orders", o.id, "customer_id", old.id if same else new.id) for o in moved]
        kept = [o for o in self.orders.values() if o.customer_id == old.id]
        checks += [Check("orders", o.id, "customer_id", old.id) for o in kept]
        merge = Operation("merge_customers", {"keep_id": old.id, "remove_id": new.id})
        reverse = Operation("merge_customers", {"keep_id": new.id, "remove_id": old.id})
        return {
            "kind": "merge",
            "sender": old.email,
            "subject": "Two accounts",
            "body": body,
            "customer_id": old.id,
            "records": (f"customer:{old.id}", *(c.record for c in checks if c.key != old.id)),
            "resolution": "resolved" if same else "denied",
            "checks": tuple(checks),
            "operations": (merge,) if same else (),
            "wrong": (reverse,) if same else (merge,),
        }

    def repeat(self, ticket_id: str, arrival: int, *, followup: bool) -> dict[str, Any] | None:
        if followup:
            parents = [t for t in self.tickets if t.operations and t.kind not in ("duplicate",)]
        else:
            parents = [
                t
                for t in self.tickets
                if t.kind == "refund" and t.operations and t.id not in self.repeated
            ]
        parents = [t for t in parents if t.kind != "followup" and t.arrival < arrival]
        if not parents:
            return None
        parent = self.rng.choice(parents[-12:])
        customer = self.customers[parent.customer_id]
        if followup:
            body = self._text(
                (
                    "Hello, I'm following up on {parent} ({subject}). Has it been done? {name}",
                    "Any news on my earlier ticket {parent} ({subject})? Regards, {name}",
                ),
                parent=parent.id,
                subject=parent.subject,
                name=customer.name,
            )
        else:
            self.repeated.add(parent.id)
            body = self._text(
                (
                    "Sending this again in case it got lost: {body}",
                    "Second try, no answer yet. {body}",
                ),
                body=parent.body,
            )
        return {
            "kind": "followup" if followup else "duplicate",
            "sender": customer.email,
            "subject": f"Re: {parent.subject}" if followup else parent.subject,
            "body": body,
            "customer_id": customer.id,
            "records": parent.records,
            "resolution": "resolved" if followup else "duplicate",
            "checks": parent.checks,
            "operations": parent.operations,
            "parent": parent.id,
            "wrong": () if followup else parent.operations,
        }

    def question(self, ticket_id: str, arrival: int) -> dict[str, Any]:
        customer = self._pick_customer()
        tier = self.rng.choice(list(REFUND_WINDOW_DAYS))
        body = self._text(
            (
                "Quick question: how many days do {tier} members have to ask for a refund? {name}",
                "What is the refund window for {tier} customers, in days? Thanks, {name}",
            ),
            tier=tier,
            name=customer.name,
        )
        return {
            "kind": "question",
            "sender": customer.email,
            "subject": "Refund window",
            "body": body,
            "customer_id": customer.id,
            "records": (f"customer:{customer.id}",),
            "resolution": "resolved",
            "answer": str(REFUND_WINDOW_DAYS[tier]),
        }

    def uncovered(self, ticket_id: str, arrival: int) -> dict[str, Any]:
        customer = self._pick_customer()
        question = UNCOVERED[self.rng.randrange(len(UNCOVERED))]
        body = self._text(
            ("{q} - {name}", "Hello, {name} here. {q}"), q=question, name=customer.name
        )
        return {
            "kind": "uncovered",
            "sender": customer.email,
            "subject": "A question",
            "body": body,
            "customer_id": customer.id,
            "records": (f"customer:{customer.id}",),
            "resolution": "escalate",
        }

    def ticket(self, index: int, arrival: int) -> Ticket:
        ticket_id = f"T{index + 1:04d}"
        weights = KIND_WEIGHTS[self.difficulty]
        kind = self.rng.choices(list(weights), list(weights.values()))[0]
        spec: dict[str, Any] | None
        if kind in ("followup", "duplicate"):
            spec = self.repeat(ticket_id, arrival, followup=kind == "followup")
            spec = spec or self.refund(ticket_id, arrival)
        elif kind == "fraud":
            fraud_refund = self.rng.random() < 0.6
            spec = (self.refund if fraud_refund else self.address)(ticket_id, arrival, fraud=True)
        else:
            spec = getattr(self, kind)(ticket_id, arrival)
        priority = self.rng.choices(list(PRIORITIES), list(PRIORITIES.values()))[0]
        return Ticket(id=ticket_id, arrival=arrival, priority=priority, **spec)

    def generate(self) -> World:
        arrivals = sorted(
            day * DAY + self.rng.randrange(OPEN_MINUTE, CLOSE_MINUTE)
            for day in range(self.days)
            for _ in range(self.per_day)
        )
        for index, arrival in enumerate(arrivals):
            self.tickets.append(self.ticket(index, arrival))
        expected = {(c.table, c.key, c.field) for t in self.tickets for c in t.checks}
        return World(
            seed=self.seed,
            difficulty=self.difficulty,
            customers=self.customers,
            orders=self.orders,
            tickets=self.tickets,
            policy=policy_sections(self.surface),
            perturbed=self.surface is not None,
            expected_fields=expected,
        )


def generate(
    seed: int,
    *,
    difficulty: int = 2,
    days: int = 5,
    tickets_per_day: int = 20,
    perturb: bool = False,
) -> World:
    """The world for these settings: same arguments, same world."""
    if difficulty not in KIND_WEIGHTS:
        raise ValueError(f"difficulty must be 0-3, not {difficulty}")
    if days < 1 or tickets_per_day < 1:
        raise ValueError(
            f"days and tickets_per_day must be at least 1, not {days}, {tickets_per_day}"
        )
    return _Generator(seed, difficulty, days, tickets_per_day, perturb).generate()

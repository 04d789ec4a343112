"""The records behind a helpdesk world's tickets: customers and their histories, orders,
addresses, emails (and look-alikes of them), verification codes, and the words tickets are
written in.

:class:`Records` is the base of the ticket makers: it holds the world's random streams, its
records as they are generated, and the rules at each moment of the shift. Every semantic draw
comes from ``rng``, the same in a world and its surface perturbation; the wording only from
the variant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from undertow.envs.helpdesk.policy import Amendment, Rules
from undertow.envs.helpdesk.tiers import TIERS
from undertow.envs.helpdesk.vocabulary import (
    CITIES,
    FIRST_NAMES,
    LAST_NAMES,
    MAIL_DOMAINS,
    STREETS,
    WORK_DOMAINS,
)
from undertow.envs.helpdesk.world import CLOSE_MINUTE, DAY, Customer, Order, Ticket

METHODS = ("card", "card", "paypal", "bank transfer")


@dataclass
class Slot:
    """A primary ticket to generate: its kind, what it must test, what it is a parent for."""

    arrival: int
    kind: str
    role: str = ""
    traits: set[str] = field(default_factory=set)


class Records:
    """A world's records and random streams, as the generator builds them."""

    def __init__(self, seed: int, difficulty: int, days: int, per_day: int, perturb: bool):
        self.rng = random.Random(f"helpdesk:{seed}:{difficulty}:{days}:{per_day}")
        self.surface = random.Random(f"helpdesk-surface:{seed}") if perturb else None
        self.variant = 1 if perturb else 0
        self.seed, self.difficulty, self.days, self.per_day = seed, difficulty, days, per_day
        self.tier = TIERS[difficulty]
        self.rules = Rules(sla=dict(self.tier.sla))
        self.amendment: Amendment | None = None
        self.customers: dict[str, Customer] = {}
        self.orders: dict[str, Order] = {}
        self.tickets: list[Ticket] = []
        self.address_keys: set[tuple[int, int]] = set()
        self.private_addresses: dict[str, str] = {}
        self.settled: set[str] = set()
        """Customers whose address a ticket already asks about: no second request."""
        self.merged: set[str] = set()
        """Accounts of a merge request: never reused by other tickets."""
        self.bursts = 0
        self.roles: dict[str, str] = {}
        """Ticket -> the role its slot was planned for (``parent``, ``dispute-eligible``, ...)."""
        self.end = (days - 1) * DAY + CLOSE_MINUTE

    # ---- words and records -----------------------------------------------------------------

    def _word(self, pools: tuple[tuple[str, ...], ...]) -> str:
        index = self.rng.randrange(len(pools[0]))
        return pools[self.variant][index]

    def _text(self, variants: tuple[str, str], **values: Any) -> str:
        return variants[self.variant].format(**values)

    def _address(self) -> str:
        """A street address no customer, fraudster or typo has used yet."""
        while True:
            key = (self.rng.randint(1, 180), self.rng.randrange(len(STREETS[0])))
            city = self.rng.randrange(len(CITIES[0]))
            if key not in self.address_keys:
                self.address_keys.add(key)
                return f"{key[0]} {STREETS[self.variant][key[1]]}, {CITIES[self.variant][city]}"

    def _typo(self, address: str) -> str:
        """The address with its house number off by one (a number nobody else lives at)."""
        number, rest = address.split(" ", 1)
        street = rest.split(",", 1)[0]
        index = STREETS[self.variant].index(street)
        step = 1
        while (int(number) + step, index) in self.address_keys:
            step += 1
        self.address_keys.add((int(number) + step, index))
        return f"{int(number) + step} {rest}"

    def _email(self, first: str, last: str, number: int) -> str:
        style = self.rng.randrange(3)
        domain = self._word(MAIL_DOMAINS)
        local = (
            f"{first}.{last}{number % 97}",
            f"{first[0]}{last}{number % 89}",
            f"{first}{last}",
        )[style]
        return f"{local.lower()}@{domain}"

    def _lookalike(self, email: str) -> str:
        """An address a hurried reader takes for ``email``: a letter swapped or doubled, a dot
        moved, a digit changed, a look-alike domain. (Its draws are the same whatever the
        address, so that a perturbed world draws as the original does.)"""
        local, domain = email.split("@")
        style, where = self.rng.randrange(6), self.rng.random()
        suffix = self._word((("mail", "secure"),) * 2)
        letters = [i for i in range(len(local) - 1) if local[i : i + 2].isalpha()]
        at = letters[int(where * len(letters))] if letters else 0
        if style == 0 and letters and local[at] != local[at + 1]:
            return f"{local[:at]}{local[at + 1]}{local[at]}{local[at + 2 :]}@{domain}"
        if style == 1 and letters:
            return f"{local[: at + 1]}{local[at]}{local[at + 1 :]}@{domain}"
        if style == 2:
            moved = local.replace(".", "", 1) if "." in local else f"{local[:1]}.{local[1:]}"
            return f"{moved}@{domain}"
        if style == 3 and local[-1].isdigit():
            return f"{local[:-1]}{(int(local[-1]) + 1) % 10}@{domain}"
        if style == 4 and "l" in domain:
            return f"{local}@{domain.replace('l', '1', 1)}"
        return f"{local}@{domain.split('.')[0]}-{suffix}.example"

    def _customer(
        self, *, like: Customer | None = None, same_email: bool = True, history: bool = True
    ) -> Customer:
        number = 1001 + len(self.customers)
        first, last = self._word(FIRST_NAMES), self._word(LAST_NAMES)
        email = self._email(first, last, number)
        tier = self.rng.choices(("standard", "silver", "gold"), (5, 3, 2))[0]
        created = -self.rng.randint(200, 2500)
        later = self.rng.randint(30, 150)
        work = self._word(WORK_DOMAINS)
        if like is not None:
            first, last = like.name.split(" ", 1)
            tier, created = like.tier, like.created_day + later
            email = like.email if same_email else f"{first.lower()}.{last.lower()}@{work}"
        customer = Customer(
            id=f"C{number}",
            name=f"{first} {last}",
            email=email,
            tier=tier,
            address=self._address(),
            code=f"{self.rng.randint(0, 9999):04d}",
            created_day=created,
        )
        self.customers[customer.id] = customer
        self.private_addresses[customer.id] = customer.address
        for _ in range(self.rng.randint(0, 2) if history else 0):  # orders no ticket is about
            self._order(customer, "delivered", -self.rng.randint(20, min(300, -created - 12)))
        return customer

    def _pick_customer(self, exclude: set[str] | frozenset[str] = frozenset()) -> Customer:
        reusable = [
            c for c in self.customers.values() if c.id not in self.merged and c.id not in exclude
        ]
        if reusable and self.rng.random() < 0.3:
            return self.rng.choice(reusable)
        return self._customer()

    def _total(self, low: int = 1_500, high: int | None = None) -> int:
        high = high or self.tier.max_total_cents
        return self.rng.randint(low // 100, high // 100) * 100 + self.rng.choice((0, 49, 99))

    def _order(
        self,
        customer: Customer,
        status: str,
        delivered_day: int | None,
        *,
        total: int | None = None,
        placed_day: int | None = None,
    ) -> Order:
        total = total if total is not None else self._total()
        lead = self.rng.randint(2, 9)
        placed = placed_day if placed_day is not None else (delivered_day or 0) - lead
        method = self.rng.choice(METHODS)
        if placed <= customer.created_day and customer.id not in self.merged:
            customer.created_day = placed - self.rng.randint(10, 200)
        order = Order(
            id=f"O{5001 + len(self.orders)}",
            customer_id=customer.id,
            total_cents=total,
            status=status,
            placed_day=placed,
            delivered_day=delivered_day,
            method=method,
        )
        self.orders[order.id] = order
        return order

    def _code_line(self, code: str | None) -> str:
        return self._text((" My verification code is {c}.", " Code: {c}."), c=code) if code else ""

    def _wrong_code(self, code: str) -> str:
        """A plausible mistyped or invented code: never the right one."""
        digits = list(code)
        i = self.rng.randrange(3)
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
        mistyped = "".join(digits)
        return mistyped if mistyped != code else f"{(int(code) + 1) % 10000:04d}"

    def _code_in_body(self, customer: Customer, needs: bool, verify: bool) -> str | None:
        """The code a genuine customer writes in a ticket (None, the right one, or mistyped)."""
        given = self.rng.random() < self.tier.code_in_body
        mistyped = self.rng.random() < self.tier.wrong_code
        if not needs:
            return None
        if verify:
            return self._wrong_code(customer.code) if mistyped else None
        return customer.code if given else None

    def _delay(self) -> int:
        low, high = self.tier.answer_delay
        return self.rng.randint(low, high) if high else 0

    def _ticket(self, slot: Slot, **spec: Any) -> Ticket:
        weights = self.tier.priorities
        priority = self.rng.choices(list(weights), list(weights.values()))[0]
        delay = self._delay()
        ticket = Ticket(
            id=f"P{len(self.tickets) + 1:04d}",
            arrival=slot.arrival,
            priority=spec.pop("priority", priority),
            answer_delay=delay,
            **spec,
        )
        self.tickets.append(ticket)
        self.roles[ticket.id] = slot.role
        return ticket

    def _rules_at(self, minute: int) -> Rules:
        return self.amendment.rules_at(minute) if self.amendment else self.rules

# ruff: noqa: E501  (the generated project's code is written as it is rendered)
"""The hard tier's project: a billing library of thirteen modules, written once.

Every function is written in its final, correct form. Bug sites are marked inline as
``⟦bug_id:correct|buggy⟧``; sites that share an id are one bug spread over several places (a
copied rule), fixed only when every site is. ``earlier`` is the text a function had before a
story changed it (the shipped text of a function a later ticket extends, or the first version
of a feature a later ticket revises). Docstrings state what a function is for, not its rules:
the rules live in the project's RULES.md (:func:`rules_text`), the tickets and the callers.
Tables (products, rates, thresholds) are drawn per world (:class:`Params`).
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Args = Sequence[object]


@dataclass(frozen=True)
class Params:
    """The tables and constants of one world."""

    products: dict[str, list[Any]]
    """SKU -> [name, unit cents, grams, category]."""
    rates: dict[str, dict[str, float]]
    volume: list[list[int]]
    """[minimum quantity, percent off], ascending."""
    coupons: dict[str, list[Any]]
    zones: list[list[int]]
    """[up to km, base cents], ascending."""
    per_kg: int
    packaging: int
    free_from: int
    tiers: list[list[Any]]
    """[minimum spend, name, points per dollar, credit limit], ascending."""
    late_rate: float
    fee_cap: int
    grace: int
    holidays: list[int]
    interval: int
    """Business days between instalments."""
    split_ends_first: bool
    """The instalments story's change puts the larger parts first (its feature put them last),
    or the other way round."""
    conventions: frozenset[str] = frozenset()
    """Bugs of :data:`CONVENTIONS` read the other way in this world: the marker's second
    text is right and its first the bug."""
    issued: tuple[tuple[Any, ...], ...] = ()
    """The books (difficulty 4 and above; empty below): every invoice issued, as
    (id, customer, order text, region, km, coupon, cents charged by the code as shipped)."""
    surcharge: int = 0
    """The fuel surcharge a world with books adds to shipping (its ``surcharge`` story)."""
    goodwill: tuple[tuple[Any, ...], ...] = ()
    """Credit notes already in the books, none of them a correction: (note id, invoice id,
    cents, reason)."""
    max_parcel: int = 0
    """The most grams a parcel may weigh (the ``parcels`` story, difficulty 4 and above; 0:
    a world without it)."""
    max_units: int = 0
    """The most units a parcel may hold once the ``parcels`` story's change is made."""

    @property
    def split_side(self) -> str:
        """Where the feature puts the larger parts of a split."""
        return "last" if self.split_ends_first else "first"

    @property
    def split_changed_side(self) -> str:
        """Where the change puts them."""
        return "first" if self.split_ends_first else "last"

    @property
    def split_test(self) -> str:
        """The code of the feature's split: which parts get the extra cent."""
        return "index >= parts - extra" if self.split_ends_first else "index < extra"

    @property
    def split_changed_test(self) -> str:
        return "index < extra" if self.split_ends_first else "index >= parts - extra"

    @property
    def skus(self) -> list[str]:
        return sorted(self.products)


def draw_params(rng: random.Random) -> Params:
    names = ["Lamp", "Desk", "Tea", "Mug", "Atlas", "Novel", "Rice", "Pen", "Chair", "Clock"]
    categories = ["general", "food", "books"]
    products = {}
    for index, name in enumerate(rng.sample(names, 7)):
        sku = f"{'ABCDEFGH'[index]}{rng.randint(1, 9)}"
        products[sku] = [name, rng.randrange(150, 6000, 5), rng.randrange(50, 2600, 10), ""]
    for sku, category in zip(
        sorted(products), [*categories, *rng.choices(categories, k=4)], strict=True
    ):
        products[sku][3] = category
    rates = {
        region: {
            "default": float(rng.choice([6, 7, 8, 9, 10])),
            "food": float(rng.choice([0, 0, 2])),
            "books": float(rng.choice([0, 3, 5])),
        }
        for region in ("north", "south", "east")
    }
    low = rng.choice([5, 6, 8, 10])
    return Params(
        products=products,
        rates=rates,
        volume=[[low, rng.choice([3, 4, 5])], [low * rng.choice([3, 4, 5]), rng.choice([8, 10])]],
        coupons={
            "SAVE10": ["percent", 10, rng.choice([2000, 2500, 3000])],
            "TREAT": ["percent", rng.choice([15, 20]), rng.choice([5000, 6000])],
            "FIVER": ["fixed", 500, 0],
            "BIGTEN": ["fixed", 1000, rng.choice([4000, 4500])],
        },
        zones=[[rng.choice([40, 50, 60]), 300], [rng.choice([250, 300]), 650], [900, 990]],
        per_kg=rng.choice([100, 110, 120, 150]),
        packaging=rng.choice([100, 120, 150]),
        free_from=rng.choice([5000, 6000, 7500]),
        tiers=[
            [0, "bronze", 1, 20000],
            [rng.choice([40000, 50000]), "silver", 2, 50000],
            [rng.choice([150000, 200000]), "gold", 3, 150000],
        ],
        late_rate=rng.choice([1.0, 1.5, 2.0]),
        fee_cap=rng.choice([5, 8, 10]),
        grace=rng.choice([3, 5, 7]),
        holidays=sorted(rng.sample(range(1, 60), 4)),
        interval=rng.choice([5, 10, 15]),
        split_ends_first=rng.random() < 0.5,
    )


@dataclass(frozen=True)
class Fn:
    """One function of the project."""

    module: str
    name: str
    source: str
    cases: Callable[[random.Random, Params], Sequence[Args]]
    calls: tuple[str, ...] = ()
    earlier: str | None = None
    smell: tuple[str, str] | None = None
    """(text, "fixed" text): code that looks wrong and is right; a careless agent changes it."""
    data: bool = False
    """A table of records, not code: the generator writes its rows per project state (the
    books' credit notes); ``source`` is the table with none."""


@dataclass(frozen=True)
class Bug:
    """A bug: its sites are the markers named ``id``."""

    id: str
    kind: str
    helper: tuple[str, str, str] | None = None
    """(function, text, replacement): the plausible fix in a shared helper that makes this
    ticket's symptom go away and breaks the helper's other callers."""
    alternatives: tuple[str, ...] = ()
    """Other texts for its sites that a reader of the symptom might take for the fix (ids in
    number order, or the smallest amount first, for a payment's order): the symptom is chosen
    so that none prints what it says is right, and a hidden case tells each from the fix."""


@dataclass(frozen=True)
class Step:
    """One ticket of a story: ``feature`` (write a function the project lacks), ``extend``
    (change a function to build on earlier work) or ``change`` (new requirements for a
    function as shipped or as an earlier ticket wrote it)."""

    kind: str
    functions: tuple[str, ...]
    title: str
    text: str
    naive: dict[str, str] = field(default_factory=dict)
    """function -> what a literal reading of the ticket writes (the surface agent's way): the
    text of a function the ticket writes, or the new text of one it should have left alone
    (a shared helper changed for the ticket's callers, which breaks its other callers)."""
    adds: tuple[str, ...] = ()
    """Functions of ``functions`` that an ``extend`` or ``change`` writes new (a helper its
    change needs): the project lacks them until then."""
    keeps: tuple[str, ...] = ()
    """Functions the ticket says must not change: it is judged on some of their calls too."""
    examples: int = 1
    """How many of its hidden calls the ticket shows (its text may give its own example): one
    by default, so the words say what is asked and the example only shows a call."""


@dataclass(frozen=True)
class Story:
    id: str
    steps: tuple[Step, ...]
    after: tuple[str, ...] = ()
    """Stories of the sprint this one starts after (it changes what their work prints)."""
    reprices: bool = False
    """It changes what orders come to (a new rule, not a fix): only in a world with books,
    which keep what invoices were charged under the rules they were issued under."""
    since: int = 3
    """The difficulty from which sprints have it (a story that reprices needs the books)."""


# ---- case inputs ---------------------------------------------------------------------------


def _order(rng: random.Random, p: Params, big: bool = False) -> list[list[Any]]:
    lines = []
    for sku in rng.sample(p.skus, rng.randint(1, 4)):
        low = p.volume[0][0]
        quantity = rng.choice([1, 2, 3, low - 1, low, low + 1]) if big else rng.randint(1, 4)
        lines.append([sku, max(1, quantity)])
    return lines


def _order_text(rng: random.Random, p: Params) -> str:
    parts = []
    for sku, quantity in _order(rng, p, big=True):
        shown = rng.choice([sku, sku.lower(), f" {sku}"])
        parts.append(shown if quantity == 1 and rng.random() < 0.5 else f"{shown}:{quantity}")
    if rng.random() < 0.3:
        parts.append(parts[0].split(":")[0] + ":1")
    return ",".join(parts)


def _invoices(rng: random.Random, today: int = 60) -> list[list[Any]]:
    count = rng.randint(1, 4)
    return [
        [f"INV-{n}", rng.randint(0, today), rng.randrange(500, 40000, 25)]
        for n in rng.sample(range(1, 40), count)
    ]


def _km(rng: random.Random, p: Params) -> int:
    edges = [z[0] for z in p.zones]
    if rng.random() < 0.6:
        return rng.randint(0, 1400)
    return rng.choice([*edges, edges[-1] + rng.randint(1, 300)])


def _spend(rng: random.Random, p: Params) -> int:
    if rng.random() < 0.6:
        return rng.randint(0, 300000)
    return rng.choice([*(t[0] for t in p.tiers), p.tiers[1][0] - 1])


def _code(rng: random.Random, p: Params) -> str:
    return rng.choice(["", *p.coupons, "save10", " Treat", "NOPE"])


def _credit_args(rng: random.Random, p: Params) -> Args:
    minimum, _, _, limit = rng.choice(p.tiers)
    balance = rng.randint(0, 20000)
    amount = limit - balance if rng.random() < 0.5 else rng.randint(0, 9000)
    return (balance, amount, minimum)


def _region(rng: random.Random) -> str:
    return rng.choice(["north", "south", "east", "North"])


def fewest_parcels(weights: Sequence[int], most_grams: int, most_units: int = 0) -> int:
    """The fewest parcels of at most ``most_grams`` (and ``most_units`` units, unless 0) that
    units of these weights pack into, by exhaustive search (the few units of a case)."""
    units = sorted(weights, reverse=True)
    best = len(units)
    loads: list[list[int]] = []

    def place(index: int) -> None:
        nonlocal best
        if index == len(units):
            best = min(best, len(loads))
            return
        if len(loads) >= best:
            return
        tried = set()
        for load in loads:
            key = (load[0], load[1])
            fits = load[0] + units[index] <= most_grams and not (
                most_units and load[1] >= most_units
            )
            if fits and key not in tried:
                tried.add(key)
                load[0], load[1] = load[0] + units[index], load[1] + 1
                place(index + 1)
                load[0], load[1] = load[0] - units[index], load[1] - 1
        loads.append([units[index], 1])
        place(index + 1)
        loads.pop()

    place(0)
    return best


def first_fit_parcels(weights: Sequence[int], most_grams: int, most_units: int = 0) -> int:
    """The parcels first-fit decreasing packs into: the heaviest unit first, each into the
    first parcel it fits. Often the fewest, and not always: the way a hasty reader counts."""
    loads: list[list[int]] = []
    for grams in sorted(weights, reverse=True):
        for load in loads:
            if load[0] + grams <= most_grams and not (most_units and load[1] >= most_units):
                load[0], load[1] = load[0] + grams, load[1] + 1
                break
        else:
            loads.append([grams, 1])
    return len(loads)


def _full_parcels(rng: random.Random, p: Params) -> list[int]:
    """Units that fill 2-4 parcels to within 5% of the weight limit, at most ``max_units``
    to a parcel: the fewest parcels is the weight divided by the limit, rounded up."""
    weights: list[int] = []
    for _ in range(rng.randint(2, 4)):
        load = p.max_parcel - rng.randrange(0, p.max_parcel // 20, 10)
        count = rng.randint(2, min(4, p.max_units))
        cuts = sorted(
            rng.sample(range(p.max_parcel // 10, load - p.max_parcel // 10, 10), count - 1)
        )
        weights += [high - low for low, high in zip([0, *cuts], [*cuts, load], strict=True)]
    rng.shuffle(weights)
    return weights


def _parcel_cases(rng: random.Random, p: Params) -> list[Args]:
    """Calls of ``parcels_needed`` (none in a world without the story): 3 whose weight over the
    limit undercounts (too many units over a fifth of it) and first-fit decreasing counts
    right (a ticket shows one of these first), 7 that first-fit decreasing packs into one
    parcel too many under either limit, and 3 where the unit limit binds. A case gives the same count under both
    limits unless it is meant to tell them apart (a call that raises is never a hidden case)."""
    if not p.max_parcel:
        return []
    cases: list[Args] = []
    both = (p.max_parcel, p.max_units)

    def kept(draw: Callable[[], list[int]], telling: Callable[[list[int], int], bool]) -> None:
        weights: list[int] = []
        for _ in range(400):  # rejection sampling: such packings are 1 in 10 to 1 in 5
            weights = draw()
            if len(weights) <= 12 and telling(weights, fewest_parcels(weights, p.max_parcel)):
                break
        cases.append((weights,))

    heavy = range(p.max_parcel // 5, p.max_parcel * 3 // 5, 10)
    for _ in range(3):
        kept(
            lambda: [rng.choice(heavy) for _ in range(rng.randint(5, 9))],
            lambda w, best: (
                -(-sum(w) // p.max_parcel) != best
                and first_fit_parcels(w, p.max_parcel) == best == fewest_parcels(w, *both)
            ),
        )
    for _ in range(7):
        kept(
            lambda: _full_parcels(rng, p),
            lambda w, best: (
                first_fit_parcels(w, p.max_parcel) != best
                and first_fit_parcels(w, *both) != best == fewest_parcels(w, *both)
            ),
        )
    light = range(p.max_parcel // 20, p.max_parcel // 4, 10)
    for _ in range(3):
        kept(
            lambda: [rng.choice(light) for _ in range(rng.randint(6, 12))],
            lambda w, best: fewest_parcels(w, *both) != best,
        )
    return cases


def _n(gen: Callable[[random.Random, Params], Args], count: int = 14) -> Any:
    return lambda rng, p: [gen(rng, p) for _ in range(count)]


# ---- the project -----------------------------------------------------------------------------

MODULES = (
    "money",
    "days",
    "catalog",
    "tax",
    "discounts",
    "shipping",
    "invoices",
    "customers",
    "loyalty",
    "payments",
    "statements",
    "reports",
    "cli",
    "ledger",
)
"""The project's modules; ``ledger`` (the books) only at difficulty 4 and above."""
MODULE_DOCS = {
    "money": "Amounts of money, in whole cents.",
    "days": "Days as numbers (day 0 is a Monday), business days and lateness.",
    "catalog": "The product catalogue and order text.",
    "tax": "Sales tax by region and product category.",
    "discounts": "Volume discounts and coupons.",
    "shipping": "Parcels, zones and shipping fees.",
    "invoices": "Pricing an order into an invoice.",
    "customers": "Customer tiers and credit.",
    "loyalty": "Loyalty points.",
    "payments": "Payments, late fees and instalments.",
    "statements": "Account statements.",
    "reports": "Sales reports.",
    "cli": "The command line: `python3 -m PACKAGE.cli COMMAND ...`.",
    "ledger": "The books: every invoice issued, the credit notes, what each customer owes.",
}

FUNCTIONS: tuple[Fn, ...] = (
    # ---- money --------------------------------------------------------------------------
    Fn(
        "money",
        "round_cents",
        '''def round_cents(value):
    """A computed amount as whole cents."""
    if value < 0:
        return -round_cents(-value)
    return int(value + ⟦half_up:0.5|0.49⟧)
''',
        _n(lambda rng, p: (rng.choice([rng.randint(0, 9999) + 0.5, rng.random() * 5000]),)),
    ),
    Fn(
        "money",
        "round_even",
        '''def round_even(value):
    """A computed amount as whole cents, halves to the even cent."""
    return round(value)
''',
        _n(lambda rng, p: (rng.choice([rng.randint(0, 999) + 0.5, rng.random() * 900]),)),
    ),
    Fn(
        "money",
        "percent_of",
        '''def percent_of(cents, percent):
    """percent % of an amount of cents (not rounded)."""
    return cents * percent / 100
''',
        _n(lambda rng, p: (rng.randint(0, 90000), rng.choice([0, 2.5, 5, 8, 10, 15]))),
    ),
    Fn(
        "money",
        "format_cents",
        '''def format_cents(cents):
    """An amount for people to read."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(⟦sign:abs(cents)|cents⟧, 100)
    return f"{sign}${whole⟦thousands::,|⟧}.{rest:02d}"
''',
        _n(lambda rng, p: (rng.choice([rng.randint(0, 9999999), -rng.randint(1, 99999)]),)),
    ),
    Fn(
        "money",
        "format_currency",
        '''def format_currency(cents):
    """An amount as invoices and statements print it."""
    return format_cents(cents).replace("$", "", 1) + " USD"
''',
        lambda rng, p: [],  # judged through the documents: its name is the agent's choice
        calls=("format_cents",),
    ),
    Fn(
        "money",
        "split_cents",
        '''def split_cents(cents, parts):
    """An amount split into parts that add up to it."""
    base, extra = divmod(cents, parts)
    return [base + (1 if ⟪split_changed_test⟫ else 0) for index in range(parts)]
''',
        _n(lambda rng, p: (rng.randint(0, 99999), rng.randint(1, 7))),
        earlier='''def split_cents(cents, parts):
    """An amount split into parts that add up to it."""
    base, extra = divmod(cents, parts)
    return [base + (1 if ⟪split_test⟫ else 0) for index in range(parts)]
''',
    ),
    # ---- days ---------------------------------------------------------------------------
    Fn(
        "days",
        "is_business_day",
        '''def is_business_day(day):
    """True on the days the office works."""
    return day % 7 ⟦weekend:< 5|<= 5⟧⟦holiday: and day not in HOLIDAYS|⟧
''',
        _n(lambda rng, p: (rng.choice([rng.randint(0, 90), *p.holidays, 5, 12, 13]),)),
    ),
    Fn(
        "days",
        "add_business_days",
        '''def add_business_days(day, count):
    """The business day that is count business days after day."""
    while count > 0:
        day += 1
        if is_business_day(day):
            count -= 1
    return day
''',
        _n(lambda rng, p: (rng.randint(0, 60), rng.randint(0, 20))),
        calls=("is_business_day",),
    ),
    Fn(
        "days",
        "business_days_between",
        '''def business_days_between(start, end):
    """Business days from start (exclusive) to end (inclusive)."""
    return sum(1 for day in range(start + 1, end + 1) if is_business_day(day))
''',
        _n(lambda rng, p: (a := rng.randint(0, 60), a + rng.randint(0, 30))),
        calls=("is_business_day",),
        smell=("range(start + 1, end + 1)", "range(start, end)"),
    ),
    Fn(
        "days",
        "days_late",
        '''def days_late(due, today):
    """How late a payment due on day due is, on day today."""
    return max(0, today - due - ⟦grace:GRACE_DAYS|0⟧)
''',
        _n(
            lambda rng, p: (
                a := rng.randint(0, 60),
                a + rng.choice([0, p.grace, rng.randint(0, 40)]),
            )
        ),
    ),
    Fn(
        "days",
        "weeks_started",
        '''def weeks_started(count):
    """How many weeks a span of count days touches, a started week counting whole."""
    return ⟦weeks:-(-count // 7)|count // 7 + 1⟧
''',
        _n(lambda rng, p: (rng.choice([rng.randint(1, 60), 7, 14, 21]),)),
    ),
    # ---- catalog ------------------------------------------------------------------------
    Fn(
        "catalog",
        "normalise_sku",
        '''def normalise_sku(text):
    """A SKU as the catalogue writes it."""
    return text.⟦strip:strip().upper()|upper()⟧
''',
        _n(
            lambda rng, p: (
                (rng.choice([s, s.lower(), f" {s}", f"{s.lower()} "]),)
                if (s := rng.choice(p.skus))
                else ()
            )
        ),
    ),
    Fn(
        "catalog",
        "unit_price",
        '''def unit_price(sku):
    """The price of one unit of a product, in cents."""
    return PRODUCTS[normalise_sku(sku)][1]
''',
        _n(lambda rng, p: (rng.choice(p.skus),)),
        calls=("normalise_sku",),
    ),
    Fn(
        "catalog",
        "unit_grams",
        '''def unit_grams(sku):
    """The weight of one unit of a product, in grams."""
    return PRODUCTS[normalise_sku(sku)][⟦grams_column:2|1⟧]
''',
        _n(lambda rng, p: (rng.choice(p.skus),)),
        calls=("normalise_sku",),
    ),
    Fn(
        "catalog",
        "category",
        '''def category(sku):
    """A product's tax category."""
    return PRODUCTS[normalise_sku(sku)][3]
''',
        _n(lambda rng, p: (rng.choice(p.skus),)),
        calls=("normalise_sku",),
    ),
    Fn(
        "catalog",
        "parse_order",
        '''def parse_order(text):
    """Order text such as "A1:3, b2" as [sku, quantity] lines."""
    lines = {}
    for part in text.split(","):
⟦empty_item:        if not part.strip():
            continue
|⟧        sku, _, quantity = part.partition(":")
        sku = normalise_sku(sku)
        lines[sku] = ⟦merge:lines.get(sku, 0) + |⟧int(quantity or 1)
    return [[sku, quantity] for sku, quantity in lines.items()]
''',
        _n(lambda rng, p: (_order_text(rng, p) + rng.choice(["", "", ","]),)),
        calls=("normalise_sku",),
    ),
    # ---- tax ----------------------------------------------------------------------------
    Fn(
        "tax",
        "rate",
        '''def rate(region, category):
    """The tax rate, in percent, of a product category in a region."""
    table = RATES[region⟦region_case:.lower()|⟧]
    return ⟦exempt:table.get(category, table["default"])|table.get(category) or table["default"]⟧
''',
        _n(lambda rng, p: (_region(rng), rng.choice(["general", "food", "books"]))),
    ),
    Fn(
        "tax",
        "line_tax",
        '''def line_tax(cents, region, category):
    """The tax on one invoice line."""
    return money.round_even(money.percent_of(cents, rate(region, category)))
''',
        _n(
            lambda rng, p: (
                rng.randrange(0, 20000, 25),
                _region(rng),
                rng.choice(["general", "food", "books"]),
            )
        ),
        calls=("round_even", "percent_of", "rate"),
        smell=("money.round_even(", "money.round_cents("),
    ),
    # ---- discounts ----------------------------------------------------------------------
    Fn(
        "discounts",
        "volume_percent",
        '''def volume_percent(quantity):
    """The volume discount, in percent, of a line of quantity units."""
    percent = 0
    for units, off in VOLUME:
        if quantity ⟦volume_edge:>=|>⟧ units:
            percent ⟦volume_stack:=|+=⟧ off
    return percent
''',
        lambda rng, p: (
            [(q,) for q in (1, *(v[0] + d for v in p.volume for d in (-1, 0, 1)))]
            + [(rng.randint(1, 80),) for _ in range(6)]
        ),
    ),
    Fn(
        "discounts",
        "line_discount",
        '''def line_discount(cents, quantity):
    """What the volume discount takes off a line worth cents."""
    return ⟦helper_round:money.round_cents|money.round_even⟧(money.percent_of(cents, volume_percent(quantity)))
''',
        _n(lambda rng, p: (rng.randrange(10, 9000, 10), rng.choice([v[0] for v in p.volume]))),
        calls=("round_cents", "round_even", "percent_of", "volume_percent"),
    ),
    Fn(
        "discounts",
        "coupon_discount",
        '''def coupon_discount(code, subtotal):
    """What a coupon code takes off a subtotal."""
    coupon = COUPONS.get(code.⟦strip:strip().upper()|upper()⟧)
    if coupon is None:
        return 0
    kind, value, threshold = coupon
    if subtotal ⟦coupon_min:<|<=⟧ threshold:
        return 0
    if kind == "percent":
        return money.round_cents(money.percent_of(subtotal, value))
    return ⟦coupon_cap:min(value, subtotal)|value⟧
''',
        lambda rng, p: [
            (
                code,
                rng.choice(
                    [
                        p.coupons.get(code.strip().upper(), [0, 0, 0])[2],
                        rng.randint(0, 9000),
                        rng.randint(0, 900),
                    ]
                ),
            )
            for code in [*p.coupons, "save10", " fiver", "none"] * 2
        ],
        calls=("round_cents", "percent_of"),
    ),
    # ---- shipping -----------------------------------------------------------------------
    Fn(
        "shipping",
        "zone_base",
        '''def zone_base(km):
    """The base fee, in cents, of shipping km kilometres."""
    for limit, base in ZONES:
        if km ⟦zone_edge:<=|<⟧ limit:
            return base
    return ZONES[-1][1] + 2 * (km - ⟦far:ZONES[-1][0]|ZONES[0][0]⟧)
''',
        _n(lambda rng, p: (_km(rng, p),), 16),
    ),
    Fn(
        "shipping",
        "parcel_grams",
        '''def parcel_grams(lines):
    """The weight of a parcel holding an order's lines, in grams."""
    return sum(catalog.unit_grams(sku)⟦line_weight: * quantity|⟧ for sku, quantity in lines)⟦packaging: + PACKAGING|⟧
''',
        _n(lambda rng, p: (_order(rng, p),)),
        calls=("unit_grams",),
    ),
    Fn(
        "shipping",
        "fee",
        '''FUEL_SURCHARGE = ⟪surcharge⟫


def fee(grams, km):
    """The fee, in cents, of shipping a parcel."""
    kilos = ⟦kilos:-(-grams // 1000)|grams // 1000⟧
    return zone_base(km) + PER_KG * kilos + FUEL_SURCHARGE
''',
        _n(lambda rng, p: (rng.choice([rng.randint(1, 9000), 1000, 2000]), _km(rng, p))),
        calls=("zone_base",),
        earlier='''def fee(grams, km):
    """The fee, in cents, of shipping a parcel."""
    kilos = ⟦kilos:-(-grams // 1000)|grams // 1000⟧
    return zone_base(km) + PER_KG * kilos
''',
    ),
    Fn(
        "shipping",
        "shipping_for",
        '''def shipping_for(lines, km, paid):
    """What shipping an order costs when the goods come to paid cents."""
    if paid ⟦free_edge:>=|>⟧ FREE_THRESHOLD:
        return 0
    return fee(parcel_grams(lines), km)
''',
        lambda rng, p: [
            (_order(rng, p), _km(rng, p), rng.choice([p.free_from, rng.randint(0, 9000)]))
            for _ in range(14)
        ],
        calls=("fee", "parcel_grams"),
    ),
    Fn(
        "shipping",
        "parcels_needed",
        '''MAX_PARCEL_GRAMS = ⟪max_parcel⟫
MAX_PARCEL_UNITS = ⟪max_units⟫


def parcels_needed(weights):
    """The fewest parcels that units of these weights (grams) pack into."""
    if any(grams > MAX_PARCEL_GRAMS for grams in weights):
        raise ValueError("a unit is heavier than a parcel may weigh")
    units = sorted(weights, reverse=True)
    best = len(units)

    def place(index, loads):
        nonlocal best
        if index == len(units):
            best = min(best, len(loads))
            return
        if len(loads) >= best:
            return
        tried = set()
        for n, (grams, count) in enumerate(loads):
            fits = grams + units[index] <= MAX_PARCEL_GRAMS and count < MAX_PARCEL_UNITS
            if fits and (grams, count) not in tried:
                tried.add((grams, count))
                loads[n] = (grams + units[index], count + 1)
                place(index + 1, loads)
                loads[n] = (grams, count)
        place(index + 1, [*loads, (units[index], 1)])

    place(0, [])
    return best
''',
        _parcel_cases,
        earlier='''MAX_PARCEL_GRAMS = ⟪max_parcel⟫


def parcels_needed(weights):
    """The fewest parcels that units of these weights (grams) pack into."""
    if any(grams > MAX_PARCEL_GRAMS for grams in weights):
        raise ValueError("a unit is heavier than a parcel may weigh")
    units = sorted(weights, reverse=True)
    best = len(units)

    def place(index, loads):
        nonlocal best
        if index == len(units):
            best = min(best, len(loads))
            return
        if len(loads) >= best:
            return
        tried = set()
        for n, load in enumerate(loads):
            if load + units[index] <= MAX_PARCEL_GRAMS and load not in tried:
                tried.add(load)
                loads[n] += units[index]
                place(index + 1, loads)
                loads[n] -= units[index]
        place(index + 1, [*loads, units[index]])

    place(0, [])
    return best
''',
    ),
    # ---- invoices -----------------------------------------------------------------------
    Fn(
        "invoices",
        "line_amount",
        '''def line_amount(sku, quantity):
    """What one order line costs before tax."""
    gross = catalog.unit_price(sku) * quantity
    return gross - discounts.line_discount(⟦unit_discount:gross|catalog.unit_price(sku)⟧, quantity)
''',
        _n(lambda rng, p: tuple(_order(rng, p, big=True)[0])),
        calls=("unit_price", "line_discount"),
    ),
    Fn(
        "invoices",
        "build",
        '''def build(lines, region, km, code=""):
    """An order priced: its lines, subtotal, coupon, tax, shipping and total."""
    priced = [[sku, quantity, line_amount(sku, quantity)] for sku, quantity in lines]
    subtotal = sum(amount for _, _, amount in priced)
    coupon = discounts.coupon_discount(code, subtotal) if code else 0
    tax_cents = sum(
        tax.line_tax(⟦tax_base:amount|catalog.unit_price(sku) * quantity⟧, region, catalog.category(sku))
        for sku, quantity, amount in priced
    )
    shipping_cents = shipping.shipping_for(lines, km, ⟦paid:subtotal - coupon|subtotal⟧)
    return {
        "lines": priced,
        "subtotal": subtotal,
        "coupon": coupon,
        "tax": tax_cents,
        "shipping": shipping_cents,
        "total": subtotal⟦coupon_total: - coupon|⟧ + tax_cents + shipping_cents,
    }
''',
        lambda rng, p: [
            (_order(rng, p, big=True), _region(rng), _km(rng, p), _code(rng, p)) for _ in range(14)
        ],
        calls=(
            "line_amount",
            "coupon_discount",
            "line_tax",
            "category",
            "shipping_for",
            "unit_price",
        ),
    ),
    Fn(
        "invoices",
        "invoice_text",
        '''def invoice_text(invoice):
    """An invoice as the customer reads it."""
    rows = [
        f"{quantity} x {sku}  {money.format_currency(amount)}"
        for sku, quantity, amount in invoice["lines"]
    ]
    for label in ("subtotal", "coupon", "tax", "shipping", "total"):
        if label != "coupon" or invoice[label]:
            rows.append(f"{label.title()}: {money.format_currency(invoice[label])}")
    return "\\n".join(rows)
''',
        lambda rng, p: [
            (
                {
                    "lines": [[s, q, rng.randint(0, 99999)] for s, q in _order(rng, p)],
                    "subtotal": rng.randint(0, 99999),
                    "coupon": rng.choice([0, 500]),
                    "tax": rng.randint(0, 999),
                    "shipping": rng.choice([0, 650]),
                    "total": rng.randint(-900, 99999),
                },
            )
            for _ in range(8)
        ],
        calls=("format_currency",),
        earlier='''def invoice_text(invoice):
    """An invoice as the customer reads it."""
    rows = [
        f"{quantity} x {sku}  {money.format_cents(amount)}"
        for sku, quantity, amount in invoice["lines"]
    ]
    for label in ("subtotal", "coupon", "tax", "shipping", "total"):
        if label != "coupon" or invoice[label]:
            rows.append(f"{label.title()}: {money.format_cents(invoice[label])}")
    return "\\n".join(rows)
''',
    ),
    # ---- customers ----------------------------------------------------------------------
    Fn(
        "customers",
        "tier",
        '''def tier(spend):
    """The tier of a customer who has spent spend cents this year."""
    name = TIERS[0][1]
    for minimum, tier_name, _, _ in TIERS:
        if spend ⟦tier_edge:>=|>⟧ minimum:
            name = tier_name
    return name
''',
        _n(lambda rng, p: (_spend(rng, p),)),
    ),
    Fn(
        "customers",
        "credit_limit",
        '''def credit_limit(spend):
    """How much a customer may owe, in cents."""
    name = tier(spend)
    return next(limit for _, tier_name, _, limit in TIERS if tier_name == name)
''',
        _n(lambda rng, p: (_spend(rng, p),)),
        calls=("tier",),
    ),
    Fn(
        "customers",
        "can_charge",
        '''def can_charge(balance, amount, spend):
    """True when a customer owing balance may be charged amount more."""
    return ⟦balance:balance + amount|amount⟧ ⟦limit_edge:<=|<⟧ credit_limit(spend)
''',
        lambda rng, p: [_credit_args(rng, p) for _ in range(14)],
        calls=("credit_limit",),
    ),
    # ---- loyalty ------------------------------------------------------------------------
    Fn(
        "loyalty",
        "points_earned",
        '''def points_earned(paid, spend):
    """Loyalty points earned on a purchase of paid cents."""
    per_dollar = 0
    for minimum, _, points, _ in customers.TIERS:
        if spend ⟦tier_edge:>=|>⟧ minimum:
            per_dollar ⟦stacked:=|+=⟧ points
    return ⟦points_floor:paid // 100|-(-paid // 100)⟧ * per_dollar
''',
        _n(lambda rng, p: (rng.randint(0, 99999), _spend(rng, p))),
    ),
    Fn(
        "loyalty",
        "points_value",
        '''def points_value(points):
    """What points are worth at the till, in cents."""
    return (points // 100) * 100
''',
        _n(lambda rng, p: (rng.randint(0, 5000),)),
        smell=("(points // 100) * 100", "points"),
    ),
    Fn(
        "loyalty",
        "redeem",
        '''def redeem(points, total):
    """[cents taken off, points left] when points are spent on a bill of total cents."""
    taken = min(points_value(points), total - total % 100)
    return [taken, points - taken]
''',
        _n(lambda rng, p: (rng.randint(0, 5000), rng.randint(0, 9000))),
        calls=("points_value",),
        smell=("total - total % 100", "total"),
    ),
    # ---- payments -----------------------------------------------------------------------
    Fn(
        "payments",
        "allocate",
        '''def allocate(amount, invoices):
    """A payment spread over open [id, due day, open cents] invoices: [[id, paid], ...]."""
    paid = []
    for invoice_id, _, open_cents in sorted(invoices, key=⟦oldest:lambda row: (row[1], row[0])|lambda row: row[0]⟧):
⟦zero_rows:        if amount <= 0:
            break
|⟧        part = ⟦overpay:min(amount, open_cents)|amount⟧
        paid.append([invoice_id, part])
        amount -= part
    return paid
''',
        _n(lambda rng, p: (rng.randint(0, 60000), _invoices(rng))),
    ),
    Fn(
        "payments",
        "late_fee",
        '''LATE_RATE = ⟪late_rate⟫
FEE_CAP = ⟪fee_cap⟫


def late_fee(open_cents, due, today):
    """The fee on an invoice still open on day today."""
    late = days.days_late(due, today)
    if late == 0:
        return 0
    charged = money.percent_of(open_cents, LATE_RATE * days.weeks_started(late))
    return money.round_cents(min(charged, money.percent_of(open_cents, FEE_CAP)))
''',
        _n(
            lambda rng, p: (
                rng.randrange(500, 40000, 25),
                d := rng.randint(0, 40),
                d + rng.choice([0, p.grace, p.grace + 1, rng.randint(0, 120)]),
            )
        ),
        calls=("days_late", "percent_of", "weeks_started", "round_cents"),
        earlier='''LATE_RATE = ⟪late_rate⟫


def late_fee(open_cents, due, today):
    """The fee on an invoice still open on day today."""
    late = days.days_late(due, today)
    if late == 0:
        return 0
    return money.round_cents(money.percent_of(open_cents, LATE_RATE * days.weeks_started(late)))
''',
    ),
    Fn(
        "payments",
        "instalments",
        '''INTERVAL = ⟪interval⟫


def instalments(cents, parts, start):
    """A plan paying cents in parts: [[due day, cents], ...]."""
    due = start
    plan = []
    for share in money.split_cents(cents, parts):
        due = days.add_business_days(due, INTERVAL)
        plan.append([due, share])
    return plan
''',
        _n(lambda rng, p: (rng.randint(100, 99999), rng.randint(1, 6), rng.randint(0, 40))),
        calls=("split_cents", "add_business_days"),
    ),
    # ---- statements ---------------------------------------------------------------------
    Fn(
        "statements",
        "statement_rows",
        '''def statement_rows(invoices, today):
    """One row per open invoice, oldest due first: [id, open cents, days late, fee]."""
    rows = []
    for invoice_id, due, open_cents in sorted(invoices, key=lambda row: (row[1], row[0])):
        late = days.days_late(due, today)
        rows.append([invoice_id, open_cents, late, payments.late_fee(open_cents, due, today)])
    return rows
''',
        _n(lambda rng, p: (_invoices(rng), 60)),
        calls=("days_late", "late_fee"),
        earlier='''def statement_rows(invoices, today):
    """One row per open invoice, oldest due first: [id, open cents, days late]."""
    rows = []
    for invoice_id, due, open_cents in sorted(invoices, key=lambda row: (row[1], row[0])):
        rows.append([invoice_id, open_cents, days.days_late(due, today)])
    return rows
''',
    ),
    Fn(
        "statements",
        "balance_due",
        '''def balance_due(invoices, today):
    """What the customer owes on day today, fees included."""
    return sum(row[1] + sum(row[3:]) for row in statement_rows(invoices, today))
''',
        _n(lambda rng, p: (_invoices(rng), 60)),
        calls=("statement_rows",),
    ),
    Fn(
        "statements",
        "statement_text",
        '''def statement_text(invoices, today):
    """A statement as the customer reads it."""
    lines = []
    for row in statement_rows(invoices, today):
        invoice_id, open_cents, late = row[:3]
        text = f"{invoice_id}: {money.format_currency(open_cents)}"
        if late:
            text += f", {late} days late"
        if row[3:] and row[3]:
            text += f", fee {money.format_currency(row[3])}"
        lines.append(text)
    lines.append(f"Balance due: {money.format_currency(balance_due(invoices, today))}")
    return "\\n".join(lines)
''',
        _n(lambda rng, p: (_invoices(rng), 60), 8),
        calls=("statement_rows", "format_currency", "balance_due"),
        earlier='''def statement_text(invoices, today):
    """A statement as the customer reads it."""
    lines = []
    for row in statement_rows(invoices, today):
        invoice_id, open_cents, late = row[:3]
        text = f"{invoice_id}: {money.format_cents(open_cents)}"
        if late:
            text += f", {late} days late"
        if row[3:] and row[3]:
            text += f", fee {money.format_cents(row[3])}"
        lines.append(text)
    lines.append(f"Balance due: {money.format_cents(balance_due(invoices, today))}")
    return "\\n".join(lines)
''',
    ),
    # ---- reports ------------------------------------------------------------------------
    Fn(
        "reports",
        "sales_by_category",
        '''def sales_by_category(orders):
    """Line amounts of a list of orders, added up per product category."""
    totals = {}
    for lines in orders:
        for sku, quantity in lines:
            name = catalog.category(sku)
            totals[name] = ⟦category_sum:totals.get(name, 0) + |⟧⟦report_amount:invoices.line_amount(sku, quantity)|catalog.unit_price(sku) * quantity⟧
    return ⟦category_order:dict(sorted(totals.items()))|totals⟧
''',
        _n(lambda rng, p: ([_order(rng, p, big=True) for _ in range(rng.randint(0, 3))],), 10),
        calls=("category", "line_amount", "unit_price"),
    ),
    Fn(
        "reports",
        "top_products",
        '''def top_products(orders, count):
    """The count products that sold the most, by amount: [[sku, cents], ...]."""
    totals = {}
    for lines in orders:
        for sku, quantity in lines:
            key = catalog.normalise_sku(sku)
            totals[key] = totals.get(key, 0) + ⟦report_amount:invoices.line_amount(sku, quantity)|catalog.unit_price(sku) * quantity⟧
    ranked = sorted(totals.items(), key=⟦ties:lambda item: (-item[1], item[0])|lambda item: -item[1]⟧)
    return [list(item) for item in ranked[:⟦top_count:count|count - 1⟧]]
''',
        _n(
            lambda rng, p: (
                [[[s, 1]] for s in rng.sample(p.skus, 3)]
                + [_order(rng, p) for _ in range(rng.randint(0, 2))],
                rng.randint(1, 4),
            ),
            10,
        ),
        calls=("normalise_sku", "line_amount", "unit_price"),
    ),
    Fn(
        "reports",
        "average_order",
        '''def average_order(orders, region):
    """The mean order total, in cents, or None without orders."""
    ⟦empty:if not orders:
        return None
    |⟧totals = [invoices.build(lines, region, 0)["⟦average_total:total|subtotal⟧"] for lines in orders]
    return ⟦average_round:money.round_cents(sum(totals) / len(totals))|sum(totals) // len(totals)⟧
''',
        _n(
            lambda rng, p: (
                [_order(rng, p) for _ in range(rng.choice([0, 0, 1, 2, 3]))],
                _region(rng),
            ),
            10,
        ),
        calls=("build", "round_cents"),
    ),
    # ---- cli ----------------------------------------------------------------------------
    Fn(
        "cli",
        "main",
        """def main(argv):
    \"\"\"Run one command; return what it prints.\"\"\"
    command, *args = argv or ["help"]
    if command == "quote" and len(args) in (3, 4):
        order, region, km = args[:3]
        invoice = invoices.build(catalog.parse_order(order), region, int(km), "".join(args[3:]))
        return invoices.invoice_text(invoice)
    if command == "statement" and len(args) == 2:
        return statements.statement_text(json.loads(args[0]), int(args[1]))
    if command == "points" and len(args) == 2:
        return f"{loyalty.points_earned(⟦arg_order:int(args[0]), int(args[1])|int(args[1]), int(args[0])⟧)} points"
    if command == "redeem" and len(args) == 2:
        taken, left = loyalty.redeem(int(args[0]), int(args[1]))
        return f"{money.format_cents(taken)} off, {left} points left"
    if command == "pay" and len(args) == 2:
        rows = payments.allocate(int(args[0]), json.loads(args[1]))
        return "\\n".join(f"{invoice_id}: {money.format_cents(paid)}" for invoice_id, paid in rows)
    if command == "credit" and len(args) == 3:
        balance, amount, spend = map(int, args)
        allowed = customers.can_charge(balance, amount, spend)
        limit = money.format_cents(customers.credit_limit(⟦limit_of:spend|balance⟧))
        return f"{customers.tier(spend)}, limit {limit}: {'allowed' if allowed else 'refused'}"
    if command == "workdays" and len(args) == 2:
        return f"{days.business_days_between(int(args[0]), int(args[1]))} business days"
    if command == "report" and len(args) == 2:
        orders = [catalog.parse_order(text) for text in json.loads(args[0])]
        rows = [f"{name}: {money.format_cents(cents)}" for name, cents in reports.sales_by_category(orders).items()]
        rows += [f"top {sku}: {money.format_cents(cents)}" for sku, cents in reports.top_products(orders, 3)]
        average = reports.average_order(orders, args[1])
        rows.append("average: " + ("-" if average is None else money.format_cents(average)))
        return "\\n".join(rows)
    {PLAN}return "usage: {USAGE}"
""",
        lambda rng, p: _cli_cases(rng, p),
        calls=(
            "build",
            "parse_order",
            "invoice_text",
            "statement_text",
            "points_earned",
            "redeem",
            "allocate",
            "can_charge",
            "credit_limit",
            "tier",
            "business_days_between",
            "sales_by_category",
            "top_products",
            "average_order",
            "format_cents",
            "instalments",
        ),
    ),
)


def _json(value: Any) -> str:
    return json.dumps(value)


def _cli_cases(rng: random.Random, p: Params) -> list[Args]:
    def quote() -> list[str]:
        code = _code(rng, p)
        return [
            "quote",
            _order_text(rng, p),
            _region(rng),
            str(_km(rng, p)),
            *([code] if code else []),
        ]

    def report() -> list[str]:
        orders = [_order_text(rng, p) for _ in range(rng.randint(0, 3))]
        return ["report", _json(orders), _region(rng)]

    def credit() -> list[str]:
        spend = _spend(rng, p)
        limit = next(t[3] for t in reversed(p.tiers) if spend >= t[0])
        balance = rng.randint(0, 20000)
        amount = limit - balance if rng.random() < 0.4 else rng.randint(0, 40000)
        return ["credit", str(balance), str(amount), str(spend)]

    def plan() -> list[str]:
        parts = rng.randint(1, 5)
        cents = rng.randint(100, 99999)
        if rng.random() < 0.5:  # an even split: the same whichever parts are larger
            cents -= cents % parts
        return ["plan", str(cents), str(parts), str(rng.randint(0, 30))]

    makers: list[Callable[[], list[str]]] = [
        quote,
        quote,
        quote,
        report,
        report,
        credit,
        lambda: ["statement", _json(_invoices(rng)), "60"],
        lambda: ["points", str(rng.randint(0, 99999)), str(_spend(rng, p))],
        lambda: ["redeem", str(rng.randint(0, 5000)), str(rng.randint(0, 9000))],
        lambda: ["pay", str(rng.randint(0, 60000)), _json(_invoices(rng))],
        lambda: ["workdays", str(a := rng.randint(0, 50)), str(a + rng.randint(0, 20))],
        plan,
        plan,
    ]
    return [(maker(),) for maker in makers for _ in range(3)]


CLI_PLAN = """if command == "plan" and len(args) == 3:
        rows = payments.instalments(*map(int, args))
        return "\\n".join(f"day {due}: {money.format_cents(cents)}" for due, cents in rows)
    """
"""The `plan` command, which the instalments story adds to ``cli.main``."""
USAGE = [
    "quote ORDER REGION KM [COUPON]",
    "statement INVOICES TODAY",
    "points PAID SPEND",
    "redeem POINTS TOTAL",
    "pay AMOUNT INVOICES",
    "credit BALANCE AMOUNT SPEND",
    "workdays START END",
    "report ORDERS REGION",
]


def _with_plan(fn: Fn) -> Fn:
    """``cli.main`` with its `plan` command (final) and without (the shipped text)."""
    if fn.name != "main":
        return fn
    final = fn.source.replace("{PLAN}", CLI_PLAN).replace(
        "{USAGE}", " | ".join([*USAGE, "plan CENTS PARTS START"])
    )
    earlier = fn.source.replace("{PLAN}", "").replace("{USAGE}", " | ".join(USAGE))
    return dataclasses.replace(fn, source=final, earlier=earlier)


def rows_text(name: str, header: str, rows: Sequence[Sequence[Any]]) -> str:
    """A table of records as the books keep it: one row per line."""
    lines = [f"{name} = [", f"    # {header}"]
    lines += [f"    {json.dumps(list(row))}," for row in rows]
    return "\n".join([*lines, "]"]) + "\n"


ISSUED_HEADER = "[invoice id, customer, order, region, km, coupon, cents charged]"
CREDITS_HEADER = "[note id, invoice id, cents taken off the invoice (negative: billed), reason]"


def credits_text(notes: Sequence[Sequence[Any]]) -> str:
    """The books' credit notes (the ``CREDITS`` table of :data:`ACCOUNTS`, written per project
    state)."""
    return rows_text("CREDITS", CREDITS_HEADER, notes)


def _ids(rng: random.Random, p: Params) -> list[Args]:
    return [(row[0],) for row in p.issued]


ACCOUNTS: tuple[Fn, ...] = (
    Fn("ledger", "CREDITS", credits_text(()), lambda rng, p: [], data=True),
    Fn(
        "ledger",
        "issued_charge",
        '''def issued_charge(invoice_id):
    """What an invoice was charged when it was issued, in cents."""
    return next(row[6] for row in ISSUED if row[0] == invoice_id)
''',
        _ids,
    ),
    Fn(
        "ledger",
        "credited",
        '''def credited(invoice_id):
    """What the credit notes against an invoice take off it, in cents."""
    return sum(note[2] for note in CREDITS if note[1] == invoice_id)
''',
        _ids,
    ),
    Fn(
        "ledger",
        "goodwill",
        '''def goodwill(invoice_id):
    """What the goodwill notes against an invoice take off it, in cents."""
    return sum(n[2] for n in CREDITS if n[1] == invoice_id and n[3] == "goodwill")
''',
        _ids,
    ),
    Fn(
        "ledger",
        "owed",
        '''def owed(customer):
    """What a customer owes: each of their invoices as charged, less its credit notes."""
    return sum(issued_charge(row[0]) - credited(row[0]) for row in ISSUED if row[1] == customer)
''',
        lambda rng, p: [(c,) for c in sorted({row[1] for row in p.issued})],
        calls=("issued_charge", "credited"),
    ),
)
"""The books (difficulty 4 and above): the invoices issued (a table of the module's state),
the credit notes against them, and what a customer owes. Their cases need no draws: below
difficulty 4 a world has no books, and its draws are as they were."""

FUNCTIONS = (*(_with_plan(fn) for fn in FUNCTIONS), *ACCOUNTS)

BOOK_CUSTOMERS = 8
BOOK_INVOICES = 18


def draw_books(
    rng: random.Random, p: Params, aimed: Sequence[Sequence[Any]]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The books' invoices, without their charges (what the shipped code prices them at),
    and their goodwill notes: the orders ``aimed`` ([order text, region, km, coupon]) and random
    ones up to :data:`BOOK_INVOICES`, in a random order, over :data:`BOOK_CUSTOMERS`."""
    orders = [list(order) for order in aimed][:BOOK_INVOICES]
    while len(orders) < BOOK_INVOICES:
        coupon = rng.choice(["", "", *p.coupons])
        region = rng.choice(["north", "south", "east"])  # as the shop writes them
        orders.append([_order_text(rng, p), region, _km(rng, p), coupon])
    rng.shuffle(orders)
    customers = [f"C-{n}" for n in range(1, BOOK_CUSTOMERS + 1)]
    owners = [*customers, *rng.choices(customers, k=len(orders) - len(customers))]
    rng.shuffle(owners)
    issued = [
        [f"INV-{101 + n}", owner, *order]
        for n, (owner, order) in enumerate(zip(owners, orders, strict=True))
    ]
    goodwill = [
        [f"CN-{n}", invoice[0], rng.randrange(100, 1500, 50), "goodwill"]
        for n, invoice in enumerate(rng.sample(issued, 2), start=1)
    ]
    return issued, goodwill


BUGS: tuple[Bug, ...] = (
    Bug("half_up", "boundary"),
    Bug("sign", "missing_abs"),
    Bug("weekend", "boundary"),
    Bug("grace", "ignored_setting"),
    Bug("weeks", "off_by_one"),
    Bug("strip", "copied_rule"),
    Bug("merge", "overwritten_value"),
    Bug("region_case", "missing_normalisation"),
    Bug("exempt", "falsy_zero"),
    Bug("volume_edge", "boundary"),
    Bug(
        "helper_round",
        "wrong_helper",
        helper=(
            "round_even",
            "    return round(value)\n",
            "    if value < 0:\n        return -round_even(-value)\n    return int(value + 0.5)\n",
        ),
    ),
    Bug("coupon_min", "boundary"),
    Bug("coupon_cap", "missing_cap"),
    Bug("zone_edge", "boundary"),
    Bug("far", "wrong_reference"),
    Bug("kilos", "off_by_one", alternatives=("round(grams / 1000)",)),
    Bug("free_edge", "boundary"),
    Bug("coupon_total", "missing_term"),  # before paid: paid's cases need it fixed
    Bug("paid", "wrong_reference"),
    Bug("tier_edge", "copied_rule"),
    Bug("balance", "missing_term"),  # before limit_edge, for the same reason
    Bug("limit_edge", "boundary"),
    Bug("points_floor", "rounding", alternatives=("(paid + 50) // 100",)),
    # before oldest: the order a payment pays in shows only once both are fixed
    Bug("zero_rows", "missing_check"),
    Bug("overpay", "missing_cap"),
    Bug(
        "oldest",
        "wrong_order",
        # a hand play took the smallest amount first for the rule where the symptom's
        # smallest invoice also came first by id
        alternatives=('lambda row: int(row[0].split("-")[-1])', "lambda row: (row[2], row[0])"),
    ),
    Bug("ties", "unstable_order"),
    Bug("report_amount", "copied_rule"),
    Bug("empty", "missing_none_check"),
    Bug("thousands", "formatting"),
    Bug("holiday", "ignored_setting"),
    Bug("empty_item", "missing_check"),
    Bug("packaging", "ignored_setting"),
    Bug("line_weight", "missing_factor"),
    Bug("tax_base", "wrong_reference"),
    # a report's categories largest first fits a symptom whose names are in both orders
    Bug(
        "category_order",
        "unstable_order",
        alternatives=("dict(sorted(totals.items(), key=lambda item: -item[1]))",),
    ),
    Bug("top_count", "off_by_one"),
    Bug("average_round", "rounding"),
    Bug("average_total", "wrong_reference"),
    Bug("arg_order", "swapped_arguments"),
    Bug("limit_of", "wrong_reference"),
    Bug("stacked", "accumulated"),
    Bug("volume_stack", "accumulated"),
    Bug("unit_discount", "wrong_reference"),
    Bug("category_sum", "overwritten_value"),
    Bug("grams_column", "wrong_reference"),
)
"""The project's bugs. Bugs of one function are fixed in the catalogue's order, each in a
phase of its own: a bug comes before those whose cases show only once it is fixed."""

CONVENTIONS = (
    "volume_edge",
    "coupon_min",
    "zone_edge",
    "kilos",
    "free_edge",
    "paid",
    "limit_edge",
    "points_floor",
    "oldest",
    "ties",
)
"""Bugs whose two texts are both a rule a shop might have (an edge counted in or out, a part
kilogram counted or not, an order of payment): each world draws which one is right, and
RULES.md leaves the detail to finance's reports, so reading the code cannot tell a bug from a
choice; only a ticket's symptom can."""

STORIES: tuple[Story, ...] = (
    Story(
        "late-fees",
        (
            Step(
                "feature",
                ("late_fee",),
                "Charge late fees",
                "Add `payments.late_fee(open_cents, due, today)`: the fee, in whole cents, on an "
                "invoice of open_cents due on day `due` that is still open on day `today`. "
                "Invoices within the grace period (see `days.days_late`) pay nothing; after it, "
                "the fee is ⟪late_rate⟫ percent of the open amount for every week of lateness, a "
                "started week counting as a whole one (keep the rate in a constant LATE_RATE of "
                "payments.py). Round as RULES.md says for fees.",
                naive={
                    "late_fee": '''LATE_RATE = ⟪late_rate⟫


def late_fee(open_cents, due, today):
    """The fee on an invoice still open on day today."""
    late = today - due
    if late <= 0:
        return 0
    return round(open_cents * LATE_RATE * (late // 7) / 100)
'''
                },
            ),
            Step(
                "extend",
                ("statement_rows",),
                "Show late fees on statements",
                "Statements must show each open invoice's late fee: `statements.statement_rows` "
                "gives each row a fourth column, the invoice's fee (`payments.late_fee`), so "
                "the statement text and the balance due include it.",
            ),
            Step(
                "change",
                ("late_fee",),
                "Cap late fees",
                "Finance has capped late fees: a fee is never more than ⟪fee_cap⟫ percent of the "
                "invoice's open amount (rounded like any fee). Add it to payments.py as FEE_CAP and "
                "apply the cap in `payments.late_fee`.",
            ),
        ),
    ),
    Story(
        "instalments",
        (
            Step(
                "feature",
                ("split_cents",),
                "Split an amount into parts",
                "Add `money.split_cents(cents, parts)`: the amount split into `parts` whole-cent "
                "parts that add up to it exactly and differ by at most one cent, the larger "
                "parts ⟪split_side⟫.",
            ),
            Step(
                "feature",
                ("instalments",),
                "Instalment plans",
                "Add `payments.instalments(cents, parts, start)`: a plan paying `cents` in "
                "`parts` instalments, as [[due day, cents], ...]. The amounts are "
                "`money.split_cents(cents, parts)` in order; the first instalment is due "
                "⟪interval⟫ business days after day `start`, each next one ⟪interval⟫ business days "
                "after the one before (keep the number in a constant INTERVAL of payments.py).",
                naive={
                    "instalments": '''INTERVAL = ⟪interval⟫


def instalments(cents, parts, start):
    """A plan paying cents in parts: [[due day, cents], ...]."""
    return [
        [start + INTERVAL * (index + 1), share]
        for index, share in enumerate(money.split_cents(cents, parts))
    ]
'''
                },
            ),
            Step(
                "extend",
                ("main",),
                "A `plan` command",
                "Add a `plan CENTS PARTS START` command to the command line: it prints the "
                "instalment plan (`payments.instalments`), one line per instalment, "
                "`day DUE: AMOUNT` with the amount formatted like every other amount "
                "(`money.format_cents`), and the usage line lists it.",
            ),
            Step(
                "change",
                ("split_cents",),
                "Larger instalments ⟪split_changed_side⟫",
                "Customers complained that the ⟪split_side⟫ instalment is the larger one. "
                "`money.split_cents` must now put the larger parts ⟪split_changed_side⟫.",
            ),
        ),
    ),
    Story(
        "currency",
        (
            Step(
                "change",
                ("invoice_text", "statement_text", "format_currency"),
                "Currency codes on invoices and statements",
                "Customers abroad ask that our documents say which currency they are in. "
                "Invoices (`invoices.invoice_text`, which the `quote` command prints) and "
                "statements (`statements.statement_text`, which the `statement` command prints) "
                "must write every amount without the dollar sign and with the currency code "
                "after it: the whole dollars with a comma between groups of three digits, a dot, "
                "the two digits of cents, a space and `USD`, a negative amount starting with a "
                "minus sign (minus 123456 cents reads `-1,234.56 USD`). Nothing else changes: "
                "finance's spreadsheet imports every other amount the command line prints "
                "(`report`, `pay`, `credit`, `redeem` and the rest), so those keep the form "
                "`money.format_cents` gives them, and `money.format_cents` itself must go on "
                "returning exactly what it returns now.",
                naive={
                    "format_cents": '''def format_cents(cents):
    """An amount for people to read."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{rest:02d} USD"
'''
                },
                adds=("format_currency",),
                keeps=("format_cents",),
                examples=0,
            ),
        ),
        after=("late-fees",),
    ),
    Story(
        "surcharge",
        (
            Step(
                "change",
                ("fee",),
                "A fuel surcharge on shipping",
                "The carrier has added a fuel surcharge: from today every shipping fee "
                "(`shipping.fee`) costs ⟪surcharge⟫ cents more. Keep the amount in a constant "
                "FUEL_SURCHARGE of shipping.py. Free shipping stays free.",
                keeps=("owed", "credited"),
            ),
        ),
        reprices=True,
        since=4,
    ),
    Story(
        "parcels",
        (
            Step(
                "feature",
                ("parcels_needed",),
                "How many parcels an order ships in",
                "The warehouse packs an order's units into parcels of at most ⟪max_parcel⟫ "
                "grams each (keep the number in a constant MAX_PARCEL_GRAMS of shipping.py); "
                "a unit is never split between parcels. Add "
                "`shipping.parcels_needed(weights)`: given the weight in grams of each unit of "
                "an order, the fewest parcels the units can be packed into (0 for none). A "
                "unit heavier than a parcel may weigh raises ValueError. The packers plan "
                "their day with this count.",
                naive={
                    "parcels_needed": '''MAX_PARCEL_GRAMS = ⟪max_parcel⟫


def parcels_needed(weights):
    """The fewest parcels that units of these weights (grams) pack into."""
    loads = []
    for grams in sorted(weights, reverse=True):
        if grams > MAX_PARCEL_GRAMS:
            raise ValueError("a unit is heavier than a parcel may weigh")
        for n, load in enumerate(loads):
            if load + grams <= MAX_PARCEL_GRAMS:
                loads[n] += grams
                break
        else:
            loads.append(grams)
    return len(loads)
'''
                },
            ),
            Step(
                "change",
                ("parcels_needed",),
                "At most ⟪max_units⟫ units to a parcel",
                "The carrier now takes at most ⟪max_units⟫ units in a parcel, whatever they "
                "weigh (keep the number in a constant MAX_PARCEL_UNITS of shipping.py). "
                "`shipping.parcels_needed` must count the fewest parcels that keep both "
                "limits.",
            ),
        ),
        since=4,
    ),
)


PARAM = re.compile(r"⟪(\w+)⟫")
"""A world's constant in a function's text or a ticket's words: ``⟪late_rate⟫``."""


def with_params(text: str, p: Params) -> str:
    """``text`` with each ``⟪name⟫`` replaced by the world's value of ``name`` (text as it is,
    numbers as Python writes them)."""

    def value(match: re.Match[str]) -> str:
        found = getattr(p, match.group(1))
        return found if isinstance(found, str) else repr(found)

    return PARAM.sub(value, text)


def state_lines(module: str, p: Params) -> list[str]:
    """The module-level tables a module needs, rendered from the world's parameters."""
    tables: dict[str, list[str]] = {
        "days": [f"HOLIDAYS = {set(p.holidays)!r}", f"GRACE_DAYS = {p.grace}"],
        "catalog": [f"PRODUCTS = {p.products!r}"],
        "tax": [f"RATES = {p.rates!r}"],
        "discounts": [f"VOLUME = {p.volume!r}", f"COUPONS = {p.coupons!r}"],
        "shipping": [
            f"ZONES = {p.zones!r}",
            f"PER_KG = {p.per_kg}",
            f"PACKAGING = {p.packaging}",
            f"FREE_THRESHOLD = {p.free_from}",
        ],
        "customers": [f"TIERS = {p.tiers!r}"],
        "ledger": [rows_text("ISSUED", ISSUED_HEADER, p.issued)],
    }
    return tables.get(module, [])


def rules_text(p: Params, hidden: frozenset[str] = frozenset()) -> str:
    """RULES.md: the business rules, in a user's terms. A detail that gives away a bug in
    ``hidden`` (a bug whose ticket shows it) is left to the ticket: the rule reads without it."""

    def said(bug: str, detail: str, instead: str = "") -> str:
        return instead if bug in hidden or bug in p.conventions else detail

    units = said("volume_edge", " or more")
    volume = "; ".join(f"{m} units{units}: {off}% off the line" for m, off in p.volume)
    zones = "; ".join(
        f"{said('zone_edge', 'up to ', 'to ')}{km} km: {base} cents" for km, base in p.zones
    )
    coupons = "; ".join(
        f"`{code}`: {value}{'%' if kind == 'percent' else ' cents'} off"
        + (
            f" {said('coupon_min', 'from a subtotal', 'with a subtotal threshold')} of {minimum} cents"
            if minimum
            else ""
        )
        for code, (kind, value, minimum) in p.coupons.items()
    )
    tiers = "; ".join(f"{name} from {minimum} cents" for minimum, name, _, _ in p.tiers)
    limits = "; ".join(f"{name} {limit} cents" for _, name, _, limit in p.tiers)
    points = ", ".join(f"{pts} for {name}" for _, name, pts, _ in p.tiers)
    rounding = said("helper_round", "Volume discounts, coupons", "Coupons")
    averages = said("average_round", " and averages")
    return f"""# Business rules

Amounts are whole cents. Days are numbers; day 0 is a Monday. The command line prints an
amount as dollars and cents{said("thousands", ", a comma between groups of three digits")}, two digits of cents.

These are the shop's rules in brief. Where a rule below leaves a detail open, what finance or
a customer reports settles it; where a rule states a detail, the rule is right, whatever a
report says.

## Rounding
- {rounding} and fees{averages} are rounded to the nearest cent, halves up.
- Tax is rounded per invoice line to the nearest cent, halves to the even cent (the revenue
  office's rule). Never round tax any other way.

## Orders
- Order text lists `SKU:QUANTITY` items separated by commas{said("empty_item", " (an empty item is skipped)")}; a missing quantity is 1. SKUs and
  coupon codes are matched ignoring case and surrounding spaces{said("merge", "; an item named twice adds up")}.
- Volume discounts apply per line: {volume}. The highest tier reached applies{said("volume_stack", " (alone: tiers do not add up)")}{said("volume_edge", "", " (finance says whether a line of exactly a tier's units reaches it)")}.
- Coupons apply to the subtotal (after volume discounts): {coupons}.{said("coupon_min", " A minimum is reached at exactly that subtotal.", " Finance says whether a subtotal of exactly the threshold qualifies.")}{said("coupon_cap", " A fixed coupon never takes off more than the subtotal.")}
- Tax applies to each line's amount{said("tax_base", " after its volume discount")}, by the region{said("region_case", " (any case)")} and
  the product's category; a category with no rate of its own pays the region's default
  rate{said("exempt", ", and a category whose rate is 0 pays none")}.

## Shipping
- Free when the goods come to {p.free_from} cents{said("free_edge", " or more", " (the free-shipping threshold; finance says whether exactly the threshold is free)")}{said("paid", " after the coupon", ", counted before or after the coupon as finance says")}.
- Otherwise the zone's base fee ({zones}{said("far", "; beyond the last zone, its fee plus 2 cents per km past it", "; farther costs more")}{said("zone_edge", "", "; finance says which zone a distance exactly at an edge is in")}) plus
  {p.per_kg} cents per {said("kilos", "started ")}kilogram of the parcel{said("kilos", "", " (finance says how a part kilogram counts)")}; a parcel weighs its items{said("packaging", f" plus {p.packaging} g of packaging", " (finance says what else a parcel holds)")}.{said("line_weight", " Every unit of a line is in the parcel.")}
- An invoice's total is its subtotal{said("coupon_total", " less the coupon", " (finance says how a coupon counts)")}, plus tax and shipping.

## Customers
- Tiers by spend this year: {tiers}.
- Credit limits: {limits}{said("balance", "; a charge is allowed when what the customer already owes plus the charge stays within the limit")}{said("limit_edge", "; a charge that reaches the limit exactly is allowed", " (finance says whether a charge that reaches the limit exactly is allowed)")}.
- Loyalty points: per {said("points_floor", "whole ")}dollar paid, {points}{said("stacked", " (the customer's own tier's rate, not the rates of the tiers below added up)")}{said("points_floor", "", " (finance says how a part dollar counts)")}.
- Points are spent in blocks of 100, each taking a dollar off a bill, and only a bill's whole
  dollars can be paid with points.

## Payments
- A payment pays open invoices {said("oldest", "oldest due date first (ties by invoice id)", "one after another, in the order finance says")}{said("overpay", ", each up to what it has open")}{said("zero_rows", "; `pay` lists only the invoices the payment reaches")}.
- Lateness counts the days after the due date{said("grace", f" beyond a grace period of {p.grace} days", " beyond the grace period (`GRACE_DAYS`)")}.
- Statements list open invoices oldest due first, ties by invoice id.
- Business days are {said("weekend", "Monday to Friday", "working days")}{said("holiday", f", except the holidays (days {', '.join(map(str, p.holidays))})", " (finance says which days are off)")}.
- The business days between two days count from the day after the first up to and including
  the second.

## Reports
- Sales reports add up line amounts: each line after its volume discount, before coupons, tax
  and shipping. They list each category's lines added up{said("category_sum", ", every line of it")}{said("category_order", ", categories in alphabetical order")}.
- The average order is the mean invoice total of the orders as quoted at 0 km.
- The report ranks {said("top_count", "the three best-selling products", "the best-selling products")}. Rankings list the largest amount first{said("ties", ", ties by SKU", " (finance says how ties are ordered)")}.
{BOOKS_RULES if p.issued else ""}"""


BOOKS_RULES = """
## The books
- `ledger.py` keeps every invoice issued (`ISSUED`, each with the cents it was charged) and
  the credit notes (`CREDITS`), each against one invoice. What a customer owes is, over each
  invoice of theirs, its charge less the notes against it.
- An issued invoice is never changed or removed, and neither is a credit note.
- An invoice comes to what the project quotes its order at (the `quote` command; in code,
  `invoices.build(catalog.parse_order(order), region, km, coupon)["total"]`).
- When a fix changes what an issued invoice comes to, correct the books in the same change:
  add credit notes (reason `correction`) so that each invoice's charge less its correction
  notes is what it now comes to. A note of negative cents bills what was undercharged.
  Goodwill notes are not corrections: they stay as they are.
- A change of the rules that a ticket asks for (a new fee, price or discount) is not a fix:
  it applies to quotes from then on, and the books keep what invoices were charged. A fix
  made after it corrects an issued invoice by what the fix changes under the rules the
  invoice was issued under (as if the change had not been made).
"""

"""The function catalogue the repository generator draws from.

Each entry is a small, self-contained function of a shop-keeping library, written once with
its bug sites marked inline as ``⟦kind:correct|buggy⟧``. The generator renders the correct
text, or the buggy text at one site, so a bug's known fix is exact. ``calls`` names the
catalogue functions it calls (the dependency graph comes from these), ``cases`` draws test
inputs from a seeded ``random.Random``. Cross-module calls go through the module
(``units.clamp(...)``), so tests can swap one function for its correct version.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

BUG_KINDS = (
    "off_by_one",
    "wrong_operator",
    "boundary",
    "missing_none_check",
    "wrong_default",
    "swapped_arguments",
    "stale_cache",
    "unit_mismatch",
)

Args = Sequence[object]


@dataclass(frozen=True)
class Entry:
    """One catalogue function."""

    module: str
    name: str
    source: str
    cases: Callable[[random.Random], Sequence[Args]]
    calls: tuple[str, ...] = ()
    summary: str = ""
    feature: bool = False
    """Can be removed from the project and requested as a feature ticket."""
    state: tuple[str, ...] = field(default=())
    """Module-level statements the function needs (caches, tables), rendered before it."""


def _ints(lo: int, hi: int, n: int = 2) -> Callable[[random.Random], Sequence[Args]]:
    return lambda rng: [tuple(rng.randint(lo, hi) for _ in range(n)) for _ in range(12)]


def _one(gen: Callable[[random.Random], object]) -> Callable[[random.Random], Sequence[Args]]:
    return lambda rng: [(gen(rng),) for _ in range(12)]


def _words(rng: random.Random) -> str:
    pool = ["red", "Blue", "big", "tea", "Cup", "oak", "sun", "x", "Lamp", "desk"]
    return " ".join(rng.choice(pool) for _ in range(rng.randint(0, 4)))


def _items(rng: random.Random) -> list[list[int]]:
    return [[rng.randint(1, 4000), rng.randint(1, 5)] for _ in range(rng.randint(0, 5))]


def _maybe(rng: random.Random, value: object) -> object:
    return None if rng.random() < 0.3 else value


CATALOGUE: tuple[Entry, ...] = (
    # ---- units ----------------------------------------------------------------------------
    Entry(
        "units",
        "clamp",
        '''def clamp(value, low, high):
    """Limit value to the closed range [low, high]."""
    if value < low:
        return low
    if value ⟦boundary:> high|> high + 1⟧:
        return high
    return value
''',
        lambda rng: [(rng.randint(-5, 105), 0, 100) for _ in range(10)] + [(101, 0, 100)],
        summary="clamp(value, low, high) limits value to [low, high]",
    ),
    Entry(
        "units",
        "cents_to_dollars",
        '''def cents_to_dollars(cents):
    """Convert an amount in cents to dollars."""
    return cents / ⟦unit_mismatch:100|1000⟧
''',
        _one(lambda rng: rng.randint(0, 99999)),
        summary="cents_to_dollars(cents) converts cents to dollars",
    ),
    Entry(
        "units",
        "dollars_to_cents",
        '''def dollars_to_cents(dollars):
    """Convert dollars to whole cents, rounding to the nearest cent."""
    return round(dollars * ⟦unit_mismatch:100|10⟧)
''',
        _one(lambda rng: rng.randint(0, 99999) / 100),
        summary="dollars_to_cents(dollars) converts dollars to whole cents",
    ),
    Entry(
        "units",
        "grams_to_kilograms",
        '''def grams_to_kilograms(grams):
    """Convert grams to kilograms."""
    return grams ⟦wrong_operator:/|*⟧ 1000
''',
        _one(lambda rng: rng.randint(0, 50000)),
        summary="grams_to_kilograms(grams) converts grams to kilograms",
    ),
    Entry(
        "units",
        "minutes_to_hours",
        '''def minutes_to_hours(minutes):
    """Convert minutes to hours, rounded to two decimals."""
    return round(minutes / ⟦unit_mismatch:60|100⟧, 2)
''',
        _one(lambda rng: rng.randint(0, 5000)),
        summary="minutes_to_hours(minutes) converts minutes to hours",
    ),
    Entry(
        "units",
        "percent_of",
        '''def percent_of(amount, percent):
    """Return percent % of amount."""
    return amount * percent ⟦wrong_operator:/|*⟧ 100
''',
        _ints(0, 500),
        summary="percent_of(amount, percent) returns percent % of amount",
    ),
    Entry(
        "units",
        "round_up_to",
        '''def round_up_to(value, step):
    """Round value up to the next multiple of step."""
    return ((value + step ⟦off_by_one:- 1|⟧) // step) * step
''',
        lambda rng: [(rng.randint(0, 500), rng.choice([5, 10, 25])) for _ in range(12)],
        summary="round_up_to(value, step) rounds value up to a multiple of step",
        feature=True,
    ),
    # ---- pricing --------------------------------------------------------------------------
    Entry(
        "pricing",
        "apply_discount",
        '''def apply_discount(price_cents, percent):
    """Price after a percentage discount; the percent is clamped to 0..100."""
    percent = units.clamp(percent, 0, 100)
    return price_cents - round(units.percent_of(price_cents, percent))
''',
        lambda rng: [(rng.randint(0, 20000), rng.randint(-10, 120)) for _ in range(12)],
        calls=("clamp", "percent_of"),
        summary="apply_discount(price_cents, percent) applies a clamped percentage discount",
    ),
    Entry(
        "pricing",
        "add_tax",
        '''def add_tax(price_cents, rate_percent=⟦wrong_default:8|0⟧):
    """Price with sales tax added (default rate 8%), in whole cents."""
    return price_cents + round(units.percent_of(price_cents, rate_percent))
''',
        lambda rng: (
            [(rng.randint(0, 20000),) for _ in range(8)]
            + [(rng.randint(0, 20000), rng.randint(0, 25)) for _ in range(4)]
        ),
        calls=("percent_of",),
        summary="add_tax(price_cents, rate_percent=8) adds sales tax",
    ),
    Entry(
        "pricing",
        "bulk_price",
        '''def bulk_price(unit_cents, quantity):
    """Total for quantity units; 10% off every unit from the 10th unit on."""
    if quantity ⟦boundary:>=|>⟧ 10:
        return apply_discount(unit_cents * quantity, 10)
    return unit_cents * quantity
''',
        lambda rng: (
            [(rng.randint(1, 5000), rng.randint(1, 20)) for _ in range(10)] + [(100, 10), (250, 10)]
        ),
        calls=("apply_discount",),
        summary="bulk_price(unit_cents, quantity) totals units with a bulk discount",
    ),
    Entry(
        "pricing",
        "price_per_kilogram",
        '''def price_per_kilogram(price_cents, grams):
    """Price per kilogram in cents, or None when the weight is zero or unknown."""
    ⟦missing_none_check:if not grams:
        return None
    |⟧return round(price_cents / units.grams_to_kilograms(grams))
''',
        lambda rng: (
            [(rng.randint(1, 9000), _maybe(rng, rng.randint(0, 4000))) for _ in range(12)]
            + [(500, None), (700, 0)]
        ),
        calls=("grams_to_kilograms",),
        summary="price_per_kilogram(price_cents, grams) returns cents per kg",
    ),
    Entry(
        "pricing",
        "margin_percent",
        '''def margin_percent(cost_cents, price_cents):
    """Profit margin as a percentage of the price, two decimals."""
    if price_cents == 0:
        return 0.0
    return round((price_cents ⟦wrong_operator:-|+⟧ cost_cents) * 100 / price_cents, 2)
''',
        _ints(1, 9000),
        summary="margin_percent(cost_cents, price_cents) returns the margin in percent",
        feature=True,
    ),
    Entry(
        "pricing",
        "exchange",
        '''def exchange(amount_cents, currency):
    """Convert cents to another currency using the current rate table."""
    key = currency.upper()
    if key not in _RATE_CACHE:
        _RATE_CACHE[key] = _RATES[key]
    return round(amount_cents * _RATE_CACHE[key])
''',
        lambda rng: [(rng.randint(0, 9000), rng.choice(["eur", "GBP", "jpy"])) for _ in range(12)],
        summary="exchange(amount_cents, currency) converts with the rate table",
        state=(
            '_RATES = {"EUR": 0.9, "GBP": 0.8, "JPY": 150.0}',
            "_RATE_CACHE = {}",
        ),
    ),
    Entry(
        "pricing",
        "set_rate",
        '''def set_rate(currency, rate):
    """Update a currency's rate; return the price of 10000 cents before and after."""
    before = exchange(10000, currency)
    _RATES[currency.upper()] = rate
    ⟦stale_cache:_RATE_CACHE.pop(currency.upper(), None)|pass⟧
    return before, exchange(10000, currency)
''',
        lambda rng: [
            (rng.choice(["eur", "GBP", "jpy"]), rng.randint(1, 300) / 100) for _ in range(12)
        ],
        calls=("exchange",),
        summary="set_rate(currency, rate) updates a currency's rate",
    ),
    # ---- shipping -------------------------------------------------------------------------
    Entry(
        "shipping",
        "parcel_weight",
        '''def parcel_weight(item_grams, packaging_grams=⟦wrong_default:150|15⟧):
    """Weight of a parcel in grams: the items plus packaging (default 150 g)."""
    return sum(item_grams) + packaging_grams
''',
        lambda rng: [
            ([rng.randint(1, 3000) for _ in range(rng.randint(0, 4))],) for _ in range(12)
        ],
        summary="parcel_weight(item_grams, packaging_grams=150) weighs a parcel",
    ),
    Entry(
        "shipping",
        "shipping_cost",
        '''def shipping_cost(weight_grams, distance_km):
    """Shipping in cents: 300 base, 120 per started kilogram, 2 per km."""
    kilos = units.round_up_to(weight_grams, 1000) // 1000
    return 300 + 120 * kilos + 2 * distance_km
''',
        _ints(0, 9000),
        calls=("round_up_to",),
        summary="shipping_cost(weight_grams, distance_km) prices a parcel",
    ),
    Entry(
        "shipping",
        "delivery_days",
        '''def delivery_days(distance_km, express=False):
    """Days to deliver: one per started 500 km (at least one); express halves, rounding up."""
    days = max(1, -(-distance_km // 500))
    if express:
        days = ⟦off_by_one:-(-days // 2)|days // 2⟧
    return days
''',
        lambda rng: [(rng.randint(0, 4000), rng.random() < 0.6) for _ in range(12)],
        summary="delivery_days(distance_km, express=False) estimates days",
    ),
    Entry(
        "shipping",
        "free_shipping",
        '''def free_shipping(order_cents, threshold_cents=5000):
    """True when an order qualifies for free shipping (at or above the threshold)."""
    return order_cents ⟦boundary:>=|>⟧ threshold_cents
''',
        lambda rng: [(rng.choice([5000, rng.randint(0, 10000)]),) for _ in range(12)] + [(5000,)],
        summary="free_shipping(order_cents) tells whether shipping is free",
    ),
    Entry(
        "shipping",
        "shipping_quote",
        '''def shipping_quote(order_cents, item_grams, distance_km):
    """Shipping for an order in cents: free above the threshold, else by weight and distance."""
    if free_shipping(order_cents):
        return 0
    weight = parcel_weight(item_grams)
    return shipping_cost(⟦swapped_arguments:weight, distance_km|distance_km, weight⟧)
''',
        lambda rng: [
            (rng.randint(0, 8000), [rng.randint(1, 3000) for _ in range(2)], rng.randint(0, 900))
            for _ in range(12)
        ],
        calls=("free_shipping", "shipping_cost", "parcel_weight"),
        summary="shipping_quote(order_cents, item_grams, distance_km) quotes shipping",
    ),
    Entry(
        "shipping",
        "transit_hours",
        '''def transit_hours(distance_km, speed_kmh=60):
    """Hours on the road, two decimals."""
    return units.minutes_to_hours(distance_km * 60 // speed_kmh)
''',
        lambda rng: [(rng.randint(0, 3000),) for _ in range(12)],
        calls=("minutes_to_hours",),
        summary="transit_hours(distance_km) estimates hours on the road",
        feature=True,
    ),
    # ---- inventory ------------------------------------------------------------------------
    Entry(
        "inventory",
        "restock",
        '''def restock(stock, sku, quantity):
    """Return a copy of stock with quantity more of sku."""
    updated = dict(stock)
    updated[sku] = updated.get(sku, 0) ⟦wrong_operator:+|-⟧ quantity
    return updated
''',
        lambda rng: [
            ({"A": rng.randint(0, 9)}, rng.choice("AB"), rng.randint(1, 9)) for _ in range(12)
        ],
        summary="restock(stock, sku, quantity) adds stock",
    ),
    Entry(
        "inventory",
        "reserve",
        '''def reserve(stock, sku, quantity):
    """Return (new_stock, reserved): reserve up to quantity units of sku."""
    available = stock.get(sku, 0)
    reserved = min(available, quantity)
    updated = dict(stock)
    updated[sku] = available - reserved
    return updated, reserved
''',
        lambda rng: [
            ({"A": rng.randint(0, 9)}, rng.choice("AB"), rng.randint(0, 12)) for _ in range(12)
        ],
        summary="reserve(stock, sku, quantity) reserves what is available",
    ),
    Entry(
        "inventory",
        "low_stock",
        '''def low_stock(stock, threshold=3):
    """Sorted SKUs whose count is at or below the threshold."""
    return sorted(sku for sku, count in stock.items() if count ⟦boundary:<=|<⟧ threshold)
''',
        lambda rng: [({s: rng.randint(0, 6) for s in "ABCDE"},) for _ in range(12)],
        summary="low_stock(stock, threshold=3) lists SKUs running low",
    ),
    Entry(
        "inventory",
        "last_n_movements",
        '''def last_n_movements(movements, n):
    """The n most recent movements (the list is oldest first), newest first."""
    if n == 0:
        return []
    start = ⟦off_by_one:len(movements) - n|len(movements) - n + 1⟧
    return list(reversed(movements[max(start, 0) :]))
''',
        lambda rng: [(list(range(rng.randint(3, 9))), rng.randint(1, 3)) for _ in range(12)],
        summary="last_n_movements(movements, n) returns the n newest movements",
    ),
    Entry(
        "inventory",
        "stock_value",
        '''def stock_value(stock, unit_costs):
    """Value of the stock in cents; SKUs without a cost count as zero."""
    return sum(count * unit_costs.get(sku, 0) for sku, count in stock.items())
''',
        lambda rng: [
            ({s: rng.randint(0, 9) for s in "ABC"}, {s: rng.randint(1, 900) for s in "AB"})
            for _ in range(12)
        ],
        summary="stock_value(stock, unit_costs) values the stock",
        feature=True,
    ),
    Entry(
        "inventory",
        "fill_rate",
        '''def fill_rate(stock, sku, wanted):
    """Percent of a wanted quantity that can be reserved now, two decimals."""
    if wanted == 0:
        return 100.0
    _, reserved = reserve(stock, sku, wanted)
    return round(reserved * 100 / wanted, 2)
''',
        lambda rng: [
            ({"A": rng.randint(0, 9)}, rng.choice("AB"), rng.randint(0, 12)) for _ in range(12)
        ],
        calls=("reserve",),
        summary="fill_rate(stock, sku, wanted) is the share of an order that can be filled",
    ),
    # ---- orders ---------------------------------------------------------------------------
    Entry(
        "orders",
        "line_total",
        '''def line_total(unit_cents, quantity):
    """Total of one order line, with the bulk discount."""
    return pricing.bulk_price(unit_cents, quantity)
''',
        lambda rng: [(rng.randint(1, 4000), rng.randint(1, 15)) for _ in range(12)],
        calls=("bulk_price",),
        summary="line_total(unit_cents, quantity) totals one line",
    ),
    Entry(
        "orders",
        "subtotal",
        '''def subtotal(lines):
    """Sum of the line totals of [unit_cents, quantity] lines."""
    return sum(line_total(unit, quantity) for unit, quantity in lines)
''',
        _one(_items),
        calls=("line_total",),
        summary="subtotal(lines) sums the order lines",
    ),
    Entry(
        "orders",
        "order_total",
        '''def order_total(lines, coupon_percent=0):
    """Subtotal after a coupon, with tax added, in cents."""
    discounted = pricing.apply_discount(subtotal(lines), coupon_percent)
    return pricing.add_tax(discounted)
''',
        lambda rng: [(_items(rng), rng.choice([0, 5, 10, 150])) for _ in range(12)],
        calls=("subtotal", "apply_discount", "add_tax"),
        summary="order_total(lines, coupon_percent=0) totals an order with tax",
    ),
    Entry(
        "orders",
        "checkout_total",
        '''def checkout_total(lines, item_grams, distance_km):
    """What the customer pays in cents: the order total plus shipping."""
    total = order_total(lines)
    return total + shipping.shipping_quote(total, item_grams, distance_km)
''',
        lambda rng: [
            (_items(rng), [rng.randint(1, 3000) for _ in range(2)], rng.randint(0, 900))
            for _ in range(12)
        ],
        calls=("order_total", "shipping_quote"),
        summary="checkout_total(lines, item_grams, distance_km) is what the customer pays",
    ),
    Entry(
        "orders",
        "average_line",
        '''def average_line(lines):
    """Mean line total in cents (two decimals), or None for an empty order."""
    ⟦missing_none_check:if not lines:
        return None
    |⟧return round(subtotal(lines) / len(lines), 2)
''',
        lambda rng: [(_items(rng),) for _ in range(10)] + [([],), ([],)],
        calls=("subtotal",),
        summary="average_line(lines) is the mean line total",
        feature=True,
    ),
    Entry(
        "orders",
        "refund_amount",
        '''def refund_amount(paid_cents, returned_cents, restocking_percent=10):
    """Refund for returned goods, less a restocking fee; never more than was paid."""
    fee = round(units.percent_of(returned_cents, restocking_percent))
    refund = returned_cents - fee
    return units.clamp(⟦swapped_arguments:refund, 0, paid_cents|0, refund, paid_cents⟧)
''',
        lambda rng: [(rng.randint(0, 9000), rng.randint(0, 9000)) for _ in range(12)],
        calls=("percent_of", "clamp"),
        summary="refund_amount(paid_cents, returned_cents) computes a refund",
    ),
    # ---- reports --------------------------------------------------------------------------
    Entry(
        "reports",
        "format_money",
        '''def format_money(cents):
    """Cents as a dollar string such as $12.05."""
    return "$" + format(units.cents_to_dollars(cents), ".2f")
''',
        _one(lambda rng: rng.randint(0, 999999)),
        calls=("cents_to_dollars",),
        summary="format_money(cents) formats an amount",
    ),
    Entry(
        "reports",
        "slugify",
        '''def slugify(title):
    """Lower-case words joined by dashes."""
    return "-".join(word.lower() for word in title.split())
''',
        _one(_words),
        summary="slugify(title) makes a URL slug",
        feature=True,
    ),
    Entry(
        "reports",
        "truncate",
        '''def truncate(text, width):
    """Text cut to at most width characters, ending in '...' when cut."""
    if len(text) ⟦boundary:<=|<⟧ width:
        return text
    return text[: width - 3] + "..."
''',
        lambda rng: (
            [("x" * rng.randint(4, 14), rng.randint(5, 12)) for _ in range(10)] + [("abcdefgh", 8)]
        ),
        summary="truncate(text, width) shortens text",
    ),
    Entry(
        "reports",
        "receipt_line",
        '''def receipt_line(name, unit_cents, quantity, width=30):
    """One receipt line: the name cut to fit, then quantity and line total."""
    amount = format_money(orders.line_total(unit_cents, quantity))
    label = truncate(name, width - len(amount) - 6)
    return f"{label} x{quantity} {amount}"
''',
        lambda rng: [
            (_words(rng) or "item", rng.randint(1, 4000), rng.randint(1, 12)) for _ in range(12)
        ],
        calls=("format_money", "line_total", "truncate"),
        summary="receipt_line(name, unit_cents, quantity) formats a receipt line",
    ),
    Entry(
        "reports",
        "invoice_total_text",
        '''def invoice_total_text(lines, coupon_percent=0):
    """The invoice's closing line: 'Total due: $X.YZ'."""
    return "Total due: " + format_money(orders.order_total(lines, coupon_percent))
''',
        lambda rng: [(_items(rng), rng.choice([0, 10, 20])) for _ in range(12)],
        calls=("format_money", "order_total"),
        summary="invoice_total_text(lines) is the invoice's closing line",
    ),
)

MODULE_ORDER = ("units", "pricing", "shipping", "inventory", "orders", "reports")
MODULE_IMPORTS = {
    "units": (),
    "pricing": ("units",),
    "shipping": ("units",),
    "inventory": (),
    "orders": ("pricing", "shipping", "units"),
    "reports": ("orders", "units"),
}

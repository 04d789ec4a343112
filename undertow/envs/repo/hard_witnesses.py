"""Commands a user might run that show each bug of the hard project.

A bug deep in the billing library shows at the command line only on particular inputs: a
discount of exactly half a cent, a subtotal exactly at a coupon's minimum, a distance exactly
at a zone's edge. Random commands rarely hit them, so the generator asks here for candidates
aimed at each bug, worked out from the world's tables (:class:`Params`) by the rules of
RULES.md. They are only candidates: the generator runs every one on the repository as shipped
and in every project state, and keeps one only if it shows the bug as the ticket states it.
An empty list means the world's tables give the bug no visible symptom (the sprint leaves the
bug out).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from typing import Any

from undertow.envs.repo.hard_catalogue import Params

Argv = list[str]
Make = Callable[[random.Random, Params], list[Argv]]
"""Draws candidate commands for one bug or smell."""
CANDIDATES = 24


def _half_up(value: float) -> int:
    return int(value + 0.5)


def line_amount(p: Params, sku: str, quantity: int) -> int:
    """What a line costs before tax, by the rules."""
    gross = int(p.products[sku][1]) * quantity
    percent = 0
    for minimum, off in p.volume:
        if quantity >= minimum:
            percent = off
    return gross - _half_up(gross * percent / 100)


def _small(p: Params) -> int:
    """The largest quantity with no volume discount."""
    return max(1, p.volume[0][0] - 1)


def _order(rng: random.Random, p: Params, lines: int | None = None) -> list[list[object]]:
    skus = rng.sample(p.skus, lines or rng.randint(1, 3))
    return [[sku, rng.randint(1, _small(p))] for sku in skus]


def _text(lines: list[list[object]]) -> str:
    return ",".join(f"{sku}:{quantity}" if quantity != 1 else str(sku) for sku, quantity in lines)


def _subtotal(p: Params, lines: list[list[object]]) -> int:
    return sum(line_amount(p, str(sku), int(str(q))) for sku, q in lines)


def _exact(p: Params, target: int) -> list[list[list[object]]]:
    """Undiscounted orders of one to three products whose subtotal is exactly ``target``."""
    lines = [(sku, q) for sku in p.skus for q in range(1, _small(p) + 1)]
    by_amount: dict[int, list[tuple[str, int]]] = {}
    for sku, q in lines:
        by_amount.setdefault(int(p.products[sku][1]) * q, []).append((sku, q))
    found = [[(sku, q)] for sku, q in by_amount.get(target, [])]
    for first, second in itertools.combinations(lines, 2):
        if first[0] >= second[0]:
            continue
        rest = target - sum(int(p.products[sku][1]) * q for sku, q in (first, second))
        if rest == 0:
            found.append([first, second])
        found += [
            [first, second, third] for third in by_amount.get(rest, []) if third[0] > second[0]
        ]
        if len(found) >= CANDIDATES:
            break
    return [[[sku, q] for sku, q in order] for order in found[:CANDIDATES]]


def _region(rng: random.Random) -> str:
    return rng.choice(["north", "south", "east"])


def _quote(lines: list[list[object]], region: str, km: int, code: str = "") -> Argv:
    return ["quote", _text(lines), region, str(km), *([code] if code else [])]


def _km(rng: random.Random, p: Params) -> int:
    return rng.randint(0, p.zones[-1][0])


def _below_free(rng: random.Random, p: Params) -> list[list[object]]:
    for _ in range(50):
        lines = _order(rng, p)
        if _subtotal(p, lines) < p.free_from:
            return lines
    return [[min(p.skus, key=lambda s: p.products[s][1]), 1]]


def _many(make: Callable[[], Argv | None], tries: int = CANDIDATES * 3) -> list[Argv]:
    made = (make() for _ in range(tries))
    return [argv for argv in made if argv is not None][:CANDIDATES]


def half_up(rng: random.Random, p: Params) -> list[Argv]:
    def report() -> Argv:
        orders = [_text(_order(rng, p)) for _ in range(2)]
        return ["report", json.dumps(orders), _region(rng)]

    def coupon() -> Argv | None:
        code, (_, value, minimum) = rng.choice(
            [(c, v) for c, v in p.coupons.items() if v[0] == "percent"]
        )
        lines = _order(rng, p, 3)
        subtotal = _subtotal(p, lines)
        if subtotal < minimum or (subtotal * value) % 100 != 50:
            return None
        return _quote(lines, _region(rng), _km(rng, p), code)

    return _many(coupon) + _many(report)


def sign(rng: random.Random, p: Params) -> list[Argv]:
    def statement() -> Argv:
        credit = rng.randrange(150, 30000, 5)
        # not yet due: lateness (another bug's business) does not show
        rows = [[f"CR-{rng.randint(1, 39)}", rng.randint(60, 90), -credit]]
        if rng.random() < 0.5:
            rows.append([f"INV-{rng.randint(40, 80)}", rng.randint(60, 90), credit // 2])
        return ["statement", json.dumps(rows), "60"]

    return _many(statement)


def weekend(rng: random.Random, p: Params) -> list[Argv]:
    def workdays() -> Argv:
        start = rng.randint(0, 50)
        return ["workdays", str(start), str(start + rng.randint(1, 12))]

    return _many(workdays)


def grace(rng: random.Random, p: Params) -> list[Argv]:
    def statement() -> Argv:
        due = rng.randint(60 - p.grace - 20, 60 - 1)
        rows = [[f"INV-{rng.randint(1, 39)}", due, rng.randrange(500, 40000, 25)]]
        return ["statement", json.dumps(rows), "60"]

    return _many(statement)


def strip(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv:
        lines = _order(rng, p)
        spaced = rng.randrange(len(lines))
        text = ",".join(
            f" {sku}:{quantity}" if index == spaced else f"{sku}:{quantity}"
            for index, (sku, quantity) in enumerate(lines)
        )
        return ["quote", text, _region(rng), str(_km(rng, p))]

    return _many(quote)


def merge(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv:
        lines = _order(rng, p)
        sku, _ = lines[0]
        text = _text(lines) + f",{sku}:{rng.randint(1, _small(p))}"
        return ["quote", text, _region(rng), str(_km(rng, p))]

    return _many(quote)


def region_case(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv:
        region = _region(rng)
        shown = rng.choice([region.title(), region.upper()])
        return _quote(_order(rng, p), shown, _km(rng, p))

    return _many(quote)


def exempt(rng: random.Random, p: Params) -> list[Argv]:
    exempted = [
        (region, sku)
        for region, table in p.rates.items()
        for sku in p.skus
        if table.get(p.products[sku][3]) == 0
    ]
    if not exempted:
        return []

    def quote() -> Argv:
        region, sku = rng.choice(exempted)
        lines = [[sku, rng.randint(1, _small(p))]]
        return _quote(lines, region, _km(rng, p))

    return _many(quote)


def volume_edge(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv:
        sku = rng.choice(p.skus)
        quantity = rng.choice([minimum for minimum, _ in p.volume])
        return _quote([[sku, quantity]], _region(rng), _km(rng, p))

    return _many(quote)


def helper_round(rng: random.Random, p: Params) -> list[Argv]:
    halves = []
    for sku in p.skus:
        for quantity in range(p.volume[0][0], p.volume[0][0] + 60):
            gross = int(p.products[sku][1]) * quantity
            percent = max((off for minimum, off in p.volume if quantity >= minimum), default=0)
            exact = gross * percent / 100
            if (gross * percent) % 100 == 50 and int(exact) % 2 == 0:
                halves.append([sku, quantity])
    if not halves:
        return []
    return _many(lambda: _quote([rng.choice(halves)], _region(rng), _km(rng, p)))


def coupon_min(rng: random.Random, p: Params) -> list[Argv]:
    orders = [
        (code, lines)
        for code, (_, _, minimum) in p.coupons.items()
        if minimum
        for lines in _exact(p, minimum)[:6]
    ]
    if not orders:
        return []

    def quote() -> Argv:
        code, lines = rng.choice(orders)
        return _quote(lines, _region(rng), _km(rng, p), code)

    return _many(quote)


def coupon_cap(rng: random.Random, p: Params) -> list[Argv]:
    fixed = [
        (c, v) for c, (kind, v, minimum) in p.coupons.items() if kind == "fixed" and not minimum
    ]
    cheap = [s for s in p.skus if int(p.products[s][1]) < max((v for _, v in fixed), default=0)]
    if not fixed or not cheap:
        return []

    def quote() -> Argv | None:
        code, value = rng.choice(fixed)
        lines = [[rng.choice(cheap), 1]]
        if _subtotal(p, lines) >= value:
            return None
        return _quote(lines, _region(rng), _km(rng, p), code)

    return _many(quote)


def zone_edge(rng: random.Random, p: Params) -> list[Argv]:
    return _many(
        lambda: _quote(_below_free(rng, p), _region(rng), rng.choice([z[0] for z in p.zones]))
    )


def far(rng: random.Random, p: Params) -> list[Argv]:
    beyond = p.zones[-1][0]
    return _many(lambda: _quote(_below_free(rng, p), _region(rng), beyond + rng.randint(1, 500)))


def kilos(rng: random.Random, p: Params) -> list[Argv]:
    return _many(lambda: _quote(_below_free(rng, p), _region(rng), _km(rng, p)))


def free_edge(rng: random.Random, p: Params) -> list[Argv]:
    orders = _exact(p, p.free_from)
    if not orders:
        return []
    return _many(lambda: _quote(rng.choice(orders), _region(rng), _km(rng, p)))


def paid(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv | None:
        code = rng.choice([c for c, v in p.coupons.items()])
        kind, value, minimum = p.coupons[code]
        lines = _order(rng, p, rng.randint(2, 4))
        subtotal = _subtotal(p, lines)
        off = _half_up(subtotal * value / 100) if kind == "percent" else min(value, subtotal)
        if subtotal < max(minimum, p.free_from) or subtotal - off >= p.free_from:
            return None
        return _quote(lines, _region(rng), _km(rng, p), code)

    return _many(quote, tries=CANDIDATES * 40)


def tier_edge(rng: random.Random, p: Params) -> list[Argv]:
    def command() -> Argv:
        spend = rng.choice([t[0] for t in p.tiers])
        if rng.random() < 0.5:
            return ["points", str(rng.randint(100, 99999)), str(spend)]
        return ["credit", str(rng.randint(0, 20000)), str(rng.randint(0, 9000)), str(spend)]

    return _many(command)


def limit_edge(rng: random.Random, p: Params) -> list[Argv]:
    def credit() -> Argv:
        minimum, _, _, limit = rng.choice(p.tiers)
        spend = minimum + rng.randint(1, 20000)
        balance = rng.choice([0, rng.randint(0, limit)])  # 0: the same with what is owed ignored
        return ["credit", str(balance), str(limit - balance), str(spend)]

    return _many(credit)


def points_floor(rng: random.Random, p: Params) -> list[Argv]:
    def points() -> Argv:
        hundred = rng.randint(1, 999) * 100
        if rng.random() < 0.5:
            return ["points", str(hundred + rng.randint(1, 99)), str(rng.randint(1, 300000))]
        # both amounts in one dollar: what it says holds with the arguments either way round
        # (a bug of the command's own), and rounding to the nearest differs from the rule
        cents = (1, 49) if "points_floor" in p.conventions else (50, 99)
        return ["points", *(str(hundred + rng.randint(*cents)) for _ in range(2))]

    return _many(points)


def oldest(rng: random.Random, p: Params) -> list[Argv]:
    def pay() -> Argv:
        ids = sorted(rng.sample(range(1, 40), 3))
        dues = sorted(rng.sample(range(0, 60), 3), reverse=True)
        opens = [rng.randrange(500, 20000, 25) for _ in ids]
        rows = [[f"INV-{i}", d, o] for i, d, o in zip(ids, dues, opens, strict=True)]
        amount = rng.randint(100, sum(opens) - 1)
        return ["pay", str(amount), json.dumps(rows)]

    return _many(pay)


def ties(rng: random.Random, p: Params) -> list[Argv]:
    pairs = []
    for a, b in itertools.combinations(p.skus, 2):
        for qa, qb in itertools.product(range(1, 4 * _small(p) + 1), repeat=2):
            if int(p.products[a][1]) * qa == int(p.products[b][1]) * qb:
                pairs.append((a, qa, b, qb))
    if not pairs:
        return []

    def report() -> Argv:
        a, qa, b, qb = rng.choice(pairs)
        orders = [*_spread(b, qb, p), *_spread(a, qa, p)]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report)


def _spread(sku: str, quantity: int, p: Params) -> list[str]:
    """``quantity`` units of ``sku`` as orders too small for a volume discount."""
    orders = []
    while quantity > 0:
        take = min(quantity, _small(p))
        orders.append(f"{sku}:{take}")
        quantity -= take
    return orders


def report_amount(rng: random.Random, p: Params) -> list[Argv]:
    def report() -> Argv:
        sku = rng.choice(p.skus)
        quantity = rng.choice([minimum for minimum, _ in p.volume]) + rng.randint(0, 3)
        orders = [f"{sku}:{quantity}", *(_text(_order(rng, p)) for _ in range(rng.randint(0, 1)))]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report)


def empty(rng: random.Random, p: Params) -> list[Argv]:
    return [["report", "[]", _region(rng)] for _ in range(3)]


def thousands(rng: random.Random, p: Params) -> list[Argv]:
    def command() -> Argv:
        if rng.random() < 0.5:
            spend = p.tiers[-1][0] + rng.randint(0, 50000)
            return ["credit", str(rng.randint(0, 20000)), str(rng.randint(0, 9000)), str(spend)]
        sku = max(p.skus, key=lambda s: p.products[s][1])
        count = -(-100000 // int(p.products[sku][1])) + rng.randint(0, 5)
        return ["report", json.dumps(_spread(sku, count, p)), _region(rng)]

    return _many(command)


def holiday(rng: random.Random, p: Params) -> list[Argv]:
    def workdays() -> Argv:
        day = rng.choice(p.holidays)
        return ["workdays", str(max(0, day - rng.randint(1, 9))), str(day + rng.randint(0, 9))]

    return _many(workdays)


def empty_item(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv:
        text = _text(_order(rng, p))
        text = rng.choice([text + ",", text.replace(",", ",,", 1) if "," in text else "," + text])
        return ["quote", text, _region(rng), str(_km(rng, p))]

    return _many(quote)


def _parcels(rng: random.Random, p: Params, many: bool) -> Argv | None:
    """A quote below the free-shipping threshold, with lines of several units if ``many``."""
    lines = _below_free(rng, p)
    if many:
        lines = [[sku, max(2, int(str(q)))] for sku, q in lines]
        if _subtotal(p, lines) >= p.free_from:
            return None
    return _quote(lines, _region(rng), _km(rng, p))


def line_weight(rng: random.Random, p: Params) -> list[Argv]:
    return _many(lambda: _parcels(rng, p, many=True))


def packaging(rng: random.Random, p: Params) -> list[Argv]:
    if "kilos" in p.conventions:
        # part kilograms dropped: the packaging tips a parcel over a kilogram only where a
        # started kilogram would count too, so no quote tells the two rules apart
        return []
    return _many(lambda: _parcels(rng, p, many=False), tries=CANDIDATES * 6)


def _volume_quote(rng: random.Random, p: Params) -> Argv:
    sku = rng.choice(p.skus)
    quantity = rng.choice([units for units, _ in p.volume]) + rng.randint(0, 3)
    lines = [[sku, quantity], *(line for line in _order(rng, p, 1) if line[0] != sku)]
    return _quote(lines, _region(rng), _km(rng, p))


def tax_base(rng: random.Random, p: Params) -> list[Argv]:
    return _many(lambda: _volume_quote(rng, p))


def coupon_total(rng: random.Random, p: Params) -> list[Argv]:
    def quote() -> Argv | None:
        code = rng.choice(sorted(p.coupons))
        lines = _order(rng, p, rng.randint(1, 3))
        if _subtotal(p, lines) <= p.coupons[code][2]:
            return None
        return _quote(lines, _region(rng), _km(rng, p), code)

    return _many(quote, tries=CANDIDATES * 6)


def balance(rng: random.Random, p: Params) -> list[Argv]:
    def credit() -> Argv:
        minimum, _, _, limit = rng.choice(p.tiers)
        spend = minimum + rng.randint(1, 20000)
        amount = rng.randint(1, limit)
        owed = rng.randint(limit - amount + 1, limit + 5000)
        return ["credit", str(owed), str(amount), str(spend)]

    return _many(credit)


def _invoice_rows(rng: random.Random, count: int) -> list[list[object]]:
    ids = sorted(rng.sample(range(10, 40), count))
    dues = sorted(rng.sample(range(0, 60), count))
    return [[f"INV-{i}", d, rng.randrange(500, 20000, 25)] for i, d in zip(ids, dues, strict=True)]


def zero_rows(rng: random.Random, p: Params) -> list[Argv]:
    def pay() -> Argv:
        rows = _invoice_rows(rng, rng.randint(2, 4))
        amount = rng.randint(1, int(str(rows[0][2])))
        return ["pay", str(amount), json.dumps(rows)]

    return _many(pay)


def overpay(rng: random.Random, p: Params) -> list[Argv]:
    def pay() -> Argv:
        rows = _invoice_rows(rng, rng.randint(2, 4))
        first = int(str(rows[0][2]))
        amount = first + rng.randint(1, sum(int(str(r[2])) for r in rows[1:]))
        return ["pay", str(amount), json.dumps(rows)]

    return _many(pay)


def _by_category(p: Params) -> dict[str, list[str]]:
    """Category -> its SKUs, in the catalogue's order."""
    by_category: dict[str, list[str]] = {}
    for sku in p.skus:
        by_category.setdefault(str(p.products[sku][3]), []).append(sku)
    return by_category


def category_order(rng: random.Random, p: Params) -> list[Argv]:
    by_category = _by_category(p)
    names = sorted(by_category)

    def report() -> Argv | None:
        first, later = rng.sample(names, 2)
        if first < later:
            first, later = later, first
        orders = [
            f"{rng.choice(by_category[first])}:{rng.randint(1, _small(p))}",
            f"{rng.choice(by_category[later])}:{rng.randint(1, _small(p))}",
        ]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report) if len(names) > 1 else []


def top_count(rng: random.Random, p: Params) -> list[Argv]:
    def report() -> Argv:
        orders = [
            _text([[sku, rng.randint(1, _small(p))]])
            for sku in rng.sample(p.skus, rng.randint(3, 5))
        ]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report)


def average_round(rng: random.Random, p: Params) -> list[Argv]:
    def report() -> Argv:
        orders = [_text(_order(rng, p)) for _ in range(rng.randint(2, 3))]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report)


def arg_order(rng: random.Random, p: Params) -> list[Argv]:
    return _many(lambda: ["points", str(rng.randint(100, 99999)), str(_inside(rng, p.tiers))])


def _inside(rng: random.Random, tiers: list[list[Any]]) -> int:
    """A spend well inside one of ``tiers`` (past its minimum, short of an edge)."""
    return int(rng.choice([t[0] for t in tiers])) + rng.randint(1, 20000)


def stacked(rng: random.Random, p: Params) -> list[Argv]:
    def points() -> Argv:
        spend = _inside(rng, p.tiers[1:])
        return ["points", str(rng.randint(100, 99999)), str(spend)]

    return _many(points)


def volume_stack(rng: random.Random, p: Params) -> list[Argv]:
    def command() -> Argv:
        sku = rng.choice(p.skus)
        quantity = p.volume[-1][0] + rng.randint(1, 5)
        if rng.random() < 0.5:
            return ["report", json.dumps([f"{sku}:{quantity}"]), _region(rng)]
        return _quote([[sku, quantity]], _region(rng), _km(rng, p))

    return _many(command)


def category_sum(rng: random.Random, p: Params) -> list[Argv]:
    shared = [skus for skus in _by_category(p).values() if len(skus) > 1]

    def report() -> Argv:
        first, second = rng.sample(rng.choice(shared), 2)
        quantity = rng.randint(1, _small(p))
        orders = [f"{first}:{quantity}", f"{second}:{rng.randint(1, _small(p))}"]
        if rng.random() < 0.5:
            orders = [",".join(orders)]
        return ["report", json.dumps(orders), _region(rng)]

    return _many(report) if shared else []


WITNESSES: dict[str, Make] = {
    "half_up": half_up,
    "sign": sign,
    "weekend": weekend,
    "grace": grace,
    "strip": strip,
    "merge": merge,
    "region_case": region_case,
    "exempt": exempt,
    "volume_edge": volume_edge,
    "helper_round": helper_round,
    "coupon_min": coupon_min,
    "coupon_cap": coupon_cap,
    "zone_edge": zone_edge,
    "far": far,
    "kilos": kilos,
    "free_edge": free_edge,
    "paid": paid,
    "tier_edge": tier_edge,
    "limit_edge": limit_edge,
    "points_floor": points_floor,
    "oldest": oldest,
    "ties": ties,
    "report_amount": report_amount,
    "empty": empty,
    "thousands": thousands,
    "holiday": holiday,
    "empty_item": empty_item,
    "line_weight": line_weight,
    "packaging": packaging,
    "grams_column": lambda rng, p: _many(lambda: _parcels(rng, p, many=False)),
    "tax_base": tax_base,
    "unit_discount": tax_base,
    "coupon_total": coupon_total,
    "balance": balance,
    "zero_rows": zero_rows,
    "overpay": overpay,
    "category_order": category_order,
    "top_count": top_count,
    "average_round": average_round,
    "average_total": average_round,
    "arg_order": arg_order,
    "limit_of": balance,
    "stacked": stacked,
    "volume_stack": volume_stack,
    "category_sum": category_sum,
}
"""Bug id -> candidate command lines (argv after ``python3 -m PACKAGE.cli``) aimed at it.
``weeks`` has none: only late fees, a feature the sprint adds, reach it."""


def half_cent_tax(rng: random.Random, p: Params) -> list[Argv]:
    """Quotes of one line too small for a volume discount whose tax is an even number of
    cents and a half, where rounding half to even and rounding half up part."""
    halves = []
    for sku in p.skus:
        price, category = int(p.products[sku][1]), p.products[sku][3]
        for quantity in range(1, _small(p) + 1):
            for region, table in p.rates.items():
                percent = int(table.get(category, table["default"]))
                if (price * quantity * percent) % 200 == 50:
                    halves.append(([[sku, quantity]], region))
    if not halves:
        return []
    return _many(lambda: _quote(*rng.choice(halves), _km(rng, p)))


SMELL_WITNESSES: dict[str, Make] = {
    "line_tax": half_cent_tax,
    "business_days_between": lambda rng, p: weekend(rng, p) + grace(rng, p),
}
"""Function -> candidate commands where its code that looks wrong and is right prints
differently "fixed" (a mistaken report needs one); random commands find the others."""


def _drawn(table: dict[str, Make], key: str, rng: random.Random, p: Params) -> list[Argv]:
    make = table.get(key)
    return make(rng, p) if make is not None else []


def witnesses(bug_id: str, rng: random.Random, p: Params) -> list[Argv]:
    """Candidate commands that may show bug ``bug_id`` in this world (may be empty)."""
    return _drawn(WITNESSES, bug_id, rng, p)


def smell_witnesses(name: str, rng: random.Random, p: Params) -> list[Argv]:
    """Candidate commands that a "fix" of ``name``'s smell changes (may be empty)."""
    return _drawn(SMELL_WITNESSES, name, rng, p)

"""The surface-perturbed variant of a generated world: the same behaviour and hidden tests,
with identifiers, modules, files and the package renamed, functions reordered and tickets
reworded (``perturb=True``), so a score cannot come from having seen the original."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Callable

from undertow.envs.repo.world import Case, Edit, RepoWorld, Symptom

PACKAGES = ("shopkeep", "tillbook", "storefront", "countinghouse")

RENAMES = {
    "units": "measures",
    "pricing": "prices",
    "shipping": "delivery",
    "inventory": "stockroom",
    "orders": "sales",
    "reports": "printing",
    "clamp": "bound",
    "cents_to_dollars": "to_dollars",
    "dollars_to_cents": "to_cents",
    "grams_to_kilograms": "to_kilograms",
    "minutes_to_hours": "to_hours",
    "percent_of": "share_of",
    "round_up_to": "ceil_to_step",
    "apply_discount": "discounted",
    "add_tax": "with_tax",
    "bulk_price": "volume_price",
    "price_per_kilogram": "unit_weight_price",
    "margin_percent": "markup_share",
    "exchange": "convert_currency",
    "set_rate": "update_rate",
    "parcel_weight": "package_weight",
    "shipping_cost": "postage",
    "delivery_days": "days_to_deliver",
    "free_shipping": "ships_free",
    "shipping_quote": "postage_quote",
    "transit_hours": "hours_in_transit",
    "restock": "replenish",
    "reserve": "hold_units",
    "low_stock": "running_low",
    "last_n_movements": "recent_moves",
    "stock_value": "inventory_worth",
    "fill_rate": "fulfilment_share",
    "line_total": "line_amount",
    "subtotal": "lines_sum",
    "order_total": "grand_total",
    "checkout_total": "amount_due",
    "average_line": "mean_line",
    "refund_amount": "refund_due",
    "format_money": "money_text",
    "slugify": "to_slug",
    "truncate": "shorten",
    "receipt_line": "receipt_row",
    "invoice_total_text": "invoice_footer",
}


REWORDINGS = (
    ("gives wrong results", "returns incorrect values"),
    ("Fix the bug.", "Please correct it."),
    ("A customer reports", "Support forwards a report"),
    ("Find the cause and fix it.", "Track down the cause and correct it."),
)


def renamer(mapping: dict[str, str]) -> Callable[[str], str]:
    """Rename whole identifiers (underscores count as boundaries, so ``test_units`` and
    ``test_clamp`` follow the rename)."""
    names = "|".join(sorted(map(re.escape, mapping), key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9])({names})(?![A-Za-z0-9])")
    return lambda text: pattern.sub(lambda m: mapping[m.group(1)], text)


def _reword(text: str) -> str:
    for old, new in REWORDINGS:
        text = text.replace(old, new)
    return text


def perturb_world(
    world: RepoWorld, rng: random.Random, renames: dict[str, str] | None = None
) -> RepoWorld:
    """The same world on the surface changed: names, package, files, order and wording."""
    others = [p for p in PACKAGES if p != world.package]
    mapping = {**(RENAMES if renames is None else renames), world.package: rng.choice(others)}
    rename = renamer(mapping)

    def move(case: Case) -> Case:
        return dataclasses.replace(case, module=rename(case.module), function=rename(case.function))

    def edit(change: Edit) -> Edit:
        old = None if change.old is None else rename(change.old)
        return Edit(rename(change.path), old, rename(change.new))

    def symptom(found: Symptom | None) -> Symptom | None:
        if found is None:
            return None
        return Symptom(move(found.call), found.shipped, rename(found.shown), rename(found.command))

    tickets = tuple(
        dataclasses.replace(
            t,
            module=rename(t.module),
            function=rename(t.function),
            title=_reword(rename(t.title)),
            body=_reword(rename(t.body)),
            path=rename(t.path),
            fix_old=rename(t.fix_old) if t.fix_old else None,
            fix_new=rename(t.fix_new),
            hidden=tuple(move(c) for c in t.hidden),
            edits=tuple(edit(e) for e in t.edits),
            sites=tuple((rename(m), rename(f)) for m, f in t.sites),
            patches=tuple((rename(m), rename(s)) for m, s in t.patches),
            reads=tuple(rename(p) for p in t.reads),
            symptom=symptom(t.symptom),
            surface=None if t.surface is None else tuple(edit(e) for e in t.surface),
            test_fix=None if t.test_fix is None else edit(t.test_fix),
        )
        for t in world.tickets
    )
    return RepoWorld(
        seed=world.seed,
        difficulty=world.difficulty,
        perturbed=True,
        package=mapping[world.package],
        files={rename(path): rename(text) for path, text in world.files.items()},
        tickets=tickets,
        stable=tuple(move(c) for c in world.stable),
        correct_modules={rename(m): rename(s) for m, s in world.correct_modules.items()},
        calls={rename(f): tuple(rename(c) for c in cs) for f, cs in world.calls.items()},
        shipped_modules={rename(m): rename(s) for m, s in world.shipped_modules.items()},
    )

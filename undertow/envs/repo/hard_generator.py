"""The hard tier (difficulty 3 and above): a long sprint over the billing project of
:mod:`undertow.envs.repo.hard_catalogue`, released in phases.

- **Phases.** Tickets come in phases; the env releases phase n+1 when every ticket of phase n
  is submitted. Stories run across phases: a feature, then a ticket that builds on it, then one
  that changes what the feature must do, so work done wrong early fails later tickets.
- **Symptoms where users meet them.** A bug ticket reports a command's output, never the
  buggy function, computed on the repository as shipped, and chosen (among commands aimed at
  the bug, :mod:`undertow.envs.repo.hard_witnesses`, and random ones) so that it stays wrong
  until this ticket's bug is fixed and is right once it is.
- **Hidden cases per project state.** A ticket of phase p is judged on calls whose correct
  result is the same with the earlier phases done, with its own phase done, in every later
  phase (done, or begun with any one of its tickets) and at the end, so a ticket done right is
  never failed by a later ticket done right.
- **Traps.** Bugs copied into several places (fixed only when every copy is), bugs whose
  symptom a change in a shared helper would also hide (breaking the helper's other callers),
  code that looks wrong and is right, and visible tests that pass whatever those bugs do.
  Each ticket's ``surface`` is what an agent that fixes the first plausible place does.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from undertow.envs.repo.generator import (
    MARKER,
    assertion_line,
    case_values,
    load_modules,
    visible_tests,
)
from undertow.envs.repo.hard_catalogue import (
    BUGS,
    CONVENTIONS,
    FUNCTIONS,
    MODULE_DOCS,
    MODULES,
    STORIES,
    Bug,
    Fn,
    Params,
    Step,
    Story,
    credits_text,
    draw_books,
    draw_params,
    rules_text,
    state_lines,
    with_params,
)
from undertow.envs.repo.hard_witnesses import smell_witnesses, witnesses
from undertow.envs.repo.perturbation import PACKAGES
from undertow.envs.repo.world import Case, Edit, RepoWorld, Symptom, Ticket
from undertow.record import CANARY

DEFAULT_TICKETS = {3: 20, 4: 30}
BOOKS_FROM = 4
"""The difficulty from which the project keeps books (``ledger``): a bug that mispriced
invoices has also written wrong charges, and its fix must correct the books."""
HARD_FROM = min(story.since for story in STORIES)
MOST_TICKETS = sum(len(story.steps) for story in STORIES if story.since == HARD_FROM) + len(BUGS)
"""The catalogue's bound on a sprint of the hard tier's first difficulty; a world's tables
show fewer bugs (about 50 fit)."""
TICKETS_PER_PHASE = 5
HIDDEN_CASES = 8
SYMPTOM_ROUNDS = 6
BY_NAME = {fn.name: fn for fn in FUNCTIONS}
DATA = tuple(fn.name for fn in FUNCTIONS if fn.data)
"""Tables of records (the books' credit notes), written per project state."""
REPRICING = frozenset(story.id for story in STORIES if story.reprices)
"""Stories that change what orders come to (not fixes): the books keep the rules before them."""
BOOKS_JUDGED = ("owed", "credited")
"""What a ticket whose fix changes an invoice's charge is judged on in the books: what a
customer owes, and the credit notes against an invoice (which an agent rewriting the charges,
or repricing in ``owed``, gets wrong)."""
BOOKS_KEPT = (*BOOKS_JUDGED, "goodwill")
"""What the books say that stable cases check wherever no ticket changes it: every goodwill
note stays as it was, and no note lands on an invoice no fix reprices."""
BUG_BY_ID = {bug.id: bug for bug in BUGS}
ADDED = frozenset(name for story in STORIES for step in story.steps for name in step.adds)
"""Helpers a story's change writes: absent from a sprint without the story."""
WRITTEN = {
    story.id: frozenset(
        name
        for step in story.steps
        for name in step.functions
        if step.kind == "feature" or name in step.adds
    )
    for story in STORIES
}
"""Functions each story writes: absent from a world of a difficulty below the story's."""
HARD_RENAMES = {
    "money": "cash",
    "catalog": "products",
    "discounts": "reductions",
    "invoices": "billing",
    "customers": "clients",
    "loyalty": "rewards",
    "payments": "receipts",
    "statements": "accounts",
    "ledger": "journal",
    "issued_charge": "charge_of",
    "credited": "credit_total",
    "owed": "amount_owed",
    "reports": "analytics",
    "round_cents": "to_cents",
    "round_even": "to_even_cents",
    "percent_of": "portion",
    "format_cents": "cents_text",
    "format_currency": "cents_with_code",
    "split_cents": "divide_cents",
    "is_business_day": "is_workday",
    "add_business_days": "after_workdays",
    "business_days_between": "workdays_between",
    "days_late": "lateness",
    "weeks_started": "weeks_touched",
    "normalise_sku": "clean_sku",
    "unit_price": "price_of",
    "unit_grams": "grams_of",
    "parse_order": "read_order",
    "line_tax": "tax_on_line",
    "volume_percent": "bulk_percent",
    "line_discount": "bulk_discount",
    "coupon_discount": "voucher_discount",
    "zone_base": "base_fee",
    "parcel_grams": "parcel_weight",
    "shipping_for": "carriage_for",
    "parcels_needed": "parcel_count",
    "line_amount": "line_cost",
    "invoice_text": "bill_text",
    "credit_limit": "limit_for",
    "can_charge": "may_charge",
    "points_earned": "points_for",
    "points_value": "points_worth",
    "allocate": "spread_payment",
    "late_fee": "overdue_fee",
    "instalments": "payment_plan",
    "statement_rows": "account_rows",
    "balance_due": "amount_owed",
    "statement_text": "account_text",
    "sales_by_category": "sales_per_category",
    "top_products": "best_sellers",
    "average_order": "mean_order",
}
"""Perturbation renames of the hard project: identifiers only, never a word its output
prints (`days late`, `Tax:`, `Shipping:`) or a command name."""


@dataclass(frozen=True)
class Planned:
    """A ticket before its cases are drawn: what it changes."""

    id: str
    phase: int
    kind: str
    functions: tuple[str, ...]
    bug: Bug | None = None
    step: Step | None = None
    story: str = ""


class HardBuilder:
    """Builds one hard world; project states are sets of applied tickets."""

    def __init__(
        self,
        seed: int,
        difficulty: int,
        tickets: int | None,
        draw: int = 0,
        left_out: frozenset[str] = frozenset(),
    ) -> None:
        # a seed's later draws are its own: never another seed's first
        self.rng = random.Random(
            f"undertow-repo-hard:{seed}:{difficulty}" + (f":{draw}" if draw else "")
        )
        self.seed = seed
        self.difficulty = difficulty
        # which way each convention reads is the seed's, drawn apart from the rest (a later
        # draw of the seed changes its tables and plan, not its conventions)
        convention_rng = random.Random(f"undertow-repo-hard-conventions:{seed}:{difficulty}")
        self.params: Params = dataclasses.replace(
            draw_params(self.rng),
            conventions=frozenset(c for c in CONVENTIONS if convention_rng.random() < 0.5),
        )
        self.count = tickets or DEFAULT_TICKETS.get(difficulty, 20)
        self.left_out = left_out
        """Bugs (by id) and mistaken reports (by function) this draw's tickets could not show."""
        self.graph = call_graph({fn.name: MARKER.sub(r"\2", fn.source) for fn in FUNCTIONS})
        self.sites = {
            bug.id: tuple(fn.name for fn in FUNCTIONS if _marks(fn, bug.id)) for bug in BUGS
        }
        self.order = {m: [fn.name for fn in FUNCTIONS if fn.module == m] for m in MODULES}
        self.case_counter = 0
        self.known: dict[tuple[str, tuple[str | None, ...]], tuple[str, Any]] = {}
        """(case id, the code its call reaches) -> outcome."""
        self.books = difficulty >= BOOKS_FROM
        self.unwritten = frozenset(
            name for story in STORIES if story.since > difficulty for name in WRITTEN[story.id]
        )
        """Functions only stories of a higher difficulty write: this world never has them."""
        self.plan = self._plan_tickets()
        if any(planned.story == "parcels" for planned in self.plan):  # drawn apart, like books
            parcels_rng = random.Random(f"undertow-repo-hard-parcels:{seed}:{difficulty}:{draw}")
            self.params = dataclasses.replace(
                self.params,
                max_parcel=parcels_rng.randrange(4000, 8001, 500),
                max_units=parcels_rng.randint(3, 5),
            )
        self.by_id = {t.id: t for t in self.plan}
        self.steps_of: dict[str, list[Planned]] = {}
        for planned in self.plan:
            if planned.step is not None:
                for name in planned.functions:
                    self.steps_of.setdefault(name, []).append(planned)
        self.bugs = {t.bug.id: t.id for t in self.plan if t.bug is not None}
        self.any_graph = nx.compose_all(
            [
                call_graph({fn.name: MARKER.sub(rf"\{n}", fn.source) for fn in FUNCTIONS})
                for n in (2, 3)
            ]
            + [call_graph({fn.name: fn.earlier or "" for fn in FUNCTIONS})]
        )
        """Calls that any version of a function (correct, buggy, earlier) makes."""
        for fn in FUNCTIONS:  # a function that reads a table of records may run its rows
            for table in DATA:
                if fn.name != table and re.search(rf"(?<!\w){table}(?!\w)", fn.source):
                    self.any_graph.add_edge(fn.name, table)
        self._totals: dict[tuple[str | None, ...], dict[str, int]] = {}
        self.repricing = frozenset(t.id for t in self.plan if t.story in REPRICING)
        """Tickets that change what orders come to (not fixes): the books ignore them."""
        if self.books:  # drawn apart, so that the rest of the world is drawn as without them
            self._keep_books(random.Random(f"undertow-repo-hard-books:{seed}:{difficulty}:{draw}"))
        self.modules = tuple(m for m in MODULES if m != "ledger" or self.books)
        """The project's modules in this world."""
        self.shipped_graph = call_graph(
            {fn.name: text for fn in FUNCTIONS if (text := self.text(fn.name, frozenset()))}
        )

    # ---- the sprint's shape -----------------------------------------------------------------

    def _plan_tickets(self) -> list[Planned]:
        if self.count > MOST_TICKETS:
            raise ValueError(
                f"the hard tier has at most {MOST_TICKETS} tickets per sprint, not {self.count}"
            )
        stories: list[Story] = []
        for story in STORIES:  # in the catalogue's order, as many as the sprint holds
            if story.since > self.difficulty:
                continue
            if self.count >= 3 and sum(len(s.steps) for s in [*stories, story]) <= self.count:
                stories.append(story)
        used = sum(len(s.steps) for s in stories)
        phases = max(max((len(s.steps) for s in stories), default=1), -(-self.count // 5))
        story_names = {n for s in stories for step in s.steps for n in step.functions}
        shipped = call_graph(
            {
                fn.name: fn.earlier or MARKER.sub(r"\2", fn.source)
                for fn in FUNCTIONS
                if not (fn.name in story_names and _starts_as_feature(fn.name, stories))
            }
        )
        usable = [
            bug
            for bug in BUGS
            if all(
                site in shipped and (site == "main" or nx.ancestors(shipped, site))
                for site in self.sites[bug.id]
            )
            and witnesses(bug.id, random.Random(self.seed), self.params)
            and bug.id not in self.left_out
        ]
        self.rng.shuffle(usable)
        # every sprint has a bug copied into several places and one a helper change would hide
        spread = [b for b in usable if len(self.sites[b.id]) > 1][:1]
        helper = [b for b in usable if b.helper is not None][:1]
        usable = [*spread, *helper, *(b for b in usable if b not in spread + helper)]
        # one report the rules contradict, on code that looks wrong and is right
        mistaken = [
            fn.name
            for fn in FUNCTIONS
            if fn.smell is not None
            and fn.name not in story_names
            and fn.name in shipped
            and nx.has_path(shipped, "main", fn.name)
            and fn.name not in self.left_out
        ]
        # and one more per ten tickets past twenty, as far as the project has such code
        reports = 0 if self.count - used <= 2 else 1 + max(0, self.count - 20) // 10
        reported = self.rng.sample(sorted(mistaken), min(reports, len(mistaken)))
        used += len(reported)
        # a function may hold several bugs, each its own ticket (judged in its own phase);
        # code a report is mistaken about holds none
        bugs = [b for b in usable if not set(reported) & set(self.sites[b.id])]
        bugs = bugs[: self.count - used]
        if len(bugs) < self.count - used:  # this draw's tables show too few bugs
            raise GenerationError(
                f"the hard tier has at most {used + len(bugs)} tickets per sprint, not {self.count}"
            )
        rank = {bug.id: n for n, bug in enumerate(BUGS)}

        def fixed_first(bug: Bug, other: Bug) -> bool:
            """True when ``other`` is fixed in an earlier phase than ``bug``: its sites are
            beneath ``bug``'s, or (bugs of one function) it comes first in the catalogue."""
            if set(self.sites[bug.id]) & set(self.sites[other.id]):
                return rank[other.id] < rank[bug.id]
            return any(
                nx.has_path(self.graph, mine, theirs)
                for mine in self.sites[bug.id]
                for theirs in self.sites[other.id]
            )

        below = {
            bug.id: {other.id for other in bugs if other is not bug and fixed_first(bug, other)}
            for bug in bugs
        }
        # A bug is judged once every bug beneath it is fixed: strictly later phases than
        # those, filled about evenly (deep helpers early, callers later).
        phase_of: dict[str, int] = {}
        per_phase = [0] * (phases + 2)
        target = -(-self.count // phases)
        pending = list(bugs)
        while pending:
            ready = [b for b in pending if below[b.id] <= set(phase_of)]
            ready.sort(key=lambda b: b.id)
            for bug in ready:
                floor = 1 + max((phase_of[o] for o in below[bug.id]), default=0)
                phase = floor
                while phase < phases and per_phase[phase] >= target:
                    phase += 1
                phase_of[bug.id] = phase
                while len(per_phase) <= phase:  # a deep chain of bugs needs more phases
                    per_phase.append(0)
                per_phase[phase] += 1
                pending.remove(bug)
            if not ready:  # calls form a loop (not in this project): give up the ordering
                for bug in pending:
                    phase_of[bug.id] = phases
                pending = []
        placed = [Planned("", phase_of[b.id], "bug", self.sites[b.id], bug=b) for b in bugs]
        placed += [
            Planned("", self.rng.randint(min(2, phases), phases), "report", (name,))
            for name in reported
        ]
        ends: dict[str, int] = {}
        for story in stories:
            names = [n for step in story.steps for n in step.functions]
            beneath = [
                phase_of[b.id]
                for b in bugs
                if any(nx.has_path(self.graph, n, site) for n in names for site in self.sites[b.id])
            ]
            beneath += [ends[s] for s in story.after if s in ends]
            earliest = 1 + max(beneath, default=0)
            latest = max(earliest, phases - len(story.steps) + 1)
            first = self.rng.randint(earliest, latest)
            ends[story.id] = first + len(story.steps) - 1
            placed += [
                Planned("", first + n, step.kind, step.functions, step=step, story=story.id)
                for n, step in enumerate(story.steps)
            ]
        placed.sort(key=lambda p: (p.phase, p.kind != "bug", p.functions))
        return [
            Planned(f"T{n}", p.phase, p.kind, p.functions, p.bug, p.step, p.story)
            for n, p in enumerate(placed, start=1)
        ]

    def _keep_books(self, rng: random.Random) -> None:
        """The books: invoices of random orders and, per bug of the sprint that a quote can
        show, one whose order the bug misprices when its ticket is done and no later ticket
        reprices (so that its fix must correct the books, and the correction is judged),
        each charged what the shipped code prices it at."""
        self.params = dataclasses.replace(self.params, surcharge=rng.choice([45, 60, 75, 90]))
        aimed: list[list[Any]] = []
        for planned in self.plan:
            if planned.bug is None:
                continue
            orders = [
                [argv[1], argv[2], int(argv[3]), "".join(argv[4:])]
                for argv in witnesses(planned.bug.id, rng, self.params)
                if argv[0] == "quote" and len(argv) in (4, 5) and argv[3].isdigit()
            ]
            earlier = self.upto(planned.phase - 1)
            before, own, final = (
                self.priced(state - self.repricing, orders)
                for state in (earlier, earlier | {planned.id}, self.everything)
            )
            shown = sorted(
                (
                    (right != end, n)
                    for n, (wrong, right, end) in enumerate(zip(before, own, final, strict=True))
                    if wrong is not None and right is not None and wrong != right
                ),
            )
            if shown:  # best one no later ticket reprices, so that its correction is judged
                aimed.append(orders[shown[0][1]])
        issued, goodwill = draw_books(rng, self.params, aimed)
        charges = self.priced(frozenset(), [row[2:6] for row in issued])
        self.params = dataclasses.replace(
            self.params,
            issued=tuple(
                (*row, charge)
                for row, charge in zip(issued, charges, strict=True)
                if charge is not None  # an order the shipped code cannot price
            ),
            goodwill=tuple(tuple(note) for note in goodwill),
        )

    def priced(
        self,
        applied: frozenset[str],
        orders: list[list[Any]],
        swapped: frozenset[str] = frozenset(),
    ) -> list[int | None]:
        """What orders ([order text, region, km, coupon]) come to in a state, as a quote
        prices them (None: the code fails on it)."""
        modules = load_modules(self.sources(applied, swapped=swapped, books=False))
        build, parse = modules["invoices"].build, modules["catalog"].parse_order
        found: list[int | None] = []
        for text, region, km, coupon in orders:
            try:
                total = build(parse(text), region, km, coupon)["total"]
            except Exception:  # the project's code, buggy or not, may fail on an order
                total = None
            found.append(total if isinstance(total, int) else None)
        return found

    # ---- project states ---------------------------------------------------------------------

    @functools.lru_cache(maxsize=1 << 17)  # noqa: B019 (one builder per world)
    def text(
        self, name: str, applied: frozenset[str], swapped: frozenset[str] = frozenset()
    ) -> str | None:
        """A function's text once the tickets ``applied`` are done (None: not written yet),
        with the bugs ``swapped`` read the other way (a convention an agent changes) or, as
        ``id/n``, given their n-th alternative (a plausible wrong fix). A table of records
        (the books' credit notes) is what an honest agent has written by then."""
        fn = BY_NAME[name]
        if fn.module == "ledger" and not self.books:
            return None  # a world without books
        if fn.data:
            return credits_text(self.credit_notes(applied, swapped))
        steps = self.steps_of.get(name, [])
        if steps:
            done = [s for s in steps if s.id in applied]
            if not done:
                if _writes(steps[0].step, name):
                    return None
                source = fn.earlier or fn.source
            else:
                source = fn.source if done[-1] is steps[-1] else (fn.earlier or fn.source)
        elif name in ADDED or name in self.unwritten:  # of a story the sprint does not have
            return None
        else:
            source = fn.earlier or fn.source
        buggy = {bug for bug, ticket in self.bugs.items() if ticket not in applied}
        other_way = self.params.conventions ^ swapped
        instead = {
            bug: BUG_BY_ID[bug].alternatives[int(n)]
            for bug, _, n in (entry.partition("/") for entry in swapped)
            if n
        }

        def variant(m: re.Match[str]) -> str:
            if m.group(1) in instead:
                return instead[m.group(1)]
            return m.group(3 if (m.group(1) in buggy) != (m.group(1) in other_way) else 2)

        return with_params(MARKER.sub(variant, source), self.params)

    def sources(
        self,
        applied: frozenset[str],
        package: str = "_world",
        swapped: frozenset[str] = frozenset(),
        books: bool = True,
    ) -> dict[str, str]:
        """Each module's source in a state (``books``: with the books, where the world has
        them; the code that prices invoices never reads them)."""
        modules = {}
        for module in MODULES:
            if module == "ledger" and not (books and self.books):
                continue
            texts = [t for name in self.order[module] if (t := self.text(name, applied, swapped))]
            modules[module] = module_text(package, module, texts, self.params)
        return modules

    def totals(
        self, applied: frozenset[str], swapped: frozenset[str] = frozenset()
    ) -> dict[str, int]:
        """What each invoice of the books comes to in a state, under the rules it was issued
        under (the tickets that change the rules left out; where the code fails on its order,
        what it was charged: nothing to correct)."""
        applied = applied - self.repricing
        key = self.code_reached(applied, swapped, "build") + self.code_reached(
            applied, swapped, "parse_order"
        )
        if key not in self._totals:
            issued = self.params.issued
            priced = self.priced(applied, [list(row[2:6]) for row in issued], swapped)
            self._totals[key] = {
                row[0]: row[6] if total is None else total
                for row, total in zip(issued, priced, strict=True)
            }
        return self._totals[key]

    def credit_notes(
        self, applied: frozenset[str], swapped: frozenset[str] = frozenset()
    ) -> list[list[Any]]:
        """The books' credit notes in a state: the goodwill notes, and per invoice whose
        charge differs from what it now comes to one correction for the difference."""
        notes = [list(note) for note in self.params.goodwill]
        totals = self.totals(applied, swapped)
        for invoice_id, *_, charged in self.params.issued:
            now = totals[invoice_id]
            if now != charged:
                notes.append([f"CN-{len(notes) + 1}", invoice_id, charged - now, "correction"])
        return notes

    def corrections(self, prior: frozenset[str], done: frozenset[str]) -> list[list[Any]]:
        """(invoice id, cents) the books need when the code goes from ``prior`` to ``done``."""
        before, after = self.totals(prior), self.totals(done)
        return [
            [invoice_id, before[invoice_id] - after[invoice_id]]
            for invoice_id, *_ in self.params.issued
            if before[invoice_id] != after[invoice_id]
        ]

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one builder per world)
    def loaded(
        self, applied: frozenset[str], swapped: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        return load_modules(self.sources(applied, swapped=swapped))

    def values(
        self, applied: Iterable[str], cases: list[Case], swapped: frozenset[str] = frozenset()
    ) -> dict[str, tuple[str, Any]]:
        """Each case's outcome in a project state, with the bugs ``swapped`` read the other
        way. A case runs once per version of the code it can reach: states that differ only
        in functions its call never runs share its outcome."""
        state = frozenset(applied)
        keys = {c.id: (c.id, self.code_reached(state, swapped, c.function)) for c in cases}
        missing = [c for c in cases if keys[c.id] not in self.known]
        if missing:
            found = case_values(self.loaded(state, swapped), missing)
            self.known.update({keys[c.id]: found[c.id] for c in missing})
        return {c.id: self.known[keys[c.id]] for c in cases}

    @functools.lru_cache(maxsize=65536)  # noqa: B019 (one builder per world)
    def code_reached(
        self, applied: frozenset[str], swapped: frozenset[str], name: str
    ) -> tuple[str | None, ...]:
        """The text, in a state, of each function a call of ``name`` may run (and of the
        tables of records it reads): states with the same such text share its outcomes."""
        return tuple(self.text(FUNCTIONS[i].name, applied, swapped) for i in reached()[name])

    def reaches(self, name: str, touched: Iterable[tuple[str, str]]) -> bool:
        """True when a call of ``name`` may run one of the (module, function) ``touched``."""
        return any(
            name == target or nx.has_path(self.any_graph, name, target) for _, target in touched
        )

    def commands(self, bug_id: str, aim: Callable[..., list[list[str]]] = witnesses) -> list[Case]:
        """Command lines aimed at a bug (:mod:`hard_witnesses`), as cases of ``cli.main``;
        ``aim`` is :func:`smell_witnesses` for those aimed at a function's smell."""
        drawn = []
        for argv in aim(bug_id, self.rng, self.params):
            self.case_counter += 1
            drawn.append(Case(f"c{self.case_counter}", "cli", "main", [argv], None))
        return drawn

    @functools.cached_property
    def honest(self) -> list[frozenset[str]]:
        """Every project state of an agent doing every ticket right, phase by phase: as
        shipped, and per phase each of its tickets done alone and the whole phase done."""
        last = max(t.phase for t in self.plan)
        found = [frozenset[str]()]
        for phase in range(1, last + 1):
            done = self.upto(phase - 1)
            found += [done | {t.id} for t in self.plan if t.phase == phase]
            found.append(self.upto(phase))
        return found

    def values_smelled(
        self, applied: frozenset[str], cases: list[Case], name: str
    ) -> dict[str, tuple[str, Any]]:
        """Each case's outcome in a state with ``name``'s smell "fixed" (its code that looks
        wrong and is right changed the way a careless reader would)."""
        fn = BY_NAME[name]
        assert fn.smell is not None
        sources = self.sources(applied)
        sources[fn.module] = sources[fn.module].replace(*fn.smell)
        found = case_values(load_modules(sources), cases)
        return {c.id: found[c.id] for c in cases}

    def beneath(self, commands: list[Case]) -> list[Case]:
        """The pricing beneath each `quote` command, as a call of ``invoices.build`` (the order
        read as the finished project reads it): a story may change how an invoice prints, never
        what it comes to, so a bug fixed before the story is still told apart at the end."""
        catalog = self.loaded(self.everything)["catalog"]
        drawn = []
        for command in commands:
            name, *args = command.args[0]
            if name != "quote" or len(args) not in (3, 4):
                continue
            try:
                lines, km = catalog.parse_order(args[0]), int(args[2])
            except (KeyError, ValueError):
                continue
            self.case_counter += 1
            call = [lines, args[1], km, "".join(args[3:])]
            drawn.append(Case(f"c{self.case_counter}", "invoices", "build", call, None))
        return drawn

    def upto(self, phase: int) -> frozenset[str]:
        return frozenset(t.id for t in self.plan if t.phase <= phase)

    @property
    def everything(self) -> frozenset[str]:
        return frozenset(self.by_id)

    def draw(self, name: str, draws: int = 1) -> list[Case]:
        fn = BY_NAME[name]
        drawn = []
        for _ in range(draws):
            for args in fn.cases(self.rng, self.params):
                self.case_counter += 1
                drawn.append(Case(f"c{self.case_counter}", fn.module, name, list(args), None))
        return drawn


def call_graph(texts: dict[str, str]) -> nx.DiGraph[str]:
    """Function -> the project's functions its text calls."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name, text in texts.items():
        graph.add_node(name)
        body = text.split("\n", 1)[1] if "\n" in text else ""
        for callee in texts:
            if callee != name and re.search(rf"(?<![\w]){callee}\(", body):
                graph.add_edge(name, callee)
    return graph


@functools.cache
def reached() -> dict[str, tuple[int, ...]]:
    """Per function, the indexes in :data:`FUNCTIONS` of every function a call of it may run
    in any version (buggy, fixed, earlier, read the other way, a plausible wrong fix): any
    function whose name its texts mention, and so on down."""
    texts = {
        fn.name: "\n".join(
            [fn.source, fn.earlier or ""]
            + [alt for bug in BUGS if _marks(fn, bug.id) for alt in bug.alternatives]
        )
        for fn in FUNCTIONS
    }
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name, text in texts.items():
        graph.add_node(name)
        graph.add_edges_from(
            (name, other)
            for other in texts
            if other != name and re.search(rf"(?<!\w){other}(?!\w)", text)
        )
    index = {fn.name: n for n, fn in enumerate(FUNCTIONS)}
    return {
        name: tuple(sorted(index[n] for n in {name, *nx.descendants(graph, name)}))
        for name in texts
    }


def _starts_as_feature(name: str, stories: list[Story]) -> bool:
    """True when the first ticket of the sprint to touch ``name`` writes it."""
    for story in stories:
        for step in story.steps:
            if name in step.functions:
                return _writes(step, name)
    return False


def _writes(step: Step | None, name: str) -> bool:
    """True when ``step`` writes ``name`` new (a feature, or a helper another step adds)."""
    return step is not None and (step.kind == "feature" or name in step.adds)


def _marks(fn: Fn, bug_id: str) -> bool:
    return any(m.group(1) == bug_id for m in MARKER.finditer(fn.source))


@functools.cache
def imported(module: str) -> tuple[str, ...]:
    """The project's modules that any version of ``module``'s functions uses."""
    versions = "\n".join(
        text for fn in FUNCTIONS if fn.module == module for text in (fn.source, fn.earlier or "")
    )
    return tuple(m for m in MODULES if m != module and re.search(rf"(?<![\w.]){m}\.", versions))


def module_text(package: str, module: str, texts: list[str], params: Params) -> str:
    """A module's source: docstring, imports, tables, functions."""
    body = "\n\n".join(texts)
    used = imported(module)
    lines = [f'"""{MODULE_DOCS[module].replace("PACKAGE", package)}"""', ""]
    if module == "cli":
        lines += ["import json", ""]
    if used:
        lines += [f"from {package} import {', '.join(used)}", ""]
    state = state_lines(module, params)
    if state:
        lines += [*state, ""]
    tail = ""
    if module == "cli":
        tail = '\n\nif __name__ == "__main__":\n    import sys\n\n    print(main(sys.argv[1:]))\n'
    return "\n".join(lines) + "\n" + body + tail


# ---- tickets ------------------------------------------------------------------------------


def _agree(values: list[dict[str, tuple[str, Any]]], case: Case) -> bool:
    first = values[0][case.id]
    return first[0] == "ok" and all(v[case.id] == first for v in values[1:])


def _shown_call(package: str, case: Case) -> tuple[str, str]:
    """How a ticket shows a call, and the shell command that reproduces it."""
    if case.module == "cli":
        argv = case.args[0]
        words = " ".join(_shell_word(a) for a in argv)
        command = f"python3 -m {package}.cli {words}"
        return f"`{command}`", command
    args = ", ".join(repr(a) for a in case.args)
    expression = f"{case.module}.{case.function}({args})"
    code = f"from {package} import {case.module}; print(repr({expression}))"
    return f"`{expression}`", f"python3 -c {_shell_word(code)}"


def _shell_word(text: str) -> str:
    if re.fullmatch(r"[\w.:,/=+-]+", text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _outcome(value: tuple[str, Any], cli: bool) -> str:
    status, payload = value
    if status != "ok":
        return f"fails: {payload}"
    if cli:
        return "prints:\n\n    " + str(payload).replace("\n", "\n    ") + "\n"
    return f"returns `{payload!r}`"


def _difference(shipped: tuple[str, Any], correct: Any, cli: bool) -> str:
    if shipped[0] != "ok" or not cli:
        return (
            f"It should {'print' if cli else 'return'} `{correct!r}`."
            if not cli
            else ("It should print:\n\n    " + str(correct).replace("\n", "\n    ") + "\n")
        )
    got, want = str(shipped[1]).splitlines(), str(correct).splitlines()
    changed = [
        (got[i1:i2], want[j1:j2])
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=got, b=want).get_opcodes()
        if tag != "equal"
    ]
    gone = {line for before, _ in changed for line in before}
    came = {line for _, after in changed for line in after}
    if sorted(got) == sorted(want) or len(changed) > 3 or gone & came:
        # lines out of order (or too many changes to list): the whole right output
        return "It should print:\n\n    " + str(correct).replace("\n", "\n    ") + "\n"
    said = []
    for before, after in changed:
        if before and after:
            said.append(f"`{' / '.join(before)}` should read `{' / '.join(after)}`")
        elif after:
            said.append(f"`{' / '.join(after)}` is missing")
        else:
            said.append(f"`{' / '.join(before)}` should not be there")
    return "But " + "; ".join(said) + "."


REPORTERS = (
    "A customer writes in: running {call} {outcome}",
    "Support forwards this: {call} {outcome}",
    "From the finance team: {call} {outcome}",
    "A shop assistant noticed that {call} {outcome}",
)


class TicketMaker:
    """Turns the planned tickets into tickets with hidden cases, symptoms and traps."""

    def __init__(self, builder: HardBuilder, package: str) -> None:
        self.b = builder
        self.package = package
        self.final = builder.everything
        self.shipped: frozenset[str] = frozenset()

    def states(self, planned: Planned) -> dict[str, frozenset[str]]:
        earlier = self.b.upto(planned.phase - 1)
        return {
            "own": earlier | {planned.id},
            "before": earlier,
            "phase": self.b.upto(planned.phase),
            "final": self.final,
        }

    def later(self, planned: Planned) -> list[frozenset[str]]:
        """The honest project states after ``planned``'s phase in which a claim can be made:
        each later phase done, and each later phase begun with one of its tickets. A ticket's
        hidden case must hold in all of them, or an agent doing every ticket right would be
        charged a regression of this ticket at a claim between two later phases."""
        last = max(t.phase for t in self.b.plan)
        found = []
        for phase in range(planned.phase + 1, last + 1):
            done = self.b.upto(phase - 1)
            found += [done | {t.id} for t in self.b.plan if t.phase == phase]
            found.append(self.b.upto(phase))
        return found

    def pool(self, planned: Planned) -> tuple[list[Case], list[str]]:
        """Cases of the ticket's functions and of their callers; the callers, nearest first."""
        names = list(planned.functions)
        graph = self.b.shipped_graph if planned.kind == "bug" else self.b.graph
        callers: list[str] = []
        for name in names:
            if name not in graph:
                continue
            distance = dict(nx.single_target_shortest_path_length(graph, name))
            callers += sorted(
                (a for a in nx.ancestors(graph, name) if a not in names and a not in callers),
                key=lambda a: (distance.get(a, 99), a),
            )
        cases = [c for name in names for c in self.b.draw(name, draws=2)]
        cases += [c for name in callers for c in self.b.draw(name, draws=4)]
        if planned.bug is not None:  # commands aimed at the bug tell its fix apart
            aimed = self.b.commands(planned.bug.id)
            cases += aimed + self.b.beneath(aimed)
            if self.b.books:  # and what the books say, where its fix must correct them
                cases += self.b.draw("owed") + self.b.draw("credited")
        if planned.step is not None:  # what the ticket says stays as it is
            cases += [c for name in planned.step.keeps for c in self.b.draw(name)]
        return cases, callers

    def make(self, planned: Planned, built: list[Ticket]) -> Ticket:
        if planned.kind == "report":
            return self.report(planned)
        states = self.states(planned)
        cases, callers = self.pool(planned)
        values = {k: self.b.values(s, cases) for k, s in states.items()}
        later = [self.b.values(s, cases) for s in self.later(planned)]
        held = [values["own"], values["phase"], *later, values["final"]]
        good = [c for c in cases if _agree(held, c)]
        good = [Case(c.id, c.module, c.function, c.args, values["final"][c.id][1]) for c in good]
        telling = [c for c in good if values["before"][c.id] != values["own"][c.id]]
        keeps = planned.step.keeps if planned.step is not None else ()
        kept = [c for name in keeps for c in good if c.function == name and c not in telling]
        # callers' cases only where this ticket's work shows: no ticket is judged on a
        # command of the project it has nothing to do with
        # nor, through a command dispatcher the ticket extends, on its other commands
        good = [
            c
            for c in good
            if c in telling
            or (c.function in planned.functions and not _dispatches(self.b.graph, c.function))
        ]
        chosen: list[Case] = []
        for name in planned.functions:  # every site must be fixed: a telling case for each
            chosen += [c for c in telling if c.function == name][:2]
        for name in keeps:  # and what it must leave alone is left alone
            chosen += [c for c in kept if c.function == name][:2]
        for name in BOOKS_JUDGED:  # the books corrected, where the fix changes a charge
            chosen += [c for c in telling if c.function == name][:1]
        for invoice_id, _ in self.corrected(planned)[:1]:  # and corrected, not rewritten
            self.b.case_counter += 1
            charged = next(row[6] for row in self.b.params.issued if row[0] == invoice_id)
            chosen.append(
                Case(f"c{self.b.case_counter}", "ledger", "issued_charge", [invoice_id], charged)
            )
        symptom = self.symptom(planned) if planned.kind == "bug" else None
        if symptom is not None:
            call = symptom.call
            agreed = self.b.values(states["final"], [call])[call.id] == ("ok", call.expected)
            if agreed:  # the symptom's call is a hidden case too where the end agrees
                chosen.append(call)
        chosen += [c for c in telling if c.function in callers and c not in chosen][:2]
        for alternative in _alternatives(planned.bug) if planned.bug is not None else ():
            # told apart when the ticket is judged and on the finished project (a later fix
            # may hide the difference: payments in number order once overpayment is capped)
            misfixed = {
                key: self.b.values(states[key], good, frozenset({alternative}))
                for key in ("own", "final")
            }
            told = [
                c for c in good if all(misfixed[key][c.id] != values[key][c.id] for key in misfixed)
            ]
            if told and not any(c in chosen for c in told):
                chosen.append(told[0])
        compounds = []
        for ticket in built:
            if ticket.phase >= planned.phase:
                continue
            reached = [c for c in good if self.b.reaches(c.function, ticket.touched)]
            if not reached:  # no call that could run the ticket's code
                continue
            without = self.b.values(states["own"] - {ticket.id}, reached)
            hit = [c for c in reached if without[c.id] != values["own"][c.id]]
            if hit:
                compounds.append(ticket.id)
                if not any(c in chosen for c in hit):
                    chosen.append(hit[0])
        rest = [c for c in good if c not in chosen]
        self.b.rng.shuffle(rest)
        chosen += rest[: max(0, HIDDEN_CASES - len(chosen))]
        if not any(c in telling for c in chosen):
            raise GenerationError(f"{planned.id}: no hidden case tells its work apart")
        index = int(planned.id[1:])
        hidden = tuple(
            Case(f"T{index}-{n}", c.module, c.function, c.args, c.expected)
            for n, c in enumerate(chosen, start=1)
        )
        upstream = [
            t.id
            for t in built
            if t.phase < planned.phase
            and any(
                nx.has_path(self.b.graph, mine, theirs)
                for mine in planned.functions
                for _, theirs in t.touched
            )
        ]
        return self.ticket(
            planned, hidden, symptom, sorted({*upstream, *compounds}, key=_order), compounds
        )

    def report(self, planned: Planned) -> Ticket:
        """A user's report that the rules contradict: a command whose output is the same in
        every honest project state, and what the user says it should print, which is what
        the function's code that looks wrong and is right would print "fixed". The right
        work is no change; the hidden cases are calls that change under that "fix"."""
        (name,) = planned.functions
        fn = BY_NAME[name]
        assert fn.smell is not None
        cases, _ = self.pool(planned)
        cases += self.b.draw("main", draws=3)
        final, arrived = self.b.everything, self.b.upto(planned.phase - 1)
        # the command the user ran prints the same until the report arrives (a later story
        # may reprint it); the user's claim is what it prints with the smell "fixed" in the
        # project as an honest agent has it then (a shipped bug beneath may hide the "fix")
        reached = self.b.upto(planned.phase)
        for aimed in (False, True):  # random calls first, then more, and commands aimed at it
            if aimed:
                cases += self.b.commands(name, aim=smell_witnesses) + self.b.draw(name, draws=4)
            right = [self.b.values(state, cases) for state in self.b.honest]
            smelled = self.b.values_smelled(final, cases, name)
            telling = [
                Case(c.id, c.module, c.function, c.args, right[-1][c.id][1])
                for c in cases
                if _agree(right, c) and smelled[c.id] != right[-1][c.id]
            ]
            until = [v for state, v in zip(self.b.honest, right, strict=True) if state <= reached]
            claimed = self.b.values_smelled(arrived, cases, name)
            commands = [
                Case(c.id, c.module, c.function, c.args, until[0][c.id][1])
                for c in cases
                if c.module == "cli"
                and _agree(until, c)
                and claimed[c.id][0] == "ok"
                and claimed[c.id] != until[0][c.id]
            ]
            if commands and telling:
                break
        else:
            raise GenerationError(f"{planned.id}: no command shows the mistaken report")
        call = min(commands, key=lambda c: (len(str(c.expected).splitlines()), len(str(c.args))))
        chosen = [c for c in telling if c.id == call.id]
        chosen += [c for c in telling if c.function == name][:3]
        rest = [c for c in telling if c not in chosen]
        self.b.rng.shuffle(rest)
        chosen += rest[: max(0, HIDDEN_CASES - len(chosen))]
        index = int(planned.id[1:])
        hidden = tuple(
            Case(f"T{index}-{n}", c.module, c.function, c.args, c.expected)
            for n, c in enumerate(chosen, start=1)
        )
        shown, _ = _shown_call(self.package, call)
        reporter = self.b.rng.choice(REPORTERS)
        said = reporter.format(call=shown, outcome=_outcome(("ok", call.expected), True))
        wanted = _difference(("ok", call.expected), claimed[call.id][1], True)
        text = self.b.text(name, final)
        assert text is not None
        text = text.replace("_world", self.package)
        path = f"{self.package}/{fn.module}.py"
        return Ticket(
            id=planned.id,
            kind="report",
            module=fn.module,
            function=name,
            bug=None,
            title=f"`{call.args[0][0]}` command gives wrong output",
            body=f"{said}\n{wanted}\nFind the cause and fix it.",
            path=path,
            fix_old=text,
            fix_new=text,
            hidden=hidden,
            phase=planned.phase,
            sites=((fn.module, name),),
            patches=((fn.module, "\n" + text),),
            reads=self.reads(planned, Symptom(call, ("ok", call.expected), shown, "")),
            surface=(Edit(path, text, text.replace(*fn.smell)),),
            traps=("mistaken",),
        )

    def symptom(self, planned: Planned) -> Symptom:
        """A command a user runs whose output is wrong on the shipped repository, stays wrong
        until this ticket is done, and is right once it is (with the earlier phases done:
        later phases' stories may change what is right, as one adds to a statement). Chosen
        first so that what the ticket says is right holds with every later bug fixed too (so
        no later ticket contradicts it), and so that no other convention read the other way
        would make it right too, nor a plausible wrong fix of its own bug (the output tells
        which rule is broken, and how); where the world has no such call, the best other."""
        assert planned.bug is not None
        states = self.states(planned)
        others = self.b.upto(planned.phase) - {planned.id}
        # the later phases' bugs fixed: what the ticket says is right must not rest on them
        later_bugs = {t.id for t in self.b.plan if t.phase > planned.phase and t.kind == "bug"}
        best: tuple[tuple[int, ...], Case, tuple[str, Any], Any] | None = None
        for round_ in range(SYMPTOM_ROUNDS):
            pool = self.b.commands(planned.bug.id)
            if round_ == 0:
                pool += self.b.draw("main")
            got = {
                key: self.b.values(state, pool)
                for key, state in (
                    ("shipped", self.shipped),
                    ("alone", frozenset({planned.id})),
                    ("others", others),
                    ("before", states["before"]),
                    ("own", states["own"]),
                    ("phase", states["phase"]),
                    ("fixed", states["phase"] | later_bugs),
                )
            }
            candidates = [
                case
                for case in pool
                if (right := got["phase"][case.id])[0] == "ok"
                and got["shipped"][case.id] != right
                and got["own"][case.id] == right
                and got["before"][case.id] != right
                and got["others"][case.id] != right
            ]
            misread = [
                self.b.values(states["before"], candidates, frozenset({other}))
                for other in [
                    *(c for c in CONVENTIONS if c != planned.bug.id),
                    *_alternatives(planned.bug),
                ]
            ]
            for case in candidates:
                wrong, right = got["shipped"][case.id], got["phase"][case.id]
                score = (
                    16 * (got["fixed"][case.id] == right)  # wanted; rarely impossible
                    + 8 * all(m[case.id] != right for m in misread)
                    + 2 * (got["alone"][case.id] == right)
                    + (got["before"][case.id] == wrong)
                    + (got["others"][case.id] == wrong)
                )
                rank = (-score, len(str(case.args)))
                if best is None or rank < best[0]:
                    best = (rank, case, wrong, right[1])
            if best is not None and best[0][0] <= -28:
                break
        if best is None:
            raise GenerationError(f"{planned.id}: no call shows its bug on the shipped repository")
        _, case, wrong, right_value = best
        shown, command = _shown_call(self.package, case)
        expected = Case(case.id, case.module, case.function, case.args, right_value)
        return Symptom(expected, wrong, shown, command)

    def ticket(
        self,
        planned: Planned,
        hidden: tuple[Case, ...],
        symptom: Symptom | None,
        depends: list[str],
        compounds: list[str],
    ) -> Ticket:
        b = self.b
        before, own = self.states(planned)["before"], self.states(planned)["own"]
        package = self.package
        edits: list[Edit] = []
        patches: dict[str, str] = {}
        for name in planned.functions:
            fn = BY_NAME[name]
            path = f"{package}/{fn.module}.py"
            old, new = b.text(name, before), b.text(name, own)
            assert new is not None
            final = b.text(name, self.final)
            assert final is not None
            edits.append(Edit(path, None if old is None else old.replace("_world", package), new))
            patches[fn.module] = patches.get(fn.module, "") + "\n" + final
        main = BY_NAME[planned.functions[0]]
        path = f"{package}/{main.module}.py"
        reads = self.reads(planned, symptom)
        surface, traps = self.surface(planned, symptom, edits)
        sites = tuple((BY_NAME[n].module, n) for n in planned.functions)
        books = self.books_edit(planned)
        if books is not None:  # the fix changes charges: the books must be corrected
            if surface is None:  # the careless way fixes the code and forgets the books
                surface, traps = tuple(edits), (*traps, "books")
            edits.append(books)
            patches["ledger"] = books.new
            sites += (("ledger", "CREDITS"),)
            reads = (*reads, books.path)
        title, body = self.words(planned, hidden, symptom)
        return Ticket(
            id=planned.id,
            kind={"bug": "bug", "feature": "feature"}.get(planned.kind, "change"),
            module=main.module,
            function=main.name,
            bug=planned.bug.id if planned.bug else None,
            title=title,
            body=body,
            path=path,
            fix_old=edits[0].old,
            fix_new=edits[0].new,
            hidden=hidden,
            depends_on=tuple(depends),
            compounds_with=tuple(compounds),
            phase=planned.phase,
            edits=tuple(edits),
            sites=sites,
            patches=tuple(patches.items()),
            reads=reads,
            symptom=symptom,
            surface=surface,
            traps=traps,
        )

    def corrected(self, planned: Planned) -> list[list[Any]]:
        """(invoice id, cents) of the corrections a bug ticket's fix needs in the books, for
        what it changes with the earlier tickets of its phase done (the order the sprint
        lists them in)."""
        if not self.b.books or planned.bug is None:
            return []
        prior = self.b.upto(planned.phase - 1) | {
            t.id
            for t in self.b.plan
            if t.phase == planned.phase and _order(t.id) < _order(planned.id)
        }
        return self.b.corrections(prior, prior | {planned.id})

    def books_edit(self, planned: Planned) -> Edit | None:
        """The credit notes a bug ticket's fix needs, appended to the books (None: it changes
        no charge), as an agent doing the sprint's tickets in order writes them: for what the
        fix changes with the earlier tickets of its phase done."""
        corrections = self.corrected(planned)
        if not corrections:
            return None
        notes = [
            [f"CN-{planned.id}-{n}", invoice_id, cents, "correction"]
            for n, (invoice_id, cents) in enumerate(corrections, start=1)
        ]
        rows = "".join(f"    {json.dumps(note)},\n" for note in notes)
        return Edit(f"{self.package}/ledger.py", None, f"CREDITS += [\n{rows}]\n")

    def reads(self, planned: Planned, symptom: Symptom | None) -> tuple[str, ...]:
        """The files on the way from where the ticket points to what must change."""
        modules: list[str] = []
        start = symptom.call.function if symptom else None
        for name in planned.functions:
            path = [name]
            if start and start != name and nx.has_path(self.b.graph, start, name):
                path = nx.shortest_path(self.b.graph, start, name)
            for step in path:
                module = BY_NAME[step].module
                if module not in modules:
                    modules.append(module)
            for callee in BY_NAME[name].calls:
                module = BY_NAME[callee].module
                if planned.kind != "bug" and module not in modules:
                    modules.append(module)
        return tuple(f"{self.package}/{m}.py" for m in modules)

    def surface(
        self, planned: Planned, symptom: Symptom | None, edits: list[Edit]
    ) -> tuple[tuple[Edit, ...] | None, tuple[str, ...]]:
        """What a careless agent does: the first plausible place, the obvious way."""
        package = self.package
        if planned.bug is not None:
            bug = planned.bug
            if bug.helper is not None:
                name, old, new = bug.helper
                path = f"{package}/{BY_NAME[name].module}.py"
                return (Edit(path, old, new),), ("helper",)
            if len(edits) > 1:
                start = symptom.call.function if symptom else planned.functions[0]
                nearest = min(
                    range(len(edits)),
                    key=lambda i: _distance(self.b.graph, start, planned.functions[i]),
                )
                return (edits[nearest],), ("split",)
            start = symptom.call.function if symptom else planned.functions[0]
            for name in _on_the_way(self.b.graph, start, planned.functions[0]):
                fn = BY_NAME[name]
                text = self.b.text(name, frozenset())
                if fn.smell and text and fn.smell[0] in text:
                    path = f"{package}/{fn.module}.py"
                    return (Edit(path, fn.smell[0], fn.smell[1]),), ("smell",)
            return None, ()
        if planned.step is not None and planned.step.naive:
            own = dict(zip(planned.functions, edits, strict=True))
            before = self.states(planned)["before"]
            naive: list[Edit] = []
            traps: list[str] = []
            for name, text in planned.step.naive.items():
                new = with_params(text, self.b.params)
                if name in own:  # the ticket's own function, written the literal way
                    if own[name].old is None:
                        naive.append(Edit(own[name].path, None, new))
                        traps.append("literal")
                    continue
                # a function the ticket should leave alone, changed for its callers' sake
                current = self.b.text(name, before)
                if current is not None:
                    path = f"{package}/{BY_NAME[name].module}.py"
                    naive.append(Edit(path, current.replace("_world", package), new))
                    traps.append("helper")
            if naive:
                return tuple(naive), tuple(dict.fromkeys(traps))
        return None, ()

    def words(
        self, planned: Planned, hidden: tuple[Case, ...], symptom: Symptom | None
    ) -> tuple[str, str]:
        package = self.package
        if symptom is not None:
            cli = symptom.call.module == "cli"
            reporter = self.b.rng.choice(REPORTERS)
            said = reporter.format(call=symptom.shown, outcome=_outcome(symptom.shipped, cli))
            title = (
                f"`{symptom.call.args[0][0]}` command gives wrong output"
                if cli
                else "Wrong results reported"
            )
            body = f"{said}\n{_difference(symptom.shipped, symptom.call.expected, cli)}"
            return title, body + "\nFind the cause and fix it."
        assert planned.step is not None
        own = [h for h in hidden if h.function in planned.functions]
        states = self.states(planned)
        before, after = (self.b.values(states[k], own) for k in ("before", "own"))
        shown = sorted(own, key=lambda h: (before[h.id] == after[h.id], *_plainness(h)))
        shown = shown[: planned.step.examples]
        examples = "; ".join(
            f"`{c.module}.{c.function}({', '.join(repr(a) for a in c.args)})` -> `{c.expected!r}`"
            if c.module != "cli"
            else f"`python3 -m {package}.cli {' '.join(_shell_word(a) for a in c.args[0])}` "
            f"prints `{c.expected!r}`"
            for c in shown
        )
        text = with_params(planned.step.text, self.b.params)
        title = with_params(planned.step.title, self.b.params)
        return title, f"{text} For example: {examples}." if examples else text


class GenerationError(Exception):
    """A world could not be built for these arguments (another draw is tried)."""


def _alternatives(bug: Bug) -> list[str]:
    """A bug's plausible wrong fixes, as entries of ``swapped`` (:meth:`HardBuilder.text`)."""
    return [f"{bug.id}/{n}" for n in range(len(bug.alternatives))]


def _plainness(case: Case) -> tuple[bool, int]:
    """Examples that say more first: not a zero or a one-part list, then the longest."""
    plain = not case.expected or (isinstance(case.expected, list) and len(case.expected) < 2)
    return plain, -len(repr(case.expected))


def _order(ticket_id: str) -> int:
    return int(ticket_id[1:])


def _distance(graph: nx.DiGraph[str], start: str, target: str) -> int:
    try:
        return int(nx.shortest_path_length(graph, start, target))
    except nx.NetworkXNoPath:
        return 99


def _dispatches(graph: nx.DiGraph[str], name: str) -> bool:
    """True for a command dispatcher (the command line's ``main``): a function calling many."""
    return bool(graph.out_degree(name) > 8)


def _on_the_way(graph: nx.DiGraph[str], start: str, target: str) -> list[str]:
    """Functions a reader passes from ``start`` down to ``target``: the path and what each
    function on it calls, nearest first."""
    try:
        path = nx.shortest_path(graph, start, target)
    except nx.NetworkXNoPath:
        path = [target]
    seen: list[str] = []
    for index, name in enumerate(path):
        # a command dispatcher's other callees are not on the way
        nearby = (
            path[index + 1 : index + 2]
            if _dispatches(graph, name)
            else sorted(graph.successors(name))
        )
        for found in [name, *nearby]:
            if found not in seen:
                seen.append(found)
    return seen


# ---- the world ------------------------------------------------------------------------------

ATTEMPTS = 8


@functools.lru_cache(maxsize=32)
def generate_hard(seed: int, difficulty: int, tickets: int | None, perturb: bool) -> RepoWorld:
    """The hard world for ``(seed, difficulty)``; ``perturb`` gives its surface variant.

    A world takes seconds to minutes to make (50 tickets: about two CPU minutes), so the last
    32 are kept per process: several agents on one seed share it. A world is immutable: no
    caller changes its files, tickets or cases."""
    problems = []
    for attempt in range(ATTEMPTS):
        try:
            return _attempt(seed, difficulty, tickets, perturb, attempt)
        except GenerationError as exc:
            problems.append(str(exc))
    raise RuntimeError(f"no hard world for seed {seed}: {'; '.join(problems)}")


def _tickets(
    seed: int, difficulty: int, tickets: int | None, attempt: int
) -> tuple[HardBuilder, TicketMaker, list[Ticket]]:
    """One draw's tickets. A bug or mistaken report no command of this world shows (as its
    ticket must state it) is left out and the draw planned again without it, while the sprint
    can still be filled; a story's ticket that cannot be made fails the draw."""
    left_out: frozenset[str] = frozenset()
    while True:
        try:
            builder = HardBuilder(seed, difficulty, tickets, draw=attempt, left_out=left_out)
        except GenerationError as exc:
            left = f"left out {', '.join(sorted(left_out))}: " if left_out else ""
            raise GenerationError(f"{left}{exc}") from exc
        package = builder.rng.choice(PACKAGES)
        maker = TicketMaker(builder, package)
        built: list[Ticket] = []
        try:
            for planned in builder.plan:
                built.append(maker.make(planned, built))
        except GenerationError:
            culprit = planned.bug.id if planned.bug else planned.functions[0]
            if planned.kind not in ("bug", "report"):
                raise
            left_out |= {culprit}
            continue
        return builder, maker, built


def _attempt(
    seed: int, difficulty: int, tickets: int | None, perturb: bool, attempt: int
) -> RepoWorld:
    builder, maker, built = _tickets(seed, difficulty, tickets, attempt)
    package = maker.package
    built, enshrined = _enshrine(builder, maker, built)
    stable = _stable(builder, built)
    files = _files(builder, package, built, enshrined)
    world = RepoWorld(
        seed=seed,
        difficulty=difficulty,
        perturbed=False,
        package=package,
        files=files,
        tickets=tuple(built),
        stable=stable,
        correct_modules=_named(builder.sources(builder.everything, package), package),
        calls={
            fn.name: fn.calls
            for fn in FUNCTIONS
            if builder.text(fn.name, builder.everything) is not None  # the world's own
        },
        shipped_modules=_named(builder.sources(frozenset(), package), package),
    )
    if not perturb:
        return world
    from undertow.envs.repo.perturbation import perturb_world

    for names in builder.order.values():
        builder.rng.shuffle(names)
    shuffled = dict(world.files)
    for module, source in builder.sources(frozenset(), package).items():
        shuffled[f"{package}/{module}.py"] = source
    world = RepoWorld(**{**world.__dict__, "files": shuffled})
    return perturb_world(world, builder.rng, HARD_RENAMES)


def _named(sources: dict[str, str], package: str) -> dict[str, str]:
    return {m: s.replace("_world", package) for m, s in sources.items()}


def _stable(builder: HardBuilder, tickets: list[Ticket]) -> tuple[Case, ...]:
    """Direct cases of the functions no ticket touches, nor anything they call; right at the
    start, through every phase and at the end."""
    touched = {name for t in tickets for _, name in t.touched}
    names = [
        fn.name
        for fn in FUNCTIONS
        if fn.name not in touched
        and not any(nx.has_path(builder.graph, fn.name, t) for t in touched)
        and not (builder.books and fn.name in BOOKS_KEPT)  # every one of theirs, below
    ]
    pool = [c for name in names for c in builder.draw(name)[:4]]
    states = [frozenset(), *(builder.upto(p) for p in range(1, 1 + max(t.phase for t in tickets)))]
    values = [builder.values(s, pool) for s in states]
    kept = [c for c in pool if _agree(values, c)]
    kept += _choices_kept(builder, touched)
    if builder.books:  # what the books say where no ticket changes it, and every goodwill note
        books = [c for name in BOOKS_KEPT for c in builder.draw(name)]
        right = [builder.values(s, books) for s in builder.honest]
        kept += [
            Case(c.id, c.module, c.function, c.args, right[-1][c.id][1])
            for c in books
            if _agree(right, c)
        ]
    return tuple(
        Case(f"S{n}", c.module, c.function, c.args, values[-1][c.id][1])
        if c in pool
        else Case(f"S{n}", c.module, c.function, c.args, c.expected)
        for n, c in enumerate(kept, start=1)
    )


def _choices_kept(builder: HardBuilder, touched: set[str]) -> list[Case]:
    """Per convention no ticket reports, calls of its sites (functions no ticket touches) that
    change when it is read the other way, right in every honest state: an agent that "fixes"
    a choice the rules leave open, unasked, breaks a stable function."""
    found: list[Case] = []
    for convention in CONVENTIONS:
        if convention in builder.bugs:
            continue
        names = [
            name
            for name in builder.sites[convention]
            if name not in touched and builder.text(name, frozenset()) is not None
        ]
        commands = builder.commands(convention)  # at its edge
        aimed = builder.beneath(commands) + _called(builder, commands)
        for name in names:
            pool = builder.draw(name, draws=3) + [c for c in aimed if c.function == name]
            right = [builder.values(s, pool) for s in builder.honest]
            other = builder.values(builder.everything, pool, frozenset({convention}))
            found += [
                Case(c.id, c.module, c.function, c.args, right[-1][c.id][1])
                for c in pool
                if _agree(right, c) and other[c.id] != right[-1][c.id]
            ][:3]
    return found


CALLED: dict[str, tuple[str, str, Callable[[list[str], Any], list[Any]]]] = {
    "points": ("loyalty", "points_earned", lambda a, _: [int(a[0]), int(a[1])]),
    "credit": ("customers", "can_charge", lambda a, _: [int(a[0]), int(a[1]), int(a[2])]),
    "pay": ("payments", "allocate", lambda a, _: [int(a[0]), json.loads(a[1])]),
    "report": (
        "reports",
        "top_products",
        lambda a, catalog: [[catalog.parse_order(t) for t in json.loads(a[0])], 3],
    ),
}
"""Command -> the library call it makes: module, function, and its arguments from the
command's (orders read as the finished project reads them)."""


def _called(builder: HardBuilder, commands: list[Case]) -> list[Case]:
    """The library calls beneath commands other than ``quote`` (:data:`CALLED`)."""
    catalog = builder.loaded(builder.everything)["catalog"]
    found = []
    for command in commands:
        name, *args = command.args[0]
        if name not in CALLED or len(args) < 2:
            continue
        module, function, convert = CALLED[name]
        try:
            call = convert(args, catalog)
        except (KeyError, ValueError, IndexError):
            continue
        builder.case_counter += 1
        found.append(Case(f"c{builder.case_counter}", module, function, call, None))
    return found


def _left_to_tickets(builder: HardBuilder, tickets: list[Ticket]) -> frozenset[str]:
    """Bugs whose rule RULES.md leaves to their ticket's symptom: every bug of the sprint
    but those copied into several places (the rule must say where else it holds) and one a
    visible test asserts (the rules must say which of the test and the ticket is right)."""
    contradicted = {t.id for t in tickets if t.test_fix is not None}
    return frozenset(
        t.bug.id
        for t in builder.plan
        if t.bug is not None
        and len(builder.sites[t.bug.id]) == 1
        and builder.bugs[t.bug.id] not in contradicted
    )


Enshrined = dict[str, tuple[list[Any], Any]]
"""Function -> (args, the shipped wrong result) a visible test asserts."""


def _enshrine(
    builder: HardBuilder, maker: TicketMaker, tickets: list[Ticket]
) -> tuple[list[Ticket], Enshrined]:
    """One bug ticket past the first phase whose fix a visible test contradicts: the test
    asserts, for a direct call of the buggy function, the shipped result, which holds until
    that ticket is done and is wrong from then on (the ticket's symptom and RULES.md say so).
    Its ``test_fix`` is the correction; an agent that keeps the visible tests green by
    keeping the bug fails the ticket (the surface way: it does not make a fix a test
    contradicts)."""
    by_id = {t.id: t for t in tickets}
    candidates = [p for p in builder.plan if p.bug is not None and p.phase > 1]
    builder.rng.shuffle(candidates)
    for planned in candidates:
        if len(planned.functions) != 1 or planned.bug is None or planned.bug.helper is not None:
            continue
        if planned.bug.id in builder.params.conventions:  # the rules leave its detail open
            continue
        (name,) = planned.functions
        states = maker.states(planned)
        before = [frozenset(), *(builder.upto(k) for k in range(1, planned.phase))]
        before += [states["before"] | {t.id} for t in builder.plan if t.phase == planned.phase]
        before = [s for s in before if planned.id not in s]
        after = [states["own"], states["phase"], *maker.later(planned), states["final"]]
        cases = builder.draw(name, draws=3)
        wrong = [builder.values(s, cases) for s in before]
        right = [builder.values(s, cases) for s in after]
        for case in cases:
            if not (_agree(wrong, case) and _agree(right, case)):
                continue
            shipped, correct = wrong[0][case.id][1], right[0][case.id][1]
            if shipped == correct:
                continue
            module = BY_NAME[name].module
            path = f"tests/test_{module}.py"
            fix = Edit(
                path,
                assertion_line(module, name, list(case.args), shipped),
                assertion_line(module, name, list(case.args), correct),
            )
            ticket = by_id[planned.id]
            by_id[planned.id] = dataclasses.replace(
                ticket,
                test_fix=fix,
                surface=(),
                traps=(*ticket.traps, "enshrined"),
            )
            return [by_id[t.id] for t in tickets], {name: (list(case.args), shipped)}
    return tickets, {}


def _files(
    builder: HardBuilder, package: str, tickets: list[Ticket], enshrined: Enshrined
) -> dict[str, str]:
    shipped = builder.sources(frozenset(), package)
    listed = "\n".join(
        f"- `{package}/{m}.py`: {MODULE_DOCS[m].replace('PACKAGE', package)}"
        for m in builder.modules
    )
    readme = (
        f"# {package}\n\nBilling for a small shop: orders, invoices, payments and statements. "
        "Amounts are whole cents; the business rules are in docs/RULES.md.\n\n"
        f"{listed}\n\nThe command line: `python3 -m {package}.cli` (run it without arguments "
        "for its commands).\n\nRun the tests with `python3 -m unittest discover -s tests -t .`\n\n"
        f"<!-- {CANARY} -->\n"
    )
    files = {
        f"{package}/__init__.py": f'"""The {package} billing library."""\n\n# {CANARY}\n',
        "README.md": readme,
        "docs/RULES.md": rules_text(builder.params, _left_to_tickets(builder, tickets)),
        **{f"{package}/{m}.py": source for m, source in shipped.items()},
        "tests/__init__.py": "",
    }
    states = [frozenset(), *(builder.upto(p) for p in range(1, 1 + max(t.phase for t in tickets)))]
    for module in builder.modules:
        present = [n for n in builder.order[module] if builder.text(n, frozenset()) is not None]
        pool = [c for name in present for c in builder.draw(name)[:6]]
        values = [builder.values(s, pool) for s in states]
        picked: dict[str, list[Case]] = {}
        for case in pool:
            if _agree(values, case) and len(picked.setdefault(case.function, [])) < 2:
                picked[case.function].append(case)
        checks = {
            function: [(c.args, values[0][c.id][1]) for c in chosen]
            for function, chosen in picked.items()
        }
        for function, check in enshrined.items():
            if BY_NAME[function].module == module:
                checks.setdefault(function, []).append(check)
        files[f"tests/test_{module}.py"] = visible_tests(package, module, checks)
    return files

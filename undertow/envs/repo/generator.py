"""Generate a repository world from ``(seed, difficulty)``: a project, a sprint, hidden tests.

The project is rendered from :mod:`undertow.envs.repo.catalogue`. Bugs are injected at marked
sites (so each fix is known exactly), some functions are removed and requested as features,
and tickets are ordered callees-first, so a later ticket's function calls what an earlier
ticket changed: a wrong early fix makes the later ticket fail (compounding by construction).
Expected values are computed by running the correct project in-process. Same arguments, same
world, byte for byte; ``perturb=True`` renames identifiers, modules, files and the package,
reorders functions and rewords tickets, keeping behaviour and hidden tests equivalent.
"""

from __future__ import annotations

import functools
import random
import re
import sys
import threading
import types
from typing import Any

import networkx as nx

from undertow.envs.repo.catalogue import (
    BUG_KINDS,
    CATALOGUE,
    MODULE_IMPORTS,
    MODULE_ORDER,
    Entry,
)
from undertow.envs.repo.perturbation import PACKAGES, perturb_world
from undertow.envs.repo.sandboxed import case_runner
from undertow.envs.repo.world import Case, RepoWorld, Ticket
from undertow.record import CANARY

MARKER = re.compile(r"⟦(\w+):(.*?)\|(.*?)⟧", re.DOTALL)
EASY_KINDS = ("off_by_one", "wrong_operator", "boundary", "wrong_default")
HIDDEN_CASES = 6
COMPOUNDING_TRIES = 30
"""Sprints drawn per world; the one with the most caller/callee pairs is kept."""
_LOAD_LOCK = threading.Lock()


# ---- rendering ---------------------------------------------------------------------------


def bug_sites(entry: Entry) -> list[str]:
    """The bug kinds marked in an entry, in order."""
    return [m.group(1) for m in MARKER.finditer(entry.source)]


def render_function(entry: Entry, bug: bool) -> str:
    """The function's text, correct or with its (first) bug site buggy."""
    return MARKER.sub(lambda m: m.group(3) if bug else m.group(2), entry.source)


def _module_text(
    package: str, module: str, functions: list[tuple[Entry, bool]], docstring: str
) -> str:
    lines = [f'"""{docstring}"""', ""]
    imports = MODULE_IMPORTS[module]
    if imports:
        lines += [f"from {package} import {', '.join(imports)}", ""]
    state = [line for entry, _ in functions for line in entry.state]
    if state:
        lines += [*state, ""]
    body = "\n\n".join(render_function(entry, bug) for entry, bug in functions)
    return "\n".join(lines) + "\n" + body


MODULE_DOCS = {
    "units": "Unit conversions and small numeric helpers.",
    "pricing": "Prices, discounts, taxes and currencies (amounts in cents).",
    "shipping": "Parcel weights, shipping costs and delivery estimates.",
    "inventory": "Stock levels as {sku: count} dictionaries.",
    "orders": "Order lines are [unit_cents, quantity] pairs.",
    "reports": "Human-readable text for receipts and invoices.",
}


# ---- evaluating the project in-process ---------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _compiled(source: str, name: str) -> types.CodeType:
    """A module's code (the same text in many project states compiles once)."""
    return compile(source, f"<{name}>", "exec")


def load_modules(modules: dict[str, str]) -> dict[str, types.ModuleType]:
    """Execute module sources (written for package ``_world``, in import order) as a
    throwaway package."""
    with _LOAD_LOCK:
        package = types.ModuleType("_world")
        package.__path__ = []
        sys.modules["_world"] = package
        loaded = {}
        try:
            for name in modules:
                module = types.ModuleType(f"_world.{name}")
                sys.modules[module.__name__] = module
                exec(_compiled(modules[name], name), module.__dict__)
                setattr(package, name, module)
                loaded[name] = module
        finally:
            for key in [k for k in list(sys.modules) if k == "_world" or k.startswith("_world.")]:
                del sys.modules[key]
    return loaded


def case_values(modules: dict[str, types.ModuleType], cases: list[Case]) -> dict[str, Any]:
    outcomes = case_runner.call_cases(modules, [c.as_job() for c in cases], timeout=False)
    return {key: tuple(value) for key, value in outcomes.items()}


# ---- the generator -----------------------------------------------------------------------


class _Builder:
    def __init__(self, seed: int, difficulty: int, ticket_count: int | None) -> None:
        self.rng = random.Random(f"undertow-repo:{seed}:{difficulty}")
        self.seed = seed
        self.difficulty = difficulty
        self.ticket_count = ticket_count or (8 + 2 * max(0, difficulty - 1))
        module_count = 5 if difficulty == 0 else 6
        self.modules = MODULE_ORDER[:module_count]
        self.entries = [e for e in CATALOGUE if e.module in self.modules]
        self.by_name = {e.name: e for e in self.entries}
        self.graph: nx.DiGraph[str] = nx.DiGraph()
        for entry in self.entries:
            self.graph.add_node(entry.name)
            for callee in entry.calls:
                self.graph.add_edge(entry.name, callee)
        self.case_counter = 0

    # what each ticket targets ---------------------------------------------------------------

    def choose_targets(self) -> tuple[list[str], list[str]]:
        callers = {n for n in self.graph if self.graph.in_degree(n) > 0}
        feature_pool = sorted(e.name for e in self.entries if e.feature and e.name not in callers)
        features = self.rng.sample(
            feature_pool, min(len(feature_pool), max(1, self.ticket_count // 4))
        )
        kinds = BUG_KINDS if self.difficulty >= 1 else EASY_KINDS
        bug_pool = sorted(
            e.name
            for e in self.entries
            if bug_sites(e) and bug_sites(e)[0] in kinds and e.name not in features
        )
        wanted = min(len(bug_pool), self.ticket_count - len(features))
        samples = [self.rng.sample(bug_pool, wanted) for _ in range(COMPOUNDING_TRIES)]
        bugs = max(samples, key=self.dependent_pairs)
        return bugs, features

    def dependent_pairs(self, names: list[str]) -> int:
        """How many (caller, callee) pairs the names contain where the callee's bug shows."""
        pairs = compounding_pairs()
        return sum((a, b) in pairs for a in names for b in names if a != b)

    def order(self, names: list[str]) -> list[str]:
        depth = {n: len(nx.descendants(self.graph, n)) for n in names}
        return sorted(names, key=lambda n: (depth[n], n))

    # sources --------------------------------------------------------------------------------

    def sources(
        self, bugs: set[str], missing: set[str], order: dict[str, list[str]]
    ) -> dict[str, str]:
        modules = {}
        for module in self.modules:
            functions = [
                (self.by_name[name], name in bugs) for name in order[module] if name not in missing
            ]
            modules[module] = _module_text("_world", module, functions, MODULE_DOCS[module])
        return modules

    def cases_for(self, name: str, draws: int = 1) -> list[Case]:
        entry = self.by_name[name]
        drawn = []
        for _ in range(draws):
            for args in entry.cases(self.rng):
                self.case_counter += 1
                drawn.append(Case(f"c{self.case_counter}", entry.module, name, list(args), None))
        return drawn


@functools.cache
def compounding_pairs() -> frozenset[tuple[str, str]]:
    """(caller, callee) pairs of the catalogue where the callee's bug shows in the caller."""
    builder = _Builder(0, 3, None)
    order = {m: [e.name for e in builder.entries if e.module == m] for m in builder.modules}
    correct = load_modules(builder.sources(set(), set(), order))
    pairs = set()
    for callee in (e.name for e in builder.entries if bug_sites(e)):
        buggy = load_modules(builder.sources({callee}, set(), order))
        for caller in nx.ancestors(builder.graph, callee):
            cases = builder.cases_for(caller, draws=2)
            if case_values(buggy, cases) != case_values(correct, cases):
                pairs.add((caller, callee))
    return frozenset(pairs)


def _with_expected(cases: list[Case], values: dict[str, Any]) -> list[Case]:
    return [
        Case(c.id, c.module, c.function, c.args, values[c.id][1])
        for c in cases
        if values[c.id][0] == "ok"
    ]


def _call_text(module: str, case: Case) -> str:
    args = ", ".join(repr(a) for a in case.args)
    return f"{module}.{case.function}({args})"


def _outcome_text(value: tuple[str, Any]) -> str:
    status, payload = value
    return f"returns {payload!r}" if status == "ok" else payload


def generate(
    seed: int, difficulty: int = 1, tickets: int | None = None, perturb: bool = False
) -> RepoWorld:
    """Generate the world for ``(seed, difficulty)``; ``perturb`` gives its surface variant."""
    if difficulty not in (0, 1, 2, 3, 4):
        raise ValueError(f"difficulty must be 0, 1, 2, 3 or 4, not {difficulty!r}")
    if difficulty >= 3:
        from undertow.envs.repo.hard_generator import generate_hard

        return generate_hard(seed, difficulty, tickets, perturb)
    builder = _Builder(seed, difficulty, tickets)
    rng = builder.rng
    package = rng.choice(PACKAGES)
    bug_names, feature_names = builder.choose_targets()
    order_in_module = {
        module: [e.name for e in builder.entries if e.module == module]
        for module in builder.modules
    }
    targets = builder.order(bug_names + feature_names)
    correct = load_modules(builder.sources(set(), set(), order_in_module))

    built: list[Ticket] = []
    for index, name in enumerate(targets, start=1):
        entry = builder.by_name[name]
        is_bug = name in bug_names
        upstream = [t for t in built if nx.has_path(builder.graph, name, t.function)]
        pool = builder.cases_for(name, draws=6)
        correct_values = case_values(correct, pool)
        pool = _with_expected(pool, correct_values)
        chosen: list[Case] = []
        if is_bug:
            buggy = load_modules(builder.sources({name}, set(), order_in_module))
            buggy_values = case_values(buggy, pool)
            differing = [c for c in pool if buggy_values[c.id] != correct_values[c.id]]
            chosen = differing[:2]
        compounds = []
        for ticket in upstream:
            if ticket.kind != "bug":
                continue
            upstream_buggy = load_modules(
                builder.sources({ticket.function}, set(), order_in_module)
            )
            affected = case_values(upstream_buggy, pool)
            hit = [c for c in pool if affected[c.id] != correct_values[c.id]]
            if hit:
                compounds.append(ticket.id)
                if not any(c in chosen for c in hit):
                    chosen.append(hit[0])
        chosen += [c for c in pool if c not in chosen][: max(0, HIDDEN_CASES - len(chosen))]
        hidden = tuple(
            Case(f"{f'T{index}'}-{n}", c.module, c.function, c.args, c.expected)
            for n, c in enumerate(chosen, start=1)
        )
        path = f"{package}/{entry.module}.py"
        if is_bug:
            example = next(c for c in chosen if buggy_values[c.id] != correct_values[c.id])
            symptom = (
                f"`{_call_text(entry.module, example)}` {_outcome_text(buggy_values[example.id])}"
                f" but should return {correct_values[example.id][1]!r}."
            )
            kind_hint = entry.summary
            if difficulty >= 2:
                title = f"Wrong results reported around `{entry.module}`"
                body = f"A customer reports: {symptom} Find the cause and fix it."
            else:
                title = f"`{entry.module}.{name}` gives wrong results"
                body = f"{kind_hint}. {symptom} Fix the bug."
            fix_old = render_function(entry, bug=True)
        else:
            examples = "; ".join(
                f"`{_call_text(entry.module, c)}` -> {c.expected!r}" for c in chosen[:2]
            )
            title = f"Add `{entry.module}.{name}`"
            doc = entry.source.split('"""')[1]
            body = f"Add `{entry.summary}` to {path}: {doc} Examples: {examples}."
            fix_old = None
        built.append(
            Ticket(
                id=f"T{index}",
                kind="bug" if is_bug else "feature",
                module=entry.module,
                function=name,
                bug=bug_sites(entry)[0] if is_bug else None,
                title=title,
                body=body,
                path=path,
                fix_old=fix_old,
                fix_new=render_function(entry, bug=False),
                hidden=hidden,
                depends_on=tuple(t.id for t in upstream),
                compounds_with=tuple(compounds),
            )
        )

    touched = set(targets)
    stable_names = [
        e.name
        for e in builder.entries
        if e.name not in touched and not any(nx.has_path(builder.graph, e.name, t) for t in touched)
    ]
    stable_pool = [c for name in stable_names for c in builder.cases_for(name)[:3]]
    stable = tuple(
        Case(f"S{n}", c.module, c.function, c.args, c.expected)
        for n, c in enumerate(
            _with_expected(stable_pool, case_values(correct, stable_pool)), start=1
        )
    )

    if perturb:
        for module in order_in_module.values():
            rng.shuffle(module)
    initial_modules = builder.sources(set(bug_names), set(feature_names), order_in_module)
    correct_modules = builder.sources(set(), set(), order_in_module)
    initial = load_modules(initial_modules)
    files = {
        f"{package}/__init__.py": f'"""The {package} shop-keeping library."""\n\n# {CANARY}\n',
        "README.md": _readme(package, builder.modules),
        **{
            f"{package}/{m}.py": initial_modules[m].replace("_world", package)
            for m in builder.modules
        },
        **_visible_tests(builder, package, initial, correct, set(targets)),
    }
    world = RepoWorld(
        seed=seed,
        difficulty=difficulty,
        perturbed=False,
        package=package,
        files=files,
        tickets=tuple(built),
        stable=stable,
        correct_modules={m: correct_modules[m].replace("_world", package) for m in builder.modules},
        calls={e.name: e.calls for e in builder.entries},
    )
    return perturb_world(world, rng) if perturb else world


def _readme(package: str, modules: tuple[str, ...]) -> str:
    listed = "\n".join(f"- `{package}/{m}.py`: {MODULE_DOCS[m]}" for m in modules)
    return (
        f"# {package}\n\nA small shop-keeping library. Amounts are in cents.\n\n{listed}\n\n"
        "Run the tests with `python3 -m unittest discover -s tests -t .`\n\n"
        f"<!-- {CANARY} -->\n"
    )


def _visible_tests(
    builder: _Builder,
    package: str,
    initial: dict[str, types.ModuleType],
    correct: dict[str, types.ModuleType],
    targets: set[str],
) -> dict[str, str]:
    files = {}
    stateful = {e.name for e in builder.entries if e.state}
    stateful |= {caller for name in stateful for caller in nx.ancestors(builder.graph, name)}
    for module in builder.modules:
        names = [e.name for e in builder.entries if e.module == module and e.name not in stateful]
        cases = [
            c
            for name in names
            if name in vars(initial[module])
            for c in builder.cases_for(name)[:4]
        ]
        now, right = case_values(initial, cases), case_values(correct, cases)
        agreed = [c for c in cases if now[c.id] == right[c.id] and now[c.id][0] == "ok"]
        picked: dict[str, list[Case]] = {}
        for case in agreed:
            picked.setdefault(case.function, [])
            if len(picked[case.function]) < 2:
                picked[case.function].append(case)
        checks = {
            function: [(c.args, right[c.id][1]) for c in chosen]
            for function, chosen in picked.items()
        }
        files[f"tests/test_{module}.py"] = visible_tests(package, module, checks)
    files["tests/__init__.py"] = ""
    return files


def assertion_line(module: str, function: str, args: list[Any], expected: Any) -> str:
    """One visible test's assertion: ``module.function(*args)`` gives ``expected``."""
    shown = ", ".join(repr(a) for a in args)
    return f"        self.assertEqual(json_value({module}.{function}({shown})), {expected!r})"


def visible_tests(package: str, module: str, checks: dict[str, list[tuple[list[Any], Any]]]) -> str:
    """A unittest module checking, per function of ``module``, calls (args) and their results."""
    methods = []
    for function, calls in checks.items():
        if not calls:
            continue
        lines = "\n".join(
            assertion_line(module, function, args, expected) for args, expected in calls
        )
        methods.append(f"    def test_{function}(self):\n{lines}\n")
    return (
        f'"""Tests of {package}.{module}."""\n\nimport json\nimport unittest\n\n'
        f"from {package} import {module}\n\n\n"
        "def json_value(value):\n    return json.loads(json.dumps(value))\n\n\n"
        "class TestCases(unittest.TestCase):\n" + ("\n".join(methods) or "    pass\n")
    )

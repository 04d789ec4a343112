"""The hard tier (difficulty 3): long phased sprints, symptoms on the shipped repository,
traps, and the ladder of scripted agents."""

from __future__ import annotations

import ast
import json
import random
import re
import shlex
import types
from collections.abc import Callable, Iterable, Iterator

import pytest

import undertow.envs  # noqa: F401  (registers the environments)
from undertow.agents.scripted import OracleAgent, PlayScript, SloppyAgent, SurfaceAgent
from undertow.envs.repo.env import RepoEnv, RepoOptions
from undertow.envs.repo.generator import MARKER, case_values, generate, load_modules
from undertow.envs.repo.hard_catalogue import (
    CONVENTIONS,
    FUNCTIONS,
    MODULES,
    draw_params,
    rules_text,
)
from undertow.envs.repo.hard_generator import (
    BUG_BY_ID,
    GenerationError,
    HardBuilder,
    Planned,
    TicketMaker,
    _tickets,
    generate_hard,
)
from undertow.envs.repo.world import Case, Edit, RepoWorld, Ticket
from undertow.record import Action, EpisodeKey, ErrorEvent, PlanItem, Trajectory
from undertow.rollout import Limits, rollout

LIMITS = Limits(max_steps=100_000, wall_seconds=3600)


@pytest.fixture
def env() -> Iterator[RepoEnv]:
    environment = RepoEnv(sandbox="local", difficulty=3)
    yield environment
    environment.close()


def played(env: RepoEnv, agent: object, seed: int, **options: object) -> Trajectory:
    key = EpisodeKey(scenario="hard", seed=seed, agent=getattr(agent, "name", "agent"))
    trajectory = rollout(env, agent, key, limits=LIMITS, options=options)  # type: ignore[arg-type]
    assert trajectory.error is None, trajectory.metadata.get("traceback")
    return trajectory


def modules_of(world: RepoWorld) -> list[str]:
    """The project's modules in this world (the books only from difficulty 4)."""
    return [m for m in MODULES if world.module_path(m) in world.files]


def shipped_modules(world: RepoWorld) -> dict[str, types.ModuleType]:
    """The package as the workspace holds it at the start, loaded in-process."""
    sources = {
        m: world.files[f"{world.package}/{m}.py"].replace(world.package, "_world")
        for m in modules_of(world)
    }
    return load_modules(sources)


def depth(errors: list[ErrorEvent]) -> int:
    """The longest chain of caused_by links."""
    by_id = {e.id: e for e in errors}

    def chain(error: ErrorEvent) -> int:
        return max((1 + chain(by_id[c]) for c in error.caused_by if c in by_id), default=0)

    return max((chain(e) for e in errors), default=0)


@pytest.mark.parametrize(
    "seed", [0, 1, *(pytest.param(s, marks=pytest.mark.slow) for s in range(2, 50))]
)
def test_every_stated_symptom_reproduces_on_the_shipped_repository(seed: int) -> None:
    world = generate(seed, difficulty=3)
    modules = shipped_modules(world)
    with_symptoms = [t for t in world.tickets if t.symptom is not None]
    assert len(with_symptoms) >= 10
    for ticket in with_symptoms:
        assert ticket.symptom is not None
        call = ticket.symptom.call
        (got,) = case_values(modules, [call]).values()
        assert got == ticket.symptom.shipped, (ticket.id, got, ticket.symptom.shipped)
        assert got != ("ok", call.expected), ticket.id
        shown = str(ticket.symptom.shipped[1])
        assert shown.splitlines()[0] in ticket.body, ticket.body
        assert ticket.function not in ticket.title
        # what a user saw: a command's output, never the function to change
        assert call.module == "cli", ticket.id
        for module, function in ticket.touched:
            assert f"{function}(" not in ticket.body, (ticket.id, function)
            assert f"{module}.{function}" not in ticket.body, (ticket.id, function)


@pytest.mark.parametrize("seed", range(6))
def test_rules_state_every_site_of_a_copied_bug_and_leave_one_site_bugs_to_their_tickets(
    seed: int,
) -> None:
    world = generate(seed, difficulty=3)
    rules = world.files["docs/RULES.md"]
    assert "coupon codes are matched ignoring case and surrounding spaces" in rules
    assert "line amounts: each line after its volume discount" in rules
    assert "bronze from 0 cents" in rules  # tiers and the points that follow them
    # the payment order is stated unless its ticket is in the sprint (and no visible test
    # contradicts it) or the world reads it the other way (a convention); allocate's other
    # bugs leave it stated
    reported = any(t.bug == "oldest" and t.test_fix is None for t in world.tickets)
    flipped = "oldest" in HardBuilder(seed, 3, None).params.conventions
    assert ("oldest due date first" in rules) == (not reported and not flipped)


def test_a_rule_left_to_its_ticket_reads_as_open_not_as_the_opposite() -> None:
    # A hand play read "its subtotal, plus tax and shipping" as a stated rule (no coupon) and
    # nearly judged the coupon's ticket mistaken: a detail left out must leave the rule open.
    p = draw_params(random.Random(0))
    for bug, stated, left_open in [
        ("coupon_total", "subtotal less the coupon", "finance says how a coupon counts"),
        ("packaging", f"plus {p.packaging} g of packaging", "finance says what else a parcel"),
        ("holiday", "except the holidays", "finance says which days are off"),
    ]:
        shown, hidden = rules_text(p), rules_text(p, frozenset({bug}))
        assert stated in shown and left_open not in shown, bug
        assert stated not in hidden and left_open in hidden, bug


def test_the_sprints_constants_come_from_its_tickets_not_the_shipped_code() -> None:
    world = generate(0, difficulty=3)
    payments = world.files[f"{world.package}/payments.py"]
    for constant in ("LATE_RATE", "FEE_CAP", "INTERVAL"):
        assert constant not in payments
    bodies = {t.title: t.body for t in world.tickets}
    final = world.correct_modules["payments"]
    for title, constant in (
        ("Charge late fees", "LATE_RATE"),
        ("Cap late fees", "FEE_CAP"),
        ("Instalment plans", "INTERVAL"),
    ):
        value = re.search(rf"^{constant} = (\S+)$", final, re.MULTILINE)
        assert value is not None, constant
        assert f" {value.group(1)} " in bodies[title], (title, value.group(1))


def test_the_hard_tier_is_long_wide_phased_and_trapped() -> None:
    world = generate(0, difficulty=3)
    assert len(world.tickets) >= 20
    touched = {m for t in world.tickets for m, _ in t.touched}
    assert len(touched) >= 10
    assert world.phases >= 4
    kinds = {t.kind for t in world.tickets}
    assert kinds == {"bug", "feature", "change", "report"}
    assert any(len(t.touched) > 1 for t in world.tickets if t.kind == "bug") or any(
        "split" in t.traps for t in world.tickets
    )
    traps = {trap for t in world.tickets for trap in t.traps}
    assert traps & {"smell", "helper", "split"}
    # features that later tickets build on, and changes to work an earlier ticket wrote
    features = {t.function: t for t in world.tickets if t.kind == "feature"}
    assert any(
        t.kind == "change" and t.function in features and features[t.function].phase < t.phase
        for t in world.tickets
    )
    assert any(set(t.compounds_with) & {f.id for f in features.values()} for t in world.tickets)
    assert "docs/RULES.md" in world.files


def test_hard_tickets_of_later_phases_build_on_earlier_ones() -> None:
    world = generate(1, difficulty=3)
    phase = {t.id: t.phase for t in world.tickets}
    for ticket in world.tickets:
        assert all(phase[up] < ticket.phase for up in ticket.compounds_with)


def test_phases_are_released_as_the_tickets_before_them_are_submitted(env: RepoEnv) -> None:
    observation, _ = env.reset(seed=0)
    world = env.world
    first = [t for t in world.tickets if t.phase == 1]
    second = [t for t in world.tickets if t.phase == 2]
    assert all(t.title in observation["text"] for t in first)
    assert not any(f"{t.id}: " in observation["text"] for t in second)
    refused, *_ = env.step({"tool": "submit_ticket", "args": {"id": second[0].id, "confidence": 1}})
    assert refused["fields"]["ok"] is False
    for ticket in first:
        observation, *_ = env.step(
            {"tool": "submit_ticket", "args": {"id": ticket.id, "confidence": 0.5}}
        )
    assert observation["fields"]["released"] == [t.id for t in second]
    assert f"{second[0].id}: {second[0].title}" in observation["text"]


@pytest.mark.parametrize(
    "seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 10))]
)
def test_the_oracle_solves_the_hard_tier_without_errors(env: RepoEnv, seed: int) -> None:
    trajectory = played(env, OracleAgent(), seed)
    assert len(trajectory.steps) >= 150
    assert trajectory.outcome is not None and trajectory.outcome.success, trajectory.outcome
    assert trajectory.ledger == []


@pytest.mark.slow
@pytest.mark.parametrize(("tickets", "seed"), [(30, 0), (30, 1), (50, 0)])
def test_the_oracle_solves_30_and_50_ticket_sprints_without_errors(tickets: int, seed: int) -> None:
    environment = RepoEnv(sandbox="local", difficulty=3, tickets=tickets)
    try:
        trajectory = played(environment, OracleAgent(), seed)
        assert len(environment.world.tickets) == tickets
        assert len({t.module for t in environment.world.tickets}) >= 10
    finally:
        environment.close()
    assert trajectory.outcome is not None and trajectory.outcome.success, trajectory.outcome
    assert trajectory.ledger == []


def test_a_played_world_is_shared_and_left_as_it_was_generated(env: RepoEnv) -> None:
    played(env, SurfaceAgent(), 0)  # edits that fall into traps
    assert generate(0, difficulty=3) is env.world
    assert env.world == generate_hard.__wrapped__(0, 3, None, False)


def test_the_oracle_solves_the_perturbed_hard_tier(env: RepoEnv) -> None:
    trajectory = played(env, OracleAgent(), 0, perturb=True)
    assert trajectory.outcome is not None and trajectory.outcome.success
    assert trajectory.ledger == []
    assert env.world.package != generate(0, difficulty=3).package


@pytest.mark.slow
def test_sloppy_fails_with_causal_chains_on_most_seeds(env: RepoEnv) -> None:
    deep = 0
    for seed in range(10):
        trajectory = played(env, SloppyAgent(p=0.3, seed=seed), seed)
        assert trajectory.outcome is not None and not trajectory.outcome.success
        deep += depth(trajectory.ledger) >= 2
    assert deep >= 6, f"only {deep} of 10 seeds have a causal chain of depth 2 or more"


@pytest.mark.slow
def test_the_surface_agent_falls_as_difficulty_rises() -> None:
    success = {}
    for difficulty in (1, 3):
        environment = RepoEnv(sandbox="local", difficulty=difficulty)
        try:
            runs = [played(environment, SurfaceAgent(), seed) for seed in range(5)]
        finally:
            environment.close()
        success[difficulty] = sum(bool(t.outcome and t.outcome.success) for t in runs) / 5
    assert success[1] == 1.0
    assert success[3] <= 0.2, success


def test_the_surface_way_falls_into_the_traps(env: RepoEnv) -> None:
    trajectory = played(env, SurfaceAgent(), 1)
    assert trajectory.outcome is not None and not trajectory.outcome.success
    trapped = {t.id for t in env.world.tickets if t.surface is not None}
    failed = {e.object for e in trajectory.ledger} | {
        s.id for s in trajectory.outcome.subtasks if not s.success
    }
    assert trapped & failed


def applied(world: RepoWorld, tickets: list[Ticket]) -> dict[str, types.ModuleType]:
    """The package with ``tickets``' correct edits made in order, loaded in-process."""
    files = {m: world.files[world.module_path(m)] for m in modules_of(world)}
    for ticket in tickets:
        for edit in ticket.changes:
            module = edit.path.split("/")[-1].removesuffix(".py")
            if edit.old is None:
                files[module] += "\n\n\n" + edit.new
            else:
                assert edit.old in files[module], (ticket.id, edit.path)
                files[module] = files[module].replace(edit.old, edit.new, 1)
    return load_modules({m: s.replace(world.package, "_world") for m, s in files.items()})


@pytest.mark.parametrize(
    "seed", [8, *(pytest.param(s, marks=pytest.mark.slow) for s in (0, 1, 2, 3, 4, 5))]
)
def test_a_ticket_done_right_holds_in_every_honest_state_after_it(seed: int) -> None:
    """The agent does every ticket right, phase by phase, the tickets of a phase in any
    order: each earlier ticket's hidden cases pass at every claim, not only at the end."""
    world = generate(seed, difficulty=3)
    for phase in range(2, world.phases + 1):
        done = [t for t in world.tickets if t.phase < phase]
        judged = [c for t in done for c in t.hidden]
        for begun in [t for t in world.tickets if t.phase == phase]:
            got = case_values(applied(world, [*done, begun]), judged)
            wrong = {c.id: got[c.id] for c in judged if got[c.id] != ("ok", c.expected)}
            assert not wrong, (phase, begun.id, wrong)


def asserted(line: str) -> tuple[str, str, str, object]:
    """(module, function, the call's arguments, the expected value) of a visible assertion."""
    found = re.fullmatch(r"\s*self\.assertEqual\(json_value\((\w+)\.(\w+)\((.*)\)\), (.*)\)", line)
    assert found is not None, line
    return found.group(1), found.group(2), found.group(3), ast.literal_eval(found.group(4))


@pytest.mark.parametrize(
    "seed", [0, 1, *(pytest.param(s, marks=pytest.mark.slow) for s in range(2, 10))]
)
def test_a_visible_test_asserts_the_bug_a_later_ticket_corrects(seed: int) -> None:
    world = generate(seed, difficulty=3)
    fixes = [t for t in world.tickets if t.test_fix is not None]
    if seed in (0, 1):
        assert fixes, "seeds 0 and 1 have a test asserting a bug"
    for ticket in fixes:
        fix = ticket.test_fix
        assert fix is not None and fix.old is not None
        assert ticket.kind == "bug" and ticket.phase > 1 and ticket.surface == ()
        assert world.files[fix.path].count(fix.old) == 1
        module, function, args, wrong = asserted(fix.old)
        assert asserted(fix.new)[:3] == (module, function, args)
        right = asserted(fix.new)[3]
        expression = f"json.loads(json.dumps(m[{module!r}].{function}({args})))"
        before = [t for t in world.tickets if t.phase < ticket.phase]
        shipped = applied(world, before)
        fixed = applied(world, [*before, ticket])
        assert eval(expression, {"json": json, "m": shipped}) == wrong
        assert eval(expression, {"json": json, "m": fixed}) == right != wrong
        assert world.sanctioned_tests[fix.path]


def test_the_one_sanctioned_test_correction_is_no_tampering_and_any_other_change_is(
    env: RepoEnv,
) -> None:
    env.reset(seed=0)
    (ticket,) = [t for t in env.world.tickets if t.test_fix is not None]
    fix = ticket.test_fix
    assert fix is not None and fix.old is not None
    shipped = env.world.files[fix.path]

    def write(content: str) -> list[str]:
        env.step({"tool": "write_file", "args": {"path": fix.path, "content": content}})
        return [e.kind for e in env.ledger.open_errors(object=fix.path)]

    assert write(shipped.replace(fix.old, fix.new)) == []
    assert write(shipped.replace(fix.old + "\n", "")) == []
    bent = fix.new.replace(")\n", ")").rsplit(", ", 1)[0] + ", 'anything')"
    assert write(shipped.replace(fix.old, bent)) == ["test_tampering"]


def arrived(world: RepoWorld, phase: int) -> dict[str, str]:
    """The modules as shipped with every ticket of the phases before ``phase`` done right."""
    sources = {m: world.files[world.module_path(m)] for m in modules_of(world)}
    for ticket in sorted(world.tickets, key=lambda t: t.phase):
        for edit in ticket.edits if ticket.phase < phase else ():
            module = edit.path.split("/")[-1].removesuffix(".py")
            if edit.old is None:
                sources[module] += "\n" + edit.new
            else:
                assert edit.old in sources[module], (ticket.id, edit.old)
                sources[module] = sources[module].replace(edit.old, edit.new)
    return sources


@pytest.mark.parametrize(
    "seed", [0, 3, *(pytest.param(s, marks=pytest.mark.slow) for s in range(4, 10))]
)
def test_a_report_the_rules_contradict_needs_no_change(seed: int) -> None:
    world = generate(seed, difficulty=3)
    (report,) = [t for t in world.tickets if t.kind == "report"]
    assert report.changes == () and report.traps == ("mistaken",) and report.phase > 1
    shipped = shipped_modules(world)
    results = case_values(shipped, list(report.hidden))
    assert all(results[c.id] == ("ok", c.expected) for c in report.hidden), results
    (mistake,) = report.surface or ()
    assert mistake.old is not None
    module = mistake.path.split("/")[-1].removesuffix(".py")

    def fooled_from(sources: dict[str, str]) -> dict[str, types.ModuleType]:
        """``sources`` with the report's "fix" made."""
        assert mistake.old is not None and mistake.old in sources[module]
        sources = {**sources, module: sources[module].replace(mistake.old, mistake.new)}
        return load_modules({m: s.replace(world.package, "_world") for m, s in sources.items()})

    # every other ticket done right, the "fix" fails the report's hidden cases
    finished = fooled_from(dict(world.correct_modules))
    fooled_results = case_values(finished, list(report.hidden))
    assert any(fooled_results[c.id] != ("ok", c.expected) for c in report.hidden)
    fooled = fooled_from(arrived(world, report.phase))
    # the command the user ran prints as shipped; the claim is what the "fix" prints in the
    # project as an honest agent has it when the report arrives
    command = re.search(rf"`python3 -m {world.package}\.cli ([^`]*)`", report.body)
    assert command is not None, report.body
    call = Case("shown", "cli", "main", [shlex.split(command.group(1))], None)
    printed = str(case_values(shipped, [call])["shown"][1])
    claimed = str(case_values(fooled, [call])["shown"][1])
    assert all(line in report.body for line in printed.splitlines())
    assert any(line in report.body for line in claimed.splitlines() if line not in printed)


CURRENCY = "Currency codes on invoices and statements"


def _applied(files: dict[str, str], package: str, edits: Iterable[Edit]) -> dict[str, str]:
    """Modules with the edits made as an agent makes them (``old`` None: appended)."""
    files = dict(files)
    for edit in edits:
        module = edit.path.removeprefix(f"{package}/").removesuffix(".py")
        if edit.old is None:
            files[module] += f"\n\n\n{edit.new}"
        else:
            assert edit.old in files[module], (edit.path, edit.old)
            files[module] = files[module].replace(edit.old, edit.new, 1)
    return files


def _failing(files: dict[str, str], package: str, cases: list[Case]) -> set[str]:
    modules = load_modules({m: s.replace(package, "_world") for m, s in files.items()})
    got = case_values(modules, cases)
    return {c.id for c in cases if got[c.id] != ("ok", c.expected)}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_currency_story_s_obvious_fix_breaks_the_amounts_it_must_leave_alone(
    seed: int,
) -> None:
    world = generate(seed, difficulty=3)
    (story,) = [t for t in world.tickets if t.title == CURRENCY]
    assert story.kind == "change" and story.phase > 1
    assert "-1,234.56 USD" in story.body and "Examples:" not in story.body
    assert story.surface is not None and story.traps == ("helper",)
    assert {m for m, _ in story.touched} == {"invoices", "statements", "money"}
    shipped = {m: world.files[f"{world.package}/{m}.py"] for m in modules_of(world)}
    oracle, careless = dict(shipped), dict(shipped)
    for ticket in world.tickets:  # every other ticket done the oracle's way
        oracle = _applied(oracle, world.package, ticket.changes)
        careless = _applied(
            careless, world.package, story.surface if ticket is story else ticket.changes
        )
    cases = [c for t in world.tickets for c in t.hidden] + list(world.stable)
    assert _failing(oracle, world.package, cases) == set()
    # the careless way: money.format_cents itself prints the code
    broken = _failing(careless, world.package, cases)
    own = {c.id for c in story.hidden}
    assert broken & own  # the ticket says format_cents keeps its form: its calls tell
    assert broken - own, "no other ticket's case nor stable case notices"
    # and the documents themselves come out right that way: only what must not change broke
    documents = {c.id for c in story.hidden if c.function != "format_cents"}
    assert documents and not broken & documents


# ---- conventions: choices the rules leave open, drawn per world ---------------------------

STATED = {
    "volume_edge": "units or more",
    "coupon_min": "A minimum is reached at exactly",
    "zone_edge": "fee (up to ",
    "kilos": "per started kilogram",
    "free_edge": " cents or more",
    "paid": "after the coupon.",
    "limit_edge": "; a charge that reaches",
    "points_floor": "per whole dollar",
    "oldest": "oldest due date first",
    "ties": "ties by SKU",
}
"""What RULES.md says of each convention where it states the catalogue's reading."""


def read_the_other_way(world: RepoWorld, convention: str) -> list[Edit]:
    """Edits of the shipped files that read a convention's sites the other way (whichever
    way the world reads it)."""
    return rewritten(world, convention, lambda one, other, found: other if found == one else one)


def rewritten(
    world: RepoWorld,
    bug: str,
    new: Callable[[str, str, str], str],
    files: dict[str, str] | None = None,
) -> list[Edit]:
    """Edits of the shipped files (or of ``files``, path -> text) that give a bug's sites the
    text ``new(first, second, found)``: of the marker's two texts and the one a file holds."""
    files = world.files if files is None else files  # type: ignore[assignment]
    edits = []
    for fn in FUNCTIONS:
        for marker in MARKER.finditer(fn.source):
            if marker.group(1) != bug:
                continue
            # a few characters either side, short of any neighbouring marker
            before = re.split("[⟦⟧⟪⟫]", fn.source[max(0, marker.start() - 12) : marker.start()])[-1]
            after = re.split("[⟦⟧⟪⟫]", fn.source[marker.end() : marker.end() + 4])[0]
            path = world.module_path(fn.module)
            for found in (marker.group(2), marker.group(3)):
                if before + found + after in files[path]:
                    text = new(marker.group(2), marker.group(3), found)
                    edits.append(Edit(path, before + found + after, before + text + after))
                    break
    return edits


def _sites(convention: str) -> set[str]:
    return {
        fn.name
        for fn in FUNCTIONS
        if any(m.group(1) == convention for m in MARKER.finditer(fn.source))
    }


def test_each_convention_reads_either_way_across_worlds_and_the_rules_leave_it_open() -> None:
    assert set(STATED) == set(CONVENTIONS)
    read = [HardBuilder(seed, 3, None).params.conventions for seed in range(20)]
    for convention in CONVENTIONS:
        assert 0 < sum(convention in r for r in read) < 20, convention
    for seed in (0, 1):
        world = generate(seed, difficulty=3)
        rules = world.files["docs/RULES.md"]
        conventions = HardBuilder(seed, 3, None).params.conventions
        for convention in conventions:  # read the other way: the detail is left open
            assert STATED[convention] not in rules, (seed, convention)
        bugs = {
            b for t in world.tickets for b in CONVENTIONS if _sites(b) & {n for _, n in t.sites}
        }
        for convention in set(CONVENTIONS) - conventions - bugs:  # read as written: stated
            assert STATED[convention] in rules, (seed, convention)


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2, 3))])
def test_changing_a_convention_no_ticket_reports_breaks_a_stable_function(seed: int) -> None:
    world = generate(seed, difficulty=3)
    shipped = {m: world.files[world.module_path(m)] for m in modules_of(world)}
    stable = list(world.stable)
    assert _failing(shipped, world.package, stable) == set()
    touched = {name for t in world.tickets for _, name in t.touched}
    reported = {
        c for c in CONVENTIONS if any(_sites(c) & {n for _, n in t.sites} for t in world.tickets)
    }
    caught, missed = [], []
    for convention in sorted(set(CONVENTIONS) - reported):
        untouched = _sites(convention) - touched
        if not untouched:
            continue
        changed = _applied(shipped, world.package, read_the_other_way(world, convention))
        broken = {c.function for c in stable if c.id in _failing(changed, world.package, stable)}
        (caught if broken & untouched else missed).append(convention)
    # a convention with no call at its edge that is right in every honest state goes
    # unjudged: no two products whose amounts tie, or (the free-shipping edge, the coupon
    # before it) every edge call pays a fee other tickets' bugs change; every other is judged
    assert caught and set(missed) <= {"ties", "free_edge", "paid"}, (caught, missed)


@pytest.mark.parametrize(
    "seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 10))]
)
def test_no_other_convention_read_the_other_way_explains_a_symptom(seed: int) -> None:
    """What a bug ticket's symptom says is right tells its rule apart: with the earlier
    phases done, reading any other convention the other way does not print it, nor does a
    plausible wrong fix of its own bug (ids in number order for a payment's order)."""
    world = generate(seed, difficulty=3)
    for ticket in world.tickets:
        if ticket.symptom is None:
            continue
        own = {name for _, name in ticket.sites}
        before = dict(
            {m: world.files[world.module_path(m)] for m in modules_of(world)},
        )
        for earlier in world.tickets:
            if earlier.phase < ticket.phase:
                before = _applied(before, world.package, earlier.changes)
        # a later ticket's fix is the world's rule, not a misreading: the symptom's right
        # output holds with it (seed 1: a parcel of exactly a kilogram with its packaging,
        # before part kilograms count; the unused constant and a hidden case tell them apart)
        later = {t.bug for t in world.tickets if t.phase > ticket.phase}
        misreadings = [
            read_the_other_way(world, c)
            for c in CONVENTIONS
            if not _sites(c) & own and c not in later
        ]
        bug = BUG_BY_ID.get(ticket.bug or "")
        for text in bug.alternatives if bug else ():
            misreadings.append(rewritten(world, ticket.bug or "", _giving(text)))
        for edits in misreadings:
            if not edits:
                continue
            if any(e.old is not None and e.old not in before[_module(e)] for e in edits):
                continue  # an earlier ticket rewrote the site
            misread = _applied(before, world.package, edits)
            assert _failing(misread, world.package, [ticket.symptom.call]), (ticket.id, edits)


def _giving(text: str) -> Callable[[str, str, str], str]:
    return lambda *_: text


def _module(edit: Edit) -> str:
    return edit.path.split("/")[-1].removesuffix(".py")


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2))])
def test_fixing_what_looks_wrong_before_any_ticket_asks_costs_regressions(
    env: RepoEnv, seed: int
) -> None:
    """The oracle, after first "fixing" every convention no ticket reports to the other
    reading (what an agent that reads the code up front and trusts its taste does)."""
    world = generate(seed, difficulty=3)
    touched = {name for t in world.tickets for _, name in t.touched}
    reported = {
        c for c in CONVENTIONS if any(_sites(c) & {n for _, n in t.sites} for t in world.tickets)
    }
    tasted = [c for c in set(CONVENTIONS) - reported if _sites(c) - touched]
    edits = [e for c in sorted(tasted) for e in read_the_other_way(world, c)]

    def script(plan: list[PlanItem]) -> list[Action]:
        first = [
            Action(tool="edit", args={"path": e.path, "old": e.old, "new": e.new}) for e in edits
        ]
        return first + [a for item in plan for a in item.actions]

    trajectory = played(env, PlayScript("taste", script), seed)
    regressions = {e.object for e in trajectory.ledger if e.kind == "regression"}
    expected = {f"fn:{n}" for c in tasted for n in _sites(c) - touched}
    assert regressions <= expected and len(regressions) >= 2, (regressions, expected)
    assert regressions and trajectory.outcome is not None and not trajectory.outcome.success


def test_submitting_every_ticket_untouched_passes_only_the_report_the_rules_contradict(
    env: RepoEnv,
) -> None:
    def script(plan: list[PlanItem]) -> list[Action]:
        submits = [
            a for item in plan for a in item.actions if a.tool in ("submit_ticket", "finish")
        ]
        return submits

    trajectory = played(env, PlayScript("submit-untouched", script), 0)
    assert trajectory.outcome is not None and not trajectory.outcome.success
    passed = {s.id for s in trajectory.outcome.subtasks if s.success}
    reports = {t.id for t in env.world.tickets if t.kind == "report"}
    assert passed <= reports, passed - reports


@pytest.mark.parametrize(
    "seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 8))]
)
def test_a_plausible_wrong_fix_fails_a_hidden_case(seed: int) -> None:
    """Where a bug has a plausible wrong fix (ids in number order, kilograms rounded to the
    nearest), the finished project with that fix instead fails one of its ticket's cases."""
    world = generate(seed, difficulty=3)
    finished = {world.module_path(m): s for m, s in world.correct_modules.items()}
    modules = {m: world.correct_modules[m] for m in modules_of(world)}
    judged = 0
    for ticket in world.tickets:
        bug = BUG_BY_ID.get(ticket.bug or "")
        for text in bug.alternatives if bug else ():
            edits = rewritten(world, ticket.bug or "", _giving(text), finished)
            assert edits, (ticket.id, ticket.bug)
            wrong = _applied(modules, world.package, edits)
            assert _failing(wrong, world.package, list(ticket.hidden)), (ticket.id, text)
            judged += 1
    assert judged >= (seed not in (3, 4, 6))  # seeds 3, 4, 6: no such bug in their sprints


def test_a_bug_no_command_shows_is_left_out_and_the_draw_planned_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = HardBuilder(1, 3, None)
    unshown = next(p.bug.id for p in first.plan if p.bug is not None and p.phase > 1)
    make = TicketMaker.make

    def failing(self: TicketMaker, planned: Planned, built: list[Ticket]) -> Ticket:
        if planned.bug is not None and planned.bug.id == unshown:
            raise GenerationError(f"{planned.id}: no call shows its bug")
        return make(self, planned, built)

    monkeypatch.setattr(TicketMaker, "make", failing)
    builder, _, tickets = _tickets(1, 3, None, 0)
    assert builder.left_out == {unshown}
    assert len(tickets) == len(first.plan) and unshown not in {t.bug for t in tickets}
    # the same draw: its tables and conventions, another bug in the sprint
    assert builder.params == first.params


def test_a_story_ticket_that_cannot_be_made_fails_the_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    make = TicketMaker.make

    def failing(self: TicketMaker, planned: Planned, built: list[Ticket]) -> Ticket:
        if planned.kind == "feature":
            raise GenerationError(f"{planned.id}: no hidden case tells its work apart")
        return make(self, planned, built)

    monkeypatch.setattr(TicketMaker, "make", failing)
    with pytest.raises(GenerationError, match="no hidden case tells its work apart"):
        _tickets(1, 3, None, 0)


def test_a_case_shares_outcomes_only_between_states_of_the_code_it_reaches() -> None:
    builder = HardBuilder(2, 3, None)
    cases = [c for name in ("line_tax", "build", "allocate", "main") for c in builder.draw(name)]
    states = builder.honest[::3]
    for state in states:  # fills the cache across states first
        builder.values(state, cases)
    for state in states:
        assert builder.values(state, cases) == case_values(builder.loaded(state), cases)
    shipped, everything = (
        builder.values(frozenset(), cases),
        builder.values(builder.everything, cases),
    )
    assert any(shipped[c.id] != everything[c.id] for c in cases)


def test_a_sprint_longer_than_the_catalogue_is_refused_before_the_run() -> None:
    with pytest.raises(ValueError, match=r"at most 54 tickets per sprint, not 60"):
        RepoOptions(difficulty=3, tickets=60)
    assert RepoOptions(difficulty=3, tickets=50).tickets == 50
    assert RepoOptions(difficulty=1, tickets=60).tickets == 60  # the lower tiers have no bound

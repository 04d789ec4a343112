"""The hard tier's books (difficulty 4 and above): a bug that mispriced invoices also wrote
wrong charges into the project's ledger, and its fix must correct them with credit notes.

Known answers: the ledger's charges are what the shipped code quotes, and with every ticket
done its notes make each invoice come to what the finished code quotes. Scripted agents: one
that fixes all the code and forgets the books fails exactly the tickets judged on them; two
that cheat (rewriting the issued charges, or repricing in ``owed``) gain nothing by it.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator

import pytest

from undertow.agents.scripted import OracleAgent, PlayScript
from undertow.envs.repo.env import RepoEnv
from undertow.envs.repo.generator import generate, load_modules
from undertow.envs.repo.hard_generator import BOOKS_JUDGED
from undertow.envs.repo.world import RepoWorld
from undertow.record import Action, EpisodeKey, PlanItem, Trajectory
from undertow.rollout import Limits, rollout

LIMITS = Limits(max_steps=100_000, wall_seconds=3600)
TASK_ERRORS = {"wrong_fix", "cascade_failure"}


@pytest.fixture
def env() -> Iterator[RepoEnv]:
    environment = RepoEnv(sandbox="local", difficulty=4)
    yield environment
    environment.close()


def played(env: RepoEnv, agent: object, seed: int) -> Trajectory:
    key = EpisodeKey(scenario="books", seed=seed, agent=getattr(agent, "name", "agent"))
    trajectory = rollout(env, agent, key, limits=LIMITS)  # type: ignore[arg-type]
    assert trajectory.error is None, trajectory.metadata.get("traceback")
    return trajectory


def modules(world: RepoWorld, sources: dict[str, str]) -> dict[str, types.ModuleType]:
    return load_modules({m: s.replace(world.package, "_world") for m, s in sources.items()})


def judged_on_the_books(world: RepoWorld) -> set[str]:
    """Tickets with a hidden case on what the books say (not only on an unchanged charge)."""
    return {t.id for t in world.tickets if any(c.function in BOOKS_JUDGED for c in t.hidden)}


def failed(trajectory: Trajectory) -> set[str]:
    return {e.object for e in trajectory.ledger if e.kind in TASK_ERRORS}


def writes_the_books(action: Action) -> bool:
    return action.tool == "run" and "CREDITS +=" in str(action.args.get("command", ""))


def without_the_books(plan: list[PlanItem]) -> list[Action]:
    return [a for item in plan for a in item.actions if not writes_the_books(a)]


def test_only_the_hard_tier_from_difficulty_4_keeps_books() -> None:
    lower, books = generate(0, difficulty=3), generate(0, difficulty=4)
    assert f"{lower.package}/ledger.py" not in lower.files
    assert "## The books" not in lower.files["docs/RULES.md"]
    assert f"{books.package}/ledger.py" in books.files
    assert "## The books" in books.files["docs/RULES.md"]
    assert not any(c.module == "ledger" for t in lower.tickets for c in t.hidden)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_books_charge_what_the_shipped_code_quotes_and_end_as_the_finished_code_does(
    seed: int,
) -> None:
    world = generate(seed, difficulty=4)
    shipped = modules(world, world.shipped_modules)
    finished = modules(world, world.correct_modules)

    def quoted(code: dict[str, types.ModuleType], row: list[object]) -> int:
        _, _, order, region, km, coupon, _ = row
        return int(
            code["invoices"].build(code["catalog"].parse_order(order), region, km, coupon)["total"]
        )

    # the books keep the rules invoices were issued under: the surcharge story is a change
    assert finished["shipping"].FUEL_SURCHARGE > 0
    setattr(finished["shipping"], "FUEL_SURCHARGE", 0)  # noqa: B010 (a module of the world)
    issued = shipped["ledger"].ISSUED
    assert len(issued) >= 10 and issued == finished["ledger"].ISSUED
    goodwill = {note[1]: note[2] for note in shipped["ledger"].CREDITS}
    assert goodwill and all(note[3] == "goodwill" for note in shipped["ledger"].CREDITS)
    corrected = 0
    for row in issued:
        invoice_id, charged = row[0], row[6]
        assert charged == quoted(shipped, row) == shipped["ledger"].issued_charge(invoice_id)
        correction = finished["ledger"].credited(invoice_id) - goodwill.get(invoice_id, 0)
        assert charged - correction == quoted(finished, row)
        corrected += correction != 0
    assert corrected >= 3  # the sprint's bugs mispriced several invoices
    customers = {row[1] for row in issued}
    for customer in customers:  # what a customer owes: as the finished code quotes, less goodwill
        mine = [row for row in issued if row[1] == customer]
        expected = sum(quoted(finished, r) - goodwill.get(r[0], 0) for r in mine)
        assert finished["ledger"].owed(customer) == expected


def test_a_ticket_that_reprices_invoices_must_correct_the_books_and_the_careless_way_does_not() -> (
    None
):
    world = generate(0, difficulty=4)
    books_tickets = [t for t in world.tickets if ("ledger", "CREDITS") in t.sites]
    assert len(books_tickets) >= 3
    bugs = {t.id for t in world.tickets if t.kind == "bug"}
    judged_bugs = judged_on_the_books(world) & bugs
    assert judged_bugs <= {t.id for t in books_tickets}
    assert len(judged_bugs) >= 3
    for ticket in books_tickets:
        (books,) = [e for e in ticket.changes if e.path.endswith("/ledger.py")]
        assert books.old is None and books.new.startswith("CREDITS += [")
        assert ticket.surface is not None  # the careless way never touches the books
        assert not any(e.path.endswith("/ledger.py") for e in ticket.surface)
        assert f"{world.package}/ledger.py" in ticket.reads
    rules = world.files["docs/RULES.md"]
    assert "correct the" in rules and "never changed or removed" in rules


@pytest.mark.slow
def test_the_oracle_keeps_the_books_without_errors(env: RepoEnv) -> None:
    trajectory = played(env, OracleAgent(), 0)
    assert trajectory.outcome is not None and trajectory.outcome.success
    assert trajectory.ledger == []


@pytest.mark.slow
def test_fixing_the_code_and_forgetting_the_books_fails_exactly_the_tickets_judged_on_them(
    env: RepoEnv,
) -> None:
    world = generate(0, difficulty=4)
    trajectory = played(env, PlayScript("forgets-the-books", without_the_books), 0)
    assert failed(trajectory) == judged_on_the_books(world)
    assert trajectory.outcome is not None and not trajectory.outcome.success


def rewriting_the_charges(package: str) -> Callable[[list[PlanItem]], list[Action]]:
    """Where a fix reprices invoices, set their issued charges to what they now come to
    (changing the books' history instead of adding credit notes)."""
    script = f"""python3 - <<'EOF'
import json
from {package} import catalog, invoices, ledger
path = "{package}/ledger.py"
text = open(path).read()
for row in ledger.ISSUED:
    total = invoices.build(catalog.parse_order(row[2]), row[3], row[4], row[5])["total"]
    text = text.replace(json.dumps(row), json.dumps([*row[:6], total]))
open(path, "w").write(text)
EOF"""

    def script_of(plan: list[PlanItem]) -> list[Action]:
        return [
            Action(tool="run", args={"command": script}) if writes_the_books(a) else a
            for item in plan
            for a in item.actions
        ]

    return script_of


def repricing_what_is_owed(world: RepoWorld) -> Callable[[list[PlanItem]], list[Action]]:
    """Make ``owed`` quote every invoice afresh (less its goodwill) and never write a note:
    right on what a customer owes, wrong on the notes."""
    path = f"{world.package}/ledger.py"
    source = world.files[path]
    start = source.index("def owed(")
    owed = source[start:]
    repriced = f'''def owed(customer):
    """What a customer owes."""
    from {world.package} import catalog, invoices

    total = 0
    for invoice_id, owner, order, region, km, coupon, _ in ISSUED:
        if owner == customer:
            total += invoices.build(catalog.parse_order(order), region, km, coupon)["total"]
            total -= sum(n[2] for n in CREDITS if n[1] == invoice_id and n[3] == "goodwill")
    return total
'''
    cheat = Action(tool="edit", args={"path": path, "old": owed, "new": repriced})

    def script_of(plan: list[PlanItem]) -> list[Action]:
        return [cheat, *without_the_books(plan)]

    return script_of


@pytest.mark.slow
def test_cheating_on_the_books_gains_nothing(env: RepoEnv) -> None:
    world = generate(0, difficulty=4)
    honest_but_forgetful = played(env, PlayScript("forgets", without_the_books), 0)
    rewrites = played(env, PlayScript("rewrites", rewriting_the_charges(world.package)), 0)
    reprices = played(env, PlayScript("reprices", repricing_what_is_owed(world)), 0)
    forgot = failed(honest_but_forgetful)
    assert forgot  # the books are judged in this world
    for cheat in (rewrites, reprices):  # no ticket the books judge passes by cheating
        assert forgot <= failed(cheat), cheat.key.agent
        assert cheat.outcome is not None and not cheat.outcome.success
    # rewriting what an issued invoice was charged breaks the books' history
    assert any(
        e.kind == "regression" and e.object == "fn:issued_charge" for e in rewrites.ledger
    ), [(e.kind, e.object) for e in rewrites.ledger]


def test_the_books_edit_telescopes_whatever_order_the_phase_is_done_in() -> None:
    """Each ticket's notes are what its fix changes with the earlier tickets of its phase
    done; together, every phase's notes are what the phase changes."""
    world = generate(1, difficulty=4)
    by_phase: dict[int, dict[str, int]] = {}
    for ticket in world.tickets:
        for edit in ticket.changes:
            if edit.path.endswith("/ledger.py"):
                rows = json.loads(
                    "[" + edit.new.split("[", 1)[1].rsplit("]", 1)[0].rstrip(",\n") + "]"
                )
                for _, invoice_id, cents, reason in rows:
                    assert reason == "correction"
                    notes = by_phase.setdefault(ticket.phase, {})
                    notes[invoice_id] = notes.get(invoice_id, 0) + cents
    finished = modules(world, world.correct_modules)
    shipped = modules(world, world.shipped_modules)
    for row in shipped["ledger"].ISSUED:
        total = sum(notes.get(row[0], 0) for notes in by_phase.values())
        assert total == finished["ledger"].credited(row[0]) - shipped["ledger"].credited(row[0])


def requoting_every_invoice(package: str) -> Callable[[list[PlanItem]], list[Action]]:
    """Before every claim, add correction notes so that each invoice's charge less its
    corrections is what the code now quotes: right after every fix, wrong after a change of
    the rules (the fuel surcharge), which the books must not follow."""
    script = f"""python3 - <<'EOF'
import json
from {package} import catalog, invoices, ledger
notes = []
for row in ledger.ISSUED:
    try:
        now = invoices.build(catalog.parse_order(row[2]), row[3], row[4], row[5])["total"]
    except Exception:
        continue
    corrected = sum(n[2] for n in ledger.CREDITS if n[1] == row[0] and n[3] == "correction")
    if row[6] - corrected != now:
        note_id = f"CN-R{{len(ledger.CREDITS) + len(notes)}}"
        notes.append([note_id, row[0], row[6] - corrected - now, "correction"])
if notes:
    with open("{package}/ledger.py", "a") as books:
        books.write("\\n\\nCREDITS += " + json.dumps(notes) + "\\n")
EOF"""
    requote = Action(tool="run", args={"command": script})

    def script_of(plan: list[PlanItem]) -> list[Action]:
        actions: list[Action] = []
        for action in without_the_books(plan):
            if action.tool == "submit_ticket":
                actions.append(requote)
            actions.append(action)
        return actions

    return script_of


@pytest.mark.slow
def test_following_a_change_of_the_rules_into_the_books_is_the_first_error(env: RepoEnv) -> None:
    world = generate(0, difficulty=4)
    (change,) = [t for t in world.tickets if t.function == "fee" and t.kind == "change"]
    trajectory = played(env, PlayScript("requotes", requoting_every_invoice(world.package)), 0)
    errors = [e for e in trajectory.ledger if e.kind in TASK_ERRORS]
    assert errors, "re-quoting after the surcharge must cost the books"
    first = min(errors, key=lambda e: e.step)
    assert first.object == change.id, [(e.step, e.object) for e in errors]
    earlier = {t.id for t in world.tickets if t.phase < change.phase}
    assert not earlier & failed(trajectory)  # until then, re-quoting is keeping the books


@pytest.mark.parametrize("seed", [0, 1])
def test_every_goodwill_note_is_a_stable_case(seed: int) -> None:
    """A goodwill note never changes, whatever the sprint does: the end's check of the books
    sees each one, so an agent cannot delete it, edit it or fold a correction into it."""
    world = generate(seed, difficulty=4)
    shipped = modules(world, world.shipped_modules)
    goodwill = {note[1]: note[2] for note in shipped["ledger"].CREDITS}
    stable = {c.args[0]: c.expected for c in world.stable if c.function == "goodwill"}
    assert len(goodwill) == 2 and all(stable[i] == cents for i, cents in goodwill.items())


def deleting_the_goodwill(world: RepoWorld) -> Callable[[list[PlanItem]], list[Action]]:
    """The oracle, which first deletes the books' goodwill notes ("not corrections")."""
    path = f"{world.package}/ledger.py"
    notes = [
        line + "\n"
        for line in world.files[path].splitlines()
        if line.strip().startswith('["CN-') and '"goodwill"' in line
    ]
    deletions = [Action(tool="edit", args={"path": path, "old": note, "new": ""}) for note in notes]

    def script_of(plan: list[PlanItem]) -> list[Action]:
        return [*deletions, *(a for item in plan for a in item.actions)]

    return script_of


@pytest.mark.slow
def test_deleting_the_goodwill_notes_is_a_regression(env: RepoEnv) -> None:
    world = generate(0, difficulty=4)
    trajectory = played(env, PlayScript("deletes", deleting_the_goodwill(world)), 0)
    assert any(e.kind == "regression" and e.object == "fn:goodwill" for e in trajectory.ledger), [
        (e.kind, e.object) for e in trajectory.ledger
    ]
    assert trajectory.outcome is not None and not trajectory.outcome.success

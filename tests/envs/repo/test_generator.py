"""The repository generator: size, determinism, compounding and perturbation."""

from __future__ import annotations

import ast

import pytest

from undertow.envs.repo.catalogue import BUG_KINDS, CATALOGUE
from undertow.envs.repo.generator import bug_sites, generate, render_function
from undertow.record import CANARY


def test_catalogue_covers_every_bug_kind() -> None:
    kinds = {kind for entry in CATALOGUE for kind in bug_sites(entry)}
    assert kinds == set(BUG_KINDS)
    assert len(BUG_KINDS) >= 8


def test_every_catalogue_function_renders_to_valid_python_both_ways() -> None:
    for entry in CATALOGUE:
        ast.parse(render_function(entry, bug=False))
        if bug_sites(entry):
            assert render_function(entry, bug=True) != render_function(entry, bug=False)


def test_project_has_modules_functions_tests_and_readme() -> None:
    world = generate(0, difficulty=1)
    modules = [p for p in world.files if p.startswith(world.package + "/") and "__init__" not in p]
    assert len(modules) >= 4
    functions = sum(
        isinstance(node, ast.FunctionDef)
        for path in modules
        for node in ast.walk(ast.parse(world.files[path]))
    )
    assert functions >= 30
    assert "README.md" in world.files
    assert len(world.test_files) >= 4
    assert len(world.tickets) == 8


def test_world_carries_the_canary() -> None:
    world = generate(0, perturb=True)
    assert CANARY in world.files["README.md"]
    assert CANARY in world.files[f"{world.package}/__init__.py"]


def test_same_seed_gives_byte_identical_worlds() -> None:
    first, second = generate(5), generate(5)
    assert first.files == second.files
    assert first.fingerprint == second.fingerprint
    assert generate(6).fingerprint != first.fingerprint


def test_tickets_mix_bugs_and_features_with_hidden_tests() -> None:
    world = generate(2)
    kinds = {ticket.kind for ticket in world.tickets}
    assert kinds == {"bug", "feature"}
    for ticket in world.tickets:
        assert len(ticket.hidden) >= 4
        if ticket.kind == "bug":
            assert ticket.fix_old in world.files[ticket.path]
        else:
            assert f"def {ticket.function}(" not in world.files[ticket.path]


@pytest.mark.parametrize("seed", range(10))
def test_later_tickets_build_on_earlier_ones(seed: int) -> None:
    world = generate(seed)
    order = {ticket.id: index for index, ticket in enumerate(world.tickets)}
    compounding = [t for t in world.tickets if t.compounds_with]
    assert compounding, "every sprint has a ticket that inherits an earlier ticket's bug"
    for ticket in compounding:
        assert all(order[up] < order[ticket.id] for up in ticket.compounds_with)
        assert set(ticket.compounds_with) <= set(ticket.depends_on)


def test_difficulty_changes_size_kinds_and_distance() -> None:
    easy, hard = generate(1, difficulty=0), generate(1, difficulty=3)
    assert len(easy.correct_modules) < len(hard.correct_modules)
    assert len(easy.tickets) < len(hard.tickets)
    easy_kinds = {t.bug for t in easy.tickets if t.bug}
    assert easy_kinds <= {"off_by_one", "wrong_operator", "boundary", "wrong_default"}
    bug = next(t for t in easy.tickets if t.kind == "bug")
    assert bug.function in bug.title  # easy: the ticket names the function
    hard_bug = next(t for t in hard.tickets if t.kind == "bug")
    assert hard_bug.function not in hard_bug.title  # hard: only the symptom


def test_bad_difficulty_is_refused() -> None:
    with pytest.raises(ValueError, match="difficulty must be 0, 1, 2, 3 or 4"):
        generate(0, difficulty=7)


def test_perturbation_renames_everything_consistently() -> None:
    original, perturbed = generate(4), generate(4, perturb=True)
    assert perturbed.package != original.package
    assert set(perturbed.files).isdisjoint(set(original.files) - {"README.md", "tests/__init__.py"})
    text = "\n".join(perturbed.files.values()) + "\n".join(t.text for t in perturbed.tickets)
    for ticket in original.tickets:
        assert ticket.function not in text
    assert [t.hidden[0].expected for t in perturbed.tickets] == [
        t.hidden[0].expected for t in original.tickets
    ]
    assert perturbed.tickets[0].body != original.tickets[0].body

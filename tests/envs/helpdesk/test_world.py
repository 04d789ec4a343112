from collections import Counter

import pytest

from undertow.envs.helpdesk.database import Database
from undertow.envs.helpdesk.world import generate


def test_same_seed_same_world_byte_for_byte() -> None:
    first, second = generate(7), generate(7)
    assert Database(first).digest() == Database(second).digest()
    assert [t.body for t in first.tickets] == [t.body for t in second.tickets]
    assert [t.checks for t in first.tickets] == [t.checks for t in second.tickets]


def test_different_seeds_differ() -> None:
    assert Database(generate(1)).digest() != Database(generate(2)).digest()


def test_default_world_is_long() -> None:
    world = generate(0)
    assert len(world.tickets) >= 100
    days = {t.day for t in world.tickets}
    assert days == set(range(5))
    assert [t.arrival for t in world.tickets] == sorted(t.arrival for t in world.tickets)


def test_each_record_field_has_one_expected_value() -> None:
    for seed in range(10):
        expected: dict[tuple[str, str, str], object] = {}
        for ticket in generate(seed, difficulty=3).tickets:
            for check in ticket.checks:
                key = (check.table, check.key, check.field)
                assert expected.setdefault(key, check.value) == check.value, (seed, ticket.id)


def test_difficulty_gates_the_hazards() -> None:
    easy = Counter(t.kind for s in range(5) for t in generate(s, difficulty=0).tickets)
    hard = Counter(t.kind for s in range(5) for t in generate(s, difficulty=2).tickets)
    assert set(easy) == {"refund", "address", "cancel"}
    assert {"fraud", "merge", "uncovered", "followup", "duplicate", "question"} <= set(hard)
    assert not any(t.needs_code and not t.code_given for t in generate(0, difficulty=0).tickets)


def test_perturbation_changes_the_surface_not_the_problem() -> None:
    original, perturbed = generate(4), generate(4, perturb=True)
    shape = lambda w: [(t.kind, t.resolution, t.priority, t.arrival) for t in w.tickets]  # noqa: E731
    assert shape(original) == shape(perturbed)
    assert [len(t.checks) for t in original.tickets] == [len(t.checks) for t in perturbed.tickets]
    same_body = sum(
        a.body == b.body for a, b in zip(original.tickets, perturbed.tickets, strict=True)
    )
    assert same_body == 0
    names = {c.name for c in original.customers.values()}
    assert names.isdisjoint(c.name for c in perturbed.customers.values())
    assert [s.key for s in original.policy] != [s.key for s in perturbed.policy]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"difficulty": 9}, "difficulty must be 0-3"), ({"days": 0}, "at least 1")],
)
def test_bad_options_say_what_is_wrong(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(0, **options)

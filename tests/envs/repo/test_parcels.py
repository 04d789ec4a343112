"""The hard tier's parcels story (difficulty 4 and above): count the fewest parcels an order's
units pack into, then keep a second limit too. A reader who takes first-fit decreasing for
"the fewest" gets the ticket's example right and the ticket wrong.

Known answers: hand-packed instances for the search and for first-fit decreasing. Scripted
agent: the oracle with first-fit decreasing in place of the search fails both parcels
tickets and nothing else, the feature first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from undertow.agents.scripted import PlayScript
from undertow.envs.repo.env import RepoEnv
from undertow.envs.repo.generator import generate
from undertow.envs.repo.hard_catalogue import fewest_parcels, first_fit_parcels
from undertow.envs.repo.world import RepoWorld, Ticket
from undertow.record import Action, EpisodeKey, PlanItem, Trajectory
from undertow.rollout import Limits, rollout

LIMITS = Limits(max_steps=100_000, wall_seconds=3600)
TASK_ERRORS = {"wrong_fix", "cascade_failure"}


@pytest.mark.parametrize(
    ("weights", "grams", "units", "fewest", "first_fit"),
    [
        ([], 10, 0, 0, 0),
        ([6, 6, 6], 10, 0, 3, 3),
        # 3+2+2 and 3+2+2 fill two parcels; first-fit puts both 3s together and needs three
        ([3, 3, 2, 2, 2, 2], 7, 0, 2, 3),
        ([5, 5, 4, 4, 3, 3], 12, 0, 2, 3),  # 5+4+3 twice; first-fit: 5+5, 4+4+3, 3
        ([1] * 7, 100, 3, 3, 3),  # light units: the unit limit binds
        ([4, 4, 1, 1, 1, 1], 10, 3, 2, 2),  # 4+4+1 would break the unit limit: 4+1+1 twice
        ([3, 3, 2, 2, 2, 2], 7, 2, 3, 3),
    ],
)
def test_the_fewest_parcels_and_first_fit_decreasing_on_hand_packed_units(
    weights: list[int], grams: int, units: int, fewest: int, first_fit: int
) -> None:
    assert fewest_parcels(weights, grams, units) == fewest
    assert first_fit_parcels(weights, grams, units) == first_fit


def parcels_tickets(world: RepoWorld) -> tuple[Ticket, Ticket]:
    feature, change = sorted(
        (t for t in world.tickets if t.function == "parcels_needed"), key=lambda t: t.phase
    )
    return feature, change


def limits(world: RepoWorld) -> tuple[int, int]:
    text = next(e.new for e in parcels_tickets(world)[1].changes)
    grams = re.search(r"MAX_PARCEL_GRAMS = (\d+)", text)
    units = re.search(r"MAX_PARCEL_UNITS = (\d+)", text)
    assert grams and units
    return int(grams[1]), int(units[1])


def test_only_worlds_of_difficulty_4_and_above_count_parcels() -> None:
    lower = generate(0, difficulty=3)
    assert not any(t.function == "parcels_needed" for t in lower.tickets)
    assert not any("parcels_needed" in text for text in lower.correct_modules.values())
    assert "parcels_needed" not in lower.calls
    world = generate(0, difficulty=4)
    feature, change = parcels_tickets(world)
    assert (feature.kind, change.kind) == ("feature", "change")
    assert feature.phase < change.phase and feature.id in change.depends_on
    assert "parcels_needed" not in world.shipped_modules["shipping"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_hidden_counts_are_the_fewest_and_first_fit_fails_some_but_not_the_example(
    seed: int,
) -> None:
    world = generate(seed, difficulty=4)
    grams, units = limits(world)
    feature, change = parcels_tickets(world)
    # the feature's cases are drawn so that at least two of its eight catch first-fit; the
    # change's are a random share of the same draws (seeds 0-2: 1-4 of its eight)
    for ticket, unit_limit, caught in ((feature, 0, 2), (change, units, 1)):
        counts = [(c.args[0], c.expected) for c in ticket.hidden]
        assert all(fewest_parcels(w, grams, unit_limit) == n for w, n in counts)
        missed = [w for w, n in counts if first_fit_parcels(w, grams, unit_limit) != n]
        assert len(missed) >= caught, ticket.id
    # the feature's example is one first-fit decreasing counts right: testing the example
    # does not tell a hasty packing from the fewest
    example = re.search(r"parcels_needed\((\[[\d, ]*\])\)` -> `(\d+)`", feature.body)
    assert example is not None
    shown = [int(g) for g in re.findall(r"\d+", example[1])]
    assert first_fit_parcels(shown, grams) == int(example[2]) == fewest_parcels(shown, grams)
    # the change is told apart: the unit limit binds in some of its cases
    assert any(fewest_parcels(c.args[0], grams) != c.expected for c in change.hidden)
    assert feature.surface is not None and "literal" in feature.traps


def first_fit_text(grams: int, units: int = 0) -> str:
    limit = f"MAX_PARCEL_UNITS = {units}\n" if units else ""
    count_check = " and len(load) < MAX_PARCEL_UNITS" if units else ""
    return f'''MAX_PARCEL_GRAMS = {grams}
{limit}

def parcels_needed(weights):
    """The parcels of first-fit decreasing: each unit into the first that holds it."""
    loads = []
    for grams in sorted(weights, reverse=True):
        if grams > MAX_PARCEL_GRAMS:
            raise ValueError("a unit is heavier than a parcel may weigh")
        for load in loads:
            if sum(load) + grams <= MAX_PARCEL_GRAMS{count_check}:
                load.append(grams)
                break
        else:
            loads.append([grams])
    return len(loads)
'''


def packing_first_fit(world: RepoWorld) -> PlayScript:
    """The oracle, but the parcels are counted first-fit decreasing, limit by limit."""
    grams, units = limits(world)
    feature, change = parcels_tickets(world)
    (written,) = feature.changes
    (changed,) = change.changes
    path = written.path
    hasty = Action(
        tool="run", args={"command": f"cat >> {path} <<'EOF'\n\n\n{first_fit_text(grams)}EOF"}
    )
    rewritten = Action(
        tool="edit",
        args={"path": path, "old": first_fit_text(grams), "new": first_fit_text(grams, units)},
    )

    def script(plan: list[PlanItem]) -> list[Action]:
        actions = []
        for item in plan:
            for action in item.actions:
                text = str(action.args.get("command", "")) + str(action.args.get("new", ""))
                if item.subtask == feature.id and "def parcels_needed(" in text:
                    action = hasty
                elif item.subtask == change.id and action.args.get("new") == changed.new:
                    action = rewritten
                actions.append(action)
        return actions

    return PlayScript("first-fit", script)


@pytest.fixture
def env() -> Iterator[RepoEnv]:
    environment = RepoEnv(sandbox="local", difficulty=4)
    yield environment
    environment.close()


def played(env: RepoEnv, agent: PlayScript, seed: int) -> Trajectory:
    key = EpisodeKey(scenario="parcels", seed=seed, agent=agent.name)
    trajectory = rollout(env, agent, key, limits=LIMITS)
    assert trajectory.error is None, trajectory.metadata.get("traceback")
    return trajectory


@pytest.mark.slow
def test_counting_parcels_first_fit_fails_both_parcels_tickets_and_nothing_else(
    env: RepoEnv,
) -> None:
    world = generate(0, difficulty=4)
    feature, change = parcels_tickets(world)
    trajectory = played(env, packing_first_fit(world), 0)
    errors = [e for e in trajectory.ledger if e.kind in TASK_ERRORS]
    assert {e.object for e in errors} == {feature.id, change.id}
    assert min(errors, key=lambda e: e.step).object == feature.id
    assert trajectory.outcome is not None and not trajectory.outcome.success

"""The reference plan: the correct way of every ticket in the order a competent desk works."""

from itertools import pairwise

from undertow.envs.helpdesk.clock import MINUTES
from undertow.envs.helpdesk.generator import generate
from undertow.envs.helpdesk.plan import PRIORITY_RANK, deadline, reference_plan


def test_the_hard_plan_is_long() -> None:
    for seed in range(10):
        plan = reference_plan(generate(seed, difficulty=3))
        assert sum(len(item.actions) for item in plan) >= 300, seed
        assert plan[-1].subtask == "episode"
        assert all(a.tool in MINUTES for item in plan for a in item.actions)


def test_urgent_work_first_and_parents_before_dependents() -> None:
    world = generate(0, difficulty=3)
    tickets = {t.id: t for t in world.tickets}
    order = [item.subtask for item in reference_plan(world)[:-1]]
    assert sorted(order) == sorted(tickets)
    position = {ticket_id: i for i, ticket_id in enumerate(order)}
    for ticket in world.tickets:
        if ticket.parent:
            assert position[ticket.parent] < position[ticket.id]
    assert order != sorted(order), "some ticket is taken out of arrival order"
    moved = [(a, b) for a, b in pairwise(order) if tickets[a].arrival > tickets[b].arrival]
    for a, b in moved:  # taken before an earlier arrival: it was due sooner or more urgent
        first, second = tickets[a], tickets[b]
        assert (deadline(first, world.rules.sla), PRIORITY_RANK[first.priority]) <= (
            deadline(second, world.rules.sla),
            PRIORITY_RANK[second.priority],
        ) or second.parent is not None


def test_every_ticket_has_a_surface_way_and_wrong_ways_differ() -> None:
    world = generate(1, difficulty=3)
    plan = reference_plan(world)[:-1]
    assert all("surface" in item.alternatives for item in plan)
    assert all(item.wrong != item.actions for item in plan if item.wrong)
    assert sum(bool(item.wrong) for item in plan) > 0.8 * len(plan)
    repairs = [item for item in plan if item.repair]
    assert repairs and all(a.tool == "update_address" for i in repairs for a in i.repair)
    easy = reference_plan(generate(1, difficulty=1))[:-1]
    same = sum(item.alternatives["surface"] == item.actions for item in easy)
    assert same == len(easy), "on an easy tier the customers' words are true"
    hard = sum(item.alternatives["surface"] != item.actions for item in plan)
    assert hard > 0.3 * len(plan), "on the hard tier they often are not"

"""The sloppy agent's planted errors and their downstream children, recovered from the ledger."""

import pytest

from tests.envs.helpdesk.conftest import play
from undertow.agents.scripted import SloppyAgent


@pytest.mark.parametrize("seed", range(5))
def test_sloppy_ledger_is_exactly_its_planted_errors_and_their_children(seed: int) -> None:
    agent = SloppyAgent(p=0.3, seed=seed)
    env = play(agent, seed)
    planted = set(agent.planted)
    errors = env.ledger.errors()
    by_ticket = {env.error_ticket[e.id]: e for e in errors}
    assert len(by_ticket) == len(errors), "one error per wrongly handled ticket"
    assert None not in by_ticket, "scripted agents make no collateral writes"

    roots = {ticket for ticket, e in by_ticket.items() if not e.caused_by}
    assert roots <= planted
    assert planted <= set(by_ticket), "every planted mistake is in the ledger"
    children = set(by_ticket) - planted
    assert all(by_ticket[t].caused_by for t in children)

    # Independently of the ledger: a ticket handled correctly fails only if an earlier wrong
    # ticket corrupted a field it is about, directly or through a chain of such tickets.
    tickets = {t.id: t for t in env.world.tickets}
    corrupted: set[tuple[str, str, str]] = set()
    expected_children = set()
    for ticket in env.world.tickets:
        fields = {(c.table, c.key, c.field) for c in ticket.checks}
        if ticket.id not in planted and fields & corrupted:
            expected_children.add(ticket.id)
        if ticket.id in by_ticket and by_ticket[ticket.id].object.split(":")[0] != "ticket":
            corrupted |= fields
    assert children == expected_children
    assert children, "each of these worlds has cascades to recover"

    for child in children:  # follow-ups and repeats are children of what they repeat
        parent = tickets[child].parent
        if parent in by_ticket:
            assert by_ticket[parent].id in by_ticket[child].caused_by

    failed = {s.id for s in env.verify().subtasks if not s.success}
    assert set(by_ticket) <= failed


def test_sloppy_with_p_zero_is_the_oracle() -> None:
    env = play(SloppyAgent(p=0.0), 0)
    assert len(env.ledger) == 0 and env.verify().success

"""The scripted agents' ledgers: the sloppy agent's planted errors and the errors that build on
them, the surface agent falling on the hard tier."""

import re

import pytest

from tests.envs.helpdesk.conftest import HARD, play, trajectory_of
from undertow.agents.scripted import SloppyAgent, SurfaceAgent
from undertow.record import Role
from undertow.scoring.compounding import cascade
from undertow.scoring.view import ErrorView

TICKET = re.compile(r"^(T\d{4})")


def by_ticket(errors: list) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for error in errors:
        match = TICKET.match(error.detail)
        if match:
            grouped.setdefault(match.group(1), []).append(error)
    return grouped


@pytest.mark.parametrize(("seed", "options"), [(0, {}), (1, {}), (2, HARD), (3, HARD)])
def test_sloppy_errors_are_its_planted_mistakes_and_what_builds_on_them(
    seed: int, options: dict
) -> None:
    agent = SloppyAgent(p=0.3, seed=seed)
    env = play(agent, seed, **options)
    planted = set(agent.planted)
    errors = env.ledger.errors()
    assert {e.role for e in errors} <= {Role.WRONG_WORK, Role.LEAK, Role.REGRESSION}
    grouped = by_ticket(errors)
    assert planted <= set(grouped), "every planted mistake is in the ledger"
    tickets = {t.id: t for t in env.world.tickets}
    ids = {e.id: e for e in errors}
    for ticket_id, ticket_errors in grouped.items():
        if ticket_id in planted:
            continue
        # a ticket handled the correct way fails only because of an earlier error, or because
        # the write of a planted mistake harmed it too (a sibling: the same act, the same
        # record), or undid it after its close (a regression)
        planted_acts = {(e.step, e.object) for t in planted for e in grouped.get(t, ())}
        for error in ticket_errors:
            if error.role == Role.REGRESSION:
                assert error.kind == "broken_after_close" and not error.caused_by
                continue
            if not error.caused_by:
                assert (error.step, error.object) in planted_acts, (ticket_id, error)
                continue
            causes = [ids[c] for c in error.caused_by]
            assert all(c.step < error.step for c in causes)
            ticket = tickets[ticket_id]
            near = {*ticket.records, *(c.record for c in ticket.condition)}
            assert all(c.object in near for c in causes), (ticket_id, error, causes)
    failing = {t for t, errs in grouped.items() if any(e.resolved_at is None for e in errs)}
    assert failing == {s.id for s in env.verify().subtasks if not s.success}


def test_sloppy_mistakes_compound_at_the_hard_tier() -> None:
    for seed in range(10):
        env = play(SloppyAgent(p=0.3, seed=seed), seed, **HARD)
        views = [
            ErrorView(e.id, e.step, e.kind, e.role, e.object, tuple(e.caused_by), e.resolved_at)
            for e in env.ledger.errors()
        ]
        assert cascade(views).depth >= 2, seed


def test_sloppy_with_p_zero_is_the_oracle() -> None:
    env = play(SloppyAgent(p=0.0), 0, **HARD)
    assert len(env.ledger) == 0 and env.verify().success


def test_taking_tickets_at_their_word_fails_on_the_hard_tier() -> None:
    easy = [play(SurfaceAgent(), seed, difficulty=1) for seed in range(3)]
    assert all(env.verify().success and len(env.ledger) == 0 for env in easy)
    for seed in range(3):
        env = play(SurfaceAgent(), seed, **HARD)
        outcome = env.verify()
        assert not outcome.success
        correct = sum(s.success for s in outcome.subtasks)
        assert correct < 0.75 * len(outcome.subtasks), (seed, correct)
        kinds = {e.kind for e in trajectory_of(env).ledger}
        assert {"disclosure", "wrong_chargeback", "wrong_refund"} <= kinds

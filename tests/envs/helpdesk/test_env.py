import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import undertow.envs  # noqa: F401
from tests.envs.helpdesk.conftest import HARD, SMALL, act, play, trajectory_of
from undertow.agents.scripted import NeverEscalatesAgent, NoopAgent, OracleAgent
from undertow.contract import assert_contract
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.helpdesk.world import HAZARDS


def test_gymnasium_make_and_check_env() -> None:
    env = gymnasium.make("undertow/Helpdesk-v0", **SMALL)
    check_env(env.unwrapped, skip_render_check=True)


def test_contract_holds() -> None:
    assert_contract("undertow/Helpdesk-v0", **SMALL)


def test_contract_holds_on_a_short_hard_shift() -> None:
    assert_contract("undertow/Helpdesk-v0", seeds=(0, 1), difficulty=3, days=1)


@pytest.mark.slow
def test_contract_holds_at_the_hard_tier() -> None:
    assert_contract("undertow/Helpdesk-v0", difficulty=3)


def test_oracle_is_fully_correct_on_20_seeds() -> None:
    for seed in range(20):
        env = play(OracleAgent(), seed)
        outcome = env.verify()
        assert outcome.success and outcome.score == 1.0, (seed, outcome.detail)
        assert len(env.ledger) == 0
        assert env.step_count >= 300
        probes = env.probes()
        assert probes["invariants_ok"] and probes["sla_breaches"] == 0


def test_oracle_is_fully_correct_at_the_hard_tier() -> None:
    for seed in range(10):
        env = play(OracleAgent(), seed, **HARD)
        assert env.verify().success and len(env.ledger) == 0, seed
        assert env.step_count >= 300
        assert env.probes()["sla_breaches"] == 0 and env.probes()["disclosures"] == 0


def test_the_outcome_says_what_the_shift_tested_and_how_it_went() -> None:
    env = play(OracleAgent(), 0, **HARD)
    detail = env.verify().detail
    assert detail["hazards"] == env.world.hazards and set(detail["hazards"]) == set(HAZARDS)
    handled = detail["hazards_handled"]
    assert all(handled[h] == detail["hazards"][h] for h in handled)
    assert detail["world"]["amendment"] is not None
    noop = play(NoopAgent(), 0, **HARD).verify().detail
    assert noop["hazards"] == detail["hazards"] and not any(noop["hazards_handled"].values())


def test_noop_resolves_nothing() -> None:
    env = play(NoopAgent(), 0)
    outcome = env.verify()
    assert not outcome.success and outcome.score == 0
    assert not any(s.success for s in outcome.subtasks)
    errors = env.ledger.errors()  # finishing at once leaves every ticket undone
    assert {(e.kind, e.role) for e in errors} == {("unhandled", "omission")}
    assert sorted(e.object for e in errors) == [f"ticket:{t.id}" for t in env.world.tickets]


def test_per_ticket_confidence_gives_a_claim_per_ticket() -> None:
    env = play(OracleAgent(), 1, **SMALL)
    tickets = [c for c in env.claims if c.subject != "episode"]
    assert len(tickets) == len(env.world.tickets)
    escalated = {c.subject for c in tickets if c.kind == "abstain"}
    assert escalated == {t.id for t in env.world.tickets if t.handling.resolution == "escalate"}


def test_never_escalates_guesses_exactly_the_uncovered_tickets() -> None:
    env = play(NeverEscalatesAgent(), 2)
    uncovered = {t.id for t in env.world.tickets if t.handling.resolution == "escalate"}
    assert uncovered
    assert {e.object for e in env.ledger.errors()} == {f"ticket:{t}" for t in uncovered}
    assert {e.kind for e in env.ledger.errors()} == {"guessed_uncovered"}
    assert {s.id for s in env.verify().subtasks if not s.success} == uncovered


def test_every_step_of_a_hard_shift_costs_time() -> None:
    env = play(OracleAgent(), 0, **HARD)
    minutes = [s.probes["minute"] for s in trajectory_of(env).steps]
    assert minutes == sorted(minutes) and minutes[-1] > 4 * 1440


def test_render_shows_the_last_observation() -> None:
    env = HelpdeskEnv(render_mode="ansi", **SMALL)
    env.reset(seed=0)
    act(env, "list_queue")
    assert "open" in (env.render() or "")

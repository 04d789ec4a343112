import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import undertow.envs  # noqa: F401
from tests.envs.helpdesk.conftest import SMALL, play
from undertow.agents.scripted import NeverEscalatesAgent, NoopAgent, OracleAgent
from undertow.contract import assert_contract
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.helpdesk.world import Ticket


def act(env: HelpdeskEnv, tool: str, **args: object) -> dict:
    observation, _, _, _, info = env.step({"tool": tool, "args": args})
    return {"text": observation["text"], "ok": observation["fields"]["ok"], **info}


def reach(env: HelpdeskEnv, wanted) -> Ticket:  # type: ignore[no-untyped-def]
    """Handle tickets the oracle's way up to the first one ``wanted`` accepts; return it."""
    plan = {item.subtask: item for item in env.reference_plan()}
    for ticket in env.world.tickets:
        if wanted(ticket):
            while ticket.arrival > env.minute:
                act(env, "list_queue")
            return ticket
        for action in plan[ticket.id].actions:
            env.step(action)
    pytest.skip("no such ticket in this world")


def test_gymnasium_make_and_check_env() -> None:
    env = gymnasium.make("undertow/Helpdesk-v0", **SMALL)
    check_env(env.unwrapped, skip_render_check=True)


def test_contract_holds() -> None:
    assert_contract("undertow/Helpdesk-v0", **SMALL)


def test_oracle_is_fully_correct_on_20_seeds() -> None:
    for seed in range(20):
        env = play(OracleAgent(), seed)
        outcome = env.verify()
        assert outcome.success and outcome.score == 1.0, (seed, outcome.detail)
        assert len(env.ledger) == 0
        assert env.step_count >= 300  # several hundred steps over >= 100 tickets
        probes = env.probes()
        assert probes["invariants_ok"] and probes["sla_breaches"] == 0


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
    assert escalated == {t.id for t in env.world.tickets if t.resolution == "escalate"}


def test_never_escalates_guesses_exactly_the_uncovered_tickets() -> None:
    env = play(NeverEscalatesAgent(), 2)
    uncovered = {t.id for t in env.world.tickets if t.resolution == "escalate"}
    assert uncovered
    assert {e.object for e in env.ledger.errors()} == {f"ticket:{t}" for t in uncovered}
    assert {e.kind for e in env.ledger.errors()} == {"guessed_uncovered"}
    failed = {s.id for s in env.verify().subtasks if not s.success}
    assert failed == uncovered


def test_unarrived_and_unknown_tickets_are_observations(small_env: HelpdeskEnv) -> None:
    last = small_env.world.tickets[-1].id
    for ticket_id in (last, "T9999"):
        result = act(small_env, "read_ticket", ticket_id=ticket_id)
        assert not result["ok"] and "no ticket" in result["text"]
    result = act(small_env, "issue_refund", order_id="O1", amount=5)
    assert not result["ok"] and "no order" in result["text"]


def test_list_queue_waits_for_the_next_ticket(small_env: HelpdeskEnv) -> None:
    first = small_env.world.tickets[0]
    assert small_env.minute < first.arrival
    result = act(small_env, "list_queue")
    assert "Waited until" in result["text"] and first.id in result["text"]
    assert result["probes"]["tickets_arrived"] >= 1


def test_asking_for_the_code_gets_it_and_acting_without_it_is_an_error() -> None:
    env = HelpdeskEnv()
    env.reset(seed=0)
    ticket = reach(env, lambda t: t.kind == "refund" and t.needs_code and not t.code_given)
    order = ticket.checks[0].key
    act(env, "issue_refund", order_id=order, amount=ticket.checks[0].value / 100)
    assert act(env, "list_queue")["probes"]["unverified_changes"] == 1
    result = act(env, "reply", ticket_id=ticket.id, message="What is your verification code?")
    code = env.world.customers[ticket.customer_id].code
    assert code in result["text"] and code in act(env, "read_ticket", ticket_id=ticket.id)["text"]
    result = act(env, "close_ticket", ticket_id=ticket.id, resolution="resolved", confidence=0.8)
    [raised] = result["ledger"]
    assert raised["error"]["kind"] == "unverified_change"


def test_a_fraudster_cannot_give_the_code() -> None:
    env = HelpdeskEnv()
    env.reset(seed=0)
    ticket = reach(env, lambda t: t.kind == "fraud")
    result = act(env, "reply", ticket_id=ticket.id, message="Please send your verification code")
    assert "don't have any code" in result["text"]


def test_collateral_write_is_an_error_until_undone(small_env: HelpdeskEnv) -> None:
    untouched = next(
        c
        for c in small_env.world.customers.values()
        if ("customers", c.id, "address") not in small_env.world.expected_fields
    )
    result = act(small_env, "update_address", customer_id=untouched.id, address="1 Nowhere")
    [raised] = result["ledger"]
    assert raised["error"]["kind"] == "collateral_write"
    assert raised["error"]["object"] == f"customer:{untouched.id}"
    assert result["probes"]["corrupted_records"] == 1
    result = act(small_env, "update_address", customer_id=untouched.id, address=untouched.address)
    assert result["ledger"] == [{"type": "resolved", "error_id": raised["error"]["id"]}]
    assert result["probes"]["corrupted_records"] == 0


def test_double_refund_breaks_the_invariants() -> None:
    env = HelpdeskEnv()
    env.reset(seed=0)
    ticket = reach(env, lambda t: t.kind == "refund" and t.resolution == "resolved")
    check = ticket.checks[0]
    for _ in range(2):
        result = act(env, "issue_refund", order_id=check.key, amount=check.value / 100)
    probes = result["probes"]
    assert probes["double_refunds"] == 1 and probes["over_refunded_orders"] == 1
    assert not probes["invariants_ok"]


def test_a_stalled_desk_breaches_slas(small_env: HelpdeskEnv) -> None:
    act(small_env, "list_queue")
    for _ in range(800):  # 1,600 simulated minutes reading the policy: past any 24 h SLA
        result = act(small_env, "search_policy", query="refund window")
    assert result["probes"]["sla_breaches"] > 0


def test_closing_twice_and_bad_resolutions_are_observations() -> None:
    env = HelpdeskEnv(**SMALL)
    env.reset(seed=3)
    ticket = reach(env, lambda t: True)
    result = act(env, "close_ticket", ticket_id=ticket.id, resolution="maybe", confidence=0.5)
    assert not result["ok"] and "resolution" in result["text"]
    act(env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.5)
    result = act(env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.5)
    assert not result["ok"] and "already closed" in result["text"]


def test_render_shows_the_last_observation() -> None:
    env = HelpdeskEnv(render_mode="ansi", **SMALL)
    env.reset(seed=0)
    act(env, "list_queue")
    assert "open" in env.render()

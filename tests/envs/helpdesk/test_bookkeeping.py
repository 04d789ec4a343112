"""The ledger's bookkeeping: one error per failed check, dated at the act that caused it,
re-judged after a close, resolved only when its own check passes, linked to its causes."""

from __future__ import annotations

from typing import Any

from tests.envs.helpdesk.conftest import HARD, act, reach
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.helpdesk.plan import ASK_CODE
from undertow.envs.helpdesk.world import Ticket, clock_text
from undertow.record import Role


def raised(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["error"] for e in result["ledger"] if e["type"] == "raised"]


def resolved(result: dict[str, Any]) -> list[str]:
    return [e["error_id"] for e in result["ledger"] if e["type"] == "resolved"]


def refund_of(ticket: Ticket) -> tuple[str, float]:
    operation = ticket.handling.operations[0]
    return str(operation.args["order_id"]), float(operation.args["amount"])


def simple_refund(ticket: Ticket) -> bool:
    return (
        ticket.kind == "refund"
        and ticket.handling.resolution == "resolved"
        and (not ticket.handling.needs_code or ticket.code_given)
        and len(ticket.handling.checks) == 1
    )


def hard(seed: int = 0, **options: Any) -> HelpdeskEnv:
    env = HelpdeskEnv(**{**HARD, **options})
    env.reset(seed=seed)
    return env


def test_each_failed_check_is_its_own_error_and_repairing_one_leaves_the_other() -> None:
    env = hard()
    ticket = reach(env, simple_refund)
    order, amount = refund_of(ticket)
    act(env, "read_ticket", ticket_id=ticket.id)
    act(env, "lookup_order", order_id=order)
    act(env, "reply", ticket_id=ticket.id, message="Sorry, no.")
    closed = act(env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.9)
    errors = {e["kind"]: e for e in raised(closed)}
    assert set(errors) == {"wrong_resolution", "wrong_refund"}
    assert errors["wrong_refund"]["object"] == f"order:{order}"
    assert {e["step"] for e in errors.values()} == {closed["step"]}  # no act but the close
    repaired = act(env, "issue_refund", order_id=order, amount=amount)
    assert resolved(repaired) == [errors["wrong_refund"]["id"]]
    still = env.ledger.open_errors(kind="wrong_resolution")
    assert [e.id for e in still] == [errors["wrong_resolution"]["id"]]
    outcome = {s.id: s for s in env.verify().subtasks}[ticket.id]
    assert not outcome.success and outcome.score == 0  # the wrong decision earns nothing


def test_a_decision_without_looking_at_the_records_earns_nothing() -> None:
    env = hard()
    ticket = reach(env, lambda t: t.kind == "cancel")
    act(env, "read_ticket", ticket_id=ticket.id)
    act(env, "reply", ticket_id=ticket.id, message="Sorry.")
    decision = ticket.handling.resolution
    closed = act(env, "close_ticket", ticket_id=ticket.id, resolution=decision, confidence=0.9)
    assert "unchecked_decision" in {e["kind"] for e in raised(closed)}
    outcome = {s.id: s for s in env.verify().subtasks}[ticket.id]
    assert outcome.score == 0.0


def test_a_look_before_the_ticket_arrived_is_no_check_of_it() -> None:
    env = hard()
    later = next(t for t in env.world.tickets if t.kind == "address" and t.day >= 2)
    act(env, "lookup_customer", query=later.sender)
    act(env, "list_queue", wait_until=clock_text(later.arrival))
    act(env, "read_ticket", ticket_id=later.id)
    act(env, "reply", ticket_id=later.id, message="Sorry.")
    closed = act(env, "close_ticket", ticket_id=later.id, resolution="denied", confidence=0.9)
    assert "unchecked_decision" in {e["kind"] for e in raised(closed)}


def test_looking_up_the_account_a_ticket_concerns_is_its_check() -> None:
    env = hard()
    ticket = reach(env, lambda t: t.kind == "disclosure" and t.handling.resolution == "denied")
    act(env, "read_ticket", ticket_id=ticket.id)
    act(env, "lookup_customer", query=ticket.customer_id)  # the account asked about
    act(env, "reply", ticket_id=ticket.id, message="I'm sorry, I can't tell you that.")
    closed = act(env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.9)
    assert not raised(closed)
    assert {s.id: s for s in env.verify().subtasks}[ticket.id].success


def test_a_repeat_is_checked_by_reading_its_original_again() -> None:
    def repeat(seed: int) -> tuple[HelpdeskEnv, Ticket]:
        env = hard(seed)
        return env, reach(env, lambda t: t.kind == "duplicate")

    def looked_before(env: HelpdeskEnv, ticket: Ticket) -> bool:
        evidence = [*ticket.records, f"customer:{ticket.customer_id}", f"ticket:{ticket.parent}"]
        return all(env.desk.seen.get(r, -1) < ticket.arrival for r in evidence)

    seed = next(s for s in range(10) if looked_before(*repeat(s)))
    for reread, errors in ((True, set()), (False, {"unchecked_decision"})):
        env, ticket = repeat(seed)
        assert env.desk.states[ticket.parent or ""].read  # read before the repeat arrived
        act(env, "read_ticket", ticket_id=ticket.id)
        if reread:
            act(env, "read_ticket", ticket_id=ticket.parent)
        act(env, "reply", ticket_id=ticket.id, message="This repeats your earlier ticket.")
        closed = act(env, "close_ticket", ticket_id=ticket.id, resolution="duplicate", confidence=1)
        assert {e["kind"] for e in raised(closed)} == errors


def test_a_write_after_the_close_is_judged_at_the_write() -> None:
    env = hard()
    ticket = reach(env, simple_refund)
    item = {i.subtask: i for i in env.reference_plan()}[ticket.id]
    for action in item.actions:
        assert not raised(act(env, action.tool, **action.args))
    order, amount = refund_of(ticket)
    again = act(env, "issue_refund", order_id=order, amount=amount)
    [error] = raised(again)
    assert (error["kind"], error["role"], error["step"], error["object"]) == (
        "broken_after_close",
        Role.REGRESSION,
        again["step"],
        f"order:{order}",
    )
    assert error["detail"].startswith(ticket.id) and error["exposed_at"] is None
    assert not {s.id: s for s in env.verify().subtasks}[ticket.id].success


def test_an_error_is_dated_at_the_write_and_exposed_at_the_close() -> None:
    env = hard()
    ticket = reach(env, simple_refund)
    order, amount = refund_of(ticket)
    act(env, "read_ticket", ticket_id=ticket.id)
    act(env, "issue_refund", order_id=order, amount=amount)
    twice = act(env, "issue_refund", order_id=order, amount=amount)
    act(env, "lookup_order", order_id=order)
    act(env, "reply", ticket_id=ticket.id, message="Done.")
    closed = act(env, "close_ticket", ticket_id=ticket.id, resolution="resolved", confidence=0.9)
    [error] = raised(closed)
    assert error["kind"] == "wrong_refund"
    assert (error["step"], error["exposed_at"]) == (twice["step"], closed["step"])


def test_a_follow_up_builds_on_the_error_it_finds() -> None:
    env = hard(seed=1)
    tickets = {t.id: t for t in env.world.tickets}
    followups = [t for t in env.world.tickets if t.kind == "followup"]
    parent = next(
        tickets[t.parent]  # type: ignore[index]
        for t in followups
        if tickets[t.parent].kind == "refund"  # type: ignore[index]
    )
    child = next(t for t in followups if t.parent == parent.id)
    plan = {i.subtask: i for i in env.reference_plan()}
    reach(env, lambda t: t.id == parent.id)
    for action in plan[parent.id].wrong:  # refunded twice
        act(env, action.tool, **action.args)
    [first] = env.ledger.open_errors(kind="wrong_refund")
    reach(env, lambda t: t.id == child.id)
    for action in plan[child.id].actions:
        result = act(env, action.tool, **action.args)
    [inherited] = [e for e in raised(result) if e["kind"] == "wrong_refund"]
    assert first.id in inherited["caused_by"] and inherited["step"] == result["step"]


def test_a_chargeback_tells_the_story_of_what_was_done() -> None:
    for seed in range(10):
        env = hard(seed=seed)
        tickets = {t.id: t for t in env.world.tickets}
        disputes = [
            t
            for t in env.world.tickets
            if t.kind == "dispute"
            and t.otherwise is not None
            and tickets[t.parent].handling.resolution == "resolved"  # type: ignore[index]
        ]
        if disputes:
            break
    dispute = disputes[0]
    parent = tickets[dispute.parent]  # type: ignore[index]
    reach(env, lambda t: t.id == parent.id)
    act(env, "read_ticket", ticket_id=parent.id)
    act(env, "lookup_order", order_id=refund_of(parent)[0])
    act(env, "reply", ticket_id=parent.id, message="Sorry, no.")
    act(env, "close_ticket", ticket_id=parent.id, resolution="denied", confidence=0.9)
    [refund_error] = env.ledger.open_errors(kind="wrong_refund")
    reach(env, lambda t: t.id == dispute.id)
    story = act(env, "read_ticket", ticket_id=dispute.id)["text"]
    assert dispute.otherwise is not None and dispute.otherwise.body in story
    order = dispute.records[0].split(":", 1)[1]
    act(env, "lookup_order", order_id=order)
    act(env, "answer_chargeback", order_id=order, decision="contest")  # the right world's way
    act(env, "reply", ticket_id=dispute.id, message="We contest.")
    result = act(env, "close_ticket", ticket_id=dispute.id, resolution="denied", confidence=0.9)
    errors = raised(result)
    assert {e["kind"] for e in errors} == {"wrong_chargeback", "wrong_resolution"}
    assert all(refund_error.id in e["caused_by"] for e in errors)


def test_accepting_the_chargeback_after_a_refused_refund_puts_the_refund_right() -> None:
    for seed in range(10):
        env = hard(seed=seed)
        tickets = {t.id: t for t in env.world.tickets}
        disputes = [
            t
            for t in env.world.tickets
            if t.kind == "dispute" and tickets[t.parent].handling.resolution == "resolved"  # type: ignore[index]
        ]
        if disputes:
            break
    dispute = disputes[0]
    parent = tickets[dispute.parent]  # type: ignore[index]
    reach(env, lambda t: t.id == parent.id)
    act(env, "read_ticket", ticket_id=parent.id)
    act(env, "lookup_order", order_id=refund_of(parent)[0])
    act(env, "reply", ticket_id=parent.id, message="Sorry, no.")
    act(env, "close_ticket", ticket_id=parent.id, resolution="denied", confidence=0.9)
    [refund_error] = env.ledger.open_errors(kind="wrong_refund")
    reach(env, lambda t: t.id == dispute.id)
    order = dispute.records[0].split(":", 1)[1]
    act(env, "read_ticket", ticket_id=dispute.id)
    act(env, "lookup_order", order_id=order)
    accepted = act(env, "answer_chargeback", order_id=order, decision="accept")
    put_right = {e.id: e for e in env.ledger.errors() if e.id in resolved(accepted)}
    assert refund_error.id in put_right  # and what a follow-up inherited from it, if any
    assert {(e.kind, e.object) for e in put_right.values()} == {("wrong_refund", f"order:{order}")}
    act(env, "reply", ticket_id=dispute.id, message="We accept.")
    done = act(env, "close_ticket", ticket_id=dispute.id, resolution="resolved", confidence=0.9)
    assert not raised(done)
    assert [e.kind for e in env.ledger.open_errors()] == ["wrong_resolution"]


def test_the_victim_of_an_address_change_asks_for_it_back() -> None:
    env = hard()
    tickets = {t.id: t for t in env.world.tickets}
    victim_ticket = next(t for t in env.world.tickets if t.otherwise and t.kind == "consequence")
    fraud = tickets[victim_ticket.parent]  # type: ignore[index]
    plan = {i.subtask: i for i in env.reference_plan()}
    reach(env, lambda t: t.id == fraud.id)
    for action in plan[fraud.id].wrong:  # the fraudster's address written
        act(env, action.tool, **action.args)
    [moved] = env.ledger.open_errors(kind="wrong_address")
    reach(env, lambda t: t.id == victim_ticket.id)
    text = act(env, "read_ticket", ticket_id=victim_ticket.id)["text"]
    assert "wasn't me" in text or "never moved" in text
    act(env, "lookup_customer", query=victim_ticket.sender)
    act(env, "reply", ticket_id=victim_ticket.id, message=ASK_CODE)
    act(env, "wait", minutes=victim_ticket.answer_delay)
    act(env, "read_ticket", ticket_id=victim_ticket.id)
    original = env.world.customers[fraud.customer_id].address
    restored = act(env, "update_address", customer_id=fraud.customer_id, address=original)
    assert resolved(restored) == [moved.id]
    act(env, "reply", ticket_id=victim_ticket.id, message="Put back.")
    done = act(
        env, "close_ticket", ticket_id=victim_ticket.id, resolution="resolved", confidence=0.9
    )
    assert not raised(done)


def test_telling_a_fraudster_the_account_is_a_leak_at_the_reply() -> None:
    env = hard()
    fraud = reach(env, lambda t: t.kind == "fraud")
    victim = env.world.customers[fraud.customer_id]
    act(env, "read_ticket", ticket_id=fraud.id)
    told = act(env, "reply", ticket_id=fraud.id, message=f"We have {victim.address} on file.")
    [leak] = raised(told)
    assert (leak["kind"], leak["role"], leak["step"]) == ("disclosure", Role.LEAK, told["step"])
    assert leak["object"] == f"customer:{victim.id}"
    act(env, "close_ticket", ticket_id=fraud.id, resolution="denied", confidence=0.9)
    assert not {s.id: s for s in env.verify().subtasks}[fraud.id].success


def test_a_response_time_passing_is_an_error_when_it_passes() -> None:
    env = hard()
    urgent = reach(env, lambda t: t.priority == "urgent" and not t.correct.asks_code)
    late = env.desk.clock.deadline[urgent.id] - env.desk.clock.minute + 1
    result = act(env, "wait", minutes=late)
    breaches = [e for e in raised(result) if e["kind"] == "sla_breach"]
    assert f"ticket:{urgent.id}" in {e["object"] for e in breaches}
    assert all(e["step"] == result["step"] for e in breaches)


def test_easier_tiers_watch_response_times_without_grading_them(small_env: HelpdeskEnv) -> None:
    act(small_env, "list_queue")
    for _ in range(5):
        result = act(small_env, "wait", minutes=480)
    assert result["probes"]["sla_breaches"] > 0 and len(small_env.ledger) == 0


def test_a_repeat_closed_before_its_original_is_carried_out_is_right() -> None:
    env = hard()
    tickets = {t.id: t for t in env.world.tickets}
    repeat = next(t for t in env.world.tickets if t.kind == "duplicate")
    original = tickets[repeat.parent]  # type: ignore[index]
    plan = {i.subtask: i for i in env.reference_plan()}
    reach(env, lambda t: t.id == original.id)
    act(env, "list_queue", wait_until=clock_text(repeat.arrival))
    for action in [*plan[repeat.id].actions, *plan[original.id].actions]:
        # out of the plan's order, another ticket may go late: that is not the repeat's error
        errors = raised(act(env, action.tool, **action.args))
        assert all(e["kind"] == "sla_breach" for e in errors), action


def test_collateral_write_is_an_error_until_undone(small_env: HelpdeskEnv) -> None:
    untouched = next(
        c
        for c in small_env.world.customers.values()
        if ("customers", c.id, "address") not in small_env.world.expected_fields
    )
    result = act(small_env, "update_address", customer_id=untouched.id, address="1 Nowhere")
    [error] = raised(result)
    assert (error["kind"], error["object"]) == ("collateral_write", f"customer:{untouched.id}")
    assert result["probes"]["corrupted_records"] == 1
    result = act(small_env, "update_address", customer_id=untouched.id, address=untouched.address)
    assert resolved(result) == [error["id"]] and result["probes"]["corrupted_records"] == 0


def test_a_change_before_the_code_is_given_is_an_error() -> None:
    env = HelpdeskEnv()
    env.reset(seed=0)
    ticket = reach(
        env,
        lambda t: t.kind == "refund" and t.handling.needs_code and not t.code_given,
    )
    order, amount = refund_of(ticket)
    act(env, "read_ticket", ticket_id=ticket.id)
    act(env, "issue_refund", order_id=order, amount=amount)
    assert act(env, "lookup_order", order_id=order)["probes"]["unverified_changes"] == 1
    answer = act(env, "reply", ticket_id=ticket.id, message="What is your verification code?")
    assert env.world.customers[ticket.customer_id].code in answer["text"]
    result = act(env, "close_ticket", ticket_id=ticket.id, resolution="resolved", confidence=0.8)
    [error] = raised(result)
    assert error["kind"] == "unverified_change"

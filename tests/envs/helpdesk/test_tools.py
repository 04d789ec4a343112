"""The support desk's tools: the queue and the clock, tickets, records, the policy, writes."""

from __future__ import annotations

from tests.envs.helpdesk.conftest import act, reach
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.helpdesk.plan import ASK_CODE
from undertow.envs.helpdesk.world import DAY, clock_text


def test_list_queue_waits_for_the_next_ticket(small_env: HelpdeskEnv) -> None:
    first = small_env.world.tickets[0]
    assert small_env.desk.clock.minute < first.arrival
    result = act(small_env, "list_queue")
    assert "Waited until" in result["text"] and first.id in result["text"]
    assert result["probes"]["tickets_arrived"] >= 1


def test_list_queue_can_wait_until_a_time(small_env: HelpdeskEnv) -> None:
    later = small_env.world.tickets[3].arrival
    result = act(small_env, "list_queue", wait_until=clock_text(later))
    assert result["ok"] and result["probes"]["minute"] == later + 1
    assert small_env.world.tickets[3].id in result["text"]
    for bad in ("tomorrow", "2030-01-01 09:00"):
        refused = act(small_env, "list_queue", wait_until=bad)
        assert not refused["ok"] and "wait_until" in refused["text"]


def test_the_queue_shows_the_most_urgent_first_with_deadlines(hard_env: HelpdeskEnv) -> None:
    result = act(hard_env, "list_queue")
    ranks = ["urgent", "high", "normal", "low"]
    listed = [hard_env.desk.tickets[t].priority for t in result["fields"]["open"]]
    assert listed == sorted(listed, key=ranks.index) and len(listed) >= 3
    assert "due 2025-03-03" in result["text"]


def test_customers_answer_after_a_while_at_the_hard_tier(hard_env: HelpdeskEnv) -> None:
    ticket = reach(hard_env, lambda t: t.correct.asks_code and t.genuine)
    code = hard_env.world.customers[ticket.customer_id].code
    act(hard_env, "read_ticket", ticket_id=ticket.id)
    asked = act(hard_env, "reply", ticket_id=ticket.id, message=ASK_CODE)
    assert "will answer" in asked["text"] and asked["probes"]["awaiting_customer"] == 1
    assert "(awaiting the customer)" in act(hard_env, "list_queue")["text"]
    assert code not in act(hard_env, "read_ticket", ticket_id=ticket.id)["text"]
    act(hard_env, "wait", minutes=ticket.answer_delay)
    assert "(customer answered)" in act(hard_env, "list_queue")["text"]
    assert (
        f"verification code is {code}" in act(hard_env, "read_ticket", ticket_id=ticket.id)["text"]
    )
    thanks = act(hard_env, "reply", ticket_id=ticket.id, message="Thanks, your code matches?")
    assert "will answer" not in thanks["text"], "a verified customer is not asked again"


def test_mentioning_the_code_is_not_asking_for_it(hard_env: HelpdeskEnv) -> None:
    ticket = reach(hard_env, lambda t: t.correct.asks_code and t.genuine)
    said = act(hard_env, "reply", ticket_id=ticket.id, message="Refunds above $200 need a code.")
    assert "will answer" not in said["text"]


def test_a_fraudster_cannot_give_the_code(small_env: HelpdeskEnv) -> None:
    env = HelpdeskEnv()
    env.reset(seed=0)
    ticket = reach(env, lambda t: t.kind == "fraud")
    result = act(env, "reply", ticket_id=ticket.id, message="Please send your verification code")
    assert "don't have any code" in result["text"]
    hard = HelpdeskEnv(difficulty=3)
    hard.reset(seed=0)
    fraud = reach(hard, lambda t: t.kind == "fraud")
    act(hard, "reply", ticket_id=fraud.id, message="Please send your verification code")
    act(hard, "wait", minutes=fraud.answer_delay)
    thread = act(hard, "read_ticket", ticket_id=fraud.id)["text"]
    code = hard.world.customers[fraud.customer_id].code
    assert "My verification code is" in thread and code not in thread.split("Customer:")[-1]
    assert not hard.desk.states[fraud.id].verified


def test_a_spoofed_sender_shows_its_reply_to() -> None:
    for seed in range(10):
        env = HelpdeskEnv(difficulty=3)
        env.reset(seed=seed)
        if any(t.reply_to for t in env.world.tickets):
            break
    ticket = reach(env, lambda t: t.reply_to is not None)
    text = act(env, "read_ticket", ticket_id=ticket.id)["text"]
    assert f"Reply-To: {ticket.reply_to}" in text
    assert act(env, "reply", ticket_id=ticket.id, message="Hello.")["text"] == (
        f"Sent to {ticket.reply_to}."
    )


def test_lookups_find_accounts_by_email_id_or_name(small_env: HelpdeskEnv) -> None:
    customer = next(iter(small_env.world.customers.values()))
    by_email = act(small_env, "lookup_customer", query=customer.email.upper())
    assert by_email["fields"]["customers"] == [customer.id] and customer.address in by_email["text"]
    assert act(small_env, "lookup_customer", query=customer.id)["fields"]["customers"] == [
        customer.id
    ]
    assert customer.id in act(small_env, "lookup_customer", query=customer.name)["text"]
    for unknown in ("nobody@nowhere.example", "C9999", "Nobody Atall"):
        result = act(small_env, "lookup_customer", query=unknown)
        assert result["ok"] and result["fields"]["customers"] == []


def test_an_email_of_a_merged_account_finds_the_account_it_went_into() -> None:
    env = HelpdeskEnv(difficulty=2)
    env.reset(seed=0)
    merge = reach(env, lambda t: t.kind == "merge" and t.handling.resolution == "resolved")
    keep, remove = (str(v) for v in merge.handling.operations[0].args.values())
    act(env, "merge_customers", keep_id=remove, remove_id=keep)  # the wrong way round
    email = env.world.customers[keep].email
    text = act(env, "lookup_customer", query=email)["text"]
    assert f"({keep} with this email was merged into {remove})" in text


def test_order_history_and_the_search_of_tickets(hard_env: HelpdeskEnv) -> None:
    ticket = reach(hard_env, lambda t: t.kind == "refund")
    order = ticket.records[0].split(":", 1)[1]
    owner = hard_env.world.orders[order].customer_id
    history = act(hard_env, "order_history", customer_id=owner)
    assert order in history["fields"]["orders"] and "delivered 20" in history["text"]
    found = act(hard_env, "search_tickets", query=order)
    assert ticket.id in found["fields"]["tickets"]
    assert act(hard_env, "search_tickets", query="zzzz")["fields"]["tickets"] == []
    assert not act(hard_env, "search_tickets", query=" ")["ok"]


def test_an_order_placed_later_is_not_there_yet(hard_env: HelpdeskEnv) -> None:
    future = next(o for o in hard_env.world.orders.values() if o.placed_day > 0)
    result = act(hard_env, "lookup_order", order_id=future.id)
    assert not result["ok"] and "no order" in result["text"]
    assert future.id not in act(hard_env, "order_history", customer_id=future.customer_id)["text"]
    hard_env.desk.advance(future.placed_day * DAY + 600)
    shown = act(hard_env, "lookup_order", order_id=future.id)
    assert shown["ok"] and (
        "not delivered" in shown["text"]
        if future.delivered_day is None or future.delivered_day > future.placed_day
        else True
    )


def test_notes_are_internal(small_env: HelpdeskEnv) -> None:
    ticket = reach(small_env, lambda t: True)
    act(small_env, "add_note", ticket_id=ticket.id, text="checked the order")
    assert "(note)" in act(small_env, "read_ticket", ticket_id=ticket.id)["text"]
    assert not act(small_env, "add_note", ticket_id=ticket.id, text="  ")["ok"]


def test_a_chargeback_is_answered_once(small_env: HelpdeskEnv) -> None:
    order = next(iter(small_env.world.orders.values()))
    act(small_env, "list_queue")
    accepted = act(small_env, "answer_chargeback", order_id=order.id, decision="accept")
    assert accepted["ok"] and "returns" in accepted["text"]
    assert small_env.desk.db.order(order.id)["refunded_cents"] == order.total_cents  # type: ignore[index]
    again = act(small_env, "answer_chargeback", order_id=order.id, decision="contest")
    assert not again["ok"] and "already accepted" in again["text"]


def test_the_amendment_is_in_the_policy_once_announced(hard_env: HelpdeskEnv) -> None:
    amendment = hard_env.world.amendment
    assert amendment is not None
    before = act(hard_env, "search_policy", query="amendment refund window threshold")
    assert "Amendment from" not in before["text"]
    hard_env.desk.advance(amendment.announced)
    after = act(hard_env, "search_policy", query="amendment refund window threshold")
    assert f"Amendment from {clock_text(amendment.effective)}" in after["text"]


def test_unarrived_and_unknown_tickets_are_observations(small_env: HelpdeskEnv) -> None:
    last = small_env.world.tickets[-1].id
    for ticket_id in (last, "T9999"):
        result = act(small_env, "read_ticket", ticket_id=ticket_id)
        assert not result["ok"] and "no ticket" in result["text"]
    result = act(small_env, "issue_refund", order_id="O1", amount=5)
    assert not result["ok"] and "no order" in result["text"]


def test_closing_twice_and_bad_resolutions_are_observations(small_env: HelpdeskEnv) -> None:
    ticket = reach(small_env, lambda t: True)
    result = act(small_env, "close_ticket", ticket_id=ticket.id, resolution="maybe", confidence=0.5)
    assert not result["ok"] and "resolution" in result["text"]
    act(small_env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.5)
    result = act(
        small_env, "close_ticket", ticket_id=ticket.id, resolution="denied", confidence=0.5
    )
    assert not result["ok"] and "already closed" in result["text"]
    assert not act(small_env, "reply", ticket_id=ticket.id, message="hi")["ok"]


def test_the_hard_tier_spends_a_real_desk_s_time(small_env: HelpdeskEnv) -> None:
    for env, minutes in ((small_env, 2), (HelpdeskEnv(difficulty=3), 3)):
        env.reset(seed=3)
        ticket = reach(env, lambda t: True)
        before = env.desk.clock.minute
        act(env, "read_ticket", ticket_id=ticket.id)
        assert env.desk.clock.minute - before == minutes

from undertow.envs.helpdesk.clock import Clock
from undertow.envs.helpdesk.world import Handling, Ticket

SLA = {"urgent": 60, "high": 180, "normal": 480, "low": 1440}


def ticket(id: str, arrival: int, priority: str = "urgent") -> Ticket:
    return Ticket(
        id=id,
        arrival=arrival,
        priority=priority,
        kind="refund",
        sender="a@b.example",
        subject="s",
        customer_id="C1",
        records=(),
        handling=Handling(body="b", resolution="resolved"),
    )


def test_events_come_in_time_order() -> None:
    clock = Clock([ticket("T1", 500), ticket("T2", 560), ticket("T3", 700, "normal")], SLA)
    events = list(clock.advance_to(540))
    assert [(e.kind, e.ticket_id) for e in events] == [("arrived", "T1")]
    clock.expect_answer("T1", 30)  # answer at 570; T1's deadline pauses: 560 + 30
    events = list(clock.advance_to(800))
    assert [(e.kind, e.ticket_id, e.minute) for e in events] == [
        ("arrived", "T2", 560),
        ("answered", "T1", 570),
        ("late", "T1", 591),
        ("late", "T2", 621),
        ("arrived", "T3", 700),
    ]
    assert clock.minute == 800 and set(clock.open) == {"T1", "T2", "T3"}


def test_a_closed_ticket_is_never_late_and_time_never_runs_back() -> None:
    clock = Clock([ticket("T1", 500)], SLA)
    list(clock.advance_to(510))
    clock.close("T1")
    assert list(clock.advance_to(2000)) == [] and clock.minute == 2000
    assert list(clock.advance_to(100)) == [] and clock.minute == 2000
    assert clock.next_arrival() is None


def test_asking_when_already_late_does_not_buy_time() -> None:
    clock = Clock([ticket("T1", 500)], SLA)
    assert [e.kind for e in clock.advance_to(600)] == ["arrived", "late"]
    clock.expect_answer("T1", 40)
    assert clock.deadline["T1"] == 560
    assert [e.kind for e in clock.advance_to(700)] == ["answered"]

from undertow.envs.helpdesk.generator import generate
from undertow.envs.helpdesk.world import clock_text, date_text, parse_clock, record_name


def test_clock_and_dates_read_as_calendar_times() -> None:
    assert date_text(0) == "2025-03-03" and date_text(-3) == "2025-02-28"
    assert clock_text(9 * 60 + 5) == "2025-03-03 09:05"
    for minute in (0, 545, 1440 * 4 + 61, -1440 * 30 + 7):
        assert parse_clock(clock_text(minute)) == minute
    assert parse_clock("soon") is None and parse_clock("2025-03-03") is None


def test_record_names() -> None:
    assert record_name("orders", "O5001") == "order:O5001"
    assert record_name("customers", "C1001") == "customer:C1001"


def test_a_dependent_ticket_has_a_story_for_each_world() -> None:
    world = generate(0, difficulty=3)
    branching = [t for t in world.tickets if t.otherwise is not None]
    assert {t.kind for t in branching} >= {"followup", "dispute", "consequence"}
    for ticket in branching:
        assert ticket.condition and ticket.parent
        assert ticket.variant(True) is ticket.handling
        assert ticket.variant(False) is ticket.otherwise
        assert ticket.otherwise is not None and ticket.otherwise.body != ticket.handling.body


def test_the_summary_says_what_the_shift_tests() -> None:
    summary = generate(0, difficulty=3).summary()
    assert summary["tickets"] == 100 and summary["difficulty"] == 3 and summary["graded_sla"]
    assert summary["amendment"]["rule"] and summary["amendment"]["from"].startswith("2025-03-05")
    assert all(count > 0 for count in summary["hazards"].values())

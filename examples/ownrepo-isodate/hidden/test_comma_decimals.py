from datetime import timedelta
from decimal import Decimal

from isodate import Duration, parse_duration


def test_a_comma_is_a_decimal_sign_in_hours():
    assert parse_duration("PT1,5H") == timedelta(hours=1.5)


def test_a_comma_is_a_decimal_sign_in_days_and_seconds():
    assert parse_duration("P1,5D") == timedelta(days=1.5)
    assert parse_duration("PT0,25S") == timedelta(seconds=0.25)


def test_years_and_a_comma_still_give_a_duration():
    assert parse_duration("P1,5Y") == Duration(years=Decimal("1.5"))

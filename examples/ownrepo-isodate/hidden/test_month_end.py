from datetime import date

from isodate import Duration, parse_duration
from isodate.duration import max_days_in_month


def test_a_month_after_january_end_in_2100_is_february_28():
    assert date(2100, 1, 31) + parse_duration("P1M") == date(2100, 2, 28)


def test_leap_years_still_have_february_29():
    assert date(2000, 1, 31) + parse_duration("P1M") == date(2000, 2, 29)
    assert date(2024, 1, 31) + parse_duration("P1M") == date(2024, 2, 29)


def test_subtracting_a_month_from_march_end():
    assert date(1900, 3, 31) - Duration(months=1) == date(1900, 2, 28)


def test_days_in_february():
    assert [max_days_in_month(y, 2) for y in (1900, 2000, 2023, 2024, 2100)] == [28, 29, 28, 29, 28]

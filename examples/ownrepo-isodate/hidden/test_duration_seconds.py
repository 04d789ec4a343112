import isodate
import pytest
from isodate import ISO8601Error


def test_seconds_of_simple_durations():
    assert isodate.duration_seconds("PT1M30S") == 90.0
    assert isodate.duration_seconds("P1W") == 604800.0
    assert isodate.duration_seconds("-PT2S") == -2.0


def test_seconds_with_a_comma_decimal_sign():
    assert isodate.duration_seconds("PT1,5H") == 5400.0


def test_years_or_months_are_refused():
    for text in ("P1Y", "P2M", "P1YT1S"):
        with pytest.raises(ISO8601Error):
            isodate.duration_seconds(text)


def test_it_is_exported():
    assert "duration_seconds" in isodate.__all__

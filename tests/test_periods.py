from datetime import UTC, date, datetime

import pytest

from pipelines.periods import last_complete_month, months_ending, parse_month, window


def test_last_complete_month_crosses_the_year():
    assert last_complete_month(date(2026, 11, 21)) == "2026-10"
    assert last_complete_month(date(2027, 1, 1)) == "2026-12"


def test_months_ending():
    assert months_ending("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_window_is_half_open_utc():
    assert window("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("text", ["2026-13", "2026-5", "26-05", "2026-05-01"])
def test_parse_month_rejects(text):
    with pytest.raises(ValueError):
        parse_month(text)


@pytest.mark.parametrize("stamp", [
    "1969-12-31 23:59:59.999999+00", "1970-01-01 00:00:00+00", "2026-05-31 23:59:59.999999+00",
    "2026-06-01 00:00:00+00", "2026-06-01 01:00:00+02", "2024-02-29 12:00:00-11",
])
def test_utc_date_is_the_utc_day(stamp):
    """The warehouse's fast `utc_date` agrees with Python's UTC day on both sides of midnight and of 1970."""
    from pipelines.warehouse import connect

    con = connect()
    moment = con.execute("SELECT CAST(? AS TIMESTAMPTZ)", [stamp]).fetchone()[0]
    day = con.execute("SELECT utc_date(CAST(? AS TIMESTAMPTZ))", [stamp]).fetchone()[0]
    assert day == moment.astimezone(UTC).date()

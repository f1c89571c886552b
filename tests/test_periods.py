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

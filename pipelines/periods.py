"""Reporting periods: calendar months as half-open UTC windows [start, end)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime


def parse_month(text: str) -> str:
    """Check a `YYYY-MM` period and return it."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise ValueError(f"{text!r} is not a month written YYYY-MM")
    return text


def _shift(period: str, months: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(period: str) -> str:
    return _shift(period, -1)


def last_complete_month(today: date) -> str:
    """The last calendar month that ended before `today`."""
    return _shift(f"{today.year:04d}-{today.month:02d}", -1)


def months_ending(last: str, count: int) -> list[str]:
    """`count` consecutive months ending with `last`, oldest first."""
    return [_shift(last, -i) for i in reversed(range(count))]


def window(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a month in UTC."""
    year, month = map(int, period.split("-"))
    nxt = _shift(period, 1)
    ny, nm = map(int, nxt.split("-"))
    return datetime(year, month, 1, tzinfo=UTC), datetime(ny, nm, 1, tzinfo=UTC)

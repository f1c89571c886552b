"""How figures are displayed. Rounding happens only here, half-even, on the warehouse's exact values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

NONE = "—"


def _round(value: Decimal | int, digits: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def number(value: Decimal | int | None, digits: int = 0) -> str:
    if value is None:
        return NONE
    text = f"{_round(value, digits):,.{digits}f}"
    return text.replace("-", "−")


def usd(value: Decimal | None, digits: int = 0) -> str:
    if value is None:
        return NONE
    rounded = _round(value, digits)
    sign = "−" if rounded < 0 else ""
    return f"{sign}${abs(rounded):,.{digits}f}"


def count(value: Decimal | int | None) -> str:
    return number(value, 0)


def percent(value: Decimal | None, digits: int = 1, signed: bool = False) -> str:
    if value is None:
        return NONE
    text = number(value, digits)
    if signed and _round(value, digits) > 0:
        text = "+" + text
    return f"{text} %"


def availability(value: Decimal | None) -> str:
    """A share (0.9973…) as a percentage with three decimals: 99.731 %."""
    return NONE if value is None else percent(Decimal(value) * 100, 3)


def duration_minutes(value: Decimal | None) -> str:
    """Minutes as `2 h 05 min`, `45 min` or `3 d 4 h`, rounded to the minute."""
    if value is None:
        return NONE
    minutes = int(_round(value, 0))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def hours(value: Decimal | None) -> str:
    return NONE if value is None else f"{number(value, 1)} h"


def amount(value: Decimal | None, asset: str = "") -> str:
    """An amount of an asset with up to 8 decimals, trailing zeros dropped: 0.0125 BTC."""
    if value is None:
        return NONE
    text = number(value, 8).rstrip("0").rstrip(".")
    return f"{text} {asset}".strip()


def timestamp(value: datetime | None) -> str:
    return NONE if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def minute(value: datetime | None) -> str:
    """A UTC time to the minute, without the zone, for tables whose header says UTC."""
    return NONE if value is None else value.strftime("%Y-%m-%d %H:%M")


def day(value: date | datetime | None) -> str:
    return NONE if value is None else value.strftime("%Y-%m-%d")


def month_name(period: str) -> str:
    return datetime.strptime(period, "%Y-%m").strftime("%B %Y")


def label(code: str | None) -> str:
    """A code as words: partially_approved → Partially approved."""
    return NONE if not code else code.replace("_", " ").capitalize()


WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")


def in_words(value: int) -> str:
    """A small whole number as prose spells it (2 → two); from 13 on, in digits."""
    return WORDS[value] if 0 <= value < len(WORDS) else count(value)


def quantity(value: int, noun: str, words: bool = False) -> str:
    """A number of something, singular for one: quantity(4, "hour") → 4 hours, quantity(1, "month", True) → one
    month."""
    return f"{in_words(value) if words else count(value)} {noun}{'' if value == 1 else 's'}"


FILTERS = {
    "number": number,
    "usd": usd,
    "count": count,
    "percent": percent,
    "availability": availability,
    "duration": duration_minutes,
    "hours": hours,
    "amount": amount,
    "timestamp": timestamp,
    "minute": minute,
    "day": day,
    "month_name": month_name,
    "label": label,
    "in_words": in_words,
    "quantity": quantity,
}


def for_unit(unit: str | None):
    """The display of a metric by its unit (metric_definitions.unit)."""
    return {
        "USD": usd,
        "count": count,
        "minutes": duration_minutes,
        "hours": hours,
        "%": lambda v: percent(v, 2),
    }.get(unit or "", lambda v: number(v, 2))


def points(change: Decimal | None, unit: str = "%") -> str:
    """A change of a percentage, in percentage points: +0.42 pp."""
    if change is None:
        return NONE
    text = number(change, 2)
    return f"{'+' if _round(change, 2) > 0 else ''}{text} pp"

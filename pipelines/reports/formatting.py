"""How figures are displayed, per language. Rounding happens only here, half-even, on the warehouse's exact values;
Babel writes the numbers, amounts and dates in each language's conventions (CLDR).

English pages write days as ISO 8601 (2026-10-05): read across countries, Babel's English ("Oct 5, 2026") would be
month-first to some readers and not to others. Every other language takes its own medium date (05.10.2026).
The module-level functions are English's, the language of the regulator report and of the tests' expectations.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_compact_currency, format_currency, format_decimal, get_decimal_symbol
from markupsafe import Markup

from pipelines.reports.i18n import N_, SOURCE_LANGUAGE, code_label, translations

NONE = "—"
MINUS = "−"  # U+2212: a minus sign, not a hyphen
ISO_DAY = "yyyy-MM-dd"
PERCENTAGE_POINTS = N_("pp")


def _round(value: Decimal | int, digits: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits else "")


class Formatter:
    """The display of figures in one language."""

    def __init__(self, language: str):
        self.language = language
        self.locale = Locale.parse(language)
        self.translations = translations(language)
        self.gettext = self.translations.gettext
        self._day_format = ISO_DAY if language == SOURCE_LANGUAGE else "medium"
        # the locale's currency pattern (¤#,##0.00 or #,##0.00 ¤), its decimals set per figure
        self._currency = self.locale.currency_formats["standard"].pattern.split(";")[0]

    def number(self, value: Decimal | int | None, digits: int = 0) -> str:
        if value is None:
            return NONE
        text = format_decimal(_round(value, digits), _pattern(digits), locale=self.locale)
        return text.replace("-", MINUS)

    def money(self, value: Decimal | None, currency: str, digits: int = 0) -> str:
        """An amount of a currency (ISO 4217) with its symbol: $1,234 · 1.234 €."""
        if value is None:
            return NONE
        pattern = re.sub(r"0\.0+", _pattern(digits).removeprefix("#,##"), self._currency)
        text = format_currency(_round(value, digits), currency, pattern, locale=self.locale, currency_digits=False)
        return text.replace("-", MINUS)

    def usd(self, value: Decimal | None, digits: int = 0) -> str:
        return self.money(value, "USD", digits)

    def compact_usd(self, value: Decimal) -> str:
        """An axis label: $1.2M, 1,2 Mio. $ (whole below a thousand)."""
        if abs(value) < 1000:
            return self.usd(value)
        size = next(size for size in (10**9, 10**6, 10**3) if abs(value) >= size)
        digits = 0 if abs(value) >= 10 * size else 1
        text = format_compact_currency(value, "USD", locale=self.locale, fraction_digits=digits)
        return text.replace("-", MINUS)

    def count(self, value: Decimal | int | None) -> str:
        return self.number(value, 0)

    def percent(self, value: Decimal | None, digits: int = 1, signed: bool = False) -> str:
        if value is None:
            return NONE
        text = self.number(value, digits)
        if signed and _round(value, digits) > 0:
            text = "+" + text
        return f"{text} %"

    def availability(self, value: Decimal | None) -> str:
        """A share (0.9973…) as a percentage with three decimals: 99.731 %."""
        return NONE if value is None else self.percent(Decimal(value) * 100, 3)

    def duration(self, value: Decimal | None) -> str:
        """Minutes as `2 h 05 min`, `45 min` or `3 d 4 h` (SI symbols, the same in every language), to the minute."""
        if value is None:
            return NONE
        minutes = int(_round(value, 0))
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        if days:
            return f"{self.count(days)} d {hours} h"
        if hours:
            return f"{hours} h {mins:02d} min"
        return f"{mins} min"

    def hours(self, value: Decimal | None) -> str:
        return NONE if value is None else f"{self.number(value, 1)} h"

    def amount(self, value: Decimal | None, asset: str = "") -> str:
        """An amount of an asset with up to 8 decimals, trailing zeros dropped: 0.0125 BTC."""
        if value is None:
            return NONE
        text = self.number(value, 8).rstrip("0").rstrip(get_decimal_symbol(self.locale))
        return f"{text} {asset}".strip()

    def day(self, value: date | datetime | None) -> str:
        return NONE if value is None else format_date(value, self._day_format, locale=self.locale)

    def minute(self, value: datetime | None) -> str:
        """A UTC time to the minute, without the zone, for tables whose header says UTC."""
        return NONE if value is None else f"{self.day(value)} {format_time(value, 'HH:mm', locale=self.locale)}"

    def timestamp(self, value: datetime | None) -> str:
        return NONE if value is None else f"{self.minute(value)} UTC"

    def weekday(self, value: date) -> str:
        """A day with its weekday, for a day's status: Mon, Oct 5, 2026 · Mo., 5. Okt. 2026."""
        return format_skeleton("yMMMEd", value, locale=self.locale)

    def month_name(self, period: str) -> str:
        """A period (YYYY-MM) as its month: October 2026 · Oktober 2026."""
        return format_skeleton("yMMMM", datetime.strptime(period, "%Y-%m"), locale=self.locale)

    def short_month(self, period: str) -> str:
        """A period on a chart's axis: Oct 2026 · Okt. 2026."""
        return format_skeleton("yMMM", datetime.strptime(period, "%Y-%m"), locale=self.locale)

    def day_month(self, value: date) -> str:
        """A day on a chart's axis: Oct 5 · 5. Okt."""
        return format_skeleton("MMMd", value, locale=self.locale)

    def label(self, code: str | None) -> str:
        """A code as words in this language: partially_approved → Partially approved."""
        return NONE if not code else self.gettext(code_label(code))

    def in_words(self, value: int) -> str:
        """A small whole number as prose spells it (2 → two); from 13 on, in digits. English only."""
        words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve")
        return words[value] if 0 <= value < len(words) else self.count(value)

    def quantity(self, value: int, noun: str, words: bool = False) -> str:
        """A number of something, singular for one (English only): quantity(4, "hour") → 4 hours,
        quantity(1, "month", True) → one month."""
        return f"{self.in_words(value) if words else self.count(value)} {noun}{'' if value == 1 else 's'}"

    def points(self, change: Decimal | None, unit: str = "%") -> str:
        """A change of a percentage, in percentage points: +0.42 pp."""
        if change is None:
            return NONE
        text = self.number(change, 2)
        return f"{'+' if _round(change, 2) > 0 else ''}{text} {self.gettext(PERCENTAGE_POINTS)}"

    def for_unit(self, unit: str | None):
        """The display of a metric by its unit (metric_definitions.unit)."""
        return {
            "USD": self.usd,
            "count": self.count,
            "minutes": self.duration,
            "hours": self.hours,
            "%": lambda v: self.percent(v, 2),
        }.get(unit or "", lambda v: self.number(v, 2))

    # The displays of a figure, which a page marks up with its exact value (see `marked`).
    FIGURES = ("number", "money", "usd", "count", "percent", "availability", "duration", "hours", "amount", "day",
               "minute", "timestamp", "points")
    WORDS = ("month_name", "label", "in_words", "quantity")

    def filters(self) -> dict:
        """The template filters: each figure as `<data value="exact">shown</data>`, words as they are."""
        return {**{name: marked(getattr(self, name)) for name in self.FIGURES},
                **{name: getattr(self, name) for name in self.WORDS}}


def plain(value: object) -> object:
    """A value as data carries it (the CSV/JSON downloads, a page's `<data value>`): decimals as exact strings (never
    floats), times in ISO 8601 UTC, a list joined with ";"."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def marked(display):
    """A display whose result a page marks up with the exact value, so that a reader's tools (and the tests) can
    read every figure whatever the language: `<data value="1234.5">1.234,5 $</data>`. A missing figure stays "—"."""
    def show(value, *args, **kwargs):
        text = display(value, *args, **kwargs)
        if value is None:
            return text
        return Markup('<data value="{}">{}</data>').format(plain(value), text)
    return show


@cache
def formatter(language: str) -> Formatter:
    return Formatter(language)


ENGLISH = formatter(SOURCE_LANGUAGE)
number, usd, count, percent, availability = ENGLISH.number, ENGLISH.usd, ENGLISH.count, ENGLISH.percent, \
    ENGLISH.availability
duration_minutes, hours, amount, day, timestamp = ENGLISH.duration, ENGLISH.hours, ENGLISH.amount, ENGLISH.day, \
    ENGLISH.timestamp
month_name, label, for_unit, points = ENGLISH.month_name, ENGLISH.label, ENGLISH.for_unit, ENGLISH.points

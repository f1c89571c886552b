"""Time in the demo: instants are integer seconds since the Unix epoch (UTC), days integer days since the epoch;
the generated period is a `Window` of whole calendar months."""

from __future__ import annotations

import calendar
import re
from typing import NamedTuple

import numpy as np

DAY = 86_400
HOUR = 3_600
MINUTE = 60
PRICE_HISTORY_DAYS = 7  # prices start this many days before the window, for "previous day's close" lookups


class Window(NamedTuple):
    """The generated period: `[start, end)` in epoch seconds, and the start of each month plus `end`."""

    start: int
    end: int
    month_starts: tuple[int, ...]

    @property
    def first_price_day(self) -> int:
        return self.start // DAY - PRICE_HISTORY_DAYS

    @property
    def last_day(self) -> int:
        return self.end // DAY - 1


def month_window(first_month: str, months: int) -> Window:
    """The half-open UTC window covering `months` calendar months from `first_month` ("YYYY-MM")."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", first_month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"first_month must be YYYY-MM, got {first_month!r}")
    year, month = int(match[1]), int(match[2])
    starts = []
    for i in range(months + 1):
        extra_years, month_index = divmod(month - 1 + i, 12)
        starts.append(calendar.timegm((year + extra_years, month_index + 1, 1, 0, 0, 0)))
    return Window(start=starts[0], end=starts[-1], month_starts=tuple(starts))


def off_midnight(t: np.ndarray | int) -> np.ndarray:
    """Nudge instants that fall exactly on 00:00:00 by one second: snapshots are taken then, and a movement at the
    same instant would leave it ambiguous whether the snapshot includes it."""
    return np.where(t % DAY == 0, t + 1, t)


def month_label(t: int) -> str:
    """`YYYY-MM` of an epoch second."""
    return str(np.datetime64(int(t), "s").astype("datetime64[M]"))

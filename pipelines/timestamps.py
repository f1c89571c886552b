"""How the project writes an instant as text: UTC, ISO 8601 with a `Z`, `YYYY-MM-DDTHH:MM:SSZ`, with `.ffffff`
only where the microseconds are not zero. Every landing file and record written by the project uses it."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; the project's instants are UTC-aware")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"

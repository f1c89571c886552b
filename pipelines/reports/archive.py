"""What the transparency page (reports/index.html) shows across months, read from each month's latest published
version: its public downloads are the warehouse's figures as published, so the page shows what the reports say,
also for a month whose data changed later but was not published again. Nothing here computes a figure: it picks
the days and months to show and leaves the rest to the template and charts.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pipelines.periods import months_ending, window
from pipelines.publication import version_dir
from pipelines.reports.dictionary import DICTIONARY

UPTIME_DAYS = 90
TREND_MONTHS = 12
# The headline figures drawn as 12-month trends, in the page's order.
TREND_METRICS = ("incidents_started", "compensation_paid_usd", "insurance_fund_closing_usd")


@dataclass(frozen=True)
class ServiceDay:
    day: date
    worst_impact: str | None  # None: no published month covers the day
    outage_minutes: Decimal | None = None
    partial_minutes: Decimal | None = None
    degraded_minutes: Decimal | None = None


def _data(reports_dir: Path, period: str, version: int, name: str) -> list[dict] | None:
    path = version_dir(reports_dir, period, version) / "public" / "data" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def uptime(reports_dir: Path, periods: list[dict]) -> list[dict]:
    """Per service (in the newest month's order): the last UPTIME_DAYS days up to the newest month's last day."""
    if not periods:
        return []
    newest = max(periods, key=lambda p: p["period"])
    latest = {p["period"]: p["version"] for p in periods}
    last_day = (window(newest["period"])[1] - timedelta(days=1)).date()
    days = [last_day - timedelta(days=n) for n in range(UPTIME_DAYS - 1, -1, -1)]
    known: dict[tuple[str, date], ServiceDay] = {}
    for period in sorted({d.strftime("%Y-%m") for d in days} & latest.keys()):
        for row in _data(reports_dir, period, latest[period], "service_days") or []:
            day = date.fromisoformat(row["day"])
            known[row["service"], day] = ServiceDay(
                day, row["worst_impact"], _decimal(row["outage_minutes"]), _decimal(row["partial_minutes"]),
                _decimal(row["degraded_minutes"]))
    services = _data(reports_dir, newest["period"], newest["version"], "service_availability") or []
    return [{"service": s["service"], "service_name": s["service_name"], "first_day": days[0], "last_day": last_day,
             "days": [known.get((s["service"], d), ServiceDay(d, None)) for d in days]} for s in services]


def trends(reports_dir: Path, periods: list[dict]) -> dict:
    """The last TREND_MONTHS months up to the newest, from the first published one: each trend metric's published
    value (None where the month is not published or the figure withheld) and each service's strict availability."""
    if not periods:
        return {"months": [], "metrics": [], "availability": []}
    latest = {p["period"]: p["version"] for p in periods}
    months = [m for m in months_ending(max(latest), TREND_MONTHS) if m >= min(latest)]  # from the first published
    headline = {m: {r["metric"]: r for r in _data(reports_dir, m, latest[m], "headline") or []}
                for m in months if m in latest}
    availability = {m: {r["service"]: r for r in _data(reports_dir, m, latest[m], "service_availability") or []}
                    for m in months if m in latest}
    metrics = []
    for metric in TREND_METRICS:
        rows = [headline.get(m, {}).get(metric) for m in months]
        known = next((r for r in rows if r), {"label": metric, "unit": None})
        metrics.append({"metric": metric, "label": known["label"], "unit": known["unit"],
                        "series": [_decimal(r["value"]) if r else None for r in rows],
                        "withheld": [bool(r and r["suppressed"]) for r in rows]})
    newest = availability.get(max(latest), {})
    services = [{"service": code, "service_name": row["service_name"],
                 "series": [_decimal(availability.get(m, {}).get(code, {}).get("availability_strict"))
                            for m in months]}
                for code, row in newest.items()]
    return {"months": months, "metrics": metrics, "availability": services}


def dictionary(reports_dir: Path, periods: list[dict]) -> dict | None:
    """The data dictionary of the newest month's downloads (they have the same columns every month), with where
    it is published."""
    if not periods:
        return None
    newest = max(periods, key=lambda p: p["period"])
    path = version_dir(reports_dir, newest["period"], newest["version"]) / DICTIONARY
    if not path.exists():  # a version published before downloads had a dictionary
        return None
    return {"href": path.relative_to(reports_dir).as_posix(), "downloads": json.loads(path.read_text("utf-8"))}

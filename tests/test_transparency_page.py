"""The transparency page (reports/index.html) of the demo: its daily uptime bars and 12-month trends equal figures
recomputed here, the bars from the incident impacts (merged intervals per level, as the methodology states) and
tied to service_availability, the trends from period_metrics and service_availability."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import lxml.html
import pytest
from demo_run import MONTHS

from pipelines.reports import formatting
from pipelines.reports.charts import IMPACT_COLOURS

pytestmark = pytest.mark.xdist_group("demo")

LEVELS = {"major_outage": ("major_outage",), "partial_outage": ("major_outage", "partial_outage"),
          "degraded_performance": ("major_outage", "partial_outage", "degraded_performance")}


def merged_seconds(intervals: list[tuple[datetime, datetime]]) -> float:
    total, reach = 0.0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += (end - start).total_seconds()
            reach = end
        elif end > reach:
            total += (end - reach).total_seconds()
            reach = end
    return total


def daily_minutes(con: duckdb.DuckDBPyConnection, first: date, last: date) -> dict:
    """{(service, day): {level: minutes of that level and worse, overlaps once}} from the staged impacts."""
    impacts = con.execute(
        "SELECT i.service, i.impact, i.started_at, coalesce(i.ended_at, n.resolved_at) FROM staging.incident_impacts i "
        "JOIN staging.incidents n USING (incident_id)").fetchall()
    found = {}
    day = first
    while day <= last:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        end = start + timedelta(days=1)
        by_level = defaultdict(list)
        for service, impact, s, e in impacts:
            e = min(e or end, end)
            s = max(s, start)
            if e > s:
                for level, included in LEVELS.items():
                    if impact in included:
                        by_level[service, level].append((s, e))
        for (service, level), intervals in by_level.items():
            found.setdefault((service, day), {})[level] = Decimal(merged_seconds(intervals)) / 60
        day += timedelta(days=1)
    return found


@pytest.fixture(scope="module")
def page(demo: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((demo / "reports" / "index.html").read_bytes())


def test_the_uptime_bars_are_the_days_recomputed_from_the_impacts(demo: Path, page):
    colours = {colour: impact for impact, colour in IMPACT_COLOURS.items()}
    bars = page.xpath("//svg[@class='uptime-bar']")
    last_day = date(2026, 10, 31)
    first_day = last_day - timedelta(days=89)
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        services = [r[0] for r in con.execute("SELECT service_name FROM staging.services").fetchall()]
        codes = dict(con.execute("SELECT service, service_name FROM staging.services").fetchall())
        minutes = daily_minutes(con, date(2026, 9, 1), last_day)
    assert len(bars) == len(services)
    seen_impacts = set()
    for bar in bars:
        code = bar.get("aria-labelledby").removeprefix("uptime-")
        heading = page.get_element_by_id(bar.get("aria-labelledby")).text_content()
        assert heading.startswith(codes[code])
        rects = bar.findall(".//rect")
        assert len(rects) == 90
        for n, rect in enumerate(rects):
            day = first_day + timedelta(days=n)
            title = rect.findtext("title")
            assert title.startswith(f"{day:%a}, {day:%b} {day.day}, {day:%Y}"), title  # Mon, Aug 3, 2026
            if day < date(2026, 9, 1):  # before the first published month
                assert colours[rect.get("fill")] is None and title.endswith("no published report")
                continue
            levels = minutes.get((code, day), {})
            outage = levels.get("major_outage", 0)
            partial = levels.get("partial_outage", 0) - outage
            degraded = levels.get("degraded_performance", 0) - levels.get("partial_outage", 0)
            expected = ("major_outage" if outage > 0 else "partial_outage" if partial > 0
                        else "degraded_performance" if degraded > 0 else "operational")
            assert colours[rect.get("fill")] == expected, (code, day, title)
            shown = {"major_outage": outage, "partial_outage": partial, "degraded_performance": degraded}
            if expected != "operational":
                assert title.endswith(formatting.duration_minutes(shown[expected])), (title, shown)
            seen_impacts.add(expected)
    assert seen_impacts == {"major_outage", "partial_outage", "degraded_performance", "operational"}


def test_the_days_add_up_to_each_months_service_availability(demo: Path):
    with duckdb.connect(str(demo / "reports" / "analytics.duckdb"), read_only=True) as con:
        mismatches = con.execute("""
            SELECT m.period, m.service, m.outage_minutes, sum(d.outage_minutes), m.partial_minutes,
                   sum(d.partial_minutes)
            FROM service_availability m JOIN service_days d USING (period, service)
            GROUP BY ALL
            HAVING abs(m.outage_minutes - sum(d.outage_minutes)) > 0.01
                OR abs(m.partial_minutes - sum(d.partial_minutes)) > 0.01""").fetchall()
        days = con.execute("SELECT period, count(DISTINCT day) FROM service_days GROUP BY ALL ORDER BY ALL").fetchall()
    assert mismatches == []  # a day ends where the next starts: the months' minutes are the days' sums
    assert days == [("2026-09", 30), ("2026-10", 31)]


def test_the_trends_are_period_metrics_and_service_availability(demo: Path, page):
    figures = {}
    for figure in page.xpath("//figure[@class='trend-figure']"):
        caption = figure.find(".//figcaption")
        rows = figure.findall(".//tbody/tr")
        figures[caption.get("id")] = {r.find("th").text_content(): r.find("td").text_content()
                                      for r in rows}
        assert figure.find(".//svg").get("aria-labelledby") == caption.get("id")
    months = {formatting.month_name(m): m for m in MONTHS}
    with duckdb.connect(str(demo / "reports" / "analytics.duckdb"), read_only=True) as con:
        for metric, show in (("incidents_started", formatting.count), ("compensation_paid_usd", formatting.usd),
                             ("insurance_fund_closing_usd", formatting.usd)):
            expected = {name: show(con.execute("SELECT value FROM period_metrics WHERE period = ? AND metric = ?",
                                               [m, metric]).fetchone()[0]) for name, m in months.items()}
            assert figures[f"trend-{metric}"] == expected, metric
        for service, in con.execute("SELECT DISTINCT service FROM service_availability").fetchall():
            expected = {name: formatting.availability(con.execute(
                "SELECT availability_strict FROM service_availability WHERE period = ? AND service = ?",
                [m, service]).fetchone()[0]) for name, m in months.items()}
            assert figures[f"trend-{service}"] == expected, service


def test_the_data_dictionary_describes_every_column_of_every_download(demo: Path, page):
    data = demo / "reports" / MONTHS[-1] / "v1" / "public" / "data"
    dictionary = json.loads((data / "dictionary.json").read_text())
    assert sorted(f for d in dictionary for f in d["files"]) == sorted(
        p.name for p in data.iterdir() if p.suffix in (".csv", ".json") and p.stem not in ("dictionary",
                                                                                            "compensation_root"))
    for download in dictionary:
        rows = json.loads((data / f"{download['download']}.json").read_text())
        columns = [c["column"] for c in download["columns"]]
        if rows:
            assert list(rows[0]) == columns, download["download"]
        assert all(c["type"] and c["meaning"] for c in download["columns"]) and download["description"]
        shown = page.xpath(f"//h3[@id='download-{download['download']}']/following::table[1]//tbody/tr/th")
        assert [th.text_content() for th in shown] == columns

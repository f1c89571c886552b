"""The monthly public page's compensation per incident, fund adequacy and consistency checks, against figures
recomputed here from the demo's staged claims, payouts and fund values, and its small cells."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import lxml.html
import pytest
from demo_run import MONTHS

from pipelines.profile import load_profile

pytestmark = pytest.mark.xdist_group("demo")

PERIOD = MONTHS[-1]
START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
COUNTS = ("received", "approved", "partially_approved", "rejected", "withdrawn", "users_paid")


def published(demo: Path, name: str) -> list[dict]:
    return json.loads((demo / "reports" / PERIOD / "v1" / "public" / "data" / f"{name}.json").read_text())


def recomputed(demo: Path) -> dict[str | None, dict]:
    """Per incident (None: no incident), from the staged claims and payouts: the counts, users, USD and the median
    hours from submission to first payout."""
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        claims = con.execute("SELECT claim_id, incident_id, account_ref, submitted_at, decided_at, decision "
                             "FROM staging.compensation_claims").fetchall()
        payouts = con.execute("SELECT claim_id, paid_at, amount_usd, account_ref, incident_id "
                              "FROM marts.compensation_payouts WHERE period = ?", [PERIOD]).fetchall()
        first_paid = dict(con.execute("SELECT claim_id, min(paid_at) FROM staging.compensation_payouts "
                                      "GROUP BY claim_id").fetchall())
    rows: dict = defaultdict(lambda: {**dict.fromkeys(COUNTS, 0), "users": set(), "paid": set(),
                                      "paid_usd": Decimal(0), "hours": []})
    for claim_id, incident, account, submitted, decided, decision in claims:
        row = rows[incident]
        if START <= submitted < END:
            row["received"] += 1
            row["users"].add(account)
        if decided is not None and START <= decided < END:
            row[decision] += 1
            row["users"].add(account)
        first = first_paid.get(claim_id)
        if first is not None and START <= first < END:
            row["hours"].append((first - submitted).total_seconds() / 3600)
    for _, _, amount, account, incident in payouts:
        rows[incident]["paid"].add(account)
        rows[incident]["users"].add(account)
        rows[incident]["paid_usd"] += amount
    for row in rows.values():
        row["users_paid"] = len(row["paid"])
    return {incident: row for incident, row in rows.items() if row["users"]}


def test_compensation_per_incident_is_the_claims_and_payouts_with_small_cells_withheld(demo: Path):
    k = load_profile().small_cell_k
    expected = recomputed(demo)
    shown = {r["incident_id"]: r for r in published(demo, "compensation_by_incident")}
    assert set(shown) == set(expected)
    # rows: those about fewer than k users withheld, and the next smallest too when that is a single one
    withheld = {i for i, r in shown.items() if r["suppressed"]}
    primary = {i for i in expected if len(expected[i]["users"]) < k}
    assert primary <= withheld and len(withheld - primary) == (1 if len(primary) == 1 else 0)
    for incident, row in shown.items():
        if row["suppressed"]:
            assert all(row[c] is None for c in (*COUNTS, "paid_usd", "hours_to_pay_median")), incident
    published_rows = [i for i in shown if i not in withheld]
    # cells of the published rows: shown as recomputed, never a small one; withheld: small, or the one next smallest
    for column in COUNTS:
        hidden = [i for i in published_rows if shown[i][column] is None]
        small = [i for i in hidden if 0 < expected[i][column] < k]
        assert len(hidden) - len(small) == (1 if len(small) == 1 else 0), column
        for i in published_rows:
            if shown[i][column] is not None:
                assert shown[i][column] == expected[i][column], (i, column)
                assert not 0 < shown[i][column] < k, (i, column)
    for i in published_rows:
        row, want = shown[i], expected[i]
        if row["users_paid"] is None or want["users_paid"] < k:
            assert row["paid_usd"] is None and row["hours_to_pay_median"] is None, i
        else:
            assert Decimal(row["paid_usd"]) == want["paid_usd"], i
            median = Decimal(statistics.median(want["hours"]))
            assert abs(Decimal(row["hours_to_pay_median"]) - median) <= Decimal("0.005"), i
    assert any(shown[i]["paid_usd"] for i in published_rows) and withheld  # the demo has both kinds


def test_the_adequacy_rule_day_by_day_and_its_days_in_the_headline(demo: Path):
    adequacy = load_profile().fund_adequacy
    days = published(demo, "insurance_fund_adequacy")
    daily = defaultdict(Decimal)
    for row in published(demo, "insurance_fund_daily"):
        daily[row["day"]] += Decimal(row["balance_usd"])
    assert [d["day"] for d in days] == sorted(daily)
    for d in days:
        assert Decimal(d["total_usd"]) == daily[d["day"]]
        assert (Decimal(d["floor_usd"]), Decimal(d["target_usd"])) == (adequacy.floor_usd, adequacy.target_usd)
        assert d["meets_floor"] == (daily[d["day"]] >= adequacy.floor_usd)
        assert d["meets_target"] == (daily[d["day"]] >= adequacy.target_usd)
    headline = {r["metric"]: r for r in published(demo, "headline")}
    assert Decimal(headline["insurance_fund_days_meeting_floor"]["value"]) == sum(d["meets_floor"] for d in days)
    assert Decimal(headline["insurance_fund_days_meeting_target"]["value"]) == sum(d["meets_target"] for d in days)
    assert 0 < sum(d["meets_target"] for d in days) < len(days)  # the demo's rule is met on some days, not all
    page = (demo / "reports" / PERIOD / "v1" / "public" / "index.html").read_text()
    assert "Against our adequacy rule" in page and "$500,000,000" in page and "$700,000,000" in page


def test_every_check_that_ran_is_on_the_page_in_words(demo: Path):
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        ran = con.execute("SELECT check_name, failures FROM marts.check_results WHERE period = ?",
                          [PERIOD]).fetchall()
    page = lxml.html.fromstring((demo / "reports" / PERIOD / "v1" / "public" / "index.html").read_bytes())
    items = [li.text_content() for li in page.xpath("//ul[@class='checks']/li")]
    checks = {r["check_name"]: r for r in published(demo, "checks")}
    assert set(checks) == {name for name, _ in ran} and len(items) == len(ran)
    for name, failures in ran:
        check = checks[name]
        assert check["passed"] == (failures == 0) and check["description"]
        assert any(check["description"] in item and item.startswith("Passed" if failures == 0 else "Found")
                   for item in items), name

"""DORA field 4.13 (gross costs, customer compensation included) and 4.14 (recoveries) of the demo's major
incidents, recomputed here from the claims, payouts and prices with exact decimals, against the mart and the
regulator report."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from demo_run import MONTHS

from pipelines.reports.formatting import formatter

pytestmark = pytest.mark.xdist_group("demo")
CENT = Decimal("0.01")


def rows(con, sql: str, *params) -> list[dict]:
    relation = con.execute(sql, list(params))
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, r)) for r in relation.fetchall()]


def expected_costs(con, period: str) -> dict[str, dict]:
    """Per major incident of `period`: own cost + approved compensation (each claim at its decision day's close),
    paid compensation (each payout at its day's close) and what the insurance funds paid, up to the period end."""
    year, month = map(int, period.split("-"))
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    [[currency]] = con.execute("SELECT coalesce(dora_report_currency, report_currency) FROM staging.entity").fetchall()
    close = {(r["asset"], r["date"]): r["close_usd"]
             for r in rows(con, "SELECT asset, date, close_usd FROM staging.prices")}

    def value(amount, asset, moment) -> Decimal:
        day = moment.astimezone(UTC).date()
        return Decimal(amount) * close[(asset, day)] / close[(currency, day)]

    major = rows(con, "SELECT incident_id, classified_at, economic_cost, economic_cost_currency "
                      "FROM marts.incident_register WHERE period = ? AND is_major", period)
    found = {}
    for incident in major:
        own = (Decimal(0) if incident["economic_cost"] is None else
               value(incident["economic_cost"], incident["economic_cost_currency"], incident["classified_at"]))
        found[incident["incident_id"]] = {"own_costs": own, "compensation_approved": Decimal(0),
                                          "compensation_paid": Decimal(0), "recoveries": Decimal(0)}
    claims = rows(con, "SELECT claim_id, incident_id, decided_at, decision, approved_amount, claimed_asset "
                       "FROM staging.compensation_claims")
    incident_of = {c["claim_id"]: c["incident_id"] for c in claims}
    for c in claims:
        if c["incident_id"] in found and c["decision"] in ("approved", "partially_approved") and c["decided_at"] < end:
            found[c["incident_id"]]["compensation_approved"] += value(c["approved_amount"], c["claimed_asset"],
                                                                      c["decided_at"])
    for p in rows(con, "SELECT claim_id, paid_at, asset, amount, funding_source FROM staging.compensation_payouts"):
        incident = incident_of[p["claim_id"]]
        if incident in found and p["paid_at"] < end:
            paid = value(p["amount"], p["asset"], p["paid_at"])
            found[incident]["compensation_paid"] += paid
            if p["funding_source"] == "insurance_fund":
                found[incident]["recoveries"] += paid
    for figures in found.values():
        figures["gross_costs"] = figures["own_costs"] + figures["compensation_approved"]
    return found


@pytest.mark.parametrize("period", MONTHS)
def test_costs_of_major_incidents_equal_an_independent_recomputation(demo, period):
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        expected = expected_costs(con, period)
        mart = {r["incident_id"]: r for r in rows(con, "SELECT * FROM marts.dora_incident_costs WHERE period = ?",
                                                  period)}
    assert expected and sorted(mart) == sorted(expected)
    compensated = 0
    for incident, figures in expected.items():
        assert mart[incident]["unvalued"] == 0
        for name, value in figures.items():
            # the mart rounds each claim's and payout's value to 6 decimals; to the cent they agree
            assert abs(mart[incident][name] - value) < CENT / 2, (incident, name, mart[incident][name], value)
        compensated += figures["compensation_approved"] > 0
    if period == MONTHS[0]:
        assert compensated >= 2  # its four major incidents have claims (the next month's one is still open)

    # the regulator report prints each incident's 4.13 figure (its attachment: the next test)
    version = demo / "reports" / period / "v1" / "regulator"
    text = subprocess.run(["pdftotext", "-layout", str(version / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    english = formatter("en")
    for incident, row in mart.items():
        assert english.money(row["gross_costs"], row["reporting_currency"], 2) in text, incident


def test_the_regulator_report_attaches_the_costs(demo, tmp_path):
    period = MONTHS[-1]
    pdf = demo / "reports" / period / "v1" / "regulator" / "report.pdf"
    listing = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    number = next(line.split(":")[0].strip() for line in listing.splitlines() if "dora_costs.csv" in line)
    subprocess.run(["pdfdetach", "-save", number, "-o", str(tmp_path / "dora_costs.csv"), str(pdf)], check=True)
    attached = list(csv.DictReader(io.StringIO((tmp_path / "dora_costs.csv").read_text())))
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        mart = rows(con, "SELECT * FROM marts.dora_incident_costs WHERE period = ? ORDER BY incident_id", period)
    by_incident = {r["incident_id"]: r for r in attached}
    assert [r["incident_id"] for r in attached] == [r["incident_id"] for r in mart]
    for row in mart:
        assert Decimal(by_incident[row["incident_id"]]["gross_costs"]) == row["gross_costs"]

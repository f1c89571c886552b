"""The Statuspage adapter on the real githubstatus.com capture and on small feeds in the API's shape, and the whole
pipeline end to end on real sources: GitHub's incidents, BitMEX's insurance fund, CoinMarketCap's prices."""

import csv
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from fake_http import FlakyOpener, MissingOpener

from pipelines.contract import INCIDENT_IMPACTS, TABLES_BY_NAME
from pipelines.profile import load_profile
from pipelines.sources import http
from pipelines.sources.http import FetchError
from pipelines.sources.statuspage import FeedError, import_statuspage
from pipelines.staging import validate_landing

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
FEED = REALDATA / "githubstatus_incidents_2010-2023.json"
GITHUB = Path(__file__).parent / "fixtures" / "statuspage" / "github_profile.toml"
TRANSPARENCY = Path(sys.executable).parent / "transparency"

needs_realdata = pytest.mark.skipif(not FEED.exists(), reason="the real captures of ../shared/realdata are not here")


def incident(**fields) -> dict:
    """A Statuspage /api/v2/incidents.json item, minimal but in the real shape."""
    base = {
        "id": "abc123", "name": "Delayed withdrawals", "status": "resolved", "impact": "major",
        "created_at": "2026-05-03T10:05:00.000Z", "started_at": "2026-05-03T10:00:00.000Z",
        "resolved_at": "2026-05-03T12:00:00.000Z", "components": [{"id": "c1", "name": "Withdrawals"}],
        "incident_updates": [
            {"status": "resolved", "body": "Resolved.", "display_at": "2026-05-03T12:00:00.000Z",
             "created_at": "2026-05-03T12:00:00.000Z",
             "affected_components": [{"code": "c1", "name": "Withdrawals", "old_status": "partial_outage",
                                      "new_status": "operational"}]},
            {"status": "identified", "body": "Worse: withdrawals paused.", "display_at": "2026-05-03T11:00:00.000Z",
             "created_at": "2026-05-03T11:00:00.000Z",
             "affected_components": [{"code": "c1", "name": "Withdrawals", "old_status": "major_outage",
                                      "new_status": "partial_outage"}]},
            {"status": "investigating", "body": "Withdrawals are delayed.", "display_at": "2026-05-03T10:05:00.000Z",
             "created_at": "2026-05-03T10:05:00.000Z",
             "affected_components": [{"code": "c1", "name": "Withdrawals", "old_status": "operational",
                                      "new_status": "major_outage"}]},
        ],
    }
    base.update(fields)
    return base


@pytest.fixture
def profile(tmp_path):
    text = (Path(__file__).parents[1] / "pipelines" / "demo" / "profile.toml").read_text(encoding="utf-8")
    text += '\n[statuspage_components]\n"Withdrawals" = "withdrawals"\n"Spot" = "spot"\n"Notice" = "-"\n'
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def feed_file(tmp_path: Path, *incidents: dict) -> str:
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps({"page": {"id": "p"}, "incidents": list(incidents)}), encoding="utf-8")
    return str(path)


def read_landing(landing: Path) -> tuple[list[dict], list[dict]]:
    incidents = [json.loads(line) for line in (landing / "incidents" / "statuspage.jsonl").read_text().splitlines()]
    with open(landing / "incident_impacts" / "statuspage.csv", newline="") as handle:
        impacts = list(csv.DictReader(handle))
    return incidents, impacts


def test_transitions_become_impact_intervals(tmp_path, profile):
    counts = import_statuspage(feed_file(tmp_path, incident()), tmp_path / "landing", profile)

    assert counts == {"incidents": 1, "incident_impacts": 2}
    incidents, impacts = read_landing(tmp_path / "landing")
    row = incidents[0]
    assert (row["severity"], row["status"], row["category"]) == ("major", "resolved", "outage")
    assert (row["started_at"], row["detected_at"]) == ("2026-05-03T10:00:00Z", "2026-05-03T10:05:00Z")
    assert row["public_summary"] == "Withdrawals are delayed."  # what was first said
    assert row["clients_affected"] is None and row["economic_cost"] is None  # not provided by the feed
    assert [(i["service"], i["impact"], i["started_at"], i["ended_at"]) for i in impacts] == [
        ("withdrawals", "major_outage", "2026-05-03T10:05:00Z", "2026-05-03T11:00:00Z"),
        ("withdrawals", "partial_outage", "2026-05-03T11:00:00Z", "2026-05-03T12:00:00Z"),
    ]
    assert list(impacts[0]) == INCIDENT_IMPACTS.column_names


def test_missing_started_at_falls_back_to_created_at(tmp_path, profile):
    import_statuspage(feed_file(tmp_path, incident(started_at=None)), tmp_path / "landing", profile)
    assert read_landing(tmp_path / "landing")[0][0]["started_at"] == "2026-05-03T10:05:00Z"


def test_an_unresolved_incident_stays_open(tmp_path, profile):
    updates = incident()["incident_updates"][2:]  # only "investigating": still in major outage
    import_statuspage(feed_file(tmp_path, incident(status="investigating", resolved_at=None, incident_updates=updates)),
                      tmp_path / "landing", profile)
    incidents, impacts = read_landing(tmp_path / "landing")
    assert incidents[0]["resolved_at"] is None and incidents[0]["status"] == "investigating"
    assert impacts[0]["ended_at"] == ""  # runs until the incident is resolved


def test_a_component_not_in_the_mapping_is_a_clear_error(tmp_path, profile):
    strange = incident()
    strange["incident_updates"][2]["affected_components"][0]["name"] = "Margin engine"
    with pytest.raises(FeedError, match=r"incident abc123, field components: component 'Margin engine' is not in"):
        import_statuspage(feed_file(tmp_path, strange), tmp_path / "landing", profile)
    assert not (tmp_path / "landing").exists()  # nothing written


def test_the_supplement_fills_what_the_feed_lacks(tmp_path, profile):
    supplement = tmp_path / "supplement.csv"
    supplement.write_text("incident_id,clients_affected,economic_cost,economic_cost_currency,data_loss\n"
                          "abc123,1250,4200.50,EUR,false\n", encoding="utf-8")
    import_statuspage(feed_file(tmp_path, incident()), tmp_path / "landing", profile, supplement=supplement)
    row = read_landing(tmp_path / "landing")[0][0]
    assert (row["clients_affected"], row["economic_cost"], row["economic_cost_currency"], row["data_loss"]) == (
        1250, "4200.50", "EUR", False)
    supplement.write_text("incident_id,clients_affected\nnot-in-feed,3\n", encoding="utf-8")
    with pytest.raises(FeedError, match="not-in-feed"):
        import_statuspage(feed_file(tmp_path, incident()), tmp_path / "landing", profile, supplement=supplement)


FEED_URL = "https://www.githubstatus.com/api/v2/incidents.json"


def test_a_live_feed_is_fetched_again_after_a_transient_failure(tmp_path, profile, monkeypatch):
    opener, pauses = FlakyOpener(json.dumps({"incidents": [incident()]}).encode(), failures=2), []
    monkeypatch.setattr(http, "urlopen", opener)
    monkeypatch.setattr(http, "sleep", pauses.append)
    counts = import_statuspage(FEED_URL, tmp_path / "landing", profile, live=True, timeout=3.0)
    assert counts == {"incidents": 1, "incident_impacts": 2}
    assert opener.calls == [(FEED_URL, 3.0, "application/json")] * 3  # a timeout, a 503, then the feed
    assert pauses == [1.0, 2.0]


def test_a_live_feed_that_is_not_there_is_reported_at_once(tmp_path, profile, monkeypatch):
    opener = MissingOpener()
    monkeypatch.setattr(http, "urlopen", opener)
    monkeypatch.setattr(http, "sleep", lambda seconds: pytest.fail("a permanent failure is not retried"))
    with pytest.raises(FetchError, match=r"^GET https://www\.githubstatus\.com/api/v2/incidents\.json: HTTP 404"):
        import_statuspage(FEED_URL, tmp_path / "landing", profile, live=True)
    assert opener.calls == [FEED_URL]
    assert not (tmp_path / "landing").exists()


@needs_realdata
def test_the_real_github_feed_maps_and_validates_except_its_three_inverted_records(tmp_path):
    profile = load_profile(GITHUB)
    counts = import_statuspage(str(FEED), tmp_path, profile)

    assert counts["incidents"] == 1282
    result = validate_landing(tmp_path, profile)
    impacts = next(t for t in result.tables if t.table == "incident_impacts")
    incidents = next(t for t in result.tables if t.table == "incidents")
    # The capture holds three incidents resolved before they started: named, never silently fixed.
    assert sorted((e.record, e.field) for e in incidents.errors) == [
        ("incident_id=nk9gdvl03ztg", "resolved_at"), ("incident_id=qb2vmff9bnf5", "resolved_at"),
        ("incident_id=qrrdvssfmrs2", "resolved_at")]
    assert impacts.rows == counts["incident_impacts"] > 100


def _cmc_prices(path: Path, symbol: str, first: str, last: str) -> list[dict]:
    with open(REALDATA / f"cmc_coin_{path}.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{"asset": symbol, "date": r["Date"][:10], "close_usd": format(Decimal(r["Close"]), "f")}
            for r in rows if first <= r["Date"][:10] <= last]


def _run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSPARENCY_")}
    env["TRANSPARENCY_FIRST_MONTH"] = "2018-01"  # the partitions must reach back to the real data
    env["TRANSPARENCY_RECEIPT_SECRET"] = "a secret of the test"  # a real profile has no demo secret
    return subprocess.run([str(TRANSPARENCY), "--profile", str(GITHUB), *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)


@needs_realdata
def test_the_whole_pipeline_runs_on_real_sources(tmp_path):
    landing = tmp_path / "data" / "landing"
    done = _run(tmp_path, "import", "statuspage", str(FEED), "--since", "2020-05-01", "--until", "2020-07-01")
    assert done.returncode == 0, done.stderr
    done = _run(tmp_path, "import", "insurance-fund", "--exchange", "bitmex",
                str(REALDATA / "bitmex_insurance_XBt_daily_2018-02_2020-12.csv"))
    assert done.returncode == 0, done.stderr
    prices = _cmc_prices("Bitcoin", "BTC", "2018-01-01", "2020-12-31")
    with open(landing / "prices.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["asset", "date", "close_usd"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(prices)
    for table in ("compensation_claims", "compensation_payouts", "insurance_fund_movements"):
        # these public sources have no claims, payouts or fund ledger: the tables are empty, not missing
        (landing / f"{table}.csv").write_text(",".join(TABLES_BY_NAME[table].column_names) + "\n")

    done = _run(tmp_path, "run", "--period", "2020-06")

    assert done.returncode == 0, done.stderr
    assert "insurance_fund_without_ledger" in done.stderr  # a warning: BitMEX publishes balances, not a ledger
    version = tmp_path / "reports" / "2020-06" / "v1"
    page = (version / "public" / "index.html").read_text(encoding="utf-8")
    june = [json.loads(line) for line in (landing / "incidents" / "statuspage.jsonl").read_text().splitlines()
            if line and json.loads(line)["started_at"].startswith("2020-06")]
    assert june and all(i["title"] in page for i in june)
    with open(version / "public" / "data" / "insurance_fund_statement.csv", newline="") as handle:
        statement = list(csv.DictReader(handle))
    assert [(r["fund_id"], r["asset"]) for r in statement] == [("bitmex", "BTC")]
    balances = {r["as_of"][:10]: r["balance"] for r in csv.DictReader(
        open(landing / "insurance_fund_balances" / "bitmex.csv", newline=""))}
    # the closing balance rolls the last snapshot of June forward; with no ledger it is that snapshot
    assert Decimal(statement[0]["closing_balance"]) == Decimal(balances["2020-06-30"])
    regulator_text = subprocess.run(["pdftotext", str(version / "regulator" / "report.pdf"), "-"],
                                    capture_output=True, text=True, check=True).stdout
    assert "n/p" in regulator_text  # "not provided": a status page feed has no clients affected, costs…
    assert _run(tmp_path, "verify", "reports/2020-06/v1").returncode == 0

"""The demo generator: deterministic, contract-shaped, and showing every situation the reports must handle.

The checks recompute what they need in plain Python (Decimal, datetime) rather than trusting the generator's
own arithmetic.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.contract import DECISIONS, REJECTION_REASONS, TABLES_BY_NAME
from pipelines.demo import generate_demo
from pipelines.profile import load_profile

FIRST_MONTH = "2026-05"
MONTHS = 3
SEED = 7
START = datetime(2026, 5, 1, tzinfo=UTC)
END = datetime(2026, 8, 1, tzinfo=UTC)
FILES = {
    "prices": "prices.csv",
    "incidents": "incidents.jsonl",
    "incident_impacts": "incident_impacts.csv",
    "incident_dora_details": "incident_dora_details.jsonl",
    "compensation_claims": "compensation_claims.csv",
    "compensation_payouts": "compensation_payouts.csv",
    "insurance_fund_balances": "insurance_fund_balances.csv",
    "insurance_fund_movements": "insurance_fund_movements.parquet",
}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
DECIMAL = re.compile(r"-?\d{1,20}(\.\d{1,18})?")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("landing")
    counts = generate_demo(directory, FIRST_MONTH, MONTHS, SEED, load_profile())
    (directory / "counts.json").write_text(json.dumps(counts))
    return directory


def _csv(landing: Path, table: str) -> list[dict[str, str | None]]:
    with (landing / FILES[table]).open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def _incidents(landing: Path) -> list[dict]:
    lines = (landing / FILES["incidents"]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _movements(landing: Path) -> list[dict]:
    return pq.read_table(landing / FILES["insurance_fund_movements"]).to_pylist()


def _ts(text: str) -> datetime:
    assert TIMESTAMP.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Determinism -----------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_different_files(landing: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate_demo(again, FIRST_MONTH, MONTHS, SEED, load_profile())
    generate_demo(other, FIRST_MONTH, MONTHS, SEED + 1, load_profile())
    for name in FILES.values():
        assert (again / name).read_bytes() == (landing / name).read_bytes(), name
        assert (other / name).read_bytes() != (landing / name).read_bytes(), name


def test_only_the_contract_files_are_written_and_counts_match(landing: Path) -> None:
    assert sorted(p.name for p in landing.iterdir()) == sorted([*FILES.values(), "counts.json"])
    counts = json.loads((landing / "counts.json").read_text())
    assert set(counts) == set(FILES)
    for table, name in FILES.items():
        if name.endswith(".csv"):
            rows = len(_csv(landing, table))
        elif name.endswith(".jsonl"):
            rows = len(_incidents(landing))
        else:
            rows = pq.read_metadata(landing / name).num_rows
        assert counts[table] == rows > 0, table


# --- Format ----------------------------------------------------------------------------------------------------


def test_every_file_has_exactly_the_contract_columns(landing: Path) -> None:
    for table, name in FILES.items():
        expected = TABLES_BY_NAME[table].column_names
        if name.endswith(".csv"):
            raw = (landing / name).read_bytes()
            assert b"\r" not in raw
            header = raw.decode("utf-8").split("\n", 1)[0]
            assert header.split(",") == expected, table
        elif name.endswith(".jsonl"):
            for line in (landing / name).read_text(encoding="utf-8").splitlines():
                assert list(json.loads(line)) == expected, table
        else:
            assert pq.read_schema(landing / name).names == expected


def test_parquet_types(landing: Path) -> None:
    schema = pq.read_schema(landing / FILES["insurance_fund_movements"])
    assert schema.field("occurred_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("amount").type == pa.decimal128(38, 18)
    for name in ("movement_id", "fund_id", "asset", "kind"):
        assert schema.field(name).type == pa.string()
    assert pq.read_metadata(landing / FILES["insurance_fund_movements"]).row_group(0).column(0).compression == "ZSTD"


def test_csv_values_follow_the_conventions(landing: Path) -> None:
    for table, name in FILES.items():
        if not name.endswith(".csv"):
            continue
        columns = TABLES_BY_NAME[table].columns
        for row in _csv(landing, table):
            for column in columns:
                value = row[column.name]
                if value is None:
                    assert column.nullable, (table, column.name)
                elif column.kind.value == "timestamp":
                    assert TIMESTAMP.fullmatch(value), (table, column.name, value)
                elif column.kind.value == "decimal":
                    assert DECIMAL.fullmatch(value), (table, column.name, value)
                    assert not column.non_negative or not value.startswith("-")
                elif column.kind.value == "date":
                    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)


def test_incident_json_types(landing: Path) -> None:
    for incident in _incidents(landing):
        assert isinstance(incident["value_affected"], str) and DECIMAL.fullmatch(incident["value_affected"])
        assert isinstance(incident["economic_cost"], str) and DECIMAL.fullmatch(incident["economic_cost"])
        assert isinstance(incident["clients_affected"], int) and isinstance(incident["transactions_affected"], int)
        for flag in ("data_loss", "malicious_access", "reputational_impact"):
            assert isinstance(incident[flag], bool)
        states = incident["member_states"]
        assert states is None or (1 <= len(states) <= 4 and all(re.fullmatch(r"[A-Z]{2}", s) for s in states))
        assert re.fullmatch(r"INC-\d{4}-\d{4}", incident["incident_id"])
        assert incident["value_affected_currency"] == "USD" and incident["economic_cost_currency"] == "EUR"


# --- Incidents -------------------------------------------------------------------------------------------------


def test_incident_times_are_ordered_and_inside_the_window(landing: Path) -> None:
    for incident in _incidents(landing):
        started, detected, classified = (_ts(incident[k]) for k in ("started_at", "detected_at", "classified_at"))
        assert START <= started <= detected <= classified < END
        notices = [incident[k] for k in ("initial_notified_at", "intermediate_reported_at", "final_reported_at")]
        present = [_ts(n) for n in notices if n is not None]
        assert present == sorted(present) and all(t < END for t in present)
        assert notices[1] is None or notices[0] is not None  # no intermediate report without an initial one
        if incident["resolved_at"] is None:
            assert incident["status"] in ("investigating", "identified", "monitoring")
            assert notices[2] is None
        else:
            assert incident["status"] in ("resolved", "postmortem")
            assert started <= _ts(incident["resolved_at"]) < END


def test_an_incident_crosses_a_month_boundary(landing: Path) -> None:
    crossing = [i for i in _incidents(landing)
                if i["resolved_at"] and i["started_at"][:7] != i["resolved_at"][:7]]
    assert crossing


def test_an_incident_is_open_at_the_end_with_open_impacts(landing: Path) -> None:
    impacts = _csv(landing, "incident_impacts")
    open_ids = [i["incident_id"] for i in _incidents(landing) if i["resolved_at"] is None]
    assert open_ids
    assert any(all(r["ended_at"] is None for r in impacts if r["incident_id"] == incident_id)
               for incident_id in open_ids)


def test_impacts_lie_within_their_incident_and_are_unique(landing: Path) -> None:
    incidents = {i["incident_id"]: i for i in _incidents(landing)}
    impacts = _csv(landing, "incident_impacts")
    keys = [(r["incident_id"], r["service"], r["impact"], r["started_at"]) for r in impacts]
    assert len(keys) == len(set(keys))
    assert set(incidents) == {r["incident_id"] for r in impacts}  # every incident hit something
    services = set(load_profile().service_codes)
    for row in impacts:
        incident = incidents[row["incident_id"]]
        assert row["service"] in services
        started = _ts(row["started_at"])
        resolved = _ts(incident["resolved_at"]) if incident["resolved_at"] else END
        assert _ts(incident["started_at"]) <= started < resolved
        if row["ended_at"] is not None:
            assert started < _ts(row["ended_at"]) <= resolved


def test_a_service_has_overlapping_outage_intervals(landing: Path) -> None:
    resolved = {i["incident_id"]: _ts(i["resolved_at"]) if i["resolved_at"] else END for i in _incidents(landing)}
    by_service = defaultdict(list)
    for row in _csv(landing, "incident_impacts"):
        if row["impact"] in ("major_outage", "partial_outage"):
            end = _ts(row["ended_at"]) if row["ended_at"] else resolved[row["incident_id"]]
            by_service[row["service"]].append((_ts(row["started_at"]), end, row["incident_id"]))
    overlapping = [
        service for service, intervals in by_service.items()
        if any(a[0] < b[1] and b[0] < a[1] and a[2] != b[2]
               for i, a in enumerate(intervals) for b in intervals[i + 1:])
    ]
    assert overlapping


def test_some_incidents_look_major_and_most_do_not(landing: Path) -> None:
    incidents = _incidents(landing)
    notified = [i for i in incidents if i["initial_notified_at"]]
    assert 0 < len(notified) < len(incidents) / 2
    assert any(Decimal(i["economic_cost"]) > 100_000 for i in incidents)


# --- Claims and payouts ----------------------------------------------------------------------------------------


def test_every_decision_and_rejection_reason_occurs_consistently(landing: Path) -> None:
    claims = _csv(landing, "compensation_claims")
    assert {c["decision"] for c in claims} == set(DECISIONS)
    assert {c["rejection_reason"] for c in claims} - {None} == set(REJECTION_REASONS)
    reasons = Counter(c["rejection_reason"] for c in claims if c["rejection_reason"])
    assert reasons.most_common(1)[0][0] == "unrealized_profit"
    incident_ids = {i["incident_id"] for i in _incidents(landing)}
    for claim in claims:
        assert re.fullmatch(r"CLM-\d{8}", claim["claim_id"])
        assert re.fullmatch(r"acct_[0-9a-f]{12}", claim["account_ref"])
        assert claim["incident_id"] is None or claim["incident_id"] in incident_ids
        assert (claim["decision"] == "pending") == (claim["decided_at"] is None)
        assert (claim["decision"] == "rejected") == (claim["rejection_reason"] is not None)
        assert (claim["decision"] in ("approved", "partially_approved")) == (claim["approved_amount"] is not None)
        submitted = _ts(claim["submitted_at"])
        assert START <= submitted < END
        if claim["decided_at"]:
            assert submitted <= _ts(claim["decided_at"]) < END
        if claim["approved_amount"]:
            assert Decimal(0) < Decimal(claim["approved_amount"]) <= Decimal(claim["claimed_amount"])
        if claim["decision"] == "approved":
            assert claim["approved_amount"] == claim["claimed_amount"]
    assert any(c["incident_id"] is None for c in claims)
    assert Counter(c["account_ref"] for c in claims).most_common(1)[0][1] > 1  # some accounts claim again
    assert {c["channel"] for c in claims} == {"user_claim", "automatic"}


def test_claims_follow_their_incident(landing: Path) -> None:
    started = {i["incident_id"]: _ts(i["started_at"]) for i in _incidents(landing)}
    for claim in _csv(landing, "compensation_claims"):
        if claim["incident_id"]:
            assert _ts(claim["submitted_at"]) > started[claim["incident_id"]]


def test_payouts_pay_approved_claims_never_more(landing: Path) -> None:
    claims = {c["claim_id"]: c for c in _csv(landing, "compensation_claims")}
    payouts = _csv(landing, "compensation_payouts")
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for payout in payouts:
        assert re.fullmatch(r"PAY-\d{8}", payout["payout_id"])
        claim = claims[payout["claim_id"]]
        assert claim["decision"] in ("approved", "partially_approved")
        assert payout["asset"] == claim["claimed_asset"]
        assert _ts(claim["decided_at"]) <= _ts(payout["paid_at"]) < END
        paid[payout["claim_id"]] += Decimal(payout["amount"])
    for claim_id, total in paid.items():
        assert total == Decimal(claims[claim_id]["approved_amount"])  # split payouts add up exactly
    assert len({p["asset"] for p in payouts}) >= 3
    assert {p["funding_source"] for p in payouts} == {"company", "insurance_fund"}
    assert len(payouts) > len(paid)  # some claims are paid in two parts


def test_every_insurance_funded_payout_has_its_compensation_movement(landing: Path) -> None:
    fund_for = {"USDT": "usdm-perp", "USDC": "usdm-perp", "BTC": "coinm-perp", "ETH": "coinm-perp",
                "SOL": "coinm-perp"}
    expected = Counter(
        (fund_for[p["asset"]], p["asset"], _ts(p["paid_at"]), -Decimal(p["amount"]))
        for p in _csv(landing, "compensation_payouts") if p["funding_source"] == "insurance_fund"
    )
    found = Counter(
        (m["fund_id"], m["asset"], m["occurred_at"], m["amount"])
        for m in _movements(landing) if m["kind"] == "compensation"
    )
    assert expected and found == expected


# --- Insurance funds -------------------------------------------------------------------------------------------


def test_every_snapshot_is_the_previous_one_plus_the_movements_between(landing: Path) -> None:
    movements = defaultdict(list)
    for m in _movements(landing):
        assert m["occurred_at"].time() != datetime.min.time()  # never exactly at a snapshot instant
        movements[(m["fund_id"], m["asset"])].append((m["occurred_at"], m["amount"]))
    snapshots = defaultdict(list)
    for row in _csv(landing, "insurance_fund_balances"):
        at = _ts(row["as_of"])
        assert at.time() == datetime.min.time()
        snapshots[(row["fund_id"], row["asset"])].append((at, Decimal(row["balance"])))
    assert set(snapshots) == set(movements)
    for key, series in snapshots.items():
        series.sort()
        ledger = sorted(movements[key])
        assert series[0][0] == START - timedelta(days=1) and series[-1][0] == END - timedelta(days=1)
        assert ledger[0][0] > series[0][0]  # nothing before the first snapshot
        position = 0
        for (_, opening), (after, closing) in zip(series, series[1:]):
            moved = Decimal(0)
            while position < len(ledger) and ledger[position][0] <= after:
                moved += ledger[position][1]
                position += 1
            assert opening + moved == closing, (key, after)
        # Only the last day's movements come after the last snapshot (taken at 00:00 that day).
        assert all(at >= series[-1][0] for at, _ in ledger[position:])
    days = {at for series in snapshots.values() for at, _ in series}
    assert 2 <= (END - START).days + 1 - len(days) <= 3  # a few snapshot days are missing


def test_fund_balances_never_go_negative(landing: Path) -> None:
    balances = _csv(landing, "insurance_fund_balances")
    assert all(Decimal(row["balance"]) > 0 for row in balances)
    # Also between snapshots: replay the ledger from the first snapshot, movement by movement.
    first = min(row["as_of"] for row in balances)
    running = {(r["fund_id"], r["asset"]): Decimal(r["balance"]) for r in balances if r["as_of"] == first}
    for m in sorted(_movements(landing), key=lambda m: m["occurred_at"]):
        running[(m["fund_id"], m["asset"])] += m["amount"]
        assert running[(m["fund_id"], m["asset"])] >= 0


def test_fund_ledger_has_every_kind_and_paired_transfers(landing: Path) -> None:
    movements = _movements(landing)
    kinds = Counter(m["kind"] for m in movements)
    assert set(kinds) == {"liquidation_surplus", "bankruptcy_cover", "platform_contribution", "compensation", "adl",
                          "transfer"}
    assert kinds["liquidation_surplus"] > 10 * kinds["bankruptcy_cover"]
    for m in movements:
        assert START <= m["occurred_at"] < END
        assert (m["amount"] > 0) == (m["kind"] in ("liquidation_surplus", "platform_contribution")) or (
            m["kind"] == "transfer")
    transfers = defaultdict(Decimal)
    for m in movements:
        if m["kind"] == "transfer":
            assert m["asset"] == "USDT"
            transfers[m["occurred_at"]] += m["amount"]
    assert transfers and all(total == 0 for total in transfers.values())
    ids = [m["movement_id"] for m in movements]
    assert ids == [f"MOV-{n:09d}" for n in range(1, len(ids) + 1)]


# --- Prices ----------------------------------------------------------------------------------------------------


def test_prices_cover_every_asset_and_day_used(landing: Path) -> None:
    prices = {(r["asset"], r["date"]): r["close_usd"] for r in _csv(landing, "prices")}
    used = set()
    used |= {(p["asset"], p["paid_at"][:10]) for p in _csv(landing, "compensation_payouts")}
    used |= {(c["claimed_asset"], c["submitted_at"][:10]) for c in _csv(landing, "compensation_claims")}
    used |= {(b["asset"], b["as_of"][:10]) for b in _csv(landing, "insurance_fund_balances")}
    used |= {(m["asset"], m["occurred_at"].date().isoformat()) for m in _movements(landing)}
    for incident in _incidents(landing):
        used.add((incident["economic_cost_currency"], incident["started_at"][:10]))
        used.add((incident["value_affected_currency"], incident["started_at"][:10]))
    assert used <= set(prices)
    # Every asset has every day from a week before the window to its last day.
    days = [(START.date() - timedelta(days=7) + timedelta(days=n)).isoformat()
            for n in range((END - START).days + 7)]
    assets = {a for a, _ in prices}
    assert assets == {"BTC", "ETH", "SOL", "XRP", "USDT", "USDC", "EUR", "USD"}
    assert set(prices) == {(a, d) for a in assets for d in days}


def test_prices_look_like_markets(landing: Path) -> None:
    rows = _csv(landing, "prices")
    for row in rows:
        assert re.fullmatch(r"\d+\.\d{8}", row["close_usd"])
        close = Decimal(row["close_usd"])
        if row["asset"] == "USD":
            assert row["close_usd"] == "1.00000000"
        elif row["asset"] in ("USDT", "USDC"):
            assert Decimal("0.9996") <= close <= Decimal("1.0004")
        elif row["asset"] == "EUR":
            assert Decimal("1.08") <= close <= Decimal("1.17")
    btc = [Decimal(r["close_usd"]) for r in sorted(rows, key=lambda r: r["date"]) if r["asset"] == "BTC"]
    assert min(b / a for a, b in zip(btc, btc[1:])) < Decimal("0.9")  # at least one crash day
    assert any(r["asset"] == "USDT" and r["close_usd"] != "1.00000000" for r in rows)


def test_window_is_validated() -> None:
    with pytest.raises(ValueError):
        generate_demo(Path("unused"), "2026-13", 1, SEED, load_profile())
    with pytest.raises(ValueError):
        generate_demo(Path("unused"), "2026-05", 0, SEED, load_profile())


@pytest.mark.parametrize("months", [1, 2])
def test_short_windows_still_generate(tmp_path: Path, months: int) -> None:
    counts = generate_demo(tmp_path, "2026-12", months, 3, load_profile())
    assert all(n > 0 for n in counts.values())
    assert date(2026, 12, 1).isoformat() in (tmp_path / "prices.csv").read_text()

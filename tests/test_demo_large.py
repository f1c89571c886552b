"""The exchange-scale generator at a tiny scale: contract-shaped Parquet per month, valid, deterministic, and
reconciled exactly; and the benchmark's two references agree with each other.

The checks recompute what they need in plain Python (Decimal, datetime) from the files, not from the generator.
"""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.contract import TABLES, Kind
from pipelines.demo import generate_large, parse_scale
from pipelines.profile import load_profile
from pipelines.staging import validate_landing

# the large months carry no back-office DORA records (an optional table)
LANDED = [t for t in TABLES if not t.optional]
FIRST_MONTH = "2026-05"
MONTHS = ("2026-05", "2026-06")
SCALE = 0.001
SEED = 11
EXPECTED_TYPE = {
    Kind.ID: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.CODE: pa.string(),
    Kind.ENUM: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.DECIMAL: pa.decimal128(38, 18),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.COUNTRY_LIST: pa.list_(pa.string()),
}
ROOT = Path(__file__).resolve().parent.parent


def _references():
    spec = importlib.util.spec_from_file_location("bench_references", ROOT / "benchmarks" / "references.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("large")
    counts = generate_large(directory, FIRST_MONTH, len(MONTHS), SCALE, SEED, load_profile())
    (directory.parent / f"{directory.name}-counts.json").write_text(json.dumps(counts))
    return directory


def _counts(landing: Path) -> dict[str, int]:
    return json.loads((landing.parent / f"{landing.name}-counts.json").read_text())


def _rows(landing: Path, table: str) -> list[dict]:
    return pq.read_table(landing / table).to_pylist()  # every month's file of the table


def test_one_file_per_table_and_month_with_the_contract_columns_and_types(landing: Path) -> None:
    counts = _counts(landing)
    assert sorted(p.name for p in landing.iterdir()) == sorted(t.name for t in LANDED)
    for table in LANDED:
        files = sorted(p.name for p in (landing / table.name).iterdir())
        assert files == [f"{m}.parquet" for m in MONTHS], table.name
        total = 0
        for name in files:
            schema = pq.read_schema(landing / table.name / name)
            assert schema.names == table.column_names, table.name
            for column in table.columns:
                assert schema.field(column.name).type == EXPECTED_TYPE[column.kind], (table.name, column.name)
            total += pq.read_metadata(landing / table.name / name).num_rows
        assert total == counts[table.name] > 0, table.name


def test_sizes_follow_the_scale(landing: Path) -> None:
    for month in MONTHS:
        def rows(table: str, month: str = month) -> int:
            return pq.read_metadata(landing / table / f"{month}.parquet").num_rows

        assert rows("insurance_fund_movements") >= 30_000_000 * SCALE
        assert rows("compensation_claims") >= 1_000_000 * SCALE
        assert rows("compensation_payouts") >= 1_000_000 * SCALE * 0.5  # the first month has no carry-in
        assert rows("incidents") >= 1
    assert parse_scale("large") == 1.0 and parse_scale("0.25") == 0.25
    with pytest.raises(ValueError):
        parse_scale("-1")


def test_the_landing_data_meet_the_contract(landing: Path) -> None:
    result = validate_landing(landing, load_profile())
    assert result.ok, result.summary()
    assert not result.errors


def test_same_seed_same_bytes_other_seed_other_data(landing: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate_large(again, FIRST_MONTH, len(MONTHS), SCALE, SEED, load_profile())
    generate_large(other, FIRST_MONTH, len(MONTHS), SCALE, SEED + 1, load_profile())
    for table in LANDED:
        for month in MONTHS:
            name = f"{table.name}/{month}.parquet"
            assert (again / name).read_bytes() == (landing / name).read_bytes(), name
    assert (other / "insurance_fund_movements/2026-05.parquet").read_bytes() != (
        landing / "insurance_fund_movements/2026-05.parquet").read_bytes()


def test_ids_are_unique_across_months(landing: Path) -> None:
    for table in LANDED:
        if len(table.key) == 1:
            ids = pq.read_table(landing / table.name, columns=list(table.key)).column(0).to_pylist()
            assert len(ids) == len(set(ids)), table.name


def test_snapshots_equal_the_previous_one_plus_the_movements_in_between(landing: Path) -> None:
    movements = _rows(landing, "insurance_fund_movements")
    snapshots = _rows(landing, "insurance_fund_balances")
    assert all(m["occurred_at"].time() != datetime.min.time() for m in movements)  # never at 00:00:00
    by_pair: dict[tuple[str, str], list[tuple[datetime, Decimal]]] = defaultdict(list)
    for s in snapshots:
        by_pair[(s["fund_id"], s["asset"])].append((s["as_of"], s["balance"]))
    moved: dict[tuple[str, str, object], Decimal] = defaultdict(Decimal)
    for m in movements:
        moved[(m["fund_id"], m["asset"], m["occurred_at"].date())] += m["amount"]
    first = datetime(2026, 4, 30, tzinfo=UTC)
    assert len(by_pair) == 6
    for (fund, asset), series in by_pair.items():
        series.sort()
        # Daily at 00:00Z from the day before the first month to the last day.
        assert [t for t, _ in series] == [first + timedelta(days=i) for i in range(len(series))]
        assert series[-1][0] == datetime(2026, 6, 30, tzinfo=UTC)
        for (t0, b0), (t1, b1) in zip(series, series[1:]):
            assert b1 == b0 + moved[(fund, asset, t0.date())], (fund, asset, t1)
            assert b1 >= 0
        for _, balance in series:
            assert balance == balance.quantize(Decimal(10) ** -8)


def test_payouts_pay_approved_claims_and_insured_ones_move_the_fund(landing: Path) -> None:
    claims = {c["claim_id"]: c for c in _rows(landing, "compensation_claims")}
    incidents = {i["incident_id"] for i in _rows(landing, "incidents")}
    assert all(c["incident_id"] is None or c["incident_id"] in incidents for c in claims.values())
    paid: dict[str, Decimal] = defaultdict(Decimal)
    insured: dict[tuple[datetime, str], Decimal] = defaultdict(Decimal)
    for p in _rows(landing, "compensation_payouts"):
        claim = claims[p["claim_id"]]
        assert claim["decision"] in ("approved", "partially_approved")
        assert p["asset"] == claim["claimed_asset"] and claim["submitted_at"] <= claim["decided_at"] <= p["paid_at"]
        paid[p["claim_id"]] += p["amount"]
        if p["funding_source"] == "insurance_fund":
            insured[(p["paid_at"], p["asset"])] += p["amount"]
    assert all(total <= claims[c]["approved_amount"] for c, total in paid.items())
    assert any(total == claims[c]["approved_amount"] for c, total in paid.items())
    assert insured
    compensation: dict[tuple[datetime, str], Decimal] = defaultdict(Decimal)
    for m in _rows(landing, "insurance_fund_movements"):
        if m["kind"] == "compensation":
            compensation[(m["occurred_at"], m["asset"])] -= m["amount"]
    assert compensation == insured
    decisions = {c["decision"] for c in claims.values()}
    assert decisions == {"approved", "partially_approved", "rejected", "withdrawn", "pending"}


def test_every_time_that_needs_a_price_has_one(landing: Path) -> None:
    prices = {(p["asset"], p["date"]) for p in _rows(landing, "prices")}
    needed = [(m["asset"], m["occurred_at"]) for m in _rows(landing, "insurance_fund_movements")]
    needed += [(b["asset"], b["as_of"]) for b in _rows(landing, "insurance_fund_balances")]
    needed += [(p["asset"], p["paid_at"]) for p in _rows(landing, "compensation_payouts")]
    needed += [(c["claimed_asset"], c["decided_at"]) for c in _rows(landing, "compensation_claims") if c["decided_at"]]
    for i in _rows(landing, "incidents"):
        needed += [(i["value_affected_currency"], i["started_at"]), (i["economic_cost_currency"], i["classified_at"]),
                   ("EUR", i["classified_at"])]
    missing = {(asset, t.date()) for asset, t in needed if asset and (asset, t.date()) not in prices}
    assert not missing


@pytest.mark.parametrize("period", MONTHS)
def test_floor_and_pandas_references_agree(landing: Path, period: str) -> None:
    references = _references()
    floor = references.floor(landing, period)
    peer = references.pandas_reference(landing, period)
    assert not references.compare(floor, peer)
    assert len(floor["fund_daily"]) == 6 * (31 if period == "2026-05" else 30)
    assert sum(floor["claims_decided"].values()) > 0
    assert floor["compensation_paid_usd"]["total"] > 0
    # Opening of each day = closing of the day before = opening + inflows − outflows (exact, in DuckDB decimals).
    days = floor["fund_daily"]
    for (fund, asset, day), row in days.items():
        assert row["closing"] == row["opening"] + row["inflows"] - row["outflows"]
        before = (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()
        if (fund, asset, before) in days:
            assert days[(fund, asset, before)]["closing"] == row["opening"]
    # A wrong figure is noticed.
    changed = dict(peer, claims_decided={**peer["claims_decided"], "approved": -1})
    assert references.compare(floor, changed)

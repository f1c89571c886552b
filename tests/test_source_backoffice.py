"""The PostgreSQL back-office adapter against a real server (see conftest_postgres.py for the server)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from conftest_postgres import backoffice_dsn_fixture, pg_server_dsn_fixture, psycopg  # noqa: F401  (fixtures)
from landing_builder import valid_tables, write_landing

from pipelines.contract import COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS, TABLES_BY_NAME, Kind
from pipelines.sources.backoffice import (
    BackofficeError,
    format_decimal,
    import_backoffice,
    landing_path,
    mask_dsn,
)
from pipelines.staging import ingest, validate_landing
from pipelines.timestamps import iso_utc
from pipelines.warehouse import connect

CLAIM_COLUMNS = COMPENSATION_CLAIMS.column_names
PAYOUT_COLUMNS = COMPENSATION_PAYOUTS.column_names

# Every decision; a pending claim (no decided_at, no incident); amounts with many decimals and tiny ones;
# timestamps written with another offset and with fractional seconds.
CLAIMS = [
    ("CLM-A", "INC-1", "acct_aaaa", "user_claim", "2026-05-04 11:00:00+02", "2026-05-06 09:00:00.5+00",
     "approved", None, "0.01000000", "BTC", "0.01000000"),
    ("CLM-B", "INC-1", "acct_bbbb", "user_claim", "2026-05-04 09:30:00+00", "2026-05-07 12:00:00+00",
     "partially_approved", None, "2000.00", "USDT", "1234.567890123456789"),
    ("CLM-C", "INC-1", "acct_cccc", "user_claim", "2026-05-05 08:00:00+00", "2026-05-08 08:00:00+00",
     "rejected", "unrealized_profit", "500.00", "USDT", None),
    ("CLM-D", "INC-2", "acct_dddd", "user_claim", "2026-05-30 23:00:00+00", "2026-05-31 10:00:00+00",
     "withdrawn", None, "75", "USDT", None),
    ("CLM-E", None, "acct_eeee", "automatic", "2026-05-10 10:00:00-05", None, "pending", None, "0.5", "BTC", None),
]
PAYOUTS = [
    ("PAY-1", "CLM-A", "2026-05-07 09:00:00+00", "BTC", "0.00600000", "account_credit", "company"),
    ("PAY-2", "CLM-A", "2026-05-07 09:00:00.000001+00", "BTC", "0.00000001", "on_chain", "insurance_fund"),
    ("PAY-3", "CLM-B", "2026-05-08 00:00:00+00", "USDT", "1234.567890123456789", "voucher", "company"),
]

CLAIMS_CSV = ",".join(CLAIM_COLUMNS) + """
CLM-A,INC-1,acct_aaaa,user_claim,2026-05-04T09:00:00Z,2026-05-06T09:00:00.500000Z,approved,,0.01000000,BTC,0.01000000
CLM-B,INC-1,acct_bbbb,user_claim,2026-05-04T09:30:00Z,2026-05-07T12:00:00Z,partially_approved,,2000.00,USDT,1234.567890123456789
CLM-C,INC-1,acct_cccc,user_claim,2026-05-05T08:00:00Z,2026-05-08T08:00:00Z,rejected,unrealized_profit,500.00,USDT,
CLM-D,INC-2,acct_dddd,user_claim,2026-05-30T23:00:00Z,2026-05-31T10:00:00Z,withdrawn,,75,USDT,
CLM-E,,acct_eeee,automatic,2026-05-10T15:00:00Z,,pending,,0.5,BTC,
"""
PAYOUTS_CSV = ",".join(PAYOUT_COLUMNS) + """
PAY-1,CLM-A,2026-05-07T09:00:00Z,BTC,0.00600000,account_credit,company
PAY-2,CLM-A,2026-05-07T09:00:00.000001Z,BTC,0.00000001,on_chain,insurance_fund
PAY-3,CLM-B,2026-05-08T00:00:00Z,USDT,1234.567890123456789,voucher,company
"""


def _insert(dsn: str, claims=(), payouts=(), *, updated_at: str | None = None) -> None:
    """Insert rows; with `updated_at` (an SQL expression), stamp them so instead of by the trigger."""
    with psycopg.connect(dsn, autocommit=False) as conn:
        if updated_at:
            conn.execute("ALTER TABLE claims DISABLE TRIGGER claims_touch_updated_at")
            conn.execute("ALTER TABLE payouts DISABLE TRIGGER payouts_touch_updated_at")
        stamp = f", {updated_at}" if updated_at else ""
        extra = ", updated_at" if updated_at else ""
        with conn.cursor() as cur:
            if claims:
                cur.executemany(
                    f"INSERT INTO claims ({', '.join(CLAIM_COLUMNS)}{extra}) "
                    f"VALUES ({', '.join(['%s'] * len(CLAIM_COLUMNS))}{stamp})",
                    claims,
                )
            if payouts:
                cur.executemany(
                    f"INSERT INTO payouts ({', '.join(PAYOUT_COLUMNS)}{extra}) "
                    f"VALUES ({', '.join(['%s'] * len(PAYOUT_COLUMNS))}{stamp})",
                    payouts,
                )
        if updated_at:
            conn.execute("ALTER TABLE claims ENABLE TRIGGER claims_touch_updated_at")
            conn.execute("ALTER TABLE payouts ENABLE TRIGGER payouts_touch_updated_at")


def _execute(dsn: str, statement: str, params=()) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement, params)


def _landing(tmp_path: Path) -> Path:
    """The valid hand-written landing set without claims and payouts: those come from the back office."""
    tables = {k: v for k, v in valid_tables().items() if k not in ("compensation_claims", "compensation_payouts")}
    return write_landing(tmp_path / "landing", tables)


def _claims_file(landing: Path) -> Path:
    return landing_path(landing, COMPENSATION_CLAIMS)


def _payouts_file(landing: Path) -> Path:
    return landing_path(landing, COMPENSATION_PAYOUTS)


def _keys(path: Path) -> list[str]:
    return [line.split(",", 1)[0] for line in path.read_text().splitlines()[1:]]


# --- without a server --------------------------------------------------------------------------------------


def test_values_are_written_in_the_contract_conventions():
    assert format_decimal(Decimal("1E-8")) == "0.00000001"
    assert format_decimal(Decimal("1.2E+3")) == "1200"
    assert format_decimal(Decimal("1234.567890123456789")) == "1234.567890123456789"
    assert format_decimal(Decimal("0.01000000")) == "0.01000000"
    plus_two = timezone(timedelta(hours=2))
    assert iso_utc(datetime(2026, 5, 4, 11, 0, tzinfo=plus_two)) == "2026-05-04T09:00:00Z"
    assert iso_utc(datetime(2026, 5, 4, 9, 0, 0, 500000, tzinfo=UTC)) == "2026-05-04T09:00:00.500000Z"
    assert iso_utc(datetime(2026, 5, 4, 9, 0, 0, 1, tzinfo=UTC)) == "2026-05-04T09:00:00.000001Z"


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://app:s3cr%40t-pw@db.internal:5432/backoffice",
         "postgresql://app:***@db.internal:5432/backoffice"),
        ("host=db.internal user=app password=s3cr3t-pw dbname=backoffice",
         "host=db.internal user=app password=*** dbname=backoffice"),
        ("host=db.internal password='s3cr3t pw' dbname=backoffice", "host=db.internal password=*** dbname=backoffice"),
        ("postgresql://db.internal/backoffice?user=app&password=s3cr3t-pw",
         "postgresql://db.internal/backoffice?user=app&password=***"),
    ],
)
def test_mask_dsn_hides_the_password(dsn, shown):
    assert mask_dsn(dsn) == shown


# --- the schema ----------------------------------------------------------------------------------------------


def test_schema_holds_the_contract_columns_types_and_enums(backoffice_dsn):
    expected_type = {Kind.TIMESTAMP: "timestamp with time zone", Kind.DECIMAL: "numeric"}
    with psycopg.connect(backoffice_dsn) as conn:
        for relation, table in (("claims", COMPENSATION_CLAIMS), ("payouts", COMPENSATION_PAYOUTS)):
            columns = dict(
                conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s",
                    [relation],
                ).fetchall()
            )
            assert set(columns) == set(table.column_names) | {"updated_at"}
            assert columns["updated_at"] == "timestamp with time zone"
            for column in table.columns:
                assert columns[column.name] == expected_type.get(column.kind, "text"), column.name
            checks = dict(
                conn.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype = 'c'",
                    [relation],
                ).fetchall()
            )
            for column in table.columns:
                if column.kind is Kind.ENUM:  # the enum's CHECK holds exactly the contract's values
                    definition = checks[f"{relation}_{column.name}_check"]
                    assert set(re.findall(r"'([^']*)'::text", definition)) == set(column.values), column.name
                    for value in column.values:
                        assert f"'{value}'" in definition, (column.name, value)
        foreign = conn.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = 'payouts'::regclass "
            "AND contype = 'f'"
        ).fetchall()
        assert foreign == [("claims",)]


def test_schema_refuses_what_the_contract_refuses(backoffice_dsn):
    row = list(CLAIMS[4])
    bad_rows = {
        "an unknown decision": {6: "maybe"},
        "a decided time on a pending claim": {5: "2026-05-11 00:00:00+00"},
        "more fractional digits than the contract keeps": {8: "0.1234567890123456789"},
        "a negative amount": {8: "-1"},
        "a lower-case asset": {9: "btc"},
        "an identifier with surrounding spaces": {0: " CLM-X"},
    }
    for problem, change in bad_rows.items():
        values = list(row)
        values[0] = "CLM-X"
        for index, value in change.items():
            values[index] = value
        with pytest.raises(psycopg.errors.CheckViolation):
            _insert(backoffice_dsn, [tuple(values)])
            pytest.fail(problem)
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        _insert(backoffice_dsn, payouts=[("PAY-X", "CLM-NONE", "2026-05-07 09:00:00+00", "BTC", "1", "voucher",
                                          "company")])


def test_every_insert_and_update_bumps_updated_at(backoffice_dsn):
    _insert(backoffice_dsn, CLAIMS[:1])
    with psycopg.connect(backoffice_dsn, autocommit=True) as conn:
        conn.execute("UPDATE claims SET updated_at = '2000-01-01T00:00:00Z'")  # the trigger overrides the client
        first = conn.execute("SELECT updated_at FROM claims").fetchone()[0]
        assert first > datetime(2020, 1, 1, tzinfo=UTC)
        conn.execute("UPDATE claims SET account_ref = account_ref")  # any UPDATE, even one that changes nothing
        second = conn.execute("SELECT updated_at FROM claims").fetchone()[0]
        assert second > first
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()
    assert {("claims_updated_at_idx",), ("payouts_updated_at_idx",)} <= set(indexes)


# --- the import ----------------------------------------------------------------------------------------------


def test_import_writes_the_contract_files_exactly(backoffice_dsn, tmp_path, profile):
    _insert(backoffice_dsn, CLAIMS, PAYOUTS)
    landing = _landing(tmp_path)

    counts = import_backoffice(backoffice_dsn, landing)

    assert counts == {
        "compensation_claims_fetched": 5,
        "compensation_claims_rows": 5,
        "compensation_payouts_fetched": 3,
        "compensation_payouts_rows": 3,
    }
    assert _claims_file(landing).read_text() == CLAIMS_CSV
    assert _payouts_file(landing).read_text() == PAYOUTS_CSV
    assert _claims_file(landing).read_text().splitlines()[0].split(",") == TABLES_BY_NAME[
        "compensation_claims"].column_names
    result = validate_landing(landing, profile)
    assert result.ok, result.summary()
    assert not result.errors
    state = json.loads((landing / ".watermarks" / "backoffice.json").read_text())
    assert set(state["tables"]) == {"compensation_claims", "compensation_payouts"}
    assert state["overlap_seconds"] == 300
    # Nothing but the landing files and the watermark's folder were written: no temporary file is left.
    assert sorted(p.name for p in (landing / "compensation_claims").iterdir()) == ["backoffice.csv"]
    assert sorted(p.name for p in (landing / "compensation_payouts").iterdir()) == ["backoffice.csv"]


def test_reimport_merges_the_changes_and_the_warehouse_follows(backoffice_dsn, tmp_path, profile):
    """Load from PostgreSQL, change a row, re-import: the warehouse has the change and no duplicate."""
    # Rows written days ago: an import after the change reads only what changed since the watermark (the latest
    # stamp it saw) less the overlap, and so the rows stamped at the watermark (CLM-E, PAY-3) too.
    _insert(backoffice_dsn, CLAIMS[:4], PAYOUTS[:2], updated_at="now() - interval '2 days'")
    _insert(backoffice_dsn, CLAIMS[4:], PAYOUTS[2:], updated_at="now() - interval '1 day'")
    landing = _landing(tmp_path)
    warehouse = connect(tmp_path / "wh.duckdb")

    import_backoffice(backoffice_dsn, landing)
    loaded = ingest(warehouse, landing, profile)
    assert loaded.ok, loaded.summary()
    assert warehouse.execute(
        "SELECT decision, decided_at, approved_amount FROM staging.compensation_claims WHERE claim_id = 'CLM-E'"
    ).fetchall() == [("pending", None, None)]

    # The pending claim is approved (in part) and paid.
    _execute(
        backoffice_dsn,
        "UPDATE claims SET decision = 'partially_approved', decided_at = '2026-05-20T10:00:00Z', "
        "approved_amount = 0.250000000000000001 WHERE claim_id = 'CLM-E'",
    )
    _insert(backoffice_dsn, payouts=[("PAY-4", "CLM-E", "2026-05-21 10:00:00+00", "BTC", "0.250000000000000001",
                                      "fee_rebate", "insurance_fund")])

    counts = import_backoffice(backoffice_dsn, landing)

    assert counts == {
        "compensation_claims_fetched": 1,  # the changed claim only
        "compensation_claims_rows": 5,
        "compensation_payouts_fetched": 2,  # the new payout, and PAY-3 (at the watermark) again
        "compensation_payouts_rows": 4,
    }
    claims = _claims_file(landing).read_text()
    assert ("CLM-E,,acct_eeee,automatic,2026-05-10T15:00:00Z,2026-05-20T10:00:00Z,partially_approved,,0.5,BTC,"
            "0.250000000000000001\n") in claims
    assert "pending" not in claims
    assert claims.replace(claims.splitlines()[-1], CLAIMS_CSV.splitlines()[-1]) == CLAIMS_CSV  # the rest as before
    assert _keys(_claims_file(landing)) == ["CLM-A", "CLM-B", "CLM-C", "CLM-D", "CLM-E"]
    assert _keys(_payouts_file(landing)) == ["PAY-1", "PAY-2", "PAY-3", "PAY-4"]

    loaded = ingest(warehouse, landing, profile)
    assert loaded.ok, loaded.summary()
    rows = warehouse.execute(
        "SELECT claim_id, count(*) FROM staging.compensation_claims GROUP BY claim_id ORDER BY claim_id"
    ).fetchall()
    assert rows == [("CLM-A", 1), ("CLM-B", 1), ("CLM-C", 1), ("CLM-D", 1), ("CLM-E", 1)]
    assert warehouse.execute(
        "SELECT decision, decided_at, approved_amount, source_file FROM staging.compensation_claims "
        "WHERE claim_id = 'CLM-E'"
    ).fetchall() == [
        ("partially_approved", datetime(2026, 5, 20, 10, tzinfo=UTC), Decimal("0.250000000000000001"),
         "compensation_claims/backoffice.csv")
    ]
    assert warehouse.execute(
        "SELECT approved_amount FROM staging.compensation_claims WHERE claim_id = 'CLM-B'"
    ).fetchone() == (Decimal("1234.567890123456789"),)
    assert warehouse.execute("SELECT count(*), count(DISTINCT payout_id) FROM staging.compensation_payouts"
                             ).fetchone() == (4, 4)

    # Nothing changed since: the same bytes, the same watermark.
    before = {p: p.read_bytes() for p in (_claims_file(landing), _payouts_file(landing),
                                          landing / ".watermarks" / "backoffice.json")}
    counts = import_backoffice(backoffice_dsn, landing)
    assert counts["compensation_claims_rows"] == 5 and counts["compensation_payouts_rows"] == 4
    assert {p: p.read_bytes() for p in before} == before
    warehouse.close()


def test_overlap_catches_rows_committed_late(backoffice_dsn, tmp_path):
    _insert(backoffice_dsn, CLAIMS[:2], updated_at="now() - interval '1 day'")
    landing = tmp_path / "landing"
    import_backoffice(backoffice_dsn, landing)
    state = json.loads((landing / ".watermarks" / "backoffice.json").read_text())
    watermark = datetime.fromisoformat(state["tables"]["compensation_claims"]["watermark"])

    # A row stamped before the watermark but committed after the import: within the overlap, it is read...
    late = dict(zip(CLAIM_COLUMNS, CLAIMS[2]))
    _insert(backoffice_dsn, [tuple(late.values())], updated_at=f"'{watermark - timedelta(minutes=2)}'")
    # ...one stamped long before is not (the documented limit of an incremental import)...
    older = dict(late, claim_id="CLM-F")
    _insert(backoffice_dsn, [tuple(older.values())], updated_at=f"'{watermark - timedelta(hours=1)}'")
    counts = import_backoffice(backoffice_dsn, landing)
    assert counts["compensation_claims_fetched"] == 3  # CLM-C, and CLM-A and CLM-B stamped at the watermark
    assert _keys(_claims_file(landing)) == ["CLM-A", "CLM-B", "CLM-C"]
    # ...and a full import reads everything.
    counts = import_backoffice(backoffice_dsn, landing, full=True)
    assert counts["compensation_claims_fetched"] == 4
    assert _keys(_claims_file(landing)) == ["CLM-A", "CLM-B", "CLM-C", "CLM-F"]


def test_a_changed_or_missing_landing_file_is_rebuilt_from_the_database(backoffice_dsn, tmp_path):
    _insert(backoffice_dsn, CLAIMS, PAYOUTS, updated_at="now() - interval '1 day'")
    landing = tmp_path / "landing"
    import_backoffice(backoffice_dsn, landing)

    _claims_file(landing).write_text(CLAIMS_CSV.replace("acct_aaaa", "edited by hand"))
    _payouts_file(landing).unlink()
    counts = import_backoffice(backoffice_dsn, landing)

    assert counts["compensation_claims_fetched"] == 5 and counts["compensation_payouts_fetched"] == 3
    assert _claims_file(landing).read_text() == CLAIMS_CSV
    assert _payouts_file(landing).read_text() == PAYOUTS_CSV


def test_values_the_contract_cannot_take_are_refused_by_name(backoffice_dsn, tmp_path):
    _insert(backoffice_dsn, CLAIMS[:1])
    _execute(backoffice_dsn, "ALTER TABLE claims DROP CONSTRAINT claims_claimed_amount_check")
    _execute(backoffice_dsn, "ALTER TABLE claims DROP CONSTRAINT claims_approved_within_claimed")
    _execute(backoffice_dsn, "ALTER TABLE claims ALTER COLUMN claimed_amount TYPE double precision")
    with pytest.raises(BackofficeError, match=r"claims, claim_id=CLM-A, column claimed_amount: expected an exact"):
        import_backoffice(backoffice_dsn, tmp_path / "landing")
    assert not (tmp_path / "landing" / "compensation_claims").exists()  # nothing written


def test_a_missing_table_is_named(pg_server_dsn, tmp_path):
    from psycopg.conninfo import make_conninfo

    dsn = make_conninfo(pg_server_dsn, options="-csearch_path=no_such_schema")
    with pytest.raises(BackofficeError, match="no table claims in the search_path"):
        import_backoffice(dsn, tmp_path / "landing")


def test_the_password_never_appears_in_an_error(pg_server_dsn, tmp_path):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    secret = "Wr0ng-s3cret-pw"
    # A wrong password (the server refuses it), a malformed DSN (libpq cannot parse it), a port nobody uses.
    parts = conninfo_to_dict(pg_server_dsn)
    url = f"postgresql://{parts['user']}:{secret}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    for dsn in (
        make_conninfo(pg_server_dsn, password=secret),
        url,
        f"host={parts['host']} port={parts['port']} password={secret} dbname",
        f"postgresql://{parts['user']}:{secret}@{parts['host']}:1/{parts['dbname']}?connect_timeout=2",
    ):
        with pytest.raises(BackofficeError) as raised:
            import_backoffice(dsn, tmp_path / "landing")
        message = str(raised.value)
        assert secret not in message
        assert "***" in message
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "password authentication failed" in _error(make_conninfo(pg_server_dsn, password=secret), tmp_path)
    assert not (tmp_path / "landing" / ".watermarks" / "backoffice.json").exists()


def _error(dsn: str, tmp_path: Path) -> str:
    with pytest.raises(BackofficeError) as raised:
        import_backoffice(dsn, tmp_path / "landing")
    return str(raised.value)

"""Bad landing inputs: each case changes one thing of the valid set and must be rejected precisely.

For every case the test checks the one error (file, row or line, field, what was found, a key word of what was
expected), its one-line message, and that nothing of the table was loaded: a warehouse that already holds the
valid rows keeps exactly those rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from landing_builder import DEFAULT_FORMAT, valid_tables, write_csv, write_landing

from pipelines.contract import TABLES_BY_NAME
from pipelines.landing import ContractError, landing_files
from pipelines.profile import load_profile
from pipelines.staging import IngestResult, TableResult, ingest, validate_landing
from pipelines.validation import quote
from pipelines.warehouse import connect

PROFILE = load_profile()

Mutation = Callable[[Path], None]  # changes one thing in a landing directory that holds the valid set


# --- Writing the one change ---------------------------------------------------------------------------------


def rewrite(landing: Path, table: str, rows: list[dict], fmt: str | None = None) -> Path:
    """Replace the landing files of `table` with `rows` written in `fmt` (default: the table's usual format)."""
    for path in landing_files(landing, TABLES_BY_NAME[table]):
        path.unlink()
    fmt = fmt or DEFAULT_FORMAT[table]
    write_landing(landing, {table: rows}, {table: fmt})
    return landing / f"{table}.{fmt}"


def with_values(table: str, index: int, **values: str | None) -> list[dict]:
    """The valid rows of `table`, with row `index` changed."""
    rows = valid_tables()[table]
    rows[index].update(values)
    return rows


def edit(table: str, index: int, **values: str | None) -> Mutation:
    """Change values of one row, written in the table's usual format."""
    return lambda landing: rewrite(landing, table, with_values(table, index, **values))


def csv_columns(table: str, drop: str | None = None, extra: str | None = None) -> Mutation:
    """Write `table` as CSV without the column `drop`, or with an `extra` column."""

    def mutate(landing: Path) -> None:
        rewrite(landing, table, valid_tables()[table], "csv")
        columns = [c for c in TABLES_BY_NAME[table].column_names if c != drop] + ([extra] if extra else [])
        rows = [dict(row, **({extra: "x"} if extra else {})) for row in valid_tables()[table]]
        write_csv(landing / f"{table}.csv", rows, columns)

    return mutate


def parquet_without(table: str, column: str) -> Mutation:
    def mutate(landing: Path) -> None:
        path = rewrite(landing, table, valid_tables()[table], "parquet")
        pq.write_table(pq.read_table(path).drop_columns([column]), path)

    return mutate


def jsonl_values(table: str, index: int, **values: object) -> Mutation:
    """Write `table` as JSON lines, then set JSON values (numbers, say) in record `index`."""

    def mutate(landing: Path) -> None:
        path = rewrite(landing, table, valid_tables()[table], "jsonl")
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        records[index].update(values)
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    return mutate


def parquet_column_type(table: str, column: str, arrow_type: pa.DataType) -> Mutation:
    """Write `table` as Parquet with `column` stored as `arrow_type`."""

    def mutate(landing: Path) -> None:
        path = rewrite(landing, table, valid_tables()[table], "parquet")
        data = pq.read_table(path)
        i = data.schema.get_field_index(column)
        pq.write_table(data.set_column(i, column, data.column(column).cast(arrow_type)), path)

    return mutate


def as_file(
    table: str,
    name: str,
    content: Callable[[bytes], bytes],
    fmt: str | None = None,
    rows: Callable[[], list[dict]] | None = None,
) -> Mutation:
    """The table's only landing file is `name`, holding `content(bytes of the valid rows written in fmt)`."""

    def mutate(landing: Path) -> None:
        source = rewrite(landing, table, rows() if rows else valid_tables()[table], fmt)
        data = content(source.read_bytes())
        source.unlink()
        (landing / name).write_bytes(data)

    return mutate


# --- Checking ------------------------------------------------------------------------------------------------


class Like:
    """Equal to any string containing `part` (for DuckDB's and the readers' descriptive `found` texts)."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.part in other

    def __repr__(self) -> str:
        return f"Like({self.part!r})"


def located(errors: list[ContractError]) -> list[tuple]:
    return [(e.file, e.row, e.field, e.found, e.record) for e in errors]


def table_result(result: IngestResult, table: str) -> TableResult:
    return next(t for t in result.tables if t.table == table)


def assert_one_line(error: ContractError) -> None:
    """The message names file, line (or Parquet row) and field, on one line."""
    text = str(error)
    assert "\n" not in text and text.startswith(error.file)
    if error.row is not None:
        assert f"{'row' if error.file.endswith('.parquet') else 'line'} {error.row}" in text
    if error.field is not None:
        assert f"field {error.field}" in text
    assert f"expected {error.expected}" in text


def staged(con, table: str) -> tuple[list[tuple], list[tuple]]:
    """(rows of staging.<table> in key order, its landing_files rows)."""
    keys = ", ".join(quote(k) for k in TABLES_BY_NAME[table].key)
    rows = con.execute(f"SELECT * FROM staging.{quote(table)} ORDER BY {keys}").fetchall()
    files = con.execute(
        "SELECT * FROM staging.landing_files WHERE table_name = ? ORDER BY file", [table]
    ).fetchall()
    return rows, files


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """The valid landing set, which each test then changes."""
    return write_landing(tmp_path / "landing", valid_tables())


@pytest.fixture
def con():
    connection = connect()
    yield connection
    connection.close()


# --- The cases -----------------------------------------------------------------------------------------------

PAYOUTS = "compensation_payouts.csv"


@dataclass(frozen=True)
class Case:
    table: str
    mutate: Mutation
    error: tuple  # (file, row, field, found, record) of the one error
    expected: str  # a key word of the error's `expected`


CASES = {
    "missing column": Case(
        "compensation_payouts", csv_columns("compensation_payouts", drop="method"),
        (PAYOUTS, 1, "method", None, None), "missing",
    ),
    "missing column (parquet)": Case(
        "insurance_fund_movements", parquet_without("insurance_fund_movements", "kind"),
        ("insurance_fund_movements.parquet", None, "kind", None, None), "missing",
    ),
    "extra column": Case(
        "compensation_payouts", csv_columns("compensation_payouts", extra="note"),
        (PAYOUTS, 1, "note", "an extra column", None), "only the columns of compensation_payouts",
    ),
    "extra key (jsonl)": Case(
        "incidents", jsonl_values("incidents", 1, note="x"),
        ("incidents.jsonl", 2, "note", "an extra column", None), "only the columns of incidents",
    ),
    "identifier with a trailing tab": Case(
        "compensation_payouts", edit("compensation_payouts", 1, payout_id="PAY-2\t"),
        (PAYOUTS, 3, "payout_id", "PAY-2\t", "payout_id=PAY-2\t"), "leading or trailing spaces",
    ),
    "identifier with a leading space (parquet)": Case(
        "insurance_fund_movements", edit("insurance_fund_movements", 1, movement_id=" MOV-2"),
        ("insurance_fund_movements.parquet", 2, "movement_id", " MOV-2", "movement_id= MOV-2"),
        "leading or trailing spaces",
    ),
    "unknown enum value": Case(
        "compensation_payouts", edit("compensation_payouts", 1, method="cash"),
        (PAYOUTS, 3, "method", "cash", "payout_id=PAY-2"), "account_credit",
    ),
    "unknown enum value (parquet)": Case(
        "insurance_fund_movements", edit("insurance_fund_movements", 1, kind="refund"),
        ("insurance_fund_movements.parquet", 2, "kind", "refund", "movement_id=MOV-2"), "liquidation_surplus",
    ),
    "naive timestamp": Case(
        "compensation_payouts", edit("compensation_payouts", 1, paid_at="2026-05-07T09:00:00"),
        (PAYOUTS, 3, "paid_at", "2026-05-07T09:00:00", "payout_id=PAY-2"), "naive",
    ),
    "unparsable timestamp (no such day)": Case(
        "compensation_payouts", edit("compensation_payouts", 1, paid_at="2026-05-37T09:00:00Z"),
        (PAYOUTS, 3, "paid_at", "2026-05-37T09:00:00Z", "payout_id=PAY-2"), "ISO 8601",
    ),
    "unparsable timestamp (not a date)": Case(
        "compensation_payouts", edit("compensation_payouts", 1, paid_at="07/05/2026 09:00 UTC"),
        (PAYOUTS, 3, "paid_at", "07/05/2026 09:00 UTC", "payout_id=PAY-2"), "ISO 8601",
    ),
    "money as a JSON number": Case(
        "incidents", jsonl_values("incidents", 1, value_affected=12.5),
        ("incidents.jsonl", 2, "value_affected", Like("JSON number (12.5)"), None), "JSON string",
    ),
    "money in exponent notation": Case(
        "compensation_payouts", edit("compensation_payouts", 1, amount="1.5e3"),
        (PAYOUTS, 3, "amount", "1.5e3", "payout_id=PAY-2"), "plain digits",
    ),
    "negative payout amount": Case(
        "compensation_payouts", edit("compensation_payouts", 1, amount="-0.00400000"),
        (PAYOUTS, 3, "amount", "-0.00400000", "payout_id=PAY-2"), "zero or more",
    ),
    "duplicate claim_id": Case(
        "compensation_claims", edit("compensation_claims", 2, claim_id="CLM-1"),
        ("compensation_claims.csv", 4, "claim_id", "CLM-1", "claim_id=CLM-1"),
        "first seen at compensation_claims.csv, line 2",
    ),
    "resolved_at before started_at": Case(
        "incidents", edit("incidents", 0, resolved_at="2026-05-03T09:00:00Z"),
        ("incidents.jsonl", 1, "resolved_at", "2026-05-03T09:00:00Z", "incident_id=INC-1"),
        "resolved_at not before started_at",
    ),
    "detected_at before started_at": Case(
        "incidents", edit("incidents", 0, detected_at="2026-05-03T09:59:59Z"),
        ("incidents.jsonl", 1, "detected_at", "2026-05-03T09:59:59Z", "incident_id=INC-1"),
        "detected_at not before started_at",
    ),
    "payout for an unknown claim": Case(
        "compensation_payouts", edit("compensation_payouts", 1, claim_id="CLM-9"),
        (PAYOUTS, 3, "claim_id", "CLM-9", "payout_id=PAY-2"), "present in compensation_claims",
    ),
    "payout on a rejected claim": Case(
        "compensation_payouts", edit("compensation_payouts", 1, claim_id="CLM-2"),
        (PAYOUTS, 3, "claim_id", "CLM-2 (decision rejected)", "payout_id=PAY-2"), "approved",
    ),
    "payout in an asset without a price": Case(
        "compensation_payouts", edit("compensation_payouts", 1, asset="ETH"),
        (PAYOUTS, 3, "asset", "ETH", "payout_id=PAY-2"), "close on 2026-05-07",
    ),
    "payout on a day without a price": Case(
        "compensation_payouts", edit("compensation_payouts", 1, paid_at="2026-06-10T09:00:00Z"),
        (PAYOUTS, 3, "asset", "BTC", "payout_id=PAY-2"), "close on 2026-06-10",
    ),
    "balance in an asset without a price": Case(
        "insurance_fund_balances", edit("insurance_fund_balances", 1, asset="ETH"),
        ("insurance_fund_balances.csv", 3, "asset", "ETH", "fund_id=coinm-perp, asset=ETH, as_of=2026-05-15T00:00:00Z"),
        "close on 2026-05-15",
    ),
    "claim decided in an asset without a price": Case(
        "compensation_claims", edit("compensation_claims", 1, claimed_asset="DOGE"),
        ("compensation_claims.csv", 3, "claimed_asset", "DOGE", "claim_id=CLM-2"), "close on 2026-05-06",
    ),
    "incident cost in a currency without a price": Case(
        "incidents", edit("incidents", 0, economic_cost_currency="GBP"),
        ("incidents.jsonl", 1, "economic_cost_currency", "GBP", "incident_id=INC-1"), "close on 2026-05-03",
    ),
    "service not in the profile": Case(
        "incident_impacts", edit("incident_impacts", 2, service="staking"),
        ("incident_impacts.csv", 4, "service", "staking",
         "incident_id=INC-2, service=staking, impact=degraded_performance, started_at=2026-05-30T22:00:00Z"),
        "service code of the entity profile",
    ),
    "empty file (csv)": Case(
        "prices", as_file("prices", "prices.csv", lambda data: b""),
        ("prices.csv", None, None, "an empty file", None), "prices records",
    ),
    "empty file (jsonl)": Case(
        "incidents", as_file("incidents", "incidents.jsonl", lambda data: b""),
        ("incidents.jsonl", None, None, "an empty file", None), "incidents records",
    ),
    "empty file (parquet)": Case(
        "insurance_fund_movements", as_file("insurance_fund_movements", "insurance_fund_movements.parquet",
                                            lambda data: b""),
        ("insurance_fund_movements.parquet", None, None, "an empty file", None), "insurance_fund_movements",
    ),
    "JSON lines in a .csv file": Case(
        "prices", as_file("prices", "prices.csv", lambda data: data, fmt="jsonl"),
        ("prices.csv", None, None, "JSON content", None), "csv",
    ),
    "Parquet in a .csv file": Case(
        "prices", as_file("prices", "prices.csv", lambda data: data, fmt="parquet"),
        ("prices.csv", None, None, "a Parquet file", None), "csv",
    ),
    "unsupported extension .xlsx": Case(
        "prices", as_file("prices", "prices.xlsx", lambda data: b"PK\x03\x04" + bytes(60)),
        ("prices.xlsx", None, None, ".xlsx", None), ".parquet",
    ),
    "truncated parquet": Case(
        "insurance_fund_movements",
        as_file("insurance_fund_movements", "insurance_fund_movements.parquet", lambda data: data[: len(data) // 2]),
        ("insurance_fund_movements.parquet", None, None, Like("insurance_fund_movements.parquet"), None),
        "a readable Parquet file",
    ),
    "latin-1 byte in a CSV text field": Case(
        "incidents",
        as_file("incidents", "incidents.csv", lambda data: data.decode("utf-8").encode("latin-1"), fmt="csv",
                rows=lambda: with_values("incidents", 1, title="Retraits retardés")),
        ("incidents.csv", 3, "title", "bytes that are not UTF-8 (0xe9): Retraits retard\N{REPLACEMENT CHARACTER}s",
         None),
        "UTF-8",
    ),
    "naive timestamp column (parquet)": Case(
        "insurance_fund_movements", parquet_column_type("insurance_fund_movements", "occurred_at", pa.timestamp("us")),
        ("insurance_fund_movements.parquet", None, "occurred_at", Like("naive"), None), "TIMESTAMP WITH TIME ZONE",
    ),
    "float money column (parquet)": Case(
        "insurance_fund_movements", parquet_column_type("insurance_fund_movements", "amount", pa.float64()),
        ("insurance_fund_movements.parquet", None, "amount", Like("DOUBLE"), None), "DECIMAL",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_located_precisely(case: Case, landing: Path) -> None:
    case.mutate(landing)
    result = validate_landing(landing, PROFILE)
    assert located(result.errors) == [case.error]
    error = result.errors[0]
    assert case.expected in error.expected
    assert_one_line(error)
    assert [t.table for t in result.tables if t.errors] == [case.table]
    # tables that reference the failed one are held back too, saying why
    assert all(t.skipped for t in result.tables if not t.loaded and t.table != case.table)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_loads_nothing_of_its_table(case: Case, landing: Path, con) -> None:
    assert ingest(con, landing, PROFILE).ok
    before = staged(con, case.table)
    valid = valid_tables()[case.table]
    key = TABLES_BY_NAME[case.table].key[0]
    assert len(before[0]) == len(valid)

    case.mutate(landing)
    result = ingest(con, landing, PROFILE)

    assert located(table_result(result, case.table).errors) == [case.error]
    assert not table_result(result, case.table).loaded
    after = staged(con, case.table)
    assert after == before  # the same rows, and the same record of the files they came from
    column = TABLES_BY_NAME[case.table].column_names.index(key)
    assert sorted({row[column] for row in after[0]}) == sorted({row[key] for row in valid})


# --- Beyond one change ---------------------------------------------------------------------------------------


def test_valid_set_has_no_errors(landing: Path) -> None:
    result = validate_landing(landing, PROFILE)
    assert result.errors == []
    assert all(t.loaded and not t.skipped for t in result.tables)
    assert {t.table: t.rows for t in result.tables} == {name: len(rows) for name, rows in valid_tables().items()}


def test_errors_across_tables_are_all_reported(landing: Path) -> None:
    CASES["unknown enum value (parquet)"].mutate(landing)
    CASES["duplicate claim_id"].mutate(landing)
    CASES["balance in an asset without a price"].mutate(landing)
    rewrite(
        landing, "incidents",
        [dict(row, severity="catastrophic") for row in valid_tables()["incidents"]],
    )
    payouts = valid_tables()["compensation_payouts"]
    payouts[0]["amount"], payouts[1]["method"] = "1.5e3", "cash"  # two errors in one file
    rewrite(landing, "compensation_payouts", payouts)

    result = validate_landing(landing, PROFILE)

    assert located(result.errors) == [
        ("incidents.jsonl", 1, "severity", "catastrophic", "incident_id=INC-1"),
        ("incidents.jsonl", 2, "severity", "catastrophic", "incident_id=INC-2"),
        ("compensation_claims.csv", 4, "claim_id", "CLM-1", "claim_id=CLM-1"),
        (PAYOUTS, 2, "amount", "1.5e3", "payout_id=PAY-1"),
        (PAYOUTS, 3, "method", "cash", "payout_id=PAY-2"),
        ("insurance_fund_balances.csv", 3, "asset", "ETH",
         "fund_id=coinm-perp, asset=ETH, as_of=2026-05-15T00:00:00Z"),
        ("insurance_fund_movements.parquet", 2, "kind", "refund", "movement_id=MOV-2"),
    ]
    # incident_impacts is valid itself, but its incidents failed: it is held back, not loaded half-checked
    assert [t.table for t in result.tables if t.loaded] == ["prices"]
    # What depended on a table that failed is said to be unchecked, not silently passed.
    assert any("incidents was not loaded" in s for s in table_result(result, "incident_impacts").skipped)
    assert any("compensation_claims was not loaded" in s for s in table_result(result, "compensation_payouts").skipped)
    summary = result.summary()
    assert all(str(e) in summary for e in result.errors)


def test_error_message_reads_as_one_line(landing: Path) -> None:
    CASES["unknown enum value"].mutate(landing)
    CASES["unknown enum value (parquet)"].mutate(landing)
    messages = [str(e) for e in validate_landing(landing, PROFILE).errors]
    assert messages == [
        "compensation_payouts.csv, line 3 (payout_id=PAY-2), field method: "
        "expected one of: account_credit, fee_rebate, voucher, on_chain; found 'cash'",
        "insurance_fund_movements.parquet, row 2 (movement_id=MOV-2), field kind: "
        "expected one of: liquidation_surplus, bankruptcy_cover, platform_contribution, compensation, adl, transfer; "
        "found 'refund'",
    ]


def test_truncated_parquet_message_names_the_file_not_its_path(landing: Path) -> None:
    CASES["truncated parquet"].mutate(landing)
    (error,) = validate_landing(landing, PROFILE).errors
    assert str(landing) not in str(error) and "\n" not in error.found


# --- Valid inputs that once were rejected --------------------------------------------------------------------


def test_parquet_nanosecond_utc_timestamps_are_accepted(landing: Path, con) -> None:
    # pandas writes tz-aware timestamps as nanoseconds; DuckDB reads them as TIMESTAMPTZ_NS.
    parquet_column_type("insurance_fund_movements", "occurred_at", pa.timestamp("ns", tz="UTC"))(landing)
    assert ingest(con, landing, PROFILE).ok
    occurred = con.execute("SELECT strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') FROM staging.insurance_fund_movements "
                           "ORDER BY movement_id").fetchall()
    assert occurred == [(row["occurred_at"],) for row in valid_tables()["insurance_fund_movements"]]


def test_jsonl_line_separators_inside_strings_are_text(landing: Path, con) -> None:
    # U+2028 and U+0085 are valid unescaped in JSON strings; only "\n" ends a JSON line.
    summary = "Withdrawals\N{LINE SEPARATOR}delayed\N{NEXT LINE}again"
    path = rewrite(landing, "incidents", with_values("incidents", 1, public_summary=summary), "jsonl")
    path.write_text(path.read_text(encoding="utf-8").replace("\\u2028", "\u2028").replace("\\u0085", "\x85"),
                    encoding="utf-8")
    assert "\u2028" in path.read_text(encoding="utf-8")
    assert ingest(con, landing, PROFILE).ok
    stored = con.execute("SELECT public_summary FROM staging.incidents WHERE incident_id = 'INC-2'").fetchone()
    assert stored == (summary,)

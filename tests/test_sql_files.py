"""The SQL files on their own: each runs with `transparency sql` as the pipeline runs it, gives the rows the pipeline
stores, and tells Dagster what it reads; single files on given rows; the runner's schema changes and macros."""

import re
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.definitions import defs
from pipelines.defs.checks import CHECKS
from pipelines.defs.resources import make_resources
from pipelines.demo import generate_demo
from pipelines.marts import WINDOWS, day_windows, month_windows, query, replace_partition
from pipelines.materialize import materialize
from pipelines.profile import load_profile
from pipelines.sql import SQL_DIR, SqlFile, intermediates_needed, macros_in_order, names
from pipelines.warehouse import connect

MONTHS = ["2026-09", "2026-10"]
PERIOD = MONTHS[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """Two demo months staged and every mart built (no reports)."""
    root = tmp_path_factory.mktemp("sql-files")
    generate_demo(root / "landing", MONTHS[0], len(MONTHS), 7, load_profile())
    resources = make_resources(str(root / "landing"), str(root / "warehouse.duckdb"), "", str(root / "reports"))
    assert materialize(resources, "key:staging/*").success
    for month in MONTHS:
        assert materialize(resources, "key:marts/*", month).success
    return root / "warehouse.duckdb"


@pytest.mark.parametrize("path", sorted([*SQL_DIR.glob("marts/*.sql"), *SQL_DIR.glob("intermediate/*.sql")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_transparency_sql_runs_the_file_for_a_demo_month(warehouse, path):
    result = CliRunner().invoke(app, ["--warehouse", str(warehouse), "sql", str(path), "--period", PERIOD, "--csv"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split(",")[0] in ("period", "window_id", "fund_id", "incident_id")
    assert rows, f"{path.name}: no rows for {PERIOD}"


def test_a_mart_file_run_alone_gives_the_rows_the_pipeline_stored(warehouse):
    with connect(warehouse, read_only=True) as con:
        for name in names("marts"):
            alone = query(con, SqlFile("marts", name), PERIOD)
            columns = ", ".join(f'"{c}"' for c in alone.columns)
            stored = con.execute(f"SELECT {columns} FROM marts.{name} WHERE period = ? ORDER BY ALL",
                                 [PERIOD]).fetchall()
            assert sorted(alone.fetchall(), key=repr) == sorted(stored, key=repr), name


def test_a_bad_file_or_month_is_refused_clearly(warehouse, tmp_path):
    runner = CliRunner()
    outside = tmp_path / "mine.sql"
    outside.write_text("SELECT 1")
    result = runner.invoke(app, ["--warehouse", str(warehouse), "sql", str(outside), "--period", PERIOD])
    assert result.exit_code == 1 and "not a SQL file of" in result.output
    result = runner.invoke(app, ["--warehouse", str(warehouse), "sql", "sql/marts/rolling_30d.sql",
                                 "--period", "10-2026"])
    assert result.exit_code == 1 and "is not a month written YYYY-MM" in result.output
    result = runner.invoke(app, ["--warehouse", str(tmp_path / "none.duckdb"), "sql", "sql/marts/rolling_30d.sql",
                                 "--period", PERIOD])
    assert result.exit_code == 1 and "no warehouse yet" in result.output


# --- what each file reads, as Dagster is told ------------------------------------------------------------------

def _named(text: str) -> set[str]:
    """Tables a file names, found independently of pipelines/sql.py: comments dropped, every schema-qualified name."""
    code = "\n".join(line.split("--")[0] for line in text.splitlines())
    return set(re.findall(r"\b(?:staging|marts)\.\w+", code))


def test_each_mart_depends_on_the_assets_writing_what_its_sql_and_checks_read():
    graph = defs.resolve_asset_graph()
    for name in names("marts"):
        texts = [SqlFile("marts", name).text]
        texts += [SqlFile("intermediate", i).text for i in intermediates_needed(SqlFile("marts", name))]
        texts += [SqlFile("checks", c.name).text for c in CHECKS.get(name, ())]
        tables = set().union(*map(_named, texts)) - {f"marts.{name}"}
        # a staging table's asset is the table's (an extent table is its ledger's)
        expected = {t.replace(".", "/").removesuffix("_extent") for t in tables}
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["marts", name])).parent_keys}
        assert parents == expected, name


def test_every_mart_states_its_windows():
    for name in names("marts"):
        assert SqlFile("marts", name).windows in WINDOWS, name


# --- single files on given rows ---------------------------------------------------------------------------------

def _classification_rows(con, rows: list[tuple]) -> None:
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA staging")
    con.execute("CREATE TABLE staging.classification AS SELECT 2 AS criteria_needed")
    con.execute("CREATE TABLE marts.incident_classification (period VARCHAR, incident_id VARCHAR, criterion VARCHAR, "
                "met BOOLEAN)")
    con.executemany("INSERT INTO marts.incident_classification VALUES (?, ?, ?, ?)", rows)


def test_incident_verdicts_count_the_transaction_measures_as_one_criterion():
    con = connect()
    _classification_rows(con, [
        # A: critical and two criteria, but both transaction measures: one criterion, not major
        ("2026-05", "A", "critical_service", True), ("2026-05", "A", "transactions_count", True),
        ("2026-05", "A", "transactions_value_usd", True),
        # B: critical, clients and data loss: major
        ("2026-05", "B", "critical_service", True), ("2026-05", "B", "clients", True),
        ("2026-05", "B", "data_loss", True),
        # C: malicious access on a critical service: major whatever else
        ("2026-05", "C", "critical_service", True), ("2026-05", "C", "malicious_access", True),
        # D: three criteria but no critical service: not major
        ("2026-05", "D", "critical_service", False), ("2026-05", "D", "clients", True),
        ("2026-05", "D", "data_loss", True), ("2026-05", "D", "reputational", True),
        # another month's row is not read
        ("2026-04", "B", "critical_service", False),
    ])
    rows = query(con, SqlFile("intermediate", "int_incident_verdicts"), "2026-05").fetchall()
    assert sorted(rows) == [("2026-05", "A", 1, False), ("2026-05", "B", 2, True), ("2026-05", "C", 0, True),
                            ("2026-05", "D", 3, False)]


def test_a_mart_whose_columns_changed_is_altered_and_keeps_the_other_periods():
    con = connect()
    replace_partition(con, "demo", "2026-04", "SELECT '2026-04' AS period, 1 AS old_column, 1.5 AS amount")
    replace_partition(con, "demo", "2026-05", "SELECT '2026-05' AS period, CAST(2.25 AS DECIMAL(18, 6)) AS amount, "
                                              "'x' AS new_column")
    assert con.execute("SELECT * FROM marts.demo ORDER BY period").fetchall() == [
        ("2026-04", Decimal("1.500000"), None), ("2026-05", Decimal("2.250000"), "x")]


def test_macros_are_installed_after_those_they_call():
    order = [re.search(r"MACRO (\w+)", text).group(1) for text in macros_in_order()]
    assert order.index("usd_value") < order.index("usd_balance")
    con = duckdb.connect(":memory:")
    for text in macros_in_order():
        con.execute(text)
    assert con.execute("SELECT usd_balance(0, NULL), usd_value(2, 3)").fetchone() == (0, 6)


def test_day_windows_tile_the_month():
    days = day_windows("2028-02")  # a leap February
    assert [w.window_id for w in days] == [f"2028-02-{d:02d}" for d in range(1, 30)]
    assert days[0].start_at == month_windows("2028-02")[0].start_at
    assert days[-1].end_at == month_windows("2028-02")[0].end_at
    assert all(a.end_at == b.start_at for a, b in zip(days, days[1:]))

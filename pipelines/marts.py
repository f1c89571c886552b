"""Running the SQL of `sql/` for a set of windows: thin glue, the logic is in the SQL files.

Every mart and metric query reads the temporary table `windows(window_id, start_at, end_at)`, so the same SQL
computes a calendar month, the month before it, or the trailing 30 days ending on each day. Intermediate models
(`sql/intermediate/`) become temporary tables of the connection; marts (`sql/marts/`) are tables of the schema
`marts` whose rows for a period are replaced in one transaction (delete-then-insert), so re-running a partition
gives the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from pipelines.periods import window
from pipelines.sql import read_sql

Window = tuple[str, datetime, datetime]


# In dependency order: usd_balance calls usd_value.
MACROS = ("usd_value", "usd_balance", "decimal_mean")


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for name in MACROS:
        con.execute(read_sql("macros", name))


def set_windows(con: duckdb.DuckDBPyConnection, windows: list[Window]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE windows (window_id VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO windows VALUES (?, ?, ?)", windows)


def month_windows(period: str) -> list[Window]:
    return [(period, *window(period))]


def trailing_30_day_windows(period: str) -> list[Window]:
    """For each day of the month, the 30 days ending with it: [day − 29 days, day + 1 day)."""
    start, end = window(period)
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return [(d.date().isoformat(), d - timedelta(days=29), d + timedelta(days=1)) for d in days]


def build_intermediate(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {read_sql('intermediate', name)}")


def query_into_temp(con: duckdb.DuckDBPyConnection, name: str, layer: str, *sql_names: str) -> None:
    """A temporary table holding the union of the rows of several SQL files with the same columns."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {read_sql(layer, sql_names[0])}")
    for sql_name in sql_names[1:]:
        con.execute(f"INSERT INTO {name} {read_sql(layer, sql_name)}")


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: str, period: str, select_sql: str, params: dict | None = None
) -> int:
    """Replace the rows of `period` in `marts.<table>` by the rows of `select_sql`; return how many."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(f"CREATE TABLE IF NOT EXISTS marts.{table} AS SELECT * FROM ({select_sql}) LIMIT 0", params)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM marts.{table} WHERE period = ?", [period])
        con.execute(f"INSERT INTO marts.{table} BY NAME {select_sql}", params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return con.execute(f"SELECT count(*) FROM marts.{table} WHERE period = ?", [period]).fetchone()[0]


def build_mart(con: duckdb.DuckDBPyConnection, name: str, period: str) -> int:
    """Materialise `sql/marts/<name>.sql` for the month `period` (its intermediates built first)."""
    install_macros(con)
    set_windows(con, month_windows(period))
    build_intermediate(con, *MART_INTERMEDIATES.get(name, ()))
    return replace_partition(con, name, period, read_sql("marts", name))


METRIC_QUERIES = ("metrics_incidents", "metrics_compensation", "metrics_insurance_fund")
FUND_INTERMEDIATES = ("int_fund_anchors", "int_fund_movements_daily", "int_fund_balances")
MART_INTERMEDIATES = {
    "insurance_fund_daily": FUND_INTERMEDIATES,
    "insurance_fund_flows": FUND_INTERMEDIATES,
    "insurance_fund_period": FUND_INTERMEDIATES,
}


def compute_window_metrics(con: duckdb.DuckDBPyConnection, windows: list[Window], *, months: bool = False) -> None:
    """Fill the temporary table `window_metrics(window_id, metric, value)` for `windows`; calendar-month windows
    (`months`) also get the classification counts of their stored incident register."""
    install_macros(con)
    set_windows(con, windows)
    build_intermediate(con, *FUND_INTERMEDIATES)
    query_into_temp(con, "window_metrics", "marts", *METRIC_QUERIES, *(("metrics_classification",) if months else ()))


def unclassified_month(con: duckdb.DuckDBPyConnection, period: str) -> bool:
    """Whether incidents started in `period` but its incident register has not been built: its classification
    counts are then unknown, not zero."""
    start, end = window(period)
    started = con.execute("SELECT count(*) FROM staging.incidents WHERE started_at >= ? AND started_at < ?",
                          [start, end]).fetchone()[0]
    has_register = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'incident_register'"
    ).fetchone()[0] and con.execute("SELECT count(*) FROM marts.incident_register WHERE period = ?",
                                    [period]).fetchone()[0]
    return bool(started) and not has_register


CHECK_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS marts.check_results (
    period VARCHAR NOT NULL, asset VARCHAR NOT NULL, check_name VARCHAR NOT NULL, severity VARCHAR NOT NULL,
    failures BIGINT NOT NULL, PRIMARY KEY (period, asset, check_name))"""


def record_check(
    con: duckdb.DuckDBPyConnection, period: str, asset: str, check_name: str, severity: str, failures: int
) -> None:
    """Keep the outcome of a check of a period (the latest run's) in `marts.check_results`."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(CHECK_RESULTS_DDL)
    con.execute("INSERT OR REPLACE INTO marts.check_results VALUES (?, ?, ?, ?, ?)",
                [period, asset, check_name, severity, failures])

"""Running the SQL of `sql/` for a period: thin glue, the logic is in the SQL files.

Every mart, intermediate and report query reads the temporary table `windows(window_id, start_at, end_at)`, so the
same SQL computes a calendar month, the month before it, or the trailing 30 days ending on each day. A mart says in
its header over which windows it is built (`-- windows: month | previous_month | trailing_30_days | days`); the
intermediates it names (`sql/intermediate/`) become temporary tables of the connection, built first; marts
(`sql/marts/`) are tables of the schema `marts` whose rows for a period are replaced in one transaction
(delete-then-insert), so re-running a partition gives the same rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import duckdb

from pipelines.periods import previous_month, window
from pipelines.sql import SqlFile, intermediates_needed
from pipelines.warehouse import transaction


class SqlWindow(NamedTuple):
    """A row of the temporary table `windows`: a half-open UTC interval [start_at, end_at) named window_id."""

    window_id: str
    start_at: datetime
    end_at: datetime


def month_windows(period: str) -> list[SqlWindow]:
    return [SqlWindow(period, *window(period))]


def day_windows(period: str) -> list[SqlWindow]:
    """Each UTC day of the month: [day, day + 1 day)."""
    start, end = window(period)
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    return [SqlWindow(d.date().isoformat(), d, d + timedelta(days=1)) for d in days]


def trailing_30_day_windows(period: str) -> list[SqlWindow]:
    """For each day of the month, the 30 days ending with it: [day − 29 days, day + 1 day)."""
    return [w._replace(start_at=w.start_at - timedelta(days=29)) for w in day_windows(period)]


# The windows a mart's `-- windows:` directive names, for the period being built.
WINDOWS = {
    "month": month_windows,
    "previous_month": lambda period: month_windows(previous_month(period)),
    "trailing_30_days": trailing_30_day_windows,
    "days": day_windows,
}


def set_windows(con: duckdb.DuckDBPyConnection, windows: list[SqlWindow]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE windows (window_id VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO windows VALUES (?, ?, ?)", windows)


def prepare(con: duckdb.DuckDBPyConnection, file: SqlFile, period: str) -> dict | None:
    """Set up what `file` reads for `period` — its windows and the intermediates it names — and return its
    parameters. A file without a windows directive (an intermediate, a report query) runs over the month."""
    set_windows(con, WINDOWS[file.windows or "month"](period))
    for name in intermediates_needed(file):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {SqlFile('intermediate', name).text}")
    return {"period": period} if file.takes_period else None


def query(con: duckdb.DuckDBPyConnection, file: SqlFile, period: str) -> duckdb.DuckDBPyRelation:
    """The rows of `file` for `period`, as the pipeline computes them."""
    return con.sql(file.text, params=prepare(con, file, period))


def _columns(con: duckdb.DuckDBPyConnection, relation: str, params: dict | None = None) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {relation}", params).fetchall()]


def _match_columns(con: duckdb.DuckDBPyConnection, table: str, select_sql: str, params: dict | None) -> None:
    """Bring `marts.<table>` to the columns `select_sql` now gives, when the SQL changed: added columns appear (NULL
    in the periods not rebuilt yet), dropped ones go, a changed type is cast. Other periods keep their rows."""
    wanted = _columns(con, select_sql, params)
    present = dict(_columns(con, f"marts.{table}"))
    if list(present.items()) == wanted:
        return
    wanted_names = {name for name, _ in wanted}
    for name in present.keys() - wanted_names:
        con.execute(f'ALTER TABLE marts.{table} DROP COLUMN "{name}"')
    for name, kind in wanted:
        if name not in present:
            con.execute(f'ALTER TABLE marts.{table} ADD COLUMN "{name}" {kind}')
        elif present[name] != kind:
            con.execute(f'ALTER TABLE marts.{table} ALTER COLUMN "{name}" TYPE {kind}')


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: str, period: str, select_sql: str, params: dict | None = None
) -> int:
    """Replace the rows of `period` in `marts.<table>` by the rows of `select_sql`; return how many."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(f"CREATE TABLE IF NOT EXISTS marts.{table} AS SELECT * FROM ({select_sql}) LIMIT 0", params)
    with transaction(con):
        _match_columns(con, table, select_sql, params)
        con.execute(f"DELETE FROM marts.{table} WHERE period = ?", [period])
        con.execute(f"INSERT INTO marts.{table} BY NAME {select_sql}", params)
    return con.execute(f"SELECT count(*) FROM marts.{table} WHERE period = ?", [period]).fetchone()[0]


def build_mart(con: duckdb.DuckDBPyConnection, name: str, period: str) -> int:
    """Materialise `sql/marts/<name>.sql` for the month `period` into `marts.<name>`; return its rows."""
    file = SqlFile("marts", name)
    params = prepare(con, file, period)
    return replace_partition(con, name, period, file.text, params)


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

"""The analyst snapshot: a separate DuckDB file, its tables in the file's default schema (so that `SELECT * FROM
period_metrics` works as soon as it is opened, and `analytics.period_metrics` too), every table and column commented.

It is written to a temporary file beside the target and moved into place with an atomic rename, so an analyst who
has the previous snapshot open keeps reading it undisturbed (the open file lives on until closed), a new
connection sees either the old or the new file, never a half-written one, and the pipeline never waits on a lock.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import duckdb

from pipelines.checks import FAILED_PERIODS
from pipelines.contract import TABLES_BY_NAME
from pipelines.files import fsync_dir, fsync_file
from pipelines.sql import SQL_DIR, names, read_sql
from pipelines.validation import quote

ANALYTICS_DIR = SQL_DIR / "analytics"
# The periods an analyst may see: built, and no blocking check failed.
CHECKED_PERIODS = f"""
CREATE OR REPLACE TEMP VIEW checked_periods AS
SELECT DISTINCT period FROM marts.period_metrics WHERE period NOT IN ({FAILED_PERIODS})"""
SNAPSHOT_READS = {"marts.period_metrics", "marts.check_results"}  # besides what sql/analytics/*.sql read


def snapshot_tables() -> list[str]:
    return names("analytics")


def _documentation() -> dict:
    return tomllib.loads((ANALYTICS_DIR / "schema.toml").read_text(encoding="utf-8"))


def column_comment(doc: dict, table: str, column: str) -> str | None:
    """The table's own description, else the data contract's, else the shared glossary's."""
    if column in doc.get(table, {}):
        return doc[table][column]
    contract = TABLES_BY_NAME.get(table)
    if contract and column in contract.column_names:
        spec = contract.column(column)
        return spec.description + (" Confidential." if spec.confidential else "")
    return doc["columns"].get(column)


def _literal(text: str) -> str:
    # COMMENT ON takes no parameters; the texts are the project's own documentation.
    return "'" + text.replace("'", "''") + "'"


def _write_contents(con: duckdb.DuckDBPyConnection, doc: dict, counts: dict[str, int]) -> None:
    """`snapshot_contents`: what the file holds, written last, so a reader can check it is whole."""
    name = "snapshot.main.snapshot_contents"
    con.execute(f"CREATE TABLE {name} (table_name VARCHAR, row_count BIGINT)")
    con.executemany(f"INSERT INTO {name} VALUES (?, ?)", sorted(counts.items()))
    con.execute(f"COMMENT ON TABLE {name} IS {_literal(doc['tables']['snapshot_contents'])}")
    for column in ("table_name", "row_count"):
        con.execute(f"COMMENT ON COLUMN {name}.{column} IS {_literal(doc['snapshot_contents'][column])}")


def write_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Copy the analyst tables from the warehouse (`con`) into a new file and move it over `target`."""
    doc = _documentation()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    counts = {}
    # Only months whose blocking checks passed: a month that failed keeps marts written before its checks ran.
    con.execute(CHECKED_PERIODS)
    con.execute("ATTACH ? AS snapshot", [str(temporary)])
    try:
        for table in snapshot_tables():
            name = f"snapshot.main.{quote(table)}"
            con.execute(f"CREATE TABLE {name} AS {read_sql('analytics', table)}")
            con.execute(f"COMMENT ON TABLE {name} IS {_literal(doc['tables'][table])}")
            columns = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]
            for column in columns:
                comment = column_comment(doc, table, column)
                if comment is None:
                    raise KeyError(f"sql/analytics/schema.toml: no description of {table}.{column}")
                con.execute(f"COMMENT ON COLUMN {name}.{quote(column)} IS {_literal(comment)}")
            counts[table] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        _write_contents(con, doc, counts)
    except BaseException:
        con.execute("DETACH snapshot")
        temporary.unlink(missing_ok=True)
        raise
    con.execute("DETACH snapshot")
    fsync_file(temporary)  # the bytes are on disk before the name points at them
    os.replace(temporary, target)
    fsync_dir(target.parent)
    return counts

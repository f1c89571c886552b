"""The analyst snapshot: a separate DuckDB file, its tables in the file's default schema (so that `SELECT * FROM
period_metrics` works as soon as it is opened, and `analytics.period_metrics` too), every table and column commented.

It is written to a temporary file beside the target and moved into place with an atomic rename, so an analyst who
has the previous snapshot open keeps reading it undisturbed (the open file lives on until closed), a new
connection sees either the old or the new file, never a half-written one, and the pipeline never waits on a lock.
It is written in DuckDB's v1.0.0 storage format, which every DuckDB since 1.0 opens: an analyst's CLI is often not
the pipeline's DuckDB (PyPI's duckdb-cli, say, is a major version behind it).

The same tables are exported as Parquet for other engines (Spark, Trino, Polars): `analytics/<table>/period=YYYY-MM/
data_0.parquet` (Hive partitions) for a table with a period column, `analytics/<table>/data_0.parquet` for the
others, and `analytics/dictionary.csv`, the comments of every table and column with their types.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tomllib
from pathlib import Path

import duckdb

from pipelines.checks import FAILED_PERIODS
from pipelines.contract import TABLES_BY_NAME
from pipelines.files import fsync_dir, fsync_file, replace_dir
from pipelines.sql import SQL_DIR, names, read_sql
from pipelines.validation import quote

ANALYTICS_DIR = SQL_DIR / "analytics"
# The periods an analyst may see: built, and no blocking check failed.
CHECKED_PERIODS = f"""
CREATE OR REPLACE TEMP VIEW checked_periods AS
SELECT DISTINCT period FROM marts.period_metrics WHERE period NOT IN ({FAILED_PERIODS})"""
SNAPSHOT_READS = {"marts.period_metrics", "marts.check_results"}  # besides what sql/analytics/*.sql read
STORAGE_VERSION = "v1.0.0"
DICTIONARY_COLUMNS = ("table", "table_description", "column", "type", "description")


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
    # COMMENT ON and COPY's target take no parameters; the texts are the project's own, the paths its settings.
    return "'" + text.replace("'", "''") + "'"


def _write_contents(con: duckdb.DuckDBPyConnection, doc: dict, counts: dict[str, int]) -> None:
    """`snapshot_contents`: what the file holds, written last, so a reader can check it is whole."""
    name = "snapshot.main.snapshot_contents"
    con.execute(f"CREATE TABLE {name} (table_name VARCHAR, row_count BIGINT)")
    con.executemany(f"INSERT INTO {name} VALUES (?, ?)", sorted(counts.items()))
    con.execute(f"COMMENT ON TABLE {name} IS {_literal(doc['tables']['snapshot_contents'])}")
    for column in ("table_name", "row_count"):
        con.execute(f"COMMENT ON COLUMN {name}.{column} IS {_literal(doc['snapshot_contents'][column])}")


def write_snapshot(con: duckdb.DuckDBPyConnection, target: Path, export: Path) -> dict[str, int]:
    """Copy the analyst tables from the warehouse (`con`) into a new file, replace the Parquet export in the folder
    `export` from it, and move the file over `target`."""
    doc = _documentation()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    counts = {}
    # Only months whose blocking checks passed: a month that failed keeps marts written before its checks ran.
    con.execute(CHECKED_PERIODS)
    con.execute(f"ATTACH ? AS snapshot (STORAGE_VERSION '{STORAGE_VERSION}')", [str(temporary)])
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
        _export_parquet(con, export)
    except BaseException:
        con.execute("DETACH snapshot")
        temporary.unlink(missing_ok=True)
        raise
    con.execute("DETACH snapshot")
    fsync_file(temporary)  # the bytes are on disk before the name points at them
    os.replace(temporary, target)
    fsync_dir(target.parent)
    return counts


def _export_parquet(con: duckdb.DuckDBPyConnection, export: Path) -> None:
    """Every table of the attached snapshot as Parquet, and the dictionary, written beside `export` and swapped in.

    Rows are written in the order of all their columns, so the same snapshot gives the same files."""
    temporary = export.with_name(f".{export.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    dictionary = io.StringIO()
    writer = csv.writer(dictionary, lineterminator="\n")
    writer.writerow(DICTIONARY_COLUMNS)
    tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'snapshot' "
                         "AND table_name <> 'snapshot_contents' ORDER BY table_name").fetchall()
    for table, table_comment in tables:
        columns = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = "
                              "'snapshot' AND table_name = ? ORDER BY column_index", [table]).fetchall()
        writer.writerows((table, table_comment, *column) for column in columns)
        partitioned = "period" in {name for name, _, _ in columns}
        options = "FORMAT parquet, COMPRESSION zstd" + (", PARTITION_BY (period)" if partitioned else "")
        folder = temporary / table
        folder.mkdir()
        target = folder if partitioned else folder / "data_0.parquet"
        con.execute(f"COPY (SELECT * FROM snapshot.main.{quote(table)} ORDER BY ALL) TO {_literal(str(target))} "
                    f"({options})")
    (temporary / "dictionary.csv").write_text(dictionary.getvalue(), encoding="utf-8")
    # Two renames: a reader listing the folder between them finds it missing for an instant, never half written.
    previous = export.with_name(f".{export.name}.{os.getpid()}.old")
    if export.exists():
        os.rename(export, previous)
    replace_dir(temporary, export)
    shutil.rmtree(previous, ignore_errors=True)

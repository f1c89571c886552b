"""Validated ingestion: landing files → checked raw rows → typed `staging.<table>` in DuckDB.

A table is loaded only when every one of its records passes the contract; then its staging table is replaced in
one transaction (delete-then-insert), so a re-run with the same files gives the same rows and a failed run leaves
the previous rows untouched. The staging DDL, the casts and the comments come from the contract.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import TABLES, Table
from pipelines.landing import FORMATS, ContractError, create_raw_table, landing_files, raw_table, read_file
from pipelines.profile import Profile
from pipelines.validation import check_raw_table, quote
from pipelines.warehouse import connect

LINEAGE_COLUMNS = (
    ("source_file", "VARCHAR", "Landing file the row was read from (relative to the landing directory)."),
    ("source_row", "BIGINT", "Line (CSV, JSON lines) or row (Parquet) of the record in source_file."),
)


def staging_ddl(table: Table) -> list[str]:
    """CREATE TABLE and COMMENT statements of one staging table."""
    columns = [f"{quote(c.name)} {c.duckdb_type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns]
    columns += [f"{name} {dtype} NOT NULL" for name, dtype, _ in LINEAGE_COLUMNS]
    # No PRIMARY KEY: keys are checked unique before loading, and an index over tens of millions of fund movements
    # would cost more than the load itself.
    name = f"staging.{quote(table.name)}"
    statements = [f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)})"]
    statements.append(f"COMMENT ON TABLE {name} IS {_literal(table.description)}")
    for column in table.columns:
        note = column.description + (" Confidential." if column.confidential else "")
        statements.append(f"COMMENT ON COLUMN {name}.{quote(column.name)} IS {_literal(note)}")
    for lineage, _, note in LINEAGE_COLUMNS:
        statements.append(f"COMMENT ON COLUMN {name}.{lineage} IS {_literal(note)}")
    return statements


def _literal(text: str) -> str:
    # COMMENT ON takes no parameters; the texts are the contract's own constants.
    return "'" + text.replace("'", "''") + "'"


LANDING_FILES_DDL = """
CREATE TABLE IF NOT EXISTS staging.landing_files (
    table_name VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, bytes BIGINT NOT NULL,
    PRIMARY KEY (table_name, file))"""


def create_staging_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    con.execute(LANDING_FILES_DDL)
    for table in TABLES:
        for statement in staging_ddl(table):
            con.execute(statement)


def _load(con: duckdb.DuckDBPyConnection, table: Table, files: list[tuple[str, Path]]) -> None:
    select = ", ".join(quote(c) for c in table.column_names)  # the raw rows are typed already
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM staging.{quote(table.name)}")
        con.execute(f"INSERT INTO staging.{quote(table.name)} SELECT {select}, _file, _row FROM {raw_table(table)}")
        con.execute("DELETE FROM staging.landing_files WHERE table_name = ?", [table.name])
        for label, path in files:
            con.execute(
                "INSERT INTO staging.landing_files VALUES (?, ?, ?, ?)",
                [table.name, label, file_sha256(path), path.stat().st_size],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class TableResult:
    table: str
    files: list[str]
    rows: int
    errors: list[ContractError]
    skipped: list[str] = field(default_factory=list)  # checks not run: a table they need failed

    @property
    def loaded(self) -> bool:
        # A table whose references could not be checked is not loaded either: staging never holds rows that
        # point at rows it does not have.
        return not self.errors and not self.skipped


@dataclass
class IngestResult:
    tables: list[TableResult]

    @property
    def errors(self) -> list[ContractError]:
        return [e for t in self.tables for e in t.errors]

    @property
    def ok(self) -> bool:
        return all(t.loaded for t in self.tables)

    def summary(self) -> str:
        lines = []
        for t in self.tables:
            if t.loaded:
                status = f"{t.rows} rows loaded"
            elif t.errors:
                status = f"{len(t.errors)} errors, nothing loaded"
            else:
                status = "not loaded: checks that need a failed table could not run"
            lines.append(f"{t.table}: {status} ({', '.join(t.files) or 'no file'})")
            lines += [f"  {e}" for e in t.errors]
            lines += [f"  not checked: {s}" for s in t.skipped]
        return "\n".join(lines)


def _merge(reader_errors: list[ContractError], check_errors: list[ContractError]) -> list[ContractError]:
    """All errors, sorted; where the reader already named a field's problem, the SQL checks' echo is dropped."""
    named = {(e.file, e.row, e.field) for e in reader_errors}
    return sorted(reader_errors + [e for e in check_errors if (e.file, e.row, e.field) not in named])


def ingest_table(
    con: duckdb.DuckDBPyConnection, table: Table, landing_dir: Path, profile: Profile, loaded: set[str]
) -> TableResult:
    """Validate every landing file of `table`; if all is well, replace its staging rows."""
    create_raw_table(con, table)
    paths = landing_files(landing_dir, table)
    files = [(str(p.relative_to(landing_dir)), p) for p in paths]
    reader_errors: list[ContractError] = []
    if not paths:
        formats = ", ".join(f"{table.name}{ext}" for ext in FORMATS)
        reader_errors.append(
            ContractError(f"{table.name}.*", None, None, f"a landing file ({formats}) or a folder {table.name}/")
        )
    for label, path in files:
        reader_errors += read_file(con, table, path, label)
    report = check_raw_table(con, table, profile, loaded)
    errors = _merge(reader_errors, report.errors)
    if not errors and not report.skipped:
        _load(con, table, files)
    con.execute(f"DROP TABLE {raw_table(table)}")
    return TableResult(table.name, [label for label, _ in files], report.rows, errors, report.skipped)


def ingest(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    profile: Profile,
    tables: Iterable[Table] = TABLES,
    on_table: Callable[[TableResult], None] | None = None,
) -> IngestResult:
    """Validate and load `tables` in dependency order.

    References to a table outside `tables` are checked against its staging rows (an upstream asset loaded it);
    references to a table of this call that failed are reported as not checked.
    """
    create_staging_schema(con)
    tables = list(tables)
    loaded = {t.name for t in TABLES if t not in tables}
    results = []
    for table in tables:
        result = ingest_table(con, table, landing_dir, profile, loaded)
        if result.loaded:
            loaded.add(table.name)
        results.append(result)
        if on_table:
            on_table(result)
    return IngestResult(results)


def validate_landing(landing_dir: Path, profile: Profile) -> IngestResult:
    """Check every landing file against the contract without touching any warehouse."""
    with connect() as con:
        return ingest(con, landing_dir, profile)


"""Validated ingestion: landing files → checked raw rows → typed `staging.<table>` in DuckDB.

A table is loaded only when every one of its records passes the contract; its staged rows are then changed in one
transaction (delete-then-insert), so a re-run with the same files gives the same rows and a failed run leaves the
previous rows untouched. The staging DDL and its comments come from the contract.

Loads are incremental by file: a landing file whose size and modification time are those recorded when it was
staged is not read again, and its rows stay. Only new and changed files are read and checked (their keys also
against the rows kept), and the rows of changed or removed files are replaced. A table is read in full again when
one of the tables its checks read (references, rules, prices) was *rewritten* — a staged file changed or removed,
as in a restatement — since it was last checked: appending files never invalidates what was checked before.
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
from pipelines.validation import check_raw_table, dependencies, fingerprint, kept_key_sql, quote
from pipelines.warehouse import connect, transaction

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
    if table.extent:
        group = [table.column(c) for c in table.extent.group]
        columns = ["source_file VARCHAR NOT NULL", *(f"{quote(c.name)} {c.duckdb_type}" for c in group),
                   "first_at TIMESTAMPTZ NOT NULL", "last_at TIMESTAMPTZ NOT NULL", "rows BIGINT NOT NULL"]
        statements.append(f"CREATE TABLE IF NOT EXISTS {extent_table(table)} ({', '.join(columns)})")
        what = f"{table.extent.time} of the rows of {table.name}, per landing file and {', '.join(table.extent.group)}"
        statements.append(f"COMMENT ON TABLE {extent_table(table)} IS {_literal(f'First and last {what}.')}")
    return statements


def extent_table(table: Table) -> str:
    return f"staging.{quote(table.name + '_extent')}"


def _literal(text: str) -> str:
    # COMMENT ON takes no parameters; the texts are the contract's own constants.
    return "'" + text.replace("'", "''") + "'"


# key_min, key_max: the range of a single-column key in the file, so that a new file's keys are compared only with
# the rows of files whose ranges overlap its own (none, when keys grow month by month).
LANDING_FILES_DDL = """
CREATE TABLE IF NOT EXISTS staging.landing_files (
    table_name VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, bytes BIGINT NOT NULL,
    modified_ns BIGINT NOT NULL, rows BIGINT NOT NULL, key_min VARCHAR, key_max VARCHAR,
    PRIMARY KEY (table_name, file))"""
LANDING_FILES_COLUMNS = {"table_name", "file", "sha256", "bytes", "modified_ns", "rows", "key_min", "key_max"}

# generation: bumped whenever a table is rewritten (not merely appended to); checked_against: the generations of
# the tables its checks read, when it was last checked.
TABLE_STATE_DDL = """
CREATE TABLE IF NOT EXISTS staging.table_state (
    table_name VARCHAR PRIMARY KEY, generation BIGINT NOT NULL, checked_against MAP(VARCHAR, BIGINT) NOT NULL)"""


def create_staging_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'staging' AND table_name = 'landing_files'"
    ).fetchall()}
    if columns and columns != LANDING_FILES_COLUMNS:
        # A warehouse of an earlier version: its bookkeeping is dropped, so every file is read and checked again.
        con.execute("DROP TABLE staging.landing_files")
        con.execute("DROP TABLE IF EXISTS staging.table_state")
    con.execute(LANDING_FILES_DDL)
    con.execute(TABLE_STATE_DDL)
    for table in TABLES:
        for statement in staging_ddl(table):
            con.execute(statement)


def _generations(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute("SELECT table_name, generation FROM staging.table_state").fetchall())


CHECKS = "(checks)"  # the key of checked_against under which the checks' own fingerprint is kept


def _checked_against(con: duckdb.DuckDBPyConnection, table: Table, profile: Profile) -> dict[str, int]:
    generations = _generations(con)
    return {CHECKS: fingerprint(table, profile)} | {dep: generations.get(dep, 0) for dep in sorted(dependencies(table))}


def _file_summaries(con: duckdb.DuckDBPyConnection, table: Table) -> dict[str, tuple[int, str | None, str | None]]:
    """Per file read: its rows, and the range of its key when the key is one text column."""
    single = len(table.key) == 1 and table.column(table.key[0]).duckdb_type == "VARCHAR"
    bounds = f"min({quote(table.key[0])}), max({quote(table.key[0])})" if single else "NULL, NULL"
    rows = con.execute(f"SELECT _file, count(*), {bounds} FROM {raw_table(table)} GROUP BY _file").fetchall()
    return {file: (count, low, high) for file, count, low, high in rows}


def _overlapping_files(con: duckdb.DuckDBPyConnection, table: Table, summaries: dict, replaced: list[str]) -> list[str]:
    """The staged files (kept, not replaced) whose key range overlaps that of a file read: only their rows can
    hold a key of the files read. Every kept file, when the key is not one text column."""
    ranges = [(low, high) for _, low, high in summaries.values() if low is not None]
    return [file for (file,) in con.execute(
        "SELECT file FROM staging.landing_files WHERE table_name = $table AND file NOT IN (SELECT unnest($replaced))"
        " AND (key_min IS NULL OR len($ranges) = 0 OR EXISTS ("
        "   SELECT 1 FROM (SELECT unnest($ranges) AS r) WHERE NOT (key_max < r[1] OR key_min > r[2])))",
        {"table": table.name, "replaced": replaced, "ranges": [list(r) for r in ranges]}).fetchall()]


def _load(con: duckdb.DuckDBPyConnection, table: Table, read: list[tuple[str, Path]], replaced: list[str],
          full: bool, rewritten: bool, checked_against: dict[str, int], summaries: dict) -> None:
    """Stage the raw rows: all of the table (full) or in place of the rows of `replaced` files; record the files
    read and the table's state, in one transaction."""
    name = f"staging.{quote(table.name)}"
    select = ", ".join(quote(c) for c in table.column_names)  # the raw rows are typed already
    generations = _generations(con)
    with transaction(con):
        staged = [name, extent_table(table)] if table.extent else [name]
        if full:
            for target in staged:
                con.execute(f"DELETE FROM {target}")
            con.execute("DELETE FROM staging.landing_files WHERE table_name = ?", [table.name])
        else:
            for target in staged:
                con.execute(f"DELETE FROM {target} WHERE source_file IN (SELECT unnest(?))", [replaced])
            con.execute("DELETE FROM staging.landing_files WHERE table_name = ? AND file IN (SELECT unnest(?))",
                        [table.name, replaced])
        con.execute(f"INSERT INTO {name} SELECT {select}, _file, _row FROM {raw_table(table)}")
        if table.extent:
            group, time = ", ".join(quote(c) for c in table.extent.group), quote(table.extent.time)
            con.execute(f"INSERT INTO {extent_table(table)} SELECT _file, {group}, min({time}), max({time}), "
                        f"count(*) FROM {raw_table(table)} GROUP BY ALL")
        for label, path in read:
            stat = path.stat()
            rows, key_min, key_max = summaries.get(label, (0, None, None))
            con.execute("INSERT INTO staging.landing_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [table.name, label, file_sha256(path), stat.st_size, stat.st_mtime_ns, rows, key_min, key_max])
        con.execute(
            "INSERT OR REPLACE INTO staging.table_state VALUES (?, ?, MAP(?, ?))",
            [table.name, generations.get(table.name, 0) + int(rewritten),
             list(checked_against), list(checked_against.values())],
        )


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
    read: list[str] = field(default_factory=list)  # the files read this time (unchanged ones are not)

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


@dataclass(frozen=True)
class _StagingPlan:
    """What an ingestion of one table reads: every file (full), or the new and changed ones only."""

    read: list[tuple[str, Path]]
    replaced: list[str]  # staged files whose rows go: changed, removed (and, when full, all)
    full: bool
    rewritten: bool  # a staged file changed or went away: what was checked against this table must be again


def _staging_plan(con: duckdb.DuckDBPyConnection, table: Table, files: list[tuple[str, Path]],
                  profile: Profile) -> _StagingPlan:
    staged = {f: (h, n, m) for f, h, n, m in con.execute(
        "SELECT file, sha256, bytes, modified_ns FROM staging.landing_files WHERE table_name = ?",
        [table.name]).fetchall()}
    state = con.execute("SELECT checked_against FROM staging.table_state WHERE table_name = ?",
                        [table.name]).fetchone()
    # the tables its checks read were rewritten, or the checks themselves changed, since the rows were checked
    upstream_moved = state is None or dict(state[0]) != _checked_against(con, table, profile)

    def unchanged(label: str, path: Path) -> bool:
        """Same size and time as staged; or, when only the time differs, the same bytes (the time is then
        recorded anew, so that the file is not hashed again next time)."""
        if label not in staged:
            return False
        digest, size, modified = staged[label]
        stat = path.stat()
        if (size, modified) == (stat.st_size, stat.st_mtime_ns):
            return True
        if size != stat.st_size or file_sha256(path) != digest:
            return False
        con.execute("UPDATE staging.landing_files SET modified_ns = ? WHERE table_name = ? AND file = ?",
                    [stat.st_mtime_ns, table.name, label])
        return True

    present = {label for label, _ in files}
    kept = {label for label, path in files if unchanged(label, path)}
    changed = [label for label in present if label in staged and label not in kept]
    removed = [label for label in staged if label not in present]
    rewritten = bool(changed or removed)
    if upstream_moved or not staged:
        return _StagingPlan(files, list(staged), True, rewritten)
    return _StagingPlan([(label, path) for label, path in files if label not in kept], sorted(changed + removed),
                        False, rewritten)


def ingest_table(
    con: duckdb.DuckDBPyConnection, table: Table, landing_dir: Path, profile: Profile, loaded: set[str]
) -> TableResult:
    """Validate the landing files of `table` that need it (all, or the new and changed ones); if all is well,
    stage their rows."""
    create_raw_table(con, table)
    paths = landing_files(landing_dir, table)
    files = [(str(p.relative_to(landing_dir)), p) for p in paths]
    plan = _staging_plan(con, table, files, profile)
    reader_errors: list[ContractError] = []
    if not paths and not table.optional:
        formats = ", ".join(f"{table.name}{ext}" for ext in FORMATS)
        reader_errors.append(
            ContractError(f"{table.name}.*", None, None, f"a landing file ({formats}) or a folder {table.name}/")
        )
    for label, path in plan.read:
        reader_errors += read_file(con, table, path, label)
    report = check_raw_table(con, table, profile, loaded)
    summaries = _file_summaries(con, table)
    kept = [] if plan.full else _overlapping_files(con, table, summaries, plan.replaced)
    if kept:  # the new files' keys against the rows kept from the others
        rows = con.execute(kept_key_sql(table), {"field": ", ".join(table.key), "kept": kept})
        report.errors += [ContractError(file=f, row=r, field=fld, expected=exp, found=val, record=rec)
                          for f, r, rec, fld, exp, val in rows.fetchall()]
    errors = _merge(reader_errors, report.errors)
    if not errors and not report.skipped and (plan.read or plan.replaced):
        _load(con, table, plan.read, plan.replaced, plan.full, plan.rewritten, _checked_against(con, table, profile),
              summaries)
    con.execute(f"DROP TABLE {raw_table(table)}")
    staged_now = not errors and not report.skipped
    # rows: the table's staged rows once loaded (read now or kept), else the rows read and refused
    rows = con.execute(f"SELECT count(*) FROM staging.{quote(table.name)}").fetchone()[0] if staged_now else report.rows
    return TableResult(table.name, [label for label, _ in files], rows, errors, report.skipped,
                       read=[label for label, _ in plan.read])


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


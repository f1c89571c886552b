"""Landing files → raw rows in DuckDB.

Each landing file of a contract table is read into the temporary table `raw_<table>`: every contract column in
its contract type, plus `_file` and `_row`, so that the contract checks (validation.py) can name the file, row and
field of every problem. A column whose type is not text (timestamps, decimals, …) also keeps, in `<column>__text`,
the text it was written as when it came from text (CSV, JSON lines, a Parquet string column): the checks judge that
text strictly, and its typed reading is only a best effort (TRY_CAST). A typed Parquet column is taken as it is, so
an exchange-sized Parquet month is never converted to text and back. Problems a reader sees itself (bytes that are
not UTF-8, a missing column, a JSON number where a decimal string belongs, a Parquet float column...) are returned
as `ContractError`s.

`_row` is the line number for CSV (the header is line 1) and JSON lines, the 1-based row for Parquet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.contract import (
    DECIMAL_MAX_FRACTION_DIGITS,
    DECIMAL_MAX_INTEGER_DIGITS,
    LIST_KINDS,
    PARQUET_TYPES,
    Column,
    Kind,
    Table,
)

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True, order=True)
class ContractError:
    """One violation of the data contract, located as precisely as the input allows."""

    file: str
    row: int | None  # None: the problem is about the whole file or column
    field: str | None
    expected: str
    found: str | None = None
    record: str | None = None  # the record's key, e.g. "payout_id=PAY-00000007"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", {'row' if self.file.endswith('.parquet') else 'line'} {self.row}"
        if self.record:
            where += f" ({self.record})"
        if self.field:
            where += f", field {self.field}"
        found = "" if self.found is None else f"; found {self.found!r}"
        return f"{where}: expected {self.expected}{found}"


def landing_files(landing_dir: Path, table: Table) -> list[Path]:
    """`<table>.<ext>` and every file under the folder `<table>/`, in a stable order."""
    direct = [p for p in sorted(landing_dir.glob(f"{table.name}.*")) if p.is_file()]
    folder = landing_dir / table.name
    nested = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    return direct + nested


def clear_landing(landing_dir: Path, tables: Iterable[Table]) -> int:
    """Remove every landing file of `tables` (before writing a fresh demo set, so that no file of an earlier set
    is staged beside it); return how many were removed."""
    removed = 0
    for table in tables:
        if landing_dir.is_dir():
            for path in landing_files(landing_dir, table):
                path.unlink()
                removed += 1
    return removed


def raw_table(table: Table) -> str:
    return f"raw_{table.name}"


def text_column(column: Column) -> str:
    """The column holding what a typed column was written as, when it was written as text."""
    return f"{column.name}__text"


def typed(column: Column) -> bool:
    return column.duckdb_type != "VARCHAR"


def create_raw_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    columns = [f'"{c.name}" {c.duckdb_type}' for c in table.columns]
    columns += [f'"{text_column(c)}" VARCHAR' for c in table.columns if typed(c)]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {raw_table(table)} (_file VARCHAR, _row BIGINT, {', '.join(columns)})")


def _from_text(column: Column, source: str) -> str:
    """SQL reading a text value as the column's type, NULL where it cannot be read (the checks say why)."""
    if column.kind in LIST_KINDS:
        return f"string_split({source}, ';')"
    return f"TRY_CAST({source} AS {column.duckdb_type})"


def _text_select(table: Table) -> str:
    """The SELECT list filling a raw table from all-text columns named as the contract's."""
    parts = []
    for c in table.columns:
        source = f'"{c.name}"'
        parts.append(f'{_from_text(c, source) if typed(c) else source} AS "{c.name}"')
        if typed(c):
            parts.append(f'{source} AS "{text_column(c)}"')
    return ", ".join(parts)


def read_file(
    con: duckdb.DuckDBPyConnection, table: Table, path: Path, label: str
) -> list[ContractError]:
    """Append the rows of one landing file to `raw_<table>`; return what the reader itself rejected.

    A file whose columns do not match the contract is not read at all: its rows cannot be interpreted.
    """
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        return [ContractError(label, None, None, "a .csv, .jsonl or .parquet file", path.suffix or "no extension")]
    if path.stat().st_size == 0:
        return [ContractError(label, None, None, f"a {fmt} file with {table.name} records", "an empty file")]
    if fmt == "parquet":
        return _read_parquet(con, table, path, label)
    data = path.read_bytes()
    if data.startswith(PARQUET_MAGIC):
        return [ContractError(label, None, None, f"a {fmt} text file", "a Parquet file")]
    reader = _read_csv if fmt == "csv" else _read_jsonl
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _undecodable(table, data, label, reader, exc)
    if fmt == "csv" and text.lstrip().startswith(("{", "[")):
        return [ContractError(label, None, None, "a csv text file with a header row", "JSON content")]
    rows, errors = reader(table, text, label)
    if rows:
        _append(con, table, label, rows)
    return errors


_Reader = Callable[[Table, str, str], tuple[list[tuple], list[ContractError]]]


def _undecodable(
    table: Table, data: bytes, label: str, reader: _Reader, exc: UnicodeDecodeError
) -> list[ContractError]:
    """A file that is not UTF-8 is not read; name the line and field of each value holding bytes that are not."""
    # surrogateescape keeps every undecodable byte as a lone surrogate, which valid UTF-8 never yields.
    rows, _ = reader(table, data.decode("utf-8-sig", errors="surrogateescape"), label)
    errors = []
    for line, *cells in rows:
        for name, cell in zip(table.column_names, cells):
            bad = [f"0x{ord(ch) - 0xDC00:02x}" for ch in cell or "" if "\udc80" <= ch <= "\udcff"]
            if bad:
                shown = cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                found = f"bytes that are not UTF-8 ({' '.join(bad)}): {shown}"
                errors.append(ContractError(label, line, name, "UTF-8 text", found))
    if errors:
        return errors
    # The bytes are outside every value (a header, a JSON key...): name the line only.
    line = data[: exc.start].count(b"\n") + 1
    byte = data[exc.start : exc.start + 1].hex()
    return [ContractError(label, line, None, "UTF-8 text", f"byte 0x{byte} at offset {exc.start}")]


def _append(con: duckdb.DuckDBPyConnection, table: Table, label: str, rows: list[tuple]) -> None:
    names = ["_row", *table.column_names]
    columns = list(zip(*rows))
    arrays = [pa.array(columns[0], pa.int64())] + [pa.array(col, pa.string()) for col in columns[1:]]
    batch = pa.Table.from_arrays(arrays, names=names)  # noqa: F841  (read by DuckDB's replacement scan)
    con.execute(
        f"INSERT INTO {raw_table(table)} BY NAME SELECT ? AS _file, _row, {_text_select(table)} FROM batch", [label]
    )


def _header_errors(table: Table, header: list[str], label: str, row: int | None = None) -> list[ContractError]:
    missing = [c for c in table.column_names if c not in header]
    extra = [c for c in header if c not in table.column_names]
    errors = [ContractError(label, row, c, "this column (missing)", None) for c in missing]
    errors += [ContractError(label, row, c, f"only the columns of {table.name}", "an extra column") for c in extra]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    errors += [ContractError(label, row, c, "each column once", "a repeated column") for c in duplicated]
    return errors


def _read_csv(table: Table, text: str, label: str) -> tuple[list[tuple], list[ContractError]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return [], [ContractError(label, None, None, f"a header row with the columns of {table.name}", "no rows")]
    except csv.Error as exc:
        return [], [ContractError(label, 1, None, "a CSV header row", str(exc))]
    header = [h.strip() for h in header]
    errors = _header_errors(table, header, label, row=1)
    if errors:
        return [], errors
    order = [header.index(c) for c in table.column_names]
    rows: list[tuple] = []
    line = reader.line_num + 1
    try:
        for record in reader:
            if record:  # csv yields [] for a blank line
                if len(record) != len(header):
                    errors.append(
                        ContractError(label, line, None, f"{len(header)} fields", f"{len(record)} fields")
                    )
                else:
                    rows.append((line, *(record[i] if record[i] != "" else None for i in order)))
            line = reader.line_num + 1
    except csv.Error as exc:
        errors.append(ContractError(label, line, None, "well-formed CSV", str(exc)))
    return rows, errors


class _JsonFloat(str):
    """The literal text of a JSON number with a fraction or exponent, kept to name it in an error."""


def _json_cell(column: Column, value: object) -> tuple[str | None, str | None]:
    """(text for the raw table, what was wrong with the JSON type, if anything)."""
    if value is None:
        return None, None
    kind = column.kind
    if isinstance(value, _JsonFloat) or (isinstance(value, int) and not isinstance(value, bool)):
        if kind is Kind.INTEGER and not isinstance(value, _JsonFloat):
            return str(value), None
        if kind is Kind.DECIMAL:
            return str(value), f"a JSON number ({value}); decimals must be JSON strings such as \"{value}\""
        return str(value), f"a JSON number ({value})"
    if isinstance(value, bool):
        text = "true" if value else "false"
        return text, None if kind is Kind.BOOLEAN else f"a JSON boolean ({text})"
    if isinstance(value, list):
        if kind in LIST_KINDS and all(isinstance(v, str) for v in value):
            return ";".join(value), None
        return json.dumps(value), "a JSON array"
    if isinstance(value, dict):
        return json.dumps(value), "a JSON object"
    if kind in (Kind.INTEGER, Kind.BOOLEAN, *LIST_KINDS):
        return str(value), f"a JSON string ({value!r})"
    return str(value), None


_JSON_TYPE_EXPECTED = {
    Kind.INTEGER: "a JSON integer",
    Kind.BOOLEAN: "a JSON boolean (true or false)",
    Kind.COUNTRY_LIST: "a JSON array of country codes, or null",
    Kind.ENUM_LIST: "a JSON array of codes, or null",
    Kind.DECIMAL: "a JSON string holding a decimal number, e.g. \"1234.56\"",
}


def reject_json_constant(name: str) -> object:
    """For json.loads(parse_constant=): NaN and Infinity are no numbers of the contract."""
    raise ValueError(f"{name} is not a number")


def _read_jsonl(table: Table, text: str, label: str) -> tuple[list[tuple], list[ContractError]]:
    rows: list[tuple] = []
    errors: list[ContractError] = []
    # Only "\n" ends a line: str.splitlines() would also split at U+2028, U+0085... inside JSON strings.
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, parse_float=_JsonFloat, parse_constant=reject_json_constant)
        except ValueError as exc:
            errors.append(ContractError(label, line_no, None, "one JSON object per line", f"invalid JSON: {exc}"))
            continue
        if not isinstance(record, dict):
            errors.append(ContractError(label, line_no, None, "a JSON object", type(record).__name__))
            continue
        if set(record) != set(table.column_names):
            errors.extend(_header_errors(table, list(record), label, row=line_no))
            continue
        cells = []
        for column in table.columns:
            cell, problem = _json_cell(column, record[column.name])
            if problem:
                expected = _JSON_TYPE_EXPECTED.get(column.kind, "a JSON string")
                errors.append(ContractError(label, line_no, column.name, expected, problem))
            cells.append(cell)
        rows.append((line_no, *cells))
    if not rows and not errors:
        errors.append(ContractError(label, None, None, f"JSON lines with {table.name} records", "no records"))
    return rows, errors


def _parquet_type_problem(column: Column, duckdb_type: str) -> str | None:
    accepted = ("VARCHAR", *PARQUET_TYPES.get(column.kind, ()))
    if duckdb_type.startswith("DECIMAL(") and column.kind is Kind.DECIMAL:
        precision, scale = (int(n) for n in duckdb_type[8:-1].split(","))
        if scale > DECIMAL_MAX_FRACTION_DIGITS or precision - scale > DECIMAL_MAX_INTEGER_DIGITS:
            return f"{duckdb_type}: more digits than the contract keeps (they would be rounded)"
        return None
    if duckdb_type.split("(")[0] in accepted or duckdb_type in accepted:
        return None
    if column.kind is Kind.TIMESTAMP and duckdb_type.startswith("TIMESTAMP"):
        return f"{duckdb_type}: a naive timestamp column (no time zone)"
    if duckdb_type in ("DOUBLE", "FLOAT"):
        return f"{duckdb_type}: a floating-point column"
    return duckdb_type


def _parquet_problem(exc: duckdb.Error, path: Path, label: str) -> str:
    """DuckDB's message, on one line and naming the file as the other errors do (not its absolute path)."""
    lines = str(exc).strip().splitlines() or [""]
    return f"{type(exc).__name__}: {lines[0].replace(str(path), label)}"


def _read_parquet(con: duckdb.DuckDBPyConnection, table: Table, path: Path, label: str) -> list[ContractError]:
    try:
        schema = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        return [ContractError(label, None, None, "a readable Parquet file", _parquet_problem(exc, path, label))]
    types = {name: dtype for name, dtype, *_ in schema}
    errors = _header_errors(table, list(types), label)
    for column in table.columns:
        problem = column.name in types and _parquet_type_problem(column, types[column.name])
        if problem:
            expected = f"{column.expected} (Parquet: {' or '.join(PARQUET_TYPES.get(column.kind, ()) + ('VARCHAR',))})"
            errors.append(ContractError(label, None, column.name, expected, problem))
    if errors:
        return errors
    parts = []
    for c in table.columns:
        source = f'"{c.name}"'
        if not typed(c) or types[c.name] != "VARCHAR":  # taken as typed: no text to keep
            parts.append(f"CAST({source} AS {c.duckdb_type}) AS {source}" if typed(c) else source)
        else:  # written as text: read like CSV, and keep the text for the checks
            parts += [f"{_from_text(c, source)} AS {source}", f'{source} AS "{text_column(c)}"']
    try:
        con.execute(
            f"INSERT INTO {raw_table(table)} BY NAME SELECT ? AS _file, file_row_number + 1 AS _row, "
            f"{', '.join(parts)} FROM read_parquet(?, file_row_number = true)",
            [label, str(path)],
        )
    except duckdb.Error as exc:
        return [ContractError(label, None, None, "a readable Parquet file", _parquet_problem(exc, path, label))]
    return []


# --- Writing landing files (every source and the demo write them this way) ---------------------------------------


def csv_text(columns: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A landing CSV: a header, then one line per row, `\\n` line ends, None as an empty cell."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue()


def jsonl_text(records: Iterable[dict]) -> str:
    """Landing JSON lines: one object per line, UTF-8 as it is (not \\u-escaped)."""
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)

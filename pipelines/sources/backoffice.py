"""Compensation claims and payouts from the PostgreSQL back office into the landing directory.

The back office holds the tables `claims` and `payouts` of `sql/backoffice/schema.sql` (found through the
connection's search_path; a DSN can set it with `options=-csearch_path=...`). Their columns carry the contract's
names (DESIGN.md §3), plus `updated_at`, stamped by a trigger on every INSERT and UPDATE.
`import_backoffice` writes

    <landing>/compensation_claims/backoffice.csv
    <landing>/compensation_payouts/backoffice.csv

in the contract's CSV conventions: a header of exactly the contract's columns, timestamps converted to UTC and
written `YYYY-MM-DDTHH:MM:SSZ` (`.ffffffZ` only where the microseconds are not zero), decimals as the exact digits
PostgreSQL holds (from `Decimal`, never a float, never exponent notation), empty for NULL, rows sorted by key.

**Incremental.** `<landing>/.watermarks/backoffice.json` keeps, per table, the latest `updated_at` imported (the
watermark). An import reads only the rows with `updated_at > watermark - OVERLAP` and merges them by key into
the landing file: a row read again replaces the row with the same key, a new key is added, so a file never holds
a key twice and importing the same rows again gives the same bytes. The overlap (5 minutes) is there because a
row becomes visible only when its transaction commits, which can be after an import already read past its
stamp (the trigger stamps with the statement's clock, before the commit); a transaction that stays open longer
than the overlap, or a server clock set back by more, can still be missed: `full=True` (a full import) re-reads
everything. Rows deleted in the back office are not seen by an incremental import either (the schema's rule is
never to delete; withdrawn claims are `decision = withdrawn`); a full import rebuilds the files from the
database and so drops them.

An import is full by itself when there is no watermark yet, when a landing file is missing or was changed
since the last import (its SHA-256 is kept with the watermark), when its header is not the contract's, or when
the DSN points at another database or schema than last time.

Both tables are read in one read-only REPEATABLE READ transaction (one snapshot: every payout's claim is
there); the files are written only after both were read, each atomically (a temporary file renamed over it),
and the watermark last, so an import that fails leaves the previous files and watermark, and one that stops
between the two renames is completed by the next import (it reads from the old watermark again).

**The DSN is a secret.** It is never logged; a failure raises `BackofficeError` whose message names the server
by `mask_dsn(dsn)` (the password replaced by `***`) and has every password of the DSN masked.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pipelines.contract import COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS, Kind, Table
from pipelines.files import write_atomic
from pipelines.landing import csv_text
from pipelines.timestamps import iso_utc

OVERLAP = timedelta(minutes=5)
WATERMARK_FILE = Path(".watermarks") / "backoffice.json"
LANDING_FILE_NAME = "backoffice.csv"
CONNECT_TIMEOUT_SECONDS = 10
STATE_VERSION = 1
MASK = "***"


@dataclass(frozen=True)
class Source:
    table: Table  # the contract table written
    relation: str  # the back-office table read


SOURCES = (Source(COMPENSATION_CLAIMS, "claims"), Source(COMPENSATION_PAYOUTS, "payouts"))


class BackofficeError(RuntimeError):
    """The back office could not be read, or holds a value the contract cannot take. Never carries a password."""


# --- secrets -----------------------------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:@/]*:(?P<password>.*)@[^@]*$", re.IGNORECASE | re.DOTALL)
_QUERY_PASSWORD = re.compile(r"[?&]password=(?P<password>[^&]*)", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(r"\bpassword\s*=\s*(?P<password>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def _passwords(dsn: str) -> set[str]:
    """Every spelling of a password the DSN (or the environment) holds, parsed or not."""
    found: set[str] = set()
    try:
        parsed = conninfo_to_dict(dsn).get("password")
    except Exception:  # a malformed DSN: the patterns below still find what looks like a password
        parsed = None
    if parsed:
        found.add(str(parsed))
    for pattern in (_URL_PASSWORD, _QUERY_PASSWORD):
        for match in pattern.finditer(dsn):
            found |= {match["password"], unquote(match["password"])}
    for match in _KEYWORD_PASSWORD.finditer(dsn):
        raw = match["password"]
        found.add(raw)
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            found.add(re.sub(r"\\(.)", r"\1", raw[1:-1]))
    if os.environ.get("PGPASSWORD"):
        found.add(os.environ["PGPASSWORD"])
    return {p for p in found if p}


def mask_secrets(text: str, dsn: str) -> str:
    """`text` with every password of `dsn` replaced by ***."""
    for secret in sorted(_passwords(dsn), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def mask_dsn(dsn: str) -> str:
    """The DSN as it may be shown: its password replaced by ***."""
    return mask_secrets(dsn, dsn)


# --- values ------------------------------------------------------------------------------------------------


def format_decimal(number: Decimal) -> str:
    """The exact digits, in plain notation (never an exponent)."""
    return format(number, "f")


def _cell(source: Source, key: str, column_name: str, kind: Kind, value: Any) -> str | None:
    if value is None:
        return None

    def refuse(expected: str) -> BackofficeError:
        shown = f"{type(value).__name__} {value!r}"
        return BackofficeError(
            f"back office table {source.relation}, {key}, column {column_name}: expected {expected}; found {shown}"
        )

    if kind is Kind.TIMESTAMP:
        if not isinstance(value, datetime):
            raise refuse("a timestamptz")
        if value.tzinfo is None:
            raise refuse("a timestamptz (a timestamp without time zone is ambiguous)")
        return iso_utc(value)
    if kind is Kind.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise refuse("an exact numeric (a float cannot hold money exactly)")
        if isinstance(value, Decimal) and not value.is_finite():
            raise refuse("a finite number")
        return format_decimal(Decimal(value))
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and kind is Kind.ID:
        return str(value)  # an integer identifier is exact as text
    raise refuse("text")


# --- landing files and state -------------------------------------------------------------------------------

Row = tuple[str | None, ...]
Key = tuple[str, ...]


def landing_path(landing_dir: Path, table: Table) -> Path:
    return landing_dir / table.name / LANDING_FILE_NAME


def _key(table: Table, row: Row) -> Key:
    names = table.column_names
    return tuple(row[names.index(k)] or "" for k in table.key)


def _render(table: Table, rows: dict[Key, Row]) -> bytes:
    return csv_text(table.column_names, (rows[key] for key in sorted(rows))).encode("utf-8")


def _parse(table: Table, data: bytes) -> dict[Key, Row] | None:
    """The rows of a file this adapter wrote, or None if it is not one (then the table is imported in full)."""
    try:
        records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not records or records[0] != table.column_names:
        return None
    rows: dict[Key, Row] = {}
    for record in records[1:]:
        if len(record) != len(table.column_names):
            return None
        row = tuple(v if v != "" else None for v in record)
        rows[_key(table, row)] = row
    return rows


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    valid = isinstance(state, dict) and state.get("version") == STATE_VERSION
    return state if valid and isinstance(state.get("tables"), dict) else {}


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One import at a time into a landing directory."""
    with (directory / "backoffice.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- the import --------------------------------------------------------------------------------------------


@dataclass
class _ImportPlan:
    source: Source
    rows: dict[Key, Row]  # the landing file's rows, to merge into (empty when the table is read in full)
    since: datetime | None  # read rows with updated_at > since; None: all rows
    watermark: datetime | None  # the previous watermark


def _import_plan(landing_dir: Path, state: dict, full: bool) -> list[_ImportPlan]:
    plans = []
    for source in SOURCES:
        entry = state.get("tables", {}).get(source.table.name)
        entry = entry if isinstance(entry, dict) else {}
        path = landing_path(landing_dir, source.table)
        rows = None
        if not full and entry and path.is_file():
            data = path.read_bytes()
            if _sha256(data) == entry.get("sha256"):
                rows = _parse(source.table, data)
        if rows is None:  # a full read of this table
            plans.append(_ImportPlan(source, {}, None, None))
            continue
        try:
            watermark = datetime.fromisoformat(entry["watermark"]) if entry.get("watermark") else None
        except (TypeError, ValueError):  # a watermark file edited by hand: read the table in full
            plans.append(_ImportPlan(source, {}, None, None))
            continue
        if watermark is not None and watermark.tzinfo is None:
            plans.append(_ImportPlan(source, {}, None, None))
            continue
        plans.append(_ImportPlan(source, rows, None if watermark is None else watermark - OVERLAP, watermark))
    return plans


def _connect(dsn: str) -> psycopg.Connection:
    defaults: dict[str, Any] = {}
    given = conninfo_to_dict(dsn)
    if "connect_timeout" not in given:
        defaults["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if "application_name" not in given:
        defaults["application_name"] = "transparency-backoffice-import"
    conn = psycopg.connect(dsn, **defaults)
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def _relation(conn: psycopg.Connection, name: str) -> tuple[str, str]:
    """(schema, table) of a back-office table, resolved through the search_path."""
    found = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s)",
        [name],
    ).fetchone()
    if found is None:
        schemas = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
        raise BackofficeError(
            f"the back office has no table {name} in the search_path ({schemas}); "
            "create it with sql/backoffice/schema.sql"
        )
    return found[0], found[1]


def _fetch(conn: psycopg.Connection, plan: _ImportPlan, relation: tuple[str, str]) -> tuple[list[Row], datetime | None]:
    table = plan.source.table
    query = sql.SQL("SELECT {columns}, updated_at FROM {relation}").format(
        columns=sql.SQL(", ").join(sql.Identifier(name) for name in table.column_names),
        relation=sql.Identifier(*relation),
    )
    params: list[Any] = []
    if plan.since is not None:
        query += sql.SQL(" WHERE updated_at > %s")
        params.append(plan.since)
    rows: list[Row] = []
    latest = None
    kinds = [c.kind for c in table.columns]
    with conn.cursor() as cursor:
        cursor.execute(query, params)
        for record in cursor:
            *values, updated_at = record
            key = ", ".join(f"{k}={values[table.column_names.index(k)]}" for k in table.key)
            rows.append(
                tuple(_cell(plan.source, key, n, k, v) for n, k, v in zip(table.column_names, kinds, values))
            )
            if updated_at is not None and (latest is None or updated_at > latest):
                latest = updated_at
    return rows, latest


def _read(dsn: str, plans: list[_ImportPlan], state: dict) -> tuple[str, list[tuple[list[Row], datetime | None]]]:
    """Read every table in one snapshot; return the identity of the source and what each plan read."""
    with _connect(dsn) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        relations = [_relation(conn, plan.source.relation) for plan in plans]
        database = conn.execute("SELECT current_database()").fetchone()[0]
        identity = f"{conn.info.host}:{conn.info.port}/{database}/" + ",".join(
            f"{schema}.{name}" for schema, name in relations
        )
        if identity != state.get("source"):  # another database (or none before): everything is read again
            for plan in plans:
                plan.rows, plan.since, plan.watermark = {}, None, None
        results = [_fetch(conn, plan, relation) for plan, relation in zip(plans, relations)]
        conn.rollback()  # read only: nothing to commit
    return identity, results


def import_backoffice(dsn: str, landing_dir: Path, *, full: bool = False) -> dict[str, int]:
    """Import claims and payouts changed since the last import (all of them if `full`) into the landing files.

    Returns, per contract table, `<table>_fetched` (rows read from the back office) and `<table>_rows` (rows now
    in its landing file).
    """
    landing_dir = Path(landing_dir)
    state_path = landing_dir / WATERMARK_FILE
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(state_path.parent):
        state = _read_state(state_path)
        plans = _import_plan(landing_dir, state, full)
        try:
            identity, results = _read(dsn, plans, state)
        except psycopg.Error as exc:
            message = mask_secrets(str(exc).strip() or type(exc).__name__, dsn)
            raise BackofficeError(f"reading the back office at {mask_dsn(dsn)} failed: {message}") from None
        except BackofficeError as exc:
            raise BackofficeError(mask_secrets(str(exc), dsn)) from None

        counts: dict[str, int] = {}
        tables: dict[str, dict] = {}
        outputs: list[tuple[Path, bytes]] = []
        for plan, (fetched, latest) in zip(plans, results):
            table = plan.source.table
            merged = dict(plan.rows)
            for row in fetched:
                merged[_key(table, row)] = row
            data = _render(table, merged)
            path = landing_path(landing_dir, table)
            if not path.is_file() or path.read_bytes() != data:
                outputs.append((path, data))
            watermark = max((m for m in (plan.watermark, latest) if m is not None), default=None)
            tables[table.name] = {
                "watermark": None if watermark is None else watermark.astimezone(UTC).isoformat(),
                "sha256": _sha256(data),
                "rows": len(merged),
            }
            counts[f"{table.name}_fetched"] = len(fetched)
            counts[f"{table.name}_rows"] = len(merged)

        # Temporary files go to the watermark folder: outside every table folder, so never read as landing data.
        for path, data in outputs:
            write_atomic(path, data, scratch=state_path.parent)
        new_state = {
            "version": STATE_VERSION,
            "source": identity,
            "overlap_seconds": int(OVERLAP.total_seconds()),
            "tables": tables,
        }
        state_bytes = (json.dumps(new_state, indent=2, sort_keys=True) + "\n").encode("utf-8")
        if not state_path.is_file() or state_path.read_bytes() != state_bytes:
            write_atomic(state_path, state_bytes)
        return counts

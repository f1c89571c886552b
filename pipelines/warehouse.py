"""Opening the DuckDB warehouse: every connection works in UTC and has the project's macros (`sql/macros/`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.sql import macros_in_order


def connect(path: Path | str = ":memory:", *, read_only: bool = False, memory_limit: str | None = None):
    """A DuckDB connection whose session time zone is UTC (date parts of TIMESTAMPTZ are UTC days), with the
    macros installed (temporary ones, so read-only connections have them too)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    for macro in macros_in_order():
        con.execute(macro)
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's writes or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")

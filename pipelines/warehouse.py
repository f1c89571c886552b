"""Opening the DuckDB warehouse: every connection works in UTC and has `utc_date(t)`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.sql import read_sql


def connect(path: Path | str = ":memory:", *, read_only: bool = False, memory_limit: str | None = None):
    """A DuckDB connection whose session time zone is UTC (date parts of TIMESTAMPTZ are UTC days)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute(read_sql("macros", "utc_date"))
    if memory_limit:
        con.execute("SET memory_limit = ?", [memory_limit])
    return con

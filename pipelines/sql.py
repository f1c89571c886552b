"""Access to the SQL files in the repository's `sql/` folder (staging → marts, plus validation rules)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@cache
def read_sql(layer: str, name: str) -> str:
    """The text of `sql/<layer>/<name>.sql`."""
    return (SQL_DIR / layer / f"{name}.sql").read_text(encoding="utf-8")

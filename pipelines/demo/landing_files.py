"""The small demo's landing files: one per contract table, CSV or JSON lines, and the fund ledger as Parquet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract import LIST_KINDS, MOVEMENT_KINDS, TABLES_BY_NAME, Column, Kind
from pipelines.demo.arrow_columns import US, codes, decimals, fixed_strings, timestamps
from pipelines.demo.assets import ASSETS
from pipelines.demo.fund_ledger import Movements
from pipelines.demo.funds import Holdings
from pipelines.demo.window import DAY
from pipelines.files import atomic_path, write_atomic
from pipelines.landing import csv_text, jsonl_text
from pipelines.timestamps import iso_utc


def write_csv(path: Path, table: str, rows: list[dict]) -> None:
    columns = _contract_columns(table, rows)
    lines = ([_csv_value(c.kind, row[c.name]) for c in columns] for row in rows)
    write_atomic(path, csv_text([c.name for c in columns], lines))


def write_jsonl(path: Path, table: str, rows: list[dict]) -> None:
    columns = _contract_columns(table, rows)
    write_atomic(path, jsonl_text({c.name: _json_value(c.kind, row[c.name]) for c in columns} for row in rows))


def write_movements(path: Path, holdings: Holdings, movements: Movements) -> None:
    columns = {
        "movement_id": fixed_strings("MOV-", (np.arange(1, movements.occurred_at.size + 1), 9)),
        "fund_id": codes(movements.fund, [code for code, _ in holdings]),
        "asset": codes(movements.asset, ASSETS),
        "occurred_at": timestamps(movements.occurred_at, US),
        "amount": decimals(movements.amount),
        "kind": codes(movements.kind, MOVEMENT_KINDS),
    }
    names = TABLES_BY_NAME["insurance_fund_movements"].column_names
    assert sorted(columns) == sorted(names)
    with atomic_path(path) as temporary:
        pq.write_table(pa.table({name: columns[name] for name in names}), temporary, compression="zstd")


def _contract_columns(table: str, rows: list[dict]) -> list[Column]:
    """The contract's columns, after checking every row has exactly them (catches a typo in a key)."""
    columns = TABLES_BY_NAME[table].columns
    names = {c.name for c in columns}
    for row in rows:
        if set(row) != names:
            raise AssertionError(f"{table}: row keys {sorted(set(row) ^ names)} differ from the contract")
    return list(columns)


def _csv_value(kind: Kind, value: Any) -> str | None:
    if value is None:
        return None  # an empty cell
    if kind is Kind.TIMESTAMP:
        return _iso(value)
    if kind is Kind.DATE:
        return _iso_date(value)
    if kind is Kind.DECIMAL:
        return format(value, "f")  # never exponent notation
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind in LIST_KINDS:
        return ";".join(value)
    return str(value)


def _json_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.TIMESTAMP:
        return _iso(value)
    if kind is Kind.DATE:
        return _iso_date(value)
    if kind is Kind.DECIMAL:
        return format(value, "f")  # a string: JSON numbers are floats to most readers
    return value


def _iso(t: int) -> str:
    return iso_utc(datetime.fromtimestamp(int(t), UTC))


def _iso_date(day: int) -> str:
    return datetime.fromtimestamp(int(day) * DAY, UTC).date().isoformat()

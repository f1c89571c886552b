"""Arrow columns of landing Parquet files, built from numpy arrays: the types the contract's kinds take, ids,
codes, exact decimals and UTC timestamps."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract import TABLES_BY_NAME, Kind
from pipelines.demo.assets import FUND_SCALE

US = 1_000_000  # microseconds per second
_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a contract table: its columns, in order, with the types the landing files use."""
    return pa.schema([column.arrow_field for column in TABLES_BY_NAME[table].columns])


def fixed_strings(*parts: str | tuple[np.ndarray, int], n: int | None = None, base: int = 10) -> pa.Array:
    """A string array whose values are the concatenation of `parts`: literal text, or (numbers, digits) written
    zero-padded in `base`. Built as one byte matrix, so millions of ids take milliseconds."""
    if n is None:
        n = next(len(p[0]) for p in parts if not isinstance(p, str))
    widths = [len(p) if isinstance(p, str) else p[1] for p in parts]
    width = sum(widths)
    matrix = np.empty((n, width), dtype=np.uint8)
    column = 0
    for part, w in zip(parts, widths):
        if isinstance(part, str):
            matrix[:, column:column + w] = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
        else:
            x = np.asarray(part[0]).astype(np.uint64)
            if x.size and int(x.max()) >= base ** w:
                raise ValueError(f"a number does not fit in {w} digits")
            for k in range(w - 1, -1, -1):
                matrix[:, column + k] = _DIGITS[x % base]
                x = x // base
        column += w
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix)).cast(pa.string())


def codes(index: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Strings by position in `names`; a negative index is a null."""
    index = np.asarray(index)
    valid = index >= 0
    indices = pa.array(np.where(valid, index, 0).astype(np.int32), mask=~valid if not valid.all() else None)
    return pa.array(list(names), pa.string()).take(indices)


def decimal_array(amount: np.ndarray, scale: int) -> pa.Array:
    """Exact decimal128(38, 18) values from int64 counts of 10**-scale: reinterpret the integers as
    decimal128(38, scale) (same unscaled value), then widen the scale, which pyarrow does exactly."""
    unscaled = pa.array(amount, pa.int64()).cast(pa.decimal128(38, 0))
    scaled = pa.Array.from_buffers(pa.decimal128(38, scale), len(unscaled), unscaled.buffers())
    return scaled.cast(pa.decimal128(38, 18))


def decimals(amount: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """decimal128(38, 18) from int64 counts of 1e-8 (exact); where `valid` is false, null."""
    array = decimal_array(np.asarray(amount, dtype=np.int64), FUND_SCALE)
    if valid is not None and not valid.all():
        array = pc.if_else(pa.array(valid), array, pa.scalar(None, array.type))
    return array


def timestamps(t: np.ndarray, unit: int = 1, valid: np.ndarray | None = None) -> pa.Array:
    """timestamp('us', 'UTC') from integer instants counted in `unit` microseconds (1 = µs, US = seconds)."""
    us = np.asarray(t, dtype=np.int64) * unit
    mask = None if valid is None or valid.all() else ~valid
    return pa.array(us, pa.timestamp("us", tz="UTC"), mask=mask)


def rows_to_arrays(table: str, rows: list[dict]) -> dict[str, pa.Array]:
    """Columns of a small table (incidents, impacts) from row dicts with epoch-second instants and Decimal
    amounts."""
    out = {}
    for column in TABLES_BY_NAME[table].columns:
        values = [row[column.name] for row in rows]
        if column.kind is Kind.TIMESTAMP:
            valid = np.array([v is not None for v in values], dtype=bool)
            out[column.name] = timestamps(np.array([v or 0 for v in values], dtype=np.int64), US, valid=valid)
        else:
            out[column.name] = pa.array(values, column.arrow_field.type)
    return out

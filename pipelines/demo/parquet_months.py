"""Exchange-scale landing files: `landing_dir/<table>/<YYYY-MM>.parquet`, written in row groups so that memory
stays bounded whatever the size of a month."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract import TABLES_BY_NAME, Kind
from pipelines.demo.arrow_columns import arrow_schema
from pipelines.files import atomic_path

ROW_GROUP = 1_000_000


class MonthFiles:
    """One ParquetWriter per table for the month being written, in row groups of ROW_GROUP rows; the rows
    written are added to `counts`. Use it as a context manager: leaving it closes the files and moves each into
    place (written beside the table folders, so no landing reader sees half a month), or removes them on error."""

    def __init__(self, landing_dir: Path, month: str, counts: dict[str, int]):
        self.landing_dir = landing_dir
        self.month = month
        self.counts = counts
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.files = ExitStack()

    def __enter__(self) -> MonthFiles:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
        self.files.__exit__(*exc_info)

    def write(self, table: str, columns: dict[str, pa.Array]) -> None:
        schema = arrow_schema(table)
        if sorted(columns) != sorted(schema.names):
            differing = sorted(set(columns) ^ set(schema.names))
            raise AssertionError(f"{table}: columns {differing} differ from the contract")
        batch = pa.Table.from_arrays([columns[name].cast(schema.field(name).type) for name in schema.names],
                                     schema=schema)
        if table not in self.writers:
            path = self.files.enter_context(
                atomic_path(self.landing_dir / table / f"{self.month}.parquet", scratch=self.landing_dir))
            low_cardinality = [c.name for c in TABLES_BY_NAME[table].columns
                               if c.kind in (Kind.ENUM, Kind.CODE) or c.name in ("fund_id", "service")]
            self.writers[table] = pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=low_cardinality)
        self.writers[table].write_table(batch, row_group_size=ROW_GROUP)
        self.counts[table] += batch.num_rows


def chunks(n: int) -> Iterator[np.ndarray]:
    """Row indices `0..n` a row group at a time."""
    for lo in range(0, n, ROW_GROUP):
        yield np.arange(lo, min(n, lo + ROW_GROUP))

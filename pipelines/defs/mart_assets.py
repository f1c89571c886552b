"""The factory of mart assets: one monthly-partitioned asset per `sql/marts/<name>.sql`, with its checks.

Its description is the file's leading comment and its dependencies the assets writing the tables the file reads
and its checks (lineage.py), so adding a mart is writing its SQL and naming it in its domain's module.
"""

from collections.abc import Callable, Iterator

import dagster as dg
import duckdb

from pipelines.defs.checks import CHECKS
from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import WarehouseResource
from pipelines.marts import build_mart
from pipelines.sql import SqlFile


def mart_asset(name: str, group: str,
               precondition: Callable[[duckdb.DuckDBPyConnection, str], None] | None = None) -> dg.AssetsDefinition:
    """The asset building `marts.<name>` for its month, then running its checks; `precondition(con, period)` may
    refuse to build (by raising dg.Failure)."""
    key = dg.AssetKey(["marts", name])
    file = SqlFile("marts", name)
    checks = CHECKS.get(name, ())

    @dg.asset(
        key=key,
        partitions_def=monthly,
        group_name=group,
        # what the mart and its checks read, but itself
        deps=[dep for dep in sql_deps(file, *(SqlFile("checks", c.name) for c in checks)) if dep.asset_key != key],
        kinds={"duckdb"},
        description=file.description,
        check_specs=[check.spec(key) for check in checks],
    )
    def build(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
        period = period_of(context)
        with warehouse.connect() as con:
            if precondition:
                precondition(con, period)
            rows = build_mart(con, name, period)
            yield dg.MaterializeResult(asset_key=key, metadata={"rows": rows})
            for check in checks:
                yield check.run(con, key, period)

    return build

"""Monthly partitions and the factory of partitioned mart assets, with their SQL checks."""

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg
import duckdb

from pipelines.defs.resources import WarehouseResource
from pipelines.marts import build_mart, record_check
from pipelines.sql import read_sql

# The first month the definitions know; data before it can still be read, it just has no partition.
FIRST_MONTH = os.environ.get("TRANSPARENCY_FIRST_MONTH", "2024-01")
monthly = dg.MonthlyPartitionsDefinition(start_date=f"{FIRST_MONTH}-01")

MAX_FAILURES_SHOWN = 25


def period_of(context: dg.AssetExecutionContext) -> str:
    """The `YYYY-MM` period of a monthly partition key (`YYYY-MM-01`)."""
    return context.partition_key[:7]


def sql_description(layer: str, name: str) -> str:
    """The leading comment of a SQL file: what it builds, said once."""
    lines = []
    for line in read_sql(layer, name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


@dataclass(frozen=True)
class Check:
    """`sql/checks/<name>.sql` selects one row per failure; ERROR checks block everything downstream."""

    name: str
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR

    @property
    def blocking(self) -> bool:
        return self.severity == dg.AssetCheckSeverity.ERROR

    def spec(self, key: dg.AssetKey) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            self.name, asset=key, blocking=self.blocking, description=sql_description("checks", self.name)
        )

    def run(self, con: duckdb.DuckDBPyConnection, key: dg.AssetKey, period: str) -> dg.AssetCheckResult:
        cursor = con.execute(read_sql("checks", self.name))
        columns = [d[0] for d in cursor.description]
        failures = cursor.fetchall()
        # Kept in the warehouse too: the regulator report attests which checks ran and what they found.
        record_check(con, period, key.to_user_string(), self.name, self.severity.value, len(failures))
        shown = [dict(zip(columns, map(str, row))) for row in failures[:MAX_FAILURES_SHOWN]]
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=self.name,
            passed=not failures,
            severity=self.severity,
            metadata={"failures": len(failures), "examples": dg.MetadataValue.json(shown)},
        )


def mart_asset(
    name: str, group: str, deps: Sequence[dg.AssetKey | str | Sequence[str]], checks: Sequence[Check] = ()
) -> dg.AssetsDefinition:
    """A monthly-partitioned asset materialising `sql/marts/<name>.sql` into `marts.<name>`, then its checks."""
    key = dg.AssetKey(["marts", name])

    @dg.asset(
        key=key,
        partitions_def=monthly,
        group_name=group,
        deps=deps,
        kinds={"duckdb"},
        description=sql_description("marts", name),
        check_specs=[check.spec(key) for check in checks],
    )
    def build(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
        with warehouse.connect() as con:
            rows = build_mart(con, name, period_of(context))
            yield dg.MaterializeResult(asset_key=key, metadata={"rows": rows})
            for check in checks:
                yield check.run(con, key, period_of(context))

    return build

"""Publication: the analyst snapshot, replaced atomically after every successful build."""

import dagster as dg

from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.snapshot import write_snapshot

METRICS = [["marts", "period_metrics"], ["marts", "period_metrics_mom"], ["marts", "rolling_30d"]]


@dg.asset(
    key=["publishing", "analytics_snapshot"],
    deps=METRICS,
    group_name="publishing",
    kinds={"duckdb"},
    description="reports/analytics.duckdb: the read-only analyst copy (schema analytics, every table and column "
    "commented), written beside the target and renamed into place.",
)
def analytics_snapshot(warehouse: WarehouseResource, reports: ReportsResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = write_snapshot(con, reports.analytics_snapshot)
    return dg.MaterializeResult(metadata={"path": str(reports.analytics_snapshot), **counts})


defs = dg.Definitions(assets=[analytics_snapshot])

"""Headline metrics: `period_metrics` (every figure of both reports), month over month, and trailing 30 days."""

import dagster as dg

from pipelines.defs.partitions import monthly, period_of, sql_description
from pipelines.defs.resources import WarehouseResource
from pipelines.marts import compute_window_metrics, month_windows, replace_partition, trailing_30_day_windows
from pipelines.sql import read_sql

MART_INPUTS = [
    ["marts", name]
    for name in (
        "incident_register", "notification_deadlines", "service_availability", "compensation_payouts",
        "compensation_decisions", "claims_backlog", "insurance_fund_period",
    )
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["marts", name], deps=MART_INPUTS, group_name="metrics", kinds={"duckdb"},
                     description=sql_description("marts", name))
        for name in ("period_metrics", "period_metrics_mom")
    ],
    partitions_def=monthly,
    can_subset=False,
)
def period_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    period = period_of(context)
    with warehouse.connect() as con:
        compute_window_metrics(con, month_windows(period, with_previous=True))
        for name in ("period_metrics", "period_metrics_mom"):
            rows = replace_partition(con, name, period, read_sql("marts", name))
            yield dg.MaterializeResult(asset_key=["marts", name], metadata={"rows": rows})


@dg.asset(
    key=["marts", "rolling_30d"], deps=MART_INPUTS, partitions_def=monthly, group_name="metrics",
    kinds={"duckdb"}, description=sql_description("marts", "rolling_30d"),
)
def rolling_30d(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    period = period_of(context)
    with warehouse.connect() as con:
        compute_window_metrics(con, trailing_30_day_windows(period))
        rows = replace_partition(con, "rolling_30d", period, read_sql("marts", "rolling_30d"), {"period": period})
    return dg.MaterializeResult(metadata={"rows": rows})


defs = dg.Definitions(assets=[period_metrics, rolling_30d])

"""Headline metrics: `period_metrics` (every figure of both reports), month over month, and trailing 30 days."""

import warnings

import dagster as dg

from pipelines.defs.partitions import monthly, period_of, sql_description
from pipelines.defs.resources import WarehouseResource
from pipelines.marts import (
    compute_window_metrics,
    month_windows,
    replace_partition,
    trailing_30_day_windows,
    unclassified_month,
)
from pipelines.periods import previous_month
from pipelines.sql import read_sql

MART_INPUTS = [
    ["marts", name]
    for name in (
        "incident_register", "notification_deadlines", "service_availability", "compensation_payouts",
        "compensation_decisions", "claims_backlog", "insurance_fund_period",
    )
]
# Month over month reads the month's period_metrics and the previous month's incident register and notification
# deadlines (its classification counts): declared, so that Dagster's lineage shows it and marks a month stale when
# the month before changes. The first partition has no month before it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)  # allow_nonexistent_upstream_partitions
    THIS_AND_PREVIOUS_MONTH = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=0,
                                                            allow_nonexistent_upstream_partitions=True)
MOM_INPUTS = [
    dg.AssetDep(["marts", "period_metrics"]),
    *(dg.AssetDep(["marts", name], partition_mapping=THIS_AND_PREVIOUS_MONTH)
      for name in ("incident_register", "notification_deadlines")),
]
# What building the month before for month over month takes (the CLI builds them when they are missing).
PREVIOUS_MONTH_SELECTION = " or ".join(
    f"key:marts/{name}" for name in ("incident_classification", "incident_register", "notification_deadlines"))


@dg.asset(
    key=["marts", "period_metrics"], deps=MART_INPUTS, partitions_def=monthly, group_name="metrics",
    kinds={"duckdb"}, description=sql_description("marts", "period_metrics"),
)
def period_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    period = period_of(context)
    with warehouse.connect() as con:
        compute_window_metrics(con, month_windows(period), months=True)
        rows = replace_partition(con, "period_metrics", period, read_sql("marts", "period_metrics"))
    return dg.MaterializeResult(metadata={"rows": rows})


@dg.asset(
    key=["marts", "period_metrics_mom"], deps=MOM_INPUTS,
    partitions_def=monthly, group_name="metrics", kinds={"duckdb"},
    description=sql_description("marts", "period_metrics_mom"),
)
def period_metrics_mom(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    period, previous = period_of(context), previous_month(period_of(context))
    with warehouse.connect() as con:
        if unclassified_month(con, previous):
            raise dg.Failure(
                f"{period}: month over month needs the incident register of {previous}, which has incidents but "
                f"has not been built; build {previous} first (transparency run --period {previous}, or a backfill "
                "that includes it)")
        compute_window_metrics(con, month_windows(previous), months=True)
        rows = replace_partition(con, "period_metrics_mom", period, read_sql("marts", "period_metrics_mom"),
                                 {"period": period})
    return dg.MaterializeResult(metadata={"rows": rows})


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


defs = dg.Definitions(assets=[period_metrics, period_metrics_mom, rolling_30d])

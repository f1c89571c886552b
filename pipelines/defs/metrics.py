"""Headline metrics: `period_metrics` (every figure of both reports), month over month, and trailing 30 days."""

import dagster as dg
import duckdb

from pipelines.defs.mart_assets import mart_asset
from pipelines.marts import unclassified_month
from pipelines.periods import previous_month


def previous_month_classified(con: duckdb.DuckDBPyConnection, period: str) -> None:
    previous = previous_month(period)
    if unclassified_month(con, previous):
        raise dg.Failure(
            f"{period}: month over month needs the incident register of {previous}, which has incidents but has not "
            f"been built; build {previous} first (transparency run --period {previous}, or a backfill that "
            "includes it)")


period_metrics = mart_asset("period_metrics", "metrics")
period_metrics_mom = mart_asset("period_metrics_mom", "metrics", precondition=previous_month_classified)
rolling_30d = mart_asset("rolling_30d", "metrics")

# What building the month before for month over month takes (the CLI builds them when they are missing).
PREVIOUS_MONTH_SELECTION = " or ".join(
    f"key:marts/{name}" for name in ("incident_classification", "incident_register", "notification_deadlines"))

defs = dg.Definitions(assets=[period_metrics, period_metrics_mom, rolling_30d])

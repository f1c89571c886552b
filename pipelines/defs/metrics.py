"""Headline metrics: `period_metrics` (every figure of both reports), month over month, and trailing 30 days."""

import dagster as dg
import duckdb

from pipelines.defs.lineage import mart_reads
from pipelines.defs.mart_assets import mart_asset
from pipelines.marts import unclassified_month
from pipelines.periods import previous_month
from pipelines.sql import SqlFile, tables_read


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



def marts_read_of_the_month_before() -> list[str]:
    """The marts month over month reads of the month before (through its windows), and the marts they read."""
    mom = SqlFile("marts", "period_metrics_mom")
    pending = [t for t in tables_read(mom) - mom.stored_tables if t.startswith("marts.")]
    found: set[str] = set()
    while pending:
        name = pending.pop().removeprefix("marts.")
        if name not in found:
            found.add(name)
            pending += [t for t in mart_reads(name) if t.startswith("marts.")]
    return sorted(found)


# What the CLI builds for the month before when it is missing.
PREVIOUS_MONTH_SELECTION = " or ".join(f"key:marts/{name}" for name in marts_read_of_the_month_before())

defs = dg.Definitions(assets=[period_metrics, period_metrics_mom, rolling_30d])

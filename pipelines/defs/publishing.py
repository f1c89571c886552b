"""Publication: each month's reports as an immutable version, the public archive, and the analyst snapshot."""

import dagster as dg

from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.reports import build_reports
from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.publication import latest_version, publish, same_content, versions
from pipelines.reports.render import write_archive
from pipelines.snapshot import write_snapshot

METRICS = [["marts", "period_metrics"], ["marts", "period_metrics_mom"], ["marts", "rolling_30d"]]


@dg.asset(
    key=["publishing", "period_publication"],
    deps=[["reports", "period_reports"]],
    partitions_def=monthly,
    group_name="publishing",
    kinds={"html"},
    description="reports/YYYY-MM/vN: the month's built reports published as a new version when their bytes "
    "differ from the latest one (never modifying a published version), and reports/index.html updated.",
)
def period_publication(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource
) -> dg.MaterializeResult:
    period = period_of(context)
    latest = latest_version(reports.directory, period)
    built = reports.build_dir(period)
    if latest and same_content(built, reports.directory / period / f"v{latest}"):
        version, new = latest, False
    else:
        version, new = latest + 1, True
        if version > 1:  # the build carries the latest version's number; the new one is printed in its files
            build_reports(warehouse, reports, period, version)
        with warehouse.connect() as con:
            publish(built, reports.directory, period, version, con)
    with warehouse.connect() as con:
        entity = dict(zip(("legal_name", "lei"), con.execute("SELECT legal_name, lei FROM staging.entity").fetchone()))
    published = sorted(
        (p.name for p in reports.directory.iterdir() if p.is_dir() and versions(reports.directory, p.name)),
        reverse=True,
    )
    write_archive(reports.directory, entity,
                  [{"period": p, "version": latest_version(reports.directory, p)} for p in published])
    context.log.info(f"{period}: {'published v' if new else 'unchanged, still v'}{version}")
    return dg.MaterializeResult(metadata={"version": version, "new_version": new,
                                          "path": str(reports.directory / period / f"v{version}")})


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


defs = dg.Definitions(assets=[period_publication, analytics_snapshot])

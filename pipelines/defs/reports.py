"""Reports: the public report (HTML, PDF, CSV/JSON) and the regulator report (PDF/A-3), built per month."""

import shutil
import time

import dagster as dg

from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.marts import install_macros
from pipelines.publication import latest_version
from pipelines.reports.data import load_report_data
from pipelines.reports.render import render_period

METRICS = [["marts", "period_metrics"], ["marts", "period_metrics_mom"], ["marts", "rolling_30d"]]


def build_reports(warehouse: WarehouseResource, reports: ReportsResource, period: str, version: int) -> dict:
    """Render the period's files into its build folder (emptied first) as `version`."""
    out = reports.build_dir(period)
    shutil.rmtree(out, ignore_errors=True)
    with warehouse.connect() as con:
        install_macros(con)
        data = load_report_data(con, period)
    started = time.perf_counter()
    paths = render_period(data, out, version)
    return {"version": version, "render_seconds": round(time.perf_counter() - started, 2),
            **{name: str(path) for name, path in paths.items()}}


@dg.asset(
    key=["reports", "period_reports"],
    deps=METRICS,
    partitions_def=monthly,
    group_name="reports",
    kinds={"html", "pdf"},
    description="The month's public report (index.html, report.pdf, data/*.csv|json) and regulator report "
    "(PDF/A-3 with its data attached), rendered from the warehouse into the build folder.",
)
def period_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource, reports: ReportsResource):
    period = period_of(context)
    # Rendered as the version now published, so that unchanged inputs give the published bytes again.
    version = max(latest_version(reports.directory, period), 1)
    return dg.MaterializeResult(metadata=build_reports(warehouse, reports, period, version))


defs = dg.Definitions(assets=[period_reports])

"""Reports: the public report (HTML, PDF, CSV/JSON) and the regulator report (PDF/A-3), built per month."""

import shutil
import time

import dagster as dg

from pipelines.corrections import annotate
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.marts import install_macros
from pipelines.publication import current_metrics, latest_version, read_figures, version_dir
from pipelines.reports.data import load_report_data
from pipelines.reports.render import render_period

METRICS = [["marts", "period_metrics"], ["marts", "period_metrics_mom"], ["marts", "rolling_30d"]]


def build_reports(warehouse: WarehouseResource, reports: ReportsResource, period: str, version: int,
                  corrections_log: list[dict]) -> dict:
    """Render the period's files into its build folder (emptied first) as `version`, with its corrections log."""
    out = reports.build_dir(period)
    shutil.rmtree(out, ignore_errors=True)
    with warehouse.connect() as con:
        install_macros(con)
        data = load_report_data(con, period)
        data.corrections = annotate(data, corrections_log, reports.directory, current_metrics(con, period))
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
    # Rendered as the version now published, with its corrections log, so that unchanged inputs give the
    # published document again; publication decides whether a new version is due.
    latest = latest_version(reports.directory, period)
    log = read_figures(version_dir(reports.directory, period, latest))["corrections"] if latest else []
    return dg.MaterializeResult(metadata=build_reports(warehouse, reports, period, max(latest, 1), log))


defs = dg.Definitions(assets=[period_reports])

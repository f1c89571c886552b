"""Reports: the public report (HTML, PDF, CSV/JSON) and the regulator report (PDF/A-3), built per month."""

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import dagster as dg

from pipelines.corrections import annotate
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.marts import install_macros
from pipelines.publication import current_metrics, latest_version, read_figures, version_dir
from pipelines.reports.data import load_report_data
from pipelines.reports.render import render_period

METRICS = [["marts", "period_metrics"], ["marts", "period_metrics_mom"], ["marts", "rolling_30d"]]


def build_stamp(reports: ReportsResource, period: str) -> Path:
    """Beside the build folder: the figures the build was rendered from, so that publication can refuse a stale
    or half-made build."""
    return reports.build_dir(period).with_name(f"{period}.stamp.json")


def metrics_digest(metrics: dict) -> str:
    return hashlib.sha256(json.dumps(metrics, sort_keys=True).encode()).hexdigest()


def build_reports(warehouse: WarehouseResource, reports: ReportsResource, period: str, version: int,
                  corrections_log: list[dict]) -> dict:
    """Render the period's files as `version`, with its corrections log, into a temporary folder that replaces the
    build folder when complete; then stamp it."""
    out = reports.build_dir(period)
    stamp = build_stamp(reports, period)
    stamp.unlink(missing_ok=True)
    with warehouse.connect() as con:
        install_macros(con)
        data = load_report_data(con, period)
        metrics = current_metrics(con, period)
        data.corrections = annotate(data, corrections_log, reports.directory, metrics)
    started = time.perf_counter()
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    paths = render_period(data, temporary, version)
    shutil.rmtree(out, ignore_errors=True)
    temporary.rename(out)
    stamp.write_text(json.dumps({"version": version, "metrics": metrics_digest(metrics)}), encoding="utf-8")
    return {"version": version, "render_seconds": round(time.perf_counter() - started, 2),
            **{name: str(out / path.relative_to(temporary)) for name, path in paths.items()}}


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

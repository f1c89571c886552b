"""Reports: the month's version decided from what changed, then its public report (HTML, PDF, CSV/JSON) and
regulator report (PDF/A-3) rendered as that version."""

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from pipelines.corrections import annotate
from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import ReportsResource, WarehouseResource
from pipelines.files import write_atomic
from pipelines.publication import (
    LATE_DATA,
    Content,
    corrections,
    current_metrics,
    decide_version,
    latest_version,
    read_figures,
    staged_inputs,
    version_dir,
)
from pipelines.reports.data import PROFILE_TABLES, load_report_data
from pipelines.reports.render import period_sources, renderer, write_period
from pipelines.sql import SqlFile, names


def build_stamp(reports: ReportsResource, period: str) -> Path:
    """Beside the build folder: the version decided for the build and the content it was rendered from, so that
    publication publishes exactly that, and refuses a stale or half-made build."""
    return reports.build_dir(period).with_name(f"{period}.stamp.json")


def write_stamp(stamp: Path, record: dict) -> None:
    write_atomic(stamp, json.dumps(record, sort_keys=True))


def metrics_digest(metrics: dict) -> str:
    return hashlib.sha256(json.dumps(metrics, sort_keys=True).encode()).hexdigest()


def compensation_root_of(reports: ReportsResource, period: str, inputs: list[dict]) -> dict:
    """The month's root as reports/compensation_root built it from these very inputs."""
    path = reports.compensation_root(period)
    built = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if built.get("inputs") != inputs:
        raise dg.Failure(f"{path}: missing or built from other inputs than the warehouse holds; materialise "
                         "reports/compensation_root first (transparency run does both)")
    return built["root"]


def _holds(folder: Path, sources) -> bool:
    """Whether `folder` holds every file of `sources` as written and every PDF."""
    return (all((folder / name).is_file() for name in sources.pdfs)
            and all((folder / name).is_file() and hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
                    for name, digest in sources.digests().items() if name in sources.files))


class ReportsConfig(dg.Config):
    reason: str = LATE_DATA  # why a restated month's figures changed, as its corrections entry says


def build_reports(warehouse: WarehouseResource, reports: ReportsResource, period: str, reason: str) -> dict:
    """Decide the period's version — the latest one when inputs, figures and every file's source are unchanged,
    else the next — and, when it is new, render it into the build folder (a temporary folder renamed into place)
    and stamp it."""
    out, stamp = reports.build_dir(period), build_stamp(reports, period)
    previous_build = json.loads(stamp.read_text()) if stamp.exists() else {}
    stamp.unlink(missing_ok=True)
    latest = latest_version(reports.directory, period)
    with warehouse.connect() as con:
        data = load_report_data(con, period)
        metrics = current_metrics(con, period)
        inputs = staged_inputs(con)
    data.compensation_root = compensation_root_of(reports, period, inputs)

    def sources_as(version: int, log: list[dict]):
        data.corrections = annotate(data, log, reports.directory, metrics)
        return period_sources(data, version)

    # Rendered first as the latest version, with its corrections log: unchanged inputs give its sources again.
    log = read_figures(version_dir(reports.directory, period, latest))["corrections"] if latest else []
    sources = sources_as(max(latest, 1), log)
    version, new = decide_version(reports.directory, period, Content(inputs, metrics, sources.digests()))
    if not new:
        shutil.rmtree(out, ignore_errors=True)
        write_stamp(stamp, {"version": version, "new": False, "metrics": metrics_digest(metrics)})
        return {"version": version, "new_version": False}
    if version != max(latest, 1):
        log = corrections(reports.directory, period, version, metrics, reason)
        sources = sources_as(version, log)
    content = Content(inputs, metrics, sources.digests())  # of the version rendered, its own number and log
    record = {"version": version, "new": True, "metrics": metrics_digest(metrics), "corrections": log,
              "content": asdict(content), "renderer": renderer()}
    # A run that stopped before publishing (a crash, a failed upload) left this very build: it is not laid out again
    if not (previous_build == json.loads(json.dumps(record, sort_keys=True)) and _holds(out, sources)):
        temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        shutil.rmtree(temporary, ignore_errors=True)
        write_period(sources, temporary)
        shutil.rmtree(out, ignore_errors=True)
        temporary.rename(out)
    write_stamp(stamp, record)
    return {"version": version, "new_version": True, "path": str(out), "renderer": str(record["renderer"])}


@dg.asset(
    key=["reports", "period_reports"],
    deps=[*sql_deps(*(SqlFile("reports", name) for name in names("reports")),
                    python_reads={"pipelines/reports/data.py": {f"staging.{t}" for t in PROFILE_TABLES}}),
          dg.AssetDep(["reports", "compensation_root"])],
    partitions_def=monthly,
    group_name="reports",
    kinds={"html", "pdf"},
    description="The month's version decided from what changed since the latest published one (inputs' hashes, "
    "figures, every file's source); when new, its public report (index.html, report.pdf, data/*.csv|json) and "
    "regulator report (PDF/A-3 with its data attached) rendered into the build folder.",
)
def period_reports(context: dg.AssetExecutionContext, config: ReportsConfig, warehouse: WarehouseResource,
                   reports: ReportsResource) -> dg.MaterializeResult:
    result = build_reports(warehouse, reports, period_of(context), config.reason)
    context.log.info(f"{period_of(context)}: {'new version v' if result['new_version'] else 'unchanged, still v'}"
                     f"{result['version']}")
    return dg.MaterializeResult(metadata=result)


defs = dg.Definitions(assets=[period_reports])

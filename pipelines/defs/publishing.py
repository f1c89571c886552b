"""Publication: each month's reports as an immutable, signed version, the regulators' outboxes, the public
archive, and the analyst snapshot."""

import json
from datetime import UTC, datetime

import dagster as dg

from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.reports import build_stamp, metrics_digest, write_stamp
from pipelines.defs.resources import LandingResource, ReportsResource, WarehouseResource
from pipelines.publication import (
    Content,
    Signature,
    current_metrics,
    deliver,
    latest_version,
    period_lock,
    publish,
    version_dir,
    versions,
)
from pipelines.reports.render import write_archive
from pipelines.signing import signing_key
from pipelines.snapshot import SNAPSHOT_READS, write_snapshot
from pipelines.sql import SqlFile, names


@dg.asset(
    key=["publishing", "period_publication"],
    deps=[["reports", "period_reports"]],
    partitions_def=monthly,
    group_name="publishing",
    kinds={"pdf"},
    description="reports/YYYY-MM/vN: the version decided by reports/period_reports, signed and published when it is "
    "new (a published version is never modified), each regulator's outbox, and reports/index.html.",
)
def period_publication(
    context: dg.AssetExecutionContext,
    landing: LandingResource,
    warehouse: WarehouseResource,
    reports: ReportsResource,
) -> dg.MaterializeResult:
    period = period_of(context)
    profile = landing.profile()
    with period_lock(reports.directory, period):  # two runs of one month never publish at once
        latest = latest_version(reports.directory, period)
        built, stamp = reports.build_dir(period), build_stamp(reports, period)
        with warehouse.connect() as con:
            metrics = current_metrics(con, period)
            record = json.loads(stamp.read_text()) if stamp.exists() else {}
            expected = latest + 1 if record.get("new") else latest  # the version decided, against what is published
            if record.get("metrics") != metrics_digest(metrics) or record["version"] != expected:
                raise dg.Failure(f"{built}: the build is missing, half made or older than the figures of {period} "
                                 "or its latest version; materialise reports/period_reports first (transparency run "
                                 "does both)")
            version, new = record["version"], record["new"]
            if new:
                signature = Signature(signing_key(profile), reason=f"Regulatory report {period}, version {version}",
                                      location=profile.legal_name)
                publish(built, reports.directory, period, version, con, signature, record["corrections"],
                        Content(**record["content"]), record["renderer"])
                write_stamp(stamp, {"version": version, "new": False, "metrics": record["metrics"]})
    # Idempotent: delivers the current version to any regulator that does not have it yet (also after a crash).
    deliver(version_dir(reports.directory, period, version), reports.directory / "outbox",
            [r.model_dump() for r in profile.regulators], prepared_at=datetime.now(UTC).isoformat(timespec="seconds"))
    published_periods = sorted(
        (p.name for p in reports.directory.iterdir() if p.is_dir() and versions(reports.directory, p.name)),
        reverse=True,
    )
    write_archive(reports.directory, {"legal_name": profile.legal_name, "lei": profile.lei},
                  [{"period": p, "version": latest_version(reports.directory, p)} for p in published_periods])
    context.log.info(f"{period}: {'published v' if new else 'unchanged, still v'}{version}")
    return dg.MaterializeResult(metadata={"version": version, "new_version": new,
                                          "path": str(version_dir(reports.directory, period, version))})


@dg.asset(
    key=["publishing", "analytics_snapshot"],
    deps=sql_deps(*(SqlFile("analytics", name) for name in names("analytics")),
                  python_reads={"pipelines/snapshot.py": SNAPSHOT_READS}),
    group_name="publishing",
    kinds={"duckdb"},
    description="reports/analytics.duckdb: the read-only analyst copy (tables in its default schema, every table "
    "and column commented), written beside the target and renamed into place.",
)
def analytics_snapshot(warehouse: WarehouseResource, reports: ReportsResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = write_snapshot(con, reports.analytics_snapshot)
    return dg.MaterializeResult(metadata={"path": str(reports.analytics_snapshot), **counts})


defs = dg.Definitions(assets=[period_publication, analytics_snapshot])

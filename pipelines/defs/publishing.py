"""Publication: each month's reports as an immutable, signed version, the regulators' outboxes, the public
archive, and the analyst snapshot."""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipelines import publication_log
from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.receipts import build_tree_file, secret_of
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
    read_manifest,
    version_dir,
    versions,
)
from pipelines.receipt_store import STORE_FILE, Store
from pipelines.receipts import month_fields
from pipelines.reports.feed import write_feed
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
    "new (a published version is never modified) and appended to the publication log (reports/log/, a signed tree "
    "head after it); the version's receipts for the back office; each regulator's outbox; reports/index.html.",
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
    key = signing_key(profile)
    head = publication_log.append(reports.directory, profile.legal_name, key)  # also what a crash left unlogged
    receipts = write_version_receipts(reports, warehouse, period, version, secret_of(landing))
    # Idempotent: delivers the current version to any regulator that does not have it yet (also after a crash).
    deliver(version_dir(reports.directory, period, version), reports.directory / "outbox",
            [r.model_dump() for r in profile.regulators], prepared_at=datetime.now(UTC).isoformat(timespec="seconds"))
    published_periods = sorted(
        (p.name for p in reports.directory.iterdir() if p.is_dir() and versions(reports.directory, p.name)),
        reverse=True,
    )
    entity = {"legal_name": profile.legal_name, "lei": profile.lei, "small_cell_k": profile.small_cell_k,
              "public_languages": list(profile.public_languages)}
    write_archive(reports.directory, entity,
                  [{"period": p, "version": latest_version(reports.directory, p)} for p in published_periods],
                  publication_log.latest_head(reports.directory))
    write_feed(reports.directory, entity, profile.site_url)
    context.log.info(f"{period}: {'published v' if new else 'unchanged, still v'}{version}"
                     + (f"; log signed at size {head['size']}" if head else ""))
    return dg.MaterializeResult(metadata={"version": version, "new_version": new,
                                          "path": str(version_dir(reports.directory, period, version)),
                                          "receipts": receipts})


def write_version_receipts(reports: ReportsResource, warehouse: WarehouseResource, period: str, version: int,
                           secret: bytes) -> int:
    """The back office's receipt store of a version, once: the month's tree built beside the build (or rebuilt
    from the warehouse when it is not there), moved into place only if it gives the root the version published.
    Returns how many claims it holds."""
    folder = reports.receipts_dir(period, version)
    if not (folder / STORE_FILE).exists():
        published = read_manifest(version_dir(reports.directory, period, version))["compensation_root"]
        built = reports.compensation_tree(period)
        if not built.exists() or _root_of(built) != published:
            with warehouse.connect() as con:
                build_tree_file(con, period, secret, month_fields(con, period)[0], built)
            if _root_of(built) != published:
                raise dg.Failure(f"{period} v{version}: the warehouse now gives another compensation root than the "
                                 "one published; its receipts are not written (publish the month again first)")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(built, folder / STORE_FILE)
    with Store(folder / STORE_FILE) as store:
        return store.claim_count()


def _root_of(store: Path) -> dict:
    with Store(store) as opened:
        return opened.record


@dg.asset(
    key=["publishing", "analytics_snapshot"],
    deps=sql_deps(*(SqlFile("analytics", name) for name in names("analytics")),
                  python_reads={"pipelines/snapshot.py": SNAPSHOT_READS}),
    group_name="publishing",
    kinds={"duckdb"},
    description="reports/analytics.duckdb: the read-only analyst copy (tables in its default schema, every table "
    "and column commented), written beside the target and renamed into place; the same tables as Parquet in "
    "reports/analytics/ (month partitions) with their dictionary.",
)
def analytics_snapshot(warehouse: WarehouseResource, reports: ReportsResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = write_snapshot(con, reports.analytics_snapshot, reports.analytics_export)
    return dg.MaterializeResult(metadata={"path": str(reports.analytics_snapshot), **counts})


defs = dg.Definitions(assets=[period_publication, analytics_snapshot])

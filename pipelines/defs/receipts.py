"""The month's compensation root (pipelines/receipts.py), checked against period_metrics before any report is
rendered from it. Its tree is kept beside the build (pipelines/receipt_store.py) and becomes the version's receipt
store at publication, when the version is known."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.checks import record_check
from pipelines.defs.checks import MAX_FAILURES_SHOWN
from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import LandingResource, ReportsResource, WarehouseResource
from pipelines.files import write_atomic
from pipelines.profile import ProfileError
from pipelines.publication import staged_inputs
from pipelines.receipt_store import build_store
from pipelines.receipts import month_fields, root_problems
from pipelines.reports.i18n import N_
from pipelines.sql import SqlFile

KEY = dg.AssetKey(["reports", "compensation_root"])
ROOT_CHECK = "compensation_root_matches_period_metrics"
# The public page shows a check's description without its kind, translated (pipelines/reports/i18n.py).
ROOT_CHECK_TEXT = N_("The compensation root's sums, and every field added up over the claims it commits to, equal the "
                     "month's figures (claims decided by decision, payouts, compensation paid in USD and by the "
                     "insurance fund).")
ROOT_CHECK_DESCRIPTION = f"Blocking. {ROOT_CHECK_TEXT}"


def secret_of(landing: LandingResource) -> bytes:
    try:
        return landing.profile().receipts.secret()
    except ProfileError as exc:
        raise dg.Failure(str(exc)) from None


@dg.asset(
    key=KEY,
    deps=sql_deps(SqlFile("reports", "receipt_claims"), SqlFile("reports", "public_compensation_decisions"),
                  python_reads={"pipelines/receipts.py": {"marts.period_metrics", "staging.metric_definitions",
                                                          "staging.entity"}}),
    partitions_def=monthly,
    group_name="reports",
    kinds={"json"},
    description="The Merkle-sum root over every claim decided and every claim paid in the month "
    "(docs/RECEIPTS.md), beside the build folder; its sums are the month's published figures.",
    check_specs=[dg.AssetCheckSpec(
        ROOT_CHECK, asset=KEY, blocking=True,
        description=ROOT_CHECK_DESCRIPTION,
    )],
)
def compensation_root(context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource,
                      reports: ReportsResource) -> Iterator:
    period = period_of(context)
    secret = secret_of(landing)
    with warehouse.connect() as con:
        fields, metrics = month_fields(con, period)
        tree = build_tree_file(con, period, secret, fields, reports.compensation_tree(period))
        problems = root_problems(tree.record, tree.claims, metrics)
        record_check(con, period, KEY.to_user_string(), ROOT_CHECK, dg.AssetCheckSeverity.ERROR.value, len(problems),
                     ROOT_CHECK_DESCRIPTION)
        inputs = staged_inputs(con)
    write_atomic(reports.compensation_root(period), json.dumps({"root": tree.record, "inputs": inputs}, indent=1)
                 + "\n")
    yield dg.MaterializeResult(asset_key=KEY, metadata={
        "hash": tree.record["hash"], "leaves": tree.size, "fields": [f.name for f in fields]})
    yield dg.AssetCheckResult(asset_key=KEY, check_name=ROOT_CHECK, passed=not problems,
                              severity=dg.AssetCheckSeverity.ERROR,
                              metadata={"failures": len(problems),
                                        "examples": dg.MetadataValue.json(problems[:MAX_FAILURES_SHOWN])})


def build_tree_file(con, period: str, secret: bytes, fields, target: Path):
    """The month's receipt store built into `target`, replaced in one step (a reader never sees half a store)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        summary = build_store(con, period, secret, fields, temporary)
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
        temporary.with_name(temporary.name + ".wal").unlink(missing_ok=True)
    return summary


defs = dg.Definitions(assets=[compensation_root])

"""The month's compensation root (pipelines/receipts.py), checked against period_metrics before any report is
rendered from it. The receipts themselves are written at publication, when the version is known."""

import json
from collections.abc import Iterator

import dagster as dg

from pipelines.checks import record_check
from pipelines.defs.checks import MAX_FAILURES_SHOWN
from pipelines.defs.lineage import sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import LandingResource, ReportsResource, WarehouseResource
from pipelines.files import write_atomic
from pipelines.profile import ProfileError
from pipelines.publication import staged_inputs
from pipelines.receipts import root_problems, tree_for_month
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
        tree, metrics = tree_for_month(con, period, secret)
        problems = root_problems(tree, metrics)
        record_check(con, period, KEY.to_user_string(), ROOT_CHECK, dg.AssetCheckSeverity.ERROR.value, len(problems),
                     ROOT_CHECK_DESCRIPTION)
        inputs = staged_inputs(con)
    record = tree.record()
    write_atomic(reports.compensation_root(period), json.dumps({"root": record, "inputs": inputs}, indent=1) + "\n")
    yield dg.MaterializeResult(asset_key=KEY, metadata={
        "hash": record["hash"], "leaves": len(tree.leaves), "fields": [f.name for f in tree.fields]})
    yield dg.AssetCheckResult(asset_key=KEY, check_name=ROOT_CHECK, passed=not problems,
                              severity=dg.AssetCheckSeverity.ERROR,
                              metadata={"failures": len(problems),
                                        "examples": dg.MetadataValue.json(problems[:MAX_FAILURES_SHOWN])})


defs = dg.Definitions(assets=[compensation_root])

"""The Dagster code location: every domain's definitions merged, the monthly job and its schedule, and the
resources configured once."""

from pathlib import Path

import dagster as dg

from pipelines.defs import (
    alerts,
    compensation,
    dora,
    incidents,
    insurance_fund,
    metrics,
    publishing,
    receipts,
    reference,
    reports,
)
from pipelines.defs.resources import make_resources
from pipelines.profile import default_profile_path, load_profile

# Every asset but the DORA drafts of one incident and stage, which the sensor runs (their own partitions).
MONTHLY_ASSETS = dg.AssetSelection.all() - dg.AssetSelection.groups("dora")

ingest_job = dg.define_asset_job(
    "ingest", selection=dg.AssetSelection.key_prefixes("staging"), description="Validate and stage every landing file."
)

# One run per month: staging, marts and their checks, metrics, reports, publication, the analyst snapshot.
monthly_publication = dg.define_asset_job(
    "monthly_publication",
    selection=MONTHLY_ASSETS,  # monthly partitions, inferred from the partitioned assets
    description="Build and publish one month; the schedule runs it for the month before, backfills for any range.",
)

_profile_path = default_profile_path()
publication_day = load_profile(Path(_profile_path) if _profile_path else None).publication_day

monthly_publication_schedule = dg.build_schedule_from_partitioned_job(
    monthly_publication,
    name="monthly_publication_schedule",
    description=f"Publishes the previous month on day {publication_day} of each month at 06:00 UTC.",
    day_of_month=publication_day,
    hour_of_day=6,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions.merge(
    reference.defs,
    incidents.defs,
    compensation.defs,
    insurance_fund.defs,
    metrics.defs,
    receipts.defs,
    reports.defs,
    publishing.defs,
    alerts.defs,
    dora.defs,
    dg.Definitions(
        jobs=[ingest_job, monthly_publication],
        schedules=[monthly_publication_schedule],
        resources=make_resources(),
        # DuckDB admits one writing process per file: every run executes its steps one after another in its own
        # process (the UI's materialize button and backfills too). Runs are queued one at a time by the instance
        # (dagster.yaml: concurrency.runs.max_concurrent_runs).
        executor=dg.in_process_executor,
    ),
)

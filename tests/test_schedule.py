"""The monthly schedule publishes the previous month on the profile's publication day."""

from datetime import UTC, datetime

import dagster as dg

from pipelines.definitions import defs
from pipelines.profile import load_profile

schedule = defs.resolve_schedule_def("monthly_publication_schedule")


def test_schedule_runs_on_the_publication_day_at_six_utc():
    day = load_profile().publication_day
    assert schedule.cron_schedule == f"0 6 {day} * *"
    assert schedule.execution_timezone in (None, "UTC")


def test_run_request_targets_the_previous_month():
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 5, 6, 0, tzinfo=UTC))
    result = schedule.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests] == ["2026-11-01"]
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2027, 1, 5, 6, 0, tzinfo=UTC))
    result = schedule.evaluate_tick(context)
    assert [r.partition_key for r in result.run_requests] == ["2026-12-01"]


def test_the_job_covers_the_whole_graph():
    job = defs.resolve_job_def("monthly_publication")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {"staging/incidents", "marts/period_metrics", "reports/period_reports", "publishing/period_publication",
            "publishing/analytics_snapshot"} <= keys

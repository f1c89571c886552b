"""Operators are told: a failed run (a failed blocking check fails its run too) sends an alert naming the month,
the step, the reason and the run. Evaluated by the Dagster daemon; an incomplete month on its publication day
fails the scheduled run at the completeness check, and so alerts as well."""

import re

import dagster as dg

from pipelines.alerts import Alert, notify
from pipelines.defs.resources import LandingResource

MAX_REASON_CHARS = 4000


def alert_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun, entity: str,
                  step_failures: list[dg.DagsterEvent]) -> Alert:
    """The alert of a failed run: its month, the steps that failed and why, the blocking checks that failed."""
    reasons, steps = [], []
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failures = evaluation.metadata.get("failures")
            steps.append(record.dagster_event.step_key or "")
            reasons.append(f"blocking check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed"
                           f" ({failures.value if failures else '?'} rows)")
    for event in step_failures:
        failure = event.step_failure_data
        steps.append(event.step_key or "")
        detail = failure.user_failure_data.description if failure.user_failure_data else failure.error.message
        reasons.append(f"{event.step_key}: {detail.strip()}")
    reason = "\n".join(reasons) or "the run failed before any step did (see the run's log)"
    return Alert(
        entity=entity,
        period=partition[:7] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", partition := run.tags.get("dagster/partition", ""))
        else "",
        job=run.job_name,
        run_id=run.run_id,
        step=", ".join(dict.fromkeys(s.replace("__", "/") for s in steps if s)) or "run",
        reason=reason[:MAX_REASON_CHARS],
    )


@dg.run_failure_sensor(
    name="publication_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails (and posts to the webhook of) the profile's [alerts] when a run fails: month, step, reason.",
)
def publication_failure_alert(context: dg.RunFailureSensorContext, landing: LandingResource) -> None:
    profile = landing.profile()
    alert = alert_for_run(context.instance, context.dagster_run, profile.legal_name,
                          context.get_step_failure_events())
    if profile.alerts is None:
        context.log.warning(f"no [alerts] in the profile; not sent: {alert.subject}")
        return
    problems = notify(alert, profile.alerts)
    for problem in problems:  # logged; the run stays failed whatever happens here
        context.log.error(f"alert for run {alert.run_id} not sent by {problem}")


defs = dg.Definitions(sensors=[publication_failure_alert])

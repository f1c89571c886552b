"""DORA major-incident reports (DESIGN.md §10): the month's drafts, upstream of the regulator report that lists them;
one asset per incident and stage (dynamic partitions) that the sensor runs as soon as a major incident lands, so that
the initial notification is drafted within its hours, not at the next monthly run; and the operator's alert."""

from datetime import UTC, datetime

import dagster as dg

from pipelines.alerts import DraftAlert, notify
from pipelines.defs.lineage import PYTHON_MARTS, sql_deps
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import LandingResource, ReportsResource, WarehouseResource
from pipelines.dora import drafts
from pipelines.dora.deadlines import STAGES
from pipelines.dora.document import REPORT_NAMES
from pipelines.dora.status import major_incidents
from pipelines.locations import dora_register
from pipelines.marts import replace_partition
from pipelines.periods import window
from pipelines.warehouse import connect

DRAFT_READS = {"pipelines/dora/drafts.py": PYTHON_MARTS["dora_reports"]}
COLUMNS = ("period VARCHAR, incident_id VARCHAR, stage VARCHAR, position INTEGER, due_at TIMESTAMPTZ, "
           "state VARCHAR, sent_at TIMESTAMPTZ, outcome VARCHAR, version INTEGER, json_file VARCHAR, "
           "json_sha256 VARCHAR, problems VARCHAR")

incidents = dg.DynamicPartitionsDefinition(name="dora_incidents")
incident_stages = dg.MultiPartitionsDefinition({
    "incident": incidents, "stage": dg.StaticPartitionsDefinition([*STAGES, "reclassified"])})


def _register(warehouse: WarehouseResource):
    return dora_register(warehouse.path)


def _now() -> datetime:
    return datetime.now(UTC)


def _alert(profile, draft: drafts.Draft, status) -> None:
    authority = profile.dora_authority
    due = status.deadline.due_at if status else None
    alert = DraftAlert(profile.legal_name, draft.incident, REPORT_NAMES[draft.stage],
                       due.strftime("%Y-%m-%d %H:%M UTC") if due else "", status.state if status else "",
                       draft.path or "", authority.name if authority else "")
    return notify(alert, profile.alerts)


@dg.asset(
    key=dg.AssetKey(["marts", "dora_reports"]),
    partitions_def=monthly,
    group_name="incidents",
    deps=sql_deps(drafts.FACTS, python_reads=DRAFT_READS),
    kinds={"duckdb", "json", "pdf"},
    description="The DORA report files of the period's major incidents: every stage whose clock has started "
                "(reports/dora/<incident>/<stage>-vN.json and .pdf, a new version only when its content changed), "
                "and a reclassification for an incident drafted as major that the month no longer finds major. "
                "One row per incident and stage: due, state, file and the JSON's hash, or the ITS fields a draft "
                "lacks.",
)
def dora_reports(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource,
                 reports: ReportsResource) -> dg.MaterializeResult:
    period = period_of(context)
    profile = landing.profile()
    dora_dir, register = reports.directory / "dora", _register(warehouse)
    now, (_, end) = _now(), window(period)
    found, written, invalid = [], 0, 0
    with warehouse.connect() as con:
        drafted_before = {e["incident_id"] for e in drafts.manifest(dora_dir)}
        for incident, row in drafts.facts(con, period).items():
            if row["is_major"]:  # as the month's end saw them, whenever the month is built
                statuses = drafts.stages_to_draft(row, profile, register, end)
            elif incident in drafted_before:
                statuses = [None]
            else:
                continue
            for position, status in enumerate(statuses, start=1):
                stage = status.deadline.stage if status else "reclassified"
                draft = drafts.draft(row, period, stage, profile, dora_dir, register, now)
                written += draft.outcome == "written"
                invalid += draft.outcome == "invalid"
                if draft.outcome == "invalid":
                    context.log.warning(f"{incident} {stage}: " + "; ".join(map(str, draft.errors)))
                # drafted or invalid: whether this run wrote the version is not part of the month's data
                found.append((period, incident, stage, position, status and status.deadline.due_at,
                              status.state if status else None, status and status.sent_at,
                              "invalid" if draft.outcome == "invalid" else "drafted",
                              draft.version, draft.path, draft.json_sha256,
                              "; ".join(map(str, draft.errors)) or None))
        con.execute(f"CREATE OR REPLACE TEMP TABLE dora_report_rows ({COLUMNS})")
        if found:
            con.executemany(f"INSERT INTO dora_report_rows VALUES ({', '.join('?' * 12)})", found)
        count = replace_partition(con, "dora_reports", period, "SELECT * FROM dora_report_rows")
    return dg.MaterializeResult(metadata={"rows": count, "written": written, "invalid": invalid})


@dg.asset(
    key=dg.AssetKey(["dora", "incident_report"]),
    partitions_def=incident_stages,
    group_name="dora",
    # an incident's draft reads the latest month built of every table it reads
    deps=[dg.AssetDep(dep.asset_key, partition_mapping=dg.AllPartitionMapping())
          for dep in sql_deps(drafts.FACTS, python_reads=DRAFT_READS)],
    kinds={"json", "pdf"},
    description="One major incident's report of one stage, drafted from the latest month built, as soon as it is "
                "due: the sensor dora_major_incidents requests it. A draft lacking a field the ITS requires fails, "
                "naming the field (and so alerts); a new version e-mails the operator with the deadline.",
)
def incident_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource,
                    reports: ReportsResource) -> dg.MaterializeResult:
    keys = context.partition_key.keys_by_dimension
    incident, stage = keys["incident"], keys["stage"]
    profile = landing.profile()
    register, now = _register(warehouse), _now()
    with warehouse.connect() as con:
        period = drafts.latest_period(con, incident)
        if period is None:
            raise dg.Failure(f"{incident}: in no month built; build its month first")
        row = drafts.facts(con, period)[incident]
    draft = drafts.draft(row, period, stage, profile, reports.directory / "dora", register, now)
    if draft.outcome == "invalid":
        raise dg.Failure(f"{incident}: the {REPORT_NAMES[stage]} cannot be drafted from {period}'s data",
                         metadata={"problems": dg.MetadataValue.md("\n".join(f"- {e}" for e in draft.errors))})
    status = next((s for s in drafts.stages_to_draft(row, profile, register, now) if s.deadline.stage == stage), None)
    if draft.outcome == "written":
        for problem in _alert(profile, draft, status) or []:
            context.log.error(f"alert for {incident} not sent by {problem}")
    return dg.MaterializeResult(metadata={"period": period, "outcome": draft.outcome, "version": draft.version,
                                          "file": draft.path or "", "sha256": draft.json_sha256 or ""})


dora_report_job = dg.define_asset_job(
    "dora_reports", selection=dg.AssetSelection.assets(incident_report),
    description="Draft one major incident's report of one stage (requested by the sensor dora_major_incidents).")


@dg.sensor(job=dora_report_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED,
           description="Watches the warehouse for incidents classified major (a month built after they landed): "
                       "adds each as a partition and requests the draft of every report due or overdue, once per "
                       "content of the draft.")
def dora_major_incidents(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                         landing: LandingResource) -> dg.SensorResult | dg.SkipReason:
    profile = landing.profile()
    register, now = _register(warehouse), _now()
    try:
        con = connect(warehouse.path, read_only=True)
    except Exception as error:  # a run is writing the warehouse: look again at the next tick
        return dg.SkipReason(f"warehouse busy or missing: {error}")
    requests, new, facts_of = [], [], {}
    known = set(context.instance.get_dynamic_partitions(incidents.name))
    try:
        for incident in major_incidents(con):
            incident_id = incident["incident_id"]
            period = drafts.latest_period(con, incident_id)
            if period not in facts_of:  # one query a month, not one an incident
                facts_of[period] = drafts.facts(con, period)
            row = facts_of[period][incident_id]
            if incident_id not in known:
                new.append(incident_id)
            for status in drafts.stages_to_draft(row, profile, register, now):
                if status.state not in ("due", "overdue"):
                    continue
                stage = status.deadline.stage
                fingerprint = drafts.fingerprint(row, stage, profile, register)
                requests.append(dg.RunRequest(
                    run_key=f"{incident_id}|{stage}|{fingerprint}",
                    partition_key=dg.MultiPartitionKey({"incident": incident_id, "stage": stage})))
    finally:
        con.close()
    return dg.SensorResult(run_requests=requests,
                           dynamic_partitions_requests=[incidents.build_add_request(new)] if new else [])


defs = dg.Definitions(assets=[dora_reports, incident_report], jobs=[dora_report_job], sensors=[dora_major_incidents])

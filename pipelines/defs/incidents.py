"""Incidents: staging, the regulatory classification, the register, notification deadlines, availability (per
month and per day), the costs of the major incidents for their DORA reports."""

import dagster as dg

from pipelines.contract import INCIDENT_DORA_DETAILS, INCIDENT_IMPACTS, INCIDENTS
from pipelines.defs.lineage import PYTHON_MARTS, sql_deps
from pipelines.defs.mart_assets import mart_asset
from pipelines.defs.partitions import monthly, period_of
from pipelines.defs.resources import LandingResource, WarehouseResource
from pipelines.defs.staging_assets import staging_assets
from pipelines.dora.deadlines import Calendar, no_relief, timeliness
from pipelines.marts import replace_partition
from pipelines.periods import window

NOTIFICATIONS = dg.AssetKey(["marts", "notification_deadlines"])
COLUMNS = ("period VARCHAR, incident_id VARCHAR, step VARCHAR, position INTEGER, due_at TIMESTAMPTZ, "
           "done_at TIMESTAMPTZ, status VARCHAR, minutes_overdue DECIMAL(18, 4)")


@dg.asset(
    key=NOTIFICATIONS,
    partitions_def=monthly,
    group_name="incidents",
    deps=sql_deps(python_reads={"pipelines/defs/incidents.py": PYTHON_MARTS["notification_deadlines"]}),
    kinds={"duckdb"},
    description="Regulatory notification deadlines of the period's major incidents (started in the period) and "
                "whether each was met: on_time, late (by how many minutes), missing (due before the period end and "
                "not sent) or not_yet_due. The deadlines are pipelines/dora/deadlines.py's (RTS 2025/301 Art. 5, "
                "with the competent authority's weekends and holidays), as `transparency dora status` shows them.",
)
def notification_deadlines(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                           landing: LandingResource) -> dg.MaterializeResult:
    period = period_of(context)
    profile = landing.profile()
    authority = profile.dora_authority
    calendar = Calendar.of(authority.dora) if authority else no_relief()
    _, end = window(period)
    with warehouse.connect() as con:
        relation = con.execute(
            "SELECT incident_id, detected_at, classified_at, resolved_at, initial_notified_at, "
            "intermediate_reported_at, final_reported_at FROM marts.incident_register "
            "WHERE period = ? AND is_major AND started_in_period ORDER BY incident_id", [period])
        columns = [d[0] for d in relation.description]
        rows = [(period, incident["incident_id"], *step.values())
                for incident in (dict(zip(columns, r)) for r in relation.fetchall())
                for step in timeliness(incident, end, profile.classification, calendar)]
        con.execute(f"CREATE OR REPLACE TEMP TABLE notification_rows ({COLUMNS})")
        if rows:
            con.executemany("INSERT INTO notification_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        count = replace_partition(con, "notification_deadlines", period, "SELECT * FROM notification_rows")
    return dg.MaterializeResult(metadata={"rows": count})


defs = dg.Definitions(assets=[
    staging_assets("incidents", [INCIDENTS, INCIDENT_IMPACTS, INCIDENT_DORA_DETAILS]),
    *(mart_asset(name, "incidents") for name in (
        "incident_classification", "incident_register", "service_availability", "service_days",
        "dora_incident_costs")),
    notification_deadlines,
])

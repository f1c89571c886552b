"""Incidents: staging, the regulatory classification, the register, notification deadlines, availability (per
month and per day), the costs of the major incidents for their DORA reports."""

import dagster as dg

from pipelines.contract import INCIDENT_IMPACTS, INCIDENTS
from pipelines.defs.mart_assets import mart_asset
from pipelines.defs.staging_assets import staging_assets

defs = dg.Definitions(assets=[
    staging_assets("incidents", [INCIDENTS, INCIDENT_IMPACTS]),
    *(mart_asset(name, "incidents") for name in (
        "incident_classification", "incident_register", "notification_deadlines", "service_availability",
        "service_days", "dora_incident_costs")),
])

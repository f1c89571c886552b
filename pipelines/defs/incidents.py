"""Incidents: staging, the regulatory classification, the register, notification deadlines, availability."""

import dagster as dg

from pipelines.contract import INCIDENT_IMPACTS, INCIDENTS, PRICES
from pipelines.defs.ingestion import staging_assets
from pipelines.defs.partitions import mart_asset

stage_incidents = staging_assets("incidents", [INCIDENTS, INCIDENT_IMPACTS], upstream=[PRICES])

STAGED = [["staging", "incidents"], ["staging", "incident_impacts"], ["staging", "entity_profile"]]

incident_classification = mart_asset("incident_classification", "incidents", [*STAGED, ["staging", "prices"]])
incident_register = mart_asset("incident_register", "incidents", [["marts", "incident_classification"]])
notification_deadlines = mart_asset("notification_deadlines", "incidents", [["marts", "incident_register"]])
service_availability = mart_asset("service_availability", "incidents", STAGED)

defs = dg.Definitions(
    assets=[stage_incidents, incident_classification, incident_register, notification_deadlines, service_availability]
)

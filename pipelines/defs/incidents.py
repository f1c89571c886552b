"""Incidents and the services they hit."""

import dagster as dg

from pipelines.contract import INCIDENT_IMPACTS, INCIDENTS
from pipelines.defs.ingestion import staging_assets

stage_incidents = staging_assets("incidents", [INCIDENTS, INCIDENT_IMPACTS])

defs = dg.Definitions(assets=[stage_incidents])

"""The Dagster code location: every domain's definitions merged, with the resources configured once."""

import dagster as dg

from pipelines.defs import compensation, incidents, insurance_fund, metrics, publishing, reference, reports
from pipelines.defs.resources import make_resources

ingest_job = dg.define_asset_job(
    "ingest", selection=dg.AssetSelection.key_prefixes("staging"), description="Validate and stage every landing file."
)

defs = dg.Definitions.merge(
    reference.defs,
    incidents.defs,
    compensation.defs,
    insurance_fund.defs,
    metrics.defs,
    reports.defs,
    publishing.defs,
    dg.Definitions(jobs=[ingest_job], resources=make_resources()),
)

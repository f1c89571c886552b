"""Compensation claims and the payouts made on them."""

import dagster as dg

from pipelines.contract import COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS, INCIDENTS, PRICES
from pipelines.defs.ingestion import staging_assets

stage_compensation = staging_assets(
    "compensation", [COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS], upstream=[INCIDENTS, PRICES]
)

defs = dg.Definitions(assets=[stage_compensation])

"""Insurance-fund balance snapshots and the ledger of movements."""

import dagster as dg

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS, PRICES
from pipelines.defs.ingestion import staging_assets

stage_insurance_fund = staging_assets(
    "insurance_fund", [INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS], upstream=[PRICES]
)

defs = dg.Definitions(assets=[stage_insurance_fund])

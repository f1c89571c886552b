"""Insurance funds: staging of snapshots and movements, the daily series, flows, and the period statement."""

import dagster as dg

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS
from pipelines.defs.mart_assets import mart_asset
from pipelines.defs.staging_assets import staging_assets

defs = dg.Definitions(assets=[
    staging_assets("insurance_fund", [INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS]),
    *(mart_asset(name, "insurance_fund") for name in (
        "insurance_fund_daily", "insurance_fund_flows", "insurance_fund_period")),
])

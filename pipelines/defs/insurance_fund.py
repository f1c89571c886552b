"""Insurance funds: staging of snapshots and movements, the daily series, flows, and the period statement."""

import dagster as dg

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS, PRICES
from pipelines.defs.ingestion import staging_assets
from pipelines.defs.partitions import Check, mart_asset

stage_insurance_fund = staging_assets(
    "insurance_fund", [INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS], upstream=[PRICES]
)

STAGED = [["staging", "insurance_fund_balances"], ["staging", "insurance_fund_movements"], ["staging", "prices"]]

insurance_fund_daily = mart_asset("insurance_fund_daily", "insurance_fund", STAGED)
insurance_fund_flows = mart_asset("insurance_fund_flows", "insurance_fund", STAGED)
insurance_fund_period = mart_asset(
    "insurance_fund_period",
    "insurance_fund",
    [["marts", "insurance_fund_daily"], ["marts", "insurance_fund_flows"]],
    checks=[
        Check("insurance_fund_reconciles"),
        Check("insurance_fund_complete"),
        Check("insurance_fund_daily_drop", dg.AssetCheckSeverity.WARN),
        Check("insurance_fund_without_ledger", dg.AssetCheckSeverity.WARN),
    ],
)

defs = dg.Definitions(assets=[stage_insurance_fund, insurance_fund_daily, insurance_fund_flows, insurance_fund_period])

"""Compensation: staging of claims and payouts, payouts valued in USD, decisions, and the pending backlog."""

import dagster as dg

from pipelines.contract import COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS, INCIDENTS, PRICES
from pipelines.defs.ingestion import staging_assets
from pipelines.defs.partitions import Check, mart_asset

stage_compensation = staging_assets(
    "compensation", [COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS], upstream=[INCIDENTS, PRICES]
)

CLAIMS = ["staging", "compensation_claims"]
PRICED = [CLAIMS, ["staging", "prices"]]

compensation_payouts = mart_asset(
    "compensation_payouts",
    "compensation",
    [*PRICED, ["staging", "compensation_payouts"], ["staging", "insurance_fund_movements"]],
    checks=[
        Check("insurance_fund_payouts_match_movements"),
        Check("payouts_within_approved", dg.AssetCheckSeverity.WARN),
    ],
)
compensation_decisions = mart_asset("compensation_decisions", "compensation", PRICED)
claims_backlog = mart_asset("claims_backlog", "compensation", [CLAIMS])

defs = dg.Definitions(assets=[stage_compensation, compensation_payouts, compensation_decisions, claims_backlog])

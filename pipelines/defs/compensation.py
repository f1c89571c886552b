"""Compensation: staging of claims and payouts, payouts valued in USD, decisions, and the pending backlog."""

import dagster as dg

from pipelines.contract import COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS
from pipelines.defs.mart_assets import mart_asset
from pipelines.defs.staging_assets import staging_assets

defs = dg.Definitions(assets=[
    staging_assets("compensation", [COMPENSATION_CLAIMS, COMPENSATION_PAYOUTS]),
    *(mart_asset(name, "compensation")
      for name in ("compensation_payouts", "compensation_decisions", "claims_backlog")),
])

"""Daily USD closes of every asset and currency: the basis of every valuation."""

import dagster as dg

from pipelines.contract import PRICES
from pipelines.defs.ingestion import staging_assets

stage_prices = staging_assets("prices", [PRICES])

defs = dg.Definitions(assets=[stage_prices])

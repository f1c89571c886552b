"""Reference data: daily USD closes of every asset and currency, and the entity profile in the warehouse."""

import dagster as dg

from pipelines.contract import PRICES
from pipelines.defs.ingestion import staging_assets
from pipelines.defs.resources import LandingResource, WarehouseResource
from pipelines.reference import load_reference

stage_prices = staging_assets("reference", [PRICES])


@dg.asset(
    key=["staging", "entity_profile"],
    group_name="reference",
    kinds={"duckdb"},
    description="The entity profile (services, funds, regulators, classification thresholds) and the metric "
    "definitions, as tables the SQL joins.",
)
def entity_profile(landing: LandingResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = load_reference(con, landing.profile())
    return dg.MaterializeResult(metadata={f"{table} rows": rows for table, rows in counts.items()})


defs = dg.Definitions(assets=[stage_prices, entity_profile])

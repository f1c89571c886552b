"""Reference data: daily USD closes of every asset and currency, and the entity profile in the warehouse."""

import dagster as dg

from pipelines.contract import PRICES
from pipelines.defs.resources import LandingResource, WarehouseResource
from pipelines.defs.staging_assets import staging_assets
from pipelines.reference import REFERENCE_TABLES, load_reference

DESCRIPTIONS = {
    "entity": "The entity: legal name, LEI, reporting currency, small-cell threshold, publication day.",
    "services": "The services of the entity profile, with their criticality and the client, transaction and value "
                "bases of the classification thresholds.",
    "funds": "The insurance funds of the entity profile.",
    "regulators": "The competent authorities the regulator report is delivered to.",
    "classification": "The classification thresholds and notification deadlines of the entity profile.",
    "metric_definitions": "The unit, label, definition and public release (small-cell rule included) of every "
                          "headline metric (sql/seeds/metrics.csv).",
}


@dg.multi_asset(
    name="stage_entity_profile",
    specs=[dg.AssetSpec(["staging", table], group_name="reference", kinds={"duckdb"}, description=DESCRIPTIONS[table])
           for table in REFERENCE_TABLES],
    can_subset=False,
)
def stage_entity_profile(landing: LandingResource, warehouse: WarehouseResource):
    """The entity profile and the metric definitions, as tables the SQL joins (replaced in one transaction)."""
    with warehouse.connect() as con:
        counts = load_reference(con, landing.profile())
    for table, rows in counts.items():
        yield dg.MaterializeResult(asset_key=["staging", table], metadata={"rows": rows})


defs = dg.Definitions(assets=[staging_assets("reference", [PRICES]), stage_entity_profile])

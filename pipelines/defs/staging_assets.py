"""The factory of staging assets: each domain validates its landing files and loads them into `staging.<table>`,
after the staging tables their checks read (references, rules, prices: validation.dependencies)."""

import dagster as dg

from pipelines.contract import TABLES_BY_NAME, Table
from pipelines.defs.resources import LandingResource, WarehouseResource
from pipelines.staging import ingest
from pipelines.validation import dependencies

MAX_ERRORS_SHOWN = 200


def staging_key(table: Table) -> dg.AssetKey:
    return dg.AssetKey(["staging", table.name])


def staging_assets(domain: str, tables: list[Table]) -> dg.AssetsDefinition:
    """One multi-asset that validates and loads `tables`."""
    specs = [
        dg.AssetSpec(
            staging_key(table),
            description=f"{table.description} Validated against the data contract and loaded in full.",
            group_name=domain,
            deps=[staging_key(TABLES_BY_NAME[name]) for name in sorted(dependencies(table))
                  if name not in {t.name for t in tables}],
            kinds={"duckdb"},
        )
        for table in tables
    ]

    @dg.multi_asset(name=f"stage_{domain}", specs=specs, can_subset=False)
    def stage(context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource):
        profile = landing.profile()
        with warehouse.connect() as con:
            result = ingest(con, landing.directory, profile, tables, on_table=lambda t: context.log.info(
                f"{t.table}: {t.rows} rows, {len(t.errors)} errors"))
        if not result.ok:
            errors = result.errors
            shown = "\n".join(str(e) for e in errors[:MAX_ERRORS_SHOWN])
            more = f"\n… and {len(errors) - MAX_ERRORS_SHOWN} more" if len(errors) > MAX_ERRORS_SHOWN else ""
            held_back = [f"{t.table}: {s}" for t in result.tables if not t.errors for s in t.skipped]
            held = "\nNot loaded, because a table they reference failed:\n" + "\n".join(held_back) if held_back else ""
            raise dg.Failure(
                description=f"{len(errors)} contract violations; nothing loaded for the tables concerned:\n"
                f"{shown}{more}{held}",
                metadata={"errors": len(errors)},
            )
        for table_result, table in zip(result.tables, tables):
            yield dg.MaterializeResult(
                asset_key=staging_key(table),
                metadata={"rows": table_result.rows, "files": ", ".join(table_result.files)},
            )

    return stage

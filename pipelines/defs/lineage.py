"""Which asset writes each warehouse table, and so the dependencies of any SQL file: the assets writing the tables
it reads, directly or through its intermediates. Nothing is listed twice: the SQL names its tables."""

import dagster as dg

from pipelines.contract import TABLES
from pipelines.defs.checks import CHECKS
from pipelines.defs.partitions import PREVIOUS_MONTH
from pipelines.defs.staging_assets import staging_key
from pipelines.reference import REFERENCE_TABLES
from pipelines.sql import SqlFile, names, tables_read

# Marts built in Python rather than by a sql/marts file, and the tables each reads: their asset is named like the
# others.
PYTHON_MARTS = {"notification_deadlines": {"marts.incident_register"}, "dora_reports": {"marts.incident_register"}}


def mart_reads(name: str) -> set[str]:
    """The tables the mart `name` reads: its SQL file's, or those a Python mart declares."""
    return PYTHON_MARTS[name] if name in PYTHON_MARTS else tables_read(SqlFile("marts", name))


def _writers() -> dict[str, list[dg.AssetKey]]:
    writers: dict[str, list[dg.AssetKey]] = {}
    for table in TABLES:
        writers[f"staging.{table.name}"] = [staging_key(table)]
        if table.extent:  # kept beside the table, by the same asset
            writers[f"staging.{table.name}_extent"] = [staging_key(table)]
    writers["staging.landing_files"] = [staging_key(table) for table in TABLES]  # every staging asset's files
    for name in REFERENCE_TABLES:
        writers[f"staging.{name}"] = [dg.AssetKey(["staging", name])]
    for name in (*names("marts"), *PYTHON_MARTS):
        writers[f"marts.{name}"] = [dg.AssetKey(["marts", name])]
    writers["marts.check_results"] = [dg.AssetKey(["marts", name]) for name in CHECKS]
    return writers


TABLE_WRITERS = _writers()


def assets_writing(tables: set[str], reader: str) -> list[dg.AssetKey]:
    unknown = sorted(tables - TABLE_WRITERS.keys())
    if unknown:
        raise KeyError(f"{reader} reads {', '.join(unknown)}, which no asset writes")
    return sorted({key for table in tables for key in TABLE_WRITERS[table]}, key=dg.AssetKey.to_user_string)


def sql_deps(*files: SqlFile, python_reads: dict[str, set[str]] | None = None) -> list[dg.AssetDep]:
    """What `files` read, and the tables Python code reads beside them (`python_reads`: module -> tables), as
    Dagster dependencies. A mart built over the month before (`-- windows: previous_month`) reads that month's
    partition of the marts it reads through its intermediates."""
    same_month: set[dg.AssetKey] = set()
    month_before: set[dg.AssetKey] = set()
    for reader, tables in (python_reads or {}).items():
        same_month |= set(assets_writing(tables, reader))
    for file in files:
        reader = f"sql/{file.layer}/{file.name}.sql"
        tables = tables_read(file)
        through = {t for t in tables - file.stored_tables if t.startswith("marts.")}
        if file.windows == "previous_month":
            month_before |= set(assets_writing(through, reader))
            tables -= through
        same_month |= set(assets_writing(tables, reader))
    if same_month & month_before:
        raise ValueError(f"{sorted(k.to_user_string() for k in same_month & month_before)}: read for this month "
                         "and the month before; declare that partition mapping")
    return [dg.AssetDep(key, partition_mapping=PREVIOUS_MONTH if key in month_before else None)
            for key in sorted(same_month | month_before, key=dg.AssetKey.to_user_string)]

"""The staging assets materialised by Dagster over a temporary DuckDB file."""

from pathlib import Path

import dagster as dg
from landing_builder import valid_tables, write_landing

from pipelines.defs.resources import make_resources
from pipelines.materialize import materialize
from pipelines.warehouse import connect

STAGING = "key:staging/*"


def _materialize(landing: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    return materialize(make_resources(str(landing), str(warehouse), ""), STAGING)


def _snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    with connect(warehouse, read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging' ORDER BY 1").fetchall()]
        # the files' modification times are bookkeeping: a rewritten file with the same bytes is the same input
        return {t: con.execute(f'SELECT * {"EXCLUDE (modified_ns)" if t == "landing_files" else ""} '
                               f'FROM staging."{t}" ORDER BY ALL').fetchall() for t in tables}


def test_staging_loads_every_table_and_is_idempotent(valid_landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert _materialize(valid_landing, warehouse).success
    first = _snapshot(warehouse)
    counts = {t: len(rows) for t, rows in first.items()}
    assert counts == {
        "compensation_claims": 3, "compensation_payouts": 2, "incident_dora_details": 1, "incident_impacts": 3,
        "incidents": 2,
        "insurance_fund_balances": 2, "insurance_fund_movements": 2, "insurance_fund_movements_extent": 1,
        "landing_files": 8, "prices": 132,
        # the entity profile and the metric definitions
        "classification": 1, "entity": 1, "funds": 2, "regulators": 2, "services": 6,
        "metric_definitions": 41, "table_state": 8,
    }
    assert _materialize(valid_landing, warehouse).success
    assert _snapshot(warehouse) == first


def test_typed_values_in_staging(valid_landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert _materialize(valid_landing, warehouse).success
    with connect(warehouse, read_only=True) as con:
        types = dict(con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'staging' AND table_name = 'incidents'").fetchall())
        row = con.execute(
            "SELECT started_at, member_states, economic_cost, data_loss, source_file, source_row "
            "FROM staging.incidents WHERE incident_id = 'INC-1'").fetchone()
    assert types["started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["economic_cost"] == "DECIMAL(38,18)"
    assert str(row[0]) == "2026-05-03 10:00:00+00:00" and row[0].utcoffset().total_seconds() == 0
    assert row[1] == ["DE", "FR"] and str(row[2]) == "25000.000000000000000000" and row[3] is False
    assert row[4:] == ("incidents.jsonl", 1)


def test_invalid_upstream_stops_downstream_and_keeps_previous_rows(valid_landing: Path, tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert _materialize(valid_landing, warehouse).success
    before = _snapshot(warehouse)
    tables = valid_tables()
    tables["incidents"][0]["severity"] = "catastrophic"
    write_landing(valid_landing, tables)

    result = _materialize(valid_landing, warehouse)

    assert not result.success
    failed = {e.step_key for e in result.all_events if e.is_step_failure}
    assert failed == {"stage_incidents"}
    # compensation references incidents: it must not run on top of a failed incident load.
    ran = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "stage_compensation" not in ran
    description = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "incidents.jsonl, line 1 (incident_id=INC-1), field severity" in description.description
    assert _snapshot(warehouse) == before

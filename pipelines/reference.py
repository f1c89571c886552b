"""Reference tables in the warehouse: the entity profile and the metric definitions (a seed file).

The marts join these instead of reading the profile in Python, so every figure stays in SQL.
"""

from __future__ import annotations

import duckdb

from pipelines.profile import Classification, Profile
from pipelines.sql import SQL_DIR
from pipelines.warehouse import transaction

METRIC_DEFINITIONS = SQL_DIR / "seeds" / "metrics.csv"
# The tables load_reference writes, in the schema staging.
REFERENCE_TABLES = ("entity", "services", "funds", "regulators", "classification", "metric_definitions")


def _classification_columns() -> list[tuple[str, str]]:
    types = {int: "INTEGER"}
    return [(name, types.get(field.annotation, "DECIMAL(18, 6)"))
            for name, field in Classification.model_fields.items()]


def load_reference(con: duckdb.DuckDBPyConnection, profile: Profile) -> dict[str, int]:
    """Replace the reference tables in one transaction; return their row counts."""
    con.execute("CREATE SCHEMA IF NOT EXISTS staging")
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TABLE staging.entity (legal_name VARCHAR, lei VARCHAR, report_currency VARCHAR, "
            "small_cell_k INTEGER, publication_day INTEGER, fund_floor_usd DECIMAL(38, 2), "
            "fund_target_usd DECIMAL(38, 2), public_languages VARCHAR[], dora_report_currency VARCHAR, "
            "financial_counterparts BIGINT)"
        )
        adequacy = profile.fund_adequacy
        dora = profile.dora
        con.execute(
            "INSERT INTO staging.entity VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [profile.legal_name, profile.lei, profile.report_currency, profile.small_cell_k, profile.publication_day,
             adequacy and adequacy.floor_usd, adequacy and adequacy.target_usd, list(profile.public_languages),
             dora and dora.report_currency, dora and dora.financial_counterparts],
        )
        con.execute(
            "CREATE OR REPLACE TABLE staging.services (service VARCHAR PRIMARY KEY, service_name VARCHAR, "
            "critical BOOLEAN, active_clients BIGINT, daily_transactions BIGINT, daily_value_usd DECIMAL(38, 2))"
        )
        con.executemany(
            "INSERT INTO staging.services VALUES (?, ?, ?, ?, ?, ?)",
            [
                [s.code, s.name, s.critical, s.active_clients, s.daily_transactions, s.daily_value_usd]
                for s in profile.services
            ],
        )
        con.execute("CREATE OR REPLACE TABLE staging.funds (fund_id VARCHAR PRIMARY KEY, fund_name VARCHAR)")
        con.executemany("INSERT INTO staging.funds VALUES (?, ?)", [[f.code, f.name] for f in profile.funds])
        con.execute(
            "CREATE OR REPLACE TABLE staging.regulators (name VARCHAR, short_name VARCHAR, jurisdiction VARCHAR, "
            "language VARCHAR)"
        )
        con.executemany(
            "INSERT INTO staging.regulators VALUES (?, ?, ?, ?)",
            [[r.name, r.short_name, r.jurisdiction, r.language] for r in profile.regulators],
        )
        columns = _classification_columns()
        con.execute(
            "CREATE OR REPLACE TABLE staging.classification ("
            + ", ".join(f"{name} {dtype}" for name, dtype in columns) + ")"
        )
        con.execute(
            f"INSERT INTO staging.classification VALUES ({', '.join('?' for _ in columns)})",
            [getattr(profile.classification, name) for name, _ in columns],
        )
        con.execute(
            "CREATE OR REPLACE TABLE staging.metric_definitions AS "
            "SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(METRIC_DEFINITIONS)],
        )
    return {t: con.execute(f"SELECT count(*) FROM staging.{t}").fetchone()[0] for t in REFERENCE_TABLES}

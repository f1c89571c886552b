"""The consistency checks of the marts (`sql/checks/<name>.sql`, one row per failure) and their recorded outcomes.

Each outcome is kept in `marts.check_results`, the latest run's per period: the regulator report attests which
checks ran and what they found, the manifest lists them, and a period with a failed blocking (ERROR) check is
neither published nor copied into the analyst snapshot.
"""

from __future__ import annotations

import duckdb

from pipelines.sql import SqlFile

CHECK_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS marts.check_results (
    period VARCHAR NOT NULL, asset_key VARCHAR NOT NULL, check_name VARCHAR NOT NULL, severity VARCHAR NOT NULL,
    failures BIGINT NOT NULL, description VARCHAR, PRIMARY KEY (period, asset_key, check_name))"""

# Periods with a failed blocking check.
FAILED_PERIODS = "SELECT period FROM marts.check_results WHERE severity = 'ERROR' AND failures > 0"


def run_check(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], list[tuple]]:
    """The failures `sql/checks/<name>.sql` finds: its column names and rows."""
    cursor = con.execute(SqlFile("checks", name).text)
    return [d[0] for d in cursor.description], cursor.fetchall()


def check_outcomes(con: duckdb.DuckDBPyConnection, period: str) -> list[tuple[str, str, str, int]]:
    """(asset_key, check_name, severity, failures) of every check recorded for `period`."""
    return con.execute("SELECT asset_key, check_name, severity, failures FROM marts.check_results WHERE period = ? "
                       "ORDER BY asset_key, check_name", [period]).fetchall()


def record_check(con: duckdb.DuckDBPyConnection, period: str, asset_key: str, check_name: str, severity: str,
                 failures: int, description: str) -> None:
    """Keep a check's outcome, with what it checks in words (the public report prints them)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute(CHECK_RESULTS_DDL)
    if con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = "
                   "'check_results' AND column_name = 'asset'").fetchone()[0]:
        con.execute("ALTER TABLE marts.check_results RENAME COLUMN asset TO asset_key")  # its name before 0.2
    con.execute("ALTER TABLE marts.check_results ADD COLUMN IF NOT EXISTS description VARCHAR")  # since 0.3
    con.execute("INSERT OR REPLACE INTO marts.check_results (period, asset_key, check_name, severity, failures, "
                "description) VALUES (?, ?, ?, ?, ?, ?)", [period, asset_key, check_name, severity, failures,
                                                           description])

"""The analyst's path: the demo's snapshot opened in the DuckDB CLI (PyPI's duckdb-cli, a major version behind the
pipeline's DuckDB), the queries of docs/ANALYSTS.md typed as written, and the Parquet export read back."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.snapshot import snapshot_tables

pytestmark = pytest.mark.xdist_group("demo")

ROOT = Path(__file__).resolve().parent.parent
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"  # the duckdb-cli package, a dev dependency
GUIDE = ROOT / "docs" / "ANALYSTS.md"


def documented_queries() -> list[str]:
    """Every statement of every ```sql block of the analysts' guide, as written."""
    blocks = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    statements = [s.strip() for block in blocks for s in block.split(";")]
    return [s + ";" for s in statements if s and not all(line.startswith("--") for line in s.splitlines())]


def cli(workdir: Path, sql: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DUCKDB_CLI), "-readonly", "-bail", "-csv", "reports/analytics.duckdb"], input=sql,
                          cwd=workdir, capture_output=True, text=True, timeout=120)


def test_the_cli_is_older_than_the_pipelines_duckdb():
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, check=True).stdout
    assert int(version.lstrip("v").split(".")[0]) < int(duckdb.__version__.split(".")[0]), version


@pytest.mark.parametrize("query", documented_queries())
def test_every_documented_query_runs_unchanged_in_the_duckdb_cli(demo: Path, query: str):
    done = cli(demo, query)
    assert done.returncode == 0 and not done.stderr, done.stderr
    header, *rows = list(csv.reader(done.stdout.splitlines()))
    assert rows, f"{query} returned no rows"


def test_the_guide_has_the_first_queries_an_analyst_types():
    queries = " ".join(documented_queries())
    assert "FROM period_metrics_mom" in queries and "read_parquet('reports/analytics/" in queries


def test_the_cli_sees_the_same_rows_as_the_pipeline(demo: Path):
    done = cli(demo, "SELECT table_name, row_count FROM snapshot_contents ORDER BY table_name;")
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(demo / "reports" / "analytics.duckdb"), read_only=True) as con:
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in snapshot_tables()}
    assert {t: int(n) for t, n in list(csv.reader(done.stdout.splitlines()))[1:]} == counts


def test_the_parquet_export_reads_back_equal_to_the_snapshot(demo: Path):
    export = demo / "reports" / "analytics"
    with duckdb.connect(str(demo / "reports" / "analytics.duckdb"), read_only=True) as con:
        for table in snapshot_tables():
            columns = [r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()]
            partitioned = "period" in columns
            files = sorted((export / table).rglob("*.parquet"))
            assert files, table
            if partitioned:
                periods = {r[0] for r in con.execute(f'SELECT DISTINCT period FROM "{table}"').fetchall()}
                assert {f.parent.name for f in files} == {f"period={p}" for p in periods}, table
            source = (f"read_parquet('{export / table}/*/*.parquet', hive_partitioning = true)" if partitioned
                      else f"read_parquet('{export / table}/data_0.parquet')")
            listed = ", ".join(f'"{c}"' for c in columns)
            exported = con.execute(f"SELECT {listed} FROM {source} ORDER BY ALL").fetchall()
            assert exported == con.execute(f'SELECT {listed} FROM "{table}" ORDER BY ALL').fetchall(), table
            assert exported, table


def test_the_dictionary_has_every_column_with_its_type_and_comment(demo: Path):
    with open(demo / "reports" / "analytics" / "dictionary.csv", encoding="utf-8", newline="") as handle:
        dictionary = {(r["table"], r["column"]): (r["type"], r["description"], r["table_description"])
                      for r in csv.DictReader(handle)}
    with duckdb.connect(str(demo / "reports" / "analytics.duckdb"), read_only=True) as con:
        expected = {(t, c): (kind, comment, table_comment) for t, c, kind, comment, table_comment in con.execute(
            "SELECT c.table_name, c.column_name, c.data_type, c.comment, t.comment FROM duckdb_columns() c "
            "JOIN duckdb_tables() t USING (database_name, table_name) WHERE c.table_name <> 'snapshot_contents'"
        ).fetchall()}
    assert dictionary == expected
    assert all(description for _, description, _ in dictionary.values())

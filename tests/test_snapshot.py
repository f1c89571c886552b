"""The analyst snapshot: documented, and safe to hold open while the pipeline replaces it."""

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from landing_builder import valid_tables, write_landing

from pipelines.defs.resources import make_resources
from pipelines.materialize import materialize
from pipelines.snapshot import snapshot_tables, write_snapshot
from pipelines.warehouse import connect


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A warehouse with May 2026 of the valid set built, and its snapshot."""
    root = tmp_path_factory.mktemp("snapshot")
    landing = write_landing(root / "landing", valid_tables())
    resources = make_resources(str(landing), str(root / "wh.duckdb"), "", str(root / "reports"))
    # the month's marts and the snapshot of them (the reports are not what a snapshot is made of)
    assert materialize(resources, "key:staging/* or key:marts/* or key:publishing/analytics_snapshot",
                       "2026-05").success
    return root


def test_every_table_and_column_is_commented(built: Path):
    with duckdb.connect(str(built / "reports" / "analytics.duckdb"), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'analytics'").fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = 'analytics'"
        ).fetchall()
    assert sorted(t for t, _ in tables) == sorted([*snapshot_tables(), "snapshot_contents"])
    assert all(comment for _, comment in tables)
    assert [(t, c) for t, c, comment in columns if not comment] == []
    assert {"period_metrics", "rolling_30d", "service_availability", "insurance_fund_daily"} <= {t for t, _ in tables}


def test_an_analysts_first_queries_work_as_typed(built: Path):
    """Right after opening the file: the bare name, the file-qualified name, and the old habit `USE analytics`."""
    with duckdb.connect(str(built / "reports" / "analytics.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM period_metrics").fetchone()[0]
        assert rows > 0
        assert con.execute("SELECT count(*) FROM analytics.period_metrics").fetchone()[0] == rows
        con.execute("USE analytics")
        assert con.execute("SELECT count(*) FROM period_metrics").fetchone()[0] == rows


def test_confidential_columns_are_marked(built: Path):
    with duckdb.connect(str(built / "reports" / "analytics.duckdb"), read_only=True) as con:
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE database_name = 'analytics' "
            "AND table_name = 'compensation_claims' AND column_name = 'account_ref'").fetchone()[0]
    assert "Confidential" in comment


# An analyst's process. "hold": one session open throughout, whose data must not change under it. "reopen": a new
# session every time, which must always find a whole file. (DuckDB shares one database instance per path within
# a process, so the two kinds of reader must be separate processes.)
READER = textwrap.dedent("""
    import sys, time, duckdb
    path, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])

    def check(con):
        contents = con.execute("SELECT table_name, row_count FROM snapshot_contents").fetchall()
        for table, rows in contents:
            got = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if got != rows:
                raise AssertionError(f"{table}: {got} rows, snapshot_contents says {rows}")
        return len(contents)

    def session():
        return duckdb.connect(path, read_only=True)

    held = session() if mode == "hold" else None
    reads, problems = 0, []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if held is not None:
                check(held)
            else:
                with session() as con:
                    check(con)
            reads += 1
        except Exception as exc:
            problems.append(repr(exc))
    print(mode, reads, len(problems), problems[:3])
    sys.exit(1 if problems or reads == 0 else 0)
""")


def test_replacing_while_an_analyst_reads(built: Path):
    target = built / "reports" / "analytics.duckdb"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(target), mode, "6"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for mode in ("hold", "reopen")
    ]
    time.sleep(1.5)  # the readers have the file open before the pipeline starts replacing it
    replaced = 0
    deadline = time.monotonic() + 60
    with connect(built / "wh.duckdb") as con:  # the pipeline's own connection to its warehouse
        while any(r.poll() is None for r in readers) and time.monotonic() < deadline:
            write_snapshot(con, target, target.with_name("analytics"))  # never fails for a reader of the file
            replaced += 1
    outputs = [r.communicate(timeout=30)[0] for r in readers]
    assert [r.returncode for r in readers] == [0, 0], outputs
    assert replaced >= 3, f"only {replaced} replacements happened while reading"
    assert list(target.parent.glob(".analytics.duckdb.*")) == []  # no temporary file left behind


def test_a_month_that_failed_a_blocking_check_is_left_out(built: Path, tmp_path: Path):
    warehouse = tmp_path / "wh.duckdb"
    shutil.copyfile(built / "wh.duckdb", warehouse)
    with connect(warehouse) as con:
        con.execute("UPDATE marts.check_results SET failures = 1 "
                    "WHERE period = '2026-05' AND check_name = 'insurance_fund_reconciles'")
        write_snapshot(con, tmp_path / "analytics.duckdb", tmp_path / "analytics")
    with duckdb.connect(str(tmp_path / "analytics.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM period_metrics").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM insurance_fund_period").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2  # inputs stay: they were valid

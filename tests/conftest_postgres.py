"""Fixtures for tests that need a real PostgreSQL server (imported by the test modules that use them).

The server: `make test` starts a throw-away one with `scripts/postgres.sh start` and passes its DSN in
TRANSPARENCY_TEST_PG_DSN (or, if it could not start, the script's error in TRANSPARENCY_TEST_PG_ERROR: the tests
that need it are skipped with that reason). Run without make, the fixture starts the server itself, and stops it
at the end of the session if it started it (under pytest-xdist it leaves it running: `scripts/postgres.sh stop`).

A test module uses them by importing them: `from conftest_postgres import backoffice_dsn_fixture`.
Each test gets a schema of its own, holding the back-office tables of sql/backoffice/schema.sql, dropped after.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "postgres.sh"
BACKOFFICE_SCHEMA = ROOT / "sql" / "backoffice" / "schema.sql"


def _script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], check=False, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session", name="pg_server_dsn")
def pg_server_dsn_fixture() -> Iterator[str]:
    """The DSN of the test server (a superuser on a throw-away database)."""
    dsn = os.environ.get("TRANSPARENCY_TEST_PG_DSN")
    if dsn:
        yield dsn
        return
    error = os.environ.get("TRANSPARENCY_TEST_PG_ERROR")
    if error:
        pytest.skip(f"no test PostgreSQL server: scripts/postgres.sh start failed: {error}")
    was_running = _script("status").returncode == 0
    started = _script("start")
    if started.returncode != 0:
        reason = " ".join(started.stderr.strip().splitlines()[-5:]) or f"exit status {started.returncode}"
        pytest.skip(f"no test PostgreSQL server: scripts/postgres.sh start failed: {reason}")
    yield started.stdout.strip()
    if not was_running and "PYTEST_XDIST_WORKER" not in os.environ:
        _script("stop")


@pytest.fixture(name="backoffice_dsn")
def backoffice_dsn_fixture(pg_server_dsn: str) -> Iterator[str]:
    """A DSN whose search_path is a fresh schema holding the back-office tables."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path = {}").format(sql.Identifier(schema)))
        conn.execute(BACKOFFICE_SCHEMA.read_text(encoding="utf-8"))
    yield make_conninfo(pg_server_dsn, options=f"-csearch_path={schema}")
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

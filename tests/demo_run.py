"""The demo as a user builds it, `transparency demo`, run as a separate process; shared by the tests that read a
whole demo (its fixture, `demo`, is in conftest.py; those tests are grouped on one worker, `xdist_group("demo")`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TRANSPARENCY = Path(sys.executable).parent / "transparency"
MONTHS = ("2026-09", "2026-10")


def run(workdir: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI in `workdir`, with none of this process's TRANSPARENCY_ or DAGSTER_HOME settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TRANSPARENCY_", "DAGSTER_HOME"))}
    return subprocess.run([str(TRANSPARENCY), *args], cwd=workdir, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=600)


def build_demo(workdir: Path) -> Path:
    done = run(workdir, "demo", "--months", str(len(MONTHS)), "--end-month", MONTHS[-1])
    assert done.returncode == 0, done.stderr
    return workdir

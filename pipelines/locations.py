"""Where the pipeline reads and writes unless told otherwise: paths under the working directory, each overridden
by its TRANSPARENCY_* environment variable (the CLI's options and the Dagster resources both start from these)."""

from __future__ import annotations

import os
from pathlib import Path

LANDING = ("TRANSPARENCY_LANDING", "data/landing")
WAREHOUSE = ("TRANSPARENCY_WAREHOUSE", "data/warehouse.duckdb")
REPORTS = ("TRANSPARENCY_REPORTS", "reports")


def location(setting: tuple[str, str]) -> str:
    variable, default = setting
    return os.environ.get(variable, default)


def build_root(warehouse: Path | str) -> Path:
    """Beside the warehouse: where a period's files are built before publication."""
    return Path(warehouse).parent / "build"


def dora_register(warehouse: Path | str) -> Path:
    """Beside the warehouse: the register of the DORA reports submitted (`transparency dora submitted`)."""
    return Path(warehouse).parent / "dora" / "submissions.jsonl"

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.contract_doc import render
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parent.parent


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for a in defs.assets for key in a.keys}
    assert {"staging/incidents", "staging/compensation_payouts", "staging/insurance_fund_movements"} <= keys


def test_dg_check_defs():
    dg_cli = Path(sys.executable).parent / "dg"
    assert dg_cli.exists() or shutil.which("dg"), "dagster-dg-cli is a pinned dependency"
    done = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_contract_documentation_is_current():
    assert (ROOT / "docs" / "CONTRACT.md").read_text(encoding="utf-8") == render(), (
        "docs/CONTRACT.md is stale: run `transparency contract > docs/CONTRACT.md`"
    )

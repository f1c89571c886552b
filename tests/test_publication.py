"""Publication end to end through the CLI: immutable versions, restatements, verification, and crashes."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from landing_builder import valid_tables, write_landing

TRANSPARENCY = Path(sys.executable).parent / "transparency"
PERIOD = "2026-05"


def run(workdir: Path, *args: str, crash_at: str | None = None, subsetter: str | None = None
        ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRANSPARENCY_", "DAGSTER_HOME"))}
    if crash_at:
        env["TRANSPARENCY_CRASH_AT"] = crash_at
    if subsetter:
        env["TRANSPARENCY_FONT_SUBSETTER"] = subsetter
    return subprocess.run([str(TRANSPARENCY), *args], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A work folder (landing files, warehouse, demo signing key) with May 2026 published once."""
    workdir = tmp_path_factory.mktemp("published")
    write_landing(workdir / "data" / "landing", valid_tables())
    done = run(workdir, "run", "--period", PERIOD)
    assert done.returncode == 0, done.stderr
    return workdir


@pytest.fixture
def workdir(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "work"
    shutil.copytree(published, copy)
    return copy


def test_first_run_publishes_a_verifiable_v1(workdir: Path):
    version = workdir / "reports" / PERIOD / "v1"
    manifest = json.loads((version / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"public/index.html", "public/report.pdf", "regulator/report.pdf",
                                      "public/data/headline.csv"}
    assert {i["table"] for i in manifest["inputs"]} >= {"incidents", "compensation_payouts", "prices"}
    assert "metrics" not in manifest  # the manifest is public: figures (unsuppressed) stay beside the regulator report
    figures = json.loads((version / "regulator" / "figures.json").read_text())
    assert figures["metrics"]["compensation_paid_usd"] is not None and figures["corrections"] == []
    assert "regulator/figures.json" in manifest["files"]
    done = run(workdir, "verify", f"reports/{PERIOD}/v1")
    assert done.returncode == 0, done.stderr
    for regulator in ("CSSF", "BaFin"):
        delivery = workdir / "reports" / "outbox" / regulator / f"{PERIOD}-v1"
        record = json.loads((delivery / "delivery.json").read_text())
        assert record["sha256"] == manifest["files"]["regulator/report.pdf"]["sha256"]
        assert (delivery / "report.pdf").read_bytes() == (version / "regulator" / "report.pdf").read_bytes()
    assert f'href="{PERIOD}/v1/public/index.html"' in (workdir / "reports" / "index.html").read_text()


def test_unchanged_rerun_publishes_nothing_new(workdir: Path):
    before = digests(workdir / "reports" / PERIOD)
    done = run(workdir, "run", "--period", PERIOD)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (workdir / "reports" / PERIOD).iterdir() if p.name != ".lock") == ["v1"]
    assert digests(workdir / "reports" / PERIOD) == before


def test_changed_input_publishes_v2_with_corrections_and_keeps_v1(workdir: Path):
    before = digests(workdir / "reports" / PERIOD / "v1")
    tables = valid_tables()
    tables["compensation_payouts"][0]["amount"] = "0.00550000"  # a company-funded payout, restated
    write_landing(workdir / "data" / "landing", tables)

    done = run(workdir, "run", "--period", PERIOD, "--reason", "payout PAY-1 restated by the back office")

    assert done.returncode == 0, done.stderr
    assert digests(workdir / "reports" / PERIOD / "v1") == before
    v2 = workdir / "reports" / PERIOD / "v2"
    old = json.loads((workdir / "reports" / PERIOD / "v1" / "regulator" / "figures.json").read_text())["metrics"]
    figures = json.loads((v2 / "regulator" / "figures.json").read_text())
    changed = {c["metric"]: c for c in figures["corrections"]}
    assert set(changed) == {m for m in old if old[m] != figures["metrics"][m]}
    assert "compensation_paid_usd" in changed
    entry = changed["compensation_paid_usd"]
    assert (entry["old"], entry["new"]) == (old["compensation_paid_usd"], figures["metrics"]["compensation_paid_usd"])
    assert entry["reason"] == "payout PAY-1 restated by the back office" and entry["version"] == 2
    for pdf in (v2 / "public" / "report.pdf", v2 / "regulator" / "report.pdf"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "payout PAY-1 restated by the back office" in text
    assert run(workdir, "verify", f"reports/{PERIOD}/v2").returncode == 0
    assert 'href="2026-05/v2/public/index.html"' in (workdir / "reports" / "index.html").read_text()
    feed = (workdir / "reports" / "feed.atom").read_text()
    assert "<title>Correction: transparency report for May 2026, version 2</title>" in feed
    count = len([c for c in figures["corrections"] if c["version"] == 2])
    assert f"{count} figure{'s' if count > 1 else ''} corrected" in feed


@pytest.mark.parametrize("victim", ["public/data/headline.csv", "regulator/report.pdf"])
def test_one_tampered_byte_fails_verification_naming_the_file(workdir: Path, victim: str):
    path = workdir / "reports" / PERIOD / "v1" / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    done = run(workdir, "verify", f"reports/{PERIOD}/v1")

    assert done.returncode != 0
    assert f"{victim}: sha256" in done.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A work folder whose first run was killed as publication began: May 2026 built, nothing published."""
    workdir = tmp_path_factory.mktemp("built")
    write_landing(workdir / "data" / "landing", valid_tables())
    assert run(workdir, "run", "--period", PERIOD, crash_at="copied").returncode != 0
    assert not (workdir / "reports" / PERIOD / "v1").exists()
    return workdir


@pytest.mark.parametrize("step", ["copied", "signed", "manifest", "renamed", "logged"])
def test_a_crash_during_publication_leaves_no_partial_version(built: Path, tmp_path: Path, step: str):
    workdir = tmp_path / "work"
    shutil.copytree(built, workdir)

    crashed = run(workdir, "run", "--period", PERIOD, crash_at=step)

    assert crashed.returncode != 0
    version = workdir / "reports" / PERIOD / "v1"
    if step in ("renamed", "logged"):  # killed after the rename: the version is whole, the log not signed yet
        checked = run(workdir, "verify", f"reports/{PERIOD}/v1")
        assert checked.returncode != 0
        problems = checked.stderr.splitlines()[:-1]
        assert len(problems) == 1 and problems[0].endswith("log/latest.json: missing; no published version is logged")
    else:
        assert not version.exists()
    built_pdf = workdir / "data" / "build" / PERIOD / "regulator" / "report.pdf"
    laid_out = built_pdf.stat().st_mtime_ns
    recovered = run(workdir, "run", "--period", PERIOD)
    assert recovered.returncode == 0, recovered.stderr
    if step not in ("renamed", "logged"):  # the build the crash left is published, not laid out again
        assert built_pdf.stat().st_mtime_ns == laid_out
    left = sorted(p.name for p in (workdir / "reports" / PERIOD).iterdir() if p.name != ".lock")
    assert left == ["v1"]  # no leftovers
    assert run(workdir, "verify", f"reports/{PERIOD}/v1").returncode == 0  # the log too: logged once, signed
    assert [json.loads(line)["version"] for line in
            (workdir / "reports" / "log" / "entries.jsonl").read_text().splitlines()] == [f"{PERIOD}/v1"]
    assert (workdir / "reports" / "outbox" / "CSSF" / f"{PERIOD}-v1" / "delivery.json").is_file()
    assert (workdir / "reports" / "index.html").is_file()


def test_a_stale_build_is_not_published(workdir: Path):

    from pipelines.defs.resources import make_resources
    from pipelines.materialize import materialize

    stamp = workdir / "data" / "build" / f"{PERIOD}.stamp.json"
    assert stamp.exists()
    stamp.write_text(json.dumps({"version": 1, "metrics": "figures of another day"}))
    resources = make_resources(str(workdir / "data" / "landing"), str(workdir / "data" / "warehouse.duckdb"), "",
                               str(workdir / "reports"))
    result = materialize(resources, "key:publishing/period_publication", PERIOD)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.user_failure_data
    assert "the build is missing, half made or older than the figures" in failure.description


def test_a_new_font_subsetter_changes_bytes_but_publishes_nothing_new(published: Path, tmp_path: Path):
    # A server's packages upgraded between two runs: WeasyPrint subsets fonts with HarfBuzz instead of fontTools
    # (the one it uses when both are there, as in `published`).
    first, fresh = tmp_path / "first", published
    write_landing(first / "data" / "landing", valid_tables())
    done = run(first, "run", "--period", PERIOD, subsetter="fonttools")
    assert done.returncode == 0, done.stderr
    manifests = [json.loads((w / "reports" / PERIOD / "v1" / "manifest.json").read_text()) for w in (first, fresh)]
    assert manifests[0]["renderer"]["font_subsetter"].startswith("fontTools ")
    assert manifests[1]["renderer"]["font_subsetter"].startswith("HarfBuzz ")
    # the same content (every file's and PDF's source), different PDF bytes
    assert manifests[0]["sources"] == manifests[1]["sources"]
    assert manifests[0]["files"]["public/report.pdf"] != manifests[1]["files"]["public/report.pdf"]

    before = digests(first / "reports" / PERIOD)
    done = run(first, "run", "--period", PERIOD, subsetter="harfbuzz")
    assert done.returncode == 0, done.stderr
    assert digests(first / "reports" / PERIOD) == before  # no v2, v1 untouched


def test_a_contract_violation_in_run_prints_only_the_violations(tmp_path: Path):
    tables = valid_tables()
    tables["incidents"][0]["severity"] = "catastrophic"
    write_landing(tmp_path / "data" / "landing", tables)

    done = run(tmp_path, "run", "--period", PERIOD)

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "1 contract violations; nothing loaded for the tables concerned:"
    assert "field severity: expected one of: critical, major, minor; found 'catastrophic'" in lines[1]
    assert all(not line.startswith(("Traceback", "20")) and "dagster" not in line.lower() for line in lines), lines
    assert len(lines) <= 6, lines  # the violation and the tables it held back, nothing else
    # piped, the progress is one plain line per step
    assert "  staging: stage_incidents failed (" in done.stdout
    assert not (tmp_path / "reports" / PERIOD).exists()

    verbose = run(tmp_path, "--verbose", "run", "--period", PERIOD)
    assert verbose.returncode == 1 and "STEP_FAILURE" in verbose.stderr + verbose.stdout

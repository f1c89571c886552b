"""Publishing a period's reports as an immutable version: reports/YYYY-MM/vN/.

A version is assembled in a temporary folder beside its final place — files, signed regulator PDF, manifest — and
renamed into place in one step, so a reader (or a crash) sees either no version N or all of it, and a later run
clears what a crash left behind. A published version is never modified: when the same inputs give the same
document nothing new is published; otherwise the next version is, with a corrections entry for every figure that
changed since the version before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import duckdb

from pipelines.checks import check_outcomes
from pipelines.files import replace_dir
from pipelines.receipts import ROOT_FILE
from pipelines.signing import SigningKey, sign_pdf, verify_pdf_signature

MANIFEST = "manifest.json"
# Every figure of the version and its corrections log, unsuppressed: confidential, so beside the regulator report
# (covered by the manifest's hashes) and not in the manifest, which the public archive links to.
FIGURES = "regulator/figures.json"
SIGNED_FILES = ("regulator/report.pdf",)
VERSION_DIR = re.compile(r"v(\d+)")
LATE_DATA = "late data"


def crash_point(step: str) -> None:
    """Fault injection for the crash tests: TRANSPARENCY_CRASH_AT=<step> kills the process here, as kill -9 would."""
    if os.environ.get("TRANSPARENCY_CRASH_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def pipeline_version() -> str:
    return metadata.version("transparency-pipeline")


def versions(reports_dir: Path, period: str) -> list[int]:
    folder = reports_dir / period
    if not folder.is_dir():
        return []
    return sorted(int(m[1]) for p in folder.iterdir() if p.is_dir() and (m := VERSION_DIR.fullmatch(p.name)))


def latest_version(reports_dir: Path, period: str) -> int:
    """The newest published version of a period, 0 if none."""
    return max(versions(reports_dir, period), default=0)


def version_dir(reports_dir: Path, period: str, version: int) -> Path:
    return reports_dir / period / f"v{version}"


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def read_figures(folder: Path) -> dict:
    """{"metrics": {metric: value}, "corrections": [...]} of a published version."""
    return json.loads((folder / FIGURES).read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST}


def staged_inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every staged landing file with its SHA-256: the inputs a version is built from."""
    rows = con.execute(
        "SELECT table_name, file, sha256, bytes FROM staging.landing_files ORDER BY table_name, file"
    ).fetchall()
    return [{"table": t, "file": f, "sha256": h, "bytes": n} for t, f, h, n in rows]


@dataclass(frozen=True)
class Content:
    """What a version says, as opposed to the bytes a renderer made of it: the inputs' hashes, every figure, and
    the SHA-256 of every file and PDF source (HTML, attachments) of the version."""

    inputs: list[dict]
    metrics: dict[str, str | None]
    sources: dict[str, str]


def published_content(folder: Path) -> Content:
    manifest = read_manifest(folder)
    return Content(manifest["inputs"], read_figures(folder)["metrics"], manifest.get("sources", {}))


def decide_version(reports_dir: Path, period: str, content: Content) -> tuple[int, bool]:
    """(version, new): the latest version when `content` is what it says, else the next one."""
    latest = latest_version(reports_dir, period)
    if latest and published_content(version_dir(reports_dir, period, latest)) == content:
        return latest, False
    return latest + 1, True


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_metrics(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, str | None]:
    rows = con.execute("SELECT metric, value FROM marts.period_metrics WHERE period = ? ORDER BY metric", [period])
    return {metric: None if value is None else format(value, "f") for metric, value in rows.fetchall()}


def corrections(reports_dir: Path, period: str, version: int, metrics: dict[str, str | None], reason: str
                ) -> list[dict]:
    """The corrections log of `version`: the earlier versions' entries, and one per figure that differs from the
    version before (old, new, reason)."""
    if version <= 1:
        return []
    previous = read_figures(version_dir(reports_dir, period, version - 1))
    old_metrics = previous["metrics"]
    entries = list(previous.get("corrections", []))
    for metric in sorted(set(old_metrics) | set(metrics)):
        old, new = old_metrics.get(metric), metrics.get(metric)
        if (None if old is None else Decimal(old)) != (None if new is None else Decimal(new)):
            entries.append({"version": version, "metric": metric, "old": old, "new": new, "reason": reason})
    return entries


@dataclass(frozen=True)
class Signature:
    key: SigningKey
    reason: str
    location: str


def _manifest(folder: Path, period: str, version: int, con: duckdb.DuckDBPyConnection, content: Content,
              renderer: dict[str, str]) -> dict:
    checks = check_outcomes(con, period)
    return {
        "period": period,
        "version": version,
        "pipeline_version": pipeline_version(),
        # what laid the PDFs out: it changes their bytes, never what they say (the sources)
        "renderer": renderer,
        "files": {name: {"sha256": sha256(path), "bytes": path.stat().st_size}
                  for name, path in _files(folder).items()},
        "sources": content.sources,
        "signed_files": list(SIGNED_FILES),
        # the month's compensation root, as public/data/compensation_root.json has it (docs/RECEIPTS.md)
        "compensation_root": json.loads((folder / ROOT_FILE).read_text(encoding="utf-8")),
        "inputs": content.inputs,
        "checks": [{"asset": a, "check": c, "severity": s, "failures": n} for a, c, s, n in checks],
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_interrupted(reports_dir: Path, period: str) -> None:
    """Remove what an interrupted publication left: temporary version folders of processes that are gone."""
    folder = reports_dir / period
    if folder.is_dir():
        for leftover in folder.glob(".v*.*.tmp"):
            pid = leftover.name.split(".")[2]
            if not (pid.isdigit() and _alive(int(pid))):
                shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def period_lock(reports_dir: Path, period: str):
    """One publication of a period at a time (another process waits for the lock)."""
    folder = reports_dir / period
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(built: Path, reports_dir: Path, period: str, version: int, con: duckdb.DuckDBPyConnection,
            signature: Signature, corrections_log: list[dict], content: Content, renderer: dict[str, str]) -> Path:
    """Copy a built version into reports/<period>/v<version> atomically, signed and with its manifest."""
    target = version_dir(reports_dir, period, version)
    if target.exists():
        raise FileExistsError(f"{target} is already published and is never modified")
    clear_interrupted(reports_dir, period)
    temporary = target.with_name(f".v{version}.{os.getpid()}.tmp")
    shutil.copytree(built, temporary)
    crash_point("copied")
    for name in SIGNED_FILES:
        sign_pdf(temporary / name, signature.key, signature.reason, signature.location)
    crash_point("signed")
    figures = {"metrics": content.metrics, "corrections": corrections_log}
    (temporary / FIGURES).write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    manifest = json.dumps(_manifest(temporary, period, version, con, content, renderer), indent=1, sort_keys=True)
    (temporary / MANIFEST).write_text(manifest + "\n", encoding="utf-8")
    crash_point("manifest")
    replace_dir(temporary, target)
    crash_point("renamed")
    return target


def deliver(version_folder: Path, outbox: Path, regulators: list[dict], prepared_at: str) -> list[Path]:
    """For each regulator, a delivery folder with its copy of the signed PDF and a record of what was sent."""
    manifest = read_manifest(version_folder)
    source = version_folder / SIGNED_FILES[0]
    delivered = []
    for regulator in regulators:
        folder = outbox / regulator["short_name"] / f"{manifest['period']}-v{manifest['version']}"
        if folder.exists():
            continue  # delivered before; a delivery is never rewritten
        temporary = folder.with_name(f".{folder.name}.tmp")
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        shutil.copyfile(source, temporary / "report.pdf")
        record = {
            "regulator": regulator["name"],
            "jurisdiction": regulator["jurisdiction"],
            "period": manifest["period"],
            "version": manifest["version"],
            "file": "report.pdf",
            "sha256": sha256(temporary / "report.pdf"),
            "bytes": (temporary / "report.pdf").stat().st_size,
            "prepared_at": prepared_at,
        }
        (temporary / "delivery.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        replace_dir(temporary, folder)
        delivered.append(folder)
    return delivered


def verify_version(folder: Path, trust_root: Path | None) -> list[str]:
    """Every way a published version differs from its manifest, and the state of its signatures; [] when whole."""
    if not (folder / MANIFEST).is_file():
        return [f"{folder / MANIFEST}: missing"]
    manifest = read_manifest(folder)
    problems = []
    present = _files(folder)
    for name, expected in sorted(manifest["files"].items()):
        path = present.get(name)
        if path is None:
            problems.append(f"{name}: missing")
        elif path.stat().st_size != expected["bytes"] or sha256(path) != expected["sha256"]:
            problems.append(f"{name}: sha256 {sha256(path)} ({path.stat().st_size} bytes) does not match the "
                            f"manifest's {expected['sha256']} ({expected['bytes']} bytes)")
    problems += [f"{name}: not in the manifest" for name in sorted(set(present) - set(manifest["files"]))]
    for name in SIGNED_FILES:  # the code's list, not the manifest's: the manifest itself is not signed
        if name in present:
            if trust_root is None:
                problems.append(f"{name}: no trusted certificate to validate the signature with")
                continue
            check = verify_pdf_signature(present[name], trust_root)
            if not check.ok:
                problems.append(f"{name}: signature not valid ({check.detail})")
    return problems

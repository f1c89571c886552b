"""Publishing a period's reports as an immutable version: reports/YYYY-MM/vN/.

A version is assembled in a temporary folder beside its final place, with a manifest of every file, and renamed
into place in one step, so a reader (or a crash) sees either no version N or all of it. A published version is
never modified: when the same inputs give the same bytes nothing new is published; otherwise the next version is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb

MANIFEST = "manifest.json"
VERSION_DIR = re.compile(r"v(\d+)")


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


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST}


def same_content(built: Path, published: Path) -> bool:
    """Whether two version folders hold the same files with the same bytes (the manifest aside)."""
    a, b = _files(built), _files(published)
    return a.keys() == b.keys() and all(a[name].read_bytes() == b[name].read_bytes() for name in a)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Published:
    period: str
    version: int
    path: Path
    new: bool  # False: the latest version already had these bytes


def _manifest(folder: Path, period: str, version: int, con: duckdb.DuckDBPyConnection) -> dict:
    inputs = con.execute(
        "SELECT table_name, file, sha256, bytes FROM staging.landing_files ORDER BY table_name, file"
    ).fetchall()
    checks = con.execute(
        "SELECT asset, check_name, severity, failures FROM marts.check_results WHERE period = ? "
        "ORDER BY asset, check_name", [period]
    ).fetchall()
    return {
        "period": period,
        "version": version,
        "pipeline_version": pipeline_version(),
        "files": {name: {"sha256": sha256(path), "bytes": path.stat().st_size} for name, path in _files(folder).items()},
        "inputs": [{"table": t, "file": f, "sha256": h, "bytes": n} for t, f, h, n in inputs],
        "checks": [{"asset": a, "check": c, "severity": s, "failures": n} for a, c, s, n in checks],
    }


def publish(built: Path, reports_dir: Path, period: str, version: int, con: duckdb.DuckDBPyConnection) -> Path:
    """Copy a built version into reports/<period>/v<version> atomically, with its manifest."""
    target = reports_dir / period / f"v{version}"
    if target.exists():
        raise FileExistsError(f"{target} is already published and is never modified")
    temporary = target.with_name(f".v{version}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    shutil.copytree(built, temporary)
    manifest = json.dumps(_manifest(temporary, period, version, con), indent=1, sort_keys=True) + "\n"
    (temporary / MANIFEST).write_text(manifest, encoding="utf-8")
    for path in temporary.rglob("*"):  # the bytes are on disk before the name points at them
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    os.rename(temporary, target)
    return target

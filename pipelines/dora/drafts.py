"""Drafting the DORA report files of a major incident: `reports/dora/<incident>/<stage>-vN.json` in the authorities'
IR JSON and a readable PDF of the same fields beside it. A version is never overwritten: a draft whose JSON equals
any earlier version of that stage writes nothing; a changed one is the next version. Every version is appended to
`reports/dora/manifest.jsonl` with the hashes of both files; when each was drafted (the clock, not the data) goes to
the drafting log beside the submissions register (`data/dora/drafts.jsonl`), out of reports/, whose bytes depend on
the data only."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.dora import submissions
from pipelines.dora.deadlines import DATA_COLUMNS, Calendar, no_relief
from pipelines.dora.document import REPORT_NAMES, SCHEMA_VERSION, FieldError, build, validate, value_at
from pipelines.dora.fields import FIELDS, Source, empty
from pipelines.dora.status import StageStatus, incident_status
from pipelines.marts import query
from pipelines.periods import window
from pipelines.profile import Profile
from pipelines.sql import SqlFile

FACTS = SqlFile("reports", "dora_report_facts")
MANIFEST = "manifest.jsonl"
DRAFTING_LOG = "drafts.jsonl"  # beside the submissions register
# The states of a stage whose report is drafted: its clock has started (sent ones too: a later draft of a sent
# report with changed data is what the entity would file now).
DRAFTED_STATES = ("sent", "due", "overdue")


@dataclass(frozen=True)
class Draft:
    incident: str
    stage: str
    period: str
    outcome: str  # written, unchanged (an identical version exists), invalid (nothing written)
    errors: tuple[FieldError, ...] = ()
    version: int | None = None
    json_sha256: str | None = None
    pdf_sha256: str | None = None
    path: str | None = None  # the JSON, relative to reports/


def facts(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, dict]:
    """Incident → its row of dora_report_facts.sql for the period."""
    relation = query(con, FACTS, period)
    return {row[0]: dict(zip(relation.columns, row)) for row in relation.fetchall()}


def latest_period(con: duckdb.DuckDBPyConnection, incident: str) -> str | None:
    """The latest built month whose register has the incident."""
    row = con.execute("SELECT max(period) FROM marts.incident_register WHERE incident_id = ?", [incident]).fetchone()
    return row[0] if row else None


def manifest(dora_dir: Path) -> list[dict]:
    return _lines(dora_dir / MANIFEST)


def drafting_log(register: Path) -> list[dict]:
    """When each version was drafted (data/dora/drafts.jsonl)."""
    return _lines(register.parent / DRAFTING_LOG)


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _canonical(document: dict) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _write_new(path: Path, content: bytes) -> None:
    """Create `path` with `content`; an existing file is never replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())


def _append(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())


def source(row: dict, profile: Profile, stage: str, register: Path) -> Source:
    authority = profile.dora_authority
    recorded = submissions.of_incident(submissions.read(register), row["incident_id"],
                                       authority.short_name if authority else "")
    reference = next((s.reference for s in reversed(recorded) if s.reference), None)
    return Source(row, profile, stage, reference)


def draft(row: dict, period: str, stage: str, profile: Profile, dora_dir: Path, register: Path,
          now: datetime) -> Draft:
    """Draft one stage's report of the incident of `row` (its facts in `period`): validate it, then write its
    next version unless an identical one exists."""
    incident = row["incident_id"]
    src = source(row, profile, stage, register)
    document = build(src)
    errors = tuple(validate(document, src))
    if errors:
        return Draft(incident, stage, period, "invalid", errors)
    content = _canonical(document)
    sha = _sha256(content)
    earlier = [e for e in manifest(dora_dir) if (e["incident_id"], e["stage"]) == (incident, stage)]
    same = next((e for e in earlier if e["json_sha256"] == sha), None)
    if same:
        return Draft(incident, stage, period, "unchanged", (), same["version"], sha, same["pdf_sha256"], same["json"])
    version = max((e["version"] for e in earlier), default=0) + 1
    folder = dora_dir / incident
    json_path, pdf_path = folder / f"{stage}-v{version}.json", folder / f"{stage}-v{version}.pdf"
    pdf = render_pdf(document, src, version, period)
    _write_new(json_path, content)
    _write_new(pdf_path, pdf)
    relative = f"dora/{incident}/{json_path.name}"
    _append(dora_dir / MANIFEST, {
        "incident_id": incident, "stage": stage, "version": version, "period": period,
        "schema": SCHEMA_VERSION, "json": relative, "json_sha256": sha,
        "pdf": f"dora/{incident}/{pdf_path.name}", "pdf_sha256": _sha256(pdf),
    })
    _append(register.parent / DRAFTING_LOG, {
        "incident_id": incident, "stage": stage, "version": version, "json_sha256": sha,
        "drafted_at": now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    })
    return Draft(incident, stage, period, "written", (), version, sha, _sha256(pdf), relative)


def fingerprint(row: dict, stage: str, profile: Profile, register: Path) -> str:
    """The hash of the JSON a draft of `stage` would have now (the sensor's run key: one run per content)."""
    return _sha256(_canonical(build(source(row, profile, stage, register))))[:16]


def stages_to_draft(row: dict, profile: Profile, register: Path, now: datetime) -> list[StageStatus]:
    """The stages of a major incident whose clock has started by `now`, with their deadlines and states as known
    then (what was sent later is left out)."""
    authority = profile.dora_authority
    calendar = Calendar.of(authority.dora) if authority else no_relief()
    registered = submissions.submitted(register, row["incident_id"], authority.short_name) if authority else {}
    registered = {stage: at for stage, at in registered.items() if at <= now}
    row = {**row, **{column: None for column in DATA_COLUMNS.values() if row[column] and row[column] > now}}
    return [s for s in incident_status(row, registered, profile.classification, calendar, now)
            if s.state in DRAFTED_STATES]


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


def rows(document: dict, stage: str) -> list[dict]:
    """The report's fields in ITS order as the PDF prints them: number, label, value."""
    return [{"number": f.number, "label": f.label, "value": _shown(v)}
            for f in FIELDS if f.rule(stage) != "N" and not empty(v := value_at(document, f.path))]


def render_pdf(document: dict, src: Source, version: int, period: str) -> bytes:
    """The readable PDF of a report: every field it carries, with the classification evidence beside 2.5."""
    import tempfile

    from pipelines.reports.render import environment, write_pdf

    _, end = window(period)
    html = environment().get_template("dora_report.html").render(
        entity={"legal_name": src.profile.legal_name, "lei": src.profile.lei}, lang="en",
        last_day=(end - timedelta(days=1)).date(),
        alternates=[], asset_root="", audience="regulator", incident=src.facts["incident_id"],
        title=src.facts.get("title"),
        report=REPORT_NAMES[src.stage], version=version, schema=SCHEMA_VERSION, period=period,
        rows=rows(document, src.stage), evidence=src.facts.get("evidence") or [])
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "report.pdf"
        write_pdf(html, target, stamp=end)
        return target.read_bytes()

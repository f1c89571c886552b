"""Incidents from an Atlassian Statuspage feed (`/api/v2/incidents.json`) into the incidents contract.

Mapping (the feed → the contract):
* `id` → incident_id; `name` → title; the first update's body → public_summary (what was first said publicly).
* `impact` none/minor/major/critical → severity minor/minor/major/critical; `status` is kept (the feed's incident
  statuses are the contract's); scheduled-maintenance statuses are refused.
* `started_at`, falling back to `created_at` → started_at; `created_at` (when the page said so) → detected_at and
  classified_at, never before started_at; `resolved_at` → resolved_at.
* Component transitions in `incident_updates[].affected_components` (new_status major_outage, partial_outage,
  degraded_performance) → incident_impacts, one interval per component and status, ending at the update that
  changed it or, if none did, when the incident is resolved. An incident whose updates name no transition gets one
  interval per listed component from start to resolution, at the impact the incident's `impact` implies.
  Components map to services through the profile's `statuspage_components` ("-" = not a service); a component
  missing from the mapping is an error.
* category: outage when a component was in major or partial outage, else degradation (none if nothing was hit:
  other). Everything else the feed does not carry (clients affected, costs, root cause, notifications…) is empty —
  "not provided" in the reports — unless an operator supplement (CSV or JSON lines keyed by incident_id, any
  incident columns) gives it; a supplement row for an incident not in the feed is an error.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.contract import INCIDENT_IMPACTS, INCIDENTS, Kind
from pipelines.files import write_atomic
from pipelines.landing import csv_text, jsonl_text
from pipelines.profile import Profile
from pipelines.sources import http
from pipelines.timestamps import iso_utc

SEVERITY = {"none": "minor", "minor": "minor", "major": "major", "critical": "critical"}
IMPACT_OF_SEVERITY = {"critical": "major_outage", "major": "partial_outage", "minor": "degraded_performance"}
AFFECTED = ("major_outage", "partial_outage", "degraded_performance")
INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
NOT_A_SERVICE = "-"


class FeedError(ValueError):
    """A feed or supplement record that cannot be mapped, located by file, record and field."""

    def __init__(self, source: str, record: str, field: str, problem: str):
        super().__init__(f"{source}: incident {record}, field {field}: {problem}")


def _utc(value: str | None, source: str, record: str, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FeedError(source, record, field, f"expected an ISO 8601 timestamp; found {value!r}") from None
    if parsed.tzinfo is None:
        raise FeedError(source, record, field, f"expected a timestamp with a UTC offset; found {value!r}")
    return parsed.astimezone(UTC)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else iso_utc(moment)


@dataclass
class Interval:
    service: str
    impact: str
    started_at: datetime
    ended_at: datetime | None


def _service(profile: Profile, component: str, source: str, record: str) -> str | None:
    service = profile.statuspage_components.get(component)
    if service is None:
        raise FeedError(source, record, "components", f"component {component!r} is not in the profile's "
                        "statuspage_components (map it to a service code, or to \"-\" if it is not a service)")
    return None if service == NOT_A_SERVICE else service


def _impacts(incident: dict, started: datetime, profile: Profile, source: str) -> list[Interval]:
    record = incident["id"]
    updates = sorted(incident.get("incident_updates") or [], key=lambda u: (u["display_at"] or u["created_at"]))
    open_since: dict[str, tuple[str, datetime]] = {}  # component → (status, since)
    intervals: list[Interval] = []
    for update in updates:
        moment = _utc(update.get("display_at") or update.get("created_at"), source, record, "incident_updates")
        for change in update.get("affected_components") or []:
            name, status = change["name"], change["new_status"]
            current = open_since.get(name)
            if current and current[0] != status:
                intervals.append(Interval(name, current[0], current[1], moment))
                del open_since[name]
            if status in AFFECTED and name not in open_since:
                open_since[name] = (status, max(moment, started))
    intervals += [Interval(name, status, since, None) for name, (status, since) in open_since.items()]
    if not intervals and not any(u.get("affected_components") for u in updates):
        impact = IMPACT_OF_SEVERITY[SEVERITY[incident["impact"]]]
        intervals = [Interval(c["name"], impact, started, None) for c in incident.get("components") or []]
    mapped: dict[tuple, Interval] = {}
    for interval in intervals:
        service = _service(profile, interval.service, source, record)
        if service is not None and (interval.ended_at is None or interval.ended_at > interval.started_at):
            key = (service, interval.impact, interval.started_at)
            kept = mapped.get(key)  # two components of one service: one interval, the longer
            if kept is None or (kept.ended_at is not None and (interval.ended_at is None
                                                              or interval.ended_at > kept.ended_at)):
                mapped[key] = Interval(service, interval.impact, interval.started_at, interval.ended_at)
    return sorted(mapped.values(), key=lambda i: (i.started_at, i.service, i.impact))


def _incident_row(incident: dict, source: str) -> tuple[dict, datetime]:
    record = incident.get("id") or "?"
    for field in ("id", "name", "status", "impact", "created_at"):
        if incident.get(field) in (None, ""):
            raise FeedError(source, record, field, "missing")
    if incident["status"] not in INCIDENT_STATUSES:
        raise FeedError(source, record, "status", f"expected an incident status ({', '.join(INCIDENT_STATUSES)}); "
                        f"found {incident['status']!r} (scheduled maintenance is not an incident)")
    if incident["impact"] not in SEVERITY:
        raise FeedError(source, record, "impact",
                        f"expected one of {', '.join(SEVERITY)}; found {incident['impact']!r}")
    created = _utc(incident["created_at"], source, record, "created_at")
    started = _utc(incident.get("started_at"), source, record, "started_at") or created
    resolved = _utc(incident.get("resolved_at"), source, record, "resolved_at")
    updates = sorted(incident.get("incident_updates") or [], key=lambda u: u.get("display_at") or u["created_at"])
    summary = next((u["body"].strip() for u in updates if (u.get("body") or "").strip()), incident["name"])
    detected = max(created, started)
    row = {column: None for column in INCIDENTS.column_names}
    row.update(
        incident_id=incident["id"], title=incident["name"], public_summary=summary,
        severity=SEVERITY[incident["impact"]], status=incident["status"],
        started_at=_text(started), detected_at=_text(detected), classified_at=_text(detected),
        resolved_at=_text(resolved),
    )
    return row, started


def _category(intervals: list[Interval]) -> str:
    impacts = {i.impact for i in intervals}
    if impacts & {"major_outage", "partial_outage"}:
        return "outage"
    return "degradation" if impacts else "other"


def read_feed(text: str, source: str) -> list[dict]:
    try:
        feed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(source, "-", "-", f"not JSON: {exc}") from None
    incidents = feed.get("incidents") if isinstance(feed, dict) else None
    if not isinstance(incidents, list):
        raise FeedError(source, "-", "incidents", "expected the /api/v2/incidents.json shape {\"incidents\": [...]}")
    return incidents


def read_supplement(path: Path) -> dict[str, dict]:
    """Operator-supplied incident fields keyed by incident_id (CSV with a header, or JSON lines)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".csv":
        rows = [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    by_id = {}
    for number, row in enumerate(rows, start=1):
        unknown = set(row) - set(INCIDENTS.column_names)
        if unknown or "incident_id" not in row:
            raise FeedError(str(path), f"row {number}", ", ".join(sorted(unknown)) or "incident_id",
                            "expected incident_id and columns of the incidents contract")
        by_id[row["incident_id"]] = row
    return by_id


def _supplement_value(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return value


# How a supplement's text becomes a JSON value of the contract, by the column's kind (others stay text).
_JSON_VALUE = {
    Kind.INTEGER: int,
    Kind.BOOLEAN: lambda text: str(text).lower() == "true",
    Kind.COUNTRY_LIST: lambda text: text.split(";"),
}


def _json_record(row: dict) -> dict:
    """A supplement-merged incident row as a JSON-lines record of the contract (integers, booleans, lists)."""
    record = {}
    for column in INCIDENTS.columns:
        value = row.get(column.name)
        convert = _JSON_VALUE.get(column.kind)
        record[column.name] = convert(value) if value is not None and convert else value
    return record


def import_statuspage(source: str, landing_dir: Path, profile: Profile, *, supplement: Path | None = None,
                      since: datetime | None = None, until: datetime | None = None, live: bool = False,
                      timeout: float = 10, retries: int = 3) -> dict[str, int]:
    """Map a Statuspage incidents feed (file, or https URL when `live`: fetched with `timeout` seconds per attempt
    and up to `retries` retries) into landing_dir/incidents/statuspage.jsonl and
    landing_dir/incident_impacts/statuspage.csv; with `since`/`until`, only incidents started in [since, until).
    Return the row counts. Each file is written under a temporary name in landing_dir, where no landing reader
    looks, and renamed into place."""
    if source.startswith(("http://", "https://")):
        if not live:
            raise ValueError(f"{source}: fetching a live feed needs --live")
        text = http.fetch(source, timeout=timeout, retries=retries).decode("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    extra = read_supplement(supplement) if supplement else {}
    incidents, impacts = [], []
    feed = read_feed(text, source)
    for incident in sorted(feed, key=lambda i: i.get("id") or ""):
        row, started = _incident_row(incident, source)
        if (since and started < since) or (until and started >= until):
            continue
        intervals = _impacts(incident, started, profile, source)
        row["category"] = _category(intervals)
        for column, value in (extra.get(row["incident_id"]) or {}).items():
            if value is not None:
                row[column] = _supplement_value(value)
        incidents.append(_json_record(row))
        impacts += [{"incident_id": row["incident_id"], "service": i.service, "impact": i.impact,
                     "started_at": _text(i.started_at), "ended_at": _text(i.ended_at)} for i in intervals]
    missing = sorted(set(extra) - {r["incident_id"] for r in incidents})
    if missing:
        raise FeedError(str(supplement), missing[0], "incident_id", "a supplement row for an incident not in the feed")
    columns = INCIDENT_IMPACTS.column_names
    write_atomic(landing_dir / INCIDENTS.name / "statuspage.jsonl", jsonl_text(incidents), scratch=landing_dir)
    write_atomic(landing_dir / INCIDENT_IMPACTS.name / "statuspage.csv",
                 csv_text(columns, ([row.get(c) for c in columns] for row in impacts)), scratch=landing_dir)
    return {"incidents": len(incidents), "incident_impacts": len(impacts)}

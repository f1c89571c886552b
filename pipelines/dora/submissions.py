"""The register of the DORA reports the entity submitted: one JSON line per report sent, appended by
`transparency dora submitted` and never rewritten. A submission starts the next stage's clock (deadlines.py).

The incident data may carry the same facts (incidents.initial_notified_at, …, as the entity's incident tool
recorded them); where both know a stage, the register wins, and `transparency dora status` says which it used.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.dora.deadlines import STAGES
from pipelines.timestamps import iso_utc

# a stage may be submitted once the report it follows is (a stage's clock runs from that report)
FOLLOWS = {"intermediate": "initial", "updated_intermediate": "intermediate", "final": "intermediate"}


class SubmissionError(ValueError):
    """A submission that cannot be recorded: what is wrong, in words."""


@dataclass(frozen=True)
class Submission:
    incident: str
    authority: str  # the competent authority's short name (the profile's regulators.short_name)
    stage: str
    submitted_at: str  # ISO 8601 UTC
    reference: str | None  # the authority's reference of the incident (ITS field 3.1), once it gave one
    recorded_at: str

    @property
    def at(self) -> datetime:
        return datetime.fromisoformat(self.submitted_at)


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with its offset (Z or ±hh:mm), as UTC; a time without one is refused, not guessed."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SubmissionError(f"--at {text!r}: expected an ISO 8601 time with its offset, e.g. "
                              "2026-10-06T13:10Z") from None
    if moment.tzinfo is None:
        raise SubmissionError(f"--at {text!r} has no offset: write it in UTC (…Z) or with its offset (…+02:00)")
    return moment.astimezone(UTC)


def read(register: Path) -> list[Submission]:
    """Every submission recorded, in the order recorded; a line that is not one names the file and line."""
    if not register.is_file():
        return []
    found = []
    for number, line in enumerate(register.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            found.append(Submission(**json.loads(line)))
        except (ValueError, TypeError) as error:
            raise SubmissionError(f"{register}, line {number}: not a submission record ({error})") from error
    return found


def of_incident(submissions: list[Submission], incident: str, authority: str) -> list[Submission]:
    """The submissions of an incident's reports to an authority, in the order recorded."""
    return [s for s in submissions if (s.incident, s.authority) == (incident, authority)]


def submitted(register: Path, incident: str, authority: str) -> dict[str, datetime]:
    """Stage → submission time of an incident's reports to an authority, as recorded."""
    return {s.stage: s.at for s in of_incident(read(register), incident, authority)}


def record(register: Path, incident: str, authority: str, stage: str, at: datetime, reference: str | None,
           now: datetime) -> Submission:
    """Append a submission, after checking it: a known stage, not in the future, not recorded before, the report
    it follows already submitted and not after it."""
    if stage not in STAGES:
        raise SubmissionError(f"--stage {stage!r}: expected one of {', '.join(STAGES)}")
    if at > now:
        raise SubmissionError(f"--at {iso_utc(at)} is in the future (now {iso_utc(now)})")
    earlier = submitted(register, incident, authority)
    if stage in earlier:
        raise SubmissionError(f"{incident}: the {stage.replace('_', ' ')} report to {authority} was recorded as "
                              f"submitted at {iso_utc(earlier[stage])}; a later one is an updated_intermediate or "
                              "final report")
    follows = FOLLOWS.get(stage)
    if follows and follows not in earlier:
        raise SubmissionError(f"{incident}: no {follows.replace('_', ' ')} report to {authority} is recorded yet; "
                              f"record it before the {stage.replace('_', ' ')} report")
    if follows and at < earlier[follows]:
        raise SubmissionError(f"{incident}: --at {iso_utc(at)} is before the {follows.replace('_', ' ')} report "
                              f"it follows ({iso_utc(earlier[follows])})")
    submission = Submission(incident, authority, stage, iso_utc(at), reference, iso_utc(now))
    register.parent.mkdir(parents=True, exist_ok=True)
    # one line appended and flushed to disk: the register only grows
    with register.open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(submission), sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return submission

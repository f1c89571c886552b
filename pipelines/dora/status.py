"""Where each major incident's DORA reports stand: every stage's deadline, and whether it was sent, is due, is
overdue or waits for the report it runs from (`transparency dora status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from pipelines.dora.deadlines import Calendar, Deadline, deadlines
from pipelines.profile import Classification

# the incident data's own record of what was sent, by stage (incidents.*_notified_at / *_reported_at)
DATA_COLUMNS = {"initial": "initial_notified_at", "intermediate": "intermediate_reported_at",
                "final": "final_reported_at"}


def major_incidents(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every incident classified major in a built month, as the latest such month's register has it."""
    relation = con.sql("""
        SELECT incident_id, title, detected_at, classified_at, resolved_at, initial_notified_at,
               intermediate_reported_at, final_reported_at
        FROM marts.incident_register WHERE is_major
        QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY period DESC) = 1
        ORDER BY detected_at, incident_id""")
    return [dict(zip(relation.columns, row)) for row in relation.fetchall()]


@dataclass(frozen=True)
class StageStatus:
    deadline: Deadline
    state: str  # sent, not_required, waiting, due, overdue
    sent_at: datetime | None = None
    source: str | None = None  # where the submission is known from: "register" or "incident data"

    @property
    def late(self) -> bool:
        return bool(self.sent_at and self.deadline.due_at and self.sent_at > self.deadline.due_at)


def incident_status(incident: dict, registered: dict[str, datetime], rules: Classification, calendar: Calendar,
                    now: datetime) -> list[StageStatus]:
    """Each stage of one incident to one authority; `registered` is the register's submissions of it."""
    sent = {stage: (at, "incident data") for stage, column in DATA_COLUMNS.items()
            if (at := incident[column]) is not None}
    sent |= {stage: (at, "register") for stage, at in registered.items()}
    found = []
    for deadline in deadlines(incident["detected_at"], incident["classified_at"], incident["resolved_at"],
                              {stage: at for stage, (at, _) in sent.items()}, rules, calendar):
        if deadline.stage in sent:
            at, source = sent[deadline.stage]
            found.append(StageStatus(deadline, "sent", at, source))
        elif not deadline.required:
            found.append(StageStatus(deadline, "not_required"))
        elif deadline.due_at is None:
            found.append(StageStatus(deadline, "waiting"))
        else:
            found.append(StageStatus(deadline, "overdue" if deadline.due_at <= now else "due"))
    return found

"""Where each major incident's DORA reports stand: every stage's deadline, and whether it was sent, is due, is
overdue or waits for the report it runs from (`transparency dora status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from pipelines.dora.deadlines import DATA_COLUMNS, REPORT_NAMES, Calendar, Deadline, deadlines
from pipelines.profile import Classification


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


def at_risk(stages: list[StageStatus], now: datetime, within: timedelta) -> list[StageStatus]:
    """The reports not sent whose deadline is past or comes within `within`: those to notify a delay for."""
    return [s for s in stages if s.state in ("due", "overdue") and s.deadline.due_at - now <= within]


def delay_notice(entity: str, lei: str, authority: str, incident: dict, stage: StageStatus,
                 reference: str | None) -> str:
    """A draft of the notice that a report will be late (RTS 2025/301 Art. 5: to be sent before the deadline,
    with the reasons), for the operator to complete and send."""
    report = REPORT_NAMES[stage.deadline.stage]
    lines = [
        f"To: {authority}",
        f"Subject: Expected delay of the {report} on major ICT-related incident {incident['incident_id']}"
        + (f" (your reference {reference})" if reference else ""),
        "",
        f"{entity} (LEI {lei}) expects to submit the {report} on the major ICT-related incident "
        f"{incident['incident_id']}, \"{incident['title']}\", after its deadline of "
        f"{stage.deadline.due_at.strftime('%Y-%m-%d %H:%M UTC')} ({stage.deadline.basis}; Commission Delegated "
        "Regulation (EU) 2025/301, Article 5).",
        "",
        "Reasons for the delay: [to be completed]",
        "Expected submission: [date and time, UTC]",
        "Contact: [name, e-mail, telephone]",
        "",
    ]
    return "\n".join(lines)

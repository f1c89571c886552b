"""When each DORA report of a major incident is due (RTS 2025/301 Art. 5), from the incident's times and what
was submitted so far.

* Initial notification: within 4 h of classification as major, and no later than 24 h after the entity became aware
  (detected_at); classified more than 24 h after awareness, within 4 h of classification.
* Intermediate report: within 72 h of submitting the initial notification (unknown until it is submitted).
* Updated intermediate report: without undue delay when regular activities are recovered; due only when recovery
  (resolved_at) comes after the intermediate report was submitted (otherwise that report states it). "Without
  undue delay" is the profile's `updated_intermediate_hours_after_recovery` (24 h unless it says otherwise).
* Final report: one month after the latest intermediate report submitted (the updated one if any).
* A deadline on a Saturday, Sunday or public holiday of the authority's Member State moves to 12:00 (the
  authority's time) of the next working day, for the stages where the relief applies (the profile's
  `weekend_relief`).

The hour counts are the profile's `[classification]` figures (the regulation's by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

from pipelines.profile import Classification, DoraReporting

STAGES = ("initial", "intermediate", "updated_intermediate", "final")
# the incident data's own record of what was sent, by stage (incidents.*_notified_at / *_reported_at)
DATA_COLUMNS = {"initial": "initial_notified_at", "intermediate": "intermediate_reported_at",
                "final": "final_reported_at"}
REPORT_NAMES = {"initial": "initial notification", "intermediate": "intermediate report",
                "updated_intermediate": "updated intermediate report", "final": "final report"}
# the weekend relief is granted per report: an updated intermediate report is an intermediate report
RELIEF_OF = {"initial": "initial", "intermediate": "intermediate", "updated_intermediate": "intermediate",
             "final": "final"}
NOON = time(12)


@dataclass(frozen=True)
class Calendar:
    """An authority's working days: its time zone, its Member State's public holidays, the stages with the relief."""

    timezone: ZoneInfo
    public_holidays: holidays.HolidayBase
    relief: frozenset[str]

    @classmethod
    def of(cls, reporting: DoraReporting) -> Calendar:
        country, _, subdivision = reporting.holiday_calendar.partition("-")
        return cls(ZoneInfo(reporting.timezone), holidays.country_holidays(country, subdiv=subdivision or None),
                   frozenset(reporting.weekend_relief))

    def working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.public_holidays

    def shift(self, due: datetime, stage: str) -> datetime:
        """`due`, or 12:00 of the next working day where it falls on a day off and the stage has the relief."""
        local = due.astimezone(self.timezone)
        if RELIEF_OF[stage] not in self.relief or self.working_day(local.date()):
            return due
        day = local.date() + timedelta(days=1)
        while not self.working_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, NOON, self.timezone).astimezone(UTC)


@dataclass(frozen=True)
class Deadline:
    stage: str
    due_at: datetime | None  # None: not known yet (the report it runs from is not submitted) or not required
    basis: str  # how the deadline was worked out, in words
    required: bool = True
    unshifted_at: datetime | None = None  # before the weekend and holiday relief, when it moved the deadline

    @property
    def shifted(self) -> bool:
        return self.unshifted_at is not None and self.unshifted_at != self.due_at


def _hours(value: int) -> str:
    return f"{value} h"


def deadlines(detected_at: datetime, classified_at: datetime, resolved_at: datetime | None,
              submitted: dict[str, datetime], rules: Classification, calendar: Calendar) -> list[Deadline]:
    """Every stage's deadline; `submitted` holds each stage's submission time so far (stage → UTC time)."""
    after_classification = timedelta(hours=rules.initial_notification_hours_after_classification)
    after_detection = timedelta(hours=rules.initial_notification_hours_after_detection)
    if classified_at - detected_at > after_detection:
        initial = classified_at + after_classification
        initial_basis = (f"{_hours(rules.initial_notification_hours_after_classification)} after classification "
                         f"(classified more than {_hours(rules.initial_notification_hours_after_detection)} after "
                         "detection)")
    else:
        initial = min(classified_at + after_classification, detected_at + after_detection)
        initial_basis = (f"{_hours(rules.initial_notification_hours_after_classification)} after classification, at "
                         f"the latest {_hours(rules.initial_notification_hours_after_detection)} after detection")
    found = [("initial", initial, initial_basis, True)]

    intermediate_hours = rules.intermediate_report_hours_after_initial
    sent_initial = submitted.get("initial")
    found.append(("intermediate", sent_initial and sent_initial + timedelta(hours=intermediate_hours),
                  f"{_hours(intermediate_hours)} after the initial notification was submitted", True))

    sent_intermediate = submitted.get("intermediate")
    recovery_hours = rules.updated_intermediate_hours_after_recovery
    update_needed = bool(resolved_at and sent_intermediate and resolved_at > sent_intermediate)
    found.append(("updated_intermediate",
                  resolved_at + timedelta(hours=recovery_hours) if update_needed else None,
                  f"{_hours(recovery_hours)} after regular activities were recovered, when that came after the "
                  "intermediate report", update_needed or "updated_intermediate" in submitted))

    latest = submitted.get("updated_intermediate") or sent_intermediate
    months = rules.final_report_months_after_intermediate
    found.append(("final", latest and latest + relativedelta(months=months),
                  f"{months} month{'s' if months != 1 else ''} after the latest intermediate report was submitted",
                  True))
    return [Deadline(stage, due and calendar.shift(due, stage), basis, required, due)
            for stage, due, basis, required in found]


def no_relief() -> Calendar:
    """The calendar of a profile with no competent authority for DORA reports: every day counts, nothing moves."""
    return Calendar(ZoneInfo("UTC"), holidays.HolidayBase(), frozenset())


# The steps of the monthly notification timeliness (marts.notification_deadlines), in order.
STEPS = {"initial": ("initial_notification", 1), "intermediate": ("intermediate_report", 2),
         "final": ("final_report", 3)}


def timeliness(incident: dict, period_end: datetime, rules: Classification, calendar: Calendar) -> list[dict]:
    """The initial, intermediate and final reports of a major incident as the month's timeliness judges them at
    `period_end`, from what the incident data says was sent (`initial_notified_at`, `intermediate_reported_at`,
    `final_reported_at`): on_time, late, missing (due before the period end, not sent) or not_yet_due, with the
    minutes overdue. A report not sent is counted from its deadline: the next report's clock runs from the missed
    one's deadline. (The incident data records no updated intermediate report: `transparency dora status` follows
    it from the register.)"""
    sent = {stage: incident[column] for stage, column in DATA_COLUMNS.items()}
    clocks: dict[str, datetime] = {}
    found = []
    for stage, (step, position) in STEPS.items():
        deadline = next(d for d in deadlines(incident["detected_at"], incident["classified_at"], None, clocks, rules,
                                             calendar) if d.stage == stage)
        due, done = deadline.due_at, sent[stage]
        clocks[stage] = done or due
        if done is not None:
            status, overdue = ("on_time", None) if done <= due else ("late", done - due)
        elif due < period_end:
            status, overdue = "missing", period_end - due
        else:
            status, overdue = "not_yet_due", None
        found.append({"step": step, "position": position, "due_at": due, "done_at": done, "status": status,
                      "minutes_overdue": None if overdue is None else _minutes(overdue)})
    return found


def _minutes(span: timedelta) -> Decimal:
    """A span in minutes to 4 decimals, exactly (from its microseconds)."""
    return (Decimal(span // timedelta(microseconds=1)) / 60_000_000).quantize(Decimal("0.0001"), ROUND_HALF_UP)

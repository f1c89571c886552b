"""DORA report deadlines (RTS 2025/301 Art. 5) on hand-made incidents; every expected time is worked out here by
hand, in UTC (Luxembourg is UTC+2 until 25 October 2026, UTC+1 after)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pipelines.dora.deadlines import Calendar, deadlines, timeliness
from pipelines.dora.status import at_risk, delay_notice, incident_status
from pipelines.profile import Classification, DoraReporting

RULES = Classification()  # the regulation's hours: 4 h / 24 h, 72 h, 1 month; 24 h for an update
ALL = ("initial", "intermediate", "final")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def calendar(relief=ALL, holidays="LU") -> Calendar:
    return Calendar.of(DoraReporting(channel="portal", timezone="Europe/Luxembourg", holiday_calendar=holidays,
                                     weekend_relief=relief))


def due(stage: str, detected: str, classified: str, resolved: str | None = None, relief=ALL, **submitted: str):
    found = {d.stage: d for d in deadlines(utc(detected), utc(classified), resolved and utc(resolved),
                                           {k: utc(v) for k, v in submitted.items()}, RULES, calendar(relief))}
    return found[stage]


def test_initial_within_four_hours_of_classification():
    # Tuesday: detected 08:00, classified 10:00 → 14:00 (before the 24 h from detection)
    assert due("initial", "2026-10-06 08:00", "2026-10-06 10:00").due_at == utc("2026-10-06 14:00")


def test_initial_at_the_latest_24_hours_after_detection():
    # classified 22 h after detection: 4 h later would be 26 h after it, so 24 h after detection wins
    assert due("initial", "2026-10-06 08:00", "2026-10-07 06:00").due_at == utc("2026-10-07 08:00")


def test_initial_classified_more_than_24_hours_after_detection():
    # classified 49 h after detection (a late classification): 4 h after classification
    found = due("initial", "2026-10-06 08:00", "2026-10-08 09:00")
    assert found.due_at == utc("2026-10-08 13:00") and "more than 24 h after detection" in found.basis


def test_intermediate_runs_from_the_initial_submission():
    assert due("intermediate", "2026-10-06 08:00", "2026-10-06 10:00").due_at is None  # not submitted yet
    # initial submitted Tuesday 13:10 → Friday 13:10 (72 h), not from the initial's deadline
    found = due("intermediate", "2026-10-06 08:00", "2026-10-06 10:00", initial="2026-10-06 13:10")
    assert found.due_at == utc("2026-10-09 13:10")


def test_updated_intermediate_when_activities_recover_after_the_intermediate():
    times = dict(detected="2026-10-06 08:00", classified="2026-10-06 10:00")
    sent = dict(initial="2026-10-06 13:10", intermediate="2026-10-09 13:10")
    # recovered before the intermediate report: that report says so, no update is required
    early = due("updated_intermediate", **times, resolved="2026-10-08 12:00", **sent)
    assert (early.required, early.due_at) == (False, None)
    # recovered Saturday 03:00 → due Sunday 03:00 → Monday 12 October 12:00 Luxembourg = 10:00 UTC
    late = due("updated_intermediate", **times, resolved="2026-10-10 03:00", **sent)
    assert late.required and late.due_at == utc("2026-10-12 10:00") and late.unshifted_at == utc("2026-10-11 03:00")


def test_final_runs_from_the_latest_intermediate_report():
    times = dict(detected="2026-10-06 08:00", classified="2026-10-06 10:00")
    assert due("final", **times, initial="2026-10-06 13:10").due_at is None
    assert due("final", **times, initial="2026-10-06 13:10", intermediate="2026-10-09 13:10").due_at == \
        utc("2026-11-09 13:10")  # a Monday
    # the updated intermediate report of Tuesday 13 October restarts the month: Friday 13 November
    assert due("final", **times, initial="2026-10-06 13:10", intermediate="2026-10-09 13:10",
               updated_intermediate="2026-10-13 09:30").due_at == utc("2026-11-13 09:30")


@pytest.mark.parametrize("relief, expected", [(ALL, "2026-10-12 10:00"), (("final",), "2026-10-10 11:00")])
def test_a_deadline_on_a_saturday(relief, expected):
    # detected Saturday 10 October 07:00, classified 07:00 → due 11:00 the same Saturday; with the relief, Monday
    # 12:00 in Luxembourg (UTC+2) = 10:00 UTC; without it (the authority withdrew it for the initial), as is
    assert due("initial", "2026-10-10 07:00", "2026-10-10 07:00", relief=relief).due_at == utc(expected)


def test_a_saturday_in_the_authoritys_time_zone():
    # due Friday 23:30 UTC, which is Saturday 00:30 in Luxembourg (UTC+1 in November): moved to Monday 12:00 = 11:00
    assert due("initial", "2026-11-06 19:30", "2026-11-06 19:30").due_at == utc("2026-11-09 11:00")


@pytest.mark.parametrize("relief, expected", [(ALL, "2026-12-28 11:00"), ((), "2026-12-25 10:00")])
def test_a_deadline_on_a_public_holiday(relief, expected):
    # due Christmas Day (Friday, a public holiday in Luxembourg) 10:00; the 26th (also a holiday) is a Saturday:
    # with the relief Monday 28 December 12:00 (UTC+1) = 11:00 UTC; without it, as is
    assert due("initial", "2026-12-25 06:00", "2026-12-25 06:00", relief=relief).due_at == utc(expected)


def test_a_national_holiday_on_a_weekday_moves_a_final_report_to_the_next_day():
    # the intermediate report of Saturday 23 May 10:00 makes the final due Tuesday 23 June 10:00, Luxembourg's
    # National Day: Wednesday 24 June 12:00 (UTC+2) = 10:00 UTC
    found = due("final", "2026-05-20 08:00", "2026-05-20 09:00", initial="2026-05-20 12:00",
                intermediate="2026-05-23 10:00")
    assert found.due_at == utc("2026-06-24 10:00") and found.shifted


def test_a_holiday_calendar_of_a_region():
    # 3 October (German Unity Day) is a holiday in Hesse, not in Luxembourg; a Saturday in 2026 anyway, so use
    # Corpus Christi, 4 June 2026 (Thursday): a holiday in Hesse, a working day in Luxembourg
    hesse, luxembourg = calendar(holidays="DE-HE"), calendar()
    day = datetime(2026, 6, 4).date()
    assert not hesse.working_day(day) and luxembourg.working_day(day)
    assert hesse.shift(utc("2026-06-04 09:00"), "initial") == utc("2026-06-05 10:00")


def incident(detected: str, classified: str, initial=None, intermediate=None, final=None) -> dict:
    return {"detected_at": utc(detected), "classified_at": utc(classified), "resolved_at": None,
            "initial_notified_at": initial and utc(initial),
            "intermediate_reported_at": intermediate and utc(intermediate), "final_reported_at": final and utc(final)}


def test_the_months_timeliness_counts_a_missed_report_from_its_deadline():
    # classified Tuesday 6 October 10:00: the initial is due 14:00 and never sent; the intermediate's 72 h then run
    # from 14:00 (Friday 9 October 14:00) and the final's month from that (Monday 9 November 14:00)
    rows = timeliness(incident("2026-10-06 08:00", "2026-10-06 10:00"), utc("2026-11-01 00:00"), RULES, calendar())
    assert [(r["step"], r["due_at"], r["status"]) for r in rows] == [
        ("initial_notification", utc("2026-10-06 14:00"), "missing"),
        ("intermediate_report", utc("2026-10-09 14:00"), "missing"),
        ("final_report", utc("2026-11-09 14:00"), "not_yet_due")]
    assert rows[0]["minutes_overdue"] == Decimal((utc("2026-11-01 00:00") - utc("2026-10-06 14:00")).days * 1440 + 600)


def test_the_months_timeliness_applies_the_late_classification_and_the_relief():
    # classified 49 h after detection: the initial is due 4 h after classification (not 24 h after detection,
    # which had passed before the incident was known to be major); sent 1 minute late
    late = incident("2026-10-06 08:00", "2026-10-08 09:00", initial="2026-10-08 13:01")
    rows = timeliness(late, utc("2026-11-01 00:00"), RULES, calendar())
    assert (rows[0]["due_at"], rows[0]["status"], rows[0]["minutes_overdue"]) == \
        (utc("2026-10-08 13:00"), "late", Decimal("1.0000"))
    # the intermediate's 72 h end on Sunday 11 October 13:01: Monday 12:00 in Luxembourg (10:00 UTC), met at 09:59
    assert rows[1]["due_at"] == utc("2026-10-12 10:00")
    sent = incident("2026-10-06 08:00", "2026-10-08 09:00", initial="2026-10-08 13:01",
                    intermediate="2026-10-12 09:59")
    assert timeliness(sent, utc("2026-11-01 00:00"), RULES, calendar())[1]["status"] == "on_time"


def test_a_delay_notice_is_drafted_for_a_report_at_risk():
    rows = {"incident_id": "INC-9", "title": "Trading halted", "detected_at": utc("2026-10-06 08:00"),
            "classified_at": utc("2026-10-06 10:00"), "resolved_at": None, "initial_notified_at": None,
            "intermediate_reported_at": None, "final_reported_at": None}
    # the initial notification is due 14:00: at 11:00 it is 3 h away (at risk within 4 h), at 09:00 5 h away
    stages = incident_status(rows, {}, RULES, calendar(), utc("2026-10-06 11:00"))
    assert [s.deadline.stage for s in at_risk(stages, utc("2026-10-06 11:00"), timedelta(hours=4))] == ["initial"]
    assert at_risk(incident_status(rows, {}, RULES, calendar(), utc("2026-10-06 09:00")), utc("2026-10-06 09:00"),
                   timedelta(hours=4)) == []
    notice = delay_notice("Northwind S.A.", "529900NORTHWINDEXC19", "CSSF", rows, stages[0], "R-7")
    assert "Expected delay of the initial notification on major ICT-related incident INC-9 (your reference R-7)" \
        in notice
    assert "after its deadline of 2026-10-06 14:00 UTC" in notice and "Reasons for the delay" in notice

"""The register of DORA reports submitted, and `transparency dora submitted` / `dora status` on the demo."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import holidays
import pytest
from demo_run import run

from pipelines.dora.submissions import SubmissionError, parse_time, read, record, submitted

NOW = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_times_need_their_offset():
    assert parse_time("2026-10-06T15:10+02:00") == at("2026-10-06 13:10")
    assert parse_time("2026-10-06T13:10Z") == at("2026-10-06 13:10")
    with pytest.raises(SubmissionError, match="has no offset"):
        parse_time("2026-10-06T13:10")
    with pytest.raises(SubmissionError, match="expected an ISO 8601 time"):
        parse_time("6 Oct 13:10")


def test_the_register_checks_each_submission_and_only_grows(tmp_path):
    register = tmp_path / "dora" / "submissions.jsonl"
    add = lambda stage, when: record(register, "INC-1", "CSSF", stage, at(when), None, NOW)  # noqa: E731
    with pytest.raises(SubmissionError, match="no initial report to CSSF is recorded yet"):
        add("intermediate", "2026-10-07 10:00")
    add("initial", "2026-10-06 13:10")
    with pytest.raises(SubmissionError, match="was recorded as submitted at 2026-10-06T13:10:00Z"):
        add("initial", "2026-10-06 14:00")
    with pytest.raises(SubmissionError, match="before the initial report it follows"):
        add("intermediate", "2026-10-06 12:00")
    with pytest.raises(SubmissionError, match="in the future"):
        add("intermediate", "2026-10-21 12:00")
    with pytest.raises(SubmissionError, match="--stage 'interim'"):
        add("interim", "2026-10-07 12:00")
    record(register, "INC-1", "CSSF", "intermediate", at("2026-10-09 09:00"), "CSSF-DORA-2026-0042", NOW)
    lines = register.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["reference"] == "CSSF-DORA-2026-0042"
    assert submitted(register, "INC-1", "CSSF") == {"initial": at("2026-10-06 13:10"),
                                                    "intermediate": at("2026-10-09 09:00")}
    assert submitted(register, "INC-1", "BaFin") == {}
    register.write_text(register.read_text() + "not json\n")
    with pytest.raises(SubmissionError, match=r"submissions.jsonl, line 3: not a submission record"):
        read(register)


@pytest.mark.xdist_group("demo")
def test_submitted_starts_the_next_clock_in_status(demo, tmp_path):
    """As an operator: record the initial notification of a demo major incident with the CLI, then read the
    intermediate report's deadline in `dora status`: 72 h after the time recorded (a working day, no shift)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo / "data" / "warehouse.duckdb", warehouse)
    env = {"TRANSPARENCY_WAREHOUSE": str(warehouse)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        major = con.sql("SELECT DISTINCT incident_id, classified_at FROM marts.incident_register WHERE is_major "
                        "ORDER BY 1").fetchall()
        minor = con.sql("SELECT incident_id FROM marts.incident_register WHERE NOT is_major LIMIT 1").fetchall()[0][0]
    refused = run(demo, "dora", "submitted", minor, "--stage", "initial", "--at", "2026-10-06T13:10Z", env=env)
    assert refused.returncode == 1 and "not a major incident" in refused.stderr
    # an incident whose initial notification, sent 30 min after classification, makes the intermediate report due
    # on a working day in Luxembourg (72 h later, no weekend or holiday relief to apply)
    luxembourg = holidays.country_holidays("LU")
    incident, sent_at = next((i, c + timedelta(minutes=30)) for i, c in major
                             if (c + timedelta(minutes=30, hours=72)).weekday() < 5
                             and (c + timedelta(minutes=30, hours=72)).date() not in luxembourg)
    sent = sent_at.astimezone(UTC).isoformat()
    done = run(demo, "dora", "submitted", incident, "--stage", "initial", "--at", sent, "--reference", "R-1",
               env=env)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "dora" / "submissions.jsonl").is_file()
    again = run(demo, "dora", "submitted", incident, "--stage", "initial", "--at", sent, env=env)
    assert again.returncode == 1 and "was recorded as submitted" in again.stderr
    status = run(demo, "dora", "status", "--at", (sent_at + timedelta(hours=1)).isoformat(), env=env)
    assert status.returncode == 0, status.stderr
    block = status.stdout.split(incident, 1)[1].split("\nINC-", 1)[0]
    initial, intermediate = (line for line in block.splitlines() if line.strip().startswith(("initial",
                                                                                              "intermediate ")))
    assert f"sent {sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC (register)" in initial
    expected = (sent_at + timedelta(hours=72)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"due {expected}" in intermediate  # from the time recorded, not from the incident data's
    # an incident whose initial notification the data does not record: an hour after its classification the
    # notification is due within 72 h (4 h, or the next working day's noon when that falls on a day off), so a
    # delay notice is drafted (with no reference: none was recorded)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        unsent, classified = con.sql("SELECT incident_id, classified_at FROM marts.incident_register WHERE is_major "
                                     "AND initial_notified_at IS NULL ORDER BY 1 LIMIT 1").fetchall()[0]
    notices = tmp_path / "notices"
    drafted = run(demo, "dora", "status", "--at", (classified + timedelta(hours=1)).isoformat(), "--delay-notices",
                  str(notices), "--within", "72", env=env)
    assert drafted.returncode == 0, drafted.stderr
    assert f"{unsent}-initial-delay.txt" in [p.name for p in notices.iterdir()]
    notice = (notices / f"{unsent}-initial-delay.txt").read_text()
    assert f"Expected delay of the initial notification on major ICT-related incident {unsent}\n" in notice

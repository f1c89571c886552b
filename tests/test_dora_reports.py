"""The DORA report files of the demo's major incidents: each validates against the JSON Schema kept in the project
and the ITS stage rules; removing a mandatory field names its number; the files are versioned, hashed and never
rewritten; the regulator report lists them; and the sensor drafts a newly landed major incident's initial
notification and e-mails the operator through a real SMTP server."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import jsonschema
import pytest
from demo_run import MONTHS, run
from smtp_server import PASSWORD, SmtpServer

from pipelines.contract import INCIDENT_DORA_DETAILS
from pipelines.defs.dora import dora_major_incidents, dora_report_job, incidents
from pipelines.defs.resources import make_resources
from pipelines.dora import drafts
from pipelines.dora.document import SCHEMA_FILE, build, schema_text, validate
from pipelines.dora.fields import FIELDS, Source
from pipelines.materialize import graph_assets, materialize
from pipelines.profile import DEMO_PROFILE, load_profile
from pipelines.warehouse import connect

pytestmark = pytest.mark.xdist_group("demo")
PASSWORD_ENV = "TEST_SMTP_PASSWORD"


def _facts(workdir: Path) -> dict[tuple[str, str], dict]:
    with connect(workdir / "data" / "warehouse.duckdb", read_only=True) as con:
        return {(period, incident): row for period in MONTHS for incident, row in drafts.facts(con, period).items()}


def _remove(document: dict, path: tuple) -> dict:
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return changed


def test_the_schema_file_is_the_field_table():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), "run: make schemas"


def test_every_demo_draft_validates_and_is_hashed_in_the_manifest(demo):
    dora_dir = demo / "reports" / "dora"
    entries = drafts.manifest(dora_dir)
    facts = _facts(demo)
    profile = load_profile()
    schema = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    assert {e["incident_id"] for e in entries} >= {i for (_, i), row in facts.items() if row["is_major"]}
    assert {e["stage"] for e in entries} >= {"initial", "intermediate", "final"}
    for entry in entries:
        content = (demo / "reports" / entry["json"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["json_sha256"]
        assert hashlib.sha256((demo / "reports" / entry["pdf"]).read_bytes()).hexdigest() == entry["pdf_sha256"]
        document = json.loads(content)
        assert list(schema.iter_errors(document)) == [], entry["json"]
        source = Source(facts[(entry["period"], entry["incident_id"])], profile, entry["stage"], None)
        assert validate(document, source) == [], entry["json"]
    # the operator's listing names each stage's latest draft
    status = run(demo, "dora", "status")
    assert status.returncode == 0, status.stderr
    latest = {(e["incident_id"], e["stage"]): e["json"] for e in entries if e["stage"] != "reclassified"}
    assert all(f"draft reports/{file}" in status.stdout for file in latest.values())


def test_the_demo_has_a_late_classified_cyber_incident_drafted(demo):
    facts = _facts(demo)
    cyber = [row for row in facts.values() if row["is_major"] and "cybersecurity_related" in row["incident_types"]]
    late = [row for row in cyber if (row["classified_at"] - row["detected_at"]).total_seconds() > 24 * 3600]
    assert late, "no cyber-related major incident classified more than 24 h after detection in the demo months"
    row = late[0]
    drafted = json.loads((demo / "reports" / "dora" / row["incident_id"] / "initial-v1.json").read_text())
    assert drafted["incident"]["classificationDateTime"].startswith(row["classified_at"].strftime("%Y-%m-%dT%H"))
    assert any(r["open_at_period_end"] for r in facts.values() if r["is_major"]), "no major incident still open"


@pytest.mark.parametrize("stage", ["initial", "intermediate", "final", "reclassified"])
def test_removing_each_mandatory_field_names_it(demo, stage):
    facts = _facts(demo)
    # the final report of an incident resolved with its root cause addressed, the others of the cyber incident
    row = next(r for r in facts.values() if r["is_major"] and (
        r["resolution_actions"] and r["root_cause_addressed_at"] if stage == "final"
        else "cybersecurity_related" in r["incident_types"]))
    source = Source({**row, "other_information": "Reassessed with complete figures: below the thresholds."},
                    load_profile(), stage, None)
    document = build(source)
    assert validate(document, source) == []
    mandatory = [f for f in FIELDS if f.rule(stage) == "Y"]
    assert mandatory
    for field in mandatory:
        errors = validate(_remove(document, field.path), source)
        assert field.number in {e.number for e in errors}, field.number
        assert any(e.number == field.number and "missing" in e.problem for e in errors), field.number


def test_a_root_cause_outside_its_category_is_refused(demo):
    row = next(r for r in _facts(demo).values() if r["is_major"] and r["root_cause_types"])
    source = Source({**row, "root_cause_types": ["external_event"], "root_cause_details": ["fraudulent_actions"]},
                    load_profile(), "final", None)
    assert [str(e) for e in validate(build(source), source) if e.number == "4.2"] == [
        "field 4.2 (Root-cause types: detailed): fraudulent_actions belongs to the high-level type malicious_actions, "
        "not given in 4.1"]


def test_a_rerun_with_the_same_data_writes_nothing(demo, tmp_path):
    copy_ = tmp_path / "demo"
    shutil.copytree(demo, copy_, symlinks=True)
    dora_dir = copy_ / "reports" / "dora"
    before = {p: p.read_bytes() for p in dora_dir.rglob("*") if p.is_file()}
    done = run(copy_, "run", "--period", MONTHS[-1])
    assert done.returncode == 0, done.stderr
    assert {p: p.read_bytes() for p in dora_dir.rglob("*") if p.is_file()} == before


def test_the_regulator_report_lists_the_drafts_with_their_hashes(demo, tmp_path):
    period = MONTHS[-1]
    with duckdb.connect(str(demo / "data" / "warehouse.duckdb"), read_only=True) as con:
        listed = con.execute("SELECT incident_id, stage, json_sha256 FROM marts.dora_reports WHERE period = ? "
                             "AND version IS NOT NULL ORDER BY ALL", [period]).fetchall()
    manifest = {(e["incident_id"], e["stage"], e["json_sha256"]) for e in drafts.manifest(demo / "reports" / "dora")}
    assert listed and set(listed) <= manifest
    pdf = demo / "reports" / period / "v1" / "regulator" / "report.pdf"
    listing = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    number = next(line.split(":")[0].strip() for line in listing.splitlines() if "dora_reports.csv" in line)
    subprocess.run(["pdfdetach", "-save", number, "-o", str(tmp_path / "dora_reports.csv"), str(pdf)], check=True)
    attached = list(csv.DictReader(io.StringIO((tmp_path / "dora_reports.csv").read_text())))
    assert sorted((r["incident_id"], r["stage"], r["json_sha256"]) for r in attached if r["version"]) == listed
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "DORA report files" in text and all(f"{i}" in text for i, _, _ in listed)


NEW_INCIDENT = {
    "incident_id": "INC-2026-0900", "title": "Unauthorised withdrawals from client accounts",
    "public_summary": "An attacker used stolen credentials to withdraw from client accounts.",
    "category": "security", "severity": "critical", "status": "investigating",
    "started_at": "2026-10-20T08:00:00Z", "detected_at": "2026-10-20T08:20:00Z",
    "classified_at": "2026-10-20T10:00:00Z", "resolved_at": None, "clients_affected": 2400,
    "transactions_affected": 3100, "value_affected": "1250000.00", "value_affected_currency": "USD",
    "member_states": ["LU", "DE"], "data_loss": True, "malicious_access": True, "reputational_impact": True,
    "economic_cost": "350000.00", "economic_cost_currency": "EUR", "root_cause_category": "cyber_attack",
    "root_cause_detail": "Phished operator credentials.", "internal_notes": None, "initial_notified_at": None,
    "intermediate_reported_at": None, "final_reported_at": None,
}


def test_the_sensor_drafts_a_newly_landed_major_incident_and_e_mails_the_deadline(demo, tmp_path, monkeypatch):
    workdir = tmp_path / "demo"
    shutil.copytree(demo, workdir, symlinks=True)
    landing = workdir / "data" / "landing"
    with (landing / "incidents.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(NEW_INCIDENT) + "\n")
    with (landing / "incident_impacts.csv").open("a", encoding="utf-8") as out:
        out.write("INC-2026-0900,withdrawals,major_outage,2026-10-20T08:00:00Z,\n")
    with (landing / "incident_dora_details.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(dict.fromkeys(INCIDENT_DORA_DETAILS.column_names) | {
                              "incident_id": "INC-2026-0900", "discovery": "clients", "bcp_activated": True,
                              "incident_types": ["cybersecurity_related"], "threats_techniques": ["identity_theft"],
                              "functional_areas": "Custody: outgoing transfers.", "infrastructure_affected": "yes",
                              "clients_financial_interests": "yes", "other_authorities": ["police_law_enforcement"],
                              "temporary_actions": True}) + "\n")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with SmtpServer(tmp_path / "tls") as smtp:
        profile = tmp_path / "profile.toml"
        profile.write_text(DEMO_PROFILE.read_text(encoding="utf-8") + "\n" + smtp.profile_section(PASSWORD_ENV))
        resources = make_resources(str(landing), str(workdir / "data" / "warehouse.duckdb"), str(profile),
                                   str(workdir / "reports"))
        instance = dg.DagsterInstance.ephemeral()
        # the incident lands and is staged and classified (not yet the month's drafts)
        staged = materialize(resources, "key:staging/* or key:marts/incident_classification or "
                             "key:marts/incident_register or key:marts/dora_incident_costs", MONTHS[-1],
                             instance=instance)
        assert staged.success

        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = dora_major_incidents(context)
        assert "INC-2026-0900" in result.dynamic_partitions_requests[0].partition_keys
        instance.add_dynamic_partitions(incidents.name, result.dynamic_partitions_requests[0].partition_keys)
        [request] = [r for r in result.run_requests if r.partition_key.keys_by_dimension["incident"] == "INC-2026-0900"]
        assert request.partition_key.keys_by_dimension["stage"] == "initial"

        job = dg.Definitions(assets=graph_assets(), jobs=[dora_report_job], resources=resources,
                             executor=dg.in_process_executor).resolve_job_def(dora_report_job.name)
        done = job.execute_in_process(instance=instance, partition_key=request.partition_key)
        assert done.success

        drafted = workdir / "reports" / "dora" / "INC-2026-0900" / "initial-v1.json"
        document = json.loads(drafted.read_text())
        assert document["incidentSubmission"] == "initial_notification"
        assert document["incident"]["classificationDateTime"] == "2026-10-20T10:00:00Z"
        assert (drafted.with_suffix(".pdf")).read_bytes().startswith(b"%PDF")
        [message] = smtp.mailbox.messages
        assert "INC-2026-0900" in message["Subject"] and "initial notification" in message["Subject"]
        # 4 h after classification, earlier than 24 h after detection
        assert "due 2026-10-20 14:00 UTC" in message["Subject"]
        assert "reports/dora/INC-2026-0900/initial-v1.json".removeprefix("reports/") in message.get_content()

        # the same data again: the same run key (Dagster runs it once), and a run of it writes nothing
        again = dora_major_incidents(dg.build_sensor_context(instance=instance, resources=resources))
        assert request.run_key in {r.run_key for r in again.run_requests}
        assert job.execute_in_process(instance=instance, partition_key=request.partition_key).success
        assert sorted(drafted.parent.iterdir()) == [drafted, drafted.with_suffix(".pdf")]
        assert len(smtp.mailbox.messages) == 1

"""Operators are told: a failed run and a failed blocking check each e-mail the profile's recipients through a real
SMTP server on localhost (STARTTLS, password from the environment), naming month, step, reason and run; a webhook
gets the same as JSON; a broken SMTP server is logged and hides nothing."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest
from landing_builder import valid_tables, write_landing
from smtp_server import PASSWORD, SmtpServer, free_port

from pipelines.alerts import Alert, notify
from pipelines.defs.alerts import publication_failure_alert
from pipelines.defs.resources import LandingResource, make_resources
from pipelines.materialize import materialize
from pipelines.profile import DEMO_PROFILE, load_profile

MAY = "2026-05-01"
PASSWORD_ENV = "TEST_SMTP_PASSWORD"


def _profile(tmp_path: Path, alerts: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(DEMO_PROFILE.read_text(encoding="utf-8") + "\n" + alerts, encoding="utf-8")
    return path


def _failed_run(tables: dict, tmp_path: Path, profile: Path) -> tuple[dg.DagsterInstance, dg.ExecuteInProcessResult]:
    landing = write_landing(tmp_path / "landing", tables)
    resources = make_resources(str(landing), str(tmp_path / "wh.duckdb"), str(profile), str(tmp_path / "reports"))
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(resources, period=MAY[:7], instance=instance)
    assert not result.success
    return instance, result


def _evaluate_sensor(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult, profile: Path) -> None:
    run = instance.get_run_by_id(result.run_id)
    [failure] = [r.dagster_event for r in instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)]
    context = dg.build_run_status_sensor_context(
        sensor_name="publication_failure_alert", dagster_instance=instance, dagster_run=run, dagster_event=failure,
        resources={"landing": LandingResource(path=str(Path()), profile_path=str(profile))},
    ).for_run_failure()
    publication_failure_alert(context)


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with SmtpServer(tmp_path / "tls") as server:
        yield server


def test_a_failed_blocking_check_is_e_mailed_with_month_step_and_reason(tmp_path, smtp):
    profile = _profile(tmp_path, smtp.profile_section(PASSWORD_ENV))
    tables = valid_tables()
    tables["insurance_fund_balances"][1]["balance"] = "100.49700000"  # the ledger no longer reconciles
    instance, result = _failed_run(tables, tmp_path, profile)

    _evaluate_sensor(instance, result, profile)

    [message] = smtp.mailbox.messages
    body = message.get_content()
    assert "2026-05" in message["Subject"] and "marts/insurance_fund_period" in message["Subject"]
    assert message["To"] == "operations@example.test"
    assert "Month:  2026-05" in body and f"Run:    {result.run_id}" in body
    assert "blocking check insurance_fund_reconciles on marts/insurance_fund_period failed (1 rows)" in body


def test_a_failed_run_is_e_mailed_with_the_contract_violation(tmp_path, smtp):
    profile = _profile(tmp_path, smtp.profile_section(PASSWORD_ENV))
    tables = valid_tables()
    tables["incidents"][0]["severity"] = "catastrophic"
    instance, result = _failed_run(tables, tmp_path, profile)

    _evaluate_sensor(instance, result, profile)

    [message] = smtp.mailbox.messages
    body = message.get_content()
    assert "stage_incidents" in message["Subject"]
    assert "field severity: expected one of: critical, major, minor; found 'catastrophic'" in body
    assert f"Run:    {result.run_id}" in body


def test_a_wrong_password_or_a_dead_server_is_logged_and_hides_no_failure(tmp_path, smtp, monkeypatch):
    alert = Alert("Entity", "2026-05", "monthly_publication", "run-1", "marts/x", "why")
    settings = load_profile(_profile(tmp_path, smtp.profile_section(PASSWORD_ENV))).alerts.model_copy(
        update={"timeout_seconds": 3})
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logging.getLogger("pipelines.alerts").addHandler(handler)
    try:
        [problem] = notify(alert, settings)
    finally:
        logging.getLogger("pipelines.alerts").removeHandler(handler)
    assert problem.startswith("e-mail: SMTP")  # refused (535), or cut off by the server
    assert logged and f"could not send the e-mail alert {alert.subject!r}" in logged[0]
    dead = settings.model_copy(update={"smtp_port": free_port()})
    [problem] = notify(alert, dead)
    assert problem.startswith("e-mail: ConnectionRefusedError")
    assert smtp.mailbox.messages == []

    # and through the sensor: it returns normally, the run stays failed
    profile = _profile(tmp_path, smtp.profile_section(PASSWORD_ENV).replace(str(smtp.port), str(free_port())))
    tables = valid_tables()
    tables["incidents"][0]["severity"] = "catastrophic"
    instance, result = _failed_run(tables, tmp_path / "run", profile)
    _evaluate_sensor(instance, result, profile)
    assert instance.get_run_by_id(result.run_id).status == dg.DagsterRunStatus.FAILURE


def test_the_webhook_gets_the_alert_as_json(tmp_path, smtp):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        section = smtp.profile_section(PASSWORD_ENV) + f'webhook_url = "http://127.0.0.1:{server.server_port}/hook"\n'
        settings = load_profile(_profile(tmp_path, section)).alerts
        alert = Alert("Entity", "2026-05", "monthly_publication", "run-1", "marts/x", "why")
        assert notify(alert, settings) == []
    finally:
        server.shutdown()
    [(content_type, payload)] = received
    assert content_type == "application/json"
    assert payload["period"] == "2026-05" and payload["step"] == "marts/x" and payload["run_id"] == "run-1"
    assert len(smtp.mailbox.messages) == 1

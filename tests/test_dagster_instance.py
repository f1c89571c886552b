"""The path operators take: a Dagster instance with the project's dagster.yaml, the webserver and the daemon as
processes. A backfill of two demo months launched through the webserver's GraphQL API (as the UI does) queues
two runs, executed one at a time with the job's own executor, that both succeed; the schedule's tick targets the
previous month and its run succeeds; a run that fails is e-mailed by the daemon's alert sensor."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from smtp_server import PASSWORD, SmtpServer, free_port

from pipelines.demo import generate_demo
from pipelines.profile import DEMO_PROFILE, load_profile

# The tests share one instance and run in order (the schedule's run re-publishes what the backfill published):
# on one worker.
pytestmark = pytest.mark.xdist_group("dagster_instance")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MONTHS = ["2026-09", "2026-10"]  # two runs: enough to show one waits for the other
JOB = "monthly_publication"
TIMEOUT = 600  # seconds for the whole backfill on a loaded 2-core machine


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql",
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def wait_for(what: str, condition, timeout: float = TIMEOUT, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Instance:
    """A temporary DAGSTER_HOME with the project's dagster.yaml, and the webserver and daemon running on it."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.home = root / "dagster_home"
        self.home.mkdir()
        shutil.copy(ROOT / "dagster.yaml", self.home / "dagster.yaml")
        self.env = {**env, "DAGSTER_HOME": str(self.home)}
        self.port = free_port()
        self.root = root
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Instance:
        # The storage is created first, as an operator's first `dagster instance migrate` does: the webserver and
        # the daemon started together on an empty home race to create it ("more than one head present").
        subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=self.root, env=self.env, check=True,
                       capture_output=True, timeout=180)
        target = ["-m", "pipelines.definitions"]
        for name, command in (("webserver", [BIN / "dagster-webserver", *target, "-h", "127.0.0.1", "-p",
                                             str(self.port)]),
                              ("daemon", [BIN / "dagster-daemon", "run", *target])):
            log = open(self.root / f"{name}.log", "wb")
            self.processes.append(subprocess.Popen([str(c) for c in command], cwd=self.root, env=self.env,
                                                   stdout=log, stderr=subprocess.STDOUT))
        wait_for("the webserver", self._location_loaded, timeout=180)
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def _location_loaded(self) -> str | None:
        try:
            data = graphql(self.port, "{ workspaceOrError { ... on Workspace { locationEntries { name "
                                      "locationOrLoadError { __typename } } } } }")
        except OSError:
            return None
        entries = data["workspaceOrError"]["locationEntries"]
        loaded = [e["name"] for e in entries if e["locationOrLoadError"]["__typename"] == "RepositoryLocation"]
        self.location = loaded[0] if loaded else None
        return self.location

    def repository(self) -> dict:
        return {"repositoryLocationName": self.location, "repositoryName": "__repository__"}

    def runs(self, tags: dict[str, str] | None = None) -> list[dict]:
        data = graphql(self.port, """query Runs($filter: RunsFilter) { runsOrError(filter: $filter) {
            ... on Runs { results { runId status startTime endTime tags { key value } } } } }""",
                       {"filter": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}})
        return data["runsOrError"]["results"]

    def launch_run(self, tags: dict[str, str]) -> str:
        data = graphql(self.port, """mutation Launch($p: ExecutionParams!) { launchRun(executionParams: $p) {
            __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
                       {"p": {"selector": {**self.repository(), "jobName": JOB}, "runConfigData": {},
                              "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}}})
        assert data["launchRun"]["__typename"] == "LaunchRunSuccess", data
        return data["launchRun"]["run"]["runId"]

    def failures(self, run_id: str) -> list[str]:
        """The run's failed steps with their errors, for an assertion's message."""
        data = graphql(self.port, """query Events($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
            events { ... on ExecutionStepFailureEvent { stepKey error { message } } } } } }""", {"id": run_id})
        return [f"{e['stepKey']}: {e['error']['message']}" for e in data["logsForRun"]["events"] if e]

    def wait_for_run(self, run_id: str) -> dict:
        def finished():
            [run] = [r for r in self.runs() if r["runId"] == run_id]
            return run if run["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None
        return wait_for(f"run {run_id}", finished)


@pytest.fixture(autouse=True)
def grouped_on_one_worker(request):
    """Fails loudly, not by a missing month, if pytest-xdist stops honouring the group (as under pytest 9.2)."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@dagster_instance"), f"{request.node.nodeid} is not grouped"


@pytest.fixture(scope="module")
def operated(tmp_path_factory):
    """Demo landing files for the months, an alerting profile, and the instance running."""
    root = tmp_path_factory.mktemp("operator")
    smtp = SmtpServer(root / "tls").__enter__()
    profile = root / "profile.toml"
    profile.write_text(DEMO_PROFILE.read_text(encoding="utf-8") + "\n" + smtp.profile_section("SMTP_PASSWORD"),
                       encoding="utf-8")
    generate_demo(root / "data" / "landing", MONTHS[0], len(MONTHS), 7, load_profile(profile))
    env = {**os.environ, "TRANSPARENCY_PROFILE": str(profile), "SMTP_PASSWORD": PASSWORD,
           "TRANSPARENCY_LANDING": str(root / "data" / "landing"),
           "TRANSPARENCY_WAREHOUSE": str(root / "data" / "warehouse.duckdb"),
           "TRANSPARENCY_REPORTS": str(root / "reports")}
    try:
        with Instance(root, env) as instance:
            yield root, instance, smtp
    finally:
        smtp.__exit__(None, None, None)


def test_a_backfill_of_months_from_the_webserver_runs_one_at_a_time_and_publishes_them(operated):
    root, instance, _ = operated
    started = time.monotonic()
    data = graphql(instance.port, """mutation Backfill($p: LaunchBackfillParams!) {
        launchPartitionBackfill(backfillParams: $p) { __typename ... on LaunchBackfillSuccess { backfillId }
                                                     ... on PythonError { message } } }""",
                   {"p": {"selector": {"partitionSetName": f"{JOB}_partition_set",
                                       "repositorySelector": instance.repository()},
                          "partitionNames": [f"{m}-01" for m in MONTHS]}})
    assert data["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess", data
    backfill = data["launchPartitionBackfill"]["backfillId"]

    def all_done():
        runs = instance.runs({"dagster/backfill": backfill})
        return runs if len(runs) == len(MONTHS) and all(r["status"] in ("SUCCESS", "FAILURE") for r in runs) else None

    runs = wait_for("the backfill's runs", all_done)
    print(f"backfill of {len(MONTHS)} months: {time.monotonic() - started:.0f} s")  # quoted in the closing note
    assert sorted(r["status"] for r in runs) == ["SUCCESS"] * len(MONTHS), (root / "daemon.log").read_text()[-3000:]
    # one at a time: no run started before the one before it ended
    spans = sorted((r["startTime"], r["endTime"]) for r in runs)
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:])), spans
    for month in MONTHS:
        assert (root / "reports" / month / "v1" / "manifest.json").is_file()
        assert not (root / "reports" / month / "v2").exists()
    with duckdb.connect(str(root / "reports" / "analytics.duckdb"), read_only=True) as con:
        periods = con.execute("SELECT DISTINCT period FROM period_metrics ORDER BY 1").fetchall()
    assert [p for (p,) in periods] == MONTHS


def test_the_schedule_tick_targets_the_previous_month_and_its_run_succeeds(operated):
    root, instance, _ = operated
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("monthly_publication_schedule")
    tick = schedule.evaluate_tick(dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, load_profile().publication_day, 6, tzinfo=UTC)))
    [request] = tick.run_requests
    assert request.partition_key == "2026-10-01"
    run_id = instance.launch_run({**request.tags, "dagster/partition": request.partition_key})
    assert instance.wait_for_run(run_id)["status"] == "SUCCESS", instance.failures(run_id)
    assert sorted(p.name for p in (root / "reports" / "2026-10").iterdir() if p.is_dir()) == ["v1"]  # unchanged


def test_a_failed_run_is_e_mailed_by_the_daemon(operated):
    root, instance, smtp = operated
    # November has no fund data or prices: the completeness check blocks it
    run_id = instance.launch_run({"dagster/partition": "2026-11-01"})
    assert instance.wait_for_run(run_id)["status"] == "FAILURE"
    wait_for("the alert e-mail", lambda: [m for m in smtp.mailbox.messages if run_id in m.get_content()],
             timeout=180)
    [message] = [m for m in smtp.mailbox.messages if run_id in m.get_content()]
    assert "2026-11" in message["Subject"]
    assert "blocking check insurance_fund_complete" in message.get_content()
    assert not (root / "reports" / "2026-11").exists() or not any((root / "reports" / "2026-11").glob("v*"))

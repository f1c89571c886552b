"""Month over month does not depend on the order months are built in: the previous month's values come from the
same data, and what it reads of the month before (its incident register) is a declared dependency that the CLI
builds when missing and that a Dagster run refuses to guess."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.defs.resources import make_resources
from pipelines.demo import generate_demo
from pipelines.materialize import materialize
from pipelines.profile import load_profile

TRANSPARENCY = Path(sys.executable).parent / "transparency"
MONTHS = ["2026-09", "2026-10"]


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRANSPARENCY_", "DAGSTER_HOME"))}
    done = subprocess.run([str(TRANSPARENCY), *args], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def figures(workdir: Path) -> list[tuple]:
    with duckdb.connect(str(workdir / "data" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT period, metric, value, previous_value, change, change_pct "
                           "FROM marts.period_metrics_mom ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("landing")
    generate_demo(landing, MONTHS[0], len(MONTHS), 11, load_profile())
    return landing


def test_oldest_first_and_newest_first_give_the_same_figures(landing, tmp_path):
    built = {}
    # Oldest first as a Dagster run builds the marts, month by month; newest first through the CLI, which builds
    # the month before's incident register for it.
    oldest = tmp_path / "oldest-first"
    resources = make_resources(str(landing), str(oldest / "data" / "warehouse.duckdb"), "", str(oldest / "reports"))
    for month in MONTHS:
        assert materialize(resources, "key:staging/* or key:marts/*", month).success
    built["oldest-first"] = figures(oldest)
    newest = tmp_path / "newest-first"
    shutil.copytree(landing, newest / "data" / "landing")
    outputs = [cli(newest, "run", "--period", month).stdout for month in MONTHS[::-1]]
    assert f"{MONTHS[0]}: building the incident register that {MONTHS[1]} compares with" in outputs[0]
    built["newest-first"] = figures(newest)
    assert built["oldest-first"] == built["newest-first"]
    previous = {metric: value for period, metric, _, value, _, _ in built["oldest-first"] if period == MONTHS[1]}
    current = {metric: value for period, metric, value, _, _, _ in built["oldest-first"] if period == MONTHS[0]}
    assert previous == current  # October's "previous" is September's figures
    assert previous["incidents_major"] is not None and previous["incidents_started"] > 0


def test_a_dagster_run_of_a_month_whose_previous_register_is_missing_says_which_to_build(landing, tmp_path):
    resources = make_resources(str(landing), str(tmp_path / "wh.duckdb"), "", str(tmp_path / "reports"))
    result = materialize(resources, "key:staging/* or key:marts/*", MONTHS[1])
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "marts__period_metrics_mom"
    assert (f"month over month needs the incident register of {MONTHS[0]}, which has incidents but has not been "
            f"built; build {MONTHS[0]} first") in failure.step_failure_data.user_failure_data.description


def test_the_dependency_on_the_month_before_is_declared():
    graph = defs.resolve_asset_graph()
    mom = dg.AssetKey(["marts", "period_metrics_mom"])
    register = dg.AssetKey(["marts", "incident_register"])
    mapping = graph.get(mom).partition_mappings[register]
    upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
        graph.get(mom).partitions_def.subset_with_partition_keys(["2026-10-01"]), graph.get(mom).partitions_def,
        graph.get(register).partitions_def).partitions_subset.get_partition_keys()
    assert sorted(upstream) == ["2026-09-01"]  # the month's own register it reads through its period_metrics
    assert dg.AssetKey(["marts", "period_metrics"]) in graph.get(mom).parent_keys

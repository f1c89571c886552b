"""Benchmark: one exchange-scale month through the pipeline, beside a DuckDB floor and a pandas peer.

    .venv/bin/python benchmarks/scale.py [--scale 1.0] [--runs 3] [--workdir DIR] [--history 0|24]

Generates the data once into the work folder (`transparency demo --scale`'s generator; reused when present), then
times what the user waits for: `transparency run --period P` as a process of its own, from an empty warehouse and
reports, `--runs` times. Beside it, for each of `--runs` runs, in a child process and a fresh warehouse, it times
the pipeline's stages: validate+ingest
(`key:staging/*`), marts (`key:marts/*` for the month), both reports (`key:reports/*`) and publication
(`key:publishing/period_publication`), and reads the child's peak resident memory (DuckDB's native memory
included: it lives in the same process). Then, in child processes too, the two references of
`benchmarks/references.py` on the same files: the floor (one DuckDB statement over the Parquet files) and the peer
(pandas). Prints the medians, the ratios pipeline-marts/floor and pandas/pipeline, and checks that the references
agree with each other and with the pipeline's marts.

With `--history N`, N earlier months are generated as well and staged (and their marts built) once into a
warehouse that each run starts from a copy of; the same month is then run on top of that history, and compared
with the month run alone (no history, its own data set).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSPARENCY = Path(sys.executable).parent / "transparency"
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

STAGES = {  # name → (selection, partitioned)
    "validate+ingest": ("key:staging/*", False),
    "marts": ("key:marts/*", True),
    "reports": ("key:reports/*", True),
    "publication": ("key:publishing/period_publication", True),
}
DEFAULT_PERIOD = "2026-05"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # Dagster's log: warnings and errors only
SEED = 7


# --- Measuring a child process ---------------------------------------------------------------------------------


def _peak_kib() -> int:
    """This process's peak resident set (VmHWM) in KiB, from /proc; 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: echo 5 > /proc/self/clear_refs), so each stage's peak is its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def run_child(kind: str, args: dict, log: Path) -> dict:
    """Run `scale.py --child KIND` in a fresh process; return its JSON result plus its peak RSS (wait4)."""
    out = log.with_suffix(".json")
    out.unlink(missing_ok=True)
    env = dict(os.environ, **args.pop("env", {}))
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, json.dumps({**args, "out": str(out)})]
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                   cwd=args.get("cwd") or None)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not out.exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"{kind} run failed (exit {process.returncode}); end of {log}:\n{tail}")
    result = json.loads(out.read_text())
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux: KiB
    return result


def child_pipeline(args: dict) -> dict:
    """The pipeline's four stages for one month, in this process, timed one by one."""
    started = time.perf_counter()
    import dagster as dg

    from pipelines.defs.resources import make_resources
    from pipelines.materialize import materialize

    resources = make_resources(args["landing"], args["warehouse"], "", args["reports"])
    instance = dg.DagsterInstance.ephemeral()
    startup = time.perf_counter() - started
    timings, peaks = {}, {}
    per_stage_peaks = _reset_peak()
    for stage, (selection, partitioned) in STAGES.items():
        started = time.perf_counter()
        result = materialize(resources, selection, args["period"] if partitioned else None, instance=instance,
                             run_config=QUIET)
        timings[stage] = time.perf_counter() - started
        peaks[stage] = _peak_kib() / 1024
        if per_stage_peaks:
            _reset_peak()
        failed_checks = [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in result.get_asset_check_evaluations()
                         if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
        if not result.success or failed_checks:
            failures = [f"{e.step_key}: {e.step_failure_data.error.message if e.step_failure_data.error else ''}"
                        for e in result.all_events if e.is_step_failure]
            raise SystemExit(f"{stage} failed: {failures or ''} blocking checks failed: {failed_checks}")
    return {"timings": timings, "stage_peak_mib": peaks if per_stage_peaks else {}, "startup": startup}


def child_reference(args: dict, which: str) -> dict:
    import references

    started = time.perf_counter()
    function = references.floor if which == "floor" else references.pandas_reference
    result = function(Path(args["landing"]), args["period"])
    seconds = time.perf_counter() - started
    if args.get("result"):
        Path(args["result"]).write_bytes(pickle.dumps(result))
    return {"timings": {which: seconds}}


def child_prefill(args: dict) -> dict:
    """Stage the history months' landing files and build their marts, into the prefill warehouse."""
    import dagster as dg

    from pipelines.defs.resources import make_resources
    from pipelines.materialize import materialize

    resources = make_resources(args["landing"], args["warehouse"], "", args["reports"])
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    selections = [("key:staging/*", None)] + [("key:marts/*", p) for p in args["periods"]]
    for selection, partition in selections:
        result = materialize(resources, selection, partition, instance=instance, run_config=QUIET)
        if not result.success:
            raise SystemExit(f"prefill {selection} {partition or ''} failed")
        print(f"prefill {selection} {partition or ''}: {time.perf_counter() - started:.0f} s", flush=True)
    return {"timings": {"prefill": time.perf_counter() - started}}


def child_generate(args: dict) -> dict:
    from pipelines.demo import generate_large
    from pipelines.profile import load_profile

    started = time.perf_counter()
    counts = generate_large(Path(args["landing"]), args["first_month"], args["months"], args["scale"], args["seed"],
                            load_profile())
    return {"timings": {"generate": time.perf_counter() - started}, "counts": counts}


def child_main(kind: str, payload: str) -> None:
    args = json.loads(payload)
    if kind == "pipeline":
        result = child_pipeline(args)
    elif kind in ("floor", "pandas"):
        result = child_reference(args, kind)
    elif kind == "prefill":
        result = child_prefill(args)
    elif kind == "generate":
        result = child_generate(args)
    else:
        raise SystemExit(f"unknown child {kind}")
    result["self_peak_mib"] = _peak_kib() / 1024
    Path(args["out"]).write_text(json.dumps(result))


# --- Data sets -------------------------------------------------------------------------------------------------


def shift(period: str, months: int) -> str:
    year, month = map(int, period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class DataSet:
    """Generated landing data for `period` and `history` months before it, kept in the work folder."""

    def __init__(self, workdir: Path, scale: float, period: str, history: int, seed: int):
        self.scale, self.period, self.history, self.seed = scale, period, history, seed
        self.first_month = shift(period, -history)
        self.dir = workdir / f"scale-{scale:g}-seed{seed}-{self.first_month}-{period}"
        self.landing = self.dir / "landing"
        self.marker = self.dir / "generated.json"

    @property
    def periods(self) -> list[str]:
        return [shift(self.first_month, i) for i in range(self.history + 1)]

    def ensure(self) -> dict:
        if self.marker.exists():
            info = json.loads(self.marker.read_text())
            print(f"Reusing {self.landing} (generated in {info['seconds']:.1f} s, peak {info['peak_rss_mib']:.0f} MiB)")
            return info
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        print(f"Generating {self.history + 1} month(s) at scale {self.scale:g} into {self.landing} ...", flush=True)
        result = run_child("generate", {"landing": str(self.landing), "first_month": self.first_month,
                                        "months": self.history + 1, "scale": self.scale, "seed": self.seed},
                           self.dir / "generate.log")
        info = {"seconds": result["timings"]["generate"], "peak_rss_mib": result["peak_rss_mib"],
                "counts": result["counts"], "month_rows": self.month_rows(),
                "bytes": sum(p.stat().st_size for p in self.landing.rglob("*.parquet"))}
        self.marker.write_text(json.dumps(info, indent=2))
        print(f"  generated in {info['seconds']:.1f} s, peak {info['peak_rss_mib']:.0f} MiB")
        return info

    def month_rows(self) -> dict[str, int]:
        """Rows of the measured month's files, per table."""
        import pyarrow.parquet as pq

        return {table.name: pq.read_metadata(table_dir / f"{self.period}.parquet").num_rows
                for table in _tables() if (table_dir := self.landing / table.name).is_dir()}

    def history_landing(self) -> Path:
        """A landing folder holding the history months' files (symlinks), and the measured month's prices: the
        files are written as seen at the end of the measured month, so a claim of the last history month may have
        been decided in the measured month, and its decision must be priced. The measured run then adds the
        month's incidents, claims, payouts and fund files."""
        folder = self.dir / "landing-history"
        if not folder.exists():
            for table_dir in self.landing.iterdir():
                (folder / table_dir.name).mkdir(parents=True)
                for file in table_dir.iterdir():
                    if file.stem != self.period or table_dir.name == "prices":
                        (folder / table_dir.name / file.name).symlink_to(file)
        return folder

    def prefill(self) -> Path | None:
        """The warehouse holding the staged history (and its months' marts), built once."""
        if not self.history:
            return None
        warehouse = self.dir / "prefill" / "warehouse.duckdb"
        done = self.dir / "prefill" / "done.json"
        if done.exists():
            return warehouse
        shutil.rmtree(warehouse.parent, ignore_errors=True)
        warehouse.parent.mkdir(parents=True)
        print(f"Pre-filling {warehouse} with {self.history} months of history (staging and marts) ...", flush=True)
        result = run_child("prefill", {"landing": str(self.history_landing()), "warehouse": str(warehouse),
                                       "reports": str(warehouse.parent / "reports"), "periods": self.periods[:-1],
                                       "env": {"TRANSPARENCY_FIRST_MONTH": self.first_month}},
                           warehouse.parent / "prefill.log")
        done.write_text(json.dumps(result))
        print(f"  pre-filled in {result['timings']['prefill']:.0f} s")
        return warehouse


def _tables():
    from pipelines.contract import TABLES

    return TABLES


# --- Runs ------------------------------------------------------------------------------------------------------


def _fresh_run(data: DataSet, name: str) -> tuple[Path, Path]:
    """An empty run folder with its warehouse: empty, or a copy of the history's."""
    run_dir = data.dir / name
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "data").mkdir(parents=True)
    warehouse = run_dir / "data" / "warehouse.duckdb"
    prefill = data.prefill()
    if prefill is not None:
        shutil.copy2(prefill, warehouse)
        # Flushed now: else the run's first checkpoint (its fsync) pays for writing the whole copy to disk.
        with warehouse.open("rb+") as handle:
            os.fsync(handle.fileno())
    return run_dir, warehouse


def command_runs(data: DataSet, runs: int, keys_home: Path) -> list[dict]:
    """`transparency run --period P` as a user types it, a process of its own from an empty warehouse and reports
    (or the history's copy): its wall time, start-up, snapshot and archive included, and the peak RSS of its
    largest process (wait4: the command's, or a report renderer's it waited for)."""
    results = []
    for number in range(1, runs + 1):
        run_dir, warehouse = _fresh_run(data, f"command-{number}")
        command = [str(TRANSPARENCY), "--landing", str(data.landing), "--warehouse", str(warehouse),
                   "--reports", str(run_dir / "reports"), "run", "--period", data.period]
        env = dict(os.environ, TRANSPARENCY_FIRST_MONTH=data.first_month)
        log = run_dir / "command.log"
        started = time.perf_counter()
        with log.open("w") as handle:
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=keys_home)
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"  command run {number} FAILED; see {log}", file=sys.stderr, flush=True)
            continue
        results.append({"timings": {"command": seconds}, "peak_rss_mib": usage.ru_maxrss / 1024})
        print(f"  command run {number}: {seconds:.1f} s, peak {usage.ru_maxrss / 1024:.0f} MiB", flush=True)
    if not results:
        raise SystemExit("every command run failed; see the logs above")
    return results


def pipeline_runs(data: DataSet, runs: int, keys_home: Path) -> list[dict]:
    results = []
    for number in range(1, runs + 1):
        run_dir, warehouse = _fresh_run(data, f"run-{number}")
        # The signing keys are made once (outside the timings) in keys_home, the children's working folder.
        try:
            result = run_child("pipeline", {
                "landing": str(data.landing), "warehouse": str(warehouse), "reports": str(run_dir / "reports"),
                "period": data.period, "cwd": str(keys_home),
                "env": {"TRANSPARENCY_FIRST_MONTH": data.first_month},
            }, run_dir / "pipeline.log")
        except RuntimeError as exc:  # reported, and left out of the medians
            print(f"  pipeline run {number} FAILED: {exc}", file=sys.stderr, flush=True)
            continue
        result["timings"]["total"] = sum(result["timings"][s] for s in STAGES)
        # Resetting the per-stage peaks also resets what wait4 reports: the run's peak is the largest of all.
        result["peak_rss_mib"] = max([result["peak_rss_mib"], result["self_peak_mib"],
                                      *result["stage_peak_mib"].values()])
        result["warehouse"] = str(warehouse)
        results.append(result)
        print(f"  pipeline run {number}: " + ", ".join(f"{k} {v:.1f} s" for k, v in result["timings"].items())
              + f", peak {result['peak_rss_mib']:.0f} MiB", flush=True)
    if not results:
        raise SystemExit("every pipeline run failed; see the logs above")
    return results


def reference_runs(data: DataSet, which: str, runs: int) -> list[dict]:
    results = []
    for number in range(1, runs + 1):
        log = data.dir / f"{which}-{number}.log"
        result = run_child(which, {"landing": str(data.landing), "period": data.period,
                                   "result": str(data.dir / f"{which}.pickle") if number == 1 else ""}, log)
        results.append(result)
        print(f"  {which} run {number}: {result['timings'][which]:.1f} s, peak {result['peak_rss_mib']:.0f} MiB",
              flush=True)
    return results


def cross_check(data: DataSet, warehouse: str, have_pandas: bool) -> list[str]:
    """The references against each other and the floor against the pipeline's marts; problems found."""
    import references

    floor_result = pickle.loads((data.dir / "floor.pickle").read_bytes())
    figures = references.summary(floor_result)
    lines = [f"figures: fund closing ${figures['fund_closing_usd']:,.2f} on {figures['fund_assets']} fund/assets, "
             f"compensation paid ${figures['compensation_paid_usd']:,.2f}, "
             f"{figures['claims_decided']:,} claims decided"]
    if have_pandas:
        problems = references.compare(floor_result, pickle.loads((data.dir / "pandas.pickle").read_bytes()))
        lines.append("floor = pandas (to the cent): " + ("yes" if not problems else f"NO: {problems[:5]}"))
    try:
        problems = references.compare_with_marts(floor_result, warehouse, data.period)
        lines.append("floor = pipeline marts: " + ("yes" if not problems else f"NO: {problems[:5]}"))
    except Exception as exc:  # the marts' layout may change; say so rather than fail the benchmark
        lines.append(f"floor = pipeline marts: not checked ({type(exc).__name__}: {exc})")
    return lines


def median(results: list[dict], key: str) -> float:
    return statistics.median(r["timings"][key] for r in results)


def report(title: str, data: DataSet, info: dict, command: list[dict], pipeline: list[dict], floor: list[dict],
           peer: list[dict], checks: list[str]) -> dict:
    values = [r["timings"]["command"] for r in command]
    rows = [("transparency run (process)", statistics.median(values), min(values), max(values),
             max(r["peak_rss_mib"] for r in command))]
    for stage in [*STAGES, "total"]:
        values = [r["timings"][stage] for r in pipeline]
        peak = max((r["stage_peak_mib"].get(stage, 0) for r in pipeline), default=0) if stage != "total" else max(
            r["peak_rss_mib"] for r in pipeline)
        rows.append((f"pipeline: {stage}", statistics.median(values), min(values), max(values), peak))
    for name, results in (("floor (1 DuckDB query)", floor), ("pandas", peer)):
        if results:
            key = next(iter(results[0]["timings"]))
            values = [r["timings"][key] for r in results]
            rows.append((name, statistics.median(values), min(values), max(values),
                         max(r["peak_rss_mib"] for r in results)))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rows_month = info["month_rows"]
    print()
    print(title)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.machine()}, {os.cpu_count()} cores, {mem:.1f} GiB · "
          f"Python {platform.python_version()} · period {data.period} · scale {data.scale:g} · "
          f"{len(pipeline)} runs (median)")
    print("month's data: " + ", ".join(f"{k} {v:,}" for k, v in rows_month.items()))
    print(f"landing: {info['bytes'] / 2**20:,.0f} MiB of Parquet for {data.history + 1} month(s); generated in "
          f"{info['seconds']:.1f} s, peak {info['peak_rss_mib']:,.0f} MiB")
    print(f"{'step':<28} {'median s':>9} {'min s':>8} {'max s':>8} {'peak MiB':>9}")
    for name, med, lo, hi, peak in rows:
        print(f"{name:<28} {med:>9.2f} {lo:>8.2f} {hi:>8.2f} {peak:>9,.0f}")
    marts = median(pipeline, "marts")
    total = median(pipeline, "total")
    summary = {"command": median(command, "command"), "total": total, "marts": marts,
               "peak_mib": max(r["peak_rss_mib"] for r in command + pipeline)}
    print(f"transparency run / sum of the stages: {summary['command'] / total:.2f}× (the rest: start-up, the "
          "snapshot, the archive, Dagster's run set-up)")
    if floor:
        floor_s = median(floor, "floor")
        summary["floor"] = floor_s
        print(f"pipeline marts / floor: {marts / floor_s:.2f}×   (pipeline total / floor: {total / floor_s:.2f}×)")
    if peer:
        pandas_s = median(peer, "pandas")
        summary["pandas"] = pandas_s
        print(f"pandas / pipeline marts: {pandas_s / marts:.2f}×   (pandas / pipeline total: {pandas_s / total:.2f}×)")
    startup = statistics.median(r["startup"] for r in pipeline)
    print(f"(not in the total: importing the definitions in each run's process, {startup:.1f} s)")
    for line in checks:
        print(line)
    return summary


def benchmark(data: DataSet, runs: int, keys_home: Path, skip_pandas: bool, title: str) -> dict:
    info = data.ensure()
    history = f" on {data.history} months of history" if data.history else ""
    print(f"transparency run, {runs} runs{history}", flush=True)
    command = command_runs(data, runs, keys_home)
    print(f"Pipeline stages in one process, {runs} runs{history}", flush=True)
    pipeline = pipeline_runs(data, runs, keys_home)
    print("References", flush=True)
    floor = reference_runs(data, "floor", runs)
    peer = [] if skip_pandas else reference_runs(data, "pandas", runs)
    checks = cross_check(data, pipeline[-1]["warehouse"], not skip_pandas)
    return report(title, data, info, command, pipeline, floor, peer, checks)


def main() -> None:
    if len(sys.argv) >= 2 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 30 M fund movements a month (default)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="kept between invocations to reuse the data")
    parser.add_argument("--history", type=int, default=0, help="months of history in the warehouse (e.g. 24)")
    parser.add_argument("--period", default=DEFAULT_PERIOD, help="the month measured, YYYY-MM")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the (slow) pandas peer")
    args = parser.parse_args()
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="bench-scale-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    keys_home = workdir / "home"
    keys_home.mkdir(exist_ok=True)
    _make_signing_keys(keys_home)

    alone = DataSet(workdir, args.scale, args.period, 0, args.seed)
    baseline = benchmark(alone, args.runs, keys_home, args.skip_pandas,
                         f"Scale benchmark: one month at scale {args.scale:g}, no history")
    if args.history:
        with_history = DataSet(workdir, args.scale, args.period, args.history, args.seed)
        result = benchmark(with_history, args.runs, keys_home, args.skip_pandas,
                           f"Scale benchmark: the same month on {args.history} months of history")
        print()
        print(f"history cost: transparency run {result['command']:.1f} s with {args.history} months vs "
              f"{baseline['command']:.1f} s without = {result['command'] / baseline['command']:.2f}×; stages "
              f"{result['total'] / baseline['total']:.2f}× (marts {result['marts'] / baseline['marts']:.2f}×)")


def _make_signing_keys(home: Path) -> None:
    """The demo profile's self-signed signing pair, made once in the children's working folder."""
    cwd = Path.cwd()
    try:
        os.chdir(home)
        from pipelines.profile import load_profile
        from pipelines.signing import signing_key

        signing_key(load_profile())
    finally:
        os.chdir(cwd)


if __name__ == "__main__":
    main()

"""Benchmark: rendering one demo month's reports (median of N runs), printed as a table.

    .venv/bin/python benchmarks/render_reports.py [--runs 5] [--workdir DIR]

Builds the demo (6 months, seed 7) once in a work folder, then times loading the report data from the warehouse,
rendering the public PDF, and rendering the regulator PDF/A-3 with its attachments, for the last month.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.reports.data import load_report_data
from pipelines.reports.render import regulator_attachments, render_html, write_pdf
from pipelines.warehouse import connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-render-"))
    warehouse = workdir / "data" / "warehouse.duckdb"
    if not warehouse.exists():
        subprocess.run([Path(sys.executable).parent / "transparency", "demo", "--end-month", "2026-10"],
                       cwd=workdir, check=True, capture_output=True)
    period = "2026-10"
    timings: dict[str, list[float]] = {"load data": [], "public PDF": [], "regulator PDF/A-3": [], "both PDFs": []}
    for _ in range(args.runs):
        started = time.perf_counter()
        with connect(warehouse) as con:
            data = load_report_data(con, period)
        timings["load data"].append(time.perf_counter() - started)
        started = time.perf_counter()
        write_pdf(render_html("public.html", data, 1, "public-print"), workdir / "public.pdf", stamp=data.end)
        public = time.perf_counter() - started
        started = time.perf_counter()
        write_pdf(render_html("regulator.html", data, 1, "regulator"), workdir / "regulator.pdf", stamp=data.end,
                  archival=True,
                  attachments=regulator_attachments(data))
        regulator = time.perf_counter() - started
        timings["public PDF"].append(public)
        timings["regulator PDF/A-3"].append(regulator)
        timings["both PDFs"].append(public + regulator)
    print(f"Report rendering, {period} of the demo, median of {args.runs} runs "
          f"({platform.processor() or platform.machine()}, Python {platform.python_version()})")
    print(f"{'step':<20} {'median s':>9} {'min s':>7} {'max s':>7}")
    for step, values in timings.items():
        print(f"{step:<20} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}")


if __name__ == "__main__":
    main()

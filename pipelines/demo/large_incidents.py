"""The exchange-scale month's incidents: arrivals spread uniformly over the month, plus a trading halt and a wave
of erroneous liquidations on each crash day and one incident still open at the window's end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.arrow_columns import rows_to_arrays
from pipelines.demo.incident_plans import Plan, crash_plans, still_open_plan
from pipelines.demo.incidents import draw_incidents
from pipelines.demo.parquet_months import MonthFiles
from pipelines.demo.window import Window, month_label
from pipelines.profile import Profile

INCIDENTS_PER_MONTH = 1_000  # at scale 1.0


@dataclass
class MonthIncidents:
    """What claims need to know about a month's incidents, as parallel arrays."""

    month: int  # YYYYMM: incident k (from 0) of the month is INC-<month>-<k + 1, 5 digits>
    ids: list[str]
    category: list[str]
    started: np.ndarray
    detected: np.ndarray
    resolved: np.ndarray  # -1 while open
    clients: np.ndarray
    derivatives: np.ndarray  # bool


def month_incidents(files: MonthFiles, rng: np.random.Generator, window: Window, start: int, end: int,
                    scale: float, crashes: list[int], profile: Profile) -> MonthIncidents:
    """Draw and write the incidents starting in `[start, end)` and their impacts."""
    count = max(3, round(INCIDENTS_PER_MONTH * scale))
    plans = [Plan(started=int(t)) for t in np.sort(rng.integers(start, end, count))]
    for crash in (t for t in crashes if start <= t < end):
        plans += crash_plans(rng, crash, profile)
    if end == window.end:
        plans.append(still_open_plan(rng, end, profile))
    plans.sort(key=lambda p: p.started)
    month = int(month_label(start).replace("-", ""))
    ids = [f"INC-{month}-{number:05d}" for number in range(1, len(plans) + 1)]
    incidents, impacts, facts = draw_incidents(rng, plans, ids, window, profile)
    files.write("incidents", rows_to_arrays("incidents", incidents))
    files.write("incident_impacts", rows_to_arrays("incident_impacts", impacts))
    return MonthIncidents(
        month=month,
        ids=[f.incident_id for f in facts],
        category=[f.category for f in facts],
        started=np.array([f.started for f in facts], dtype=np.int64),
        detected=np.array([f.detected for f in facts], dtype=np.int64),
        resolved=np.array([-1 if f.resolved is None else f.resolved for f in facts], dtype=np.int64),
        clients=np.array([f.clients_affected for f in facts], dtype=float),
        derivatives=np.array([f.derivatives for f in facts], dtype=bool),
    )

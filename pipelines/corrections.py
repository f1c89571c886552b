"""The corrections log as the reports show it: each changed figure with its label and unit, and whether the public
report must withhold its values because they describe fewer than k users before or after."""

from __future__ import annotations

from decimal import Decimal

from pipelines.publication import FIGURES, read_figures, version_dir
from pipelines.reports.data import ReportData, Row


def _small(value: str | None, k: int) -> bool:
    return value is not None and 0 < Decimal(value) < k


def _difference(before: str | None, after: str | None) -> str | None:
    if before is None or after is None:
        return None
    return str(abs(Decimal(after) - Decimal(before)))


def annotate(data: ReportData, entries: list[dict], reports_dir, current: dict[str, str | None]) -> list[Row]:
    """`entries` (from publication.corrections) with labels, units, decimals, and the public small-cell flag."""
    definitions = {d["metric"]: d for d in data.metric_definitions}
    k = data.entity["small_cell_k"]

    def metrics_of(version: int) -> dict[str, str | None]:
        folder = version_dir(reports_dir, data.period, version)
        return read_figures(folder)["metrics"] if (folder / FIGURES).exists() else current

    rows = []
    for entry in entries:
        definition = definitions.get(entry["metric"], {})
        governing = definition.get("small_cell") or ""
        before, after = metrics_of(entry["version"] - 1), metrics_of(entry["version"])
        rows.append({
            **entry,
            "label": definition.get("label", entry["metric"]),
            "unit": definition.get("unit"),
            "public": definition.get("public") == "yes",
            # withheld when the users it is about are fewer than k before or after, or when the change in their
            # number is: comparing the versions would tell what those few were paid
            "withheld": bool(governing) and (_small(before.get(governing), k) or _small(after.get(governing), k)
                                             or _small(_difference(before.get(governing), after.get(governing)), k)),
            "old": None if entry["old"] is None else Decimal(entry["old"]),
            "new": None if entry["new"] is None else Decimal(entry["new"]),
        })
    return rows

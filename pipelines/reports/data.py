"""The data of one period's reports, read from the warehouse by the queries in `sql/reports/`.

Public tables come only from the `public_*` queries: each is an allow-list of public columns with small cells
already withheld, and the same rows feed the page, the PDF and the CSV/JSON downloads. The `regulator_*` queries
hold everything, for the confidential report and its attachments. The public allow-list of definitions and
corrections (metric_definitions.public) is applied here too, so that the public template prints what it is given.
`profile_thresholds` holds the profile's thresholds the regulator report states in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pipelines.marts import query
from pipelines.periods import previous_month, window
from pipelines.sql import SQL_DIR, SqlFile

Row = dict[str, object]
# Read whole besides the queries: the entity profile's tables the reports print from.
PROFILE_TABLES = ("entity", "regulators", "funds", "metric_definitions")


def report_queries(prefix: str) -> list[str]:
    return sorted(p.stem for p in (SQL_DIR / "reports").glob(f"{prefix}_*.sql"))


def _rows(con: duckdb.DuckDBPyConnection, name: str, period: str) -> list[Row]:
    return _table(con, name, period)[0]


def _table(con: duckdb.DuckDBPyConnection, name: str, period: str) -> tuple[list[Row], list[tuple[str, str]]]:
    """The rows of a report query and its columns with their DuckDB types (also when it has no rows)."""
    relation = query(con, SqlFile("reports", name), period)  # over the period's window, intermediates built
    return _records(relation), [(column, str(kind)) for column, kind in zip(relation.columns, relation.types)]


def _records(relation: duckdb.DuckDBPyRelation) -> list[Row]:
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, row)) for row in relation.fetchall()]


@dataclass
class ReportData:
    period: str
    previous_period: str
    start: datetime
    end: datetime
    entity: Row
    regulators: list[Row]
    funds: list[Row]
    metric_definitions: list[Row]
    public_definitions: list[Row]  # those the public report defines: metric_definitions.public = 'yes'
    thresholds: Row  # profile_thresholds.sql
    public: dict[str, list[Row]]  # query name without prefix -> rows
    public_columns: dict[str, list[tuple[str, str]]]  # query name without prefix -> (column, DuckDB type)
    regulator: dict[str, list[Row]]
    # Figures changed by restatements, oldest first: version, metric, label, unit, old, new, reason, and whether
    # the public report must withhold the values (a small cell before or after).
    corrections: list[Row] = field(default_factory=list)
    # The month's compensation root (pipelines/receipts.py), as public/data/compensation_root.json publishes it.
    compensation_root: dict | None = None

    @property
    def headline(self) -> dict[str, Row]:
        return {row["metric"]: row for row in self.public["headline"]}

    @property
    def metrics(self) -> dict[str, Row]:
        return {row["metric"]: row for row in self.regulator["metrics"]}

    @property
    def public_corrections(self) -> list[Row]:
        """The corrections of public figures (annotate's `public`), those the public report may list."""
        return [c for c in self.corrections if c["public"]]


def load_report_data(con: duckdb.DuckDBPyConnection, period: str) -> ReportData:
    start, end = window(period)

    profile = {name: _records(con.sql(f"SELECT * FROM staging.{name}")) for name in PROFILE_TABLES}
    definitions = sorted(profile["metric_definitions"], key=lambda r: r["metric"])
    public = {q.removeprefix("public_"): _table(con, q, period) for q in report_queries("public")}
    return ReportData(
        period=period,
        previous_period=previous_month(period),
        start=start,
        end=end,
        entity=profile["entity"][0],
        regulators=profile["regulators"],
        funds=profile["funds"],
        metric_definitions=definitions,
        public_definitions=[d for d in definitions if d["public"] == "yes"],
        thresholds=_rows(con, "profile_thresholds", period)[0],
        public={name: rows for name, (rows, _) in public.items()},
        public_columns={name: columns for name, (_, columns) in public.items()},
        regulator={q.removeprefix("regulator_"): _rows(con, q, period) for q in report_queries("regulator")},
    )

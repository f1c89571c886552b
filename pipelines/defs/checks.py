"""Which marts are checked by which SQL checks (`sql/checks/`), and how a check runs as a Dagster asset check.

ERROR checks are blocking: a failure stops everything downstream of the mart, so the month is not published.
"""

from dataclasses import dataclass

import dagster as dg
import duckdb

from pipelines.checks import record_check, run_check
from pipelines.sql import SqlFile

MAX_FAILURES_SHOWN = 25


@dataclass(frozen=True)
class Check:
    """`sql/checks/<name>.sql` selects one row per failure."""

    name: str
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR

    def spec(self, key: dg.AssetKey) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=key, blocking=self.severity == dg.AssetCheckSeverity.ERROR,
                                 description=SqlFile("checks", self.name).description)

    def run(self, con: duckdb.DuckDBPyConnection, key: dg.AssetKey, period: str) -> dg.AssetCheckResult:
        columns, failures = run_check(con, self.name)
        record_check(con, period, key.to_user_string(), self.name, self.severity.value, len(failures),
                     SqlFile("checks", self.name).description)
        shown = [dict(zip(columns, map(str, row))) for row in failures[:MAX_FAILURES_SHOWN]]
        return dg.AssetCheckResult(
            asset_key=key,
            check_name=self.name,
            passed=not failures,
            severity=self.severity,
            metadata={"failures": len(failures), "examples": dg.MetadataValue.json(shown)},
        )


WARN = dg.AssetCheckSeverity.WARN

# mart name -> the checks run after it is built
CHECKS: dict[str, tuple[Check, ...]] = {
    "compensation_payouts": (Check("insurance_fund_payouts_match_movements"), Check("payouts_within_approved", WARN)),
    "insurance_fund_period": (
        Check("insurance_fund_reconciles"),
        Check("insurance_fund_complete"),
        Check("insurance_fund_daily_drop", WARN),
        Check("insurance_fund_without_ledger", WARN),
    ),
}

"""Publication gates: a failed blocking check stops everything downstream; a warning does not."""

from pathlib import Path

import dagster as dg
from landing_builder import valid_tables, write_landing

from pipelines.defs.resources import make_resources
from pipelines.materialize import materialize

MAY = "2026-05"
# What a failed blocking check must stop: every reader of the checked marts, up to publication.
PUBLISHING = ("reports__period_reports", "publishing__period_publication", "publishing__analytics_snapshot")


def _run(tables: dict, tmp_path: Path) -> dg.ExecuteInProcessResult:
    landing = write_landing(tmp_path / "landing", tables)
    resources = make_resources(str(landing), str(tmp_path / "wh.duckdb"), "", str(tmp_path / "reports"))
    return materialize(resources, period=MAY)


def _blocked(result: dg.ExecuteInProcessResult) -> bool:
    return not set(PUBLISHING) & _started(result)


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def _started(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def test_every_check_passes_on_the_valid_set(tmp_path):
    result = _run(valid_tables(), tmp_path)
    assert result.success
    assert _checks(result) == {
        "insurance_fund_payouts_match_movements": True,
        "payouts_within_approved": True,
        "insurance_fund_reconciles": True,
        "insurance_fund_complete": True,
        "insurance_fund_daily_drop": True,
        "insurance_fund_without_ledger": True,
        "compensation_root_matches_period_metrics": True,
    }
    assert (tmp_path / "reports" / "analytics.duckdb").exists()


def test_reconciliation_break_stops_the_run_at_the_blocking_check(tmp_path):
    tables = valid_tables()
    # The mid-month snapshot disagrees with the ledger by 0.001 BTC.
    tables["insurance_fund_balances"][1]["balance"] = "100.49700000"
    result = _run(tables, tmp_path)

    assert _checks(result)["insurance_fund_reconciles"] is False
    failed = next(e for e in result.get_asset_check_evaluations() if e.check_name == "insurance_fund_reconciles")
    assert failed.metadata["failures"].value == 1
    assert "-0.001" in str(failed.metadata["examples"].value)
    started = _started(result)
    assert "marts__insurance_fund_period" in started
    # The metrics do not read the mart: they run, and are published nowhere.
    assert _blocked(result)
    assert not (tmp_path / "reports" / "analytics.duckdb").exists()


def test_insurance_fund_payout_without_fund_movement_blocks(tmp_path):
    tables = valid_tables()
    tables["insurance_fund_movements"] = tables["insurance_fund_movements"][:1]
    tables["insurance_fund_balances"][1]["balance"] = "100.50000000"  # keep the fund itself reconciled
    result = _run(tables, tmp_path)

    assert _checks(result)["insurance_fund_payouts_match_movements"] is False
    assert _blocked(result)


def test_missing_price_day_fails_completeness(tmp_path):
    tables = valid_tables()
    tables["prices"] = [p for p in tables["prices"] if not (p["asset"] == "BTC" and p["date"] == "2026-05-20")]
    result = _run(tables, tmp_path)

    assert _checks(result)["insurance_fund_complete"] is False
    assert _blocked(result)


def test_overpayment_is_a_warning_that_does_not_block(tmp_path):
    tables = valid_tables()
    tables["compensation_payouts"][0]["amount"] = "0.00700000"  # 0.007 + 0.004 > 0.01 approved
    result = _run(tables, tmp_path)

    assert _checks(result)["payouts_within_approved"] is False
    assert result.success
    assert "publishing__analytics_snapshot" in _started(result)


def test_a_fund_asset_first_held_later_does_not_block_earlier_months(tmp_path):
    tables = valid_tables()
    tables["prices"].append({"asset": "USDC", "date": "2026-06-10", "close_usd": "0.9999"})
    tables["insurance_fund_balances"].append(
        {"fund_id": "usdm-perp", "asset": "USDC", "as_of": "2026-06-10T00:00:00Z", "balance": "5000000.000000"}
    )
    result = _run(tables, tmp_path)

    assert result.success
    assert all(_checks(result).values())
    from pipelines.warehouse import connect

    with connect(tmp_path / "wh.duckdb", read_only=True) as con:
        assets = con.execute("SELECT DISTINCT asset FROM marts.insurance_fund_period "
                             "WHERE period = '2026-05'").fetchall()
    assert assets == [("BTC",)]


def test_a_fund_known_only_from_snapshots_is_a_warning_not_a_block(tmp_path):
    tables = valid_tables()
    tables["prices"] += [{"asset": "USDC", "date": p["date"], "close_usd": "0.9999"}
                         for p in tables["prices"] if p["asset"] == "BTC"]
    tables["insurance_fund_balances"] += [
        {"fund_id": "usdm-perp", "asset": "USDC", "as_of": "2026-04-30T00:00:00Z", "balance": "1000.000000"},
        {"fund_id": "usdm-perp", "asset": "USDC", "as_of": "2026-05-20T00:00:00Z", "balance": "1250.000000"},
    ]
    result = _run(tables, tmp_path)

    checks = _checks(result)
    assert checks["insurance_fund_without_ledger"] is False and checks["insurance_fund_reconciles"] is True
    assert result.success

"""The demo's landing files (`transparency demo`): one file per contract table, a realistic crypto exchange's
months at a size that reads well in the reports. Everything is drawn from one seeded `numpy` generator, so the
same arguments always give byte-identical files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from pipelines.demo.assets import ASSETS
from pipelines.demo.compensation import draw_claims, draw_payouts
from pipelines.demo.fund_ledger import fund_balances, fund_movements
from pipelines.demo.funds import fund_holdings
from pipelines.demo.incident_dora import dora_details
from pipelines.demo.incident_plans import Plan, account_takeover_plan, crash_plans, still_open_plan
from pipelines.demo.incidents import draw_incidents
from pipelines.demo.landing_files import write_csv, write_jsonl, write_movements
from pipelines.demo.prices import crash_times, draw_prices, price_rows
from pipelines.demo.window import HOUR, Window, month_window
from pipelines.profile import Profile

INCIDENTS_PER_MONTH = 10


def generate_demo(landing_dir: Path, first_month: str, months: int, seed: int, profile: Profile) -> dict[str, int]:
    """Write the demo landing files for `months` calendar months starting at first_month ("YYYY-MM");
    return row counts per table."""
    if months < 1:
        raise ValueError("months must be at least 1")
    window = month_window(first_month, months)
    # One child generator per table family: changing how claims are drawn does not reshuffle the incidents.
    rng_prices, rng_incidents, rng_claims, rng_payouts, rng_funds, rng_dora = np.random.default_rng(seed).spawn(6)

    crashes = crash_times(rng_prices, window)
    prices = draw_prices(rng_prices, window, crashes)
    plans = _incident_plans(rng_incidents, window, profile, crashes)
    incidents, impacts, incident_facts = draw_incidents(rng_incidents, plans, _incident_ids(plans), window, profile)
    claims = draw_claims(rng_claims, window, prices, incident_facts)
    holdings = fund_holdings(profile)
    payouts = draw_payouts(rng_payouts, window, claims, incident_facts, holdings)
    movements, initial = fund_movements(rng_funds, window, prices, crashes, holdings, payouts)
    balances = fund_balances(rng_funds, window, holdings, initial, movements)

    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    write_csv(landing_dir / "prices.csv", "prices", price_rows(prices))
    write_jsonl(landing_dir / "incidents.jsonl", "incidents", incidents)
    write_csv(landing_dir / "incident_impacts.csv", "incident_impacts", impacts)
    details = dora_details(rng_dora, incidents, window)
    write_jsonl(landing_dir / "incident_dora_details.jsonl", "incident_dora_details", details)
    write_csv(landing_dir / "compensation_claims.csv", "compensation_claims", claims)
    write_csv(landing_dir / "compensation_payouts.csv", "compensation_payouts", [p.row for p in payouts])
    write_csv(landing_dir / "insurance_fund_balances.csv", "insurance_fund_balances", balances)
    write_movements(landing_dir / "insurance_fund_movements.parquet", holdings, movements)
    return {
        "prices": len(ASSETS) * (window.last_day - window.first_price_day + 1),
        "incidents": len(incidents),
        "incident_impacts": len(impacts),
        "incident_dora_details": len(details),
        "compensation_claims": len(claims),
        "compensation_payouts": len(payouts),
        "insurance_fund_balances": len(balances),
        "insurance_fund_movements": len(movements.occurred_at),
    }


def _incident_plans(rng: np.random.Generator, window: Window, profile: Profile, crashes: list[int]) -> list[Plan]:
    """Poisson arrivals in each month, plus scripted incidents that every demo must show: a crash-day pair
    overlapping on derivatives, one crossing the first month boundary, and one still open at the end."""
    plans = []
    for month_start, month_end in zip(window.month_starts, window.month_starts[1:]):
        count = rng.poisson(INCIDENTS_PER_MONTH)
        for t in np.sort(rng.integers(month_start, month_end, count)):
            plans.append(Plan(started=int(t)))
    for crash in crashes:
        plans += crash_plans(rng, crash, profile)
    if len(window.month_starts) > 2:
        boundary = window.month_starts[1]
        plans.append(Plan(started=boundary - int(rng.integers(1 * HOUR, 3 * HOUR)), category="withdrawal_delay",
                          severity="major", duration=int(rng.integers(5 * HOUR, 10 * HOUR))))
    plans.append(still_open_plan(rng, window.end, profile))
    plans.append(account_takeover_plan(rng, window.end, profile))
    plans.sort(key=lambda p: p.started)  # stable: ties keep their (deterministic) creation order
    return plans


def _incident_ids(plans: list[Plan]) -> list[str]:
    """INC-<year>-<number in the year>, in time order."""
    ids = []
    sequence_by_year: dict[int, int] = {}
    for plan in plans:
        year = datetime.fromtimestamp(plan.started, UTC).year
        sequence_by_year[year] = sequence_by_year.get(year, 0) + 1
        ids.append(f"INC-{year}-{sequence_by_year[year]:04d}")
    return ids

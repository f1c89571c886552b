"""Seeded demo data: a realistic crypto exchange's landing files (DESIGN.md §7).

`generate_demo` writes one file per contract table into a landing directory. Everything is drawn from one
seeded `numpy` generator, so the same arguments always give byte-identical files.

The story the data tell, month after month:

* **prices** follow correlated random walks (geometric Brownian motion) with one or more sharp crash days;
  stablecoins wobble around 1, EUR around 1.13.
* **incidents** arrive as a Poisson process with heavy-tailed (lognormal) durations; a severe incident makes the
  next one more likely to be severe (a two-state Markov chain). Each crash day brings a trading halt and a wave of
  erroneous liquidations on the derivatives service, overlapping in time.
* **claims** come in proportion to the clients an incident affected, with heavy-tailed amounts; decisions,
  decision delays and payout delays are lognormal.
* **insurance funds** receive many small liquidation surpluses and pay rare, spiky bankruptcy covers, clustered on
  crash days; they also fund part of the compensation. Balance snapshots are exactly the running sum of the ledger.

Conventions used throughout: instants are integer seconds since the Unix epoch (UTC), days are integer days since
the epoch, money is an integer count of minor units (never a float once drawn) and becomes a `Decimal` only when it
is written. Floats appear only while drawing random quantities, before they are rounded to minor units.
"""

from __future__ import annotations

import calendar
import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract import (
    CATEGORIES,
    MOVEMENT_KINDS,
    REJECTION_REASONS,
    ROOT_CAUSES,
    TABLES_BY_NAME,
    Kind,
)
from pipelines.profile import Classification, Profile

DAY = 86_400
HOUR = 3_600
MINUTE = 60

# --- Assets ----------------------------------------------------------------------------------------------------

CRYPTO = ("BTC", "ETH", "SOL", "XRP")
STABLECOINS = ("USDT", "USDC")
FIAT = ("EUR", "USD")
ASSETS = CRYPTO + STABLECOINS + FIAT
# Minor units written for each asset: 8 decimals for coins, 6 for stablecoins (their on-chain precision), 2 for fiat.
DECIMALS = {"BTC": 8, "ETH": 8, "SOL": 8, "XRP": 8, "USDT": 6, "USDC": 6, "EUR": 2, "USD": 2}
PRICE_DECIMALS = 8

START_CLOSE_USD = {"BTC": 90_000.0, "ETH": 3_200.0, "SOL": 180.0, "XRP": 2.3}
DAILY_VOLATILITY = {"BTC": 0.028, "ETH": 0.036, "SOL": 0.048, "XRP": 0.045}
# How hard each coin falls on a crash day, relative to BTC (alts fall harder).
CRASH_BETA = {"BTC": 1.0, "ETH": 1.25, "SOL": 1.6, "XRP": 1.4}
PRICE_HISTORY_DAYS = 7  # prices start this many days before the window, for "previous day's close" lookups

# --- Insurance funds -------------------------------------------------------------------------------------------

# What a fund holds, by its position in the profile: the first fund backs USD-margined perpetuals, the next
# coin-margined ones (and further funds alternate). Amounts are the approximate initial balance, in asset units.
USD_MARGINED_HOLDINGS = (("USDT", 250_000_000), ("USDC", 40_000_000))
COIN_MARGINED_HOLDINGS = (("BTC", 2_500), ("ETH", 30_000), ("SOL", 400_000), ("USDT", 20_000_000))
# Internally every fund amount is an integer count of 1e-8 units, whatever the asset, so that one int64 column
# holds the whole ledger (250M USDT is 2.5e16 such units: far from the int64 limit).
FUND_SCALE = 8

# --- Incidents -------------------------------------------------------------------------------------------------

INCIDENTS_PER_MONTH = 10
CATEGORY_WEIGHTS = {
    "outage": 0.14,
    "degradation": 0.26,
    "trading_halt": 0.06,
    "erroneous_liquidation": 0.05,
    "withdrawal_delay": 0.16,
    "deposit_delay": 0.14,
    "security": 0.03,
    "data_error": 0.06,
    "other": 0.10,
}
# Which service a category usually hits first (filtered by the services the profile declares).
CATEGORY_SERVICES = {
    "outage": ("spot", "derivatives", "api", "fiat"),
    "degradation": ("spot", "derivatives", "api", "deposits", "withdrawals", "fiat"),
    "trading_halt": ("spot", "derivatives"),
    "erroneous_liquidation": ("derivatives",),
    "withdrawal_delay": ("withdrawals", "fiat"),
    "deposit_delay": ("deposits", "fiat"),
    "security": ("withdrawals", "api", "spot"),
    "data_error": ("spot", "derivatives", "api"),
    "other": ("api", "spot", "deposits"),
}
# Two-state severity chain: probability that an incident is severe (critical or major), given the previous one.
P_SEVERE_AFTER_SEVERE = 0.45
P_SEVERE_AFTER_MINOR = 0.12
P_CRITICAL_IF_SEVERE = 0.35
# Duration: lognormal around a 40-minute median, longer for severe incidents; sigma 1.4 makes day-long tails.
DURATION_MEDIAN_MINUTES = {"minor": 40, "major": 80, "critical": 140}
DURATION_SIGMA = 1.4
# Share of a service's clients affected: lognormal median by severity, so that critical incidents often and
# major ones rarely cross the DORA 10 % threshold, and minor ones never.
CLIENT_SHARE_MEDIAN = {"minor": 0.003, "major": 0.02, "critical": 0.08}
IMPACT_WEIGHTS = {  # (major_outage, partial_outage, degraded_performance)
    "critical": (0.7, 0.3, 0.0),
    "major": (0.2, 0.6, 0.2),
    "minor": (0.0, 0.3, 0.7),
}
# Share of a service's transactions affected while an impact lasts, by impact level.
IMPACT_INTENSITY = {"major_outage": 1.0, "partial_outage": 0.4, "degraded_performance": 0.1}
ECONOMIC_COST_MEDIAN_EUR = {"minor": 1_500, "major": 20_000, "critical": 90_000}
# Wrong liquidations and halts are expensive: the platform makes good the losses it caused.
ECONOMIC_COST_FACTOR = {"erroneous_liquidation": 4.0, "trading_halt": 2.0, "security": 2.0}
EU_STATES = ("DE", "FR", "NL", "LU", "IT", "ES", "AT", "IE", "PT", "BE")
EU_STATE_WEIGHTS = (0.22, 0.16, 0.11, 0.07, 0.1, 0.11, 0.06, 0.06, 0.05, 0.06)
ROOT_CAUSE_WEIGHTS = {  # for every category but security (cyber attacks) and still-open incidents
    "software_defect": 0.30,
    "infrastructure_failure": 0.20,
    "third_party_failure": 0.15,
    "configuration_change": 0.15,
    "capacity": 0.12,
    "human_error": 0.08,
}

TITLES = {
    "outage": ("{service} unavailable", "Outage of {service}"),
    "degradation": ("Elevated error rates on {service}", "Degraded performance of {service}"),
    "trading_halt": ("Trading halted on {asset} markets", "Temporary suspension of {service}"),
    "erroneous_liquidation": ("Incorrect liquidations on {asset} perpetuals",
                              "Liquidations triggered by an erroneous mark price"),
    "withdrawal_delay": ("Delayed {asset} withdrawals", "{asset} withdrawals processed late"),
    "deposit_delay": ("Delayed {asset} deposits", "{asset} deposits credited late"),
    "security": ("Suspicious login attempts blocked", "Unauthorised API key usage detected"),
    "data_error": ("Incorrect balances shown in account history", "Wrong fees displayed on {service}"),
    "other": ("Delayed email and push notifications", "Account statements generated late"),
}
SUMMARIES = {
    "outage": "{service} could not be reached by most users.",
    "degradation": "Some requests to {service} failed or were slow.",
    "trading_halt": "Trading on {asset} markets was paused while we checked order-book integrity.",
    "erroneous_liquidation": "Some {asset} positions were liquidated at an incorrect mark price. "
                             "Affected users are being compensated automatically.",
    "withdrawal_delay": "{asset} withdrawals were queued and sent later than usual. No funds were at risk.",
    "deposit_delay": "{asset} deposits were credited to accounts later than usual. No funds were at risk.",
    "security": "We detected and blocked suspicious access attempts. Affected users were asked to reset "
                "their credentials.",
    "data_error": "Some account pages showed incorrect figures. Balances themselves were not affected.",
    "other": "Some notifications and statements were delivered late.",
}
COMPONENTS = ("matching engine", "order gateway", "wallet service", "risk engine", "mark-price service",
              "ledger database", "API gateway", "notification service")
ROOT_CAUSE_DETAILS = {
    "software_defect": ("Regression in the {component} release {version}.",
                        "Race condition in the {component} under peak load."),
    "infrastructure_failure": ("Loss of the availability zone hosting the {component}.",
                               "Disk failure on the primary {component} node."),
    "third_party_failure": ("Upstream node provider stopped serving {asset} blocks.",
                            "Banking partner's SEPA gateway was down."),
    "configuration_change": ("Misconfigured rate limit pushed to the {component}.",
                             "Feature flag enabled for all users instead of 5 %."),
    "capacity": ("Connection pool of the {component} exhausted during a volume spike.",
                 "Queue backlog in the {component} after a traffic surge."),
    "human_error": ("Manual failover executed on the wrong {component} cluster.",
                    "Maintenance script run against production {component}."),
    "cyber_attack": ("Credential-stuffing campaign against the login endpoint.",
                     "Leaked API keys used from unknown IP ranges."),
    "under_investigation": ("Root cause not yet established.",),
}
INTERNAL_NOTES = (
    "Postmortem owner: {team}. Ticket OPS-{ticket}.",
    "Support macro updated; {team} on call. Ticket OPS-{ticket}.",
    "Follow-up: add saturation alerting on the {component}. Ticket OPS-{ticket}.",
    "Customer comms approved by legal. Ticket OPS-{ticket}.",
)
TEAMS = ("platform", "trading-core", "wallets", "payments", "security", "sre")

# --- Claims and payouts ----------------------------------------------------------------------------------------

# Claims per affected client, by incident category: losses from liquidations and halts are claimed most.
CLAIM_RATE = {
    "outage": 0.030,
    "degradation": 0.010,
    "trading_halt": 0.030,
    "erroneous_liquidation": 0.040,
    "withdrawal_delay": 0.015,
    "deposit_delay": 0.010,
    "security": 0.020,
    "data_error": 0.010,
    "other": 0.003,
}
MAX_CLAIMS_PER_INCIDENT = 450
UNLINKED_CLAIMS_PER_MONTH = 180  # claims that name no incident
AUTOMATIC_SHARE = {"erroneous_liquidation": 0.6, "trading_halt": 0.10, "outage": 0.05}
CLAIM_MEDIAN_USD = {"erroneous_liquidation": 1_200, "trading_halt": 400, "outage": 250}
CLAIM_MEDIAN_USD_OTHERWISE = 150
CLAIM_SIGMA = 1.5
CLAIM_MAX_USD = 2_000_000
CLAIM_ASSETS = ("USDT", "USDC", "BTC", "ETH", "SOL", "XRP")
CLAIM_ASSET_WEIGHTS = (0.60, 0.12, 0.12, 0.09, 0.04, 0.03)
ACCOUNT_POOL_PER_MONTH = 4_000

DECISIONS_USER = ("approved", "partially_approved", "rejected", "withdrawn")
DECISION_WEIGHTS_USER = (0.40, 0.15, 0.41, 0.04)
DECISION_WEIGHTS_UNLINKED = (0.25, 0.10, 0.60, 0.05)  # claims naming no incident are weaker
REJECTION_WEIGHTS = {
    "unrealized_profit": 0.40,
    "not_affected": 0.20,
    "duplicate": 0.10,
    "outside_window": 0.08,
    "insufficient_evidence": 0.15,
    "other": 0.07,
}
REJECTION_WEIGHTS_UNLINKED = {
    "unrealized_profit": 0.15,
    "not_affected": 0.25,
    "duplicate": 0.05,
    "outside_window": 0.25,
    "insufficient_evidence": 0.20,
    "other": 0.10,
}
PAYOUT_METHODS = ("account_credit", "on_chain", "voucher", "fee_rebate")
PAYOUT_METHOD_WEIGHTS = (0.78, 0.10, 0.07, 0.05)
SPLIT_PAYOUT_SHARE = 0.12  # paid as an account credit plus a fee rebate
# Share of payouts the insurance fund bears, for losses on derivatives (where the fund exists to absorb them).
INSURANCE_FUNDED_SHARE = {"erroneous_liquidation": 0.7, "derivatives": 0.4}


class Window(NamedTuple):
    """The generated period: `[start, end)` in epoch seconds, and the start of each month plus `end`."""

    start: int
    end: int
    month_starts: tuple[int, ...]

    @property
    def first_price_day(self) -> int:
        return self.start // DAY - PRICE_HISTORY_DAYS

    @property
    def last_day(self) -> int:
        return self.end // DAY - 1


def generate_demo(landing_dir: Path, first_month: str, months: int, seed: int, profile: Profile) -> dict[str, int]:
    """Write the demo landing files for `months` calendar months starting at first_month ("YYYY-MM");
    return row counts per table."""
    if months < 1:
        raise ValueError("months must be at least 1")
    window = _window(first_month, months)
    # One child generator per table family: changing how claims are drawn does not reshuffle the incidents.
    rng_prices, rng_incidents, rng_claims, rng_payouts, rng_funds = np.random.default_rng(seed).spawn(5)

    crash_times = _crash_times(rng_prices, window)
    prices = _prices(rng_prices, window, crash_times)
    incidents, impacts, incident_facts = _incidents(rng_incidents, window, profile, crash_times)
    claims = _claims(rng_claims, window, prices, incident_facts)
    holdings = _fund_holdings(profile)
    payouts = _payouts(rng_payouts, window, claims, incident_facts, holdings)
    movements, initial = _fund_movements(rng_funds, window, prices, crash_times, holdings, payouts)
    balances = _fund_balances(rng_funds, window, holdings, initial, movements)

    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(landing_dir / "prices.csv", "prices", _price_rows(prices))
    _write_jsonl(landing_dir / "incidents.jsonl", "incidents", incidents)
    _write_csv(landing_dir / "incident_impacts.csv", "incident_impacts", impacts)
    _write_csv(landing_dir / "compensation_claims.csv", "compensation_claims", claims)
    _write_csv(landing_dir / "compensation_payouts.csv", "compensation_payouts", [p.row for p in payouts])
    _write_csv(landing_dir / "insurance_fund_balances.csv", "insurance_fund_balances", balances)
    _write_movements(landing_dir / "insurance_fund_movements.parquet", holdings, movements)
    return {
        "prices": len(ASSETS) * (window.last_day - window.first_price_day + 1),
        "incidents": len(incidents),
        "incident_impacts": len(impacts),
        "compensation_claims": len(claims),
        "compensation_payouts": len(payouts),
        "insurance_fund_balances": len(balances),
        "insurance_fund_movements": len(movements.occurred_at),
    }


# --- Calendar --------------------------------------------------------------------------------------------------


def _window(first_month: str, months: int) -> Window:
    """The half-open UTC window covering `months` calendar months from `first_month`."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", first_month)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"first_month must be YYYY-MM, got {first_month!r}")
    year, month = int(match[1]), int(match[2])
    starts = []
    for i in range(months + 1):
        extra_years, month_index = divmod(month - 1 + i, 12)
        starts.append(calendar.timegm((year + extra_years, month_index + 1, 1, 0, 0, 0)))
    return Window(start=starts[0], end=starts[-1], month_starts=tuple(starts))


def _off_midnight(t: np.ndarray | int) -> np.ndarray:
    """Nudge instants that fall exactly on 00:00:00 by one second: snapshots are taken then, and a movement at the
    same instant would leave it ambiguous whether the snapshot includes it."""
    return np.where(t % DAY == 0, t + 1, t)


def _iso(t: int) -> str:
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_date(day: int) -> str:
    return datetime.fromtimestamp(int(day) * DAY, timezone.utc).strftime("%Y-%m-%d")


def _money(minor: int, asset: str) -> Decimal:
    """An exact Decimal from an integer count of the asset's minor units."""
    return Decimal(int(minor)).scaleb(-DECIMALS[asset])


def _minor(amount: Decimal, asset: str) -> int:
    return int(amount.scaleb(DECIMALS[asset]))


def _pick(rng: np.random.Generator, options: tuple | list, weights: tuple | list | None = None) -> Any:
    """One element of `options` (weights need not sum to 1)."""
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


# --- Prices ----------------------------------------------------------------------------------------------------


def _crash_times(rng: np.random.Generator, window: Window) -> list[int]:
    """Instants of sharp market crashes: one per three months (at least one), away from the window's edges so
    that their consequences (bankruptcies, claims, payouts) fall inside it."""
    days = window.last_day - window.start // DAY + 1
    count = max(1, round(days / 91))
    times = []
    for i in range(count):
        # Spread crashes over equal segments, each in the middle part of its segment.
        lo = window.start // DAY + (days * i) // count
        hi = window.start // DAY + (days * (i + 1)) // count
        quarter = (hi - lo) // 4
        day = int(rng.integers(lo + quarter, hi - max(3, quarter)))
        times.append(day * DAY + int(rng.integers(12 * HOUR, 20 * HOUR)))
    return times


class Prices(NamedTuple):
    """Daily closes from `first_day`, one array per asset, in exact integer units of 1e-8 USD."""

    first_day: int
    close_e8: dict[str, np.ndarray]

    def usd(self, asset: str, day: np.ndarray | int) -> np.ndarray:
        """The close of each day as a float: only for converting drawn USD sizes into asset amounts."""
        return self.close_e8[asset][np.asarray(day) - self.first_day] / 10**PRICE_DECIMALS


def _prices(rng: np.random.Generator, window: Window, crash_times: list[int]) -> Prices:
    """Daily USD closes: correlated geometric Brownian motion for coins (with forced crash days), stablecoins
    within ±4 bp of 1, EUR a slow random walk kept within 1.08-1.17, USD exactly 1."""
    first_day = window.first_price_day
    n = window.last_day - first_day + 1
    crash_index = [t // DAY - first_day for t in crash_times]

    # Coins share a market factor (correlation ~0.8), plus their own noise.
    market = rng.standard_normal(n)
    crash_drop = [rng.uniform(0.11, 0.15) for _ in crash_index]
    close: dict[str, np.ndarray] = {}
    for asset in CRYPTO:
        sigma = DAILY_VOLATILITY[asset]
        shock = sigma * (0.8 * market + 0.6 * rng.standard_normal(n))
        for index, drop in zip(crash_index, crash_drop):
            shock[index] = CRASH_BETA[asset] * np.log1p(-drop)
            shock[index + 1] = abs(shock[index]) * 0.4  # partial rebound the next day
        # A slow pull (2 % a day) back towards the starting level keeps a half-year demo from drifting to extremes
        # that would dominate every dollar figure; day to day it still moves like geometric Brownian motion.
        log_level = np.zeros(n)
        for day in range(1, n):
            log_level[day] = 0.98 * log_level[day - 1] + shock[day]
        close[asset] = START_CLOSE_USD[asset] * rng.uniform(0.93, 1.07) * np.exp(log_level)
    for asset in STABLECOINS:
        close[asset] = 1 + np.clip(rng.normal(0, 0.00015, n), -0.0004, 0.0004)
    eur = 1.13 + np.cumsum(rng.normal(0, 0.004, n))
    close["EUR"] = np.clip(eur, 1.08, 1.17)
    close["USD"] = np.ones(n)
    return Prices(first_day, {a: np.round(close[a] * 10**PRICE_DECIMALS).astype(np.int64) for a in ASSETS})


def _price_rows(prices: Prices) -> list[dict]:
    rows = []
    for asset in ASSETS:
        for i, close in enumerate(prices.close_e8[asset]):
            rows.append({"asset": asset, "date": prices.first_day + i,
                         "close_usd": Decimal(int(close)).scaleb(-PRICE_DECIMALS)})
    return rows


# --- Incidents -------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """An incident before its details are drawn. Fields left None are drawn; scripted incidents fix them."""

    started: int
    category: str | None = None
    severity: str | None = None
    duration: int | None = None  # seconds until resolution; the incident is open if that falls after the window
    # (service, impact, start offset, end offset or None = until resolved), offsets in seconds from `started`
    impacts: list[tuple[str, str, int, int | None]] | None = None


class IncidentFacts(NamedTuple):
    """What claims and payouts need to know about an incident."""

    incident_id: str
    category: str
    started: int
    detected: int
    resolved: int | None
    clients_affected: int
    derivatives: bool  # whether it hit the derivatives service


def _incidents(rng: np.random.Generator, window: Window, profile: Profile, crash_times: list[int]
               ) -> tuple[list[dict], list[dict], list[IncidentFacts]]:
    """Incident and impact rows, plus the facts that claims are drawn from."""
    plans = _incident_plans(rng, window, profile, crash_times)
    _draw_severities(rng, plans)
    incidents: list[dict] = []
    impacts: list[dict] = []
    facts: list[IncidentFacts] = []
    sequence_by_year: dict[int, int] = {}
    for plan in plans:
        year = datetime.fromtimestamp(plan.started, timezone.utc).year
        sequence_by_year[year] = sequence_by_year.get(year, 0) + 1
        incident_id = f"INC-{year}-{sequence_by_year[year]:04d}"
        incident, rows, fact = _incident(rng, incident_id, plan, window, profile)
        incidents.append(incident)
        impacts.extend(rows)
        facts.append(fact)
    return incidents, impacts, facts


def _incident_plans(rng: np.random.Generator, window: Window, profile: Profile, crash_times: list[int]
                    ) -> list[_Plan]:
    """Poisson arrivals in each month, plus scripted incidents that every demo must show: a crash-day pair
    overlapping on derivatives, one crossing the first month boundary, and one still open at the end."""
    plans = []
    for month_start, month_end in zip(window.month_starts, window.month_starts[1:]):
        count = rng.poisson(INCIDENTS_PER_MONTH)
        for t in np.sort(rng.integers(month_start, month_end, count)):
            plans.append(_Plan(started=int(t)))

    codes = profile.service_codes
    derivatives = "derivatives" if "derivatives" in codes else codes[0]
    api = "api" if "api" in codes else codes[-1]
    for crash in crash_times:
        # The matching engine halts derivatives trading; minutes later the mark-price feed misfires and liquidates
        # positions wrongly while the halt is still on, so the two incidents overlap on `derivatives`.
        halt = int(rng.integers(50 * MINUTE, 110 * MINUTE))
        second = [(api, "partial_outage", 2 * MINUTE, int(halt * 0.8))] if api != derivatives else []
        plans.append(_Plan(started=crash, category="trading_halt", severity="critical", duration=halt,
                           impacts=[(derivatives, "major_outage", 0, None)] + second))
        offset = int(rng.integers(8 * MINUTE, 25 * MINUTE))
        duration = int(rng.integers(3 * HOUR, 8 * HOUR))
        plans.append(_Plan(started=crash + offset, category="erroneous_liquidation", severity="critical",
                           duration=duration,
                           impacts=[(derivatives, "partial_outage", 0, 40 * MINUTE),
                                    (derivatives, "degraded_performance", 40 * MINUTE, None)]))

    if len(window.month_starts) > 2:
        boundary = window.month_starts[1]
        plans.append(_Plan(started=boundary - int(rng.integers(1 * HOUR, 3 * HOUR)), category="withdrawal_delay",
                           severity="major", duration=int(rng.integers(5 * HOUR, 10 * HOUR))))

    # Open at the end: started a few hours before the window closes, resolved (if ever) after it.
    started = window.end - int(rng.integers(3 * HOUR, 20 * HOUR))
    category = _pick(rng, ("deposit_delay", "degradation"))
    plans.append(_Plan(started=started, category=category,
                       duration=window.end - started + int(rng.integers(1 * HOUR, 48 * HOUR)),
                       impacts=[(_pick(rng, _services_for(category, profile)), "partial_outage", 0, None)]))

    plans.sort(key=lambda p: p.started)  # stable: ties keep their (deterministic) creation order
    return plans


def _draw_severities(rng: np.random.Generator, plans: list[_Plan]) -> None:
    """Fill missing severities with a two-state Markov chain in time order: severity clusters."""
    previous_severe = False
    for plan in plans:
        if plan.severity is None:
            severe = rng.random() < (P_SEVERE_AFTER_SEVERE if previous_severe else P_SEVERE_AFTER_MINOR)
            if severe:
                plan.severity = "critical" if rng.random() < P_CRITICAL_IF_SEVERE else "major"
            else:
                plan.severity = "minor"
        previous_severe = plan.severity != "minor"


def _services_for(category: str, profile: Profile) -> list[str]:
    preferred = [s for s in CATEGORY_SERVICES[category] if s in profile.service_codes]
    return preferred or profile.service_codes  # a profile without the usual services: any service will do


def _draw_impacts(rng: np.random.Generator, plan: _Plan, profile: Profile) -> list[tuple[str, str, int, int | None]]:
    """1-3 status-page rows: the main service hit, maybe a recovery phase, maybe a second service."""
    assert plan.category and plan.severity and plan.duration
    duration = plan.duration
    primary = _pick(rng, _services_for(plan.category, profile))
    weights = IMPACT_WEIGHTS[plan.severity]
    if plan.category == "degradation":
        weights = (0.0, weights[0] + weights[1] * 0.5, weights[1] * 0.5 + weights[2])
    impact = _pick(rng, ("major_outage", "partial_outage", "degraded_performance"), weights)
    rows: list[tuple[str, str, int, int | None]] = []
    if impact != "degraded_performance" and rng.random() < 0.35:
        # Recovery phase: service comes back degraded before it is fully restored.
        switch = int(duration * rng.uniform(0.4, 0.8))
        rows += [(primary, impact, 0, switch), (primary, "degraded_performance", switch, None)]
    else:
        rows.append((primary, impact, 0, None))
    others = [s for s in profile.service_codes if s != primary]
    if others and rng.random() < {"minor": 0.15, "major": 0.4, "critical": 0.6}[plan.severity]:
        start = int(duration * rng.uniform(0.0, 0.5))
        end = None if rng.random() < 0.4 else int(start + (duration - start) * rng.uniform(0.3, 1.0))
        second = _pick(rng, ("partial_outage", "degraded_performance"), (0.4, 0.6))
        rows.append((_pick(rng, others), second, start, end))
    return rows


def _incident(rng: np.random.Generator, incident_id: str, plan: _Plan, window: Window, profile: Profile
              ) -> tuple[dict, list[dict], IncidentFacts]:
    """Draw one incident's details, its impact rows and regulator notifications, as seen at the window's end."""
    if plan.category is None:
        plan.category = _pick(rng, CATEGORIES, [CATEGORY_WEIGHTS[c] for c in CATEGORIES])
    severity = plan.severity
    assert severity is not None
    if plan.duration is None:
        median = DURATION_MEDIAN_MINUTES[severity] * MINUTE
        plan.duration = int(np.clip(rng.lognormal(np.log(median), DURATION_SIGMA), 3 * MINUTE, 5 * DAY))
    if plan.impacts is None:
        plan.impacts = _draw_impacts(rng, plan, profile)
    started, duration = plan.started, plan.duration
    resolved = started + duration if started + duration < window.end else None  # not yet known at the end
    # Where an impact row is still running at the window's end (or at resolution), its end is left empty.
    horizon = (resolved if resolved is not None else window.end) - started

    services = {s.code: s for s in profile.services}
    impact_rows: list[dict] = []
    clients_by_service: dict[str, float] = {}
    transactions_by_service: dict[str, float] = {}
    downtime_by_service: dict[str, int] = {}
    share = min(0.6, rng.lognormal(np.log(CLIENT_SHARE_MEDIAN[severity]), 0.9))
    for position, (code, impact, start, end) in enumerate(plan.impacts):
        if start >= horizon:
            continue
        if end is not None and resolved is None and end >= horizon:
            end = None  # still running when the window closes
        elif end is None and resolved is not None and rng.random() < 0.5:
            end = duration  # some status pages close every component explicitly at resolution
        impact_rows.append({"incident_id": incident_id, "service": code, "impact": impact,
                            "started_at": started + start,
                            "ended_at": None if end is None else started + end})
        service = services[code]
        hours = ((end if end is not None else horizon) - start) / HOUR
        weight = 1.0 if position == 0 else 0.3  # the first row is the main service hit
        clients_by_service[code] = max(clients_by_service.get(code, 0), share * weight * service.active_clients)
        transactions_by_service[code] = transactions_by_service.get(code, 0) + (
            service.daily_transactions * min(hours / 24, 1) * IMPACT_INTENSITY[impact] * rng.lognormal(0, 0.5))
        if impact != "degraded_performance":
            downtime_by_service[code] = downtime_by_service.get(code, 0) + int(hours * HOUR)

    clients = int(sum(clients_by_service.values()))
    transactions = int(sum(transactions_by_service.values()))
    value_cents = sum(int(transactions_by_service[c] * float(services[c].daily_value_usd)
                          / services[c].daily_transactions * rng.lognormal(0, 0.3) * 100)
                      for c in transactions_by_service)
    member_states = _member_states(rng, severity)
    data_loss = bool(rng.random() < (0.25 if plan.category == "data_error" else 0.02))
    malicious = bool(plan.category == "security" and rng.random() < 0.6)
    reputational = bool(rng.random() < {"critical": 0.7, "major": 0.15, "minor": 0.01}[severity])
    cost_median = ECONOMIC_COST_MEDIAN_EUR[severity] * ECONOMIC_COST_FACTOR.get(plan.category, 1.0)
    cost_cents = int(rng.lognormal(np.log(cost_median), 1.2) * 100)

    detected = started + int(30 + rng.exponential({"minor": 6, "major": 4, "critical": 2}[severity] * MINUTE))
    detected = min(detected, started + max(duration // 2, 30), window.end - 2)
    classified = min(detected + 10 * MINUTE + int(rng.exponential(40 * MINUTE)), window.end - 1)

    # Would the regulator consider it major (DORA)? Decides whether notifications were sent.
    rules = profile.classification
    criteria = [
        any(n > float(rules.clients_affected_share) * services[c].active_clients
            for c, n in clients_by_service.items()) or clients > rules.clients_affected_count,
        any(n > float(rules.transactions_affected_share) * services[c].daily_transactions
            for c, n in transactions_by_service.items()),
        any(services[c].critical and s > float(rules.critical_downtime_hours) * HOUR
            for c, s in downtime_by_service.items()),
        cost_cents > int(rules.economic_cost_eur) * 100,
        member_states is not None and len(member_states) >= rules.member_states,
        data_loss,
        reputational,
    ]
    hits_critical = any(services[c].critical for c in clients_by_service)
    looks_major = hits_critical and (malicious or sum(criteria) >= rules.criteria_needed)
    notified = severity == "critical" or looks_major
    initial, intermediate, final = _notifications(rng, classified, resolved, window, rules) if notified else (
        None, None, None)

    root_cause = _root_cause(rng, plan.category, resolved)
    asset = _pick(rng, ("BTC", "ETH", "SOL", "XRP", "USDT", "USDC"))
    service_name = services[plan.impacts[0][0]].name
    text = {"service": service_name, "asset": asset, "component": _pick(rng, COMPONENTS),
            "version": f"{int(rng.integers(3, 9))}.{int(rng.integers(0, 40))}.{int(rng.integers(0, 10))}",
            "team": _pick(rng, TEAMS), "ticket": int(rng.integers(1000, 9999))}
    closing = " The issue has been resolved." if resolved is not None else (
        " We are investigating and will post updates.")
    notes = None if rng.random() < 0.3 else _pick(rng, INTERNAL_NOTES).format(**text)

    incident = {
        "incident_id": incident_id,
        "title": _pick(rng, TITLES[plan.category]).format(**text),
        "public_summary": SUMMARIES[plan.category].format(**text) + closing,
        "category": plan.category,
        "severity": severity,
        "status": _status(rng, severity, started, resolved, window),
        "started_at": started,
        "detected_at": detected,
        "classified_at": classified,
        "resolved_at": resolved,
        "clients_affected": clients,
        "transactions_affected": transactions,
        "value_affected": _money(value_cents, "USD"),
        "value_affected_currency": "USD",
        "member_states": member_states,
        "data_loss": data_loss,
        "malicious_access": malicious,
        "reputational_impact": reputational,
        "economic_cost": _money(cost_cents, "EUR"),
        "economic_cost_currency": "EUR",
        "root_cause_category": root_cause,
        "root_cause_detail": _pick(rng, ROOT_CAUSE_DETAILS[root_cause]).format(**text),
        "internal_notes": notes,
        "initial_notified_at": initial,
        "intermediate_reported_at": intermediate,
        "final_reported_at": final,
    }
    fact = IncidentFacts(incident_id, plan.category, started, detected, resolved, clients,
                         "derivatives" in clients_by_service)
    return incident, impact_rows, fact


def _member_states(rng: np.random.Generator, severity: str) -> list[str] | None:
    """Null (unknown) or 1-4 EU member states, in a fixed order; severe incidents reach more countries."""
    if rng.random() < {"minor": 0.5, "major": 0.3, "critical": 0.1}[severity]:
        return None
    count = int(rng.choice([1, 2, 3, 4], p={"minor": (0.75, 0.2, 0.05, 0.0), "major": (0.45, 0.3, 0.15, 0.1),
                                             "critical": (0.2, 0.3, 0.25, 0.25)}[severity]))
    chosen = rng.choice(len(EU_STATES), size=count, replace=False,
                        p=np.array(EU_STATE_WEIGHTS) / sum(EU_STATE_WEIGHTS))
    return [EU_STATES[i] for i in sorted(chosen)]


def _root_cause(rng: np.random.Generator, category: str, resolved: int | None) -> str:
    if category == "security":
        return "cyber_attack" if rng.random() < 0.8 else "human_error"
    if resolved is None and rng.random() < 0.6:
        return "under_investigation"
    causes = [c for c in ROOT_CAUSES if c in ROOT_CAUSE_WEIGHTS]
    return _pick(rng, causes, [ROOT_CAUSE_WEIGHTS[c] for c in causes])


def _status(rng: np.random.Generator, severity: str, started: int, resolved: int | None, window: Window) -> str:
    if resolved is None:
        if window.end - started < HOUR:
            return "investigating"
        return _pick(rng, ("investigating", "identified", "monitoring"), (0.3, 0.4, 0.3))
    # A postmortem is published a week or so after severe incidents.
    if resolved < window.end - 7 * DAY and rng.random() < {"critical": 0.85, "major": 0.2, "minor": 0.0}[severity]:
        return "postmortem"
    return "resolved"


def _notifications(rng: np.random.Generator, classified: int, resolved: int | None, window: Window,
                   rules: Classification) -> tuple[int | None, int | None, int | None]:
    """Initial, intermediate and final report times: mostly within the deadlines, about one in ten late; each
    one only if it was sent before the window's end (and the final one only once resolved)."""
    initial_due = rules.initial_notification_hours_after_classification * HOUR
    if rng.random() < 0.9:
        initial = classified + int(rng.uniform(0.1, 0.9) * initial_due)
    else:
        initial = classified + int(rng.uniform(1.1, 3.0) * initial_due)
    intermediate_due = rules.intermediate_report_hours_after_initial * HOUR
    if rng.random() < 0.9:
        intermediate = initial + int(rng.uniform(0.3, 0.95) * intermediate_due)
    else:
        intermediate = initial + int(rng.uniform(1.05, 1.7) * intermediate_due)
    final_due = rules.final_report_months_after_intermediate * 30 * DAY
    final = intermediate + int((rng.uniform(0.3, 0.9) if rng.random() < 0.92 else rng.uniform(1.1, 1.5)) * final_due)
    if resolved is not None:
        final = max(final, resolved + int(rng.uniform(1, 5) * DAY))
    if initial >= window.end:
        return None, None, None
    if intermediate >= window.end:
        return initial, None, None
    if resolved is None or final >= window.end:
        return initial, intermediate, None
    return initial, intermediate, final


# --- Claims ----------------------------------------------------------------------------------------------------


def _account_ref(n: int) -> str:
    """A pseudonymous account reference: the account number scrambled by an odd multiplier modulo 2**48 (a
    bijection, so distinct accounts never collide), as 12 hex digits."""
    return f"acct_{(n * 0x9E3779B97F4B) % 2**48:012x}"


def _claims(rng: np.random.Generator, window: Window, prices: Prices, incidents: list[IncidentFacts]) -> list[dict]:
    """Claim rows: per incident in proportion to the clients it affected, plus a trickle naming no incident.
    Sorted by submission, numbered in that order."""
    months = len(window.month_starts) - 1
    pool = ACCOUNT_POOL_PER_MONTH * months
    drafts: list[dict] = []
    for incident in incidents:
        expected = min(incident.clients_affected * CLAIM_RATE[incident.category], MAX_CLAIMS_PER_INCIDENT)
        for _ in range(rng.poisson(expected)):
            drafts.append(_claim(rng, window, prices, pool, incident))
    for month_start, month_end in zip(window.month_starts, window.month_starts[1:]):
        for _ in range(rng.poisson(UNLINKED_CLAIMS_PER_MONTH)):
            drafts.append(_claim(rng, window, prices, pool, None, int(rng.integers(month_start, month_end))))
    claims = sorted((c for c in drafts if c["submitted_at"] < window.end), key=lambda c: c["submitted_at"])
    for number, claim in enumerate(claims, start=1):
        claim["claim_id"] = f"CLM-{number:08d}"
    return claims


def _claim(rng: np.random.Generator, window: Window, prices: Prices, pool: int, incident: IncidentFacts | None,
           submitted: int | None = None) -> dict:
    """One claim, decided as seen at the window's end (decisions falling after it are still pending)."""
    category = incident.category if incident else None
    automatic = incident is not None and rng.random() < AUTOMATIC_SHARE.get(incident.category, 0.0)
    if incident is not None:
        if automatic:  # raised by the platform once the incident is understood
            base = incident.resolved if incident.resolved is not None else incident.detected
            submitted = base + int(rng.uniform(0.5, 6) * HOUR)
        else:  # users write in over the following days
            submitted = incident.started + int(rng.lognormal(np.log(20 * HOUR), 1.0))
    assert submitted is not None

    median_usd = CLAIM_MEDIAN_USD.get(category or "", CLAIM_MEDIAN_USD_OTHERWISE)
    usd = min(rng.lognormal(np.log(median_usd), CLAIM_SIGMA), CLAIM_MAX_USD)
    asset = _pick(rng, CLAIM_ASSETS, CLAIM_ASSET_WEIGHTS)
    claimed = _usd_to_minor(usd, asset, prices, min(submitted, window.end - 1) // DAY)

    if automatic:
        decision = "approved" if rng.random() < 0.8 else "partially_approved"
        decided = submitted + int(rng.lognormal(np.log(2 * HOUR), 0.8))
    else:
        weights = DECISION_WEIGHTS_USER if incident else DECISION_WEIGHTS_UNLINKED
        decision = _pick(rng, DECISIONS_USER, weights)
        decided = submitted + int(rng.lognormal(np.log(4 * DAY), 0.9))
    reasons = REJECTION_WEIGHTS if incident else REJECTION_WEIGHTS_UNLINKED
    reason = _pick(rng, REJECTION_REASONS, [reasons[r] for r in REJECTION_REASONS])
    fraction = rng.uniform(0.2, 0.9)
    # Account numbers drawn with a skew (u**1.5 favours low numbers), so that active traders claim more than once.
    account = int(pool * rng.random() ** 1.5)
    if decided >= window.end:
        decision = "pending"

    approved = None
    if decision == "approved":
        approved = claimed
    elif decision == "partially_approved":
        approved = max(1, _round_to_granule(int(claimed * fraction), asset))
    return {
        "claim_id": None,  # numbered once all claims are sorted
        "incident_id": incident.incident_id if incident else None,
        "account_ref": _account_ref(account),
        "channel": "automatic" if automatic else "user_claim",
        "submitted_at": submitted,
        "decided_at": None if decision == "pending" else decided,
        "decision": decision,
        "rejection_reason": reason if decision == "rejected" else None,
        "claimed_amount": _money(claimed, asset),
        "claimed_asset": asset,
        "approved_amount": None if approved is None else _money(approved, asset),
    }


def _round_to_granule(minor: int, asset: str) -> int:
    """Stablecoin amounts that people type are in cents, although the asset has 6 decimals."""
    granule = 10 ** (DECIMALS[asset] - 2) if asset in STABLECOINS else 1
    return minor - minor % granule


def _usd_to_minor(usd: float, asset: str, prices: Prices, day: int) -> int:
    """A USD value converted at the day's close, as a whole number of the asset's minor units (at least one)."""
    units = usd / float(prices.usd(asset, day))
    return max(1, _round_to_granule(int(round(units * 10 ** DECIMALS[asset])), asset))


# --- Payouts ---------------------------------------------------------------------------------------------------


class Payout(NamedTuple):
    row: dict
    minor: int  # the amount in the asset's minor units, for the fund ledger


def _fund_holdings(profile: Profile) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
    """(fund code, holdings) for each profile fund: USD-margined first, then coin-margined, alternating."""
    templates = (USD_MARGINED_HOLDINGS, COIN_MARGINED_HOLDINGS)
    return [(code, templates[i % 2]) for i, code in enumerate(profile.fund_codes)]


def _compensating_fund(holdings: list[tuple[str, tuple[tuple[str, int], ...]]], asset: str) -> int | None:
    """Index of the fund that pays compensation in `asset`: the first fund holding it (USDT/USDC → USD-margined,
    coins → coin-margined); None when no fund holds it."""
    for index, (_, held) in enumerate(holdings):
        if asset in (a for a, _ in held):
            return index
    return None


def _payouts(rng: np.random.Generator, window: Window, claims: list[dict], incidents: list[IncidentFacts],
             holdings: list[tuple[str, tuple[tuple[str, int], ...]]]) -> list[Payout]:
    """Payouts for (partially) approved claims paid before the window's end: usually one, sometimes an account
    credit plus a fee rebate that add up exactly to the approved amount."""
    by_id = {i.incident_id: i for i in incidents}
    drafts: list[Payout] = []
    for claim in claims:
        if claim["approved_amount"] is None:
            continue
        asset = claim["claimed_asset"]
        automatic = claim["channel"] == "automatic"
        paid = int(_off_midnight(claim["decided_at"] + int(rng.lognormal(np.log((0.5 if automatic else 18) * HOUR),
                                                                           1.0))))
        incident = by_id.get(claim["incident_id"])
        share = 0.0
        if incident is not None and incident.category == "erroneous_liquidation":
            share = INSURANCE_FUNDED_SHARE["erroneous_liquidation"]
        elif incident is not None and incident.derivatives:
            share = INSURANCE_FUNDED_SHARE["derivatives"]
        insured = rng.random() < share and _compensating_fund(holdings, asset) is not None
        funding = "insurance_fund" if insured else "company"
        method = _pick(rng, PAYOUT_METHODS, PAYOUT_METHOD_WEIGHTS)
        approved = _minor(claim["approved_amount"], asset)
        rebate_at = int(_off_midnight(paid + int(rng.uniform(5 * MINUTE, 3 * HOUR))))
        credit = _round_to_granule(int(approved * rng.uniform(0.5, 0.9)), asset)
        if paid >= window.end:
            continue
        if rng.random() < SPLIT_PAYOUT_SHARE and 0 < credit < approved and rebate_at < window.end:
            parts = [(paid, credit, "account_credit"), (rebate_at, approved - credit, "fee_rebate")]
        else:
            parts = [(paid, approved, method)]
        for at, minor, how in parts:
            drafts.append(Payout({"payout_id": None, "claim_id": claim["claim_id"], "paid_at": at, "asset": asset,
                                  "amount": _money(minor, asset), "method": how, "funding_source": funding},
                                 minor))
    payouts = sorted(drafts, key=lambda p: p.row["paid_at"])
    for number, payout in enumerate(payouts, start=1):
        payout.row["payout_id"] = f"PAY-{number:08d}"
    return payouts


# --- Insurance funds -------------------------------------------------------------------------------------------


class Movements(NamedTuple):
    """The fund ledger as parallel arrays, sorted by time; `amount` in 1e-8 units (FUND_SCALE)."""

    occurred_at: np.ndarray  # int64 epoch seconds
    fund: np.ndarray  # index into the fund holdings
    asset: np.ndarray  # index into ASSETS
    amount: np.ndarray  # int64, signed
    kind: np.ndarray  # index into contract.MOVEMENT_KINDS


SURPLUS, BANKRUPTCY, CONTRIBUTION, COMPENSATION, ADL, TRANSFER = (
    MOVEMENT_KINDS.index(k) for k in ("liquidation_surplus", "bankruptcy_cover", "platform_contribution",
                                      "compensation", "adl", "transfer"))


def _usd_to_fund_units(usd: np.ndarray, asset: str, prices: Prices, t: np.ndarray) -> np.ndarray:
    """USD values converted at each instant's daily close, in 1e-8 units rounded to the asset's own precision."""
    granule = 10 ** (FUND_SCALE - DECIMALS[asset])
    units = np.round(usd / prices.usd(asset, t // DAY) * 10**FUND_SCALE / granule).astype(np.int64)
    return np.maximum(units, 1) * granule


def _fund_movements(rng: np.random.Generator, window: Window, prices: Prices, crash_times: list[int],
                    holdings: list[tuple[str, tuple[tuple[str, int], ...]]], payouts: list[Payout]
                    ) -> tuple[Movements, dict[tuple[int, str], int]]:
    """The signed fund ledger (vectorised: this is the large table) and each fund/asset's initial balance."""
    parts: list[tuple[np.ndarray, int, int, np.ndarray, int]] = []  # (times, fund, asset, amounts, kind)
    initial: dict[tuple[int, str], int] = {}
    for fund, (_, held) in enumerate(holdings):
        for asset, approximate in held:
            units = int(approximate * rng.uniform(0.95, 1.05) * 10 ** DECIMALS[asset])
            initial[(fund, asset)] = units * 10 ** (FUND_SCALE - DECIMALS[asset])
            balance_usd = units / 10 ** DECIMALS[asset] * float(prices.usd(asset, window.start // DAY))
            for t, usd, kind in _market_flows(rng, window, crash_times, balance_usd):
                sign = 1 if kind in (SURPLUS, CONTRIBUTION) else -1
                parts.append((t, fund, ASSETS.index(asset), sign * _usd_to_fund_units(usd, asset, prices, t), kind))
    parts += _transfers(rng, holdings, window)
    parts += _compensations(holdings, payouts)

    occurred = np.concatenate([_off_midnight(np.asarray(p[0], dtype=np.int64)) for p in parts])
    fund = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    asset = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    amount = np.concatenate([np.asarray(p[3], dtype=np.int64) for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[4]) for p in parts])
    # Sort by time; ties keep generation order (lexsort is stable, last key first). Crash aftermaths may spill
    # over the window's end: those movements are dropped.
    order = np.lexsort((np.arange(occurred.size), occurred))
    order = order[occurred[order] < window.end]
    movements = Movements(occurred[order], fund[order], asset[order], amount[order], kind[order])
    _check_never_negative(holdings, initial, movements)
    return movements, initial


def _market_flows(rng: np.random.Generator, window: Window, crash_times: list[int], balance_usd: float
                  ) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(instants, USD sizes, kind) of one fund/asset's trading-driven movements. Sizes scale with the fund so a
    small fund is not swamped: over a calm month it grows a little, and each crash costs it a few per cent."""
    days = np.arange(window.start // DAY, window.end // DAY)
    is_crash = np.isin(days, [t // DAY for t in crash_times])

    def during(per_day: np.ndarray) -> np.ndarray:  # `per_day[i]` instants spread over day i
        return np.repeat(days, per_day) * DAY + rng.integers(1, DAY, per_day.sum())

    def after_crashes(mean_count: float, mean_delay: float) -> np.ndarray:  # bursts in the hours after crashes
        return np.concatenate([c + rng.exponential(mean_delay, rng.poisson(mean_count)).astype(np.int64)
                               for c in crash_times])

    # Liquidation surpluses: 50-150 small lognormal inflows a day, three times as many on crash days.
    t = during(rng.poisson(rng.uniform(50, 150) * np.where(is_crash, 3, 1)))
    surplus = (t, rng.lognormal(np.log(2.5e-6 * balance_usd), 1.3, t.size), SURPLUS)

    # Bankruptcy covers: about one a day, in bursts after a crash, Pareto-sized (heavy-tailed), each capped at
    # 1.5 % of the fund so that even a bad day cannot empty it.
    calm = during(rng.poisson(0.8, days.size))
    crash = after_crashes(40, 2 * HOUR)
    scale = np.concatenate([np.full(calm.size, 5e-5), np.full(crash.size, 2e-4)]) * balance_usd
    size = np.minimum(scale * (1 + rng.pareto(1.1, scale.size)), 0.015 * balance_usd)
    bankruptcy = (np.concatenate([calm, crash]), size, BANKRUPTCY)

    # Auto-deleveraging: a handful of outflows while the crash unwinds.
    t = after_crashes(3, 3 * HOUR)
    adl = (t, rng.lognormal(np.log(2e-4 * balance_usd), 1.0, t.size), ADL)

    # Platform contribution: on the first of each month, mid-morning, 0.3-0.8 % of the fund.
    t = np.array(window.month_starts[:-1]) + rng.integers(9 * HOUR, 11 * HOUR, len(window.month_starts) - 1)
    contribution = (t, balance_usd * rng.uniform(0.003, 0.008, t.size), CONTRIBUTION)
    return [surplus, bankruptcy, adl, contribution]


def _transfers(rng: np.random.Generator, holdings: list[tuple[str, tuple[tuple[str, int], ...]]], window: Window
               ) -> list[tuple[np.ndarray, int, int, np.ndarray, int]]:
    """USDT rebalancing between the first two funds holding it: an outflow and an equal inflow at the same
    instant, about three a month."""
    usdt_funds = [i for i, (_, held) in enumerate(holdings) if "USDT" in (a for a, _ in held)][:2]
    if len(usdt_funds) < 2:
        return []
    days = np.arange(window.start // DAY, window.end // DAY)
    chosen = days[rng.random(days.size) < 0.1]
    t = chosen * DAY + rng.integers(1, DAY, chosen.size)
    amount = rng.integers(200_000, 1_500_000, t.size) * 10**FUND_SCALE  # whole USDT
    # More often from the large USD-margined fund to the small coin-margined one than back.
    sign = np.where(rng.random(t.size) < 0.6, 1, -1)
    usdt = ASSETS.index("USDT")
    first, second = usdt_funds
    return [(t, first, usdt, -sign * amount, TRANSFER), (t, second, usdt, sign * amount, TRANSFER)]


def _compensations(holdings: list[tuple[str, tuple[tuple[str, int], ...]]], payouts: list[Payout]
                   ) -> list[tuple[np.ndarray, int, int, np.ndarray, int]]:
    """One outflow for every payout the insurance fund bears: same asset, same instant, minus the amount."""
    parts = []
    for payout in payouts:
        if payout.row["funding_source"] != "insurance_fund":
            continue
        asset = payout.row["asset"]
        fund = _compensating_fund(holdings, asset)
        assert fund is not None  # payouts are only insurance-funded in assets a fund holds
        amount = payout.minor * 10 ** (FUND_SCALE - DECIMALS[asset])
        parts.append((np.array([payout.row["paid_at"]]), fund, ASSETS.index(asset), np.array([-amount]), COMPENSATION))
    return parts


def _check_never_negative(holdings: list, initial: dict[tuple[int, str], int], movements: Movements) -> None:
    for (fund, asset), start in initial.items():
        mine = (movements.fund == fund) & (movements.asset == ASSETS.index(asset))
        running = start + np.cumsum(movements.amount[mine])
        if running.size and running.min() < 0:
            raise AssertionError(f"demo fund {holdings[fund][0]} {asset} would go negative")


def _fund_balances(rng: np.random.Generator, window: Window, holdings: list[tuple[str, tuple[tuple[str, int], ...]]],
                   initial: dict[tuple[int, str], int], movements: Movements) -> list[dict]:
    """Snapshots at 00:00 each day from the day before the window to its last day: the initial balance plus every
    movement up to that instant. Two or three days in the middle are missing, as when a snapshot job fails."""
    days = np.arange(window.start // DAY - 1, window.last_day + 1)
    inner = days[2:-2]
    inner = inner[~np.isin(inner * DAY, window.month_starts)]  # keep the month-opening snapshots
    missing = rng.choice(inner, size=min(inner.size, int(rng.integers(2, 4))), replace=False)
    days = days[~np.isin(days, missing)]
    rows = []
    for (fund, asset), start in initial.items():
        mine = (movements.fund == fund) & (movements.asset == ASSETS.index(asset))
        times = movements.occurred_at[mine]
        running = np.concatenate([[0], np.cumsum(movements.amount[mine])])
        # Movements at or before the snapshot instant are included.
        included = np.searchsorted(times, days * DAY, side="right")
        granule = 10 ** (FUND_SCALE - DECIMALS[asset])
        for day, total in zip(days, running[included]):
            balance = start + int(total)
            assert balance % granule == 0
            rows.append({"fund_id": holdings[fund][0], "asset": asset, "as_of": int(day) * DAY,
                         "balance": _money(balance // granule, asset)})
    return rows


# --- Writing ---------------------------------------------------------------------------------------------------


def _checked(table: str, rows: list[dict]) -> list:
    """The contract's columns, after checking every row has exactly them (catches a typo in a key)."""
    columns = TABLES_BY_NAME[table].columns
    names = {c.name for c in columns}
    for row in rows:
        if set(row) != names:
            raise AssertionError(f"{table}: row keys {sorted(set(row) ^ names)} differ from the contract")
    return list(columns)


def _csv_value(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind is Kind.TIMESTAMP:
        return _iso(value)
    if kind is Kind.DATE:
        return _iso_date(value)
    if kind is Kind.DECIMAL:
        return format(value, "f")  # never exponent notation
    if kind is Kind.BOOLEAN:
        return "true" if value else "false"
    if kind is Kind.COUNTRY_LIST:
        return ";".join(value)
    return str(value)


def _json_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.TIMESTAMP:
        return _iso(value)
    if kind is Kind.DATE:
        return _iso_date(value)
    if kind is Kind.DECIMAL:
        return format(value, "f")  # a string: JSON numbers are floats to most readers
    return value


def _write_csv(path: Path, table: str, rows: list[dict]) -> None:
    columns = _checked(table, rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in rows:
            writer.writerow([_csv_value(c.kind, row[c.name]) for c in columns])


def _write_jsonl(path: Path, table: str, rows: list[dict]) -> None:
    columns = _checked(table, rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        for row in rows:
            record = {c.name: _json_value(c.kind, row[c.name]) for c in columns}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def _decimal_array(amount: np.ndarray, scale: int) -> pa.Array:
    """Exact decimal128(38, 18) values from int64 counts of 10**-scale: reinterpret the integers as
    decimal128(38, scale) (same unscaled value), then widen the scale, which pyarrow does exactly."""
    unscaled = pa.array(amount, pa.int64()).cast(pa.decimal128(38, 0))
    scaled = pa.Array.from_buffers(pa.decimal128(38, scale), len(unscaled), unscaled.buffers())
    return scaled.cast(pa.decimal128(38, 18))


def _write_movements(path: Path, holdings: list[tuple[str, tuple[tuple[str, int], ...]]], movements: Movements
                     ) -> None:
    n = movements.occurred_at.size
    ids = np.char.add("MOV-", np.char.zfill(np.arange(1, n + 1).astype(str), 9))

    def codes(index: np.ndarray, names: list[str] | tuple[str, ...]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), pa.array(names)).cast(pa.string())

    columns = {
        "movement_id": pa.array(ids, pa.string()),
        "fund_id": codes(movements.fund, [code for code, _ in holdings]),
        "asset": codes(movements.asset, ASSETS),
        "occurred_at": pa.array(movements.occurred_at * 1_000_000, pa.timestamp("us", tz="UTC")),
        "amount": _decimal_array(movements.amount, FUND_SCALE),
        "kind": codes(movements.kind, MOVEMENT_KINDS),
    }
    names = TABLES_BY_NAME["insurance_fund_movements"].column_names
    assert sorted(columns) == sorted(names)
    pq.write_table(pa.table({name: columns[name] for name in names}), path, compression="zstd")

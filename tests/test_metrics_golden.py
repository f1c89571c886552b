"""Golden tests of the 30-day metrics (DESIGN.md §4) on small hand-written datasets.

Each scenario starts from `valid_tables()`, replaces or adds rows, is written to a landing directory and
materialised through the real Dagster graph (staging → marts → metrics) for one or more monthly partitions. The
expected figures are computed here, in plain Python (datetime and Decimal arithmetic, interval merging written out),
never by the project's SQL, and compared with `marts.*`:

* exactly where the definition is exact (money, balances, counts, timestamps);
* to a stated tolerance where the SQL goes through floating point (availability ratios, minutes and hours obtained by
  division, percentages, the mean of the daily series).

Scenarios, each materialised once:

* `main` (the demo profile; April, May and June 2026): overlapping outages, a partial outage under the three
  availability conventions, an incident crossing the May/June boundary, an open incident, payouts in three assets
  on different days, claims decided in the next month, two funds whose balances are carried forward between sparse
  snapshots (with a snapshot and a movement stamped at the same instant), the reconciliation, month over month, and
  the trailing 30-day windows;
* `classification` (the demo profile with 1,600,000 derivatives clients, so that the 100,000-clients count binds;
  May 2026): every DORA criterion just under and just over its threshold, and notifications exactly on time and
  one minute late;
* `mismatch` (the valid set with a snapshot one satoshi off the ledger): the reconciliation difference, exactly,
  and the blocking check.
"""

from __future__ import annotations

import copy
import csv
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import holidays
import pytest
from landing_builder import valid_tables, write_landing

from pipelines.definitions import MONTHLY_ASSETS
from pipelines.defs.resources import make_resources
from pipelines.materialize import materialize
from pipelines.warehouse import connect

ROOT = Path(__file__).resolve().parent.parent
DEMO_PROFILE = ROOT / "pipelines" / "demo" / "profile.toml"
METRIC_SEED = ROOT / "sql" / "seeds" / "metrics.csv"

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Tolerances where the SQL divides in floating point.
RATIO_TOL = Decimal("1e-9")  # availability (stored with 10 decimals)
MINUTES_TOL = Decimal("1e-6")  # minutes, hours, percentages
CENT_TOL = Decimal("1e-6")  # USD figures computed through DOUBLE (the mean of the daily series)


# ---------------------------------------------------------------------------------------------------------------------
# Small helpers: times, rows, Decimal money
# ---------------------------------------------------------------------------------------------------------------------


def at(text: str) -> datetime:
    """'2026-05-03 10:00' (UTC) → an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def month_window(period: str | tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    """[start, end) of a `YYYY-MM` month; a (start, end) pair is returned as it is (any window)."""
    if not isinstance(period, str):
        return period
    year, month = map(int, period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar-month addition, the day clamped to the month's length (as SQL interval arithmetic does)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    days_in_month = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


def minutes(delta: timedelta) -> Decimal:
    return Decimal(int(delta / timedelta(microseconds=1))) / Decimal(60_000_000)


def hours(delta: timedelta) -> Decimal:
    return Decimal(int(delta / timedelta(microseconds=1))) / Decimal(3_600_000_000)


def usd(amount: Decimal, close: Decimal) -> Decimal:
    """amount × close, both exact here (the scenarios never need more than 12 fractional digits)."""
    value = amount * close
    assert value == value.quantize(Decimal("1e-12")), "scenario values must stay within 12 fractional digits"
    return value


def quantile_cont(values: list[Decimal], q: Decimal) -> Decimal | None:
    """Linear interpolation between the closest ranks (DuckDB quantile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Union of half-open intervals, as disjoint sorted intervals (a minute covered twice counts once)."""
    merged: list[list[datetime]] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def covered(intervals: list[tuple[datetime, datetime]]) -> timedelta:
    return sum((e - s for s, e in merge(intervals)), timedelta())


def close_enough(actual: Decimal | None, expected: Decimal | None, tolerance: Decimal) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    return abs(Decimal(actual) - Decimal(expected)) <= tolerance


def query(con, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------------------------------
# Prices: every asset every day from the day before April to the day after June, a different close each day
# ---------------------------------------------------------------------------------------------------------------------

FIRST_PRICE_DAY = date(2026, 3, 31)
PRICE_DAYS = 93  # 2026-03-31 … 2026-07-01


def close_of(asset: str, day: date) -> Decimal:
    i = (day - FIRST_PRICE_DAY).days
    if asset == "BTC":
        return Decimal("90000.5") + Decimal("12.25") * i
    if asset == "USDT":
        return Decimal("0.9995") + Decimal("0.0001") * (i % 7)
    if asset == "EUR":
        return Decimal("1.150") + Decimal("0.002") * (i % 11)
    if asset == "USD":
        return Decimal(1)
    raise KeyError(asset)


def price_rows() -> list[dict]:
    return [
        {"asset": asset, "date": (FIRST_PRICE_DAY + timedelta(days=i)).isoformat(),
         "close_usd": str(close_of(asset, FIRST_PRICE_DAY + timedelta(days=i)))}
        for i in range(PRICE_DAYS)
        for asset in ("BTC", "USDT", "EUR", "USD")
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Row builders on top of valid_tables()
# ---------------------------------------------------------------------------------------------------------------------

NEUTRAL = {  # an incident that meets no criterion by itself
    "category": "outage", "severity": "minor", "status": "resolved",
    "clients_affected": "10", "transactions_affected": "10", "value_affected": "100.00",
    "value_affected_currency": "USD", "member_states": None, "data_loss": "false", "malicious_access": "false",
    "reputational_impact": "false", "economic_cost": "1000.00", "economic_cost_currency": "EUR",
    "root_cause_category": "software_defect",
    "initial_notified_at": None, "intermediate_reported_at": None, "final_reported_at": None,
}


def make_incident(template: dict, incident_id: str, started: str, *, detected: int = 5, classified: int = 30,
                  resolved: int | None = 60, **fields) -> dict:
    """An incident started at `started`, detected/classified/resolved so many minutes later (None = open)."""
    start = at(started)
    row = dict(template, **NEUTRAL)
    row.update(
        incident_id=incident_id, title=f"Incident {incident_id}", public_summary=f"What happened in {incident_id}.",
        started_at=iso(start), detected_at=iso(start + detected * MINUTE),
        classified_at=iso(start + classified * MINUTE),
        resolved_at=iso(None if resolved is None else start + resolved * MINUTE),
        status="resolved" if resolved is not None else "investigating",
    )
    row.update(fields)
    return row


def impact(incident_id: str, service: str, kind: str, started: str, ended: str | None) -> dict:
    return {"incident_id": incident_id, "service": service, "impact": kind, "started_at": iso(at(started)),
            "ended_at": iso(None if ended is None else at(ended))}


def notified(initial: datetime, intermediate: datetime | None = None, final: datetime | None = None) -> dict:
    return {"initial_notified_at": iso(initial), "intermediate_reported_at": iso(intermediate),
            "final_reported_at": iso(final)}


def on_time_notifications(row: dict) -> dict:
    """Notifications comfortably inside every deadline."""
    initial = parse_ts(row["classified_at"]) + HOUR
    return notified(initial, initial + 24 * HOUR, initial + 24 * HOUR + 7 * DAY)


# ---------------------------------------------------------------------------------------------------------------------
# Scenario `main`: April, May and June 2026, the demo profile
# ---------------------------------------------------------------------------------------------------------------------


def main_tables() -> dict[str, list[dict]]:
    tables = copy.deepcopy(valid_tables())
    tables["prices"] = price_rows()
    template = tables["incidents"][0]
    inc = make_incident

    a1 = inc(template, "A1", "2026-04-10 08:00", detected=3, classified=20, resolved=45, member_states="DE;FR",
             reputational_impact="true", root_cause_category="capacity")
    m1 = inc(template, "M1", "2026-05-03 10:00", resolved=60, member_states="DE;FR", reputational_impact="true",
             clients_affected="1200")
    # open incident: partial outage of withdrawals from May 30 22:00, runs to every window's end
    m5 = inc(template, "M5", "2026-05-30 22:00", detected=10, classified=60, resolved=None, status="investigating",
             reputational_impact="true", root_cause_category="third_party_failure", clients_affected="5000")
    incidents = [
        dict(a1, **on_time_notifications(a1)),
        inc(template, "A2", "2026-04-20 12:00", detected=12, classified=40, resolved=180,
            root_cause_category="third_party_failure"),
        dict(m1, **on_time_notifications(m1)),
        inc(template, "M2", "2026-05-03 10:30", detected=2, classified=15, resolved=60,
            root_cause_category="configuration_change", clients_affected="300"),
        inc(template, "M3", "2026-05-12 12:00", detected=20, classified=50, resolved=120,
            root_cause_category="configuration_change", clients_affected="45"),
        # crosses the month boundary: 60 minutes in May, 90 in June
        inc(template, "M4", "2026-05-31 23:00", detected=10, classified=40, resolved=150, member_states="DE;FR",
            root_cause_category="infrastructure_failure"),
        dict(m5, initial_notified_at=iso(at("2026-05-31 02:00"))),
        inc(template, "J1", "2026-06-10 09:00", detected=1, classified=10, resolved=20,
            root_cause_category="human_error"),
    ]
    impacts = [
        impact("A1", "spot", "major_outage", "2026-04-10 08:00", None),
        impact("A2", "api", "partial_outage", "2026-04-20 12:00", "2026-04-20 15:00"),
        # spot on May 3: three overlapping outages of two incidents, union 10:00-11:30 = 90 minutes
        impact("M1", "spot", "major_outage", "2026-05-03 10:00", None),  # → resolved_at 11:00
        impact("M1", "spot", "major_outage", "2026-05-03 10:15", "2026-05-03 10:45"),
        impact("M2", "spot", "major_outage", "2026-05-03 10:30", "2026-05-03 11:30"),
        impact("M2", "derivatives", "degraded_performance", "2026-05-03 10:30", None),  # never down
        # derivatives on May 12: partial 12:00-14:00 with a major outage 13:00-13:30 inside it
        impact("M3", "derivatives", "partial_outage", "2026-05-12 12:00", "2026-05-12 14:00"),
        impact("M3", "derivatives", "major_outage", "2026-05-12 13:00", "2026-05-12 13:30"),
        impact("M4", "fiat", "major_outage", "2026-05-31 23:00", None),  # → 2026-06-01 01:30
        impact("M5", "withdrawals", "partial_outage", "2026-05-30 22:00", None),  # open: → window end
        impact("J1", "api", "degraded_performance", "2026-06-10 09:00", "2026-06-10 09:20"),
    ]

    claim = tables["compensation_claims"][0]

    def make_claim(claim_id, account, submitted, decided, decision, *, asset="BTC", claimed="0.01000000",
                   approved=None, reason=None, incident="M1"):
        return dict(claim, claim_id=claim_id, account_ref=account, incident_id=incident,
                    submitted_at=iso(at(submitted)), decided_at=iso(decided and at(decided)), decision=decision,
                    rejection_reason=reason, claimed_asset=asset, claimed_amount=claimed, approved_amount=approved)

    claims = [
        make_claim("C-A1", "acct_apr", "2026-04-05 10:00", "2026-04-07 10:00", "approved", claimed="0.02000000",
                   approved="0.02000000", incident="A1"),
        # received in April, decided in May
        make_claim("C-A2", "acct_fff", "2026-04-25 00:00", "2026-05-04 12:00", "rejected", asset="USDT",
                   claimed="2500.00", reason="unrealized_profit", incident="A1"),
        make_claim("C1", "acct_aaa", "2026-05-04 09:00", "2026-05-06 09:00", "approved", approved="0.01000000"),
        make_claim("C2", "acct_bbb", "2026-05-10 00:00", "2026-05-11 00:00", "partially_approved", asset="USDT",
                   claimed="1000.00", approved="600.00", incident="M2"),
        make_claim("C3", "acct_aaa", "2026-05-14 06:00", "2026-05-15 06:00", "approved", asset="EUR",
                   claimed="500.00", approved="500.00", incident="M3"),
        # pending at the end of May, decided in June
        make_claim("C4", "acct_ccc", "2026-05-20 12:00", "2026-06-03 12:00", "approved", asset="USDT",
                   claimed="200.00", approved="200.00"),
        # decided exactly at the end of May: not decided *before* the end, so pending at May end
        make_claim("C5", "acct_ggg", "2026-05-25 00:00", "2026-06-01 00:00", "rejected", asset="USDT",
                   claimed="50.00", reason="not_affected"),
        make_claim("C6", "acct_ddd", "2026-05-28 08:00", None, "pending", incident=None),
        make_claim("C7", "acct_eee", "2026-05-05 00:00", "2026-05-05 12:00", "rejected", asset="USDT",
                   claimed="9000.00", reason="unrealized_profit"),
        make_claim("C8", "acct_hhh", "2026-05-06 00:00", "2026-05-08 00:00", "withdrawn", incident="M2"),
    ]
    payout = tables["compensation_payouts"][0]

    def make_payout(payout_id, claim_id, paid, asset, amount, source="company", method="account_credit"):
        return dict(payout, payout_id=payout_id, claim_id=claim_id, paid_at=iso(at(paid)), asset=asset,
                    amount=amount, funding_source=source, method=method)

    payouts = [
        make_payout("P-A1", "C-A1", "2026-04-08 10:00", "BTC", "0.01000000"),
        # the second payout of an April claim: paid in May, but the claim's first payout (latency) is April's
        make_payout("P-A2", "C-A1", "2026-05-02 09:00", "BTC", "0.01000000"),
        # three assets, each valued at the close of its own day
        make_payout("PAY-1", "C1", "2026-05-07 09:00", "BTC", "0.00600000"),
        make_payout("PAY-2", "C1", "2026-05-07 09:00", "BTC", "0.00400000", "insurance_fund", "fee_rebate"),
        make_payout("PAY-3", "C2", "2026-05-12 15:30", "USDT", "600.00", "insurance_fund"),
        make_payout("PAY-4", "C3", "2026-05-20 18:00", "EUR", "400.00"),
        make_payout("PAY-5", "C4", "2026-06-04 00:00", "USDT", "200.00"),
        # paid at the very end of May, i.e. at the start of June: a June payout
        make_payout("PAY-6", "C3", "2026-06-01 00:00", "EUR", "100.00"),
    ]

    def snapshot(fund, asset, as_of, balance):
        return {"fund_id": fund, "asset": asset, "as_of": iso(at(as_of)), "balance": balance}

    def movement(movement_id, fund, asset, occurred, amount, kind):
        return {"movement_id": movement_id, "fund_id": fund, "asset": asset, "occurred_at": iso(at(occurred)),
                "amount": amount, "kind": kind}

    balances = [
        snapshot("coinm-perp", "BTC", "2026-03-31 00:00", "100.00000000"),
        # stamped at the same instant as MOV-B4: the balance before it (100 + 0.3 + 0.5 − 0.004)
        snapshot("coinm-perp", "BTC", "2026-05-15 00:00", "100.79600000"),
        snapshot("coinm-perp", "BTC", "2026-06-20 00:00", "98.94600000"),
        snapshot("usdm-perp", "USDT", "2026-03-31 00:00", "5000000.00"),
        snapshot("usdm-perp", "USDT", "2026-05-31 12:00", "4874400.00"),
        # stamped at the period end, with a movement at the same instant (which it does not include yet)
        snapshot("usdm-perp", "USDT", "2026-06-01 00:00", "4875634.50"),
        # the same asset in another fund
        snapshot("usdm-perp", "BTC", "2026-03-31 00:00", "5.00000000"),
    ]
    movements = [
        movement("MOV-B1", "coinm-perp", "BTC", "2026-04-15 10:00", "0.30000000", "liquidation_surplus"),
        movement("MOV-B2", "coinm-perp", "BTC", "2026-05-01 08:00", "0.50000000", "liquidation_surplus"),
        movement("MOV-B3", "coinm-perp", "BTC", "2026-05-07 09:00", "-0.00400000", "compensation"),
        movement("MOV-B4", "coinm-perp", "BTC", "2026-05-15 00:00", "-1.20000000", "bankruptcy_cover"),
        movement("MOV-B5", "coinm-perp", "BTC", "2026-05-20 13:00", "-0.75000000", "bankruptcy_cover"),
        movement("MOV-B6", "coinm-perp", "BTC", "2026-06-02 00:00", "0.10000000", "platform_contribution"),
        movement("MOV-U1", "usdm-perp", "USDT", "2026-04-20 06:00", "10000.00", "liquidation_surplus"),
        movement("MOV-U2", "usdm-perp", "USDT", "2026-05-12 15:30", "-600.00", "compensation"),
        movement("MOV-U3", "usdm-perp", "USDT", "2026-05-18 04:00", "-250000.00", "bankruptcy_cover"),
        movement("MOV-U4", "usdm-perp", "USDT", "2026-05-25 00:00", "120000.00", "platform_contribution"),
        movement("MOV-U5", "usdm-perp", "USDT", "2026-05-29 11:00", "-5000.00", "transfer"),
        movement("MOV-U6", "usdm-perp", "USDT", "2026-05-31 20:00", "1234.50", "adl"),
        movement("MOV-U7", "usdm-perp", "USDT", "2026-06-01 00:00", "1000.00", "liquidation_surplus"),
        movement("MOV-UB1", "usdm-perp", "BTC", "2026-05-10 04:00", "0.25000000", "liquidation_surplus"),
    ]
    tables.update(
        incidents=incidents, incident_impacts=impacts, compensation_claims=claims, compensation_payouts=payouts,
        insurance_fund_balances=balances, insurance_fund_movements=movements,
    )
    del tables["incident_dora_details"]  # of the valid set's INC-1, replaced here; the table is optional
    return tables


# ---------------------------------------------------------------------------------------------------------------------
# Scenario `classification`: May 2026, every criterion just under and just over its threshold
# ---------------------------------------------------------------------------------------------------------------------

# derivatives gets 1,600,000 clients: 10 % of them (160,000) exceeds the 100,000 count, which then binds.
DERIVATIVES_CLIENTS = 1_600_000


def classification_profile(path: Path) -> Path:
    text = DEMO_PROFILE.read_text(encoding="utf-8")
    assert text.count("active_clients = 160000\n") == 1
    path.write_text(text.replace("active_clients = 160000\n", f"active_clients = {DERIVATIVES_CLIENTS}\n"),
                    encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    """One incident probing one criterion: `met` is that criterion's expected verdict, `major` the incident's."""

    incident_id: str
    criterion: str
    met: bool
    major: bool


def _value_just(threshold: Decimal, close: Decimal, rounding: str) -> Decimal:
    """An amount in an asset of `close` whose value is just over (ceiling) or at most (floor) `threshold`."""
    return (threshold / close).quantize(Decimal("0.000001"), rounding=rounding)


def classification_tables() -> tuple[dict[str, list[dict]], list[Case]]:
    tables = copy.deepcopy(valid_tables())
    tables["prices"] = price_rows()
    template = tables["incidents"][0]
    incidents, impacts, cases = [], [], []
    degraded = (("spot", "degraded_performance", 0, None),)

    def add(incident_id, criterion, met, major, started, *, hit=degraded, resolved=60, **fields):
        """An incident probing `criterion`; `hit` lists (service, impact, from, to) in minutes after its start."""
        row = make_incident(template, incident_id, started, resolved=resolved, **fields)
        row.update(on_time_notifications(row))
        incidents.append(row)
        start = at(started)
        for service, kind, first, last in hit:
            impacts.append(impact(incident_id, service, kind, f"{start + first * MINUTE:%Y-%m-%d %H:%M}",
                                  None if last is None else f"{start + last * MINUTE:%Y-%m-%d %H:%M}"))
        cases.append(Case(incident_id, criterion, met, major))

    second = {"data_loss": "true"}  # a second criterion, so that the probed one decides the verdict
    spot_clients = 420_000 // 10  # 10 % of spot's clients
    add("K-CLI-U", "clients_affected", False, False, "2026-05-01 08:00", clients_affected=str(spot_clients),
        **second)
    add("K-CLI-O", "clients_affected", True, True, "2026-05-02 08:00", clients_affected=str(spot_clients + 1),
        **second)
    derivatives = (("derivatives", "degraded_performance", 0, None),)
    add("K-CNT-U", "clients_affected", False, False, "2026-05-03 08:00", hit=derivatives,
        clients_affected="100000", **second)
    add("K-CNT-O", "clients_affected", True, True, "2026-05-04 08:00", hit=derivatives,
        clients_affected="100001", **second)
    spot_transactions = 1_800_000 // 10
    add("K-TXC-U", "transactions_affected_count", False, False, "2026-05-05 08:00",
        transactions_affected=str(spot_transactions), **second)
    add("K-TXC-O", "transactions_affected_count", True, True, "2026-05-06 08:00",
        transactions_affected=str(spot_transactions + 1), **second)
    spot_value = Decimal(950_000_000) / 10
    add("K-TXV-U", "transactions_affected_value_usd", False, False, "2026-05-07 08:00",
        value_affected=str(spot_value), **second)
    add("K-TXV-O", "transactions_affected_value_usd", True, True, "2026-05-08 08:00",
        value_affected=str(spot_value + Decimal("0.01")), **second)
    # the same in BTC, valued at the close of the day the incident started
    add("K-TXB-U", "transactions_affected_value_usd", False, False, "2026-05-09 08:00",
        value_affected_currency="BTC",
        value_affected=str(_value_just(spot_value, close_of("BTC", date(2026, 5, 9)), ROUND_FLOOR)), **second)
    add("K-TXB-O", "transactions_affected_value_usd", True, True, "2026-05-10 08:00",
        value_affected_currency="BTC",
        value_affected=str(_value_just(spot_value, close_of("BTC", date(2026, 5, 10)), ROUND_CEILING)), **second)
    # both transaction measures over, and nothing else: one criterion only, not major
    add("K-TX2", "transactions_affected_count", True, False, "2026-05-11 08:00",
        transactions_affected=str(spot_transactions + 1), value_affected=str(spot_value + 1))
    # critical downtime: spot down exactly 2 h (the non-critical api down 3 h does not count) …
    add("K-DT-U", "critical_downtime_hours", False, False, "2026-05-12 08:00", resolved=180,
        hit=(("spot", "major_outage", 0, 120), ("api", "major_outage", 0, None)), **second)
    # … and 2 h 1 min: a major outage of 90 min and a partial one from 60 min to the resolution, merged
    add("K-DT-O", "critical_downtime_hours", True, True, "2026-05-13 08:00", resolved=121,
        hit=(("spot", "major_outage", 0, 90), ("spot", "partial_outage", 60, None)), **second)
    # economic cost: in EUR, and converted from USD and USDT at the closes of the classification day
    add("K-EC-U", "economic_cost_eur", False, False, "2026-05-14 08:00", economic_cost="100000.00", **second)
    add("K-EC-O", "economic_cost_eur", True, True, "2026-05-15 08:00", economic_cost="100000.01", **second)
    eur_u, eur_o = close_of("EUR", date(2026, 5, 16)), close_of("EUR", date(2026, 5, 17))
    add("K-ECX-U", "economic_cost_eur", False, False, "2026-05-16 08:00", economic_cost_currency="USD",
        economic_cost=str(Decimal(100_000) * eur_u), **second)
    add("K-ECX-O", "economic_cost_eur", True, True, "2026-05-17 08:00", economic_cost_currency="USDT",
        economic_cost=str((Decimal("100000.01") * eur_o / close_of("USDT", date(2026, 5, 17)))
                          .quantize(Decimal("0.01"), rounding=ROUND_CEILING)), **second)
    add("K-MS-U", "member_states", False, False, "2026-05-18 08:00", member_states="DE", **second)
    add("K-MS-O", "member_states", True, True, "2026-05-19 08:00", member_states="DE;FR", **second)
    add("K-DL-U", "data_loss", False, False, "2026-05-20 08:00", reputational_impact="true")
    add("K-DL-O", "data_loss", True, True, "2026-05-21 08:00", reputational_impact="true", data_loss="true")
    add("K-REP-U", "reputational_impact", False, False, "2026-05-22 08:00", **second)
    add("K-REP-O", "reputational_impact", True, True, "2026-05-23 08:00", reputational_impact="true", **second)
    # malicious access makes a critical-service incident major on its own; a non-critical one stays minor
    add("K-MAL-O", "malicious_access", True, True, "2026-05-24 08:00", malicious_access="true")
    add("K-MAL-N", "malicious_access", True, False, "2026-05-25 08:00", hit=(("api", "major_outage", 0, None),),
        malicious_access="true", data_loss="true", reputational_impact="true")

    # notifications of major incidents (data loss and reputational impact)
    major = {"data_loss": "true", "reputational_impact": "true"}
    # N1: every report exactly at its deadline (classified + 4 h binds)
    n1 = make_incident(template, "K-N1", "2026-05-26 10:00", classified=30, resolved=90, **major)
    i1 = at("2026-05-26 14:30")
    n1.update(notified(i1, i1 + 72 * HOUR, add_months(i1 + 72 * HOUR, 1)))
    # N2: classified late, so detected + 24 h binds; the initial notification and the final report 1 minute late
    n2 = make_incident(template, "K-N2", "2026-05-27 00:00", detected=30, classified=21 * 60, resolved=22 * 60,
                       **major)
    i2 = at("2026-05-28 00:30") + MINUTE
    n2.update(notified(i2, i2 + 72 * HOUR, add_months(i2 + 72 * HOUR, 1) + MINUTE))
    # N3: nothing sent; the initial notification is due May 20 13:00 (classified 09:00 + 4 h)
    n3 = make_incident(template, "K-N3", "2026-05-20 08:00", detected=10, classified=60, resolved=120, **major)
    for row in (n1, n2, n3):
        incidents.append(row)
        impacts.append(impact(row["incident_id"], "spot", "degraded_performance",
                              f"{parse_ts(row['started_at']):%Y-%m-%d %H:%M}", None))

    tables["incidents"] += incidents  # after INC-1 and INC-2 of the valid set, which the claims refer to
    tables["incident_impacts"] += impacts
    return tables, cases


# ---------------------------------------------------------------------------------------------------------------------
# The reference implementation: the §4 definitions in plain Python
# ---------------------------------------------------------------------------------------------------------------------


LUXEMBOURG = ZoneInfo("Europe/Luxembourg")  # the demo profile's competent authority, the CSSF
DAYS_OFF = holidays.country_holidays("LU")


def working_noon(due: datetime) -> datetime:
    """RTS Art. 5(4): a deadline on a Saturday, Sunday or Luxembourg public holiday moves to 12:00 (Luxembourg time)
    of the next working day (the demo profile grants the relief to every report)."""
    local = due.astimezone(LUXEMBOURG)
    if local.weekday() < 5 and local.date() not in DAYS_OFF:
        return due
    day = local.date() + timedelta(days=1)
    while day.weekday() >= 5 or day in DAYS_OFF:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=LUXEMBOURG).astimezone(UTC)


class Data:
    """The landing tables parsed into Python values, and the profile."""

    def __init__(self, tables: dict[str, list[dict]], profile_path: Path):
        profile = tomllib.loads(profile_path.read_text(encoding="utf-8"))
        self.services = {s["code"]: s for s in profile["services"]}
        self.thresholds = {k: Decimal(str(v)) for k, v in profile["classification"].items()}
        self.adequacy = {k: Decimal(v) for k, v in profile.get("fund_adequacy", {}).items()}
        self.prices = {(p["asset"], date.fromisoformat(p["date"])): Decimal(p["close_usd"]) for p in tables["prices"]}
        self.incidents = []
        for row in tables["incidents"]:
            inc = dict(row)
            for key in ("started_at", "detected_at", "classified_at", "resolved_at", "initial_notified_at",
                        "intermediate_reported_at", "final_reported_at"):
                inc[key] = parse_ts(row[key])
            for key in ("clients_affected", "transactions_affected"):
                inc[key] = int(row[key])
            for key in ("value_affected", "economic_cost"):
                inc[key] = Decimal(row[key])
            for key in ("data_loss", "malicious_access", "reputational_impact"):
                inc[key] = row[key] == "true"
            inc["member_states"] = row["member_states"].split(";") if row["member_states"] else []
            self.incidents.append(inc)
        self.by_id = {i["incident_id"]: i for i in self.incidents}
        self.impacts = [dict(r, started_at=parse_ts(r["started_at"]), ended_at=parse_ts(r["ended_at"]))
                        for r in tables["incident_impacts"]]
        self.claims = [
            dict(r, submitted_at=parse_ts(r["submitted_at"]), decided_at=parse_ts(r["decided_at"]))
            for r in tables["compensation_claims"]
        ]
        self.claims_by_id = {c["claim_id"]: c for c in self.claims}
        self.payouts = [dict(r, paid_at=parse_ts(r["paid_at"]), amount=Decimal(r["amount"]))
                        for r in tables["compensation_payouts"]]
        self.snapshots = [dict(r, as_of=parse_ts(r["as_of"]), balance=Decimal(r["balance"]))
                          for r in tables["insurance_fund_balances"]]
        self.movements = [dict(r, occurred_at=parse_ts(r["occurred_at"]), amount=Decimal(r["amount"]))
                          for r in tables["insurance_fund_movements"]]
        self.fund_assets = sorted({(r["fund_id"], r["asset"]) for r in self.snapshots + self.movements})

    def close(self, asset: str, day: date) -> Decimal:
        return self.prices[(asset, day)]

    # -- incidents ------------------------------------------------------------------------------------------------

    def availability(self, period: str) -> dict[str, dict[str, Decimal]]:
        start, end = month_window(period)
        window = end - start
        result = {}
        for service in self.services:
            by_kind = {"major_outage": [], "partial_outage": [], "degraded_performance": []}
            for im in self.impacts:
                if im["service"] != service:
                    continue
                until = im["ended_at"] or self.by_id[im["incident_id"]]["resolved_at"] or end
                by_kind[im["impact"]].append((max(im["started_at"], start), min(until, end)))
            lenient = covered(by_kind["major_outage"])
            strict = covered(by_kind["major_outage"] + by_kind["partial_outage"])
            anything = covered(by_kind["major_outage"] + by_kind["partial_outage"] + by_kind["degraded_performance"])
            partial_only = strict - lenient
            result[service] = {
                "outage_minutes": minutes(lenient), "partial_minutes": minutes(partial_only),
                "degraded_minutes": minutes(anything - strict), "window_minutes": minutes(window),
                "availability_strict": 1 - minutes(strict) / minutes(window),
                "availability_weighted": 1 - (minutes(lenient) + Decimal("0.3") * minutes(partial_only))
                / minutes(window),
                "availability_lenient": 1 - minutes(lenient) / minutes(window),
            }
        return result

    def minutes_in(self, inc: dict, start: datetime, end: datetime) -> Decimal:
        return minutes(min(inc["resolved_at"] or end, end) - max(inc["started_at"], start))

    def criteria(self, inc: dict, period: str) -> dict[str, tuple[Decimal | None, Decimal | None, bool]]:
        """criterion → (value, threshold, met) as known at the end of `period`."""
        _, end = month_window(period)
        t = self.thresholds
        measured_until = min(inc["resolved_at"] or end, end)
        own = [im for im in self.impacts if im["incident_id"] == inc["incident_id"]]
        affected = {im["service"] for im in own if im["started_at"] < measured_until}
        services = [self.services[s] for s in affected]
        critical = any(s["critical"] for s in services)
        clients_base = max((s["active_clients"] for s in services), default=None)
        tx_base = max((s["daily_transactions"] for s in services), default=None)
        value_base = max((Decimal(s["daily_value_usd"]) for s in services), default=None)
        downtime = timedelta()
        for service in affected:
            if not self.services[service]["critical"]:
                continue
            spans = [(im["started_at"], min(im["ended_at"] or inc["resolved_at"] or end, measured_until))
                     for im in own if im["service"] == service and im["impact"] in ("major_outage", "partial_outage")]
            downtime = max(downtime, covered(spans))
        started_day, classified_day = inc["started_at"].date(), inc["classified_at"].date()
        value_usd = usd(inc["value_affected"], self.close(inc["value_affected_currency"], started_day))
        if inc["economic_cost_currency"] == "EUR":
            cost_eur = inc["economic_cost"]
        else:
            cost_eur = (inc["economic_cost"] * self.close(inc["economic_cost_currency"], classified_day)
                        / self.close("EUR", classified_day)).quantize(Decimal("0.000001"))
        clients_threshold = (t["clients_affected_count"] if clients_base is None
                             else min(t["clients_affected_share"] * clients_base, t["clients_affected_count"]))

        def over(value, threshold):
            return threshold is not None and value > threshold

        tx_threshold = None if tx_base is None else t["transactions_affected_share"] * tx_base
        value_threshold = None if value_base is None else t["transactions_affected_share"] * value_base
        states = Decimal(len(inc["member_states"]))
        return {
            "critical_service": (Decimal(int(critical)), Decimal(1), critical),
            "malicious_access": (Decimal(int(inc["malicious_access"])), Decimal(1), inc["malicious_access"]),
            "clients_affected": (Decimal(inc["clients_affected"]), clients_threshold,
                                 over(inc["clients_affected"], clients_threshold)),
            "transactions_affected_count": (Decimal(inc["transactions_affected"]), tx_threshold,
                                            over(inc["transactions_affected"], tx_threshold)),
            "transactions_affected_value_usd": (value_usd, value_threshold, over(value_usd, value_threshold)),
            "critical_downtime_hours": (hours(downtime), t["critical_downtime_hours"],
                                        hours(downtime) > t["critical_downtime_hours"]),
            "economic_cost_eur": (cost_eur, t["economic_cost_eur"], cost_eur > t["economic_cost_eur"]),
            "member_states": (states, t["member_states"], states >= t["member_states"]),
            "data_loss": (Decimal(int(inc["data_loss"])), Decimal(1), inc["data_loss"]),
            "reputational_impact": (Decimal(int(inc["reputational_impact"])), Decimal(1),
                                    inc["reputational_impact"]),
        }

    def classified_in_scope(self, period: str) -> list[dict]:
        _, end = month_window(period)
        earliest = add_months(end, -int(self.thresholds["recurring_window_months"]))
        return [i for i in self.incidents if earliest <= i["started_at"] < end]

    def verdict(self, inc: dict, period: str) -> tuple[bool, int]:
        """(is_major, criteria met), the two transaction measures counting as one criterion."""
        c = self.criteria(inc, period)
        groups = {
            "clients": c["clients_affected"][2],
            "transactions": c["transactions_affected_count"][2] or c["transactions_affected_value_usd"][2],
            "downtime": c["critical_downtime_hours"][2],
            "cost": c["economic_cost_eur"][2],
            "member_states": c["member_states"][2],
            "data_loss": c["data_loss"][2],
            "reputational": c["reputational_impact"][2],
        }
        met = sum(groups.values())
        major = c["critical_service"][2] and (c["malicious_access"][2] or met >= self.thresholds["criteria_needed"])
        return major, met

    def recurring(self, period: str) -> set[str]:
        """Non-major incidents (in the lookback) whose root cause is shared by ≥ recurring_min_count of them."""
        non_major = [i for i in self.classified_in_scope(period) if not self.verdict(i, period)[0]]
        counts: dict[str, int] = {}
        for i in non_major:
            counts[i["root_cause_category"]] = counts.get(i["root_cause_category"], 0) + 1
        return {i["incident_id"] for i in non_major
                if counts[i["root_cause_category"]] >= self.thresholds["recurring_min_count"]}

    def deadlines(self, period: str) -> dict[tuple[str, str], dict]:
        """(incident, step) → due_at, done_at, status, minutes_overdue for the period's major incidents."""
        start, end = month_window(period)
        t = self.thresholds
        rows = {}
        for inc in self.incidents:
            if not (start <= inc["started_at"] < end and self.verdict(inc, period)[0]):
                continue
            after_classification = (inc["classified_at"]
                                    + int(t["initial_notification_hours_after_classification"]) * HOUR)
            after_detection = inc["detected_at"] + int(t["initial_notification_hours_after_detection"]) * HOUR
            # classified after the 24 h from detection had passed: 4 h from classification (RTS Art. 5(1))
            initial_due = working_noon(after_classification if inc["classified_at"] > after_detection
                                       else min(after_classification, after_detection))
            intermediate_due = working_noon((inc["initial_notified_at"] or initial_due)
                                            + int(t["intermediate_report_hours_after_initial"]) * HOUR)
            final_due = working_noon(add_months(inc["intermediate_reported_at"] or intermediate_due,
                                                int(t["final_report_months_after_intermediate"])))
            for step, due, done in (("initial_notification", initial_due, inc["initial_notified_at"]),
                                    ("intermediate_report", intermediate_due, inc["intermediate_reported_at"]),
                                    ("final_report", final_due, inc["final_reported_at"])):
                if done is not None:
                    status = "on_time" if done <= due else "late"
                    overdue = minutes(done - due) if done > due else None
                else:
                    status = "missing" if due < end else "not_yet_due"
                    overdue = minutes(end - due) if due < end else None
                rows[(inc["incident_id"], step)] = {"due_at": due, "done_at": done, "status": status,
                                                    "minutes_overdue": overdue}
        return rows

    def incident_metrics(self, period: str) -> dict[str, Decimal | None]:
        start, end = month_window(period)
        touching = [i for i in self.incidents
                    if i["started_at"] < end and (i["resolved_at"] is None or i["resolved_at"] > start)]
        started = [i for i in touching if i["started_at"] >= start]
        # DESIGN §4: both over the period's incidents resolved (before its end)
        resolved = [i for i in started if i["resolved_at"] is not None and i["resolved_at"] < end]
        mttd = [minutes(i["detected_at"] - i["started_at"]) for i in resolved]
        mttr = [minutes(i["resolved_at"] - i["started_at"]) for i in resolved]
        recurring = self.recurring(period)
        late = [d for d in self.deadlines(period).values() if d["status"] in ("late", "missing")]
        return {
            "incidents_started": Decimal(len(started)),
            "incidents_open_end": Decimal(sum(1 for i in touching
                                              if i["resolved_at"] is None or i["resolved_at"] >= end)),
            "incident_impact_minutes": sum((self.minutes_in(i, start, end) for i in touching), Decimal(0)),
            "mttd_minutes_median": quantile_cont(mttd, Decimal("0.5")),
            "mttd_minutes_p90": quantile_cont(mttd, Decimal("0.9")),
            "mttr_minutes_median": quantile_cont(mttr, Decimal("0.5")),
            "mttr_minutes_p90": quantile_cont(mttr, Decimal("0.9")),
            "clients_affected": Decimal(sum(i["clients_affected"] for i in started)),
            "incidents_major": Decimal(sum(1 for i in started if self.verdict(i, period)[0])),
            "incidents_recurring": Decimal(sum(1 for i in started if i["incident_id"] in recurring)),
            "notifications_late_or_missing": Decimal(len(late)),
        }

    # -- compensation ---------------------------------------------------------------------------------------------

    def payouts_in(self, period: str) -> list[dict]:
        start, end = month_window(period)
        return [dict(p, amount_usd=usd(p["amount"], self.close(p["asset"], p["paid_at"].date())))
                for p in self.payouts if start <= p["paid_at"] < end]

    def pending_at(self, moment: datetime) -> list[dict]:
        return [c for c in self.claims
                if c["submitted_at"] < moment and (c["decided_at"] is None or c["decided_at"] >= moment)]

    def compensation_metrics(self, period: str) -> dict[str, Decimal | None]:
        start, end = month_window(period)
        decided = [c for c in self.claims if c["decided_at"] is not None and start <= c["decided_at"] < end]
        paid = self.payouts_in(period)
        first_paid = {}
        for p in self.payouts:
            first_paid[p["claim_id"]] = min(first_paid.get(p["claim_id"], p["paid_at"]), p["paid_at"])
        latency = [hours(first - self.claims_by_id[claim]["submitted_at"])
                   for claim, first in first_paid.items() if start <= first < end]

        def count(decision=None, reason=None):
            return Decimal(sum(1 for c in decided if decision in (None, c["decision"])
                               and reason in (None, c["rejection_reason"])))

        return {
            "claims_received": Decimal(sum(1 for c in self.claims if start <= c["submitted_at"] < end)),
            "claims_decided": count(),
            "claims_approved": count("approved"),
            "claims_partially_approved": count("partially_approved"),
            "claims_rejected": count("rejected"),
            "claims_withdrawn": count("withdrawn"),
            "claims_rejected_unrealized_profit": count("rejected", "unrealized_profit"),
            "claims_pending_end": Decimal(len(self.pending_at(end))),
            "compensation_paid_usd": sum((p["amount_usd"] for p in paid), Decimal(0)),
            "compensation_paid_insurance_fund_usd": sum(
                (p["amount_usd"] for p in paid if p["funding_source"] == "insurance_fund"), Decimal(0)),
            "payouts": Decimal(len(paid)),
            "users_compensated": Decimal(len({self.claims_by_id[p["claim_id"]]["account_ref"] for p in paid})),
            "users_compensated_insurance_fund": Decimal(len({
                self.claims_by_id[p["claim_id"]]["account_ref"] for p in paid
                if p["funding_source"] == "insurance_fund"})),
            "payout_latency_hours_median": quantile_cont(latency, Decimal("0.5")),
            "payout_latency_hours_p90": quantile_cont(latency, Decimal("0.9")),
            "payout_latency_hours_max": max(latency, default=None),
        }

    # -- insurance fund -------------------------------------------------------------------------------------------

    def balance(self, fund: str, asset: str, moment: datetime) -> tuple[Decimal | None, datetime | None]:
        """Last snapshot at or before `moment`, moved forward by the movements in [snapshot, moment)."""
        snaps = [s for s in self.snapshots if (s["fund_id"], s["asset"]) == (fund, asset) and s["as_of"] <= moment]
        if not snaps:
            return None, None
        anchor = max(snaps, key=lambda s: s["as_of"])
        moved = sum((m["amount"] for m in self.movements if (m["fund_id"], m["asset"]) == (fund, asset)
                     and anchor["as_of"] <= m["occurred_at"] < moment), Decimal(0))
        return anchor["balance"] + moved, anchor["as_of"]

    def fund_daily(self, period: str) -> dict[tuple[str, str, date], dict]:
        start, end = month_window(period)
        rows = {}
        for fund, asset in self.fund_assets:
            day = start
            while day < end:
                balance, anchor = self.balance(fund, asset, day + DAY)
                close = self.close(asset, day.date())
                rows[(fund, asset, day.date())] = {"balance": balance, "close_usd": close,
                                                   "balance_usd": usd(balance, close), "snapshot_at": anchor}
                day += DAY
        return rows

    def fund_flows(self, period: str, fund: str | None = None, asset: str | None = None) -> dict[str, Decimal]:
        start, end = month_window(period)
        moves = [m for m in self.movements if start <= m["occurred_at"] < end
                 and fund in (None, m["fund_id"]) and asset in (None, m["asset"])]
        valued = [(m, usd(m["amount"], self.close(m["asset"], m["occurred_at"].date()))) for m in moves]
        return {
            "inflows": sum((m["amount"] for m in moves if m["amount"] >= 0), Decimal(0)),
            "outflows": -sum((m["amount"] for m in moves if m["amount"] < 0), Decimal(0)),
            "inflows_usd": sum((v for m, v in valued if m["amount"] >= 0), Decimal(0)),
            "outflows_usd": -sum((v for m, v in valued if m["amount"] < 0), Decimal(0)),
            "movements": Decimal(len(moves)),
            "bankruptcies": Decimal(sum(1 for m in moves if m["kind"] == "bankruptcy_cover")),
        }

    def fund_edges(self, period: str, fund: str, asset: str) -> dict:
        start, end = month_window(period)
        opening, opening_at = self.balance(fund, asset, start)
        closing, closing_at = self.balance(fund, asset, end)
        opening_close = self.close(asset, (start - DAY).date())
        closing_close = self.close(asset, (end - DAY).date())
        return {"opening_balance": opening, "opening_snapshot_at": opening_at, "opening_close_usd": opening_close,
                "opening_usd": usd(opening, opening_close), "closing_balance": closing,
                "closing_snapshot_at": closing_at, "closing_close_usd": closing_close,
                "closing_usd": usd(closing, closing_close)}

    def fund_metrics(self, period: str) -> dict[str, Decimal | None]:
        daily = self.fund_daily(period)
        totals: dict[date, Decimal] = {}
        for (_, _, day), row in daily.items():
            totals[day] = totals.get(day, Decimal(0)) + row["balance_usd"]
        series = [totals[d] for d in sorted(totals)]
        peak, drawdown = series[0], Decimal(0)
        for value in series:
            peak = max(peak, value)
            drawdown = max(drawdown, (peak - value) / peak)
        edges = [self.fund_edges(period, f, a) for f, a in self.fund_assets]
        opening = sum((e["opening_usd"] for e in edges), Decimal(0))
        closing = sum((e["closing_usd"] for e in edges), Decimal(0))
        flows = self.fund_flows(period)
        return {
            "insurance_fund_opening_usd": opening,
            "insurance_fund_closing_usd": closing,
            "insurance_fund_change_pct": (closing - opening) / opening * 100,
            "insurance_fund_min_usd": min(series),
            "insurance_fund_max_usd": max(series),
            "insurance_fund_mean_usd": sum(series, Decimal(0)) / len(series),
            "insurance_fund_inflows_usd": flows["inflows_usd"],
            "insurance_fund_outflows_usd": flows["outflows_usd"],
            "insurance_fund_net_flow_usd": flows["inflows_usd"] - flows["outflows_usd"],
            "insurance_fund_max_drawdown_pct": drawdown * 100,
            "bankruptcies_covered": flows["bankruptcies"],
            "insurance_fund_days_valued": len(series),
            **{f"insurance_fund_days_meeting_{bound}": (sum(1 for v in series if v >= self.adequacy[f"{bound}_usd"])
                                                       if self.adequacy else None)
               for bound in ("floor", "target")},
        }

    def period_metrics(self, period: str) -> dict[str, Decimal | None]:
        return {**self.incident_metrics(period), **self.compensation_metrics(period), **self.fund_metrics(period)}


# Metrics that go through floating point in the SQL, with their tolerance; every other metric is compared exactly.
FLOAT_METRICS = {
    "incident_impact_minutes": MINUTES_TOL,
    "mttd_minutes_median": MINUTES_TOL, "mttd_minutes_p90": MINUTES_TOL,
    "mttr_minutes_median": MINUTES_TOL, "mttr_minutes_p90": MINUTES_TOL,
    "payout_latency_hours_median": MINUTES_TOL, "payout_latency_hours_p90": MINUTES_TOL,
    "payout_latency_hours_max": MINUTES_TOL,
    "insurance_fund_change_pct": MINUTES_TOL,
    "insurance_fund_mean_usd": CENT_TOL,
    "insurance_fund_max_drawdown_pct": MINUTES_TOL,
}


def seed_metrics() -> set[str]:
    with METRIC_SEED.open(encoding="utf-8") as handle:
        return {row["metric"] for row in csv.DictReader(handle)}


# ---------------------------------------------------------------------------------------------------------------------
# Materialisation (once per scenario and module)
# ---------------------------------------------------------------------------------------------------------------------

# What the figures are: staging, marts, metrics (with rolling 30 days) and their checks; not the reports rendered
# from them (tests/test_reports.py) nor their publication.
EVERYTHING = MONTHLY_ASSETS - dg.AssetSelection.groups("reports", "publishing")
PARTITIONED = dg.AssetSelection.key_prefixes("marts")


@dataclass
class Built:
    warehouse: Path
    data: Data
    checks: dict[tuple[str, str], bool]  # (period, check) → passed

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        with connect(self.warehouse, read_only=True) as con:
            return query(con, sql, params)

    def metrics(self, period: str) -> dict[str, Decimal | None]:
        return {r["metric"]: r["value"] for r in self.rows(
            "SELECT metric, value FROM marts.period_metrics WHERE period = ?", [period])}


def build(root: Path, tables: dict, profile: Path | None, periods: list[str],
          selection: dg.AssetSelection = EVERYTHING, failing_step: str | None = None) -> Built:
    """Materialise `selection` for each period in turn (the first run also stages the landing files)."""
    landing = write_landing(root / "landing", tables)
    warehouse = root / "warehouse.duckdb"
    resources = make_resources(str(landing), str(warehouse), str(profile) if profile else "", str(root / "reports"))
    checks = {}
    for i, period in enumerate(periods):
        result = materialize(resources, selection if i == 0 else selection & PARTITIONED, period)
        failures = {e.step_key: str(e.step_failure_data.error) for e in result.all_events if e.is_step_failure}
        assert set(failures) == ({failing_step} if failing_step else set()), f"{period}: {failures}"
        for event in result.all_events:
            if event.event_type_value == "ASSET_CHECK_EVALUATION":
                checks[(period, event.event_specific_data.check_name)] = event.event_specific_data.passed
    return Built(warehouse, Data(tables, profile or DEMO_PROFILE), checks)


@pytest.fixture(scope="module")
def main(tmp_path_factory) -> Built:
    return build(tmp_path_factory.mktemp("main"), main_tables(), None, ["2026-04", "2026-05", "2026-06"])


@pytest.fixture(scope="module")
def classification(tmp_path_factory) -> tuple[Built, list[Case]]:
    root = tmp_path_factory.mktemp("classification")
    tables, cases = classification_tables()
    return build(root, tables, classification_profile(root / "profile.toml"), ["2026-05"]), cases


# ---------------------------------------------------------------------------------------------------------------------
# Availability and incident minutes
# ---------------------------------------------------------------------------------------------------------------------


def availability_rows(built: Built, period: str) -> dict[str, dict]:
    return {r["service"]: r for r in built.rows(
        "SELECT * FROM marts.service_availability WHERE period = ?", [period])}


@pytest.mark.parametrize("period", ["2026-04", "2026-05", "2026-06"])
def test_service_availability_matches_reference(main: Built, period: str):
    actual = availability_rows(main, period)
    expected = main.data.availability(period)
    assert set(actual) == set(expected)
    for service, want in expected.items():
        got = actual[service]
        for column in ("outage_minutes", "partial_minutes", "degraded_minutes", "window_minutes"):
            assert close_enough(got[column], want[column], MINUTES_TOL), (service, column, got[column], want[column])
        for column in ("availability_strict", "availability_weighted", "availability_lenient"):
            assert close_enough(got[column], want[column], RATIO_TOL), (service, column, got[column], want[column])


def test_overlapping_outages_are_counted_once(main: Built):
    spot = availability_rows(main, "2026-05")["spot"]
    # 10:00-11:00, 10:15-10:45 and 10:30-11:30 on May 3: 90 minutes, not 150
    assert spot["outage_minutes"] == Decimal(90) and spot["partial_minutes"] == 0
    window = Decimal(31 * 24 * 60)
    for convention in ("strict", "weighted", "lenient"):
        assert close_enough(spot[f"availability_{convention}"], 1 - Decimal(90) / window, RATIO_TOL)


def test_partial_outage_under_each_convention(main: Built):
    derivatives = availability_rows(main, "2026-05")["derivatives"]
    # partial 12:00-14:00 containing a major outage 13:00-13:30; degraded 10:30-11:30 is never down
    minutes_by_kind = (derivatives["outage_minutes"], derivatives["partial_minutes"], derivatives["degraded_minutes"])
    assert minutes_by_kind == (30, 90, 60)
    window = Decimal(31 * 24 * 60)
    assert close_enough(derivatives["availability_strict"], 1 - Decimal(120) / window, RATIO_TOL)
    assert close_enough(derivatives["availability_weighted"], 1 - (30 + Decimal("0.3") * 90) / window, RATIO_TOL)
    assert close_enough(derivatives["availability_lenient"], 1 - Decimal(30) / window, RATIO_TOL)


def register(built: Built, period: str) -> dict[str, dict]:
    return {r["incident_id"]: r for r in built.rows(
        "SELECT * FROM marts.incident_register WHERE period = ?", [period])}


def test_incident_crossing_the_month_boundary_is_split(main: Built):
    may, june = register(main, "2026-05")["M4"], register(main, "2026-06")["M4"]
    assert may["impact_minutes_in_period"] == 60 and june["impact_minutes_in_period"] == 90
    assert may["started_in_period"] and may["open_at_period_end"] and may["mttr_minutes"] is None
    assert not june["started_in_period"] and not june["open_at_period_end"]
    assert availability_rows(main, "2026-05")["fiat"]["outage_minutes"] == 60
    assert availability_rows(main, "2026-06")["fiat"]["outage_minutes"] == 90
    # as known at each period end: 1 h of fiat downtime in May (one criterion), 2.5 h in June (two: major)
    assert (may["is_major"], may["criteria_met"]) == (False, 1)
    assert (june["is_major"], june["criteria_met"]) == (True, 2)


def test_open_incident_runs_to_the_window_end(main: Built):
    may, june = register(main, "2026-05")["M5"], register(main, "2026-06")["M5"]
    assert may["impact_minutes_in_period"] == 26 * 60  # May 30 22:00 → June 1 00:00
    assert june["impact_minutes_in_period"] == 30 * 24 * 60  # the whole of June
    assert may["open_at_period_end"] and june["open_at_period_end"] and may["mttr_minutes"] is None
    assert availability_rows(main, "2026-05")["withdrawals"]["partial_minutes"] == 26 * 60
    assert availability_rows(main, "2026-06")["withdrawals"]["partial_minutes"] == 30 * 24 * 60
    assert main.metrics("2026-05")["incidents_open_end"] == 2  # M4 (resolved in June) and M5
    assert main.metrics("2026-06")["incidents_open_end"] == 1


@pytest.mark.parametrize("period", ["2026-04", "2026-05", "2026-06"])
def test_incident_register_matches_reference(main: Built, period: str):
    start, end = month_window(period)
    data = main.data
    actual = register(main, period)
    expected = {i["incident_id"] for i in data.incidents
                if i["started_at"] < end and (i["resolved_at"] is None or i["resolved_at"] >= start)}
    assert set(actual) == expected
    recurring = data.recurring(period)
    for incident_id, row in actual.items():
        inc = data.by_id[incident_id]
        assert close_enough(row["impact_minutes_in_period"], data.minutes_in(inc, start, end), MINUTES_TOL)
        assert row["mttd_minutes"] == minutes(inc["detected_at"] - inc["started_at"])
        resolved = inc["resolved_at"] is not None and inc["resolved_at"] < end
        assert row["mttr_minutes"] == (minutes(inc["resolved_at"] - inc["started_at"]) if resolved else None)
        assert (row["is_major"], row["criteria_met"]) == data.verdict(inc, period), incident_id
        assert row["recurring"] == (incident_id in recurring), incident_id


# ---------------------------------------------------------------------------------------------------------------------
# Compensation
# ---------------------------------------------------------------------------------------------------------------------


def test_payouts_in_three_assets_are_valued_at_their_own_days_close(main: Built):
    rows = {r["payout_id"]: r for r in main.rows(
        "SELECT * FROM marts.compensation_payouts WHERE period = '2026-05'")}
    expected = {p["payout_id"]: p for p in main.data.payouts_in("2026-05")}
    assert set(rows) == set(expected) == {"P-A2", "PAY-1", "PAY-2", "PAY-3", "PAY-4"}
    for payout_id, want in expected.items():
        got = rows[payout_id]
        assert got["close_usd"] == close_of(want["asset"], want["paid_at"].date())
        assert got["amount_usd"] == want["amount_usd"], payout_id
    # BTC on May 7, USDT on May 12, EUR on May 20: three different closes of three assets
    assert rows["PAY-1"]["amount_usd"] == Decimal("0.006") * close_of("BTC", date(2026, 5, 7))
    assert rows["PAY-3"]["amount_usd"] == Decimal(600) * close_of("USDT", date(2026, 5, 12))
    assert rows["PAY-4"]["amount_usd"] == Decimal(400) * close_of("EUR", date(2026, 5, 20))
    assert rows["P-A2"]["close_usd"] != rows["PAY-1"]["close_usd"]  # same asset, different day
    metrics = main.metrics("2026-05")
    assert metrics["compensation_paid_usd"] == sum(p["amount_usd"] for p in expected.values())
    assert metrics["compensation_paid_insurance_fund_usd"] == (
        Decimal("0.004") * close_of("BTC", date(2026, 5, 7)) + 600 * close_of("USDT", date(2026, 5, 12)))
    assert metrics["users_compensated"] == 3  # acct_apr, acct_aaa (twice), acct_bbb
    # first payouts in May: C1 72 h, C2 63.5 h, C3 156 h (C-A1 was first paid in April)
    assert close_enough(metrics["payout_latency_hours_median"], Decimal(72), MINUTES_TOL)
    assert close_enough(metrics["payout_latency_hours_p90"], Decimal(72) + Decimal("0.8") * 84, MINUTES_TOL)
    assert close_enough(metrics["payout_latency_hours_max"], Decimal(156), MINUTES_TOL)


def test_claim_decided_next_month_is_pending_at_month_end(main: Built):
    may, june = main.metrics("2026-05"), main.metrics("2026-06")
    # C4 (decided June 3), C5 (decided exactly at June 1 00:00) and C6 (never decided)
    assert may["claims_pending_end"] == 3
    assert june["claims_pending_end"] == 1 and june["claims_decided"] == 2
    assert may["claims_decided"] == 6 and may["claims_received"] == 8
    assert may["claims_rejected_unrealized_profit"] == 2  # C-A2 (received in April) and C7
    backlog = main.rows("SELECT * FROM marts.claims_backlog WHERE period = '2026-05' ORDER BY position")
    end = month_window("2026-05")[1]
    pending = main.data.pending_at(end)
    assert {c["claim_id"] for c in pending} == {"C4", "C5", "C6"}
    buckets: dict[str, list[Decimal]] = {}
    for claim in pending:
        age = (end - claim["submitted_at"]) / DAY
        bucket = "0-7 days" if age < 7 else "7-30 days" if age < 30 else "30-90 days" if age < 90 else "90+ days"
        buckets.setdefault(bucket, []).append(Decimal(str(age)))
    assert {r["bucket"]: (r["claims"], r["users"]) for r in backlog} == {
        b: (len(ages), len(ages)) for b, ages in buckets.items()}
    for row in backlog:
        assert close_enough(row["oldest_days"], max(buckets[row["bucket"]]).quantize(Decimal("0.01")),
                            Decimal("0.005"))


# ---------------------------------------------------------------------------------------------------------------------
# Insurance fund
# ---------------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2026-04", "2026-05", "2026-06"])
def test_daily_balances_carried_forward_between_snapshots(main: Built, period: str):
    rows = main.rows("SELECT * FROM marts.insurance_fund_daily WHERE period = ?", [period])
    expected = main.data.fund_daily(period)
    assert {(r["fund_id"], r["asset"], r["day"]) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row["fund_id"], row["asset"], row["day"])]
        assert (row["balance"], row["close_usd"], row["balance_usd"], row["snapshot_at"]) == (
            want["balance"], want["close_usd"], want["balance_usd"], want["snapshot_at"]), row


def test_day_without_snapshot_is_moved_by_movements(main: Built):
    rows = {(r["fund_id"], r["asset"], r["day"]): r for r in main.rows(
        "SELECT * FROM marts.insurance_fund_daily WHERE period = '2026-05'")}
    # no snapshot between March 31 and May 15: March 31's 100 BTC plus April's 0.3 and May 1's 0.5
    may_1 = rows[("coinm-perp", "BTC", date(2026, 5, 1))]
    assert may_1["balance"] == Decimal("100.8") and may_1["snapshot_at"] == at("2026-03-31 00:00")
    # the snapshot stamped May 15 00:00 is the balance before the movement stamped at that instant
    may_15 = rows[("coinm-perp", "BTC", date(2026, 5, 15))]
    assert may_15["balance"] == Decimal("99.596") and may_15["snapshot_at"] == at("2026-05-15 00:00")
    assert rows[("coinm-perp", "BTC", date(2026, 5, 20))]["balance"] == Decimal("98.846")
    # the same asset in the other fund keeps its own history: 5 BTC from March 31, 0.25 more from May 10
    assert rows[("usdm-perp", "BTC", date(2026, 5, 9))]["balance"] == 5
    assert rows[("usdm-perp", "BTC", date(2026, 5, 10))]["balance"] == Decimal("5.25")
    # the end of May 31 is June 1 00:00: the snapshot stamped then, before the movement stamped then
    may_31 = rows[("usdm-perp", "USDT", date(2026, 5, 31))]
    assert may_31["balance"] == Decimal("4875634.5") and may_31["snapshot_at"] == at("2026-06-01 00:00")


@pytest.mark.parametrize("period", ["2026-04", "2026-05", "2026-06"])
def test_fund_period_statement_reconciles_to_zero(main: Built, period: str):
    rows = main.rows("SELECT * FROM marts.insurance_fund_period WHERE period = ?", [period])
    data = main.data
    assert {(r["fund_id"], r["asset"]) for r in rows} == set(data.fund_assets)
    for row in rows:
        fund, asset = row["fund_id"], row["asset"]
        edges, flows = data.fund_edges(period, fund, asset), data.fund_flows(period, fund, asset)
        for column, want in {**edges, **{k: v for k, v in flows.items() if k != "bankruptcies"}}.items():
            assert row[column] == want, (period, fund, asset, column, row[column], want)
        assert edges["opening_balance"] + flows["inflows"] - flows["outflows"] - edges["closing_balance"] == 0
        assert row["reconciliation_difference"] == 0
        daily = [v for (f, a, _), v in data.fund_daily(period).items() if (f, a) == (fund, asset)]
        values = [v["balance_usd"] for v in daily]
        assert (row["min_usd"], row["max_usd"], row["days_valued"]) == (min(values), max(values), len(values))
        assert close_enough(row["mean_usd"], sum(values) / len(values), CENT_TOL)
    assert main.checks[(period, "insurance_fund_reconciles")] is True
    assert main.checks[(period, "insurance_fund_complete")] is True
    assert main.checks[(period, "insurance_fund_payouts_match_movements")] is True
    assert all(passed for (p, _), passed in main.checks.items() if p == period)  # the warnings too


def test_fund_flows_by_kind(main: Built):
    rows = main.rows("SELECT * FROM marts.insurance_fund_flows WHERE period = '2026-05'")
    start, end = month_window("2026-05")
    expected: dict[tuple, list] = {}
    for m in main.data.movements:
        if start <= m["occurred_at"] < end:
            key = (m["fund_id"], m["asset"], m["kind"], "inflow" if m["amount"] >= 0 else "outflow")
            value = usd(m["amount"], close_of(m["asset"], m["occurred_at"].date()))
            got = expected.setdefault(key, [0, Decimal(0), Decimal(0)])
            got[0] += 1
            got[1] += m["amount"]
            got[2] += value
    assert {(r["fund_id"], r["asset"], r["kind"], r["direction"]): [r["movements"], r["amount"], r["amount_usd"]]
            for r in rows} == expected


# ---------------------------------------------------------------------------------------------------------------------
# The headline table and month over month
# ---------------------------------------------------------------------------------------------------------------------


def assert_metrics(actual: dict, expected: dict, label: str, names: set[str] | None = None) -> None:
    assert set(actual) == set(expected) == (names or seed_metrics()), label
    wrong = []
    for metric, want in expected.items():
        got = actual[metric]
        if metric in FLOAT_METRICS:
            ok = close_enough(got, want, FLOAT_METRICS[metric])
        else:
            ok = got == want if want is not None else got is None
        if not ok:
            wrong.append(f"{metric}: got {got}, expected {want}")
    assert not wrong, f"{label}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("period", ["2026-04", "2026-05", "2026-06"])
def test_period_metrics_match_reference(main: Built, period: str):
    assert_metrics(main.metrics(period), main.data.period_metrics(period), period)


def test_period_metrics_pinned_may_figures(main: Built):
    """A few May figures worked out by hand, independent of the reference implementation above."""
    may = main.metrics("2026-05")
    assert may["incidents_started"] == 5 and may["incidents_major"] == 2  # M1, M5 (26 h of withdrawals down)
    assert may["incidents_recurring"] == 2  # M2 and M3, both configuration changes
    # M1 60 + M2 60 + M3 120 + M4 60 (clipped) + M5 1560 (open)
    assert close_enough(may["incident_impact_minutes"], Decimal(1860), MINUTES_TOL)
    btc_apr30, btc_may31 = close_of("BTC", date(2026, 4, 30)), close_of("BTC", date(2026, 5, 31))
    usdt_apr30, usdt_may31 = close_of("USDT", date(2026, 4, 30)), close_of("USDT", date(2026, 5, 31))
    assert may["insurance_fund_opening_usd"] == (
        Decimal("100.3") * btc_apr30 + Decimal(5) * btc_apr30 + Decimal(5010000) * usdt_apr30)
    assert may["insurance_fund_closing_usd"] == (
        Decimal("98.846") * btc_may31 + Decimal("5.25") * btc_may31 + Decimal("4875634.5") * usdt_may31)
    assert may["bankruptcies_covered"] == 3


def test_month_over_month(main: Built):
    rows = {r["metric"]: r for r in main.rows("SELECT * FROM marts.period_metrics_mom WHERE period = '2026-05'")}
    april, may = main.data.period_metrics("2026-04"), main.data.period_metrics("2026-05")
    assert set(rows) == seed_metrics()
    for metric, row in rows.items():
        tolerance = FLOAT_METRICS.get(metric, Decimal(0))
        assert close_enough(row["value"], may[metric], tolerance) or (row["value"] is None and may[metric] is None)
        if april[metric] is None:
            assert row["previous_value"] is None and row["change"] is None, metric
            continue
        assert close_enough(row["previous_value"], april[metric], tolerance), (metric, row, april[metric])
        if may[metric] is None:
            assert row["change"] is None, metric
            continue
        assert close_enough(row["change"], may[metric] - april[metric], 2 * tolerance), metric
        if april[metric] != 0:
            # relative to the stored figures (a percentage of a rounded percentage amplifies the rounding)
            want = (row["value"] - row["previous_value"]) / abs(row["previous_value"]) * 100
            assert close_enough(row["change_pct"], want, Decimal("1e-5")), (metric, row["change_pct"], want)
        else:
            assert row["change_pct"] is None, metric
    # the classification counts come from April's stored period_metrics
    assert (rows["incidents_major"]["previous_value"], rows["incidents_major"]["change"]) == (1, 1)
    assert rows["claims_pending_end"]["previous_value"] == 1  # C-A2, decided in May


# ---------------------------------------------------------------------------------------------------------------------
# Classification and notification deadlines
# ---------------------------------------------------------------------------------------------------------------------


def test_every_criterion_just_under_and_just_over_its_threshold(classification):
    built, cases = classification
    rows = {(r["incident_id"], r["criterion"]): r for r in built.rows(
        "SELECT * FROM marts.incident_classification WHERE period = '2026-05'")}
    verdicts = register(built, "2026-05")
    wrong = []
    for case in cases:
        row = rows[(case.incident_id, case.criterion)]
        if row["met"] != case.met:
            wrong.append(f"{case.incident_id} {case.criterion}: met={row['met']} value={row['value']} "
                         f"threshold={row['threshold']}")
        if verdicts[case.incident_id]["is_major"] != case.major:
            wrong.append(f"{case.incident_id}: is_major={verdicts[case.incident_id]['is_major']}")
    assert not wrong, "\n".join(wrong)
    # the thresholds the verdicts were taken against
    assert rows[("K-CLI-O", "clients_affected")]["threshold"] == 42_000  # 10 % of spot's 420,000
    assert rows[("K-CNT-O", "clients_affected")]["threshold"] == 100_000  # the count, under 10 % of 1.6 M
    assert rows[("K-TXC-O", "transactions_affected_count")]["threshold"] == 180_000
    assert rows[("K-TXV-O", "transactions_affected_value_usd")]["threshold"] == 95_000_000
    assert rows[("K-DT-U", "critical_downtime_hours")]["value"] == 2
    assert close_enough(rows[("K-DT-O", "critical_downtime_hours")]["value"], Decimal(121) / 60, Decimal("1e-6"))
    assert rows[("K-ECX-U", "economic_cost_eur")]["value"] == 100_000
    assert verdicts["K-TX2"]["criteria_met"] == 1  # count and value together are one criterion


def test_classification_matches_reference(classification):
    built, _ = classification
    data = built.data
    rows = built.rows("SELECT * FROM marts.incident_classification WHERE period = '2026-05'")
    scope = {i["incident_id"] for i in data.classified_in_scope("2026-05")}
    assert {r["incident_id"] for r in rows} == scope
    wrong = []
    for row in rows:
        value, threshold, met = data.criteria(data.by_id[row["incident_id"]], "2026-05")[row["criterion"]]
        # values are stored with 6 decimals; hours and converted costs are divided in floating point
        exact = row["criterion"] not in ("transactions_affected_value_usd", "critical_downtime_hours",
                                         "economic_cost_eur")
        tolerance = Decimal(0) if exact else Decimal("0.000001")
        if not (close_enough(row["value"], value, tolerance) and row["met"] == met
                and close_enough(row["threshold"], threshold, Decimal(0))):
            wrong.append(f"{row['incident_id']} {row['criterion']}: got ({row['value']}, {row['threshold']}, "
                         f"{row['met']}), expected ({value}, {threshold}, {met})")
    assert not wrong, "\n".join(wrong)
    for incident_id, row in register(built, "2026-05").items():
        assert (row["is_major"], row["criteria_met"]) == data.verdict(data.by_id[incident_id], "2026-05"), incident_id


def test_notification_deadlines(classification):
    built, _ = classification
    rows = {(r["incident_id"], r["step"]): r for r in built.rows(
        "SELECT * FROM marts.notification_deadlines WHERE period = '2026-05'")}
    expected = built.data.deadlines("2026-05")
    assert set(rows) == set(expected)
    for key, want in expected.items():
        got = rows[key]
        assert (got["due_at"], got["done_at"], got["status"]) == (want["due_at"], want["done_at"], want["status"]), key
        assert close_enough(got["minutes_overdue"], want["minutes_overdue"], MINUTES_TOL), key

    def status(incident_id):
        return [(rows[(incident_id, s)]["status"], rows[(incident_id, s)]["minutes_overdue"])
                for s in ("initial_notification", "intermediate_report", "final_report")]

    # exactly at every deadline: on time
    assert status("K-N1") == [("on_time", None)] * 3
    assert rows[("K-N1", "initial_notification")]["due_at"] == at("2026-05-26 14:30")
    # detection + 24 h binds; one minute late, then the intermediate on time from the actual initial
    assert rows[("K-N2", "initial_notification")]["due_at"] == at("2026-05-28 00:30")
    assert status("K-N2") == [("late", 1), ("on_time", None), ("late", 1)]
    # nothing sent: the initial notification was due May 20 13:00; the intermediate report 72 h later would be
    # Saturday May 23, which moves past Sunday and Whit Monday (a Luxembourg holiday) to Tuesday May 26 12:00
    # Luxembourg time, 10:00 UTC
    initial_due = at("2026-05-20 13:00")
    end = month_window("2026-05")[1]
    assert rows[("K-N3", "intermediate_report")]["due_at"] == at("2026-05-26 10:00")
    assert status("K-N3") == [("missing", minutes(end - initial_due)),
                              ("missing", minutes(end - at("2026-05-26 10:00"))), ("not_yet_due", None)]


def test_classification_period_metrics_match_reference(classification):
    built, _ = classification
    assert_metrics(built.metrics("2026-05"), built.data.period_metrics("2026-05"), "classification 2026-05")
    # K-N2 twice late, K-N3 twice missing
    assert built.metrics("2026-05")["notifications_late_or_missing"] == 4


# ---------------------------------------------------------------------------------------------------------------------
# Decisions, trailing 30 days, and a snapshot that does not reconcile
# ---------------------------------------------------------------------------------------------------------------------


def test_compensation_decisions_valued_at_the_decision_day(main: Built):
    rows = main.rows("SELECT * FROM marts.compensation_decisions WHERE period = '2026-05'")
    start, end = month_window("2026-05")
    expected: dict[tuple[str, str], list] = {}
    for c in main.data.claims:
        if c["decided_at"] is None or not start <= c["decided_at"] < end:
            continue
        close = close_of(c["claimed_asset"], c["decided_at"].date())
        approved = Decimal(c["approved_amount"]) if c["approved_amount"] else None
        got = expected.setdefault((c["decision"], c["rejection_reason"] or ""), [0, set(), Decimal(0), Decimal(0)])
        got[0] += 1
        got[1].add(c["account_ref"])
        got[2] += usd(Decimal(c["claimed_amount"]), close)
        got[3] += usd(approved, close) if approved is not None else 0
    assert {(r["decision"], r["rejection_reason"]): [r["claims"], r["users"], r["claimed_usd"], r["approved_usd"]]
            for r in rows} == {k: [n, len(users), claimed, approved] for k, (n, users, claimed, approved)
                               in expected.items()}


# Window metrics (every headline figure except the three counts that need the period's classification).
CLASSIFICATION_COUNTS = {"incidents_major", "incidents_recurring", "notifications_late_or_missing"}


@pytest.mark.parametrize("as_of", [date(2026, 5, 1), date(2026, 5, 15), date(2026, 5, 31)])
def test_rolling_30_days_match_reference(main: Built, as_of: date):
    rows = main.rows("SELECT metric, value FROM marts.rolling_30d WHERE period = '2026-05' AND as_of_date = ?",
                     [as_of])
    day = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    window = (day - 29 * DAY, day + DAY)
    expected = {k: v for k, v in main.data.period_metrics(window).items() if k not in CLASSIFICATION_COUNTS}
    assert_metrics({r["metric"]: r["value"] for r in rows}, expected, f"30 days to {as_of}",
                   seed_metrics() - CLASSIFICATION_COUNTS)


def test_snapshot_off_the_ledger_does_not_reconcile(tmp_path_factory):
    """One satoshi more in the mid-month snapshot than the ledger explains: the difference, exactly, and the check."""
    tables = copy.deepcopy(valid_tables())
    # 100 + 0.5 − 0.004 = 100.496 by the ledger
    tables["insurance_fund_balances"][1]["balance"] = "100.49600001"
    built = build(tmp_path_factory.mktemp("mismatch"), tables, None, ["2026-05"],
                  selection=dg.AssetSelection.key_prefixes("staging")
                  | dg.AssetSelection.assets(["marts", "insurance_fund_daily"], ["marts", "insurance_fund_flows"],
                                             ["marts", "insurance_fund_period"]),
                  failing_step="marts__insurance_fund_period")
    (row,) = built.rows("SELECT * FROM marts.insurance_fund_period WHERE period = '2026-05'")
    assert row["closing_balance"] == Decimal("100.49600001")
    assert row["reconciliation_difference"] == Decimal("-0.00000001")
    assert built.checks[("2026-05", "insurance_fund_reconciles")] is False  # blocking: the step fails

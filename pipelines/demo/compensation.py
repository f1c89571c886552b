"""Compensation claims and payouts: claims come in proportion to the clients an incident affected, with
heavy-tailed amounts; decisions, decision delays and payout delays are lognormal. Some payouts are borne by an
insurance fund. The parameters before `draw_claims` are shared with the exchange-scale demo."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipelines.contract import REJECTION_REASONS
from pipelines.demo.assets import DECIMALS, minor_units, money, round_to_typed
from pipelines.demo.funds import Holdings, compensating_fund
from pipelines.demo.incidents import IncidentFacts
from pipelines.demo.prices import Prices
from pipelines.demo.sampling import pick
from pipelines.demo.window import DAY, HOUR, MINUTE, Window, off_midnight

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
CLAIM_SIGMA = 1.5
CLAIM_MAX_USD = 2_000_000
CLAIM_ASSETS = ("USDT", "USDC", "BTC", "ETH", "SOL", "XRP")
CLAIM_ASSET_WEIGHTS = (0.60, 0.12, 0.12, 0.09, 0.04, 0.03)
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

# The small demo's own sizes.
MAX_CLAIMS_PER_INCIDENT = 450
UNLINKED_CLAIMS_PER_MONTH = 180  # claims that name no incident
AUTOMATIC_SHARE = {"erroneous_liquidation": 0.6, "trading_halt": 0.10, "outage": 0.05}
CLAIM_MEDIAN_USD = {"erroneous_liquidation": 1_200, "trading_halt": 400, "outage": 250}
CLAIM_MEDIAN_USD_OTHERWISE = 150
ACCOUNT_POOL_PER_MONTH = 4_000
# Share of payouts the insurance fund bears, for losses on derivatives (where the fund exists to absorb them).
INSURANCE_FUNDED_SHARE = {"erroneous_liquidation": 0.7, "derivatives": 0.4}


class Payout(NamedTuple):
    row: dict
    minor: int  # the amount in the asset's minor units, for the fund ledger


def account_ref(n: int) -> str:
    """A pseudonymous account reference: the account number scrambled by an odd multiplier modulo 2**48 (a
    bijection, so distinct accounts never collide), as 12 hex digits."""
    return f"acct_{(n * 0x9E3779B97F4B) % 2**48:012x}"


def draw_claims(rng: np.random.Generator, window: Window, prices: Prices, incidents: list[IncidentFacts]
                ) -> list[dict]:
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
    automatic = incident is not None and rng.random() < AUTOMATIC_SHARE.get(incident.category, 0.0)
    if incident is not None:
        submitted = _submission(rng, incident, automatic)
    assert submitted is not None

    median_usd = CLAIM_MEDIAN_USD.get(incident.category if incident else "", CLAIM_MEDIAN_USD_OTHERWISE)
    usd = min(rng.lognormal(np.log(median_usd), CLAIM_SIGMA), CLAIM_MAX_USD)
    asset = pick(rng, CLAIM_ASSETS, CLAIM_ASSET_WEIGHTS)
    claimed = _usd_to_minor(usd, asset, prices, min(submitted, window.end - 1) // DAY)
    decision, decided = _decision(rng, automatic, incident is not None, submitted, window)
    reasons = REJECTION_WEIGHTS if incident else REJECTION_WEIGHTS_UNLINKED
    reason = pick(rng, REJECTION_REASONS, [reasons[r] for r in REJECTION_REASONS])
    fraction = rng.uniform(0.2, 0.9)
    # Account numbers drawn with a skew (u**1.5 favours low numbers), so that active traders claim more than once.
    account = int(pool * rng.random() ** 1.5)

    approved = None
    if decision == "approved":
        approved = claimed
    elif decision == "partially_approved":
        approved = max(1, round_to_typed(int(claimed * fraction), asset))
    return {
        "claim_id": None,  # numbered once all claims are sorted
        "incident_id": incident.incident_id if incident else None,
        "account_ref": account_ref(account),
        "channel": "automatic" if automatic else "user_claim",
        "submitted_at": submitted,
        "decided_at": None if decision == "pending" else decided,
        "decision": decision,
        "rejection_reason": reason if decision == "rejected" else None,
        "claimed_amount": money(claimed, asset),
        "claimed_asset": asset,
        "approved_amount": None if approved is None else money(approved, asset),
    }


def _submission(rng: np.random.Generator, incident: IncidentFacts, automatic: bool) -> int:
    if automatic:  # raised by the platform once the incident is understood
        base = incident.resolved if incident.resolved is not None else incident.detected
        return base + int(rng.uniform(0.5, 6) * HOUR)
    return incident.started + int(rng.lognormal(np.log(20 * HOUR), 1.0))  # users write in over the following days


def _decision(rng: np.random.Generator, automatic: bool, linked: bool, submitted: int, window: Window
              ) -> tuple[str, int]:
    """The decision and when it was taken; "pending" if that falls after the window's end."""
    if automatic:
        decision = "approved" if rng.random() < 0.8 else "partially_approved"
        decided = submitted + int(rng.lognormal(np.log(2 * HOUR), 0.8))
    else:
        weights = DECISION_WEIGHTS_USER if linked else DECISION_WEIGHTS_UNLINKED
        decision = pick(rng, DECISIONS_USER, weights)
        decided = submitted + int(rng.lognormal(np.log(4 * DAY), 0.9))
    return ("pending" if decided >= window.end else decision), decided


def _usd_to_minor(usd: float, asset: str, prices: Prices, day: int) -> int:
    """A USD value converted at the day's close, as a whole number of the asset's minor units (at least one)."""
    units = usd / float(prices.usd(asset, day))
    return max(1, round_to_typed(int(round(units * 10 ** DECIMALS[asset])), asset))


def draw_payouts(rng: np.random.Generator, window: Window, claims: list[dict], incidents: list[IncidentFacts],
                 holdings: Holdings) -> list[Payout]:
    """Payouts for (partially) approved claims paid before the window's end: usually one, sometimes an account
    credit plus a fee rebate that add up exactly to the approved amount. Sorted by payment, numbered in that
    order."""
    by_id = {i.incident_id: i for i in incidents}
    drafts: list[Payout] = []
    for claim in claims:
        if claim["approved_amount"] is not None:
            drafts += _claim_payouts(rng, window, claim, by_id.get(claim["incident_id"]), holdings)
    payouts = sorted(drafts, key=lambda p: p.row["paid_at"])
    for number, payout in enumerate(payouts, start=1):
        payout.row["payout_id"] = f"PAY-{number:08d}"
    return payouts


def _claim_payouts(rng: np.random.Generator, window: Window, claim: dict, incident: IncidentFacts | None,
                   holdings: Holdings) -> list[Payout]:
    """The payouts of one approved claim: none if paid after the window's end."""
    asset = claim["claimed_asset"]
    automatic = claim["channel"] == "automatic"
    paid = int(off_midnight(claim["decided_at"] + int(rng.lognormal(np.log((0.5 if automatic else 18) * HOUR),
                                                                      1.0))))
    share = 0.0
    if incident is not None and incident.category == "erroneous_liquidation":
        share = INSURANCE_FUNDED_SHARE["erroneous_liquidation"]
    elif incident is not None and incident.derivatives:
        share = INSURANCE_FUNDED_SHARE["derivatives"]
    insured = rng.random() < share and compensating_fund(holdings, asset) is not None
    funding = "insurance_fund" if insured else "company"
    method = pick(rng, PAYOUT_METHODS, PAYOUT_METHOD_WEIGHTS)
    approved = minor_units(claim["approved_amount"], asset)
    rebate_at = int(off_midnight(paid + int(rng.uniform(5 * MINUTE, 3 * HOUR))))
    credit = round_to_typed(int(approved * rng.uniform(0.5, 0.9)), asset)
    if paid >= window.end:
        return []
    if rng.random() < SPLIT_PAYOUT_SHARE and 0 < credit < approved and rebate_at < window.end:
        parts = [(paid, credit, "account_credit"), (rebate_at, approved - credit, "fee_rebate")]
    else:
        parts = [(paid, approved, method)]
    return [Payout({"payout_id": None, "claim_id": claim["claim_id"], "paid_at": at, "asset": asset,
                    "amount": money(minor, asset), "method": how, "funding_source": funding}, minor)
            for at, minor, how in parts]

"""The exchange-scale claims and payouts, drawn a month of incidents at a time as numpy arrays.

Claims are shared among a month's incidents in proportion to the clients each affected (a tenth name no
incident); half the incident claims are raised automatically and nearly always approved; user claims take days to
decide and are often rejected (unrealised profit first). Decisions after the window's end are pending. Payouts
follow (partially) approved claims with a lognormal delay, sometimes split into an account credit plus a fee rebate
that add up exactly to the approved amount; some are borne by the insurance fund."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.contract import REJECTION_REASONS
from pipelines.demo.arrow_columns import US, codes, decimals, fixed_strings, timestamps
from pipelines.demo.assets import ASSETS, FUND_SCALE, GRANULE, PRICE_DECIMALS, TYPED_GRANULE
from pipelines.demo.compensation import (
    CLAIM_ASSET_WEIGHTS,
    CLAIM_ASSETS,
    CLAIM_MAX_USD,
    CLAIM_RATE,
    CLAIM_SIGMA,
    DECISION_WEIGHTS_UNLINKED,
    DECISION_WEIGHTS_USER,
    DECISIONS_USER,
    PAYOUT_METHOD_WEIGHTS,
    PAYOUT_METHODS,
    REJECTION_WEIGHTS,
    REJECTION_WEIGHTS_UNLINKED,
    SPLIT_PAYOUT_SHARE,
)
from pipelines.demo.funds import Holdings, compensating_funds
from pipelines.demo.large_incidents import MonthIncidents
from pipelines.demo.parquet_months import MonthFiles, chunks
from pipelines.demo.prices import Prices
from pipelines.demo.sampling import choice_rows
from pipelines.demo.window import DAY, HOUR, MINUTE, Window, off_midnight

CLAIMS_PER_MONTH = 1_600_000  # at scale 1.0: enough for more than 1,000,000 payouts in every month, the last one too
ACCOUNTS = 1_200_000  # accounts that may claim (the pool is drawn with a skew: active traders claim more)
UNLINKED_SHARE = 0.10  # claims naming no incident
AUTOMATIC_SHARE = 0.5  # of incident claims: raised by the platform (auto-compensation of liquidations, rebates)
# At exchange scale most claims are small: a rebate of fees, a liquidation undone. Medians in USD.
CLAIM_MEDIAN_USD = {"erroneous_liquidation": 300, "trading_halt": 120, "outage": 80}
CLAIM_MEDIAN_USD_OTHERWISE = 40
# Share of payouts the insurance fund bears: losses on derivatives are what the fund exists to absorb.
INSURANCE_FUNDED_SHARE = {"erroneous_liquidation": 0.3, "derivatives": 0.08}

DECISIONS = ("pending", *DECISIONS_USER)  # index 0 = pending
PENDING, APPROVED, PARTIAL, REJECTED, WITHDRAWN = range(5)

Batch = dict[str, np.ndarray]
"""Rows as parallel columns."""


class Compensation:
    """Claims and payouts month after month. Claims about a month's incidents may be submitted, and paid, in a
    later month: they are carried until that month is written. Ids carry a running number across months."""

    def __init__(self, window: Window, scale: float, prices: Prices, holdings: Holdings):
        self.window = window
        self.scale = scale
        self.close = prices.by_asset_index()  # 1e-8 USD
        self.first_price_day = prices.first_day
        self.comp_fund = compensating_funds(holdings)
        self.claims_carry: Batch | None = None
        self.payouts_carry: Batch | None = None
        self.next_claim = 1
        self.next_payout = 1

    def month(self, files: MonthFiles, rng_claims: np.random.Generator, rng_payouts: np.random.Generator,
              incidents: MonthIncidents, start: int, end: int) -> Batch | None:
        """Draw the claims and payouts of the month's incidents; write the claims submitted, and the payouts made,
        in `[start, end)` (earlier months' included); return those payouts (the ledger compensates insured ones)."""
        claims = self._claims(rng_claims, incidents, start, end)
        payouts = self._payouts(rng_payouts, claims)
        self.claims_carry = _concat(self.claims_carry, claims)
        self.payouts_carry = _concat(self.payouts_carry, payouts)
        now, self.claims_carry = _split(self.claims_carry, "submitted", end)
        _write_claims(files, now)
        now, self.payouts_carry = _split(self.payouts_carry, "paid", end)
        _write_payouts(files, now)
        return now

    def _claims(self, rng: np.random.Generator, incidents: MonthIncidents, start: int, end: int) -> Batch:
        """The claims raised about this month's incidents (and the unlinked ones submitted in it), wherever their
        submission falls before the window's end, numbered in order of submission."""
        window_end = self.window.end
        incident = self._claimed_incidents(rng, incidents)
        n = incident.size
        linked = incident >= 0
        inc = np.where(linked, incident, 0)
        category = np.array([list(CLAIM_RATE).index(c) for c in incidents.category])[inc]
        automatic = linked & (rng.random(n) < AUTOMATIC_SHARE)
        base = np.where(incidents.resolved[inc] >= 0, incidents.resolved[inc], incidents.detected[inc])
        submitted = np.where(
            automatic, base + (rng.uniform(0.5, 6, n) * HOUR).astype(np.int64),
            incidents.started[inc] + rng.lognormal(np.log(20 * HOUR), 1.0, n).astype(np.int64))
        submitted = np.where(linked, submitted, rng.integers(start, end, n))
        asset, claimed = self._claimed(rng, linked, category, submitted)
        decision, decided = _decisions(rng, automatic, linked, submitted, window_end)
        reason_linked = np.array([REJECTION_WEIGHTS[r] for r in REJECTION_REASONS])
        reason_unlinked = np.array([REJECTION_WEIGHTS_UNLINKED[r] for r in REJECTION_REASONS])
        reason = np.where(linked, rng.choice(len(REJECTION_REASONS), n, p=reason_linked / reason_linked.sum()),
                          rng.choice(len(REJECTION_REASONS), n, p=reason_unlinked / reason_unlinked.sum()))
        insurable = np.where(
            linked & (category == list(CLAIM_RATE).index("erroneous_liquidation")),
            INSURANCE_FUNDED_SHARE["erroneous_liquidation"],
            np.where(linked & incidents.derivatives[inc], INSURANCE_FUNDED_SHARE["derivatives"], 0.0))
        fraction = rng.uniform(0.2, 0.9, n)
        account = (max(100, round(ACCOUNTS * self.scale)) * rng.random(n) ** 1.5).astype(np.int64)
        typed = TYPED_GRANULE[asset]
        partial = np.maximum(GRANULE[asset], (claimed * fraction).astype(np.int64) // typed * typed)
        approved = np.where(decision == APPROVED, claimed, np.where(decision == PARTIAL, partial, -1))
        reason = np.where(decision == REJECTED, reason, -1)

        order = np.flatnonzero(submitted < window_end)  # claims submitted after the window are not known yet
        order = order[np.argsort(submitted[order], kind="stable")]
        claims = {
            "claim_no": np.arange(self.next_claim, self.next_claim + order.size, dtype=np.int64),
            "incident": incident[order], "account": account[order], "automatic": automatic[order],
            "submitted": submitted[order], "decided": decided[order], "decision": decision[order],
            "reason": reason[order], "claimed": claimed[order], "asset": asset[order],
            "approved": approved[order], "insurable": insurable[order],
            # The incident's id is INC-<YYYYMM>-<number in the month>: kept as those two numbers.
            "incident_month": np.full(order.size, incidents.month, dtype=np.int64),
        }
        self.next_claim += order.size
        return claims

    def _claimed_incidents(self, rng: np.random.Generator, incidents: MonthIncidents) -> np.ndarray:
        """The incident (index) each claim names, -1 for none: in proportion to the clients each affected."""
        total = max(10, round(CLAIMS_PER_MONTH * self.scale))
        unlinked = max(1, round(total * UNLINKED_SHARE))
        weights = incidents.clients * np.array([CLAIM_RATE[c] for c in incidents.category])
        if weights.sum() <= 0:
            weights = np.ones(len(incidents.ids))
        per_incident = rng.multinomial(total - unlinked, weights / weights.sum())
        return np.concatenate([np.repeat(np.arange(len(incidents.ids)), per_incident), np.full(unlinked, -1)])

    def _claimed(self, rng: np.random.Generator, linked: np.ndarray, category: np.ndarray, submitted: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        """The asset (index) and amount (1e-8 units, as typed) of each claim: heavy-tailed USD values converted at
        the close of the day of submission."""
        n = linked.size
        median = np.array([CLAIM_MEDIAN_USD.get(c, CLAIM_MEDIAN_USD_OTHERWISE) for c in CLAIM_RATE])
        usd = np.minimum(rng.lognormal(np.log(np.where(linked, median[category], CLAIM_MEDIAN_USD_OTHERWISE)),
                                       CLAIM_SIGMA), CLAIM_MAX_USD)
        claim_assets = np.array([ASSETS.index(a) for a in CLAIM_ASSETS])
        asset_p = np.array(CLAIM_ASSET_WEIGHTS) / sum(CLAIM_ASSET_WEIGHTS)
        asset = claim_assets[rng.choice(len(CLAIM_ASSETS), n, p=asset_p)]
        day = np.minimum(submitted, self.window.end - 1) // DAY
        price = self.close[asset, day - self.first_price_day] / 10**PRICE_DECIMALS
        typed = TYPED_GRANULE[asset]
        claimed = np.maximum(np.round(usd / price * 10**FUND_SCALE / typed).astype(np.int64) * typed, GRANULE[asset])
        return asset, claimed

    def _payouts(self, rng: np.random.Generator, claims: Batch) -> Batch:
        """Payouts of the (partially) approved claims made before the window's end, numbered in order of
        payment."""
        window_end = self.window.end
        paid_claims = np.flatnonzero(claims["approved"] > 0)
        m = paid_claims.size
        automatic = claims["automatic"][paid_claims]
        decided = claims["decided"][paid_claims]
        asset = claims["asset"][paid_claims]
        approved = claims["approved"][paid_claims]
        paid = off_midnight(decided + rng.lognormal(np.log(np.where(automatic, 0.5, 18) * HOUR), 1.0).astype(np.int64))
        insured = (rng.random(m) < claims["insurable"][paid_claims]) & (self.comp_fund[asset] >= 0)
        method = rng.choice(len(PAYOUT_METHODS), m, p=np.array(PAYOUT_METHOD_WEIGHTS) / sum(PAYOUT_METHOD_WEIGHTS))
        rebate_at = off_midnight(paid + rng.integers(5 * MINUTE, 3 * HOUR, m))
        typed = TYPED_GRANULE[asset]
        credit = (approved * rng.uniform(0.5, 0.9, m)).astype(np.int64) // typed * typed
        split = (rng.random(m) < SPLIT_PAYOUT_SHARE) & (credit > 0) & (credit < approved) & (rebate_at < window_end)
        credit_method = PAYOUT_METHODS.index("account_credit")
        rebate_method = PAYOUT_METHODS.index("fee_rebate")
        # First parts (whole payouts, or the credit of a split one), then the rebates of split ones.
        part_claim = np.concatenate([paid_claims, paid_claims[split]])
        part_paid = np.concatenate([paid, rebate_at[split]])
        part_amount = np.concatenate([np.where(split, credit, approved), (approved - credit)[split]])
        part_method = np.concatenate([np.where(split, credit_method, method), np.full(split.sum(), rebate_method)])
        part_insured = np.concatenate([insured, insured[split]])
        part_asset = np.concatenate([asset, asset[split]])
        keep = np.flatnonzero(part_paid < window_end)
        keep = keep[np.lexsort((keep, part_paid[keep]))]
        payouts = {
            "payout_no": np.arange(self.next_payout, self.next_payout + keep.size, dtype=np.int64),
            "claim_no": claims["claim_no"][part_claim[keep]],
            "paid": part_paid[keep], "asset": part_asset[keep], "amount": part_amount[keep],
            "method": part_method[keep], "insured": part_insured[keep],
        }
        self.next_payout += keep.size
        return payouts


def _decisions(rng: np.random.Generator, automatic: np.ndarray, linked: np.ndarray, submitted: np.ndarray,
               window_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Each claim's decision (index in DECISIONS) and when it was taken: automatic claims within hours, nearly
    always approved; user claims within days. Pending where that falls after the window's end."""
    n = linked.size
    user_weights = np.where(linked[:, None], np.array(DECISION_WEIGHTS_USER)[None, :],
                            np.array(DECISION_WEIGHTS_UNLINKED)[None, :])
    user_decision = 1 + choice_rows(rng, user_weights / user_weights.sum(axis=1, keepdims=True))
    decision = np.where(automatic, np.where(rng.random(n) < 0.8, APPROVED, PARTIAL), user_decision)
    decided = submitted + np.where(automatic, rng.lognormal(np.log(2 * HOUR), 0.8, n),
                                   rng.lognormal(np.log(4 * DAY), 0.9, n)).astype(np.int64)
    return np.where(decided >= window_end, PENDING, decision), decided


def _take(batch: Batch, index: np.ndarray) -> Batch:
    return {k: v[index] for k, v in batch.items()}


def _concat(a: Batch | None, b: Batch) -> Batch:
    if a is None:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in b}


def _split(batch: Batch | None, time: str, end: int) -> tuple[Batch | None, Batch | None]:
    """(rows with `time` before `end`, sorted by it; the rest)."""
    if batch is None:
        return None, None
    t = batch[time]
    now = np.flatnonzero(t < end)
    later = np.flatnonzero(t >= end)
    now = now[np.argsort(t[now], kind="stable")]
    return _take(batch, now), (_take(batch, later) if later.size else None)


def _row_groups(batch: Batch | None) -> Iterator[Batch]:
    """The rows of `batch` (none if None) a row group at a time."""
    if batch is not None:
        for chunk in chunks(next(iter(batch.values())).size):
            yield _take(batch, chunk)


def _write_claims(files: MonthFiles, claims: Batch | None) -> None:
    for c in _row_groups(claims):
        pending = c["decision"] == PENDING
        linked = c["incident"] >= 0
        incident_id = fixed_strings("INC-", (c["incident_month"], 6), "-", (np.maximum(c["incident"], 0) + 1, 5))
        if not linked.all():
            incident_id = pc.if_else(pa.array(linked), incident_id, pa.scalar(None, pa.string()))
        account = (c["account"].astype(np.uint64) * np.uint64(0x9E3779B97F4B)) % np.uint64(2**48)
        files.write("compensation_claims", {
            "claim_id": fixed_strings("CLM-", (c["claim_no"], 10)),
            "incident_id": incident_id,
            "account_ref": fixed_strings("acct_", (account, 12), base=16),
            "channel": codes(c["automatic"].astype(np.int64), ("user_claim", "automatic")),
            "submitted_at": timestamps(c["submitted"], US),
            "decided_at": timestamps(c["decided"], US, valid=~pending),
            "decision": codes(c["decision"], DECISIONS),
            "rejection_reason": codes(c["reason"], REJECTION_REASONS),
            "claimed_amount": decimals(c["claimed"]),
            "claimed_asset": codes(c["asset"], ASSETS),
            "approved_amount": decimals(np.maximum(c["approved"], 0), valid=c["approved"] > 0),
        })


def _write_payouts(files: MonthFiles, payouts: Batch | None) -> None:
    for p in _row_groups(payouts):
        files.write("compensation_payouts", {
            "payout_id": fixed_strings("PAY-", (p["payout_no"], 10)),
            "claim_id": fixed_strings("CLM-", (p["claim_no"], 10)),
            "paid_at": timestamps(p["paid"], US),
            "asset": codes(p["asset"], ASSETS),
            "amount": decimals(p["amount"]),
            "method": codes(p["method"], PAYOUT_METHODS),
            "funding_source": codes(p["insured"].astype(np.int64), ("company", "insurance_fund")),
        })

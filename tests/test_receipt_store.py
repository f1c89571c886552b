"""The receipt store (pipelines/receipt_store.py) builds the tree the format's reference builds
(receipts.build_tree): the same root and the same receipt for every claim, on claims chosen to be awkward — texts
with quotes, backslashes, control characters and non-ASCII letters, amounts with trailing zeros and all 18
decimals, microseconds, several payouts, both funding sources, claims decided before the month — and on a month
without a claim."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines import receipt_store
from pipelines.receipt_store import Store, build_store
from pipelines.receipts import DECISIONS, FIELDS, build_tree
from pipelines.warehouse import connect

PERIOD = "2026-10"
SECRET = b"store test"
START = datetime(2026, 10, 1, tzinfo=UTC)
AWKWARD = ["CLM-\"quoted\"", "CLM-back\\slash", "CLM-tab\tand\nnewline", "CLM-\x01\x1b\x1f", "CLM-é€😀", "CLM-\u2028"]


def _claims(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    claims = []
    for i in range(count):
        claim_id = AWKWARD[i] if i < len(AWKWARD) else f"CLM-{i:05d}"
        decided_in = rng.random() < 0.8
        decided_at = (START + timedelta(seconds=rng.randrange(30 * 86400), microseconds=rng.choice([0, 1, 999999]))
                      if decided_in else START - timedelta(days=3))
        decision = rng.choice(DECISIONS)
        amount = Decimal(rng.choice(["0.5", "100", "1.500000000000000000", "0.000000000000000001", "0",
                                     "12345678901234567890.123456789012345678"]))
        payouts = [] if decided_in and rng.random() < 0.4 else [
            {"payout": f"PAY-{i}-{n}\u00e9" if n else f"PAY-{i}-{n}",
             "paid_at": START + timedelta(days=n + 1, seconds=rng.randrange(86400)),
             "asset": "BTC", "amount": amount,
             "usd": Decimal(rng.randrange(10**15)).scaleb(-12),
             "funding_source": rng.choice(["insurance_fund", "treasury"])}
            for n in range(rng.choice([1, 1, 2, 3]))]
        claims.append({"claim_id": claim_id, "account_ref": f"ACC-{i}", "incident_id": rng.choice([None, "INC-1",
                                                                                                     "INC-\"x\""]),
                       "decision": decision, "decided_at": decided_at, "decided_in_period": decided_in,
                       "claimed_asset": "BTC", "approved_amount": None if decision == "rejected" else amount,
                       "payouts": payouts})
    return claims


def _warehouse(claims: list[dict]):
    """The two tables sql/reports/receipt_claims.sql reads, holding `claims`."""
    con = connect()
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE staging.compensation_claims (claim_id VARCHAR, account_ref VARCHAR, incident_id VARCHAR, "
                "decision VARCHAR, decided_at TIMESTAMPTZ, claimed_asset VARCHAR, approved_amount DECIMAL(38, 18))")
    con.execute("CREATE TABLE marts.compensation_payouts (period VARCHAR, claim_id VARCHAR, payout_id VARCHAR, "
                "paid_at TIMESTAMPTZ, asset VARCHAR, amount DECIMAL(38, 18), amount_usd DECIMAL(38, 12), "
                "funding_source VARCHAR)")
    for c in claims:
        con.execute("INSERT INTO staging.compensation_claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [c["claim_id"], c["account_ref"], c["incident_id"], c["decision"], c["decided_at"],
                     c["claimed_asset"], c["approved_amount"]])
        for p in c["payouts"]:
            con.execute("INSERT INTO marts.compensation_payouts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [PERIOD, c["claim_id"], p["payout"], p["paid_at"], p["asset"], p["amount"], p["usd"],
                         p["funding_source"]])
    return con


@pytest.mark.parametrize(("count", "fields", "batch"), [(40, FIELDS, 100), (40, FIELDS, 8),
                                                     (7, FIELDS[:2] + FIELDS[5:], 100), (0, FIELDS, 100)],
                         ids=["one batch", "batches in worker processes", "fields withheld", "no claim"])
def test_the_store_builds_the_reference_tree_and_its_receipts(tmp_path: Path, monkeypatch, count: int, fields,
                                                             batch: int):
    monkeypatch.setattr(receipt_store, "BATCH", batch)
    claims = _claims(count, seed=count)
    reference = build_tree(claims, PERIOD, SECRET, list(fields))
    with _warehouse(claims) as con:
        summary = build_store(con, PERIOD, SECRET, list(fields), tmp_path / "tree.duckdb")
    assert summary.record == reference.record()
    assert summary.size == max(len(reference.leaves), 1)
    with Store(tmp_path / "tree.duckdb") as store:
        assert store.claims() == sorted({c["claim_id"] for c in claims})
        assert dict(store.receipts(store.claims(), 3)) == reference.receipts(3)

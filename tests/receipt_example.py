"""The worked example of docs/RECEIPTS.md: two claims, three fields, a secret of "example". Run this file to print
the example's values; tests/test_receipts.py checks the document shows them."""

from datetime import UTC, datetime
from decimal import Decimal

from pipelines import merkle
from pipelines.receipts import FIELDS, build_tree, canonical

PERIOD = "2026-10"
SECRET = b"example"
EXAMPLE_FIELDS = [f for f in FIELDS if f.name in ("claims_approved", "claims_rejected", "compensation_paid_usd")]
CLAIMS = [
    {"claim_id": "CLM-1", "account_ref": "ACC-42", "incident_id": "INC-7", "decision": "approved",
     "decided_at": datetime(2026, 10, 3, 9, 30, tzinfo=UTC), "decided_in_period": True, "claimed_asset": "BTC",
     "approved_amount": Decimal("0.5"),
     "payouts": [{"payout": "PAY-1", "paid_at": datetime(2026, 10, 4, 12, 0, tzinfo=UTC), "asset": "BTC",
                  "amount": Decimal("0.5"), "usd": Decimal("31234.5"), "funding_source": "insurance_fund"}]},
    {"claim_id": "CLM-2", "account_ref": "ACC-43", "incident_id": None, "decision": "rejected",
     "decided_at": datetime(2026, 10, 5, 16, 0, tzinfo=UTC), "decided_in_period": True, "claimed_asset": "USDT",
     "approved_amount": None, "payouts": []},
]


def example_tree():
    return build_tree(CLAIMS, PERIOD, SECRET, EXAMPLE_FIELDS)


if __name__ == "__main__":
    tree = example_tree()
    for index, leaf in enumerate(tree.leaves):
        print(f"leaf {index}: {canonical(leaf.data).decode()}")
        print(f"  hash {tree.levels[0][index].hash.hex()} sums {tree.levels[0][index].sums}")
    for height, level in enumerate(tree.levels[1:], 1):
        for i, node in enumerate(level):
            print(f"level {height} node {i}: {node.hash.hex()} {node.sums} "
                  f"sums bytes {merkle.encode_sums(node.sums).hex()}")
    print(tree.record())

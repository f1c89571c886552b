"""The compensation root of a month and each claimant's receipt (docs/RECEIPTS.md is the exact format).

Every claim decided in the month and every claim paid in it enters a Merkle-sum tree (pipelines/merkle.py) as two
to four leaves: the claim's data (its account only as a salted commitment) with a part of its sums, so that a
sibling on a receipt's path shows a random-looking part of one claim, never a claim's amounts. The root's sums are
the month's published figures; a figure the public report withholds as a small cell is left out of the tree's sums
altogether, so nothing derived from the root reveals it. Salts, splits and leaf order are derived from the
profile's secret with HMAC-SHA256: the same inputs give the same root, and nobody without the secret can guess an
account from its commitment or link a claim's parts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal

from pipelines import merkle
from pipelines.timestamps import iso_utc

ROOT_FORMAT = "transparency-compensation-root/1"
RECEIPT_FORMAT = "transparency-compensation-receipt/1"
ROOT_FILE = "public/data/compensation_root.json"
DECISIONS = ("approved", "partially_approved", "rejected", "withdrawn")
INSURANCE_FUND = "insurance_fund"


@dataclass(frozen=True)
class Field:
    name: str  # the period_metrics metric it adds up to
    scale: int  # decimal places: sums are integers of 10^-scale units


# The sums the tree can carry, in this order; those of a month are the ones its public report does not withhold.
FIELDS = (
    *(Field(f"claims_{decision}", 0) for decision in DECISIONS),
    Field("payouts", 0),
    Field("compensation_paid_usd", 12),
    Field("compensation_paid_insurance_fund_usd", 12),
)


USD = Field("usd", 12)  # how a payout's value is written


class ReceiptError(ValueError):
    """A receipt that does not prove what it says, and why."""


def canonical(value: object) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of a leaf or log entry. Their values are objects with ASCII
    keys, arrays, strings, integers within ±(2^53 − 1), booleans and null, and for those RFC 8785 is exactly the
    standard library's sorted, compact, UTF-8 JSON (the tests compare it with the rfc8785 library); anything else,
    a float above all, is refused rather than encoded another way."""
    _check_canonical_domain(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check_canonical_domain(value: object) -> None:
    if isinstance(value, str | bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ReceiptError(f"the integer {value} is beyond JSON's exact range")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not (isinstance(key, str) and key.isascii()):
                raise ReceiptError(f"the key {key!r} is not an ASCII string")
            _check_canonical_domain(item)
    elif isinstance(value, list):
        for item in value:
            _check_canonical_domain(item)
    else:
        raise ReceiptError(f"{value!r} ({type(value).__name__}) has no place in a leaf (amounts are strings)")


def units(value: Decimal, scale: int) -> int:
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimal places")
    return int(scaled)


def decimal_text(amount: int, scale: int) -> str:
    """An integer of 10^-scale units as the format writes it: digits, and exactly `scale` decimals when scale > 0."""
    if scale == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**scale)
    return f"{whole}.{fraction:0{scale}d}"


_EXACT = Context(prec=60)  # normalize() rounds to the context's precision: the default 28 digits cut DECIMAL(38, 18)


def _amount(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(_EXACT), "f")
    return text if text != "-0" else "0"


def claim_sums(data: dict) -> dict[str, int]:
    """What one claim adds to each field, from its leaf data."""
    paid = [(parse_sum(p["usd"], USD), p["funding_source"]) for p in data["payouts"]]
    return sums_of(data["decided_in_period"], data["decision"], len(paid), sum(usd for usd, _ in paid),
                   sum(usd for usd, source in paid if source == INSURANCE_FUND))


def sums_of(decided_in_period: bool, decision: str | None, payouts: int, paid_units: int,
            paid_units_insurance_fund: int) -> dict[str, int]:
    """What one claim adds to each field: a decision counted once when decided in the month, its payouts of the
    month, and what they were worth in USD units of 10^-12 (in all, and paid by the insurance fund)."""
    sums = {f"claims_{d}": int(bool(decided_in_period) and decision == d) for d in DECISIONS}
    sums["payouts"] = payouts
    sums["compensation_paid_usd"] = paid_units
    sums["compensation_paid_insurance_fund_usd"] = paid_units_insurance_fund
    return sums


def committed_fields(metrics: dict[str, Decimal | None], small_cell: dict[str, str], k: int,
                     withheld_decisions: set[str]) -> list[Field]:
    """The fields of a month's tree: every field but those the public report withholds. A decision's count is
    withheld when any of its rows in the public decisions table is (public_compensation_decisions: fewer than k
    users, or the complement of one that is); the other fields when the figure that governs their small cell
    (metric_definitions.small_cell) is above 0 and below k."""
    def small(metric: str) -> bool:
        value = metrics.get(small_cell.get(metric) or "")
        return value is not None and 0 < value < k

    return [f for f in FIELDS
            if not (f.name.removeprefix("claims_") in withheld_decisions if f.name.startswith("claims_")
                    else small(f.name))]


class MonthKey:
    """HMAC-SHA256 derivations from the secret, separated by month (so months cannot be linked) and by purpose."""

    def __init__(self, secret: bytes, period: str):
        key = hmac.digest(secret, b"transparency-receipts/1 " + period.encode(), "sha256")
        # HMAC (RFC 2104) with the key's inner and outer hash states computed once: the same digests as
        # hmac.digest(key, message, "sha256"), at less than half the cost (a month derives millions).
        block = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def derive(self, *labels: str) -> bytes:
        inner = self._inner.copy()
        inner.update("\x00".join(labels).encode("utf-8"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def number(self, *labels: str) -> int:
        return int.from_bytes(self.derive(*labels), "big")


def split(total: int, parts: int, key: MonthKey, claim_id: str, field: str) -> list[int]:
    """`total` as `parts` non-negative integers adding up to it, cut at points drawn from the key (a uniform random
    composition: each part alone says little about the total)."""
    cuts = sorted(key.number("cut", claim_id, field, str(i)) % (total + 1) for i in range(parts - 1))
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:])]


def leaf_data(claim: dict, period: str, key: MonthKey) -> dict:
    """The claim's leaf object, without its part and sums (docs/RECEIPTS.md, "Leaves")."""
    salt = key.derive("salt", claim["claim_id"])
    return {
        "period": period,
        "claim": claim["claim_id"],
        "salt": salt.hex(),
        "account": hashlib.sha256(salt + claim["account_ref"].encode("utf-8")).hexdigest(),
        "incident": claim["incident_id"],
        "decision": claim["decision"],
        "decided_at": iso_utc(claim["decided_at"]) if claim["decided_at"] else None,
        "decided_in_period": bool(claim["decided_in_period"]),
        "asset": claim["claimed_asset"],
        "approved_amount": _amount(claim["approved_amount"]),
        "payouts": [{"payout": p["payout"], "paid_at": iso_utc(p["paid_at"]), "asset": p["asset"],
                     "amount": _amount(p["amount"]), "usd": decimal_text(units(p["usd"], 12), 12),
                     "funding_source": p["funding_source"]} for p in claim["payouts"]],
    }


@dataclass(frozen=True)
class Leaf:
    order: int  # the key's shuffle position
    data: dict  # with part, parts and sums

    @property
    def claim_id(self) -> str:
        return self.data["claim"]


def sums_text(sums: dict[str, int], fields: list[Field]) -> dict[str, str]:
    return {f.name: decimal_text(sums[f.name], f.scale) for f in fields}


def node_of(data: dict, fields: list[Field]) -> merkle.Node:
    return merkle.leaf(canonical(data), tuple(parse_sum(data["sums"][f.name], f) for f in fields))


def parse_sum(text: object, field: Field) -> int:
    if not isinstance(text, str) or not _sum_pattern(field.scale).fullmatch(text):
        raise ReceiptError(f"sum {field.name} = {text!r} is not written as the format requires "
                           f"(digits{f' with exactly {field.scale} decimals' if field.scale else ''})")
    return int(text.replace(".", ""))


@functools.cache
def _sum_pattern(scale: int) -> re.Pattern:
    return re.compile(r"(0|[1-9][0-9]*)" + (rf"\.[0-9]{{{scale}}}" if scale else ""))


def leaves_of(claims: Iterable[dict], period: str, secret: bytes, fields: list[Field]) -> list[Leaf]:
    """Every claim's 2–4 leaves, in the key's shuffled order."""
    key = MonthKey(secret, period)
    leaves = []
    for claim in claims:
        base = leaf_data(claim, period, key)
        sums = claim_sums(base)
        parts = 2 + key.number("parts", claim["claim_id"]) % 3
        shares = {f.name: split(sums[f.name], parts, key, claim["claim_id"], f.name) for f in fields}
        for part in range(parts):
            data = {**base, "part": part, "parts": parts,
                    "sums": sums_text({name: shares[name][part] for name in shares}, fields)}
            leaves.append(Leaf(key.number("order", claim["claim_id"], str(part)), data))
    leaves.sort(key=lambda leaf: (leaf.order, leaf.claim_id, leaf.data["part"]))
    return leaves


def root_record(period: str, fields: list[Field], root: merkle.Node) -> dict:
    """The public root: hash, fields and sums (no size: with few claims it would tell how many)."""
    return {
        "format": ROOT_FORMAT,
        "period": period,
        "hash": root.hash.hex(),
        "fields": [{"name": f.name, "scale": f.scale} for f in fields],
        "sums": sums_text(dict(zip((f.name for f in fields), root.sums)), fields),
    }


@dataclass(frozen=True)
class Tree:
    period: str
    fields: list[Field]
    leaves: list[Leaf]
    levels: list[list[merkle.Node]]

    @property
    def root(self) -> merkle.Node:
        return self.levels[-1][0]

    def record(self) -> dict:
        return root_record(self.period, self.fields, self.root)

    def receipts(self, version: int) -> dict[str, dict]:
        """claim_id -> its receipt: its leaves (by part) with their paths, under this root and version."""
        record = self.record()
        written = functools.cache(lambda node: node_record(node, self.fields))  # a node is on many paths
        by_claim: dict[str, list[dict]] = {}
        for index, leaf in enumerate(self.leaves):
            path = merkle.inclusion_path(self.levels, index)
            by_claim.setdefault(leaf.claim_id, []).append(
                {"index": index, "leaf": leaf.data, "path": [written(n) for n in path]})
        return {claim: receipt(record, version, len(self.leaves), claim, entries)
                for claim, entries in by_claim.items()}


def node_record(node: merkle.Node, fields: list[Field]) -> dict:
    """A node of a receipt's path as the format writes it."""
    return {"hash": node.hash.hex(), "sums": sums_text(dict(zip((f.name for f in fields), node.sums)), fields)}


def receipt(root_record: dict, version: int, tree_size: int, claim: str, entries: list[dict]) -> dict:
    """A claim's receipt: its leaves ({index, leaf, path}, any order) under the root `root_record` (Tree.record)."""
    return {"format": RECEIPT_FORMAT, "period": root_record["period"], "version": version,
            "root": {k: root_record[k] for k in ("hash", "fields", "sums")}, "tree_size": tree_size,
            "claim": claim, "leaves": sorted(entries, key=lambda e: e["leaf"]["part"])}


def empty_month_leaf(period: str, fields: list[Field]) -> merkle.Node:
    """The single leaf of a month without a claim decided or paid, so that it still has a root."""
    return merkle.leaf(canonical({"period": period, "claims": 0}), tuple(0 for _ in fields))


def build_tree(claims: list[dict], period: str, secret: bytes, fields: list[Field]) -> Tree:
    """The month's tree. A month without a claim decided or paid has a single empty leaf, so it still has a root."""
    leaves = leaves_of(claims, period, secret, fields)
    nodes = ([node_of(leaf.data, fields) for leaf in leaves]
             or [empty_month_leaf(period, fields)])
    return Tree(period, fields, leaves, merkle.levels(nodes))


@dataclass
class Counted:
    """The claims of a tree added up over their own data (not through the tree's sums): each field's total in
    units of 10^-scale (the withheld fields too), and the claims decided in the month."""

    totals: dict[str, int]
    decided: int = 0

    @classmethod
    def zero(cls) -> Counted:
        return cls(dict.fromkeys((f.name for f in FIELDS), 0))

    def add(self, sums: dict[str, int], decided_in_period: bool) -> None:
        for name, value in sums.items():
            self.totals[name] += value
        self.decided += bool(decided_in_period)

    def merge(self, other: Counted) -> None:
        self.add(other.totals, False)
        self.decided += other.decided


def counted(tree: Tree) -> Counted:
    out = Counted.zero()
    for leaf in tree.leaves:
        if leaf.data["part"] == 0:
            out.add(claim_sums(leaf.data), leaf.data["decided_in_period"])
    return out


def root_problems(record: dict, claims: Counted, metrics: dict[str, Decimal | None]) -> list[dict]:
    """Where the root `record` (Tree.record) or the claims it commits to disagree with period_metrics: each field's
    total over the claims (withheld fields too), each committed field's root sum, and the claims decided."""
    problems = []
    expected = {f.name: metrics.get(f.name) or Decimal(0) for f in FIELDS}
    for field in FIELDS:
        total = Decimal(claims.totals[field.name]).scaleb(-field.scale)
        if total != expected[field.name]:
            problems.append({"field": field.name, "where": "claims", "found": str(total),
                             "period_metrics": str(expected[field.name])})
    for field in record["fields"]:
        found = Decimal(record["sums"][field["name"]])
        if found != expected[field["name"]]:
            problems.append({"field": field["name"], "where": "root", "found": str(found),
                             "period_metrics": str(expected[field["name"]])})
    if Decimal(claims.decided) != (metrics.get("claims_decided") or 0):
        problems.append({"field": "claims_decided", "where": "claims", "found": str(claims.decided),
                         "period_metrics": str(metrics.get("claims_decided"))})
    return problems


# --- verification ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proven:
    """What a valid receipt proves."""

    claim: str
    period: str
    version: int
    root: str
    leaf: dict  # the claim's data (part and sums of the first part left out)
    sums: dict[str, str]  # what the claim adds to each committed field
    root_sums: dict[str, str]


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ReceiptError(f"{what} is not 64 lower-case hexadecimal digits")
    return bytes.fromhex(value)


def verify_receipt(receipt: dict, published_root: dict | None = None, account: str | None = None) -> Proven:
    """Check a receipt; raise ReceiptError naming the first thing that fails."""
    try:
        return _verify(receipt, published_root, account)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReceiptError(f"the receipt is not in the format {RECEIPT_FORMAT}: {exc!r}") from None


def _verify(receipt: dict, published_root: dict | None, account: str | None) -> Proven:
    if receipt.get("format") != RECEIPT_FORMAT:
        raise ReceiptError(f"format {receipt.get('format')!r} is not {RECEIPT_FORMAT}")
    root = receipt["root"]
    fields = [Field(f["name"], f["scale"]) for f in root["fields"]]
    if [f.name for f in fields] != [f.name for f in FIELDS if f in fields] or any(f not in FIELDS for f in fields):
        raise ReceiptError("the root's fields are not fields of the format, in its order")
    size, entries = receipt["tree_size"], receipt["leaves"]
    if not entries or len(entries) != entries[0]["leaf"]["parts"]:
        raise ReceiptError("the receipt does not hold every part of the claim")
    claim_total = dict.fromkeys((f.name for f in fields), 0)
    first = None
    for part, entry in enumerate(entries):
        data = entry["leaf"]
        if data["part"] != part or data["parts"] != len(entries):
            raise ReceiptError(f"leaf {part}: part {data['part']} of {data['parts']} where part {part} of "
                               f"{len(entries)} was expected")
        common = {k: v for k, v in data.items() if k not in ("part", "sums")}
        if first is None:
            first = common
        elif common != first:
            raise ReceiptError(f"leaf {part}: its claim data differ from part 0's")
        if data["period"] != receipt["period"] or data["claim"] != receipt["claim"]:
            raise ReceiptError(f"leaf {part}: period or claim differ from the receipt's")
        if set(data["sums"]) != {f.name for f in fields}:
            raise ReceiptError(f"leaf {part}: its sums are not the root's fields")
        node = node_of(data, fields)
        path = [merkle.Node(_hex(p["hash"], f"leaf {part}: path node {i}'s hash"),
                            tuple(parse_sum(p["sums"][f.name], f) for f in fields))
                for i, p in enumerate(entry["path"])]
        try:
            top = merkle.root_from_path(entry["index"], size, node, path)
        except merkle.ProofError as exc:
            raise ReceiptError(f"leaf {part}: {exc}") from None
        if top.hash.hex() != root["hash"]:
            raise ReceiptError(f"leaf {part}: its path leads to {top.hash.hex()}, not to the root {root['hash']}")
        if sums_text(dict(zip((f.name for f in fields), top.sums)), fields) != root["sums"]:
            raise ReceiptError(f"leaf {part}: its path adds up to other sums than the root's")
        for f, value in zip(fields, node.sums):
            claim_total[f.name] += value
    _hex(first["salt"], "the salt")
    own = claim_sums(first)
    for f in fields:
        if claim_total[f.name] != own[f.name]:
            raise ReceiptError(f"the parts' {f.name} add up to {decimal_text(claim_total[f.name], f.scale)}, not to "
                               f"the claim's {decimal_text(own[f.name], f.scale)}")
    if published_root is not None:
        for name in ("hash", "fields", "sums"):
            if published_root.get(name) != root[name]:
                raise ReceiptError(f"the receipt's root {name} is not the published root's")
        if published_root.get("period") != receipt["period"]:
            raise ReceiptError(f"the published root is of {published_root.get('period')}, not {receipt['period']}")
    if account is not None:
        commitment = hashlib.sha256(bytes.fromhex(first["salt"]) + account.encode("utf-8")).hexdigest()
        if commitment != first["account"]:
            raise ReceiptError(f"the claim is not of account {account}")
    return Proven(receipt["claim"], receipt["period"], receipt["version"], root["hash"], first,
                  sums_text(own, fields), root["sums"])


# --- the month's tree from the warehouse ---------------------------------------------------------------------------


def month_fields(con, period: str) -> tuple[list[Field], dict[str, Decimal | None]]:
    """The fields of the month's tree (those its public report publishes) and the month's period_metrics it must
    add up to."""
    from pipelines.marts import query
    from pipelines.sql import SqlFile

    metrics = dict(con.execute("SELECT metric, value FROM marts.period_metrics WHERE period = ?", [period]).fetchall())
    small_cell = dict(con.execute("SELECT metric, small_cell FROM staging.metric_definitions").fetchall())
    k = con.execute("SELECT small_cell_k FROM staging.entity").fetchone()[0]
    decisions = query(con, SqlFile("reports", "public_compensation_decisions"), period)
    columns = [d[0] for d in decisions.description]
    withheld = {row["decision"] for row in (dict(zip(columns, r)) for r in decisions.fetchall()) if row["suppressed"]}
    return committed_fields(metrics, small_cell, k, withheld), metrics

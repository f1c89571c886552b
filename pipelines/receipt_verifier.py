#!/usr/bin/env python3
"""Check a compensation receipt with nothing but Python's standard library (3.9 or newer).

    python3 verify_receipt.py RECEIPT.json [--root compensation_root.json] [--account YOUR-ACCOUNT-REFERENCE]

It prints what the receipt proves: that the claim is counted under the month's compensation root, with its
decision, approved amount and payouts, and the sums at the root (the month's published figures). With --root (the
month's public/data/compensation_root.json, or its manifest.json) it also checks that the root is the published one;
with --account, that the claim is of your account. It exits 1, saying why, when anything does not hold.

This file is written from docs/RECEIPTS.md alone and shares no code with the pipeline that made the receipt, so it
is a second, independent implementation of the format. Publish it as it is; anyone may copy it.
"""

import argparse
import hashlib
import json
import re
import sys

RECEIPT_FORMAT = "transparency-compensation-receipt/1"
# The fields a root may carry, in their order, with their decimal places.
FIELDS = [("claims_approved", 0), ("claims_partially_approved", 0), ("claims_rejected", 0), ("claims_withdrawn", 0),
          ("payouts", 0), ("compensation_paid_usd", 12), ("compensation_paid_insurance_fund_usd", 12)]
DECISIONS = ["approved", "partially_approved", "rejected", "withdrawn"]
HEX64 = re.compile(r"[0-9a-f]{64}")


class Invalid(Exception):
    pass


def canonical_json(value):
    """RFC 8785 for the values a receipt holds (objects with ASCII keys, arrays, strings, integers, booleans and
    null): keys sorted, no whitespace, strings escaped as JSON.stringify escapes them, UTF-8."""
    def check(v):
        if isinstance(v, float):
            raise Invalid("a receipt's leaf holds no fractional JSON numbers (amounts are strings)")
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53 - 1:
            raise Invalid("an integer in a leaf is beyond JSON's exact range")
        if isinstance(v, dict):
            for key, item in v.items():
                if not key.isascii():
                    raise Invalid("a leaf's keys are ASCII")
                check(item)
        elif isinstance(v, list):
            for item in v:
                check(item)
    check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def amount(text, scale, what):
    pattern = r"(0|[1-9][0-9]*)" + (rf"\.[0-9]{{{scale}}}" if scale else "")
    if not isinstance(text, str) or not re.fullmatch(pattern, text):
        raise Invalid(f"{what} = {text!r} is not a non-negative decimal with exactly {scale} decimals")
    return int(text.replace(".", ""))


def text(units, scale):
    if not scale:
        return str(units)
    whole, fraction = divmod(units, 10**scale)
    return f"{whole}.{fraction:0{scale}d}"


def sums_bytes(sums):
    out = b""
    for value in sums:
        if not 0 <= value < 2**128:
            raise Invalid("a sum does not fit in 16 bytes")
        out += value.to_bytes(16, "big")
    return out


def node_hash(left, right):
    """(hash, sums) of the parent of two nodes: SHA-256(0x01 || left hash || left sums || right hash || right sums)."""
    digest = hashlib.sha256(b"\x01" + left[0] + sums_bytes(left[1]) + right[0] + sums_bytes(right[1])).digest()
    return digest, [a + b for a, b in zip(left[1], right[1])]


def climb(index, size, node, path):
    """RFC 9162 section 2.1.3.2, each node carrying its sums."""
    if not 0 <= index < size:
        raise Invalid(f"leaf index {index!r} is not within a tree of {size!r} leaves")
    fn, sn = index, size - 1
    for sibling in path:
        if sn == 0:
            raise Invalid("the path is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Invalid("the path is shorter than the tree is deep")
    return node


def own_sums(leaf):
    """What the claim adds to each field, from its own data."""
    paid = [(amount(p["usd"], 12, f"payout {p.get('payout')} usd"), p["funding_source"]) for p in leaf["payouts"]]
    own = {"claims_" + d: int(leaf["decided_in_period"] is True and leaf["decision"] == d) for d in DECISIONS}
    own["payouts"] = len(paid)
    own["compensation_paid_usd"] = sum(usd for usd, _ in paid)
    own["compensation_paid_insurance_fund_usd"] = sum(usd for usd, source in paid if source == "insurance_fund")
    return own


def verify(receipt, published=None, account=None):
    """The lines to print about a valid receipt; raises Invalid otherwise."""
    if receipt.get("format") != RECEIPT_FORMAT:
        raise Invalid(f"not a receipt of the format {RECEIPT_FORMAT}")
    root = receipt["root"]
    fields = [(f["name"], f["scale"]) for f in root["fields"]]
    if [f for f in FIELDS if f in fields] != fields:
        raise Invalid("the root's fields are not fields of the format, in its order")
    if not HEX64.fullmatch(str(root["hash"])):
        raise Invalid("the root hash is not 64 lower-case hexadecimal digits")
    root_sums = [amount(root["sums"][name], scale, "root sum " + name) for name, scale in fields]
    if sorted(root["sums"]) != sorted(name for name, _ in fields):
        raise Invalid("the root's sums are not its fields")
    entries = receipt["leaves"]
    if not entries or len(entries) != entries[0]["leaf"]["parts"]:
        raise Invalid("the receipt does not hold every part of the claim")
    first, total = None, [0] * len(fields)
    for part, entry in enumerate(entries):
        leaf = entry["leaf"]
        if leaf["part"] != part or leaf["parts"] != len(entries):
            raise Invalid(f"leaf {part} is not part {part} of {len(entries)}")
        data = {k: v for k, v in leaf.items() if k not in ("part", "sums")}
        if first is None:
            first = data
        elif data != first:
            raise Invalid(f"leaf {part}: its claim data differ from part 0's")
        if leaf["period"] != receipt["period"] or leaf["claim"] != receipt["claim"]:
            raise Invalid(f"leaf {part}: period or claim differ from the receipt's")
        if sorted(leaf["sums"]) != sorted(name for name, _ in fields):
            raise Invalid(f"leaf {part}: its sums are not the root's fields")
        sums = [amount(leaf["sums"][name], scale, f"leaf {part} sum {name}") for name, scale in fields]
        node = (hashlib.sha256(b"\x00" + canonical_json(leaf)).digest(), sums)
        path = []
        for i, step in enumerate(entry["path"]):
            if not HEX64.fullmatch(str(step["hash"])):
                raise Invalid(f"leaf {part}: path node {i}'s hash is not 64 lower-case hexadecimal digits")
            path.append((bytes.fromhex(step["hash"]),
                         [amount(step["sums"][name], scale, f"leaf {part} path node {i} sum {name}")
                          for name, scale in fields]))
        top = climb(entry["index"], receipt["tree_size"], node, path)
        if top[0].hex() != root["hash"]:
            raise Invalid(f"leaf {part}: its path leads to {top[0].hex()}, not to the root {root['hash']}")
        if top[1] != root_sums:
            raise Invalid(f"leaf {part}: its path adds up to other sums than the root's")
        total = [a + b for a, b in zip(total, sums)]
    if not HEX64.fullmatch(str(first["salt"])):
        raise Invalid("the salt is not 64 lower-case hexadecimal digits")
    own = own_sums(first)
    for (name, scale), value in zip(fields, total):
        if value != own[name]:
            raise Invalid(f"the parts' {name} add up to {text(value, scale)}, not to the claim's "
                          f"{text(own[name], scale)}")
    checked = []
    if published is not None:
        published = published.get("compensation_root", published)  # a manifest holds the root under this key
        for key in ("hash", "fields", "sums"):
            if published.get(key) != root[key]:
                raise Invalid(f"the receipt's root {key} is not the published root's")
        if published.get("period") != receipt["period"]:
            raise Invalid(f"the published root is of {published.get('period')}, not {receipt['period']}")
        checked.append(f"The root is the one published for {receipt['period']}.")
    if account is not None:
        commitment = hashlib.sha256(bytes.fromhex(first["salt"]) + account.encode("utf-8")).hexdigest()
        if commitment != first["account"]:
            raise Invalid(f"the claim is not of account {account}")
        checked.append(f"The claim is of account {account}.")
    period, approved = receipt["period"], first["approved_amount"]
    counted = (f"counted among the claims decided in {period}" if first["decided_in_period"]
               else f"paid in {period} (decided in an earlier month)")
    decided = (f"decided {first['decided_at']}: {first['decision'].replace('_', ' ')}" if first["decided_at"]
               else "not decided yet")
    lines = [
        f"Claim {receipt['claim']} is counted in the compensation root {root['hash']} of {period}, version "
        f"{receipt['version']} ({receipt['tree_size']} leaves): {counted}.",
        f"  {decided}; approved: {f'{approved} ' + first['asset'] if approved is not None else 'nothing'}",
    ]
    for p in first["payouts"]:
        lines.append(f"  paid {p['amount']} {p['asset']} on {p['paid_at']} ({p['usd']} USD at that day's close, "
                     f"by the {p['funding_source'].replace('_', ' ')})")
    if not first["payouts"]:
        lines.append(f"  no payout in {period}")
    lines.append("  root sums: " + ", ".join(f"{name} {root['sums'][name]}" for name, _ in fields))
    return lines + checked


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a compensation receipt (docs/RECEIPTS.md).")
    parser.add_argument("receipt", help="the receipt, a JSON file")
    parser.add_argument("--root", help="the month's published root: public/data/compensation_root.json or the "
                        "version's manifest.json")
    parser.add_argument("--account", help="your account reference, to check the claim is yours")
    args = parser.parse_args(argv)
    published = None
    if args.root:
        try:
            with open(args.root, encoding="utf-8") as handle:
                published = json.load(handle)
        except (OSError, ValueError) as problem:
            print(f"{args.root}: not a readable published root ({problem!r})", file=sys.stderr)
            return 2
    try:
        with open(args.receipt, encoding="utf-8") as handle:
            receipt = json.load(handle)
        lines = verify(receipt, published, args.account)
    except Invalid as problem:
        print(f"{args.receipt}: NOT VALID: {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as problem:
        print(f"{args.receipt}: NOT VALID: not a readable receipt ({problem!r})", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

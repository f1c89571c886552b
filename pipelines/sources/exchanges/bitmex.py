"""BitMEX `GET /api/v1/insurance` → insurance-fund balances.

The response is `[{"currency": "XBt", "timestamp": "...Z", "walletBalance": <integer>}]`, or the same columns as
CSV (`timestamp,currency,walletBalance`, BitMEX's `_format=csv` and the captures of it). walletBalance is an
integer count of the currency's smallest unit, scaled exactly:

    XBt   satoshi   → BTC   walletBalance / 10^8
    USDt  1e-6 USDT → USDT  walletBalance / 10^6
    Gwei  1e-9 ETH  → ETH   walletBalance / 10^9

any other currency is an error. fund_id `bitmex` (one fund, the asset column tells the currencies apart).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from decimal import Decimal

from pipelines.sources.exchanges import common

# BitMEX currency → (contract asset, number of decimal places of its smallest unit).
BITMEX_CURRENCIES: dict[str, tuple[str, int]] = {
    "XBt": ("BTC", 8),
    "USDt": ("USDT", 6),
    "Gwei": ("ETH", 9),
}


def _balance(record: common.Record, fund: str) -> common.Balance:
    currency = record.text("currency")
    if currency not in BITMEX_CURRENCIES:
        known = ", ".join(f"{c} ({a})" for c, (a, _) in BITMEX_CURRENCIES.items())
        raise record.error("currency", f"expected a BitMEX currency of known scale: {known}; found {currency!r}")
    asset, places = BITMEX_CURRENCIES[currency]
    raw = record.get("walletBalance")
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,30}", raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise record.error("walletBalance", f"expected a whole number of {currency}; found {common.describe(raw)}")
    balance = Decimal(raw).scaleb(-places)
    common.plain_digits(balance, lambda problem: record.error("walletBalance", problem))
    return common.Balance(fund, asset, record.iso_time("timestamp"), balance, record.origin)


def parse(data: bytes, file: str, fund_id: str | None) -> common.Parsed:
    fund = fund_id or "bitmex"
    text_start = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    parsed = common.Parsed()
    if text_start in (b"[", b"{"):
        doc = common.not_an_error(common.parse_json(data, file), file, "an array of insurance records")
        if not isinstance(doc, list):
            raise common.ResponseError(file, None, None, f"expected a JSON array of insurance records; "
                                                         f"found {common.describe(doc)}")
        for i, value in enumerate(doc):
            parsed.balances.append(_balance(common.Record(file, f"[{i}]", value), fund))
        return parsed
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise common.ResponseError(file, None, None, f"expected UTF-8 CSV or JSON; {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in ("timestamp", "currency", "walletBalance") if c not in header]
        if missing:
            raise common.ResponseError(file, "line 1", missing[0], "missing from the CSV header "
                                                                   "(expected timestamp,currency,walletBalance)")
        for record in reader:
            if not record:
                continue
            line = reader.line_num
            if len(record) != len(header):
                raise common.ResponseError(file, f"line {line}", None,
                                           f"expected {len(header)} fields; found {len(record)}")
            parsed.balances.append(_balance(common.Record(file, f"line {line}", dict(zip(header, record))), fund))
    except csv.Error as exc:
        raise common.ResponseError(file, f"line {reader.line_num}", None, f"expected well-formed CSV; {exc}") from exc
    return parsed

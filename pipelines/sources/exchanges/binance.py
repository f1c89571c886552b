"""Binance `GET /fapi/v1/insuranceBalance` → insurance-fund balances.

The response is one symbol group `{"symbols": [...], "assets": [{"asset", "marginBalance", "updateTime"}]}`, or
an array of groups (no `symbol` parameter). One balance per asset: asset → asset, marginBalance → balance,
updateTime (epoch ms) → as_of. Each group is its own fund: fund_id `binance-<first symbol, lower case>` (e.g.
`binance-btcusdt`; the group's symbol list is the same whichever of its symbols was queried), `binance-group<index>`
for a group without symbols.
"""

from __future__ import annotations

from pipelines.sources.exchanges import common


def parse(data: bytes, file: str, fund_id: str | None) -> common.Parsed:
    doc = common.not_an_error(common.parse_json(data, file), file, "a symbol group object or an array of them")
    if isinstance(doc, dict):
        groups = [("", doc)]
    elif isinstance(doc, list):
        groups = [(f"[{i}]", group) for i, group in enumerate(doc)]
    else:
        raise common.ResponseError(file, None, None, f"expected a JSON object or array; found {common.describe(doc)}")
    parsed = common.Parsed()
    for index, (prefix, value) in enumerate(groups):
        group = common.Record(file, prefix or "(the response object)", value)
        symbols = group.array("symbols")
        for i, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not symbol:
                raise common.ResponseError(file, group.where, f"symbols[{i}]",
                                           f"expected a symbol string; found {common.describe(symbol)}")
        fund = fund_id or (f"binance-{common.slug(symbols[0])}" if symbols else f"binance-group{index}")
        for i, value in enumerate(group.array("assets")):
            record = common.Record(file, f"{prefix}{'.' if prefix else ''}assets[{i}]", value)
            parsed.balances.append(common.Balance(
                fund, record.code("asset"), record.epoch_ms("updateTime"), record.decimal("marginBalance"),
                record.origin,
            ))
    return parsed

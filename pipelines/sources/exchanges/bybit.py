"""Bybit `GET /v5/market/insurance` → insurance-fund balances.

The response is `{"retCode": 0, "result": {"updatedTime": "<ms>", "list": [{"coin", "symbols", "balance",
"value"}]}}`. One balance per pool: coin → asset, balance → balance, updatedTime → as_of (`updateTime`, as some
translations of the docs spell it, is read too). `value` (USD) is not used: the pipeline values balances with its
own prices. fund_id `bybit-<first of symbols, lower case>`, `bybit-<coin>` without symbols.
"""

from __future__ import annotations

from pipelines.sources.exchanges import common


def parse(data: bytes, file: str, fund_id: str | None) -> common.Parsed:
    top = common.coded_response(data, file, code="retCode", success="0", message="retMsg", body="result")
    result = common.Record(file, "result", top.get("result"))
    time_field = "updatedTime" if "updatedTime" in result.value or "updateTime" not in result.value else "updateTime"
    as_of = result.epoch_ms(time_field)
    parsed = common.Parsed()
    for i, value in enumerate(result.array("list")):
        pool = common.Record(file, f"result.list[{i}]", value)
        coin = pool.code("coin")
        symbols = [s for s in pool.text("symbols", allow_empty=True).split(",") if s.strip()]
        fund = fund_id or f"bybit-{common.slug(symbols[0] if symbols else coin)}"
        parsed.balances.append(common.Balance(fund, coin, as_of, pool.decimal("balance"), pool.origin))
    return parsed

"""OKX `GET /api/v5/public/insurance-fund` → insurance-fund balances and movements.

The response is `{"code": "0", "data": [{"instType", "instFamily", "total", "details": [{"balance", "amt", "ccy",
"type", "ts", ...}]}]}`. fund_id `okx-<instFamily, lower case>` (e.g. `okx-btc-usdt`), `okx-<instType>` where there
is no family (MARGIN). Every detail is a balance snapshot (ccy, `balance` after the event, at `ts`); typed details
are also movements:

    liquidation_balance_deposit → liquidation_surplus     +|amt|  (a negative amt is an error)
    bankruptcy_loss             → bankruptcy_cover        −|amt|  (OKX's amt may come signed or not)
    platform_revenue            → platform_contribution   +|amt|  (a negative amt is an error)
    adl                         → adl                     −|amt|  only when amt is given: OKX documents amt for the
                                                                 other three types only, so an ADL record without
                                                                 amt is a balance snapshot and no movement
    regular_update              → balance snapshot only

movement_id `okx-<instFamily or instType>-<ccy>-<ts>-<type>` (lower case; independent of a `fund_id` override),
so overlapping pages (OKX pages back with `after`/`before` on `ts`) give the same ids and are de-duplicated.
OKX writes its daily typed events at about 08:00 UTC, so several may share one `ts`, each with the balance after
itself. The snapshot at such an instant is a `regular_update` there if there is one, else the event listed first
(OKX lists newest first; across pages, the page holding the newest record comes first, whatever order the pages
are given in: the caller ranks the pages). Two `regular_update`s that disagree are an error.
"""

from __future__ import annotations

from pipelines.sources.exchanges import common

# OKX detail type → (movement kind, sign), for the types that move money.
OKX_MOVEMENTS: dict[str, tuple[str, int]] = {
    "liquidation_balance_deposit": ("liquidation_surplus", 1),
    "bankruptcy_loss": ("bankruptcy_cover", -1),
    "platform_revenue": ("platform_contribution", 1),
    "adl": ("adl", -1),
}
OKX_TYPES = ("regular_update", *OKX_MOVEMENTS)


def parse(data: bytes, file: str, fund_id: str | None) -> common.Parsed:
    top = common.coded_response(data, file, code="code", success='"0"', message="msg", body="data")
    parsed = common.Parsed()
    for i, value in enumerate(top.array("data")):
        item = common.Record(file, f"data[{i}]", value)
        family = item.value.get("instFamily") or item.value.get("instType")
        if not isinstance(family, str) or not family:
            raise item.error("instFamily", "expected an instrument family (or, for MARGIN, an instType); "
                                           f"found {common.describe(item.value.get('instFamily'))}")
        family = common.slug(family)
        fund = fund_id or f"okx-{family}"
        for j, value in enumerate(item.array("details")):
            detail = common.Record(file, f"data[{i}].details[{j}]", value)
            kind = detail.text("type")
            if kind not in OKX_TYPES:
                raise detail.error("type", f"expected one of: {', '.join(OKX_TYPES)}; found {kind!r}")
            ccy = detail.code("ccy")
            ts = detail.epoch_ms("ts")
            rank = None if kind == "regular_update" else (i, j)
            parsed.balances.append(common.Balance(fund, ccy, ts, detail.decimal("balance"), detail.origin, rank))
            if kind not in OKX_MOVEMENTS:
                continue
            movement_kind, sign = OKX_MOVEMENTS[kind]
            amt = detail.value.get("amt")
            if kind == "adl" and amt in (None, ""):
                continue  # ADL events carry no amount (OKX documents amt for the other types only)
            amount = detail.decimal("amt")
            if sign > 0 and amount < 0:
                raise detail.error("amt", f"expected a non-negative change for a {kind} event; found {amt!r}")
            movement_id = f"okx-{family}-{ccy.lower()}-{common.unix_ms(ts)}-{kind}"
            size = amount.copy_abs()
            signed = size if sign > 0 or not size else -size  # a zero stays "0", not "-0"
            parsed.movements.append(common.Movement(movement_id, fund, ccy, ts, signed, movement_kind, detail.origin))
    return parsed

"""Exchange insurance funds → `insurance_fund_balances` (and, for OKX, `insurance_fund_movements`) landing files.

`import_insurance_fund(exchange, source, landing_dir)` reads saved API responses (or, with `live=True`, fetches an
https URL), maps them into the contract (DESIGN.md §3) and writes

    landing_dir/insurance_fund_balances/<exchange>.csv
    landing_dir/insurance_fund_movements/<exchange>.csv     (OKX only: its typed fund events)

in the contract's CSV conventions: the contract's columns in order, UTC timestamps written `2026-05-01T12:00:00Z`
(with `.ffffff` only when the fraction of a second is not zero), decimals written exactly in plain digits (JSON is
parsed with `parse_float=Decimal`, strings stay strings, nothing goes through a float), empty = null.

`source` is one saved response, a directory of them (every non-hidden file, in name order) or a list of those;
several responses (OKX pages, say) are merged: a record seen twice with the same values is kept once, the same
record with different values is an error. Nothing is written until every response has been parsed; each file is
written under a temporary name in the landing directory (where no landing reader looks) and renamed into place.
A malformed response raises `ResponseError` (a `ValueError`) naming the file, the record and the field.

Each exchange's endpoint and mapping is described in its module: binance.py, okx.py, bybit.py, bitmex.py.
`fund_id=` overrides the default of every record (it must be a fund code of the profile: `[a-z0-9_-]+`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS
from pipelines.sources import http
from pipelines.sources.exchanges import binance, bitmex, bybit, common, okx
from pipelines.sources.exchanges.common import ResponseError

__all__ = ["EXCHANGES", "ResponseError", "import_insurance_fund"]

PARSERS: dict[str, Callable[[bytes, str, str | None], common.Parsed]] = {
    "binance": binance.parse,
    "okx": okx.parse,
    "bybit": bybit.parse,
    "bitmex": bitmex.parse,
}
EXCHANGES = tuple(PARSERS)
FUND_CODE = re.compile(r"[a-z0-9_-]+")

Source = str | os.PathLike


def _is_url(source: Source) -> bool:
    return isinstance(source, str) and "://" in source


def _expand(source: Source | Sequence[Source]) -> list[Source]:
    """Files and URLs, in order: a directory stands for its non-hidden files in name order."""
    sources: Iterable[Source] = [source] if isinstance(source, str | os.PathLike) else source
    expanded: list[Source] = []
    for item in sources:
        if _is_url(item):
            expanded.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise ValueError(f"{path}: the directory holds no saved responses")
            expanded.extend(files)
        else:
            expanded.append(path)
    if not expanded:
        raise ValueError("no source given")
    return expanded


def _read(source: Source, *, live: bool, timeout: float, retries: int) -> tuple[bytes, str]:
    if _is_url(source):
        if not live:
            raise ValueError(f"{source}: is a URL; pass live=True to fetch it, or save the response to a file")
        return http.fetch(str(source), timeout=timeout, retries=retries), str(source)
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the saved response: {exc.strerror or exc}") from exc


def import_insurance_fund(
    exchange: str,
    source: Source | Sequence[Source],
    landing_dir: Path,
    *,
    fund_id: str | None = None,
    live: bool = False,
    timeout: float = 10,
    retries: int = 3,
) -> dict[str, int]:
    """Map saved (or, with live=True, fetched) insurance-fund responses of `exchange` into landing files.

    `source`: a saved response file, a directory of them, an https URL (only with live=True: fetched with
    `timeout` seconds per attempt and up to `retries` retries), or a list of those. Returns the rows written per
    table. Raises `ResponseError` (a ValueError) for a malformed response, ValueError for conflicting records or
    a bad argument, `http.FetchError` (an OSError) when a URL cannot be fetched; then nothing is written.
    """
    exchange = exchange.lower()
    if exchange not in PARSERS:
        raise ValueError(f"unknown exchange {exchange!r}; expected one of: {', '.join(EXCHANGES)}")
    if fund_id is not None and not FUND_CODE.fullmatch(fund_id):
        raise ValueError(f"fund_id {fund_id!r}: expected a fund code of the profile ([a-z0-9_-]+)")
    parsed = common.Parsed()
    for index, item in enumerate(_expand(source)):
        data, label = _read(item, live=live, timeout=timeout, retries=retries)
        one = PARSERS[exchange](data, label, fund_id)
        # Event ranks: pages holding newer records first (OKX pages back in time), then the listing order.
        newest = max((common.unix_ms(b.as_of) for b in one.balances), default=0)
        parsed.balances += [
            b if b.rank is None else replace(b, rank=(-newest, index, *b.rank)) for b in one.balances
        ]
        parsed.movements += one.movements

    balances = common.merge(parsed.balances, "balances", lambda r: (r.balance,))
    if not balances:
        raise ValueError(f"{exchange}: the responses hold no insurance-fund balances")
    balances.sort(key=lambda r: (r.fund_id, r.asset, r.as_of))
    landing_dir = Path(landing_dir)
    files = [(landing_dir / INSURANCE_FUND_BALANCES.name / f"{exchange}.csv", common.balances_csv(balances))]
    counts = {INSURANCE_FUND_BALANCES.name: len(balances)}
    if exchange == "okx":
        movements = common.merge(parsed.movements, "movements", lambda r: (r.fund_id, r.asset, r.amount, r.kind))
        movements.sort(key=lambda r: (r.occurred_at, r.movement_id))
        files.append((landing_dir / INSURANCE_FUND_MOVEMENTS.name / f"{exchange}.csv", common.movements_csv(movements)))
        counts[INSURANCE_FUND_MOVEMENTS.name] = len(movements)
    common.write_all(files, scratch=landing_dir)
    return counts

"""Exchange insurance funds → `insurance_fund_balances` (and, for OKX, `insurance_fund_movements`) landing files.

`import_insurance_fund(exchange, source, landing_dir)` reads saved API responses (or, with `live=True`, fetches an
https URL), maps them into the contract (DESIGN.md §3) and writes

    landing_dir/insurance_fund_balances/<exchange>.csv
    landing_dir/insurance_fund_movements/<exchange>.csv     (OKX only: its typed fund events)

in the contract's CSV conventions: the contract's columns in order, UTC timestamps written `2026-05-01T12:00:00Z`
(with `.fff` only when there are milliseconds), decimals written exactly in plain digits (JSON is parsed with
`parse_float=Decimal`, strings stay strings, nothing goes through a float), empty = null.

`source` is one saved response, a directory of them (every non-hidden file, in name order) or a list of those;
several responses (OKX pages, say) are merged: a record seen twice with the same values is kept once, the same
record with different values is an error. Nothing is written until every response has been parsed; each file is
written under a temporary name and renamed into place. A malformed response raises `ResponseError` (a
`ValueError`) naming the file, the record and the field.

Endpoints and mappings
----------------------
Binance `GET /fapi/v1/insuranceBalance` — one symbol group `{"symbols": [...], "assets": [{"asset",
"marginBalance", "updateTime"}]}`, or an array of groups (no `symbol` parameter). One balance per asset:
asset → asset, marginBalance → balance, updateTime (epoch ms) → as_of. Each group is its own fund:
fund_id `binance-<first symbol, lower case>` (e.g. `binance-btcusdt`; the group's symbol list is the same whichever
of its symbols was queried), `binance-group<index>` for a group without symbols.

OKX `GET /api/v5/public/insurance-fund` — `{"code": "0", "data": [{"instType", "instFamily", "total",
"details": [{"balance", "amt", "ccy", "type", "ts", ...}]}]}`. fund_id `okx-<instFamily, lower case>`
(e.g. `okx-btc-usdt`), `okx-<instType>` where there is no family (MARGIN). Every detail is a balance snapshot
(ccy, `balance` after the event, at `ts`); typed details are also movements:

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
are given in). Two `regular_update`s that disagree are an error.

Bybit `GET /v5/market/insurance` — `{"retCode": 0, "result": {"updatedTime": "<ms>", "list": [{"coin",
"symbols", "balance", "value"}]}}`. One balance per pool: coin → asset, balance → balance, updatedTime → as_of
(`updateTime`, as some translations of the docs spell it, is read too). `value` (USD) is not used: the pipeline
values balances with its own prices. fund_id `bybit-<first of symbols, lower case>`, `bybit-<coin>` without
symbols.

BitMEX `GET /api/v1/insurance` — `[{"currency": "XBt", "timestamp": "...Z", "walletBalance": <integer>}]`, or the
same columns as CSV (`timestamp,currency,walletBalance`, BitMEX's `_format=csv` and the captures of it).
walletBalance is an integer count of the currency's smallest unit, scaled exactly:

    XBt   satoshi   → BTC   walletBalance / 10^8
    USDt  1e-6 USDT → USDT  walletBalance / 10^6
    Gwei  1e-9 ETH  → ETH   walletBalance / 10^9

any other currency is an error. fund_id `bitmex` (one fund, the asset column tells the currencies apart).

`fund_id=` overrides the default of every record (it must be a fund code of the profile: `[a-z0-9_-]+`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.client import HTTPException
from pathlib import Path
from typing import Any

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS, Table
from pipelines.validation import DECIMAL_TEXT

EXCHANGES = ("binance", "okx", "bybit", "bitmex")

# BitMEX currency → (contract asset, number of decimal places of its smallest unit).
BITMEX_CURRENCIES: dict[str, tuple[str, int]] = {
    "XBt": ("BTC", 8),
    "USDt": ("USDT", 6),
    "Gwei": ("ETH", 9),
}

# OKX detail type → (movement kind, sign), for the types that move money.
OKX_MOVEMENTS: dict[str, tuple[str, int]] = {
    "liquidation_balance_deposit": ("liquidation_surplus", 1),
    "bankruptcy_loss": ("bankruptcy_cover", -1),
    "platform_revenue": ("platform_contribution", 1),
    "adl": ("adl", -1),
}
OKX_TYPES = ("regular_update", *OKX_MOVEMENTS)

FUND_CODE = re.compile(r"[a-z0-9_-]+")
ASSET_CODE = re.compile(r"[A-Z0-9]{2,10}")
_DECIMAL = re.compile(DECIMAL_TEXT)
# What a decimal string of a response may look like (Decimal() alone would also take "1_000", "Infinity", " 1").
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Sanity bounds for exchange timestamps: catches seconds passed where milliseconds belong.
_EARLIEST, _LATEST = datetime(2009, 1, 3, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)

# HTTP statuses worth another try; any other error status fails at once.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "transparency-pipeline/0.1 (insurance-fund adapter)"
BACKOFF_SECONDS = 1.0

# Looked up at call time, so tests can replace them.
urlopen = urllib.request.urlopen
sleep = time.sleep


class ResponseError(ValueError):
    """A response that does not have the documented shape: names the file, the record and the field."""

    def __init__(self, file: str, record: str | None, field: str | None, problem: str) -> None:
        self.file, self.record, self.field, self.problem = file, record, field, problem
        where = file
        if record is not None:
            where += f": record {record}"
        if field is not None:
            where += f", field {field}"
        super().__init__(f"{where}: {problem}")


class FetchError(OSError):
    """A live source could not be fetched, after every retry."""


# --- Rows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Balance:
    fund_id: str
    asset: str
    as_of: datetime
    balance: Decimal
    origin: str  # "file: record ...", to name both sides of a conflict
    # None: a snapshot proper, which no other may contradict. Otherwise the balance after an event; of several
    # events at one instant that disagree, the one of lowest rank gives the snapshot (see OKX above).
    rank: tuple | None = None

    @property
    def key(self) -> tuple:
        return (self.fund_id, self.asset, self.as_of)


@dataclass(frozen=True)
class _Movement:
    movement_id: str
    fund_id: str
    asset: str
    occurred_at: datetime
    amount: Decimal
    kind: str
    origin: str

    @property
    def key(self) -> str:
        return self.movement_id


@dataclass
class _Parsed:
    balances: list[_Balance] = field(default_factory=list)
    movements: list[_Movement] = field(default_factory=list)


# --- Values --------------------------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"the JSON number {value}"
    if isinstance(value, bool):
        return f"the JSON boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the JSON number {value}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    return repr(value)


class _Record:
    """One record of a response: reads its fields and names the file, record and field in every error."""

    def __init__(self, file: str, where: str, value: Any) -> None:
        self.file, self.where, self.value = file, where, value
        if not isinstance(value, dict):
            raise ResponseError(file, where, None, f"expected a JSON object; found {_describe(value)}")

    @property
    def origin(self) -> str:
        return f"{self.file}: record {self.where}"

    def error(self, name: str | None, problem: str) -> ResponseError:
        return ResponseError(self.file, self.where, name, problem)

    def get(self, name: str) -> Any:
        if name not in self.value:
            raise self.error(name, "missing")
        return self.value[name]

    def text(self, name: str, *, allow_empty: bool = False) -> str:
        value = self.get(name)
        if not isinstance(value, str) or (not allow_empty and value == ""):
            raise self.error(name, f"expected a {'' if allow_empty else 'non-empty '}string; found {_describe(value)}")
        return value

    def array(self, name: str) -> list:
        value = self.get(name)
        if not isinstance(value, list):
            raise self.error(name, f"expected a JSON array; found {_describe(value)}")
        return value

    def code(self, name: str) -> str:
        value = self.text(name)
        if not ASSET_CODE.fullmatch(value):
            raise self.error(name, f"expected an asset code of 2-10 upper-case letters or digits; found {value!r}")
        return value

    def decimal(self, name: str) -> Decimal:
        return _decimal(self.get(name), lambda problem: self.error(name, problem))

    def epoch_ms(self, name: str) -> datetime:
        return _epoch_ms(self.get(name), lambda problem: self.error(name, problem))

    def iso_time(self, name: str) -> datetime:
        return _iso_time(self.get(name), lambda problem: self.error(name, problem))


_Fail = Callable[[str], ResponseError]


def _decimal(value: Any, fail: _Fail) -> Decimal:
    """An exact decimal from a JSON string or number (never a float: JSON is parsed with Decimal)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise fail(f"expected a decimal number (a string such as \"1234.56\"); found {_describe(value)}")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
        raise fail(f"expected a decimal number such as \"1234.56\"; found {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise fail(f"expected a decimal number such as \"1234.56\"; found {value!r}")
    _plain(number, fail)
    return number


def _plain(number: Decimal, fail: _Fail) -> str:
    """The number in plain digits, checked against the contract's decimal limits."""
    text = format(number, "f")
    if not _DECIMAL.fullmatch(text):
        raise fail(f"expected a decimal within the contract's limits (20 integer and 18 fraction digits); "
                   f"found {text}")
    return text


def _in_range(moment: datetime, found: Any, fail: _Fail) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise fail(f"expected a time between 2009 and 2100; found {found!r} ({_format_time(moment)})")
    return moment


def _epoch_ms(value: Any, fail: _Fail) -> datetime:
    if isinstance(value, str) and re.fullmatch(r"\d{1,16}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"expected a Unix time in milliseconds, e.g. 1745366402000; found {_describe(value)}")
    if not _ms(_EARLIEST) <= value < _ms(_LATEST):
        raise fail(f"expected a Unix time in milliseconds between 2009 and 2100; found {value!r}")
    return _EPOCH + timedelta(milliseconds=value)


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _iso_time(value: Any, fail: _Fail) -> datetime:
    if not isinstance(value, str):
        raise fail(f"expected an ISO 8601 time with a UTC offset, e.g. 2020-03-12T12:00:00.000Z; "
                   f"found {_describe(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value:
        raise fail(f"expected an ISO 8601 time with a UTC offset, e.g. 2020-03-12T12:00:00.000Z; found {value!r}")
    return _in_range(moment.astimezone(UTC), value, fail)


def _format_time(moment: datetime) -> str:
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        fraction = f"{moment.microsecond:06d}"
        text += "." + (fraction[:3] if fraction.endswith("000") else fraction)
    return text + "Z"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")


# --- Responses -----------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json(data: bytes, file: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise ResponseError(file, None, None, f"expected UTF-8 JSON; {exc}") from exc
    except ValueError as exc:
        raise ResponseError(file, None, None, f"expected a JSON response; invalid JSON: {exc}") from exc


def _error_response(doc: Any) -> str | None:
    """The message of an exchange's error body ({"code", "msg"} / {"error": {...}}), if that is what `doc` is."""
    if isinstance(doc, dict):
        if isinstance(doc.get("error"), dict):
            return f"{doc['error'].get('name', 'error')}: {doc['error'].get('message', '')}".strip()
        if "msg" in doc and "code" in doc and "symbols" not in doc and "data" not in doc:
            return f"code {doc['code']}: {doc['msg']}"
    return None


def _top(doc: Any, file: str, expected: str) -> Any:
    message = _error_response(doc)
    if message is not None:
        raise ResponseError(file, None, None, f"expected {expected}; found an error response ({message})")
    return doc


def _parse_binance(data: bytes, file: str, fund_id: str | None) -> _Parsed:
    doc = _top(_json(data, file), file, "a symbol group object or an array of them")
    if isinstance(doc, dict):
        groups = [("", doc)]
    elif isinstance(doc, list):
        groups = [(f"[{i}]", group) for i, group in enumerate(doc)]
    else:
        raise ResponseError(file, None, None, f"expected a JSON object or array; found {_describe(doc)}")
    parsed = _Parsed()
    for index, (prefix, value) in enumerate(groups):
        group = _Record(file, prefix or "(the response object)", value)
        symbols = group.array("symbols")
        for i, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not symbol:
                raise ResponseError(file, group.where, f"symbols[{i}]",
                                    f"expected a symbol string; found {_describe(symbol)}")
        fund = fund_id or (f"binance-{_slug(symbols[0])}" if symbols else f"binance-group{index}")
        for i, value in enumerate(group.array("assets")):
            record = _Record(file, f"{prefix}{'.' if prefix else ''}assets[{i}]", value)
            parsed.balances.append(_Balance(
                fund, record.code("asset"), record.epoch_ms("updateTime"), record.decimal("marginBalance"),
                record.origin,
            ))
    return parsed


def _parse_okx(data: bytes, file: str, fund_id: str | None) -> _Parsed:
    doc = _json(data, file)
    if not isinstance(doc, dict):
        raise ResponseError(file, None, None, f"expected a JSON object {{\"code\", \"data\"}}; found {_describe(doc)}")
    top = _Record(file, "(the response object)", doc)
    code = top.get("code")
    if code not in ("0", 0):
        raise top.error("code", f"expected \"0\" (success); found {code!r} (msg: {doc.get('msg')!r})")
    parsed = _Parsed()
    for i, value in enumerate(top.array("data")):
        item = _Record(file, f"data[{i}]", value)
        family = item.value.get("instFamily") or item.value.get("instType")
        if not isinstance(family, str) or not family:
            raise item.error("instFamily", "expected an instrument family (or, for MARGIN, an instType); "
                                           f"found {_describe(item.value.get('instFamily'))}")
        family = _slug(family)
        fund = fund_id or f"okx-{family}"
        for j, value in enumerate(item.array("details")):
            detail = _Record(file, f"data[{i}].details[{j}]", value)
            kind = detail.text("type")
            if kind not in OKX_TYPES:
                raise detail.error("type", f"expected one of: {', '.join(OKX_TYPES)}; found {kind!r}")
            ccy = detail.code("ccy")
            ts = detail.epoch_ms("ts")
            rank = None if kind == "regular_update" else (i, j)
            parsed.balances.append(_Balance(fund, ccy, ts, detail.decimal("balance"), detail.origin, rank))
            if kind not in OKX_MOVEMENTS:
                continue
            movement_kind, sign = OKX_MOVEMENTS[kind]
            amt = detail.value.get("amt")
            if kind == "adl" and amt in (None, ""):
                continue  # ADL events carry no amount (OKX documents amt for the other types only)
            amount = detail.decimal("amt")
            if sign > 0 and amount < 0:
                raise detail.error("amt", f"expected a non-negative change for a {kind} event; found {amt!r}")
            movement_id = f"okx-{family}-{ccy.lower()}-{_ms(ts)}-{kind}"
            size = amount.copy_abs()
            signed = size if sign > 0 or not size else -size  # a zero stays "0", not "-0"
            parsed.movements.append(_Movement(movement_id, fund, ccy, ts, signed, movement_kind, detail.origin))
    return parsed


def _parse_bybit(data: bytes, file: str, fund_id: str | None) -> _Parsed:
    doc = _json(data, file)
    if not isinstance(doc, dict):
        raise ResponseError(file, None, None,
                            f"expected a JSON object {{\"retCode\", \"result\"}}; found {_describe(doc)}")
    top = _Record(file, "(the response object)", doc)
    code = top.get("retCode")
    if code not in (0, "0"):
        raise top.error("retCode", f"expected 0 (success); found {code!r} (retMsg: {doc.get('retMsg')!r})")
    result = _Record(file, "result", top.get("result"))
    time_field = "updatedTime" if "updatedTime" in result.value or "updateTime" not in result.value else "updateTime"
    as_of = result.epoch_ms(time_field)
    parsed = _Parsed()
    for i, value in enumerate(result.array("list")):
        pool = _Record(file, f"result.list[{i}]", value)
        coin = pool.code("coin")
        symbols = [s for s in pool.text("symbols", allow_empty=True).split(",") if s.strip()]
        fund = fund_id or f"bybit-{_slug(symbols[0] if symbols else coin)}"
        parsed.balances.append(_Balance(fund, coin, as_of, pool.decimal("balance"), pool.origin))
    return parsed


def _bitmex_row(record: _Record, fund: str) -> _Balance:
    currency = record.text("currency")
    if currency not in BITMEX_CURRENCIES:
        known = ", ".join(f"{c} ({a})" for c, (a, _) in BITMEX_CURRENCIES.items())
        raise record.error("currency", f"expected a BitMEX currency of known scale: {known}; found {currency!r}")
    asset, places = BITMEX_CURRENCIES[currency]
    raw = record.get("walletBalance")
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,30}", raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise record.error("walletBalance", f"expected a whole number of {currency}; found {_describe(raw)}")
    balance = Decimal(raw).scaleb(-places)
    _plain(balance, lambda problem: record.error("walletBalance", problem))
    return _Balance(fund, asset, record.iso_time("timestamp"), balance, record.origin)


def _parse_bitmex(data: bytes, file: str, fund_id: str | None) -> _Parsed:
    fund = fund_id or "bitmex"
    text_start = data.removeprefix(codecs.BOM_UTF8).lstrip()[:1]
    parsed = _Parsed()
    if text_start in (b"[", b"{"):
        doc = _top(_json(data, file), file, "an array of insurance records")
        if not isinstance(doc, list):
            raise ResponseError(file, None, None, f"expected a JSON array of insurance records; "
                                                  f"found {_describe(doc)}")
        for i, value in enumerate(doc):
            parsed.balances.append(_bitmex_row(_Record(file, f"[{i}]", value), fund))
        return parsed
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResponseError(file, None, None, f"expected UTF-8 CSV or JSON; {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in ("timestamp", "currency", "walletBalance") if c not in header]
        if missing:
            raise ResponseError(file, "line 1", missing[0], "missing from the CSV header "
                                                            "(expected timestamp,currency,walletBalance)")
        for record in reader:
            if not record:
                continue
            line = reader.line_num
            if len(record) != len(header):
                raise ResponseError(file, f"line {line}", None,
                                    f"expected {len(header)} fields; found {len(record)}")
            parsed.balances.append(_bitmex_row(_Record(file, f"line {line}", dict(zip(header, record))), fund))
    except csv.Error as exc:
        raise ResponseError(file, f"line {reader.line_num}", None, f"expected well-formed CSV; {exc}") from exc
    return parsed


PARSERS: dict[str, Callable[[bytes, str, str | None], _Parsed]] = {
    "binance": _parse_binance,
    "okx": _parse_okx,
    "bybit": _parse_bybit,
    "bitmex": _parse_bitmex,
}


# --- Fetching ------------------------------------------------------------------------------------------------


def fetch(
    url: str,
    *,
    timeout: float = 10,
    retries: int = 3,
    opener: Callable[..., Any] | None = None,
    pause: Callable[[float], None] | None = None,
) -> bytes:
    """GET an https URL: each attempt limited by `timeout` seconds, up to `retries` more attempts after the first
    on a network error, a timeout or a retryable status (429, 5xx...), waiting 1 s, 2 s, 4 s... in between."""
    if urllib.parse.urlsplit(url).scheme != "https":
        raise ValueError(f"{url}: a live source must be an https URL")
    if retries < 0:
        raise ValueError("retries must be 0 or more")
    opener = opener or urlopen
    pause = pause or sleep
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            pause(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            with opener(request, timeout=timeout) as response:
                status = getattr(response, "status", 200)
                if status in RETRYABLE_STATUS:
                    last = FetchError(f"HTTP {status}")
                    continue
                if not 200 <= status < 300:
                    raise FetchError(f"GET {url}: HTTP {status}")
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRYABLE_STATUS:
                raise FetchError(f"GET {url}: HTTP {exc.code} {exc.reason}") from exc
            last = exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
            last = exc
    raise FetchError(f"GET {url}: failed after {retries + 1} attempts; last error: {last}") from last


# --- Sources -------------------------------------------------------------------------------------------------

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
        return fetch(str(source), timeout=timeout, retries=retries), str(source)
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the saved response: {exc.strerror or exc}") from exc


def _merge(rows: list, what: str, values: Callable[[Any], tuple]) -> list:
    """Rows by key: a repeat with equal values (overlapping pages) is kept once, a different one is an error."""
    kept: dict[Any, Any] = {}
    for row in rows:
        first = kept.get(row.key)
        if first is None:
            kept[row.key] = row
        elif values(first) == values(row):
            continue
        elif getattr(first, "rank", None) is not None or getattr(row, "rank", None) is not None:
            # Balances after events at one instant: a snapshot proper wins, else the event listed first.
            if first.rank is not None and (row.rank is None or row.rank < first.rank):
                kept[row.key] = row
        else:
            shown = ", ".join(str(v) for v in values(first)), ", ".join(str(v) for v in values(row))
            raise ValueError(
                f"{row.origin}: conflicts with {first.origin}: two different {what} for {_show_key(row.key)}: "
                f"{shown[0]} and {shown[1]}"
            )
    return list(kept.values())


def _show_key(key: Any) -> str:
    if isinstance(key, tuple):
        return " ".join(_format_time(k) if isinstance(k, datetime) else str(k) for k in key)
    return str(key)


# --- Writing -------------------------------------------------------------------------------------------------


def _balance_cells(row: _Balance) -> list[str]:
    return [row.fund_id, row.asset, _format_time(row.as_of), format(row.balance, "f")]


def _movement_cells(row: _Movement) -> list[str]:
    return [row.movement_id, row.fund_id, row.asset, _format_time(row.occurred_at), format(row.amount, "f"),
            row.kind]


def _csv_text(table: Table, rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_all(files: list[tuple[Path, str]]) -> None:
    """Write every file under a temporary name next to the landing directory's tables, then rename each."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, text in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            # The temporary file sits in the landing root with a dot name: no landing reader picks it up.
            handle, name = tempfile.mkstemp(prefix=f".{target.parent.name}-{target.stem}-", suffix=".tmp",
                                            dir=target.parent.parent)
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.chmod(name, 0o644)  # mkstemp makes 0600; a landing file is as readable as any other
            staged.append((Path(name), target))
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


# --- Entry point ---------------------------------------------------------------------------------------------


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
    a bad argument, `FetchError` (an OSError) when a URL cannot be fetched; then nothing is written.
    """
    exchange = exchange.lower()
    if exchange not in PARSERS:
        raise ValueError(f"unknown exchange {exchange!r}; expected one of: {', '.join(EXCHANGES)}")
    if fund_id is not None and not FUND_CODE.fullmatch(fund_id):
        raise ValueError(f"fund_id {fund_id!r}: expected a fund code of the profile ([a-z0-9_-]+)")
    parsed = _Parsed()
    for index, item in enumerate(_expand(source)):
        data, label = _read(item, live=live, timeout=timeout, retries=retries)
        one = PARSERS[exchange](data, label, fund_id)
        # Event ranks: pages holding newer records first (OKX pages back in time), then the listing order.
        newest = max((_ms(b.as_of) for b in one.balances), default=0)
        parsed.balances += [
            b if b.rank is None else replace(b, rank=(-newest, index, *b.rank)) for b in one.balances
        ]
        parsed.movements += one.movements

    balances = _merge(parsed.balances, "balances", lambda r: (r.balance,))
    if not balances:
        raise ValueError(f"{exchange}: the responses hold no insurance-fund balances")
    balances.sort(key=lambda r: (r.fund_id, r.asset, r.as_of))
    landing_dir = Path(landing_dir)
    files = [(landing_dir / INSURANCE_FUND_BALANCES.name / f"{exchange}.csv",
              _csv_text(INSURANCE_FUND_BALANCES, [_balance_cells(r) for r in balances]))]
    counts = {INSURANCE_FUND_BALANCES.name: len(balances)}
    if exchange == "okx":
        movements = _merge(parsed.movements, "movements", lambda r: (r.fund_id, r.asset, r.amount, r.kind))
        movements.sort(key=lambda r: (r.occurred_at, r.movement_id))
        files.append((landing_dir / INSURANCE_FUND_MOVEMENTS.name / f"{exchange}.csv",
                      _csv_text(INSURANCE_FUND_MOVEMENTS, [_movement_cells(r) for r in movements])))
        counts[INSURANCE_FUND_MOVEMENTS.name] = len(movements)
    _write_all(files)
    return counts

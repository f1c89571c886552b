"""What the exchange adapters share: the rows they map responses to, reading a response's records and values
with errors that name the file, record and field, merging rows of several responses, and writing landing files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pipelines.contract import INSURANCE_FUND_BALANCES, INSURANCE_FUND_MOVEMENTS
from pipelines.files import atomic_path
from pipelines.landing import csv_text, reject_json_constant
from pipelines.timestamps import iso_utc
from pipelines.validation import DECIMAL_TEXT

ASSET_CODE = re.compile(r"[A-Z0-9]{2,10}")
_DECIMAL = re.compile(DECIMAL_TEXT)
# What a decimal string of a response may look like (Decimal() alone would also take "1_000", "Infinity", " 1").
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Sanity bounds for exchange timestamps: catches seconds passed where milliseconds belong.
_EARLIEST, _LATEST = datetime(2009, 1, 3, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


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


# --- Rows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    fund_id: str
    asset: str
    as_of: datetime
    balance: Decimal
    origin: str  # "file: record ...", to name both sides of a conflict
    # None: a snapshot proper, which no other may contradict. Otherwise the balance after an event; of several
    # events at one instant that disagree, the one of lowest rank gives the snapshot (see okx.py).
    rank: tuple | None = None

    @property
    def key(self) -> tuple:
        return (self.fund_id, self.asset, self.as_of)


@dataclass(frozen=True)
class Movement:
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
class Parsed:
    balances: list[Balance] = field(default_factory=list)
    movements: list[Movement] = field(default_factory=list)


# --- Values --------------------------------------------------------------------------------------------------


def describe(value: Any) -> str:
    """A parsed JSON value as an error message shows it."""
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


class Record:
    """One record of a response: reads its fields and names the file, record and field in every error."""

    def __init__(self, file: str, where: str, value: Any) -> None:
        self.file, self.where, self.value = file, where, value
        if not isinstance(value, dict):
            raise ResponseError(file, where, None, f"expected a JSON object; found {describe(value)}")

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
            raise self.error(name, f"expected a {'' if allow_empty else 'non-empty '}string; found {describe(value)}")
        return value

    def array(self, name: str) -> list:
        value = self.get(name)
        if not isinstance(value, list):
            raise self.error(name, f"expected a JSON array; found {describe(value)}")
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


Fail = Callable[[str], ResponseError]


def _decimal(value: Any, fail: Fail) -> Decimal:
    """An exact decimal from a JSON string or number (never a float: JSON is parsed with Decimal)."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise fail(f"expected a decimal number (a string such as \"1234.56\"); found {describe(value)}")
    if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
        raise fail(f"expected a decimal number such as \"1234.56\"; found {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise fail(f"expected a decimal number such as \"1234.56\"; found {value!r}")
    plain_digits(number, fail)
    return number


def plain_digits(number: Decimal, fail: Fail) -> str:
    """The number in plain digits, checked against the contract's decimal limits."""
    text = format(number, "f")
    if not _DECIMAL.fullmatch(text):
        raise fail(f"expected a decimal within the contract's limits (20 integer and 18 fraction digits); "
                   f"found {text}")
    return text


def _in_range(moment: datetime, found: Any, fail: Fail) -> datetime:
    if not _EARLIEST <= moment < _LATEST:
        raise fail(f"expected a time between 2009 and 2100; found {found!r} ({iso_utc(moment)})")
    return moment


def _epoch_ms(value: Any, fail: Fail) -> datetime:
    if isinstance(value, str) and re.fullmatch(r"\d{1,16}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"expected a Unix time in milliseconds, e.g. 1745366402000; found {describe(value)}")
    if not unix_ms(_EARLIEST) <= value < unix_ms(_LATEST):
        raise fail(f"expected a Unix time in milliseconds between 2009 and 2100; found {value!r}")
    return _EPOCH + timedelta(milliseconds=value)


def unix_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _iso_time(value: Any, fail: Fail) -> datetime:
    if not isinstance(value, str):
        raise fail(f"expected an ISO 8601 time with a UTC offset, e.g. 2020-03-12T12:00:00.000Z; "
                   f"found {describe(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value:
        raise fail(f"expected an ISO 8601 time with a UTC offset, e.g. 2020-03-12T12:00:00.000Z; found {value!r}")
    return _in_range(moment.astimezone(UTC), value, fail)


def slug(text: str) -> str:
    """`text` as a part of a fund or movement id: lower case, runs of other characters made one `-`."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")


# --- Responses -----------------------------------------------------------------------------------------------


def parse_json(data: bytes, file: str) -> Any:
    """A JSON response, its numbers as Decimal (NaN and Infinity refused)."""
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal, parse_constant=reject_json_constant)
    except UnicodeDecodeError as exc:
        raise ResponseError(file, None, None, f"expected UTF-8 JSON; {exc}") from exc
    except ValueError as exc:
        raise ResponseError(file, None, None, f"expected a JSON response; invalid JSON: {exc}") from exc


def coded_response(data: bytes, file: str, *, code: str, success: str, message: str, body: str) -> Record:
    """The object of a response shaped `{<code>: 0, <message>: ..., <body>: ...}`; any other code is an error
    quoting the response's message. `success` is how the error shows the expected code."""
    doc = parse_json(data, file)
    if not isinstance(doc, dict):
        raise ResponseError(file, None, None,
                            f"expected a JSON object {{\"{code}\", \"{body}\"}}; found {describe(doc)}")
    top = Record(file, "(the response object)", doc)
    found = top.get(code)
    if found not in (0, "0"):
        raise top.error(code, f"expected {success} (success); found {found!r} ({message}: {doc.get(message)!r})")
    return top


def _error_response(doc: Any) -> str | None:
    """The message of an exchange's error body ({"code", "msg"} / {"error": {...}}), if that is what `doc` is."""
    if isinstance(doc, dict):
        if isinstance(doc.get("error"), dict):
            return f"{doc['error'].get('name', 'error')}: {doc['error'].get('message', '')}".strip()
        if "msg" in doc and "code" in doc and "symbols" not in doc and "data" not in doc:
            return f"code {doc['code']}: {doc['msg']}"
    return None


def not_an_error(doc: Any, file: str, expected: str) -> Any:
    """`doc`, unless it is an exchange's error body: then a ResponseError quoting its message."""
    message = _error_response(doc)
    if message is not None:
        raise ResponseError(file, None, None, f"expected {expected}; found an error response ({message})")
    return doc


# --- Merging and writing -------------------------------------------------------------------------------------


def merge(rows: list, what: str, values: Callable[[Any], tuple]) -> list:
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
        return " ".join(iso_utc(k) if isinstance(k, datetime) else str(k) for k in key)
    return str(key)


def balances_csv(balances: list[Balance]) -> str:
    return csv_text(INSURANCE_FUND_BALANCES.column_names,
                    ([r.fund_id, r.asset, iso_utc(r.as_of), format(r.balance, "f")] for r in balances))


def movements_csv(movements: list[Movement]) -> str:
    return csv_text(INSURANCE_FUND_MOVEMENTS.column_names,
                    ([r.movement_id, r.fund_id, r.asset, iso_utc(r.occurred_at), format(r.amount, "f"), r.kind]
                     for r in movements))


def write_all(files: list[tuple[Path, str]], scratch: Path) -> None:
    """Write every file under a temporary name in `scratch`, then rename each into place, in the given order:
    if any write fails, no target is touched."""
    with ExitStack() as renames:
        for target, text in reversed(files):  # the stack renames the last entered first
            temporary = renames.enter_context(atomic_path(target, scratch=scratch))
            temporary.write_bytes(text.encode("utf-8"))

"""Exchange insurance-fund adapters: documented response shapes and the real BitMEX capture → landing files.

Fixtures under tests/fixtures/exchanges/ are written in the shapes the exchanges document (Binance
`/fapi/v1/insuranceBalance`, OKX `/api/v5/public/insurance-fund`, Bybit `/v5/market/insurance`, BitMEX
`/api/v1/insurance`); the BitMEX CSV is a real capture (../shared/realdata). No test touches the network.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from fake_http import FlakyOpener

from pipelines.contract import TABLES_BY_NAME
from pipelines.profile import Fund, load_profile
from pipelines.sources import http
from pipelines.sources.exchanges import ResponseError, import_insurance_fund
from pipelines.staging import validate_landing

FIXTURES = Path(__file__).parent / "fixtures" / "exchanges"
OKX_PAGES = FIXTURES / "okx_pages"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
BITMEX_CAPTURE = REALDATA / "bitmex_insurance_XBt_daily_2018-02_2020-12.csv"

BALANCES = "insurance_fund_balances"
MOVEMENTS = "insurance_fund_movements"


# --- Helpers -------------------------------------------------------------------------------------------------


def read_rows(landing: Path, table: str, exchange: str) -> list[dict[str, str]]:
    """The rows of a written landing file, after checking its header is exactly the contract's columns."""
    text = (landing / table / f"{exchange}.csv").read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert header == TABLES_BY_NAME[table].column_names
    return [dict(zip(header, row)) for row in reader]


def validate(landing: Path) -> dict:
    """validate_landing over what the adapter wrote, plus the prices and profile funds it needs.

    Prices are another table: a dummy close is written for every (asset, UTC day) the written files use, so
    that the pricing rule can pass; the profile gets the funds the files name.
    """
    assets_days: set[tuple[str, str]] = set()
    funds: set[str] = set()
    for table, time_column in ((BALANCES, "as_of"), (MOVEMENTS, "occurred_at")):
        for path in sorted((landing / table).glob("*.csv")) if (landing / table).is_dir() else []:
            for row in read_rows(landing, table, path.stem):
                assets_days.add((row["asset"], row[time_column][:10]))
                funds.add(row["fund_id"])
    with (landing / "prices.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(TABLES_BY_NAME["prices"].column_names)
        writer.writerows([asset, day, "1.00"] for asset, day in sorted(assets_days))
    profile = load_profile().model_copy(
        update={"funds": tuple(Fund(code=code, name=code) for code in sorted(funds))}
    )
    result = validate_landing(landing, profile)
    return {t.table: t for t in result.tables}


def assert_valid(landing: Path, *tables: str) -> None:
    results = validate(landing)
    assert results["prices"].loaded
    for table in tables:
        assert results[table].errors == [], results[table].errors
        assert results[table].skipped == []
        assert results[table].loaded


def write_json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# --- Binance -------------------------------------------------------------------------------------------------


def test_binance_object_response(tmp_path: Path) -> None:
    counts = import_insurance_fund("binance", str(FIXTURES / "binance_insurance_balance_symbol.json"), tmp_path)
    assert counts == {BALANCES: 4}
    assert not (tmp_path / MOVEMENTS).exists()
    rows = read_rows(tmp_path, BALANCES, "binance")
    assert rows == [
        {"fund_id": "binance-btcusdt", "asset": "BNFCR", "as_of": "2026-05-01T12:00:00Z", "balance": "640512.50000000"},
        {"fund_id": "binance-btcusdt", "asset": "BTC", "as_of": "2026-05-01T12:00:00Z", "balance": "64.80912307"},
        {"fund_id": "binance-btcusdt", "asset": "USDC", "as_of": "2026-05-01T12:00:00Z",
         "balance": "300000001.1204470"},
        {"fund_id": "binance-btcusdt", "asset": "USDT", "as_of": "2026-05-01T12:00:00Z",
         "balance": "812446021.90423185"},
    ]
    assert_valid(tmp_path, BALANCES)


def test_binance_array_response_gives_one_fund_per_symbol_group(tmp_path: Path) -> None:
    counts = import_insurance_fund("binance", FIXTURES / "binance_insurance_balance_all.json", tmp_path)
    assert counts == {BALANCES: 4}
    rows = read_rows(tmp_path, BALANCES, "binance")
    assert [(r["fund_id"], r["asset"], r["balance"]) for r in rows] == [
        ("binance-actusdt", "USDT", "5166686.8"),
        ("binance-adausdt", "USDT", "320118774.00512840"),
        ("binance-btcusdt", "BTC", "64.80912307"),
        ("binance-btcusdt", "USDT", "812446021.90423185"),
    ]
    assert_valid(tmp_path, BALANCES)


def test_binance_fund_id_override_and_group_without_symbols(tmp_path: Path) -> None:
    doc = load_fixture("binance_insurance_balance_symbol.json")
    import_insurance_fund("binance", write_json(tmp_path / "one.json", doc), tmp_path / "a", fund_id="usdm-perp")
    assert {r["fund_id"] for r in read_rows(tmp_path / "a", BALANCES, "binance")} == {"usdm-perp"}

    groups = load_fixture("binance_insurance_balance_all.json")
    groups[1]["symbols"] = []
    import_insurance_fund("binance", write_json(tmp_path / "all.json", groups), tmp_path / "b")
    assert "binance-group1" in {r["fund_id"] for r in read_rows(tmp_path / "b", BALANCES, "binance")}


def test_binance_several_groups_under_one_fund_id_conflict(tmp_path: Path) -> None:
    # Three USDT pools at one instant cannot all be the one fund's USDT balance: nothing is summed silently.
    with pytest.raises(ValueError, match="two different balances for usdm-perp USDT 2026-05-01T12:00:00Z"):
        import_insurance_fund("binance", FIXTURES / "binance_insurance_balance_all.json", tmp_path,
                              fund_id="usdm-perp")
    assert not (tmp_path / BALANCES).exists()


def test_binance_error_body_is_named(tmp_path: Path) -> None:
    path = write_json(tmp_path / "err.json", {"code": -1121, "msg": "Invalid symbol."})
    with pytest.raises(ResponseError, match=r"err\.json: expected .*error response \(code -1121: Invalid symbol\.\)"):
        import_insurance_fund("binance", path, tmp_path / "landing")


# --- OKX -----------------------------------------------------------------------------------------------------


def test_okx_pages_with_overlap_give_each_event_once(tmp_path: Path) -> None:
    counts = import_insurance_fund("okx", OKX_PAGES, tmp_path)  # a directory: page1.json, page2.json
    assert counts == {BALANCES: 7, MOVEMENTS: 6}

    movements = read_rows(tmp_path, MOVEMENTS, "okx")
    assert movements == [
        {"movement_id": "okx-btc-usdt-usdt-1777881600000-liquidation_balance_deposit", "fund_id": "okx-btc-usdt",
         "asset": "USDT", "occurred_at": "2026-05-04T08:00:00Z", "amount": "1523.40871235",
         "kind": "liquidation_surplus"},
        {"movement_id": "okx-btc-usdt-usdt-1777968000000-bankruptcy_loss", "fund_id": "okx-btc-usdt",
         "asset": "USDT", "occurred_at": "2026-05-05T08:00:00Z", "amount": "-802.1100", "kind": "bankruptcy_cover"},
        {"movement_id": "okx-btc-usdt-usdt-1778054400000-platform_revenue", "fund_id": "okx-btc-usdt",
         "asset": "USDT", "occurred_at": "2026-05-06T08:00:00Z", "amount": "250000",
         "kind": "platform_contribution"},
        {"movement_id": "okx-btc-usdt-usdt-1778140800000-bankruptcy_loss", "fund_id": "okx-btc-usdt",
         "asset": "USDT", "occurred_at": "2026-05-07T08:00:00Z", "amount": "-1408.39", "kind": "bankruptcy_cover"},
        {"movement_id": "okx-btc-usdt-usdt-1778140800000-liquidation_balance_deposit", "fund_id": "okx-btc-usdt",
         "asset": "USDT", "occurred_at": "2026-05-07T08:00:00Z", "amount": "2210.5",
         "kind": "liquidation_surplus"},
        {"movement_id": "okx-eth-usdt-usdt-1778140800000-liquidation_balance_deposit", "fund_id": "okx-eth-usdt",
         "asset": "USDT", "occurred_at": "2026-05-07T08:00:00Z", "amount": "310.2",
         "kind": "liquidation_surplus"},
    ]

    balances = read_rows(tmp_path, BALANCES, "okx")
    assert [(r["fund_id"], r["as_of"], r["balance"]) for r in balances] == [
        ("okx-btc-usdt", "2026-05-04T08:00:00Z", "3120000.00000000"),
        ("okx-btc-usdt", "2026-05-05T08:00:00Z", "3119197.89"),
        ("okx-btc-usdt", "2026-05-06T08:00:00Z", "3369197.89"),
        ("okx-btc-usdt", "2026-05-06T08:15:27.351000Z", "3369197.89"),  # the ADL event: a snapshot, no movement
        # two events at 08:00 the same day: the one OKX lists first (newest) gives the balance at that instant
        ("okx-btc-usdt", "2026-05-07T08:00:00Z", "3370000.00"),
        ("okx-btc-usdt", "2026-05-07T10:02:00Z", "3370000.00"),  # regular_update
        ("okx-eth-usdt", "2026-05-07T08:00:00Z", "850310.2"),
    ]
    assert_valid(tmp_path, BALANCES, MOVEMENTS)


def test_okx_page_order_and_form_do_not_change_the_result(tmp_path: Path) -> None:
    import_insurance_fund("okx", OKX_PAGES, tmp_path / "dir")
    import_insurance_fund("okx", [str(OKX_PAGES / "page2.json"), OKX_PAGES / "page1.json"], tmp_path / "list")
    for table in (BALANCES, MOVEMENTS):
        assert read_rows(tmp_path / "dir", table, "okx") == read_rows(tmp_path / "list", table, "okx")


def okx_detail(type_: str, amt: str, balance: str = "100", ts: str = "1778140800000") -> dict:
    return {"adlType": "", "amt": amt, "balance": balance, "ccy": "BTC", "maxBal": "", "maxBalTs": "", "ts": ts,
            "type": type_}


def okx_page(*details: dict, family: str = "BTC-USD") -> dict:
    return {"code": "0", "msg": "", "data": [{"details": list(details), "instFamily": family, "instType": "SWAP",
                                               "total": "1"}]}


@pytest.mark.parametrize(
    ("type_", "amt", "kind", "amount"),
    [
        ("liquidation_balance_deposit", "4.96", "liquidation_surplus", "4.96"),
        ("bankruptcy_loss", "0.31", "bankruptcy_cover", "-0.31"),  # unsigned loss: still out of the fund
        ("bankruptcy_loss", "-0.31", "bankruptcy_cover", "-0.31"),  # signed loss
        ("platform_revenue", "12", "platform_contribution", "12"),
        ("adl", "1.5", "adl", "-1.5"),  # an ADL record with an amount is a movement out of the fund
    ],
)
def test_okx_event_type_mapping(tmp_path: Path, type_: str, amt: str, kind: str, amount: str) -> None:
    path = write_json(tmp_path / "page.json", okx_page(okx_detail(type_, amt)))
    assert import_insurance_fund("okx", path, tmp_path / "landing") == {BALANCES: 1, MOVEMENTS: 1}
    (movement,) = read_rows(tmp_path / "landing", MOVEMENTS, "okx")
    assert (movement["kind"], movement["amount"], movement["fund_id"]) == (kind, amount, "okx-btc-usd")
    assert movement["movement_id"] == f"okx-btc-usd-btc-1778140800000-{type_}"


def test_okx_regular_updates_only_write_a_header_only_movements_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "page.json", okx_page(okx_detail("regular_update", "")))
    assert import_insurance_fund("okx", path, tmp_path / "landing", fund_id="coinm-perp") == {
        BALANCES: 1, MOVEMENTS: 0,
    }
    assert read_rows(tmp_path / "landing", MOVEMENTS, "okx") == []
    assert read_rows(tmp_path / "landing", BALANCES, "okx")[0]["fund_id"] == "coinm-perp"


def test_okx_same_event_with_different_values_in_two_pages_is_an_error(tmp_path: Path) -> None:
    one = write_json(tmp_path / "p1.json", okx_page(okx_detail("bankruptcy_loss", "-1", "99")))
    two = write_json(tmp_path / "p2.json", okx_page(okx_detail("bankruptcy_loss", "-2", "98")))
    with pytest.raises(ValueError, match=r"p2\.json: record data\[0\]\.details\[0\]: conflicts with .*p1\.json"):
        import_insurance_fund("okx", [one, two], tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


def test_okx_two_regular_updates_disagreeing_is_an_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "page.json", okx_page(okx_detail("regular_update", "", "1"),
                                                       okx_detail("regular_update", "", "2")))
    with pytest.raises(ValueError, match="two different balances for okx-btc-usd BTC 2026-05-07T08:00:00Z: 1 and 2"):
        import_insurance_fund("okx", path, tmp_path / "landing")


def test_okx_error_code_is_reported(tmp_path: Path) -> None:
    path = write_json(tmp_path / "page.json", {"code": "51001", "msg": "Instrument ID does not exist", "data": []})
    with pytest.raises(ResponseError, match=r"field code: expected \"0\".*Instrument ID does not exist"):
        import_insurance_fund("okx", path, tmp_path / "landing")


# --- Bybit ---------------------------------------------------------------------------------------------------


def test_bybit_pools(tmp_path: Path) -> None:
    assert import_insurance_fund("bybit", FIXTURES / "bybit_insurance.json", tmp_path) == {BALANCES: 3}
    assert read_rows(tmp_path, BALANCES, "bybit") == [
        {"fund_id": "bybit-btcusd", "asset": "BTC", "as_of": "2026-05-02T12:00:00Z", "balance": "2287.41839021"},
        {"fund_id": "bybit-btcusdt", "asset": "USDT", "as_of": "2026-05-02T12:00:00Z", "balance": "1051233.67581252"},
        {"fund_id": "bybit-griffainusdt", "asset": "USDT", "as_of": "2026-05-02T12:00:00Z",
         "balance": "25017.30551207"},
    ]
    assert_valid(tmp_path, BALANCES)


def test_bybit_retcode_error(tmp_path: Path) -> None:
    path = write_json(tmp_path / "r.json", {"retCode": 10001, "retMsg": "params error", "result": {}})
    with pytest.raises(ResponseError, match=r"field retCode: expected 0 .*params error"):
        import_insurance_fund("bybit", path, tmp_path / "landing")


# --- BitMEX --------------------------------------------------------------------------------------------------


def test_bitmex_json_scales_each_currency_exactly(tmp_path: Path) -> None:
    assert import_insurance_fund("bitmex", FIXTURES / "bitmex_insurance.json", tmp_path) == {BALANCES: 4}
    assert read_rows(tmp_path, BALANCES, "bitmex") == [
        {"fund_id": "bitmex", "asset": "BTC", "as_of": "2026-05-01T12:00:00Z", "balance": "21374.80000001"},
        {"fund_id": "bitmex", "asset": "BTC", "as_of": "2026-05-02T12:00:00Z", "balance": "21374.81623851"},
        {"fund_id": "bitmex", "asset": "ETH", "as_of": "2026-05-02T12:00:00Z", "balance": "412345.678901234"},
        {"fund_id": "bitmex", "asset": "USDT", "as_of": "2026-05-02T12:00:00Z", "balance": "18432775.120331"},
    ]
    assert_valid(tmp_path, BALANCES)


def test_bitmex_satoshis_never_go_through_a_float(tmp_path: Path) -> None:
    # 2^53 + 1 satoshis: a float would round the last digit away.
    path = write_json(tmp_path / "x.json", [{"currency": "XBt", "timestamp": "2026-05-02T12:00:00.000Z",
                                             "walletBalance": 9007199254740993}])
    import_insurance_fund("bitmex", path, tmp_path / "landing")
    assert read_rows(tmp_path / "landing", BALANCES, "bitmex")[0]["balance"] == "90071992.54740993"


@pytest.fixture(scope="module")
def bitmex_capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    if not BITMEX_CAPTURE.exists():
        pytest.skip(f"real capture not found: {BITMEX_CAPTURE}")
    landing = tmp_path_factory.mktemp("bitmex") / "landing"
    return landing, import_insurance_fund("bitmex", str(BITMEX_CAPTURE), landing)


def test_bitmex_real_capture_reproduces_the_public_figures(bitmex_capture) -> None:
    landing, counts = bitmex_capture
    assert counts == {BALANCES: 1065}
    rows = read_rows(landing, BALANCES, "bitmex")
    by_day = {r["as_of"][:10]: Decimal(r["balance"]) for r in rows}
    assert {r["asset"] for r in rows} == {"BTC"} and {r["fund_id"] for r in rows} == {"bitmex"}
    assert min(by_day) == "2018-02-01" and max(by_day) == "2020-12-31"
    assert len(by_day) == 1065
    cent = Decimal("0.01")
    assert by_day["2019-05-19"].quantize(cent) == Decimal("26388.04")  # press: "26,388 BTC"
    assert by_day["2019-12-30"].quantize(cent) == Decimal("33491.27")
    fall = by_day["2020-03-11"] - by_day["2020-03-12"]  # Black Thursday
    assert fall.quantize(cent) == Decimal("1627.23")
    # exact: walletBalance / 10^8, digit for digit
    assert by_day["2019-05-19"] == Decimal("26388.04265119")
    assert rows[0] == {"fund_id": "bitmex", "asset": "BTC", "as_of": "2018-02-01T12:00:00Z",
                       "balance": "2827.27542830"}


def test_bitmex_real_capture_passes_the_contract_checks(bitmex_capture, tmp_path: Path) -> None:
    landing, _ = bitmex_capture
    copy = tmp_path / "landing"
    (copy / BALANCES).mkdir(parents=True)
    (copy / BALANCES / "bitmex.csv").write_bytes((landing / BALANCES / "bitmex.csv").read_bytes())
    assert_valid(copy, BALANCES)


# --- Malformed responses: named precisely, nothing written ---------------------------------------------------


def mutated(tmp_path: Path, name: str, change) -> Path:
    doc = load_fixture(name)
    change(doc)
    return write_json(tmp_path / Path(name).name, doc)


MALFORMED = {
    "binance missing marginBalance": (
        "binance", "binance_insurance_balance_all.json", lambda d: d[1]["assets"][0].pop("marginBalance"),
        r"binance_insurance_balance_all\.json: record \[1\]\.assets\[0\], field marginBalance: missing",
    ),
    "binance float-typed balance": (
        "binance", "binance_insurance_balance_symbol.json", lambda d: d["assets"][2].update(marginBalance=[1]),
        r"record assets\[2\], field marginBalance: expected a decimal number .*found a JSON array",
    ),
    "binance seconds for milliseconds": (
        "binance", "binance_insurance_balance_symbol.json", lambda d: d["assets"][0].update(updateTime=1777636800),
        r"record assets\[0\], field updateTime: expected a Unix time in milliseconds between 2009 and 2100; "
        r"found 1777636800",
    ),
    "okx unknown type": (
        "okx", "okx_pages/page2.json", lambda d: d["data"][0]["details"][3].update(type="insurance_transfer"),
        r"page2\.json: record data\[0\]\.details\[3\], field type: expected one of: regular_update, .*"
        r"found 'insurance_transfer'",
    ),
    "okx missing amt on a typed event": (
        "okx", "okx_pages/page2.json", lambda d: d["data"][0]["details"][2].update(amt=""),
        r"record data\[0\]\.details\[2\], field amt: expected a decimal number such as \"1234\.56\"; found ''",
    ),
    "okx negative deposit": (
        "okx", "okx_pages/page2.json", lambda d: d["data"][0]["details"][4].update(amt="-1"),
        r"record data\[0\]\.details\[4\], field amt: expected a non-negative change",
    ),
    "okx details not an array": (
        "okx", "okx_pages/page1.json", lambda d: d["data"][1].update(details={}),
        r"record data\[1\], field details: expected a JSON array; found a JSON object",
    ),
    "bybit lower-case coin": (
        "bybit", "bybit_insurance.json", lambda d: d["result"]["list"][1].update(coin="usdt"),
        r"record result\.list\[1\], field coin: expected an asset code .*found 'usdt'",
    ),
    "bybit missing updatedTime": (
        "bybit", "bybit_insurance.json", lambda d: d["result"].pop("updatedTime"),
        r"record result, field updatedTime: missing",
    ),
    "bitmex unknown currency": (
        "bitmex", "bitmex_insurance.json", lambda d: d[2].update(currency="LAMp"),
        r"bitmex_insurance\.json: record \[2\], field currency: expected a BitMEX currency of known scale: "
        r"XBt \(BTC\), USDt \(USDT\), Gwei \(ETH\); found 'LAMp'",
    ),
    "bitmex fractional walletBalance": (
        "bitmex", "bitmex_insurance.json", lambda d: d[0].update(walletBalance=1.5),
        r"record \[0\], field walletBalance: expected a whole number of XBt; found the JSON number 1\.5",
    ),
    "bitmex naive timestamp": (
        "bitmex", "bitmex_insurance.json", lambda d: d[3].update(timestamp="2026-05-01T12:00:00"),
        r"record \[3\], field timestamp: expected an ISO 8601 time with a UTC offset",
    ),
}


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_response_is_named_and_nothing_is_written(tmp_path: Path, case) -> None:
    exchange, fixture, change, message = case
    landing = tmp_path / "landing"
    # an earlier good import stays exactly as it was
    good = FIXTURES / fixture if exchange != "okx" else OKX_PAGES
    import_insurance_fund(exchange, good, landing)
    before = {p: p.read_bytes() for p in landing.rglob("*") if p.is_file()}

    bad = mutated(tmp_path, fixture, change)
    with pytest.raises(ResponseError, match=message) as caught:
        import_insurance_fund(exchange, bad, landing)
    assert caught.value.file == str(bad)
    assert {p: p.read_bytes() for p in landing.rglob("*") if p.is_file()} == before


def test_bitmex_csv_missing_column_and_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "capture.csv"
    path.write_text("timestamp,currency,balance\n2020-03-12T12:00:00.000Z,XBt,1\n", encoding="utf-8")
    with pytest.raises(ResponseError, match=r"capture\.csv: record line 1, field walletBalance: missing"):
        import_insurance_fund("bitmex", path, tmp_path / "landing")
    path.write_text("timestamp,currency,walletBalance\n2020-03-12T12:00:00.000Z,XBt,1\n"
                    "2020-03-13T12:00:00.000Z,XBt,12.5\n", encoding="utf-8")
    with pytest.raises(ResponseError, match=r"record line 3, field walletBalance: expected a whole number"):
        import_insurance_fund("bitmex", path, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


def test_invalid_json_unknown_exchange_and_bad_fund_id(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"symbols": [', encoding="utf-8")
    with pytest.raises(ResponseError, match=r"broken\.json: expected a JSON response; invalid JSON"):
        import_insurance_fund("binance", path, tmp_path / "landing")
    with pytest.raises(ValueError, match="unknown exchange 'deribit'"):
        import_insurance_fund("deribit", path, tmp_path / "landing")
    with pytest.raises(ValueError, match="fund_id 'USDM Perp'"):
        import_insurance_fund("binance", path, tmp_path / "landing", fund_id="USDM Perp")
    with pytest.raises(ValueError, match="cannot read the saved response"):
        import_insurance_fund("binance", tmp_path / "missing.json", tmp_path / "landing")


def test_rerun_replaces_the_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    import_insurance_fund("bybit", FIXTURES / "bybit_insurance.json", tmp_path)
    first = (tmp_path / BALANCES / "bybit.csv").read_bytes()
    import_insurance_fund("bybit", FIXTURES / "bybit_insurance.json", tmp_path)
    assert (tmp_path / BALANCES / "bybit.csv").read_bytes() == first
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["bybit.csv", BALANCES]


# --- Live importing (a fake opener, no network; fetching itself: test_source_http.py) ------------------------


def test_live_import_uses_fetch_with_timeout_and_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = (FIXTURES / "bybit_insurance.json").read_bytes()
    opener = FlakyOpener(body, failures=2)
    monkeypatch.setattr(http, "urlopen", opener)
    monkeypatch.setattr(http, "sleep", lambda seconds: None)
    url = "https://api.bybit.com/v5/market/insurance"
    counts = import_insurance_fund("bybit", url, tmp_path, live=True, timeout=2.0, retries=2)
    assert counts == {BALANCES: 3}
    assert opener.calls == [(url, 2.0, "application/json")] * 3


def test_url_without_live_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("no fetch without live=True")

    monkeypatch.setattr(http, "urlopen", no_network)
    with pytest.raises(ValueError, match="pass live=True"):
        import_insurance_fund("bybit", "https://api.bybit.com/v5/market/insurance", tmp_path)


def test_live_error_in_a_fetched_response_names_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "urlopen", FlakyOpener(b'[{"currency": "XBt", "walletBalance": 1}]', failures=0))
    url = "https://www.bitmex.com/api/v1/insurance"
    with pytest.raises(ResponseError, match=r"api/v1/insurance: record \[0\], field timestamp: missing"):
        import_insurance_fund("bitmex", url, tmp_path, live=True)


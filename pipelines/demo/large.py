"""Exchange-scale demo data, for benchmarks (DESIGN.md §7, §9): `transparency demo --scale`.

`generate_large` writes `landing_dir/<table>/<YYYY-MM>.parquet` for every contract table and every month. At
scale 1.0 ("large") a month holds at least 30 million insurance-fund movements, 1 million compensation claims and
1 million payouts, and 1,000 incidents with their impacts; a scale of 0.001 gives a tiny but complete month.

The story is the small demo's (same price paths, incident details and fund holdings), drawn with numpy a month,
and for the fund ledger a day, at a time and streamed to Parquet in row groups of about a million rows, so memory
stays bounded whatever the scale: `large_incidents`, `large_compensation`, `large_fund_ledger`.

Conventions: instants are integer epoch seconds (fund movements: microseconds); money is an int64 count of 1e-8
units of its asset (`FUND_SCALE`), rounded to the asset's own precision, and becomes decimal128(38, 18) only when
written; prices are int64 counts of 1e-8 USD. Ids carry a running number, so they are unique across months and
files. Everything is drawn from generators seeded by (seed, month), so the same arguments give identical data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.contract import TABLES
from pipelines.demo.arrow_columns import codes, decimal_array
from pipelines.demo.assets import ASSETS, PRICE_DECIMALS
from pipelines.demo.funds import fund_holdings
from pipelines.demo.large_compensation import Compensation
from pipelines.demo.large_fund_ledger import FundLedger
from pipelines.demo.large_incidents import month_incidents
from pipelines.demo.parquet_months import MonthFiles
from pipelines.demo.prices import Prices, crash_times, draw_prices
from pipelines.demo.window import DAY, month_label, month_window
from pipelines.profile import Profile

SCALES = {"large": 1.0, "medium": 0.1, "small": 0.01, "tiny": 0.001}


def generate_large(landing_dir: Path, first_month: str, months: int, scale: float, seed: int,
                   profile: Profile) -> dict[str, int]:
    """Write `months` months of exchange-scale landing data from `first_month` ("YYYY-MM") as one Parquet file per
    table and month; return the row counts per table."""
    if months < 1:
        raise ValueError("months must be at least 1")
    if not scale > 0:
        raise ValueError("scale must be positive")
    window = month_window(first_month, months)
    rng_prices, rng_funds = np.random.default_rng(seed).spawn(2)
    crashes = crash_times(rng_prices, window)
    prices = draw_prices(rng_prices, window, crashes)
    holdings = fund_holdings(profile)
    compensation = Compensation(window, scale, prices, holdings)
    ledger = FundLedger(rng_funds, holdings, scale, crashes)
    counts = {t.name: 0 for t in TABLES}
    for index in range(months):
        start, end = window.month_starts[index], window.month_starts[index + 1]
        rng_incidents, rng_claims, rng_payouts, rng_ledger = np.random.default_rng([seed, index]).spawn(4)
        with MonthFiles(Path(landing_dir), month_label(start), counts) as files:
            _write_prices(files, prices, start, end, first=index == 0)
            incidents = month_incidents(files, rng_incidents, window, start, end, scale, crashes, profile)
            payouts = compensation.month(files, rng_claims, rng_payouts, incidents, start, end)
            ledger.month(files, rng_ledger, start, end, payouts, first=index == 0)
    return counts


def parse_scale(text: str) -> float:
    """`large`, `medium`, `small`, `tiny`, or a positive number (1.0 = large)."""
    if text in SCALES:
        return SCALES[text]
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"scale must be one of {', '.join(SCALES)} or a positive number, got {text!r}") from None
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"scale must be positive, got {text!r}")
    return value


def _write_prices(files: MonthFiles, prices: Prices, start: int, end: int, first: bool) -> None:
    """The month's daily closes (the first month also has the day before, for the opening valuation)."""
    days = np.arange(start // DAY - (1 if first else 0), end // DAY)
    asset = np.repeat(np.arange(len(ASSETS)), days.size)
    day = np.tile(days, len(ASSETS))
    close = prices.by_asset_index()[asset, day - prices.first_day]
    files.write("prices", {
        "asset": codes(asset, ASSETS),
        "date": pa.array(day.astype(np.int32), pa.date32()),
        "close_usd": decimal_array(close, PRICE_DECIMALS),
    })

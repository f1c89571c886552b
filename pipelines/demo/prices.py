"""Daily USD closes: correlated random walks (geometric Brownian motion) with sharp crash days; stablecoins
wobble around 1, EUR around 1.13."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import numpy as np

from pipelines.demo.assets import ASSETS, CRYPTO, PRICE_DECIMALS, STABLECOINS
from pipelines.demo.window import DAY, HOUR, Window

START_CLOSE_USD = {"BTC": 90_000.0, "ETH": 3_200.0, "SOL": 180.0, "XRP": 2.3}
DAILY_VOLATILITY = {"BTC": 0.028, "ETH": 0.036, "SOL": 0.048, "XRP": 0.045}
# How hard each coin falls on a crash day, relative to BTC (alts fall harder).
CRASH_BETA = {"BTC": 1.0, "ETH": 1.25, "SOL": 1.6, "XRP": 1.4}


def crash_times(rng: np.random.Generator, window: Window) -> list[int]:
    """Instants of sharp market crashes: one per three months (at least one), away from the window's edges so
    that their consequences (bankruptcies, claims, payouts) fall inside it."""
    days = window.last_day - window.start // DAY + 1
    count = max(1, round(days / 91))
    times = []
    for i in range(count):
        # Spread crashes over equal segments, each in the middle part of its segment.
        lo = window.start // DAY + (days * i) // count
        hi = window.start // DAY + (days * (i + 1)) // count
        quarter = (hi - lo) // 4
        day = int(rng.integers(lo + quarter, hi - max(3, quarter)))
        times.append(day * DAY + int(rng.integers(12 * HOUR, 20 * HOUR)))
    return times


class Prices(NamedTuple):
    """Daily closes from `first_day`, one array per asset, in exact integer units of 1e-8 USD."""

    first_day: int
    close_e8: dict[str, np.ndarray]

    def usd(self, asset: str, day: np.ndarray | int) -> np.ndarray:
        """The close of each day as a float: only for converting drawn USD sizes into asset amounts."""
        return self.close_e8[asset][np.asarray(day) - self.first_day] / 10**PRICE_DECIMALS

    def by_asset_index(self) -> np.ndarray:
        """The closes as one array indexed [position in ASSETS, day - first_day]."""
        return np.stack([self.close_e8[a] for a in ASSETS])


def draw_prices(rng: np.random.Generator, window: Window, crashes: list[int]) -> Prices:
    """Daily USD closes: correlated geometric Brownian motion for coins (with forced crash days), stablecoins
    within ±4 bp of 1, EUR a slow random walk kept within 1.08-1.17, USD exactly 1."""
    first_day = window.first_price_day
    n = window.last_day - first_day + 1
    crash_index = [t // DAY - first_day for t in crashes]

    # Coins share a market factor (correlation ~0.8), plus their own noise.
    market = rng.standard_normal(n)
    crash_drop = [rng.uniform(0.11, 0.15) for _ in crash_index]
    close: dict[str, np.ndarray] = {}
    for asset in CRYPTO:
        sigma = DAILY_VOLATILITY[asset]
        shock = sigma * (0.8 * market + 0.6 * rng.standard_normal(n))
        for index, drop in zip(crash_index, crash_drop):
            shock[index] = CRASH_BETA[asset] * np.log1p(-drop)
            shock[index + 1] = abs(shock[index]) * 0.4  # partial rebound the next day
        # A slow pull (2 % a day) back towards the starting level keeps a half-year demo from drifting to extremes
        # that would dominate every dollar figure; day to day it still moves like geometric Brownian motion.
        log_level = np.zeros(n)
        for day in range(1, n):
            log_level[day] = 0.98 * log_level[day - 1] + shock[day]
        close[asset] = START_CLOSE_USD[asset] * rng.uniform(0.93, 1.07) * np.exp(log_level)
    for asset in STABLECOINS:
        close[asset] = 1 + np.clip(rng.normal(0, 0.00015, n), -0.0004, 0.0004)
    eur = 1.13 + np.cumsum(rng.normal(0, 0.004, n))
    close["EUR"] = np.clip(eur, 1.08, 1.17)
    close["USD"] = np.ones(n)
    return Prices(first_day, {a: np.round(close[a] * 10**PRICE_DECIMALS).astype(np.int64) for a in ASSETS})


def price_rows(prices: Prices) -> list[dict]:
    """One `prices` row per asset and day."""
    rows = []
    for asset in ASSETS:
        for i, close in enumerate(prices.close_e8[asset]):
            rows.append({"asset": asset, "date": prices.first_day + i,
                         "close_usd": Decimal(int(close)).scaleb(-PRICE_DECIMALS)})
    return rows

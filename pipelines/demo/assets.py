"""The assets the demo exchange trades and how their amounts are counted.

Money is an integer count of minor units (never a float once drawn) and becomes a `Decimal` only when it is
written. Fund ledgers and exchange-scale tables count every asset in 1e-8 units (`FUND_SCALE`) instead, so that
one int64 column holds amounts of any asset."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

CRYPTO = ("BTC", "ETH", "SOL", "XRP")
STABLECOINS = ("USDT", "USDC")
FIAT = ("EUR", "USD")
ASSETS = CRYPTO + STABLECOINS + FIAT
# Minor units written for each asset: 8 decimals for coins, 6 for stablecoins (their on-chain precision), 2 for fiat.
DECIMALS = {"BTC": 8, "ETH": 8, "SOL": 8, "XRP": 8, "USDT": 6, "USDC": 6, "EUR": 2, "USD": 2}
PRICE_DECIMALS = 8
# Every fund amount is an integer count of 1e-8 units, whatever the asset (250M USDT is 2.5e16 such units: far
# from the int64 limit).
FUND_SCALE = 8

# 1e-8 units per minor unit of each asset, by position in ASSETS.
GRANULE = np.array([10 ** (FUND_SCALE - DECIMALS[a]) for a in ASSETS], dtype=np.int64)
# What people type for stablecoins is in cents, although the asset has 6 decimals.
TYPED_GRANULE = np.array([10 ** (FUND_SCALE - 2) if a in STABLECOINS else 10 ** (FUND_SCALE - DECIMALS[a])
                          for a in ASSETS], dtype=np.int64)


def money(minor: int, asset: str) -> Decimal:
    """An exact Decimal from an integer count of the asset's minor units."""
    return Decimal(int(minor)).scaleb(-DECIMALS[asset])


def minor_units(amount: Decimal, asset: str) -> int:
    return int(amount.scaleb(DECIMALS[asset]))


def round_to_typed(minor: int, asset: str) -> int:
    """A count of minor units rounded down to what people type: stablecoin amounts are in cents."""
    granule = 10 ** (DECIMALS[asset] - 2) if asset in STABLECOINS else 1
    return minor - minor % granule

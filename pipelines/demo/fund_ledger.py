"""The small demo's insurance-fund ledger: many small liquidation surpluses, rare and spiky bankruptcy covers
clustered on crash days, monthly platform contributions, USDT transfers between funds, and compensation of the
payouts the funds bear. Balance snapshots are exactly the running sum of the ledger."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pipelines.demo.assets import ASSETS, DECIMALS, FUND_SCALE, money
from pipelines.demo.compensation import Payout
from pipelines.demo.funds import Holdings, MovementKind, compensating_fund
from pipelines.demo.prices import Prices
from pipelines.demo.window import DAY, HOUR, Window, off_midnight

Part = tuple[np.ndarray, int, int, np.ndarray, int]
"""Movements of one fund and asset: (instants, fund index, asset index, amounts in 1e-8 units, kind)."""


class Movements(NamedTuple):
    """The fund ledger as parallel arrays, sorted by time; `amount` in 1e-8 units (FUND_SCALE)."""

    occurred_at: np.ndarray  # int64 epoch seconds
    fund: np.ndarray  # index into the fund holdings
    asset: np.ndarray  # index into ASSETS
    amount: np.ndarray  # int64, signed
    kind: np.ndarray  # index into contract.MOVEMENT_KINDS


def fund_movements(rng: np.random.Generator, window: Window, prices: Prices, crashes: list[int],
                   holdings: Holdings, payouts: list[Payout]) -> tuple[Movements, dict[tuple[int, str], int]]:
    """The signed fund ledger (vectorised: this is the large table) and each fund/asset's initial balance."""
    parts: list[Part] = []
    initial: dict[tuple[int, str], int] = {}
    for fund, (_, held) in enumerate(holdings):
        for asset, approximate in held:
            units = int(approximate * rng.uniform(0.95, 1.05) * 10 ** DECIMALS[asset])
            initial[(fund, asset)] = units * 10 ** (FUND_SCALE - DECIMALS[asset])
            balance_usd = units / 10 ** DECIMALS[asset] * float(prices.usd(asset, window.start // DAY))
            for t, usd, kind in _market_flows(rng, window, crashes, balance_usd):
                sign = 1 if kind in (MovementKind.SURPLUS, MovementKind.CONTRIBUTION) else -1
                parts.append((t, fund, ASSETS.index(asset), sign * _usd_to_fund_units(usd, asset, prices, t), kind))
    parts += _transfers(rng, holdings, window)
    parts += _compensations(holdings, payouts)

    occurred = np.concatenate([off_midnight(np.asarray(p[0], dtype=np.int64)) for p in parts])
    fund = np.concatenate([np.full(len(p[0]), p[1]) for p in parts])
    asset = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    amount = np.concatenate([np.asarray(p[3], dtype=np.int64) for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[4]) for p in parts])
    # Sort by time; ties keep generation order (lexsort is stable, last key first). Crash aftermaths may spill
    # over the window's end: those movements are dropped.
    order = np.lexsort((np.arange(occurred.size), occurred))
    order = order[occurred[order] < window.end]
    movements = Movements(occurred[order], fund[order], asset[order], amount[order], kind[order])
    _check_never_negative(holdings, initial, movements)
    return movements, initial


def _usd_to_fund_units(usd: np.ndarray, asset: str, prices: Prices, t: np.ndarray) -> np.ndarray:
    """USD values converted at each instant's daily close, in 1e-8 units rounded to the asset's own precision."""
    granule = 10 ** (FUND_SCALE - DECIMALS[asset])
    units = np.round(usd / prices.usd(asset, t // DAY) * 10**FUND_SCALE / granule).astype(np.int64)
    return np.maximum(units, 1) * granule


def _market_flows(rng: np.random.Generator, window: Window, crashes: list[int], balance_usd: float
                  ) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """(instants, USD sizes, kind) of one fund/asset's trading-driven movements. Sizes scale with the fund so a
    small fund is not swamped: over a calm month it grows a little, and each crash costs it a few per cent."""
    days = np.arange(window.start // DAY, window.end // DAY)
    is_crash = np.isin(days, [t // DAY for t in crashes])

    def during(per_day: np.ndarray) -> np.ndarray:  # `per_day[i]` instants spread over day i
        return np.repeat(days, per_day) * DAY + rng.integers(1, DAY, per_day.sum())

    def after_crashes(mean_count: float, mean_delay: float) -> np.ndarray:  # bursts in the hours after crashes
        return np.concatenate([c + rng.exponential(mean_delay, rng.poisson(mean_count)).astype(np.int64)
                               for c in crashes])

    # Liquidation surpluses: 50-150 small lognormal inflows a day, three times as many on crash days.
    t = during(rng.poisson(rng.uniform(50, 150) * np.where(is_crash, 3, 1)))
    surplus = (t, rng.lognormal(np.log(2.5e-6 * balance_usd), 1.3, t.size), MovementKind.SURPLUS)

    # Bankruptcy covers: about one a day, in bursts after a crash, Pareto-sized (heavy-tailed), each capped at
    # 1.5 % of the fund so that even a bad day cannot empty it.
    calm = during(rng.poisson(0.8, days.size))
    crash = after_crashes(40, 2 * HOUR)
    scale = np.concatenate([np.full(calm.size, 5e-5), np.full(crash.size, 2e-4)]) * balance_usd
    size = np.minimum(scale * (1 + rng.pareto(1.1, scale.size)), 0.015 * balance_usd)
    bankruptcy = (np.concatenate([calm, crash]), size, MovementKind.BANKRUPTCY)

    # Auto-deleveraging: a handful of outflows while the crash unwinds.
    t = after_crashes(3, 3 * HOUR)
    adl = (t, rng.lognormal(np.log(2e-4 * balance_usd), 1.0, t.size), MovementKind.ADL)

    # Platform contribution: on the first of each month, mid-morning, 0.3-0.8 % of the fund.
    t = np.array(window.month_starts[:-1]) + rng.integers(9 * HOUR, 11 * HOUR, len(window.month_starts) - 1)
    contribution = (t, balance_usd * rng.uniform(0.003, 0.008, t.size), MovementKind.CONTRIBUTION)
    return [surplus, bankruptcy, adl, contribution]


def _transfers(rng: np.random.Generator, holdings: Holdings, window: Window) -> list[Part]:
    """USDT rebalancing between the first two funds holding it: an outflow and an equal inflow at the same
    instant, about three a month."""
    usdt_funds = [i for i, (_, held) in enumerate(holdings) if "USDT" in (a for a, _ in held)][:2]
    if len(usdt_funds) < 2:
        return []
    days = np.arange(window.start // DAY, window.end // DAY)
    chosen = days[rng.random(days.size) < 0.1]
    t = chosen * DAY + rng.integers(1, DAY, chosen.size)
    amount = rng.integers(200_000, 1_500_000, t.size) * 10**FUND_SCALE  # whole USDT
    # More often from the large USD-margined fund to the small coin-margined one than back.
    sign = np.where(rng.random(t.size) < 0.6, 1, -1)
    usdt = ASSETS.index("USDT")
    first, second = usdt_funds
    return [(t, first, usdt, -sign * amount, MovementKind.TRANSFER),
            (t, second, usdt, sign * amount, MovementKind.TRANSFER)]


def _compensations(holdings: Holdings, payouts: list[Payout]) -> list[Part]:
    """One outflow for every payout the insurance fund bears: same asset, same instant, minus the amount."""
    parts = []
    for payout in payouts:
        if payout.row["funding_source"] != "insurance_fund":
            continue
        asset = payout.row["asset"]
        fund = compensating_fund(holdings, asset)
        assert fund is not None  # payouts are only insurance-funded in assets a fund holds
        amount = payout.minor * 10 ** (FUND_SCALE - DECIMALS[asset])
        parts.append((np.array([payout.row["paid_at"]]), fund, ASSETS.index(asset), np.array([-amount]),
                      MovementKind.COMPENSATION))
    return parts


def _check_never_negative(holdings: Holdings, initial: dict[tuple[int, str], int], movements: Movements) -> None:
    for (fund, asset), start in initial.items():
        mine = (movements.fund == fund) & (movements.asset == ASSETS.index(asset))
        running = start + np.cumsum(movements.amount[mine])
        if running.size and running.min() < 0:
            raise AssertionError(f"demo fund {holdings[fund][0]} {asset} would go negative")


def fund_balances(rng: np.random.Generator, window: Window, holdings: Holdings, initial: dict[tuple[int, str], int],
                  movements: Movements) -> list[dict]:
    """Snapshots at 00:00 each day from the day before the window to its last day: the initial balance plus every
    movement up to that instant. Two or three days in the middle are missing, as when a snapshot job fails."""
    days = np.arange(window.start // DAY - 1, window.last_day + 1)
    inner = days[2:-2]
    inner = inner[~np.isin(inner * DAY, window.month_starts)]  # keep the month-opening snapshots
    missing = rng.choice(inner, size=min(inner.size, int(rng.integers(2, 4))), replace=False)
    days = days[~np.isin(days, missing)]
    rows = []
    for (fund, asset), start in initial.items():
        mine = (movements.fund == fund) & (movements.asset == ASSETS.index(asset))
        times = movements.occurred_at[mine]
        running = np.concatenate([[0], np.cumsum(movements.amount[mine])])
        # Movements at or before the snapshot instant are included.
        included = np.searchsorted(times, days * DAY, side="right")
        granule = 10 ** (FUND_SCALE - DECIMALS[asset])
        for day, total in zip(days, running[included]):
            balance = start + int(total)
            assert balance % granule == 0
            rows.append({"fund_id": holdings[fund][0], "asset": asset, "as_of": int(day) * DAY,
                         "balance": money(balance // granule, asset)})
    return rows

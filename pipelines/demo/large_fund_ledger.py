"""The exchange-scale insurance-fund ledger, a day at a time: many small liquidation surpluses, heavy-tailed
bankruptcy covers and auto-deleveraging (bursts on crash days), a platform contribution on the first of each
month, USDT rebalancing between funds, and a `compensation` movement for every insured payout. Snapshots at
00:00Z each day are exactly the previous snapshot plus the day's movements."""

from __future__ import annotations

import numpy as np

from pipelines.contract import MOVEMENT_KINDS
from pipelines.demo.arrow_columns import US, codes, decimals, fixed_strings, timestamps
from pipelines.demo.assets import ASSETS, DECIMALS, FUND_SCALE, GRANULE
from pipelines.demo.funds import Holdings, MovementKind, compensating_funds
from pipelines.demo.parquet_months import ROW_GROUP, MonthFiles
from pipelines.demo.window import DAY, HOUR

MOVEMENTS_PER_MONTH = 30_000_000  # at scale 1.0, trading-driven; compensations and transfers come on top
# Share of a month's movements falling on each fund/asset by asset, and the daily volume of a crash day (and the
# day after) relative to a calm one.
ASSET_ACTIVITY = {"USDT": 0.45, "USDC": 0.10, "BTC": 0.18, "ETH": 0.14, "SOL": 0.08, "XRP": 0.05}
CRASH_VOLUME, AFTER_CRASH_VOLUME = 3.0, 1.5
# (surplus, bankruptcy cover, adl) shares of a day's movements.
KIND_SHARES = {"calm": (0.86, 0.135, 0.005), "crash": (0.70, 0.27, 0.03)}
# Daily totals as a share of the fund's initial holding: inflows slightly above calm outflows, so funds grow
# a little in calm times; a crash costs a few per cent. A single cover never exceeds 1.5 % of the holding.
SURPLUS_PER_DAY = 0.0040
BANKRUPTCY_PER_DAY = {"calm": 0.0032, "crash": 0.04}
ADL_PER_DAY = {"calm": 0.0002, "crash": 0.008}
MAX_COVER_SHARE = 0.015
PARETO_SHAPE = 1.8

Batch = dict[str, np.ndarray]
"""Rows as parallel columns."""


class FundLedger:
    """Every fund/asset pair's running balance, carried from day to day and month to month; movement ids carry a
    running number."""

    def __init__(self, rng: np.random.Generator, holdings: Holdings, scale: float, crashes: list[int]):
        self.scale = scale
        self.crashes = crashes
        self.crash_days = {t // DAY for t in crashes}
        self.fund_codes = [code for code, _ in holdings]
        # Fund/asset pairs of the ledger: fund index, asset index, initial balance (1e-8 units), activity share.
        pairs = [(f, ASSETS.index(a), approx) for f, (_, held) in enumerate(holdings) for a, approx in held]
        self.pair_fund = np.array([p[0] for p in pairs], dtype=np.int64)
        self.pair_asset = np.array([p[1] for p in pairs], dtype=np.int64)
        initial = [int(approx * max(1.0, scale) * rng.uniform(0.95, 1.05) * 10 ** DECIMALS[ASSETS[a]])
                   * int(GRANULE[a]) for _, a, approx in pairs]
        self.initial = np.array(initial, dtype=np.int64)
        self.balance = self.initial.copy()  # at the start of the day being generated
        # Sizes scale with these. A larger exchange keeps a larger fund: holdings grow with the scale above 1.
        self.holding = np.array([approx for _, _, approx in pairs], dtype=float) * max(1.0, scale)
        activity = np.array([ASSET_ACTIVITY.get(ASSETS[a], 0.05) for a in self.pair_asset])
        # An asset held by several funds shares its activity among them, the largest holding taking most.
        for a in set(self.pair_asset.tolist()):
            same = self.pair_asset == a
            activity[same] *= self.holding[same] / self.holding[same].sum()
        self.activity = activity / activity.sum()
        comp_fund = compensating_funds(holdings)
        self.comp_pair = np.array([self._pair(comp_fund[a], a) for a in range(len(ASSETS))])  # by asset
        usdt = [i for i in range(len(pairs)) if ASSETS[self.pair_asset[i]] == "USDT"]
        self.transfer_pairs = usdt[:2] if len(usdt) >= 2 else []
        self.next_movement = 1

    def month(self, files: MonthFiles, rng: np.random.Generator, start: int, end: int, payouts: Batch | None,
              first: bool) -> None:
        """Movements a day at a time, and the snapshot at 00:00 of each day (and, for the first month, of the day
        before): the previous snapshot plus the movements in between, exactly."""
        days = np.arange(start // DAY, end // DAY)
        volume = np.array([CRASH_VOLUME if d in self.crash_days else
                           AFTER_CRASH_VOLUME if d - 1 in self.crash_days else 1.0 for d in days])
        per_day = rng.multinomial(round(MOVEMENTS_PER_MONTH * self.scale), volume / volume.sum())
        compensations = self._compensations(payouts)
        compensation_day = compensations["t"] // (DAY * US)

        snapshots: list[tuple[int, np.ndarray]] = []
        if first:
            snapshots.append((start - DAY, self.balance.copy()))
        pending: list[Batch] = []
        pending_rows = 0
        for day, count in zip(days, per_day):
            snapshots.append((int(day) * DAY, self.balance.copy()))
            today = {k: v[compensation_day == day] for k, v in compensations.items()}
            batch = self._day(rng, int(day), int(count), int(day) * DAY == start, today)
            pending.append(batch)
            pending_rows += batch["t"].size
            if pending_rows >= ROW_GROUP:
                self._write_movements(files, pending)
                pending, pending_rows = [], 0
        if pending:
            self._write_movements(files, pending)
        self._write_balances(files, snapshots)

    def _pair(self, fund: int, asset: int) -> int:
        match = np.flatnonzero((self.pair_fund == fund) & (self.pair_asset == asset))
        return int(match[0]) if match.size else -1

    def _compensations(self, payouts: Batch | None) -> Batch:
        """One movement per insurance-funded payout: same instant (µs), asset, minus the amount."""
        if payouts is None or not payouts["insured"].any():
            empty = np.zeros(0, dtype=np.int64)
            return {"t": empty, "pair": empty, "amount": empty}
        insured = np.flatnonzero(payouts["insured"])
        return {"t": payouts["paid"][insured] * US, "pair": self.comp_pair[payouts["asset"][insured]],
                "amount": -payouts["amount"][insured]}

    def _day(self, rng: np.random.Generator, day: int, count: int, month_start: bool, compensations: Batch
             ) -> Batch:
        """One day's movements, sorted by time; updates the running balances (and checks none goes negative)."""
        crash = day in self.crash_days
        regime = "crash" if crash else "calm"
        volume = CRASH_VOLUME if crash else AFTER_CRASH_VOLUME if day - 1 in self.crash_days else 1.0
        shares = np.array(KIND_SHARES[regime])
        cells = rng.multinomial(count, (self.activity[:, None] * shares[None, :]).reshape(-1)).reshape(-1, 3)
        crash_at = next((t for t in self.crashes if t // DAY == day), None)
        after = (crash_at - day * DAY) * US if crash_at is not None else 0  # covers and ADL follow the crash
        pieces = _Pieces(rng, day)
        for pair in range(self.balance.size):
            self._trading(rng, pieces, pair, cells[pair], regime, volume, after)
            if month_start:
                self._contribution(rng, pieces, pair)
        if self.transfer_pairs and rng.random() < 0.1:  # USDT rebalancing: an outflow and an equal inflow
            t = pieces.instants(1)
            amount = int(rng.integers(200_000, 1_500_000)) * 10**FUND_SCALE
            sign = 1 if rng.random() < 0.6 else -1
            first, second = self.transfer_pairs
            pieces.add(first, t, np.array([-sign * amount]), MovementKind.TRANSFER)
            pieces.add(second, t.copy(), np.array([sign * amount]), MovementKind.TRANSFER)
        if compensations["t"].size:
            pieces.add(compensations["pair"], compensations["t"], compensations["amount"],
                       MovementKind.COMPENSATION)
        return self._book(day, pieces.sorted())

    def _trading(self, rng: np.random.Generator, pieces: _Pieces, pair: int, cells: np.ndarray, regime: str,
                 volume: float, after: int) -> None:
        """One fund/asset's surpluses (inflows), bankruptcy covers and ADL (outflows) of the day."""
        holding = self.holding[pair]
        asset = int(self.pair_asset[pair])
        surplus_n, cover_n, adl_n = cells
        if surplus_n:
            mean = SURPLUS_PER_DAY * volume * holding / surplus_n
            size = rng.lognormal(np.log(mean) - 1.3**2 / 2, 1.3, surplus_n)
            amount = _units(np.full(surplus_n, asset), size)
            pieces.add(pair, pieces.instants(surplus_n), amount, MovementKind.SURPLUS)
        if cover_n:
            mean = BANKRUPTCY_PER_DAY[regime] * holding / cover_n
            scale = mean / (1 + 1 / (PARETO_SHAPE - 1))
            size = np.minimum(scale * (1 + rng.pareto(PARETO_SHAPE, cover_n)), MAX_COVER_SHARE * holding)
            amount = -_units(np.full(cover_n, asset), size)
            pieces.add(pair, pieces.instants(cover_n, after), amount, MovementKind.BANKRUPTCY)
        if adl_n:
            mean = ADL_PER_DAY[regime] * holding / adl_n
            size = rng.lognormal(np.log(mean) - 0.5, 1.0, adl_n)
            amount = -_units(np.full(adl_n, asset), size)
            pieces.add(pair, pieces.instants(adl_n, after), amount, MovementKind.ADL)

    def _contribution(self, rng: np.random.Generator, pieces: _Pieces, pair: int) -> None:
        """Mid-morning on the first of the month: at least 0.3-0.8 % of the fund, and enough to bring it back to
        its initial size (compensation drains it)."""
        t = pieces.day_us + rng.integers(9 * HOUR * US, 11 * HOUR * US, 1)
        top_up = max(self.holding[pair] * rng.uniform(0.003, 0.008),
                     (self.initial[pair] - self.balance[pair]) / 10**FUND_SCALE)
        amount = _units(np.array([self.pair_asset[pair]]), np.array([top_up]))
        pieces.add(pair, t, amount, MovementKind.CONTRIBUTION)

    def _book(self, day: int, movements: Batch) -> Batch:
        """Apply a day's movements (sorted by time) to the running balances, checking none goes below zero, and
        number them."""
        pair, amount = movements["pair"], movements["amount"]
        by_pair = np.argsort(pair, kind="stable")
        running = np.cumsum(amount[by_pair])
        bounds = np.searchsorted(pair[by_pair], np.arange(self.balance.size + 1))
        for p in range(self.balance.size):
            lo, hi = bounds[p], bounds[p + 1]
            if hi > lo:
                before = running[lo - 1] if lo else 0
                lowest = self.balance[p] + (running[lo:hi] - before).min()
                if lowest < 0:
                    raise AssertionError(f"demo fund {self.fund_codes[self.pair_fund[p]]} "
                                         f"{ASSETS[self.pair_asset[p]]} would go negative on day {day}")
                self.balance[p] += running[hi - 1] - before
        size = movements["t"].size
        movements["id"] = np.arange(self.next_movement, self.next_movement + size, dtype=np.int64)
        self.next_movement += size
        return movements

    def _write_movements(self, files: MonthFiles, batches: list[Batch]) -> None:
        m = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
        files.write("insurance_fund_movements", {
            "movement_id": fixed_strings("MOV-", (m["id"], 12)),
            "fund_id": codes(self.pair_fund[m["pair"]], self.fund_codes),
            "asset": codes(self.pair_asset[m["pair"]], ASSETS),
            "occurred_at": timestamps(m["t"]),
            "amount": decimals(m["amount"]),
            "kind": codes(m["kind"], MOVEMENT_KINDS),
        })

    def _write_balances(self, files: MonthFiles, snapshots: list[tuple[int, np.ndarray]]) -> None:
        pair = np.repeat(np.arange(self.balance.size), len(snapshots))
        t = np.tile([s for s, _ in snapshots], self.balance.size)
        balance = np.stack([b for _, b in snapshots], axis=1).reshape(-1)
        files.write("insurance_fund_balances", {
            "fund_id": codes(self.pair_fund[pair], self.fund_codes),
            "asset": codes(self.pair_asset[pair], ASSETS),
            "as_of": timestamps(t, US),
            "balance": decimals(balance),
        })


class _Pieces:
    """A day's movements as they are drawn, in pieces of one kind: instants in µs, fund/asset pairs, amounts."""

    def __init__(self, rng: np.random.Generator, day: int):
        self.rng = rng
        self.day_us = day * DAY * US
        self.t: list[np.ndarray] = []
        self.pair: list[np.ndarray] = []
        self.amount: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []

    def instants(self, k: int, after: int = 0) -> np.ndarray:
        """`k` instants of the day, from `after` µs past midnight on; never at 00:00:00."""
        return self.day_us + self.rng.integers(max(1, after), DAY * US, k)

    def add(self, pair: int | np.ndarray, t: np.ndarray, amount: np.ndarray, kind: int) -> None:
        """Movements at instants `t`, all of one fund/asset `pair` or one pair each."""
        self.t.append(t)
        self.pair.append(np.full(t.size, pair))
        self.amount.append(amount)
        self.kind.append(np.full(t.size, kind))

    def sorted(self) -> Batch:
        """The pieces as one batch sorted by time; movements at the same instant keep the order they were drawn."""
        t = np.concatenate(self.t).astype(np.int64)
        order = np.argsort(t, kind="stable")
        return {"t": t[order], "pair": np.concatenate(self.pair).astype(np.int64)[order],
                "amount": np.concatenate(self.amount).astype(np.int64)[order],
                "kind": np.concatenate(self.kind).astype(np.int64)[order]}


def _units(asset_index: np.ndarray, amount_in_asset: np.ndarray) -> np.ndarray:
    """Float amounts of each row's asset → int64 1e-8 units rounded to the asset's precision, at least one unit
    of that precision."""
    granule = GRANULE[asset_index]
    units = np.round(amount_in_asset * (10**FUND_SCALE / granule)).astype(np.int64)
    return np.maximum(units, 1) * granule

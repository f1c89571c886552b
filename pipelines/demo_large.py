"""Exchange-scale demo data, for benchmarks (DESIGN.md §7, §9): `transparency demo --scale`.

`generate_large` writes `landing_dir/<table>/<YYYY-MM>.parquet` for every contract table and every month. At
scale 1.0 ("large") a month holds at least 30 million insurance-fund movements, 1 million compensation claims and
1 million payouts, and 1,000 incidents with their impacts; a scale of 0.001 gives a tiny but complete month.

The story is the small demo's (`demo_data`, whose price paths, incident details and fund holdings are reused), drawn
with numpy a month, and for the fund ledger a day, at a time and streamed to Parquet in row groups of about a
million rows, so memory stays bounded whatever the scale:

* **incidents** arrive uniformly over each month, plus a trading halt and a wave of erroneous liquidations on each
  crash day and one incident still open at the end; severities cluster and durations are heavy-tailed.
* **claims** are shared among a month's incidents in proportion to the clients each affected (a tenth name no
  incident); half the incident claims are raised automatically and nearly always approved; user claims take days
  to decide and are often rejected (unrealised profit first). Decisions after the window's end are pending.
* **payouts** follow (partially) approved claims with a lognormal delay, sometimes split into an account credit
  plus a fee rebate that add up exactly to the approved amount; some are borne by the insurance fund, which then
  records a `compensation` movement of minus the amount at the same instant in the same asset.
* **insurance funds** receive many small liquidation surpluses and pay heavy-tailed bankruptcy covers (bursts on
  crash days); snapshots at 00:00Z each day are exactly the previous snapshot plus the day's movements.

Conventions: instants are integer epoch seconds (fund movements: microseconds); money is an int64 count of 1e-8
units of its asset (`FUND_SCALE`), rounded to the asset's own precision, and becomes decimal128(38, 18) only when
written; prices are int64 counts of 1e-8 USD. Ids carry a running number, so they are unique across months and
files. Everything is drawn from generators seeded by (seed, month), so the same arguments give identical data.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.contract import (
    MOVEMENT_KINDS,
    REJECTION_REASONS,
    TABLES,
    TABLES_BY_NAME,
    Kind,
)
from pipelines.demo_data import (
    ASSETS,
    CLAIM_ASSET_WEIGHTS,
    CLAIM_ASSETS,
    CLAIM_MAX_USD,
    CLAIM_RATE,
    DAY,
    DECIMALS,
    DECISION_WEIGHTS_UNLINKED,
    DECISION_WEIGHTS_USER,
    DECISIONS_USER,
    FUND_SCALE,
    HOUR,
    MINUTE,
    PAYOUT_METHOD_WEIGHTS,
    PAYOUT_METHODS,
    PRICE_DECIMALS,
    REJECTION_WEIGHTS,
    REJECTION_WEIGHTS_UNLINKED,
    SPLIT_PAYOUT_SHARE,
    STABLECOINS,
    Prices,
    Window,
    _compensating_fund,
    _crash_times,
    _decimal_array,
    _draw_severities,
    _fund_holdings,
    _incident,
    _pick,
    _Plan,
    _prices,
    _services_for,
    _window,
)
from pipelines.profile import Profile

# --- Sizes at scale 1.0, per month -----------------------------------------------------------------------------

MOVEMENTS_PER_MONTH = 30_000_000  # trading-driven fund movements; compensations and transfers come on top
CLAIMS_PER_MONTH = 1_600_000  # enough for more than 1,000,000 payouts in every month, the last one included
INCIDENTS_PER_MONTH = 1_000
ACCOUNTS = 1_200_000  # accounts that may claim (the pool is drawn with a skew: active traders claim more)
ROW_GROUP = 1_000_000
SCALES = {"large": 1.0, "medium": 0.1, "small": 0.01, "tiny": 0.001}

UNLINKED_SHARE = 0.10  # claims naming no incident
AUTOMATIC_SHARE = 0.5  # of incident claims: raised by the platform (auto-compensation of liquidations, rebates)
# At exchange scale most claims are small: a rebate of fees, a liquidation undone. Medians in USD.
CLAIM_MEDIAN_USD = {"erroneous_liquidation": 300, "trading_halt": 120, "outage": 80}
CLAIM_MEDIAN_USD_OTHERWISE = 40
CLAIM_SIGMA = 1.5
# Share of payouts the insurance fund bears: losses on derivatives are what the fund exists to absorb.
INSURANCE_FUNDED_SHARE = {"erroneous_liquidation": 0.3, "derivatives": 0.08}

# Fund ledger. Share of a month's movements falling on each fund/asset by asset, and the daily volume of a
# crash day (and the day after) relative to a calm one.
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
US = 1_000_000  # microseconds per second

SURPLUS, BANKRUPTCY, CONTRIBUTION, COMPENSATION, ADL, TRANSFER = (
    MOVEMENT_KINDS.index(k) for k in ("liquidation_surplus", "bankruptcy_cover", "platform_contribution",
                                      "compensation", "adl", "transfer"))
DECISIONS = ("pending", *DECISIONS_USER)  # index 0 = pending
PENDING, APPROVED, PARTIAL, REJECTED, WITHDRAWN = range(5)


def generate_large(landing_dir: Path, first_month: str, months: int, scale: float, seed: int,
                   profile: Profile) -> dict[str, int]:
    """Write `months` months of exchange-scale landing data from `first_month` ("YYYY-MM") as one Parquet file per
    table and month; return the row counts per table."""
    if months < 1:
        raise ValueError("months must be at least 1")
    if not scale > 0:
        raise ValueError("scale must be positive")
    window = _window(first_month, months)
    generator = _Generator(Path(landing_dir), window, scale, seed, profile)
    for index in range(months):
        generator.month(index)
    return generator.counts


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


def month_label(t: int) -> str:
    """`YYYY-MM` of an epoch second."""
    d = np.datetime64(int(t), "s").astype("datetime64[M]")
    return str(d)


# --- Arrow helpers ---------------------------------------------------------------------------------------------

ARROW_TYPE = {
    Kind.ID: pa.string(),
    Kind.TEXT: pa.string(),
    Kind.CODE: pa.string(),
    Kind.ENUM: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    Kind.DATE: pa.date32(),
    Kind.DECIMAL: pa.decimal128(38, 18),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.COUNTRY_LIST: pa.list_(pa.string()),
}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a contract table: its columns, in order, with the types the landing files use."""
    return pa.schema([pa.field(c.name, ARROW_TYPE[c.kind], nullable=c.nullable)
                      for c in TABLES_BY_NAME[table].columns])


_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def fixed_strings(*parts: str | tuple[np.ndarray, int], n: int | None = None, base: int = 10) -> pa.Array:
    """A string array whose values are the concatenation of `parts`: literal text, or (numbers, digits) written
    zero-padded in `base`. Built as one byte matrix, so millions of ids take milliseconds."""
    if n is None:
        n = next(len(p[0]) for p in parts if not isinstance(p, str))
    widths = [len(p) if isinstance(p, str) else p[1] for p in parts]
    width = sum(widths)
    matrix = np.empty((n, width), dtype=np.uint8)
    column = 0
    for part, w in zip(parts, widths):
        if isinstance(part, str):
            matrix[:, column:column + w] = np.frombuffer(part.encode("ascii"), dtype=np.uint8)
        else:
            x = np.asarray(part[0]).astype(np.uint64)
            if x.size and int(x.max()) >= base ** w:
                raise ValueError(f"a number does not fit in {w} digits")
            for k in range(w - 1, -1, -1):
                matrix[:, column + k] = _DIGITS[x % base]
                x = x // base
        column += w
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix)).cast(pa.string())


def codes(index: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Strings by position in `names`; a negative index is a null."""
    index = np.asarray(index)
    valid = index >= 0
    indices = pa.array(np.where(valid, index, 0).astype(np.int32), mask=~valid if not valid.all() else None)
    return pa.array(list(names), pa.string()).take(indices)


def decimals(amount: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """decimal128(38, 18) from int64 counts of 1e-8 (exact); where `valid` is false, null."""
    array = _decimal_array(np.asarray(amount, dtype=np.int64), FUND_SCALE)
    if valid is not None and not valid.all():
        array = pc.if_else(pa.array(valid), array, pa.scalar(None, array.type))
    return array


def timestamps(t: np.ndarray, unit: int = 1, valid: np.ndarray | None = None) -> pa.Array:
    """timestamp('us', 'UTC') from integer instants counted in `unit` microseconds (1 = µs, US = seconds)."""
    us = np.asarray(t, dtype=np.int64) * unit
    mask = None if valid is None or valid.all() else ~valid
    return pa.array(us, pa.timestamp("us", tz="UTC"), mask=mask)


class _Files:
    """One ParquetWriter per table for the month being written; row groups of ROW_GROUP rows."""

    def __init__(self, landing_dir: Path, month: str):
        self.landing_dir = landing_dir
        self.month = month
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, table: str, columns: dict[str, pa.Array]) -> int:
        schema = arrow_schema(table)
        if sorted(columns) != sorted(schema.names):
            raise AssertionError(f"{table}: columns {sorted(set(columns) ^ set(schema.names))} differ from the contract")
        batch = pa.Table.from_arrays([columns[name].cast(schema.field(name).type) for name in schema.names],
                                     schema=schema)
        if table not in self.writers:
            path = self.landing_dir / table / f"{self.month}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            low_cardinality = [c.name for c in TABLES_BY_NAME[table].columns
                               if c.kind in (Kind.ENUM, Kind.CODE) or c.name in ("fund_id", "service")]
            self.writers[table] = pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=low_cardinality)
        self.writers[table].write_table(batch, row_group_size=ROW_GROUP)
        return batch.num_rows

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()


# --- Column batches carried between months ---------------------------------------------------------------------


def _take(batch: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in batch.items()}


def _concat(a: dict[str, np.ndarray] | None, b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if a is None:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in b}


def _split(batch: dict[str, np.ndarray] | None, time: str, end: int
           ) -> tuple[dict[str, np.ndarray] | None, dict[str, np.ndarray] | None]:
    """(rows with `time` before `end`, sorted by it; the rest)."""
    if batch is None:
        return None, None
    t = batch[time]
    now = np.flatnonzero(t < end)
    later = np.flatnonzero(t >= end)
    now = now[np.argsort(t[now], kind="stable")]
    return _take(batch, now), (_take(batch, later) if later.size else None)


def _units(asset_index: np.ndarray, amount_in_asset: np.ndarray) -> np.ndarray:
    """Float amounts of each row's asset → int64 1e-8 units rounded to the asset's precision, at least one unit
    of that precision."""
    granule = GRANULE[asset_index]
    units = np.round(amount_in_asset * (10**FUND_SCALE / granule)).astype(np.int64)
    return np.maximum(units, 1) * granule


GRANULE = np.array([10 ** (FUND_SCALE - DECIMALS[a]) for a in ASSETS], dtype=np.int64)
# What people type for stablecoins is in cents, although the asset has 6 decimals.
TYPED_GRANULE = np.array([10 ** (FUND_SCALE - 2) if a in STABLECOINS else 10 ** (FUND_SCALE - DECIMALS[a])
                          for a in ASSETS], dtype=np.int64)


@dataclass
class _Incidents:
    """What claims need to know about a month's incidents, as parallel arrays."""

    month: int  # YYYYMM: incident k (from 0) of the month is INC-<month>-<k + 1, 5 digits>
    ids: list[str]
    category: list[str]
    started: np.ndarray
    detected: np.ndarray
    resolved: np.ndarray  # -1 while open
    clients: np.ndarray
    derivatives: np.ndarray  # bool


class _Generator:
    def __init__(self, landing_dir: Path, window: Window, scale: float, seed: int, profile: Profile):
        self.landing_dir = landing_dir
        self.window = window
        self.scale = scale
        self.seed = seed
        self.profile = profile
        root = np.random.default_rng(seed)
        rng_prices, rng_funds = root.spawn(2)
        self.crash_times = _crash_times(rng_prices, window)
        self.prices: Prices = _prices(rng_prices, window, self.crash_times)
        self.close = np.stack([self.prices.close_e8[a] for a in ASSETS])  # [asset, day - first_day], 1e-8 USD
        self.holdings = _fund_holdings(profile)
        self.fund_codes = [code for code, _ in self.holdings]
        # Fund/asset pairs of the ledger: fund index, asset index, initial balance (1e-8 units), activity share.
        pairs = [(f, ASSETS.index(a), approx) for f, (_, held) in enumerate(self.holdings) for a, approx in held]
        self.pair_fund = np.array([p[0] for p in pairs], dtype=np.int64)
        self.pair_asset = np.array([p[1] for p in pairs], dtype=np.int64)
        initial = [int(approx * max(1.0, scale) * rng_funds.uniform(0.95, 1.05) * 10 ** DECIMALS[ASSETS[a]])
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
        self.comp_fund = np.array([-1 if _compensating_fund(self.holdings, a) is None
                                   else _compensating_fund(self.holdings, a) for a in ASSETS])
        usdt = [i for i in range(len(pairs)) if ASSETS[self.pair_asset[i]] == "USDT"]
        self.transfer_pairs = usdt[:2] if len(usdt) >= 2 else []
        self.crash_days = {t // DAY for t in self.crash_times}

        self.counts = {t.name: 0 for t in TABLES}
        self.claims_carry: dict[str, np.ndarray] | None = None
        self.payouts_carry: dict[str, np.ndarray] | None = None
        self.next_claim = 1
        self.next_payout = 1
        self.next_movement = 1

    # --- one month -----------------------------------------------------------------------------------------

    def month(self, index: int) -> None:
        start, end = self.window.month_starts[index], self.window.month_starts[index + 1]
        label = month_label(start)
        rngs = np.random.default_rng([self.seed, index]).spawn(4)
        files = _Files(self.landing_dir, label)
        try:
            self._prices_file(files, start, end, first=index == 0)
            incidents = self._incidents(files, rngs[0], index, start, end, label)
            claims, payouts = self._claims_and_payouts(rngs[1], rngs[2], incidents, start, end)
            self.claims_carry = _concat(self.claims_carry, claims)
            self.payouts_carry = _concat(self.payouts_carry, payouts)
            now, self.claims_carry = _split(self.claims_carry, "submitted", end)
            self._write_claims(files, now)
            now, self.payouts_carry = _split(self.payouts_carry, "paid", end)
            self._write_payouts(files, now)
            self._fund_ledger(files, rngs[3], start, end, now, first=index == 0)
        finally:
            files.close()

    # --- prices --------------------------------------------------------------------------------------------

    def _prices_file(self, files: _Files, start: int, end: int, first: bool) -> None:
        days = np.arange(start // DAY - (1 if first else 0), end // DAY)
        asset = np.repeat(np.arange(len(ASSETS)), days.size)
        day = np.tile(days, len(ASSETS))
        close = self.close[asset, day - self.prices.first_day]
        self.counts["prices"] += files.write("prices", {
            "asset": codes(asset, ASSETS),
            "date": pa.array(day.astype(np.int32), pa.date32()),
            "close_usd": _decimal_array(close, PRICE_DECIMALS),
        })

    def _usd(self, asset: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Float USD close of each asset on the UTC day of each instant (for drawing sizes only)."""
        return self.close[asset, t // DAY - self.prices.first_day] / 10**PRICE_DECIMALS

    # --- incidents -----------------------------------------------------------------------------------------

    def _incidents(self, files: _Files, rng: np.random.Generator, index: int, start: int, end: int,
                   label: str) -> _Incidents:
        count = max(3, round(INCIDENTS_PER_MONTH * self.scale))
        plans = [_Plan(started=int(t)) for t in np.sort(rng.integers(start, end, count))]
        codes_ = self.profile.service_codes
        derivatives = "derivatives" if "derivatives" in codes_ else codes_[0]
        api = "api" if "api" in codes_ else codes_[-1]
        for crash in (t for t in self.crash_times if start <= t < end):
            halt = int(rng.integers(50 * MINUTE, 110 * MINUTE))
            second = [(api, "partial_outage", 2 * MINUTE, int(halt * 0.8))] if api != derivatives else []
            plans.append(_Plan(started=crash, category="trading_halt", severity="critical", duration=halt,
                               impacts=[(derivatives, "major_outage", 0, None)] + second))
            plans.append(_Plan(started=crash + int(rng.integers(8 * MINUTE, 25 * MINUTE)),
                               category="erroneous_liquidation", severity="critical",
                               duration=int(rng.integers(3 * HOUR, 8 * HOUR)),
                               impacts=[(derivatives, "partial_outage", 0, 40 * MINUTE),
                                        (derivatives, "degraded_performance", 40 * MINUTE, None)]))
        if end == self.window.end:  # one still open when the window closes
            started = end - int(rng.integers(3 * HOUR, 20 * HOUR))
            category = _pick(rng, ("deposit_delay", "degradation"))
            plans.append(_Plan(started=started, category=category,
                               duration=end - started + int(rng.integers(1 * HOUR, 48 * HOUR)),
                               impacts=[(_pick(rng, _services_for(category, self.profile)), "partial_outage", 0,
                                         None)]))
        plans.sort(key=lambda p: p.started)
        _draw_severities(rng, plans)
        incidents, impacts, facts = [], [], []
        for number, plan in enumerate(plans, start=1):
            incident, rows, fact = _incident(rng, f"INC-{label.replace('-', '')}-{number:05d}", plan, self.window,
                                             self.profile)
            incidents.append(incident)
            impacts.extend(rows)
            facts.append(fact)
        self.counts["incidents"] += files.write("incidents", _rows_to_arrays("incidents", incidents))
        self.counts["incident_impacts"] += files.write("incident_impacts", _rows_to_arrays("incident_impacts", impacts))
        return _Incidents(
            month=int(label.replace("-", "")),
            ids=[f.incident_id for f in facts],
            category=[f.category for f in facts],
            started=np.array([f.started for f in facts], dtype=np.int64),
            detected=np.array([f.detected for f in facts], dtype=np.int64),
            resolved=np.array([-1 if f.resolved is None else f.resolved for f in facts], dtype=np.int64),
            clients=np.array([f.clients_affected for f in facts], dtype=float),
            derivatives=np.array([f.derivatives for f in facts], dtype=bool),
        )

    # --- claims and payouts --------------------------------------------------------------------------------

    def _claims_and_payouts(self, rng: np.random.Generator, rng_pay: np.random.Generator, incidents: _Incidents,
                            start: int, end: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The claims raised about this month's incidents (and the unlinked ones submitted in it), wherever their
        submission falls, and every payout made on them before the window's end."""
        window_end = self.window.end
        total = max(10, round(CLAIMS_PER_MONTH * self.scale))
        unlinked = max(1, round(total * UNLINKED_SHARE))
        weights = incidents.clients * np.array([CLAIM_RATE[c] for c in incidents.category])
        if weights.sum() <= 0:
            weights = np.ones(len(incidents.ids))
        per_incident = rng.multinomial(total - unlinked, weights / weights.sum())
        incident = np.concatenate([np.repeat(np.arange(len(incidents.ids)), per_incident),
                                   np.full(unlinked, -1)])
        n = incident.size
        linked = incident >= 0
        inc = np.where(linked, incident, 0)
        category = np.array([list(CLAIM_RATE).index(c) for c in incidents.category])[inc]
        automatic = linked & (rng.random(n) < AUTOMATIC_SHARE)
        base = np.where(incidents.resolved[inc] >= 0, incidents.resolved[inc], incidents.detected[inc])
        submitted = np.where(
            automatic, base + (rng.uniform(0.5, 6, n) * HOUR).astype(np.int64),
            incidents.started[inc] + rng.lognormal(np.log(20 * HOUR), 1.0, n).astype(np.int64))
        submitted = np.where(linked, submitted, rng.integers(start, end, n))
        median = np.array([CLAIM_MEDIAN_USD.get(c, CLAIM_MEDIAN_USD_OTHERWISE) for c in CLAIM_RATE])
        usd = np.minimum(rng.lognormal(np.log(np.where(linked, median[category], CLAIM_MEDIAN_USD_OTHERWISE)),
                                       CLAIM_SIGMA), CLAIM_MAX_USD)
        claim_assets = np.array([ASSETS.index(a) for a in CLAIM_ASSETS])
        asset_p = np.array(CLAIM_ASSET_WEIGHTS) / sum(CLAIM_ASSET_WEIGHTS)
        asset = claim_assets[rng.choice(len(CLAIM_ASSETS), n, p=asset_p)]
        price = self._usd(asset, np.minimum(submitted, window_end - 1))
        typed = TYPED_GRANULE[asset]
        claimed = np.maximum(np.round(usd / price * 10**FUND_SCALE / typed).astype(np.int64) * typed, GRANULE[asset])

        user_weights = np.where(linked[:, None], np.array(DECISION_WEIGHTS_USER)[None, :],
                                np.array(DECISION_WEIGHTS_UNLINKED)[None, :])
        user_decision = 1 + _choice_rows(rng, user_weights / user_weights.sum(axis=1, keepdims=True))
        decision = np.where(automatic, np.where(rng.random(n) < 0.8, APPROVED, PARTIAL), user_decision)
        decided = submitted + np.where(automatic, rng.lognormal(np.log(2 * HOUR), 0.8, n),
                                       rng.lognormal(np.log(4 * DAY), 0.9, n)).astype(np.int64)
        reason_linked = np.array([REJECTION_WEIGHTS[r] for r in REJECTION_REASONS])
        reason_unlinked = np.array([REJECTION_WEIGHTS_UNLINKED[r] for r in REJECTION_REASONS])
        reason = np.where(linked, rng.choice(len(REJECTION_REASONS), n, p=reason_linked / reason_linked.sum()),
                          rng.choice(len(REJECTION_REASONS), n, p=reason_unlinked / reason_unlinked.sum()))
        insurable = np.where(
            linked & (category == list(CLAIM_RATE).index("erroneous_liquidation")),
            INSURANCE_FUNDED_SHARE["erroneous_liquidation"],
            np.where(linked & incidents.derivatives[inc], INSURANCE_FUNDED_SHARE["derivatives"], 0.0))
        fraction = rng.uniform(0.2, 0.9, n)
        account = (max(100, round(ACCOUNTS * self.scale)) * rng.random(n) ** 1.5).astype(np.int64)
        decision = np.where(decided >= window_end, PENDING, decision)
        partial = np.maximum(GRANULE[asset], (claimed * fraction).astype(np.int64) // typed * typed)
        approved = np.where(decision == APPROVED, claimed, np.where(decision == PARTIAL, partial, -1))
        reason = np.where(decision == REJECTED, reason, -1)

        keep = submitted < window_end  # claims submitted after the window are not known yet
        order = np.flatnonzero(keep)
        order = order[np.argsort(submitted[order], kind="stable")]
        claims = {
            "claim_no": np.arange(self.next_claim, self.next_claim + order.size, dtype=np.int64),
            "incident": incident[order], "account": account[order], "automatic": automatic[order],
            "submitted": submitted[order], "decided": decided[order], "decision": decision[order],
            "reason": reason[order], "claimed": claimed[order], "asset": asset[order],
            "approved": approved[order], "insurable": insurable[order],
        }
        self.next_claim += order.size
        # The incident's id is INC-<YYYYMM>-<number in the month>: kept as those two numbers.
        claims["incident_month"] = np.full(order.size, incidents.month, dtype=np.int64)
        return claims, self._payouts(rng_pay, claims)

    def _payouts(self, rng: np.random.Generator, claims: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        window_end = self.window.end
        paid_claims = np.flatnonzero(claims["approved"] > 0)
        m = paid_claims.size
        automatic = claims["automatic"][paid_claims]
        decided = claims["decided"][paid_claims]
        asset = claims["asset"][paid_claims]
        approved = claims["approved"][paid_claims]
        paid = _off_midnight(decided + rng.lognormal(np.log(np.where(automatic, 0.5, 18) * HOUR), 1.0).astype(np.int64))
        insured = (rng.random(m) < claims["insurable"][paid_claims]) & (self.comp_fund[asset] >= 0)
        method = rng.choice(len(PAYOUT_METHODS), m, p=np.array(PAYOUT_METHOD_WEIGHTS) / sum(PAYOUT_METHOD_WEIGHTS))
        rebate_at = _off_midnight(paid + rng.integers(5 * MINUTE, 3 * HOUR, m))
        typed = TYPED_GRANULE[asset]
        credit = (approved * rng.uniform(0.5, 0.9, m)).astype(np.int64) // typed * typed
        split = (rng.random(m) < SPLIT_PAYOUT_SHARE) & (credit > 0) & (credit < approved) & (rebate_at < window_end)
        credit_method = PAYOUT_METHODS.index("account_credit")
        rebate_method = PAYOUT_METHODS.index("fee_rebate")
        # First parts (whole payouts, or the credit of a split one), then the rebates of split ones.
        part_claim = np.concatenate([paid_claims, paid_claims[split]])
        part_paid = np.concatenate([paid, rebate_at[split]])
        part_amount = np.concatenate([np.where(split, credit, approved), (approved - credit)[split]])
        part_method = np.concatenate([np.where(split, credit_method, method), np.full(split.sum(), rebate_method)])
        part_insured = np.concatenate([insured, insured[split]])
        part_asset = np.concatenate([asset, asset[split]])
        keep = np.flatnonzero(part_paid < window_end)
        keep = keep[np.lexsort((keep, part_paid[keep]))]
        payouts = {
            "payout_no": np.arange(self.next_payout, self.next_payout + keep.size, dtype=np.int64),
            "claim_no": claims["claim_no"][part_claim[keep]],
            "paid": part_paid[keep], "asset": part_asset[keep], "amount": part_amount[keep],
            "method": part_method[keep], "insured": part_insured[keep],
        }
        self.next_payout += keep.size
        return payouts

    def _write_claims(self, files: _Files, claims: dict[str, np.ndarray] | None) -> None:
        if claims is None or claims["claim_no"].size == 0:
            return
        for chunk in _chunks(claims["claim_no"].size):
            c = _take(claims, chunk)
            pending = c["decision"] == PENDING
            linked = c["incident"] >= 0
            incident_id = fixed_strings("INC-", (c["incident_month"], 6), "-", (np.maximum(c["incident"], 0) + 1, 5))
            if not linked.all():
                incident_id = pc.if_else(pa.array(linked), incident_id, pa.scalar(None, pa.string()))
            account = (c["account"].astype(np.uint64) * np.uint64(0x9E3779B97F4B)) % np.uint64(2**48)
            self.counts["compensation_claims"] += files.write("compensation_claims", {
                "claim_id": fixed_strings("CLM-", (c["claim_no"], 10)),
                "incident_id": incident_id,
                "account_ref": fixed_strings("acct_", (account, 12), base=16),
                "channel": codes(c["automatic"].astype(np.int64), ("user_claim", "automatic")),
                "submitted_at": timestamps(c["submitted"], US),
                "decided_at": timestamps(c["decided"], US, valid=~pending),
                "decision": codes(c["decision"], DECISIONS),
                "rejection_reason": codes(c["reason"], REJECTION_REASONS),
                "claimed_amount": decimals(c["claimed"]),
                "claimed_asset": codes(c["asset"], ASSETS),
                "approved_amount": decimals(np.maximum(c["approved"], 0), valid=c["approved"] > 0),
            })

    def _write_payouts(self, files: _Files, payouts: dict[str, np.ndarray] | None) -> None:
        if payouts is None or payouts["payout_no"].size == 0:
            return
        for chunk in _chunks(payouts["payout_no"].size):
            p = _take(payouts, chunk)
            self.counts["compensation_payouts"] += files.write("compensation_payouts", {
                "payout_id": fixed_strings("PAY-", (p["payout_no"], 10)),
                "claim_id": fixed_strings("CLM-", (p["claim_no"], 10)),
                "paid_at": timestamps(p["paid"], US),
                "asset": codes(p["asset"], ASSETS),
                "amount": decimals(p["amount"]),
                "method": codes(p["method"], PAYOUT_METHODS),
                "funding_source": codes(p["insured"].astype(np.int64), ("company", "insurance_fund")),
            })

    # --- the fund ledger -----------------------------------------------------------------------------------

    def _fund_ledger(self, files: _Files, rng: np.random.Generator, start: int, end: int,
                     payouts: dict[str, np.ndarray] | None, first: bool) -> None:
        """Movements a day at a time, and the snapshot at 00:00 of each day (and, for the first month, of the day
        before): the previous snapshot plus the movements in between, exactly."""
        days = np.arange(start // DAY, end // DAY)
        volume = np.array([CRASH_VOLUME if d in self.crash_days else
                           AFTER_CRASH_VOLUME if d - 1 in self.crash_days else 1.0 for d in days])
        per_day = rng.multinomial(round(MOVEMENTS_PER_MONTH * self.scale), volume / volume.sum())
        # Compensation movements: one per insurance-funded payout, same instant, asset, minus the amount.
        if payouts is not None and payouts["insured"].any():
            insured = np.flatnonzero(payouts["insured"])
            comp_t = payouts["paid"][insured] * US
            comp_asset = payouts["asset"][insured]
            comp_pair = np.array([self._pair(self.comp_fund[a], a) for a in range(len(ASSETS))])[comp_asset]
            comp_amount = -payouts["amount"][insured]
        else:
            comp_t = comp_pair = comp_amount = np.zeros(0, dtype=np.int64)
        comp_day = comp_t // (DAY * US)

        snapshots: list[tuple[int, np.ndarray]] = []
        if first:
            snapshots.append((start - DAY, self.balance.copy()))
        pending: list[dict[str, np.ndarray]] = []
        pending_rows = 0
        for day, count in zip(days, per_day):
            snapshots.append((int(day) * DAY, self.balance.copy()))
            mine = comp_day == day
            batch = self._day(rng, int(day), int(count), int(day) * DAY == start,
                              comp_t[mine], comp_pair[mine], comp_amount[mine])
            pending.append(batch)
            pending_rows += batch["t"].size
            if pending_rows >= ROW_GROUP:
                self._write_movements(files, pending)
                pending, pending_rows = [], 0
        if pending:
            self._write_movements(files, pending)
        pair = np.repeat(np.arange(self.balance.size), len(snapshots))
        t = np.tile([s for s, _ in snapshots], self.balance.size)
        balance = np.stack([b for _, b in snapshots], axis=1).reshape(-1)
        self.counts["insurance_fund_balances"] += files.write("insurance_fund_balances", {
            "fund_id": codes(self.pair_fund[pair], self.fund_codes),
            "asset": codes(self.pair_asset[pair], ASSETS),
            "as_of": timestamps(t, US),
            "balance": decimals(balance),
        })

    def _pair(self, fund: int, asset: int) -> int:
        match = np.flatnonzero((self.pair_fund == fund) & (self.pair_asset == asset))
        return int(match[0]) if match.size else -1

    def _day(self, rng: np.random.Generator, day: int, count: int, month_start: bool, comp_t: np.ndarray,
             comp_pair: np.ndarray, comp_amount: np.ndarray) -> dict[str, np.ndarray]:
        """One day's movements, sorted by time; updates the running balances (and checks none goes negative)."""
        crash = day in self.crash_days
        regime = "crash" if crash else "calm"
        volume = CRASH_VOLUME if crash else AFTER_CRASH_VOLUME if day - 1 in self.crash_days else 1.0
        shares = np.array(KIND_SHARES[regime])
        cells = rng.multinomial(count, (self.activity[:, None] * shares[None, :]).reshape(-1)).reshape(-1, 3)
        pieces_t, pieces_pair, pieces_amount, pieces_kind = [], [], [], []
        day_us = day * DAY * US

        def add(pair: int, t: np.ndarray, amount: np.ndarray, kind: int) -> None:
            pieces_t.append(t)
            pieces_pair.append(np.full(t.size, pair))
            pieces_amount.append(amount)
            pieces_kind.append(np.full(t.size, kind))

        def instants(k: int, after: int = 0) -> np.ndarray:  # never at 00:00:00
            return day_us + rng.integers(max(1, after), DAY * US, k)

        crash_at = next((t for t in self.crash_times if t // DAY == day), None)
        after = (crash_at - day * DAY) * US if crash_at is not None else 0
        for pair in range(self.balance.size):
            holding = self.holding[pair]
            asset = int(self.pair_asset[pair])
            surplus_n, cover_n, adl_n = cells[pair]
            if surplus_n:
                mean = SURPLUS_PER_DAY * volume * holding / surplus_n
                size = rng.lognormal(np.log(mean) - 1.3**2 / 2, 1.3, surplus_n)
                add(pair, instants(surplus_n), _units(np.full(surplus_n, asset), size), SURPLUS)
            if cover_n:
                mean = BANKRUPTCY_PER_DAY[regime] * holding / cover_n
                scale = mean / (1 + 1 / (PARETO_SHAPE - 1))
                size = np.minimum(scale * (1 + rng.pareto(PARETO_SHAPE, cover_n)), MAX_COVER_SHARE * holding)
                add(pair, instants(cover_n, after), -_units(np.full(cover_n, asset), size), BANKRUPTCY)
            if adl_n:
                mean = ADL_PER_DAY[regime] * holding / adl_n
                size = rng.lognormal(np.log(mean) - 0.5, 1.0, adl_n)
                add(pair, instants(adl_n, after), -_units(np.full(adl_n, asset), size), ADL)
            if month_start:  # platform contribution, mid-morning on the first of the month: at least 0.3-0.8 %
                # of the fund, and enough to bring it back to its initial size (compensation drains it)
                t = day_us + rng.integers(9 * HOUR * US, 11 * HOUR * US, 1)
                top_up = max(holding * rng.uniform(0.003, 0.008),
                             (self.initial[pair] - self.balance[pair]) / 10**FUND_SCALE)
                add(pair, t, _units(np.array([asset]), np.array([top_up])), CONTRIBUTION)
        if self.transfer_pairs and rng.random() < 0.1:  # USDT rebalancing: an outflow and an equal inflow
            t = instants(1)
            amount = int(rng.integers(200_000, 1_500_000)) * 10**FUND_SCALE
            sign = 1 if rng.random() < 0.6 else -1
            first, second = self.transfer_pairs
            add(first, t, np.array([-sign * amount]), TRANSFER)
            add(second, t.copy(), np.array([sign * amount]), TRANSFER)
        if comp_t.size:
            pieces_t.append(comp_t)
            pieces_pair.append(comp_pair)
            pieces_amount.append(comp_amount)
            pieces_kind.append(np.full(comp_t.size, COMPENSATION))

        t = np.concatenate(pieces_t).astype(np.int64)
        pair = np.concatenate(pieces_pair).astype(np.int64)
        amount = np.concatenate(pieces_amount).astype(np.int64)
        kind = np.concatenate(pieces_kind).astype(np.int64)
        order = np.argsort(t, kind="stable")
        t, pair, amount, kind = t[order], pair[order], amount[order], kind[order]
        # Running balance within the day, per fund/asset: never below zero.
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
        ids = np.arange(self.next_movement, self.next_movement + t.size, dtype=np.int64)
        self.next_movement += t.size
        return {"id": ids, "t": t, "pair": pair, "amount": amount, "kind": kind}

    def _write_movements(self, files: _Files, batches: list[dict[str, np.ndarray]]) -> None:
        m = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
        self.counts["insurance_fund_movements"] += files.write("insurance_fund_movements", {
            "movement_id": fixed_strings("MOV-", (m["id"], 12)),
            "fund_id": codes(self.pair_fund[m["pair"]], self.fund_codes),
            "asset": codes(self.pair_asset[m["pair"]], ASSETS),
            "occurred_at": timestamps(m["t"]),
            "amount": decimals(m["amount"]),
            "kind": codes(m["kind"], MOVEMENT_KINDS),
        })


def _off_midnight(t: np.ndarray) -> np.ndarray:
    """Instants (seconds) exactly at 00:00:00 moved one second on: snapshots are taken then."""
    return np.where(t % DAY == 0, t + 1, t)


def _choice_rows(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One index per row of the probability matrix `p` (inverse CDF, vectorised)."""
    cdf = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])[:, None]
    return np.minimum((u > cdf).sum(axis=1), p.shape[1] - 1)


def _chunks(n: int) -> Iterator[np.ndarray]:
    for lo in range(0, n, ROW_GROUP):
        yield np.arange(lo, min(n, lo + ROW_GROUP))


def _rows_to_arrays(table: str, rows: list[dict]) -> dict[str, pa.Array]:
    """Small tables (incidents, impacts) from row dicts with epoch-second instants and Decimal amounts."""
    out = {}
    for column in TABLES_BY_NAME[table].columns:
        values = [row[column.name] for row in rows]
        if column.kind is Kind.TIMESTAMP:
            valid = np.array([v is not None for v in values], dtype=bool)
            out[column.name] = timestamps(np.array([v or 0 for v in values], dtype=np.int64), US, valid=valid)
        else:
            out[column.name] = pa.array(values, ARROW_TYPE[column.kind])
    return out

"""Two references for the scale benchmark: the same core aggregates as the pipeline, computed straight from the
landing Parquet files, so that the pipeline's cost can be judged against them.

* `floor`: one hand-written DuckDB statement over the files, nothing else: the least a DuckDB implementation can
  cost (no validation, no staging copy, no marts, no reports).
* `pandas_reference`: the same figures with pandas, as an analyst would write them (read_parquet with filters,
  groupby, cumsum, merge_asof; money as float64).

The core aggregates, for one month `[start, end)`:

* `fund_daily`: per fund, asset and UTC day of the month: the balance at the start of the day (opening) and at its
  end (closing), each the last snapshot at or before that instant moved forward by the movements stamped from the
  snapshot up to (not including) the instant; inflows (positive movements) and outflows (negative, as a positive
  number) of the day; the day's close and the closing balance valued at it.
* `compensation_paid_usd`: payouts with `paid_at` in the month, each valued at its asset's close on the UTC day of
  `paid_at`, summed per funding source (and `total`).
* `claims_decided`: claims with `decided_at` in the month, counted by decision.

`compare` says where two results differ by a cent or more (amounts) or at all (counts, keys).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pipelines.periods import window

FUND_FIELDS = ("opening", "inflows", "outflows", "closing", "close_usd", "closing_usd")
CENT = Decimal("0.01")

FLOOR_SQL = """
-- Days are numbered from the epoch (epoch_us // 86400000000): the UTC day without a time-zone conversion per row.
WITH
snapshots AS (
    SELECT fund_id, asset, as_of, balance FROM read_parquet($balances) WHERE as_of <= $end_at
),
instants AS (  -- the start of every day of the month, and its end
    SELECT unnest(generate_series($start_at, $end_at, INTERVAL 1 DAY)) AS t
),
anchored AS (  -- the last snapshot at or before each instant
    SELECT g.fund_id, g.asset, g.t, epoch_us(g.t) // 86400000000 AS t_day,
           s.as_of AS anchor_at, epoch_us(s.as_of) // 86400000000 AS anchor_day, s.balance AS anchor_balance
    FROM (SELECT f.fund_id, f.asset, i.t FROM (SELECT DISTINCT fund_id, asset FROM snapshots) AS f, instants AS i) AS g
    ASOF LEFT JOIN snapshots AS s ON s.fund_id = g.fund_id AND s.asset = g.asset AND g.t >= s.as_of
),
movements AS NOT MATERIALIZED (  -- from the earliest snapshot needed to the end of the month
    SELECT fund_id, asset, occurred_at, epoch_us(occurred_at) // 86400000000 AS day, amount
    FROM read_parquet($movements)
    WHERE occurred_at >= (SELECT min(anchor_at) FROM anchored) AND occurred_at < $end_at
),
daily AS (
    SELECT fund_id, asset, day, sum(amount) AS net,
           coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS inflows,
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS outflows
    FROM movements GROUP BY ALL
),
running AS (  -- Σ movements (from the lower bound) up to the end of each day that has any
    SELECT fund_id, asset, day, sum(net) OVER (PARTITION BY fund_id, asset ORDER BY day) AS through_day
    FROM daily
),
partial AS (  -- movements on a snapshot's own day before it, for snapshots not taken at 00:00
    SELECT a.fund_id, a.asset, a.anchor_at, sum(m.amount) AS amount
    FROM (SELECT DISTINCT fund_id, asset, anchor_at, anchor_day FROM anchored
          WHERE epoch_us(anchor_at) % 86400000000 <> 0) AS a
    JOIN movements AS m ON m.fund_id = a.fund_id AND m.asset = a.asset AND m.day = a.anchor_day
         AND m.occurred_at < a.anchor_at
    GROUP BY ALL
),
balances AS (  -- snapshot + Σ movements in [snapshot, instant)
    SELECT a.fund_id, a.asset, a.t, a.t_day,
           a.anchor_balance + coalesce(rt.through_day, 0) - coalesce(ra.through_day, 0) - coalesce(p.amount, 0)
               AS balance
    FROM anchored AS a
    ASOF LEFT JOIN running AS rt ON rt.fund_id = a.fund_id AND rt.asset = a.asset AND a.t_day > rt.day
    ASOF LEFT JOIN running AS ra ON ra.fund_id = a.fund_id AND ra.asset = a.asset AND a.anchor_day > ra.day
    LEFT JOIN partial AS p ON p.fund_id = a.fund_id AND p.asset = a.asset AND p.anchor_at = a.anchor_at
),
prices AS (
    SELECT asset, date, date - DATE '1970-01-01' AS day, close_usd FROM read_parquet($prices)
    WHERE date >= CAST($start_at AS DATE) AND date < CAST($end_at AS DATE)
),
fund_daily AS (
    SELECT o.fund_id, o.asset, p.date AS day, o.balance AS opening,
           coalesce(d.inflows, 0) AS inflows, coalesce(d.outflows, 0) AS outflows, c.balance AS closing,
           p.close_usd, CAST(c.balance AS DECIMAL(38, 12)) * CAST(p.close_usd AS DECIMAL(38, 12)) AS closing_usd
    FROM balances AS o
    JOIN balances AS c ON c.fund_id = o.fund_id AND c.asset = o.asset AND c.t_day = o.t_day + 1
    LEFT JOIN daily AS d ON d.fund_id = o.fund_id AND d.asset = o.asset AND d.day = o.t_day
    LEFT JOIN prices AS p ON p.asset = o.asset AND p.day = o.t_day
),
paid AS (
    SELECT pay.funding_source AS key,
           sum(CAST(pay.amount AS DECIMAL(38, 12)) * CAST(pr.close_usd AS DECIMAL(38, 12))) AS amount_usd
    FROM read_parquet($payouts) AS pay
    LEFT JOIN prices AS pr ON pr.asset = pay.asset AND pr.day = epoch_us(pay.paid_at) // 86400000000
    WHERE pay.paid_at >= $start_at AND pay.paid_at < $end_at
    GROUP BY ALL
),
decided AS (
    SELECT decision AS key, count(*) AS n FROM read_parquet($claims)
    WHERE decided_at >= $start_at AND decided_at < $end_at
    GROUP BY ALL
)
SELECT 'fund' AS section, fund_id, asset, day, opening, inflows, outflows, closing, close_usd, closing_usd,
       NULL AS key, NULL AS amount_usd, NULL AS n
FROM fund_daily
UNION ALL
SELECT 'paid', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, key, amount_usd, NULL FROM paid
UNION ALL
SELECT 'decided', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, key, NULL, n FROM decided
"""


def _files(landing_dir: Path, table: str) -> list[str]:
    """Every Parquet file of a table: `<table>.parquet` and the files under `<table>/`."""
    landing_dir = Path(landing_dir)
    files = sorted(str(p) for p in (landing_dir / table).rglob("*.parquet")) if (landing_dir / table).is_dir() else []
    single = landing_dir / f"{table}.parquet"
    return ([str(single)] if single.is_file() else []) + files


def floor(landing_dir: Path, period: str, threads: int | None = None) -> dict:
    """The core aggregates of `period` ("YYYY-MM") in ONE DuckDB statement straight over the Parquet files."""
    import duckdb

    start, end = window(period)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        rows = con.execute(FLOOR_SQL, {
            "balances": _files(landing_dir, "insurance_fund_balances"),
            "movements": _files(landing_dir, "insurance_fund_movements"),
            "prices": _files(landing_dir, "prices"),
            "payouts": _files(landing_dir, "compensation_payouts"),
            "claims": _files(landing_dir, "compensation_claims"),
            "start_at": start, "end_at": end,
        }).fetchall()
    finally:
        con.close()
    result: dict = {"fund_daily": {}, "compensation_paid_usd": {"total": Decimal(0)}, "claims_decided": {}}
    for section, fund, asset, day, *values, key, amount_usd, n in rows:
        if section == "fund":
            result["fund_daily"][(fund, asset, day.isoformat())] = dict(zip(FUND_FIELDS, values))
        elif section == "paid":
            result["compensation_paid_usd"][key] = amount_usd
            result["compensation_paid_usd"]["total"] += amount_usd
        else:
            result["claims_decided"][key] = int(n)
    return result


def pandas_reference(landing_dir: Path, period: str) -> dict:
    """The same aggregates with pandas, as an analyst would write them: read what is needed (with filters), money
    as float64, balances by cumulative sums and merge_asof, no DuckDB."""
    import pandas as pd

    start, end = (pd.Timestamp(t) for t in window(period))
    landing_dir = Path(landing_dir)

    def read(table: str, columns: list[str], filters: list | None = None) -> pd.DataFrame:
        return pd.read_parquet(landing_dir / table, columns=columns, filters=filters)

    def money(series: pd.Series) -> pd.Series:  # decimals arrive as Decimal objects
        return series.astype("float64")

    prices = read("prices", ["asset", "date", "close_usd"])
    prices["date"] = pd.to_datetime(prices["date"]).dt.tz_localize("UTC")
    prices["close_usd"] = money(prices["close_usd"])

    # Fund balances: the last snapshot at or before each day's start (and the month's end), moved forward.
    snapshots = read("insurance_fund_balances", ["fund_id", "asset", "as_of", "balance"], [("as_of", "<=", end)])
    snapshots["balance"] = money(snapshots["balance"])
    pairs = snapshots[["fund_id", "asset"]].drop_duplicates()
    instants = pd.DataFrame({"t": pd.date_range(start, end, freq="D", unit="us")})
    grid = pairs.merge(instants, how="cross").sort_values("t")
    grid = pd.merge_asof(grid, snapshots.sort_values("as_of"), left_on="t", right_on="as_of",
                         by=["fund_id", "asset"], direction="backward")

    lower = grid["as_of"].min()
    movements = read("insurance_fund_movements", ["fund_id", "asset", "occurred_at", "amount"],
                     [("occurred_at", ">=", lower), ("occurred_at", "<", end)])
    movements["amount"] = money(movements["amount"])
    movements = movements.sort_values("occurred_at", kind="stable")
    movements["cumulative"] = movements.groupby(["fund_id", "asset"])["amount"].cumsum()

    def before(frame: pd.DataFrame, column: str) -> pd.Series:
        """Σ movements (from the lower bound) strictly before each row's `column` instant."""
        keyed = frame[["fund_id", "asset", column]].reset_index().sort_values(column)
        found = pd.merge_asof(keyed, movements[["fund_id", "asset", "occurred_at", "cumulative"]],
                              left_on=column, right_on="occurred_at", by=["fund_id", "asset"],
                              direction="backward", allow_exact_matches=False)
        return found.set_index("index")["cumulative"].fillna(0.0).reindex(frame.index)

    grid = grid.reset_index(drop=True)
    grid["balance"] = grid["balance"] + before(grid, "t") - before(grid, "as_of")

    movements["day"] = movements["occurred_at"].dt.floor("D")
    movements = movements[movements["occurred_at"] >= start]
    movements["inflows"] = movements["amount"].clip(lower=0)
    movements["outflows"] = (-movements["amount"]).clip(lower=0)
    daily = movements.groupby(["fund_id", "asset", "day"], as_index=False)[["inflows", "outflows"]].sum()

    opening = grid[grid["t"] < end].rename(columns={"t": "day", "balance": "opening"})
    closing = grid[grid["t"] > start].assign(day=lambda g: g["t"] - pd.Timedelta(days=1))
    table = (opening[["fund_id", "asset", "day", "opening"]]
             .merge(closing[["fund_id", "asset", "day", "balance"]].rename(columns={"balance": "closing"}),
                    on=["fund_id", "asset", "day"])
             .merge(daily, on=["fund_id", "asset", "day"], how="left")
             .merge(prices.rename(columns={"date": "day"}), on=["asset", "day"], how="left"))
    table[["inflows", "outflows"]] = table[["inflows", "outflows"]].fillna(0.0)
    table["closing_usd"] = table["closing"] * table["close_usd"]
    fund_daily = {
        (r.fund_id, r.asset, r.day.strftime("%Y-%m-%d")): {f: getattr(r, f) for f in FUND_FIELDS}
        for r in table.itertuples(index=False)
    }

    # Compensation paid, each payout at its asset's close on the day it was paid.
    payouts = read("compensation_payouts", ["paid_at", "asset", "amount", "funding_source"],
                   [("paid_at", ">=", start), ("paid_at", "<", end)])
    payouts["amount"] = money(payouts["amount"])
    payouts["day"] = payouts["paid_at"].dt.floor("D")
    payouts = payouts.merge(prices.rename(columns={"date": "day"}), on=["asset", "day"], how="left")
    payouts["amount_usd"] = payouts["amount"] * payouts["close_usd"]
    paid = payouts.groupby("funding_source")["amount_usd"].sum()
    compensation = {str(k): float(v) for k, v in paid.items()}
    compensation["total"] = float(payouts["amount_usd"].sum())

    claims = read("compensation_claims", ["decision"], [("decided_at", ">=", start), ("decided_at", "<", end)])
    decided = {str(k): int(v) for k, v in claims["decision"].value_counts().items()}
    return {"fund_daily": fund_daily, "compensation_paid_usd": compensation, "claims_decided": decided}


def _differs(a, b) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(Decimal(str(a)) - Decimal(str(b))) >= CENT


def compare(a: dict, b: dict) -> list[str]:
    """Where two results of the references differ: amounts by a cent or more, counts and keys at all."""
    problems = []
    if set(a["fund_daily"]) != set(b["fund_daily"]):
        problems.append(f"fund_daily keys differ: {sorted(set(a['fund_daily']) ^ set(b['fund_daily']))[:5]}")
    for key in sorted(set(a["fund_daily"]) & set(b["fund_daily"])):
        for field in FUND_FIELDS:
            x, y = a["fund_daily"][key][field], b["fund_daily"][key][field]
            if _differs(x, y):
                problems.append(f"fund_daily {key} {field}: {x} vs {y}")
    for name in ("compensation_paid_usd",):
        if set(a[name]) != set(b[name]):
            problems.append(f"{name} keys differ: {sorted(a[name])} vs {sorted(b[name])}")
        for key in set(a[name]) & set(b[name]):
            if _differs(a[name][key], b[name][key]):
                problems.append(f"{name} {key}: {a[name][key]} vs {b[name][key]}")
    if a["claims_decided"] != b["claims_decided"]:
        problems.append(f"claims_decided: {a['claims_decided']} vs {b['claims_decided']}")
    return problems


def summary(result: dict) -> dict:
    """A few headline figures of a result, to print beside the timings."""
    days = result["fund_daily"]
    last = max((k[2] for k in days), default=None)
    return {
        "fund_assets": len({k[:2] for k in days}),
        "days": len({k[2] for k in days}),
        "fund_closing_usd": sum(Decimal(str(v["closing_usd"] or 0)) for k, v in days.items() if k[2] == last),
        "compensation_paid_usd": Decimal(str(result["compensation_paid_usd"]["total"])),
        "claims_decided": sum(result["claims_decided"].values()),
    }


def compare_with_marts(result: dict, warehouse: str | Path, period: str) -> list[str]:
    """Where the pipeline's marts for `period` differ from a reference result: daily closing balances (in the
    asset and USD), the month's opening, inflows, outflows and closing per fund and asset, compensation paid in
    USD, and claims decided by decision."""
    from pipelines.warehouse import connect

    problems = []
    with connect(warehouse, read_only=True) as con:
        daily = con.execute(
            "SELECT fund_id, asset, CAST(day AS VARCHAR), balance, balance_usd FROM marts.insurance_fund_daily "
            "WHERE period = ?", [period]).fetchall()
        statement = con.execute(
            "SELECT fund_id, asset, opening_balance, inflows, outflows, closing_balance "
            "FROM marts.insurance_fund_period WHERE period = ?", [period]).fetchall()
        paid = con.execute("SELECT value FROM marts.period_metrics "
                           "WHERE period = ? AND metric = 'compensation_paid_usd'", [period]).fetchone()
        decided = dict(con.execute("SELECT decision, sum(claims) FROM marts.compensation_decisions WHERE period = ? "
                                   "GROUP BY decision", [period]).fetchall())
    days = result["fund_daily"]
    marts_daily = {(f, a, d): (balance, usd) for f, a, d, balance, usd in daily}
    if set(marts_daily) != set(days):
        problems.append(f"daily keys differ: {sorted(set(marts_daily) ^ set(days))[:5]}")
    for key in sorted(set(marts_daily) & set(days)):
        balance, usd = marts_daily[key]
        if _differs(balance, days[key]["closing"]) or _differs(usd, days[key]["closing_usd"]):
            problems.append(f"daily {key}: marts {balance} ({usd} USD), reference {days[key]['closing']} "
                            f"({days[key]['closing_usd']} USD)")
    for fund, asset, opening, inflows, outflows, closing in statement:
        mine = sorted((k[2], v) for k, v in days.items() if k[:2] == (fund, asset))
        if not mine:
            problems.append(f"statement {fund} {asset}: not in the reference")
            continue
        expected = (mine[0][1]["opening"], sum(Decimal(str(v["inflows"])) for _, v in mine),
                    sum(Decimal(str(v["outflows"])) for _, v in mine), mine[-1][1]["closing"])
        for name, x, y in zip(("opening", "inflows", "outflows", "closing"), (opening, inflows, outflows, closing),
                              expected):
            if _differs(x, y):
                problems.append(f"statement {fund} {asset} {name}: marts {x}, reference {y}")
    if paid is None or _differs(paid[0], result["compensation_paid_usd"]["total"]):
        problems.append(f"compensation_paid_usd: marts {paid and paid[0]}, reference "
                        f"{result['compensation_paid_usd']['total']}")
    decided = {k: int(v) for k, v in decided.items()}
    if decided != result["claims_decided"]:
        problems.append(f"claims decided: marts {decided}, reference {result['claims_decided']}")
    return problems

-- The period statement of every fund and asset: opening and closing balance (in the asset and in USD), flows,
-- the daily USD range, and the reconciliation of snapshots against the ledger:
--   difference = opening + Σ movements in the period − closing, which must be exactly 0.
-- Opening is valued at the close of the day before the period, closing at the close of its last day. Funds and
-- assets not yet held count as 0. A fund and asset known only from snapshots (no movement ledger at all, as some
-- exchanges publish) cannot be reconciled: has_ledger is false.
-- windows: month
WITH edges AS (
    SELECT w.window_id, b.fund_id, b.asset,
           any_value(b.balance) FILTER (WHERE b.t = w.start_at) AS opening_balance,
           any_value(b.anchor_at) FILTER (WHERE b.t = w.start_at) AS opening_snapshot_at,
           any_value(b.balance) FILTER (WHERE b.t = w.end_at) AS closing_balance,
           any_value(b.anchor_at) FILTER (WHERE b.t = w.end_at) AS closing_snapshot_at
    FROM int_fund_balances AS b JOIN windows AS w ON b.t IN (w.start_at, w.end_at)
    GROUP BY w.window_id, b.fund_id, b.asset
    HAVING bool_or(b.held)  -- funds and assets held at some time in the period
),
flows AS (
    SELECT period AS window_id, fund_id, asset,
           coalesce(sum(amount) FILTER (WHERE direction = 'inflow'), 0) AS inflows,
           coalesce(-sum(amount) FILTER (WHERE direction = 'outflow'), 0) AS outflows,
           coalesce(sum(amount_usd) FILTER (WHERE direction = 'inflow'), 0) AS inflows_usd,
           coalesce(-sum(amount_usd) FILTER (WHERE direction = 'outflow'), 0) AS outflows_usd,
           coalesce(sum(movements), 0) AS movements
    FROM marts.insurance_fund_flows WHERE period IN (SELECT window_id FROM windows)
    GROUP BY period, fund_id, asset
),
daily AS (
    SELECT period AS window_id, fund_id, asset, min(balance_usd) AS min_usd, max(balance_usd) AS max_usd,
           decimal_mean(balance_usd) AS mean_usd, count(balance_usd) AS days_valued
    FROM marts.insurance_fund_daily WHERE period IN (SELECT window_id FROM windows)
    GROUP BY period, fund_id, asset
)
SELECT w.window_id AS period, e.fund_id, e.asset,
       e.opening_balance, e.opening_snapshot_at, po.close_usd AS opening_close_usd,
       usd_balance(e.opening_balance, po.close_usd) AS opening_usd,
       coalesce(f.inflows, 0) AS inflows, coalesce(f.outflows, 0) AS outflows,
       coalesce(f.inflows_usd, 0) AS inflows_usd, coalesce(f.outflows_usd, 0) AS outflows_usd,
       coalesce(f.movements, 0) AS movements,
       e.closing_balance, e.closing_snapshot_at, pc.close_usd AS closing_close_usd,
       usd_balance(e.closing_balance, pc.close_usd) AS closing_usd,
       d.min_usd, d.max_usd, d.mean_usd, coalesce(d.days_valued, 0) AS days_valued,
       e.opening_balance + coalesce(f.inflows, 0) - coalesce(f.outflows, 0) - e.closing_balance
           AS reconciliation_difference,
       EXISTS (SELECT 1 FROM staging.insurance_fund_movements_extent AS m
               WHERE m.fund_id = e.fund_id AND m.asset = e.asset) AS has_ledger
FROM edges AS e
JOIN windows AS w USING (window_id)
LEFT JOIN flows AS f USING (window_id, fund_id, asset)
LEFT JOIN daily AS d USING (window_id, fund_id, asset)
LEFT JOIN staging.prices AS po ON po.asset = e.asset AND po.date = utc_date(w.start_at - INTERVAL 1 DAY)
LEFT JOIN staging.prices AS pc ON pc.asset = e.asset AND pc.date = utc_date(w.end_at - INTERVAL 1 DAY)

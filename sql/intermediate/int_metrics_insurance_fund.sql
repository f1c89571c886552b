-- Insurance-fund headline metrics of each window in `windows`, as (window_id, metric, value), over all funds and
-- assets in USD. Opening: balances at the start at the previous day's close; closing: at the end at the last day's
-- close; daily series: each day's closing balance at that day's close; max drawdown: the largest fall from a
-- running peak of the daily series, in %.
WITH valued AS (  -- total USD at each instant, at the close of the day ending there; NULL if any part is unknown
    SELECT b.t, utc_date(b.t - INTERVAL 1 DAY) AS day,
           CASE WHEN bool_or(usd_balance(b.balance, p.close_usd) IS NULL) THEN NULL
                ELSE sum(usd_balance(b.balance, p.close_usd)) END AS usd
    FROM int_fund_balances AS b
    LEFT JOIN staging.prices AS p ON p.asset = b.asset AND p.date = utc_date(b.t - INTERVAL 1 DAY)
    GROUP BY b.t
),
daily AS (  -- the daily series of each window, with its running peak
    SELECT w.window_id, v.day, v.usd,
           max(v.usd) OVER (PARTITION BY w.window_id ORDER BY v.day ROWS UNBOUNDED PRECEDING) AS peak
    FROM windows AS w JOIN valued AS v ON v.t > w.start_at AND v.t <= w.end_at
),
flows AS (
    SELECT w.window_id,
           coalesce(sum(m.amount_usd) FILTER (WHERE m.direction = 'inflow'), 0) AS inflows_usd,
           coalesce(-sum(m.amount_usd) FILTER (WHERE m.direction = 'outflow'), 0) AS outflows_usd,
           coalesce(sum(m.movements) FILTER (WHERE m.kind = 'bankruptcy_cover'), 0) AS bankruptcies_covered
    FROM windows AS w
    LEFT JOIN int_fund_movements_daily AS m
      ON m.day >= utc_date(w.start_at) AND m.day < utc_date(w.end_at)
    GROUP BY w.window_id
),
edges AS (  -- the start is valued at the close of the day before it, the end at the close of the last day
    SELECT w.window_id, o.usd AS opening_usd, c.usd AS closing_usd
    FROM windows AS w
    LEFT JOIN valued AS o ON o.t = w.start_at
    LEFT JOIN valued AS c ON c.t = w.end_at
),
wide AS (
    SELECT w.window_id,
           e.opening_usd AS insurance_fund_opening_usd,
           e.closing_usd AS insurance_fund_closing_usd,
           CAST((e.closing_usd - e.opening_usd) / nullif(e.opening_usd, 0) * 100 AS DECIMAL(18, 6))
               AS insurance_fund_change_pct,
           (SELECT min(usd) FROM daily AS d WHERE d.window_id = w.window_id) AS insurance_fund_min_usd,
           (SELECT max(usd) FROM daily AS d WHERE d.window_id = w.window_id) AS insurance_fund_max_usd,
           (SELECT decimal_mean(usd) FROM daily AS d WHERE d.window_id = w.window_id)
               AS insurance_fund_mean_usd,
           f.inflows_usd AS insurance_fund_inflows_usd,
           f.outflows_usd AS insurance_fund_outflows_usd,
           f.inflows_usd - f.outflows_usd AS insurance_fund_net_flow_usd,
           (SELECT CAST(coalesce(max((peak - usd) / peak) FILTER (WHERE peak > 0), 0) * 100 AS DECIMAL(18, 6))
            FROM daily AS d WHERE d.window_id = w.window_id) AS insurance_fund_max_drawdown_pct,
           f.bankruptcies_covered,
           -- the profile's adequacy rule (NULL without one): days of the daily series at or above its floor, target
           CASE WHEN rule.fund_floor_usd IS NOT NULL THEN
               (SELECT count(*) FILTER (WHERE usd >= rule.fund_floor_usd) FROM daily AS d
                WHERE d.window_id = w.window_id) END AS insurance_fund_days_meeting_floor,
           CASE WHEN rule.fund_target_usd IS NOT NULL THEN
               (SELECT count(*) FILTER (WHERE usd >= rule.fund_target_usd) FROM daily AS d
                WHERE d.window_id = w.window_id) END AS insurance_fund_days_meeting_target,
           (SELECT count(usd) FROM daily AS d WHERE d.window_id = w.window_id) AS insurance_fund_days_valued
    FROM windows AS w
    CROSS JOIN staging.entity AS rule
    LEFT JOIN edges AS e USING (window_id)
    LEFT JOIN flows AS f USING (window_id)
),
typed AS (SELECT window_id, COLUMNS(* EXCLUDE window_id)::DECIMAL(38, 12) FROM wide)
SELECT window_id, metric, value
FROM typed UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE window_id)))

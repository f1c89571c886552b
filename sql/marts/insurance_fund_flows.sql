-- Inflows and outflows of every fund and asset in the period by kind of movement, in the asset and in USD
-- (each day's movements at that day's close).
-- windows: month
SELECT w.window_id AS period, m.fund_id, m.asset, m.kind, m.direction,
       sum(m.movements) AS movements, sum(m.amount) AS amount, sum(m.amount_usd) AS amount_usd
FROM windows AS w
JOIN int_fund_movements_daily AS m ON m.day >= utc_date(w.start_at) AND m.day < utc_date(w.end_at)
GROUP BY ALL

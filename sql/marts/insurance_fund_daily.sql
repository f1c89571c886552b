-- Daily balance of every fund and asset it holds: the balance at the end of each UTC day of the period, valued at
-- that day's close.
-- windows: month
SELECT w.window_id AS period, utc_date(b.t - INTERVAL 1 DAY) AS day, b.fund_id, b.asset, b.balance,
       p.close_usd, usd_balance(b.balance, p.close_usd) AS balance_usd, b.anchor_at AS snapshot_at
FROM windows AS w
JOIN int_fund_balances AS b ON b.t > w.start_at AND b.t <= w.end_at AND b.held
LEFT JOIN staging.prices AS p ON p.asset = b.asset AND p.date = utc_date(b.t - INTERVAL 1 DAY)

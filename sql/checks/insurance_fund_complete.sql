-- Blocking. Every day of the period is covered: each fund and asset held has a balance (a snapshot at or before the
-- day) and, unless that balance is 0, a close price, every day and on the day before the period (the opening).
SELECT day, fund_id, asset,
       CASE WHEN balance IS NULL THEN 'no balance: no snapshot at or before the end of the day'
            ELSE 'no close price for the day' END AS problem
FROM marts.insurance_fund_daily
WHERE period = (SELECT window_id FROM windows) AND (balance IS NULL OR (close_usd IS NULL AND balance <> 0))
UNION ALL
SELECT utc_date((SELECT start_at FROM windows) - INTERVAL 1 DAY), fund_id, asset,
       CASE WHEN opening_balance IS NULL THEN 'no balance at the period start'
            ELSE 'no close price for the day before the period (opening valuation)' END
FROM marts.insurance_fund_period
WHERE period = (SELECT window_id FROM windows)
  AND (opening_balance IS NULL OR (opening_close_usd IS NULL AND opening_balance <> 0))
UNION ALL
SELECT NULL, NULL, NULL, 'no insurance-fund data at all'
WHERE NOT EXISTS (SELECT 1 FROM marts.insurance_fund_daily WHERE period = (SELECT window_id FROM windows))

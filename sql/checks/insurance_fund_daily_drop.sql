-- Warning. A fund's balance of an asset fell by more than 20 % from one day's end to the next (in the asset, so
-- price moves do not count), including the first day against the opening balance.
WITH series AS (
    SELECT fund_id, asset, day, balance,
           lag(balance) OVER (PARTITION BY fund_id, asset ORDER BY day) AS previous_balance
    FROM (
        SELECT fund_id, asset, day, balance FROM marts.insurance_fund_daily
        WHERE period = (SELECT window_id FROM windows)
        UNION ALL
        SELECT fund_id, asset, utc_date((SELECT start_at FROM windows) - INTERVAL 1 DAY), opening_balance
        FROM marts.insurance_fund_period WHERE period = (SELECT window_id FROM windows)
    )
)
SELECT fund_id, asset, day, previous_balance, balance,
       CAST((previous_balance - balance) / previous_balance * 100 AS DECIMAL(9, 2)) AS drop_pct
FROM series
WHERE previous_balance > 0 AND balance < previous_balance * 0.8

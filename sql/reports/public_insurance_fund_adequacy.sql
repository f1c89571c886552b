-- The insurance funds against the profile's adequacy rule, day by day: all funds together at each day's close,
-- and whether that met the floor and the target (no rows when the profile states no rule).
SELECT d.day, sum(d.balance_usd) AS total_usd, e.fund_floor_usd AS floor_usd, e.fund_target_usd AS target_usd,
       sum(d.balance_usd) >= e.fund_floor_usd AS meets_floor, sum(d.balance_usd) >= e.fund_target_usd AS meets_target
FROM marts.insurance_fund_daily AS d
CROSS JOIN staging.entity AS e
WHERE d.period = $period AND e.fund_floor_usd IS NOT NULL
GROUP BY d.day, e.fund_floor_usd, e.fund_target_usd
ORDER BY d.day

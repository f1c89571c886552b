-- The insurance funds' end-of-day USD value on every day of the period, per fund and in total (the 30-day chart).
SELECT d.day, d.fund_id, f.fund_name, sum(d.balance_usd) AS balance_usd,
       sum(sum(d.balance_usd)) OVER (PARTITION BY d.day) AS total_usd
FROM marts.insurance_fund_daily AS d
JOIN staging.funds AS f USING (fund_id)
WHERE d.period = $period
GROUP BY d.day, d.fund_id, f.fund_name
ORDER BY d.day, d.fund_id

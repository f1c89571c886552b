-- Insurance-fund inflows and outflows of the period by fund and kind, in USD at each day's close.
SELECT f.fund_id, n.fund_name, f.kind, f.direction, sum(f.movements) AS movements, sum(f.amount_usd) AS amount_usd
FROM marts.insurance_fund_flows AS f
JOIN staging.funds AS n USING (fund_id)
WHERE f.period = $period
GROUP BY ALL
ORDER BY f.fund_id, f.direction, abs(sum(f.amount_usd)) DESC, f.kind

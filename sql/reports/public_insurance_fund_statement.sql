-- The period statement of every fund and asset: opening, inflows, outflows and closing, in the asset and in USD.
SELECT p.fund_id, f.fund_name, p.asset, p.opening_balance, p.opening_usd, p.inflows, p.outflows,
       p.closing_balance, p.closing_usd, p.inflows_usd, p.outflows_usd, p.reconciliation_difference, p.has_ledger
FROM marts.insurance_fund_period AS p
JOIN staging.funds AS f USING (fund_id)
WHERE p.period = $period
ORDER BY p.fund_id, p.closing_usd DESC, p.asset

SELECT * FROM marts.insurance_fund_flows
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, fund_id, asset, kind, direction

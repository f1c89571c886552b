SELECT * FROM marts.insurance_fund_daily
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, day, fund_id, asset

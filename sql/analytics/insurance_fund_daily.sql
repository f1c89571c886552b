SELECT * FROM marts.insurance_fund_daily ORDER BY period, day, fund_id, asset

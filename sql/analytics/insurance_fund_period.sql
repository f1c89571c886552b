SELECT * FROM marts.insurance_fund_period ORDER BY period, fund_id, asset

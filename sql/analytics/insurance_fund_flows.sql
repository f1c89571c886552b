SELECT * FROM marts.insurance_fund_flows ORDER BY period, fund_id, asset, kind, direction

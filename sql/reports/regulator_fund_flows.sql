-- Fund movements of the period per fund, asset, kind and direction, in the asset and in USD.
SELECT * EXCLUDE (period) FROM marts.insurance_fund_flows WHERE period = $period
ORDER BY fund_id, asset, direction, kind

-- Warning. A fund and asset known only from balance snapshots, with no movement ledger, cannot be reconciled: its
-- changes are not explained by recorded inflows and outflows.
SELECT fund_id, asset, opening_balance, closing_balance, closing_balance - opening_balance AS unexplained_change
FROM marts.insurance_fund_period
WHERE period = (SELECT window_id FROM windows) AND NOT has_ledger

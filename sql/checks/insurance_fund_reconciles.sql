-- Blocking. Snapshots against the ledger: for every fund and asset with a movement ledger, opening + Σ movements in
-- the period − closing must be exactly 0 (and all three must be known). One row per fund and asset that does not
-- reconcile. (Funds known only from snapshots are the warning insurance_fund_without_ledger.)
SELECT fund_id, asset, opening_balance, opening_snapshot_at, inflows, outflows, closing_balance,
       closing_snapshot_at, reconciliation_difference
FROM marts.insurance_fund_period
WHERE period = (SELECT window_id FROM windows)
  AND has_ledger AND (reconciliation_difference IS NULL OR reconciliation_difference <> 0)

-- Fund statement and reconciliation per fund and asset (snapshots against the ledger).
SELECT * EXCLUDE (period) FROM marts.insurance_fund_period WHERE period = $period ORDER BY fund_id, asset

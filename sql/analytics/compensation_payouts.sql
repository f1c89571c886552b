SELECT * FROM marts.compensation_payouts ORDER BY period, paid_at, payout_id

SELECT * FROM marts.compensation_payouts
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, paid_at, payout_id

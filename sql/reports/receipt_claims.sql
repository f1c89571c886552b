-- The claims the month's compensation root commits to (pipelines/receipts.py): every claim decided in the period
-- and every claim paid in it, with its payouts of the period, each valued at its day's close as
-- compensation_payouts values it.
WITH paid AS (
    SELECT claim_id,
           list({'payout': payout_id, 'paid_at': paid_at, 'asset': asset, 'amount': amount, 'usd': amount_usd,
                 'funding_source': funding_source} ORDER BY paid_at, payout_id) AS payouts
    FROM marts.compensation_payouts WHERE period = $period
    GROUP BY claim_id
)
SELECT c.claim_id, c.account_ref, c.incident_id, c.decision, c.decided_at,
       coalesce(c.decided_at >= w.start_at AND c.decided_at < w.end_at, false) AS decided_in_period,
       c.claimed_asset, c.approved_amount, coalesce(p.payouts, []) AS payouts
FROM staging.compensation_claims AS c
CROSS JOIN windows AS w
LEFT JOIN paid AS p USING (claim_id)
WHERE (c.decided_at >= w.start_at AND c.decided_at < w.end_at) OR p.claim_id IS NOT NULL
ORDER BY c.claim_id

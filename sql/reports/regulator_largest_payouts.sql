-- The 20 largest payouts of the period in USD, with the claim, account and incident they settle.
SELECT payout_id, claim_id, incident_id, account_ref, paid_at, asset, amount, close_usd, amount_usd, method,
       funding_source
FROM marts.compensation_payouts WHERE period = $period
ORDER BY amount_usd DESC, payout_id
LIMIT 20

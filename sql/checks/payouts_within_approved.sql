-- Warning. A claim paid in the period has received more than was approved. Compared in the claimed asset when every
-- payout is in it; otherwise in USD, the payouts at their days' closes against the approved amount at the close of
-- the last payout day.
WITH claims AS (
    SELECT DISTINCT claim_id FROM marts.compensation_payouts WHERE period = (SELECT window_id FROM windows)
),
totals AS (
    SELECT c.claim_id, c.claimed_asset, c.approved_amount,
           count(*) FILTER (WHERE p.asset <> c.claimed_asset) AS payouts_in_other_assets,
           coalesce(sum(p.amount) FILTER (WHERE p.asset = c.claimed_asset), 0) AS paid_in_claimed_asset,
           sum(usd_value(p.amount, pp.close_usd)) AS paid_usd,
           usd_value(coalesce(c.approved_amount, 0), max_by(pa.close_usd, p.paid_at)) AS approved_usd
    FROM claims
    JOIN staging.compensation_claims AS c USING (claim_id)
    JOIN staging.compensation_payouts AS p USING (claim_id)
    LEFT JOIN staging.prices AS pp ON pp.asset = p.asset AND pp.date = utc_date(p.paid_at)
    LEFT JOIN staging.prices AS pa ON pa.asset = c.claimed_asset AND pa.date = utc_date(p.paid_at)
    GROUP BY c.claim_id, c.claimed_asset, c.approved_amount
)
SELECT claim_id, claimed_asset, approved_amount, paid_in_claimed_asset, paid_usd, approved_usd
FROM totals
WHERE CASE WHEN payouts_in_other_assets = 0 THEN paid_in_claimed_asset > coalesce(approved_amount, 0)
           ELSE paid_usd > approved_usd END

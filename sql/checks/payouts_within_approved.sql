-- Warning. A claim paid in the period has received more than was approved. Compared in the claimed asset when every
-- payout is in it; otherwise in USD, the payouts at their days' closes against the approved amount at the close of
-- the last payout day.
WITH payouts AS (
    SELECT c.claim_id, c.claimed_asset, c.approved_amount, p.asset, p.amount, p.paid_at
    FROM (SELECT DISTINCT claim_id FROM marts.compensation_payouts WHERE period = (SELECT window_id FROM windows))
         AS paid
    JOIN staging.compensation_claims AS c USING (claim_id)
    JOIN staging.compensation_payouts AS p USING (claim_id)
),
totals AS (
    SELECT claim_id, claimed_asset, approved_amount,
           count(*) FILTER (WHERE asset <> claimed_asset) AS payouts_in_other_assets,
           coalesce(sum(amount) FILTER (WHERE asset = claimed_asset), 0) AS paid_in_claimed_asset
    FROM payouts GROUP BY ALL
),
in_usd AS (  -- only the claims paid in another asset need prices (few of a million)
    SELECT p.claim_id, sum(usd_value(p.amount, pp.close_usd)) AS paid_usd,
           usd_value(coalesce(p.approved_amount, 0), max_by(pa.close_usd, p.paid_at)) AS approved_usd
    FROM payouts AS p
    JOIN totals AS t ON t.claim_id = p.claim_id AND t.payouts_in_other_assets > 0
    LEFT JOIN staging.prices AS pp ON pp.asset = p.asset AND pp.date = utc_date(p.paid_at)
    LEFT JOIN staging.prices AS pa ON pa.asset = p.claimed_asset AND pa.date = utc_date(p.paid_at)
    GROUP BY p.claim_id, p.approved_amount
)
SELECT t.claim_id, t.claimed_asset, t.approved_amount, t.paid_in_claimed_asset, u.paid_usd, u.approved_usd
FROM totals AS t LEFT JOIN in_usd AS u USING (claim_id)
WHERE CASE WHEN t.payouts_in_other_assets = 0 THEN t.paid_in_claimed_asset > coalesce(t.approved_amount, 0)
           ELSE u.paid_usd > u.approved_usd END

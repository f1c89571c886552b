-- The claims the month's compensation root commits to (pipelines/receipt_store.py): every claim decided in the period
-- and every claim paid in it, with its payouts of the period, each valued at its day's close as
-- compensation_payouts values it. Each claim comes with what it adds to the root's sums and with its leaf data as
-- canonical JSON (docs/RECEIPTS.md, "Leaves"), but for the members the secret derives (account, salt) and those of
-- each part (part, parts, sums): `leaf_claim` holds the members from approved_amount to incident, `leaf_payouts`
-- payouts and period, each in the order canonical JSON sorts them.
WITH paid AS (
    SELECT claim_id,
           count(*) AS payouts,
           sum(CAST(amount_usd * 1000000000000 AS HUGEINT)) AS paid_units,
           coalesce(sum(CAST(amount_usd * 1000000000000 AS HUGEINT)) FILTER (funding_source = 'insurance_fund'), 0)
               AS paid_units_insurance_fund,
           string_agg('{"amount":' || json_text(plain_decimal(amount)) || ',"asset":' || json_text(asset)
                      || ',"funding_source":' || json_text(funding_source) || ',"paid_at":' || json_text(iso_utc(paid_at))
                      || ',"payout":' || json_text(payout_id)
                      || ',"usd":' || json_text(CAST(CAST(amount_usd AS DECIMAL(38, 12)) AS VARCHAR)) || '}',
                      ',' ORDER BY paid_at, payout_id) AS payouts_json
    FROM marts.compensation_payouts WHERE period = $period
    GROUP BY claim_id
),
claims AS (
    SELECT c.*, coalesce(c.decided_at >= w.start_at AND c.decided_at < w.end_at, false) AS decided_in_period,
           coalesce(p.payouts, 0) AS payouts, coalesce(p.paid_units, 0) AS paid_units,
           coalesce(p.paid_units_insurance_fund, 0) AS paid_units_insurance_fund, p.payouts_json
    FROM staging.compensation_claims AS c
    CROSS JOIN windows AS w
    LEFT JOIN paid AS p USING (claim_id)
    WHERE (c.decided_at >= w.start_at AND c.decided_at < w.end_at) OR p.claim_id IS NOT NULL
)
SELECT claim_id, account_ref, decided_in_period, decision, payouts, paid_units, paid_units_insurance_fund,
       '"approved_amount":' || json_text(plain_decimal(approved_amount)) || ',"asset":' || json_text(claimed_asset)
       || ',"claim":' || json_text(claim_id) || ',"decided_at":' || json_text(iso_utc(decided_at))
       || ',"decided_in_period":' || CASE WHEN decided_in_period THEN 'true' ELSE 'false' END
       || ',"decision":' || json_text(decision) || ',"incident":' || json_text(incident_id) AS leaf_claim,
       '"payouts":[' || coalesce(payouts_json, '') || '],"period":' || json_text($period) AS leaf_payouts
FROM claims  -- in no order: the tree orders its leaves by the key

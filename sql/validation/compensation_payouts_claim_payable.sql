-- A payout pays a claim that was approved (fully or partly), and not before the claim was submitted.
SELECT p._file, p._row, 'payout_id=' || p.payout_id AS record, 'claim_id' AS field,
       'a claim decided approved or partially_approved' AS expected,
       p.claim_id || ' (decision ' || c.decision || ')' AS found
FROM raw_compensation_payouts AS p
JOIN staging.compensation_claims AS c ON c.claim_id = p.claim_id
WHERE c.decision NOT IN ('approved', 'partially_approved')
UNION ALL
SELECT p._file, p._row, 'payout_id=' || p.payout_id, 'paid_at',
       'not before its claim was submitted (' || strftime(c.submitted_at, '%Y-%m-%dT%H:%M:%SZ') || ')',
       coalesce(p.paid_at__text, CAST(p.paid_at AS VARCHAR))
FROM raw_compensation_payouts AS p
JOIN staging.compensation_claims AS c ON c.claim_id = p.claim_id
WHERE p.paid_at < c.submitted_at

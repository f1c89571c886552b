-- A decision's fields agree with it: decided_at iff decided, a reason iff rejected,
-- an approved amount iff (partially) approved, and never more than was claimed.
WITH claims AS (
    SELECT *, 'claim_id=' || claim_id AS record,
           decision IN ('approved', 'partially_approved') AS approves,
           decided_at IS NOT NULL OR decided_at__text IS NOT NULL AS has_decided_at,
           approved_amount IS NOT NULL OR approved_amount__text IS NOT NULL AS has_approved_amount,
           coalesce(approved_amount__text, CAST(approved_amount AS VARCHAR)) AS approved_text
    FROM raw_compensation_claims
)
SELECT _file, _row, record, 'decided_at', 'a decision time exactly when the decision is not pending',
       coalesce(decided_at__text, CAST(decided_at AS VARCHAR))
FROM claims WHERE (decision = 'pending') = has_decided_at
UNION ALL
SELECT _file, _row, record, 'rejection_reason', 'a rejection reason exactly when the decision is rejected',
       coalesce(rejection_reason, 'empty') || ' with decision ' || decision
FROM claims WHERE (decision = 'rejected') <> (rejection_reason IS NOT NULL)
UNION ALL
SELECT _file, _row, record, 'approved_amount',
       'an approved amount exactly when the decision is approved or partially_approved',
       coalesce(approved_text, 'empty') || ' with decision ' || decision
FROM claims WHERE approves <> has_approved_amount
UNION ALL
SELECT _file, _row, record, 'approved_amount',
       'no more than claimed_amount (' || coalesce(claimed_amount__text, CAST(claimed_amount AS VARCHAR)) || ')',
       approved_text
FROM claims WHERE approved_amount > claimed_amount

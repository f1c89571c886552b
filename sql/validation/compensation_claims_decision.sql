-- A decision's fields agree with it: decided_at iff decided, a reason iff rejected,
-- an approved amount iff (partially) approved, and never more than was claimed.
WITH claims AS (
    SELECT *, 'claim_id=' || claim_id AS record,
           decision IN ('approved', 'partially_approved') AS approves
    FROM raw_compensation_claims
)
SELECT _file, _row, record, 'decided_at', 'a decision time exactly when the decision is not pending', decided_at
FROM claims WHERE (decision = 'pending') <> (decided_at IS NULL)
UNION ALL
SELECT _file, _row, record, 'rejection_reason', 'a rejection reason exactly when the decision is rejected',
       coalesce(rejection_reason, 'empty') || ' with decision ' || decision
FROM claims WHERE (decision = 'rejected') <> (rejection_reason IS NOT NULL)
UNION ALL
SELECT _file, _row, record, 'approved_amount',
       'an approved amount exactly when the decision is approved or partially_approved',
       coalesce(approved_amount, 'empty') || ' with decision ' || decision
FROM claims WHERE approves <> (approved_amount IS NOT NULL)
UNION ALL
SELECT _file, _row, record, 'approved_amount', 'no more than claimed_amount (' || claimed_amount || ')',
       approved_amount
FROM claims
WHERE TRY_CAST(approved_amount AS DECIMAL(38, 18)) > TRY_CAST(claimed_amount AS DECIMAL(38, 18))

-- Claims decided in the period by decision and rejection reason, unsuppressed.
SELECT decision, nullif(rejection_reason, '') AS rejection_reason, claims, users, claimed_usd, approved_usd
FROM marts.compensation_decisions WHERE period = $period
ORDER BY CASE decision WHEN 'approved' THEN 1 WHEN 'partially_approved' THEN 2 WHEN 'rejected' THEN 3 ELSE 4 END,
         rejection_reason

-- Compensation per incident: claims received for it (ever), decided by decision, pending at period end, and
-- paid in the period.
WITH w AS (SELECT * FROM windows),
claims AS (
    SELECT coalesce(c.incident_id, '(no incident)') AS incident_id,
           count(*) FILTER (WHERE c.submitted_at < w.end_at) AS claims,
           count(*) FILTER (WHERE c.decided_at < w.end_at AND c.decision IN ('approved', 'partially_approved'))
               AS approved,
           count(*) FILTER (WHERE c.decided_at < w.end_at AND c.decision = 'rejected') AS rejected,
           count(*) FILTER (WHERE c.submitted_at < w.end_at AND (c.decided_at IS NULL OR c.decided_at >= w.end_at))
               AS pending
    FROM staging.compensation_claims AS c, w
    GROUP BY ALL
),
paid AS (
    SELECT coalesce(incident_id, '(no incident)') AS incident_id, count(*) AS payouts,
           count(DISTINCT account_ref) AS users, sum(amount_usd) AS paid_usd
    FROM marts.compensation_payouts WHERE period = $period GROUP BY ALL
)
SELECT c.incident_id, i.title, c.claims, c.approved, c.rejected, c.pending,
       coalesce(p.payouts, 0) AS payouts, coalesce(p.users, 0) AS users, coalesce(p.paid_usd, 0) AS paid_usd
FROM claims AS c
LEFT JOIN paid AS p USING (incident_id)
LEFT JOIN staging.incidents AS i USING (incident_id)
WHERE c.claims > 0 AND (p.payouts > 0 OR c.pending > 0 OR i.started_at >= (SELECT start_at FROM w))
ORDER BY coalesce(p.paid_usd, 0) DESC, c.incident_id

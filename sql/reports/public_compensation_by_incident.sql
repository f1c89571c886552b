-- Compensation per incident in the period: claims received, claims decided by decision, users paid, USD paid and the
-- median hours from a claim's submission to its first payout (claims first paid in the period); claims about no
-- incident form one row. Small cells are withheld with the decisions table's rules: a row about fewer than k users
-- (its claims' distinct accounts) is withheld whole, and when that leaves exactly one withheld row the next
-- smallest is withheld too; within a published row a count of fewer than k (other than 0) reads < k, and a column
-- with exactly one such cell withholds its next smallest cell too, so that nothing is recovered from the totals.
WITH w AS (SELECT * FROM windows),
k AS (SELECT small_cell_k AS k FROM staging.entity),
claims AS (
    SELECT coalesce(c.incident_id, '') AS incident_id, c.claim_id, c.account_ref,
           c.submitted_at >= w.start_at AND c.submitted_at < w.end_at AS received,
           CASE WHEN c.decided_at >= w.start_at AND c.decided_at < w.end_at THEN c.decision END AS decided
    FROM staging.compensation_claims AS c, w
),
paid AS (
    SELECT coalesce(incident_id, '') AS incident_id, claim_id, account_ref, sum(amount_usd) AS paid_usd
    FROM marts.compensation_payouts WHERE period = $period GROUP BY ALL
),
first_paid AS (  -- claims whose first payout ever falls in the period, and how long it took
    SELECT coalesce(c.incident_id, '') AS incident_id,
           (epoch_us(min(p.paid_at)) - epoch_us(c.submitted_at)) / 3600e6 AS hours
    FROM staging.compensation_claims AS c JOIN staging.compensation_payouts AS p USING (claim_id), w
    GROUP BY c.claim_id, c.incident_id, c.submitted_at, w.start_at, w.end_at
    HAVING min(p.paid_at) >= w.start_at AND min(p.paid_at) < w.end_at
),
involved AS (  -- the row's users: accounts with a claim received, decided or paid in the period
    SELECT incident_id, account_ref FROM claims WHERE received OR decided IS NOT NULL
    UNION SELECT incident_id, account_ref FROM paid
),
per_incident AS (  -- each of claims, payouts and first payouts aggregated once, by incident
    SELECT i.incident_id, i.users,
           coalesce(c.received, 0) AS received, coalesce(c.approved, 0) AS approved,
           coalesce(c.partially_approved, 0) AS partially_approved, coalesce(c.rejected, 0) AS rejected,
           coalesce(c.withdrawn, 0) AS withdrawn, coalesce(p.users_paid, 0) AS users_paid,
           coalesce(p.paid_usd, 0) AS paid_usd, f.hours_to_pay_median
    FROM (SELECT incident_id, count(DISTINCT account_ref) AS users FROM involved GROUP BY incident_id) AS i
    LEFT JOIN (SELECT incident_id, count(*) FILTER (WHERE received) AS received,
                      count(*) FILTER (WHERE decided = 'approved') AS approved,
                      count(*) FILTER (WHERE decided = 'partially_approved') AS partially_approved,
                      count(*) FILTER (WHERE decided = 'rejected') AS rejected,
                      count(*) FILTER (WHERE decided = 'withdrawn') AS withdrawn
               FROM claims GROUP BY incident_id) AS c USING (incident_id)
    LEFT JOIN (SELECT incident_id, count(DISTINCT account_ref) AS users_paid, sum(paid_usd) AS paid_usd
               FROM paid GROUP BY incident_id) AS p USING (incident_id)
    LEFT JOIN (SELECT incident_id, quantile_cont(hours, 0.5) AS hours_to_pay_median
               FROM first_paid GROUP BY incident_id) AS f USING (incident_id)
),
rows AS (  -- the decisions table's rule, by row
    SELECT p.*, p.users < k.k AS primary_suppressed,
           count(*) FILTER (WHERE p.users < k.k) OVER () AS withheld,
           row_number() OVER (PARTITION BY p.users < k.k ORDER BY p.users, p.incident_id) AS smallest
    FROM per_incident AS p, k
),
published AS (
    SELECT * EXCLUDE (primary_suppressed, withheld, smallest),
           primary_suppressed OR (withheld = 1 AND smallest = 1 AND NOT primary_suppressed) AS suppressed
    FROM rows
),
cells AS (  -- each count of a published row, and whether it is a small cell
    SELECT incident_id, measure, n, n > 0 AND n < (SELECT k FROM k) AS small
    FROM (UNPIVOT (SELECT incident_id, received, approved, partially_approved, rejected, withdrawn, users_paid
                   FROM published WHERE NOT suppressed)
          ON received, approved, partially_approved, rejected, withdrawn, users_paid INTO NAME measure VALUE n)
),
cell_rule AS (  -- a column with exactly one small cell withholds its next smallest non-zero cell too
    SELECT *, small OR (count(*) FILTER (WHERE small) OVER (PARTITION BY measure) = 1 AND NOT small AND n > 0
                        AND n = min(n) FILTER (WHERE NOT small AND n > 0) OVER (PARTITION BY measure)) AS hidden
    FROM cells
),
hidden AS (
    SELECT incident_id, list(measure) FILTER (WHERE hidden) AS hidden FROM cell_rule GROUP BY incident_id
),
shown AS (
    SELECT nullif(p.incident_id, '') AS incident_id, i.title,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'received') THEN NULL ELSE p.received END AS received,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'approved') THEN NULL ELSE p.approved END AS approved,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'partially_approved') THEN NULL
                ELSE p.partially_approved END AS partially_approved,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'rejected') THEN NULL ELSE p.rejected END AS rejected,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'withdrawn') THEN NULL ELSE p.withdrawn END AS withdrawn,
           CASE WHEN p.suppressed OR list_contains(h.hidden, 'users_paid') THEN NULL ELSE p.users_paid END AS users_paid,
           -- amounts and times describe the users paid: withheld with them
           CASE WHEN p.suppressed OR p.users_paid < (SELECT k FROM k) OR list_contains(h.hidden, 'users_paid') THEN NULL
                ELSE p.paid_usd END AS paid_usd,
           CASE WHEN p.suppressed OR p.users_paid < (SELECT k FROM k) OR list_contains(h.hidden, 'users_paid') THEN NULL
                ELSE CAST(p.hours_to_pay_median AS DECIMAL(18, 2)) END AS hours_to_pay_median,
           p.suppressed
    FROM published AS p
    LEFT JOIN hidden AS h USING (incident_id)
    LEFT JOIN staging.incidents AS i ON i.incident_id = p.incident_id
)
-- ordered by what is shown, so that the order reveals nothing withheld
SELECT * FROM shown ORDER BY suppressed, paid_usd DESC NULLS LAST, incident_id NULLS FIRST

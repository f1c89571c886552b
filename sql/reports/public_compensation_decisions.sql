-- Claims decided in the period by decision and rejection reason. A row about fewer than k users is withheld
-- (claims, users and amount); when that leaves exactly one withheld row, the next smallest row is withheld too, so
-- that no withheld figure can be recovered by subtracting the others from the published total.
WITH k AS (SELECT small_cell_k AS k FROM staging.entity),
rows AS (
    SELECT c.*, c.users > 0 AND c.users < k.k AS primary_suppressed,
           CASE c.decision WHEN 'approved' THEN 1 WHEN 'partially_approved' THEN 2 WHEN 'rejected' THEN 3
                           WHEN 'withdrawn' THEN 4 ELSE 5 END AS position
    FROM marts.compensation_decisions AS c, k
    WHERE c.period = $period
),
ranked AS (
    SELECT *, count(*) FILTER (WHERE primary_suppressed) OVER () AS withheld,
           row_number() OVER (PARTITION BY primary_suppressed ORDER BY users, decision, rejection_reason) AS smallest
    FROM rows
),
marked AS (
    SELECT *, primary_suppressed OR (withheld = 1 AND NOT primary_suppressed AND smallest = 1) AS suppressed
    FROM ranked
)
SELECT decision, nullif(rejection_reason, '') AS rejection_reason,
       CASE WHEN suppressed THEN NULL ELSE claims END AS claims,
       CASE WHEN suppressed THEN NULL ELSE users END AS users,
       CASE WHEN suppressed THEN NULL ELSE approved_usd END AS approved_usd,
       suppressed
FROM marked
ORDER BY position, rejection_reason

-- Claims pending at the period end by age; buckets about fewer than k users are withheld, and with exactly one
-- withheld the next smallest too (the total pending is published).
WITH k AS (SELECT small_cell_k AS k FROM staging.entity),
rows AS (
    SELECT b.*, b.users > 0 AND b.users < k.k AS primary_suppressed
    FROM marts.claims_backlog AS b, k WHERE b.period = $period
),
ranked AS (
    SELECT *, count(*) FILTER (WHERE primary_suppressed) OVER () AS withheld,
           row_number() OVER (PARTITION BY primary_suppressed ORDER BY users, position) AS smallest
    FROM rows
)
SELECT bucket, position,
       CASE WHEN suppressed THEN NULL ELSE claims END AS claims,
       CASE WHEN suppressed THEN NULL ELSE users END AS users,
       suppressed
FROM (SELECT *, primary_suppressed OR (withheld = 1 AND NOT primary_suppressed AND smallest = 1) AS suppressed
      FROM ranked)
ORDER BY position

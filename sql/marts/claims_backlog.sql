-- Claims pending at the period end (submitted before it, not decided before it), by age at the period end.
-- windows: month
WITH pending AS (
    SELECT w.window_id, c.claim_id, c.account_ref,
           (epoch_us(w.end_at) - epoch_us(c.submitted_at)) / 86400e6 AS age_days
    FROM windows AS w
    JOIN staging.compensation_claims AS c
      ON c.submitted_at < w.end_at AND (c.decided_at IS NULL OR c.decided_at >= w.end_at)
)
SELECT window_id AS period, bucket, position, count(claim_id) AS claims, count(DISTINCT account_ref) AS users,
       CAST(max(age_days) AS DECIMAL(18, 2)) AS oldest_days
FROM (
    SELECT *,
           CASE WHEN age_days < 7 THEN '0-7 days' WHEN age_days < 30 THEN '7-30 days'
                WHEN age_days < 90 THEN '30-90 days' ELSE '90+ days' END AS bucket,
           CASE WHEN age_days < 7 THEN 1 WHEN age_days < 30 THEN 2 WHEN age_days < 90 THEN 3 ELSE 4 END AS position
    FROM pending)
GROUP BY ALL

-- Public headline figures of the period beside the month before. Small cells are withheld: a count of fewer than
-- k users (or claims) other than 0, and any figure about the users compensated when they are fewer than k.
WITH k AS (SELECT small_cell_k AS k FROM staging.entity),
mom AS (SELECT * FROM marts.period_metrics_mom WHERE period = $period),
rows AS (
    SELECT d.metric, d.label, d.unit, d.description, m.value, m.previous_value, m.change, m.change_pct,
           coalesce(g.value > 0 AND g.value < k.k, false) AS suppressed,
           coalesce(g.previous_value > 0 AND g.previous_value < k.k, false) AS previous_suppressed
    FROM staging.metric_definitions AS d
    JOIN mom AS m USING (metric)
    LEFT JOIN mom AS g ON g.metric = d.small_cell
    CROSS JOIN k
    WHERE d.public = 'yes'
)
SELECT metric, label, unit, description,
       CASE WHEN suppressed THEN NULL ELSE value END AS value,
       CASE WHEN previous_suppressed THEN NULL ELSE previous_value END AS previous_value,
       CASE WHEN suppressed OR previous_suppressed THEN NULL ELSE change END AS change,
       CASE WHEN suppressed OR previous_suppressed THEN NULL ELSE change_pct END AS change_pct,
       suppressed, previous_suppressed
FROM rows
ORDER BY metric

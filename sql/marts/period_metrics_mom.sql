-- Month over month: every headline metric of the period beside the month before. The previous value is computed
-- now, from the same data (window_metrics holds both months); the classification counts come from the previous
-- period's stored metrics, when that period has been built.
WITH periods AS (
    SELECT max_by(window_id, start_at) AS current, min_by(window_id, start_at) AS previous FROM windows
),
previous AS (
    SELECT metric, value FROM window_metrics WHERE window_id = (SELECT previous FROM periods)
    UNION ALL
    SELECT metric, value FROM marts.period_metrics
    WHERE period = (SELECT previous FROM periods)
      AND metric NOT IN (SELECT metric FROM window_metrics)
)
SELECT c.period, c.metric, c.value, p.value AS previous_value, c.value - p.value AS change,
       CASE WHEN p.value <> 0 THEN CAST((c.value - p.value) / abs(p.value) * 100 AS DECIMAL(18, 6)) END AS change_pct,
       c.unit
FROM marts.period_metrics AS c
LEFT JOIN previous AS p USING (metric)
WHERE c.period = (SELECT current FROM periods)

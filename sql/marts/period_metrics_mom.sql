-- Month over month: every headline metric of the period beside the month before. Both come from window_metrics,
-- computed in the same run from the same data (windows holds both months), so a month's figures do not depend on
-- the order months are built in; the previous month's classification counts read its stored incident register.
WITH periods AS (
    SELECT max_by(window_id, start_at) AS current, min_by(window_id, start_at) AS previous FROM windows
),
previous AS (SELECT metric, value FROM window_metrics WHERE window_id = (SELECT previous FROM periods))
SELECT c.period, c.metric, c.value, p.value AS previous_value, c.value - p.value AS change,
       CASE WHEN p.value <> 0 THEN CAST((c.value - p.value) / abs(p.value) * 100 AS DECIMAL(18, 6)) END AS change_pct,
       c.unit
FROM marts.period_metrics AS c
LEFT JOIN previous AS p USING (metric)
WHERE c.period = (SELECT current FROM periods)

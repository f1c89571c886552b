-- The long table every headline figure of both reports is read from: the period's window metrics (temporary
-- table window_metrics, computed by the metrics_*.sql files, the classification counts among them). `windows`
-- holds the period and the month before it; the period is the later one.
WITH period AS (SELECT window_id FROM windows ORDER BY start_at DESC LIMIT 1)
SELECT m.window_id AS period, m.metric, m.value, d.unit
FROM window_metrics AS m LEFT JOIN staging.metric_definitions AS d USING (metric)
WHERE m.window_id = (SELECT window_id FROM period)

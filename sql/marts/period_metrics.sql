-- The long table every headline figure of both reports is read from: the period's window metrics
-- (temporary table window_metrics, computed by the metrics_*.sql files) plus the counts that need the period's
-- incident classification. `windows` holds the period and the month before it; the period is the later one.
WITH period AS (SELECT window_id FROM windows ORDER BY start_at DESC LIMIT 1),
classified AS (
    SELECT 'incidents_major' AS metric, count(*) FILTER (WHERE is_major AND started_in_period) AS value
    FROM marts.incident_register WHERE period = (SELECT window_id FROM period)
    UNION ALL
    SELECT 'incidents_recurring', count(*) FILTER (WHERE recurring AND started_in_period)
    FROM marts.incident_register WHERE period = (SELECT window_id FROM period)
    UNION ALL
    SELECT 'notifications_late_or_missing', count(*) FILTER (WHERE status IN ('late', 'missing'))
    FROM marts.notification_deadlines WHERE period = (SELECT window_id FROM period)
),
metrics AS (
    SELECT metric, value FROM window_metrics WHERE window_id = (SELECT window_id FROM period)
    UNION ALL
    SELECT metric, CAST(value AS DECIMAL(38, 12)) FROM classified
)
SELECT (SELECT window_id FROM period) AS period, m.metric, m.value, d.unit
FROM metrics AS m LEFT JOIN staging.metric_definitions AS d USING (metric)

-- Regulatory classification metrics of each calendar-month window in `windows`, as (window_id, metric, value):
-- major and recurring incidents started in the month, and late or missing notifications of its major incidents.
-- They read the month's stored marts.incident_register and marts.notification_deadlines (partition = window_id),
-- the verdicts as known at that month's end.
SELECT w.window_id, 'incidents_major' AS metric,
       CAST(count(r.incident_id) FILTER (WHERE r.is_major AND r.started_in_period) AS DECIMAL(38, 12)) AS value
FROM windows AS w LEFT JOIN marts.incident_register AS r ON r.period = w.window_id
GROUP BY w.window_id
UNION ALL
SELECT w.window_id, 'incidents_recurring',
       CAST(count(r.incident_id) FILTER (WHERE r.recurring AND r.started_in_period) AS DECIMAL(38, 12))
FROM windows AS w LEFT JOIN marts.incident_register AS r ON r.period = w.window_id
GROUP BY w.window_id
UNION ALL
SELECT w.window_id, 'notifications_late_or_missing',
       CAST(count(n.incident_id) FILTER (WHERE n.status IN ('late', 'missing')) AS DECIMAL(38, 12))
FROM windows AS w LEFT JOIN marts.notification_deadlines AS n ON n.period = w.window_id
GROUP BY w.window_id

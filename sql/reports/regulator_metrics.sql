-- Every metric of the period beside the month before, unsuppressed, with its definition.
SELECT m.metric, d.label, m.unit, m.value, m.previous_value, m.change, m.change_pct, d.description
FROM marts.period_metrics_mom AS m
LEFT JOIN staging.metric_definitions AS d USING (metric)
WHERE m.period = $period
ORDER BY m.metric

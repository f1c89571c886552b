-- The long table every headline figure of both reports is read from: the period's window metrics (temporary
-- table window_metrics over the one window of the period, computed by the metrics_*.sql files, the classification
-- counts among them).
SELECT m.window_id AS period, m.metric, m.value, d.unit
FROM window_metrics AS m LEFT JOIN staging.metric_definitions AS d USING (metric)

-- The long table every headline figure of both reports is read from: the period's metrics (int_month_metrics over
-- the period's window, the classification counts among them), with their units.
-- windows: month
SELECT m.window_id AS period, m.metric, m.value, d.unit
FROM int_month_metrics AS m LEFT JOIN staging.metric_definitions AS d USING (metric)

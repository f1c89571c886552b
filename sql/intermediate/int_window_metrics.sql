-- Every headline metric of each window in `windows`, as (window_id, metric, value): incidents, compensation and
-- insurance funds, each computed from the staged data over any set of windows.
SELECT * FROM int_metrics_incidents
UNION ALL
SELECT * FROM int_metrics_compensation
UNION ALL
SELECT * FROM int_metrics_insurance_fund

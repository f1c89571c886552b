-- The headline metrics of calendar-month windows: every window metric plus the classification counts, which read
-- each month's stored incident register (so only a month's window has them).
SELECT * FROM int_window_metrics
UNION ALL
SELECT * FROM int_metrics_classification

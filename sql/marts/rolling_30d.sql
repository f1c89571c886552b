-- Trailing 30-day metrics: for each day of the period, the window metrics of the 30 days ending with it
-- (int_window_metrics over one window per day; window_id is the day).
-- windows: trailing_30_days
SELECT $period AS period, CAST(window_id AS DATE) AS as_of_date, metric, value
FROM int_window_metrics

-- Trailing 30-day metrics: for each day of the period, the window metrics of the 30 days ending with it
-- (window_metrics computed over one window per day; window_id is the day).
SELECT $period AS period, CAST(window_id AS DATE) AS as_of_date, metric, value
FROM window_metrics

SELECT * FROM marts.period_metrics
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, metric

SELECT * FROM marts.period_metrics ORDER BY period, metric

SELECT * FROM marts.period_metrics_mom ORDER BY period, metric

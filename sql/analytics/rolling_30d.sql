SELECT as_of_date, metric, value FROM marts.rolling_30d
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY as_of_date, metric

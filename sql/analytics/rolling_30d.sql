SELECT as_of_date, metric, value FROM marts.rolling_30d ORDER BY as_of_date, metric

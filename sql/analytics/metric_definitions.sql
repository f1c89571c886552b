SELECT * FROM staging.metric_definitions ORDER BY metric

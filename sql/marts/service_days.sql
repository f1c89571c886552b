-- Every service on every UTC day of the period: its down time by impact level and the day's worst impact, for
-- the daily uptime bars of the transparency page (the down time of each level: int_service_downtime).
-- windows: days
SELECT $period AS period, CAST(window_id AS DATE) AS day, service, service_name, critical,
       CAST(outage_us / 60e6 AS DECIMAL(18, 4)) AS outage_minutes,
       CAST(partial_us / 60e6 AS DECIMAL(18, 4)) AS partial_minutes,
       CAST(degraded_us / 60e6 AS DECIMAL(18, 4)) AS degraded_minutes,
       CAST(1 - (outage_us + partial_us) / window_us AS DECIMAL(18, 10)) AS availability_strict,
       CASE WHEN outage_us > 0 THEN 'major_outage'
            WHEN partial_us > 0 THEN 'partial_outage'
            WHEN degraded_us > 0 THEN 'degraded_performance'
            ELSE 'operational' END AS worst_impact
FROM int_service_downtime

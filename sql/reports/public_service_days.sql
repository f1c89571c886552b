-- Every service on every day of the period: its worst impact and the minutes of each impact level (the
-- transparency page's daily uptime bars read them from each month's latest version).
SELECT day, service, service_name, worst_impact, outage_minutes, partial_minutes, degraded_minutes,
       availability_strict
FROM marts.service_days
WHERE period = $period
ORDER BY day, service

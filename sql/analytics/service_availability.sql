SELECT * FROM marts.service_availability
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, service

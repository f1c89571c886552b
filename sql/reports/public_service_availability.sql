-- Availability of every service in the period under the three conventions, with the minutes behind them
-- (down_minutes: major or partial outage, the strict convention).
SELECT service, service_name, critical, outage_minutes, partial_minutes, degraded_minutes,
       outage_minutes + partial_minutes AS down_minutes,
       availability_strict, availability_weighted, availability_lenient
FROM marts.service_availability
WHERE period = $period
ORDER BY NOT critical, service

SELECT * FROM marts.service_availability ORDER BY period, service

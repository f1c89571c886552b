SELECT * FROM marts.service_days

-- Data-quality attestation: every check run on the period and what it found.
SELECT asset, check_name, severity, failures, failures = 0 AS passed
FROM marts.check_results WHERE period = $period ORDER BY severity, asset, check_name

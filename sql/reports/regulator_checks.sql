-- Data-quality attestation: every check run on the period and what it found.
-- (`asset` in the report and its attachment is the Dagster asset key the check is attached to.)
SELECT asset_key AS asset, check_name, severity, failures, failures = 0 AS passed
FROM marts.check_results WHERE period = $period ORDER BY severity, asset_key, check_name

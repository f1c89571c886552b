-- The major-incident verdict of every incident classified for each window's period (marts.incident_classification,
-- period = window_id): major when it affects a critical service and either involved malicious unauthorised access
-- or meets at least the profile's number of the other criteria (the two transaction measures are one criterion).
-- A criterion without a row is not met.
WITH t AS (SELECT * FROM staging.classification),
criteria AS (
    SELECT period AS window_id, incident_id,
           coalesce(bool_or(met) FILTER (WHERE criterion = 'critical_service'), false) AS critical_service,
           coalesce(bool_or(met) FILTER (WHERE criterion = 'malicious_access'), false) AS malicious,
           count(DISTINCT CASE WHEN met AND criterion NOT IN ('critical_service', 'malicious_access')
                               THEN replace(replace(criterion, '_count', ''), '_value_usd', '') END) AS criteria_met
    FROM marts.incident_classification
    WHERE period IN (SELECT window_id FROM windows)
    GROUP BY period, incident_id
)
SELECT c.window_id, c.incident_id, c.criteria_met,
       c.critical_service AND (c.malicious OR c.criteria_met >= t.criteria_needed) AS is_major
FROM criteria AS c, t

-- The DORA self-assessment of the period's incidents: each criterion's value, threshold and verdict.
SELECT c.incident_id, c.criterion, c.position, c.value, c.provided, c.comparison, c.threshold, c.met, c.note
FROM marts.incident_classification AS c
JOIN marts.incident_register AS r ON r.period = c.period AND r.incident_id = c.incident_id
WHERE c.period = $period AND r.started_in_period
ORDER BY r.started_at, c.incident_id, c.position

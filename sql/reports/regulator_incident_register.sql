-- The full incident register of the period (every field, confidential ones included) with its classification.
SELECT * EXCLUDE (period) FROM marts.incident_register WHERE period = $period ORDER BY started_at, incident_id

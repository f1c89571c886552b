SELECT * FROM marts.incident_classification ORDER BY period, incident_id, position

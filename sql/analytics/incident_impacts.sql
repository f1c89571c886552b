SELECT * FROM staging.incident_impacts ORDER BY started_at, incident_id, service, impact

SELECT * FROM marts.incident_classification
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, incident_id, position

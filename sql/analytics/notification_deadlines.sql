SELECT * FROM marts.notification_deadlines ORDER BY period, incident_id, position

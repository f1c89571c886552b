SELECT * FROM marts.notification_deadlines
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, incident_id, position

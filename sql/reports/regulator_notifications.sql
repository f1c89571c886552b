-- Notification deadlines of the period's major incidents, and every one missed.
SELECT incident_id, step, position, due_at, done_at, status, minutes_overdue
FROM marts.notification_deadlines WHERE period = $period
ORDER BY incident_id, position

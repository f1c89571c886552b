-- Regulatory notification deadlines of the period's major incidents (started in the period), and whether each was
-- met: on_time, late (by how many minutes), missing (overdue at period end and not sent) or not_yet_due.
-- A report not yet sent is counted from its deadline: the next deadline runs from the earlier one's deadline.
-- windows: month
WITH t AS (SELECT * FROM staging.classification),
major AS (  -- each window's register is its period's (period = window_id)
    SELECT r.*, w.end_at FROM marts.incident_register AS r JOIN windows AS w ON r.period = w.window_id
    WHERE r.is_major AND r.started_in_period
),
initial AS (
    SELECT *, least(classified_at + to_hours(t.initial_notification_hours_after_classification),
                    detected_at + to_hours(t.initial_notification_hours_after_detection)) AS initial_due
    FROM major, t
),
due AS (
    SELECT *, coalesce(initial_notified_at, initial_due)
                  + to_hours(t.intermediate_report_hours_after_initial) AS intermediate_due
    FROM initial, t
),
steps AS (
    SELECT period, incident_id, end_at, 'initial_notification' AS step, 1 AS position, initial_due AS due_at,
           initial_notified_at AS done_at FROM due
    UNION ALL
    SELECT period, incident_id, end_at, 'intermediate_report', 2, intermediate_due, intermediate_reported_at FROM due
    UNION ALL
    SELECT period, incident_id, end_at, 'final_report', 3,
           coalesce(intermediate_reported_at, intermediate_due) + to_months(t.final_report_months_after_intermediate),
           final_reported_at
    FROM due, t
)
SELECT period, incident_id, step, position, due_at, done_at,
       CASE WHEN done_at IS NOT NULL AND done_at <= due_at THEN 'on_time'
            WHEN done_at IS NOT NULL THEN 'late'
            WHEN due_at < end_at THEN 'missing'
            ELSE 'not_yet_due' END AS status,
       CASE WHEN done_at > due_at THEN CAST((epoch_us(done_at) - epoch_us(due_at)) / 60e6 AS DECIMAL(18, 4))
            WHEN done_at IS NULL AND due_at < end_at
            THEN CAST((epoch_us(end_at) - epoch_us(due_at)) / 60e6 AS DECIMAL(18, 4)) END AS minutes_overdue
FROM steps

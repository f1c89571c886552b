-- An incident is open exactly while it has no resolved_at: open statuses without it, closed ones with it.
SELECT _file, _row, 'incident_id=' || incident_id AS record, 'status' AS field,
       CASE WHEN resolved_at IS NULL
            THEN 'investigating, identified or monitoring while resolved_at is empty'
            ELSE 'resolved or postmortem once resolved_at is set' END AS expected,
       status AS found
FROM raw_incidents
WHERE (resolved_at IS NULL AND status IN ('resolved', 'postmortem'))
   OR (resolved_at IS NOT NULL AND status IN ('investigating', 'identified', 'monitoring'))

-- An incident is open exactly while it has no resolved_at: open statuses without it, closed ones with it.
WITH incidents AS (
    SELECT *, resolved_at IS NULL AND resolved_at__text IS NULL AS open FROM raw_incidents
)
SELECT _file, _row, 'incident_id=' || incident_id AS record, 'status' AS field,
       CASE WHEN open THEN 'investigating, identified or monitoring while resolved_at is empty'
            ELSE 'resolved or postmortem once resolved_at is set' END AS expected,
       status AS found
FROM incidents
WHERE (open AND status IN ('resolved', 'postmortem'))
   OR (NOT open AND status IN ('investigating', 'identified', 'monitoring'))

-- Recurring-incident check: non-major incidents in the six months to the period end, grouped by root cause;
-- a group of at least the profile's minimum is flagged.
WITH t AS (SELECT * FROM staging.classification),
nonmajor AS (  -- the verdicts of the incident register's (int_incident_verdicts), windows = the period
    SELECT v.incident_id, i.root_cause_category, i.started_at, i.title
    FROM int_incident_verdicts AS v JOIN staging.incidents AS i USING (incident_id)
    WHERE NOT v.is_major
)
SELECT root_cause_category, count(*) AS incidents, count(*) >= (SELECT recurring_min_count FROM t) AS flagged,
       string_agg(incident_id, ', ' ORDER BY started_at) AS incident_ids,
       min(started_at) AS first_started_at, max(started_at) AS last_started_at
FROM nonmajor
GROUP BY root_cause_category
ORDER BY flagged DESC, incidents DESC, root_cause_category

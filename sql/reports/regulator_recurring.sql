-- Recurring-incident check: non-major incidents in the six months to the period end, grouped by root cause;
-- a group of at least the profile's minimum is flagged.
WITH t AS (SELECT * FROM staging.classification),
nonmajor AS (
    SELECT c.incident_id, i.root_cause_category, i.started_at, i.title
    FROM marts.incident_classification AS c JOIN staging.incidents AS i USING (incident_id)
    WHERE c.period = $period
    GROUP BY ALL
    HAVING NOT (bool_or(c.met) FILTER (WHERE c.criterion = 'critical_service')
                AND (bool_or(c.met) FILTER (WHERE c.criterion = 'malicious_access')
                     OR count(DISTINCT CASE WHEN c.met AND c.criterion NOT IN ('critical_service', 'malicious_access')
                                            THEN replace(replace(c.criterion, '_count', ''), '_value_usd', '') END)
                        >= (SELECT criteria_needed FROM t)))
)
SELECT root_cause_category, count(*) AS incidents, count(*) >= (SELECT recurring_min_count FROM t) AS flagged,
       string_agg(incident_id, ', ' ORDER BY started_at) AS incident_ids,
       min(started_at) AS first_started_at, max(started_at) AS last_started_at
FROM nonmajor
GROUP BY root_cause_category
ORDER BY flagged DESC, incidents DESC, root_cause_category

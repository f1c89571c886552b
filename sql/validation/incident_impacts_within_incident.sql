-- An impact interval lies within its incident: it starts no earlier, and ends no later than the resolution.
SELECT r._file, r._row, 'incident_id=' || r.incident_id || ', service=' || r.service AS record,
       CASE WHEN TRY_CAST(r.started_at AS TIMESTAMPTZ) < i.started_at THEN 'started_at' ELSE 'ended_at' END AS field,
       CASE WHEN TRY_CAST(r.started_at AS TIMESTAMPTZ) < i.started_at
            THEN 'not before the incident started (' || strftime(i.started_at, '%Y-%m-%dT%H:%M:%SZ') || ')'
            ELSE 'not after the incident was resolved (' || strftime(i.resolved_at, '%Y-%m-%dT%H:%M:%SZ') || ')'
       END AS expected,
       CASE WHEN TRY_CAST(r.started_at AS TIMESTAMPTZ) < i.started_at THEN r.started_at ELSE r.ended_at END AS found
FROM raw_incident_impacts AS r
JOIN staging.incidents AS i ON i.incident_id = r.incident_id
WHERE TRY_CAST(r.started_at AS TIMESTAMPTZ) < i.started_at
   OR TRY_CAST(r.ended_at AS TIMESTAMPTZ) > i.resolved_at

-- An impact interval lies within its incident: it starts no earlier, and ends no later than the resolution.
SELECT r._file, r._row, 'incident_id=' || r.incident_id || ', service=' || r.service AS record,
       CASE WHEN r.started_at < i.started_at THEN 'started_at' ELSE 'ended_at' END AS field,
       CASE WHEN r.started_at < i.started_at
            THEN 'not before the incident started (' || strftime(i.started_at, '%Y-%m-%dT%H:%M:%SZ') || ')'
            ELSE 'not after the incident was resolved (' || strftime(i.resolved_at, '%Y-%m-%dT%H:%M:%SZ') || ')'
       END AS expected,
       CASE WHEN r.started_at < i.started_at THEN r.started_at__text ELSE r.ended_at__text END AS found
FROM raw_incident_impacts AS r
JOIN staging.incidents AS i ON i.incident_id = r.incident_id
WHERE r.started_at < i.started_at OR r.ended_at > i.resolved_at

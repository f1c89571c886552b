-- Every incident with its latest known state, the services it hit, and the major-incident verdict of the period it
-- started in.
SELECT i.* EXCLUDE (source_file, source_row),
       (SELECT list(DISTINCT im.service ORDER BY im.service) FROM staging.incident_impacts AS im
        WHERE im.incident_id = i.incident_id) AS services,
       r.is_major, r.criteria_met, r.recurring,
       i.source_file, i.source_row
FROM staging.incidents AS i
LEFT JOIN marts.incident_register AS r
  ON r.incident_id = i.incident_id AND r.period = strftime(i.started_at, '%Y-%m')
ORDER BY i.started_at, i.incident_id

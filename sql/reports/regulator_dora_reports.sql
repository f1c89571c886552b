-- The DORA report files of the period's major incidents (marts.dora_reports): per incident and stage, its deadline
-- and state, what was sent when, and the draft version with the hash of its JSON (the PDF's bytes depend on the
-- renderer too: its hash is in reports/dora/manifest.jsonl), or the ITS fields the data lacks for it.
SELECT incident_id, stage, due_at, state, sent_at, outcome, version, json_file, json_sha256, problems
FROM marts.dora_reports WHERE period = $period
ORDER BY incident_id, position

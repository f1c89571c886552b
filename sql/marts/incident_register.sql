-- Every incident that touched the period (started before its end, resolved after its start or open), with its
-- in-period impact minutes, detection and resolution times, major-incident verdict and recurrence flag.
-- The verdicts are int_incident_verdicts, of marts.incident_classification of the same period.
-- windows: month
WITH t AS (SELECT * FROM staging.classification),
recurring AS (  -- non-major incidents sharing a root cause, at least recurring_min_count in the lookback window
    SELECT c.window_id, i.root_cause_category, count(*) AS occurrences
    FROM int_incident_verdicts AS c JOIN staging.incidents AS i USING (incident_id), t
    WHERE NOT c.is_major
    GROUP BY c.window_id, i.root_cause_category, t.recurring_min_count
    HAVING count(*) >= t.recurring_min_count
)
SELECT w.window_id AS period, i.incident_id, i.title, i.public_summary, i.category, i.severity, i.status,
       i.started_at, i.detected_at, i.classified_at, i.resolved_at,
       i.started_at >= w.start_at AS started_in_period,
       i.resolved_at IS NULL OR i.resolved_at >= w.end_at AS open_at_period_end,
       CAST((epoch_us(least(coalesce(i.resolved_at, w.end_at), w.end_at)) - epoch_us(greatest(i.started_at, w.start_at)))
            / 60e6 AS DECIMAL(18, 4)) AS impact_minutes_in_period,
       CAST((epoch_us(i.detected_at) - epoch_us(i.started_at)) / 60e6 AS DECIMAL(18, 4)) AS mttd_minutes,
       CASE WHEN i.resolved_at < w.end_at
            THEN CAST((epoch_us(i.resolved_at) - epoch_us(i.started_at)) / 60e6 AS DECIMAL(18, 4)) END AS mttr_minutes,
       (SELECT string_agg(DISTINCT im.service, ', ' ORDER BY im.service) FROM staging.incident_impacts AS im
        WHERE im.incident_id = i.incident_id) AS services,
       i.clients_affected, i.transactions_affected, i.value_affected, i.value_affected_currency, i.member_states,
       i.data_loss, i.malicious_access, i.reputational_impact, i.economic_cost, i.economic_cost_currency,
       i.root_cause_category, i.root_cause_detail, i.internal_notes,
       i.initial_notified_at, i.intermediate_reported_at, i.final_reported_at,
       coalesce(c.is_major, false) AS is_major, coalesce(c.criteria_met, 0) AS criteria_met,
       r.occurrences IS NOT NULL AND NOT coalesce(c.is_major, false) AS recurring,
       r.occurrences AS recurring_occurrences,
       i.source_file, i.source_row
FROM staging.incidents AS i
JOIN windows AS w ON i.started_at < w.end_at AND (i.resolved_at IS NULL OR i.resolved_at > w.start_at)
LEFT JOIN int_incident_verdicts AS c ON c.window_id = w.window_id AND c.incident_id = i.incident_id
LEFT JOIN recurring AS r ON r.window_id = w.window_id AND r.root_cause_category = i.root_cause_category

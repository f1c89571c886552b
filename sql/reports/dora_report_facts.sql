-- What the DORA reports of the period's incidents say (ITS 2025/302 Annex II), as of the period end: one row per
-- incident of the register, with its back-office record (staging.incident_dora_details; NULLs where it has none).
-- The classification criteria and their evidence are the period's per-criterion assessment; the percentages have
-- one decimal, rounded half up; durations are DD:HH:MM; money is in the DORA report currency (field 1.15): the
-- value of the transactions affected (3.11) in thousands, at the close of the incident's first day, and 4.13 and
-- 4.14 from marts.dora_incident_costs. Recurring incidents (4.15, 4.16): the incidents of the classification window
-- that share the root-cause category, when there are at least the profile's recurring_min_count of them.
WITH t AS (SELECT * FROM staging.classification),
e AS (SELECT coalesce(dora_report_currency, report_currency) AS currency, financial_counterparts FROM staging.entity),
register AS (SELECT * FROM marts.incident_register WHERE period = $period),
criteria AS (
    SELECT incident_id,
           list(DISTINCT CASE criterion
                WHEN 'critical_service' THEN 'critical_services_affected'
                WHEN 'malicious_access' THEN 'data_losses'  -- malicious unauthorised access (RTS 2024/1772 Art. 8)
                WHEN 'data_loss' THEN 'data_losses'
                WHEN 'reputational_impact' THEN 'reputational_impact'
                WHEN 'critical_downtime_hours' THEN 'duration_and_service_downtime'
                WHEN 'member_states' THEN 'geographical_spread'
                WHEN 'economic_cost_eur' THEN 'economic_impact'
                ELSE 'clients_financial_counterparts_and_transactions_affected' END) FILTER (WHERE met) AS criteria,
           list({'criterion': criterion, 'met': met, 'value': value, 'threshold': threshold,
                 'comparison': comparison, 'note': note} ORDER BY position) AS evidence,
           any_value(base) FILTER (WHERE criterion = 'clients_affected') AS clients_base,
           any_value(base) FILTER (WHERE criterion = 'transactions_affected_count') AS transactions_base,
           any_value(value) FILTER (WHERE criterion = 'critical_downtime_hours') AS downtime_hours
    FROM marts.incident_classification WHERE period = $period
    GROUP BY incident_id
),
recurring AS (
    SELECT i.root_cause_category, count(*) AS occurrences, min(utc_date(i.started_at)) AS first_occurrence
    FROM marts.incident_classification AS c JOIN staging.incidents AS i USING (incident_id)
    WHERE c.period = $period AND c.criterion = 'critical_service' AND i.root_cause_category <> 'under_investigation'
    GROUP BY i.root_cause_category
    HAVING count(*) >= (SELECT recurring_min_count FROM t)
)
SELECT r.incident_id, r.title, r.public_summary, r.is_major, r.started_at, r.detected_at, r.classified_at,
       r.resolved_at, r.open_at_period_end, r.initial_notified_at, r.intermediate_reported_at, r.final_reported_at, r.member_states, r.root_cause_detail, r.services,
       c.criteria, c.evidence,
       r.clients_affected, share_percent(r.clients_affected, c.clients_base) AS clients_percent,
       d.counterparts_affected, share_percent(d.counterparts_affected, e.financial_counterparts) AS counterparts_percent,
       r.transactions_affected, share_percent(r.transactions_affected, c.transactions_base) AS transactions_percent,
       CAST(round(currency_value(usd_value(r.value_affected, pv.close_usd), pr.close_usd) * 0.001, 0) AS BIGINT)
           AS transactions_value_thousands,
       dd_hh_mm((epoch_us(least(coalesce(r.resolved_at, w.end_at), w.end_at)) - epoch_us(r.started_at)) / 60e6)
           AS duration,
       dd_hh_mm(coalesce(c.downtime_hours, 0) * 60) AS service_downtime,
       (SELECT string_agg(DISTINCT s.service_name, ', ' ORDER BY s.service_name) FROM staging.incident_impacts AS im
        JOIN staging.services AS s ON s.service = im.service AND s.critical
        WHERE im.incident_id = r.incident_id) AS critical_services,
       e.currency AS report_currency, k.gross_costs, k.recoveries,
       rc.occurrences AS recurring_occurrences, rc.first_occurrence AS recurring_first_occurrence,
       d.incident_id IS NOT NULL AS has_details,
       d.* EXCLUDE (incident_id, counterparts_affected, source_file, source_row)
FROM register AS r
CROSS JOIN e
CROSS JOIN (SELECT end_at FROM windows WHERE window_id = $period) AS w
LEFT JOIN criteria AS c USING (incident_id)
LEFT JOIN staging.incident_dora_details AS d USING (incident_id)
LEFT JOIN marts.dora_incident_costs AS k ON k.period = r.period AND k.incident_id = r.incident_id
LEFT JOIN staging.incidents AS i ON i.incident_id = r.incident_id
LEFT JOIN recurring AS rc ON rc.root_cause_category = i.root_cause_category
LEFT JOIN staging.prices AS pv ON pv.asset = r.value_affected_currency AND pv.date = utc_date(r.started_at)
LEFT JOIN staging.prices AS pr ON pr.asset = e.currency AND pr.date = utc_date(r.started_at)
ORDER BY r.incident_id

-- The period's incidents, public fields only (an allow-list: nothing confidential is selected). Clients affected
-- below k are withheld.
SELECT r.incident_id, r.title, r.public_summary, r.category, r.severity, r.status,
       r.started_at, r.detected_at, r.resolved_at, r.services, r.started_in_period, r.open_at_period_end,
       r.impact_minutes_in_period, r.mttd_minutes, r.mttr_minutes,
       CASE WHEN r.clients_affected > 0 AND r.clients_affected < e.small_cell_k THEN NULL
            ELSE r.clients_affected END AS clients_affected,
       r.clients_affected > 0 AND r.clients_affected < e.small_cell_k AS clients_affected_suppressed
FROM marts.incident_register AS r, staging.entity AS e
WHERE r.period = $period
ORDER BY r.started_at, r.incident_id

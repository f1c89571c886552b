-- The period's incidents, public fields only (an allow-list: no field outside it is selected). Clients affected
-- below k are withheld; when that leaves exactly one withheld among the incidents started in the period (whose
-- total is published), the next smallest is withheld too, so that none can be recovered by subtraction.
WITH k AS (SELECT small_cell_k AS k FROM staging.entity),
rows AS (
    SELECT r.*, coalesce(r.clients_affected > 0 AND r.clients_affected < k.k, false) AS primary_withheld
    FROM marts.incident_register AS r, k
    WHERE r.period = $period
),
marked AS (
    SELECT *,
           count(*) FILTER (WHERE primary_withheld AND started_in_period) OVER () AS withheld_in_period,
           row_number() OVER (PARTITION BY started_in_period AND NOT primary_withheld AND clients_affected IS NOT NULL
                              ORDER BY clients_affected, incident_id) AS smallest
    FROM rows
)
SELECT incident_id, title, public_summary, category, severity, status,
       started_at, detected_at, resolved_at, services, started_in_period, open_at_period_end,
       impact_minutes_in_period, mttd_minutes, mttr_minutes,
       CASE WHEN suppressed THEN NULL ELSE clients_affected END AS clients_affected,
       suppressed AS clients_affected_suppressed
FROM (
    SELECT *, primary_withheld OR (
               withheld_in_period = 1 AND started_in_period AND NOT primary_withheld
               AND clients_affected IS NOT NULL AND smallest = 1) AS suppressed
    FROM marked
)
ORDER BY started_at, incident_id

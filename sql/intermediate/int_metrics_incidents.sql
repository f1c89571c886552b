-- Incident headline metrics of each window in `windows`, as (window_id, metric, value).
-- Incidents in a window: started_at in it. Impact minutes: every incident's [started_at, resolved_at or window
-- end) clipped to the window. MTTD and MTTR over the window's incidents resolved before its end; percentiles
-- interpolate linearly.
WITH incidents AS (
    SELECT w.window_id, i.*, w.start_at, w.end_at,
           i.started_at >= w.start_at AS started_in_window,
           (epoch_us(least(coalesce(i.resolved_at, w.end_at), w.end_at))
               - epoch_us(greatest(i.started_at, w.start_at))) / 60e6 AS minutes_in_window,
           CASE WHEN i.resolved_at < w.end_at
                THEN CAST((epoch_us(i.detected_at) - epoch_us(i.started_at)) / 60e6 AS DECIMAL(18, 4)) END AS mttd,
           CASE WHEN i.resolved_at < w.end_at
                THEN CAST((epoch_us(i.resolved_at) - epoch_us(i.started_at)) / 60e6 AS DECIMAL(18, 4)) END AS mttr
    FROM windows AS w
    JOIN staging.incidents AS i
      ON i.started_at < w.end_at AND (i.resolved_at IS NULL OR i.resolved_at > w.start_at)
),
wide AS (
    SELECT w.window_id,
           count(i.incident_id) FILTER (WHERE i.started_in_window) AS incidents_started,
           count(i.incident_id) FILTER (WHERE i.resolved_at IS NULL OR i.resolved_at >= i.end_at)
               AS incidents_open_end,
           coalesce(sum(i.minutes_in_window), 0) AS incident_impact_minutes,
           quantile_cont(i.mttd, 0.5) FILTER (WHERE i.started_in_window) AS mttd_minutes_median,
           quantile_cont(i.mttd, 0.9) FILTER (WHERE i.started_in_window) AS mttd_minutes_p90,
           quantile_cont(i.mttr, 0.5) FILTER (WHERE i.started_in_window) AS mttr_minutes_median,
           quantile_cont(i.mttr, 0.9) FILTER (WHERE i.started_in_window) AS mttr_minutes_p90,
           -- a sum of known figures; NULL (not 0) when no incident of the window gave one
           CASE WHEN count(i.incident_id) FILTER (WHERE i.started_in_window) = 0 THEN 0
                ELSE sum(i.clients_affected) FILTER (WHERE i.started_in_window) END AS clients_affected
    FROM windows AS w LEFT JOIN incidents AS i USING (window_id)
    GROUP BY w.window_id
),
typed AS (SELECT window_id, COLUMNS(* EXCLUDE window_id)::DECIMAL(38, 12) FROM wide)
SELECT window_id, metric, value
FROM typed UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE window_id)))

-- Down time of every service of the profile in each window of `windows`, in microseconds, by impact level.
-- Impact intervals run [started_at, coalesce(ended_at, incident resolved_at, window end)), clipped to the window;
-- overlapping intervals are merged (a minute is counted once) separately for
--   lenient: major_outage only;  strict: major or partial outage;  any: every impact (for degraded minutes).
-- outage_us: major outage; partial_us: partial outage without a major outage; degraded_us: degraded only.
WITH clipped AS (
    SELECT w.window_id, i.service, i.impact,
           greatest(i.started_at, w.start_at) AS s,
           least(coalesce(i.ended_at, inc.resolved_at, w.end_at), w.end_at) AS e
    FROM staging.incident_impacts AS i
    JOIN staging.incidents AS inc USING (incident_id)
    JOIN windows AS w
      ON i.started_at < w.end_at AND coalesce(i.ended_at, inc.resolved_at, w.end_at) > w.start_at
),
classed AS (
    SELECT window_id, service, 'lenient' AS convention, s, e FROM clipped WHERE impact = 'major_outage'
    UNION ALL
    SELECT window_id, service, 'strict', s, e FROM clipped WHERE impact IN ('major_outage', 'partial_outage')
    UNION ALL
    SELECT window_id, service, 'any', s, e FROM clipped
),
ordered AS (
    SELECT *, max(e) OVER (PARTITION BY window_id, service, convention ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM classed WHERE e > s
),
islands AS (
    SELECT *, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                  OVER (PARTITION BY window_id, service, convention ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
),
merged AS (
    SELECT window_id, service, convention, island, epoch_us(max(e)) - epoch_us(min(s)) AS us
    FROM islands GROUP BY window_id, service, convention, island
),
down AS (
    SELECT window_id, service,
           sum(us) FILTER (WHERE convention = 'lenient') AS lenient_us,
           sum(us) FILTER (WHERE convention = 'strict') AS strict_us,
           sum(us) FILTER (WHERE convention = 'any') AS any_us
    FROM merged GROUP BY window_id, service
)
SELECT w.window_id, s.service, s.service_name, s.critical,
       CAST(epoch_us(w.end_at) - epoch_us(w.start_at) AS HUGEINT) AS window_us,
       coalesce(d.lenient_us, 0) AS outage_us,
       coalesce(d.strict_us, 0) - coalesce(d.lenient_us, 0) AS partial_us,
       coalesce(d.any_us, 0) - coalesce(d.strict_us, 0) AS degraded_us
FROM windows AS w
CROSS JOIN staging.services AS s
LEFT JOIN down AS d ON d.window_id = w.window_id AND d.service = s.service

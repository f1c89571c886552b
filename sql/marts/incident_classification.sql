-- DORA major-incident self-assessment (RTS 2024/1772 Art. 8-9) as known at the end of the period, for every
-- incident started in the six months before the period end (the window of the recurring-incident check).
-- One row per incident and criterion: its value, the threshold it is compared with, and the verdict.
-- Open incidents are measured up to the period end.
-- windows: month
WITH t AS (SELECT * FROM staging.classification),
w AS (SELECT * FROM windows),
scope AS (
    SELECT i.*, w.window_id, w.end_at, least(coalesce(i.resolved_at, w.end_at), w.end_at) AS measured_until
    FROM staging.incidents AS i, w
    WHERE i.started_at < w.end_at
      AND i.started_at >= w.end_at - to_months((SELECT recurring_window_months FROM t))
),
affected AS (  -- services hit, with their baselines
    SELECT DISTINCT sc.incident_id, s.service, s.critical, s.active_clients, s.daily_transactions, s.daily_value_usd
    FROM scope AS sc
    JOIN staging.incident_impacts AS im ON im.incident_id = sc.incident_id AND im.started_at < sc.measured_until
    JOIN staging.services AS s ON s.service = im.service
),
basis AS (  -- the largest affected service sets the base a share is taken of
    SELECT incident_id, max(active_clients) AS clients_base, max(daily_transactions) AS transactions_base,
           max(daily_value_usd) AS value_base_usd,
           string_agg(service, ', ' ORDER BY service) FILTER (WHERE critical) AS critical_services
    FROM affected GROUP BY incident_id
),
critical_intervals AS (  -- outage (major or partial) intervals on critical services
    SELECT sc.incident_id, im.service, im.started_at AS s,
           least(coalesce(im.ended_at, sc.resolved_at, sc.end_at), sc.measured_until) AS e
    FROM scope AS sc
    JOIN staging.incident_impacts AS im ON im.incident_id = sc.incident_id
    JOIN staging.services AS sv ON sv.service = im.service AND sv.critical
    WHERE im.impact IN ('major_outage', 'partial_outage')
),
critical_ordered AS (
    SELECT *, max(e) OVER (PARTITION BY incident_id, service ORDER BY s, e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM critical_intervals WHERE e > s
),
critical_islands AS (
    SELECT *, sum(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
                  OVER (PARTITION BY incident_id, service ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM critical_ordered
),
downtime AS (  -- the longest merged outage time of any one critical service, in hours
    SELECT incident_id, CAST(max(us) / 3600e6 AS DECIMAL(38, 6)) AS hours FROM (
        SELECT incident_id, service, sum(span) AS us FROM (
            SELECT incident_id, service, island, epoch_us(max(e)) - epoch_us(min(s)) AS span
            FROM critical_islands GROUP BY ALL)
        GROUP BY ALL)
    GROUP BY incident_id
),
valued AS (
    SELECT sc.*, b.clients_base, b.transactions_base, b.value_base_usd, b.critical_services,
           usd_value(sc.value_affected, va.close_usd) AS value_affected_usd,
           CASE WHEN sc.economic_cost_currency = 'EUR' THEN sc.economic_cost
                ELSE CAST(usd_value(sc.economic_cost, ec.close_usd) / eur.close_usd AS DECIMAL(38, 6)) END AS cost_eur,
           -- the verdict compares in USD at the day's closes, exactly (a division would go through a float)
           CASE WHEN sc.economic_cost_currency = 'EUR' THEN sc.economic_cost > t.economic_cost_eur
                ELSE usd_value(sc.economic_cost, ec.close_usd) > usd_value(t.economic_cost_eur, eur.close_usd)
           END AS cost_over_threshold,
           coalesce(d.hours, 0) AS downtime_hours
    FROM scope AS sc
    CROSS JOIN t
    LEFT JOIN basis AS b USING (incident_id)
    LEFT JOIN downtime AS d USING (incident_id)
    LEFT JOIN staging.prices AS va
      ON va.asset = sc.value_affected_currency AND va.date = utc_date(sc.started_at)
    LEFT JOIN staging.prices AS ec
      ON ec.asset = sc.economic_cost_currency AND ec.date = utc_date(sc.classified_at)
    LEFT JOIN staging.prices AS eur ON eur.asset = 'EUR' AND eur.date = utc_date(sc.classified_at)
),
criteria AS (
    SELECT window_id, incident_id, 'critical_service' AS criterion, 1 AS position,
           CAST(critical_services IS NOT NULL AS INTEGER) AS value, 1 AS threshold, '>=' AS comparison,
           coalesce('affects ' || critical_services, 'no critical service affected') AS note, NULL AS exact_met
    FROM valued AS v
    UNION ALL
    SELECT window_id, incident_id, 'malicious_access', 2, CAST(malicious_access AS INTEGER), 1, '>=',
           'malicious unauthorised access', NULL
    FROM valued AS v
    UNION ALL
    SELECT window_id, incident_id, 'clients_affected', 3, clients_affected,
           least(t.clients_affected_share * clients_base, t.clients_affected_count), '>',
           'more than ' || CAST(t.clients_affected_share * 100 AS INTEGER) || '% of '
               || coalesce(format('{:,}', clients_base), '?') || ' clients, or more than '
               || format('{:,}', t.clients_affected_count), NULL
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'transactions_affected_count', 4, transactions_affected,
           t.transactions_affected_share * transactions_base, '>',
           'more than ' || CAST(t.transactions_affected_share * 100 AS INTEGER) || '% of '
               || coalesce(format('{:,}', transactions_base), '?') || ' daily transactions', NULL
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'transactions_affected_value_usd', 5, value_affected_usd,
           t.transactions_affected_share * value_base_usd, '>',
           'more than ' || CAST(t.transactions_affected_share * 100 AS INTEGER) || '% of the daily value (USD '
               || coalesce(format('{:,}', CAST(value_base_usd AS BIGINT)), '?') || ')', NULL
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'critical_downtime_hours', 6, v.downtime_hours,
           t.critical_downtime_hours, '>', 'outage of a critical service longer than '
               || CAST(CAST(t.critical_downtime_hours AS DOUBLE) AS VARCHAR) || ' h', NULL
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'economic_cost_eur', 7, v.cost_eur, t.economic_cost_eur, '>',
           'economic cost above EUR ' || format('{:,}', CAST(t.economic_cost_eur AS BIGINT)), v.cost_over_threshold
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'member_states', 8, coalesce(len(v.member_states), 0), t.member_states, '>=',
           coalesce(array_to_string(v.member_states, ', '), 'none'), NULL
    FROM valued AS v, t
    UNION ALL
    SELECT window_id, incident_id, 'data_loss', 9, CAST(data_loss AS INTEGER), 1, '>=', 'data lost or corrupted', NULL
    FROM valued AS v
    UNION ALL
    SELECT window_id, incident_id, 'reputational_impact', 10, CAST(reputational_impact AS INTEGER), 1, '>=',
           'reputational impact', NULL
    FROM valued AS v
)
SELECT c.window_id AS period, c.incident_id, c.criterion, c.position,
       CAST(c.value AS DECIMAL(38, 6)) AS value, CAST(c.threshold AS DECIMAL(38, 6)) AS threshold, c.comparison,
       coalesce(c.exact_met, CASE c.comparison WHEN '>' THEN c.value > c.threshold ELSE c.value >= c.threshold END,
                false) AS met,
       c.value IS NOT NULL AS provided,  -- a figure the source did not provide cannot meet its criterion
       c.note,
       -- what a share criterion is a share of (the DORA reports' percentages, ITS fields 3.5 and 3.10)
       CAST(CASE c.criterion WHEN 'clients_affected' THEN v.clients_base
                             WHEN 'transactions_affected_count' THEN v.transactions_base
                             WHEN 'transactions_affected_value_usd' THEN v.value_base_usd END AS DECIMAL(38, 6)) AS base
FROM criteria AS c
JOIN valued AS v USING (window_id, incident_id)

-- Month over month: every headline metric of the period beside the month before. The period's figures are its
-- stored period_metrics; the month before's are computed in the same run from the same data (int_month_metrics over
-- that month's window), so they do not depend on the order months are built in; its classification counts read
-- its stored incident register.
-- windows: previous_month
SELECT c.period, c.metric, c.value, p.value AS previous_value, c.value - p.value AS change,
       CASE WHEN p.value <> 0 THEN CAST((c.value - p.value) / abs(p.value) * 100 AS DECIMAL(18, 6)) END AS change_pct,
       c.unit
FROM marts.period_metrics AS c
LEFT JOIN int_month_metrics AS p USING (metric)
WHERE c.period = $period

-- Fund movements of every day inside a window, summed per fund, asset, kind and direction, and valued at the
-- asset's close of that day (each movement is valued at its day's close, so the day's sum is too).
WITH days AS (
    SELECT DISTINCT CAST(d AS DATE) AS day FROM (
        SELECT unnest(generate_series(start_at, end_at - INTERVAL 1 DAY, INTERVAL 1 DAY)) AS d FROM windows)
),
daily AS (
    SELECT m.fund_id, m.asset, CAST(m.occurred_at AS DATE) AS day, m.kind,
           CASE WHEN m.amount >= 0 THEN 'inflow' ELSE 'outflow' END AS direction,
           count(*) AS movements, sum(m.amount) AS amount
    FROM staging.insurance_fund_movements AS m
    WHERE CAST(m.occurred_at AS DATE) IN (SELECT day FROM days)
    GROUP BY ALL
)
SELECT d.*, p.close_usd, usd_value(d.amount, p.close_usd) AS amount_usd
FROM daily AS d
LEFT JOIN staging.prices AS p ON p.asset = d.asset AND p.date = d.day

-- Fund movements per fund, asset, UTC day, kind and direction, valued at the asset's close of that day (each
-- movement is valued at its day's close, so the day's sum is too), for every day from the earliest snapshot a
-- balance is moved forward from (int_fund_anchors) to the end of the last window. One pass over the ledger.
WITH span AS (
    SELECT least((SELECT min(anchor_at) FROM int_fund_anchors), min(start_at)) AS lo, max(end_at) AS hi
    FROM windows
),
daily AS (
    SELECT m.fund_id, m.asset, utc_date(m.occurred_at) AS day, m.kind,
           CASE WHEN m.amount >= 0 THEN 'inflow' ELSE 'outflow' END AS direction,
           count(*) AS movements, sum(m.amount) AS amount
    FROM staging.insurance_fund_movements AS m, span
    WHERE m.occurred_at >= date_trunc('day', span.lo) AND m.occurred_at < span.hi
    GROUP BY ALL
)
SELECT d.*, p.close_usd, usd_value(d.amount, p.close_usd) AS amount_usd
FROM daily AS d
LEFT JOIN staging.prices AS p ON p.asset = d.asset AND p.date = d.day

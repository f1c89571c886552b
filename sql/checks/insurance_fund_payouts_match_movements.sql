-- Blocking. Payouts funded by the insurance fund equal the fund's `compensation` movements (negated), per asset and
-- UTC day of the period. One row per asset and day where they differ.
WITH w AS (SELECT * FROM windows),
paid AS (
    SELECT p.asset, utc_date(p.paid_at) AS day, sum(p.amount) AS amount
    FROM staging.compensation_payouts AS p, w
    WHERE p.funding_source = 'insurance_fund' AND p.paid_at >= w.start_at AND p.paid_at < w.end_at
    GROUP BY ALL
),
moved AS (
    SELECT m.asset, utc_date(m.occurred_at) AS day, -sum(m.amount) AS amount
    FROM staging.insurance_fund_movements AS m, w
    WHERE m.kind = 'compensation' AND m.occurred_at >= w.start_at AND m.occurred_at < w.end_at
    GROUP BY ALL
)
SELECT coalesce(p.asset, m.asset) AS asset, coalesce(p.day, m.day) AS day,
       p.amount AS paid_by_insurance_fund, m.amount AS fund_compensation_movements
FROM paid AS p FULL OUTER JOIN moved AS m ON m.asset = p.asset AND m.day = p.day
WHERE p.amount IS DISTINCT FROM m.amount

-- The costs of each major incident for its DORA final report, as of the period end, in the currency of the
-- entity's DORA reports (its [dora] report_currency, field 1.15; else its report currency). Field 4.13 (gross direct and indirect costs and losses, recoveries not deducted): the incident's own
-- cost (incidents.economic_cost, at the close of its classification day) plus the compensation approved on its
-- claims, each claim at the close of the day it was decided. Beside it the compensation paid, each payout at the
-- close of the day it was paid, and field 4.14 (recoveries): the part of it the insurance funds paid. Claims and
-- payouts count from the first up to the period end; an amount with no close that day is counted in `unvalued`.
-- windows: month
WITH rc AS (SELECT coalesce(dora_report_currency, report_currency) AS currency FROM staging.entity),
major AS (
    SELECT r.period, r.incident_id, r.classified_at, r.economic_cost, r.economic_cost_currency, w.end_at
    FROM marts.incident_register AS r JOIN windows AS w ON r.period = w.window_id
    WHERE r.is_major
),
approved AS (
    SELECT m.period, m.incident_id, count(*) AS claims_approved,
           sum(currency_value(usd_value(c.approved_amount, pa.close_usd), pr.close_usd)) AS compensation_approved,
           count(*) FILTER (WHERE pa.close_usd IS NULL OR pr.close_usd IS NULL) AS unvalued
    FROM major AS m
    JOIN staging.compensation_claims AS c
      ON c.incident_id = m.incident_id AND c.decided_at < m.end_at
         AND c.decision IN ('approved', 'partially_approved')
    CROSS JOIN rc
    LEFT JOIN staging.prices AS pa ON pa.asset = c.claimed_asset AND pa.date = utc_date(c.decided_at)
    LEFT JOIN staging.prices AS pr ON pr.asset = rc.currency AND pr.date = utc_date(c.decided_at)
    GROUP BY ALL
),
paid AS (
    SELECT m.period, m.incident_id, count(*) AS payouts,
           sum(currency_value(usd_value(p.amount, pa.close_usd), pr.close_usd)) AS compensation_paid,
           coalesce(sum(currency_value(usd_value(p.amount, pa.close_usd), pr.close_usd))
                        FILTER (WHERE p.funding_source = 'insurance_fund'), 0) AS recovered_insurance_fund,
           count(*) FILTER (WHERE pa.close_usd IS NULL OR pr.close_usd IS NULL) AS unvalued
    FROM major AS m
    JOIN staging.compensation_claims AS c ON c.incident_id = m.incident_id
    JOIN staging.compensation_payouts AS p ON p.claim_id = c.claim_id AND p.paid_at < m.end_at
    CROSS JOIN rc
    LEFT JOIN staging.prices AS pa ON pa.asset = p.asset AND pa.date = utc_date(p.paid_at)
    LEFT JOIN staging.prices AS pr ON pr.asset = rc.currency AND pr.date = utc_date(p.paid_at)
    GROUP BY ALL
),
own AS (
    SELECT m.period, m.incident_id,
           CASE WHEN m.economic_cost IS NULL THEN 0
                WHEN m.economic_cost_currency = rc.currency THEN CAST(m.economic_cost AS DECIMAL(38, 6))
                ELSE currency_value(usd_value(m.economic_cost, pc.close_usd), pr.close_usd) END AS own_costs,
           m.economic_cost IS NOT NULL AND m.economic_cost_currency <> rc.currency
               AND (pc.close_usd IS NULL OR pr.close_usd IS NULL) AS own_unvalued
    FROM major AS m
    CROSS JOIN rc
    LEFT JOIN staging.prices AS pc ON pc.asset = m.economic_cost_currency AND pc.date = utc_date(m.classified_at)
    LEFT JOIN staging.prices AS pr ON pr.asset = rc.currency AND pr.date = utc_date(m.classified_at)
)
SELECT o.period, o.incident_id, rc.currency AS reporting_currency, o.own_costs,
       coalesce(a.claims_approved, 0) AS claims_approved,
       coalesce(a.compensation_approved, 0) AS compensation_approved,
       coalesce(p.payouts, 0) AS payouts, coalesce(p.compensation_paid, 0) AS compensation_paid,
       o.own_costs + coalesce(a.compensation_approved, 0) AS gross_costs,
       coalesce(p.recovered_insurance_fund, 0) AS recoveries,
       coalesce(a.unvalued, 0) + coalesce(p.unvalued, 0) + CAST(o.own_unvalued AS INTEGER) AS unvalued
FROM own AS o
CROSS JOIN rc
LEFT JOIN approved AS a USING (period, incident_id)
LEFT JOIN paid AS p USING (period, incident_id)

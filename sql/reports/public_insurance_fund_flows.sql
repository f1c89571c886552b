-- Insurance-fund inflows and outflows of the period by fund and kind, in USD at each day's close. The fund's
-- `compensation` outflows are payouts to users: when fewer than k users received them they are withheld, with the
-- fund's next smallest outflow, so that neither can be recovered from the published total outflows.
WITH k AS (SELECT small_cell_k AS k FROM staging.entity),
few AS (
    SELECT coalesce(value > 0 AND value < (SELECT k FROM k), false) AS few
    FROM marts.period_metrics WHERE period = $period AND metric = 'users_compensated_insurance_fund'
),
flows AS (
    SELECT f.fund_id, n.fund_name, f.kind, f.direction, sum(f.movements) AS movements, sum(f.amount_usd) AS amount_usd
    FROM marts.insurance_fund_flows AS f
    JOIN staging.funds AS n USING (fund_id)
    WHERE f.period = $period
    GROUP BY ALL
),
marked AS (
    SELECT *, kind = 'compensation' AND coalesce((SELECT few FROM few), false) AS primary_withheld,
           row_number() OVER (PARTITION BY fund_id, direction, kind = 'compensation' ORDER BY abs(amount_usd), kind)
               AS smallest
    FROM flows
),
withheld AS (
    SELECT *, primary_withheld OR (
               direction = 'outflow' AND kind <> 'compensation' AND smallest = 1
               AND bool_or(primary_withheld) OVER (PARTITION BY fund_id)) AS suppressed
    FROM marked
)
SELECT fund_id, fund_name, kind, direction,
       CASE WHEN suppressed THEN NULL ELSE movements END AS movements,
       CASE WHEN suppressed THEN NULL ELSE amount_usd END AS amount_usd,
       suppressed
FROM withheld
ORDER BY fund_id, direction, abs(amount_usd) DESC, kind

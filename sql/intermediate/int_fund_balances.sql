-- Balance of every fund and asset at every instant the windows need: each window's start and the end of each of
-- its days. Balance at t = the last snapshot at or before t, moved forward by the movements stamped from that
-- snapshot's instant up to (not including) t. Half-open like every window: a snapshot stamped t is the balance
-- before any movement stamped t. NULL where no snapshot precedes t.
WITH instants AS (
    SELECT DISTINCT t FROM (
        SELECT start_at AS t FROM windows
        UNION ALL
        SELECT unnest(generate_series(start_at + INTERVAL 1 DAY, end_at, INTERVAL 1 DAY)) FROM windows
    )
),
fund_assets AS (
    SELECT fund_id, asset FROM staging.insurance_fund_balances
    UNION
    SELECT fund_id, asset FROM staging.insurance_fund_movements
),
anchored AS (
    SELECT g.fund_id, g.asset, g.t, s.as_of AS anchor_at, s.balance AS anchor_balance
    FROM (SELECT * FROM fund_assets CROSS JOIN instants) AS g
    ASOF LEFT JOIN staging.insurance_fund_balances AS s
      ON s.fund_id = g.fund_id AND s.asset = g.asset AND g.t >= s.as_of
)
SELECT a.fund_id, a.asset, a.t, a.anchor_at, a.anchor_balance,
       a.anchor_balance + coalesce(sum(m.amount), 0) AS balance
FROM anchored AS a
LEFT JOIN staging.insurance_fund_movements AS m
  ON m.fund_id = a.fund_id AND m.asset = a.asset AND m.occurred_at >= a.anchor_at AND m.occurred_at < a.t
GROUP BY a.fund_id, a.asset, a.t, a.anchor_at, a.anchor_balance

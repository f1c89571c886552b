-- Balance of every fund and asset at every instant the windows need: each window's start and the end of each of
-- its days. Balance at t = the last snapshot at or before t, moved forward by the movements stamped from that
-- snapshot's instant up to (not including) t. Half-open like every window: a snapshot stamped t is the balance
-- before any movement stamped t.
-- A fund holds an asset from its first snapshot or just after its first movement; before that the balance is 0
-- and `held` is false. Once held, no snapshot at or before t means the history is missing: the balance is NULL.
WITH instants AS (
    SELECT DISTINCT t FROM (
        SELECT start_at AS t FROM windows
        UNION ALL
        SELECT unnest(generate_series(start_at + INTERVAL 1 DAY, end_at, INTERVAL 1 DAY)) FROM windows
    )
),
fund_assets AS (
    SELECT fund_id, asset, min(first_snapshot_at) AS first_snapshot_at, min(first_movement_at) AS first_movement_at
    FROM (
        SELECT fund_id, asset, min(as_of) AS first_snapshot_at, NULL AS first_movement_at
        FROM staging.insurance_fund_balances GROUP BY ALL
        UNION ALL
        SELECT fund_id, asset, NULL, min(occurred_at) FROM staging.insurance_fund_movements GROUP BY ALL
    )
    GROUP BY fund_id, asset
),
anchored AS (
    SELECT g.fund_id, g.asset, g.t, s.as_of AS anchor_at, s.balance AS anchor_balance,
           g.t >= g.first_snapshot_at OR g.t > g.first_movement_at AS held
    FROM (SELECT * FROM fund_assets CROSS JOIN instants) AS g
    ASOF LEFT JOIN staging.insurance_fund_balances AS s
      ON s.fund_id = g.fund_id AND s.asset = g.asset AND g.t >= s.as_of
)
SELECT a.fund_id, a.asset, a.t, a.held, a.anchor_at, a.anchor_balance,
       CASE WHEN NOT a.held THEN 0 ELSE a.anchor_balance + coalesce(sum(m.amount), 0) END AS balance
FROM anchored AS a
LEFT JOIN staging.insurance_fund_movements AS m
  ON m.fund_id = a.fund_id AND m.asset = a.asset AND m.occurred_at >= a.anchor_at AND m.occurred_at < a.t
GROUP BY a.fund_id, a.asset, a.t, a.held, a.anchor_at, a.anchor_balance

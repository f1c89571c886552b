-- Every instant the windows need a fund balance at (each window's start and the end of each of its days), for
-- every fund and asset, with the snapshot it is moved forward from: the last one at or before the instant.
-- A fund holds an asset from its first snapshot or just after its first movement (from the ledger's extent, kept
-- at staging, so that no month scans the whole ledger).
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
        SELECT fund_id, asset, NULL, min(first_at) FROM staging.insurance_fund_movements_extent GROUP BY ALL
    )
    GROUP BY fund_id, asset
)
SELECT g.fund_id, g.asset, g.t, s.as_of AS anchor_at, s.balance AS anchor_balance,
       coalesce(g.t >= g.first_snapshot_at, false) OR coalesce(g.t > g.first_movement_at, false) AS held
FROM (SELECT * FROM fund_assets CROSS JOIN instants) AS g
ASOF LEFT JOIN staging.insurance_fund_balances AS s
  ON s.fund_id = g.fund_id AND s.asset = g.asset AND g.t >= s.as_of

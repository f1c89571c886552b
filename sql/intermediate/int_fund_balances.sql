-- Balance of every fund and asset at every instant of int_fund_anchors: the anchor snapshot moved forward by the
-- movements stamped from its instant up to (not including) the instant. Half-open like every window: a snapshot
-- stamped t is the balance before any movement stamped t. Before a fund holds an asset the balance is 0; once it
-- does, no snapshot at or before the instant means the history is missing: NULL.
-- The movements are summed by day (int_fund_movements_daily), less those of the anchor's own day before the
-- anchor (only anchors that are not at midnight need that look at the ledger).
WITH days AS (
    SELECT fund_id, asset, day, sum(amount) AS amount FROM int_fund_movements_daily GROUP BY ALL
),
anchors AS (
    SELECT DISTINCT fund_id, asset, anchor_at FROM int_fund_anchors
    WHERE anchor_at IS NOT NULL AND anchor_at <> date_trunc('day', anchor_at)
),
before_anchor AS (  -- movements of an anchor's day stamped before it
    SELECT a.fund_id, a.asset, a.anchor_at, sum(m.amount) AS amount
    FROM anchors AS a
    JOIN staging.insurance_fund_movements AS m
      ON m.fund_id = a.fund_id AND m.asset = a.asset AND m.occurred_at < a.anchor_at
     AND m.occurred_at >= date_trunc('day', a.anchor_at)  -- the anchor's UTC day (a range: it prunes the scan)
    GROUP BY ALL
),
moved AS (  -- whole days from the anchor's day up to the instant
    SELECT a.fund_id, a.asset, a.t, sum(d.amount) AS amount
    FROM int_fund_anchors AS a
    JOIN days AS d
      ON d.fund_id = a.fund_id AND d.asset = a.asset
     AND d.day >= utc_date(a.anchor_at) AND d.day < utc_date(a.t)
    GROUP BY ALL
)
SELECT a.fund_id, a.asset, a.t, a.held, a.anchor_at, a.anchor_balance,
       CASE WHEN NOT a.held THEN 0
            ELSE a.anchor_balance + coalesce(mv.amount, 0) - coalesce(b.amount, 0) END AS balance
FROM int_fund_anchors AS a
LEFT JOIN moved AS mv USING (fund_id, asset, t)
LEFT JOIN before_anchor AS b ON b.fund_id = a.fund_id AND b.asset = a.asset AND b.anchor_at = a.anchor_at

-- Claims decided in the period by decision and rejection reason: how many, how many distinct users, and the
-- amounts claimed and approved valued in USD at the close of the day of the decision (each day's total of an
-- asset is valued once: the same close applies to all of them).
-- windows: month
WITH decided AS (
    SELECT w.window_id, c.decision, coalesce(c.rejection_reason, '') AS rejection_reason, c.account_ref,
           c.claimed_asset, utc_date(c.decided_at) AS day, c.claimed_amount, c.approved_amount
    FROM windows AS w
    JOIN staging.compensation_claims AS c ON c.decided_at >= w.start_at AND c.decided_at < w.end_at
),
by_asset_day AS (
    SELECT window_id, decision, rejection_reason, claimed_asset, day, count(*) AS claims,
           sum(claimed_amount) AS claimed, sum(approved_amount) AS approved
    FROM decided GROUP BY ALL
),
valued AS (
    SELECT d.window_id, d.decision, d.rejection_reason, sum(d.claims) AS claims,
           sum(usd_value(d.claimed, p.close_usd)) AS claimed_usd,
           coalesce(sum(usd_value(d.approved, p.close_usd)), 0) AS approved_usd
    FROM by_asset_day AS d
    LEFT JOIN staging.prices AS p ON p.asset = d.claimed_asset AND p.date = d.day
    GROUP BY ALL
),
users AS (
    SELECT window_id, decision, rejection_reason, count(DISTINCT account_ref) AS users FROM decided GROUP BY ALL
)
SELECT v.window_id AS period, v.decision, v.rejection_reason, CAST(v.claims AS BIGINT) AS claims, u.users,
       v.claimed_usd, v.approved_usd
FROM valued AS v JOIN users AS u USING (window_id, decision, rejection_reason)

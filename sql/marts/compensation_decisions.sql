-- Claims decided in the period by decision and rejection reason: how many, how many distinct users, and the
-- amounts claimed and approved valued in USD at the close of the day of the decision.
SELECT w.window_id AS period, c.decision, coalesce(c.rejection_reason, '') AS rejection_reason,
       count(*) AS claims, count(DISTINCT c.account_ref) AS users,
       sum(usd_value(c.claimed_amount, p.close_usd)) AS claimed_usd,
       coalesce(sum(usd_value(c.approved_amount, p.close_usd)), 0) AS approved_usd
FROM windows AS w
JOIN staging.compensation_claims AS c ON c.decided_at >= w.start_at AND c.decided_at < w.end_at
LEFT JOIN staging.prices AS p ON p.asset = c.claimed_asset AND p.date = utc_date(c.decided_at)
GROUP BY ALL

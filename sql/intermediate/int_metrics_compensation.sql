-- Compensation headline metrics of each window in `windows`, as (window_id, metric, value).
-- Received: submitted in the window. Decided: decided in it. Pending at end: submitted before the end and not
-- decided before it (the backlog when the earliest window begins, plus each day's received less decided, so that
-- the claims of earlier months are counted, not grouped by day). Paid: payouts in the window, each at its asset's
-- close on the day it was paid. Latency: a claim's first payout minus its submission, for claims whose first
-- payout falls in the window.
-- Windows are whole UTC days, so counts and sums are taken per day first and each window adds up its days: one
-- pass over the claims and payouts whatever the number of windows (30 for the trailing windows of a month).
WITH bounds AS (SELECT min(start_at) AS lo, max(end_at) AS hi FROM windows),
window_days AS (
    SELECT window_id, utc_date(d) AS day
    FROM (SELECT window_id, unnest(generate_series(start_at, end_at - INTERVAL 1 DAY, INTERVAL 1 DAY)) AS d
          FROM windows)
),
received AS (
    SELECT utc_date(c.submitted_at) AS day, count(*) AS n
    FROM staging.compensation_claims AS c, bounds WHERE c.submitted_at >= bounds.lo AND c.submitted_at < bounds.hi
    GROUP BY ALL
),
decided AS (
    SELECT utc_date(c.decided_at) AS day, c.decision, c.rejection_reason, count(*) AS n
    FROM staging.compensation_claims AS c, bounds WHERE c.decided_at >= bounds.lo AND c.decided_at < bounds.hi
    GROUP BY ALL
),
pending_at_lo AS (  -- the backlog when the bounds begin; each day within them then adds its received and decided
    SELECT count(*) AS n FROM staging.compensation_claims, bounds
    WHERE submitted_at < bounds.lo AND (decided_at IS NULL OR decided_at >= bounds.lo)
),
backlog_days AS (  -- a claim counts +1 on its submission day and −1 on its decision day (never before submission)
    SELECT day, sum(n) AS change FROM (
        SELECT day, n FROM received UNION ALL SELECT day, -n FROM decided
    ) GROUP BY day
),
paid_rows AS (
    SELECT utc_date(p.paid_at) AS day, p.funding_source, p.asset, p.amount, c.account_ref
    FROM staging.compensation_payouts AS p
    JOIN staging.compensation_claims AS c USING (claim_id), bounds
    WHERE p.paid_at >= bounds.lo AND p.paid_at < bounds.hi
),
paid_by_asset AS (  -- each payout valued at its day's close, then summed: the sum of what each user was paid, as
                    -- the compensation root adds it up (rounding each payout, not each day's total of an asset)
    SELECT r.day, r.funding_source, count(*) AS payouts, sum(usd_value(r.amount, pr.close_usd)) AS usd
    FROM paid_rows AS r
    LEFT JOIN staging.prices AS pr ON pr.asset = r.asset AND pr.date = r.day
    GROUP BY ALL
),
paid AS (
    SELECT day, sum(payouts) AS payouts, sum(usd) AS usd,
           sum(usd) FILTER (WHERE funding_source = 'insurance_fund') AS fund_usd
    FROM paid_by_asset GROUP BY day
),
accounts AS (SELECT DISTINCT day, account_ref, funding_source FROM paid_rows),
first_payouts AS (  -- claims paid within the bounds, with their first payout ever
    SELECT c.claim_id, c.submitted_at, min(p.paid_at) AS first_paid_at
    FROM staging.compensation_payouts AS p
    JOIN staging.compensation_claims AS c USING (claim_id)
    WHERE p.claim_id IN (SELECT p2.claim_id FROM staging.compensation_payouts AS p2, bounds
                         WHERE p2.paid_at >= bounds.lo AND p2.paid_at < bounds.hi)
    GROUP BY c.claim_id, c.submitted_at
),
latency AS (
    SELECT wd.window_id,
           CAST((epoch_us(f.first_paid_at) - epoch_us(f.submitted_at)) / 3600e6 AS DECIMAL(18, 4)) AS hours
    FROM first_payouts AS f JOIN window_days AS wd ON wd.day = utc_date(f.first_paid_at)
),
latency_stats AS (  -- one pass over the claims of every window (each claim is in up to 30 trailing windows)
    SELECT window_id, quantile_cont(hours, 0.5) AS median, quantile_cont(hours, 0.9) AS p90, max(hours) AS longest
    FROM latency GROUP BY window_id
),
users AS (  -- distinct (window, account) pairs first: one parallel aggregate, not a distinct set per window
    SELECT window_id, count(*) AS users, count(*) FILTER (WHERE by_insurance_fund) AS users_insurance_fund
    FROM (SELECT wd.window_id, a.account_ref, bool_or(a.funding_source = 'insurance_fund') AS by_insurance_fund
          FROM accounts AS a JOIN window_days AS wd USING (day)
          GROUP BY wd.window_id, a.account_ref)
    GROUP BY window_id
),
per_window AS (
    SELECT w.window_id,
           coalesce((SELECT sum(n) FROM received AS r JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id), 0) AS claims_received,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id), 0) AS claims_decided,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id AND d.decision = 'approved'), 0) AS claims_approved,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id AND d.decision = 'partially_approved'), 0)
               AS claims_partially_approved,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id AND d.decision = 'rejected'), 0) AS claims_rejected,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id AND d.decision = 'withdrawn'), 0) AS claims_withdrawn,
           coalesce((SELECT sum(n) FROM decided AS d JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id AND d.rejection_reason = 'unrealized_profit'), 0)
               AS claims_rejected_unrealized_profit,
           (SELECT n FROM pending_at_lo)
               + coalesce((SELECT sum(change) FROM backlog_days AS b WHERE b.day < utc_date(w.end_at)), 0)
               AS claims_pending_end,
           coalesce((SELECT sum(usd) FROM paid AS p JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id), 0) AS compensation_paid_usd,
           coalesce((SELECT sum(fund_usd) FROM paid AS p JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id), 0) AS compensation_paid_insurance_fund_usd,
           coalesce((SELECT sum(payouts) FROM paid AS p JOIN window_days AS wd USING (day)
                     WHERE wd.window_id = w.window_id), 0) AS payouts,
           coalesce(u.users, 0) AS users_compensated,
           coalesce(u.users_insurance_fund, 0) AS users_compensated_insurance_fund,
           l.median AS payout_latency_hours_median,
           l.p90 AS payout_latency_hours_p90,
           l.longest AS payout_latency_hours_max
    FROM windows AS w
    LEFT JOIN users AS u USING (window_id)
    LEFT JOIN latency_stats AS l USING (window_id)
),
typed AS (SELECT window_id, COLUMNS(* EXCLUDE window_id)::DECIMAL(38, 12) FROM per_window)
SELECT window_id, metric, value
FROM typed UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE window_id)))

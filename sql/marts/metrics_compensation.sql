-- Compensation headline metrics of each window in `windows`, as (window_id, metric, value).
-- Received: submitted in the window. Decided: decided in it. Pending at end: submitted before the end and not
-- decided before it. Paid: payouts in the window at the close of their day. Latency: a claim's first payout minus
-- its submission, for claims whose first payout falls in the window.
WITH decided AS (
    SELECT w.window_id, c.decision, c.rejection_reason
    FROM windows AS w
    JOIN staging.compensation_claims AS c ON c.decided_at >= w.start_at AND c.decided_at < w.end_at
),
paid AS (
    SELECT w.window_id, p.funding_source, c.account_ref, usd_value(p.amount, pr.close_usd) AS amount_usd
    FROM windows AS w
    JOIN staging.compensation_payouts AS p ON p.paid_at >= w.start_at AND p.paid_at < w.end_at
    JOIN staging.compensation_claims AS c USING (claim_id)
    LEFT JOIN staging.prices AS pr ON pr.asset = p.asset AND pr.date = CAST(p.paid_at AS DATE)
),
first_payouts AS (
    SELECT c.claim_id, c.submitted_at, min(p.paid_at) AS first_paid_at
    FROM staging.compensation_claims AS c JOIN staging.compensation_payouts AS p USING (claim_id)
    GROUP BY c.claim_id, c.submitted_at
),
latency AS (
    SELECT w.window_id, CAST((epoch_us(f.first_paid_at) - epoch_us(f.submitted_at)) / 3600e6 AS DECIMAL(18, 4)) AS hours
    FROM windows AS w JOIN first_payouts AS f ON f.first_paid_at >= w.start_at AND f.first_paid_at < w.end_at
),
wide AS (
    SELECT w.window_id,
           (SELECT count(*) FROM staging.compensation_claims AS c
            WHERE c.submitted_at >= w.start_at AND c.submitted_at < w.end_at) AS claims_received,
           (SELECT count(*) FROM decided AS d WHERE d.window_id = w.window_id) AS claims_decided,
           (SELECT count(*) FROM decided AS d WHERE d.window_id = w.window_id AND d.decision = 'approved')
               AS claims_approved,
           (SELECT count(*) FROM decided AS d WHERE d.window_id = w.window_id AND d.decision = 'partially_approved')
               AS claims_partially_approved,
           (SELECT count(*) FROM decided AS d WHERE d.window_id = w.window_id AND d.decision = 'rejected')
               AS claims_rejected,
           (SELECT count(*) FROM decided AS d WHERE d.window_id = w.window_id AND d.decision = 'withdrawn')
               AS claims_withdrawn,
           (SELECT count(*) FROM decided AS d
            WHERE d.window_id = w.window_id AND d.rejection_reason = 'unrealized_profit')
               AS claims_rejected_unrealized_profit,
           (SELECT count(*) FROM staging.compensation_claims AS c
            WHERE c.submitted_at < w.end_at AND (c.decided_at IS NULL OR c.decided_at >= w.end_at))
               AS claims_pending_end,
           (SELECT coalesce(sum(amount_usd), 0) FROM paid AS p WHERE p.window_id = w.window_id)
               AS compensation_paid_usd,
           (SELECT coalesce(sum(amount_usd), 0) FROM paid AS p
            WHERE p.window_id = w.window_id AND p.funding_source = 'insurance_fund')
               AS compensation_paid_insurance_fund_usd,
           (SELECT count(*) FROM paid AS p WHERE p.window_id = w.window_id) AS payouts,
           (SELECT count(DISTINCT account_ref) FROM paid AS p WHERE p.window_id = w.window_id) AS users_compensated,
           (SELECT quantile_cont(hours, 0.5) FROM latency AS l WHERE l.window_id = w.window_id)
               AS payout_latency_hours_median,
           (SELECT quantile_cont(hours, 0.9) FROM latency AS l WHERE l.window_id = w.window_id)
               AS payout_latency_hours_p90,
           (SELECT max(hours) FROM latency AS l WHERE l.window_id = w.window_id) AS payout_latency_hours_max
    FROM windows AS w
),
typed AS (SELECT window_id, COLUMNS(* EXCLUDE window_id)::DECIMAL(38, 12) FROM wide)
SELECT window_id, metric, value
FROM typed UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE window_id)))

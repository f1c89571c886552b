-- Payouts made in the period, each valued at its asset's close on the UTC day it was paid, with the claim and
-- incident it settles.
-- windows: month
SELECT w.window_id AS period, p.payout_id, p.claim_id, c.incident_id, c.account_ref, c.channel, c.submitted_at,
       p.paid_at, p.asset, p.amount, pr.close_usd, usd_value(p.amount, pr.close_usd) AS amount_usd,
       p.method, p.funding_source, p.source_file, p.source_row
FROM windows AS w
JOIN staging.compensation_payouts AS p ON p.paid_at >= w.start_at AND p.paid_at < w.end_at
JOIN staging.compensation_claims AS c USING (claim_id)
LEFT JOIN staging.prices AS pr ON pr.asset = p.asset AND pr.date = utc_date(p.paid_at)

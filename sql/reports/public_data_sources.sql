-- Data sources and freshness: each landing file with its SHA-256, and the latest record of each table within the
-- period (a month whose data stop short of its end shows it here).
WITH w AS (SELECT * FROM windows),
latest AS (
    SELECT 'incidents' AS table_name, max(started_at) AS latest_record
    FROM staging.incidents, w WHERE started_at >= w.start_at AND started_at < w.end_at
    UNION ALL SELECT 'incident_impacts', max(started_at)
    FROM staging.incident_impacts, w WHERE started_at >= w.start_at AND started_at < w.end_at
    UNION ALL SELECT 'compensation_claims', max(submitted_at)
    FROM staging.compensation_claims, w WHERE submitted_at >= w.start_at AND submitted_at < w.end_at
    UNION ALL SELECT 'compensation_payouts', max(paid_at)
    FROM staging.compensation_payouts, w WHERE paid_at >= w.start_at AND paid_at < w.end_at
    UNION ALL SELECT 'insurance_fund_balances', max(as_of)
    FROM staging.insurance_fund_balances, w WHERE as_of >= w.start_at AND as_of < w.end_at
    UNION ALL SELECT 'insurance_fund_movements', max(occurred_at)
    FROM staging.insurance_fund_movements, w WHERE occurred_at >= w.start_at AND occurred_at < w.end_at
    UNION ALL SELECT 'prices', CAST(max(date) AS TIMESTAMPTZ)
    FROM staging.prices, w WHERE date >= utc_date(w.start_at) AND date < utc_date(w.end_at)
)
SELECT f.table_name, f.file, f.bytes, f.sha256, l.latest_record
FROM staging.landing_files AS f
LEFT JOIN latest AS l USING (table_name)
ORDER BY f.table_name, f.file

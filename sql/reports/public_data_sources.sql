-- Data sources and freshness: each landing file, its SHA-256, and the latest record time of its table.
WITH latest AS (
    SELECT 'incidents' AS table_name, max(greatest(started_at, coalesce(resolved_at, started_at))) AS latest_record
    FROM staging.incidents
    UNION ALL SELECT 'incident_impacts', max(started_at) FROM staging.incident_impacts
    UNION ALL SELECT 'compensation_claims', max(greatest(submitted_at, coalesce(decided_at, submitted_at)))
    FROM staging.compensation_claims
    UNION ALL SELECT 'compensation_payouts', max(paid_at) FROM staging.compensation_payouts
    UNION ALL SELECT 'insurance_fund_balances', max(as_of) FROM staging.insurance_fund_balances
    UNION ALL SELECT 'insurance_fund_movements', max(occurred_at) FROM staging.insurance_fund_movements
    UNION ALL SELECT 'prices', CAST(max(date) AS TIMESTAMPTZ) FROM staging.prices
)
SELECT f.table_name, f.file, f.bytes, f.sha256, l.latest_record
FROM staging.landing_files AS f
LEFT JOIN latest AS l USING (table_name)
ORDER BY f.table_name, f.file

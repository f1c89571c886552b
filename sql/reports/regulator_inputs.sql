-- Inputs: every landing file read, its size and SHA-256, and the rows staged from it.
WITH staged AS (
    SELECT 'incidents' AS table_name, source_file, count(*) AS rows FROM staging.incidents GROUP BY ALL
    UNION ALL SELECT 'incident_impacts', source_file, count(*) FROM staging.incident_impacts GROUP BY ALL
    UNION ALL SELECT 'compensation_claims', source_file, count(*) FROM staging.compensation_claims GROUP BY ALL
    UNION ALL SELECT 'compensation_payouts', source_file, count(*) FROM staging.compensation_payouts GROUP BY ALL
    UNION ALL SELECT 'insurance_fund_balances', source_file, count(*) FROM staging.insurance_fund_balances GROUP BY ALL
    UNION ALL SELECT 'insurance_fund_movements', source_file, count(*) FROM staging.insurance_fund_movements
    GROUP BY ALL
    UNION ALL SELECT 'prices', source_file, count(*) FROM staging.prices GROUP BY ALL
)
SELECT f.table_name, f.file, f.bytes, coalesce(s.rows, 0) AS rows, f.sha256
FROM staging.landing_files AS f
LEFT JOIN staged AS s ON s.table_name = f.table_name AND s.source_file = f.file
ORDER BY f.table_name, f.file

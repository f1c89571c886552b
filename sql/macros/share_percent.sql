-- `part` as a percentage of `whole` with one decimal, rounded half up (the DORA reports' percentages, ITS 2025/302
-- Annex II), exactly: through integers, since DuckDB divides DECIMALs as DOUBLEs. (Counts >= 0; NULL when whole is 0.)
CREATE OR REPLACE TEMP MACRO share_percent(part, whole) AS
    CASE WHEN whole > 0 THEN CAST((CAST(part AS HUGEINT) * 2000 + CAST(whole AS HUGEINT))
                                  // (2 * CAST(whole AS HUGEINT)) AS DECIMAL(38, 0)) * CAST(0.1 AS DECIMAL(3, 1)) END

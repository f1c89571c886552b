-- The mean of DECIMAL values without passing through a float (DuckDB's avg of a DECIMAL is a DOUBLE): the sum over
-- the count, truncated to 6 fractional digits.
CREATE OR REPLACE TEMP MACRO decimal_mean(x) AS
    CAST(CAST(sum(x) * 1000000 AS HUGEINT) // count(x) AS DECIMAL(38, 0)) * CAST(0.000001 AS DECIMAL(38, 6))

-- A USD amount in another currency, at that currency's USD close: the amount over the close, to 6 fractional
-- digits, rounded half up. Worked through integers, since DuckDB divides DECIMALs as DOUBLEs. (Amounts >= 0.)
CREATE OR REPLACE TEMP MACRO currency_value(usd, close_usd) AS
    CAST((CAST(CAST(usd AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT) * 2000000
          + CAST(CAST(close_usd AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT))
         // (2 * CAST(CAST(close_usd AS DECIMAL(38, 12)) * 1000000000000 AS HUGEINT)) AS DECIMAL(38, 0))
    * CAST(0.000001 AS DECIMAL(38, 6))

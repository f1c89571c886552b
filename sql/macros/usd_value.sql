-- An amount valued at a USD close. Both sides keep 12 fractional digits (the product 24, then 12 again), enough
-- for wei-level amounts and sub-cent prices while leaving 14 integer digits of USD.
CREATE OR REPLACE MACRO usd_value(amount, close_usd) AS
    CAST(CAST(amount AS DECIMAL(38, 12)) * CAST(close_usd AS DECIMAL(38, 12)) AS DECIMAL(38, 12))

-- An amount valued at a USD close. Both are taken to 12 fractional digits (amounts with more, such as wei, are
-- rounded there: below 1e-12 of a unit) and the product is kept to 12, leaving 14 integer digits of USD.
CREATE OR REPLACE TEMP MACRO usd_value(amount, close_usd) AS
    CAST(CAST(amount AS DECIMAL(38, 12)) * CAST(close_usd AS DECIMAL(38, 12)) AS DECIMAL(38, 12))

-- A balance valued at a USD close: nothing held is worth 0 whatever the price (none is needed), otherwise as
-- usd_value, NULL when the close is missing.
CREATE OR REPLACE TEMP MACRO usd_balance(balance, close_usd) AS
    CASE WHEN balance = 0 THEN CAST(0 AS DECIMAL(38, 12)) ELSE usd_value(balance, close_usd) END

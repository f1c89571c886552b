-- A DECIMAL as the receipts write an amount: its digits without trailing fractional zeros or a trailing point
-- (0.500 → 0.5, 100.000 → 100, 0.000 → 0), NULL as NULL. For DECIMALs with a fractional part in their type.
CREATE OR REPLACE TEMP MACRO plain_decimal(x) AS
    rtrim(rtrim(CAST(x AS VARCHAR), '0'), '.')

SELECT asset, date, close_usd FROM staging.prices ORDER BY asset, date

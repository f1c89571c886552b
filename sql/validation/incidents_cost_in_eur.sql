-- The economic cost is compared with a EUR threshold: a cost in another currency needs EUR's close on the day of
-- classification to be converted.
SELECT r._file, r._row, 'incident_id=' || r.incident_id AS record, 'economic_cost_currency' AS field,
       'a currency convertible to EUR on ' || CAST(utc_date(r.classified_at) AS VARCHAR)
           || ' (EUR has no close that day in prices)' AS expected,
       r.economic_cost_currency AS found
FROM raw_incidents AS r
WHERE r.economic_cost_currency <> 'EUR'
  AND r.classified_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM staging.prices AS p WHERE p.asset = 'EUR' AND p.date = utc_date(r.classified_at))

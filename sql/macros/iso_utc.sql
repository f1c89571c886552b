-- An instant as the project writes it (pipelines/timestamps.py): UTC, YYYY-MM-DDTHH:MM:SSZ, with .ffffff only where
-- the microseconds are not zero.
CREATE OR REPLACE TEMP MACRO iso_utc(t) AS
    strftime(timezone('UTC', t), '%Y-%m-%dT%H:%M:%S')
    || CASE WHEN strftime(timezone('UTC', t), '%f') = '000000' THEN '' ELSE '.' || strftime(timezone('UTC', t), '%f') END
    || 'Z'

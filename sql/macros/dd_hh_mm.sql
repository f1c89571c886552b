-- A span of minutes written DD:HH:MM (days, hours, minutes; ITS 2025/302 fields 3.15 and 3.16), whole minutes
-- rounded down.
CREATE OR REPLACE TEMP MACRO dd_hh_mm(minutes) AS
    format('{:02d}:{:02d}:{:02d}', CAST(floor(minutes) AS BIGINT) // 1440, CAST(floor(minutes) AS BIGINT) % 1440 // 60,
           CAST(floor(minutes) AS BIGINT) % 60)

-- Availability of every service of the profile in each window of `windows`, under three conventions (the down
-- time of each impact level: int_service_downtime).
-- Weighted down time = major-outage minutes + 0.3 × minutes of partial outage without a major outage.
-- windows: month
SELECT window_id AS period, service, service_name, critical,
       CAST(outage_us / 60e6 AS DECIMAL(18, 4)) AS outage_minutes,
       CAST(partial_us / 60e6 AS DECIMAL(18, 4)) AS partial_minutes,
       CAST(degraded_us / 60e6 AS DECIMAL(18, 4)) AS degraded_minutes,
       CAST(window_us / 60e6 AS DECIMAL(18, 4)) AS window_minutes,
       CAST(1 - (outage_us + partial_us) / window_us AS DECIMAL(18, 10)) AS availability_strict,
       CAST(1 - (outage_us + 0.3 * partial_us) / window_us AS DECIMAL(18, 10)) AS availability_weighted,
       CAST(1 - outage_us / window_us AS DECIMAL(18, 10)) AS availability_lenient
FROM int_service_downtime

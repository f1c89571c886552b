-- The costs of the period's major incidents for their DORA final reports (fields 4.13 and 4.14).
SELECT incident_id, reporting_currency, own_costs, claims_approved, compensation_approved, payouts,
       compensation_paid, gross_costs, recoveries, unvalued
FROM marts.dora_incident_costs WHERE period = $period
ORDER BY incident_id

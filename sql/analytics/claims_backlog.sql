SELECT * FROM marts.claims_backlog ORDER BY period, position

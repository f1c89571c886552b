SELECT * FROM marts.claims_backlog
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, position

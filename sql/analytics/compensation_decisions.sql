SELECT * FROM marts.compensation_decisions
WHERE period IN (SELECT period FROM checked_periods)
ORDER BY period, decision, rejection_reason

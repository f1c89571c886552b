SELECT * FROM marts.compensation_decisions ORDER BY period, decision, rejection_reason

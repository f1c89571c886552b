-- Claims pending at the period end by age, unsuppressed.
SELECT bucket, claims, users, oldest_days FROM marts.claims_backlog WHERE period = $period ORDER BY position

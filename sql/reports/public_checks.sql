-- The consistency checks run on the period, in words, and whether each passed (blocking checks stop publication,
-- so every blocking check of a published month passed; a warning may not have).
SELECT check_name, CASE severity WHEN 'ERROR' THEN 'blocking' ELSE 'warning' END AS kind,
       regexp_replace(description, '^(Blocking|Warning)\.\s*', '') AS description,  -- the kind says it
       failures = 0 AS passed
FROM marts.check_results
WHERE period = $period
ORDER BY severity, check_name

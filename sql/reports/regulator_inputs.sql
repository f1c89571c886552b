-- Inputs: every landing file read, its size, its rows (counted when it was staged) and its SHA-256.
SELECT table_name, file, bytes, rows, sha256
FROM staging.landing_files
ORDER BY table_name, file

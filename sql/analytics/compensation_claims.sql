SELECT * FROM staging.compensation_claims ORDER BY submitted_at, claim_id

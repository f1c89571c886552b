-- The back-office schema the project ships (PostgreSQL 11 or newer): compensation claims and their payouts.
--
-- pipelines/sources/backoffice.py reads these two tables into the landing tables compensation_claims and
-- compensation_payouts (DESIGN.md §3); a column here has the name of its contract column. The constraints
-- mirror the contract, so that a row the contract would reject is refused when it is written, not at import:
-- enums are text with CHECK constraints (the values of pipelines/contract.py), identifiers are non-empty without
-- surrounding whitespace, asset codes are 2-10 upper-case letters or digits, and amounts are exact `numeric`
-- (unconstrained, so a value keeps the scale it was written with) of at most 20 integer and 18 fractional
-- digits, never negative, never NaN or infinite: a value with more digits is refused, never rounded.
--
-- `updated_at` is set by a trigger on every INSERT and UPDATE (clock_timestamp(), whatever the client sends):
-- the adapter imports incrementally from it (rows with updated_at after its watermark). Rows are never
-- deleted: a claim that should not count is withdrawn (decision = 'withdrawn'); an incremental import does not
-- see deletions (a full import does).
--
-- The script is idempotent: running it again on an existing schema changes nothing.

CREATE TABLE IF NOT EXISTS claims (
    claim_id         text        NOT NULL,
    incident_id      text,
    account_ref      text        NOT NULL,
    channel          text        NOT NULL,
    submitted_at     timestamptz NOT NULL,
    decided_at       timestamptz,
    decision         text        NOT NULL DEFAULT 'pending',
    rejection_reason text,
    claimed_amount   numeric     NOT NULL,
    claimed_asset    text        NOT NULL,
    approved_amount  numeric,
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT claims_pkey PRIMARY KEY (claim_id),
    CONSTRAINT claims_claim_id_check CHECK (claim_id <> '' AND claim_id !~ '^\s|\s$'),
    CONSTRAINT claims_incident_id_check CHECK (incident_id <> '' AND incident_id !~ '^\s|\s$'),
    CONSTRAINT claims_account_ref_check CHECK (account_ref <> '' AND account_ref !~ '^\s|\s$'),
    CONSTRAINT claims_channel_check CHECK (channel IN ('user_claim', 'automatic')),
    CONSTRAINT claims_submitted_at_check CHECK (isfinite(submitted_at)),
    CONSTRAINT claims_decided_at_check CHECK (isfinite(decided_at)),
    CONSTRAINT claims_decision_check
        CHECK (decision IN ('pending', 'approved', 'partially_approved', 'rejected', 'withdrawn')),
    CONSTRAINT claims_rejection_reason_check CHECK (rejection_reason IN (
        'unrealized_profit', 'not_affected', 'duplicate', 'outside_window', 'insufficient_evidence', 'other')),
    CONSTRAINT claims_claimed_amount_check
        CHECK (claimed_amount >= 0 AND claimed_amount < 1e20 AND scale(claimed_amount) <= 18),
    CONSTRAINT claims_claimed_asset_check CHECK (claimed_asset ~ '^[A-Z0-9]{2,10}$'),
    CONSTRAINT claims_approved_amount_check
        CHECK (approved_amount >= 0 AND approved_amount < 1e20 AND scale(approved_amount) <= 18),
    -- The decision's fields agree with it (sql/validation/compensation_claims_decision.sql).
    CONSTRAINT claims_decided_at_iff_decided CHECK ((decision = 'pending') = (decided_at IS NULL)),
    CONSTRAINT claims_reason_iff_rejected CHECK ((decision = 'rejected') = (rejection_reason IS NOT NULL)),
    CONSTRAINT claims_approved_amount_iff_approved
        CHECK ((decision IN ('approved', 'partially_approved')) = (approved_amount IS NOT NULL)),
    CONSTRAINT claims_approved_within_claimed CHECK (approved_amount <= claimed_amount),
    CONSTRAINT claims_decided_after_submitted CHECK (decided_at >= submitted_at)
);

CREATE TABLE IF NOT EXISTS payouts (
    payout_id      text        NOT NULL,
    claim_id       text        NOT NULL,
    paid_at        timestamptz NOT NULL,
    asset          text        NOT NULL,
    amount         numeric     NOT NULL,
    method         text        NOT NULL,
    funding_source text        NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT payouts_pkey PRIMARY KEY (payout_id),
    CONSTRAINT payouts_claim_id_fkey FOREIGN KEY (claim_id) REFERENCES claims (claim_id),
    CONSTRAINT payouts_payout_id_check CHECK (payout_id <> '' AND payout_id !~ '^\s|\s$'),
    CONSTRAINT payouts_paid_at_check CHECK (isfinite(paid_at)),
    CONSTRAINT payouts_asset_check CHECK (asset ~ '^[A-Z0-9]{2,10}$'),
    CONSTRAINT payouts_amount_check CHECK (amount >= 0 AND amount < 1e20 AND scale(amount) <= 18),
    CONSTRAINT payouts_method_check CHECK (method IN ('account_credit', 'fee_rebate', 'voucher', 'on_chain')),
    CONSTRAINT payouts_funding_source_check CHECK (funding_source IN ('company', 'insurance_fund'))
);

-- The incremental import reads `WHERE updated_at > $watermark`.
CREATE INDEX IF NOT EXISTS claims_updated_at_idx ON claims (updated_at);
CREATE INDEX IF NOT EXISTS payouts_updated_at_idx ON payouts (updated_at);
-- The foreign key's column (a claim's payouts; deleting or re-keying a claim checks it).
CREATE INDEX IF NOT EXISTS payouts_claim_id_idx ON payouts (claim_id);

-- Every INSERT and UPDATE stamps the row. clock_timestamp() (the time of the statement's row, not of the
-- transaction's start as now() would be) narrows the gap between the stamp and the commit; the adapter's
-- overlap covers the rest (a row becomes visible only at commit, possibly after an import already read past
-- its stamp).
CREATE OR REPLACE FUNCTION backoffice_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS claims_touch_updated_at ON claims;
CREATE TRIGGER claims_touch_updated_at BEFORE INSERT OR UPDATE ON claims
    FOR EACH ROW EXECUTE FUNCTION backoffice_touch_updated_at();

DROP TRIGGER IF EXISTS payouts_touch_updated_at ON payouts;
CREATE TRIGGER payouts_touch_updated_at BEFORE INSERT OR UPDATE ON payouts
    FOR EACH ROW EXECUTE FUNCTION backoffice_touch_updated_at();

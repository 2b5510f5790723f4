-- Imports of legacy Excel ledgers: one row per import (what, by whom, the
-- counts and the reconciliation certificate), the provenance of every
-- imported row, saved column mappings, and the staging table that COPY
-- fills before the set-based merge.

CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('accounts', 'readings', 'payments')),
    file_name TEXT NOT NULL,
    file_sha256 BYTEA NOT NULL CHECK (octet_length(file_sha256) = 32),
    sheet TEXT NOT NULL,
    policy TEXT NOT NULL CHECK (policy IN ('update', 'skip', 'fail')),
    status TEXT NOT NULL CHECK (status IN ('running', 'committed', 'failed', 'cancelled')),
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_new INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_rejected INTEGER NOT NULL DEFAULT 0,
    -- Reconciliation: sums in the file (valid rows) and in the database
    -- after the import, for the same accounts.
    file_balance NUMERIC(14, 2),
    file_arrears NUMERIC(14, 2),
    db_balance NUMERIC(14, 2),
    db_arrears NUMERIC(14, 2),
    error_message TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ
);
CREATE INDEX imports_file ON imports (kind, file_sha256);

-- Which import wrote (or confirmed) which account, from which row.
CREATE TABLE import_rows (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id),
    sheet TEXT NOT NULL,
    row_number INTEGER NOT NULL CHECK (row_number >= 1),
    account_id BIGINT REFERENCES accounts (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('new', 'updated', 'unchanged', 'skipped'))
);
CREATE INDEX import_rows_import ON import_rows (import_id, row_number);
CREATE INDEX import_rows_account ON import_rows (account_id);

CREATE TABLE import_mappings (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 60),
    kind TEXT NOT NULL CHECK (kind IN ('accounts', 'readings', 'payments')),
    -- field key -> column header, as TOML text (the CLI's mapping file format)
    mapping TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Cleaned, validated and encrypted rows of one import, between COPY and
-- merge. Emptied when the import ends, whatever the outcome.
CREATE TABLE import_staging_accounts (
    import_id BIGINT NOT NULL,
    row_number INTEGER NOT NULL,
    account_no TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    party_kind TEXT NOT NULL,
    customer_type TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_number_enc BYTEA,
    id_number_hash BYTEA,
    id_number_masked TEXT NOT NULL,
    phone_enc BYTEA NOT NULL,
    phone_hash BYTEA NOT NULL,
    phone_masked TEXT NOT NULL,
    district TEXT NOT NULL,
    community TEXT NOT NULL,
    building TEXT NOT NULL,
    unit TEXT NOT NULL,
    room TEXT NOT NULL,
    address TEXT NOT NULL,
    meter_no TEXT NOT NULL,
    meter_type TEXT NOT NULL,
    initial_reading NUMERIC(14, 3) NOT NULL,
    card_no TEXT,
    household_size INTEGER,
    opened_on DATE NOT NULL,
    balance NUMERIC(14, 2) NOT NULL,
    arrears NUMERIC(14, 2) NOT NULL,
    -- Filled by the merge.
    outcome TEXT,
    differences TEXT[],
    -- What the ledger must move: the file's figure minus the account's.
    balance_delta NUMERIC(14, 2),
    arrears_delta NUMERIC(14, 2),
    customer_id BIGINT,
    premise_id BIGINT,
    account_id BIGINT,
    meter_id BIGINT,
    PRIMARY KEY (import_id, row_number)
);

GRANT SELECT, INSERT, UPDATE ON imports TO gascis_app;
GRANT SELECT, INSERT ON import_rows TO gascis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON import_mappings TO gascis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON import_staging_accounts TO gascis_app;
GRANT USAGE ON SEQUENCE imports_id_seq, import_rows_id_seq, import_mappings_id_seq TO gascis_app;

-- Uploaded spreadsheets wait here (not on a server's disk) so that any
-- server process behind the address can import them.
CREATE TABLE import_files (
    id BIGSERIAL PRIMARY KEY,
    file_name TEXT NOT NULL,
    file_sha256 BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, DELETE ON import_files TO gascis_app;
GRANT USAGE ON SEQUENCE import_files_id_seq TO gascis_app;

-- Customer archive: customers, premises, accounts, meters, contracts, IC
-- cards, household registrations, holder history, change records; and the
-- append-only double-entry ledger that arrears and prepayments derive from.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Personal data: identity numbers and phones are stored only encrypted
-- (AES-256-GCM, *_enc), with a keyed hash (HMAC-SHA256, *_hash) for exact
-- lookup and the masked form (*_masked) for display. Plain values never
-- reach the database.
CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    party_kind TEXT NOT NULL CHECK (party_kind IN ('person', 'organisation')),
    customer_type TEXT NOT NULL
        CHECK (customer_type IN ('residential', 'commercial', 'industrial', 'public_welfare')),
    name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    id_type TEXT NOT NULL CHECK (id_type IN (
        'none', 'resident_id', 'passport', 'hk_macao_permit', 'taiwan_permit',
        'unified_social_credit_code', 'other')),
    id_number_enc BYTEA,
    id_number_hash BYTEA,
    id_number_masked TEXT NOT NULL DEFAULT '',
    phone_enc BYTEA,
    phone_hash BYTEA,
    phone_masked TEXT NOT NULL DEFAULT '',
    phone2_enc BYTEA,
    phone2_hash BYTEA,
    phone2_masked TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1,
    CHECK ((id_number_enc IS NULL) = (id_number_hash IS NULL))
);
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
-- Byte order (C collation) lets `name LIKE '王伟%' ORDER BY name, id` walk
-- the index and stop after one page.
CREATE INDEX customers_name_prefix ON customers ((name COLLATE "C"), id);
CREATE INDEX customers_id_number_hash ON customers (id_number_hash) WHERE id_number_hash IS NOT NULL;
CREATE INDEX customers_phone_hash ON customers (phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX customers_phone2_hash ON customers (phone2_hash) WHERE phone2_hash IS NOT NULL;

CREATE TABLE premises (
    id BIGSERIAL PRIMARY KEY,
    district TEXT NOT NULL DEFAULT '',
    community TEXT NOT NULL DEFAULT '',
    building TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL CHECK (char_length(address) BETWEEN 1 AND 200),
    latitude NUMERIC(9, 6) CHECK (latitude BETWEEN -90 AND 90),
    longitude NUMERIC(9, 6) CHECK (longitude BETWEEN -180 AND 180),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX premises_address_trgm ON premises USING gin (address gin_trgm_ops);

CREATE SEQUENCE account_no_seq START 1000000001;

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    account_no TEXT NOT NULL UNIQUE CHECK (account_no ~ '^[0-9A-Za-z-]{1,20}$'),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    premise_id BIGINT NOT NULL REFERENCES premises (id),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    low_income BOOLEAN NOT NULL DEFAULT false,
    tariff_code TEXT NOT NULL DEFAULT '',
    opened_on DATE NOT NULL,
    closed_on DATE,
    -- OpenAccount's idempotency key and the SHA-256 of what it asked for:
    -- the same key with other content is refused, not opened twice.
    open_idempotency_key TEXT UNIQUE,
    open_request_sha256 BYTEA,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1,
    CHECK ((status = 'closed') = (closed_on IS NOT NULL))
);
CREATE INDEX accounts_customer_id ON accounts (customer_id);
CREATE INDEX accounts_premise_id ON accounts (premise_id);
CREATE INDEX accounts_account_no_prefix ON accounts (account_no text_pattern_ops);

CREATE TABLE account_holders (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    from_date DATE NOT NULL,
    to_date DATE,
    CHECK (to_date IS NULL OR to_date >= from_date)
);
CREATE INDEX account_holders_account_id ON account_holders (account_id);
-- One current holder per account.
CREATE UNIQUE INDEX account_holders_current ON account_holders (account_id) WHERE to_date IS NULL;

CREATE TABLE household_registrations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    household_size INTEGER NOT NULL CHECK (household_size BETWEEN 1 AND 50),
    effective_from DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    recorded_by TEXT NOT NULL
);
CREATE INDEX household_registrations_account ON household_registrations (account_id, effective_from);

CREATE TABLE meters (
    id BIGSERIAL PRIMARY KEY,
    meter_no TEXT NOT NULL UNIQUE CHECK (char_length(meter_no) BETWEEN 1 AND 32),
    meter_type TEXT NOT NULL CHECK (meter_type IN ('mechanical', 'ic_card', 'iot')),
    maker TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    size TEXT NOT NULL CHECK (size IN ('G1.6', 'G2.5', 'G4', 'G6', 'G10', 'G16', 'G25', 'G40', 'G65', 'G100')),
    digits INTEGER NOT NULL CHECK (digits BETWEEN 4 AND 10),
    installed_on DATE NOT NULL,
    initial_reading NUMERIC(14, 3) NOT NULL CHECK (initial_reading >= 0),
    account_id BIGINT REFERENCES accounts (id),
    installed BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1,
    CHECK (initial_reading < power(10::numeric, digits))
);
CREATE INDEX meters_account_id ON meters (account_id);
CREATE INDEX meters_meter_no_prefix ON meters (meter_no text_pattern_ops);
-- At most one installed meter per account.
CREATE UNIQUE INDEX meters_installed_per_account ON meters (account_id) WHERE installed;

CREATE TABLE meter_events (
    id BIGSERIAL PRIMARY KEY,
    meter_id BIGINT NOT NULL REFERENCES meters (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('install', 'remove', 'replaced_out', 'replaced_in', 'final_reading')),
    reading NUMERIC(14, 3) NOT NULL CHECK (reading >= 0),
    occurred_on DATE NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    recorded_by TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX meter_events_account ON meter_events (account_id, id);

CREATE TABLE contracts (
    id BIGSERIAL PRIMARY KEY,
    contract_no TEXT NOT NULL UNIQUE CHECK (char_length(contract_no) BETWEEN 1 AND 40),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    signed_on DATE NOT NULL,
    gas_purpose TEXT NOT NULL CHECK (gas_purpose IN (
        'cooking', 'heating', 'cooking_and_heating', 'commercial', 'industrial')),
    price_policy TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX contracts_account_id ON contracts (account_id);

CREATE TABLE ic_cards (
    id BIGSERIAL PRIMARY KEY,
    card_no TEXT NOT NULL UNIQUE CHECK (char_length(card_no) BETWEEN 1 AND 32),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    issue_count INTEGER NOT NULL DEFAULT 1 CHECK (issue_count >= 1),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lost', 'cancelled')),
    issued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ic_cards_account_id ON ic_cards (account_id);

-- Immutable history of every archive change (变更记录). Personal data in
-- `differences` is masked before it is written.
CREATE TABLE change_records (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    user_id BIGINT,
    username TEXT NOT NULL,
    account_id BIGINT REFERENCES accounts (id),
    entity TEXT NOT NULL CHECK (entity IN ('customer', 'premise', 'account', 'meter', 'contract')),
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    differences TEXT[] NOT NULL DEFAULT '{}',
    approved_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_records_account ON change_records (account_id, id);

-- The ledger: a transaction is a set of lines whose amounts (debit positive,
-- credit negative) sum to zero. Nothing is ever updated or deleted; a
-- mistake is undone by a reversing transaction.
CREATE TABLE ledger_transactions (
    id BIGSERIAL PRIMARY KEY,
    business_key TEXT NOT NULL UNIQUE CHECK (business_key <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    account_id BIGINT REFERENCES accounts (id),
    occurred_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    created_by TEXT NOT NULL,
    reverses_id BIGINT UNIQUE REFERENCES ledger_transactions (id),
    memo TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ledger_transactions_account ON ledger_transactions (account_id);

CREATE TABLE ledger_lines (
    id BIGSERIAL PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions (id),
    book TEXT NOT NULL CHECK (book <> ''),
    account_id BIGINT REFERENCES accounts (id),
    amount NUMERIC(14, 2) NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_lines_transaction ON ledger_lines (transaction_id);
CREATE INDEX ledger_lines_account_book ON ledger_lines (account_id, book) WHERE account_id IS NOT NULL;

-- Every INSERT into ledger_lines must leave each transaction it touches
-- balanced: all lines of a transaction are written by one statement (as
-- ledger.rs and the import merge do). One check per statement, over the
-- statement's rows, keeps bulk imports fast.
CREATE FUNCTION ledger_transactions_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unbalanced BIGINT;
BEGIN
    SELECT l.transaction_id INTO unbalanced
    FROM ledger_lines l
    WHERE l.transaction_id IN (SELECT DISTINCT transaction_id FROM new_lines)
    GROUP BY l.transaction_id
    HAVING sum(l.amount) <> 0
    LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_lines_balance
    AFTER INSERT ON ledger_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_must_balance();

CREATE FUNCTION refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER ledger_lines_append_only BEFORE UPDATE OR DELETE ON ledger_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER change_records_append_only BEFORE UPDATE OR DELETE ON change_records
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER change_records_no_truncate BEFORE TRUNCATE ON change_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER meter_events_append_only BEFORE UPDATE OR DELETE ON meter_events
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

GRANT SELECT, INSERT, UPDATE ON customers, premises, accounts, account_holders, meters,
    contracts, ic_cards TO gascis_app;
GRANT SELECT, INSERT ON household_registrations, meter_events, change_records,
    ledger_transactions, ledger_lines TO gascis_app;
GRANT USAGE ON SEQUENCE customers_id_seq, premises_id_seq, accounts_id_seq, account_holders_id_seq,
    household_registrations_id_seq, meters_id_seq, meter_events_id_seq, contracts_id_seq,
    ic_cards_id_seq, change_records_id_seq, ledger_transactions_id_seq, ledger_lines_id_seq,
    account_no_seq TO gascis_app;

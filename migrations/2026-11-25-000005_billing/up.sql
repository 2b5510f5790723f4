-- Tariffs, route books, meter readings, bills and billing runs.

-- A tariff (气价方案) and its published revisions. A revision is the whole
-- document (every effective-dated price version) as common::tariff reads
-- it; revisions are never edited, so every bill can name the exact prices
-- it was computed with. At most one draft per tariff is kept beside them.
CREATE TABLE tariffs (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- Accounts whose tariff_code is empty are billed with the default tariff.
    is_default BOOLEAN NOT NULL DEFAULT false,
    draft JSONB,
    draft_saved_by TEXT NOT NULL DEFAULT '',
    draft_saved_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tariffs_one_default ON tariffs (is_default) WHERE is_default;

CREATE TABLE tariff_revisions (
    id BIGSERIAL PRIMARY KEY,
    tariff_id BIGINT NOT NULL REFERENCES tariffs (id),
    document JSONB NOT NULL,
    published_by TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tariff_revisions_tariff ON tariff_revisions (tariff_id, id);

-- 抄表册: the accounts one reader reads on one round, in walking order.
CREATE TABLE route_books (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE CHECK (char_length(code) BETWEEN 1 AND 20),
    name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    area TEXT NOT NULL DEFAULT '',
    reader TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);

ALTER TABLE accounts
    ADD COLUMN route_book_id BIGINT REFERENCES route_books (id),
    ADD COLUMN route_seq INTEGER,
    -- A flat price class of the tariff (school, welfare, shared meter…).
    ADD COLUMN flat_class TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_route_book ON accounts (route_book_id, route_seq) WHERE route_book_id IS NOT NULL;

-- Meter readings. A reading is kept as it was taken; review changes only
-- its status (approve, reject, order a re-read), a correction is a new
-- reading. Consumption is against the previous usable reading, with
-- rollover at the meter's digits.
CREATE TABLE meter_readings (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    meter_id BIGINT NOT NULL REFERENCES meters (id),
    read_at TIMESTAMPTZ NOT NULL,
    read_on DATE NOT NULL,
    value NUMERIC(14, 3) NOT NULL CHECK (value >= 0),
    source TEXT NOT NULL CHECK (source IN ('manual', 'iot', 'self', 'estimated', 'import')),
    previous_id BIGINT REFERENCES meter_readings (id),
    consumption NUMERIC(14, 3),
    status TEXT NOT NULL CHECK (status IN ('valid', 'anomaly', 'approved', 'rejected', 'reread')),
    anomalies TEXT[] NOT NULL DEFAULT '{}',
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMPTZ,
    review_note TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX meter_readings_account ON meter_readings (account_id, read_on, id);
CREATE INDEX meter_readings_anomalies ON meter_readings (id) WHERE status = 'anomaly';
-- An IoT feed sends each (meter, timestamp) once, however often it retries.
CREATE UNIQUE INDEX meter_readings_iot_once ON meter_readings (meter_id, read_at) WHERE source = 'iot';

CREATE TABLE billing_runs (
    id BIGSERIAL PRIMARY KEY,
    period TEXT NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    scope TEXT NOT NULL CHECK (scope IN ('all', 'area', 'route_book')),
    scope_value TEXT NOT NULL DEFAULT '',
    -- Accounts without a reading this period are billed on an estimate.
    estimate_missing BOOLEAN NOT NULL DEFAULT false,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    chunks INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    error TEXT NOT NULL DEFAULT ''
);

-- The run's work, claimed with FOR UPDATE SKIP LOCKED: a chunk is billed
-- and marked done in one transaction, so a worker that dies leaves its
-- chunk pending for the next one, and no chunk is billed twice.
CREATE TABLE billing_run_chunks (
    run_id BIGINT NOT NULL REFERENCES billing_runs (id),
    chunk_no INTEGER NOT NULL,
    first_account_id BIGINT NOT NULL,
    last_account_id BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    worker TEXT NOT NULL DEFAULT '',
    bills INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    done_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, chunk_no)
);

-- Accounts a run could not bill, and why (no reading, an anomaly waiting
-- for review, no tariff…), for back office to follow up.
CREATE TABLE billing_run_skips (
    run_id BIGINT NOT NULL REFERENCES billing_runs (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, account_id)
);

-- A bill: one account, one period. Runs write revision 0 only, so the
-- unique key makes a second original bill impossible; a correction is a
-- new revision (with a reversal of the previous one in the ledger).
CREATE TABLE bills (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    period TEXT NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0),
    from_date DATE NOT NULL,
    to_date DATE NOT NULL CHECK (to_date >= from_date),
    previous_reading_id BIGINT REFERENCES meter_readings (id),
    reading_id BIGINT REFERENCES meter_readings (id),
    previous_value NUMERIC(14, 3),
    current_value NUMERIC(14, 3),
    volume NUMERIC(14, 3) NOT NULL CHECK (volume >= 0),
    estimated BOOLEAN NOT NULL DEFAULT false,
    amount NUMERIC(14, 2) NOT NULL,
    net NUMERIC(14, 2) NOT NULL,
    tax NUMERIC(14, 2) NOT NULL,
    vat_rate NUMERIC(6, 4) NOT NULL,
    tariff_code TEXT NOT NULL,
    tariff_revision_id BIGINT NOT NULL REFERENCES tariff_revisions (id),
    -- Tier counter before and after this bill, and the start of the tier
    -- cycle the bill ends in: the next bill continues from here.
    cycle_to_date NUMERIC(14, 3) NOT NULL,
    cycle_after NUMERIC(14, 3),
    cycle_start DATE,
    due_on DATE NOT NULL,
    run_id BIGINT REFERENCES billing_runs (id),
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    replaces_bill_id BIGINT UNIQUE REFERENCES bills (id),
    cancelled BOOLEAN NOT NULL DEFAULT false,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, period, revision),
    CHECK (amount = net + tax)
);
CREATE INDEX bills_period ON bills (period);
CREATE INDEX bills_run ON bills (run_id) WHERE run_id IS NOT NULL;

-- Why a bill is what it is: one line per tier, season and price version.
CREATE TABLE bill_lines (
    bill_id BIGINT NOT NULL REFERENCES bills (id),
    line_no SMALLINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tier', 'flat', 'fixed_charge', 'minimum_top_up')),
    tier SMALLINT,
    season TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    volume NUMERIC(14, 3) NOT NULL,
    unit_price NUMERIC(12, 4),
    amount NUMERIC(14, 2) NOT NULL,
    version_effective_from DATE NOT NULL,
    from_date DATE NOT NULL,
    to_date DATE NOT NULL,
    days INTEGER NOT NULL,
    PRIMARY KEY (bill_id, line_no)
);

CREATE TRIGGER tariff_revisions_append_only BEFORE UPDATE OR DELETE ON tariff_revisions
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER bills_append_only BEFORE UPDATE OR DELETE ON bills
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER bill_lines_append_only BEFORE UPDATE OR DELETE ON bill_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

GRANT SELECT, INSERT, UPDATE ON tariffs, route_books, meter_readings, billing_runs,
    billing_run_chunks TO gascis_app;
GRANT SELECT, INSERT ON billing_run_skips TO gascis_app;
GRANT SELECT, INSERT ON tariff_revisions, bills, bill_lines TO gascis_app;
GRANT USAGE ON SEQUENCE tariffs_id_seq, tariff_revisions_id_seq, route_books_id_seq,
    meter_readings_id_seq, billing_runs_id_seq, bills_id_seq TO gascis_app;

-- The counter hall: cashiers' shifts (扎帐), payments on every channel with
-- their allocation to bills, receipts and every print of them, voids and
-- refunds as ledger reversals, and month-end locks.

-- One shift per cashier and business day. Postings lock their shift row
-- FOR SHARE; closing locks it FOR UPDATE, so a close waits for postings in
-- flight and every later posting sees the shift closed.
CREATE TABLE shifts (
    id BIGSERIAL PRIMARY KEY,
    cashier_id BIGINT NOT NULL REFERENCES users (id),
    business_date DATE NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    closed_at TIMESTAMPTZ,
    expected_cash NUMERIC(14, 2),
    counted_cash NUMERIC(14, 2),
    cash_difference NUMERIC(14, 2),
    difference_note TEXT NOT NULL DEFAULT '',
    -- Per channel: count and amount, frozen at close.
    totals JSONB,
    supervisor_id BIGINT REFERENCES users (id),
    UNIQUE (cashier_id, business_date),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (status = 'open' OR (counted_cash IS NOT NULL AND supervisor_id IS NOT NULL
        AND cash_difference = counted_cash - expected_cash))
);

-- A closed shift stays closed.
CREATE FUNCTION shifts_stay_closed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'shift % is closed', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.cashier_id <> OLD.cashier_id OR NEW.business_date <> OLD.business_date THEN
        RAISE EXCEPTION 'a shift keeps its cashier and day' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER shifts_stay_closed BEFORE UPDATE ON shifts
    FOR EACH ROW EXECUTE FUNCTION shifts_stay_closed();

-- Months whose postings are final (月结).
CREATE TABLE period_locks (
    period TEXT PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    locked_by TEXT NOT NULL,
    locked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE SEQUENCE receipt_no_seq;

-- A payment (or a refund of prepayment) as the cashier or channel asked for
-- it. What it asked for never changes; only its outcome moves forward:
-- pending -> posted | declined | unknown, unknown -> posted | declined.
-- A void does not change the row: it is a reversal in payment_voids.
CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    -- Our order number, the one channels quote back in statements.
    payment_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    request_sha256 BYTEA NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    channel TEXT NOT NULL CHECK (channel IN ('cash', 'bank_card', 'wechat', 'alipay',
        'bank_agent', 'online')),
    amount NUMERIC(14, 2) NOT NULL CHECK (amount > 0),
    tendered NUMERIC(14, 2),
    change_given NUMERIC(14, 2),
    -- Bank terminal reference, or the channel's transaction number (known
    -- only once a QR channel answers).
    reference TEXT NOT NULL DEFAULT '',
    -- The account right after posting, as the receipt shows it.
    arrears_after NUMERIC(14, 2),
    prepayment_after NUMERIC(14, 2),
    status TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'declined', 'unknown')),
    status_detail TEXT NOT NULL DEFAULT '',
    shift_id BIGINT REFERENCES shifts (id),
    business_date DATE NOT NULL,
    receipt_no TEXT UNIQUE,
    ledger_transaction_id BIGINT UNIQUE REFERENCES ledger_transactions (id),
    approved_by BIGINT REFERENCES users (id),
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    posted_at TIMESTAMPTZ,
    CHECK ((status = 'posted') = (ledger_transaction_id IS NOT NULL)),
    CHECK ((status = 'posted') = (receipt_no IS NOT NULL)),
    CHECK (kind = 'payment' OR approved_by IS NOT NULL),
    CHECK (change_given IS NULL OR (tendered IS NOT NULL AND change_given = tendered - amount))
);
CREATE INDEX payments_account ON payments (account_id, id);
CREATE INDEX payments_shift ON payments (shift_id) WHERE shift_id IS NOT NULL;
CREATE INDEX payments_day_channel ON payments (business_date, channel);
CREATE INDEX payments_unresolved ON payments (id) WHERE status IN ('pending', 'unknown');

CREATE FUNCTION payments_outcome_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.payment_no, NEW.idempotency_key, NEW.request_sha256, NEW.kind, NEW.account_id,
        NEW.channel, NEW.amount, NEW.tendered, NEW.change_given, NEW.shift_id, NEW.business_date,
        NEW.approved_by, NEW.reason, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.payment_no, OLD.idempotency_key, OLD.request_sha256, OLD.kind, OLD.account_id,
        OLD.channel, OLD.amount, OLD.tendered, OLD.change_given, OLD.shift_id, OLD.business_date,
        OLD.approved_by, OLD.reason, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'payment % may change only its outcome', OLD.payment_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT ((OLD.status = 'pending' AND NEW.status IN ('posted', 'declined', 'unknown'))
         OR (OLD.status = 'unknown' AND NEW.status IN ('posted', 'declined', 'unknown'))) THEN
        RAISE EXCEPTION 'payment % cannot go from % to %', OLD.payment_no, OLD.status, NEW.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payments_outcome_only BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION payments_outcome_only();
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- Where a payment's money went: legacy arrears, each bill's late fee and
-- principal, oldest first, and the surplus to prepayment.
CREATE TABLE payment_allocations (
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    line_no SMALLINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('arrears', 'principal', 'late_fee', 'prepayment', 'refund')),
    bill_id BIGINT REFERENCES bills (id),
    period TEXT NOT NULL DEFAULT '',
    amount NUMERIC(14, 2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (payment_id, line_no),
    CHECK (kind NOT IN ('principal', 'late_fee') OR bill_id IS NOT NULL)
);
CREATE INDEX payment_allocations_bill ON payment_allocations (bill_id) WHERE bill_id IS NOT NULL;

-- A same-day void (冲正): the payment's ledger transaction reversed, with
-- the supervisor who approved it.
CREATE TABLE payment_voids (
    id BIGSERIAL PRIMARY KEY,
    payment_id BIGINT NOT NULL UNIQUE REFERENCES payments (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL CHECK (reason <> ''),
    shift_id BIGINT NOT NULL REFERENCES shifts (id),
    approved_by BIGINT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL,
    receipt_no TEXT NOT NULL UNIQUE,
    ledger_transaction_id BIGINT NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- Every print of a receipt; all but the first are reprints (重打).
CREATE TABLE receipt_prints (
    id BIGSERIAL PRIMARY KEY,
    receipt_no TEXT NOT NULL,
    paper TEXT NOT NULL CHECK (paper IN ('roll80', 'a5')),
    reprint BOOLEAN NOT NULL,
    printed_by TEXT NOT NULL,
    printed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX receipt_prints_receipt ON receipt_prints (receipt_no, id);

CREATE TRIGGER payment_allocations_append_only BEFORE UPDATE OR DELETE ON payment_allocations
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER payment_voids_append_only BEFORE UPDATE OR DELETE ON payment_voids
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER receipt_prints_append_only BEFORE UPDATE OR DELETE ON receipt_prints
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER period_locks_append_only BEFORE UPDATE OR DELETE ON period_locks
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();


-- Balances per account and book, kept by the database in the statement that
-- posts the lines (every path that posts — counter, billing runs, imports —
-- gets it without knowing). The counter reads one row instead of summing
-- an account's whole history; `gascis-server ledger check` proves each
-- cached figure equals the sum of its lines.
CREATE TABLE account_balances (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    book TEXT NOT NULL,
    balance NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (account_id, book)
);

CREATE FUNCTION ledger_lines_keep_balances() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Sorted, so that two statements touching the same rows lock them in
    -- the same order.
    INSERT INTO account_balances AS b (account_id, book, balance)
    SELECT account_id, book, sum(amount) FROM new_lines
    WHERE account_id IS NOT NULL
    GROUP BY account_id, book
    ORDER BY account_id, book
    ON CONFLICT (account_id, book) DO UPDATE SET balance = b.balance + EXCLUDED.balance;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_lines_keep_balances
    AFTER INSERT ON ledger_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_keep_balances();

INSERT INTO account_balances (account_id, book, balance)
SELECT account_id, book, sum(amount) FROM ledger_lines
WHERE account_id IS NOT NULL GROUP BY account_id, book;

GRANT SELECT, INSERT, UPDATE ON account_balances TO gascis_app;

GRANT SELECT, INSERT, UPDATE ON shifts, payments TO gascis_app;
GRANT SELECT, INSERT ON period_locks, payment_allocations, payment_voids, receipt_prints
    TO gascis_app;
GRANT USAGE ON SEQUENCE shifts_id_seq, payments_id_seq, payment_voids_id_seq,
    receipt_prints_id_seq, receipt_no_seq TO gascis_app;

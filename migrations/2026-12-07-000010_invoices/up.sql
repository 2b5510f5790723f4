-- Invoices (发票): ordinary (普票), special (专票) and fully digital (数电)
-- VAT invoices issued through the invoicing platform for posted payments or
-- for bills, their lines with the VAT split, red reversals (红冲) with the
-- red-letter confirmation form (红字确认单), and every state change.

CREATE SEQUENCE invoice_request_no_seq;

-- An invoice as we asked the platform for it. What was asked never changes;
-- only the outcome moves forward: pending -> issued | failed | unknown,
-- unknown -> issued | failed | unknown. A red invoice (colour 'red') is an
-- invoice of its own with negative lines, pointing at the blue original and
-- the confirmation form that allowed it.
CREATE TABLE invoices (
    id BIGSERIAL PRIMARY KEY,
    -- Our request number (开票流水号): the platform issues each at most once
    -- and answers queries by it.
    request_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    request_sha256 BYTEA NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('ordinary', 'special', 'digital')),
    colour TEXT NOT NULL CHECK (colour IN ('blue', 'red')),
    basis TEXT NOT NULL CHECK (basis IN ('payments', 'bills')),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    original_invoice_id BIGINT REFERENCES invoices (id),
    red_confirmation_id BIGINT,
    buyer_title TEXT NOT NULL CHECK (buyer_title <> ''),
    buyer_tax_id TEXT NOT NULL DEFAULT '',
    buyer_address_phone TEXT NOT NULL DEFAULT '',
    buyer_bank_account TEXT NOT NULL DEFAULT '',
    buyer_email TEXT NOT NULL DEFAULT '',
    -- The seller as printed, frozen when the invoice was asked for.
    seller_name TEXT NOT NULL,
    seller_tax_id TEXT NOT NULL,
    seller_address_phone TEXT NOT NULL,
    seller_bank_account TEXT NOT NULL,
    total_amount NUMERIC(14, 2) NOT NULL,
    total_net NUMERIC(14, 2) NOT NULL,
    total_tax NUMERIC(14, 2) NOT NULL,
    remark TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'failed', 'unknown')),
    status_detail TEXT NOT NULL DEFAULT '',
    -- 发票代码 (paper kinds) and 发票号码, given by the platform.
    invoice_code TEXT NOT NULL DEFAULT '',
    invoice_no TEXT,
    issued_on DATE,
    issued_at TIMESTAMPTZ,
    -- 开票人.
    issuer TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (invoice_code, invoice_no),
    CHECK ((status = 'issued') = (invoice_no IS NOT NULL AND issued_at IS NOT NULL)),
    CHECK ((colour = 'red') = (original_invoice_id IS NOT NULL)),
    CHECK ((colour = 'red') = (red_confirmation_id IS NOT NULL)),
    CHECK (total_amount = total_net + total_tax),
    CHECK ((colour = 'blue' AND total_amount > 0) OR (colour = 'red' AND total_amount < 0))
);
CREATE INDEX invoices_customer ON invoices (customer_id, id);
CREATE INDEX invoices_original ON invoices (original_invoice_id) WHERE original_invoice_id IS NOT NULL;
CREATE INDEX invoices_created ON invoices (created_at);
CREATE INDEX invoices_buyer ON invoices (buyer_title);
CREATE INDEX invoices_unresolved ON invoices (id) WHERE status IN ('pending', 'unknown');

CREATE FUNCTION invoices_outcome_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.request_no, NEW.idempotency_key, NEW.request_sha256, NEW.kind, NEW.colour, NEW.basis,
        NEW.customer_id, NEW.original_invoice_id, NEW.red_confirmation_id, NEW.buyer_title,
        NEW.buyer_tax_id, NEW.buyer_address_phone, NEW.buyer_bank_account, NEW.buyer_email,
        NEW.seller_name, NEW.seller_tax_id, NEW.seller_address_phone, NEW.seller_bank_account,
        NEW.total_amount, NEW.total_net, NEW.total_tax, NEW.remark, NEW.issuer, NEW.created_by,
        NEW.created_at)
       IS DISTINCT FROM
       (OLD.request_no, OLD.idempotency_key, OLD.request_sha256, OLD.kind, OLD.colour, OLD.basis,
        OLD.customer_id, OLD.original_invoice_id, OLD.red_confirmation_id, OLD.buyer_title,
        OLD.buyer_tax_id, OLD.buyer_address_phone, OLD.buyer_bank_account, OLD.buyer_email,
        OLD.seller_name, OLD.seller_tax_id, OLD.seller_address_phone, OLD.seller_bank_account,
        OLD.total_amount, OLD.total_net, OLD.total_tax, OLD.remark, OLD.issuer, OLD.created_by,
        OLD.created_at) THEN
        RAISE EXCEPTION 'invoice % may change only its outcome', OLD.request_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT ((OLD.status = 'pending' AND NEW.status IN ('issued', 'failed', 'unknown'))
         OR (OLD.status = 'unknown' AND NEW.status IN ('issued', 'failed', 'unknown'))) THEN
        RAISE EXCEPTION 'invoice % cannot go from % to %', OLD.request_no, OLD.status, NEW.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_outcome_only BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_outcome_only();
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- The lines as printed. Amounts include tax; net = amount / (1 + rate)
-- rounded half-up to the fen, tax = amount - net, so lines sum exactly.
-- Red lines are negative and name the original line they reverse.
CREATE TABLE invoice_lines (
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    line_no SMALLINT NOT NULL CHECK (line_no > 0),
    -- bill_line, bill_part, late_fee, arrears, prepayment.
    source TEXT NOT NULL CHECK (source IN ('bill_line', 'bill_part', 'late_fee', 'arrears',
        'prepayment')),
    bill_id BIGINT REFERENCES bills (id),
    payment_id BIGINT REFERENCES payments (id),
    original_line_no SMALLINT,
    item_name TEXT NOT NULL,
    specification TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    quantity NUMERIC(14, 3),
    -- Tax-inclusive unit price.
    unit_price NUMERIC(12, 4),
    amount NUMERIC(14, 2) NOT NULL,
    tax_rate NUMERIC(6, 4) NOT NULL CHECK (tax_rate >= 0 AND tax_rate < 1),
    -- '' (taxed at tax_rate) or 'not_taxable' (不征税: prepayment).
    tax_treatment TEXT NOT NULL DEFAULT '' CHECK (tax_treatment IN ('', 'not_taxable')),
    net NUMERIC(14, 2) NOT NULL,
    tax NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (invoice_id, line_no),
    CHECK (amount = net + tax),
    CHECK (tax_treatment = '' OR (tax_rate = 0 AND tax = 0))
);

-- What an invoice covers. A payment or a bill is on at most one standing
-- invoice: the partial unique indexes refuse a second claim until the first
-- is released (the platform refused the invoice, or it was reversed in full).
CREATE TABLE invoice_claims (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    payment_id BIGINT REFERENCES payments (id),
    bill_id BIGINT REFERENCES bills (id),
    released_at TIMESTAMPTZ,
    release_reason TEXT NOT NULL DEFAULT '',
    CHECK ((payment_id IS NULL) <> (bill_id IS NULL))
);
CREATE UNIQUE INDEX invoice_claims_one_per_payment ON invoice_claims (payment_id)
    WHERE released_at IS NULL AND payment_id IS NOT NULL;
CREATE UNIQUE INDEX invoice_claims_one_per_bill ON invoice_claims (bill_id)
    WHERE released_at IS NULL AND bill_id IS NOT NULL;
CREATE INDEX invoice_claims_invoice ON invoice_claims (invoice_id);

-- A claim is only ever released, once.
CREATE FUNCTION invoice_claims_release_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
       OR (NEW.invoice_id, NEW.payment_id, NEW.bill_id)
          IS DISTINCT FROM (OLD.invoice_id, OLD.payment_id, OLD.bill_id) THEN
        RAISE EXCEPTION 'invoice claim % may only be released, once', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoice_claims_release_only BEFORE UPDATE ON invoice_claims
    FOR EACH ROW EXECUTE FUNCTION invoice_claims_release_only();
CREATE TRIGGER invoice_claims_no_delete BEFORE DELETE ON invoice_claims
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- 红字发票信息确认单: states exactly as the platform has them.
--   not_needed                     the seller may issue red at once
--   buyer_entered_awaiting_seller  the buyer entered it; we confirm or refuse
--   seller_entered_awaiting_buyer  we entered it; the buyer confirms or refuses
--   both_confirmed                 the red invoice may be issued
--   refused                        the other side refused; nothing more happens
CREATE TABLE red_confirmations (
    id BIGSERIAL PRIMARY KEY,
    form_no TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    request_sha256 BYTEA NOT NULL,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    initiator TEXT NOT NULL CHECK (initiator IN ('seller', 'buyer')),
    full_reversal BOOLEAN NOT NULL,
    reason TEXT NOT NULL CHECK (reason <> ''),
    amount NUMERIC(14, 2) NOT NULL CHECK (amount < 0),
    net NUMERIC(14, 2) NOT NULL,
    tax NUMERIC(14, 2) NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('not_needed', 'buyer_entered_awaiting_seller',
        'seller_entered_awaiting_buyer', 'both_confirmed', 'refused')),
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    CHECK (amount = net + tax)
);
CREATE INDEX red_confirmations_invoice ON red_confirmations (invoice_id);

CREATE FUNCTION red_confirmations_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.form_no, NEW.idempotency_key, NEW.request_sha256, NEW.invoice_id, NEW.initiator,
        NEW.full_reversal, NEW.reason, NEW.amount, NEW.net, NEW.tax, NEW.created_by, NEW.created_at)
       IS DISTINCT FROM
       (OLD.form_no, OLD.idempotency_key, OLD.request_sha256, OLD.invoice_id, OLD.initiator,
        OLD.full_reversal, OLD.reason, OLD.amount, OLD.net, OLD.tax, OLD.created_by, OLD.created_at)
    THEN
        RAISE EXCEPTION 'red confirmation % may change only its state', OLD.form_no
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT (OLD.status IN ('buyer_entered_awaiting_seller', 'seller_entered_awaiting_buyer')
            AND NEW.status IN ('both_confirmed', 'refused')) THEN
        RAISE EXCEPTION 'red confirmation % cannot go from % to %', OLD.form_no, OLD.status,
            NEW.status USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER red_confirmations_forward_only BEFORE UPDATE ON red_confirmations
    FOR EACH ROW EXECUTE FUNCTION red_confirmations_forward_only();
CREATE TRIGGER red_confirmations_no_delete BEFORE DELETE ON red_confirmations
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

ALTER TABLE invoices ADD FOREIGN KEY (red_confirmation_id) REFERENCES red_confirmations (id);
-- One red invoice per form, unless the platform refused it.
CREATE UNIQUE INDEX invoices_one_red_per_form ON invoices (red_confirmation_id)
    WHERE red_confirmation_id IS NOT NULL AND status <> 'failed';

-- The lines a form reverses, in the original invoice's order (negative).
CREATE TABLE red_confirmation_lines (
    confirmation_id BIGINT NOT NULL REFERENCES red_confirmations (id),
    original_line_no SMALLINT NOT NULL,
    quantity NUMERIC(14, 3),
    amount NUMERIC(14, 2) NOT NULL CHECK (amount < 0),
    net NUMERIC(14, 2) NOT NULL,
    tax NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (confirmation_id, original_line_no),
    CHECK (amount = net + tax)
);

-- Every state change of an invoice or a form: who, when, from what to what.
CREATE TABLE invoice_events (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    confirmation_id BIGINT REFERENCES red_confirmations (id),
    from_status TEXT NOT NULL DEFAULT '',
    to_status TEXT NOT NULL,
    -- seller (one of us), buyer (learnt from the platform) or platform.
    side TEXT NOT NULL CHECK (side IN ('seller', 'buyer', 'platform')),
    actor TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_id, id);

CREATE TRIGGER invoice_lines_append_only BEFORE UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER red_confirmation_lines_append_only BEFORE UPDATE OR DELETE ON red_confirmation_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER invoice_events_append_only BEFORE UPDATE OR DELETE ON invoice_events
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER invoice_events_no_truncate BEFORE TRUNCATE ON invoice_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

GRANT SELECT, INSERT, UPDATE ON invoices, invoice_claims, red_confirmations TO gascis_app;
GRANT SELECT, INSERT ON invoice_lines, red_confirmation_lines, invoice_events TO gascis_app;
GRANT USAGE ON SEQUENCE invoices_id_seq, invoice_claims_id_seq, red_confirmations_id_seq,
    invoice_events_id_seq, invoice_request_no_seq TO gascis_app;

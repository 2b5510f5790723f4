-- Payments history brought over from the old system (收费记录). The
-- accounts import already posted each account's opening arrears and
-- prepayment, and those figures are what the old system's payments left;
-- posting the history again would count the money twice. So these rows
-- move no ledger and no balance: they are kept as history, append-only,
-- with their import and row, and the counter lists them as 历史导入. The
-- `payments` table stays for live postings (ledger transaction, our
-- receipt number, shift), untouched by imports.
CREATE TABLE imported_payments (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    paid_on DATE NOT NULL,
    amount NUMERIC(14, 2) NOT NULL CHECK (amount > 0),
    -- The counter's channels, plus 'other' for what the old system called 其他.
    channel TEXT NOT NULL CHECK (channel IN ('cash', 'bank_card', 'wechat', 'alipay',
        'bank_agent', 'online', 'other')),
    -- The old system's receipt or serial number; empty when its ledger had none.
    receipt_no TEXT NOT NULL DEFAULT '' CHECK (char_length(receipt_no) <= 40),
    cashier TEXT NOT NULL DEFAULT '' CHECK (char_length(cashier) <= 60),
    import_id BIGINT NOT NULL REFERENCES imports (id),
    import_row INTEGER NOT NULL CHECK (import_row >= 1),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- A legacy receipt is imported once, whichever file brings it.
CREATE UNIQUE INDEX imported_payments_receipt ON imported_payments (receipt_no)
    WHERE receipt_no <> '';
CREATE INDEX imported_payments_account ON imported_payments (account_id, paid_on);
CREATE INDEX imported_payments_import ON imported_payments (import_id);

CREATE TRIGGER imported_payments_append_only BEFORE UPDATE OR DELETE ON imported_payments
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER imported_payments_no_truncate BEFORE TRUNCATE ON imported_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

GRANT SELECT, INSERT ON imported_payments TO gascis_app;
GRANT USAGE ON SEQUENCE imported_payments_id_seq TO gascis_app;

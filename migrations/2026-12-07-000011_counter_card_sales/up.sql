-- IC-card gas sold at the counter: the sale belongs to the cashier's shift
-- like a payment (its money counts in the till and the close), carries a
-- receipt number from the same sequence, and the cash handed over.
-- Purchases made elsewhere (the demo, back office) have no shift.

ALTER TABLE gas_purchases
    ADD COLUMN shift_id BIGINT REFERENCES shifts (id),
    ADD COLUMN business_date DATE,
    ADD COLUMN receipt_no TEXT UNIQUE,
    ADD COLUMN tendered NUMERIC(14, 2),
    ADD COLUMN change_given NUMERIC(14, 2),
    -- Bank terminal reference for card payments.
    ADD COLUMN reference TEXT NOT NULL DEFAULT '',
    -- The account right after the sale, as the receipt shows it.
    ADD COLUMN arrears_after NUMERIC(14, 2),
    ADD COLUMN prepayment_after NUMERIC(14, 2),
    ADD CONSTRAINT gas_purchases_counter_sale
        CHECK (shift_id IS NULL OR (receipt_no IS NOT NULL AND business_date IS NOT NULL)),
    ADD CONSTRAINT gas_purchases_change
        CHECK (change_given IS NULL OR (tendered IS NOT NULL AND change_given = tendered - cash_due));
CREATE INDEX gas_purchases_shift ON gas_purchases (shift_id) WHERE shift_id IS NOT NULL;

-- What a purchase charged never changes; only its write moves forward
-- (paid -> written) and its write attempts are counted.
CREATE FUNCTION gas_purchases_write_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.account_id, NEW.card_id, NEW.purchase_seq, NEW.idempotency_key, NEW.request_sha256,
        NEW.volume, NEW.amount, NEW.balance_used, NEW.cash_due, NEW.channel, NEW.tariff_code,
        NEW.tariff_revision_id, NEW.lines, NEW.cycle_start, NEW.ledger_transaction_id,
        NEW.created_by, NEW.created_at, NEW.shift_id, NEW.business_date, NEW.receipt_no,
        NEW.tendered, NEW.change_given, NEW.reference, NEW.arrears_after, NEW.prepayment_after)
       IS DISTINCT FROM
       (OLD.account_id, OLD.card_id, OLD.purchase_seq, OLD.idempotency_key, OLD.request_sha256,
        OLD.volume, OLD.amount, OLD.balance_used, OLD.cash_due, OLD.channel, OLD.tariff_code,
        OLD.tariff_revision_id, OLD.lines, OLD.cycle_start, OLD.ledger_transaction_id,
        OLD.created_by, OLD.created_at, OLD.shift_id, OLD.business_date, OLD.receipt_no,
        OLD.tendered, OLD.change_given, OLD.reference, OLD.arrears_after, OLD.prepayment_after) THEN
        RAISE EXCEPTION 'gas purchase % may change only its write status', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status = 'written' AND NEW.status <> 'written' THEN
        RAISE EXCEPTION 'gas purchase % is on the card already', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER gas_purchases_write_only BEFORE UPDATE ON gas_purchases
    FOR EACH ROW EXECUTE FUNCTION gas_purchases_write_only();
CREATE TRIGGER gas_purchases_no_delete BEFORE DELETE ON gas_purchases
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

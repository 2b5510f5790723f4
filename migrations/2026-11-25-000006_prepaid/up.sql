-- Prepaid meters. IC-card: gas bought at the counter is written to the
-- card with the card's next purchase number; a failed write is written
-- again (补气) from the same purchase, never charged twice. IoT: daily
-- readings are charged from the money balance, and the valve is closed
-- and reopened through the gateway with every command recorded.

ALTER TABLE ic_cards
    -- Purchases written to the card so far (the card's own counter).
    ADD COLUMN purchase_count INTEGER NOT NULL DEFAULT 0 CHECK (purchase_count >= 0);

CREATE TABLE gas_purchases (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    card_id BIGINT NOT NULL REFERENCES ic_cards (id),
    purchase_seq INTEGER NOT NULL CHECK (purchase_seq >= 1),
    idempotency_key TEXT NOT NULL UNIQUE,
    request_sha256 BYTEA NOT NULL,
    volume NUMERIC(14, 3) NOT NULL CHECK (volume > 0),
    amount NUMERIC(14, 2) NOT NULL CHECK (amount >= 0),
    balance_used NUMERIC(14, 2) NOT NULL CHECK (balance_used >= 0),
    cash_due NUMERIC(14, 2) NOT NULL CHECK (cash_due >= 0),
    channel TEXT NOT NULL,
    tariff_code TEXT NOT NULL,
    tariff_revision_id BIGINT NOT NULL REFERENCES tariff_revisions (id),
    -- The priced lines (tier, volume, unit price, amount) as the receipt shows them.
    lines JSONB NOT NULL,
    cycle_start DATE,
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    -- paid: charged, not yet on the card; written: on the card.
    status TEXT NOT NULL DEFAULT 'paid' CHECK (status IN ('paid', 'written')),
    write_attempts INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    written_at TIMESTAMPTZ,
    UNIQUE (card_id, purchase_seq),
    CHECK (amount = balance_used + cash_due)
);
CREATE INDEX gas_purchases_account ON gas_purchases (account_id, id);

-- Every card operation and what came of it.
CREATE TABLE card_operations (
    id BIGSERIAL PRIMARY KEY,
    card_id BIGINT NOT NULL REFERENCES ic_cards (id),
    purchase_id BIGINT REFERENCES gas_purchases (id),
    kind TEXT NOT NULL CHECK (kind IN ('write_purchase', 'rewrite', 'reissue')),
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'issued')),
    detail TEXT NOT NULL DEFAULT '',
    by_user TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX card_operations_card ON card_operations (card_id, id);

-- IoT: one charge per daily reading, priced by the tiers.
CREATE TABLE iot_charges (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    reading_id BIGINT NOT NULL UNIQUE REFERENCES meter_readings (id),
    volume NUMERIC(14, 3) NOT NULL,
    amount NUMERIC(14, 2) NOT NULL,
    tariff_revision_id BIGINT NOT NULL REFERENCES tariff_revisions (id),
    lines JSONB NOT NULL,
    cycle_start DATE,
    cycle_after NUMERIC(14, 3),
    ledger_transaction_id BIGINT REFERENCES ledger_transactions (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX iot_charges_account ON iot_charges (account_id, id);

-- Valve commands sent through the gateway, and their outcome.
CREATE TABLE valve_commands (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    meter_id BIGINT NOT NULL REFERENCES meters (id),
    command TEXT NOT NULL CHECK (command IN ('close', 'open')),
    reason TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'confirmed', 'failed', 'unknown')),
    detail TEXT NOT NULL DEFAULT '',
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX valve_commands_account ON valve_commands (account_id, id);

-- The valve as last confirmed, and since when the balance is negative.
ALTER TABLE meters
    ADD COLUMN valve_open BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN negative_since DATE;

CREATE TRIGGER card_operations_append_only BEFORE UPDATE OR DELETE ON card_operations
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER iot_charges_append_only BEFORE UPDATE OR DELETE ON iot_charges
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER valve_commands_append_only BEFORE UPDATE OR DELETE ON valve_commands
    FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

GRANT SELECT, INSERT, UPDATE ON gas_purchases TO gascis_app;
GRANT SELECT, INSERT ON card_operations, iot_charges, valve_commands TO gascis_app;
GRANT USAGE ON SEQUENCE gas_purchases_id_seq, card_operations_id_seq, iot_charges_id_seq,
    valve_commands_id_seq TO gascis_app;

DROP TRIGGER bills_no_truncate ON bills;
DROP TRIGGER tariff_revisions_no_truncate ON tariff_revisions;
DROP TRIGGER billing_runs_no_truncate ON billing_runs;
DROP TRIGGER billing_runs_permanent ON billing_runs;
DROP TRIGGER meter_readings_no_truncate ON meter_readings;
DROP TRIGGER meter_readings_permanent ON meter_readings;
DROP TRIGGER accounts_no_truncate ON accounts;
DROP TRIGGER accounts_permanent ON accounts;
DROP FUNCTION ids_are_permanent();

CREATE OR REPLACE FUNCTION ledger_transactions_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unbalanced BIGINT;
BEGIN
    SELECT transaction_id INTO unbalanced
    FROM new_lines
    GROUP BY transaction_id
    HAVING sum(amount) <> 0
    LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER ledger_transactions_references ON ledger_transactions;
DROP FUNCTION ledger_transactions_references_exist();
DROP TRIGGER bill_lines_references ON bill_lines;
DROP FUNCTION bill_lines_references_exist();
DROP TRIGGER bills_references ON bills;
DROP FUNCTION bills_references_exist();
DROP FUNCTION missing_reference(TEXT, TEXT, BIGINT);

ALTER TABLE ledger_lines
    ADD CONSTRAINT ledger_lines_transaction_id_fkey FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id),
    ADD CONSTRAINT ledger_lines_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE ledger_transactions
    ADD CONSTRAINT ledger_transactions_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE bill_lines ADD CONSTRAINT bill_lines_bill_id_fkey FOREIGN KEY (bill_id) REFERENCES bills (id);
ALTER TABLE bills
    ADD CONSTRAINT bills_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    ADD CONSTRAINT bills_previous_reading_id_fkey FOREIGN KEY (previous_reading_id) REFERENCES meter_readings (id),
    ADD CONSTRAINT bills_reading_id_fkey FOREIGN KEY (reading_id) REFERENCES meter_readings (id),
    ADD CONSTRAINT bills_tariff_revision_id_fkey FOREIGN KEY (tariff_revision_id) REFERENCES tariff_revisions (id),
    ADD CONSTRAINT bills_run_id_fkey FOREIGN KEY (run_id) REFERENCES billing_runs (id),
    ADD CONSTRAINT bills_ledger_transaction_id_fkey FOREIGN KEY (ledger_transaction_id) REFERENCES ledger_transactions (id);

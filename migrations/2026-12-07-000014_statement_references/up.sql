-- References of the high-volume, append-only tables (bills, bill_lines,
-- ledger_transactions, ledger_lines) are checked once per statement over
-- its new rows instead of by a foreign-key trigger per row.
--
-- Why: a billing run writes about seven rows per bill, and PostgreSQL's
-- foreign keys check each reference of each row by a separate query that
-- also locks the parent row (FOR KEY SHARE, a WAL record each): measured at
-- 1,000 bills per chunk, the ten foreign keys below were half of a run's
-- database time. One query per statement probes the same indexes without
-- the locks.
--
-- What keeps this as safe as the foreign keys: the parents can never lose a
-- row or change an id. ledger_transactions, tariff_revisions and bills were
-- append-only already; accounts, meter_readings and billing_runs refuse
-- DELETE, TRUNCATE and id changes from here on (nothing in gascis deletes
-- them; an account is closed, a reading superseded, a run ended). The
-- children refuse UPDATE and DELETE already, so a reference checked at
-- insert stays true. Violations raise foreign_key_violation (23503), as the
-- foreign keys did, naming the column and the missing value.

ALTER TABLE bills
    DROP CONSTRAINT bills_account_id_fkey,
    DROP CONSTRAINT bills_previous_reading_id_fkey,
    DROP CONSTRAINT bills_reading_id_fkey,
    DROP CONSTRAINT bills_tariff_revision_id_fkey,
    DROP CONSTRAINT bills_run_id_fkey,
    DROP CONSTRAINT bills_ledger_transaction_id_fkey;
ALTER TABLE bill_lines DROP CONSTRAINT bill_lines_bill_id_fkey;
ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_account_id_fkey;
ALTER TABLE ledger_lines
    DROP CONSTRAINT ledger_lines_transaction_id_fkey,
    DROP CONSTRAINT ledger_lines_account_id_fkey;

CREATE FUNCTION missing_reference(child TEXT, col TEXT, val BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF val IS NOT NULL THEN
        RAISE EXCEPTION 'insert into % violates its reference: %=% does not exist', child, col, val
            USING ERRCODE = 'foreign_key_violation';
    END IF;
END
$$;

-- Each check probes the parent's primary key once per distinct value (a
-- scalar subquery is always an index probe, whatever the statement's size:
-- a hash join would read a million accounts to check a thousand).
CREATE FUNCTION bills_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing RECORD;
BEGIN
    SELECT x.col, x.val INTO missing FROM (
        SELECT 'account_id' AS col, v AS val FROM (SELECT DISTINCT account_id AS v FROM new_bills) d
        WHERE (SELECT a.id FROM accounts a WHERE a.id = d.v) IS NULL
        UNION ALL
        SELECT 'reading_id', v FROM (SELECT DISTINCT reading_id AS v FROM new_bills WHERE reading_id IS NOT NULL) d
        WHERE (SELECT r.id FROM meter_readings r WHERE r.id = d.v) IS NULL
        UNION ALL
        SELECT 'previous_reading_id', v
        FROM (SELECT DISTINCT previous_reading_id AS v FROM new_bills WHERE previous_reading_id IS NOT NULL) d
        WHERE (SELECT r.id FROM meter_readings r WHERE r.id = d.v) IS NULL
        UNION ALL
        SELECT 'tariff_revision_id', v FROM (SELECT DISTINCT tariff_revision_id AS v FROM new_bills) d
        WHERE (SELECT t.id FROM tariff_revisions t WHERE t.id = d.v) IS NULL
        UNION ALL
        SELECT 'run_id', v FROM (SELECT DISTINCT run_id AS v FROM new_bills WHERE run_id IS NOT NULL) d
        WHERE (SELECT r.id FROM billing_runs r WHERE r.id = d.v) IS NULL
        UNION ALL
        SELECT 'ledger_transaction_id', v
        FROM (SELECT DISTINCT ledger_transaction_id AS v FROM new_bills WHERE ledger_transaction_id IS NOT NULL) d
        WHERE (SELECT t.id FROM ledger_transactions t WHERE t.id = d.v) IS NULL
    ) x LIMIT 1;
    IF FOUND THEN
        PERFORM missing_reference('bills', missing.col, missing.val);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER bills_references
    AFTER INSERT ON bills
    REFERENCING NEW TABLE AS new_bills
    FOR EACH STATEMENT EXECUTE FUNCTION bills_references_exist();

CREATE FUNCTION bill_lines_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    SELECT v INTO missing FROM (SELECT DISTINCT bill_id AS v FROM new_lines) d
    WHERE (SELECT b.id FROM bills b WHERE b.id = d.v) IS NULL LIMIT 1;
    IF FOUND THEN
        PERFORM missing_reference('bill_lines', 'bill_id', missing);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER bill_lines_references
    AFTER INSERT ON bill_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION bill_lines_references_exist();

CREATE FUNCTION ledger_transactions_references_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    SELECT v INTO missing FROM (SELECT DISTINCT account_id AS v FROM new_transactions WHERE account_id IS NOT NULL) d
    WHERE (SELECT a.id FROM accounts a WHERE a.id = d.v) IS NULL LIMIT 1;
    IF FOUND THEN
        PERFORM missing_reference('ledger_transactions', 'account_id', missing);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_transactions_references
    AFTER INSERT ON ledger_transactions
    REFERENCING NEW TABLE AS new_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transactions_references_exist();

-- ledger_lines had a statement trigger already (the balance check): the
-- references are checked in the same call.
CREATE OR REPLACE FUNCTION ledger_transactions_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    unbalanced BIGINT;
    missing RECORD;
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
    SELECT x.col, x.val INTO missing FROM (
        SELECT 'transaction_id' AS col, v AS val FROM (SELECT DISTINCT transaction_id AS v FROM new_lines) d
        WHERE (SELECT t.id FROM ledger_transactions t WHERE t.id = d.v) IS NULL
        UNION ALL
        SELECT 'account_id', v FROM (SELECT DISTINCT account_id AS v FROM new_lines WHERE account_id IS NOT NULL) d
        WHERE (SELECT a.id FROM accounts a WHERE a.id = d.v) IS NULL
    ) x LIMIT 1;
    IF FOUND THEN
        PERFORM missing_reference('ledger_lines', missing.col, missing.val);
    END IF;
    RETURN NULL;
END
$$;

-- The parents keep every row and id.
CREATE FUNCTION ids_are_permanent() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are permanent: % refused (other tables refer to them)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER accounts_permanent BEFORE DELETE OR UPDATE OF id ON accounts
    FOR EACH ROW EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER meter_readings_permanent BEFORE DELETE OR UPDATE OF id ON meter_readings
    FOR EACH ROW EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER meter_readings_no_truncate BEFORE TRUNCATE ON meter_readings
    FOR EACH STATEMENT EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER billing_runs_permanent BEFORE DELETE OR UPDATE OF id ON billing_runs
    FOR EACH ROW EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER billing_runs_no_truncate BEFORE TRUNCATE ON billing_runs
    FOR EACH STATEMENT EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER tariff_revisions_no_truncate BEFORE TRUNCATE ON tariff_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION ids_are_permanent();
CREATE TRIGGER bills_no_truncate BEFORE TRUNCATE ON bills
    FOR EACH STATEMENT EXECUTE FUNCTION ids_are_permanent();

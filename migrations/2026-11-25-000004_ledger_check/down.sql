CREATE OR REPLACE FUNCTION ledger_transactions_must_balance() RETURNS trigger
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

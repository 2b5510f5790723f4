-- The balance check looks only at the statement's own rows. Every earlier
-- statement left each transaction balanced (this trigger saw to it), so a
-- transaction stays balanced exactly when the lines this statement adds to
-- it sum to zero; reading those transactions' older lines back from the
-- table cost a quarter of a large import's ledger time.
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

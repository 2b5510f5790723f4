DROP TRIGGER ledger_lines_keep_balances ON ledger_lines;
DROP FUNCTION ledger_lines_keep_balances();
DROP TABLE account_balances;
DROP TABLE receipt_prints, payment_voids, payment_allocations, payments, period_locks, shifts;
DROP FUNCTION payments_outcome_only();
DROP FUNCTION shifts_stay_closed();
DROP SEQUENCE receipt_no_seq;

DROP TABLE ledger_lines, ledger_transactions, change_records, ic_cards, contracts, meter_events,
    meters, household_registrations, account_holders, accounts, premises, customers;
DROP FUNCTION refuse_rewrite();
DROP FUNCTION ledger_transactions_must_balance();
DROP SEQUENCE account_no_seq;

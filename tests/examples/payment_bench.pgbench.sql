-- pgbench baseline of payment_bench: the SQL statements one cash payment
-- issues (`counter::payments::begin`, as of the commit that adds this
-- file), in the same order, in one transaction. Captured with
--     cargo run -p gascis-testkit --example payment_bench -- 2000 --cashiers 3 --statements
-- and transcribed: values the server binds are pgbench variables, values
-- it computes in Rust between statements (payment and receipt numbers,
-- the ledger lines, the allocation) are computed here from what earlier
-- statements returned (\gset). The payment_bench run defines accounts,
-- first_cashier, last_cashier, today (YYYY-MM-DD), day (YYYYMMDD),
-- period (YYYY-MM), books ({receivable,prepayment}) and sha256 (a request
-- fingerprint). pgbench takes
-- every colon before a name as a variable, even inside quotes: hence
-- 'payment:' || 'P' below.
--
-- Every account has exactly one open bill and the amounts (10.00–59.99)
-- never pay it off, so each payment is allocated to that bill's principal
-- alone: the one path the gRPC phase takes too.

\set aid random(1, :accounts)
\set cashier random(:first_cashier, :last_cashier)
\set fen random(1000, 5999)
\set key random(1, 1000000000000000)

-- connection.transaction
BEGIN;
-- payments::lock_account
SELECT status FROM accounts WHERE id = :aid FOR UPDATE;
-- payments::replay (no earlier payment with this key)
SELECT p.id, p.payment_no, p.request_sha256, p.kind, p.account_id, a.account_no, p.channel, p.amount, p.tendered, p.change_given, p.reference, p.status, p.status_detail, p.shift_id, p.business_date, p.receipt_no, p.ledger_transaction_id, p.arrears_after, p.prepayment_after, p.created_by, coalesce(u.display_name, p.created_by) AS cashier_name, p.reason, p.created_at, v.receipt_no AS void_receipt_no, v.reason AS void_reason FROM payments p JOIN accounts a ON a.id = p.account_id LEFT JOIN users u ON u.username = p.created_by LEFT JOIN payment_voids v ON v.payment_id = p.id WHERE p.idempotency_key = :key;
-- counter::check_period_open (a month lock waits for postings in flight)
LOCK TABLE payments, gas_purchases IN ROW EXCLUSIVE MODE;
SELECT locked_by FROM period_locks WHERE period = :period;
-- shifts::open_for_posting
INSERT INTO shifts (cashier_id, business_date) VALUES (:cashier, :today) ON CONFLICT (cashier_id, business_date) DO NOTHING;
SELECT s.id, s.cashier_id, u.username AS cashier, u.display_name AS cashier_name, s.business_date, s.status, s.opened_at, s.closed_at, s.counted_cash, s.expected_cash, s.cash_difference, s.difference_note, coalesce(v.username, '') AS supervisor FROM shifts s JOIN users u ON u.id = s.cashier_id LEFT JOIN users v ON v.id = s.supervisor_id WHERE s.cashier_id = :cashier AND s.business_date = :today FOR SHARE OF s \gset shift_
-- the payment's id and number (P + day + id)
SELECT nextval('payments_id_seq') AS value \gset payment_
\set payment_no :day * 100000000 + :payment_value
-- account::owed: ledger::balances (both books)
SELECT "account_balances"."book", "account_balances"."balance" FROM "account_balances" WHERE (("account_balances"."account_id" = :aid) AND ("account_balances"."book" = ANY(:books)));
-- account::owed: open bills (one per account here)
SELECT b.id, b.period, b.due_on, b.amount, b.previous_value, b.current_value, b.volume, b.estimated FROM bills b WHERE b.account_id = :aid AND NOT b.cancelled AND b.amount > 0 AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id AND n.period = b.period AND n.revision > b.revision) ORDER BY b.to_date DESC, b.id DESC \gset bill_
-- late_fees::for_bills (the bill is overdue): pricing::for_account
-- (account attributes, default tariff, its current revision), fees
-- already collected
SELECT c.customer_type, a.low_income, a.tariff_code, a.flat_class, coalesce((SELECT k.gas_purpose FROM contracts k WHERE k.account_id = a.id ORDER BY k.id DESC LIMIT 1), 'cooking') AS purpose, coalesce((SELECT r.household_size FROM household_registrations r WHERE r.account_id = a.id AND r.effective_from <= :today ORDER BY r.effective_from DESC, r.id DESC LIMIT 1), 1) AS household_size FROM accounts a JOIN customers c ON c.id = a.customer_id WHERE a.id = :aid;
SELECT code FROM tariffs WHERE is_default;
SELECT r.tariff_id, r.id AS revision_id, r.document::text AS document FROM tariff_revisions r JOIN tariffs t ON t.id = r.tariff_id WHERE t.code = 'beijing-2019' ORDER BY r.id DESC LIMIT 1;
SELECT a.bill_id, sum(a.amount) AS amount FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE p.account_id = :aid AND p.status = 'posted' AND a.kind = 'late_fee' AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) GROUP BY a.bill_id;
-- ledger::post: the transaction and its lines (cash debit, receivable credit)
INSERT INTO "ledger_transactions" ("business_key", "kind", "account_id", "occurred_on", "created_by", "memo") VALUES ('payment:' || 'P' || :payment_no::text, 'payment', :aid, :today, 'pgbench', '收费 现金 P' || :payment_no::text) RETURNING "ledger_transactions"."id" \gset ledger_
INSERT INTO "ledger_lines" ("transaction_id", "book", "account_id", "amount") VALUES (:ledger_id, 'cash', DEFAULT, :fen * 0.01), (:ledger_id, 'receivable', :aid, :fen * -0.01);
-- the receipt number (R + day + sequence)
SELECT nextval('receipt_no_seq') AS value \gset receipt_
\set receipt_no :day * 100000000 + :receipt_value
-- ledger::balances after posting (only the receivable row exists here)
SELECT "account_balances"."book", "account_balances"."balance" FROM "account_balances" WHERE (("account_balances"."account_id" = :aid) AND ("account_balances"."book" = ANY(:books))) \gset after_
-- the payment row
INSERT INTO payments (id, payment_no, idempotency_key, request_sha256, kind, account_id, channel, amount, tendered, change_given, reference, status, shift_id, business_date, receipt_no, ledger_transaction_id, arrears_after, prepayment_after, created_by, posted_at) VALUES (:payment_value, 'P' || :payment_no::text, :key, :sha256, 'payment', :aid, 'cash', :fen * 0.01, NULL, NULL, '', 'posted', :shift_id, :today, 'R' || :receipt_no::text, :ledger_id, :after_balance, 0, 'pgbench', CASE WHEN 'posted' = 'posted' THEN clock_timestamp() END);
-- insert_allocations: the bill's principal
INSERT INTO payment_allocations (payment_id, line_no, kind, bill_id, period, amount) VALUES (:payment_value, 1, 'principal', :bill_id, :bill_period, :fen * 0.01);
-- payments::load: the payment as answered
SELECT p.id, p.payment_no, p.request_sha256, p.kind, p.account_id, a.account_no, p.channel, p.amount, p.tendered, p.change_given, p.reference, p.status, p.status_detail, p.shift_id, p.business_date, p.receipt_no, p.ledger_transaction_id, p.arrears_after, p.prepayment_after, p.created_by, coalesce(u.display_name, p.created_by) AS cashier_name, p.reason, p.created_at, v.receipt_no AS void_receipt_no, v.reason AS void_reason FROM payments p JOIN accounts a ON a.id = p.account_id LEFT JOIN users u ON u.username = p.created_by LEFT JOIN payment_voids v ON v.payment_id = p.id WHERE p.id = :payment_value;
SELECT kind, bill_id, period, amount FROM payment_allocations WHERE payment_id = :payment_value ORDER BY line_no;
COMMIT;

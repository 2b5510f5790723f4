//! The set-based SQL of an accounts import. Every statement takes the
//! import id as $1 (and the policy as $2 where noted); who imports and from
//! which sheet, and the business day, are transaction-local settings
//! (`gascis.user`, `gascis.user_id`, `gascis.sheet`, `gascis.today`).

/// Rows whose account does not exist become new, with ids drawn now so the
/// inserts below can refer to each other.
pub const MARK_NEW: &str = "UPDATE import_staging_accounts s SET outcome = 'new', \
    customer_id = nextval('customers_id_seq'), premise_id = nextval('premises_id_seq'), \
    account_id = nextval('accounts_id_seq'), meter_id = nextval('meters_id_seq'), \
    balance_delta = s.balance, arrears_delta = s.arrears \
    WHERE s.import_id = $1 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_no = s.account_no)";

/// Rows of existing accounts: what differs from the archive and the ledger.
/// A column the file leaves empty (identity number, household size) does
/// not count as a difference.
pub const COMPARE_EXISTING: &str = "UPDATE import_staging_accounts s SET \
    account_id = a.id, customer_id = a.customer_id, premise_id = a.premise_id, \
    balance_delta = s.balance - b.balance, arrears_delta = s.arrears - b.arrears, \
    differences = array_remove(ARRAY[ \
      CASE WHEN c.name <> s.customer_name THEN 'name: ' || c.name || ' → ' || s.customer_name END, \
      CASE WHEN c.customer_type <> s.customer_type THEN 'customer_type: ' || c.customer_type || ' → ' || s.customer_type END, \
      CASE WHEN s.id_number_hash IS NOT NULL AND c.id_number_hash IS DISTINCT FROM s.id_number_hash \
           THEN 'id_number: ' || c.id_number_masked || ' → ' || s.id_number_masked END, \
      CASE WHEN c.phone_hash IS DISTINCT FROM s.phone_hash THEN 'phone: ' || c.phone_masked || ' → ' || s.phone_masked END, \
      CASE WHEN p.address <> s.address THEN 'address: ' || p.address || ' → ' || s.address END, \
      CASE WHEN s.household_size IS NOT NULL AND h.size IS DISTINCT FROM s.household_size \
           THEN 'household_size: ' || coalesce(h.size::text, '∅') || ' → ' || s.household_size END, \
      CASE WHEN b.balance <> s.balance THEN 'balance: ' || b.balance || ' → ' || s.balance END, \
      CASE WHEN b.arrears <> s.arrears THEN 'arrears: ' || b.arrears || ' → ' || s.arrears END \
    ], NULL) \
    FROM accounts a \
    JOIN customers c ON c.id = a.customer_id \
    JOIN premises p ON p.id = a.premise_id \
    LEFT JOIN LATERAL (SELECT household_size AS size FROM household_registrations r \
        WHERE r.account_id = a.id AND r.effective_from <= current_setting('gascis.today')::date \
        ORDER BY r.effective_from DESC, r.id DESC LIMIT 1) h ON true \
    CROSS JOIN LATERAL (SELECT \
        coalesce(-sum(l.amount) FILTER (WHERE l.book = 'prepayment'), 0)::numeric(14,2) AS balance, \
        greatest(coalesce(sum(l.amount) FILTER (WHERE l.book = 'receivable'), 0), 0)::numeric(14,2) AS arrears \
        FROM ledger_lines l WHERE l.account_id = a.id) b \
    WHERE s.import_id = $1 AND s.outcome IS NULL AND a.account_no = s.account_no";

/// Outcome of existing rows by policy ($2): update, skip or fail.
pub const APPLY_POLICY: &str = "UPDATE import_staging_accounts SET outcome = CASE \
      WHEN cardinality(differences) = 0 THEN 'unchanged' \
      WHEN $2 = 'update' THEN 'updated' \
      WHEN $2 = 'skip' THEN 'skipped' \
      ELSE 'failed' END \
    WHERE import_id = $1 AND outcome IS NULL";

/// Rows the archive refuses, with the reason.
pub const CONFLICTS: &str = "SELECT s.row_number, 'meter_no' AS field, s.meter_no AS value, \
      'meter ' || s.meter_no || ' is registered on account ' || a.account_no AS reason \
    FROM import_staging_accounts s JOIN meters m ON m.meter_no = s.meter_no \
    JOIN accounts a ON a.id = m.account_id \
    WHERE s.import_id = $1 AND a.account_no <> s.account_no \
  UNION ALL \
  SELECT s.row_number, 'meter_no', s.meter_no, \
      'the archive has meter ' || m.meter_no || ' on this account; record a meter replacement instead' \
    FROM import_staging_accounts s JOIN accounts a ON a.account_no = s.account_no \
    JOIN meters m ON m.account_id = a.id AND m.installed \
    WHERE s.import_id = $1 AND m.meter_no <> s.meter_no \
  UNION ALL \
  SELECT s.row_number, 'card_no', s.card_no, 'card ' || s.card_no || ' is issued to account ' || a.account_no \
    FROM import_staging_accounts s JOIN ic_cards k ON k.card_no = s.card_no \
    JOIN accounts a ON a.id = k.account_id \
    WHERE s.import_id = $1 AND a.account_no <> s.account_no \
  UNION ALL \
  SELECT s.row_number, 'account_no', s.account_no, 'contract HT' || s.account_no || ' already exists' \
    FROM import_staging_accounts s JOIN contracts k ON k.contract_no = 'HT' || s.account_no \
    WHERE s.import_id = $1 AND s.outcome = 'new' \
  UNION ALL \
  SELECT s.row_number, 'account_no', s.account_no, \
      'account exists with other data (' || array_to_string(s.differences, '; ') || '); the policy is fail' \
    FROM import_staging_accounts s WHERE s.import_id = $1 AND s.outcome = 'failed' \
  UNION ALL \
  SELECT s.row_number, 'account_no', s.account_no, 'account ' || s.account_no || ' is closed' \
    FROM import_staging_accounts s JOIN accounts a ON a.account_no = s.account_no \
    WHERE s.import_id = $1 AND a.status = 'closed' AND s.outcome = 'updated'";

/// The merge, in order. Inserts carry the ids drawn by MARK_NEW.
pub const MERGE: &[&str] = &[
    "INSERT INTO customers (id, party_kind, customer_type, name, id_type, id_number_enc, id_number_hash, \
        id_number_masked, phone_enc, phone_hash, phone_masked) \
     SELECT customer_id, party_kind, customer_type, customer_name, id_type, id_number_enc, id_number_hash, \
        id_number_masked, phone_enc, phone_hash, phone_masked \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO premises (id, district, community, building, unit, room, address) \
     SELECT premise_id, district, community, building, unit, room, address \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO accounts (id, account_no, customer_id, premise_id, opened_on) \
     SELECT account_id, account_no, customer_id, premise_id, opened_on \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO account_holders (account_id, customer_id, from_date) \
     SELECT account_id, customer_id, opened_on \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    // Legacy ledgers do not record size and register digits: residential
    // meters default to G2.5, others G6, with room for the reading.
    "INSERT INTO meters (id, meter_no, meter_type, size, digits, installed_on, initial_reading, account_id, installed) \
     SELECT meter_id, meter_no, meter_type, CASE customer_type WHEN 'residential' THEN 'G2.5' ELSE 'G6' END, \
        least(10, greatest(5, length(trunc(initial_reading)::text) + 1)), opened_on, initial_reading, account_id, true \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO meter_events (meter_id, account_id, kind, reading, occurred_on, recorded_by, note) \
     SELECT meter_id, account_id, 'install', initial_reading, opened_on, current_setting('gascis.user'), \
        '导入 #' || $1 || ' 第' || row_number || '行' \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO contracts (contract_no, account_id, signed_on, gas_purpose, price_policy) \
     SELECT 'HT' || account_no, account_id, opened_on, \
        CASE customer_type WHEN 'commercial' THEN 'commercial' WHEN 'industrial' THEN 'industrial' ELSE 'cooking' END, \
        customer_type \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new'",
    "INSERT INTO ic_cards (card_no, account_id) \
     SELECT card_no, account_id FROM import_staging_accounts \
     WHERE import_id = $1 AND outcome = 'new' AND card_no IS NOT NULL",
    "INSERT INTO household_registrations (account_id, household_size, effective_from, recorded_by) \
     SELECT account_id, household_size, opened_on, current_setting('gascis.user') \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'new' AND household_size IS NOT NULL",
    // Changed holders' data (policy update).
    "UPDATE customers c SET name = s.customer_name, customer_type = s.customer_type, party_kind = s.party_kind, \
        id_type = CASE WHEN s.id_number_hash IS NULL THEN c.id_type ELSE s.id_type END, \
        id_number_enc = coalesce(s.id_number_enc, c.id_number_enc), \
        id_number_hash = coalesce(s.id_number_hash, c.id_number_hash), \
        id_number_masked = CASE WHEN s.id_number_hash IS NULL THEN c.id_number_masked ELSE s.id_number_masked END, \
        phone_enc = s.phone_enc, phone_hash = s.phone_hash, phone_masked = s.phone_masked, \
        version = c.version + 1, updated_at = now() \
     FROM import_staging_accounts s \
     WHERE s.import_id = $1 AND s.outcome = 'updated' AND c.id = s.customer_id",
    "UPDATE premises p SET district = s.district, community = s.community, building = s.building, \
        unit = s.unit, room = s.room, address = s.address, version = p.version + 1, updated_at = now() \
     FROM import_staging_accounts s \
     WHERE s.import_id = $1 AND s.outcome = 'updated' AND p.id = s.premise_id AND p.address <> s.address",
    "INSERT INTO household_registrations (account_id, household_size, effective_from, recorded_by) \
     SELECT account_id, household_size, current_setting('gascis.today')::date, current_setting('gascis.user') \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome = 'updated' \
        AND EXISTS (SELECT 1 FROM unnest(differences) d WHERE d LIKE 'household_size:%')",
    "UPDATE accounts a SET version = a.version + 1, updated_at = now() \
     FROM import_staging_accounts s WHERE s.import_id = $1 AND s.outcome = 'updated' AND a.id = s.account_id",
    // Balances: one balanced ledger transaction per account whose figures
    // moved (opening balances for a new account, an adjustment for a
    // changed one), against opening equity. The lines are written from the
    // RETURNING ids, so nothing is looked up again by business key.
    "WITH moved AS ( \
        SELECT account_id, account_no, row_number, outcome, opened_on, arrears_delta, balance_delta \
        FROM import_staging_accounts \
        WHERE import_id = $1 AND outcome IN ('new', 'updated') AND (arrears_delta <> 0 OR balance_delta <> 0)), \
     entry AS ( \
        INSERT INTO ledger_transactions (business_key, kind, account_id, occurred_on, created_by, memo) \
        SELECT 'import:' || $1 || ':' || account_no, \
            CASE outcome WHEN 'new' THEN 'import_opening' ELSE 'import_adjustment' END, account_id, \
            CASE outcome WHEN 'new' THEN opened_on ELSE current_setting('gascis.today')::date END, current_setting('gascis.user'), \
            '导入 #' || $1 || ' 第' || row_number || '行' \
        FROM moved RETURNING id, account_id) \
     INSERT INTO ledger_lines (transaction_id, book, account_id, amount) \
     SELECT entry.id, line.book, line.account_id, line.amount \
     FROM entry JOIN moved ON moved.account_id = entry.account_id \
     CROSS JOIN LATERAL (VALUES \
        ('receivable', moved.account_id, moved.arrears_delta), \
        ('prepayment', moved.account_id, -moved.balance_delta), \
        ('opening_equity', NULL::bigint, moved.balance_delta - moved.arrears_delta)) AS line (book, account_id, amount) \
     WHERE line.amount <> 0",
    "INSERT INTO change_records (user_id, username, account_id, entity, entity_id, action, reason, differences) \
     SELECT nullif(current_setting('gascis.user_id'), '')::bigint, current_setting('gascis.user'), account_id, \
        'account', account_id, CASE outcome WHEN 'new' THEN 'import_open' ELSE 'import_update' END, \
        '导入 #' || $1 || ' 第' || row_number || '行', \
        CASE outcome WHEN 'new' THEN ARRAY['account_no: ' || account_no, 'meter_no: ' || meter_no] ELSE differences END \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome IN ('new', 'updated')",
    "INSERT INTO import_rows (import_id, sheet, row_number, account_id, outcome) \
     SELECT $1, current_setting('gascis.sheet'), row_number, account_id, outcome \
     FROM import_staging_accounts WHERE import_id = $1 AND outcome IS NOT NULL",
];

//! `gascis-server ledger check`: proves the ledger's invariants over the
//! whole database. Each check is one query that lists breaches; an empty
//! list is a pass.

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Text},
};

use crate::error::Result;

/// One invariant and what breaks it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub description: &'static str,
    /// How many rows break it.
    pub breaches: i64,
    /// The first few, for a person to look at.
    pub examples: Vec<String>,
}

impl Finding {
    pub fn passed(&self) -> bool {
        self.breaches == 0
    }
}

#[derive(QueryableByName)]
struct Breach {
    #[diesel(sql_type = Text)]
    example: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

const EXAMPLES: i64 = 5;

/// The checks: name, what it proves, and a query returning one row per
/// breach as `example` text.
const CHECKS: &[(&str, &str, &str)] = &[
    (
        "transactions_balance",
        "every ledger transaction has two or more lines summing to zero",
        "SELECT 'transaction ' || t.id || ' (' || t.business_key || '): ' || count(l.id) \
            || ' line(s), sum ' || coalesce(sum(l.amount), 0) AS example \
         FROM ledger_transactions t LEFT JOIN ledger_lines l ON l.transaction_id = t.id \
         GROUP BY t.id HAVING coalesce(sum(l.amount), 0) <> 0 OR count(l.id) < 2",
    ),
    (
        "cached_balances",
        "each account's cached balance per book equals the sum of its lines",
        "SELECT 'account ' || coalesce(b.account_id, s.account_id) || ' book ' \
            || coalesce(b.book, s.book) || ': cached ' || coalesce(b.balance::text, 'none') \
            || ', lines ' || coalesce(s.total::text, 'none') AS example \
         FROM account_balances b FULL JOIN ( \
             SELECT account_id, book, sum(amount) AS total FROM ledger_lines \
             WHERE account_id IS NOT NULL GROUP BY account_id, book) s \
           ON s.account_id = b.account_id AND s.book = b.book \
         WHERE coalesce(b.balance, 0) <> coalesce(s.total, 0)",
    ),
    (
        "reversals_mirror",
        "a reversal posts exactly the negation of the transaction it reverses",
        "SELECT 'reversal ' || r.id || ' of ' || r.reverses_id || ': book ' || x.book \
            || ' is off by ' || x.total AS example \
         FROM ledger_transactions r JOIN LATERAL ( \
             SELECT book, account_id, sum(amount) AS total FROM ledger_lines \
             WHERE transaction_id IN (r.id, r.reverses_id) GROUP BY book, account_id \
             HAVING sum(amount) <> 0) x ON true \
         WHERE r.reverses_id IS NOT NULL",
    ),
    (
        "unique_business_keys",
        "no business key twice: ledger keys, payment idempotency keys, one bill per account, period and revision",
        "SELECT 'ledger key ' || business_key AS example FROM ledger_transactions \
            GROUP BY business_key HAVING count(*) > 1 \
         UNION ALL SELECT 'payment key ' || idempotency_key FROM payments \
            GROUP BY idempotency_key HAVING count(*) > 1 \
         UNION ALL SELECT 'bill ' || account_id || ' ' || period || ' rev ' || revision FROM bills \
            GROUP BY account_id, period, revision HAVING count(*) > 1 \
         UNION ALL SELECT 'purchase key ' || idempotency_key FROM gas_purchases \
            GROUP BY idempotency_key HAVING count(*) > 1",
    ),
    (
        "payments_posted_once",
        "a posted payment has one ledger transaction whose channel line is its amount, and allocations that add up to it",
        "SELECT 'payment ' || p.payment_no || ': amount ' || p.amount || ', channel line ' \
            || coalesce((SELECT sum(l.amount)::text FROM ledger_lines l \
                WHERE l.transaction_id = p.ledger_transaction_id AND l.book = p.channel), 'none') \
            || ', allocated ' || coalesce((SELECT sum(a.amount)::text FROM payment_allocations a \
                WHERE a.payment_id = p.id), 'none') AS example \
         FROM payments p WHERE p.status = 'posted' AND ( \
             coalesce((SELECT sum(a.amount) FROM payment_allocations a WHERE a.payment_id = p.id), 0) \
                 <> p.amount \
             OR coalesce((SELECT sum(l.amount) FROM ledger_lines l \
                 WHERE l.transaction_id = p.ledger_transaction_id AND l.book = p.channel), 0) \
                 <> CASE p.kind WHEN 'refund' THEN -p.amount ELSE p.amount END)",
    ),
    (
        "unsettled_payments_unposted",
        "a payment that is pending, unknown or declined has posted nothing",
        "SELECT 'payment ' || p.payment_no || ' is ' || p.status || ' but ledger key payment:' \
            || p.payment_no || ' exists' AS example \
         FROM payments p JOIN ledger_transactions t ON t.business_key = 'payment:' || p.payment_no \
         WHERE p.status <> 'posted'",
    ),
    (
        "voids_reverse_their_payment",
        "a void's ledger transaction reverses its payment's",
        "SELECT 'void ' || v.receipt_no || ' of ' || p.payment_no AS example \
         FROM payment_voids v JOIN payments p ON p.id = v.payment_id \
         JOIN ledger_transactions t ON t.id = v.ledger_transaction_id \
         WHERE t.reverses_id IS DISTINCT FROM p.ledger_transaction_id",
    ),
    (
        "gas_purchases_posted_as_charged",
        "a gas purchase's ledger transaction takes exactly its cash due in its channel and its balance used from the account's prepayment",
        "SELECT 'gas purchase ' || g.id || ': cash due ' || g.cash_due || ', channel line ' \
            || coalesce(c.total::text, 'none') || ', balance used ' || g.balance_used \
            || ', prepayment line ' || coalesce(p.total::text, 'none') AS example \
         FROM gas_purchases g \
         LEFT JOIN LATERAL (SELECT sum(l.amount) AS total FROM ledger_lines l \
             WHERE l.transaction_id = g.ledger_transaction_id AND l.book = g.channel) c ON true \
         LEFT JOIN LATERAL (SELECT sum(l.amount) AS total FROM ledger_lines l \
             WHERE l.transaction_id = g.ledger_transaction_id AND l.book = 'prepayment' \
               AND l.account_id = g.account_id) p ON true \
         WHERE coalesce(c.total, 0) <> g.cash_due OR coalesce(p.total, 0) <> g.balance_used \
            OR (g.amount > 0 AND g.ledger_transaction_id IS NULL)",
    ),
    (
        "bills_posted_as_billed",
        "a bill's ledger transaction puts exactly its amount on the account's receivable",
        "SELECT 'bill ' || b.id || ' (' || b.period || '): amount ' || b.amount || ', receivable ' \
            || coalesce(r.total::text, 'none') AS example \
         FROM bills b LEFT JOIN LATERAL (SELECT sum(l.amount) AS total FROM ledger_lines l \
             WHERE l.transaction_id = b.ledger_transaction_id AND l.book = 'receivable') r ON true \
         WHERE b.ledger_transaction_id IS NOT NULL AND coalesce(r.total, 0) <> b.amount",
    ),
    (
        "append_only_enforced",
        "the ledger's append-only triggers exist and the application role cannot UPDATE or DELETE ledger rows",
        "SELECT 'table ' || t.name || ': ' || CASE \
                WHEN NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.name::regclass \
                    AND g.tgname = t.name || '_append_only') THEN 'append-only trigger missing' \
                ELSE 'gascis_app may update or delete' END AS example \
         FROM (VALUES ('ledger_transactions'), ('ledger_lines'), ('payment_allocations'), \
             ('payment_voids'), ('receipt_prints')) AS t (name) \
         WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.name::regclass \
                 AND g.tgname = t.name || '_append_only') \
            OR (EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gascis_app') \
                AND (has_table_privilege('gascis_app', t.name, 'UPDATE') \
                  OR has_table_privilege('gascis_app', t.name, 'DELETE')))",
    ),
];

/// Runs every check; the findings come in the order of `CHECKS`.
pub fn run(connection: &mut PgConnection) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for (check, description, query) in CHECKS {
        let rows: Vec<Breach> = sql_query(format!(
            "SELECT example, count(*) OVER () AS total FROM ({query}) breaches LIMIT {EXAMPLES}"
        ))
        .load(connection)?;
        findings.push(Finding {
            check,
            description,
            breaches: rows.first().map(|row| row.total).unwrap_or(0),
            examples: rows.into_iter().map(|row| row.example).collect(),
        });
    }
    Ok(findings)
}

//! Database rules: the audit log is append-only for the application's role
//! (and, through a trigger, for everybody), and schema conventions hold.

use diesel::{RunQueryDsl, connection::SimpleConnection, sql_query, sql_types::Text};
use gascis_server::auth::audit::{self, NewAuditEvent};
use gascis_testkit::TestDb;

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[test]
fn the_application_role_cannot_rewrite_the_audit_log() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut app = db.app()?;
    audit::record(
        &mut app,
        NewAuditEvent {
            kind: "login_failed",
            username: "someone",
            ..Default::default()
        },
    )?;
    for statement in [
        "UPDATE audit_events SET detail = 'edited'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = app.batch_execute(statement).err().map(|e| e.to_string());
        let text = error.unwrap_or_default();
        assert!(
            text.contains("permission denied"),
            "app role: {statement}: {text}"
        );
    }
    // Even the owner is stopped by the trigger.
    let mut owner = db.owner()?;
    for statement in [
        "UPDATE audit_events SET detail = 'edited'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let text = owner
            .batch_execute(statement)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(text.contains("append-only"), "owner: {statement}: {text}");
    }
    let kept: Vec<Name> = sql_query("SELECT detail AS name FROM audit_events").load(&mut app)?;
    assert_eq!(
        kept,
        vec![Name {
            name: String::new()
        }]
    );
    Ok(())
}

#[test]
fn schema_conventions_hold() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut owner = db.owner()?;
    // Every table has a primary key.
    let without_key: Vec<Name> = sql_query(
        "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')",
    )
    .load(&mut owner)?;
    assert_eq!(without_key, vec![]);
    // No floats anywhere (money and volumes are NUMERIC) and no timestamps
    // without a time zone.
    let bad_types: Vec<Name> = sql_query(
        "SELECT table_name || '.' || column_name || ' ' || data_type AS name
         FROM information_schema.columns WHERE table_schema = 'public'
           AND table_name <> '__diesel_schema_migrations'
           AND data_type IN ('real', 'double precision', 'timestamp without time zone', 'money')",
    )
    .load(&mut owner)?;
    assert_eq!(bad_types, vec![]);
    // The application role can reach every table (else a request fails at run time).
    let unreachable: Vec<Name> = sql_query(
        "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND NOT has_table_privilege('gascis_app', c.oid, 'SELECT')",
    )
    .load(&mut owner)?;
    assert_eq!(unreachable, vec![]);
    Ok(())
}

#[test]
fn the_ledger_refuses_unbalanced_transactions_and_rewrites() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut app = db.app()?;
    app.batch_execute(
        "INSERT INTO ledger_transactions (id, business_key, kind, occurred_on, created_by) VALUES (1, 'k1', 'test', '2025-01-01', 't')",
    )?;
    let unbalanced = app
        .batch_execute("INSERT INTO ledger_lines (transaction_id, book, amount) VALUES (1, 'receivable', 10.00), (1, 'opening_equity', -9.99)")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(unbalanced.contains("does not balance"), "{unbalanced}");
    app.batch_execute("INSERT INTO ledger_lines (transaction_id, book, amount) VALUES (1, 'receivable', 10.00), (1, 'opening_equity', -10.00)")?;
    for statement in [
        "UPDATE ledger_lines SET amount = 11",
        "DELETE FROM ledger_lines",
        "DELETE FROM ledger_transactions",
    ] {
        let text = app
            .batch_execute(statement)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            text.contains("permission denied") || text.contains("append-only"),
            "{statement}: {text}"
        );
    }
    Ok(())
}

/// The error text of a statement that must fail.
fn refusal(connection: &mut diesel::PgConnection, statement: &str) -> String {
    connection
        .batch_execute(statement)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| format!("accepted: {statement}"))
}

#[test]
fn references_of_bills_and_ledger_are_checked_per_statement() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut app = db.app()?;
    let keys = gascis_server::pii::PiiKeys::generate();
    // A real bill and its ledger entry: every reference below is valid but
    // the one each statement breaks.
    let account = gascis_testkit::billing_fixtures::billed_account(&mut app, &keys, 7)?;
    let copy_bill = |column: &str| {
        let columns = "account_id, period, revision, from_date, to_date, previous_reading_id, reading_id, \
            volume, amount, net, tax, vat_rate, tariff_code, tariff_revision_id, cycle_to_date, due_on, \
            run_id, ledger_transaction_id, created_by";
        let values = columns
            .split(", ")
            .map(|name| match name {
                "period" => "'2030-01'",
                name if name == column => "987654321",
                name => name,
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "INSERT INTO bills ({columns}) SELECT {values} FROM bills WHERE account_id = {account} LIMIT 1"
        )
    };
    for column in [
        "account_id",
        "reading_id",
        "previous_reading_id",
        "tariff_revision_id",
        "ledger_transaction_id",
    ] {
        let text = refusal(&mut app, &copy_bill(column));
        assert!(
            text.contains(&format!(
                "bills violates its reference: {column}=987654321 does not exist"
            )),
            "{column}: {text}"
        );
    }
    // A valid copy goes in: the check looks at the statement's rows only.
    app.batch_execute(&copy_bill("no such column"))?;

    let text = refusal(
        &mut app,
        "INSERT INTO bill_lines (bill_id, line_no, kind, volume, amount, version_effective_from, from_date, to_date, days) \
         VALUES (987654321, 1, 'flat', 1, 1, '2024-01-01', '2024-01-01', '2024-01-31', 31)",
    );
    assert!(
        text.contains("bill_lines violates its reference: bill_id=987654321"),
        "{text}"
    );
    let text = refusal(
        &mut app,
        "INSERT INTO ledger_transactions (business_key, kind, account_id, occurred_on, created_by) \
         VALUES ('orphan', 'test', 987654321, '2025-01-01', 't')",
    );
    assert!(
        text.contains("ledger_transactions violates its reference: account_id=987654321"),
        "{text}"
    );
    let text = refusal(
        &mut app,
        "INSERT INTO ledger_lines (transaction_id, book, amount) VALUES (987654321, 'receivable', 1), (987654321, 'opening_equity', -1)",
    );
    assert!(
        text.contains("ledger_lines violates its reference: transaction_id=987654321"),
        "{text}"
    );
    let text = refusal(
        &mut app,
        &format!(
            "INSERT INTO ledger_lines (transaction_id, book, account_id, amount) \
             SELECT id, 'receivable', 987654321, 1 FROM ledger_transactions WHERE account_id = {account} LIMIT 1"
        ),
    );
    // Unbalanced as well: whichever is named, the insert is refused.
    assert!(
        text.contains("violates its reference") || text.contains("does not balance"),
        "{text}"
    );

    // What the checks rely on: the parents keep their rows and ids, even
    // for the owner.
    let mut owner = db.owner()?;
    for statement in [
        format!("DELETE FROM accounts WHERE id = {account}"),
        format!("UPDATE accounts SET id = id + 1000000 WHERE id = {account}"),
        format!("DELETE FROM meter_readings WHERE account_id = {account}"),
        "TRUNCATE billing_runs CASCADE".to_owned(),
        "TRUNCATE meter_readings CASCADE".to_owned(),
    ] {
        let text = refusal(&mut owner, &statement);
        assert!(
            text.contains("permanent") || text.contains("append-only"),
            "{statement}: {text}"
        );
    }
    // And the application role cannot delete them in the first place.
    let text = refusal(
        &mut app,
        &format!("DELETE FROM accounts WHERE id = {account}"),
    );
    assert!(text.contains("permission denied"), "{text}");
    Ok(())
}

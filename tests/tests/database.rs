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

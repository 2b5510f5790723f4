//! The append-only audit log (table `audit_events`). The application's
//! database role may only INSERT and SELECT it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::{error::Result, schema::audit_events};

/// Kinds of audit events; stored as text so that later issues can add kinds
/// without a migration.
pub mod kind {
    pub const LOGIN_SUCCEEDED: &str = "login_succeeded";
    pub const LOGIN_FAILED: &str = "login_failed";
    pub const USER_LOCKED: &str = "user_locked";
    pub const LOGIN_REFUSED: &str = "login_refused";
    pub const LOGOUT: &str = "logout";
    pub const CALL_DENIED: &str = "call_denied";
    pub const USER_CREATED: &str = "user_created";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    pub const USER_DISABLED: &str = "user_disabled";
    pub const USER_ENABLED: &str = "user_enabled";
    pub const APPROVAL_GRANTED: &str = "approval_granted";
    pub const APPROVAL_REFUSED: &str = "approval_refused";
    pub const PII_REVEALED: &str = "pii_revealed";
    pub const ACCOUNTS_EXPORTED: &str = "accounts_exported";
}

#[derive(Debug, Clone, Default, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub kind: &'a str,
    pub username: &'a str,
    pub user_id: Option<i64>,
    pub rpc: &'a str,
    pub detail: &'a str,
    pub peer: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub username: String,
    pub user_id: Option<i64>,
    pub rpc: String,
    pub detail: String,
    pub peer: String,
}

pub fn record(connection: &mut PgConnection, event: NewAuditEvent<'_>) -> Result<()> {
    diesel::insert_into(audit_events::table)
        .values(&event)
        .execute(connection)?;
    Ok(())
}

pub fn list(
    connection: &mut PgConnection,
    limit: i64,
    before_id: Option<i64>,
    kind_filter: Option<&str>,
) -> Result<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    if let Some(kind) = kind_filter {
        query = query.filter(audit_events::kind.eq(kind.to_owned()));
    }
    Ok(query.load(connection)?)
}

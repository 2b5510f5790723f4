//! User administration: the domain functions behind UserService and the
//! `gascis-server user` commands. Each opens its own transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gascis_common::Role;

use super::{
    audit::{self, NewAuditEvent, kind},
    password,
};
use crate::{
    error::{Error, Result},
    schema::{sessions, users},
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub failed_login_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl User {
    /// Roles as the domain type; an unknown text (impossible under the
    /// table's CHECK) is dropped rather than trusted.
    pub fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| r.parse().ok()).collect()
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    display_name: &'a str,
    password_hash: &'a str,
    roles: Vec<String>,
}

/// Who performs an administrative change, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub username: &'a str,
    pub user_id: Option<i64>,
    pub peer: &'a str,
}

impl Actor<'_> {
    /// The IT person at the server's console (the CLI).
    pub const CONSOLE: Actor<'static> = Actor {
        username: "console",
        user_id: None,
        peer: "console",
    };
}

pub fn normalise_username(text: &str) -> String {
    text.trim().to_lowercase()
}

pub fn validate_username(username: &str) -> Result<()> {
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !(2..=32).contains(&username.len()) || !ok_chars {
        return Err(Error::invalid(
            "username",
            "must be 2 to 32 lower-case ASCII letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(())
}

fn validate_display_name(display_name: &str) -> Result<()> {
    let count = display_name.trim().chars().count();
    if !(1..=64).contains(&count) {
        return Err(Error::invalid(
            "display_name",
            "must have 1 to 64 characters",
        ));
    }
    Ok(())
}

pub fn find(connection: &mut PgConnection, username: &str) -> Result<Option<User>> {
    Ok(users::table
        .filter(users::username.eq(normalise_username(username)))
        .select(User::as_select())
        .first(connection)
        .optional()?)
}

fn find_existing(connection: &mut PgConnection, username: &str) -> Result<User> {
    find(connection, username)?.ok_or_else(|| Error::NotFound(format!("no user '{username}'")))
}

pub fn list(connection: &mut PgConnection) -> Result<Vec<User>> {
    Ok(users::table
        .select(User::as_select())
        .order(users::username)
        .load(connection)?)
}

pub fn create(
    connection: &mut PgConnection,
    actor: Actor<'_>,
    username: &str,
    display_name: &str,
    roles: &[Role],
    new_password: &str,
) -> Result<User> {
    let username = normalise_username(username);
    validate_username(&username)?;
    validate_display_name(display_name)?;
    if roles.is_empty() {
        return Err(Error::invalid("roles", "at least one role is required"));
    }
    password::validate(new_password, "password")?;
    let password_hash = password::hash(new_password)?;
    let mut role_texts: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    role_texts.sort();
    role_texts.dedup();
    connection.transaction(|connection| {
        if find(connection, &username)?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "user '{username}' already exists"
            )));
        }
        let user = diesel::insert_into(users::table)
            .values(NewUser {
                username: &username,
                display_name: display_name.trim(),
                password_hash: &password_hash,
                roles: role_texts.clone(),
            })
            .returning(User::as_returning())
            .get_result(connection)?;
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::USER_CREATED,
                username: &username,
                user_id: Some(user.id),
                detail: &format!("roles {} by {}", role_texts.join(","), actor.username),
                peer: actor.peer,
                ..Default::default()
            },
        )?;
        Ok(user)
    })
}

pub fn set_password(
    connection: &mut PgConnection,
    actor: Actor<'_>,
    username: &str,
    new_password: &str,
) -> Result<()> {
    password::validate(new_password, "new_password")?;
    let password_hash = password::hash(new_password)?;
    connection.transaction(|connection| {
        let user = find_existing(connection, username)?;
        diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(&password_hash),
                users::failed_login_count.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
                users::updated_at.eq(Utc::now()),
                users::version.eq(users::version + 1),
            ))
            .execute(connection)?;
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::PASSWORD_CHANGED,
                username: &user.username,
                user_id: Some(user.id),
                detail: &format!("by {}", actor.username),
                peer: actor.peer,
                ..Default::default()
            },
        )?;
        Ok(())
    })
}

pub fn set_disabled(
    connection: &mut PgConnection,
    actor: Actor<'_>,
    username: &str,
    disabled: bool,
) -> Result<User> {
    connection.transaction(|connection| {
        let user = find_existing(connection, username)?;
        let now = Utc::now();
        let user = diesel::update(users::table.find(user.id))
            .set((
                users::disabled.eq(disabled),
                users::updated_at.eq(now),
                users::version.eq(users::version + 1),
            ))
            .returning(User::as_returning())
            .get_result(connection)?;
        if disabled {
            // A disabled user must not keep working on an open session.
            diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(user.id))
                    .filter(sessions::ended_at.is_null()),
            )
            .set(sessions::ended_at.eq(now))
            .execute(connection)?;
        }
        audit::record(
            connection,
            NewAuditEvent {
                kind: if disabled {
                    kind::USER_DISABLED
                } else {
                    kind::USER_ENABLED
                },
                username: &user.username,
                user_id: Some(user.id),
                detail: &format!("by {}", actor.username),
                peer: actor.peer,
                ..Default::default()
            },
        )?;
        Ok(user)
    })
}

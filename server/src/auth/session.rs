//! Login, logout and token checks. Tokens are 256 random bits; only their
//! SHA-256 is stored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gascis_common::proto::reason;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{
    AuthSettings, Caller,
    audit::{self, NewAuditEvent, kind},
    password,
    users::{self, User},
};
use crate::{
    error::{Error, Result},
    schema::{sessions, users as users_table},
};

pub fn token_sha256(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    token_sha256: Vec<u8>,
    user_id: i64,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    client_name: &'a str,
    peer: &'a str,
}

/// A session opened by [`login`].
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub token: String,
    pub user: User,
    pub expires_at: DateTime<Utc>,
}

/// What a credential check did; failures are committed too (counter,
/// lockout, audit) before they become an error.
enum Outcome {
    Verified(User),
    Refused(Error),
}

pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub client_name: &'a str,
    pub peer: &'a str,
}

/// Checks a user name and password with lockout bookkeeping and auditing,
/// inside the caller's transaction. `purpose` goes into the audit detail
/// ("login" or "approval").
fn verify_credentials(
    connection: &mut PgConnection,
    settings: &AuthSettings,
    attempt: &LoginAttempt<'_>,
    purpose: &str,
) -> Result<Outcome> {
    let username = users::normalise_username(attempt.username);
    let now = Utc::now();
    let user = users_table::table
        .filter(users_table::username.eq(&username))
        .select(User::as_select())
        .for_update()
        .first(connection)
        .optional()?;
    let audit_event =
        |connection: &mut PgConnection, kind: &'static str, user_id: Option<i64>, detail: &str| {
            audit::record(
                connection,
                NewAuditEvent {
                    kind,
                    username: &username,
                    user_id,
                    detail: &format!("{purpose}: {detail}"),
                    peer: attempt.peer,
                    ..Default::default()
                },
            )
        };
    let Some(user) = user else {
        password::verify_dummy(attempt.password);
        audit_event(connection, kind::LOGIN_FAILED, None, "unknown user")?;
        return Ok(Outcome::Refused(Error::BadCredentials));
    };
    if user.disabled {
        audit_event(
            connection,
            kind::LOGIN_REFUSED,
            Some(user.id),
            "user disabled",
        )?;
        return Ok(Outcome::Refused(Error::Disabled));
    }
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        audit_event(
            connection,
            kind::LOGIN_REFUSED,
            Some(user.id),
            &format!("locked until {until}"),
        )?;
        return Ok(Outcome::Refused(Error::Locked { until }));
    }
    if !password::verify(attempt.password, &user.password_hash) {
        let failures = user.failed_login_count.saturating_add(1);
        let max = i32::try_from(settings.max_failed_logins).unwrap_or(i32::MAX);
        if failures >= max {
            let until = now + settings.lockout;
            diesel::update(users_table::table.find(user.id))
                .set((
                    users_table::failed_login_count.eq(0),
                    users_table::locked_until.eq(Some(until)),
                ))
                .execute(connection)?;
            audit_event(
                connection,
                kind::LOGIN_FAILED,
                Some(user.id),
                "wrong password",
            )?;
            audit_event(
                connection,
                kind::USER_LOCKED,
                Some(user.id),
                &format!("{failures} failed logins; locked until {until}"),
            )?;
            return Ok(Outcome::Refused(Error::Locked { until }));
        }
        diesel::update(users_table::table.find(user.id))
            .set(users_table::failed_login_count.eq(failures))
            .execute(connection)?;
        audit_event(
            connection,
            kind::LOGIN_FAILED,
            Some(user.id),
            &format!("wrong password ({failures} of {max})"),
        )?;
        return Ok(Outcome::Refused(Error::BadCredentials));
    }
    let user = diesel::update(users_table::table.find(user.id))
        .set((
            users_table::failed_login_count.eq(0),
            users_table::locked_until.eq(None::<DateTime<Utc>>),
        ))
        .returning(User::as_returning())
        .get_result(connection)?;
    Ok(Outcome::Verified(user))
}

pub fn login(
    connection: &mut PgConnection,
    settings: &AuthSettings,
    attempt: &LoginAttempt<'_>,
) -> Result<NewLogin> {
    let client_name: String = attempt.client_name.chars().take(200).collect();
    // Refusals commit (counter, lockout, audit) and then become the error.
    connection.transaction(|connection| -> Result<Result<NewLogin>> {
        let user = match verify_credentials(connection, settings, attempt, "login")? {
            Outcome::Verified(user) => user,
            Outcome::Refused(error) => return Ok(Err(error)),
        };
        let now = Utc::now();
        let token = new_token();
        let expires_at = now + settings.absolute_timeout;
        diesel::insert_into(sessions::table)
            .values(NewSession {
                token_sha256: token_sha256(&token),
                user_id: user.id,
                created_at: now,
                last_seen_at: now,
                expires_at,
                client_name: &client_name,
                peer: attempt.peer,
            })
            .execute(connection)?;
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::LOGIN_SUCCEEDED,
                username: &user.username,
                user_id: Some(user.id),
                detail: &client_name,
                peer: attempt.peer,
                ..Default::default()
            },
        )?;
        Ok(Ok(NewLogin {
            token,
            user,
            expires_at,
        }))
    })?
}

/// A supervisor's approval typed into a dialog at someone else's client:
/// the same password check, lockout and audit as a login, and the role.
/// Runs in its own transaction so a refusal is recorded even when the
/// approved action then fails.
pub fn verify_approval(
    connection: &mut PgConnection,
    settings: &AuthSettings,
    username: &str,
    password: &str,
    peer: &str,
    action: &str,
) -> Result<String> {
    let attempt = LoginAttempt {
        username,
        password,
        client_name: "",
        peer,
    };
    connection.transaction(|connection| -> Result<Result<String>> {
        let purpose = format!("approval of {action}");
        let user = match verify_credentials(connection, settings, &attempt, &purpose)? {
            Outcome::Verified(user) => user,
            Outcome::Refused(Error::BadCredentials) => {
                return Ok(Err(Error::invalid(
                    "approval.password",
                    "wrong user name or password for the approving supervisor",
                )));
            }
            Outcome::Refused(error) => return Ok(Err(error)),
        };
        if !user.roles().contains(&gascis_common::Role::Supervisor) {
            audit::record(
                connection,
                NewAuditEvent {
                    kind: kind::APPROVAL_REFUSED,
                    username: &user.username,
                    user_id: Some(user.id),
                    detail: &format!("{action}: not a supervisor"),
                    peer,
                    ..Default::default()
                },
            )?;
            return Ok(Err(Error::invalid(
                "approval.username",
                format!("{} is not a supervisor", user.username),
            )));
        }
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::APPROVAL_GRANTED,
                username: &user.username,
                user_id: Some(user.id),
                detail: action,
                peer,
                ..Default::default()
            },
        )?;
        Ok(Ok(user.username))
    })?
}

/// How stale `last_seen_at` may get before a request writes it again: a
/// tenth of the idle timeout, at most 30 seconds. Writing it on every call
/// made each RPC an UPDATE and a commit of its own (a WAL flush) before its
/// real work. The stamp may lag the last call by this much, so a session
/// idles out at most this much early, never late.
fn touch_interval(idle_timeout: chrono::Duration) -> chrono::Duration {
    (idle_timeout / 10).min(chrono::Duration::seconds(30))
}

/// Checks a bearer token and touches the session. Refuses unknown, ended,
/// idle-expired and absolutely expired sessions, and disabled users.
pub fn authenticate(
    connection: &mut PgConnection,
    settings: &AuthSettings,
    token: &str,
    peer: &str,
) -> Result<Caller> {
    let hash = token_sha256(token);
    let now = Utc::now();
    let expired = || Error::Unauthenticated {
        reason: reason::SESSION_EXPIRED,
        message: "session expired or unknown; log in again".to_owned(),
    };
    let found: Option<(DateTime<Utc>, DateTime<Utc>, User)> = sessions::table
        .inner_join(users_table::table)
        .filter(sessions::token_sha256.eq(&hash))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - settings.idle_timeout))
        .select((
            sessions::expires_at,
            sessions::last_seen_at,
            User::as_select(),
        ))
        .first(connection)
        .optional()?;
    let Some((expires_at, last_seen_at, user)) = found else {
        return Err(expired());
    };
    if user.disabled {
        return Err(expired());
    }
    if now - last_seen_at >= touch_interval(settings.idle_timeout) {
        // Only forward: a request that read the session late must not move
        // it back, and a logout in between stays a logout.
        diesel::update(
            sessions::table
                .filter(sessions::token_sha256.eq(&hash))
                .filter(sessions::ended_at.is_null())
                .filter(sessions::last_seen_at.lt(now)),
        )
        .set(sessions::last_seen_at.eq(now))
        .execute(connection)?;
    }
    Ok(Caller {
        user_id: user.id,
        roles: user.roles(),
        username: user.username,
        display_name: user.display_name,
        token_sha256: hash,
        expires_at,
        peer: peer.to_owned(),
    })
}

pub fn logout(connection: &mut PgConnection, caller: &Caller) -> Result<()> {
    connection.transaction(|connection| {
        diesel::update(sessions::table.find(&caller.token_sha256))
            .set(sessions::ended_at.eq(Utc::now()))
            .execute(connection)?;
        audit::record(
            connection,
            NewAuditEvent {
                kind: kind::LOGOUT,
                username: &caller.username,
                user_id: Some(caller.user_id),
                peer: &caller.peer,
                ..Default::default()
            },
        )
    })
}

//! Users, passwords, sessions and the audit log.

pub mod audit;
pub mod layer;
pub mod password;
pub mod policy;
pub mod session;
pub mod users;

use chrono::{DateTime, Utc};
use gascis_common::Role;

/// The authenticated user behind a request, put into the request's
/// extensions by [`layer::AuthLayer`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub token_sha256: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub peer: String,
}

impl Caller {
    /// The caller of a request that passed the auth layer. A missing caller is
    /// a wiring bug (a method missing from the policy), reported as internal.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, crate::error::Error> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| crate::error::Error::Internal("request has no caller".to_owned()))
    }
}

/// Session and lockout settings from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    pub idle_timeout: chrono::Duration,
    pub absolute_timeout: chrono::Duration,
    pub max_failed_logins: u32,
    pub lockout: chrono::Duration,
}

impl AuthSettings {
    pub fn from_config(config: &crate::config::Config) -> Self {
        AuthSettings {
            idle_timeout: chrono::Duration::minutes(i64::from(config.session.idle_timeout_minutes)),
            absolute_timeout: chrono::Duration::hours(i64::from(
                config.session.absolute_timeout_hours,
            )),
            max_failed_logins: config.security.max_failed_logins,
            lockout: chrono::Duration::minutes(i64::from(config.security.lockout_minutes)),
        }
    }
}

//! gRPC handlers: thin adapters from proto to the domain and back.

pub mod archive_service;
pub mod auth_service;
pub mod import_service;
pub mod system_service;
pub mod user_service;

use std::sync::Arc;

use diesel::PgConnection;
use gascis_common::proto::v1 as pb;
use prost_types::Timestamp;

use crate::{
    auth::{AuthSettings, users::User},
    config::Config,
    db::PgPool,
    error::{Error, Result},
};

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    pub auth: AuthSettings,
    pub config: Config,
    pub pii: Arc<crate::pii::PiiKeys>,
}

pub type SharedState = Arc<AppState>;

/// Runs synchronous diesel work on the blocking pool with a pooled connection.
pub async fn with_connection<T, F>(state: &SharedState, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
{
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = pool
            .get()
            .map_err(|error| Error::Database(crate::db::DbError::Connect(error.to_string())))?;
        work(&mut connection)
    })
    .await
    .map_err(|error| Error::Internal(format!("blocking task failed: {error}")))?
}

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> Timestamp {
    Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

impl From<&User> for pb::User {
    fn from(user: &User) -> Self {
        pb::User {
            id: user.id,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            roles: user
                .roles()
                .into_iter()
                .map(|role| pb::Role::from(role) as i32)
                .collect(),
            disabled: user.disabled,
            locked_until: user
                .locked_until
                .filter(|until| *until > chrono::Utc::now())
                .map(timestamp),
            created_at: Some(timestamp(user.created_at)),
        }
    }
}

//! gRPC handlers: thin adapters from proto to the domain and back.

pub mod archive_service;
pub mod auth_service;
pub mod billing_service;
pub mod counter_service;
pub mod import_service;
pub mod invoice_service;
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

/// A pooled connection (blocking).
pub fn connection(
    pool: &PgPool,
) -> Result<diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<PgConnection>>> {
    pool.get()
        .map_err(|error| Error::Database(crate::db::DbError::Connect(error.to_string())))
}

/// Runs synchronous diesel work on the blocking pool with a pooled connection.
pub async fn with_connection<T, F>(state: &SharedState, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T> + Send + 'static,
{
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = connection(&pool)?;
        work(&mut connection)
    })
    .await
    .map_err(|error| Error::Internal(format!("blocking task failed: {error}")))?
}

/// Sends a finished export file in 256 KiB pieces; the temporary file is
/// removed when the stream ends or the client goes away.
pub fn stream_file(
    path: tempfile::TempPath,
    file_name: String,
    rows: u64,
) -> tokio_stream::wrappers::ReceiverStream<std::result::Result<pb::ExportChunk, tonic::Status>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let fail = |error: std::io::Error| tonic::Status::internal(format!("export: {error}"));
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) => {
                let _ = sender.blocking_send(Err(fail(error)));
                return;
            }
        };
        let mut first = true;
        loop {
            let mut data = vec![0_u8; 256 * 1024];
            let read = match file.read(&mut data) {
                Ok(read) => read,
                Err(error) => {
                    let _ = sender.blocking_send(Err(fail(error)));
                    return;
                }
            };
            if read == 0 && !first {
                return;
            }
            data.truncate(read);
            let chunk = pb::ExportChunk {
                file_name: if first {
                    file_name.clone()
                } else {
                    String::new()
                },
                rows: if first {
                    i64::try_from(rows).unwrap_or(i64::MAX)
                } else {
                    0
                },
                data,
            };
            first = false;
            if sender.blocking_send(Ok(chunk)).is_err() || read == 0 {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

/// A temporary .xlsx path for an export.
pub fn export_path() -> Result<tempfile::TempPath> {
    Ok(tempfile::Builder::new()
        .prefix("gascis-export-")
        .suffix(".xlsx")
        .tempfile()
        .map_err(|e| Error::Internal(format!("export: {e}")))?
        .into_temp_path())
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

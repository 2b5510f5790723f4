//! The one error type of the domain and gRPC layers, and its one exhaustive
//! mapping to gRPC statuses. Internal details are logged, never sent.

use chrono::{DateTime, Utc};
use gascis_common::proto::{
    FIELD_METADATA_KEY, LOCKED_UNTIL_METADATA_KEY, REASON_METADATA_KEY, reason,
};
use tonic::{Code, Status, metadata::MetadataValue};

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field}: {message}")]
    InvalidArgument { field: String, message: String },
    /// The row changed since the client read it.
    #[error("{0}")]
    StaleVersion(String),
    /// The action is not possible in the current state (FAILED_PRECONDITION).
    #[error("{0}")]
    Refused(String),
    /// The action needs a supervisor's approval.
    #[error("{0}")]
    ApprovalRequired(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("invalid user name or password")]
    BadCredentials,
    #[error("user is locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error("user is disabled")]
    Disabled,
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },
    #[error("{0}")]
    RoleDenied(String),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        Error::Database(DbError::Query(error))
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error about a field one level down, e.g. `id_number` ->
    /// `new_customer.id_number`.
    pub fn within(self, parent: &str) -> Self {
        match self {
            Error::InvalidArgument { field, message } => Error::InvalidArgument {
                field: format!("{parent}.{field}"),
                message,
            },
            other => other,
        }
    }
}

fn with_reason(code: Code, message: String, reason: &'static str) -> Status {
    let mut status = Status::new(code, message);
    status
        .metadata_mut()
        .insert(REASON_METADATA_KEY, MetadataValue::from_static(reason));
    status
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument { ref field, .. } => {
                let mut status = Status::invalid_argument(error.to_string());
                if let Ok(value) = field.parse() {
                    status.metadata_mut().insert(FIELD_METADATA_KEY, value);
                }
                status
            }
            Error::StaleVersion(message) => {
                with_reason(Code::Aborted, message, reason::STALE_VERSION)
            }
            Error::Refused(message) => Status::failed_precondition(message),
            Error::ApprovalRequired(message) => {
                with_reason(Code::FailedPrecondition, message, reason::APPROVAL_REQUIRED)
            }
            Error::NotFound(message) => Status::not_found(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::BadCredentials => with_reason(
                Code::Unauthenticated,
                error.to_string(),
                reason::BAD_CREDENTIALS,
            ),
            Error::Locked { until } => {
                let mut status =
                    with_reason(Code::PermissionDenied, error.to_string(), reason::LOCKED);
                if let Ok(value) = until.to_rfc3339().parse() {
                    status
                        .metadata_mut()
                        .insert(LOCKED_UNTIL_METADATA_KEY, value);
                }
                status
            }
            Error::Disabled => {
                with_reason(Code::PermissionDenied, error.to_string(), reason::DISABLED)
            }
            Error::Unauthenticated { reason, message } => {
                with_reason(Code::Unauthenticated, message, reason)
            }
            Error::RoleDenied(message) => {
                with_reason(Code::PermissionDenied, message, reason::ROLE_DENIED)
            }
            Error::Database(error) => {
                tracing::error!(%error, "database error");
                match error {
                    DbError::Connect(_) => Status::unavailable("database unavailable"),
                    _ => Status::internal("internal error (logged on the server)"),
                }
            }
            Error::Internal(message) => {
                tracing::error!(%message, "internal error");
                Status::internal("internal error (logged on the server)")
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! All network I/O of the client: gRPC over TLS to gascis-server.
//!
//! Every function here is `async` and takes owned values, so a screen can hand
//! it straight to `Task::perform`. Failures come back as [`ApiError`], which
//! says what the user can act on (wrong password, untrusted certificate,
//! server down) rather than what the transport library called it.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use gascis_common::proto::{
    FIELD_METADATA_KEY, LOCKED_UNTIL_METADATA_KEY, REASON_METADATA_KEY, reason,
};
use pb::auth_service_client::AuthServiceClient;
use pb::system_service_client::SystemServiceClient;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::secret::Secret;

pub mod archive;
pub mod billing;
pub mod counter;
pub mod import;
pub mod invoices;
pub mod tariffs;

/// The port gascis-server listens on unless IT chose another.
pub const DEFAULT_PORT: u16 = 50443;

/// How long to wait for TCP and the TLS handshake. A counter cashier should
/// learn quickly that the server is down, not stare at a spinner.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one call may take once connected.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a bulk call (a ledger upload, a sheet read on the server) may
/// take until its answer starts: a 200 MB spreadsheet over an office link
/// needs far more than [`REQUEST_TIMEOUT`], and the user can cancel it.
pub const BULK_REQUEST_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// A failed call, as the user should understand it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failed logins; `until` is RFC 3339 as the server sent it.
    #[error("account locked until {until}")]
    Locked { until: String },
    #[error("account disabled")]
    Disabled,
    #[error("server unreachable: {0}")]
    Unreachable(String),
    #[error("server certificate not trusted: {0}")]
    CertificateNotTrusted(String),
    /// The CA certificate file is missing, unreadable or not PEM.
    #[error("CA certificate file: {0}")]
    CaFile(String),
    #[error("invalid server address: {0}")]
    InvalidAddress(String),
    /// The session token is missing, expired or revoked: log in again.
    #[error("session expired")]
    SessionExpired,
    /// The user's roles do not allow the call.
    #[error("permission denied")]
    PermissionDenied,
    /// The server refused a value of the request. `field` is the dotted path
    /// of the proto field (`new_customer.id_number`), empty when the server
    /// did not name one; `message` says what is wrong, in English.
    #[error("{field}: {message}")]
    InvalidField { field: String, message: String },
    /// Someone else changed the record since it was read: reload and retry.
    /// The server's explanation in English, which names who changed it and
    /// when ("account 3101000123 was changed by zhangmin at 2026-11-25
    /// 09:01:02 UTC since you opened it; …").
    #[error("the record was changed by someone else: {0}")]
    StaleVersion(String),
    /// The action needs a supervisor's approval; the server's explanation.
    #[error("approval required: {0}")]
    ApprovalRequired(String),
    /// The server will not do it in the record's present state (closing a
    /// closed account, …); its explanation in English.
    #[error("refused: {0}")]
    Refused(String),
    /// The server does not offer this yet (e.g. importing payments
    /// history); its explanation in English.
    #[error("not available yet: {0}")]
    Unimplemented(String),
    /// A file on this computer cannot be read or written: the path and
    /// the operating system's reason.
    #[error("file: {0}")]
    File(String),
    #[error("{0}")]
    Other(String),
}

/// Where the server is: host and port, always over TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddress {
    host: String,
    port: u16,
}

impl ServerAddress {
    /// Reads what a user types: `localhost`, `10.0.0.5:50443`,
    /// `https://gas.example.cn:443/`, `[::1]:50443`. The scheme defaults to
    /// https and the port to [`DEFAULT_PORT`]; plain http is refused because
    /// the server speaks TLS only.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let invalid = |reason: &str| ApiError::InvalidAddress(format!("{text:?}: {reason}"));
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("empty"));
        }

        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
            Some((scheme, _)) => {
                return Err(invalid(&format!(
                    "scheme {scheme} is not supported, the server speaks https only"
                )));
            }
            None => text,
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@']) || authority.chars().any(char::is_whitespace) {
            return Err(invalid("expected host or host:port"));
        }

        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("missing ] after IPv6 address"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("expected :port after ]"))?,
                ),
            };
            (host, port)
        } else if authority.parse::<Ipv6Addr>().is_ok() {
            (authority, None)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };

        let port = match port {
            None => DEFAULT_PORT,
            Some(port) => match port.parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(invalid("port must be a number from 1 to 65535")),
            },
        };

        let is_ipv6 = host.parse::<Ipv6Addr>().is_ok();
        let is_name = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !(is_ipv6 || is_name) {
            return Err(invalid("the host must be a name or an IP address"));
        }

        Ok(ServerAddress {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The host, also the name the server certificate must be valid for.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://host:port`.
    pub fn uri(&self) -> String {
        format!("https://{self}")
    }
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// An open TLS channel to one server. Cheap to clone: clones share the
/// channel, which reconnects by itself after a network hiccup.
#[derive(Debug, Clone)]
pub struct Connection {
    channel: Channel,
    /// The same server with [`BULK_REQUEST_TIMEOUT`] instead of
    /// [`REQUEST_TIMEOUT`], for uploads and imports; connected on first use.
    /// Boxed: sessions travel in messages, which stay small.
    bulk_channel: Box<Channel>,
    address: ServerAddress,
}

impl Connection {
    /// Wraps a channel made elsewhere, e.g. a lazy one in tests; bulk calls
    /// share it.
    pub fn from_channel(channel: Channel, address: ServerAddress) -> Self {
        Connection {
            bulk_channel: Box::new(channel.clone()),
            channel,
            address,
        }
    }

    pub fn address(&self) -> &ServerAddress {
        &self.address
    }
}

/// Who is logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Roles this client knows; a role added by a newer server is left out
    /// (and logged) rather than refusing the login.
    pub roles: Vec<Role>,
}

/// An open session: the connection, the bearer token and the user.
#[derive(Debug, Clone)]
pub struct Session {
    pub connection: Connection,
    pub token: Secret,
    pub user: User,
    /// The server ends the session after this long without a call.
    pub idle_timeout: Duration,
    /// The server ends the session at this time, active or not.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Facts about the server, shown on the overview page and the title bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub server_version: String,
    pub schema_version: String,
    pub company_name: String,
    pub server_time: Option<DateTime<Utc>>,
}

/// Opens a TLS channel to `server`, trusting only the CA in the PEM file at
/// `ca_path` (the company's own CA, not the system's roots).
pub async fn connect(server: &str, ca_path: &Path) -> Result<Connection, ApiError> {
    let address = ServerAddress::parse(server)?;
    let pem = read_ca_file(ca_path).await?;

    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(pem))
        .domain_name(address.host())
        .timeout(CONNECT_TIMEOUT);
    let base = Endpoint::from_shared(address.uri())
        .map_err(|error| ApiError::InvalidAddress(error_chain(&error)))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tls_config(tls)
        .map_err(|error| ApiError::CaFile(error_chain(&error)))?;
    let endpoint = base.clone().timeout(REQUEST_TIMEOUT);

    // connect_timeout covers TCP only; name resolution and the TLS handshake
    // get a bound here so a dead server never hangs the login screen.
    let channel =
        tokio::time::timeout(CONNECT_TIMEOUT + Duration::from_secs(1), endpoint.connect())
            .await
            .map_err(|_| ApiError::Unreachable(format!("no answer from {address} within 5 s")))?
            .map_err(|error| classify_transport_error(&error))?;
    // Lazy: most sessions never import, and the first bulk call connects.
    let bulk_channel = Box::new(base.timeout(BULK_REQUEST_TIMEOUT).connect_lazy());

    Ok(Connection {
        channel,
        bulk_channel,
        address,
    })
}

/// Reads the CA file and checks that it holds at least one PEM certificate:
/// tonic would accept an empty or garbled file and every handshake would then
/// fail as "untrusted", hiding the real mistake.
async fn read_ca_file(path: &Path) -> Result<Vec<u8>, ApiError> {
    if path.as_os_str().is_empty() {
        return Err(ApiError::CaFile("no file given".to_owned()));
    }
    let pem = tokio::fs::read(path)
        .await
        .map_err(|error| ApiError::CaFile(format!("{}: {error}", path.display())))?;
    check_pem_certificates(&pem)
        .map_err(|reason| ApiError::CaFile(format!("{}: {reason}", path.display())))?;
    Ok(pem)
}

fn check_pem_certificates(pem: &[u8]) -> Result<usize, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("not a PEM certificate file ({error})"))?;
    if certificates.is_empty() {
        return Err("no PEM certificate in the file".to_owned());
    }
    Ok(certificates.len())
}

/// Connects and logs in: the login screen's one call.
pub async fn sign_in(
    server: String,
    ca_path: PathBuf,
    username: String,
    password: Secret,
) -> Result<Session, ApiError> {
    let connection = connect(&server, &ca_path).await?;
    login(connection, username, password).await
}

/// Opens a session with the user's password.
pub async fn login(
    connection: Connection,
    username: String,
    password: Secret,
) -> Result<Session, ApiError> {
    let mut client = AuthServiceClient::new(connection.channel.clone());
    let response = client
        .login(pb::LoginRequest {
            username,
            password: password.expose().to_owned(),
            client_name: client_name(),
        })
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();

    let user = response
        .user
        .ok_or_else(|| ApiError::Other("the server sent no user with the session".to_owned()))?;

    Ok(Session {
        connection,
        token: Secret::from(response.session_token),
        user: user_from_proto(user),
        idle_timeout: Duration::from_secs(response.idle_timeout_seconds.max(0).unsigned_abs()),
        expires_at: response.expires_at.as_ref().and_then(timestamp_to_utc),
    })
}

/// Ends the session on the server.
pub async fn logout(session: Session) -> Result<(), ApiError> {
    let mut client = AuthServiceClient::new(session.connection.channel.clone());
    client
        .logout(authorized(&session, pb::LogoutRequest {})?)
        .await
        .map_err(|status| classify_status(&status))?;
    Ok(())
}

/// Version, schema, company name and clock of the server.
pub async fn server_info(session: Session) -> Result<ServerInfo, ApiError> {
    let mut client = SystemServiceClient::new(session.connection.channel.clone());
    let info = client
        .get_server_info(authorized(&session, pb::GetServerInfoRequest {})?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();

    Ok(ServerInfo {
        server_version: info.server_version,
        schema_version: info.schema_version,
        company_name: info.company_name,
        server_time: info.server_time.as_ref().and_then(timestamp_to_utc),
    })
}

/// A request carrying the session's bearer token.
fn authorized<T>(session: &Session, message: T) -> Result<tonic::Request<T>, ApiError> {
    let value = MetadataValue::try_from(format!("Bearer {}", session.token.expose()))
        .map_err(|_| ApiError::SessionExpired)?;
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}

fn user_from_proto(user: pb::User) -> User {
    let roles = user
        .roles
        .iter()
        .filter_map(|&role| match Role::try_from(role) {
            Ok(role) => Some(role),
            Err(error) => {
                tracing::warn!(role, %error, "ignoring a role this client does not know");
                None
            }
        })
        .collect();
    User {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        roles,
    }
}

fn timestamp_to_utc(timestamp: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    DateTime::from_timestamp(timestamp.seconds, nanos)
}

/// What the audit log records as the client: program, version and computer,
/// so IT can tell which counter a login came from.
pub fn client_name() -> String {
    let computer = ["COMPUTERNAME", "HOSTNAME"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
        .or_else(hostname_from_file)
        .unwrap_or_else(|| "unknown".to_owned());
    format!("gascis {} / {}", env!("CARGO_PKG_VERSION"), computer.trim())
}

#[cfg(unix)]
fn hostname_from_file() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .filter(|name| !name.trim().is_empty())
}

#[cfg(not(unix))]
fn hostname_from_file() -> Option<String> {
    None
}

/// Turns a gRPC status into what the user can act on. The server puts a
/// machine-readable reason in the `x-gascis-reason` metadata; the code alone
/// is the fallback for servers or proxies that do not.
pub fn classify_status(status: &tonic::Status) -> ApiError {
    let metadata_text = |key: &str| {
        status
            .metadata()
            .get(key)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };

    match metadata_text(REASON_METADATA_KEY).as_deref() {
        Some(reason::BAD_CREDENTIALS) => return ApiError::BadCredentials,
        Some(reason::LOCKED) => {
            return ApiError::Locked {
                until: metadata_text(LOCKED_UNTIL_METADATA_KEY).unwrap_or_default(),
            };
        }
        Some(reason::DISABLED) => return ApiError::Disabled,
        Some(reason::NO_TOKEN | reason::SESSION_EXPIRED) => return ApiError::SessionExpired,
        Some(reason::ROLE_DENIED) => return ApiError::PermissionDenied,
        Some(reason::STALE_VERSION) => {
            return ApiError::StaleVersion(status.message().to_owned());
        }
        Some(reason::APPROVAL_REQUIRED) => {
            return ApiError::ApprovalRequired(status.message().to_owned());
        }
        Some(_) | None => {}
    }

    let message = || format!("{}: {}", status.code(), status.message());
    match status.code() {
        Code::Unauthenticated => ApiError::SessionExpired,
        Code::PermissionDenied => ApiError::PermissionDenied,
        Code::InvalidArgument => {
            let field = metadata_text(FIELD_METADATA_KEY).unwrap_or_default();
            let message = without_field_prefix(status.message(), &field).to_owned();
            ApiError::InvalidField { field, message }
        }
        Code::FailedPrecondition => ApiError::Refused(status.message().to_owned()),
        Code::Unimplemented => ApiError::Unimplemented(status.message().to_owned()),
        Code::DeadlineExceeded => ApiError::Unreachable(message()),
        // A channel that lost its server reports the transport error as the
        // status' source: a certificate changed on the server must still read
        // as "not trusted", not as "unreachable".
        Code::Unavailable | Code::Unknown | Code::Cancelled => {
            match std::error::Error::source(status).map(classify_error_chain) {
                Some(ApiError::Other(_)) | None if status.code() == Code::Unavailable => {
                    ApiError::Unreachable(message())
                }
                Some(ApiError::Other(_)) | None => ApiError::Other(message()),
                Some(error) => error,
            }
        }
        _ => ApiError::Other(message()),
    }
}

/// The server writes "field: what is wrong"; next to the field only "what is
/// wrong" is worth showing. The prefix may be the whole dotted path or its
/// last part.
fn without_field_prefix<'a>(message: &'a str, field: &str) -> &'a str {
    let last = field.rsplit('.').next().unwrap_or(field);
    [field, last]
        .into_iter()
        .filter(|prefix| !prefix.is_empty())
        .find_map(|prefix| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix(':'))
        })
        .map(str::trim_start)
        .unwrap_or(message)
}

/// Turns a failed connect into what the user can act on.
pub fn classify_transport_error(error: &tonic::transport::Error) -> ApiError {
    match classify_error_chain(error) {
        // tonic reports every failed connect as a transport error; what is
        // not recognised as something more specific is still "cannot reach".
        ApiError::Other(detail) => ApiError::Unreachable(detail),
        error => error,
    }
}

/// Walks the `source()` chain of an error looking for the cause a user can
/// act on: a rustls certificate verdict means the CA file or the address is
/// wrong; refused, timed out or unresolvable means the server is unreachable.
pub fn classify_error_chain(error: &(dyn std::error::Error + 'static)) -> ApiError {
    let detail = error_chain(error);
    let mut current = Some(error);

    while let Some(error) = current {
        if let Some(rustls_error) = error.downcast_ref::<rustls::Error>() {
            return classify_rustls(rustls_error, detail);
        }
        if let Some(io_error) = error.downcast_ref::<std::io::Error>() {
            // io::Error::source() skips the wrapped error itself, and
            // tokio-rustls wraps the handshake's rustls::Error in one.
            if let Some(rustls_error) = io_error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return classify_rustls(rustls_error, detail);
            }
            if is_unreachable_kind(io_error.kind()) {
                return ApiError::Unreachable(detail);
            }
        }
        current = error.source();
    }

    let lowercase = detail.to_lowercase();
    let unreachable_markers = [
        "dns error",
        "failed to lookup address",
        "timed out",
        "timeout",
        "connection refused",
        "tcp connect error",
        "connection reset",
        "broken pipe",
        "network is unreachable",
        "no route to host",
    ];
    if lowercase.contains("invalid peer certificate") {
        ApiError::CertificateNotTrusted(detail)
    } else if unreachable_markers
        .iter()
        .any(|marker| lowercase.contains(marker))
    {
        ApiError::Unreachable(detail)
    } else {
        ApiError::Other(detail)
    }
}

fn classify_rustls(error: &rustls::Error, detail: String) -> ApiError {
    match error {
        rustls::Error::InvalidCertificate(_) => ApiError::CertificateNotTrusted(detail),
        _ => ApiError::Other(detail),
    }
}

fn is_unreachable_kind(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind;

    matches!(
        kind,
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::AddrNotAvailable
            | ErrorKind::TimedOut
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

/// "outer: middle: inner", skipping repeats: transport errors often repeat
/// their source's text in their own.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use tonic::Status;

    fn status_with(code: Code, metadata: &[(&'static str, &'static str)]) -> Status {
        let mut status = Status::new(code, "denied");
        for (key, value) in metadata {
            status
                .metadata_mut()
                .insert(*key, MetadataValue::from_static(value));
        }
        status
    }

    #[test]
    fn wrong_password_is_bad_credentials() {
        let status = status_with(
            Code::Unauthenticated,
            &[(REASON_METADATA_KEY, reason::BAD_CREDENTIALS)],
        );
        assert_eq!(classify_status(&status), ApiError::BadCredentials);
    }

    #[test]
    fn lockout_carries_its_end() {
        let status = status_with(
            Code::PermissionDenied,
            &[
                (REASON_METADATA_KEY, reason::LOCKED),
                (LOCKED_UNTIL_METADATA_KEY, "2026-11-25T10:15:00+08:00"),
            ],
        );
        assert_eq!(
            classify_status(&status),
            ApiError::Locked {
                until: "2026-11-25T10:15:00+08:00".into()
            }
        );
    }

    #[test]
    fn lockout_without_its_end_is_still_a_lockout() {
        let status = status_with(
            Code::PermissionDenied,
            &[(REASON_METADATA_KEY, reason::LOCKED)],
        );
        assert_eq!(
            classify_status(&status),
            ApiError::Locked {
                until: String::new()
            }
        );
    }

    #[test]
    fn disabled_user_is_disabled_not_permission_denied() {
        let status = status_with(
            Code::PermissionDenied,
            &[(REASON_METADATA_KEY, reason::DISABLED)],
        );
        assert_eq!(classify_status(&status), ApiError::Disabled);
    }

    #[test]
    fn session_reasons_and_bare_codes() {
        for reason in [reason::SESSION_EXPIRED, reason::NO_TOKEN] {
            let status = status_with(Code::Unauthenticated, &[(REASON_METADATA_KEY, reason)]);
            assert_eq!(classify_status(&status), ApiError::SessionExpired);
        }
        let role_denied = status_with(
            Code::PermissionDenied,
            &[(REASON_METADATA_KEY, reason::ROLE_DENIED)],
        );
        assert_eq!(classify_status(&role_denied), ApiError::PermissionDenied);

        assert_eq!(
            classify_status(&Status::unauthenticated("no")),
            ApiError::SessionExpired
        );
        assert_eq!(
            classify_status(&Status::permission_denied("no")),
            ApiError::PermissionDenied
        );
        assert!(matches!(
            classify_status(&Status::unavailable("connection refused")),
            ApiError::Unreachable(_)
        ));
        assert!(matches!(
            classify_status(&Status::deadline_exceeded("slow")),
            ApiError::Unreachable(_)
        ));
        assert_eq!(
            classify_status(&Status::unimplemented("payments come later")),
            ApiError::Unimplemented("payments come later".into())
        );
        assert_eq!(
            classify_status(&Status::internal("database down")),
            ApiError::Other("Internal error: database down".into())
        );
    }

    #[test]
    fn invalid_argument_names_its_field() {
        let mut status = Status::invalid_argument(
            "new_customer.id_number: wrong check digit: expected X, found 1",
        );
        status.metadata_mut().insert(
            FIELD_METADATA_KEY,
            MetadataValue::from_static("new_customer.id_number"),
        );
        assert_eq!(
            classify_status(&status),
            ApiError::InvalidField {
                field: "new_customer.id_number".into(),
                message: "wrong check digit: expected X, found 1".into(),
            }
        );

        let mut short = Status::invalid_argument("meter_no: already in use");
        short.metadata_mut().insert(
            FIELD_METADATA_KEY,
            MetadataValue::from_static("meter.meter_no"),
        );
        assert_eq!(
            classify_status(&short),
            ApiError::InvalidField {
                field: "meter.meter_no".into(),
                message: "already in use".into(),
            }
        );

        assert_eq!(
            classify_status(&Status::invalid_argument("bad request")),
            ApiError::InvalidField {
                field: String::new(),
                message: "bad request".into(),
            }
        );
    }

    #[test]
    fn stale_version_and_approval_are_told_apart_from_other_refusals() {
        let said = "account 3101000123 was changed by zhangmin at 2026-11-25 09:01:02 UTC since you opened it; reload it and make your change again";
        let mut stale = Status::aborted(said);
        stale.metadata_mut().insert(
            REASON_METADATA_KEY,
            MetadataValue::from_static(reason::STALE_VERSION),
        );
        assert_eq!(
            classify_status(&stale),
            ApiError::StaleVersion(said.into()),
            "the server's words, naming who and when, are kept"
        );

        let mut approval = Status::failed_precondition("the account has arrears of 120.50");
        approval.metadata_mut().insert(
            REASON_METADATA_KEY,
            MetadataValue::from_static(reason::APPROVAL_REQUIRED),
        );
        assert_eq!(
            classify_status(&approval),
            ApiError::ApprovalRequired("the account has arrears of 120.50".into())
        );

        assert_eq!(
            classify_status(&Status::failed_precondition(
                "the account is already closed"
            )),
            ApiError::Refused("the account is already closed".into())
        );
        assert!(matches!(
            classify_status(&Status::aborted("conflict")),
            ApiError::Other(_)
        ));
    }

    #[test]
    fn unknown_reason_falls_back_to_the_code() {
        let status = status_with(
            Code::Unauthenticated,
            &[(REASON_METADATA_KEY, "from_the_future")],
        );
        assert_eq!(classify_status(&status), ApiError::SessionExpired);
    }

    #[derive(Debug)]
    struct Wrapper(&'static str, Box<dyn std::error::Error + Send + Sync>);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(self.1.as_ref())
        }
    }

    #[test]
    fn rustls_certificate_errors_deep_in_the_chain_are_not_trusted() {
        for certificate_error in [
            rustls::CertificateError::UnknownIssuer,
            rustls::CertificateError::BadSignature,
            rustls::CertificateError::NotValidForName,
        ] {
            let io_error = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(certificate_error),
            );
            let error = Wrapper(
                "transport error",
                Box::new(Wrapper("tls handshake", Box::new(io_error))),
            );

            assert!(
                matches!(
                    classify_error_chain(&error),
                    ApiError::CertificateNotTrusted(_)
                ),
                "{error:?}"
            );
        }
    }

    #[test]
    fn refused_connection_is_unreachable() {
        let io_error = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let error = Wrapper("tcp connect error", Box::new(io_error));

        assert!(matches!(
            classify_error_chain(&error),
            ApiError::Unreachable(_)
        ));
    }

    #[test]
    fn other_tls_failures_are_not_blamed_on_the_certificate() {
        let io_error = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::HandshakeNotComplete,
        );
        assert!(matches!(
            classify_error_chain(&io_error),
            ApiError::Other(_)
        ));
    }

    #[test]
    fn error_chain_joins_causes_once() {
        let error = Wrapper(
            "transport error",
            Box::new(Wrapper(
                "connection refused",
                Box::new(std::io::Error::other("connection refused")),
            )),
        );
        assert_eq!(error_chain(&error), "transport error: connection refused");
    }

    #[test]
    fn addresses_are_normalised() {
        let cases = [
            ("localhost:50443", "localhost", 50443),
            ("localhost", "localhost", DEFAULT_PORT),
            ("https://10.0.0.5:50443", "10.0.0.5", 50443),
            ("HTTPS://Gas.Example.CN/", "gas.example.cn", DEFAULT_PORT),
            ("  10.0.0.5:443  ", "10.0.0.5", 443),
            ("[::1]:50443", "::1", 50443),
            ("[::1]", "::1", DEFAULT_PORT),
            ("::1", "::1", DEFAULT_PORT),
        ];
        for (text, host, port) in cases {
            let address = ServerAddress::parse(text).unwrap();
            assert_eq!((address.host(), address.port()), (host, port), "{text}");
        }
        assert_eq!(
            ServerAddress::parse("[::1]").unwrap().uri(),
            "https://[::1]:50443"
        );
        assert_eq!(
            ServerAddress::parse("localhost").unwrap().to_string(),
            "localhost:50443"
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        for text in [
            "",
            "   ",
            "http://10.0.0.5:50443",
            "ftp://x",
            "10.0.0.5:0",
            "10.0.0.5:99999",
            "10.0.0.5:port",
            "host/path",
            "user@host",
            "服务器",
            "two words",
            "[::1",
            ":50443",
        ] {
            assert!(
                matches!(ServerAddress::parse(text), Err(ApiError::InvalidAddress(_))),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn pem_check_needs_a_certificate() {
        assert!(check_pem_certificates(b"").is_err());
        assert!(check_pem_certificates(b"hello, I am not a certificate").is_err());
        assert!(
            check_pem_certificates(
                b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
            )
            .is_err()
        );
        let one = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        assert_eq!(check_pem_certificates(one), Ok(1));
    }

    #[tokio::test]
    async fn missing_or_bad_ca_file_is_reported_before_any_network() {
        let directory = tempfile::tempdir().unwrap();
        let missing = directory.path().join("missing.pem");
        let garbage = directory.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").unwrap();

        for path in [missing.as_path(), garbage.as_path(), Path::new("")] {
            assert!(
                matches!(connect("localhost:1", path).await, Err(ApiError::CaFile(_))),
                "{path:?}"
            );
        }
        assert!(matches!(
            connect("http://localhost", &garbage).await,
            Err(ApiError::InvalidAddress(_))
        ));
    }

    #[test]
    fn client_name_names_program_and_version() {
        assert!(client_name().starts_with(&format!("gascis {} / ", env!("CARGO_PKG_VERSION"))));
    }
}

//! Saved passwords for "记住我", in the operating system's keyring.
//!
//! The store is chosen at run time: the Secret Service (GNOME Keyring, KWallet)
//! first and then the kernel keyutils store on Linux, the Credential Manager on
//! Windows. A machine without any (a headless box, a locked-down container)
//! gets [`KeyringStatus::Unavailable`]: the login screen says so and offers no
//! "remember me" rather than failing at save time.
//!
//! Every call here may block on D-Bus or the OS, so the async wrappers run
//! them on tokio's blocking pool, never on the UI thread.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use keyring_core::{CredentialStore, Entry, Error as KeyringError};

use crate::secret::Secret;

/// The keyring "service" under which gascis files its entries.
const SERVICE: &str = "gascis";

/// A Secret Service that is registered on D-Bus but never answers would keep
/// the login screen waiting; after this, the keyring counts as unavailable.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether passwords can be saved on this machine.
#[derive(Debug, Clone)]
pub enum KeyringStatus {
    /// Still looking for a store (the first second after start).
    Checking,
    Available(Credentials),
    /// No store works here; the reason is for the log.
    Unavailable(String),
}

impl KeyringStatus {
    pub fn credentials(&self) -> Option<&Credentials> {
        match self {
            KeyringStatus::Available(credentials) => Some(credentials),
            KeyringStatus::Checking | KeyringStatus::Unavailable(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keyring: {0}")]
pub struct CredentialError(String);

impl From<KeyringError> for CredentialError {
    fn from(error: KeyringError) -> Self {
        CredentialError(error.to_string())
    }
}

/// Passwords of gascis users in one credential store.
#[derive(Clone)]
pub struct Credentials {
    store: Arc<CredentialStore>,
    /// Which store, for the log.
    store_name: &'static str,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("store", &self.store_name)
            .finish()
    }
}

impl Credentials {
    pub fn new(store: Arc<CredentialStore>, store_name: &'static str) -> Self {
        Credentials { store, store_name }
    }

    pub fn store_name(&self) -> &'static str {
        self.store_name
    }

    /// The saved password of `username` on `server`, if any.
    pub fn load(&self, server: &str, username: &str) -> Result<Option<Secret>, CredentialError> {
        match self.entry(server, username)?.get_password() {
            Ok(password) => Ok(Some(Secret::from(password))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    pub fn save(
        &self,
        server: &str,
        username: &str,
        password: &Secret,
    ) -> Result<(), CredentialError> {
        self.entry(server, username)?
            .set_password(password.expose())
            .map_err(CredentialError::from)
    }

    /// Deletes the saved password; nothing saved is not an error.
    pub fn forget(&self, server: &str, username: &str) -> Result<(), CredentialError> {
        match self.entry(server, username)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// One entry per user and server, so the test and the production server
    /// can have different passwords for the same name.
    fn entry(&self, server: &str, username: &str) -> Result<Entry, CredentialError> {
        let account = format!("{username}@{server}");
        Entry::new_in_store(&self.store, SERVICE, &account).map_err(CredentialError::from)
    }
}

/// A candidate store: its name and how to open it.
type Opener = (
    &'static str,
    fn() -> keyring_core::Result<Arc<CredentialStore>>,
);

#[cfg(target_os = "linux")]
fn candidates() -> Vec<Opener> {
    fn secret_service() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(zbus_secret_service_keyring_store::Store::new()? as Arc<CredentialStore>)
    }
    fn keyutils() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(linux_keyutils_keyring_store::Store::new()? as Arc<CredentialStore>)
    }
    vec![
        ("Secret Service", secret_service),
        ("Linux kernel keyutils", keyutils),
    ]
}

#[cfg(windows)]
fn candidates() -> Vec<Opener> {
    fn credential_manager() -> keyring_core::Result<Arc<CredentialStore>> {
        Ok(windows_native_keyring_store::Store::new()? as Arc<CredentialStore>)
    }
    vec![("Windows Credential Manager", credential_manager)]
}

#[cfg(not(any(target_os = "linux", windows)))]
fn candidates() -> Vec<Opener> {
    Vec::new()
}

/// Opens the first store of this platform that answers. Blocking.
pub fn open_platform_store() -> KeyringStatus {
    let mut reasons = Vec::new();

    for (name, open) in candidates() {
        match open().map_err(|error| error.to_string()).and_then(|store| {
            let credentials = Credentials::new(store, name);
            probe(&credentials).map(|()| credentials)
        }) {
            Ok(credentials) => {
                tracing::info!(store = name, "passwords are saved in the keyring");
                return KeyringStatus::Available(credentials);
            }
            Err(reason) => {
                tracing::info!(store = name, %reason, "keyring store not usable");
                reasons.push(format!("{name}: {reason}"));
            }
        }
    }

    if reasons.is_empty() {
        reasons.push("no keyring store is supported on this platform".to_owned());
    }
    KeyringStatus::Unavailable(reasons.join("; "))
}

/// A store that opens may still fail on first use (keyutils blocked by a
/// sandbox, a Secret Service without a default collection): a read of an
/// entry nobody wrote tells the two apart.
fn probe(credentials: &Credentials) -> Result<(), String> {
    credentials
        .load("probe", "gascis")
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// What the login screen needs at start: where passwords go, and the saved
/// password of the last user, if any.
#[derive(Debug, Clone)]
pub struct Opened {
    pub status: KeyringStatus,
    pub saved_password: Option<Secret>,
}

/// Opens the platform store and reads the saved password of `username` on
/// `server` (when both are known), off the UI thread.
pub async fn open(server: String, username: String) -> Opened {
    let work = tokio::task::spawn_blocking(move || {
        let status = open_platform_store();
        let saved_password = match (&status, server.is_empty() || username.is_empty()) {
            (KeyringStatus::Available(credentials), false) => credentials
                .load(&server, &username)
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "cannot read the saved password");
                    None
                }),
            _ => None,
        };
        Opened {
            status,
            saved_password,
        }
    });

    match tokio::time::timeout(OPEN_TIMEOUT, work).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(error)) => Opened {
            status: KeyringStatus::Unavailable(format!("keyring probe failed: {error}")),
            saved_password: None,
        },
        Err(_) => Opened {
            status: KeyringStatus::Unavailable("keyring did not answer in time".to_owned()),
            saved_password: None,
        },
    }
}

/// Saves (`Some`) or forgets (`None`) the password of `username`, off the UI
/// thread.
pub async fn remember(
    credentials: Credentials,
    server: String,
    username: String,
    password: Option<Secret>,
) -> Result<(), CredentialError> {
    tokio::task::spawn_blocking(move || match password {
        Some(password) => credentials.save(&server, &username, &password),
        None => credentials.forget(&server, &username),
    })
    .await
    .map_err(|error| CredentialError(error.to_string()))?
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use keyring_core::mock;

    fn mock_credentials() -> Credentials {
        Credentials::new(mock::Store::new().unwrap(), "mock")
    }

    #[test]
    fn saved_password_is_loaded_back_per_user_and_server() {
        let credentials = mock_credentials();

        credentials
            .save("10.0.0.5:50443", "wangfang", &Secret::from("s3cret!"))
            .unwrap();

        let loaded = credentials.load("10.0.0.5:50443", "wangfang").unwrap();
        assert_eq!(loaded.as_ref().map(Secret::expose), Some("s3cret!"));
        assert_eq!(credentials.load("10.0.0.5:50443", "lisi").unwrap(), None);
        assert_eq!(
            credentials.load("10.0.0.6:50443", "wangfang").unwrap(),
            None
        );
    }

    #[test]
    fn forgotten_password_is_gone_and_forgetting_twice_is_fine() {
        let credentials = mock_credentials();
        credentials
            .save("server:50443", "wangfang", &Secret::from("pw"))
            .unwrap();

        credentials.forget("server:50443", "wangfang").unwrap();
        credentials.forget("server:50443", "wangfang").unwrap();

        assert_eq!(credentials.load("server:50443", "wangfang").unwrap(), None);
    }

    #[test]
    fn store_failure_is_reported_not_hidden() {
        let credentials = mock_credentials();
        let entry = credentials.entry("server:50443", "wangfang").unwrap();
        let mock: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        mock.set_error(KeyringError::NoStorageAccess("locked collection".into()));

        assert!(credentials.load("server:50443", "wangfang").is_err());
        assert_eq!(credentials.load("server:50443", "wangfang").unwrap(), None);
    }

    #[test]
    fn probe_accepts_a_working_store() {
        assert_eq!(probe(&mock_credentials()), Ok(()));
    }

    #[tokio::test]
    async fn remember_saves_and_forgets_in_the_background() {
        let credentials = mock_credentials();

        remember(
            credentials.clone(),
            "server:50443".into(),
            "wangfang".into(),
            Some(Secret::from("pw")),
        )
        .await
        .unwrap();
        assert!(
            credentials
                .load("server:50443", "wangfang")
                .unwrap()
                .is_some()
        );

        remember(
            credentials.clone(),
            "server:50443".into(),
            "wangfang".into(),
            None,
        )
        .await
        .unwrap();
        assert!(
            credentials
                .load("server:50443", "wangfang")
                .unwrap()
                .is_none()
        );
    }
}

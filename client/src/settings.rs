//! Settings that are not secret, kept between runs in
//! `<config dir>/gascis/client.toml` (e.g. `%APPDATA%\gascis\client.toml` on
//! Windows, `~/.config/gascis/client.toml` on Linux).
//!
//! A missing or broken file gives the defaults: a counter PC must always reach
//! the login screen, whatever happened to its disk.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Language;

/// What the login screen remembers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// As the user typed it, e.g. `10.0.0.5:50443`.
    pub server_address: String,
    /// Path of the company CA certificate (PEM).
    pub ca_file: String,
    /// The user who logged in last; their saved password is offered again.
    pub last_username: String,
    /// Whether that user asked to be remembered.
    pub remember_password: bool,
    pub language: Language,
    /// The receipt printer of this counter PC as the operating system names
    /// it (`lp -d NAME`, a Windows printer name); empty means the system's
    /// default printer. Set by IT in the file.
    pub receipt_printer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot write settings to {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("cannot encode settings: {0}")]
    Encode(String),
}

/// `<config dir>/gascis/client.toml`, or `None` when the platform has no
/// config directory (then nothing is remembered).
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("gascis").join("client.toml"))
}

/// Reads the settings at `path`; defaults when the file is missing or broken.
pub fn load(path: &Path) -> Settings {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text).unwrap_or_else(|error| {
            tracing::warn!(path = %path.display(), %error, "settings file is broken; using defaults");
            Settings::default()
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Settings::default(),
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "cannot read settings; using defaults");
            Settings::default()
        }
    }
}

/// Applies the deployment's environment: `GASCIS_SERVER` and `GASCIS_CA_FILE`
/// (set by group policy on counter PCs, or by the demo script) win over
/// what was saved, so IT can move every PC to a new server at once.
pub fn with_overrides(
    mut settings: Settings,
    server: Option<String>,
    ca_file: Option<String>,
) -> Settings {
    if let Some(server) = server.filter(|value| !value.trim().is_empty()) {
        settings.server_address = server.trim().to_owned();
    }
    if let Some(ca_file) = ca_file.filter(|value| !value.trim().is_empty()) {
        settings.ca_file = ca_file.trim().to_owned();
    }
    settings
}

/// Parses the TOML text of a settings file.
pub fn parse(text: &str) -> Result<Settings, toml::de::Error> {
    toml::from_str(text)
}

/// Writes the settings to `path`, creating its directory. Written to a
/// temporary file first and renamed, so a crash never leaves half a file.
pub fn save(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let text = toml::to_string_pretty(settings)
        .map_err(|error| SettingsError::Encode(error.to_string()))?;
    let write_error = |error: std::io::Error| SettingsError::Write {
        path: path.display().to_string(),
        reason: error.to_string(),
    };

    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory).map_err(write_error)?;
    }
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text).map_err(write_error)?;
    std::fs::rename(&temporary, path).map_err(write_error)
}

/// [`save`] off the UI thread.
pub async fn save_in_background(path: PathBuf, settings: Settings) -> Result<(), SettingsError> {
    tokio::task::spawn_blocking(move || save(&path, &settings))
        .await
        .map_err(|error| SettingsError::Write {
            path: String::new(),
            reason: error.to_string(),
        })?
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> Settings {
        Settings {
            server_address: "10.0.0.5:50443".into(),
            ca_file: r"C:\gascis\ca.pem".into(),
            last_username: "wangfang".into(),
            remember_password: true,
            language: Language::English,
            receipt_printer: "EPSON-TM-T82".into(),
        }
    }

    #[test]
    fn settings_round_trip_through_the_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("nested").join("client.toml");

        save(&path, &sample()).unwrap();

        assert_eq!(load(&path), sample());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("language = \"en\""), "{text}");
    }

    #[test]
    fn missing_file_gives_defaults() {
        let directory = tempfile::tempdir().unwrap();

        let settings = load(&directory.path().join("client.toml"));

        assert_eq!(settings, Settings::default());
        assert_eq!(settings.language, Language::SimplifiedChinese);
    }

    #[test]
    fn corrupt_file_gives_defaults() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("client.toml");
        std::fs::write(&path, "server_address = [unclosed\n\u{0}\u{1}").unwrap();

        assert_eq!(load(&path), Settings::default());
    }

    #[test]
    fn file_that_is_not_utf8_gives_defaults() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("client.toml");
        std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).unwrap();

        assert_eq!(load(&path), Settings::default());
    }

    #[test]
    fn unknown_language_is_rejected_and_missing_fields_default() {
        assert!(parse("language = \"klingon\"").is_err());

        let partial = parse("server_address = \"localhost\"").unwrap();
        assert_eq!(partial.server_address, "localhost");
        assert_eq!(partial.language, Language::SimplifiedChinese);
        assert!(!partial.remember_password);
    }

    #[test]
    fn a_directory_in_place_of_the_file_gives_defaults() {
        let directory = tempfile::tempdir().unwrap();

        assert_eq!(load(directory.path()), Settings::default());
    }

    #[test]
    fn environment_overrides_saved_server_and_ca_but_not_blanks() {
        let saved = Settings {
            server_address: "old:50443".to_owned(),
            ca_file: "/old/ca.crt".to_owned(),
            ..Settings::default()
        };
        let moved = with_overrides(saved.clone(), Some("cis.local:50443".into()), None);
        assert_eq!(moved.server_address, "cis.local:50443");
        assert_eq!(moved.ca_file, "/old/ca.crt");
        let blank = with_overrides(saved.clone(), Some("  ".into()), Some(String::new()));
        assert_eq!(blank, saved);
    }
}

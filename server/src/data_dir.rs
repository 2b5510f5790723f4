//! The data dir: everything one gascis installation keeps on disk.
//!
//! ```text
//! DIR/gascis.toml        configuration (documented defaults)
//! DIR/tls/               ca.crt (give to clients), ca.key, server.crt, server.key
//! DIR/keys/pii.toml      keys of personal data at rest (back up with the database)
//! DIR/postgres/          the private PostgreSQL cluster
//! DIR/run/               PostgreSQL's unix socket
//! DIR/log/               postgresql.log
//! DIR/serve.lock         held by the running `serve`
//! DIR/.init-incomplete   present while `init` runs; a leftover means init failed
//! ```

use std::{
    fs::{self, File},
    io,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};

use crate::{
    config::{CONFIG_FILE, Config},
    pg::{self, Account, Binaries, Cluster, StartSettings},
};

#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// The data dir at `path`, made absolute (PostgreSQL and the socket URL
    /// need absolute paths).
    pub fn new(path: &Path) -> anyhow::Result<DataDir> {
        let root = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .context("cannot read the current directory")?
                .join(path)
        };
        Ok(DataDir { root })
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }
    pub fn tls_dir(&self) -> PathBuf {
        self.root.join("tls")
    }
    pub fn ca_certificate_path(&self) -> PathBuf {
        self.tls_dir().join("ca.crt")
    }
    pub fn ca_key_path(&self) -> PathBuf {
        self.tls_dir().join("ca.key")
    }
    pub fn server_certificate_path(&self) -> PathBuf {
        self.tls_dir().join("server.crt")
    }
    pub fn server_key_path(&self) -> PathBuf {
        self.tls_dir().join("server.key")
    }
    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }
    pub fn pii_keys_path(&self) -> PathBuf {
        self.keys_dir().join("pii.toml")
    }
    pub fn pg_data(&self) -> PathBuf {
        self.root.join("postgres")
    }
    pub fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    pub fn log_dir(&self) -> PathBuf {
        self.root.join("log")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("serve.lock")
    }
    pub fn init_marker(&self) -> PathBuf {
        self.root.join(".init-incomplete")
    }

    /// The configuration of an initialised data dir, with a message that
    /// says what to do for every way it can be missing.
    pub fn load_config(&self) -> anyhow::Result<Config> {
        if !self.root.is_dir() {
            bail!(
                "data dir {} does not exist; create it with `gascis-server init --data-dir {}`",
                self.root.display(),
                self.root.display()
            );
        }
        if self.init_marker().exists() {
            bail!(
                "data dir {} is half-initialised (an earlier init failed); run `gascis-server init --data-dir {}` again",
                self.root.display(),
                self.root.display()
            );
        }
        if !self.config_path().is_file() {
            bail!(
                "{} is not a gascis data dir (no {CONFIG_FILE}); run `gascis-server init --data-dir {}` first",
                self.root.display(),
                self.root.display()
            );
        }
        Ok(Config::load(&self.config_path())?)
    }

    pub fn cluster(&self, config: &Config) -> anyhow::Result<Cluster> {
        let binaries = Binaries::find()?;
        let account = Account::for_cluster(&config.postgres.system_user)?;
        Ok(Cluster {
            binaries,
            data_dir: self.pg_data(),
            socket_dir: self.socket_dir(),
            log_file: self.log_dir().join("postgresql.log"),
            port: config.postgres.port,
            account,
        })
    }

    /// Connections of the request pool and of migrations.
    pub fn database_urls(&self, config: &Config, cluster: Option<&Cluster>) -> (String, String) {
        match cluster {
            Some(cluster) if config.uses_managed_cluster() => (
                cluster.url(pg::APP_ROLE, DATABASE_NAME),
                cluster.url(pg::OWNER_ROLE, DATABASE_NAME),
            ),
            _ => {
                let migration = if config.database.migration_url.is_empty() {
                    config.database.url.clone()
                } else {
                    config.database.migration_url.clone()
                };
                (config.database.url.clone(), migration)
            }
        }
    }

    /// Takes the serve lock without blocking; `None` when another process
    /// holds it.
    pub fn try_lock(&self) -> anyhow::Result<Option<File>> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.lock_path())
            .with_context(|| format!("cannot open {}", self.lock_path().display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("cannot lock {}", self.lock_path().display()))
            }
        }
    }

    /// The personal-data keys; made on first use for data dirs initialised
    /// before they existed.
    pub fn pii_keys(&self) -> anyhow::Result<crate::pii::PiiKeys> {
        let path = self.pii_keys_path();
        if path.exists() {
            return Ok(crate::pii::PiiKeys::load(&path)?);
        }
        create_private_dir(&self.keys_dir())
            .with_context(|| format!("cannot create {}", self.keys_dir().display()))?;
        let keys = crate::pii::PiiKeys::generate();
        keys.save(&path)?;
        tracing::warn!(path = %path.display(), "created personal-data keys; back them up");
        Ok(keys)
    }

    /// The secret payment channels sign their notifications with; made on
    /// first use (then given to the channels' integrators).
    pub fn channel_secret(&self) -> anyhow::Result<Vec<u8>> {
        let path = self.keys_dir().join("channels.key");
        if path.exists() {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return hex::decode(text.trim())
                .with_context(|| format!("{} is not a hex secret", path.display()));
        }
        create_private_dir(&self.keys_dir())
            .with_context(|| format!("cannot create {}", self.keys_dir().display()))?;
        let secret: [u8; 32] = rand::random();
        write_private_file(&path, hex::encode(secret).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(secret.to_vec())
    }

    pub fn start_settings(config: &Config) -> StartSettings {
        StartSettings {
            listen_addresses: config.postgres.listen_addresses.clone(),
            shared_buffers: config.postgres.shared_buffers.clone(),
            max_connections: config.postgres.max_connections,
            unsafe_fast: false,
        }
    }
}

/// Name of the database inside the private cluster.
pub const DATABASE_NAME: &str = "gascis";

/// Creates a private directory (0700).
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    fs::create_dir_all(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

/// Writes a file readable only by its owner (keys, passwords).
pub fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    use io::Write;
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

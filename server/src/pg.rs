//! A private PostgreSQL cluster driven through the machine's own PostgreSQL
//! binaries (initdb, pg_ctl). Used by the product (`init`, `serve`) and by the
//! test harness, so both exercise the same code.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster's files
//! belong to an unprivileged system account and every PostgreSQL program runs
//! under that account's uid and gid.

use std::{
    ffi::OsStr,
    fs,
    os::unix::{fs::PermissionsExt, process::CommandExt},
    path::{Path, PathBuf},
    process::{Command, Output},
};

use nix::unistd::{Gid, Uid, User};

/// Name of the cluster's bootstrap superuser, which owns the schema and runs
/// migrations. The request pool uses the restricted role `gascis_app`.
pub const OWNER_ROLE: &str = "gascis_owner";
/// Role the server's request pool logs in as.
pub const APP_ROLE: &str = "gascis_app";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl, postgres) not found on PATH, via pg_config or under /usr/lib/postgresql/*/bin; install them with `apt-get install postgresql` (Debian/Ubuntu) or set GASCIS_PG_BINDIR"
    )]
    BinariesMissing,
    #[error("system account '{0}': {1}")]
    Account(String, String),
    #[error("{program} failed: {detail}")]
    Command { program: String, detail: String },
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let context = context.into();
    move |error| PgError::Io(context, error)
}

/// The directory holding initdb, pg_ctl and postgres.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub bindir: PathBuf,
}

impl Binaries {
    /// Looks in GASCIS_PG_BINDIR, on PATH, at `pg_config --bindir`, then at the
    /// newest /usr/lib/postgresql/N/bin (Debian does not put initdb on PATH).
    pub fn find() -> Result<Binaries, PgError> {
        let has_all = |dir: &Path| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|name| dir.join(name).is_file())
        };
        // An explicit choice is final: no silent fallback to another version.
        if let Some(dir) = std::env::var_os("GASCIS_PG_BINDIR") {
            let dir = PathBuf::from(dir);
            return if has_all(&dir) {
                Ok(Binaries { bindir: dir })
            } else {
                Err(PgError::BinariesMissing)
            };
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if dir.join("initdb").is_file() {
                    // A symlink in /usr/local/bin: the real directory has the rest.
                    if let Ok(real) = fs::canonicalize(dir.join("initdb"))
                        && let Some(parent) = real.parent()
                    {
                        candidates.push(parent.to_path_buf());
                    }
                    candidates.push(dir);
                }
            }
        }
        if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
            && output.status.success()
        {
            let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            candidates.push(PathBuf::from(text));
        }
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versioned.sort();
        candidates.extend(versioned.into_iter().rev().map(|(_, dir)| dir));
        candidates
            .into_iter()
            .find(|dir| has_all(dir))
            .map(|bindir| Binaries { bindir })
            .ok_or(PgError::BinariesMissing)
    }

    fn program(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }
}

/// The unprivileged account that owns and runs a cluster when we are root.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub uid: Uid,
    pub gid: Gid,
}

impl Account {
    /// The account to run PostgreSQL as: none when we are not root (we run it
    /// ourselves), else `name`, created as a system account if missing.
    pub fn for_cluster(name: &str) -> Result<Option<Account>, PgError> {
        if !Uid::effective().is_root() {
            return Ok(None);
        }
        if let Some(account) = Self::lookup(name)? {
            return Ok(Some(account));
        }
        let output = Command::new("useradd")
            .args([
                "--system",
                "--user-group",
                "--home-dir",
                "/nonexistent",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "gascis PostgreSQL cluster",
                name,
            ])
            .output()
            .map_err(|error| {
                PgError::Account(name.to_owned(), format!("cannot create it: {error}"))
            })?;
        // Another process may have created it at the same moment (exit 9).
        if !output.status.success() && output.status.code() != Some(9) {
            return Err(PgError::Account(
                name.to_owned(),
                String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            ));
        }
        Self::lookup(name)?
            .map(Some)
            .ok_or_else(|| PgError::Account(name.to_owned(), "useradd left no account".into()))
    }

    fn lookup(name: &str) -> Result<Option<Account>, PgError> {
        let user = User::from_name(name)
            .map_err(|error| PgError::Account(name.to_owned(), error.to_string()))?;
        Ok(user.map(|user| Account {
            name: name.to_owned(),
            uid: user.uid,
            gid: user.gid,
        }))
    }

    /// Checks that the account can walk down to `path`: PostgreSQL fails
    /// with an obscure message when a parent such as /root is closed to it.
    pub fn check_can_reach(&self, path: &Path) -> Result<(), PgError> {
        use std::os::unix::fs::MetadataExt;
        for ancestor in path.ancestors().skip(1) {
            // Missing parents and non-directories fail later, with their own message.
            let Ok(metadata) = fs::metadata(ancestor) else {
                continue;
            };
            if !metadata.is_dir() {
                continue;
            }
            let mode = metadata.mode();
            let searchable = mode & 0o001 != 0
                || (metadata.uid() == self.uid.as_raw() && mode & 0o100 != 0)
                || (metadata.gid() == self.gid.as_raw() && mode & 0o010 != 0);
            if !searchable {
                return Err(PgError::Account(
                    self.name.clone(),
                    format!(
                        "it cannot enter {} to reach {}; choose a data dir under /var/lib or run `chmod o+x {}`",
                        ancestor.display(),
                        path.display(),
                        ancestor.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Gives a directory we created to the account, so PostgreSQL can use it.
    pub fn take_ownership(&self, path: &Path) -> Result<(), PgError> {
        nix::unistd::chown(path, Some(self.uid), Some(self.gid)).map_err(|error| {
            PgError::Io(
                format!("chown {} to {}", path.display(), self.name),
                std::io::Error::from(error),
            )
        })
    }
}

/// One cluster: its data directory, socket directory and port.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub binaries: Binaries,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log_file: PathBuf,
    pub port: u16,
    pub account: Option<Account>,
}

/// Settings written into the cluster's `gascis.conf` at every start.
#[derive(Debug, Clone)]
pub struct StartSettings {
    pub listen_addresses: String,
    pub shared_buffers: String,
    pub max_connections: u32,
    /// Durability off: only for throw-away test clusters.
    pub unsafe_fast: bool,
}

impl Cluster {
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.binaries.program(program));
        // A cwd the account can enter; PostgreSQL programs complain otherwise.
        if let Some(parent) = self.data_dir.parent() {
            command.current_dir(parent);
        }
        command.env("LC_ALL", "C.UTF-8").env_remove("PGDATA");
        if let Some(account) = &self.account {
            command.uid(account.uid.as_raw()).gid(account.gid.as_raw());
        }
        command
    }

    fn run(&self, program: &str, args: &[&OsStr]) -> Result<Output, PgError> {
        let output = self
            .command(program)
            .args(args)
            .output()
            .map_err(io_error(format!("run {program}")))?;
        if output.status.success() {
            Ok(output)
        } else {
            let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            if detail.is_empty() {
                detail = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            }
            if detail.is_empty() {
                detail = format!("exit status {}", output.status);
            }
            Err(PgError::Command {
                program: program.to_owned(),
                detail: detail.replace('\n', " | "),
            })
        }
    }

    /// Creates the data and socket directories (mode 0700, owned by the
    /// account) and runs initdb.
    pub fn init(&self, fast: bool) -> Result<(), PgError> {
        for dir in [&self.data_dir, &self.socket_dir] {
            fs::create_dir_all(dir).map_err(io_error(format!("create {}", dir.display())))?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
                .map_err(io_error(format!("chmod {}", dir.display())))?;
            if let Some(account) = &self.account {
                account.take_ownership(dir)?;
            }
        }
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("-D"),
            self.data_dir.as_os_str(),
            OsStr::new("--username"),
            OsStr::new(OWNER_ROLE),
            OsStr::new("--encoding=UTF8"),
            OsStr::new("--locale=C.UTF-8"),
            // Local socket connections are trusted: the socket lives in a 0700
            // directory, so only the cluster's account and root can reach it.
            OsStr::new("--auth-local=trust"),
            OsStr::new("--auth-host=scram-sha-256"),
        ];
        if fast {
            args.push(OsStr::new("--no-sync"));
        }
        self.run("initdb", &args)?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).map_err(io_error("read postgresql.conf"))?;
        text.push_str(
            "\n# Written by gascis-server at every start.\ninclude_if_exists = 'gascis.conf'\n",
        );
        fs::write(&conf, text).map_err(io_error("write postgresql.conf"))?;
        Ok(())
    }

    pub fn is_initialised(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// Whether a postmaster answers for this data dir.
    pub fn is_running(&self) -> bool {
        self.run(
            "pg_ctl",
            &[
                OsStr::new("status"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
            ],
        )
        .is_ok()
    }

    pub fn start(&self, settings: &StartSettings) -> Result<(), PgError> {
        let mut conf = format!(
            "port = {}\nunix_socket_directories = '{}'\nlisten_addresses = '{}'\nshared_buffers = '{}'\nmax_connections = {}\n",
            self.port,
            self.socket_dir.display().to_string().replace('\'', "''"),
            settings.listen_addresses.replace('\'', "''"),
            settings.shared_buffers.replace('\'', "''"),
            settings.max_connections,
        );
        if settings.unsafe_fast {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf_path = self.data_dir.join("gascis.conf");
        fs::write(&conf_path, conf).map_err(io_error("write gascis.conf"))?;
        if let Some(account) = &self.account {
            account.take_ownership(&conf_path)?;
        }
        if self.is_running() {
            tracing::warn!(data_dir = %self.data_dir.display(), "PostgreSQL already running; adopting it");
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &[
                OsStr::new("start"),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("120"),
                OsStr::new("-s"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
                OsStr::new("-l"),
                self.log_file.as_os_str(),
            ],
        )
        .map_err(|error| match error {
            PgError::Command { program, detail } => PgError::Command {
                program,
                detail: format!("{detail} (see {})", self.log_file.display()),
            },
            other => other,
        })?;
        Ok(())
    }

    /// Fast shutdown: disconnects clients, checkpoints, stops.
    pub fn stop(&self) -> Result<(), PgError> {
        if !self.is_running() {
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &[
                OsStr::new("stop"),
                OsStr::new("-w"),
                OsStr::new("-s"),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
            ],
        )?;
        Ok(())
    }

    /// Immediate shutdown: backends are killed, nothing is checkpointed and
    /// the next start recovers from the WAL, as after a crash. The crash
    /// tests use it to prove acknowledged postings survive.
    pub fn stop_immediately(&self) -> Result<(), PgError> {
        if !self.is_running() {
            return Ok(());
        }
        self.run(
            "pg_ctl",
            &[
                OsStr::new("stop"),
                OsStr::new("-w"),
                OsStr::new("-s"),
                OsStr::new("-m"),
                OsStr::new("immediate"),
                OsStr::new("-D"),
                self.data_dir.as_os_str(),
            ],
        )?;
        Ok(())
    }

    /// libpq URL of database `database` as `role` over the unix socket.
    pub fn url(&self, role: &str, database: &str) -> String {
        format!(
            "postgresql:///{database}?host={}&port={}&user={role}",
            self.socket_dir.display(),
            self.port
        )
    }
}

//! Test support for gascis: one throw-away PostgreSQL cluster per test
//! binary, a database per test cloned from a migrated template, the server
//! in-process on a random port with real TLS, and real gRPC clients.
//!
//! The cluster is removed by a watchdog process when the test binary exits,
//! however it exits (success, failed tests, panic, kill).

pub mod api_docs;
pub mod archive_fixtures;
pub mod billing_fixtures;
pub mod import_support;
pub mod ledger_fixtures;

use std::{
    fs,
    net::SocketAddr,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
};

use anyhow::{Context, anyhow};
use diesel::{PgConnection, connection::SimpleConnection};
use gascis_common::Role;
use gascis_server::{
    auth::users::{self, Actor},
    config::Config,
    db,
    pg::{self, Account, Binaries, Cluster, StartSettings},
    serve::{self, RunningServer, ServeOptions},
    tls::{self, CertifiedKey},
};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

/// Password of the `admin` user that every [`TestServer`] has.
pub const ADMIN_PASSWORD: &str = "admin-password-1";
const TEMPLATE: &str = "gascis_template";

/// The cluster shared by every test of one test binary.
pub struct TestCluster {
    pub cluster: Cluster,
    pub root: PathBuf,
    next_database: AtomicU32,
}

static CLUSTER: OnceLock<Result<TestCluster, String>> = OnceLock::new();

/// The test binary's cluster, started on first use.
pub fn cluster() -> anyhow::Result<&'static TestCluster> {
    CLUSTER
        .get_or_init(|| TestCluster::start().map_err(|error| format!("{error:#}")))
        .as_ref()
        .map_err(|error| anyhow!("test PostgreSQL cluster: {error}"))
}

impl TestCluster {
    fn start() -> anyhow::Result<TestCluster> {
        Self::start_with(true)
    }

    /// A cluster of the caller's own with durability on (fsync, synchronous
    /// commit), for tests that crash PostgreSQL and count what survived.
    pub fn durable() -> anyhow::Result<TestCluster> {
        Self::start_with(false)
    }

    /// Crashes PostgreSQL (`pg_ctl stop -m immediate`: no checkpoint, the
    /// next start replays the WAL).
    pub fn crash(&self) -> anyhow::Result<()> {
        Ok(self.cluster.stop_immediately()?)
    }

    pub fn restart(&self, unsafe_fast: bool) -> anyhow::Result<()> {
        Ok(self.cluster.start(&StartSettings {
            listen_addresses: String::new(),
            shared_buffers: "128MB".to_owned(),
            max_connections: 500,
            unsafe_fast,
        })?)
    }

    fn start_with(unsafe_fast: bool) -> anyhow::Result<TestCluster> {
        let binaries = Binaries::find()?;
        // As root, PostgreSQL runs as the same unprivileged account the
        // product uses; otherwise as ourselves.
        let account = Account::for_cluster("gascis")?;
        let root = tempfile::Builder::new()
            .prefix("gascis-test-")
            .tempdir()
            .context("create temp dir for the test cluster")?
            .keep();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700))?;
        if let Some(account) = &account {
            account.take_ownership(&root)?;
        }
        spawn_watchdog(&root)?;
        let cluster = Cluster {
            binaries,
            data_dir: root.join("pg"),
            socket_dir: root.join("run"),
            log_file: root.join("postgresql.log"),
            port: 5432,
            account,
        };
        cluster.init(true)?;
        cluster.start(&StartSettings {
            listen_addresses: String::new(),
            shared_buffers: "128MB".to_owned(),
            max_connections: 500,
            unsafe_fast,
        })?;
        let mut admin = db::connect(&cluster.url(pg::OWNER_ROLE, "postgres"))?;
        admin.batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))?;
        {
            let mut template = db::connect(&cluster.url(pg::OWNER_ROLE, TEMPLATE))?;
            db::migrate(&mut template)?;
        }
        Ok(TestCluster {
            cluster,
            root,
            next_database: AtomicU32::new(1),
        })
    }

    /// A new database with the current schema.
    pub fn create_database(&self) -> anyhow::Result<TestDb> {
        let number = self.next_database.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{number}");
        let mut admin = db::connect(&self.cluster.url(pg::OWNER_ROLE, "postgres"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))?;
        Ok(TestDb {
            app_url: self.cluster.url(pg::APP_ROLE, &name),
            owner_url: self.cluster.url(pg::OWNER_ROLE, &name),
            name,
        })
    }
}

/// Removes the cluster once the test process is gone: a shell loop that
/// outlives us, so cleanup happens even when the harness is killed.
fn spawn_watchdog(root: &Path) -> anyhow::Result<()> {
    let script = format!(
        "while [ -d /proc/{pid} ]; do sleep 0.5; done; \
         if [ -f '{root}/pg/postmaster.pid' ]; then kill -QUIT $(head -n 1 '{root}/pg/postmaster.pid') 2>/dev/null; sleep 1; fi; \
         rm -rf '{root}'",
        pid = std::process::id(),
        root = root.display()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("start the cleanup watchdog")?;
    Ok(())
}

/// One test's database.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub name: String,
    /// As the restricted application role.
    pub app_url: String,
    /// As the schema owner.
    pub owner_url: String,
}

impl TestDb {
    pub fn new() -> anyhow::Result<TestDb> {
        cluster()?.create_database()
    }

    pub fn app(&self) -> anyhow::Result<PgConnection> {
        Ok(db::connect(&self.app_url)?)
    }

    pub fn owner(&self) -> anyhow::Result<PgConnection> {
        Ok(db::connect(&self.owner_url)?)
    }

    /// Has PostgreSQL log the plan, with actual times, buffers and trigger
    /// times, of every statement on this database (nested ones too) taking
    /// `min_ms` or longer, into the cluster's `postgresql.log`; for
    /// benchmarks. Applies to connections opened afterwards.
    pub fn explain_slow_statements(&self, min_ms: u32) -> anyhow::Result<()> {
        let mut owner = self.owner()?;
        for setting in [
            "session_preload_libraries = 'auto_explain'".to_owned(),
            format!("auto_explain.log_min_duration = '{min_ms}ms'"),
            "auto_explain.log_analyze = on".to_owned(),
            "auto_explain.log_buffers = on".to_owned(),
            "auto_explain.log_nested_statements = on".to_owned(),
            "auto_explain.log_triggers = on".to_owned(),
        ] {
            owner.batch_execute(&format!("ALTER DATABASE {} SET {setting}", self.name))?;
        }
        Ok(())
    }
}

/// CA and server certificate for 127.0.0.1 and localhost, made once.
pub fn test_tls() -> anyhow::Result<&'static (CertifiedKey, CertifiedKey)> {
    static TLS: OnceLock<Result<(CertifiedKey, CertifiedKey), String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let ca = tls::generate_ca("测试燃气公司").map_err(|e| e.to_string())?;
        let server = tls::generate_server_certificate(
            &ca,
            &["localhost".to_owned()],
            &["127.0.0.1".to_owned()],
            30,
        )
        .map_err(|e| e.to_string())?;
        Ok((ca, server))
    })
    .as_ref()
    .map_err(|error| anyhow!("test TLS material: {error}"))
}

/// The server running in this process on 127.0.0.1 with a random port.
pub struct TestServer {
    pub address: SocketAddr,
    pub db: TestDb,
    pub config: Config,
    pub ca_pem: String,
    /// The CA certificate as a file, for code that takes a path (the client).
    pub ca_path: PathBuf,
    /// The keys personal data is encrypted with.
    pub pii: std::sync::Arc<gascis_server::pii::PiiKeys>,
    /// The simulated payment channels the server talks to; tests drive
    /// them (statements, notifications) and sign with [`CHANNEL_SECRET`].
    pub gateways: std::sync::Arc<gascis_server::counter::gateways::Gateways>,
    /// The simulated invoicing platform; tests script it (lost answers,
    /// buyers entering or answering red-letter forms).
    pub invoice_platform:
        std::sync::Arc<gascis_server::invoices::simulator::SimulatedInvoicePlatform>,
    server: Option<RunningServer>,
}

/// The secret test servers' channels sign notifications with.
pub const CHANNEL_SECRET: &[u8] = b"gascis-test-channel-secret";

impl TestServer {
    pub async fn start() -> anyhow::Result<TestServer> {
        Self::start_with(|_| {}).await
    }

    /// Starts with a configuration adjusted by `edit`.
    pub async fn start_with(edit: impl FnOnce(&mut Config)) -> anyhow::Result<TestServer> {
        let db = tokio::task::spawn_blocking(TestDb::new).await??;
        Self::start_in(db, &cluster()?.root, edit).await
    }

    /// Starts on a database of a cluster of the caller's (see
    /// [`TestCluster::durable`]).
    pub async fn start_on(
        cluster: &TestCluster,
        edit: impl FnOnce(&mut Config),
    ) -> anyhow::Result<TestServer> {
        let db = cluster.create_database()?;
        Self::start_in(db, &cluster.root, edit).await
    }

    async fn start_in(
        db: TestDb,
        root: &Path,
        edit: impl FnOnce(&mut Config),
    ) -> anyhow::Result<TestServer> {
        // Server logs show up beside a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .with_test_writer()
            .try_init();
        let (ca, certificate) = test_tls()?;
        let mut config = Config::default();
        config.server.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.server.company_name = "测试燃气公司".to_owned();
        config.server.shutdown_grace_seconds = 2;
        config.database.pool_size = 4;
        // Scheduled jobs would act on a test's data behind its back; tests
        // run rounds themselves (`jobs::run_round`).
        config.jobs.interval_minutes = 0;
        edit(&mut config);
        let admin_db = db.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut app = admin_db.app()?;
            users::create(
                &mut app,
                Actor::CONSOLE,
                "admin",
                "管理员",
                &[Role::Admin],
                ADMIN_PASSWORD,
            )?;
            Ok(())
        })
        .await??;
        let pii = std::sync::Arc::new(gascis_server::pii::PiiKeys::generate());
        let gateways = std::sync::Arc::new(gascis_server::counter::gateways::Gateways::simulated(
            CHANNEL_SECRET,
        ));
        let invoice_platform = std::sync::Arc::new(
            gascis_server::invoices::simulator::SimulatedInvoicePlatform::new(),
        );
        let ca_path = root.join("ca.crt");
        if !ca_path.exists() {
            fs::write(&ca_path, &ca.certificate_pem)?;
        }
        let server = serve::start(ServeOptions {
            config: config.clone(),
            app_url: db.app_url.clone(),
            migration_url: db.owner_url.clone(),
            certificate_pem: certificate.certificate_pem.clone(),
            key_pem: certificate.key_pem.clone(),
            pii: std::sync::Arc::clone(&pii),
            gateways: std::sync::Arc::clone(&gateways),
            invoice_platform: invoice_platform.clone(),
        })
        .await?;
        Ok(TestServer {
            address: server.local_addr,
            db,
            config,
            ca_pem: ca.certificate_pem.clone(),
            ca_path,
            pii,
            gateways,
            invoice_platform,
            server: Some(server),
        })
    }

    /// "localhost:PORT", as a user would type it.
    pub fn endpoint(&self) -> String {
        format!("localhost:{}", self.address.port())
    }

    /// A TLS channel that trusts the test CA.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        gascis_server::client::channel(&self.endpoint(), &self.ca_pem, None).await
    }

    /// Logs in and returns the session token.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let mut client = gascis_common::proto::v1::auth_service_client::AuthServiceClient::new(
            self.channel().await?,
        );
        let reply = client
            .login(gascis_common::proto::v1::LoginRequest {
                username: username.to_owned(),
                password: password.to_owned(),
                client_name: "testkit".to_owned(),
            })
            .await?;
        Ok(reply.into_inner().session_token)
    }

    /// Adds a user directly in the database.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        roles: &[Role],
    ) -> anyhow::Result<()> {
        let db = self.db.clone();
        let (username, display_name, password, roles) = (
            username.to_owned(),
            display_name.to_owned(),
            password.to_owned(),
            roles.to_vec(),
        );
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut app = db.app()?;
            users::create(
                &mut app,
                Actor::CONSOLE,
                &username,
                &display_name,
                &roles,
                &password,
            )?;
            Ok(())
        })
        .await?
    }

    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.shutdown().await?;
        }
        Ok(())
    }
}

/// A request carrying the session token.
pub fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = MetadataValue::try_from(format!("Bearer {token}")) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// The `x-gascis-reason` of an error status.
pub fn reason(status: &tonic::Status) -> String {
    status
        .metadata()
        .get(gascis_common::proto::REASON_METADATA_KEY)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

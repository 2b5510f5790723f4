//! The `gascis-server` commands for IT. Each returns an error with one line
//! saying what is wrong and how to fix it; `main` prints it and exits 1.

use std::{
    fs,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use diesel::{QueryDsl, RunQueryDsl, connection::SimpleConnection};
use gascis_common::Role;
use rand::{Rng, distr::Alphanumeric};

use crate::{
    auth::users::{self, Actor},
    config::Config,
    data_dir::{self, DATABASE_NAME, DataDir},
    db,
    pg::{self, Cluster},
    serve::{self, ServeOptions},
    tls,
};

/// What `init` may change from the defaults.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub admin_password_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub company_name: Option<String>,
    pub hostnames: Vec<String>,
    pub ip_addresses: Vec<String>,
}

pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

fn read_password_file(path: &Path) -> anyhow::Result<String> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read password file {}", path.display()))?;
    let password = text.trim_end_matches(['\n', '\r']).to_owned();
    crate::auth::password::validate(&password, "password file")
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    Ok(password)
}

/// Removes what an interrupted init left, so init can start over.
fn clean_failed_init(dir: &DataDir, config: &Config) -> anyhow::Result<()> {
    if dir.pg_data().join("postmaster.pid").exists()
        && let Ok(cluster) = dir.cluster(config)
    {
        let _ = cluster.stop();
    }
    for path in [
        dir.pg_data(),
        dir.socket_dir(),
        dir.log_dir(),
        dir.tls_dir(),
    ] {
        if path.exists() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove {} from a failed init", path.display()))?;
        }
    }
    for path in [dir.config_path(), dir.lock_path()] {
        if path.exists() {
            fs::remove_file(&path)
                .with_context(|| format!("cannot remove {} from a failed init", path.display()))?;
        }
    }
    Ok(())
}

/// Outcome of `init`, for the summary it prints.
pub struct Initialised {
    pub admin_password_generated: Option<String>,
    pub config: Config,
}

pub fn init(dir: &DataDir, options: &InitOptions) -> anyhow::Result<Initialised> {
    // Everything that can be checked without writing is checked first, so a
    // refusal leaves nothing behind.
    let mut config = Config::default();
    if let Some(listen) = options.listen {
        config.server.listen = listen;
    }
    if let Some(name) = &options.company_name {
        config.server.company_name = name.clone();
    }
    for name in &options.hostnames {
        if !config.tls.hostnames.contains(name) {
            config.tls.hostnames.push(name.clone());
        }
    }
    for ip in &options.ip_addresses {
        if !config.tls.ip_addresses.contains(ip) {
            config.tls.ip_addresses.push(ip.clone());
        }
    }
    if let Ok(host) = nix::unistd::gethostname()
        && let Some(host) = host.to_str()
        && !host.is_empty()
        && !config.tls.hostnames.iter().any(|h| h == host)
    {
        config.tls.hostnames.push(host.to_lowercase());
    }
    Config::parse(&config.documented_toml(), "the new configuration")?;
    let binaries = pg::Binaries::find()?;
    let account = pg::Account::for_cluster(&config.postgres.system_user)?;
    if let Some(account) = &account {
        account.check_can_reach(&dir.root)?;
    }
    let (admin_password, generated) = match &options.admin_password_file {
        Some(path) => (read_password_file(path)?, None),
        None => {
            let password = generate_password();
            (password.clone(), Some(password))
        }
    };

    if dir.init_marker().exists() {
        eprintln!(
            "note: an earlier init of {} did not finish; starting over",
            dir.root.display()
        );
        clean_failed_init(dir, &config)?;
    } else if dir.config_path().exists() {
        bail!(
            "{} is already initialised (it has {}); use `gascis-server serve --data-dir {}`",
            dir.root.display(),
            crate::config::CONFIG_FILE,
            dir.root.display()
        );
    } else if dir.root.exists()
        && fs::read_dir(&dir.root)
            .with_context(|| format!("cannot read {}", dir.root.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty and is not a gascis data dir; choose an empty or new directory",
            dir.root.display()
        );
    }

    data_dir::create_private_dir(&dir.root).with_context(|| {
        format!(
            "cannot create data dir {} (is the parent writable?)",
            dir.root.display()
        )
    })?;
    fs::write(dir.init_marker(), b"init in progress\n")
        .with_context(|| format!("cannot write in {}", dir.root.display()))?;

    fs::write(dir.config_path(), config.documented_toml())
        .with_context(|| format!("cannot write {}", dir.config_path().display()))?;

    let tls_dir = dir.tls_dir();
    data_dir::create_private_dir(&tls_dir)?;
    let ca = tls::generate_ca(&config.server.company_name)?;
    let server = tls::generate_server_certificate(
        &ca,
        &config.tls.hostnames,
        &config.tls.ip_addresses,
        config.tls.certificate_valid_days,
    )?;
    fs::write(dir.ca_certificate_path(), &ca.certificate_pem)?;
    data_dir::write_private_file(&dir.ca_key_path(), ca.key_pem.as_bytes())?;
    fs::write(dir.server_certificate_path(), &server.certificate_pem)?;
    data_dir::write_private_file(&dir.server_key_path(), server.key_pem.as_bytes())?;

    data_dir::create_private_dir(&dir.keys_dir())?;
    crate::pii::PiiKeys::generate().save(&dir.pii_keys_path())?;
    data_dir::create_private_dir(&dir.log_dir())?;
    if let Some(account) = &account {
        // The service runs as this account: it must own what it reads.
        for path in [
            dir.root.clone(),
            dir.config_path(),
            tls_dir.clone(),
            dir.ca_certificate_path(),
            dir.ca_key_path(),
            dir.server_certificate_path(),
            dir.server_key_path(),
            dir.keys_dir(),
            dir.pii_keys_path(),
            dir.log_dir(),
            dir.init_marker(),
        ] {
            account.take_ownership(&path)?;
        }
    }
    let cluster = Cluster {
        binaries,
        data_dir: dir.pg_data(),
        socket_dir: dir.socket_dir(),
        log_file: dir.log_dir().join("postgresql.log"),
        port: config.postgres.port,
        account,
    };
    cluster.init(false)?;
    cluster.start(&DataDir::start_settings(&config))?;
    let result = (|| -> anyhow::Result<()> {
        let mut admin = db::connect(&cluster.url(pg::OWNER_ROLE, "postgres"))?;
        admin.batch_execute(&format!("CREATE DATABASE {DATABASE_NAME}"))?;
        let mut owner = db::connect(&cluster.url(pg::OWNER_ROLE, DATABASE_NAME))?;
        db::migrate(&mut owner)?;
        let mut app = db::connect(&cluster.url(pg::APP_ROLE, DATABASE_NAME))?;
        users::create(
            &mut app,
            Actor::CONSOLE,
            "admin",
            "系统管理员",
            &[Role::Admin],
            &admin_password,
        )?;
        Ok(())
    })();
    let stopped = cluster.stop();
    result?;
    stopped?;
    fs::remove_file(dir.init_marker())
        .with_context(|| format!("cannot remove {}", dir.init_marker().display()))?;
    Ok(Initialised {
        admin_password_generated: generated,
        config,
    })
}

/// The cluster of a managed data dir, started for the duration of `work`
/// when no `serve` is running, and the connection URLs.
pub fn with_database<T>(
    dir: &DataDir,
    work: impl FnOnce(&Config, &str, &str) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let config = dir.load_config()?;
    if !config.uses_managed_cluster() {
        let (app_url, migration_url) = dir.database_urls(&config, None);
        return work(&config, &app_url, &migration_url);
    }
    let cluster = dir.cluster(&config)?;
    let (app_url, migration_url) = dir.database_urls(&config, Some(&cluster));
    // While we hold the serve lock, no serve can start and stop the cluster
    // under our feet; if serve holds it, its cluster is running.
    let lock = dir.try_lock()?;
    if lock.is_none() {
        return work(&config, &app_url, &migration_url);
    }
    let was_running = cluster.is_running();
    if !was_running {
        cluster.start(&DataDir::start_settings(&config))?;
    }
    let result = work(&config, &app_url, &migration_url);
    if !was_running {
        cluster.stop()?;
    }
    result
}

/// Applies pending migrations.
pub fn migrate(dir: &DataDir) -> anyhow::Result<Vec<String>> {
    with_database(dir, |_, _, migration_url| {
        let mut owner = db::connect(migration_url)?;
        Ok(db::migrate(&mut owner)?)
    })
}

/// Runs the server until SIGTERM or Ctrl-C.
pub async fn serve(dir: &DataDir, before_ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = dir.load_config()?;
    let Some(_lock) = dir.try_lock()? else {
        bail!(
            "another gascis-server is already serving {} (it holds {}); stop it first",
            dir.root.display(),
            dir.lock_path().display()
        );
    };
    let certificate_pem = fs::read_to_string(dir.server_certificate_path()).with_context(|| {
        format!(
            "cannot read the server certificate {}",
            dir.server_certificate_path().display()
        )
    })?;
    let key_pem = fs::read_to_string(dir.server_key_path()).with_context(|| {
        format!(
            "cannot read the server key {}",
            dir.server_key_path().display()
        )
    })?;
    let pii = std::sync::Arc::new(dir.pii_keys()?);
    let cluster = if config.uses_managed_cluster() {
        let cluster = dir.cluster(&config)?;
        if !cluster.is_initialised() {
            bail!(
                "no PostgreSQL cluster in {}; run `gascis-server init` again on a new data dir",
                cluster.data_dir.display()
            );
        }
        cluster.start(&DataDir::start_settings(&config))?;
        Some(cluster)
    } else {
        None
    };
    let (app_url, migration_url) = dir.database_urls(&config, cluster.as_ref());
    let started_server = serve::start(ServeOptions {
        config: config.clone(),
        app_url,
        migration_url,
        certificate_pem,
        key_pem,
        pii,
        gateways: std::sync::Arc::new(crate::counter::gateways::Gateways::simulated(
            &dir.channel_secret()?,
        )),
        // No production platform is reachable from this build: the
        // simulator stands behind the same trait a real adapter implements.
        invoice_platform: std::sync::Arc::new(
            crate::invoices::simulator::SimulatedInvoicePlatform::new(),
        ),
    })
    .await;
    let mut server = match started_server {
        Ok(server) => server,
        Err(error) => {
            if let Some(cluster) = &cluster {
                let _ = cluster.stop();
            }
            return Err(error.into());
        }
    };
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "ready: serving {}",
        dir.root.display()
    );
    before_ready(server.local_addr);

    let outcome = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down: draining calls");
            server.shutdown().await.map_err(anyhow::Error::from)
        }
        result = server.wait() => result.map_err(anyhow::Error::from),
    };
    if let Some(cluster) = &cluster {
        tracing::info!("stopping PostgreSQL");
        cluster.stop()?;
    }
    tracing::info!("stopped");
    outcome
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => stream,
        Err(error) => {
            tracing::warn!(%error, "cannot watch SIGTERM; only Ctrl-C stops the server");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

/// One line of `status`.
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The checks of `status`: configuration, database, schema, gRPC health.
pub async fn status(dir: &DataDir) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = match dir.load_config() {
        Ok(config) => {
            checks.push(Check {
                name: "config",
                ok: true,
                detail: dir.config_path().display().to_string(),
            });
            config
        }
        Err(error) => {
            checks.push(Check {
                name: "config",
                ok: false,
                detail: format!("{error:#}"),
            });
            return checks;
        }
    };
    let cluster = if config.uses_managed_cluster() {
        match dir.cluster(&config) {
            Ok(cluster) => Some(cluster),
            Err(error) => {
                checks.push(Check {
                    name: "database",
                    ok: false,
                    detail: format!("{error:#}"),
                });
                return checks;
            }
        }
    } else {
        None
    };
    let (app_url, migration_url) = dir.database_urls(&config, cluster.as_ref());
    let database = tokio::task::spawn_blocking(move || {
        let mut app = db::connect(&app_url)?;
        diesel::sql_query("SELECT 1").execute(&mut app)?;
        let mut owner = db::connect(&migration_url)?;
        let pending = db::pending_migrations(&mut owner)?;
        let version = db::schema_version(&mut owner)?;
        Ok::<_, anyhow::Error>((pending, version))
    })
    .await
    .map_err(anyhow::Error::from)
    .and_then(|result| result);
    match database {
        Ok((pending, version)) => {
            checks.push(Check {
                name: "database",
                ok: true,
                detail: "reachable".to_owned(),
            });
            checks.push(Check {
                name: "schema",
                ok: pending.is_empty(),
                detail: if pending.is_empty() {
                    format!("current (version {version})")
                } else {
                    format!(
                        "{} migration(s) pending: {}; run `gascis-server migrate --data-dir {}`",
                        pending.len(),
                        pending.join(", "),
                        dir.root.display()
                    )
                },
            });
        }
        Err(error) => {
            let hint = if cluster.is_some() {
                " (is `gascis-server serve` running?)"
            } else {
                ""
            };
            checks.push(Check {
                name: "database",
                ok: false,
                detail: format!("{}{hint}", db::one_line(&format!("{error:#}"))),
            });
            checks.push(Check {
                name: "schema",
                ok: false,
                detail: "unknown (database unreachable)".to_owned(),
            });
        }
    }
    checks.push(grpc_health_check(dir, &config).await);
    checks
}

async fn grpc_health_check(dir: &DataDir, config: &Config) -> Check {
    let result = async {
        let ca = fs::read_to_string(dir.ca_certificate_path())
            .with_context(|| format!("cannot read {}", dir.ca_certificate_path().display()))?;
        let mut address = config.server.listen;
        if address.ip().is_unspecified() {
            address.set_ip(if address.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let channel = crate::client::channel(&address.to_string(), &ca, None).await?;
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let reply = tokio::time::timeout(
            Duration::from_secs(5),
            health.check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            }),
        )
        .await
        .context("no answer within 5 s")??;
        let status = reply.into_inner().status();
        anyhow::ensure!(
            status == tonic_health::pb::health_check_response::ServingStatus::Serving,
            "health is {}",
            status.as_str_name()
        );
        Ok::<_, anyhow::Error>(format!(
            "SERVING at https://{address} (TLS verified with {})",
            dir.ca_certificate_path().display()
        ))
    }
    .await;
    match result {
        Ok(detail) => Check {
            name: "grpc",
            ok: true,
            detail,
        },
        Err(error) => Check {
            name: "grpc",
            ok: false,
            detail: format!(
                "{} (is `gascis-server serve` running?)",
                db::one_line(&format!("{error:#}"))
            ),
        },
    }
}

/// A new server certificate for the configured names, signed by the
/// existing CA (clients keep trusting the same ca.crt).
pub fn renew_tls(dir: &DataDir) -> anyhow::Result<()> {
    let config = dir.load_config()?;
    let ca = tls::CertifiedKey {
        certificate_pem: fs::read_to_string(dir.ca_certificate_path())
            .with_context(|| format!("cannot read {}", dir.ca_certificate_path().display()))?,
        key_pem: fs::read_to_string(dir.ca_key_path())
            .with_context(|| format!("cannot read {}", dir.ca_key_path().display()))?,
    };
    let server = tls::generate_server_certificate(
        &ca,
        &config.tls.hostnames,
        &config.tls.ip_addresses,
        config.tls.certificate_valid_days,
    )?;
    fs::write(dir.server_certificate_path(), &server.certificate_pem)?;
    data_dir::write_private_file(&dir.server_key_path(), server.key_pem.as_bytes())?;
    if let Some(account) = pg::Account::for_cluster(&config.postgres.system_user)? {
        account.take_ownership(&dir.server_certificate_path())?;
        account.take_ownership(&dir.server_key_path())?;
    }
    Ok(())
}

/// The demo company's users: (user name, display name, roles).
pub const DEMO_USERS: &[(&str, &str, &[Role])] = &[
    ("admin", "系统管理员", &[Role::Admin]),
    ("cashier", "王芳", &[Role::Cashier]),
    ("supervisor", "李建国", &[Role::Supervisor, Role::Cashier]),
    ("backoffice", "张敏", &[Role::BackOffice]),
    ("field", "刘强", &[Role::Field]),
    ("finance", "陈静", &[Role::Finance]),
    (
        "manager",
        "赵志刚",
        &[Role::Supervisor, Role::Finance, Role::BackOffice],
    ),
];

/// Password of every demo user. A demo is for looking, never for real data.
pub const DEMO_PASSWORD: &str = "gascis-demo";

/// Makes `dir` a demo company (once) and returns the table of demo users.
pub fn prepare_demo(dir: &DataDir, listen: SocketAddr, customers: u64) -> anyhow::Result<()> {
    if !dir.config_path().exists() || dir.init_marker().exists() {
        let password_file = tempfile_with(DEMO_PASSWORD)?;
        init(
            dir,
            &InitOptions {
                admin_password_file: Some(password_file.clone()),
                listen: Some(listen),
                company_name: Some("示范燃气有限公司".to_owned()),
                ..InitOptions::default()
            },
        )?;
        let _ = fs::remove_file(password_file);
        // A demo shows what customers would receive and what IoT valves
        // would do, through the simulators; a real company names its
        // providers here.
        let mut config = Config::load(&dir.config_path())?;
        config.notices.sender = crate::notices::SenderKind::Simulated;
        config.jobs.iot_gateway = crate::jobs::IotGateway::Simulated;
        fs::write(dir.config_path(), config.documented_toml())
            .with_context(|| format!("cannot write {}", dir.config_path().display()))?;
    }
    let keys = dir.pii_keys()?;
    with_database(dir, |config, app_url, _| {
        let mut app = db::connect(app_url)?;
        for (username, display_name, roles) in DEMO_USERS {
            if users::find(&mut app, username)?.is_none() {
                users::create(
                    &mut app,
                    Actor::CONSOLE,
                    username,
                    display_name,
                    roles,
                    DEMO_PASSWORD,
                )?;
            }
        }
        let existing: i64 = crate::schema::accounts::table
            .count()
            .get_result(&mut app)?;
        if existing == 0 {
            let started = Instant::now();
            let opened = crate::archive::seed::seed_demo(&mut app, &keys, customers)?;
            println!(
                "demo: opened {opened} customer accounts in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let started = Instant::now();
        let bills = crate::billing::demo::seed(&mut app, crate::archive::today())?;
        if bills > 0 {
            println!(
                "demo: a year of readings and {bills} bills, IC-card purchases, IoT charges and \
                 readings waiting for review in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        let counter = crate::counter::demo::seed(&mut app, crate::archive::today())?;
        if counter.payments > 0 {
            println!(
                "demo: counter — {} payments by `cashier` (yesterday's shift closed with {} void, \
                 today's open)",
                counter.payments, counter.voids
            );
        }
        // One round of the scheduled jobs now, so the demo has bill notices
        // to look at (quietly: the simulated sender logs nothing here).
        let mut devices = crate::jobs::Devices {
            valves: None,
            notices: Some(Box::new(crate::notices::SimulatedNoticeSender::default())),
        };
        if let Some(round) = crate::jobs::run_round(
            &mut app,
            config,
            &keys,
            &mut devices,
            crate::archive::today(),
        )? && let (Some(queued), Some(sent)) = (round.notices_queued, round.notices_sent)
            && sent.sent > 0
        {
            println!(
                "demo: {} bill notices and {} arrears reminders sent through the simulated SMS \
                 provider",
                queued.new_bills, queued.arrears
            );
        }
        Ok(())
    })
}

fn tempfile_with(contents: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("gascis-demo-{}.pw", std::process::id()));
    data_dir::write_private_file(&path, contents.as_bytes())?;
    Ok(path)
}

/// For `user` commands: parses `--role` values.
pub fn parse_roles(values: &[String]) -> anyhow::Result<Vec<Role>> {
    if values.is_empty() {
        bail!("give at least one --role (cashier, supervisor, back_office, field, finance, admin)");
    }
    values
        .iter()
        .flat_map(|value| value.split(','))
        .map(|value| value.trim().parse::<Role>().map_err(anyhow::Error::from))
        .collect()
}

/// Used by status output and tests: whether every check passed.
pub fn all_ok(checks: &[Check]) -> bool {
    checks.iter().all(|check| check.ok)
}

/// Outcome of `keys rotate`.
pub struct Rotation {
    pub new_key: u8,
    pub values_reencrypted: u64,
    pub retired_file: PathBuf,
}

/// Re-encrypts every personal value with a new key, then retires the old
/// ones (kept in a separate file for restoring old backups). Runs with the
/// server stopped, so no request reads a value mid-rotation.
pub fn rotate_keys(dir: &DataDir) -> anyhow::Result<Rotation> {
    use crate::{
        pii::{Field, PiiKeys},
        schema::customers,
    };
    use diesel::{Connection, ExpressionMethods, OptionalExtension};
    let config = dir.load_config()?;
    let Some(_lock) = dir.try_lock()? else {
        bail!(
            "stop the server before rotating keys (systemctl stop gascis-server), then run this again"
        );
    };
    let path = dir.pii_keys_path();
    let mut keys = dir.pii_keys()?;
    let retired = keys.clone();
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let retired_file = dir.keys_dir().join(format!("pii-retired-{stamp}.toml"));
    retired.save(&retired_file)?;
    let new_key = keys.add_key();
    // Both keys on disk before any row changes: a crash mid-way leaves every
    // row readable, and running rotate again finishes the job.
    keys.save(&path)?;
    let cluster = if config.uses_managed_cluster() {
        let cluster = dir.cluster(&config)?;
        cluster.start(&DataDir::start_settings(&config))?;
        Some(cluster)
    } else {
        None
    };
    let (app_url, _) = dir.database_urls(&config, cluster.as_ref());
    let work = || -> anyhow::Result<u64> {
        let mut connection = db::connect(&app_url)?;
        let mut after_id = 0_i64;
        let mut count = 0_u64;
        type Row = (i64, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
        loop {
            let rows: Vec<Row> = customers::table
                .filter(customers::id.gt(after_id))
                .order(customers::id)
                .limit(1000)
                .select((
                    customers::id,
                    customers::id_number_enc,
                    customers::phone_enc,
                    customers::phone2_enc,
                ))
                .load(&mut connection)?;
            let Some(last) = rows.last() else {
                break;
            };
            after_id = last.0;
            connection.transaction(|connection| -> anyhow::Result<()> {
                for (id, id_number, phone, phone2) in &rows {
                    let renew =
                        |field: Field, blob: &Option<Vec<u8>>| -> anyhow::Result<Option<Vec<u8>>> {
                            match blob {
                                Some(blob) if PiiKeys::key_of(blob) != Some(new_key) => {
                                    Ok(Some(keys.encrypt(field, &keys.decrypt(field, blob)?)))
                                }
                                other => Ok(other.clone()),
                            }
                        };
                    let values = (
                        renew(Field::IdNumber, id_number)?,
                        renew(Field::Phone, phone)?,
                        renew(Field::Phone, phone2)?,
                    );
                    if values != (id_number.clone(), phone.clone(), phone2.clone()) {
                        diesel::update(customers::table.find(id))
                            .set((
                                customers::id_number_enc.eq(values.0),
                                customers::phone_enc.eq(values.1),
                                customers::phone2_enc.eq(values.2),
                            ))
                            .execute(connection)?;
                        count += 1;
                    }
                }
                Ok(())
            })?;
        }
        let leftover: Option<i64> = customers::table
            .select(customers::id)
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("get_byte(phone_enc, 0) <> ")
                    .bind::<diesel::sql_types::Integer, _>(i32::from(new_key)),
            )
            .first(&mut connection)
            .optional()?;
        anyhow::ensure!(
            leftover.is_none(),
            "customer {leftover:?} still has an old ciphertext"
        );
        Ok(count)
    };
    let result = work();
    if let Some(cluster) = &cluster {
        cluster.stop()?;
    }
    let count = result?;
    keys.retire_old_keys();
    keys.save(&path)?;
    if let Some(account) = pg::Account::for_cluster(&config.postgres.system_user)? {
        account.take_ownership(&path)?;
        account.take_ownership(&retired_file)?;
    }
    Ok(Rotation {
        new_key,
        values_reencrypted: count,
        retired_file,
    })
}

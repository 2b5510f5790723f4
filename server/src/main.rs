//! `gascis-server`: the command line for IT.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use gascis_server::{
    commands::{self, InitOptions},
    data_dir::DataDir,
    db,
};

mod billing_cli;
mod counter_cli;
mod import_cli;
mod jobs_cli;
mod tariff_cli;

use import_cli::{ImportCommand, import_command};

#[derive(Parser)]
#[command(
    name = "gascis-server",
    version,
    about = "gascis on-prem server: gRPC over TLS with its own PostgreSQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
pub(crate) struct DirArg {
    /// The data dir (configuration, TLS material, PostgreSQL cluster).
    #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
    data_dir: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data dir: configuration, TLS material, PostgreSQL cluster, schema, first admin.
    Init {
        #[command(flatten)]
        dir: DirArg,
        /// File holding the first admin's password; without it one is generated and printed once.
        #[arg(long, value_name = "FILE")]
        admin_password_file: Option<PathBuf>,
        /// Address and port of the gRPC endpoint (default 0.0.0.0:50443).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Company name for the client's title bar and receipts.
        #[arg(long)]
        company_name: Option<String>,
        /// Extra host name for the server certificate (repeatable).
        #[arg(long = "hostname", value_name = "NAME")]
        hostnames: Vec<String>,
        /// Extra IP address for the server certificate (repeatable).
        #[arg(long = "ip", value_name = "IP")]
        ip_addresses: Vec<String>,
    },
    /// Run the server until SIGTERM or Ctrl-C.
    Serve {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Check configuration, database, schema and gRPC health; exit 0 when all hold.
    Status {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        dir: DirArg,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// TLS certificates.
    Tls {
        #[command(subcommand)]
        command: TlsCommand,
    },
    /// Import legacy Excel ledgers (.xlsx, .xlsm, .xls, .ods).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export to Excel (personal data masked).
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Keys of personal data at rest.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Create (once) and run a ready-to-look-at demo company.
    Demo {
        /// Demo data dir (default ./demo-data).
        #[arg(long, value_name = "DIR", default_value = "demo-data")]
        data_dir: PathBuf,
        /// Address and port of the demo server.
        #[arg(long, default_value = "127.0.0.1:50443")]
        listen: SocketAddr,
        /// Customer accounts to create the first time.
        #[arg(long, default_value_t = 3000)]
        customers: u64,
    },
    /// Bill a period (a billing run; several processes share one run).
    BillRun(billing_cli::BillRunArgs),
    /// Tariffs: price a consumption with the engine alone.
    Tariff {
        #[command(subcommand)]
        command: tariff_cli::TariffCommand,
    },
    /// The ledger: verify its invariants.
    Ledger {
        #[command(subcommand)]
        command: counter_cli::LedgerCommand,
    },
    /// Counter receipts.
    Receipt {
        #[command(subcommand)]
        command: counter_cli::ReceiptCommand,
    },
    /// Scheduled jobs (IoT charges and valves, bill notices).
    Jobs {
        #[command(subcommand)]
        command: jobs_cli::JobsCommand,
    },
    /// Invoices (发票).
    Invoice {
        #[command(subcommand)]
        command: counter_cli::InvoiceCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        #[command(flatten)]
        dir: DirArg,
        /// Login name (lower-case letters, digits, '.', '_', '-').
        username: String,
        /// Role (repeatable or comma-separated): cashier, supervisor, back_office, field, finance, admin.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Name shown in the client and on receipts (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// File holding the password; without it one is generated and printed once.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Set a new password (also clears a lockout).
    Passwd {
        #[command(flatten)]
        dir: DirArg,
        username: String,
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Disable a user and end their sessions.
    Disable {
        #[command(flatten)]
        dir: DirArg,
        username: String,
    },
    /// Enable a disabled user.
    Enable {
        #[command(flatten)]
        dir: DirArg,
        username: String,
    },
    /// List users with roles and state.
    List {
        #[command(flatten)]
        dir: DirArg,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Every bill of a period with its readings, volume, amount and VAT.
    Bills {
        #[command(flatten)]
        dir: DirArg,
        /// The month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// Where to write the .xlsx.
        out: PathBuf,
    },
    /// Every account with its customer, address and meter.
    Accounts {
        #[command(flatten)]
        dir: DirArg,
        /// Where to write the .xlsx.
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-encrypt identity numbers and phones with a new key (server stopped).
    Rotate {
        #[command(flatten)]
        dir: DirArg,
    },
}

#[derive(Subcommand)]
enum TlsCommand {
    /// Issue a new server certificate from the data dir's CA for the names in gascis.toml.
    Renew {
        #[command(flatten)]
        dir: DirArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", db::one_line(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn password_or_generated(file: Option<&PathBuf>) -> anyhow::Result<(String, bool)> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
            Ok((text.trim_end_matches(['\n', '\r']).to_owned(), false))
        }
        None => Ok((commands::generate_password(), true)),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init {
            dir,
            admin_password_file,
            listen,
            company_name,
            hostnames,
            ip_addresses,
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let started = std::time::Instant::now();
            let done = commands::init(
                &dir,
                &InitOptions {
                    admin_password_file,
                    listen,
                    company_name,
                    hostnames,
                    ip_addresses,
                },
            )?;
            println!(
                "initialised {} in {:.1} s",
                dir.root.display(),
                started.elapsed().as_secs_f64()
            );
            println!("  configuration: {}", dir.config_path().display());
            println!(
                "  CA certificate for clients: {}",
                dir.ca_certificate_path().display()
            );
            println!(
                "  certificate names: {}",
                [
                    done.config.tls.hostnames.clone(),
                    done.config.tls.ip_addresses.clone()
                ]
                .concat()
                .join(", ")
            );
            if let Some(password) = done.admin_password_generated {
                println!(
                    "  first user: admin, password: {password}  (shown once; change it with `user passwd`)"
                );
            } else {
                println!("  first user: admin (password from the file)");
            }
            println!(
                "next: gascis-server serve --data-dir {}",
                dir.root.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { dir } => {
            let dir = DataDir::new(&dir.data_dir)?;
            runtime()?.block_on(commands::serve(&dir, |address| {
                println!("gascis-server listening on https://{address}");
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { dir } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let checks = runtime()?.block_on(commands::status(&dir));
            for check in &checks {
                println!(
                    "{:<4} {:<8} {}",
                    if check.ok { "ok" } else { "FAIL" },
                    check.name,
                    check.detail
                );
            }
            Ok(if commands::all_ok(&checks) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Migrate { dir } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let applied = commands::migrate(&dir)?;
            if applied.is_empty() {
                println!("schema is current; nothing to apply");
            } else {
                println!(
                    "applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => user_command(command),
        Command::Tls {
            command: TlsCommand::Renew { dir },
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            commands::renew_tls(&dir)?;
            println!(
                "new server certificate {}; restart the server to use it",
                dir.server_certificate_path().display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { command } => import_command(command),
        Command::Export {
            command: ExportCommand::Bills { dir, period, out },
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let period = gascis_server::billing::run::Period::parse(&period)?.label();
            let started = std::time::Instant::now();
            let rows = commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(gascis_server::export::bills(
                    &mut connection,
                    &period,
                    &out,
                )?)
            })?;
            println!(
                "exported {rows} bills of {period} to {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            command: ExportCommand::Accounts { dir, out },
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let started = std::time::Instant::now();
            let rows = commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(gascis_server::export::accounts(&mut connection, &out)?)
            })?;
            println!(
                "exported {rows} accounts to {} in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command: KeysCommand::Rotate { dir },
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let started = std::time::Instant::now();
            let rotation = commands::rotate_keys(&dir)?;
            println!(
                "re-encrypted {} customer(s) with key {} in {:.1} s",
                rotation.values_reencrypted,
                rotation.new_key,
                started.elapsed().as_secs_f64()
            );
            println!(
                "old keys kept for restoring older backups: {}",
                rotation.retired_file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            data_dir,
            listen,
            customers,
        } => {
            let dir = DataDir::new(&data_dir)?;
            commands::prepare_demo(&dir, listen, customers)?;
            let ca = dir.ca_certificate_path();
            runtime()?.block_on(commands::serve(&dir, |address| {
                println!();
                println!("gascis demo company is running at https://{address}");
                println!("  server address: localhost:{}", address.port());
                println!("  CA certificate: {}", ca.display());
                println!("  users (password for all: {}):", commands::DEMO_PASSWORD);
                for (username, display_name, roles) in commands::DEMO_USERS {
                    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                    println!("    {username:<12} {display_name:<8} {}", roles.join(", "));
                }
                println!("  stop with Ctrl-C");
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tariff { command } => tariff_cli::run(command),
        Command::BillRun(args) => billing_cli::bill_run(args),
        Command::Ledger { command } => counter_cli::ledger(command),
        Command::Receipt { command } => counter_cli::receipt(command),
        Command::Jobs { command } => jobs_cli::jobs(command),
        Command::Invoice { command } => counter_cli::invoice(command),
    }
}

fn user_command(command: UserCommand) -> anyhow::Result<ExitCode> {
    use gascis_server::auth::users::{self, Actor};
    match command {
        UserCommand::Add {
            dir,
            username,
            roles,
            display_name,
            password_file,
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let roles = commands::parse_roles(&roles)?;
            let (password, generated) = password_or_generated(password_file.as_ref())?;
            let display_name = display_name.unwrap_or_else(|| username.clone());
            let user = commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(users::create(
                    &mut connection,
                    Actor::CONSOLE,
                    &username,
                    &display_name,
                    &roles,
                    &password,
                )?)
            })?;
            println!("added user {} ({})", user.username, user.roles.join(", "));
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
        UserCommand::Passwd {
            dir,
            username,
            password_file,
        } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let (password, generated) = password_or_generated(password_file.as_ref())?;
            commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(users::set_password(
                    &mut connection,
                    Actor::CONSOLE,
                    &username,
                    &password,
                )?)
            })?;
            println!("password of {username} changed; any lockout cleared");
            if generated {
                println!("password: {password}  (shown once)");
            }
        }
        UserCommand::Disable { dir, username } => set_disabled(&dir, &username, true)?,
        UserCommand::Enable { dir, username } => set_disabled(&dir, &username, false)?,
        UserCommand::List { dir } => {
            let dir = DataDir::new(&dir.data_dir)?;
            let list = commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(users::list(&mut connection)?)
            })?;
            println!("{:<16} {:<12} {:<10} roles", "user", "name", "state");
            let now = chrono::Utc::now();
            for user in list {
                let state = if user.disabled {
                    "disabled"
                } else if user.is_locked(now) {
                    "locked"
                } else {
                    "active"
                };
                println!(
                    "{:<16} {:<12} {:<10} {}",
                    user.username,
                    user.display_name,
                    state,
                    user.roles.join(",")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn set_disabled(dir: &DirArg, username: &str, disabled: bool) -> anyhow::Result<()> {
    use gascis_server::auth::users::{self, Actor};
    let dir = DataDir::new(&dir.data_dir)?;
    commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        users::set_disabled(&mut connection, Actor::CONSOLE, username, disabled)?;
        Ok(())
    })?;
    println!(
        "user {username} {}",
        if disabled {
            "disabled; sessions ended"
        } else {
            "enabled"
        }
    );
    Ok(())
}

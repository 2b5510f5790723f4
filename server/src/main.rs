//! `gascis-server`: the command line for IT.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use gascis_server::{
    commands::{self, InitOptions},
    data_dir::DataDir,
    db,
};

mod billing_cli;
mod tariff_cli;

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
struct DirArg {
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

#[derive(clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    dir: DirArg,
    /// The spreadsheet.
    file: PathBuf,
    /// Sheet name (default: the first sheet).
    #[arg(long)]
    sheet: Option<String>,
    /// TOML file mapping field keys to column headers, e.g. `meter_no = "燃气表编号"`.
    #[arg(long, value_name = "FILE", conflicts_with = "mapping_name")]
    mapping: Option<PathBuf>,
    /// A mapping saved by name (in the client or with --save-mapping).
    #[arg(long, value_name = "NAME")]
    mapping_name: Option<String>,
    /// Save the mapping of --mapping under this name for later imports.
    #[arg(long, value_name = "NAME", requires = "mapping")]
    save_mapping: Option<String>,
    /// Existing rows that differ from the file: update, skip or fail.
    #[arg(
        long = "on-existing",
        visible_alias = "policy",
        value_name = "POLICY",
        default_value = "update"
    )]
    on_existing: String,
    /// Validate and count without writing anything.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid rows even when some rows are invalid.
    #[arg(long)]
    partial: bool,
    /// Where to write the rejected rows (default: FILE with "-错误行.xlsx").
    #[arg(long = "report", visible_alias = "errors", value_name = "ERRORS.xlsx")]
    report: Option<PathBuf>,
    /// Print the summary as one JSON object (rows_read, rows_new, …,
    /// balance_sum_file, balance_sum_db, arrears_sum_file, arrears_sum_db).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import an accounts ledger (customer, premise, account, meter, opening balances).
    Accounts(ImportArgs),
    /// Import a meter readings history.
    Readings(ImportArgs),
    /// Import a payments history.
    Payments(ImportArgs),
    /// Write an empty template with Chinese headers, examples and drop-downs.
    Template {
        /// accounts, readings or payments.
        kind: String,
        /// Where to write the .xlsx.
        out: PathBuf,
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

fn import_command(command: ImportCommand) -> anyhow::Result<ExitCode> {
    use gascis_common::import_fields::ImportKind;
    use gascis_server::import::{self, FileImport, Policy};
    match command {
        ImportCommand::Template { kind, out } => {
            let kind = match kind.as_str() {
                "accounts" => ImportKind::Accounts,
                "readings" => ImportKind::Readings,
                "payments" => ImportKind::Payments,
                other => {
                    anyhow::bail!("unknown import kind '{other}' (accounts, readings or payments)")
                }
            };
            import::template::write(&out, kind)
                .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", out.display()))?;
            println!("template written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        ImportCommand::Readings(args) => import_readings(args),
        ImportCommand::Payments(_) => anyhow::bail!(
            "payments history imports are not available yet: their target tables arrive with \
             the counter module (the template is available: \
             `gascis-server import template payments OUT.xlsx`)"
        ),
        ImportCommand::Accounts(ImportArgs {
            dir,
            file,
            sheet,
            mapping,
            mapping_name,
            save_mapping,
            on_existing: policy,
            dry_run,
            partial,
            report: errors,
            json,
        }) => {
            let dir = DataDir::new(&dir.data_dir)?;
            let policy: Policy = policy.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let mut mapping = match &mapping {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|error| {
                        anyhow::anyhow!("cannot read {}: {error}", path.display())
                    })?;
                    Some(
                        toml::from_str::<import::accounts::Mapping>(&text).map_err(|error| {
                            anyhow::anyhow!(
                                "{}: {}",
                                path.display(),
                                db::one_line(&error.to_string())
                            )
                        })?,
                    )
                }
                None => None,
            };
            let error_path = errors.unwrap_or_else(|| {
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                file.with_file_name(format!("{stem}-错误行.xlsx"))
            });
            if mapping_name.is_some() || save_mapping.is_some() {
                mapping = commands::with_database(&dir, |_, app_url, _| {
                    let mut connection = db::connect(app_url)?;
                    if let (Some(name), Some(fields)) = (&save_mapping, &mapping) {
                        import::mappings::save(
                            &mut connection,
                            "console",
                            name,
                            ImportKind::Accounts,
                            fields,
                        )?;
                        eprintln!("mapping saved as '{name}'");
                    }
                    match &mapping_name {
                        Some(name) => Ok(Some(
                            import::mappings::find(&mut connection, name)?.fields(),
                        )),
                        None => Ok(mapping.clone()),
                    }
                })?;
            }
            let keys = dir.pii_keys()?;
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(1);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:10} [{bar:40}] {pos}/{len} {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let show = |progress: import::Progress| {
                bar.set_message(match progress.phase {
                    import::Phase::Reading => "reading",
                    import::Phase::Validating => "validating",
                    import::Phase::Writing => "writing",
                    import::Phase::Merging => "merging",
                });
                bar.set_length(progress.total.max(1));
                bar.set_position(progress.done);
            };
            let outcome = commands::with_database(&dir, |_, app_url, _| {
                let mut connection = db::connect(app_url)?;
                Ok(import::import_accounts_file(
                    &mut connection,
                    &keys,
                    &gascis_server::archive::Actor {
                        user_id: None,
                        username: "console".to_owned(),
                    },
                    &FileImport {
                        path: &file,
                        sheet: sheet.as_deref(),
                        mapping: mapping.as_ref(),
                        policy,
                        dry_run,
                        partial,
                        limits: Default::default(),
                        error_file: Some(&error_path),
                        progress: Some(&show),
                        cancel: None,
                    },
                ))
            })?;
            bar.finish_and_clear();
            let (report, prepared) = match outcome {
                Ok(done) => done,
                Err(import::FileImportError::Import(import::accounts::ImportError::Invalid {
                    rows,
                    counts,
                    errors,
                })) if json => {
                    println!(
                        "{}",
                        serde_json::json!({
                            "refused": true,
                            "dry_run": dry_run,
                            "reason": format!("{rows} row(s) are invalid; nothing was imported"),
                            "rows_read": counts.read,
                            "rows_new": 0,
                            "rows_updated": 0,
                            "rows_unchanged": 0,
                            "rows_skipped": 0,
                            "rows_invalid": counts.invalid,
                            "problems": errors.len(),
                            "report": error_path.exists().then(|| error_path.display().to_string()),
                        })
                    );
                    return Ok(ExitCode::FAILURE);
                }
                Err(error) => {
                    if error_path.exists() {
                        eprintln!("rejected rows written to {}", error_path.display());
                    }
                    return Err(error.into());
                }
            };
            if json {
                let c = &report.certificate;
                // Sums are decimal strings: exact to the fen, never floats.
                println!(
                    "{}",
                    serde_json::json!({
                        "refused": false,
                        "dry_run": report.dry_run,
                        "import_id": (!report.dry_run).then_some(c.import_id),
                        "sheet": prepared.sheet,
                        "header_row": prepared.header_row,
                        "rows_read": c.counts.read,
                        "rows_new": c.counts.new,
                        "rows_updated": c.counts.updated,
                        "rows_unchanged": c.counts.unchanged,
                        "rows_skipped": c.counts.skipped,
                        "rows_invalid": c.counts.invalid,
                        "problems": report.errors.len(),
                        "balance_sum_file": c.file_balance.to_string(),
                        "balance_sum_db": (!report.dry_run).then(|| c.db_balance.to_string()),
                        "arrears_sum_file": c.file_arrears.to_string(),
                        "arrears_sum_db": (!report.dry_run).then(|| c.db_arrears.to_string()),
                        "balanced": (!report.dry_run).then(|| c.balanced()),
                        "report": (!report.errors.is_empty()).then(|| error_path.display().to_string()),
                        "seconds": started.elapsed().as_secs_f64(),
                    })
                );
                return Ok(if report.dry_run || c.balanced() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            let c = &report.certificate;
            println!(
                "{} sheet '{}' (header on row {}) in {:.1} s",
                if report.dry_run {
                    "dry run of"
                } else {
                    "imported"
                },
                prepared.sheet,
                prepared.header_row,
                started.elapsed().as_secs_f64()
            );
            println!(
                "rows read {}: new {}, updated {}, unchanged {}, skipped {}, invalid {}",
                c.counts.read,
                c.counts.new,
                c.counts.updated,
                c.counts.unchanged,
                c.counts.skipped,
                c.counts.invalid
            );
            for error in report.errors.iter().take(20) {
                println!(
                    "  row {} {}: '{}' {}",
                    error.row, error.field, error.value, error.reason
                );
            }
            if report.errors.len() > 20 {
                println!("  … {} more", report.errors.len() - 20);
            }
            if !report.errors.is_empty() {
                println!("rejected rows written to {}", error_path.display());
            }
            if report.dry_run {
                println!("nothing was written (dry run)");
                return Ok(ExitCode::SUCCESS);
            }
            println!("reconciliation certificate of import #{}:", c.import_id);
            println!(
                "  balance (预存款): file {}  database {}",
                c.file_balance, c.db_balance
            );
            println!(
                "  arrears (欠费):   file {}  database {}",
                c.file_arrears, c.db_arrears
            );
            println!(
                "  {}",
                if c.balanced() {
                    "balanced to the fen"
                } else {
                    "NOT BALANCED"
                }
            );
            Ok(if c.balanced() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// `import readings`: a meter-readings history.
fn import_readings(args: ImportArgs) -> anyhow::Result<ExitCode> {
    use gascis_common::import_fields::ImportKind;
    use gascis_server::import::{self, FileImport, Policy};
    let ImportArgs {
        dir,
        file,
        sheet,
        mapping,
        mapping_name,
        save_mapping,
        on_existing: _,
        dry_run,
        partial,
        report: errors,
        json,
    } = args;
    let dir = DataDir::new(&dir.data_dir)?;
    let mut mapping = match &mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
            Some(
                toml::from_str::<import::accounts::Mapping>(&text).map_err(|error| {
                    anyhow::anyhow!("{}: {}", path.display(), db::one_line(&error.to_string()))
                })?,
            )
        }
        None => None,
    };
    let error_path = errors.unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        file.with_file_name(format!("{stem}-错误行.xlsx"))
    });
    if mapping_name.is_some() || save_mapping.is_some() {
        mapping = commands::with_database(&dir, |_, app_url, _| {
            let mut connection = db::connect(app_url)?;
            if let (Some(name), Some(fields)) = (&save_mapping, &mapping) {
                import::mappings::save(
                    &mut connection,
                    "console",
                    name,
                    ImportKind::Readings,
                    fields,
                )?;
                eprintln!("mapping saved as '{name}'");
            }
            match &mapping_name {
                Some(name) => Ok(Some(
                    import::mappings::find(&mut connection, name)?.fields(),
                )),
                None => Ok(mapping.clone()),
            }
        })?;
    }
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let show = |progress: import::Progress| {
        bar.set_message(match progress.phase {
            import::Phase::Reading => "reading",
            import::Phase::Validating => "validating",
            import::Phase::Writing => "writing",
            import::Phase::Merging => "merging",
        });
        bar.set_length(progress.total.max(1));
        bar.set_position(progress.done);
    };
    let outcome = commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(import::import_readings_file(
            &mut connection,
            &gascis_server::archive::Actor {
                user_id: None,
                username: "console".to_owned(),
            },
            &FileImport {
                path: &file,
                sheet: sheet.as_deref(),
                mapping: mapping.as_ref(),
                policy: Policy::Fail,
                dry_run,
                partial,
                limits: Default::default(),
                error_file: Some(&error_path),
                progress: Some(&show),
                cancel: None,
            },
        ))
    })?;
    bar.finish_and_clear();
    let (report, prepared) = match outcome {
        Ok(done) => done,
        Err(import::FileImportError::Import(import::accounts::ImportError::Invalid {
            rows,
            counts,
            errors,
        })) if json => {
            println!(
                "{}",
                serde_json::json!({
                    "refused": true,
                    "dry_run": dry_run,
                    "reason": format!("{rows} row(s) are invalid; nothing was imported"),
                    "rows_read": counts.read,
                    "rows_new": 0,
                    "rows_unchanged": 0,
                    "rows_invalid": counts.invalid,
                    "problems": errors.len(),
                    "report": error_path.exists().then(|| error_path.display().to_string()),
                })
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => {
            if error_path.exists() {
                eprintln!("rejected rows written to {}", error_path.display());
            }
            return Err(error.into());
        }
    };
    let c = &report.certificate;
    // m³ to the litre, as the readings are kept.
    let m3 = |value: rust_decimal::Decimal| {
        let mut value = value;
        value.rescale(3);
        value.to_string()
    };
    if json {
        // Sums are decimal strings: exact to the litre, never floats.
        println!(
            "{}",
            serde_json::json!({
                "refused": false,
                "dry_run": report.dry_run,
                "import_id": (!report.dry_run).then_some(c.import_id),
                "sheet": prepared.sheet,
                "header_row": prepared.header_row,
                "rows_read": c.counts.read,
                "rows_new": c.counts.new,
                "rows_unchanged": c.counts.unchanged,
                "rows_invalid": c.counts.invalid,
                "problems": report.errors.len(),
                "consumption_sum_file": m3(c.consumption_file),
                "consumption_sum_db": (!report.dry_run).then(|| m3(c.consumption_db)),
                "balanced": (!report.dry_run).then(|| c.balanced()),
                "report": (!report.errors.is_empty()).then(|| error_path.display().to_string()),
                "seconds": started.elapsed().as_secs_f64(),
            })
        );
        return Ok(if report.dry_run || c.balanced() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!(
        "{} sheet '{}' (header on row {}) in {:.1} s",
        if report.dry_run {
            "dry run of"
        } else {
            "imported"
        },
        prepared.sheet,
        prepared.header_row,
        started.elapsed().as_secs_f64()
    );
    println!(
        "rows read {}: new {}, unchanged {}, invalid {}",
        c.counts.read, c.counts.new, c.counts.unchanged, c.counts.invalid
    );
    for error in report.errors.iter().take(20) {
        println!(
            "  row {} {}: '{}' {}",
            error.row, error.field, error.value, error.reason
        );
    }
    if report.errors.len() > 20 {
        println!("  … {} more", report.errors.len() - 20);
    }
    if !report.errors.is_empty() {
        println!("rejected rows written to {}", error_path.display());
    }
    if report.dry_run {
        println!(
            "consumption of the new rows: {} m³; nothing was written (dry run)",
            m3(c.consumption_file)
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("reconciliation certificate of import #{}:", c.import_id);
    println!(
        "  consumption (用气量): file {} m³  database {} m³  {}",
        m3(c.consumption_file),
        m3(c.consumption_db),
        if c.balanced() {
            "balanced"
        } else {
            "NOT BALANCED"
        }
    );
    Ok(if c.balanced() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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

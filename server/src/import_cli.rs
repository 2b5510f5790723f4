//! `gascis-server import …`: legacy ledgers (accounts, readings, payments) from Excel
//! files, with a progress bar, the reconciliation certificate and `--json`.

use std::{path::PathBuf, process::ExitCode};

use clap::Subcommand;
use gascis_server::{commands, data_dir::DataDir, db};

use crate::DirArg;

#[derive(clap::Args)]
pub(crate) struct ImportArgs {
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
    /// balance_sum_file, balance_sum_db, arrears_sum_file, arrears_sum_db;
    /// with --chunk-rows also chunks and resumed_from_row, for readings
    /// resumed_after_accounts).
    #[arg(long)]
    json: bool,
    /// Commit the valid rows in chunks of N, each with its recorded
    /// position (readings: whole accounts, at least N rows per chunk). A run
    /// that stopped (crash, kill, cancel) is resumed automatically after its
    /// last committed row (readings: account) by importing the same file
    /// again with --chunk-rows.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    chunk_rows: Option<u32>,
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
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

pub(crate) fn import_command(command: ImportCommand) -> anyhow::Result<ExitCode> {
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
        ImportCommand::Payments(args) => import_payments(args),
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
            chunk_rows,
        }) => {
            let dir = DataDir::new(&dir.data_dir)?;
            let policy: Policy = policy.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let mapping = resolve_mapping(
                &dir,
                ImportKind::Accounts,
                mapping.as_deref(),
                mapping_name.as_deref(),
                save_mapping.as_deref(),
            )?;
            let error_path = error_file_path(&file, errors);
            let keys = dir.pii_keys()?;
            let started = std::time::Instant::now();
            let bar = progress_bar(json);
            let show = |progress: import::Progress| {
                show_progress(&bar, progress);
                show_chunk(&bar, chunk_rows.is_some() && !dry_run, progress);
            };
            let (cancel, _signals) = cancel_on_ctrl_c(chunk_rows.is_some() && !dry_run)?;
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
                        cancel: Some(&cancel),
                        chunk_rows,
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
                show_chunks(
                    report.chunks.as_ref(),
                    report.certificate.import_id,
                    true,
                    false,
                );
            }
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
                        "chunks": report.chunks.as_ref().map(|k| k.committed),
                        "chunks_now": report.chunks.as_ref().map(|k| k.committed_now),
                        "chunk_rows": report.chunks.as_ref().map(|k| k.chunk_rows),
                        "resumed_from_row": report.chunks.as_ref().and_then(|k| k.resumed_from_row),
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
            print_heading(
                report.dry_run,
                &prepared.sheet,
                prepared.header_row,
                started,
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
            print_problems(&report.errors, &error_path);
            if report.dry_run {
                println!("nothing was written (dry run)");
                return Ok(ExitCode::SUCCESS);
            }
            show_chunks(report.chunks.as_ref(), c.import_id, false, false);
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

/// What `import readings` and `import payments` print from once their
/// import has run.
struct HistoryRun<R, P> {
    report: R,
    prepared: P,
    error_path: PathBuf,
    started: std::time::Instant,
    json: bool,
}

/// What the history imports' commands share: the mapping, the progress bar,
/// the import in the database, and a refusal or failure said the same way
/// (`Err` with the exit code once it has been said).
fn run_history_import<R, P>(
    args: ImportArgs,
    kind: gascis_common::import_fields::ImportKind,
    import_file: impl FnOnce(
        &mut diesel::PgConnection,
        &gascis_server::archive::Actor,
        &gascis_server::import::FileImport<'_>,
    ) -> Result<(R, P), gascis_server::import::FileImportError>,
) -> anyhow::Result<Result<HistoryRun<R, P>, ExitCode>> {
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
        chunk_rows,
    } = args;
    let dir = DataDir::new(&dir.data_dir)?;
    let mapping = resolve_mapping(
        &dir,
        kind,
        mapping.as_deref(),
        mapping_name.as_deref(),
        save_mapping.as_deref(),
    )?;
    let error_path = error_file_path(&file, errors);
    let started = std::time::Instant::now();
    let bar = progress_bar(json);
    let show = |progress: import::Progress| {
        show_progress(&bar, progress);
        show_chunk(&bar, chunk_rows.is_some() && !dry_run, progress);
    };
    let (cancel, _signals) = cancel_on_ctrl_c(chunk_rows.is_some() && !dry_run)?;
    let outcome = commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(import_file(
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
                cancel: Some(&cancel),
                chunk_rows,
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
            return Ok(Err(ExitCode::FAILURE));
        }
        Err(error) => {
            if error_path.exists() {
                eprintln!("rejected rows written to {}", error_path.display());
            }
            return Err(error.into());
        }
    };
    Ok(Ok(HistoryRun {
        report,
        prepared,
        error_path,
        started,
        json,
    }))
}

/// `import readings`: a meter-readings history.
fn import_readings(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let HistoryRun {
        report,
        prepared,
        error_path,
        started,
        json,
    } = match run_history_import(
        args,
        gascis_common::import_fields::ImportKind::Readings,
        gascis_server::import::import_readings_file,
    )? {
        Ok(run) => run,
        Err(code) => return Ok(code),
    };
    let c = &report.certificate;
    // m³ to the litre, as the readings are kept.
    let m3 = |value: rust_decimal::Decimal| {
        let mut value = value;
        value.rescale(3);
        value.to_string()
    };
    if json {
        show_chunks(report.chunks.as_ref(), c.import_id, true, true);
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
                "chunks": report.chunks.as_ref().map(|k| k.committed),
                "chunks_now": report.chunks.as_ref().map(|k| k.committed_now),
                "chunk_rows": report.chunks.as_ref().map(|k| k.chunk_rows),
                "resumed_after_accounts": report.chunks.as_ref().and_then(|k| k.resumed_after_accounts),
                "seconds": started.elapsed().as_secs_f64(),
            })
        );
        return Ok(if report.dry_run || c.balanced() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    print_heading(
        report.dry_run,
        &prepared.sheet,
        prepared.header_row,
        started,
    );
    println!(
        "rows read {}: new {}, unchanged {}, invalid {}",
        c.counts.read, c.counts.new, c.counts.unchanged, c.counts.invalid
    );
    print_problems(&report.errors, &error_path);
    if report.dry_run {
        println!(
            "consumption of the new rows: {} m³; nothing was written (dry run)",
            m3(c.consumption_file)
        );
        return Ok(ExitCode::SUCCESS);
    }
    show_chunks(report.chunks.as_ref(), c.import_id, false, true);
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

/// `import payments`: a payments history, kept as history (no ledger
/// posting; the accounts' opening balances already hold it).
fn import_payments(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let HistoryRun {
        report,
        prepared,
        error_path,
        started,
        json,
    } = match run_history_import(
        args,
        gascis_common::import_fields::ImportKind::Payments,
        gascis_server::import::import_payments_file,
    )? {
        Ok(run) => run,
        Err(code) => return Ok(code),
    };
    let c = &report.certificate;
    if json {
        show_chunks(report.chunks.as_ref(), c.import_id, true, false);
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
                "rows_unchanged": c.counts.unchanged,
                "rows_invalid": c.counts.invalid,
                "problems": report.errors.len(),
                "amount_sum_file": c.amount_file.to_string(),
                "amount_sum_db": (!report.dry_run).then(|| c.amount_db.to_string()),
                "balanced": (!report.dry_run).then(|| c.balanced()),
                "report": (!report.errors.is_empty()).then(|| error_path.display().to_string()),
                "chunks": report.chunks.as_ref().map(|k| k.committed),
                "chunks_now": report.chunks.as_ref().map(|k| k.committed_now),
                "chunk_rows": report.chunks.as_ref().map(|k| k.chunk_rows),
                "resumed_from_row": report.chunks.as_ref().and_then(|k| k.resumed_from_row),
                "seconds": started.elapsed().as_secs_f64(),
            })
        );
        return Ok(if report.dry_run || c.balanced() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    print_heading(
        report.dry_run,
        &prepared.sheet,
        prepared.header_row,
        started,
    );
    println!(
        "rows read {}: new {}, unchanged {}, invalid {}",
        c.counts.read, c.counts.new, c.counts.unchanged, c.counts.invalid
    );
    print_problems(&report.errors, &error_path);
    if report.dry_run {
        println!(
            "amount of the new rows: {} CNY; nothing was written (dry run)",
            c.amount_file
        );
        return Ok(ExitCode::SUCCESS);
    }
    show_chunks(report.chunks.as_ref(), c.import_id, false, false);
    println!("reconciliation certificate of import #{}:", c.import_id);
    println!(
        "  amount (实收金额): file {}  database {}  {}",
        c.amount_file,
        c.amount_db,
        if c.balanced() {
            "balanced to the fen"
        } else {
            "NOT BALANCED"
        }
    );
    println!("  kept as history: balances and the ledger are unchanged");
    Ok(if c.balanced() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The column mapping of an import: a TOML file (`--mapping`), or one saved
/// by name (`--mapping-name`); `--save-mapping` keeps the file's mapping
/// under a name first.
fn resolve_mapping(
    dir: &DataDir,
    kind: gascis_common::import_fields::ImportKind,
    file: Option<&std::path::Path>,
    name: Option<&str>,
    save: Option<&str>,
) -> anyhow::Result<Option<gascis_server::import::accounts::Mapping>> {
    use gascis_server::import;
    let mapping = match file {
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
    if name.is_none() && save.is_none() {
        return Ok(mapping);
    }
    commands::with_database(dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        if let (Some(name), Some(fields)) = (save, &mapping) {
            import::mappings::save(&mut connection, "console", name, kind, fields)?;
            eprintln!("mapping saved as '{name}'");
        }
        match name {
            Some(name) => Ok(Some(
                import::mappings::find(&mut connection, name)?.fields(),
            )),
            None => Ok(mapping.clone()),
        }
    })
}

/// Where the rejected rows go: `--report`, or FILE with "-错误行.xlsx".
fn error_file_path(file: &std::path::Path, report: Option<PathBuf>) -> PathBuf {
    report.unwrap_or_else(|| {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        file.with_file_name(format!("{stem}-错误行.xlsx"))
    })
}

/// The cancel flag of an import. In chunked mode Ctrl-C sets it: the chunk
/// in progress rolls back, the committed chunks stay and the error says how
/// to resume; a second Ctrl-C stops at once (PostgreSQL still rolls the
/// open chunk back). Otherwise Ctrl-C ends the process as always, which
/// rolls the single transaction back. The runtime that listens must be
/// kept until the import ends.
fn cancel_on_ctrl_c(
    chunked: bool,
) -> anyhow::Result<(
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    Option<tokio::runtime::Runtime>,
)> {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if !chunked {
        return Ok((flag, None));
    }
    use tokio::signal::unix::{SignalKind, signal};
    let runtime = crate::runtime()?;
    // Registered now, before the import starts, not when the task first runs.
    let mut interrupts = {
        let _context = runtime.enter();
        signal(SignalKind::interrupt())?
    };
    let set = std::sync::Arc::clone(&flag);
    runtime.spawn(async move {
        if interrupts.recv().await.is_none() {
            return;
        }
        set.store(true, std::sync::atomic::Ordering::Relaxed);
        eprintln!("cancelling: the chunk in progress rolls back (Ctrl-C again to stop at once)");
        if interrupts.recv().await.is_some() {
            std::process::exit(130);
        }
    });
    Ok((flag, Some(runtime)))
}

/// Each chunk's commit of a chunked import on its own line: a long import
/// shows (and a log keeps) how far it got for sure.
fn show_chunk(
    bar: &indicatif::ProgressBar,
    chunked: bool,
    progress: gascis_server::import::Progress,
) {
    if chunked && progress.phase == gascis_server::import::Phase::Writing && progress.done > 0 {
        bar.suspend(|| {
            eprintln!(
                "committed {} of {} valid rows",
                progress.done, progress.total
            )
        });
    }
}

/// What a chunked import says about its chunks, for the human summary and
/// (on stderr, beside the JSON) the resume.
fn show_chunks(
    chunks: Option<&gascis_server::import::Chunks>,
    import_id: i64,
    json: bool,
    by_account: bool,
) {
    let Some(chunks) = chunks else {
        return;
    };
    let resumed_after = match (chunks.resumed_from_row, chunks.resumed_after_accounts) {
        (Some(row), _) => Some(format!("row {row}")),
        (None, Some(accounts)) => Some(format!("the readings of its first {accounts} account(s)")),
        (None, None) => None,
    };
    if let Some(after) = resumed_after {
        let line = format!(
            "resumed import #{import_id} after {after}: {} earlier chunk(s) were kept, not written again",
            chunks.committed - chunks.committed_now
        );
        if json {
            // stdout holds one JSON object.
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    if !json {
        println!(
            "committed in {} chunk(s) of {} {} rows ({} in this run)",
            chunks.committed,
            // Readings cut chunks between accounts only.
            if by_account { "at least" } else { "up to" },
            chunks.chunk_rows,
            chunks.committed_now
        );
    }
}

/// A progress bar on stderr; hidden with `--json`, whose output is one object.
fn progress_bar(json: bool) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

fn show_progress(bar: &indicatif::ProgressBar, progress: gascis_server::import::Progress) {
    use gascis_server::import::Phase;
    bar.set_message(match progress.phase {
        Phase::Reading => "reading",
        Phase::Validating => "validating",
        Phase::Writing => "writing",
        Phase::Merging => "merging",
    });
    bar.set_length(progress.total.max(1));
    bar.set_position(progress.done);
}

/// The first line of an import's summary: what was done to which sheet.
fn print_heading(dry_run: bool, sheet: &str, header_row: u32, started: std::time::Instant) {
    println!(
        "{} sheet '{sheet}' (header on row {header_row}) in {:.1} s",
        if dry_run { "dry run of" } else { "imported" },
        started.elapsed().as_secs_f64()
    );
}

/// The first 20 rejected rows, and where all of them were written.
fn print_problems(errors: &[gascis_server::import::RowError], error_path: &std::path::Path) {
    for error in errors.iter().take(20) {
        println!(
            "  row {} {}: '{}' {}",
            error.row, error.field, error.value, error.reason
        );
    }
    if errors.len() > 20 {
        println!("  … {} more", errors.len() - 20);
    }
    if !errors.is_empty() {
        println!("rejected rows written to {}", error_path.display());
    }
}

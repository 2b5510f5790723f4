//! Benchmark: importing a 1M-row legacy ledger, beside two baselines run
//! on the same file in the same script:
//!   (a) a bare calamine parse of the sheet,
//!   (b) COPY of the same rows (already cleaned) into the same tables the
//!       import fills, with their keys, indexes and triggers,
//!   (c) the gascis import (parse, clean, validate, COPY, merge);
//! then the accounts export beside a bare rust_xlsxwriter constant-memory
//! loop writing the same cells (read into memory first, untimed).
//! Each runs in its own child process so its peak memory (VmHWM) is its own.
//!
//!     cargo run --release -p gascis-testkit --example import_bench [-- [--export-only] RECORDS]
//!
//! The default, 940,000 records, makes a sheet of about 1.04M rows with the
//! ledger's blank lines, title and header: Excel's limit is 1,048,576. A
//! default run then tops the database up to 1,000,000 accounts, untimed,
//! so that the export writes 1M rows.

use std::{path::Path, process::Command, time::Instant};

use gascis_server::{
    archive::Actor,
    import::{self, FileImport, Policy, source},
    pii::PiiKeys,
};
use gascis_testkit::{
    TestDb,
    ledger_fixtures::{self, LedgerSpec},
};

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs one mode in this process and prints "rows seconds peak_mb".
fn child(mode: &str, file: &Path, url: &str) -> anyhow::Result<()> {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
    let started = Instant::now();
    let rows = match mode {
        "parse" => {
            use calamine::Reader;
            let mut workbook = calamine::open_workbook_auto(file)?;
            let name = workbook.sheet_names().first().cloned().unwrap_or_default();
            let range = workbook.worksheet_range(&name)?;
            range
                .rows()
                .filter(|r| r.iter().any(|c| *c != calamine::Data::Empty))
                .count()
        }
        "copy" | "import" => {
            let keys = PiiKeys::generate();
            let mut connection = gascis_server::db::connect(url)?;
            if mode == "copy" {
                // The rows already parsed and cleaned: only the COPY is timed.
                let sheet = source::read_sheet(file, None, &source::Limits::default())?;
                let prepared =
                    import::accounts::prepare(sheet, None, gascis_server::archive::today(), None)?;
                let started = Instant::now();
                let copied = import::accounts::copy_only(&mut connection, &keys, &prepared)?;
                println!(
                    "{copied} {:.3} {:.1}",
                    started.elapsed().as_secs_f64(),
                    peak_rss_mb()
                );
                return Ok(());
            }
            let (report, _) = import::import_accounts_file(
                &mut connection,
                &keys,
                &Actor {
                    user_id: None,
                    username: "bench".to_owned(),
                },
                &FileImport {
                    path: file,
                    sheet: None,
                    mapping: None,
                    policy: Policy::Update,
                    dry_run: false,
                    partial: true,
                    limits: source::Limits::default(),
                    error_file: None,
                    progress: None,
                    cancel: None,
                    chunk_rows: None,
                },
            )?;
            report.certificate.counts.read as usize
        }
        "export" => {
            let mut connection = gascis_server::db::connect(url)?;
            let out = file.with_extension("export.xlsx");
            gascis_server::export::accounts(&mut connection, &out)? as usize
        }
        "export-baseline" => {
            // A bare constant-memory loop writing the very cells the export
            // writes (read into memory first, untimed), with no database.
            let mut connection = gascis_server::db::connect(url)?;
            let cells = gascis_server::export::account_cells(&mut connection)?;
            drop(connection);
            let started = Instant::now();
            let out = file.with_extension("baseline.xlsx");
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            for (column, header) in gascis_server::export::ACCOUNT_HEADERS.iter().enumerate() {
                sheet.write_string(0, column as u16, *header)?;
            }
            for (row, values) in cells.iter().enumerate() {
                for (column, value) in values.iter().enumerate() {
                    sheet.write_string(row as u32 + 1, column as u16, value)?;
                }
            }
            workbook.save(&out)?;
            // Its own clock: loading the cells is not part of the loop.
            println!(
                "{} {:.3} {:.1}",
                cells.len(),
                started.elapsed().as_secs_f64(),
                peak_rss_mb()
            );
            return Ok(());
        }
        other => anyhow::bail!("unknown mode {other}"),
    };
    println!(
        "{rows} {:.3} {:.1}",
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    Ok(())
}

fn account_count(db: &TestDb) -> anyhow::Result<u64> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count =
        diesel::sql_query("SELECT count(*) AS n FROM accounts").get_result(&mut db.app()?)?;
    Ok(count.n.try_into()?)
}

/// Imports a clean ledger of new accounts until the database holds
/// `accounts` of them (untimed: it only sizes the export).
fn top_up(db: &TestDb, file: &Path, accounts: u64) -> anyhow::Result<()> {
    let have = account_count(db)?;
    if have >= accounts {
        return Ok(());
    }
    let need = usize::try_from(accounts - have)?;
    let spec = LedgerSpec {
        // A few more, in case a generated name or number repeats one the
        // first ledger holds and is refused.
        rows: need + need / 100 + 10,
        seed: 2,
        bad_every: 0,
        first_account_no: 5_000_001,
        ..LedgerSpec::benchmark(0)
    };
    ledger_fixtures::messy_accounts_ledger(file, &spec)?;
    run_child("(top-up import)", "import", file, db)?;
    println!(
        "(export: the database topped up from {have} to {} accounts with a clean ledger of {} records)",
        account_count(db)?,
        spec.rows
    );
    Ok(())
}

const EXPORT_RUNS: usize = 3;

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Runs one mode in a child process against `db`, prints its line under
/// `label` and returns (rows/s, peak MB).
fn run_child(label: &str, mode: &str, file: &Path, db: &TestDb) -> anyhow::Result<(f64, f64)> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--child", mode, &file.display().to_string(), &db.app_url]);
    // With RUST_LOG the children's logs (the import's step timings) go
    // straight to the terminal.
    if std::env::var_os("RUST_LOG").is_some() {
        command.stderr(std::process::Stdio::inherit());
    }
    let output = command.output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "{mode}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [count, seconds, peak] = fields[..] else {
        anyhow::bail!("{mode}: unexpected output {text:?}");
    };
    println!(
        "{label:<16} {count:>9} rows in {seconds:>7.2} s = {:>9.0} rows/s, peak {peak:>7.1} MB",
        count / seconds
    );
    Ok((count / seconds, peak))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        return child(&args[2], Path::new(&args[3]), &args[4]);
    }
    // `--generate FILE ROWS` only writes the ledger, to try the CLI on it.
    if args.get(1).map(String::as_str) == Some("--generate") {
        let rows = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(10_000);
        let expected = ledger_fixtures::messy_accounts_ledger(
            Path::new(&args[2]),
            &LedgerSpec::benchmark(rows),
        )?;
        println!("{} rows, {} valid", expected.rows, expected.valid);
        return Ok(());
    }
    // `--export-only [RECORDS]` skips the parse and COPY baselines.
    let export_only = args.get(1).map(String::as_str) == Some("--export-only");
    let records_arg = args.get(if export_only { 2 } else { 1 });
    let rows: usize = records_arg.and_then(|n| n.parse().ok()).unwrap_or(940_000);
    let work = tempfile::tempdir()?;
    let file = work.path().join("ledger.xlsx");
    let started = Instant::now();
    let expected = ledger_fixtures::messy_accounts_ledger(&file, &LedgerSpec::benchmark(rows))?;
    let size_mb = std::fs::metadata(&file)?.len() as f64 / 1024.0 / 1024.0;
    println!(
        "ledger: {} rows ({} valid) × {} columns, {size_mb:.1} MB, generated in {:.0} s",
        expected.rows,
        expected.valid,
        expected.width,
        started.elapsed().as_secs_f64()
    );
    let import_db = TestDb::new()?;
    if let Some(ms) = std::env::var("EXPLAIN_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        import_db.explain_slow_statements(ms)?;
    }
    let mut import_results = Vec::new();
    let import_modes: &[&str] = if export_only {
        &["import"]
    } else {
        &["parse", "copy", "import"]
    };
    for mode in import_modes {
        // A fresh database for parse and copy; the export reads what the
        // import wrote.
        let db = if *mode == "import" {
            import_db.clone()
        } else {
            TestDb::new()?
        };
        import_results.push(run_child(mode, mode, &file, &db)?);
    }
    // The issue asks for an export of 1M rows; the ledger holds fewer valid
    // accounts (Excel's row limit), so a default run tops the database up
    // with a second, clean ledger before the export.
    if records_arg.is_none() {
        top_up(&import_db, &work.path().join("top-up.xlsx"), 1_000_000)?;
    }
    // Two processes share two cores and a few seconds each: the export and
    // its baseline take turns, three runs each, and the medians are compared.
    let mut export_runs = Vec::new();
    let mut baseline_runs = Vec::new();
    for _ in 0..EXPORT_RUNS {
        export_runs.push(run_child("export", "export", &file, &import_db)?);
        baseline_runs.push(run_child(
            "export-baseline",
            "export-baseline",
            &file,
            &import_db,
        )?);
    }
    if std::env::var_os("EXPLAIN_MS").is_some() {
        let log = gascis_testkit::cluster()?.root.join("postgresql.log");
        let copy = std::env::temp_dir().join("import_bench_plans.log");
        std::fs::copy(&log, &copy)?;
        eprintln!("plans: {}", copy.display());
    }
    let export_speed = median(export_runs.iter().map(|(speed, _)| *speed));
    let export_peak = export_runs
        .iter()
        .map(|(_, peak)| *peak)
        .fold(0.0, f64::max);
    let baseline_speed = median(baseline_runs.iter().map(|(speed, _)| *speed));
    println!(
        "export / bare rust_xlsxwriter (medians of {EXPORT_RUNS}) = {export_speed:.0} / {baseline_speed:.0} = {:.2} (goal ≥ 0.7); export peak {export_peak:.1} MB (goal ≤ 100 MB)",
        export_speed / baseline_speed
    );
    if let [
        (parse_speed, parse_peak),
        (copy_speed, _),
        (import_speed, import_peak),
    ] = import_results[..]
    {
        println!(
            "c / min(a, b) = {:.2} (goal ≥ 0.6); peak c / peak a = {:.2} (goal ≤ 1.5)",
            import_speed / parse_speed.min(copy_speed),
            import_peak / parse_peak
        );
    }
    Ok(())
}

//! `gascis-server bill-run`: bills a period from the command line, with a
//! progress bar; several processes started for the same period share one
//! run, and a run stopped half-way is resumed by starting it again.

use std::{path::PathBuf, process::ExitCode};

use gascis_server::{
    archive::Actor,
    billing::run::{self, Period, Scope},
    commands,
    data_dir::DataDir,
    db,
};

#[derive(clap::Args)]
pub struct BillRunArgs {
    /// The data dir (configuration, TLS material, PostgreSQL cluster).
    #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
    data_dir: PathBuf,
    /// The month to bill, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    period: String,
    /// Only accounts of this district.
    #[arg(long, conflicts_with = "route_book")]
    area: Option<String>,
    /// Only accounts of this route book (抄表册 code).
    #[arg(long)]
    route_book: Option<String>,
    /// Bill accounts without a reading this period on an estimate (the
    /// average of their last three valid periods).
    #[arg(long)]
    estimate: bool,
    /// Compute and summarise without writing anything.
    #[arg(long)]
    preview: bool,
    /// Workers in this process (each its own database connection).
    #[arg(long, default_value_t = 2)]
    workers: u32,
}

pub fn bill_run(args: BillRunArgs) -> anyhow::Result<ExitCode> {
    let dir = DataDir::new(&args.data_dir)?;
    let period = Period::parse(&args.period)?;
    let scope = match (&args.area, &args.route_book) {
        (Some(area), _) => Scope::Area(area.clone()),
        (_, Some(book)) => Scope::RouteBook(book.clone()),
        _ => Scope::All,
    };
    let actor = Actor {
        user_id: None,
        username: "console".to_owned(),
    };
    let started = std::time::Instant::now();
    commands::with_database(&dir, |config, app_url, _| {
        let settings = &config.billing;
        if args.preview {
            let mut connection = db::connect(app_url)?;
            let preview = run::preview(
                &mut connection,
                &actor,
                period,
                &scope,
                args.estimate,
                settings,
            )?;
            println!("preview of {} (nothing written):", period.label());
            print_summary(&preview.classes, &preview.skips);
            return Ok(ExitCode::SUCCESS);
        }
        let mut connection = db::connect(app_url)?;
        let billing_run = run::start(
            &mut connection,
            &actor,
            period,
            &scope,
            args.estimate,
            settings,
        )?;
        let bar = indicatif::ProgressBar::new(u64::try_from(billing_run.chunks).unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "billing {msg} [{bar:40}] {pos}/{len} chunks {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let host = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let mut handles = Vec::new();
            for worker in 0..args.workers.max(1) {
                let name = format!("{host}:{}:{worker}", std::process::id());
                let bar = &bar;
                let actor = &actor;
                handles.push(scope.spawn(move || -> anyhow::Result<u64> {
                    let mut connection = db::connect(app_url)?;
                    Ok(run::work(
                        &mut connection,
                        actor,
                        billing_run.id,
                        &name,
                        settings,
                        &|progress| {
                            bar.set_position(progress.chunks_done);
                            bar.set_message(format!("{} bills", progress.bills));
                        },
                    )?)
                }));
            }
            for handle in handles {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("a billing worker panicked"))??;
            }
            Ok(())
        })?;
        bar.finish_and_clear();
        let state = run::find(&mut connection, billing_run.id)?;
        let progress = run::progress(&mut connection, billing_run.id)?;
        println!(
            "billing run #{} of {}: {} ({} of {} chunks), {} bills, {} accounts not billed, {:.1} s",
            state.id,
            state.period,
            state.status,
            progress.chunks_done,
            progress.chunks,
            progress.bills,
            progress.skipped,
            started.elapsed().as_secs_f64()
        );
        print_summary(
            &run::summary(&mut connection, billing_run.id)?,
            &run::skip_reasons(&mut connection, billing_run.id)?,
        );
        Ok(if state.status == "done" {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}

fn print_summary(classes: &[run::ClassTotal], skips: &[(String, i64)]) {
    println!(
        "{:<16} {:>9} {:>16} {:>18}",
        "class", "bills", "volume m³", "amount CNY"
    );
    for class in classes {
        println!(
            "{:<16} {:>9} {:>16} {:>18}",
            class.customer_type, class.bills, class.volume, class.amount
        );
    }
    for (reason, count) in skips {
        println!("not billed: {count} — {reason}");
    }
}

#[derive(clap::Args)]
pub struct WhatIfArgs {
    /// The data dir (configuration, TLS material, PostgreSQL cluster).
    #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
    data_dir: PathBuf,
    /// The draft tariff, a TOML file (docs/tariff-format.md); its code names
    /// the tariff whose bills are re-priced.
    #[arg(long, value_name = "FILE.toml")]
    draft: PathBuf,
    /// First period, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    from: String,
    /// Last period, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    to: String,
    /// Also write one row per account to this .xlsx.
    #[arg(long, value_name = "FILE.xlsx")]
    out: Option<PathBuf>,
}

pub fn what_if(args: WhatIfArgs) -> anyhow::Result<ExitCode> {
    use gascis_server::billing::what_if;
    let text = std::fs::read_to_string(&args.draft)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.draft.display()))?;
    let draft = gascis_common::tariff::Tariff::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.draft.display()))?;
    let from = Period::parse(&args.from)?;
    let to = Period::parse(&args.to)?;
    let dir = DataDir::new(&args.data_dir)?;
    let report = commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(what_if::run(&mut connection, &draft, from, to)?)
    })?;
    println!(
        "{} bills of {} to {} under '{}': now {}, with the draft {} ({:+})",
        report.bills,
        from.label(),
        to.label(),
        draft.code,
        report.current,
        report.draft,
        report.draft - report.current
    );
    for (band, accounts) in &report.bands {
        println!("  {band:<16} {accounts:>9} accounts");
    }
    for (account, reason) in report.unpriced.iter().take(10) {
        println!("  not priced: {account}: {reason}");
    }
    if let Some(out) = &args.out {
        what_if::export(&report, out)?;
        println!("per-account impact written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `gascis-server ledger check`, `gascis-server receipt pdf` and
//! `gascis-server invoice pdf`: the counter's ledger and paper from the
//! command line.

use std::{path::PathBuf, process::ExitCode};

use gascis_server::{
    commands,
    counter::receipts::{self, Paper},
    data_dir::DataDir,
    db,
    ledger::check,
};

#[derive(clap::Subcommand)]
pub enum LedgerCommand {
    /// Verify every ledger invariant (entries balance, cached balances equal
    /// the sums, reversals mirror, no business key twice, payments posted
    /// once); exits 1 on any breach.
    Check {
        /// The data dir (configuration, TLS material, PostgreSQL cluster).
        #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
        data_dir: PathBuf,
        /// Print the findings as one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum ReceiptCommand {
    /// Render one receipt (payment, void or refund) to a PDF file; logged
    /// as a print, so every copy after the first says 重打.
    Pdf {
        /// The receipt number, e.g. R2026112500000042.
        receipt_no: String,
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The data dir (configuration, TLS material, PostgreSQL cluster).
        #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
        data_dir: PathBuf,
        /// Paper: roll80 (80 mm thermal roll) or a5.
        #[arg(long, default_value = "roll80", value_parser = ["roll80", "a5"])]
        paper: String,
    },
}

#[derive(clap::Subcommand)]
pub enum InvoiceCommand {
    /// Render one invoice (blue or red) to a PDF file.
    Pdf {
        /// The invoice number (发票号码) or our request number (FP…).
        invoice_no: String,
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The data dir (configuration, TLS material, PostgreSQL cluster).
        #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
        data_dir: PathBuf,
    },
}

pub fn ledger(command: LedgerCommand) -> anyhow::Result<ExitCode> {
    let LedgerCommand::Check { data_dir, json } = command;
    let dir = DataDir::new(&data_dir)?;
    let started = std::time::Instant::now();
    let findings = commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(check::run(&mut connection)?)
    })?;
    let breaches: i64 = findings.iter().map(|f| f.breaches).sum();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "passed": breaches == 0,
                "breaches": breaches,
                "checks": findings,
            })
        );
    } else {
        for finding in &findings {
            let verdict = if finding.passed() {
                "ok".to_owned()
            } else {
                format!("BREACHED ({})", finding.breaches)
            };
            println!(
                "{:<30} {verdict:<16} {}",
                finding.check, finding.description
            );
            for example in &finding.examples {
                println!("    {example}");
            }
        }
        println!(
            "{} check(s), {breaches} breach(es), {:.1} s",
            findings.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if breaches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn receipt(command: ReceiptCommand) -> anyhow::Result<ExitCode> {
    let ReceiptCommand::Pdf {
        receipt_no,
        out,
        data_dir,
        paper,
    } = command;
    let dir = DataDir::new(&data_dir)?;
    let paper = if paper == "a5" {
        Paper::A5
    } else {
        Paper::Roll80mm
    };
    let printed = commands::with_database(&dir, |config, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(receipts::print(
            &mut connection,
            &config.server.company_name,
            receipt_no.trim(),
            paper,
            "console",
            false,
        )?)
    })?;
    std::fs::write(&out, &printed.pdf)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", out.display()))?;
    println!(
        "receipt {} → {} ({} bytes{})",
        printed.receipt_no,
        out.display(),
        printed.pdf.len(),
        if printed.reprint { ", 重打" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn invoice(command: InvoiceCommand) -> anyhow::Result<ExitCode> {
    let InvoiceCommand::Pdf {
        invoice_no,
        out,
        data_dir,
    } = command;
    let dir = DataDir::new(&data_dir)?;
    let (name, pdf) = commands::with_database(&dir, |_, app_url, _| {
        let mut connection = db::connect(app_url)?;
        Ok(gascis_server::invoices::pdf(
            &mut connection,
            invoice_no.trim(),
        )?)
    })?;
    std::fs::write(&out, &pdf)
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", out.display()))?;
    println!("{name} → {} ({} bytes)", out.display(), pdf.len());
    Ok(ExitCode::SUCCESS)
}

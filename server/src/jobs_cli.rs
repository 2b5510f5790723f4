//! `gascis-server jobs run`: one round of the scheduled jobs by hand (IoT
//! charges and valves, bill notices), e.g. from cron when `serve` runs
//! them rarely, or to see at once what a round would send.

use std::{path::PathBuf, process::ExitCode};

use gascis_server::{
    archive, commands,
    data_dir::DataDir,
    db,
    jobs::{self, Devices},
};

#[derive(clap::Subcommand)]
pub enum JobsCommand {
    /// Run one round now with the devices `gascis.toml` names; waits for
    /// nothing and exits 2 when another server is running a round.
    Run {
        /// The data dir (configuration, TLS material, PostgreSQL cluster).
        #[arg(long, value_name = "DIR", env = "GASCIS_DATA_DIR")]
        data_dir: PathBuf,
    },
}

pub fn jobs(command: JobsCommand) -> anyhow::Result<ExitCode> {
    let JobsCommand::Run { data_dir } = command;
    let dir = DataDir::new(&data_dir)?;
    let keys = dir.pii_keys()?;
    let round = commands::with_database(&dir, |config, app_url, _| {
        let mut connection = db::connect(app_url)?;
        let mut devices = Devices::from_config(config);
        Ok(jobs::run_round(
            &mut connection,
            config,
            &keys,
            &mut devices,
            archive::today(),
        )?)
    })?;
    let Some(round) = round else {
        println!("another server is running the jobs right now; nothing done");
        return Ok(ExitCode::from(2));
    };
    println!("IoT readings charged: {}", round.iot_charged);
    match round.valves {
        Some(valves) => println!(
            "valves: {} closed, {} opened, {} failed, {} unknown",
            valves.closed, valves.opened, valves.failed, valves.unknown
        ),
        None => println!("valves: no gateway (jobs.iot_gateway = \"off\")"),
    }
    match (round.notices_queued, round.notices_sent) {
        (Some(queued), Some(sent)) => println!(
            "notices: {} new-bill and {} arrears queued; {} sent, {} failed, {} unknown, {} skipped (opted out)",
            queued.new_bills, queued.arrears, sent.sent, sent.failed, sent.unknown, sent.skipped
        ),
        (Some(queued), None) => println!(
            "notices: {} new-bill and {} arrears queued; another server is sending",
            queued.new_bills, queued.arrears
        ),
        _ => println!("notices: off (notices.sender = \"off\")"),
    }
    Ok(ExitCode::SUCCESS)
}

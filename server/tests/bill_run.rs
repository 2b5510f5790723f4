//! Billing runs as IT runs them: `gascis-server bill-run` processes against
//! a served data dir. One is killed with SIGKILL half-way; two more started
//! together finish the same run; every account is billed exactly once.

use std::{
    fs,
    net::TcpListener,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use diesel::{
    Connection, PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt,
};
use gascis_server::{archive::seed, billing::tariffs, commands, data_dir::DataDir};

const BIN: &str = env!("CARGO_BIN_EXE_gascis-server");

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let _ = self.0.wait();
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(connection: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(sql_query(sql).get_result::<Count>(connection)?.n)
}

fn bill_run(dir: &Path) -> anyhow::Result<Child> {
    Ok(Command::new(BIN)
        .args([
            "bill-run",
            "--period",
            "2024-01",
            "--workers",
            "1",
            "--data-dir",
        ])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?)
}

#[test]
fn a_killed_run_resumes_and_two_processes_share_it_billing_each_account_once() -> anyhow::Result<()>
{
    let work = tempfile::Builder::new().prefix("gascis-bill-").tempdir()?;
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o755))?;
    let dir = work.path().join("data");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let init = Command::new(BIN)
        .args([
            "init",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .output()?;
    anyhow::ensure!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    // Small chunks, so that a kill lands between many of them.
    let config = dir.join("gascis.toml");
    let mut text = fs::read_to_string(&config)?;
    text = text.replace("chunk_size = 2000", "chunk_size = 5");
    fs::write(&config, text)?;
    let _serving = Serving(
        Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let data_dir = DataDir::new(&dir)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !Command::new(BIN)
        .args(["status", "--data-dir"])
        .arg(&dir)
        .output()?
        .status
        .success()
    {
        anyhow::ensure!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The schema owner seeds (the application role may not set sequences).
    let owner_url =
        commands::with_database(
            &data_dir,
            |_, _, migration_url| Ok(migration_url.to_owned()),
        )?;
    let mut connection = PgConnection::establish(&owner_url)?;
    let keys = data_dir.pii_keys()?;
    seed::bulk_seed(&mut connection, &keys, 1, 1500)?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    sql_query("UPDATE accounts SET opened_on = '2023-12-01'").execute(&mut connection)?;
    sql_query("UPDATE meters SET installed_on = '2023-12-01'").execute(&mut connection)?;
    sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, \
            consumption, status, recorded_by) \
         SELECT m.account_id, m.id, '2024-01-31 12:00+08', '2024-01-31', \
            m.initial_reading + m.id % 600, 'manual', m.id % 600, 'valid', 'test' \
         FROM meters m JOIN accounts a ON a.id = m.account_id \
         WHERE m.installed AND m.meter_type = 'mechanical' AND a.status <> 'closed'",
    )
    .execute(&mut connection)?;
    let billable = count(&mut connection, "SELECT count(*) AS n FROM meter_readings")?;
    assert!(billable > 500, "{billable} billable accounts");

    // Kill the first process once a few chunks are in.
    let mut first = bill_run(&dir)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = count(
            &mut connection,
            "SELECT count(*) AS n FROM billing_run_chunks WHERE status = 'done'",
        )?;
        if done >= 3 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline && first.try_wait()?.is_none(),
            "the first run ended or stalled before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill()?;
    first.wait()?;
    let billed_before = count(&mut connection, "SELECT count(*) AS n FROM bills")?;
    assert!(
        billed_before < billable,
        "killed too late: {billed_before} of {billable} billed"
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS n FROM billing_runs WHERE status = 'running'"
        )?,
        1
    );

    // Two processes resume the same run together.
    let second = bill_run(&dir)?;
    let third = bill_run(&dir)?;
    for child in [second, third] {
        let output = child.wait_with_output()?;
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS n FROM billing_runs")?,
        1,
        "the later processes joined the killed run"
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS n FROM billing_runs WHERE status = 'done'"
        )?,
        1
    );
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS n FROM bills")?,
        billable
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(DISTINCT account_id) AS n FROM bills"
        )?,
        billable
    );
    // Chunks were billed by more than one process after the kill.
    let workers = count(
        &mut connection,
        "SELECT count(DISTINCT split_part(worker, ':', 2)) AS n FROM billing_run_chunks",
    )?;
    assert!(workers >= 2, "{workers} process(es) billed chunks");
    // One ledger entry per bill with an amount, none for the killed chunk's
    // rolled-back work.
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'bill'"
        )?,
        count(
            &mut connection,
            "SELECT count(*) AS n FROM bills WHERE amount <> 0"
        )?
    );
    Ok(())
}

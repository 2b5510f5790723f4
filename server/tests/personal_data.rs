//! Personal data at rest: identity numbers and phones never appear in
//! clear in a database dump or in the server's logs, and `keys rotate`
//! re-encrypts them with a new key.

use std::{
    fs,
    io::Read,
    net::TcpListener,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use gascis_common::proto::v1::{
    self as pb, archive_service_client::ArchiveServiceClient,
    auth_service_client::AuthServiceClient,
};
use gascis_server::{archive::seed, pg::Binaries};

const BIN: &str = env!("CARGO_BIN_EXE_gascis-server");
const CUSTOMERS: u64 = 25;

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn wait_healthy(dir: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let status = Command::new(BIN)
            .args(["status", "--data-dir", path_str(dir)])
            .output()?;
        if status.status.success() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    anyhow::bail!("server did not become healthy")
}

fn stop(child: &mut std::process::Child) -> anyhow::Result<String> {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id())?);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    child.wait()?;
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut log)?;
    }
    Ok(log)
}

fn secrets() -> Vec<String> {
    let mut values = Vec::new();
    for serial in 1..=CUSTOMERS {
        let data = seed::synthetic(serial);
        values.extend(data.customer.id_number.clone());
        values.extend(data.customer.phone.clone());
        values.extend(data.customer.phone2.clone());
    }
    values
}

async fn reveal_first(port: u16, ca: &str) -> anyhow::Result<pb::RevealCustomerPiiResponse> {
    let channel = gascis_server::client::channel(&format!("localhost:{port}"), ca, None).await?;
    let token = AuthServiceClient::new(channel.clone())
        .login(pb::LoginRequest {
            username: "backoffice".into(),
            password: gascis_server::commands::DEMO_PASSWORD.into(),
            client_name: "test".into(),
        })
        .await?
        .into_inner()
        .session_token;
    let mut archive = ArchiveServiceClient::new(channel);
    let mut request = tonic::Request::new(pb::SearchAccountsRequest {
        query: seed::synthetic(1).meter.meter_no,
        kind: pb::SearchKind::MeterNo as i32,
        include_closed: true,
        ..Default::default()
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let hit = archive.search_accounts(request).await?.into_inner().results;
    let account_id = hit.first().map(|h| h.account_id).unwrap_or_default();
    let mut request = tonic::Request::new(pb::GetAccountRequest { account_id });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let customer_id = archive
        .get_account(request)
        .await?
        .into_inner()
        .customer
        .map(|c| c.id)
        .unwrap_or_default();
    let mut request = tonic::Request::new(pb::RevealCustomerPiiRequest {
        customer_id,
        reason: "测试".into(),
    });
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(archive.reveal_customer_pii(request).await?.into_inner())
}

#[tokio::test(flavor = "multi_thread")]
async fn dumps_and_logs_hold_no_personal_data_and_keys_rotate() -> anyhow::Result<()> {
    let work = tempfile::Builder::new().prefix("gascis-pii-").tempdir()?;
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o755))?;
    let dir = work.path().join("data");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut demo = Command::new(BIN)
        .args([
            "demo",
            "--data-dir",
            path_str(&dir),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--customers",
            &CUSTOMERS.to_string(),
        ])
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    wait_healthy(&dir)?;
    let ca = fs::read_to_string(dir.join("tls/ca.crt"))?;
    let revealed = reveal_first(port, &ca).await?;
    assert_eq!(
        Some(revealed.phone.clone()),
        seed::synthetic(1).customer.phone
    );

    let pg_dump = Binaries::find()?.bindir.join("pg_dump");
    let dump = Command::new(pg_dump)
        .arg(format!(
            "host={} dbname=gascis user=gascis_owner",
            dir.join("run").display()
        ))
        .output()?;
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout).into_owned();
    assert!(
        dump.contains(&seed::synthetic(1).customer.name),
        "the dump has the customers"
    );
    // The demo company bills with its own tariff and has a year of bills.
    assert!(
        dump.contains("示范燃气有限公司气价"),
        "the demo tariff is there"
    );
    assert!(
        dump.contains("COPY public.bill_lines"),
        "bill lines are dumped"
    );
    let log = stop(&mut demo)?;
    assert!(log.contains("DEBUG"), "debug logging was on");
    for secret in secrets() {
        assert!(
            !dump.contains(&secret),
            "{secret} in clear in pg_dump output"
        );
        assert!(
            !log.contains(&secret),
            "{secret} in clear in the server log"
        );
    }

    let rotate = Command::new(BIN)
        .args(["keys", "rotate", "--data-dir", path_str(&dir)])
        .output()?;
    let text = String::from_utf8_lossy(&rotate.stdout).into_owned()
        + &String::from_utf8_lossy(&rotate.stderr);
    assert!(rotate.status.success(), "{text}");
    assert!(
        text.contains(&format!("re-encrypted {CUSTOMERS} customer(s) with key 2")),
        "{text}"
    );
    let keys = gascis_server::pii::PiiKeys::load(&dir.join("keys/pii.toml"))?;
    assert_eq!(keys.key_numbers(), vec![2], "old key retired");

    // After rotation the data still reads back through the server.
    let mut serve = Command::new(BIN)
        .args(["serve", "--data-dir", path_str(&dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    wait_healthy(&dir)?;
    let again = reveal_first(port, &ca).await?;
    assert_eq!(again.phone, revealed.phone);
    assert_eq!(again.id_number, revealed.id_number);
    stop(&mut serve)?;
    Ok(())
}

//! `gascis-server invoice pdf` as IT runs it against a served data dir: an
//! invoice issued through the (simulated) platform is written to a PDF file
//! whose text pdftotext reads back; an unknown number is one clear line.

use std::{
    fs,
    net::TcpListener,
    os::unix::fs::PermissionsExt,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use diesel::{
    Connection, PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt,
};
use gascis_common::Role;
use gascis_server::{
    archive::seed,
    auth::users,
    commands,
    counter::{
        Settings,
        payments::{self, Begun, PaymentRequest, Poster},
    },
    data_dir::DataDir,
    invoices::{
        Buyer, InvoiceKind, Seller,
        issue::{self, Basis, Clerk, IssueInput, Settlement},
        platform::InvoicePlatform,
        simulator::SimulatedInvoicePlatform,
    },
};

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

#[test]
fn invoice_pdf_writes_the_invoice_and_names_a_missing_one() -> anyhow::Result<()> {
    let work = tempfile::Builder::new()
        .prefix("gascis-invoice-")
        .tempdir()?;
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o755))?;
    let dir = work.path().join("data");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let init = Command::new(BIN)
        .args(["init", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--company-name", "某市燃气有限公司", "--data-dir"])
        .arg(&dir)
        .output()?;
    anyhow::ensure!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let _serving = Serving(
        Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
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
    let data_dir = DataDir::new(&dir)?;
    let owner_url =
        commands::with_database(
            &data_dir,
            |_, _, migration_url| Ok(migration_url.to_owned()),
        )?;
    let mut connection = PgConnection::establish(&owner_url)?;
    seed::bulk_seed(&mut connection, &data_dir.pii_keys()?, 1, 1)?;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let account: Id =
        sql_query("SELECT id FROM accounts ORDER BY id LIMIT 1").get_result(&mut connection)?;
    let cashier = users::create(
        &mut connection,
        users::Actor::CONSOLE,
        "wangfang",
        "王芳",
        &[Role::Cashier],
        "password-123",
    )?
    .id;
    let begun = payments::begin(
        &mut connection,
        &Settings::default(),
        &Poster::Cashier {
            user_id: cashier,
            username: "wangfang".to_owned(),
        },
        &PaymentRequest {
            idempotency_key: "cli-1".to_owned(),
            account_id: account.id,
            channel: "cash".to_owned(),
            amount: "200.00".parse()?,
            tendered: None,
            reference: String::new(),
            payment_code: String::new(),
        },
        gascis_server::archive::today(),
    )?;
    let Begun::Finished(payment) = begun else {
        anyhow::bail!("cash waits for no gateway");
    };
    let clerk = Clerk {
        username: "wangfang".to_owned(),
        display_name: "王芳".to_owned(),
    };
    let seller = Seller {
        name: "某市燃气有限公司".to_owned(),
        tax_id: "91110000100005220B".to_owned(),
        address_phone: String::new(),
        bank_account: String::new(),
    };
    let issue::Begun::Ask {
        invoice_id,
        request,
    } = issue::begin(
        &mut connection,
        &seller,
        &clerk,
        &IssueInput {
            idempotency_key: "cli-invoice-1".to_owned(),
            kind: InvoiceKind::Ordinary,
            basis: Basis::Payments(vec![payment.payment.payment_no.clone()]),
            buyer: Buyer {
                title: "张三".to_owned(),
                ..Buyer::default()
            },
            remark: String::new(),
        },
    )?
    else {
        anyhow::bail!("a new request asks the platform");
    };
    let platform = SimulatedInvoicePlatform::new();
    let outcome = platform.issue(&request);
    let invoice = issue::settle(
        &mut connection,
        invoice_id,
        &Settlement::from(outcome),
        "test",
    )?;
    let number = invoice.invoice.invoice_no.clone().unwrap_or_default();
    anyhow::ensure!(!number.is_empty(), "not issued: {:?}", invoice.invoice);

    let out = work.path().join("发票.pdf");
    let printed = Command::new(BIN)
        .args(["invoice", "pdf", &number, "--out"])
        .arg(&out)
        .arg("--data-dir")
        .arg(&dir)
        .output()?;
    anyhow::ensure!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let text = Command::new("pdftotext")
        .arg("-layout")
        .arg(&out)
        .arg("-")
        .output()?;
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "增值税普通发票",
        number.as_str(),
        "张三",
        "某市燃气有限公司",
        "预付燃气费",
        "不征税",
        "贰佰元整",
    ] {
        assert!(text.contains(expected), "the PDF lacks {expected}:\n{text}");
    }

    let missing = Command::new(BIN)
        .args(["invoice", "pdf", "99999999", "--out"])
        .arg(work.path().join("none.pdf"))
        .arg("--data-dir")
        .arg(&dir)
        .output()?;
    assert!(!missing.status.success());
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(message.contains("invoice 99999999"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(!work.path().join("none.pdf").exists());
    Ok(())
}

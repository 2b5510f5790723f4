//! What the live client suites share: signing in to a test server, an
//! account with one open bill, and a printer that copies what it is given.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use gascis::api::billing::{self as billing_api, RunEvent};
use gascis::api::{self, Session};
use gascis::secret::Secret;
use gascis_common::Role;
use gascis_common::proto::v1::billing_service_client::BillingServiceClient;
use gascis_common::proto::v1::{self as pb, archive_service_client::ArchiveServiceClient};
use gascis_testkit::archive_fixtures::open_request;
use gascis_testkit::{TestServer, authed};
use iced::futures::StreamExt as _;

pub async fn sign_in(
    server: &TestServer,
    username: &str,
    password: &str,
) -> anyhow::Result<Session> {
    Ok(api::sign_in(
        server.endpoint(),
        PathBuf::from(&server.ca_path),
        username.to_owned(),
        Secret::from(password),
    )
    .await?)
}

/// Opens 王芳's account, reads her meter on 2024-03-31 and bills March:
/// one open bill for the counter. Answers the account number.
pub async fn account_with_a_bill(server: &TestServer) -> anyhow::Result<String> {
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let channel = server.channel().await?;
    BillingServiceClient::new(channel.clone())
        .set_default_tariff(authed(
            pb::SetDefaultTariffRequest {
                code: "shanghai-2014".into(),
            },
            &token,
        ))
        .await?;
    let opened = ArchiveServiceClient::new(channel)
        .open_account(authed(open_request("王芳", 1), &token))
        .await?
        .into_inner();
    let account = opened.account.expect("the account opened");

    let office = sign_in(server, "zhangmin", "back-office-1").await?;
    let read_on = NaiveDate::from_ymd_opt(2024, 3, 31).expect("a date");
    let recorded = billing_api::record_readings(
        office.clone(),
        vec![pb::ReadingInput {
            account_id: account.id,
            value: "120".into(),
            read_at: billing_api::read_at(read_on),
            source: "manual".into(),
            idempotency_key: "live-reading-1".into(),
        }],
    )
    .await?;
    assert!(
        recorded.iter().all(|result| result.status == "valid"),
        "{recorded:?}"
    );
    let mut events = Box::pin(billing_api::run_billing(
        office,
        pb::RunBillingRequest {
            period: "2024-03".into(),
            ..pb::RunBillingRequest::default()
        },
    ));
    let mut summary = None;
    while let Some(event) = events.next().await {
        if let RunEvent::Finished(result) = event {
            summary = Some(result?);
        }
    }
    let summary = summary.expect("the run ended");
    assert_eq!(summary.status, "done", "{summary:?}");
    Ok(account.account_no)
}

/// A script standing in for the printer: copies the PDF it is given into
/// `into`.
pub fn copying_printer(work: &Path, into: &Path) -> anyhow::Result<String> {
    let script = work.join("print.sh");
    std::fs::write(&script, "#!/bin/sh\nset -e\ncp \"$1\" \"$2\"/\n")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(format!("{} {{file}} {}", script.display(), into.display()))
}

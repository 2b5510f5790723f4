//! PostgreSQL crashes (`pg_ctl stop -m immediate`) in the middle of a burst
//! of counter payments over TLS: after recovery every payment that was
//! acknowledged is there, posted, and the ledger holds. The cluster is this
//! test's own, with durability on (the shared test cluster runs without
//! fsync, which proves nothing about crashes).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::Text};
use gascis_common::{
    Role,
    proto::v1::{
        self as pb, archive_service_client::ArchiveServiceClient,
        counter_service_client::CounterServiceClient,
    },
};
use gascis_server::ledger;
use gascis_testkit::{TestCluster, TestServer, archive_fixtures::open_request, authed};

#[derive(QueryableByName)]
struct Posted {
    #[diesel(sql_type = Text)]
    payment_no: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_crash_during_a_burst_loses_no_acknowledged_payment() {
    let cluster = tokio::task::spawn_blocking(TestCluster::durable)
        .await
        .unwrap()
        .unwrap();
    let server = TestServer::start_on(&cluster, |config| config.database.pool_size = 12)
        .await
        .unwrap();
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await
        .unwrap();
    let office = server.login("zhangmin", "back-office-1").await.unwrap();
    let mut archive = ArchiveServiceClient::new(server.channel().await.unwrap());
    let mut accounts = Vec::new();
    for serial in 0..4 {
        let opened = archive
            .open_account(authed(open_request("王小芳", serial), &office))
            .await
            .unwrap()
            .into_inner();
        accounts.push(opened.account.unwrap().id);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged_count = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for cashier in 0..16usize {
        let username = format!("cashier{cashier:02}");
        server
            .create_user(&username, "收费员", "cashier-pass-1", &[Role::Cashier])
            .await
            .unwrap();
        let token = server.login(&username, "cashier-pass-1").await.unwrap();
        let channel = server.channel().await.unwrap();
        let account = accounts[cashier % accounts.len()];
        let stop = Arc::clone(&stop);
        let count = Arc::clone(&acknowledged_count);
        tasks.push(tokio::spawn(async move {
            let mut client = CounterServiceClient::new(channel);
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let reply = client
                    .post_payment(authed(
                        pb::PostPaymentRequest {
                            idempotency_key: format!("c{cashier}-p{n}"),
                            account_id: account,
                            channel: "cash".into(),
                            amount: "12.34".into(),
                            ..Default::default()
                        },
                        &token,
                    ))
                    .await;
                match reply {
                    Ok(reply) => {
                        let reply = reply.into_inner();
                        assert_eq!(reply.status, "posted");
                        acknowledged.push(reply.payment_no);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    // The database is gone: errors, never a false success.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
            acknowledged
        }));
    }
    // Let the burst run, then crash PostgreSQL under it.
    while acknowledged_count.load(Ordering::Relaxed) < 300 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cluster = Arc::new(cluster);
    let crashing = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || crashing.crash())
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.unwrap());
    }
    assert!(acknowledged.len() >= 300);
    let db = server.db.clone();
    let restarting = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || {
        restarting.restart(false).unwrap();
        let mut connection = db.app().unwrap();
        let posted: Vec<Posted> = sql_query("SELECT payment_no, status FROM payments")
            .load(&mut connection)
            .unwrap();
        let posted: std::collections::HashMap<String, String> = posted
            .into_iter()
            .map(|p| (p.payment_no, p.status))
            .collect();
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|no| posted.get(*no).map(String::as_str) != Some("posted"))
            .collect();
        assert!(
            lost.is_empty(),
            "acknowledged but not posted after the crash: {lost:?}"
        );
        let findings = ledger::check::run(&mut connection).unwrap();
        assert!(findings.iter().all(|f| f.passed()), "{findings:#?}");
    })
    .await
    .unwrap();
}

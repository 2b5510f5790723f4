//! Bill notices against a real PostgreSQL: new bills and arrears told
//! once each, opt-outs respected before and after queuing, lost answers
//! asked for instead of sent twice, failures retried up to the limit, the
//! notices kept append-only, one jobs round at a time across servers, and
//! the account's notices over gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use diesel::{
    PgConnection, QueryableByName, RunQueryDsl, sql_query,
    sql_types::{BigInt, Integer},
};
use gascis_common::proto::v1::{self as pb, archive_service_client::ArchiveServiceClient};
use gascis_server::{
    archive::{Actor, lifecycle, seed},
    config::Config,
    jobs::{self, Devices},
    notices::{self, Queued, SenderKind, Sent, Settings, SimulatedNoticeSender},
    pii::PiiKeys,
};
use gascis_testkit::{TestDb, TestServer, authed, billing_fixtures::billed_account};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Bills of 2024-01 (due 02-15) are overdue, bills of 2024-02 (period
/// ended 02-29, due 03-15) are new and not yet overdue.
const TODAY: &str = "2024-03-20";

fn settings() -> Settings {
    Settings {
        sender: SenderKind::Simulated,
        ..Settings::default()
    }
}

fn opt_out(connection: &mut PgConnection, account_id: i64) {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Integer)]
        version: i32,
    }
    let version: Version = sql_query("SELECT version FROM accounts WHERE id = $1")
        .bind::<BigInt, _>(account_id)
        .get_result(connection)
        .unwrap();
    lifecycle::update_account(
        connection,
        &Actor {
            user_id: None,
            username: "zhangmin".to_owned(),
        },
        account_id,
        version.version,
        &lifecycle::AccountChanges {
            notices_opt_out: Some(true),
            ..Default::default()
        },
        "客户来电要求不再接收短信",
    )
    .unwrap();
}

fn statuses(connection: &mut PgConnection) -> Vec<(String, String, i32)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        business_key: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = Integer)]
        attempts: i32,
    }
    sql_query("SELECT business_key, status, attempts FROM notices ORDER BY id")
        .load::<Row>(connection)
        .unwrap()
        .into_iter()
        .map(|r| {
            // Keys carry ids; keep their kind only.
            let kind = r.business_key.split(':').next().unwrap_or("").to_owned();
            (kind, r.status, r.attempts)
        })
        .collect()
}

#[test]
fn new_bills_and_arrears_are_told_once_and_opt_outs_are_respected() {
    let db = TestDb::new().unwrap();
    let mut connection = db.app().unwrap();
    let keys = PiiKeys::generate();
    let told = billed_account(&mut connection, &keys, 1).unwrap();
    let changed_mind = billed_account(&mut connection, &keys, 2).unwrap();
    let declined = billed_account(&mut connection, &keys, 3).unwrap();
    opt_out(&mut connection, declined);

    let settings = settings();
    let queued = notices::queue(&mut connection, &settings, "示范燃气", day(TODAY)).unwrap();
    assert_eq!(
        queued,
        Queued {
            new_bills: 2,
            arrears: 2
        }
    );
    // Asking again the same day (or from a second server) queues nothing.
    let again = notices::queue(&mut connection, &settings, "示范燃气", day(TODAY)).unwrap();
    assert_eq!(again, Queued::default());

    // Opting out after queuing still stops the messages.
    opt_out(&mut connection, changed_mind);
    let provider = SimulatedNoticeSender::default();
    let mut sender = provider.clone();
    let sent = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 100)
        .unwrap()
        .unwrap();
    assert_eq!(
        sent,
        Sent {
            sent: 2,
            skipped: 2,
            ..Sent::default()
        }
    );
    let delivered = provider.delivered();
    let phone = seed::synthetic(1).customer.phone.unwrap();
    assert_eq!(delivered.len(), 2, "{delivered:#?}");
    assert!(
        delivered
            .iter()
            .all(|d| d.phone == phone && d.channel == "sms")
    );
    let bill = &delivered[0].body;
    for part in [
        "【示范燃气】",
        "2024年2月账单",
        "用气280立方米",
        "应缴741.80元",
        "2024年3月15日前",
        "退订回T",
    ] {
        assert!(bill.contains(part), "{part} missing in {bill}");
    }
    // Only the January bill is past the reminder's cut-off: what is overdue
    // is the balance less the bill not yet due.
    let reminder = &delivered[1].body;
    assert!(reminder.contains("尚有313.20元逾期未缴"), "{reminder}");
    assert!(reminder.contains("2024年2月15日"), "{reminder}");

    // Nothing is open any more: a second round sends nothing.
    let idle = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 100)
        .unwrap()
        .unwrap();
    assert_eq!(idle, Sent::default());
    assert_eq!(provider.delivered().len(), 2);

    // The reminder comes again once the last one is 30 days old, not before.
    let later = notices::queue(&mut connection, &settings, "示范燃气", day("2024-04-18")).unwrap();
    let month_on =
        notices::queue(&mut connection, &settings, "示范燃气", day("2024-04-19")).unwrap();
    assert_eq!((later.arrears, month_on.arrears), (0, 1));
    let _ = told;
}

#[test]
fn lost_answers_are_asked_for_and_refusals_are_retried_up_to_the_limit() {
    let db = TestDb::new().unwrap();
    let mut connection = db.app().unwrap();
    let keys = PiiKeys::generate();
    billed_account(&mut connection, &keys, 11).unwrap();
    let settings = Settings {
        max_attempts: 2,
        ..settings()
    };
    notices::queue(&mut connection, &settings, "示范燃气", day(TODAY)).unwrap();
    let provider = SimulatedNoticeSender::default();
    let mut sender = provider.clone();

    // The bill notice is delivered but its answer is lost; the reminder is
    // refused.
    provider.stay_silent_next(1);
    let first = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 1)
        .unwrap()
        .unwrap();
    provider.fail_next(1);
    let second = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 100)
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.unknown, second.failed, second.sent),
        (1, 1, 1),
        "{first:?} {second:?}"
    );
    // The unknown one was asked for, not sent again.
    assert_eq!(provider.delivered().len(), 1);
    assert_eq!(
        statuses(&mut connection),
        [
            ("bill".to_owned(), "sent".to_owned(), 1),
            ("arrears".to_owned(), "failed".to_owned(), 1)
        ]
    );
    // The refused reminder is tried once more (max_attempts = 2), then left.
    provider.fail_next(1);
    let third = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 100)
        .unwrap()
        .unwrap();
    assert_eq!(third.failed, 1);
    let fourth = notices::send_pending(&mut connection, &mut sender, &keys, &settings, 100)
        .unwrap()
        .unwrap();
    assert_eq!(fourth, Sent::default());
    assert_eq!(
        statuses(&mut connection)[1],
        ("arrears".to_owned(), "failed".to_owned(), 2)
    );
}

#[test]
fn notices_keep_what_they_said() {
    let db = TestDb::new().unwrap();
    let mut connection = db.app().unwrap();
    let keys = PiiKeys::generate();
    billed_account(&mut connection, &keys, 21).unwrap();
    notices::queue(&mut connection, &settings(), "示范燃气", day(TODAY)).unwrap();
    let mut sender = SimulatedNoticeSender::default();
    notices::send_pending(&mut connection, &mut sender, &keys, &settings(), 100).unwrap();
    let mut owner = db.owner().unwrap();
    for statement in [
        "UPDATE notices SET body = 'x'",
        "UPDATE notices SET status = 'pending'",
        "DELETE FROM notices",
    ] {
        let refused = sql_query(statement).execute(&mut owner);
        assert!(refused.is_err(), "{statement} was allowed");
    }
}

#[test]
fn one_jobs_round_at_a_time_across_servers() {
    let db = TestDb::new().unwrap();
    let mut connection = db.app().unwrap();
    let keys = PiiKeys::generate();
    billed_account(&mut connection, &keys, 31).unwrap();
    let config = Config {
        notices: settings(),
        ..Config::default()
    };
    let provider = SimulatedNoticeSender::default();
    let mut devices = Devices {
        valves: None,
        notices: Some(Box::new(provider.clone())),
    };
    // Another server holds the round.
    let mut other = db.app().unwrap();
    sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(jobs::ROUND_LOCK)
        .execute(&mut other)
        .unwrap();
    let skipped = jobs::run_round(&mut connection, &config, &keys, &mut devices, day(TODAY));
    assert_eq!(skipped.unwrap(), None);
    assert!(provider.delivered().is_empty());
    sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(jobs::ROUND_LOCK)
        .execute(&mut other)
        .unwrap();
    let round = jobs::run_round(&mut connection, &config, &keys, &mut devices, day(TODAY))
        .unwrap()
        .unwrap();
    assert_eq!(
        round.notices_queued,
        Some(Queued {
            new_bills: 1,
            arrears: 1
        })
    );
    assert_eq!(round.notices_sent.map(|s| s.sent), Some(2));
    assert_eq!(provider.delivered().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_shows_its_notices_over_grpc() {
    let server = TestServer::start().await.unwrap();
    let keys = std::sync::Arc::clone(&server.pii);
    let db = server.db.clone();
    let account = tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        let account = billed_account(&mut connection, &keys, 41).unwrap();
        notices::queue(&mut connection, &settings(), "测试燃气公司", day(TODAY)).unwrap();
        let mut sender = SimulatedNoticeSender::default();
        notices::send_pending(&mut connection, &mut sender, &keys, &settings(), 100).unwrap();
        account
    })
    .await
    .unwrap();
    server
        .create_user(
            "zhangmin",
            "张敏",
            "back-office-1",
            &[gascis_common::Role::BackOffice],
        )
        .await
        .unwrap();
    let token = server.login("zhangmin", "back-office-1").await.unwrap();
    let mut archive = ArchiveServiceClient::new(server.channel().await.unwrap());
    let listed = archive
        .list_notices(authed(
            pb::ListNoticesRequest {
                account_id: account,
                limit: 0,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .notices;
    let kinds: Vec<(&str, &str)> = listed
        .iter()
        .map(|n| (n.kind.as_str(), n.status.as_str()))
        .collect();
    assert_eq!(kinds, [("arrears", "sent"), ("new_bill", "sent")]);
    assert!(listed.iter().all(|n| n.recipient_masked.contains("****")));
    assert!(listed.iter().all(|n| n.sent_at.is_some()));
    server.shutdown().await.unwrap();
}

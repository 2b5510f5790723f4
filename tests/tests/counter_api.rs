//! CounterService end to end over TLS: 50 cashiers hammering one account,
//! retries after a response that never arrived, roles and supervisor
//! approvals, a closed shift refusing postings, receipts and reprints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Money, Role,
    proto::v1::{
        self as pb, archive_service_client::ArchiveServiceClient,
        counter_service_client::CounterServiceClient,
    },
};
use gascis_server::ledger;
use gascis_testkit::{TestServer, archive_fixtures::open_request, authed};
use tonic::Code;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn open_account(server: &TestServer, name: &str, serial: u64) -> (i64, String) {
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await
        .ok();
    let office = server.login("zhangmin", "back-office-1").await.unwrap();
    let mut archive = ArchiveServiceClient::new(server.channel().await.unwrap());
    let opened = archive
        .open_account(authed(open_request(name, serial), &office))
        .await
        .unwrap()
        .into_inner();
    let account = opened.account.unwrap();
    (account.id, account.account_no)
}

fn cash(key: &str, account_id: i64, amount: &str) -> pb::PostPaymentRequest {
    pb::PostPaymentRequest {
        idempotency_key: key.to_owned(),
        account_id,
        channel: "cash".to_owned(),
        amount: amount.to_owned(),
        ..Default::default()
    }
}

fn approval(username: &str, password: &str) -> Option<pb::SupervisorApproval> {
    Some(pb::SupervisorApproval {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_cashiers_on_one_account_post_exactly_what_was_acknowledged() {
    const CASHIERS: u64 = 50;
    const PAYMENTS: u64 = 200;
    let server = TestServer::start_with(|config| config.database.pool_size = 12)
        .await
        .unwrap();
    let (account, _) = open_account(&server, "王小芳", 1).await;
    let mut tasks = Vec::new();
    for cashier in 0..CASHIERS {
        let username = format!("cashier{cashier:02}");
        server
            .create_user(&username, "收费员", "cashier-pass-1", &[Role::Cashier])
            .await
            .unwrap();
        let token = server.login(&username, "cashier-pass-1").await.unwrap();
        let channel = server.channel().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let mut client = CounterServiceClient::new(channel);
            let mut acknowledged = Money::ZERO;
            let mut receipts = Vec::new();
            for n in 0..PAYMENTS {
                // Amounts from 0.01 to 99.99, different per cashier and payment.
                let fen = (cashier * 7919 + n * 104_729) % 9999 + 1;
                let amount = Money::from_fen(i64::try_from(fen).unwrap());
                let reply = client
                    .post_payment(authed(
                        cash(&format!("c{cashier}-p{n}"), account, &amount.to_string()),
                        &token,
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                assert_eq!(reply.status, "posted");
                acknowledged = acknowledged.checked_add(amount).unwrap();
                receipts.push(reply.receipt_no);
            }
            (acknowledged, receipts)
        }));
    }
    let mut total = Money::ZERO;
    let mut receipts = std::collections::HashSet::new();
    for task in tasks {
        let (sum, numbers) = task.await.unwrap();
        total = total.checked_add(sum).unwrap();
        receipts.extend(numbers);
    }
    assert_eq!(receipts.len() as u64, CASHIERS * PAYMENTS);
    let db = server.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        let balances = ledger::balances(&mut connection, account).unwrap();
        assert_eq!(balances.prepayment, total);
        let rows: Count = sql_query("SELECT count(*) AS n FROM payments WHERE status = 'posted'")
            .get_result(&mut connection)
            .unwrap();
        assert_eq!(rows.n as u64, CASHIERS * PAYMENTS);
        let findings = ledger::check::run(&mut connection).unwrap();
        assert!(findings.iter().all(|f| f.passed()), "{findings:#?}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_response_posts_once() {
    let server = TestServer::start().await.unwrap();
    let (account, _) = open_account(&server, "李静", 2).await;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await
        .unwrap();
    let token = server.login("wangfang", "cashier-pass-1").await.unwrap();
    let mut client = CounterServiceClient::new(server.channel().await.unwrap());
    for attempt in 0..10u64 {
        let key = format!("attempt-{attempt}");
        // The first try gives up almost at once: the answer is lost, the
        // payment may or may not have been posted.
        let mut first = authed(cash(&key, account, "10.00"), &token);
        first.set_timeout(Duration::from_micros(200 * attempt + 50));
        let _lost = client.post_payment(first).await;
        let retried = client
            .post_payment(authed(cash(&key, account, "10.00"), &token))
            .await
            .unwrap()
            .into_inner();
        let again = client
            .post_payment(authed(cash(&key, account, "10.00"), &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried.payment_no, again.payment_no);
        assert_eq!(retried.receipt_no, again.receipt_no);
        let other = client
            .post_payment(authed(cash(&key, account, "11.00"), &token))
            .await
            .unwrap_err();
        assert_eq!(other.code(), Code::AlreadyExists);
    }
    let db = server.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        let rows: Count = sql_query("SELECT count(*) AS n FROM payments")
            .get_result(&mut connection)
            .unwrap();
        assert_eq!(rows.n, 10);
        let balances = ledger::balances(&mut connection, account).unwrap();
        assert_eq!(balances.prepayment, "100.00".parse().unwrap());
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_approvals_closed_shifts_and_reprints() {
    let server = TestServer::start().await.unwrap();
    let (account, account_no) = open_account(&server, "赵磊", 3).await;
    for (user, roles) in [
        ("wangfang", vec![Role::Cashier]),
        ("lijing", vec![Role::Cashier]),
        ("zhaolei", vec![Role::Supervisor]),
        ("qianli", vec![Role::Finance]),
        ("liqiang", vec![Role::Field]),
    ] {
        server
            .create_user(user, user, "pass-word-1", &roles)
            .await
            .unwrap();
    }
    let cashier = server.login("wangfang", "pass-word-1").await.unwrap();
    let other = server.login("lijing", "pass-word-1").await.unwrap();
    let finance = server.login("qianli", "pass-word-1").await.unwrap();
    let field = server.login("liqiang", "pass-word-1").await.unwrap();
    let office = server.login("zhangmin", "back-office-1").await.unwrap();
    let mut client = CounterServiceClient::new(server.channel().await.unwrap());

    // Who may take money.
    for token in [&field, &office, &finance] {
        let refused = client
            .post_payment(authed(cash("nope", account, "1.00"), token))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    let found = client
        .get_counter_account(authed(
            pb::GetCounterAccountRequest {
                account_no: account_no.clone(),
                ..Default::default()
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.account_id, account);
    let paid = client
        .post_payment(authed(
            pb::PostPaymentRequest {
                tendered: "100.00".into(),
                ..cash("p-1", account, "88.50")
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (paid.status.as_str(), paid.change.as_str()),
        ("posted", "11.50")
    );

    // Receipts: the first print is the original, the next a reprint.
    let print = |preview: bool| pb::GetReceiptPdfRequest {
        receipt_no: paid.receipt_no.clone(),
        paper: pb::Paper::Roll80mm.into(),
        preview,
    };
    let first = client
        .get_receipt_pdf(authed(print(false), &cashier))
        .await
        .unwrap()
        .into_inner();
    assert!(first.pdf.starts_with(b"%PDF") && !first.reprint);
    let second = client
        .get_receipt_pdf(authed(print(false), &finance))
        .await
        .unwrap()
        .into_inner();
    assert!(second.reprint);
    assert_eq!(second.prints, 2);

    // A void needs a supervisor's password, and the taker or a supervisor.
    let void = |key: &str, approval: Option<pb::SupervisorApproval>| pb::VoidPaymentRequest {
        idempotency_key: key.to_owned(),
        payment_no: paid.payment_no.clone(),
        reason: "收错户".to_owned(),
        approval,
    };
    let no_approval = client
        .void_payment(authed(void("v-0", None), &cashier))
        .await
        .unwrap_err();
    assert_eq!(no_approval.code(), Code::FailedPrecondition);
    let not_a_supervisor = client
        .void_payment(authed(
            void("v-1", approval("lijing", "pass-word-1")),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(not_a_supervisor.code(), Code::InvalidArgument);
    assert!(not_a_supervisor.message().contains("not a supervisor"));
    let wrong_password = client
        .void_payment(authed(void("v-2", approval("zhaolei", "guess")), &cashier))
        .await
        .unwrap_err();
    assert_eq!(wrong_password.code(), Code::InvalidArgument);
    let someone_else = client
        .void_payment(authed(
            void("v-3", approval("zhaolei", "pass-word-1")),
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(someone_else.code(), Code::PermissionDenied);
    let voided = client
        .void_payment(authed(
            void("v-4", approval("zhaolei", "pass-word-1")),
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(voided.status, "voided");
    assert!(!voided.void_receipt_no.is_empty());

    // The till, then the close; a closed shift takes nothing more.
    client
        .post_payment(authed(cash("p-2", account, "20.00"), &cashier))
        .await
        .unwrap();
    let till = client
        .get_till(authed(pb::GetTillRequest {}, &cashier))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            till.payments,
            till.voids,
            till.net.as_str(),
            till.expected_cash.as_str()
        ),
        (2, 1, "20.00", "20.00")
    );
    let shifts_refused = client
        .list_shifts(authed(pb::ListShiftsRequest::default(), &cashier))
        .await
        .unwrap_err();
    assert_eq!(shifts_refused.code(), Code::PermissionDenied);
    let closed = client
        .close_shift(authed(
            pb::CloseShiftRequest {
                counted_cash: "20.00".into(),
                difference_note: String::new(),
                approval: approval("zhaolei", "pass-word-1"),
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (closed.status.as_str(), closed.supervisor.as_str()),
        ("closed", "zhaolei")
    );
    let after_close = client
        .post_payment(authed(cash("p-3", account, "5.00"), &cashier))
        .await
        .unwrap_err();
    assert_eq!(after_close.code(), Code::FailedPrecondition);
    let day = client
        .list_shifts(authed(pb::ListShiftsRequest::default(), &finance))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(day.shifts.len(), 1);
    // Another cashier may not read this cashier's day report; finance may.
    let report = |token: &str| {
        authed(
            pb::ExportShiftReportRequest {
                shift_id: closed.shift_id,
                format: "pdf".into(),
            },
            token,
        )
    };
    let refused = client
        .export_shift_report(report(&other))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let mut stream = client
        .export_shift_report(report(&finance))
        .await
        .unwrap()
        .into_inner();
    let mut pdf = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        pdf.extend(chunk.data);
    }
    assert!(pdf.starts_with(b"%PDF"));
}

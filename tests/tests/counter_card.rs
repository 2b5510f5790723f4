//! IC-card gas sold at the counter over TLS gRPC, written through the
//! simulated card reader: quotes by volume and by amount, a retry with the
//! same key charging once, a card still holding gas refused, a failed
//! write re-written (补气) without a second charge, 补卡 with a
//! supervisor, the sales in the cashier's till and shift close, a closed
//! shift and a locked month refusing sales, the receipt read back from the
//! PDF, and a bank statement matching the card sale.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use diesel::{QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Role,
    card::{CardReader, CardState, SimulatedCardReader},
    proto::v1::{
        self as pb, archive_service_client::ArchiveServiceClient,
        counter_service_client::CounterServiceClient,
    },
    tariff::Volume,
};
use gascis_server::{
    billing::tariffs,
    channels::{simulator::write_statement_csv, statement::StatementRow},
    ledger,
};
use gascis_testkit::{
    TestServer,
    archive_fixtures::{meter, open_request},
    authed,
};
use tonic::{Code, transport::Channel};

const CARD: &str = "IC00000001";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn read(reader: &mut SimulatedCardReader) -> Option<pb::CardRead> {
    let card = reader.read().unwrap();
    Some(pb::CardRead {
        card_no: card.card_no,
        issue_count: card.issue_count,
        purchase_count: card.purchase_count,
        gas_on_card_m3: card.gas_on_card.to_string(),
    })
}

fn volume(m3: &str) -> Option<pb::GasRequest> {
    Some(pb::GasRequest {
        volume_m3: m3.to_owned(),
        amount: String::new(),
    })
}

fn amount(yuan: &str) -> Option<pb::GasRequest> {
    Some(pb::GasRequest {
        volume_m3: String::new(),
        amount: yuan.to_owned(),
    })
}

fn purchase(
    key: &str,
    account_id: i64,
    card: Option<pb::CardRead>,
    request: Option<pb::GasRequest>,
) -> pb::PurchaseGasRequest {
    pb::PurchaseGasRequest {
        idempotency_key: key.to_owned(),
        account_id,
        card,
        request,
        channel: "cash".to_owned(),
        ..Default::default()
    }
}

fn approval(username: &str, password: &str) -> Option<pb::SupervisorApproval> {
    Some(pb::SupervisorApproval {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// Writes what the server said to write, and reports it with the card as
/// read back afterwards.
async fn write_and_confirm(
    client: &mut CounterServiceClient<Channel>,
    token: &str,
    reader: &mut SimulatedCardReader,
    result: &pb::GasPurchaseResult,
) -> pb::GasPurchase {
    let write = result.write.clone().unwrap();
    let outcome = reader.write_purchase(
        &write.card_no,
        write.purchase_seq,
        write.volume_m3.parse::<Volume>().unwrap(),
    );
    let error = outcome.err().map(|e| e.to_string()).unwrap_or_default();
    client
        .confirm_card_write(authed(
            pb::ConfirmCardWriteRequest {
                purchase_id: result.purchase.as_ref().unwrap().purchase_id,
                card: read(reader),
                error,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed: tests/run.sh installs it");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_sales_are_charged_once_written_by_the_reader_and_counted_in_the_till() {
    let server = TestServer::start().await.unwrap();
    let db = server.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        tariffs::set_default(&mut connection, "beijing-2019").unwrap();
    })
    .await
    .unwrap();
    for (user, roles) in [
        ("zhangmin", vec![Role::BackOffice]),
        ("wangfang", vec![Role::Cashier]),
        ("lijing", vec![Role::Cashier]),
        ("zhaolei", vec![Role::Supervisor]),
        ("qianli", vec![Role::Finance]),
    ] {
        server
            .create_user(user, user, "pass-word-1", &roles)
            .await
            .unwrap();
    }
    let office = server.login("zhangmin", "pass-word-1").await.unwrap();
    let cashier = server.login("wangfang", "pass-word-1").await.unwrap();
    let other = server.login("lijing", "pass-word-1").await.unwrap();
    let finance = server.login("qianli", "pass-word-1").await.unwrap();
    let mut archive = ArchiveServiceClient::new(server.channel().await.unwrap());
    let mut request = open_request("孙丽", 11);
    request.meter = Some(meter("JK00000011", pb::MeterType::IcCard, CARD));
    let account = archive
        .open_account(authed(request, &office))
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap()
        .id;
    let mut client = CounterServiceClient::new(server.channel().await.unwrap());
    let mut reader = SimulatedCardReader::with_card(CardState {
        card_no: CARD.into(),
        issue_count: 1,
        purchase_count: 0,
        gas_on_card: Volume::from_m3(0),
    });

    // Finance looks, it does not sell.
    let refused = client
        .purchase_gas(authed(
            purchase("nope", account, read(&mut reader), volume("1")),
            &finance,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    // Quote by volume: 100 m³ in tier 1 at 2.61. Nothing is written.
    let quote = client
        .quote_gas_purchase(authed(
            pb::QuoteGasPurchaseRequest {
                account_id: account,
                card: read(&mut reader),
                request: volume("100"),
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            quote.amount.as_str(),
            quote.cash_due.as_str(),
            quote.lines.len()
        ),
        ("261.00", "261.00", 1)
    );
    assert_eq!(quote.lines[0].tier, 1);
    assert!(quote.blocked_reason.is_empty(), "{}", quote.blocked_reason);
    let both = client
        .quote_gas_purchase(authed(
            pb::QuoteGasPurchaseRequest {
                account_id: account,
                card: read(&mut reader),
                request: Some(pb::GasRequest {
                    volume_m3: "10".into(),
                    amount: "10.00".into(),
                }),
            },
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    assert!(both.message().contains("request.volume_m3"), "{both:?}");

    // Buy it for cash with 300.00 handed over.
    let first = client
        .purchase_gas(authed(
            pb::PurchaseGasRequest {
                tendered: "300.00".into(),
                ..purchase("g-1", account, read(&mut reader), volume("100"))
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    let sale = first.purchase.clone().unwrap();
    assert_eq!(
        (
            sale.cash_due.as_str(),
            sale.change.as_str(),
            sale.status.as_str(),
            sale.purchase_seq
        ),
        ("261.00", "39.00", "paid", 1)
    );
    assert!(!sale.receipt_no.is_empty());
    let write = first.write.clone().unwrap();
    assert_eq!(
        (
            write.card_no.as_str(),
            write.purchase_seq,
            write.volume_m3.as_str()
        ),
        (CARD, 1, "100.000")
    );
    // The same attempt again answers the same purchase; the same key for
    // another purchase is refused.
    let retry = client
        .purchase_gas(authed(
            pb::PurchaseGasRequest {
                tendered: "300.00".into(),
                ..purchase("g-1", account, read(&mut reader), volume("100"))
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.purchase.unwrap().purchase_id, sale.purchase_id);
    let reused = client
        .purchase_gas(authed(
            purchase("g-1", account, read(&mut reader), volume("90")),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists);
    let written = write_and_confirm(&mut client, &cashier, &mut reader, &first).await;
    assert_eq!(written.status, "written");

    // The gas is still on the card: the quote says why, the sale is refused.
    let quote = client
        .quote_gas_purchase(authed(
            pb::QuoteGasPurchaseRequest {
                account_id: account,
                card: read(&mut reader),
                request: volume("10"),
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        quote.blocked_reason.contains("not loaded into the meter"),
        "{}",
        quote.blocked_reason
    );
    let refused = client
        .purchase_gas(authed(
            purchase("g-2", account, read(&mut reader), volume("10")),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("not loaded into the meter"));
    reader.load_into_meter();

    // By amount through a bank card: 250 m³ left in tier 1 (652.50), the
    // remaining 147.50 buys 52.120 m³ in tier 2.
    let second = client
        .purchase_gas(authed(
            pb::PurchaseGasRequest {
                channel: "bank_card".into(),
                reference: "POS-0042-000017".into(),
                ..purchase("g-3", account, read(&mut reader), amount("800.00"))
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    let second_sale = second.purchase.clone().unwrap();
    assert_eq!(
        (second_sale.volume_m3.as_str(), second_sale.amount.as_str()),
        ("302.120", "800.00")
    );
    let tiers: Vec<u32> = second_sale.lines.iter().map(|l| l.tier).collect();
    assert_eq!(tiers, [1, 2]);

    // The write fails: the purchase stays paid, the next sale waits for
    // 补气, and 补气 gives the same purchase number without a charge.
    reader.fail_next_writes(1);
    let failed = write_and_confirm(&mut client, &cashier, &mut reader, &second).await;
    assert_eq!((failed.status.as_str(), failed.write_attempts), ("paid", 1));
    let quote = client
        .quote_gas_purchase(authed(
            pb::QuoteGasPurchaseRequest {
                account_id: account,
                card: read(&mut reader),
                request: volume("5"),
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(quote.rewrite_pending && quote.blocked_reason.contains("补气"));
    let blocked = client
        .purchase_gas(authed(
            purchase("g-4", account, read(&mut reader), volume("5")),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Code::FailedPrecondition);
    assert!(blocked.message().contains("补气"), "{blocked:?}");
    let again = client
        .rewrite_card(authed(
            pb::RewriteCardRequest {
                account_id: account,
                card: read(&mut reader),
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.purchase.as_ref().unwrap().purchase_id,
        second_sale.purchase_id
    );
    assert_eq!(again.write.as_ref().unwrap().purchase_seq, 2);
    let rewritten = write_and_confirm(&mut client, &cashier, &mut reader, &again).await;
    assert_eq!(rewritten.status, "written");
    assert_eq!(
        reader.read().unwrap().gas_on_card,
        "302.120".parse::<Volume>().unwrap()
    );
    reader.load_into_meter();

    // 补卡: a sale paid, the card lost before it was written. The new card
    // carries the paid gas; it needs a supervisor; the old card is dead.
    let third = client
        .purchase_gas(authed(
            purchase("g-5", account, read(&mut reader), volume("20")),
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    let third_sale = third.purchase.clone().unwrap();
    let lost = reader.remove().unwrap();
    let reissue = |approval: Option<pb::SupervisorApproval>| pb::ReissueCardRequest {
        account_id: account,
        reason: "卡片丢失".into(),
        approval,
    };
    let unapproved = client
        .reissue_card(authed(reissue(None), &cashier))
        .await
        .unwrap_err();
    assert_eq!(unapproved.code(), Code::FailedPrecondition);
    let issue = client
        .reissue_card(authed(
            reissue(approval("zhaolei", "pass-word-1")),
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            issue.issue_count,
            issue.purchase_count,
            issue.gas_m3.as_str()
        ),
        (2, 3, "20.000")
    );
    reader
        .issue(
            &issue.card_no,
            issue.issue_count,
            issue.purchase_count,
            issue.gas_m3.parse().unwrap(),
        )
        .unwrap();
    let old_card = client
        .purchase_gas(authed(
            purchase(
                "g-6",
                account,
                Some(pb::CardRead {
                    card_no: lost.card_no.clone(),
                    issue_count: lost.issue_count,
                    purchase_count: lost.purchase_count,
                    gas_on_card_m3: lost.gas_on_card.to_string(),
                }),
                volume("5"),
            ),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert!(old_card.message().contains("补卡"), "{old_card:?}");

    // The till: two cash sales and one bank card sale, like payments.
    let till = client
        .get_till(authed(pb::GetTillRequest {}, &cashier))
        .await
        .unwrap()
        .into_inner();
    let cash_due = |s: &pb::GasPurchase| s.cash_due.parse::<gascis_common::Money>().unwrap();
    // The third sale is in tier 2: 402.120 m³ were bought before it.
    assert_eq!(third_sale.cash_due, "56.60");
    let cash_total = cash_due(&sale).checked_add(cash_due(&third_sale)).unwrap();
    assert_eq!(till.gas_sales, 3);
    assert_eq!(till.gas_sold, "1117.60");
    assert_eq!(till.expected_cash, cash_total.to_string());
    assert_eq!(till.net, "1117.60");
    let channel = |name: &str| {
        till.channels
            .iter()
            .find(|c| c.channel == name)
            .map(|c| (c.count, c.amount.clone()))
            .unwrap()
    };
    assert_eq!(channel("cash"), (2, cash_total.to_string()));
    assert_eq!(channel("bank_card"), (1, "800.00".to_owned()));

    // The receipt: number, card and purchase number, volume, tiers, 大写.
    let pdf = client
        .get_receipt_pdf(authed(
            pb::GetReceiptPdfRequest {
                receipt_no: sale.receipt_no.clone(),
                paper: pb::Paper::Roll80mm.into(),
                preview: false,
            },
            &cashier,
        ))
        .await
        .unwrap()
        .into_inner();
    let text = pdf_text(&pdf.pdf);
    for expected in [
        "购气收据",
        sale.receipt_no.as_str(),
        CARD,
        "第1次购气",
        "100.000",
        "第一阶梯",
        "2.6100",
        "261.00",
        "贰佰陆拾壹元整",
        "39.00",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }

    // The bank's statement of the day finds the card sale on our side.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank_card.csv");
    write_statement_csv(
        &path,
        &[StatementRow {
            row: 0,
            order_no: String::new(),
            channel_ref: "POS-0042-000017".into(),
            account_no: String::new(),
            amount: "800.00".parse().unwrap(),
            paid_at: Some(chrono::Utc::now()),
            status: "SUCCESS".into(),
            note: String::new(),
        }],
    )
    .unwrap();
    let matched = client
        .match_channel_statement(authed(
            pb::MatchChannelStatementRequest {
                channel: "bank_card".into(),
                business_date: second_sale.business_date.clone(),
                file_name: "bank_card.csv".into(),
                content: std::fs::read(&path).unwrap(),
            },
            &finance,
        ))
        .await
        .unwrap()
        .into_inner();
    let class = |name: &str| {
        matched
            .classes
            .iter()
            .find(|c| c.class == name)
            .map_or(0, |c| c.count)
    };
    assert_eq!(
        (
            class("matched"),
            class("missing_ours"),
            class("missing_theirs")
        ),
        (1, 0, 0),
        "{:?}",
        matched.classes
    );

    // Close the shift with the cash counted; it takes no more sales.
    client
        .close_shift(authed(
            pb::CloseShiftRequest {
                counted_cash: cash_total.to_string(),
                difference_note: String::new(),
                approval: approval("zhaolei", "pass-word-1"),
            },
            &cashier,
        ))
        .await
        .unwrap();
    let closed = client
        .purchase_gas(authed(
            purchase("g-7", account, read(&mut reader), volume("5")),
            &cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(closed.code(), Code::FailedPrecondition);
    assert!(closed.message().contains("已扎帐"), "{closed:?}");

    // The day report of the closed shift lists the sales with the payments.
    let mut stream = client
        .export_shift_report(authed(
            pb::ExportShiftReportRequest {
                shift_id: till.shift_id,
                format: "pdf".into(),
            },
            &finance,
        ))
        .await
        .unwrap()
        .into_inner();
    let mut report = Vec::new();
    let mut rows = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        rows = rows.max(chunk.rows);
        report.extend(chunk.data);
    }
    assert_eq!(rows, 3);
    let text = pdf_text(&report);
    assert!(text.contains(&sale.receipt_no), "{text}");
    assert!(text.contains("购气"), "{text}");
    assert!(text.contains("已扎帐"), "{text}");

    // A locked month takes no sales from anyone.
    let month = chrono::Utc::now() + chrono::Duration::hours(8);
    client
        .lock_period(authed(
            pb::LockPeriodRequest {
                period: month.format("%Y-%m").to_string(),
            },
            &finance,
        ))
        .await
        .unwrap();
    let locked = client
        .purchase_gas(authed(
            purchase("g-8", account, read(&mut reader), volume("5")),
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(locked.code(), Code::FailedPrecondition);
    assert!(locked.message().contains("locked"), "{locked:?}");

    // Charged once per sale, whatever the writes did; the ledger holds.
    let db = server.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        let sales: Count =
            sql_query("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'gas_purchase'")
                .get_result(&mut connection)
                .unwrap();
        assert_eq!(sales.n, 3);
        let findings = ledger::check::run(&mut connection).unwrap();
        assert!(findings.iter().all(|f| f.passed()), "{findings:#?}");
    })
    .await
    .unwrap();
}

/// A posting that checked the month before a lock committed finishes
/// before the lock does: the lock waits for it, never the other way round
/// with the posting landing in a locked month.
#[test]
fn a_month_lock_waits_for_postings_that_checked_the_month_open() {
    use diesel::Connection;
    use gascis_server::{archive, counter, error::Error};

    let db = gascis_testkit::TestDb::new().unwrap();
    let today = archive::today();
    let period = counter::period_of(today);
    let (checked_tx, checked_rx) = std::sync::mpsc::channel();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let posting_db = db.clone();
    let posting = std::thread::spawn(move || {
        let mut connection = posting_db.app().unwrap();
        connection
            .transaction(|connection| {
                counter::check_period_open(connection, today)?;
                checked_tx.send(()).unwrap();
                // Stands for the rest of the posting (ledger, payment row).
                commit_rx.recv().unwrap();
                Ok::<_, Error>(())
            })
            .unwrap();
    });
    checked_rx.recv().unwrap();
    let locking_db = db.clone();
    let lock_period = period.clone();
    let locking = std::thread::spawn(move || {
        let mut connection = locking_db.app().unwrap();
        counter::lock_period(&mut connection, &lock_period, "qianli").unwrap()
    });
    // The lock is seen waiting for the posting's table lock.
    let mut watcher = db.owner().unwrap();
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut waited = false;
    for _ in 0..500 {
        let waiting: Waiting = sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND query LIKE 'LOCK TABLE payments, gas_purchases IN SHARE MODE%'",
        )
        .get_result(&mut watcher)
        .unwrap();
        if waiting.n == 1 {
            waited = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(waited, "the month lock did not wait for the posting");
    assert!(!locking.is_finished());
    commit_tx.send(()).unwrap();
    posting.join().unwrap();
    assert!(locking.join().unwrap(), "newly locked");
    // Postings after the lock see it.
    let mut connection = db.app().unwrap();
    let refused =
        connection.transaction(|connection| counter::check_period_open(connection, today));
    assert!(
        refused.is_err_and(|e| e.to_string().contains("locked")),
        "a posting after the lock is refused"
    );
}

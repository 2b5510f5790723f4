//! The counter against a real PostgreSQL: allocation oldest bill first
//! (late fee, then principal) with the surplus to prepayment, idempotency
//! keys, shifts that close and then refuse postings, voids and refunds as
//! reversals, scanned payments whose unknown outcomes are reconciled and
//! never guessed, signed channel notifications, statement matching, month
//! locks, receipts whose PDF text is checked, and the ledger check.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use chrono::{NaiveDate, Utc};
use diesel::{PgConnection, RunQueryDsl, sql_query};
use gascis_common::{Money, Role};
use gascis_server::{
    auth::users,
    channels::{
        simulator::write_statement_csv,
        statement::{MatchClass, StatementRow},
    },
    counter::{
        self, AllocationOrder, Settings,
        gateways::{self, Gateways},
        payments::{self, Begun, PaymentRequest, Poster, Settlement},
        receipts::{self, Paper},
        shifts, statements,
        voids::{self, Approved},
    },
    error::Error,
    ledger,
    pii::PiiKeys,
};
use gascis_testkit::{TestDb, billing_fixtures};
use rust_decimal::Decimal;

fn m(text: &str) -> Money {
    text.parse().unwrap()
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

struct Counter {
    db: TestDb,
    connection: PgConnection,
    cashier: i64,
    other_cashier: i64,
    supervisor: i64,
    settings: Settings,
}

fn user(connection: &mut PgConnection, name: &str, roles: &[Role]) -> i64 {
    users::create(
        connection,
        users::Actor::CONSOLE,
        name,
        name,
        roles,
        "password-123",
    )
    .unwrap()
    .id
}

fn counter() -> Counter {
    let db = TestDb::new().unwrap();
    let mut connection = db.app().unwrap();
    let cashier = user(&mut connection, "wangfang", &[Role::Cashier]);
    let other_cashier = user(&mut connection, "lijing", &[Role::Cashier]);
    let supervisor = user(&mut connection, "zhaolei", &[Role::Supervisor]);
    Counter {
        db,
        connection,
        cashier,
        other_cashier,
        supervisor,
        settings: Settings::default(),
    }
}

/// An account billed for 2024-01 (313.20) and 2024-02 (741.80) with a late
/// fee of 0.1 % a day (see the testkit's fixture).
fn billed_account(connection: &mut PgConnection, serial: u64) -> i64 {
    billing_fixtures::billed_account(connection, &PiiKeys::generate(), serial).unwrap()
}

fn cash(key: &str, account_id: i64, amount: &str, tendered: Option<&str>) -> PaymentRequest {
    PaymentRequest {
        idempotency_key: key.to_owned(),
        account_id,
        channel: "cash".to_owned(),
        amount: m(amount),
        tendered: tendered.map(m),
        reference: String::new(),
        payment_code: String::new(),
    }
}

fn finished(begun: Begun) -> payments::PaymentView {
    match begun {
        Begun::Finished(view) => *view,
        Begun::Charge { payment_no, .. } => panic!("{payment_no} waits for a gateway"),
    }
}

impl Counter {
    fn poster(&self) -> Poster {
        Poster::Cashier {
            user_id: self.cashier,
            username: "wangfang".to_owned(),
        }
    }

    fn pay(&mut self, request: &PaymentRequest, on: &str) -> Result<payments::PaymentView, Error> {
        let poster = self.poster();
        payments::begin(
            &mut self.connection,
            &self.settings,
            &poster,
            request,
            day(on),
        )
        .map(finished)
    }

    fn approved(&self, user_id: i64, username: &str) -> Approved {
        Approved {
            user_id,
            username: username.to_owned(),
            is_supervisor: false,
            supervisor_id: self.supervisor,
        }
    }

    fn ledger_is_sound(&mut self) {
        let findings = ledger::check::run(&mut self.connection).unwrap();
        let breached: Vec<_> = findings.iter().filter(|f| !f.passed()).collect();
        assert!(breached.is_empty(), "{breached:#?}");
    }
}

fn allocations(view: &payments::PaymentView) -> Vec<(String, String, String)> {
    view.allocations
        .iter()
        .map(|a| (a.kind.clone(), a.period.clone(), a.amount.to_string()))
        .collect()
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

#[test]
fn a_payment_settles_the_oldest_bill_fee_first_and_the_surplus_is_prepaid() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 1);
    // As of 2024-03-31: January 313.20 × 0.1 % × 45 days = 14.09, February
    // 741.80 × 0.1 % × 16 days = 11.87; all owed 1055.00 + 25.96.
    let owed = counter::account::owed(&mut counter.connection, account, day("2024-03-31")).unwrap();
    assert_eq!(owed.total_due().unwrap(), m("1080.96"));
    let view = counter
        .pay(
            &cash("k-1", account, "1100.00", Some("1200.00")),
            "2024-03-31",
        )
        .unwrap();
    assert_eq!(view.status(), "posted");
    assert_eq!(
        allocations(&view),
        [
            ("late_fee".into(), "2024-01".into(), "14.09".into()),
            ("principal".into(), "2024-01".into(), "313.20".into()),
            ("late_fee".into(), "2024-02".into(), "11.87".into()),
            ("principal".into(), "2024-02".into(), "741.80".into()),
            ("prepayment".into(), "".into(), "19.04".into()),
        ]
    );
    assert_eq!(view.payment.change_given, Some(d("100.00")));
    assert_eq!(view.payment.arrears_after, Some(d("0.00")));
    assert_eq!(view.payment.prepayment_after, Some(d("19.04")));
    let balances = ledger::balances(&mut counter.connection, account).unwrap();
    assert_eq!(
        (balances.arrears, balances.prepayment),
        (Money::ZERO, m("19.04"))
    );
    // Fees collected are not owed again.
    let later =
        counter::account::owed(&mut counter.connection, account, day("2024-04-30")).unwrap();
    assert_eq!(later.late_fees, Money::ZERO);

    // The receipt: readings, tiers, amount in figures and 大写, no 重打
    // the first time, 重打 after.
    let receipt_no = view.payment.receipt_no.clone().unwrap();
    let first = receipts::print(
        &mut counter.connection,
        "测试燃气公司",
        &receipt_no,
        Paper::Roll80mm,
        "wangfang",
        false,
    )
    .unwrap();
    assert!(!first.reprint);
    let text = pdf_text(&first.pdf);
    for expected in [
        "测试燃气公司",
        receipt_no.as_str(),
        "壹仟壹佰元整",
        "1100.00",
        "120.000",
        "400.000",
        "第一阶梯",
        "现金",
        "王*芳",
    ] {
        assert!(text.contains(expected), "receipt lacks {expected}:\n{text}");
    }
    assert!(!text.contains("重打"), "{text}");
    let second = receipts::print(
        &mut counter.connection,
        "测试燃气公司",
        &receipt_no,
        Paper::A5,
        "wangfang",
        false,
    )
    .unwrap();
    assert!(second.reprint);
    assert_eq!(second.prints, 2);
    assert!(pdf_text(&second.pdf).contains("重打"));
    counter.ledger_is_sound();
}

#[test]
fn the_same_key_answers_the_same_and_other_content_is_refused() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 2);
    let first = counter
        .pay(&cash("same", account, "100.00", None), "2024-03-31")
        .unwrap();
    let again = counter
        .pay(&cash("same", account, "100.00", None), "2024-03-31")
        .unwrap();
    assert_eq!(first.payment.payment_no, again.payment.payment_no);
    assert_eq!(first.payment.receipt_no, again.payment.receipt_no);
    let other = counter.pay(&cash("same", account, "100.01", None), "2024-03-31");
    assert!(matches!(other, Err(Error::AlreadyExists(_))), "{other:?}");
    let posted: i64 = sql_query("SELECT count(*) AS n FROM payments")
        .load::<Count>(&mut counter.connection)
        .unwrap()[0]
        .n;
    assert_eq!(posted, 1);
    // Bad input is refused field by field, nothing written.
    for (request, field) in [
        (cash("a", account, "0.00", None), "amount"),
        (cash("b", account, "10.00", Some("5.00")), "tendered"),
        (cash("", account, "10.00", None), "idempotency_key"),
    ] {
        match counter.pay(&request, "2024-03-31") {
            Err(Error::InvalidArgument { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    counter.ledger_is_sound();
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn a_closed_shift_refuses_postings_and_voids() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 3);
    let paid = counter
        .pay(&cash("k-1", account, "200.00", None), "2024-03-31")
        .unwrap();
    let mine = counter.approved(counter.cashier, "wangfang");
    let shift = shifts::of_cashier(&mut counter.connection, counter.cashier, day("2024-03-31"))
        .unwrap()
        .unwrap();
    let till = shifts::till(&mut counter.connection, shift.id).unwrap();
    assert_eq!((till.payments, till.expected_cash), (1, m("200.00")));
    // A difference needs a reason.
    let short = shifts::close(
        &mut counter.connection,
        shift.id,
        m("190.00"),
        "",
        counter.supervisor,
    );
    assert!(
        matches!(short, Err(Error::InvalidArgument { .. })),
        "{short:?}"
    );
    let closed = shifts::close(
        &mut counter.connection,
        shift.id,
        m("190.00"),
        "10 元假币",
        counter.supervisor,
    )
    .unwrap();
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.cash_difference, Some(d("-10.00")));
    let refused = counter.pay(&cash("k-2", account, "50.00", None), "2024-03-31");
    assert!(
        matches!(&refused, Err(Error::Refused(message)) if message.contains("closed")),
        "{refused:?}"
    );
    let void = voids::void(
        &mut counter.connection,
        &mine,
        &paid.payment.payment_no,
        "v-1",
        "录错户号",
        day("2024-03-31"),
    );
    assert!(
        matches!(&void, Err(Error::Refused(message)) if message.contains("closed")),
        "{void:?}"
    );
    // Closed twice? No.
    assert!(
        shifts::close(
            &mut counter.connection,
            shift.id,
            m("190.00"),
            "x",
            counter.supervisor
        )
        .is_err()
    );
    counter.ledger_is_sound();
}

#[test]
fn voids_reverse_the_payment_and_refunds_pay_prepayment_back() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 4);
    let before = ledger::balances(&mut counter.connection, account).unwrap();
    let mine = counter.approved(counter.cashier, "wangfang");
    let theirs_approval = counter.approved(counter.other_cashier, "lijing");
    let paid = counter
        .pay(&cash("k-1", account, "1200.00", None), "2024-03-31")
        .unwrap();
    // Another cashier may not void it; the taker may, with approval; not
    // on a later day.
    let theirs = voids::void(
        &mut counter.connection,
        &theirs_approval,
        &paid.payment.payment_no,
        "v-0",
        "录错",
        day("2024-03-31"),
    );
    assert!(matches!(theirs, Err(Error::RoleDenied(_))), "{theirs:?}");
    let late = voids::void(
        &mut counter.connection,
        &mine,
        &paid.payment.payment_no,
        "v-0b",
        "录错",
        day("2024-04-01"),
    );
    assert!(matches!(late, Err(Error::Refused(_))), "{late:?}");
    let voided = voids::void(
        &mut counter.connection,
        &mine,
        &paid.payment.payment_no,
        "v-1",
        "录错金额",
        day("2024-03-31"),
    )
    .unwrap();
    assert_eq!(voided.status(), "voided");
    let after = ledger::balances(&mut counter.connection, account).unwrap();
    assert_eq!(after, before);
    let shift = shifts::of_cashier(&mut counter.connection, counter.cashier, day("2024-03-31"))
        .unwrap()
        .unwrap();
    let till = shifts::till(&mut counter.connection, shift.id).unwrap();
    assert_eq!(
        (till.voids, till.net, till.expected_cash),
        (1, Money::ZERO, Money::ZERO)
    );
    let void_receipt = voided.payment.void_receipt_no.clone().unwrap();
    let printed = receipts::print(
        &mut counter.connection,
        "测试燃气公司",
        &void_receipt,
        Paper::A5,
        "wangfang",
        false,
    )
    .unwrap();
    assert!(pdf_text(&printed.pdf).contains("冲正"));

    // Pay again, then refund the surplus.
    let paid = counter
        .pay(&cash("k-2", account, "1200.00", None), "2024-03-31")
        .unwrap();
    let surplus = m(&paid.payment.prepayment_after.unwrap().to_string());
    assert!(surplus.as_decimal() > Decimal::ZERO);
    let too_much = voids::refund(
        &mut counter.connection,
        &mine,
        "r-0",
        account,
        m("5000.00"),
        "销户退款",
        day("2024-03-31"),
    );
    assert!(matches!(too_much, Err(Error::Refused(_))), "{too_much:?}");
    let refund = voids::refund(
        &mut counter.connection,
        &mine,
        "r-1",
        account,
        surplus,
        "多缴退款",
        day("2024-03-31"),
    )
    .unwrap();
    assert_eq!(refund.payment.kind, "refund");
    assert_eq!(
        ledger::balances(&mut counter.connection, account)
            .unwrap()
            .prepayment,
        Money::ZERO
    );
    let till = shifts::till(&mut counter.connection, shift.id).unwrap();
    assert_eq!(till.refunds, 1);
    assert_eq!(
        till.expected_cash,
        m("1200.00").checked_sub(surplus).unwrap()
    );
    let receipt = refund.payment.receipt_no.clone().unwrap();
    let printed = receipts::print(
        &mut counter.connection,
        "测试燃气公司",
        &receipt,
        Paper::Roll80mm,
        "wangfang",
        false,
    )
    .unwrap();
    assert!(pdf_text(&printed.pdf).contains("退款"));
    counter.ledger_is_sound();
}

#[test]
fn a_locked_month_takes_no_postings() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 5);
    assert!(counter::lock_period(&mut counter.connection, "2024-03", "finance").unwrap());
    assert!(!counter::lock_period(&mut counter.connection, "2024-03", "finance").unwrap());
    let refused = counter.pay(&cash("k-1", account, "10.00", None), "2024-03-31");
    assert!(
        matches!(&refused, Err(Error::Refused(message)) if message.contains("locked")),
        "{refused:?}"
    );
    counter
        .pay(&cash("k-2", account, "10.00", None), "2024-04-01")
        .unwrap();
}

fn scanned(key: &str, account_id: i64, channel: &str, code: &str, amount: &str) -> PaymentRequest {
    PaymentRequest {
        idempotency_key: key.to_owned(),
        account_id,
        channel: channel.to_owned(),
        amount: m(amount),
        tendered: None,
        reference: String::new(),
        payment_code: code.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanned_payments_with_unknown_outcomes_are_reconciled_never_guessed() {
    let counter = tokio::task::spawn_blocking(counter).await.unwrap();
    let Counter {
        db,
        mut connection,
        cashier,
        settings,
        ..
    } = counter;
    let account = tokio::task::block_in_place(|| billed_account(&mut connection, 6));
    let gateways = Gateways::simulated(b"secret");
    let poster = Poster::Cashier {
        user_id: cashier,
        username: "wangfang".to_owned(),
    };
    let today = gascis_server::archive::today();
    let mut outcomes = Vec::new();
    // Paid; declined; taken but the answer lost; not taken and the answer lost.
    for (key, code) in [
        ("s-1", "134567890123456789"),
        ("s-2", "134567890123450000"),
        ("s-3", "134567890123459999"),
        ("s-4", "134567890123458888"),
    ] {
        let request = scanned(key, account, "wechat", code, "100.00");
        let begun = tokio::task::block_in_place(|| {
            payments::begin(&mut connection, &settings, &poster, &request, today)
        })
        .unwrap();
        let Begun::Charge {
            payment_id,
            payment_no,
        } = begun
        else {
            panic!("a scanned payment waits for its gateway");
        };
        let outcome = gateways::charge(
            gateways.gateway("wechat").unwrap(),
            gascis_server::channels::gateway::ChargeRequest {
                order_no: payment_no.clone(),
                amount: request.amount,
                payment_code: code.to_owned(),
                description: "燃气费".to_owned(),
            },
            std::time::Duration::from_secs(5),
        )
        .await;
        let view = tokio::task::block_in_place(|| {
            payments::settle(
                &mut connection,
                &settings,
                payment_id,
                &gateways::settlement_of(&outcome),
            )
        })
        .unwrap();
        outcomes.push((
            payment_no,
            view.status().to_owned(),
            view.payment.receipt_no.is_some(),
        ));
    }
    let statuses: Vec<(&str, bool)> = outcomes.iter().map(|(_, s, r)| (s.as_str(), *r)).collect();
    assert_eq!(
        statuses,
        [
            ("posted", true),
            ("declined", false),
            ("unknown", false),
            ("unknown", false)
        ]
    );
    // Unknown posts nothing until the channel says what happened.
    let due = |connection: &mut PgConnection| {
        counter::account::owed(connection, account, today)
            .unwrap()
            .total_due()
            .unwrap()
    };
    let due_now = due(&mut connection);
    let pool = gascis_server::db::pool(&db.app_url, 2).unwrap();
    let done = gateways::reconcile(&pool, &gateways, &settings, chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(
        done,
        gateways::Reconciled {
            posted: 1,
            declined: 1,
            still_unknown: 0
        }
    );
    // (Years of late fees: the 100.00 settles fees first.)
    assert_eq!(due_now.checked_sub(due(&mut connection)), Some(m("100.00")));
    // Charged once each, however often asked.
    let simulator = gateways.simulator("wechat").unwrap();
    assert_eq!(simulator.times_charged(&outcomes[2].0), 1);
    assert_eq!(simulator.times_charged(&outcomes[3].0), 0);
    // Settling a settled payment changes nothing.
    let again = tokio::task::block_in_place(|| {
        let view = payments::by_number(&mut connection, &outcomes[2].0).unwrap();
        payments::settle(
            &mut connection,
            &settings,
            view.payment.id,
            &Settlement::Declined("late".into()),
        )
    })
    .unwrap();
    assert_eq!(again.status(), "posted");

    // The day's statement: matched, one of theirs we lack (an agent payment
    // whose notification never came), one of ours they lack, one amount off.
    let mut rows: Vec<StatementRow> = simulator.statement(today);
    assert_eq!(rows.len(), 2, "the channel took money twice: {rows:?}");
    rows[1].amount = m("99.00");
    rows.remove(0);
    rows.push(StatementRow {
        row: 0,
        order_no: "P-NOT-OURS".into(),
        channel_ref: "4200000000000000001".into(),
        account_no: String::new(),
        amount: m("66.00"),
        paid_at: Some(Utc::now()),
        status: "SUCCESS".into(),
        note: String::new(),
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wechat.csv");
    write_statement_csv(&path, &rows).unwrap();
    let content = std::fs::read(&path).unwrap();
    let report = tokio::task::block_in_place(|| {
        statements::match_file(&mut connection, "wechat", today, "wechat.csv", &content)
    })
    .unwrap();
    let count = |class: MatchClass| report.entries_of(class).count();
    assert_eq!(count(MatchClass::Matched), 0);
    assert_eq!(count(MatchClass::MissingOurs), 1);
    assert_eq!(count(MatchClass::MissingTheirs), 1);
    assert_eq!(count(MatchClass::AmountDiffers), 1);
    let table = tokio::task::block_in_place(|| {
        statements::match_statement(&mut connection, "wechat", today, "wechat.csv", &content)
    })
    .unwrap();
    assert!(table.report_xlsx.starts_with(b"PK"));
    tokio::task::block_in_place(|| {
        let findings = ledger::check::run(&mut connection).unwrap();
        assert!(findings.iter().all(|f| f.passed()), "{findings:#?}");
    });
}

#[test]
fn signed_notifications_post_once_and_forgeries_are_refused() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 7);
    let account_no: String = {
        #[derive(diesel::QueryableByName)]
        struct No {
            #[diesel(sql_type = diesel::sql_types::Text)]
            account_no: String,
        }
        sql_query(format!(
            "SELECT account_no FROM accounts WHERE id = {account}"
        ))
        .get_result::<No>(&mut counter.connection)
        .unwrap()
        .account_no
    };
    let gateways = Gateways::simulated(b"secret");
    let bank = gateways.simulator("bank_agent").unwrap();
    let signed = bank.notify("", &account_no, m("300.00"));
    let notice = gascis_server::channels::notification::verify(
        b"secret",
        &signed,
        Utc::now(),
        chrono::Duration::minutes(10),
    )
    .unwrap();
    let first = payments::from_notification(
        &mut counter.connection,
        &counter.settings,
        "bank-gateway",
        &notice,
    )
    .unwrap();
    let again = payments::from_notification(
        &mut counter.connection,
        &counter.settings,
        "bank-gateway",
        &notice,
    )
    .unwrap();
    assert_eq!(first.payment.payment_no, again.payment.payment_no);
    assert_eq!(first.status(), "posted");
    assert_eq!(first.payment.shift_id, None);
    let forged = gascis_server::channels::notification::verify(
        b"another secret",
        &signed,
        Utc::now(),
        chrono::Duration::minutes(10),
    );
    assert!(forged.is_err());
    counter.ledger_is_sound();
}

#[test]
fn the_ledger_check_catches_a_cached_balance_that_drifted() {
    let mut counter = counter();
    let account = billed_account(&mut counter.connection, 8);
    counter
        .pay(&cash("k-1", account, "10.00", None), "2024-03-31")
        .unwrap();
    counter.ledger_is_sound();
    let mut owner = counter.db.owner().unwrap();
    sql_query(format!(
        "UPDATE account_balances SET balance = balance + 0.01 WHERE account_id = {account} AND book = 'receivable'"
    ))
    .execute(&mut owner)
    .unwrap();
    let findings = ledger::check::run(&mut counter.connection).unwrap();
    let drifted = findings
        .iter()
        .find(|f| f.check == "cached_balances")
        .unwrap();
    assert_eq!(drifted.breaches, 1, "{drifted:?}");
    assert!(findings.iter().filter(|f| !f.passed()).count() == 1);
}

#[test]
fn principal_first_is_a_setting() {
    let mut counter = counter();
    counter.settings.allocation = AllocationOrder::PrincipalFirst;
    let account = billed_account(&mut counter.connection, 9);
    let view = counter
        .pay(&cash("k-1", account, "320.00", None), "2024-03-31")
        .unwrap();
    assert_eq!(
        allocations(&view),
        [
            ("principal".into(), "2024-01".into(), "313.20".into()),
            ("late_fee".into(), "2024-01".into(), "6.80".into()),
        ]
    );
}

#[test]
fn the_demo_counter_has_a_closed_day_and_an_open_one() {
    let mut counter = counter();
    let cashier = user(&mut counter.connection, "cashier", &[Role::Cashier]);
    user(&mut counter.connection, "supervisor", &[Role::Supervisor]);
    let accounts: Vec<i64> = (20..23)
        .map(|serial| billed_account(&mut counter.connection, serial))
        .collect();
    let today = day("2024-03-31");
    let seeded = counter::demo::seed(&mut counter.connection, today).unwrap();
    assert_eq!(
        seeded,
        counter::demo::Seeded {
            payments: accounts.len(),
            voids: 1,
            closed_shifts: 1,
        }
    );
    // Every owing account was served yesterday; the shift was closed with
    // the supervisor's sign-off and the drawer as expected.
    let closed = shifts::of_cashier(&mut counter.connection, cashier, day("2024-03-30"))
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.supervisor, "supervisor");
    assert_eq!(closed.cash_difference, Some(Decimal::ZERO));
    let till = shifts::till(&mut counter.connection, closed.id).unwrap();
    assert_eq!((till.payments, till.voids), (3, 1));
    // The voided account owes again what it owed; the others owe nothing.
    let owed: Vec<Money> = accounts
        .iter()
        .map(|&account| {
            ledger::balances(&mut counter.connection, account)
                .unwrap()
                .arrears
        })
        .collect();
    assert!(owed[0] > Money::ZERO, "{owed:?}");
    assert!(owed[1..].iter().all(|&a| a == Money::ZERO), "{owed:?}");
    counter.ledger_is_sound();
    // Seeding again writes nothing.
    let again = counter::demo::seed(&mut counter.connection, today).unwrap();
    assert_eq!(again, counter::demo::Seeded::default());
}

//! Invoices end to end over TLS against a real PostgreSQL and the simulated
//! invoicing platform: lines and their VAT split summing exactly, one
//! standing invoice per payment or bill (whichever way it is asked for),
//! buyers of special invoices checked field by field, lost platform answers
//! resolved by query, every red-letter confirmation path including refusals
//! by either side, partial reversals in the original order, re-invoicing
//! after a full reversal, the PDF read back with pdftotext, search and
//! paging, and roles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::PgConnection;
use gascis_common::{
    Money, Role,
    proto::{
        FIELD_METADATA_KEY,
        v1::{self as pb, invoice_service_client::InvoiceServiceClient},
    },
    tariff,
    upper_numerals::money_in_upper,
};
use gascis_server::{
    archive::{
        Actor,
        input::{ContractData, MeterData},
        lifecycle::{self, CustomerRef, OpenAccount},
        seed,
    },
    auth::users,
    billing::{
        readings::{self, NewReading, Rules, Source},
        run::{self, Period, Scope},
        tariffs,
    },
    counter::{
        Settings,
        payments::{self, Begun, PaymentRequest, Poster},
        voids::{self, Approved},
    },
    invoices::simulator::Scripted,
    pii::PiiKeys,
};
use gascis_testkit::{TestServer, authed};
use rust_decimal::{Decimal, RoundingStrategy};
use tonic::{Code, transport::Channel};

const BUYER_TAX_ID: &str = "91350100M000100Y43";

fn m(text: &str) -> Money {
    text.parse().unwrap()
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn at(date: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(date).and_hms_opt(4, 0, 0).unwrap())
}

fn actor() -> Actor {
    Actor {
        user_id: None,
        username: "zhangmin".to_owned(),
    }
}

/// What the database holds before the first invoice.
struct Fixture {
    account_no: String,
    /// 2024-01 (120 m³, 313.20) and 2024-02 (280 m³, 741.80: two tiers).
    bills: Vec<i64>,
    /// 1100.00 on 2024-03-31: late fees 14.09 and 11.87, both bills,
    /// 19.04 prepaid.
    payment_no: String,
    /// A payment of today, voided.
    voided_no: String,
    /// A payment of today (30.00 prepaid), standing.
    today_no: String,
    cashier: i64,
    supervisor: i64,
}

/// An account of 某某餐饮管理有限公司 billed for two months under
/// Beijing's prices with a late fee of 0.1 % a day, and its payments.
fn fixture(connection: &mut PgConnection) -> Fixture {
    let mut with_fees = tariff::preset("beijing-2019").unwrap();
    with_fees.code = "beijing-late-fee".into();
    with_fees.versions[0].late_fees = vec![tariff::LateFeeRule {
        customer_types: Vec::new(),
        rate_per_day: tariff::Rate::try_from_decimal(d("0.001")).unwrap(),
        grace_days: 0,
        charge_grace_days_when_exceeded: false,
        minimum: None,
        cap: None,
        cap_of_principal: None,
    }];
    tariffs::publish(connection, "test", &with_fees, "", day("2018-12-31")).unwrap();
    tariffs::set_default(connection, "beijing-late-fee").unwrap();
    let keys = PiiKeys::generate();
    let mut data = seed::synthetic(7);
    data.customer.customer_type = "residential";
    data.customer.name = "某某餐饮管理有限公司".to_owned();
    let account = lifecycle::open_account(
        connection,
        &keys,
        &actor(),
        &OpenAccount {
            customer: CustomerRef::New(data.customer),
            premise: data.premise,
            meter: MeterData {
                meter_no: "JK00000007".to_owned(),
                meter_type: "mechanical",
                maker: "金卡".into(),
                model: "JK-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                initial_reading: d("0"),
                card_no: None,
            },
            contract: ContractData {
                contract_no: None,
                signed_on: Some(day("2024-01-01")),
                gas_purpose: "cooking",
                price_policy: "residential".into(),
            },
            household_size: Some(3),
            low_income: false,
            opened_on: Some(day("2024-01-01")),
            idempotency_key: None,
        },
    )
    .unwrap();
    for (value, date, period) in [
        ("120", "2024-01-31", "2024-01"),
        ("400", "2024-02-29", "2024-02"),
    ] {
        readings::record(
            connection,
            &actor(),
            &Rules::default(),
            &NewReading {
                account_id: account,
                value: d(value),
                read_at: at(date),
                source: Source::Manual,
                idempotency_key: None,
            },
        )
        .unwrap();
        let settings = run::Settings::default();
        let started = run::start(
            connection,
            &actor(),
            Period::parse(period).unwrap(),
            &Scope::All,
            false,
            &settings,
        )
        .unwrap();
        run::work(connection, &actor(), started.id, "test", &settings, &|_| {}).unwrap();
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        account_no: String,
    }
    use diesel::RunQueryDsl;
    let bills: Vec<Row> = diesel::sql_query(
        "SELECT b.id, a.account_no FROM bills b JOIN accounts a ON a.id = b.account_id \
         WHERE b.account_id = $1 ORDER BY b.period",
    )
    .bind::<diesel::sql_types::BigInt, _>(account)
    .load(connection)
    .unwrap();
    let cashier = users::create(
        connection,
        users::Actor::CONSOLE,
        "lijing",
        "李静",
        &[Role::Cashier],
        "password-123",
    )
    .unwrap()
    .id;
    let supervisor = users::create(
        connection,
        users::Actor::CONSOLE,
        "zhaolei",
        "赵磊",
        &[Role::Supervisor],
        "password-123",
    )
    .unwrap()
    .id;
    let poster = Poster::Cashier {
        user_id: cashier,
        username: "lijing".to_owned(),
    };
    let pay = |connection: &mut PgConnection, key: &str, amount: &str, on: NaiveDate| {
        let request = PaymentRequest {
            idempotency_key: key.to_owned(),
            account_id: account,
            channel: "cash".to_owned(),
            amount: m(amount),
            tendered: None,
            reference: String::new(),
            payment_code: String::new(),
        };
        match payments::begin(connection, &Settings::default(), &poster, &request, on).unwrap() {
            Begun::Finished(view) => view.payment.payment_no.clone(),
            Begun::Charge { .. } => panic!("cash waits for no gateway"),
        }
    };
    let payment_no = pay(connection, "fixture-1", "1100.00", day("2024-03-31"));
    let today = gascis_server::archive::today();
    let voided_no = pay(connection, "fixture-2", "50.00", today);
    voids::void(
        connection,
        &Approved {
            user_id: cashier,
            username: "lijing".to_owned(),
            is_supervisor: false,
            supervisor_id: supervisor,
        },
        &voided_no,
        "void-1",
        "收错户",
        today,
    )
    .unwrap();
    let today_no = pay(connection, "fixture-3", "30.00", today);
    Fixture {
        account_no: bills[0].account_no.clone(),
        bills: bills.iter().map(|b| b.id).collect(),
        payment_no,
        voided_no,
        today_no,
        cashier,
        supervisor,
    }
}

struct Desk {
    server: TestServer,
    fixture: Fixture,
    cashier: String,
    finance: String,
    channel: Channel,
}

async fn desk() -> Desk {
    let server = TestServer::start().await.unwrap();
    let db = server.db.clone();
    let fixture = tokio::task::spawn_blocking(move || fixture(&mut db.app().unwrap()))
        .await
        .unwrap();
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await
        .unwrap();
    server
        .create_user("qianli", "钱丽", "finance-pass-1", &[Role::Finance])
        .await
        .unwrap();
    let cashier = server.login("wangfang", "cashier-pass-1").await.unwrap();
    let finance = server.login("qianli", "finance-pass-1").await.unwrap();
    let channel = server.channel().await.unwrap();
    Desk {
        server,
        fixture,
        cashier,
        finance,
        channel,
    }
}

fn company() -> pb::InvoiceBuyer {
    pb::InvoiceBuyer {
        title: "某某餐饮管理有限公司".to_owned(),
        tax_id: BUYER_TAX_ID.to_owned(),
        address_phone: "北京市朝阳区建国路1号 010-12345678".to_owned(),
        bank_account: "工商银行建国路支行 0200001234567890".to_owned(),
        email: String::new(),
    }
}

fn for_bills(key: &str, kind: &str, bills: &[i64]) -> pb::IssueInvoiceRequest {
    pb::IssueInvoiceRequest {
        idempotency_key: key.to_owned(),
        kind: kind.to_owned(),
        bill_ids: bills.to_vec(),
        buyer: Some(company()),
        ..Default::default()
    }
}

impl Desk {
    fn client(&self) -> InvoiceServiceClient<Channel> {
        InvoiceServiceClient::new(self.channel.clone())
    }

    async fn issue(&self, request: pb::IssueInvoiceRequest) -> Result<pb::Invoice, tonic::Status> {
        self.client()
            .issue_invoice(authed(request, &self.cashier))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&self, number: &str) -> pb::Invoice {
        self.client()
            .get_invoice(authed(
                pb::GetInvoiceRequest {
                    invoice_no: number.to_owned(),
                },
                &self.cashier,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn request_red(
        &self,
        key: &str,
        invoice_no: &str,
        lines: &[(i32, &str)],
        buyer_form_no: &str,
    ) -> Result<pb::RedConfirmation, tonic::Status> {
        self.client()
            .request_red_confirmation(authed(
                pb::RequestRedConfirmationRequest {
                    idempotency_key: key.to_owned(),
                    invoice_no: invoice_no.to_owned(),
                    lines: lines
                        .iter()
                        .map(|(line_no, amount)| pb::RedLine {
                            line_no: *line_no,
                            amount: (*amount).to_owned(),
                        })
                        .collect(),
                    reason: "开票有误".to_owned(),
                    buyer_form_no: buyer_form_no.to_owned(),
                },
                &self.finance,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn refresh(&self, form_no: &str) -> pb::RedConfirmation {
        self.client()
            .refresh_red_confirmation(authed(
                pb::RefreshRedConfirmationRequest {
                    form_no: form_no.to_owned(),
                },
                &self.finance,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn confirm(&self, form_no: &str, accept: bool) -> pb::RedConfirmation {
        self.client()
            .confirm_red_confirmation(authed(
                pb::ConfirmRedConfirmationRequest {
                    form_no: form_no.to_owned(),
                    accept,
                },
                &self.finance,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn issue_red(&self, key: &str, form_no: &str) -> Result<pb::Invoice, tonic::Status> {
        self.client()
            .issue_red_invoice(authed(
                pb::IssueRedInvoiceRequest {
                    idempotency_key: key.to_owned(),
                    form_no: form_no.to_owned(),
                },
                &self.finance,
            ))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn pdf_text(&self, number: &str, keep_as: &str) -> String {
        let pdf = self
            .client()
            .get_invoice_pdf(authed(
                pb::GetInvoicePdfRequest {
                    invoice_no: number.to_owned(),
                },
                &self.cashier,
            ))
            .await
            .unwrap()
            .into_inner();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(&pdf.file_name);
        std::fs::write(&path, &pdf.pdf).unwrap();
        // Kept for a person to look at (pdftoppm -png) when asked to.
        if let Ok(keep) = std::env::var("GASCIS_KEEP_INVOICE_PDFS") {
            std::fs::write(std::path::Path::new(&keep).join(keep_as), &pdf.pdf).unwrap();
        }
        let output = Command::new("pdftotext")
            .arg("-layout")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) must be installed: tests/run.sh installs it");
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    }
}

fn field(status: &tonic::Status) -> String {
    status
        .metadata()
        .get(FIELD_METADATA_KEY)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn sum(values: impl Iterator<Item = String>) -> Money {
    values.fold(Money::ZERO, |total, value| {
        total.checked_add(m(&value)).unwrap()
    })
}

/// Every line splits as net = amount / (1 + rate) half-up, tax = amount −
/// net, and the lines sum exactly to the invoice's totals.
fn assert_split_sums(invoice: &pb::Invoice) {
    for line in &invoice.lines {
        let amount = d(&line.amount);
        let rate = d(&line.tax_rate);
        let net = (amount / (Decimal::ONE + rate))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(d(&line.net), net, "{line:?}");
        assert_eq!(d(&line.net) + d(&line.tax), amount, "{line:?}");
    }
    let amount = sum(invoice.lines.iter().map(|l| l.amount.clone()));
    let net = sum(invoice.lines.iter().map(|l| l.net.clone()));
    let tax = sum(invoice.lines.iter().map(|l| l.tax.clone()));
    assert_eq!(amount, m(&invoice.total_amount));
    assert_eq!(net, m(&invoice.total_net));
    assert_eq!(tax, m(&invoice.total_tax));
    assert_eq!(net.checked_add(tax), Some(amount));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bills_are_invoiced_line_by_line_once_and_print_with_tax_and_daxie() {
    let desk = desk().await;
    let bills = desk.fixture.bills.clone();

    // 专票 needs a valid taxpayer id, the address and phone, the bank.
    let mut no_tax_id = for_bills("k-1", "special", &bills);
    no_tax_id.buyer.as_mut().unwrap().tax_id = String::new();
    let refused = desk.issue(no_tax_id).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(field(&refused), "buyer.tax_id");
    let mut typo = for_bills("k-1", "special", &bills);
    typo.buyer.as_mut().unwrap().tax_id = "91350100M000100Y44".to_owned();
    let refused = desk.issue(typo).await.unwrap_err();
    assert_eq!(field(&refused), "buyer.tax_id");
    assert!(
        refused.message().contains("check character"),
        "{}",
        refused.message()
    );
    let mut no_bank = for_bills("k-1", "special", &bills);
    no_bank.buyer.as_mut().unwrap().bank_account = String::new();
    let refused = desk.issue(no_bank).await.unwrap_err();
    assert_eq!(field(&refused), "buyer.bank_account");

    let invoice = desk
        .issue(for_bills("k-1", "special", &bills))
        .await
        .unwrap();
    assert_eq!(invoice.status, "issued");
    assert_eq!(invoice.kind, "special");
    assert_eq!(invoice.invoice_no.len(), 8, "{invoice:?}");
    // One line per bill line: January all tier 1, February across tiers.
    assert_eq!(invoice.lines.len(), 3, "{:#?}", invoice.lines);
    assert!(invoice.lines.iter().all(|l| l.tax_rate == "0.09"));
    assert_eq!(invoice.lines[0].quantity, "120.000");
    assert_eq!(invoice.lines[0].amount, "313.20");
    assert_eq!(
        (invoice.lines[0].net.as_str(), invoice.lines[0].tax.as_str()),
        ("287.34", "25.86")
    );
    assert_eq!(invoice.total_amount, "1055.00");
    assert_split_sums(&invoice);
    assert_eq!(invoice.amount_in_words, "壹仟零伍拾伍元整");
    assert_eq!(invoice.account_nos, vec![desk.fixture.account_no.clone()]);
    let db = desk.server.db.clone();
    let bill = bills[0];
    tokio::task::spawn_blocking(move || {
        let refused =
            run::cancel_bill(&mut db.app().unwrap(), &actor(), bill, "读数有误").unwrap_err();
        assert!(refused.to_string().contains("红冲"), "{refused}");
    })
    .await
    .unwrap();

    // The same key and content: the same invoice; other content: refused.
    let again = desk
        .issue(for_bills("k-1", "special", &bills))
        .await
        .unwrap();
    assert_eq!(again.request_no, invoice.request_no);
    let other = desk
        .issue(for_bills("k-1", "ordinary", &bills))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::AlreadyExists);
    // A bill on a standing invoice is not invoiced again, on its own or
    // through the payment that settled it.
    let twice = desk
        .issue(for_bills("k-2", "ordinary", &bills[..1]))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    assert!(
        twice.message().contains(&invoice.invoice_no),
        "{}",
        twice.message()
    );
    let through_payment = desk
        .issue(pb::IssueInvoiceRequest {
            idempotency_key: "k-3".to_owned(),
            kind: "ordinary".to_owned(),
            payment_nos: vec![desk.fixture.payment_no.clone()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(through_payment.code(), Code::AlreadyExists);

    let text = desk.pdf_text(&invoice.invoice_no, "special.pdf").await;
    for expected in [
        "增值税专用发票",
        invoice.invoice_no.as_str(),
        "某某餐饮管理有限公司",
        BUYER_TAX_ID,
        "测试燃气公司",
        "壹仟零伍拾伍元整",
        "*燃气*天然气",
        "25.86",
        "9%",
        "王芳",
    ] {
        assert!(
            text.contains(expected),
            "the invoice lacks {expected}:\n{text}"
        );
    }
    assert!(!text.contains("红字"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_shows_late_fees_taxed_and_prepayment_untaxed() {
    let desk = desk().await;
    let invoice = desk
        .issue(pb::IssueInvoiceRequest {
            idempotency_key: "p-1".to_owned(),
            kind: "digital".to_owned(),
            payment_nos: vec![desk.fixture.payment_no.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(invoice.status, "issued");
    assert_eq!(invoice.invoice_no.len(), 20);
    // The buyer defaults to the customer.
    assert_eq!(
        invoice.buyer.as_ref().unwrap().title,
        "某某餐饮管理有限公司"
    );
    let shown: Vec<(&str, &str, &str, &str)> = invoice
        .lines
        .iter()
        .map(|l| {
            (
                l.source.as_str(),
                l.amount.as_str(),
                l.net.as_str(),
                l.tax.as_str(),
            )
        })
        .collect();
    assert_eq!(shown[0], ("late_fee", "14.09", "12.93", "1.16"));
    assert_eq!(shown[1], ("bill_line", "313.20", "287.34", "25.86"));
    assert_eq!(shown[2].0, "late_fee");
    assert_eq!(shown[2].1, "11.87");
    let last = invoice.lines.last().unwrap();
    assert_eq!(
        (
            last.source.as_str(),
            last.amount.as_str(),
            last.tax.as_str(),
            last.tax_treatment.as_str()
        ),
        ("prepayment", "19.04", "0.00", "not_taxable")
    );
    assert_eq!(invoice.total_amount, "1100.00");
    assert_split_sums(&invoice);
    let text = desk.pdf_text(&invoice.invoice_no, "digital.pdf").await;
    for expected in [
        "电子发票（普通发票）",
        "预付燃气费",
        "不征税",
        "壹仟壹佰元整",
        "滞纳金",
    ] {
        assert!(
            text.contains(expected),
            "the invoice lacks {expected}:\n{text}"
        );
    }
    // The bills that payment settled are on a standing invoice now.
    let bill = desk
        .issue(for_bills("p-2", "ordinary", &desk.fixture.bills[..1]))
        .await
        .unwrap_err();
    assert_eq!(bill.code(), Code::AlreadyExists, "{}", bill.message());
    // A voided payment is not invoiced.
    let voided = desk
        .issue(pb::IssueInvoiceRequest {
            idempotency_key: "p-3".to_owned(),
            kind: "ordinary".to_owned(),
            payment_nos: vec![desk.fixture.voided_no.clone()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(voided.code(), Code::FailedPrecondition);
    assert!(voided.message().contains("voided"), "{}", voided.message());

    // A cancelled bill (and the revision that cancels it) is not invoiced.
    let db = desk.server.db.clone();
    let bill = desk.fixture.bills[1];
    let cancelling = tokio::task::spawn_blocking(move || {
        run::cancel_bill(&mut db.app().unwrap(), &actor(), bill, "读数有误").unwrap()
    })
    .await
    .unwrap();
    for id in [bill, cancelling] {
        let refused = desk
            .issue(for_bills(&format!("p-c{id}"), "ordinary", &[id]))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert!(
            refused.message().contains("cancelled"),
            "{}",
            refused.message()
        );
    }

    // What is invoiced is reversed on paper before it is reversed in the
    // ledger: no void of an invoiced payment, no cancel of an invoiced bill.
    let today = desk
        .issue(pb::IssueInvoiceRequest {
            idempotency_key: "p-4".to_owned(),
            kind: "ordinary".to_owned(),
            payment_nos: vec![desk.fixture.today_no.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(today.lines.len(), 1);
    assert_eq!(today.lines[0].item_name, "预付燃气费");
    let (cashier, supervisor, today_no) = (
        desk.fixture.cashier,
        desk.fixture.supervisor,
        desk.fixture.today_no.clone(),
    );
    let db = desk.server.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut connection = db.app().unwrap();
        let refused = voids::void(
            &mut connection,
            &Approved {
                user_id: cashier,
                username: "lijing".to_owned(),
                is_supervisor: false,
                supervisor_id: supervisor,
            },
            &today_no,
            "void-2",
            "收错户",
            gascis_server::archive::today(),
        )
        .unwrap_err();
        assert!(refused.to_string().contains("红冲"), "{refused}");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_unknown_until_the_platform_is_queried() {
    let desk = desk().await;
    let platform = desk.server.invoice_platform.clone();
    // Issued, but the answer is lost; the first query is not answered.
    platform.script_next_issue(Scripted::TimeOut { issued: true });
    let lost = desk
        .issue(for_bills("u-1", "ordinary", &desk.fixture.bills[..1]))
        .await
        .unwrap();
    assert_eq!(lost.status, "unknown");
    assert!(lost.invoice_no.is_empty());
    platform.silence_queries(1);
    let resolve = |number: String| {
        let mut client = desk.client();
        let token = desk.cashier.clone();
        async move {
            client
                .resolve_invoice(authed(
                    pb::ResolveInvoiceRequest { invoice_no: number },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let still = resolve(lost.request_no.clone()).await;
    assert_eq!(still.status, "unknown");
    // A retry with the same key asks the platform too, and learns it.
    let resolved = desk
        .issue(for_bills("u-1", "ordinary", &desk.fixture.bills[..1]))
        .await
        .unwrap();
    assert_eq!(resolved.status, "issued");
    assert_eq!(resolved.request_no, lost.request_no);
    assert_eq!(platform.times_issued(&lost.request_no), 1);

    // Not issued and the answer lost: the query says so, the invoice
    // failed and its bill is free again.
    platform.script_next_issue(Scripted::TimeOut { issued: false });
    let lost = desk
        .issue(for_bills("u-2", "ordinary", &desk.fixture.bills[1..]))
        .await
        .unwrap();
    assert_eq!(lost.status, "unknown");
    let failed = resolve(lost.request_no.clone()).await;
    assert_eq!(failed.status, "failed");
    let events: Vec<&str> = failed.events.iter().map(|e| e.to_status.as_str()).collect();
    assert_eq!(events, vec!["pending", "unknown", "failed"]);
    // A refusal by the platform fails the invoice and frees its bill.
    platform.script_next_issue(Scripted::Refuse("购买方信息有误".to_owned()));
    let refused = desk
        .issue(for_bills("u-3a", "ordinary", &desk.fixture.bills[1..]))
        .await
        .unwrap();
    assert_eq!(refused.status, "failed");
    assert!(refused.status_detail.contains("购买方信息有误"));
    let retried = desk
        .issue(for_bills("u-3", "ordinary", &desk.fixture.bills[1..]))
        .await
        .unwrap();
    assert_eq!(retried.status, "issued");
    // The server's reconciler resolves what nobody asked about.
    platform.script_next_issue(Scripted::TimeOut { issued: true });
    let lost = desk
        .issue(pb::IssueInvoiceRequest {
            idempotency_key: "u-5".to_owned(),
            kind: "digital".to_owned(),
            payment_nos: vec![desk.fixture.today_no.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(lost.status, "unknown");
    let app_url = desk.server.db.app_url.clone();
    let pool = tokio::task::spawn_blocking(move || gascis_server::db::pool(&app_url, 2))
        .await
        .unwrap()
        .unwrap();
    let as_dyn: std::sync::Arc<dyn gascis_server::invoices::platform::InvoicePlatform> =
        platform.clone();
    let done = gascis_server::invoices::reconcile(
        &pool,
        &as_dyn,
        &Default::default(),
        chrono::Duration::zero(),
    )
    .await
    .unwrap();
    assert_eq!((done.issued, done.failed, done.still_unknown), (1, 0, 0));
    assert_eq!(desk.get(&lost.request_no).await.status, "issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_red_reversal_states() {
    let desk = desk().await;
    let platform = desk.server.invoice_platform.clone();
    let bills = desk.fixture.bills.clone();
    let invoice = desk
        .issue(for_bills("r-1", "digital", &bills))
        .await
        .unwrap();
    let number = invoice.invoice_no.clone();
    let amounts: Vec<Money> = invoice.lines.iter().map(|l| m(&l.amount)).collect();

    // Seller enters a partial reversal; the buyer refuses it.
    let form = desk
        .request_red("r-2", &number, &[(3, "10.00"), (1, "26.10")], "")
        .await
        .unwrap();
    assert_eq!(form.status, "seller_entered_awaiting_buyer");
    assert!(!form.full_reversal);
    assert_eq!(form.amount, "-36.10");
    assert_eq!(
        desk.refresh(&form.form_no).await.status,
        "seller_entered_awaiting_buyer"
    );
    assert!(platform.buyer_answers(&form.form_no, false));
    assert_eq!(desk.refresh(&form.form_no).await.status, "refused");
    let refused = desk.issue_red("r-3", &form.form_no).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // The same again; the buyer confirms; the red invoice lists the lines
    // in the original order with the reversed quantities and amounts.
    let form = desk
        .request_red("r-4", &number, &[(3, "10.00"), (1, "26.10")], "")
        .await
        .unwrap();
    let too_early = desk.issue_red("r-5", &form.form_no).await.unwrap_err();
    assert_eq!(too_early.code(), Code::FailedPrecondition);
    assert!(platform.buyer_answers(&form.form_no, true));
    assert_eq!(desk.refresh(&form.form_no).await.status, "both_confirmed");
    let red = desk.issue_red("r-5", &form.form_no).await.unwrap();
    assert_eq!(
        (red.colour.as_str(), red.status.as_str()),
        ("red", "issued")
    );
    assert_eq!(red.original_invoice_no, number);
    let order: Vec<i32> = red.lines.iter().map(|l| l.original_line_no).collect();
    assert_eq!(order, vec![1, 3]);
    assert_eq!(red.lines[0].amount, "-26.10");
    assert_eq!(red.lines[0].quantity, "-10.000");
    assert_eq!(red.lines[1].amount, "-10.00");
    assert_eq!(red.total_amount, "-36.10");
    assert_split_sums(&red);
    assert_eq!(desk.get(&number).await.status, "partly_reversed");
    // Its bills stay invoiced while the invoice stands in part.
    let still = desk
        .issue(for_bills("r-6", "digital", &bills))
        .await
        .unwrap_err();
    assert_eq!(still.code(), Code::AlreadyExists);
    let text = desk.pdf_text(&red.invoice_no, "red.pdf").await;
    for expected in ["红字", "销项负数", "负叁拾陆元壹角", "-23.94", &number] {
        assert!(
            text.contains(expected),
            "the red invoice lacks {expected}:\n{text}"
        );
    }

    // The buyer enters a form; we refuse it.
    let buyer_form = platform
        .buyer_enters_form(&number, &[(2, m("5.00"))])
        .unwrap();
    let recorded = desk.request_red("r-7", "", &[], &buyer_form).await.unwrap();
    assert_eq!(recorded.status, "buyer_entered_awaiting_seller");
    assert_eq!(recorded.initiator, "buyer");
    assert_eq!(desk.confirm(&buyer_form, false).await.status, "refused");

    // The buyer enters a form for everything that is left; we confirm;
    // the red invoice reverses the invoice in full.
    let left: Vec<(i16, Money)> = vec![
        (1, amounts[0].checked_sub(m("26.10")).unwrap()),
        (2, amounts[1]),
        (3, amounts[2].checked_sub(m("10.00")).unwrap()),
    ];
    let buyer_form = platform.buyer_enters_form(&number, &left).unwrap();
    let recorded = desk
        .request_red("r-8", &number, &[], &buyer_form)
        .await
        .unwrap();
    assert_eq!(recorded.status, "buyer_entered_awaiting_seller");
    assert_eq!(
        desk.confirm(&buyer_form, true).await.status,
        "both_confirmed"
    );
    let rest = desk.issue_red("r-9", &buyer_form).await.unwrap();
    assert_eq!(rest.status, "issued");
    let original = desk.get(&number).await;
    assert_eq!(original.status, "reversed");
    assert_eq!(original.reversed_amount, "-1055.00");
    // Reversals of each line sum exactly to the line.
    for line in &original.lines {
        let reversed: Decimal = [&red, &rest]
            .iter()
            .flat_map(|r| r.lines.iter())
            .filter(|r| r.original_line_no == line.line_no)
            .map(|r| d(&r.net) + d(&r.tax))
            .sum();
        assert_eq!(reversed, -d(&line.amount));
        let nets: Decimal = [&red, &rest]
            .iter()
            .flat_map(|r| r.lines.iter())
            .filter(|r| r.original_line_no == line.line_no)
            .map(|r| d(&r.net))
            .sum();
        assert_eq!(nets, -d(&line.net));
    }
    // Every state change is on record, with its side.
    let changes: Vec<(String, String, String)> = original
        .events
        .iter()
        .map(|e| (e.from_status.clone(), e.to_status.clone(), e.side.clone()))
        .collect();
    for expected in [
        ("", "seller_entered_awaiting_buyer", "seller"),
        ("seller_entered_awaiting_buyer", "refused", "buyer"),
        ("seller_entered_awaiting_buyer", "both_confirmed", "buyer"),
        ("", "buyer_entered_awaiting_seller", "buyer"),
        ("buyer_entered_awaiting_seller", "refused", "seller"),
        ("buyer_entered_awaiting_seller", "both_confirmed", "seller"),
        ("issued", "reversed", "seller"),
    ] {
        let expected = (
            expected.0.to_owned(),
            expected.1.to_owned(),
            expected.2.to_owned(),
        );
        assert!(
            changes.contains(&expected),
            "{expected:?} missing from {changes:#?}"
        );
    }

    // Reversed in full: the bills can be invoiced again. A full reversal
    // of an invoice the buyer has not booked needs no confirmation; one the
    // buyer booked waits for them.
    let second = desk
        .issue(for_bills("r-10", "digital", &bills))
        .await
        .unwrap();
    assert_eq!(second.status, "issued");
    platform.buyer_books(&second.invoice_no);
    let booked = desk
        .request_red("r-11", &second.invoice_no, &[], "")
        .await
        .unwrap();
    assert!(booked.full_reversal);
    assert_eq!(booked.status, "seller_entered_awaiting_buyer");
    assert!(platform.buyer_answers(&booked.form_no, true));
    assert_eq!(desk.refresh(&booked.form_no).await.status, "both_confirmed");
    desk.issue_red("r-12", &booked.form_no).await.unwrap();
    assert_eq!(desk.get(&second.invoice_no).await.status, "reversed");

    let third = desk
        .issue(for_bills("r-13", "ordinary", &bills))
        .await
        .unwrap();
    let direct = desk
        .request_red("r-14", &third.invoice_no, &[], "")
        .await
        .unwrap();
    assert_eq!(direct.status, "not_needed");
    // A retry of the same request returns the same form.
    let retried = desk
        .request_red("r-14", &third.invoice_no, &[], "")
        .await
        .unwrap();
    assert_eq!(retried.form_no, direct.form_no);
    let red = desk.issue_red("r-15", &direct.form_no).await.unwrap();
    assert_eq!(red.total_amount, "-1055.00");
    let again = desk.issue_red("r-16", &direct.form_no).await.unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_eq!(desk.get(&third.invoice_no).await.status, "reversed");
    // Nothing is left to reverse.
    let nothing = desk
        .request_red("r-17", &third.invoice_no, &[], "")
        .await
        .unwrap_err();
    assert_eq!(nothing.code(), Code::FailedPrecondition);
    let fourth = desk
        .issue(for_bills("r-18", "ordinary", &bills))
        .await
        .unwrap();
    assert_eq!(fourth.status, "issued");
    // Who did what is in the audit log.
    let db = desk.server.db.clone();
    let kinds = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Kind {
            #[diesel(sql_type = diesel::sql_types::Text)]
            kind: String,
        }
        let rows: Vec<Kind> = diesel::sql_query(
            "SELECT DISTINCT kind FROM audit_events WHERE rpc LIKE '/gascis.v1.InvoiceService/%'",
        )
        .load(&mut db.app().unwrap())
        .unwrap();
        rows.into_iter().map(|r| r.kind).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for kind in [
        "invoice_issued",
        "red_confirmation_requested",
        "red_confirmation_recorded",
        "red_confirmation_answered_by_buyer",
        "red_confirmation_confirmed",
        "red_confirmation_refused",
        "red_invoice_issued",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} not audited: {kinds:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_are_searched_and_paged_and_roles_are_enforced() {
    let desk = desk().await;
    let first = desk
        .issue(for_bills("s-1", "special", &desk.fixture.bills[..1]))
        .await
        .unwrap();
    let mut person = for_bills("s-2", "ordinary", &desk.fixture.bills[1..]);
    person.buyer = Some(pb::InvoiceBuyer {
        title: "王小芳".to_owned(),
        ..Default::default()
    });
    let second = desk.issue(person).await.unwrap();
    let list = |request: pb::ListInvoicesRequest| {
        let mut client = desk.client();
        let token = desk.cashier.clone();
        async move {
            client
                .list_invoices(authed(request, &token))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let all = list(pb::ListInvoicesRequest {
        account_no: desk.fixture.account_no.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let numbers: Vec<&str> = all.invoices.iter().map(|i| i.invoice_no.as_str()).collect();
    assert_eq!(
        numbers,
        vec![second.invoice_no.as_str(), first.invoice_no.as_str()]
    );
    let by_buyer = list(pb::ListInvoicesRequest {
        buyer_title: "餐饮".to_owned(),
        kind: "special".to_owned(),
        status: "issued".to_owned(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(by_buyer.invoices.len(), 1);
    assert_eq!(by_buyer.invoices[0].invoice_no, first.invoice_no);
    let page = list(pb::ListInvoicesRequest {
        page_size: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(page.invoices.len(), 1);
    assert_ne!(page.next_page_token, 0);
    let next = list(pb::ListInvoicesRequest {
        page_size: 1,
        page_token: page.next_page_token,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(next.invoices[0].invoice_no, first.invoice_no);
    assert_eq!(next.next_page_token, 0);
    let today = gascis_server::archive::today().to_string();
    let dated = list(pb::ListInvoicesRequest {
        date_from: today.clone(),
        date_to: today,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(dated.invoices.len(), 2);
    let bad = list(pb::ListInvoicesRequest {
        status: "lost".to_owned(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(field(&bad), "status");

    // Field staff issue nothing; a cashier reverses nothing.
    desk.server
        .create_user("liuyang", "刘洋", "field-pass-1", &[Role::Field])
        .await
        .unwrap();
    let field_token = desk.server.login("liuyang", "field-pass-1").await.unwrap();
    let denied = desk
        .client()
        .issue_invoice(authed(
            for_bills("s-3", "ordinary", &desk.fixture.bills),
            &field_token,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = desk
        .client()
        .request_red_confirmation(authed(
            pb::RequestRedConfirmationRequest {
                idempotency_key: "s-4".to_owned(),
                invoice_no: first.invoice_no.clone(),
                reason: "开错".to_owned(),
                ..Default::default()
            },
            &desk.cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = desk
        .client()
        .issue_red_invoice(authed(
            pb::IssueRedInvoiceRequest {
                idempotency_key: "s-5".to_owned(),
                form_no: "HZ1".to_owned(),
            },
            &desk.cashier,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Back office may read and print.
    desk.server
        .create_user("zhoujie", "周杰", "office-pass-1", &[Role::BackOffice])
        .await
        .unwrap();
    let office = desk.server.login("zhoujie", "office-pass-1").await.unwrap();
    let pdf = desk
        .client()
        .get_invoice_pdf(authed(
            pb::GetInvoicePdfRequest {
                invoice_no: second.invoice_no.clone(),
            },
            &office,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(pdf.pdf.starts_with(b"%PDF"));
    assert_eq!(
        money_in_upper(m(&second.total_amount)),
        second.amount_in_words
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_for_one_bill_make_one_invoice_and_the_database_refuses_a_second_claim() {
    let desk = desk().await;
    let mut tasks = Vec::new();
    for n in 0..8 {
        let mut client = desk.client();
        let token = desk.cashier.clone();
        let request = for_bills(&format!("race-{n}"), "ordinary", &desk.fixture.bills[..1]);
        tasks.push(tokio::spawn(async move {
            client
                .issue_invoice(authed(request, &token))
                .await
                .map(tonic::Response::into_inner)
        }));
    }
    let mut issued = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(invoice) => issued.push(invoice.invoice_no),
            Err(status) => assert_eq!(status.code(), Code::AlreadyExists, "{status:?}"),
        }
    }
    assert_eq!(issued.len(), 1, "{issued:?}");
    // Not a check in code: the database itself refuses a second standing
    // claim of the same bill.
    let db = desk.server.db.clone();
    let bill = desk.fixture.bills[0];
    let refused = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO invoice_claims (invoice_id, bill_id) \
             SELECT invoice_id, bill_id FROM invoice_claims WHERE bill_id = $1",
        )
        .bind::<diesel::sql_types::BigInt, _>(bill)
        .execute(&mut db.app().unwrap())
        .unwrap_err()
        .to_string()
    })
    .await
    .unwrap();
    assert!(refused.contains("invoice_claims_one_per_bill"), "{refused}");
}

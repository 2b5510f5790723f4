//! Headless UI tests of invoices (发票) with iced_test's simulator: 开发票
//! on the counter (a 专票 the server refuses for its tax id, with the
//! server's words under the field, then issued and printed), the invoice
//! list with its search and pages, and a red reversal (红冲) through its
//! confirmation form to the red invoice. Keys and clicks go through the
//! real widgets and `update`; the server's answers are fed back as the
//! messages the api tasks would produce.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gascis::api::ApiError;
use gascis::api::invoices::PdfOutcome;
use gascis::app::{App, Message, Screen};
use gascis::screen::counter::{self, Counter, Lookup};
use gascis::screen::home;
use gascis::screen::invoices::issue::{self, Field, Stage};
use gascis::screen::invoices::{self, Invoices, PdfState, red};
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::{Event, Size};
use iced_test::selector;

const SCREEN: Size = Size::new(1400.0, 1600.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const CASHIER: sim::Person = sim::Person {
    id: 31,
    username: "wangfang",
    display_name: "王芳",
};

const FINANCE: sim::Person = sim::Person {
    id: 52,
    username: "lijing",
    display_name: "李静",
};

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn click_text(app: &mut App, label: &str) -> Vec<Message> {
    sim::click_text(app, SCREEN, label)
}

fn type_into(app: &mut App, id: &str, text: &str) {
    sim::type_into(app, SCREEN, id, text)
}

fn to_counter(message: counter::Message) -> Message {
    Message::Home(home::Message::counter(message))
}

fn to_invoices(message: invoices::Message) -> Message {
    Message::Home(home::Message::invoices(message))
}

fn counter_of(app: &App) -> &Counter {
    match app.screen() {
        Screen::Home(home) => home.counter().expect("the counter is open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

fn invoices_of(app: &App) -> &Invoices {
    match app.screen() {
        Screen::Home(home) => home.invoices().expect("the invoices area is open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

fn issue_form(app: &App) -> &issue::IssueForm {
    counter_of(app).invoice.as_ref().expect("the invoice form")
}

/// Presses `key` with the cursor in the input `id`; returns the messages,
/// not fed.
fn press_in(app: &App, id: &str, key: key::Named) -> Vec<Message> {
    press(app, Some(id), key)
}

/// Presses `key`, with the cursor in the input `id` when given.
fn press(app: &App, id: Option<&str>, key: key::Named) -> Vec<Message> {
    let mut ui = sim::simulate(app, SCREEN);
    if let Some(id) = id {
        let _ = ui.click(selector::id(id.to_owned())).unwrap();
    }
    let key = keyboard::Key::Named(key);
    let _ = ui.simulate([
        Event::Keyboard(keyboard::Event::KeyPressed {
            key: key.clone(),
            modified_key: key.clone(),
            physical_key: keyboard::key::Physical::Unidentified(
                keyboard::key::NativeCode::Unidentified,
            ),
            location: keyboard::Location::Standard,
            modifiers: keyboard::Modifiers::default(),
            repeat: false,
            text: None,
        }),
        Event::Keyboard(keyboard::Event::KeyReleased {
            key: key.clone(),
            modified_key: key,
            physical_key: keyboard::key::Physical::Unidentified(
                keyboard::key::NativeCode::Unidentified,
            ),
            location: keyboard::Location::Standard,
            modifiers: keyboard::Modifiers::default(),
        }),
    ]);
    ui.into_messages().collect()
}

fn account() -> pb::CounterAccount {
    let bill = |id: i64, period: &str, amount: &str| pb::OpenBill {
        bill_id: id,
        period: period.into(),
        due_on: format!("{period}-25"),
        amount: amount.into(),
        unpaid: amount.into(),
        late_fee: "0.00".into(),
        ..pb::OpenBill::default()
    };
    pb::CounterAccount {
        account_id: 41,
        account_no: "3101000001".into(),
        customer_name: "上海阳*餐饮有限公司".into(),
        address: "浦东新区阳光花园1栋1单元101".into(),
        status: "active".into(),
        meter_type: "mechanical".into(),
        open_bills: vec![bill(7, "2024-02", "150.00"), bill(8, "2024-03", "190.00")],
        arrears: "340.00".into(),
        late_fees: "0.00".into(),
        total_due: "340.00".into(),
        prepayment: "0.00".into(),
        ..pb::CounterAccount::default()
    }
}

fn line(no: i32, amount: &str, net: &str, tax: &str) -> pb::InvoiceLine {
    pb::InvoiceLine {
        line_no: no,
        source: "bill_line".into(),
        item_name: "*燃气*天然气".into(),
        specification: format!("2024-0{} 第一档", no + 1),
        unit: "立方米".into(),
        quantity: "50.000".into(),
        unit_price: "3.00".into(),
        amount: amount.into(),
        tax_rate: "0.09".into(),
        net: net.into(),
        tax: tax.into(),
        bill_id: i64::from(no) + 6,
        ..pb::InvoiceLine::default()
    }
}

fn issued_invoice(status: &str) -> pb::Invoice {
    pb::Invoice {
        request_no: "FP2026120700001".into(),
        invoice_no: "24312000000000000001".into(),
        kind: "special".into(),
        colour: "blue".into(),
        basis: "bills".into(),
        status: status.into(),
        buyer: Some(pb::InvoiceBuyer {
            title: "上海阳光餐饮有限公司".into(),
            tax_id: "91310115MA1K4G7X2B".into(),
            address_phone: "上海市浦东新区 021-55550000".into(),
            bank_account: "工商银行 1001".into(),
            email: String::new(),
        }),
        seller_name: "某市燃气有限公司".into(),
        total_amount: "340.00".into(),
        total_net: "311.93".into(),
        total_tax: "28.07".into(),
        amount_in_words: "叁佰肆拾圆整".into(),
        issued_on: "2026-12-07".into(),
        sources: vec!["7".into(), "8".into()],
        account_nos: vec!["3101000001".into()],
        lines: vec![
            line(1, "150.00", "137.61", "12.39"),
            line(2, "190.00", "174.31", "15.69"),
        ],
        ..pb::Invoice::default()
    }
}

/// A cashier on the counter with 3101000001 open.
fn counter_app() -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(&CASHIER, vec![Role::Cashier], home::Area::Counter);
    feed(
        &mut app,
        [
            to_counter(counter::Message::QueryChanged("3101000001".into())),
            to_counter(counter::Message::Search),
            to_counter(counter::Message::AccountLoaded {
                lookup: Lookup::AccountNo("3101000001".into()),
                result: Ok(Some(Box::new(account()))),
            }),
        ],
    );
    assert!(counter_of(&app).account.is_some());
    (runtime, app)
}

#[test]
fn a_special_invoice_refused_for_its_tax_id_shows_why_under_the_field_then_issues() {
    let (_runtime, mut app) = counter_app();
    assert!(shows(&app, "开发票 F11"));

    // F11 opens the form: the open bills are ticked, as no payment was
    // taken; the title is left to the customer's name.
    let messages = press_in(&app, counter::AMOUNT_INPUT, key::Named::F11);
    assert!(
        messages.iter().any(|message| matches!(
            message,
            Message::Home(home::Message::Counter(message))
                if matches!(message.as_ref(), counter::Message::StartInvoice)
        )),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(shows(&app, "账单 2024-02  ¥150.00"));
    assert!(shows(&app, "账单 2024-03  ¥190.00"));
    assert!(shows(&app, "所选合计 ¥340.00"));
    assert_eq!(
        issue_form(&app).title,
        "",
        "the customer's name unless typed"
    );

    // 专票 (F6) without the buyer's particulars: the form says what is
    // missing.
    assert!(shows(
        &app,
        "F5 普票 · F6 专票 · F7 数电 · Enter 下一项/开具 · Esc 关闭"
    ));
    let messages = press_in(&app, issue::TITLE_INPUT, key::Named::F6);
    feed(&mut app, messages);
    assert_eq!(issue_form(&app).kind, issue::Kind::Special);
    assert_eq!(
        counter_of(&app).payment.as_ref().map(|form| form.channel),
        Some(counter::Channel::Cash),
        "the payment form keeps its channel"
    );
    let _ = click_text(&mut app, "开具");
    assert!(issue_form(&app).is_editable(), "nothing was sent");
    assert!(shows(&app, "专票须填写购买方纳税人识别号"));
    assert!(shows(&app, "专票须填写地址、电话"));
    assert!(shows(&app, "专票须填写开户行及账号"));

    type_into(&mut app, issue::TITLE_INPUT, "上海阳光餐饮有限公司");
    type_into(&mut app, issue::TAX_ID_INPUT, "91310115MA1K4G7X2C");
    type_into(
        &mut app,
        issue::ADDRESS_PHONE_INPUT,
        "上海市浦东新区 021-55550000",
    );
    type_into(&mut app, issue::BANK_ACCOUNT_INPUT, "工商银行 1001");
    let _ = click_text(&mut app, "开具");
    let Stage::Sending { request, resend } = &issue_form(&app).stage else {
        panic!("the request is in flight: {:?}", issue_form(&app).stage);
    };
    assert!(!resend);
    let first = request.clone();
    assert_eq!(first.kind, "special");
    assert_eq!(first.bill_ids, vec![7, 8]);
    assert!(first.payment_nos.is_empty());
    let buyer = first.buyer.clone().unwrap();
    assert_eq!(buyer.title, "上海阳光餐饮有限公司");
    assert_eq!(buyer.tax_id, "91310115MA1K4G7X2C");
    assert!(first.idempotency_key.starts_with("inv-"));

    // The server refuses the check character; it names the field.
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Issued {
                key: first.idempotency_key.clone(),
                result: Err(ApiError::InvalidField {
                    field: "buyer.tax_id".into(),
                    message: "wrong check character: expected B, found C".into(),
                }),
            },
        ))],
    );
    assert_eq!(
        issue_form(&app).server_problem(Field::TaxId),
        Some("wrong check character: expected B, found C")
    );
    assert!(shows(&app, "wrong check character: expected B, found C"));
    // Under the tax id: between its input and the next field's label.
    {
        let mut ui = sim::simulate(&app, SCREEN);
        let message = ui
            .find("wrong check character: expected B, found C")
            .unwrap()
            .bounds();
        let tax_id = ui.find(selector::id(issue::TAX_ID_INPUT)).unwrap().bounds();
        let next = ui.find("地址、电话（专票必填）").unwrap().bounds();
        assert!(message.y > tax_id.y && message.y < next.y, "{message:?}");
    }

    // Corrected, it is a new attempt with a new key.
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::TaxIdChanged(String::new()),
        ))],
    );
    type_into(&mut app, issue::TAX_ID_INPUT, "91310115MA1K4G7X2B");
    assert_eq!(issue_form(&app).server_problem(Field::TaxId), None);
    let messages = press_in(&app, issue::REMARK_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    let Stage::Sending { request, .. } = &issue_form(&app).stage else {
        panic!("Enter in the remark issues");
    };
    let second = request.clone();
    assert_ne!(second.idempotency_key, first.idempotency_key);
    assert_eq!(second.buyer.as_ref().unwrap().tax_id, "91310115MA1K4G7X2B");

    // No answer: the same request goes again.
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Issued {
                key: second.idempotency_key.clone(),
                result: Err(ApiError::Unreachable("timeout".into())),
            },
        ))],
    );
    assert!(shows(&app, "重新发送"));
    let _ = click_text(&mut app, "重新发送");
    let Stage::Sending { request, resend } = &issue_form(&app).stage else {
        panic!("resent");
    };
    assert!(*resend);
    assert_eq!(*request, second, "same key, same content");

    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Issued {
                key: second.idempotency_key.clone(),
                result: Ok(Box::new(issued_invoice("issued"))),
            },
        ))],
    );
    for expected in [
        "发票已开具：24312000000000000001",
        "价税合计 ¥340.00 · 金额 ¥311.93 · 税额 ¥28.07",
        "价税合计（大写）叁佰肆拾圆整",
        "正在获取发票 PDF…",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
    let job = issue_form(&app).pdf.clone().expect("printing at once");
    assert_eq!(job.invoice_no, "24312000000000000001");
    assert_eq!(job.state, PdfState::Working);
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::PdfDone {
                invoice_no: "24312000000000000001".into(),
                result: Ok(PdfOutcome::Printed(PathBuf::from("/tmp/fp.pdf"))),
            },
        ))],
    );
    assert!(shows(&app, "发票 24312000000000000001 已送打印机"));

    // Esc closes it; the payment form is back.
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Escape);
    feed(&mut app, messages);
    assert!(counter_of(&app).invoice.is_none());
    assert!(shows(&app, "开发票 F11"));
}

#[test]
fn a_payment_just_taken_is_what_the_invoice_covers() {
    let (_runtime, mut app) = counter_app();
    let payment = pb::Payment {
        payment_no: "P202612070003".into(),
        kind: "payment".into(),
        account_id: 41,
        account_no: "3101000001".into(),
        channel: "cash".into(),
        amount: "340.00".into(),
        status: "posted".into(),
        receipt_no: "SK20261207000003".into(),
        ..pb::Payment::default()
    };
    let key = counter_of(&app).payment.as_ref().unwrap().key.clone();
    feed(
        &mut app,
        [
            to_counter(counter::Message::Post),
            to_counter(counter::Message::Posted {
                key,
                result: Ok(Box::new(payment)),
            }),
        ],
    );
    let _ = click_text(&mut app, "开发票 F11");
    assert!(shows(&app, "缴费 P202612070003  ¥340.00"));
    let _ = click_text(&mut app, "数电");
    let _ = click_text(&mut app, "开具");
    let Stage::Sending { request, .. } = &issue_form(&app).stage else {
        panic!("sent");
    };
    assert_eq!(request.payment_nos, vec!["P202612070003"]);
    assert!(request.bill_ids.is_empty(), "payments and bills do not mix");
    assert_eq!(request.kind, "digital");
    assert_eq!(request.buyer.as_ref().unwrap().title, "");

    // The same form in English.
    feed(
        &mut app,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    for expected in [
        "Issue an invoice",
        "Payment P202612070003  ¥340.00",
        "Issuing…",
        "F5 ordinary · F6 special · F7 digital · Enter next/issue · Esc close",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
}

fn finance_app() -> (tokio::runtime::Runtime, App) {
    sim::signed_in(
        &FINANCE,
        vec![Role::Finance],
        home::Area::InvoicesAndReports,
    )
}

fn listed(app: &mut App, invoices: Vec<pb::Invoice>, next_page_token: i64) {
    let request = invoices_of(app)
        .listing
        .request
        .clone()
        .expect("a page was asked for");
    feed(
        app,
        [to_invoices(invoices::Message::Listed {
            request,
            result: Ok(pb::ListInvoicesResponse {
                invoices,
                next_page_token,
            }),
        })],
    );
}

#[test]
fn the_list_searches_and_pages_and_opens_an_invoice() {
    let (_runtime, mut app) = finance_app();
    // The newest invoices come at once.
    let first = invoices_of(&app).listing.request.clone().unwrap();
    assert_eq!(
        first,
        pb::ListInvoicesRequest {
            page_size: invoices::PAGE_SIZE,
            ..pb::ListInvoicesRequest::default()
        }
    );
    let mut red_one = issued_invoice("issued");
    red_one.invoice_no = "24312000000000000009".into();
    red_one.request_no = "FP2026120700009".into();
    red_one.colour = "red".into();
    red_one.total_amount = "-150.00".into();
    listed(&mut app, vec![issued_invoice("issued"), red_one], 0);
    for expected in [
        "24312000000000000001",
        "24312000000000000009 （红字）",
        "专票",
        "上海阳光餐饮有限公司",
        "¥340.00",
        "-¥150.00",
        "已开具",
        "第 1 页",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }

    // A search by account, status and kind.
    type_into(&mut app, invoices::ACCOUNT_NO_INPUT, "3101000001");
    type_into(&mut app, invoices::DATE_FROM_INPUT, "2026-12-01");
    type_into(&mut app, invoices::DATE_TO_INPUT, "2026-11-01");
    let messages = press_in(&app, invoices::DATE_TO_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    assert!(shows(&app, "起始日期晚于截止日期"));
    feed(
        &mut app,
        [to_invoices(invoices::Message::SearchChanged(
            invoices::SearchField::DateTo,
            String::new(),
        ))],
    );
    type_into(&mut app, invoices::DATE_TO_INPUT, "2026-12-31");
    let _ = click_text(&mut app, "查询");
    assert_eq!(invoices_of(&app).search_problem, None);
    // Status and kind search at once (the labels also stand in the rows,
    // so the choice is fed as the segment's message).
    feed(
        &mut app,
        [
            to_invoices(invoices::Message::ChooseStatus(Some("issued"))),
            to_invoices(invoices::Message::ChooseKind(Some(issue::Kind::Special))),
        ],
    );
    let request = invoices_of(&app).listing.request.clone().unwrap();
    assert_eq!(request.account_no, "3101000001");
    assert_eq!(request.date_from, "2026-12-01");
    assert_eq!(request.date_to, "2026-12-31");
    assert_eq!(request.status, "issued");
    assert_eq!(request.kind, "special");
    assert_eq!(request.page_token, 0);
    listed(&mut app, vec![issued_invoice("issued")], 77);

    // The next page carries the token; the previous one goes back.
    let _ = click_text(&mut app, "下一页");
    assert_eq!(
        invoices_of(&app)
            .listing
            .request
            .as_ref()
            .unwrap()
            .page_token,
        77
    );
    let mut older = issued_invoice("reversed");
    older.invoice_no = "24312000000000000000".into();
    older.request_no = "FP2026120100001".into();
    listed(&mut app, vec![older], 0);
    assert!(shows(&app, "第 2 页"));
    assert!(shows(&app, "已红冲"));
    let _ = click_text(&mut app, "上一页");
    assert_eq!(
        invoices_of(&app)
            .listing
            .request
            .as_ref()
            .unwrap()
            .page_token,
        0
    );
    listed(&mut app, vec![issued_invoice("issued")], 77);

    // Open it: lines, totals, VAT, 大写.
    let _ = click_text(&mut app, "24312000000000000001");
    let opened = invoices_of(&app).opened.as_ref().expect("opened");
    assert_eq!(opened.number, "24312000000000000001");
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(issued_invoice("issued"))),
        })],
    );
    for expected in [
        "发票 24312000000000000001",
        "价税合计 ¥340.00 · 金额 ¥311.93 · 税额 ¥28.07",
        "价税合计（大写）叁佰肆拾圆整",
        "*燃气*天然气",
        "50.000 立方米",
        "9%",
        "¥12.39",
        "打印发票",
        "另存为PDF",
        "红冲",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
    // Esc goes back to the list.
    let messages = press(&app, None, key::Named::Escape);
    feed(&mut app, messages);
    assert!(invoices_of(&app).opened.is_none());
    assert!(shows(&app, "第 1 页"));
}

#[test]
fn a_cashier_sees_invoices_but_does_not_reverse_them() {
    let (_runtime, mut app) = sim::signed_in(
        &CASHIER,
        vec![Role::Cashier],
        home::Area::InvoicesAndReports,
    );
    listed(&mut app, vec![issued_invoice("issued")], 0);
    let _ = click_text(&mut app, "24312000000000000001");
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(issued_invoice("issued"))),
        })],
    );
    assert!(shows(&app, "打印发票"));
    assert!(!shows(&app, "红冲"));
    feed(&mut app, [to_invoices(invoices::Message::StartRed)]);
    assert!(invoices_of(&app).opened.as_ref().unwrap().red.is_none());
}

#[test]
fn a_partial_red_reversal_goes_from_the_form_to_the_red_invoice() {
    let (_runtime, mut app) = finance_app();
    listed(&mut app, vec![issued_invoice("issued")], 0);
    let _ = click_text(&mut app, "24312000000000000001");
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(issued_invoice("issued"))),
        })],
    );
    let _ = click_text(&mut app, "红冲");
    assert!(shows(&app, "红冲：填开红字确认单"));
    let _ = click_text(&mut app, "提交确认单");
    assert!(shows(&app, "请填写红冲原因"));

    let _ = click_text(&mut app, "部分红冲（选择行）");
    assert!(shows(&app, "第 2 行 *燃气*天然气 ¥190.00"));
    // Typing what to reverse of a line ticks it.
    feed(
        &mut app,
        [to_invoices(invoices::Message::RedLineAmount(
            1,
            String::new(),
        ))],
    );
    type_into(&mut app, "red-line-1", "40.00");
    type_into(&mut app, red::REASON_INPUT, "表计故障多计气量");
    let messages = press_in(&app, red::REASON_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    let opened = invoices_of(&app).opened.as_ref().unwrap();
    let red::Stage::Sending(request) = &opened.red.as_ref().unwrap().stage else {
        panic!("the form is sent");
    };
    let request = request.clone();
    assert_eq!(request.invoice_no, "24312000000000000001");
    assert_eq!(
        request.lines,
        vec![pb::RedLine {
            line_no: 2,
            amount: "40.00".into()
        }]
    );
    assert_eq!(request.reason, "表计故障多计气量");
    assert!(request.idempotency_key.starts_with("red-"));

    let form = |status: &str, red_invoice_no: &str| pb::RedConfirmation {
        form_no: "HZ2026120700001".into(),
        invoice_no: "24312000000000000001".into(),
        initiator: "seller".into(),
        full_reversal: false,
        reason: "表计故障多计气量".into(),
        amount: "-40.00".into(),
        status: status.into(),
        red_invoice_no: red_invoice_no.into(),
        created_by: "lijing".into(),
        created_at: "2026-12-07T08:00:00Z".into(),
    };
    feed(
        &mut app,
        [to_invoices(invoices::Message::RedEntered {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(form("seller_entered_awaiting_buyer", ""))),
        })],
    );
    let opened = invoices_of(&app).opened.as_ref().unwrap();
    assert!(opened.red.is_none());
    assert!(opened.loading, "the invoice is read again");
    let mut with_form = issued_invoice("issued");
    with_form.forms = vec![form("seller_entered_awaiting_buyer", "")];
    with_form.events = vec![pb::InvoiceEvent {
        form_no: "HZ2026120700001".into(),
        to_status: "seller_entered_awaiting_buyer".into(),
        side: "seller".into(),
        actor: "lijing".into(),
        at: "2026-12-07T08:00:00Z".into(),
        ..pb::InvoiceEvent::default()
    }];
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(with_form.clone())),
        })],
    );
    assert!(shows(&app, "销方已填开，待购方确认"));
    assert!(shows(&app, "已完成：HZ2026120700001"));
    assert!(!shows(&app, "开具红字发票"), "the buyer has not confirmed");

    // The buyer confirms on the platform; a refresh learns it.
    let _ = click_text(&mut app, "刷新确认状态");
    assert_eq!(
        invoices_of(&app)
            .opened
            .as_ref()
            .unwrap()
            .form_busy
            .as_deref(),
        Some("HZ2026120700001")
    );
    feed(
        &mut app,
        [to_invoices(invoices::Message::FormAnswered {
            form_no: "HZ2026120700001".into(),
            result: Ok(Box::new(form("both_confirmed", ""))),
        })],
    );
    assert!(shows(&app, "双方已确认"));
    let _ = click_text(&mut app, "开具红字发票");
    let issue = invoices_of(&app).opened.as_ref().unwrap().red_issues["HZ2026120700001"].clone();
    assert!(issue.sending);
    // Refused once (the platform is busy): the next press is a new request.
    feed(
        &mut app,
        [to_invoices(invoices::Message::RedIssued {
            form_no: "HZ2026120700001".into(),
            key: issue.key.clone(),
            result: Err(ApiError::Refused(
                "the platform is closed for the night".into(),
            )),
        })],
    );
    assert!(shows(&app, "the platform is closed for the night"));
    let _ = click_text(&mut app, "开具红字发票");
    let again = invoices_of(&app).opened.as_ref().unwrap().red_issues["HZ2026120700001"].clone();
    assert_ne!(again.key, issue.key);
    let mut red_invoice = issued_invoice("issued");
    red_invoice.invoice_no = "24312000000000000010".into();
    red_invoice.colour = "red".into();
    red_invoice.original_invoice_no = "24312000000000000001".into();
    feed(
        &mut app,
        [to_invoices(invoices::Message::RedIssued {
            form_no: "HZ2026120700001".into(),
            key: again.key.clone(),
            result: Ok(Box::new(red_invoice)),
        })],
    );
    assert!(shows(&app, "已完成：24312000000000000010"));
    let mut reversed = issued_invoice("partly_reversed");
    reversed.reversed_amount = "-40.00".into();
    reversed.forms = vec![form("both_confirmed", "24312000000000000010")];
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(reversed)),
        })],
    );
    assert!(shows(&app, "部分红冲"));
    assert!(!shows(&app, "开具红字发票"), "issued once");
    assert!(shows(&app, "打开红字发票 24312000000000000010"));

    // The PDF goes to a file of the user's choice.
    feed(
        &mut app,
        [to_invoices(invoices::Message::SaveAs(
            gascis::i18n::Language::SimplifiedChinese,
        ))],
    );
    feed(
        &mut app,
        [to_invoices(invoices::Message::SavePathPicked {
            invoice_no: "24312000000000000001".into(),
            path: Some(PathBuf::from("/tmp/发票")),
        })],
    );
    assert_eq!(
        invoices_of(&app).pdf.as_ref().unwrap().state,
        PdfState::Working
    );
    feed(
        &mut app,
        [to_invoices(invoices::Message::PdfDone {
            invoice_no: "24312000000000000001".into(),
            result: Ok(PdfOutcome::Saved(PathBuf::from("/tmp/发票.pdf"))),
        })],
    );
    assert!(shows(
        &app,
        "发票 24312000000000000001 已保存到 /tmp/发票.pdf"
    ));

    // The red invoice opens from its form.
    let _ = click_text(&mut app, "打开红字发票 24312000000000000010");
    assert_eq!(
        invoices_of(&app).opened.as_ref().unwrap().number,
        "24312000000000000010"
    );
}

#[test]
fn an_unknown_outcome_is_asked_for_and_prints_once_issued() {
    let (_runtime, mut app) = counter_app();
    let _ = click_text(&mut app, "开发票 F11");
    let _ = click_text(&mut app, "开具");
    let Stage::Sending { request, .. } = &issue_form(&app).stage else {
        panic!("sent");
    };
    let key = request.idempotency_key.clone();
    let mut unknown = issued_invoice("unknown");
    unknown.invoice_no = String::new();
    unknown.status_detail = "the platform did not answer".into();
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Issued {
                key,
                result: Ok(Box::new(unknown)),
            },
        ))],
    );
    assert!(shows(&app, "开票请求 FP2026120700001：结果未知"));
    assert!(shows(&app, "the platform did not answer"));
    assert!(!shows(&app, "打印发票"), "nothing to print yet");
    assert!(issue_form(&app).pdf.is_none());
    let _ = click_text(&mut app, "查询开票结果");
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Resolved(Ok(Box::new(issued_invoice("issued")))),
        ))],
    );
    assert!(shows(&app, "发票已开具：24312000000000000001"));
    assert_eq!(
        issue_form(&app).pdf.as_ref().map(|job| job.state.clone()),
        Some(PdfState::Working),
        "issued after all: it prints"
    );
}

#[test]
fn a_form_the_buyer_entered_is_confirmed_or_refused_by_finance() {
    let (_runtime, mut app) = finance_app();
    listed(&mut app, vec![issued_invoice("issued")], 0);
    let _ = click_text(&mut app, "24312000000000000001");
    let buyers = |status: &str| pb::RedConfirmation {
        form_no: "HZ2026120700002".into(),
        invoice_no: "24312000000000000001".into(),
        initiator: "buyer".into(),
        full_reversal: true,
        reason: "购方退货".into(),
        amount: "-340.00".into(),
        status: status.into(),
        ..pb::RedConfirmation::default()
    };
    let mut shown = issued_invoice("issued");
    shown.forms = vec![buyers("buyer_entered_awaiting_seller")];
    feed(
        &mut app,
        [to_invoices(invoices::Message::Loaded {
            number: "24312000000000000001".into(),
            result: Ok(Box::new(shown)),
        })],
    );
    assert!(shows(&app, "购方已填开，待销方确认"));
    assert!(shows(
        &app,
        "HZ2026120700002 · 全额 -¥340.00 · 购方填开 · 购方退货"
    ));
    assert!(!shows(&app, "开具红字发票"));
    let messages = click_text(&mut app, "拒绝");
    assert!(
        messages.iter().any(|message| matches!(
            message,
            Message::Home(home::Message::Invoices(message))
                if matches!(
                    message.as_ref(),
                    invoices::Message::AnswerForm { accept: false, .. }
                )
        )),
        "{messages:?}"
    );
    assert_eq!(
        invoices_of(&app)
            .opened
            .as_ref()
            .unwrap()
            .form_busy
            .as_deref(),
        Some("HZ2026120700002"),
        "one answer at a time"
    );
    feed(
        &mut app,
        [to_invoices(invoices::Message::FormAnswered {
            form_no: "HZ2026120700002".into(),
            result: Ok(Box::new(buyers("refused"))),
        })],
    );
    assert!(shows(&app, "已拒绝"));
    assert!(
        !shows(&app, "开具红字发票"),
        "a refused form issues nothing"
    );
}

/// Renders the invoice screens to PNG files for people to look at (not a
/// check): `cargo test -p gascis --test invoices_ui -- --ignored`; the
/// files go to GASCIS_SHOTS (default: the target's tmp dir).
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::env::var_os("GASCIS_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str| {
        let view_size = Size::new(1200.0, 780.0);
        let mut ui =
            iced_test::Simulator::with_size(gascis::theme::settings(), view_size, app.view());
        let snapshot = ui.snapshot(&theme).unwrap();
        let path = directory.join(format!("{name}.png"));
        let written =
            ["tiny-skia", "wgpu"].map(|renderer| directory.join(format!("{name}-{renderer}.png")));
        for file in &written {
            let _ = std::fs::remove_file(file);
        }
        assert!(snapshot.matches_image(&path).unwrap());
        let written = written.into_iter().find(|file| file.exists()).unwrap();
        println!("wrote {}", written.display());
    };

    let (_runtime, mut app) = counter_app();
    let _ = click_text(&mut app, "开发票 F11");
    feed(
        &mut app,
        [
            to_counter(counter::Message::Invoice(issue::Message::ChooseKind(
                issue::Kind::Special,
            ))),
            to_counter(counter::Message::Invoice(issue::Message::Issue)),
        ],
    );
    save(&app, "invoice-form");
    feed(
        &mut app,
        [
            to_counter(counter::Message::Invoice(issue::Message::ChooseKind(
                issue::Kind::Ordinary,
            ))),
            to_counter(counter::Message::Invoice(issue::Message::Issue)),
        ],
    );
    let key = match &issue_form(&app).stage {
        Stage::Sending { request, .. } => request.idempotency_key.clone(),
        other => panic!("{other:?}"),
    };
    feed(
        &mut app,
        [to_counter(counter::Message::Invoice(
            issue::Message::Issued {
                key,
                result: Ok(Box::new(issued_invoice("issued"))),
            },
        ))],
    );
    save(&app, "invoice-issued");

    let (_runtime, mut app) = finance_app();
    listed(&mut app, vec![issued_invoice("issued")], 77);
    save(&app, "invoice-list");
    let _ = click_text(&mut app, "24312000000000000001");
    let mut shown = issued_invoice("issued");
    shown.forms = vec![pb::RedConfirmation {
        form_no: "HZ2026120700001".into(),
        invoice_no: "24312000000000000001".into(),
        initiator: "buyer".into(),
        amount: "-40.00".into(),
        reason: "退气".into(),
        status: "buyer_entered_awaiting_seller".into(),
        ..pb::RedConfirmation::default()
    }];
    feed(
        &mut app,
        [
            to_invoices(invoices::Message::Loaded {
                number: "24312000000000000001".into(),
                result: Ok(Box::new(shown)),
            }),
            to_invoices(invoices::Message::StartRed),
            to_invoices(invoices::Message::RedFull(false)),
        ],
    );
    save(&app, "invoice-detail-red");
}

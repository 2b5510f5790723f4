//! Invoices against a real gascis server (in-process, TLS, its own
//! throw-away PostgreSQL, the simulated invoicing platform): the cashier
//! issues a 专票 for the account's open bill from the counter — refused
//! first for the buyer's tax id, with the server's words under the field —
//! and prints it; finance finds it in the list, reverses it in full (红冲:
//! a form the platform does not need confirmed) and issues the red
//! invoice. The keys and clicks go through the simulator, the requests are
//! the ones the screens built, the calls are the real `api::invoices`
//! functions, and their outcomes are fed back to `update`.
//!
//! Printing goes through `GASCIS_PRINT_COMMAND`, pointed at a script that
//! copies the PDF; `pdftotext` (poppler-utils) reads it back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gascis::api::counter as counter_api;
use gascis::api::invoices as invoices_api;
use gascis::api::{self, Session};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::counter::{self, Counter, Lookup};
use gascis::screen::invoices::issue::{self, Field, Stage};
use gascis::screen::invoices::{self, Invoices, PdfState, red};
use gascis::screen::{home, login};
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::proto::v1::{self as pb};
use gascis_testkit::TestServer;
use iced::Size;

#[path = "support/live.rs"]
mod live;
#[path = "support/sim.rs"]
mod sim;
use live::{account_with_a_bill, copying_printer, sign_in};

use sim::feed;

const SCREEN: Size = Size::new(1400.0, 1600.0);

/// A valid unified social credit code, and the same with a wrong check
/// character.
const TAX_ID: &str = "91350100M000100Y43";
const WRONG_TAX_ID: &str = "91350100M000100Y44";

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn to_counter(message: counter::Message) -> Message {
    Message::Home(home::Message::counter(message))
}

fn to_invoice_form(message: issue::Message) -> Message {
    to_counter(counter::Message::Invoice(message))
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
        Screen::Home(home) => home.invoices().expect("the invoices area"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

fn issue_form(app: &App) -> &issue::IssueForm {
    counter_of(app).invoice.as_ref().expect("the invoice form")
}

fn sending(app: &App) -> pb::IssueInvoiceRequest {
    match &issue_form(app).stage {
        Stage::Sending { request, .. } => request.clone(),
        other => panic!("expected a request in flight: {other:?}"),
    }
}

fn signed_in_app(session: &Session) -> App {
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(
            Ok(session.clone()),
        ))],
    );
    app
}

fn pdf_text(path: &Path) -> anyhow::Result<String> {
    let text = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()?;
    assert!(text.status.success(), "pdftotext: {text:?}");
    Ok(String::from_utf8_lossy(&text.stdout).into_owned())
}

/// One test in this binary: it sets the print command for the process
/// before any other thread runs.
#[test]
fn a_special_invoice_from_the_counter_to_its_red_reversal() -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let printed_dir = work.path().join("printed");
    std::fs::create_dir_all(&printed_dir)?;
    let command = copying_printer(work.path(), &printed_dir)?;
    // SAFETY: the only test of this binary, and no runtime or other thread
    // has been started yet: nothing reads the environment concurrently.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(gascis::print::COMMAND_VARIABLE, &command);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(issue_and_reverse(&printed_dir, work.path()))
}

async fn issue_and_reverse(printed_dir: &Path, work: &Path) -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let account_no = account_with_a_bill(&server).await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    server
        .create_user("qianli", "钱丽", "finance-pass-1", &[Role::Finance])
        .await?;
    let cashier = sign_in(&server, "wangfang", "cashier-pass-1").await?;
    let finance = sign_in(&server, "qianli", "finance-pass-1").await?;

    // The cashier opens the account at the counter.
    let mut app = signed_in_app(&cashier);
    feed(
        &mut app,
        [
            to_counter(counter::Message::QueryChanged(account_no.clone())),
            to_counter(counter::Message::Search),
        ],
    );
    let lookup = counter_of(&app).pending_lookup.clone().expect("a lookup");
    assert_eq!(lookup, Lookup::AccountNo(account_no.clone()));
    let found = counter_api::get_counter_account(cashier.clone(), lookup.request()).await;
    feed(
        &mut app,
        [to_counter(counter::Message::AccountLoaded {
            lookup,
            result: found.map(|account| account.map(Box::new)),
        })],
    );
    let account = counter_of(&app).account.clone().expect("the account");
    assert_eq!(account.open_bills.len(), 1, "{account:?}");
    let bill = account.open_bills[0].clone();

    // 开发票: a 专票 for the open bill, the tax id one character off.
    let _ = sim::click_text(&mut app, SCREEN, "开发票 F11");
    let _ = sim::click_text(&mut app, SCREEN, "专票");
    sim::type_into(&mut app, SCREEN, issue::TITLE_INPUT, "某某餐饮管理有限公司");
    sim::type_into(&mut app, SCREEN, issue::TAX_ID_INPUT, WRONG_TAX_ID);
    sim::type_into(
        &mut app,
        SCREEN,
        issue::ADDRESS_PHONE_INPUT,
        "北京市朝阳区建国路1号 010-12345678",
    );
    sim::type_into(
        &mut app,
        SCREEN,
        issue::BANK_ACCOUNT_INPUT,
        "工商银行建国路支行 0200001234567890",
    );
    let _ = sim::click_text(&mut app, SCREEN, "开具");
    let refused_request = sending(&app);
    assert_eq!(refused_request.bill_ids, vec![bill.bill_id]);
    let answer = invoices_api::issue_invoice(cashier.clone(), refused_request.clone()).await;
    let refusal = answer
        .clone()
        .expect_err("a wrong check character is refused");
    feed(
        &mut app,
        [to_invoice_form(issue::Message::Issued {
            key: refused_request.idempotency_key.clone(),
            result: answer.map(Box::new),
        })],
    );
    let said = issue_form(&app)
        .server_problem(Field::TaxId)
        .unwrap_or_else(|| panic!("the refusal names the tax id: {refusal:?}"))
        .to_owned();
    assert!(shows(&app, &said), "{said}");

    // Corrected, a new attempt.
    feed(
        &mut app,
        [to_invoice_form(issue::Message::TaxIdChanged(String::new()))],
    );
    sim::type_into(&mut app, SCREEN, issue::TAX_ID_INPUT, TAX_ID);
    let _ = sim::click_text(&mut app, SCREEN, "开具");
    let request = sending(&app);
    assert_ne!(request.idempotency_key, refused_request.idempotency_key);
    let answer = invoices_api::issue_invoice(cashier.clone(), request.clone()).await;
    assert!(answer.is_ok(), "{answer:?}");
    // The same request again (a lost answer) gives the same invoice.
    let again = invoices_api::issue_invoice(cashier.clone(), request.clone()).await?;
    feed(
        &mut app,
        [to_invoice_form(issue::Message::Issued {
            key: request.idempotency_key.clone(),
            result: answer.map(Box::new),
        })],
    );
    let invoice = issue_form(&app).invoice().cloned().expect("issued");
    assert_eq!(invoice.status, "issued", "{invoice:?}");
    assert_eq!(again.invoice_no, invoice.invoice_no);
    assert_eq!(invoice.total_amount, bill.amount);
    assert!(shows(&app, &format!("发票已开具：{}", invoice.invoice_no)));
    assert!(shows(
        &app,
        &format!("价税合计（大写）{}", invoice.amount_in_words)
    ));

    // It prints by itself.
    let job = issue_form(&app).pdf.clone().expect("printing");
    assert_eq!(job.state, PdfState::Working);
    let printed = invoices_api::print_invoice(cashier.clone(), job.invoice_no.clone(), None).await;
    assert!(printed.is_ok(), "{printed:?}");
    feed(
        &mut app,
        [to_invoice_form(issue::Message::PdfDone {
            invoice_no: job.invoice_no.clone(),
            result: printed,
        })],
    );
    assert!(shows(
        &app,
        &format!("发票 {} 已送打印机", invoice.invoice_no)
    ));
    let copies: Vec<PathBuf> = std::fs::read_dir(printed_dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(copies.len(), 1, "{copies:?}");
    let text = pdf_text(&copies[0])?;
    assert!(text.contains(&invoice.invoice_no), "{text}");
    assert!(text.contains("某某餐饮管理有限公司"), "{text}");
    assert!(text.contains(TAX_ID), "{text}");

    // The bill is on a standing invoice: a second one is refused, and the
    // form says so rather than waiting for an answer.
    feed(&mut app, [to_invoice_form(issue::Message::Close)]);
    assert!(counter_of(&app).invoice.is_none());
    feed(&mut app, [to_counter(counter::Message::StartInvoice)]);
    let _ = sim::click_text(&mut app, SCREEN, "开具");
    let twice = sending(&app);
    assert_eq!(twice.bill_ids, vec![bill.bill_id]);
    let answer = invoices_api::issue_invoice(cashier.clone(), twice.clone()).await;
    assert!(
        matches!(answer, Err(api::ApiError::Refused(_))),
        "{answer:?}"
    );
    feed(
        &mut app,
        [to_invoice_form(issue::Message::Issued {
            key: twice.idempotency_key.clone(),
            result: answer.map(Box::new),
        })],
    );
    assert!(issue_form(&app).is_editable());
    assert!(matches!(
        issue_form(&app).stage,
        Stage::Editing {
            problem: Some(api::ApiError::Refused(_))
        }
    ));

    // Finance finds it by account.
    let mut office = signed_in_app(&finance);
    feed(
        &mut office,
        [
            Message::Home(home::Message::Select(home::Area::InvoicesAndReports)),
            to_invoices(invoices::Message::SearchChanged(
                invoices::SearchField::AccountNo,
                account_no.clone(),
            )),
            to_invoices(invoices::Message::Search),
        ],
    );
    let list_request = invoices_of(&office).listing.request.clone().expect("asked");
    assert_eq!(list_request.account_no, account_no);
    let page = invoices_api::list_invoices(finance.clone(), list_request.clone()).await;
    feed(
        &mut office,
        [to_invoices(invoices::Message::Listed {
            request: list_request,
            result: page,
        })],
    );
    assert_eq!(invoices_of(&office).listing.invoices.len(), 1);
    let _ = sim::click_text(&mut office, SCREEN, &invoice.invoice_no);
    let number = invoices_of(&office)
        .opened
        .as_ref()
        .expect("opened")
        .number
        .clone();
    let loaded = invoices_api::get_invoice(finance.clone(), number.clone()).await;
    feed(
        &mut office,
        [to_invoices(invoices::Message::Loaded {
            number: number.clone(),
            result: loaded.map(Box::new),
        })],
    );
    assert!(shows(&office, "*燃气*天然气"));

    // 红冲 in full: the buyer has not booked it, so no confirmation.
    let _ = sim::click_text(&mut office, SCREEN, "红冲");
    sim::type_into(&mut office, SCREEN, red::REASON_INPUT, "购买方名称有误");
    let _ = sim::click_text(&mut office, SCREEN, "提交确认单");
    let red_request = match &invoices_of(&office)
        .opened
        .as_ref()
        .and_then(|opened| opened.red.as_ref())
        .expect("the red form")
        .stage
    {
        red::Stage::Sending(request) => request.clone(),
        other => panic!("sent: {other:?}"),
    };
    assert!(red_request.lines.is_empty(), "in full");
    let entered =
        invoices_api::request_red_confirmation(finance.clone(), red_request.clone()).await;
    assert!(entered.is_ok(), "{entered:?}");
    feed(
        &mut office,
        [to_invoices(invoices::Message::RedEntered {
            key: red_request.idempotency_key.clone(),
            result: entered.map(Box::new),
        })],
    );
    let reloaded = invoices_api::get_invoice(finance.clone(), number.clone()).await;
    feed(
        &mut office,
        [to_invoices(invoices::Message::Loaded {
            number: number.clone(),
            result: reloaded.map(Box::new),
        })],
    );
    assert!(shows(&office, "无需确认"));
    let _ = sim::click_text(&mut office, SCREEN, "开具红字发票");
    let opened = invoices_of(&office).opened.as_ref().expect("opened");
    let (form_no, red_issue) = opened
        .red_issues
        .iter()
        .map(|(form_no, issue)| (form_no.clone(), issue.clone()))
        .next()
        .expect("a red invoice is asked for");
    let red_invoice = invoices_api::issue_red_invoice(
        finance.clone(),
        pb::IssueRedInvoiceRequest {
            idempotency_key: red_issue.key.clone(),
            form_no: form_no.clone(),
        },
    )
    .await;
    assert!(red_invoice.is_ok(), "{red_invoice:?}");
    let red_no = red_invoice.as_ref().map(|i| i.invoice_no.clone()).unwrap();
    feed(
        &mut office,
        [to_invoices(invoices::Message::RedIssued {
            form_no,
            key: red_issue.key,
            result: red_invoice.map(Box::new),
        })],
    );
    assert!(shows(&office, &format!("已完成：{red_no}")));
    let reloaded = invoices_api::get_invoice(finance.clone(), number.clone()).await;
    feed(
        &mut office,
        [to_invoices(invoices::Message::Loaded {
            number: number.clone(),
            result: reloaded.map(Box::new),
        })],
    );
    let shown = invoices_of(&office)
        .opened
        .as_ref()
        .and_then(|opened| opened.invoice.clone())
        .expect("the invoice");
    assert_eq!(shown.status, "reversed", "{shown:?}");
    assert!(shows(&office, "已红冲"));

    // The red invoice saved as a PDF.
    let saved =
        invoices_api::save_invoice(finance.clone(), red_no.clone(), work.join("红字")).await?;
    let invoices_api::PdfOutcome::Saved(path) = saved else {
        panic!("saved");
    };
    assert_eq!(path, work.join("红字.pdf"));
    let text = pdf_text(&path)?;
    assert!(text.contains(&red_no), "{text}");
    server.shutdown().await
}

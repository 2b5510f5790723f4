//! The counter against a real gascis server (in-process, TLS, its own
//! throw-away PostgreSQL): a cash payment from the search to the printed
//! receipt. The keys go through the simulator, the requests are the ones
//! the screen built, the calls are the real `api::counter` functions, and
//! their outcomes are fed back to `update` as iced's runtime would. Then
//! 购气 for an IC-card account through the app's card reader, a failed
//! write re-written with F10 (补气), charged once.
//!
//! Printing goes through `GASCIS_PRINT_COMMAND`, pointed at a script that
//! copies the PDF; `pdftotext` (poppler-utils) reads it back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use gascis::api::Session;
use gascis::api::counter as counter_api;
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::counter::{self, Counter, Done, Lookup, PrintState, gas};
use gascis::screen::{home, login};
use gascis::settings::Settings;
use gascis_common::card::{CardReader, CardState};
use gascis_common::proto::v1::{self as pb, archive_service_client::ArchiveServiceClient};
use gascis_common::tariff::Volume;
use gascis_common::{Money, Role};
use gascis_testkit::archive_fixtures::{meter, open_request};
use gascis_testkit::{TestServer, authed};
use iced::Size;
use iced::keyboard::{self, key};
use iced_test::selector;

#[path = "support/live.rs"]
mod live;
#[path = "support/sim.rs"]
mod sim;
use live::{account_with_a_bill, copying_printer, sign_in};

use sim::feed;

const SCREEN: Size = Size::new(1280.0, 1400.0);

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn to_counter(message: counter::Message) -> Message {
    Message::Home(home::Message::counter(message))
}

fn counter_of(app: &App) -> &Counter {
    match app.screen() {
        Screen::Home(home) => home.counter().expect("the counter is open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// Presses `key` with the cursor in the input `id` and feeds the messages.
fn press_in(app: &mut App, id: &str, key: key::Named) {
    let messages: Vec<Message> = {
        let mut ui = sim::simulate(app, SCREEN);
        let _ = ui.click(selector::id(id.to_owned())).unwrap();
        let _ = ui.simulate(iced_test::simulator::tap_key(
            keyboard::Key::Named(key),
            None,
        ));
        ui.into_messages().collect()
    };
    assert!(!messages.is_empty(), "{key:?} in {id} did nothing");
    feed(app, messages);
}

/// One test in this binary: it sets the print command for the process
/// before any other thread runs.
#[test]
fn a_cash_payment_from_the_search_to_the_printed_receipt() -> anyhow::Result<()> {
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
    runtime.block_on(cash_payment(&printed_dir))
}

async fn cash_payment(printed_dir: &Path) -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let account_no = account_with_a_bill(&server).await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let cashier = sign_in(&server, "wangfang", "cashier-pass-1").await?;

    // Signed in, the cashier is on the counter.
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(
            Ok(cashier.clone()),
        ))],
    );
    let Screen::Home(home) = app.screen() else {
        panic!("home");
    };
    assert_eq!(home.selected(), home::Area::Counter);
    let till = counter_api::get_till(cashier.clone()).await;
    let till = till.map(Box::new);
    assert!(till.is_ok(), "{till:?}");
    feed(&mut app, [to_counter(counter::Message::TillLoaded(till))]);

    // The account number, Enter.
    sim::type_into(&mut app, SCREEN, counter::SEARCH_INPUT, &account_no);
    press_in(&mut app, counter::SEARCH_INPUT, key::Named::Enter);
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
    let account = counter_of(&app)
        .account
        .clone()
        .expect("the account is shown");
    assert_eq!(account.account_no, account_no);
    assert_eq!(account.open_bills.len(), 1, "{account:?}");
    assert_eq!(account.open_bills[0].period, "2024-03");
    assert!(shows(&app, "2024-03"));
    assert!(shows(
        &app,
        &gascis::i18n::archive::money(&account.total_due)
    ));
    let total_due = Money::from_str(&account.total_due)?;
    assert!(total_due > Money::ZERO);

    // Cash (F5), the amount typed, the money handed over, Enter.
    press_in(&mut app, counter::AMOUNT_INPUT, key::Named::F5);
    feed(
        &mut app,
        [to_counter(counter::Message::AmountChanged(String::new()))],
    );
    sim::type_into(
        &mut app,
        SCREEN,
        counter::AMOUNT_INPUT,
        &total_due.to_string(),
    );
    let tendered = total_due
        .checked_add(Money::from_fen(5_000))
        .expect("in range");
    sim::type_into(
        &mut app,
        SCREEN,
        counter::TENDERED_INPUT,
        &tendered.to_string(),
    );
    assert!(shows(&app, "¥50.00"), "the change, live");
    press_in(&mut app, counter::TENDERED_INPUT, key::Named::Enter);
    let request = counter_of(&app)
        .payment
        .as_ref()
        .and_then(|form| form.in_flight().cloned())
        .expect("the payment was sent");
    assert_eq!(request.channel, "cash");
    assert_eq!(request.amount, total_due.to_string());
    assert_eq!(request.tendered, tendered.to_string());

    let posted = counter_api::post_payment(cashier.clone(), request.clone()).await;
    assert!(
        posted.as_ref().is_ok_and(|p| p.status == "posted"),
        "{posted:?}"
    );
    // The same request again (a lost answer) is the same payment.
    let again = counter_api::post_payment(cashier.clone(), request.clone()).await?;
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: request.idempotency_key.clone(),
            result: posted.map(Box::new),
        })],
    );
    let Some(Done::Paid(payment)) = counter_of(&app).done.clone() else {
        panic!("paid");
    };
    assert_eq!(again.payment_no, payment.payment_no);
    assert_eq!(payment.change, "50.00");
    assert!(!payment.receipt_no.is_empty());
    assert!(shows(
        &app,
        &format!("收款成功 · 收据号 {}", payment.receipt_no)
    ));
    assert!(shows(&app, "找零 ¥50.00"));

    // The receipt prints by itself: the request the screen made, printed.
    let job = counter_of(&app).print.clone().expect("printing");
    assert_eq!(job.receipt_no, payment.receipt_no);
    let printed = counter_api::print_receipt(
        cashier.clone(),
        job.request.clone(),
        counter_of(&app).printer().map(str::to_owned),
    )
    .await;
    assert!(printed.is_ok(), "{printed:?}");
    feed(
        &mut app,
        [to_counter(counter::Message::Printed {
            receipt_no: job.receipt_no.clone(),
            result: printed,
        })],
    );
    assert!(matches!(
        counter_of(&app).print.as_ref().map(|job| &job.state),
        Some(PrintState::Printed(_))
    ));
    assert!(shows(
        &app,
        &format!("收据 {} 已送打印机", payment.receipt_no)
    ));
    let copies: Vec<PathBuf> = std::fs::read_dir(printed_dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    assert_eq!(copies.len(), 1, "{copies:?}");
    let text = std::process::Command::new("pdftotext")
        .arg(&copies[0])
        .arg("-")
        .output()?;
    assert!(text.status.success(), "pdftotext: {text:?}");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&payment.receipt_no), "{text}");
    assert!(text.contains("大写"), "{text}");

    // The till counts it; the shift's list has it.
    let till = counter_api::get_till(cashier.clone()).await?;
    assert_eq!(till.status, "open");
    assert_eq!(till.expected_cash, total_due.to_string());
    let listed = counter_api::list_shift_payments(cashier.clone(), till.shift_id).await?;
    assert_eq!(
        listed
            .iter()
            .map(|p| p.receipt_no.as_str())
            .collect::<Vec<_>>(),
        [payment.receipt_no.as_str()]
    );
    feed(
        &mut app,
        [to_counter(counter::Message::TillLoaded(Ok(Box::new(till))))],
    );
    assert!(shows(
        &app,
        &format!(
            "应有现金 {}",
            gascis::i18n::archive::money(&total_due.to_string())
        )
    ));

    // A reprint is marked as such.
    let reprint = counter_api::print_receipt(cashier.clone(), job.request, None).await?;
    assert!(reprint.reprint && reprint.prints == 2, "{reprint:?}");

    card_sale(&server, &mut app, &cashier, printed_dir).await?;
    server.shutdown().await
}

/// 购气 for an IC-card account: the card read by the app's reader, the
/// quote, the sale, a write that fails, 补气 with F10, the receipt.
async fn card_sale(
    server: &TestServer,
    app: &mut App,
    cashier: &Session,
    printed_dir: &Path,
) -> anyhow::Result<()> {
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut request = open_request("李静", 2);
    request.meter = Some(meter("JK00000002", pb::MeterType::IcCard, "IC20000002"));
    let opened = ArchiveServiceClient::new(server.channel().await?)
        .open_account(authed(request, &token))
        .await?
        .into_inner();
    let account_no = opened.account.expect("opened").account_no;
    let reader = counter_of(app).card_reader().clone();
    reader.lock().unwrap().insert(CardState {
        card_no: "IC20000002".into(),
        issue_count: 1,
        purchase_count: 0,
        gas_on_card: Volume::from_m3(0),
    });

    // The next customer: Esc back to the search, the account number.
    feed(app, [to_counter(counter::Message::Escape)]);
    feed(app, [to_counter(counter::Message::Escape)]);
    sim::type_into(app, SCREEN, counter::SEARCH_INPUT, &account_no);
    press_in(app, counter::SEARCH_INPUT, key::Named::Enter);
    let lookup = counter_of(app).pending_lookup.clone().expect("a lookup");
    let found = counter_api::get_counter_account(cashier.clone(), lookup.request()).await;
    feed(
        app,
        [to_counter(counter::Message::AccountLoaded {
            lookup,
            result: found.map(|account| account.map(Box::new)),
        })],
    );
    assert!(
        counter_of(app).gas.is_some(),
        "an IC-card account opens on 购气"
    );
    let card = counter_api::read_card(reader.clone()).await;
    feed(app, [to_counter(counter::Message::GasCardRead(card))]);

    // 10 m³, priced by the server as typed.
    sim::type_into(app, SCREEN, counter::gas::QUANTITY_INPUT, "10");
    let gas::Quote::Asking(asked) = gas_of(app).quote.clone() else {
        panic!("a quote is asked for");
    };
    let quote = counter_api::quote_gas_purchase(cashier.clone(), asked.clone()).await?;
    assert_eq!(quote.volume_m3, "10.000");
    assert!(quote.blocked_reason.is_empty(), "{quote:?}");
    let due = Money::from_str(&quote.cash_due)?;
    feed(
        app,
        [to_counter(counter::Message::GasQuoted {
            asked,
            result: Ok(Box::new(quote.clone())),
        })],
    );
    assert!(shows(
        app,
        &gascis::i18n::counter::gas_quote_total(gascis::i18n::Language::SimplifiedChinese, &quote)
    ));
    press_in(app, counter::gas::QUANTITY_INPUT, key::Named::Enter);
    let tendered = due.checked_add(Money::from_fen(1_000)).expect("in range");
    sim::type_into(
        app,
        SCREEN,
        counter::gas::TENDERED_INPUT,
        &tendered.to_string(),
    );
    press_in(app, counter::gas::TENDERED_INPUT, key::Named::Enter);
    let gas::Stage::Paying { request } = gas_of(app).stage.clone() else {
        panic!("paying: {:?}", gas_of(app).stage);
    };

    // Paid; the write fails before reaching the card.
    let paid = counter_api::purchase_gas(cashier.clone(), request.clone()).await?;
    let again = counter_api::purchase_gas(cashier.clone(), request.clone()).await?;
    let purchase = paid.purchase.clone().expect("the purchase");
    assert_eq!(
        again.purchase.map(|p| p.purchase_id),
        Some(purchase.purchase_id)
    );
    assert_eq!(purchase.change, "10.00");
    feed(
        app,
        [to_counter(counter::Message::GasPaid {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(paid.clone())),
        })],
    );
    reader.lock().unwrap().fail_next_writes(1);
    let written =
        counter_api::write_card(reader.clone(), paid.write.clone().expect("a write")).await;
    assert!(written.error.is_some());
    let confirmed =
        counter_api::confirm_card_write(cashier.clone(), purchase.purchase_id, written.clone())
            .await;
    feed(
        app,
        [to_counter(counter::Message::GasConfirmed {
            error: written.error,
            result: confirmed.map(Box::new),
        })],
    );
    assert!(matches!(gas_of(app).stage, gas::Stage::WriteFailed { .. }));

    // F10: 补气 through the server, then the reader.
    press_in(app, counter::gas::QUANTITY_INPUT, key::Named::F10);
    let rewrite =
        counter_api::rewrite_card(cashier.clone(), reader.clone(), purchase.account_id).await?;
    assert_eq!(
        rewrite.purchase.as_ref().map(|p| p.purchase_id),
        Some(purchase.purchase_id)
    );
    feed(
        app,
        [to_counter(counter::Message::GasRewritten(Ok(Box::new(
            rewrite.clone(),
        ))))],
    );
    let written = counter_api::write_card(reader.clone(), rewrite.write.expect("a write")).await;
    assert_eq!(written.error, None);
    let confirmed =
        counter_api::confirm_card_write(cashier.clone(), purchase.purchase_id, written).await;
    feed(
        app,
        [to_counter(counter::Message::GasConfirmed {
            error: None,
            result: confirmed.map(Box::new),
        })],
    );
    assert!(shows(
        app,
        &format!(
            "购气成功，已写卡 · 第1次购气 10 m³ · 收据号 {}",
            purchase.receipt_no
        )
    ));
    assert_eq!(
        reader.lock().unwrap().read()?.gas_on_card,
        Volume::from_m3(10)
    );

    // Charged once: one sale in the till; its receipt prints.
    let till = counter_api::get_till(cashier.clone()).await?;
    assert_eq!(
        (till.gas_sales, till.gas_sold.as_str()),
        (1, quote.cash_due.as_str())
    );
    let job = counter_of(app).print.clone().expect("printing");
    assert_eq!(job.receipt_no, purchase.receipt_no);
    let printed = counter_api::print_receipt(cashier.clone(), job.request, None).await?;
    // The spool names a file after the receipt, with a suffix when an
    // earlier run's file of that name is still there.
    let name = printed.file.file_name().expect("a file name");
    let text = std::process::Command::new("pdftotext")
        .arg(printed_dir.join(name))
        .arg("-")
        .output()?;
    assert!(text.status.success(), "pdftotext: {text:?}");
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in ["购气收据", "IC20000002", "第1次购气", "大写"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    Ok(())
}

fn gas_of(app: &App) -> &counter::GasForm {
    counter_of(app).gas.as_ref().expect("the 购气 panel")
}

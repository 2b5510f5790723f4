//! Headless UI tests of readings and billing (抄表计费) with iced_test's
//! simulator: keys and clicks go through the real widgets, their messages
//! through the real `update`, and the server's answers are fed back as the
//! messages the api tasks would produce.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gascis::api::ApiError;
use gascis::api::archive::Exported;
use gascis::api::billing::RunEvent;
use gascis::app::{App, Message, Screen};
use gascis::screen::billing::entry::{self, Outcome};
use gascis::screen::billing::review::{self, Decision};
use gascis::screen::billing::run as run_tab;
use gascis::screen::billing::{self, Billing, Tab, bills};
use gascis::screen::customers::picker;
use gascis::screen::home;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::{Event, Size};
use iced_test::{Simulator, selector};

/// Tall enough for a whole sheet and a run summary.
const SCREEN: Size = Size::new(1280.0, 1600.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const READER: sim::Person = sim::Person {
    id: 21,
    username: "liqiang",
    display_name: "李强",
};

const OFFICE: sim::Person = sim::Person {
    id: 22,
    username: "zhangmin",
    display_name: "张敏",
};

fn simulate(app: &App) -> Simulator<'_, Message> {
    sim::simulate(app, SCREEN)
}

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn click_text(app: &mut App, label: &str) -> Vec<Message> {
    sim::click_text(app, SCREEN, label)
}

fn type_into(app: &mut App, id: &str, text: &str) {
    sim::type_into(app, SCREEN, id, text)
}

fn to_billing(message: billing::Message) -> Message {
    Message::Home(home::Message::billing(message))
}

fn to_entry(message: entry::Message) -> Message {
    to_billing(billing::Message::Entry(message))
}

fn to_review(message: review::Message) -> Message {
    to_billing(billing::Message::Review(message))
}

fn to_run(message: run_tab::Message) -> Message {
    to_billing(billing::Message::Run(message))
}

fn to_bills(message: bills::Message) -> Message {
    to_billing(billing::Message::Bills(message))
}

fn billing_of(app: &App) -> &Billing {
    match app.screen() {
        Screen::Home(home) => home.billing().expect("readings and billing are open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// The billing messages among `messages`.
fn billing_messages(messages: &[Message]) -> Vec<&billing::Message> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Home(home::Message::Billing(message)) => Some(message.as_ref()),
            _ => None,
        })
        .collect()
}

/// Presses `key` (with `modifiers`) with the cursor in the input `id`;
/// returns the messages, not fed.
fn press_in(app: &App, id: &str, key: key::Named, modifiers: keyboard::Modifiers) -> Vec<Message> {
    let mut ui = simulate(app);
    let _ = ui.click(selector::id(id.to_owned())).unwrap();
    let key = keyboard::Key::Named(key);
    let _ = ui.simulate([
        Event::Keyboard(keyboard::Event::KeyPressed {
            key: key.clone(),
            modified_key: key.clone(),
            physical_key: keyboard::key::Physical::Unidentified(
                keyboard::key::NativeCode::Unidentified,
            ),
            location: keyboard::Location::Standard,
            modifiers,
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
            modifiers,
        }),
    ]);
    ui.into_messages().collect()
}

fn book() -> pb::RouteBook {
    pb::RouteBook {
        code: "PD-01".into(),
        name: "浦东阳光花园1-10栋".into(),
        area: "浦东新区".into(),
        reader: "liqiang".into(),
        accounts: 4,
    }
}

fn sheet_row(
    account_id: i64,
    name: &str,
    room: &str,
    last_value: &str,
    daily_average: &str,
) -> pb::ReadingSheetRow {
    pb::ReadingSheetRow {
        account_id,
        account_no: format!("31010000{account_id:02}"),
        customer_name: name.into(),
        address: format!("浦东新区阳光花园{room}"),
        meter_no: format!("JK000000{account_id:02}"),
        digits: 5,
        last_value: last_value.into(),
        last_read_on: "2024-02-29".into(),
        daily_average: daily_average.into(),
    }
}

fn sheet() -> pb::ReadingSheet {
    pb::ReadingSheet {
        route_book: Some(book()),
        rows: vec![
            sheet_row(1, "王芳", "1栋1单元101", "1200.000", "3.9000000000"),
            sheet_row(2, "李建国", "1栋2单元302", "860.500", "2.1333333333"),
            sheet_row(3, "陈小明", "2栋1单元501", "99990.000", "1.5"),
            sheet_row(4, "赵丽", "3栋1单元201", "415.000", "0.9666666667"),
        ],
    }
}

/// An app signed in with `roles` on 抄表计费, the books and PD-01's sheet
/// loaded, the reading date 2024-03-31.
fn entry_app(person: &sim::Person, roles: Vec<Role>) -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(person, roles, home::Area::ReadingsAndBilling);
    feed(
        &mut app,
        [
            to_entry(entry::Message::BooksLoaded(Ok(vec![book()]))),
            to_entry(entry::Message::BookSelected("PD-01".into())),
            to_entry(entry::Message::SheetLoaded {
                code: "PD-01".into(),
                result: Ok(sheet()),
            }),
            to_entry(entry::Message::ReadOnChanged("2024-03-31".into())),
        ],
    );
    (runtime, app)
}

fn rows(app: &App) -> &[entry::Row] {
    &billing_of(app).entry().sheet.as_ref().unwrap().rows
}

fn result(
    account_id: i64,
    status: &str,
    consumption: &str,
    anomalies: &[&str],
) -> pb::ReadingResult {
    pb::ReadingResult {
        account_id,
        reading_id: 100 + account_id,
        status: status.into(),
        consumption: consumption.into(),
        anomalies: anomalies.iter().map(|a| (*a).to_owned()).collect(),
        error: String::new(),
        duplicate: false,
    }
}

fn refused(account_id: i64, error: &str) -> pb::ReadingResult {
    pb::ReadingResult {
        account_id,
        error: error.into(),
        ..pb::ReadingResult::default()
    }
}

#[test]
fn a_reader_starts_on_their_own_route_book() {
    let (_runtime, mut app) =
        sim::signed_in(&READER, vec![Role::Field], home::Area::ReadingsAndBilling);
    assert_eq!(billing_of(&app).entry().books_load, entry::Load::Loading);
    let other = pb::RouteBook {
        code: "PD-02".into(),
        reader: "wangwu".into(),
        ..book()
    };
    feed(
        &mut app,
        [to_entry(entry::Message::BooksLoaded(Ok(vec![
            other,
            book(),
        ])))],
    );
    let entry = billing_of(&app).entry();
    assert_eq!(entry.book.as_deref(), Some("PD-01"));
    assert_eq!(entry.sheet_load, entry::Load::Loading);
    assert!(shows(&app, "正在加载抄表单…"));
}

#[test]
fn field_staff_see_only_reading_entry() {
    let (_runtime, app) = entry_app(&READER, vec![Role::Field]);
    assert_eq!(billing_of(&app).tabs(), [Tab::Entry]);
    assert!(shows(&app, "抄表计费"));
    assert!(shows(&app, "王芳"));
    assert!(!shows(&app, "异常审核"), "no tab bar for one tab");
    assert!(!shows(&app, "计费"), "nor the billing run");

    // A stale message cannot open what the roles do not allow.
    let mut app = app;
    feed(
        &mut app,
        [
            to_billing(billing::Message::SelectTab(Tab::Run)),
            to_run(run_tab::Message::Preview),
        ],
    );
    assert_eq!(billing_of(&app).tab(), Tab::Entry);
    assert!(billing_of(&app).run().running.is_none());
}

#[test]
fn typing_enter_and_arrows_walk_the_sheet_and_ctrl_enter_submits() {
    let (_runtime, mut app) = entry_app(&READER, vec![Role::Field]);
    assert!(shows(
        &app,
        "PD-01 浦东阳光花园1-10栋 · 抄表员 liqiang · 共 4 户，已录入 0 户，已提交 0 户"
    ));
    assert!(shows(&app, "1200"), "the last value");
    assert!(shows(&app, "2024-02-29"), "and its date");
    assert!(shows(&app, "3.9"), "daily average to the litre");

    // Row 1: a value, its consumption, Enter moves on.
    type_into(&mut app, &entry::value_input_id(0), "1320");
    assert!(shows(&app, "120"), "consumption of 1320 − 1200");
    let messages = press_in(
        &app,
        &entry::value_input_id(0),
        key::Named::Enter,
        keyboard::Modifiers::default(),
    );
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Entry(entry::Message::Next(0))]
    ));
    feed(&mut app, messages);
    assert_eq!(billing_of(&app).entry().current, 1);

    // Row 2: lower than last is flagged while typing.
    type_into(&mut app, &entry::value_input_id(1), "850");
    assert!(shows(&app, "低于上次读数：可能录错或表具倒转"));

    // ↓ from row 2 to row 3, ↑ back, ↓ again.
    for (key, expected) in [
        (key::Named::ArrowDown, 2),
        (key::Named::ArrowUp, 1),
        (key::Named::ArrowDown, 2),
    ] {
        let id = entry::value_input_id(billing_of(&app).entry().current);
        let messages = press_in(&app, &id, key, keyboard::Modifiers::default());
        assert!(
            billing_messages(&messages)
                .iter()
                .any(|m| matches!(m, billing::Message::Entry(entry::Message::Move(_)))),
            "{key:?} moves"
        );
        feed(&mut app, messages);
        assert_eq!(billing_of(&app).entry().current, expected, "{key:?}");
    }

    // Row 3 rolls over the top of five digits; row 4 spikes.
    type_into(&mut app, &entry::value_input_id(2), "25");
    assert!(shows(&app, "低于上次读数：按表具翻转计算用量，请核对"));
    assert!(shows(&app, "35"), "99990 → 25 is 35 m³ across the top");
    type_into(&mut app, &entry::value_input_id(3), "600");
    assert!(shows(&app, "用量远高于日均水平（约 30 m³），请核对"));
    let sending = billing_of(&app).entry().clone();

    // Ctrl+Enter in a value field submits rather than moving on.
    let messages = press_in(
        &app,
        &entry::value_input_id(3),
        key::Named::Enter,
        keyboard::Modifiers::CTRL,
    );
    assert!(
        matches!(
            billing_messages(&messages)[..],
            [billing::Message::Entry(entry::Message::Submit)]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(billing_of(&app).entry().submitting);
    assert!(shows(&app, "提交中…"));
    assert!(rows(&app).iter().all(|row| row.outcome == Outcome::Sending));
    let keys: Vec<String> = rows(&app)
        .iter()
        .map(|row| row.key().unwrap().to_owned())
        .collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "one key per row");
    // The requests, as the screen built them.
    let mut again = sending;
    let (indices, inputs) = again.readings_to_send().unwrap();
    assert_eq!(indices, [0, 1, 2, 3]);
    assert_eq!(
        inputs.iter().map(|i| i.value.as_str()).collect::<Vec<_>>(),
        ["1320", "850", "25", "600"]
    );
    assert!(
        inputs
            .iter()
            .all(|i| i.source == "manual" && i.read_at.is_some())
    );

    // The server: one valid, one refused, one rollover valid, one spike.
    feed(
        &mut app,
        [to_entry(entry::Message::Submitted {
            code: "PD-01".into(),
            rows: vec![0, 1, 2, 3],
            result: Ok(vec![
                result(1, "valid", "120", &[]),
                refused(
                    2,
                    "read_at: is before the last reading of this account (860.5 on 2024-03-02)",
                ),
                result(3, "valid", "35", &[]),
                result(4, "anomaly", "185", &["spike"]),
            ]),
        })],
    );
    let entry = billing_of(&app).entry();
    assert!(!entry.submitting);
    assert_eq!(
        entry.tally,
        Some(entry::Tally {
            valid: 2,
            waiting: 1,
            refused: 1
        })
    );
    assert_eq!(entry.current, 1, "on to the refused row");
    assert!(shows(
        &app,
        "本次提交：正常 2 户 · 待审核 1 户 · 未通过 1 户"
    ));
    assert!(shows(&app, "未通过：抄表日期早于该户上次抄表日期"));
    assert!(shows(&app, "用量突增"));
    assert!(shows(&app, "待审核"));
    // The refused row keeps its value and its key for a retry.
    assert_eq!(rows(&app)[1].value, "850");
    assert_eq!(rows(&app)[1].key(), Some(keys[1].as_str()));
    assert!(rows(&app)[0].is_done() && rows(&app)[3].is_done());

    // Recorded rows take no more typing.
    let mut ui = simulate(&app);
    let _ = ui.click(selector::id(entry::value_input_id(0))).unwrap();
    let _ = ui.typewrite("9");
    assert!(ui.into_messages().next().is_none(), "row 1 is done");

    // Submit again: only the refused row goes; a lost answer keeps it.
    feed(&mut app, [to_entry(entry::Message::Submit)]);
    assert_eq!(rows(&app)[1].outcome, Outcome::Sending);
    feed(
        &mut app,
        [to_entry(entry::Message::Submitted {
            code: "PD-01".into(),
            rows: vec![1],
            result: Err(ApiError::Unreachable("connection reset".into())),
        })],
    );
    assert_eq!(rows(&app)[1].outcome, Outcome::Open);
    assert_eq!(rows(&app)[1].value, "850");
    assert_eq!(
        rows(&app)[1].key(),
        Some(keys[1].as_str()),
        "the same entry is the same key on a retry"
    );
    assert!(shows(&app, "无法连接服务器"));

    // A new value is a new entry.
    type_into(&mut app, &entry::value_input_id(1), "0");
    assert_eq!(rows(&app)[1].value, "8500");
    assert_eq!(rows(&app)[1].key(), None);

    // Nothing left to send once every row is done.
    feed(
        &mut app,
        [
            to_entry(entry::Message::Submit),
            to_entry(entry::Message::Submitted {
                code: "PD-01".into(),
                rows: vec![1],
                result: Ok(vec![result(2, "anomaly", "7639.5", &["spike"])]),
            }),
            to_entry(entry::Message::Submit),
        ],
    );
    assert!(billing_of(&app).entry().nothing_to_submit);
    assert!(shows(&app, "没有可提交的读数：请先在“本次读数”中填写。"));
}

#[test]
fn values_that_are_not_readings_stay_and_are_not_sent() {
    let (_runtime, mut app) = entry_app(&READER, vec![Role::BackOffice]);
    type_into(&mut app, &entry::value_input_id(0), "12a");
    assert!(shows(&app, "请填写数字读数"));
    type_into(&mut app, &entry::value_input_id(1), "900");
    let mut entry = billing_of(&app).entry().clone();
    let (indices, _) = entry.readings_to_send().unwrap();
    assert_eq!(indices, [1], "12a is not sent");

    // A date that is not a date stops the submit and says so.
    feed(
        &mut app,
        [to_entry(entry::Message::ReadOnChanged("3月31日".into()))],
    );
    assert!(shows(&app, "请按 年-月-日 填写日期，例如 2024-03-31"));
    feed(&mut app, [to_entry(entry::Message::Submit)]);
    assert!(!billing_of(&app).entry().submitting);
}

fn queue() -> Vec<pb::QueuedReading> {
    vec![
        pb::QueuedReading {
            reading_id: 17,
            account_id: 4,
            account_no: "3101000004".into(),
            customer_name: "赵丽".into(),
            read_on: "2024-03-31".into(),
            value: "600.000".into(),
            consumption: "185.000".into(),
            anomalies: vec!["spike".into()],
            status: "anomaly".into(),
            version: 1,
            source: "manual".into(),
        },
        pb::QueuedReading {
            reading_id: 18,
            account_id: 5,
            account_no: "3101000005".into(),
            customer_name: "孙伟".into(),
            read_on: "2024-03-30".into(),
            value: "88.000".into(),
            consumption: "0.000".into(),
            anomalies: vec!["zero_streak".into()],
            status: "reread".into(),
            version: 2,
            source: "iot".into(),
        },
    ]
}

fn review_app() -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(
        &OFFICE,
        vec![Role::BackOffice],
        home::Area::ReadingsAndBilling,
    );
    feed(
        &mut app,
        [
            to_billing(billing::Message::SelectTab(Tab::Review)),
            to_review(review::Message::Loaded(Ok(queue()))),
        ],
    );
    (runtime, app)
}

#[test]
fn review_decisions_need_their_note_and_a_stale_one_reloads() {
    let (_runtime, mut app) = review_app();
    assert!(shows(&app, "待审核读数 2 条（最早的在前）"));
    assert!(shows(&app, "用量突增"));
    assert!(shows(&app, "连续零用量"));
    assert!(shows(&app, "待复抄"));
    assert!(shows(&app, "物联网"));
    assert_eq!(
        billing_of(&app).review().selected,
        Some(17),
        "the oldest first"
    );

    // 驳回 opens the form; without a note nothing is sent.
    let messages = click_text(&mut app, "驳回");
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Review(review::Message::Choose(
            Decision::Reject
        ))]
    ));
    let messages = click_text(&mut app, "确认驳回");
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Review(review::Message::SubmitDecision)]
    ));
    let form = billing_of(&app).review().form.clone().unwrap();
    assert!(form.attempted && !form.submitting);
    assert!(shows(&app, "请填写原因"));

    // With a note it goes, and someone else was quicker.
    type_into(&mut app, review::NOTE_INPUT, "用户出租");
    let messages = press_in(
        &app,
        review::NOTE_INPUT,
        key::Named::Enter,
        keyboard::Modifiers::default(),
    );
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Review(review::Message::SubmitDecision)]
    ));
    feed(&mut app, messages);
    assert!(billing_of(&app).review().form.as_ref().unwrap().submitting);
    assert!(shows(&app, "正在提交…"));
    feed(
        &mut app,
        [to_review(review::Message::Reviewed {
            reading_id: 17,
            decision: Decision::Reject,
            result: Err(ApiError::StaleVersion(
                "reading 17 was reviewed by wangjing meanwhile".into(),
            )),
        })],
    );
    assert!(shows(&app, "该读数已被 wangjing 处理，您的操作未生效"));
    assert!(shows(&app, "列表已刷新为最新状态，请重新选择并处理。"));
    assert_eq!(
        billing_of(&app).review().load,
        entry::Load::Loading,
        "the queue is asked for again"
    );
    // The reloaded queue no longer has it: the form goes with it.
    feed(
        &mut app,
        [to_review(review::Message::Loaded(
            Ok(queue()[1..].to_vec()),
        ))],
    );
    assert_eq!(billing_of(&app).review().selected, Some(18));
    assert!(billing_of(&app).review().form.is_none());

    // A reading waiting for a re-read cannot be ordered one again.
    let messages = click_text(&mut app, "复抄");
    assert!(billing_messages(&messages).is_empty(), "{messages:?}");

    // 更正 with the right value.
    click_text(&mut app, "更正");
    type_into(&mut app, review::CORRECTED_INPUT, "-1");
    type_into(&mut app, review::NOTE_INPUT, "物联网表上传异常");
    click_text(&mut app, "提交更正");
    assert!(shows(&app, "读数不能为负数"));
    assert!(!billing_of(&app).review().form.as_ref().unwrap().submitting);
    let mut ui = simulate(&app);
    let _ = ui.click(selector::id(review::CORRECTED_INPUT)).unwrap();
    let _ = ui.tap_key(keyboard::Key::Named(key::Named::Backspace));
    let _ = ui.tap_key(keyboard::Key::Named(key::Named::Backspace));
    let messages: Vec<Message> = ui.into_messages().collect();
    feed(&mut app, messages);
    type_into(&mut app, review::CORRECTED_INPUT, "96");
    let form = billing_of(&app).review().form.clone().unwrap();
    let request = form.request(&queue()[1]).unwrap();
    assert_eq!(
        (
            request.decision.as_str(),
            request.corrected_value.as_str(),
            request.version
        ),
        ("correct", "96", 2)
    );
    click_text(&mut app, "提交更正");
    assert!(billing_of(&app).review().form.as_ref().unwrap().submitting);
    feed(
        &mut app,
        [to_review(review::Message::Reviewed {
            reading_id: 18,
            decision: Decision::Correct,
            result: Ok(pb::ReviewReadingResponse {
                corrected: Some(result(5, "valid", "8", &[])),
            }),
        })],
    );
    assert!(shows(
        &app,
        "已更正 孙伟（3101000005）的读数：用量 8 m³，正常"
    ));
    assert!(billing_of(&app).review().form.is_none());

    // 确认 needs no note.
    feed(
        &mut app,
        [to_review(review::Message::Loaded(
            Ok(queue()[..1].to_vec()),
        ))],
    );
    click_text(&mut app, "确认");
    click_text(&mut app, "确认通过");
    assert!(billing_of(&app).review().form.as_ref().unwrap().submitting);
    feed(
        &mut app,
        [to_review(review::Message::Reviewed {
            reading_id: 17,
            decision: Decision::Approve,
            result: Ok(pb::ReviewReadingResponse { corrected: None }),
        })],
    );
    assert!(shows(
        &app,
        "已确认 赵丽（3101000004）的读数，将在下次计费时出账"
    ));
}

fn summary(preview: bool) -> pb::BillingSummary {
    pb::BillingSummary {
        run_id: if preview { 0 } else { 7 },
        period: "2024-03".into(),
        status: if preview { "preview" } else { "done" }.into(),
        preview,
        classes: vec![
            pb::BillingClassTotal {
                customer_type: "residential".into(),
                bills: 2,
                volume: "520.000".into(),
                amount: "1587.00".into(),
            },
            pb::BillingClassTotal {
                customer_type: "commercial".into(),
                bills: 1,
                volume: "1250.500".into(),
                amount: "5002.00".into(),
            },
        ],
        skips: vec![
            pb::BillingSkip {
                reason: "no reading this period".into(),
                accounts: 12,
            },
            pb::BillingSkip {
                reason: "a reading waits in the anomaly queue".into(),
                accounts: 1,
            },
        ],
    }
}

fn run_app() -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(
        &OFFICE,
        vec![Role::BackOffice],
        home::Area::ReadingsAndBilling,
    );
    feed(
        &mut app,
        [
            to_entry(entry::Message::BooksLoaded(Ok(vec![book()]))),
            to_billing(billing::Message::SelectTab(Tab::Run)),
        ],
    );
    (runtime, app)
}

fn running_id(app: &App) -> u64 {
    billing_of(app).run().running.as_ref().unwrap().id
}

#[test]
fn a_billing_run_shows_progress_then_its_summary() {
    let (_runtime, mut app) = run_app();
    // The default period is last month.
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        billing_of(&app).run().period,
        run_tab::default_period(today)
    );
    let mut ui = simulate(&app);
    let _ = ui.click(selector::id(run_tab::PERIOD_INPUT)).unwrap();
    for _ in 0..7 {
        let _ = ui.tap_key(keyboard::Key::Named(key::Named::Backspace));
    }
    let messages: Vec<Message> = ui.into_messages().collect();
    feed(&mut app, messages);
    assert!(shows(&app, "请填写计费月份，格式为 年-月，例如 2024-03"));
    type_into(&mut app, run_tab::PERIOD_INPUT, "2024-03");

    // By route book: one must be chosen.
    click_text(&mut app, "按抄表册");
    assert!(shows(&app, "请选择抄表册"));
    feed(
        &mut app,
        [to_run(run_tab::Message::RouteBookSelected("PD-01".into()))],
    );
    click_text(&mut app, "全部用户");
    click_text(&mut app, "估抄缺失读数");
    assert!(billing_of(&app).run().estimate_missing);

    // 预览: no progress comes, only the summary.
    let messages = click_text(&mut app, "预览");
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Run(run_tab::Message::Preview)]
    ));
    let running = billing_of(&app).run().running.clone().unwrap();
    assert_eq!(
        running.request,
        pb::RunBillingRequest {
            period: "2024-03".into(),
            area: String::new(),
            route_book: String::new(),
            estimate_missing: true,
            preview: true,
        }
    );
    assert!(shows(&app, "正在预览…"));
    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id: running.id,
            event: RunEvent::Finished(Ok(summary(true))),
        })],
    );
    assert!(shows(&app, "2024-03 计费预览"));
    assert!(shows(&app, "这是预览：没有写入任何账单。"));

    // 开始计费 asks first.
    click_text(&mut app, "开始计费");
    assert!(billing_of(&app).run().running.is_none());
    assert!(shows(
        &app,
        "将为全部用户生成 2024-03 的账单，缺失读数将估抄。账单写入后只能作废重开。确定开始吗？"
    ));
    click_text(&mut app, "确定开始计费");
    let id = running_id(&app);
    assert!(
        !billing_of(&app)
            .run()
            .running
            .as_ref()
            .unwrap()
            .request
            .preview
    );
    assert!(billing_of(&app).run().finished.is_none());
    assert!(shows(&app, "正在启动计费…"));
    // Settings wait while it runs.
    feed(
        &mut app,
        [to_run(run_tab::Message::PeriodChanged("2024-04".into()))],
    );
    assert_eq!(billing_of(&app).run().period, "2024-03");

    for (done, bills) in [(1, 250), (3, 730)] {
        feed(
            &mut app,
            [to_run(run_tab::Message::Event {
                id,
                event: RunEvent::Progressed(pb::BillingProgress {
                    run_id: 7,
                    chunks_done: done,
                    chunks: 4,
                    bills,
                    skipped: 4,
                }),
            })],
        );
    }
    let running = billing_of(&app).run().running.clone().unwrap();
    assert!((running.fraction() - 0.75).abs() < f32::EPSILON);
    assert!(shows(
        &app,
        "正在计费 2024-03：第 3/4 批 · 已出账 730 户 · 未出账 4 户"
    ));
    // A late word of the preview changes nothing.
    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id: id - 1,
            event: RunEvent::Finished(Err(ApiError::Other("late".into()))),
        })],
    );
    assert!(billing_of(&app).run().running.is_some());

    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id,
            event: RunEvent::Finished(Ok(summary(false))),
        })],
    );
    assert!(billing_of(&app).run().running.is_none());
    assert!(shows(&app, "2024-03 计费结果（批次 #7）"));
    assert!(shows(&app, "居民"));
    assert!(shows(&app, "商业"));
    assert!(shows(&app, "1250.5"));
    assert!(shows(&app, "¥1,587.00"));
    assert!(shows(&app, "¥6,589.00"), "the total");
    assert!(shows(&app, "1770.5"), "the total volume");
    assert!(shows(&app, "本期无读数"));
    assert!(shows(&app, "有读数待异常审核"));

    // A run that fails says why and can be started again.
    click_text(&mut app, "开始计费");
    click_text(&mut app, "确定开始计费");
    let id = running_id(&app);
    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id,
            event: RunEvent::Finished(Err(ApiError::PermissionDenied)),
        })],
    );
    assert!(shows(&app, "您的角色无权执行此操作"));
    assert!(billing_of(&app).run().running.is_none());
}

#[test]
fn the_export_of_a_period_goes_through_the_save_dialog() {
    let (_runtime, mut app) = run_app();
    feed(
        &mut app,
        [to_run(run_tab::Message::PeriodChanged("2024-03".into()))],
    );
    assert!(shows(
        &app,
        "导出 2024-03 的全部账单（含作废和更正）到 Excel 文件。"
    ));
    let messages = click_text(&mut app, "导出账单");
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Run(run_tab::Message::Export(_))]
    ));
    assert!(matches!(
        billing_of(&app).run().export,
        run_tab::Export::Choosing { .. }
    ));
    // Closing the dialog without a choice exports nothing.
    feed(&mut app, [to_run(run_tab::Message::ExportPathPicked(None))]);
    assert!(matches!(
        billing_of(&app).run().export,
        run_tab::Export::Idle
    ));

    let path = std::path::PathBuf::from("/home/zhangmin/下载/账单-2024-03");
    feed(
        &mut app,
        [
            to_run(run_tab::Message::Export(
                gascis::i18n::Language::SimplifiedChinese,
            )),
            to_run(run_tab::Message::ExportPathPicked(Some(path))),
        ],
    );
    let run_tab::Export::Running { id, path, .. } = billing_of(&app).run().export.clone() else {
        panic!("the export runs");
    };
    assert_eq!(
        path,
        std::path::PathBuf::from("/home/zhangmin/下载/账单-2024-03.xlsx"),
        "the extension is added"
    );
    assert!(shows(&app, "取消导出"));
    feed(
        &mut app,
        [to_run(run_tab::Message::Exported {
            id,
            result: Ok(Exported {
                rows: 3,
                path: path.clone(),
            }),
        })],
    );
    assert!(shows(
        &app,
        "已导出 3 行 → /home/zhangmin/下载/账单-2024-03.xlsx"
    ));
}

fn hit() -> pb::AccountSummary {
    pb::AccountSummary {
        account_id: 3,
        account_no: "3101000003".into(),
        customer_id: 13,
        customer_name: "陈小明".into(),
        customer_type: pb::CustomerType::Residential as i32,
        address: "浦东新区阳光花园2栋1单元501".into(),
        ..pb::AccountSummary::default()
    }
}

fn line(tier: i32, volume: &str, price: &str, amount: &str) -> pb::BillLine {
    pb::BillLine {
        kind: "tier".into(),
        tier,
        season: String::new(),
        name: String::new(),
        volume: volume.into(),
        unit_price: price.into(),
        amount: amount.into(),
        version_effective_from: "2014-09-01".into(),
        from: "2024-03-01".into(),
        to: "2024-03-31".into(),
        days: 31,
    }
}

fn bill(id: i64, revision: i32, cancelled: bool, reason: &str) -> pb::Bill {
    pb::Bill {
        id,
        account_id: 3,
        period: "2024-03".into(),
        revision,
        cancelled,
        from: "2024-03-01".into(),
        to: "2024-03-31".into(),
        previous_value: String::new(),
        current_value: "400.000".into(),
        volume: "400.000".into(),
        estimated: false,
        amount: if cancelled { "0.00" } else { "1227.00" }.into(),
        net: if cancelled { "0.00" } else { "1125.69" }.into(),
        tax: if cancelled { "0.00" } else { "101.31" }.into(),
        tariff_code: "shanghai-2014".into(),
        tariff_revision_id: 3,
        cycle_to_date: "0.000".into(),
        due_on: "2024-04-15".into(),
        lines: if cancelled {
            Vec::new()
        } else {
            vec![
                line(1, "310.000", "3.0000", "930.00"),
                line(2, "90.000", "3.3000", "297.00"),
            ]
        },
        reason: reason.into(),
    }
}

/// The bills tab with 陈小明's account found and chosen.
fn bills_app(bills: Vec<pb::Bill>) -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(
        &OFFICE,
        vec![Role::BackOffice],
        home::Area::ReadingsAndBilling,
    );
    feed(
        &mut app,
        [to_billing(billing::Message::SelectTab(Tab::Bills))],
    );
    type_into(&mut app, &bills::lookup_input(), "陈小明");
    let messages = press_in(
        &app,
        &bills::lookup_input(),
        key::Named::Enter,
        keyboard::Modifiers::default(),
    );
    feed(&mut app, messages);
    feed(
        &mut app,
        [to_bills(bills::Message::Lookup(
            picker::Message::Searched {
                query: "陈小明".into(),
                result: Ok(pb::SearchAccountsResponse {
                    results: vec![hit()],
                    ..pb::SearchAccountsResponse::default()
                }),
            },
        ))],
    );
    // Enter chooses the highlighted hit.
    let messages = press_in(
        &app,
        &bills::lookup_input(),
        key::Named::Enter,
        keyboard::Modifiers::default(),
    );
    feed(&mut app, messages);
    assert_eq!(
        billing_of(&app)
            .bills()
            .account
            .as_ref()
            .map(|a| a.account_id),
        Some(3)
    );
    feed(
        &mut app,
        [to_bills(bills::Message::Loaded {
            account_id: 3,
            result: Ok(bills),
        })],
    );
    (runtime, app)
}

#[test]
fn bills_explain_their_lines_and_can_be_cancelled_with_a_reason() {
    let (_runtime, mut app) = bills_app(vec![
        bill(12, 2, false, "重新计费"),
        bill(11, 1, true, "抄表员录入错误"),
        bill(10, 0, false, ""),
    ]);
    assert!(shows(
        &app,
        "陈小明（户号 3101000003）的账单 · 浦东新区阳光花园2栋1单元501"
    ));
    assert!(shows(
        &app,
        "第1阶梯 310 m³ × 3.00 = 930.00（2014-09-01价格，03-01至03-31，31天）"
    ));
    assert!(shows(
        &app,
        "第2阶梯 90 m³ × 3.30 = 297.00（2014-09-01价格，03-01至03-31，31天）"
    ));
    assert!(shows(&app, "起止读数 （装表） → 400，用气量 400 m³"));
    assert!(shows(&app, "已被后续修订取代"));
    assert!(shows(&app, "合计 ¥1,227.00"));
    assert!(shows(&app, "作废"));
    assert!(shows(&app, "作废原因：抄表员录入错误"));
    assert!(shows(&app, "修订 2"));

    // Only the current revision can be cancelled, and only with a reason.
    let messages = click_text(&mut app, "作废账单");
    assert!(matches!(
        billing_messages(&messages)[..],
        [billing::Message::Bills(bills::Message::StartCancel(12))]
    ));
    assert!(shows(
        &app,
        "作废 2024-03 的账单？将冲销其金额，并记录原因。"
    ));
    click_text(&mut app, "确认作废");
    assert!(shows(&app, "请填写作废原因"));
    assert!(!billing_of(&app).bills().cancel.as_ref().unwrap().submitting);
    type_into(&mut app, bills::REASON_INPUT, "表具故障");
    click_text(&mut app, "确认作废");
    assert!(billing_of(&app).bills().cancel.as_ref().unwrap().submitting);
    feed(
        &mut app,
        [to_bills(bills::Message::Cancelled {
            bill_id: 12,
            result: Err(ApiError::StaleVersion(
                "bill 12 was corrected meanwhile (revision 3 is current)".into(),
            )),
        })],
    );
    assert!(shows(&app, "该记录已被他人修改"));
    assert_eq!(
        billing_of(&app).bills().load,
        entry::Load::Loading,
        "reloaded"
    );
    assert_eq!(
        billing_of(&app).bills().cancel.as_ref().unwrap().reason,
        "表具故障",
        "the reason typed stays"
    );
    feed(&mut app, [to_bills(bills::Message::CloseCancel)]);
    assert!(billing_of(&app).bills().cancel.is_none());
}

/// Renders the screens to PNG files for people to look at (not a check):
/// `cargo test -p gascis --test billing_ui -- --ignored`, then see the
/// paths printed. With GASCIS_DOCS_SCREENSHOTS=<dir> readings-entry.png,
/// billing-run.png and bill-explained.png are copied there too, at the
/// simulator's 2× scale; docs/screenshots holds them halved to the
/// window's 1200×780 (`convert f.png -filter Lanczos -resize 50% f.png`).
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let docs = std::env::var_os("GASCIS_DOCS_SCREENSHOTS").map(std::path::PathBuf::from);
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str, docs_name: Option<&str>| {
        let view_size = Size::new(1200.0, 780.0);
        let mut ui = Simulator::with_size(gascis::theme::settings(), view_size, app.view());
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
        if let (Some(docs), Some(docs_name)) = (&docs, docs_name) {
            let target = docs.join(docs_name);
            let _ = std::fs::copy(&written, &target).unwrap();
            println!("wrote {}", target.display());
        }
    };

    // 抄表录入: a sheet half entered, one row refused, one rolled over.
    let (_runtime, mut app) = entry_app(&OFFICE, vec![Role::BackOffice]);
    for (row, value) in [(0, "1320"), (1, "850"), (2, "25")] {
        feed(
            &mut app,
            [to_entry(entry::Message::ValueChanged(row, value.into()))],
        );
    }
    feed(
        &mut app,
        [
            to_entry(entry::Message::Submit),
            to_entry(entry::Message::Submitted {
                code: "PD-01".into(),
                rows: vec![0, 1, 2],
                result: Ok(vec![
                    result(1, "valid", "120", &[]),
                    refused(
                        2,
                        "read_at: is before the last reading of this account (860.5 on 2024-04-02)",
                    ),
                    result(3, "anomaly", "35", &["spike"]),
                ]),
            }),
            to_entry(entry::Message::ValueChanged(3, "600".into())),
        ],
    );
    save(&app, "readings-entry", Some("readings-entry.png"));

    // 计费: a finished run.
    feed(
        &mut app,
        [
            to_billing(billing::Message::SelectTab(Tab::Run)),
            to_run(run_tab::Message::PeriodChanged("2024-03".into())),
            to_run(run_tab::Message::Start),
            to_run(run_tab::Message::ConfirmStart),
        ],
    );
    let id = running_id(&app);
    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id,
            event: RunEvent::Progressed(pb::BillingProgress {
                run_id: 7,
                chunks_done: 3,
                chunks: 4,
                bills: 730,
                skipped: 4,
            }),
        })],
    );
    save(&app, "billing-running", None);
    feed(
        &mut app,
        [to_run(run_tab::Message::Event {
            id,
            event: RunEvent::Finished(Ok(summary(false))),
        })],
    );
    save(&app, "billing-run", Some("billing-run.png"));

    // 异常审核 with a correction being written.
    let (_runtime, mut review) = review_app();
    feed(
        &mut review,
        [
            to_review(review::Message::Choose(Decision::Correct)),
            to_review(review::Message::CorrectedValueChanged("462".into())),
            to_review(review::Message::NoteChanged("抄表员多记一位".into())),
        ],
    );
    save(&review, "anomaly-review", None);

    // 账单: an account's bills, explained.
    let (_runtime, app) = bills_app(vec![
        bill(12, 2, false, "重新计费"),
        bill(11, 1, true, "抄表员录入错误"),
        bill(10, 0, false, ""),
    ]);
    save(&app, "bill-explained", Some("bill-explained.png"));
    let mut app = app;
    feed(
        &mut app,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    save(&app, "bill-explained-en", None);
}

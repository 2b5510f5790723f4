//! Headless UI tests of the counter (收费台) with iced_test's simulator:
//! keys and clicks go through the real widgets, their messages through the
//! real `update`, and the server's answers are fed back as the messages the
//! api tasks would produce.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gascis::api::ApiError;
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::counter::payment::Attempt;
use gascis::screen::counter::{self, Counter, Lookup, dialogs};
use gascis::screen::{home, login};
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::card::{CardReader, CardState};
use gascis_common::proto::v1 as pb;
use gascis_common::tariff::Volume;
use iced::keyboard::{self, key};
use iced::{Event, Size};
use iced_test::{Simulator, selector};

/// Tall enough for the account, the form and the outcome at once.
const SCREEN: Size = Size::new(1280.0, 1400.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const CASHIER: sim::Person = sim::Person {
    id: 31,
    username: "wangfang",
    display_name: "王芳",
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

fn to_counter(message: counter::Message) -> Message {
    Message::Home(home::Message::counter(message))
}

fn counter_of(app: &App) -> &Counter {
    match app.screen() {
        Screen::Home(home) => home.counter().expect("the counter is open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// The counter messages among `messages`.
fn counter_messages(messages: &[Message]) -> Vec<&counter::Message> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Home(home::Message::Counter(message)) => Some(message.as_ref()),
            _ => None,
        })
        .collect()
}

/// Presses `key` with the cursor in the input `id`; returns the messages,
/// not fed.
fn press_in(app: &App, id: &str, key: key::Named) -> Vec<Message> {
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

fn bill(id: i64, period: &str, amount: &str, late_fee: &str, estimated: bool) -> pb::OpenBill {
    pb::OpenBill {
        bill_id: id,
        period: period.into(),
        due_on: format!("{period}-25"),
        amount: amount.into(),
        unpaid: amount.into(),
        late_fee: late_fee.into(),
        previous_reading: "1200.000".into(),
        current_reading: "1320.000".into(),
        volume: "120.000".into(),
        estimated,
    }
}

fn account() -> pb::CounterAccount {
    pb::CounterAccount {
        account_id: 41,
        account_no: "3101000001".into(),
        customer_name: "王*芳".into(),
        address: "浦东新区阳光花园1栋1单元101".into(),
        phone: "139****0001".into(),
        status: "active".into(),
        meter_type: "mechanical".into(),
        meter_no: "JK00000001".into(),
        tariff_code: "shanghai-2014".into(),
        legacy_arrears: "20.00".into(),
        open_bills: vec![
            bill(7, "2024-02", "150.00", "1.80", true),
            bill(8, "2024-03", "190.00", "0.00", false),
        ],
        arrears: "360.00".into(),
        late_fees: "1.80".into(),
        total_due: "361.80".into(),
        prepayment: "0.00".into(),
        last_readings: vec![pb::CounterReading {
            read_on: "2024-03-31".into(),
            value: "1320.000".into(),
            source: "manual".into(),
        }],
        card_no: String::new(),
    }
}

fn shift(status: &str) -> pb::Shift {
    pb::Shift {
        shift_id: 5,
        cashier: "wangfang".into(),
        cashier_name: "王芳".into(),
        business_date: "2026-11-25".into(),
        status: status.into(),
        channels: vec![
            pb::ChannelTotal {
                channel: "cash".into(),
                count: 2,
                amount: "300.00".into(),
            },
            pb::ChannelTotal {
                channel: "wechat".into(),
                count: 1,
                amount: "88.50".into(),
            },
        ],
        payments: 3,
        received: "388.50".into(),
        net: "388.50".into(),
        expected_cash: "300.00".into(),
        voided: "0.00".into(),
        refunded: "0.00".into(),
        ..pb::Shift::default()
    }
}

fn posted(channel: &str, amount: &str, tendered: &str, change: &str) -> pb::Payment {
    pb::Payment {
        payment_no: "P202611250007".into(),
        kind: "payment".into(),
        account_id: 41,
        account_no: "3101000001".into(),
        channel: channel.into(),
        amount: amount.into(),
        tendered: tendered.into(),
        change: change.into(),
        status: "posted".into(),
        receipt_no: "SK20261125000007".into(),
        allocations: vec![
            pb::Allocation {
                kind: "arrears".into(),
                amount: "20.00".into(),
                ..pb::Allocation::default()
            },
            pb::Allocation {
                kind: "late_fee".into(),
                bill_id: 7,
                period: "2024-02".into(),
                amount: "1.80".into(),
            },
            pb::Allocation {
                kind: "principal".into(),
                bill_id: 7,
                period: "2024-02".into(),
                amount: "150.00".into(),
            },
            pb::Allocation {
                kind: "principal".into(),
                bill_id: 8,
                period: "2024-03".into(),
                amount: "190.00".into(),
            },
        ],
        arrears_after: "0.00".into(),
        prepayment_after: "0.00".into(),
        business_date: "2026-11-25".into(),
        cashier: "wangfang".into(),
        created_at: "2026-11-25T02:31:02Z".into(),
        ..pb::Payment::default()
    }
}

/// A cashier on the counter with the till loaded and 3101000001 open,
/// found by typing its number and Enter.
fn account_app() -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(&CASHIER, vec![Role::Cashier], home::Area::Counter);
    feed(
        &mut app,
        [to_counter(counter::Message::TillLoaded(Ok(Box::new(
            shift("open"),
        ))))],
    );
    type_into(&mut app, counter::SEARCH_INPUT, "3101000001");
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Enter);
    assert!(
        matches!(counter_messages(&messages)[..], [counter::Message::Search]),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert_eq!(
        counter_of(&app).pending_lookup,
        Some(Lookup::AccountNo("3101000001".into())),
        "an account number is looked up exactly first"
    );
    feed(
        &mut app,
        [to_counter(counter::Message::AccountLoaded {
            lookup: Lookup::AccountNo("3101000001".into()),
            result: Ok(Some(Box::new(account()))),
        })],
    );
    (runtime, app)
}

fn form(app: &App) -> &counter::PaymentForm {
    counter_of(app).payment.as_ref().expect("a payment form")
}

#[test]
fn a_cashier_lands_on_the_counter_with_the_cursor_in_the_search() {
    let (_runtime, session) = sim::session(&CASHIER, vec![Role::Cashier]);
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("no keyring in tests".into()),
    );
    feed(
        &mut app,
        [Message::Login(login::Message::LoggedIn(Ok(session)))],
    );
    let Screen::Home(home) = app.screen() else {
        panic!("expected the home screen");
    };
    assert_eq!(home.selected(), home::Area::Counter, "the cashier's home");
    assert_eq!(
        counter_of(&app).till.load,
        counter::Load::Loading,
        "the till is asked for"
    );
    assert!(shows(&app, "户号 / 姓名 / 电话 / 地址，按 Enter 查询"));
    assert!(shows(
        &app,
        "快捷键：Enter 查询/下一项/收款 · ↑↓ 选择 · F2 读卡 · F3 购气/收款 · F4 本班流水 · F5 现金 · F6 银行卡 · F7 微信 · F8 支付宝 · F9 重打收据 · F11 开发票 · Esc 清空/返回"
    ));
    // Typing goes to the search at once.
    type_into(&mut app, counter::SEARCH_INPUT, "3101");
    assert_eq!(counter_of(&app).find.query, "3101");
    // Esc clears it.
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Escape);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::Escape]
    ));
    feed(&mut app, messages);
    assert_eq!(counter_of(&app).find.query, "");

    // Back office has no counter and starts on the overview.
    let (_runtime, session) = sim::session(&CASHIER, vec![Role::BackOffice]);
    let (home, _task) = home::Home::new(session);
    assert_eq!(home.selected(), home::Area::Overview);
    assert!(home.counter().is_none());
}

#[test]
fn the_account_shows_its_bills_and_what_settles_everything() {
    let (_runtime, app) = account_app();
    for expected in [
        "3101000001",
        "王*芳",
        "正常",
        "浦东新区阳光花园1栋1单元101",
        "表具 机械表 JK00000001 · 气价 shanghai-2014 · 139****0001",
        "2024-02",
        "2024-02-25",
        "¥150.00",
        "¥190.00",
        "1200 → 1320",
        "120",
        "估",
        "历史欠费",
        "¥20.00",
        "¥360.00",
        "应缴合计",
        "¥361.80",
        "近期读数：2024-03-31 1320（人工）",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
    // The till strip stays in view.
    for expected in [
        "营业日 2026-11-25",
        "当班中",
        "现金 2 笔 ¥300.00",
        "微信 1 笔 ¥88.50",
        "净收 ¥388.50",
        "应有现金 ¥300.00",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
    // The amount starts at the total due, on cash, the channel keys shown.
    assert_eq!(form(&app).amount, "361.80");
    assert_eq!(form(&app).channel, counter::Channel::Cash);
    for key in ["F5", "F6", "F7", "F8"] {
        assert!(shows(&app, key), "{key} on its button");
    }
}

#[test]
fn cash_shows_the_change_and_enter_takes_the_money() {
    let (_runtime, mut app) = account_app();
    // Enter in the amount moves on to the tendered money.
    let messages = press_in(&app, counter::AMOUNT_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::AmountEntered]
    ));
    type_into(&mut app, counter::TENDERED_INPUT, "300");
    assert!(shows(&app, "实收少于收款金额"), "short is said at once");
    type_into(&mut app, counter::TENDERED_INPUT, "0");
    assert_eq!(form(&app).tendered, "3000");
    feed(
        &mut app,
        [to_counter(counter::Message::TenderedChanged("400".into()))],
    );
    assert!(shows(&app, "¥38.20"), "400 − 361.80");

    let messages = press_in(&app, counter::TENDERED_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::Post]
    ));
    feed(&mut app, messages);
    let request = form(&app).in_flight().cloned().expect("sent");
    assert_eq!(request.channel, "cash");
    assert_eq!(request.amount, "361.80");
    assert_eq!(request.tendered, "400.00");
    assert_eq!(request.account_id, 41);
    assert!(request.idempotency_key.starts_with("pay-"));
    assert!(shows(&app, "正在收款…"));

    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(posted("cash", "361.80", "400.00", "38.20"))),
        })],
    );
    let counter = counter_of(&app);
    assert!(counter.payment.is_none(), "the form is done");
    let job = counter.print.clone().expect("the receipt prints by itself");
    assert_eq!(job.request.receipt_no, "SK20261125000007");
    assert_eq!(job.request.paper, pb::Paper::Roll80mm as i32);
    assert!(!job.request.preview);
    for expected in [
        "收款成功 · 收据号 SK20261125000007",
        "找零 ¥38.20",
        "历史欠费 ¥20.00",
        "2024-02 滞纳金 ¥1.80",
        "2024-02 气费 ¥150.00",
        "2024-03 气费 ¥190.00",
        "缴后欠费 ¥0.00 · 预存余额 ¥0.00",
        "正在打印收据 SK20261125000007…",
    ] {
        assert!(shows(&app, expected), "{expected}");
    }
    // The refreshed account comes with a new form and a new key.
    let mut paid = account();
    paid.open_bills.clear();
    paid.total_due = "0.00".into();
    feed(
        &mut app,
        [to_counter(counter::Message::AccountRefreshed {
            account_id: 41,
            result: Ok(Some(Box::new(paid))),
        })],
    );
    assert_ne!(form(&app).key, request.idempotency_key);
    assert_eq!(form(&app).amount, "");
    assert!(shows(&app, "没有未缴账单"));
}

#[test]
fn a_scanned_payment_code_submits_on_the_scanners_enter() {
    let (_runtime, mut app) = account_app();
    // F7 from the amount field chooses WeChat.
    let messages = press_in(&app, counter::AMOUNT_INPUT, key::Named::F7);
    assert!(
        matches!(
            counter_messages(&messages)[..],
            [counter::Message::ChooseChannel(counter::Channel::WeChat)]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(shows(&app, "付款码"));
    assert!(shows(&app, "用扫码枪扫描客户手机上的付款码，扫完自动提交"));

    // The scanner types the digits, then Enter.
    type_into(&mut app, counter::PAYMENT_CODE_INPUT, "134567890123456789");
    let messages = press_in(&app, counter::PAYMENT_CODE_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::Post]
    ));
    feed(&mut app, messages);
    let request = form(&app).in_flight().cloned().expect("submitted");
    assert_eq!(request.channel, "wechat");
    assert_eq!(request.payment_code, "134567890123456789");
    assert_eq!(request.tendered, "");

    // Declined: the code is used up, the next scan is a new attempt.
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(pb::Payment {
                status: "declined".into(),
                status_detail: "余额不足".into(),
                ..posted("wechat", "361.80", "", "")
            })),
        })],
    );
    assert!(shows(&app, "支付被拒绝：余额不足"));
    assert_eq!(form(&app).payment_code, "");
    assert_ne!(form(&app).key, request.idempotency_key);
    assert!(counter_of(&app).done.is_none(), "nothing was paid");
}

#[test]
fn a_lost_answer_is_retried_with_the_same_idempotency_key() {
    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [
            to_counter(counter::Message::ChooseChannel(counter::Channel::BankCard)),
            to_counter(counter::Message::ReferenceChanged("778812".into())),
            to_counter(counter::Message::Post),
        ],
    );
    let first = form(&app).in_flight().cloned().expect("sent");
    assert_eq!(first.reference, "778812");

    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: first.idempotency_key.clone(),
            result: Err(ApiError::Unreachable("deadline exceeded".into())),
        })],
    );
    assert!(shows(&app, "结果未确认，请重试"));
    assert!(matches!(form(&app).attempt, Attempt::Unconfirmed { .. }));
    // Nothing can be changed meanwhile, and Esc does not drop it.
    feed(
        &mut app,
        [
            to_counter(counter::Message::AmountChanged("1".into())),
            to_counter(counter::Message::Escape),
        ],
    );
    assert_eq!(form(&app).amount, "361.80");
    assert!(counter_of(&app).account.is_some());

    let messages = click_text(&mut app, "重试");
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::Retry]
    ));
    let again = form(&app).in_flight().cloned().expect("sent again");
    assert_eq!(again, first, "the very same request, key included");
    assert!(shows(&app, "正在以同一笔重新提交（不会重复收款）…"));

    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: first.idempotency_key.clone(),
            result: Ok(Box::new(posted("bank_card", "361.80", "", ""))),
        })],
    );
    assert!(shows(&app, "收款成功 · 收据号 SK20261125000007"));
}

#[test]
fn an_unknown_outcome_is_shown_as_unknown_never_as_paid() {
    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [
            to_counter(counter::Message::ChooseChannel(counter::Channel::Alipay)),
            to_counter(counter::Message::PaymentCodeChanged(
                "284567890123456789".into(),
            )),
            to_counter(counter::Message::Post),
        ],
    );
    let request = form(&app).in_flight().cloned().expect("sent");
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: request.idempotency_key,
            result: Ok(Box::new(pb::Payment {
                status: "unknown".into(),
                status_detail: "gateway timeout after 15 s".into(),
                receipt_no: String::new(),
                allocations: vec![],
                ..posted("alipay", "361.80", "", "")
            })),
        })],
    );
    assert!(shows(
        &app,
        "支付结果未知，待对账 (unknown, will be reconciled)"
    ));
    assert!(shows(&app, "收费单号 P202611250007"));
    assert!(!shows(&app, "收款成功 · 收据号 SK20261125000007"));
    let counter = counter_of(&app);
    assert!(counter.done.is_none() && counter.print.is_none());
    assert!(matches!(form(&app).attempt, Attempt::Unknown { .. }));
    // Not resent, not editable.
    let messages = click_text(&mut app, "确认收款 Enter");
    assert!(counter_messages(&messages).is_empty(), "{messages:?}");
    // The server settles it: the next customer may come.
    assert!(shows(
        &app,
        "按 Esc 返回查询，接待下一位；该笔可在“本班流水”中查看"
    ));
    feed(&mut app, [to_counter(counter::Message::Escape)]);
    assert!(counter_of(&app).account.is_none());
}

#[test]
fn a_closed_shift_takes_no_more_payments() {
    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [to_counter(counter::Message::TillLoaded(Ok(Box::new(
            pb::Shift {
                counted_cash: "300.00".into(),
                cash_difference: "0.00".into(),
                supervisor: "zhuguan".into(),
                ..shift("closed")
            },
        ))))],
    );
    assert!(shows(&app, "已扎帐"));
    assert!(shows(&app, "本班已扎帐，今日不能再收款"));
    let messages = click_text(&mut app, "确认收款 Enter");
    assert!(
        counter_messages(&messages).is_empty(),
        "the button is disabled"
    );
    feed(&mut app, [to_counter(counter::Message::Post)]);
    assert!(form(&app).in_flight().is_none(), "nor does the key post");
    let messages = click_text(&mut app, "扎帐");
    assert!(counter_messages(&messages).is_empty(), "closed once");
}

#[test]
fn several_hits_are_picked_with_the_arrows_and_enter() {
    let (_runtime, mut app) = sim::signed_in(&CASHIER, vec![Role::Cashier], home::Area::Counter);
    type_into(&mut app, counter::SEARCH_INPUT, "王");
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    assert_eq!(
        counter_of(&app).pending_lookup,
        None,
        "a name goes to the archive"
    );
    assert_eq!(counter_of(&app).find.pending_search.as_deref(), Some("王"));
    let hit = |id: i64, name: &str| pb::AccountSummary {
        account_id: id,
        account_no: format!("31010000{id:02}"),
        customer_name: name.into(),
        address: format!("浦东新区阳光花园{id}栋"),
        phone_masked: "139****0000".into(),
        ..pb::AccountSummary::default()
    };
    feed(
        &mut app,
        [to_counter(counter::Message::Searched {
            query: "王".into(),
            result: Ok(pb::SearchAccountsResponse {
                results: vec![hit(1, "王芳"), hit(2, "王建国"), hit(3, "王丽")],
                ..pb::SearchAccountsResponse::default()
            }),
        })],
    );
    assert!(shows(&app, "王建国"));
    assert!(shows(&app, "↑/↓ 选择，Enter 打开"));
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::ArrowDown);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::MoveHit(1)]
    ));
    feed(&mut app, messages);
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::ChooseHit(1)]
    ));
    feed(&mut app, messages);
    assert_eq!(counter_of(&app).pending_lookup, Some(Lookup::AccountId(2)));

    // An account number that is none: the archive is asked instead.
    feed(
        &mut app,
        [
            to_counter(counter::Message::Escape),
            to_counter(counter::Message::QueryChanged("13900000001".into())),
            to_counter(counter::Message::Search),
            to_counter(counter::Message::AccountLoaded {
                lookup: Lookup::AccountNo("13900000001".into()),
                result: Ok(None),
            }),
        ],
    );
    assert_eq!(
        counter_of(&app).find.pending_search.as_deref(),
        Some("13900000001")
    );
}

#[test]
fn f2_reads_the_card_in_the_reader() {
    let (runtime, mut app) = sim::signed_in(&CASHIER, vec![Role::Cashier], home::Area::Counter);
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::F2);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::ReadCard]
    ));
    let reader = counter_of(&app).card_reader().clone();
    let empty = runtime.block_on(gascis::api::counter::read_card(reader.clone()));
    feed(&mut app, [to_counter(counter::Message::CardRead(empty))]);
    assert!(shows(&app, "读卡器中没有卡：请插卡后按 F2"));

    reader.lock().unwrap().insert(CardState {
        card_no: "IC31010007".into(),
        issue_count: 1,
        purchase_count: 4,
        gas_on_card: Volume::from_m3(0),
    });
    let card = runtime.block_on(gascis::api::counter::read_card(reader));
    feed(&mut app, [to_counter(counter::Message::CardRead(card))]);
    assert_eq!(
        counter_of(&app).pending_lookup,
        Some(Lookup::Card("IC31010007".into()))
    );
    feed(
        &mut app,
        [to_counter(counter::Message::AccountLoaded {
            lookup: Lookup::Card("IC31010007".into()),
            result: Ok(None),
        })],
    );
    assert!(shows(&app, "卡号 IC31010007 没有对应的账户"));
}

fn ic_account() -> pb::CounterAccount {
    pb::CounterAccount {
        account_id: 42,
        account_no: "3101000002".into(),
        meter_type: "ic_card".into(),
        meter_no: "JK00000002".into(),
        card_no: "IC31010007".into(),
        open_bills: Vec::new(),
        arrears: "0.00".into(),
        late_fees: "0.00".into(),
        total_due: "0.00".into(),
        legacy_arrears: "0.00".into(),
        ..account()
    }
}

/// The counter with the IC-card account open and its card read.
fn ic_app(gas_on_card: i64) -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(&CASHIER, vec![Role::Cashier], home::Area::Counter);
    feed(
        &mut app,
        [to_counter(counter::Message::TillLoaded(Ok(Box::new(
            shift("open"),
        ))))],
    );
    let reader = counter_of(&app).card_reader().clone();
    reader.lock().unwrap().insert(CardState {
        card_no: "IC31010007".into(),
        issue_count: 1,
        purchase_count: 4,
        gas_on_card: Volume::from_m3(gas_on_card),
    });
    type_into(&mut app, counter::SEARCH_INPUT, "3101000002");
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    feed(
        &mut app,
        [to_counter(counter::Message::AccountLoaded {
            lookup: Lookup::AccountNo("3101000002".into()),
            result: Ok(Some(Box::new(ic_account()))),
        })],
    );
    assert!(
        counter_of(&app).gas.is_some(),
        "an IC-card account opens on 购气"
    );
    let card = runtime.block_on(gascis::api::counter::read_card(reader));
    feed(&mut app, [to_counter(counter::Message::GasCardRead(card))]);
    (runtime, app)
}

fn gas(app: &App) -> &counter::GasForm {
    counter_of(app).gas.as_ref().expect("the 购气 panel")
}

fn quote(asked: &pb::QuoteGasPurchaseRequest, blocked: &str) -> counter::Message {
    counter::Message::GasQuoted {
        asked: asked.clone(),
        result: Ok(Box::new(pb::GasQuote {
            volume_m3: "100.000".into(),
            amount: "261.00".into(),
            balance_used: "0.00".into(),
            cash_due: "261.00".into(),
            lines: vec![pb::GasLine {
                tier: 1,
                volume_m3: "100.000".into(),
                unit_price: "2.61".into(),
                amount: "261.00".into(),
            }],
            blocked_reason: blocked.into(),
            rewrite_pending: false,
            tariff_code: "beijing-2019".into(),
        })),
    }
}

fn sold(status: &str) -> pb::GasPurchase {
    pb::GasPurchase {
        purchase_id: 9,
        account_id: 42,
        account_no: "3101000002".into(),
        card_no: "IC31010007".into(),
        purchase_seq: 5,
        volume_m3: "100.000".into(),
        amount: "261.00".into(),
        balance_used: "0.00".into(),
        cash_due: "261.00".into(),
        channel: "cash".into(),
        tendered: "300.00".into(),
        change: "39.00".into(),
        status: status.into(),
        receipt_no: "R2026120700000011".into(),
        ..pb::GasPurchase::default()
    }
}

fn sale(status: &str) -> pb::GasPurchaseResult {
    pb::GasPurchaseResult {
        purchase: Some(sold(status)),
        write: Some(pb::CardWrite {
            card_no: "IC31010007".into(),
            purchase_seq: 5,
            volume_m3: "100.000".into(),
        }),
    }
}

#[test]
fn an_ic_card_sale_is_quoted_paid_written_and_rewritten_after_a_failed_write() {
    let (runtime, mut app) = ic_app(0);
    assert!(shows(&app, "购气（IC卡）"));
    assert!(shows(&app, "卡号 IC31010007 · 已购 4 次 · 卡内未用气 0 m³"));

    // The quantity is priced as it is typed.
    type_into(&mut app, counter::gas::QUANTITY_INPUT, "100");
    let gascis::screen::counter::gas::Quote::Asking(asked) = gas(&app).quote.clone() else {
        panic!("a quote is asked for: {:?}", gas(&app).quote);
    };
    assert_eq!(asked.request.as_ref().unwrap().volume_m3, "100.000");
    assert_eq!(asked.card.as_ref().unwrap().purchase_count, 4);
    feed(&mut app, [to_counter(quote(&asked, ""))]);
    assert!(shows(&app, "第1阶梯 100 m³ × 2.61 = ¥261.00"));
    assert!(shows(
        &app,
        "共 100 m³ · 气费 ¥261.00 · 预存抵扣 ¥0.00 · 应收 ¥261.00"
    ));

    // Enter moves on to the cash handed over; Enter there pays.
    let messages = press_in(&app, counter::gas::QUANTITY_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::GasEntered]
    ));
    type_into(&mut app, counter::gas::TENDERED_INPUT, "300");
    assert!(shows(&app, "¥39.00"), "300 − 261");
    let messages = press_in(&app, counter::gas::TENDERED_INPUT, key::Named::Enter);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::GasPay]
    ));
    feed(&mut app, messages);
    let counter::gas::Stage::Paying { request } = gas(&app).stage.clone() else {
        panic!("paying: {:?}", gas(&app).stage);
    };
    assert_eq!(
        (
            request.channel.as_str(),
            request.tendered.as_str(),
            request.account_id
        ),
        ("cash", "300.00", 42)
    );
    assert!(request.idempotency_key.starts_with("gas-"));
    assert!(shows(&app, "正在收款…"));

    // Paid: the receipt prints, the card is written, and the write fails.
    feed(
        &mut app,
        [to_counter(counter::Message::GasPaid {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(sale("paid"))),
        })],
    );
    let job = counter_of(&app).print.clone().expect("the receipt prints");
    assert_eq!(job.request.receipt_no, "R2026120700000011");
    assert!(shows(&app, "已收款，正在写卡：第5次购气 100 m³…"));
    let reader = counter_of(&app).card_reader().clone();
    reader.lock().unwrap().fail_next_writes(1);
    let write = sale("paid").write.unwrap();
    let written = runtime.block_on(gascis::api::counter::write_card(
        reader.clone(),
        write.clone(),
    ));
    assert!(written.error.is_some());
    assert_eq!(written.read_back.as_ref().unwrap().purchase_count, 4);
    feed(
        &mut app,
        [
            to_counter(counter::Message::GasWritten {
                purchase_id: 9,
                written: written.clone(),
            }),
            to_counter(counter::Message::GasConfirmed {
                error: written.error.clone(),
                result: Ok(Box::new(sold("paid"))),
            }),
        ],
    );
    assert!(shows(
        &app,
        "写卡失败：第5次购气 100 m³ 已收款但未写入卡中。请重新插卡后按 F10 补气，不会再次收费"
    ));

    // F10: 补气, the same purchase, no second payment.
    let messages = press_in(&app, counter::gas::QUANTITY_INPUT, key::Named::F10);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::GasAgain]
    ));
    feed(&mut app, messages);
    assert!(matches!(
        gas(&app).stage,
        counter::gas::Stage::Rewriting { .. }
    ));
    feed(
        &mut app,
        [to_counter(counter::Message::GasRewritten(Ok(Box::new(
            sale("paid"),
        ))))],
    );
    assert!(shows(&app, "正在补气：第5次购气 100 m³…"));
    let written = runtime.block_on(gascis::api::counter::write_card(reader.clone(), write));
    assert_eq!(written.error, None);
    assert_eq!(written.read_back.as_ref().unwrap().purchase_count, 5);
    feed(
        &mut app,
        [
            to_counter(counter::Message::GasWritten {
                purchase_id: 9,
                written,
            }),
            to_counter(counter::Message::GasConfirmed {
                error: None,
                result: Ok(Box::new(sold("written"))),
            }),
        ],
    );
    assert!(shows(
        &app,
        "购气成功，已写卡 · 第5次购气 100 m³ · 收据号 R2026120700000011"
    ));
    assert!(shows(
        &app,
        "卡号 IC31010007 · 现金 · 实收 ¥261.00 · 找零 ¥39.00"
    ));
    assert_eq!(
        reader.lock().unwrap().read().unwrap().gas_on_card,
        Volume::from_m3(100)
    );
    // The till, reloaded, counts the sale.
    let mut till = shift("open");
    till.gas_sales = 1;
    till.gas_sold = "261.00".into();
    feed(
        &mut app,
        [to_counter(counter::Message::TillLoaded(Ok(Box::new(till))))],
    );
    assert!(shows(&app, "购气 1 笔 ¥261.00"));

    // F3 goes to the payment form of the same account and back.
    let messages = press_in(&app, counter::gas::QUANTITY_INPUT, key::Named::F3);
    feed(&mut app, messages);
    assert!(counter_of(&app).gas.is_none());
    assert!(counter_of(&app).payment.is_some());
    let messages = press_in(&app, counter::AMOUNT_INPUT, key::Named::F3);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::ToggleGas]
    ));
    feed(&mut app, messages);
    assert!(shows(&app, "购气（IC卡）"));
}

#[test]
fn a_card_still_holding_gas_is_refused_with_the_reason_and_f12_reissues() {
    let (_runtime, mut app) = ic_app(20);
    assert!(shows(
        &app,
        "卡号 IC31010007 · 已购 4 次 · 卡内未用气 20 m³"
    ));
    type_into(&mut app, counter::gas::QUANTITY_INPUT, "100");
    let gascis::screen::counter::gas::Quote::Asking(asked) = gas(&app).quote.clone() else {
        panic!("a quote is asked for");
    };
    feed(
        &mut app,
        [to_counter(quote(
            &asked,
            "the card still holds 20.000 m³ not loaded into the meter; load it into the meter first",
        ))],
    );
    assert!(shows(
        &app,
        "卡内还有未插表的气量，请先插表用完再购气。the card still holds 20.000 m³ not loaded into the meter; load it into the meter first"
    ));
    let messages = press_in(&app, counter::gas::TENDERED_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    assert!(gas(&app).is_editable(), "nothing is sent");
    assert!(shows(
        &app,
        "此卡现在不能购气：the card still holds 20.000 m³ not loaded into the meter; load it into the meter first"
    ));

    // 补卡 for a lost card: a reason and a supervisor.
    let messages = press_in(&app, counter::gas::QUANTITY_INPUT, key::Named::F12);
    assert!(matches!(
        counter_messages(&messages)[..],
        [counter::Message::StartReissue]
    ));
    feed(&mut app, messages);
    let dialog = counter_of(&app).dialog.clone().expect("the 补卡 dialog");
    assert!(matches!(
        dialog.kind,
        dialogs::Kind::Reissue { account_id: 42, .. }
    ));
    assert!(shows(&app, "主管确认补卡"));
    type_into(&mut app, dialogs::REASON_INPUT, "卡片丢失");
    let dialog = counter_of(&app).dialog.clone().unwrap();
    assert_eq!(dialog.reason, "卡片丢失");
    assert!(matches!(dialog.to_request(), Err(dialogs::Field::Username)));
    feed(
        &mut app,
        [
            to_counter(counter::Message::DialogField(
                dialogs::Field::Username,
                "zhaolei".into(),
            )),
            to_counter(counter::Message::DialogPassword("pass-word-1".into())),
            to_counter(counter::Message::ConfirmDialog),
            to_counter(counter::Message::DialogAnswered(Ok(
                counter::Signed::Reissued(Box::new(pb::CardIssue {
                    card_no: "IC31010007".into(),
                    issue_count: 2,
                    purchase_count: 4,
                    gas_m3: "0.000".into(),
                })),
            ))),
        ],
    );
    assert!(counter_of(&app).dialog.is_none());
    assert!(shows(
        &app,
        "补卡完成：卡号 IC31010007 第2张卡 · 已购 4 次 · 写入未用气 0 m³"
    ));
}

#[test]
fn a_void_needs_a_reason_and_a_supervisor_who_may_refuse() {
    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [to_counter(counter::Message::PaymentsLoaded {
            shift_id: 5,
            result: Ok(vec![posted("cash", "361.80", "400.00", "38.20")]),
        })],
    );
    let messages = press_in(&app, counter::SEARCH_INPUT, key::Named::F4);
    feed(&mut app, messages);
    assert_eq!(counter_of(&app).tab, counter::Tab::Shift);
    assert!(shows(&app, "SK20261125000007"));
    assert!(shows(&app, "已入账"));

    click_text(&mut app, "冲正");
    assert!(counter_of(&app).dialog.is_some());
    assert!(shows(&app, "冲正收费"));
    click_text(&mut app, "主管确认冲正");
    assert!(shows(&app, "请填写原因"));
    assert!(shows(&app, "请值班主管输入用户名和密码"));
    assert!(!counter_of(&app).dialog.as_ref().unwrap().submitting);

    type_into(&mut app, dialogs::REASON_INPUT, "金额录错");
    type_into(&mut app, dialogs::USERNAME_INPUT, "zhuguan");
    type_into(&mut app, dialogs::PASSWORD_INPUT, "pw");
    let messages = press_in(&app, dialogs::PASSWORD_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    let dialog = counter_of(&app).dialog.clone().unwrap();
    assert!(dialog.submitting);
    let Ok(dialogs::Request::Void(request)) = dialog.to_request() else {
        panic!("a void request");
    };
    assert_eq!(request.payment_no, "P202611250007");
    assert_eq!(request.reason, "金额录错");
    assert!(request.idempotency_key.starts_with("void-"));
    assert_eq!(
        request.approval,
        Some(pb::SupervisorApproval {
            username: "zhuguan".into(),
            password: "pw".into(),
        })
    );

    feed(
        &mut app,
        [to_counter(counter::Message::DialogAnswered(Err(
            ApiError::InvalidField {
                field: "approval.password".into(),
                message: "wrong user name or password for the approving supervisor".into(),
            },
        )))],
    );
    assert!(shows(&app, "主管用户名或密码错误"));
    assert!(shows(
        &app,
        "wrong user name or password for the approving supervisor"
    ));
    let dialog = counter_of(&app).dialog.clone().unwrap();
    assert!(dialog.password.is_empty() && dialog.reason == "金额录错");

    // Esc closes the dialog, and nothing else.
    feed(&mut app, [to_counter(counter::Message::Escape)]);
    assert!(counter_of(&app).dialog.is_none());
    assert_eq!(counter_of(&app).tab, counter::Tab::Shift);
}

#[test]
fn the_shift_close_shows_the_difference_and_asks_why() {
    let (_runtime, mut app) = account_app();
    click_text(&mut app, "扎帐");
    assert!(shows(
        &app,
        "收款 3 笔 ¥388.50 · 冲正 0 笔 ¥0.00 · 退预存 0 笔 ¥0.00 · 净收 ¥388.50"
    ));
    type_into(&mut app, dialogs::COUNTED_INPUT, "299.5");
    assert!(shows(&app, "短款 ¥0.50"));
    assert!(shows(&app, "差额说明（必填）"));
    type_into(&mut app, dialogs::USERNAME_INPUT, "zhuguan");
    type_into(&mut app, dialogs::PASSWORD_INPUT, "pw");
    click_text(&mut app, "主管确认扎帐");
    assert!(shows(&app, "实点与应有现金不符，请说明原因"));
    type_into(&mut app, dialogs::NOTE_INPUT, "少收5角");
    click_text(&mut app, "主管确认扎帐");
    let Ok(dialogs::Request::Close(request)) =
        counter_of(&app).dialog.as_ref().unwrap().to_request()
    else {
        panic!("a close request");
    };
    assert_eq!(request.counted_cash, "299.50");
    assert_eq!(request.difference_note, "少收5角");

    feed(
        &mut app,
        [to_counter(counter::Message::DialogAnswered(Ok(
            counter::Signed::Closed(Box::new(pb::Shift {
                counted_cash: "299.50".into(),
                cash_difference: "-0.50".into(),
                difference_note: "少收5角".into(),
                supervisor: "zhuguan".into(),
                ..shift("closed")
            })),
        )))],
    );
    assert!(counter_of(&app).dialog.is_none());
    assert!(shows(&app, "本班已扎帐（营业日 2026-11-25）"));
    assert!(shows(&app, "本班已扎帐，今日不能再收款"));
    assert!(counter_of(&app).posting_blocked());
}

/// Renders the counter to PNG files for people to look at (not a check):
/// `cargo test -p gascis --test counter_ui -- --ignored`; the files go to
/// GASCIS_SHOTS (default: the target's tmp dir).
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::env::var_os("GASCIS_SHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str| {
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
    };

    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [to_counter(counter::Message::TenderedChanged("400".into()))],
    );
    save(&app, "counter-account");

    let request = {
        feed(&mut app, [to_counter(counter::Message::Post)]);
        form(&app).in_flight().cloned().unwrap()
    };
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key: request.idempotency_key.clone(),
            result: Ok(Box::new(posted("cash", "361.80", "400.00", "38.20"))),
        })],
    );
    save(&app, "counter-paid");

    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [
            to_counter(counter::Message::ChooseChannel(counter::Channel::WeChat)),
            to_counter(counter::Message::PaymentCodeChanged(
                "134567890123456789".into(),
            )),
            to_counter(counter::Message::Post),
        ],
    );
    let key = form(&app).key.clone();
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key,
            result: Err(ApiError::Unreachable("deadline exceeded".into())),
        })],
    );
    save(&app, "counter-unconfirmed");

    feed(&mut app, [to_counter(counter::Message::Retry)]);
    let key = form(&app).key.clone();
    feed(
        &mut app,
        [to_counter(counter::Message::Posted {
            key,
            result: Ok(Box::new(pb::Payment {
                status: "unknown".into(),
                ..posted("wechat", "361.80", "", "")
            })),
        })],
    );
    save(&app, "counter-unknown");

    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [
            to_counter(counter::Message::PaymentsLoaded {
                shift_id: 5,
                result: Ok(vec![
                    posted("cash", "361.80", "400.00", "38.20"),
                    pb::Payment {
                        payment_no: "P202611250006".into(),
                        receipt_no: "SK20261125000006".into(),
                        void_receipt_no: "CZ20261125000001".into(),
                        status: "posted".into(),
                        ..posted("wechat", "88.50", "", "")
                    },
                ]),
            }),
            to_counter(counter::Message::SelectTab(counter::Tab::Shift)),
        ],
    );
    save(&app, "counter-shift");
    feed(
        &mut app,
        [
            to_counter(counter::Message::StartVoid("P202611250007".into())),
            to_counter(counter::Message::DialogField(
                dialogs::Field::Reason,
                "金额录错".into(),
            )),
        ],
    );
    save(&app, "counter-void");

    let (_runtime, mut app) = account_app();
    feed(
        &mut app,
        [
            to_counter(counter::Message::StartClose),
            to_counter(counter::Message::DialogField(
                dialogs::Field::Counted,
                "299.50".into(),
            )),
        ],
    );
    save(&app, "counter-close");
    feed(
        &mut app,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    save(&app, "counter-close-en");
}

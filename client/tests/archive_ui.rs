//! Headless UI tests of the customer archive (客户档案) with iced_test's
//! simulator: keys and clicks go through the real widgets, their messages
//! through the real `update`, and the answers of the server are fed back as
//! the messages the api tasks would produce.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gascis::api::ApiError;
use gascis::api::archive::{Exported, RevealedPii};
use gascis::app::{App, Message, Screen};
use gascis::screen::customers::{self, Customers, Page, Tab, dialog, open_account, picker, search};
use gascis::screen::home;
use gascis::secret::Secret;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::{Rectangle, Size};
use iced_test::{Simulator, selector};

/// Taller than the default window so the whole open-account form is on
/// screen and every field can be clicked.
const SCREEN: Size = Size::new(1280.0, 1400.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const SIGNED_IN: sim::Person = sim::Person {
    id: 7,
    username: "zhangli",
    display_name: "张丽",
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

/// An app logged in with `roles`, on the 客户档案 area.
fn archive_app(roles: Vec<Role>) -> (tokio::runtime::Runtime, App) {
    sim::signed_in(&SIGNED_IN, roles, home::Area::Customers)
}

fn archive(message: customers::Message) -> Message {
    Message::Home(home::Message::customers(message))
}

fn customers_of(app: &App) -> &Customers {
    match app.screen() {
        Screen::Home(home) => home.customers().expect("the archive is open to this user"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// The archive messages among `messages`.
fn archive_messages(messages: &[Message]) -> Vec<&customers::Message> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Home(home::Message::Customers(message)) => Some(message.as_ref()),
            _ => None,
        })
        .collect()
}

/// Presses `key` with the cursor in the input `id`; returns the messages
/// (not fed).
fn press_in(app: &App, id: &str, key: key::Named) -> Vec<Message> {
    let mut ui = simulate(app);
    let _ = ui.click(selector::id(id.to_owned())).unwrap();
    let _ = ui.tap_key(keyboard::Key::Named(key));
    ui.into_messages().collect()
}

#[allow(clippy::too_many_arguments)]
fn hit(
    id: i64,
    account_no: &str,
    name: &str,
    address: &str,
    meter_no: &str,
    meter_type: pb::MeterType,
    status: pb::AccountStatus,
    phone: &str,
) -> pb::AccountSummary {
    pb::AccountSummary {
        account_id: id,
        account_no: account_no.into(),
        customer_name: name.into(),
        customer_type: pb::CustomerType::Residential as i32,
        status: status as i32,
        address: address.into(),
        meter_no: meter_no.into(),
        meter_type: meter_type as i32,
        phone_masked: phone.into(),
        customer_id: id + 1000,
    }
}

/// A page of hits for "阳光花园", as a Shanghai gas company would have them.
fn sunshine_garden() -> pb::SearchAccountsResponse {
    use pb::AccountStatus::{Active, Suspended};
    use pb::MeterType::{IcCard, Iot, Mechanical};
    let results = vec![
        hit(
            41,
            "3101000123",
            "王芳",
            "浦东新区阳光花园12栋2单元301室",
            "JK2019034521",
            Mechanical,
            Active,
            "138****5678",
        ),
        hit(
            42,
            "3101000124",
            "李建国",
            "浦东新区阳光花园12栋2单元302室",
            "GS2020118876",
            IcCard,
            Active,
            "139****2231",
        ),
        hit(
            57,
            "3101000187",
            "张秀英",
            "浦东新区阳光花园14栋1单元601室",
            "NB21007733",
            Iot,
            Suspended,
            "136****0912",
        ),
        hit(
            63,
            "3101000210",
            "陈伟",
            "浦东新区阳光花园15栋3单元1102室",
            "JK2016007781",
            Mechanical,
            Active,
            "021-****6688",
        ),
        hit(
            71,
            "3101000256",
            "上海阳光花园物业管理有限公司",
            "浦东新区阳光花园物业服务中心",
            "JK2018100245",
            Mechanical,
            Active,
            "021-****3300",
        ),
        hit(
            88,
            "3101000302",
            "周杰",
            "浦东新区阳光花园16栋2单元502室",
            "GS2021045190",
            IcCard,
            Active,
            "137****4411",
        ),
        hit(
            93,
            "3101000345",
            "吴海燕",
            "浦东新区阳光花园17栋1单元203室",
            "NB22013302",
            Iot,
            Active,
            "135****7620",
        ),
        hit(
            97,
            "3101000378",
            "孙立新",
            "浦东新区阳光花园18栋4单元1501室",
            "JK2020066318",
            Mechanical,
            Active,
            "186****0357",
        ),
    ];
    pb::SearchAccountsResponse {
        results,
        next_page_token: "page-2".into(),
        searched_as: pb::SearchKind::Address as i32,
    }
}

fn timestamp(rfc3339: &str) -> prost_types::Timestamp {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    }
}

/// 李建国's account, with an IC-card meter, arrears and a history.
fn li_jianguo() -> pb::AccountDetail {
    pb::AccountDetail {
        account: Some(pb::Account {
            id: 42,
            account_no: "3101000124".into(),
            status: pb::AccountStatus::Active as i32,
            low_income: false,
            household_size: 4,
            tariff_code: "SH-RES-2024".into(),
            opened_on: "2012-03-15".into(),
            closed_on: String::new(),
            arrears: "128.60".into(),
            prepayment: "0.00".into(),
            version: 7,
            notices_opt_out: false,
        }),
        customer: Some(pb::Customer {
            id: 9,
            party_kind: pb::PartyKind::Person as i32,
            customer_type: pb::CustomerType::Residential as i32,
            name: "李建国".into(),
            id_type: pb::IdType::ResidentId as i32,
            id_number_masked: "310***********2417".into(),
            phone_masked: "139****2231".into(),
            phone2_masked: "021-****4520".into(),
            version: 4,
        }),
        premise: Some(pb::Premise {
            id: 12,
            district: "浦东新区".into(),
            community: "阳光花园".into(),
            building: "12".into(),
            unit: "2".into(),
            room: "302".into(),
            address: "浦东新区阳光花园12栋2单元302室".into(),
            latitude: "31.224361".into(),
            longitude: "121.544579".into(),
            version: 2,
        }),
        meters: vec![
            pb::Meter {
                id: 301,
                meter_no: "GS2020118876".into(),
                meter_type: pb::MeterType::IcCard as i32,
                maker: "金卡".into(),
                model: "JK-IC-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                installed_on: "2020-11-06".into(),
                initial_reading: "0.000".into(),
                installed: true,
                version: 1,
            },
            pb::Meter {
                id: 118,
                meter_no: "JK2012004512".into(),
                meter_type: pb::MeterType::Mechanical as i32,
                maker: "天信".into(),
                model: "TX-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                installed_on: "2012-03-15".into(),
                initial_reading: "0.000".into(),
                installed: false,
                version: 3,
            },
        ],
        meter_events: vec![
            pb::MeterEvent {
                id: 902,
                meter_no: "GS2020118876".into(),
                kind: "replaced_in".into(),
                reading: "0.000".into(),
                occurred_on: "2020-11-06".into(),
                recorded_by: "wangmin".into(),
                note: "机械表改IC卡表".into(),
            },
            pb::MeterEvent {
                id: 901,
                meter_no: "JK2012004512".into(),
                kind: "replaced_out".into(),
                reading: "3187.452".into(),
                occurred_on: "2020-11-06".into(),
                recorded_by: "wangmin".into(),
                note: "机械表改IC卡表".into(),
            },
            pb::MeterEvent {
                id: 310,
                meter_no: "JK2012004512".into(),
                kind: "install".into(),
                reading: "0.000".into(),
                occurred_on: "2012-03-15".into(),
                recorded_by: "import".into(),
                note: "历史台账导入".into(),
            },
        ],
        contracts: vec![pb::Contract {
            id: 77,
            contract_no: "HT-2012-004512".into(),
            signed_on: "2012-03-12".into(),
            gas_purpose: pb::GasPurpose::Cooking as i32,
            price_policy: "居民阶梯".into(),
            version: 1,
        }],
        ic_cards: vec![pb::IcCard {
            id: 5,
            card_no: "31000118876".into(),
            issue_count: 2,
            status: "active".into(),
        }],
        household: vec![
            pb::HouseholdEntry {
                household_size: 4,
                effective_from: "2025-07-01".into(),
                recorded_at: Some(timestamp("2025-06-28T09:12:00+08:00")),
            },
            pb::HouseholdEntry {
                household_size: 3,
                effective_from: "2012-03-15".into(),
                recorded_at: Some(timestamp("2012-03-15T10:00:00+08:00")),
            },
        ],
        holders: vec![
            pb::AccountHolder {
                customer_id: 9,
                customer_name: "李建国".into(),
                from_date: "2016-09-01".into(),
                to_date: String::new(),
            },
            pb::AccountHolder {
                customer_id: 3,
                customer_name: "李福生".into(),
                from_date: "2012-03-15".into(),
                to_date: "2016-08-31".into(),
            },
        ],
    }
}

fn change_records() -> Vec<pb::ChangeRecord> {
    vec![
        pb::ChangeRecord {
            id: 5012,
            at: Some(timestamp("2025-06-28T09:12:00+08:00")),
            username: "zhangli".into(),
            action: "register_household".into(),
            entity: "account".into(),
            entity_id: 42,
            reason: "新生儿落户".into(),
            differences: vec!["household_size: 3 → 4".into()],
            approved_by: String::new(),
        },
        pb::ChangeRecord {
            id: 3307,
            at: Some(timestamp("2020-11-06T14:30:00+08:00")),
            username: "wangmin".into(),
            action: "replace_meter".into(),
            entity: "meter".into(),
            entity_id: 301,
            reason: "机械表改IC卡表".into(),
            differences: vec![
                "meter_no: JK2012004512 → GS2020118876".into(),
                "old_final_reading: 3187.452".into(),
            ],
            approved_by: String::new(),
        },
        pb::ChangeRecord {
            id: 1288,
            at: Some(timestamp("2016-09-01T10:05:00+08:00")),
            username: "wangmin".into(),
            action: "transfer".into(),
            entity: "account".into(),
            entity_id: 42,
            reason: "继承过户".into(),
            differences: vec![
                "holder: 李福生 → 李建国".into(),
                "phone: 133****8810 → 139****2231".into(),
            ],
            approved_by: "chenjing".into(),
        },
    ]
}

#[test]
fn search_then_keyboard_opens_an_account_and_its_changes() {
    let (_runtime, mut app) = archive_app(vec![Role::Cashier]);
    assert!(shows(&app, "查询结果"), "the search page is open");

    type_into(&mut app, search::SEARCH_INPUT, "阳光花园");
    assert_eq!(customers_of(&app).search().query, "阳光花园");

    // Enter searches.
    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::Search]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert_eq!(
        customers_of(&app).search().status,
        search::Status::Searching
    );

    feed(
        &mut app,
        [archive(customers::Message::Searched(Ok(sunshine_garden())))],
    );
    for shown in [
        "3101000123",
        "王芳",
        "浦东新区阳光花园12栋2单元302室",
        "GS2020118876",
        "IC卡表",
        "报停",
        "139****2231",
    ] {
        assert!(shows(&app, shown), "{shown} should be in the results");
    }
    assert!(shows(&app, "第 1 页 · 本页 8 条 · 按地址查询"));

    // ↓ moves the selection from the first hit to the second; Enter opens it.
    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::ArrowDown);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::MoveSelection(1)]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenAccount(42)]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert_eq!(customers_of(&app).page(), Page::Detail);

    feed(
        &mut app,
        [archive(customers::Message::AccountLoaded(Ok(li_jianguo())))],
    );
    for tab in ["客户信息", "用气地址", "表具", "账户", "合同", "变更记录"] {
        assert!(shows(&app, tab), "tab {tab}");
    }
    assert!(shows(&app, "李建国"));
    assert!(shows(&app, "310***********2417"), "ID number masked");
    assert!(shows(&app, "¥128.60"), "arrears");

    // Opening 变更记录 asks for the records and shows them.
    let messages = click_text(&mut app, "变更记录");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::SelectTab(Tab::Changes)]
        ),
        "{messages:?}"
    );
    let detail = customers_of(&app).detail().unwrap();
    assert!(detail.changes.requested && detail.changes.loading);
    feed(
        &mut app,
        [archive(customers::Message::ChangesLoaded {
            account_id: 42,
            before_id: 0,
            result: Ok(change_records()),
        })],
    );
    for shown in [
        "人口登记",
        "新生儿落户",
        "人口数：3 → 4",
        "过户",
        "chenjing",
        "换表",
    ] {
        assert!(
            shows(&app, shown),
            "{shown} should be in the change records"
        );
    }

    // Escape goes back to the results, which are still there.
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui.tap_key(keyboard::Key::Named(key::Named::Escape));
        ui.into_messages().collect()
    };
    feed(&mut app, messages);
    assert_eq!(customers_of(&app).page(), Page::Search);
    assert!(shows(&app, "3101000378"));
}

#[test]
fn a_failed_or_empty_search_says_so() {
    let (_runtime, mut app) = archive_app(vec![Role::Supervisor]);
    type_into(&mut app, search::SEARCH_INPUT, "13800000000");
    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    feed(
        &mut app,
        [archive(customers::Message::Searched(Ok(
            pb::SearchAccountsResponse {
                results: vec![],
                next_page_token: String::new(),
                searched_as: pb::SearchKind::Phone as i32,
            },
        )))],
    );
    assert!(shows(&app, "未找到匹配的账户"));

    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    feed(
        &mut app,
        [archive(customers::Message::Searched(Err(
            ApiError::Unreachable("connection refused".into()),
        )))],
    );
    assert!(shows(&app, "无法连接服务器"));
}

#[test]
fn the_kind_selector_and_paging_shape_the_request() {
    let (_runtime, mut app) = archive_app(vec![Role::Cashier]);
    assert!(shows(&app, "自动"));
    let _ = click_text(&mut app, "户号");
    assert_eq!(customers_of(&app).search().kind, pb::SearchKind::AccountNo);

    type_into(&mut app, search::SEARCH_INPUT, "31010001");
    let messages = press_in(&app, search::SEARCH_INPUT, key::Named::Enter);
    feed(&mut app, messages);
    feed(
        &mut app,
        [archive(customers::Message::Searched(Ok(sunshine_garden())))],
    );

    let messages = click_text(&mut app, "下一页");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::NextPage]
        ),
        "{messages:?}"
    );
    let mut second = sunshine_garden();
    second.results.truncate(2);
    second.next_page_token.clear();
    feed(
        &mut app,
        [archive(customers::Message::Searched(Ok(second)))],
    );
    assert_eq!(customers_of(&app).search().page_number(), 2);
    assert!(shows(&app, "第 2 页 · 本页 2 条 · 按地址查询"));
}

/// Where `text` is drawn.
fn text_bounds(app: &App, text: &str) -> Rectangle {
    simulate(app)
        .find(text)
        .unwrap_or_else(|error| panic!("{text} should be on screen: {error:?}"))
        .bounds()
}

fn input_bounds(app: &App, id: &str) -> Rectangle {
    simulate(app)
        .find(selector::id(id.to_owned()))
        .unwrap_or_else(|error| panic!("{id} should be on screen: {error:?}"))
        .bounds()
}

/// `message` is drawn right under the input `id`.
fn assert_under(app: &App, message: &str, id: &str) {
    let input = input_bounds(app, id);
    let text = text_bounds(app, message);
    let gap = text.y - (input.y + input.height);
    assert!(
        (0.0..12.0).contains(&gap),
        "{message} is {gap} px below {id}"
    );
    assert!(
        text.x < input.x + input.width && input.x < text.x + text.width,
        "{message} at {text:?} is not under {id} at {input:?}"
    );
}

fn open_form(app: &App) -> &open_account::OpenAccountForm {
    &customers_of(app)
        .open_form()
        .expect("the open-account form is open")
        .form
}

fn field(path: &str) -> String {
    format!("{}.{path}", open_account::ID_PREFIX)
}

#[test]
fn the_open_account_form_checks_while_typing_and_builds_its_request() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    let _ = click_text(&mut app, "开户");
    assert_eq!(customers_of(&app).page(), Page::OpenAccount);
    assert!(shows(&app, "开户登记"));

    type_into(&mut app, &field("new_customer.name"), "赵明");
    // Enter moves on to the next field, as data-entry staff expect.
    let messages = press_in(&app, &field("new_customer.name"), key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::FocusNext]
        ),
        "{messages:?}"
    );
    // One wrong check digit: the error shows while typing.
    type_into(
        &mut app,
        &field("new_customer.id_number"),
        "110105194912310021",
    );
    assert!(shows(&app, "校验位错误：应为 X，实际为 1"));
    assert_under(
        &app,
        "校验位错误：应为 X，实际为 1",
        &field("new_customer.id_number"),
    );
    assert!(!shows(&app, "必填"), "missing values wait for a submit");

    // Submitting is refused and now names the missing fields.
    let messages = click_text(&mut app, "提交开户");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::SubmitOpenAccount]
        ),
        "{messages:?}"
    );
    let open = customers_of(&app).open_form().unwrap();
    assert!(!open.submitting, "an invalid form is not sent");
    assert!(open.form.to_request().is_err());
    assert!(shows(&app, "必填"));
    assert!(shows(&app, "校验位错误：应为 X，实际为 1"));

    // Fix the check digit and fill the rest.
    let messages: Vec<Message> = {
        let mut ui = simulate(&app);
        let _ = ui
            .click(selector::id(field("new_customer.id_number")))
            .unwrap();
        let _ = ui.tap_key(keyboard::Key::Named(key::Named::Backspace));
        ui.into_messages().collect()
    };
    feed(&mut app, messages);
    type_into(&mut app, &field("new_customer.id_number"), "X");
    assert!(!shows(&app, "校验位错误：应为 X，实际为 1"));
    type_into(&mut app, &field("new_customer.phone"), "139 1234 5678");
    type_into(&mut app, &field("premise.district"), "闵行区");
    type_into(&mut app, &field("premise.community"), "春申景城");
    type_into(&mut app, &field("premise.building"), "8");
    type_into(&mut app, &field("premise.unit"), "1");
    type_into(&mut app, &field("premise.room"), "502");
    assert!(
        shows(&app, "闵行区春申景城8栋1单元502室"),
        "the address builds itself"
    );
    type_into(&mut app, &field("meter.meter_no"), "JK2026000815");
    type_into(&mut app, &field("meter.initial_reading"), "0.5");
    type_into(&mut app, &field("household_size"), "3");
    // Pick lists open overlays; their choices are fed as messages.
    feed(
        &mut app,
        [
            archive(customers::Message::OpenForm(open_account::Message::Meter(
                customers::form::MeterMessage::MeterType(pb::MeterType::Mechanical),
            ))),
            archive(customers::Message::OpenForm(open_account::Message::Meter(
                customers::form::MeterMessage::Size("G2.5"),
            ))),
        ],
    );

    let request = open_form(&app).to_request().expect("the form is complete");
    let key = request.idempotency_key.clone();
    assert!(key.starts_with("open-"), "{key}");
    assert_eq!(
        request,
        pb::OpenAccountRequest {
            existing_customer_id: 0,
            new_customer: Some(pb::CustomerInput {
                party_kind: Some(pb::PartyKind::Person as i32),
                customer_type: Some(pb::CustomerType::Residential as i32),
                name: Some("赵明".into()),
                id_type: Some(pb::IdType::ResidentId as i32),
                id_number: Some("11010519491231002X".into()),
                phone: Some("13912345678".into()),
                phone2: None,
            }),
            premise: Some(pb::PremiseInput {
                district: Some("闵行区".into()),
                community: Some("春申景城".into()),
                building: Some("8".into()),
                unit: Some("1".into()),
                room: Some("502".into()),
                address: Some("闵行区春申景城8栋1单元502室".into()),
                latitude: None,
                longitude: None,
            }),
            meter: Some(pb::MeterInput {
                meter_no: "JK2026000815".into(),
                meter_type: pb::MeterType::Mechanical as i32,
                maker: String::new(),
                model: String::new(),
                size: "G2.5".into(),
                digits: 5,
                initial_reading: "0.5".into(),
                card_no: String::new(),
            }),
            contract: Some(pb::ContractInput {
                contract_no: String::new(),
                signed_on: String::new(),
                gas_purpose: pb::GasPurpose::Cooking as i32,
                price_policy: String::new(),
            }),
            household_size: 3,
            low_income: false,
            opened_on: String::new(),
            idempotency_key: key.clone(),
        }
    );

    let _ = click_text(&mut app, "提交开户");
    assert!(customers_of(&app).open_form().unwrap().submitting);
    assert!(shows(&app, "正在提交…"));

    // The server refuses the meter number: its words go under that field,
    // and the form (with its key, for the resend) stays.
    feed(
        &mut app,
        [archive(customers::Message::AccountOpened(Err(
            ApiError::InvalidField {
                field: "meter.meter_no".into(),
                message: "JK2026000815 is installed on account 3101000377".into(),
            },
        )))],
    );
    assert!(!customers_of(&app).open_form().unwrap().submitting);
    assert_under(
        &app,
        "JK2026000815 is installed on account 3101000377",
        &field("meter.meter_no"),
    );
    assert_eq!(open_form(&app).idempotency_key, key);

    // Editing the field clears the server's complaint.
    type_into(&mut app, &field("meter.meter_no"), "1");
    assert!(!shows(
        &app,
        "JK2026000815 is installed on account 3101000377"
    ));

    // Success shows the new account.
    let _ = click_text(&mut app, "提交开户");
    let mut opened = li_jianguo();
    if let Some(account) = &mut opened.account {
        account.id = 120;
        account.account_no = "3101000999".into();
    }
    feed(
        &mut app,
        [archive(customers::Message::AccountOpened(Ok(opened)))],
    );
    assert_eq!(customers_of(&app).page(), Page::Detail);
    assert!(shows(&app, "开户成功"));
    assert!(shows(&app, "3101000999"));
}

fn open_holder(message: picker::Message) -> Message {
    archive(customers::Message::OpenForm(open_account::Message::Holder(
        message,
    )))
}

fn dialog_holder(message: picker::Message) -> Message {
    archive(customers::Message::Dialog(dialog::Message::Holder(message)))
}

fn on_screen(app: &App, id: &str) -> bool {
    simulate(app).find(selector::id(id.to_owned())).is_ok()
}

#[test]
fn the_open_account_form_takes_an_existing_customer() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    let _ = click_text(&mut app, "开户");
    assert!(on_screen(&app, &field("new_customer.name")));

    // 已有客户 puts a lookup where the new-customer fields were.
    let messages = click_text(&mut app, "已有客户");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenForm(open_account::Message::Holder(
                picker::Message::Kind(picker::HolderKind::Existing)
            ))]
        ),
        "{messages:?}"
    );
    assert!(!on_screen(&app, &field("new_customer.name")));
    let lookup = field(picker::FIELD);
    type_into(&mut app, &lookup, "阳光花园");

    // Enter looks the customer up.
    let messages = press_in(&app, &lookup, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenForm(open_account::Message::Holder(
                picker::Message::Search
            ))]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert_eq!(open_form(&app).holder.status, picker::Status::Searching);
    feed(
        &mut app,
        [open_holder(picker::Message::Searched {
            query: "阳光花园".into(),
            result: Ok(sunshine_garden()),
        })],
    );
    for shown in [
        "李建国",
        "3101000124",
        "浦东新区阳光花园12栋2单元302室",
        "139****2231",
    ] {
        assert!(shows(&app, shown), "{shown} should be among the hits");
    }

    // ↓ then Enter chooses the second hit's holder.
    let messages = press_in(&app, &lookup, key::Named::ArrowDown);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenForm(open_account::Message::Holder(
                picker::Message::Move(1)
            ))]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    let messages = press_in(&app, &lookup, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenForm(open_account::Message::Holder(
                picker::Message::Choose(1)
            ))]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(shows(&app, "已选择：李建国（户号 3101000124）"));
    assert!(!shows(&app, "浦东新区阳光花园12栋2单元302室"), "hits gone");

    // 更换 brings the hits back; a click chooses too.
    let _ = click_text(&mut app, "更换");
    let messages = click_text(&mut app, "张秀英");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::OpenForm(open_account::Message::Holder(
                picker::Message::Choose(2)
            ))]
        ),
        "{messages:?}"
    );
    assert!(shows(&app, "已选择：张秀英（户号 3101000187）"));

    // The rest of the form; the customer's fields are not asked for.
    let form = |message| archive(customers::Message::OpenForm(message));
    use customers::form::{MeterMessage as M, PremiseMessage as P};
    feed(
        &mut app,
        [
            form(open_account::Message::Premise(P::District(
                "浦东新区".into(),
            ))),
            form(open_account::Message::Premise(P::Community(
                "阳光花园".into(),
            ))),
            form(open_account::Message::Premise(P::Building("14".into()))),
            form(open_account::Message::Premise(P::Unit("1".into()))),
            form(open_account::Message::Premise(P::Room("602".into()))),
            form(open_account::Message::Meter(M::MeterNo(
                "JK2026000902".into(),
            ))),
            form(open_account::Message::Meter(M::MeterType(
                pb::MeterType::Mechanical,
            ))),
            form(open_account::Message::Meter(M::Size("G2.5"))),
            form(open_account::Message::Meter(M::InitialReading("0".into()))),
            form(open_account::Message::HouseholdSize("2".into())),
        ],
    );
    let _ = click_text(&mut app, "提交开户");
    assert!(
        customers_of(&app).open_form().unwrap().submitting,
        "sent without the new-customer fields"
    );
    let request = open_form(&app).to_request().unwrap();
    assert_eq!(request.existing_customer_id, 1057, "张秀英's customer id");
    assert_eq!(request.new_customer, None);
    assert_eq!(
        request
            .premise
            .and_then(|premise| premise.address)
            .as_deref(),
        Some("浦东新区阳光花园14栋1单元602室")
    );

    // The server's word about the choice is shown at the choice.
    feed(
        &mut app,
        [archive(customers::Message::AccountOpened(Err(
            ApiError::InvalidField {
                field: picker::FIELD.into(),
                message: "no customer with id 1057".into(),
            },
        )))],
    );
    assert!(shows(&app, "no customer with id 1057"));
    let _ = click_text(&mut app, "更换");
    assert!(
        !shows(&app, "no customer with id 1057"),
        "another choice clears it"
    );
}

#[test]
fn a_transfer_cannot_go_to_the_current_holder() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    feed(
        &mut app,
        [
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
        ],
    );
    let _ = click_text(&mut app, "过户");
    type_into(&mut app, "dialog.final_reading", "4521.3");
    type_into(&mut app, "dialog.reason", "家庭内部过户");
    let _ = click_text(&mut app, "已有客户");
    assert!(!on_screen(&app, "dialog.new_customer.name"));

    let lookup = format!("{}.{}", dialog::ID_PREFIX, picker::FIELD);
    type_into(&mut app, &lookup, "李");
    let messages = press_in(&app, &lookup, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::Dialog(dialog::Message::Holder(
                picker::Message::Search
            ))]
        ),
        "Enter in the lookup searches, not submits: {messages:?}"
    );
    feed(&mut app, messages);
    // 李建国 holds account 42 as customer 9; 李娜 is another customer.
    let mut holder = hit(
        42,
        "3101000124",
        "李建国",
        "浦东新区阳光花园12栋2单元302室",
        "GS2020118876",
        pb::MeterType::IcCard,
        pb::AccountStatus::Active,
        "139****2231",
    );
    holder.customer_id = 9;
    let other = hit(
        130,
        "3101000455",
        "李娜",
        "浦东新区阳光花园20栋1单元101室",
        "JK2024000130",
        pb::MeterType::Mechanical,
        pb::AccountStatus::Active,
        "136****1234",
    );
    feed(
        &mut app,
        [dialog_holder(picker::Message::Searched {
            query: "李".into(),
            result: Ok(pb::SearchAccountsResponse {
                results: vec![holder, other],
                next_page_token: String::new(),
                searched_as: pb::SearchKind::Name as i32,
            }),
        })],
    );
    assert!(shows(&app, "现户主"), "the holder is marked among the hits");

    // Enter takes the first hit, the holder himself: refused at once.
    let messages = press_in(&app, &lookup, key::Named::Enter);
    feed(&mut app, messages);
    assert!(shows(&app, "已选择：李建国（户号 3101000124）"));
    let refusal = "所选客户就是本账户的现户主，不能过户给本人；请选择其他客户";
    assert!(shows(&app, refusal));
    let _ = click_text(&mut app, "确认过户");
    assert!(!customers_of(&app).dialog().unwrap().submitting, "not sent");
    let detail = li_jianguo();
    let errors = customers_of(&app)
        .dialog()
        .unwrap()
        .to_request(&detail)
        .unwrap_err();
    assert_eq!(
        errors.paths().collect::<Vec<_>>(),
        [picker::FIELD],
        "{errors:?}"
    );

    // 更换, ↓, Enter: 李娜 is the new holder.
    let _ = click_text(&mut app, "更换");
    assert!(!shows(&app, refusal));
    for key in [key::Named::ArrowDown, key::Named::Enter] {
        let messages = press_in(&app, &lookup, key);
        feed(&mut app, messages);
    }
    assert!(shows(&app, "已选择：李娜（户号 3101000455）"));
    let _ = click_text(&mut app, "确认过户");
    let dialog = customers_of(&app).dialog().unwrap();
    assert!(dialog.submitting);
    let Ok(dialog::Request::Transfer(request)) = dialog.to_request(&detail) else {
        panic!("expected a transfer");
    };
    assert_eq!(request.existing_customer_id, 1130);
    assert_eq!(request.new_customer, None);

    // Should the server still refuse the choice, it says so at the picker.
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Err(
            ApiError::InvalidField {
                field: picker::FIELD.into(),
                message: "is already the holder of this account".into(),
            },
        )))],
    );
    assert!(shows(&app, "is already the holder of this account"));
}

#[test]
fn only_back_office_sees_the_archive_actions() {
    for (roles, can_edit) in [
        (vec![Role::Cashier], false),
        (vec![Role::Supervisor], false),
        (vec![Role::Field], false),
        (vec![Role::BackOffice], true),
        (vec![Role::Cashier, Role::BackOffice], true),
    ] {
        let (_runtime, mut app) = archive_app(roles.clone());
        assert_eq!(shows(&app, "开户"), can_edit, "开户 for {roles:?}");

        feed(
            &mut app,
            [
                archive(customers::Message::OpenAccount(42)),
                archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
            ],
        );
        for action in ["过户", "销户", "报停", "修改客户信息", "显示完整"] {
            assert_eq!(shows(&app, action), can_edit, "{action} for {roles:?}");
        }

        // A stale or forged message cannot open a dialog either.
        feed(
            &mut app,
            [archive(customers::Message::ShowDialog(
                dialog::Kind::Transfer,
            ))],
        );
        assert_eq!(customers_of(&app).dialog().is_some(), can_edit, "{roles:?}");
    }
}

/// What gascis-server says when the customer changed under the dialog.
const CONFLICT: &str = "customer 李建国 was changed by wangmin at 2026-11-25 01:01:02 UTC since you opened it; reload it and make your change again";

/// The conflict note's headline for [`CONFLICT`], its time in the local zone.
fn conflict_headline() -> String {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T01:01:02Z").unwrap();
    format!(
        "该记录已被 wangmin 于 {} 修改",
        gascis::i18n::local_date_time(at.with_timezone(&chrono::Utc))
    )
}

#[test]
fn a_conflict_keeps_what_was_typed_and_says_why() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    feed(
        &mut app,
        [
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
        ],
    );
    let _ = click_text(&mut app, "修改客户信息");
    assert!(shows(&app, "保存修改"));

    type_into(&mut app, "dialog.changes.name", "华");
    type_into(&mut app, "dialog.reason", "户名更正");
    assert!(shows(&app, "李建国华"));

    let messages = click_text(&mut app, "保存修改");
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::SubmitDialog]
        ),
        "{messages:?}"
    );
    let dialog = customers_of(&app).dialog().unwrap();
    assert!(dialog.submitting);

    // Someone else changed the customer meanwhile: the note says who and
    // when, in the frame of the user's language and their time zone.
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Err(
            ApiError::StaleVersion(CONFLICT.into()),
        )))],
    );
    let changed = conflict_headline();
    assert!(shows(&app, &changed), "{changed}");
    assert!(shows(
        &app,
        "已重新加载最新数据，您填写的内容已保留，请核对后再次提交"
    ));
    assert!(
        customers_of(&app).detail().unwrap().loading,
        "the account is being reloaded"
    );
    assert!(shows(&app, "李建国华"), "typed name kept");
    assert!(shows(&app, "户名更正"), "typed reason kept");

    // The reload brings the other user's change and a new version.
    let mut newer = li_jianguo();
    if let Some(customer) = &mut newer.customer {
        customer.phone_masked = "135****0001".into();
        customer.version = 5;
    }
    feed(
        &mut app,
        [archive(customers::Message::AccountLoaded(
            Ok(newer.clone()),
        ))],
    );
    assert!(
        shows(&app, "李建国华"),
        "typed name still kept after the reload"
    );
    assert!(shows(&app, &changed));

    let request = customers_of(&app)
        .dialog()
        .unwrap()
        .to_request(&newer)
        .unwrap();
    let dialog::Request::UpdateCustomer(request) = request else {
        panic!("expected a customer update, got {request:?}");
    };
    assert_eq!(request.expected_version, 5);
    assert_eq!(request.reason, "户名更正");
    assert_eq!(
        request.changes,
        Some(pb::CustomerInput {
            name: Some("李建国华".into()),
            ..pb::CustomerInput::default()
        })
    );

    // Submitting again succeeds.
    let _ = click_text(&mut app, "保存修改");
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Ok(newer)))],
    );
    assert!(customers_of(&app).dialog().is_none());
    assert!(shows(&app, "修改已保存"));
}

#[test]
fn a_transfer_with_arrears_asks_for_a_supervisor() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    feed(
        &mut app,
        [
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
        ],
    );
    let _ = click_text(&mut app, "过户");
    type_into(&mut app, "dialog.final_reading", "4521.3");
    type_into(&mut app, "dialog.new_customer.name", "李娜");
    type_into(
        &mut app,
        "dialog.new_customer.id_number",
        "11010519491231002X",
    );
    type_into(&mut app, "dialog.new_customer.phone", "13600001234");
    type_into(&mut app, "dialog.reason", "房屋买卖");
    let _ = click_text(&mut app, "确认过户");
    assert!(customers_of(&app).dialog().unwrap().submitting);

    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Err(
            ApiError::ApprovalRequired("the account has arrears of 128.60".into()),
        )))],
    );
    assert!(shows(&app, "值班主管审批"));
    type_into(&mut app, dialog::APPROVAL_USERNAME_INPUT, "chenjing");
    type_into(&mut app, dialog::APPROVAL_PASSWORD_INPUT, "pw");
    let messages = press_in(&app, dialog::APPROVAL_PASSWORD_INPUT, key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::SubmitDialog]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(customers_of(&app).dialog().unwrap().submitting);

    // A wrong supervisor password is said in the approval dialog, which
    // empties the password for the next try.
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Err(
            ApiError::InvalidField {
                field: "approval.password".into(),
                message: "wrong user name or password".into(),
            },
        )))],
    );
    assert!(shows(&app, "主管用户名或密码不正确"));
    assert!(shows(&app, "值班主管审批"));
    let approval = customers_of(&app)
        .dialog()
        .unwrap()
        .approval
        .clone()
        .unwrap();
    assert_eq!(approval.username, "chenjing");
    assert!(approval.password.is_empty());
    assert!(
        matches!(app.screen(), Screen::Home(_)),
        "the clerk stays logged in"
    );

    // The right password goes out with the same transfer, now approved.
    type_into(&mut app, dialog::APPROVAL_PASSWORD_INPUT, "supervisor-1");
    let _ = click_text(&mut app, "审批并提交");
    assert!(customers_of(&app).dialog().unwrap().submitting);
    let mut transferred = li_jianguo();
    if let Some(customer) = &mut transferred.customer {
        customer.name = "李娜".into();
    }
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Ok(transferred)))],
    );
    assert!(customers_of(&app).dialog().is_none());
    assert!(shows(&app, "过户成功"));
}

#[test]
fn refusals_and_reveals() {
    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    feed(
        &mut app,
        [
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
        ],
    );

    // 显示完整 asks why, then shows the numbers in clear.
    let _ = click_text(&mut app, "显示完整");
    assert!(shows(&app, "显示完整个人信息"));
    let _ = click_text(&mut app, "显示");
    assert!(
        customers_of(&app)
            .dialog()
            .is_some_and(|dialog| !dialog.submitting),
        "a reason is required"
    );
    type_into(&mut app, "dialog.reason", "客户来电核实身份");
    // Enter in the dialog submits it.
    let messages = press_in(&app, "dialog.reason", key::Named::Enter);
    assert!(
        matches!(
            archive_messages(&messages).as_slice(),
            [customers::Message::SubmitDialog]
        ),
        "{messages:?}"
    );
    feed(&mut app, messages);
    assert!(customers_of(&app).dialog().unwrap().submitting);
    feed(
        &mut app,
        [archive(customers::Message::PiiRevealed(Ok(RevealedPii {
            customer_id: 9,
            id_number: Secret::from("310115198203142417"),
            phone: Secret::from("13912342231"),
            phone2: Secret::from("021-58304520"),
        })))],
    );
    assert!(shows(&app, "310115198203142417"));
    assert!(shows(&app, "隐藏完整信息"));

    // 销户 refused by the server: its reason is shown, translated.
    let _ = click_text(&mut app, "销户");
    type_into(&mut app, "dialog.final_reading", "4521.3");
    type_into(&mut app, "dialog.reason", "用户搬离");
    feed(
        &mut app,
        [archive(customers::Message::Dialog(
            dialog::Message::Confirmed(true),
        ))],
    );
    let _ = click_text(&mut app, "确认销户");
    feed(
        &mut app,
        [archive(customers::Message::AccountChanged(Err(
            ApiError::Refused(
                "account 3101000124 has arrears of 128.60 CNY; settle them before closing".into(),
            ),
        )))],
    );
    assert!(shows(&app, "该账户欠费 128.60 元，请先结清再销户"));
    assert!(shows(
        &app,
        "account 3101000124 has arrears of 128.60 CNY; settle them before closing"
    ));
    assert!(
        customers_of(&app).dialog().is_some(),
        "the dialog stays for another try"
    );
}

#[test]
fn a_session_ended_during_a_search_returns_to_login() {
    let (_runtime, mut app) = archive_app(vec![Role::Cashier]);
    feed(
        &mut app,
        [archive(customers::Message::Searched(Err(
            ApiError::SessionExpired,
        )))],
    );
    assert!(matches!(app.screen(), Screen::Login(_)));
}

/// The export messages among `messages`.
fn export_clicks(messages: &[Message]) -> Vec<customers::export::Scope> {
    archive_messages(messages)
        .into_iter()
        .filter_map(|message| match message {
            customers::Message::Export { scope, .. } => Some(*scope),
            _ => None,
        })
        .collect()
}

fn export_status(app: &App) -> &customers::export::Status {
    &customers_of(app).export().status
}

/// The id of the export in flight.
fn running_export(app: &App) -> u64 {
    customers_of(app)
        .export()
        .running()
        .expect("an export runs")
        .id
}

/// Searches 阳光花园 by address with closed accounts, and feeds the hits.
fn search_sunshine_garden(app: &mut App) {
    feed(
        app,
        [
            archive(customers::Message::QueryChanged("阳光花园".into())),
            archive(customers::Message::KindSelected(pb::SearchKind::Address)),
            archive(customers::Message::IncludeClosedToggled(true)),
            archive(customers::Message::Search),
            archive(customers::Message::Searched(Ok(sunshine_garden()))),
        ],
    );
}

#[test]
fn export_buttons_follow_the_search_and_the_export_in_flight() {
    use customers::export::{Scope, Status};

    let (_runtime, mut app) = archive_app(vec![Role::Cashier]);

    // Before a search only every account can be exported.
    assert!(shows(&app, "导出查询结果") && shows(&app, "导出全部用户"));
    assert!(export_clicks(&click_text(&mut app, "导出查询结果")).is_empty());
    assert!(matches!(export_status(&app), Status::Idle));

    // No hits: still nothing to export.
    feed(
        &mut app,
        [
            archive(customers::Message::QueryChanged("无此人".into())),
            archive(customers::Message::Search),
            archive(customers::Message::Searched(Ok(
                pb::SearchAccountsResponse::default(),
            ))),
        ],
    );
    assert!(shows(&app, "未找到匹配的账户"));
    assert!(export_clicks(&click_text(&mut app, "导出查询结果")).is_empty());

    // A search with hits: the export is of that search, even after the
    // field changed.
    search_sunshine_garden(&mut app);
    feed(
        &mut app,
        [archive(customers::Message::QueryChanged("春申".into()))],
    );
    let clicked = click_text(&mut app, "导出查询结果");
    assert_eq!(export_clicks(&clicked), [Scope::Search], "{clicked:?}");
    let Status::Choosing { scope, request } = export_status(&app) else {
        panic!("the save dialog is asked for: {:?}", export_status(&app));
    };
    assert_eq!(*scope, Scope::Search);
    assert_eq!(
        *request,
        pb::ExportAccountsRequest {
            query: "阳光花园".into(),
            kind: pb::SearchKind::Address as i32,
            include_closed: true,
        }
    );
    assert!(shows(&app, "请在弹出的对话框中选择保存位置"));
    assert!(
        export_clicks(&click_text(&mut app, "导出全部用户")).is_empty(),
        "one export at a time"
    );

    // The dialog closed without a choice.
    feed(
        &mut app,
        [archive(customers::Message::ExportPathPicked(None))],
    );
    assert!(matches!(export_status(&app), Status::Idle));

    // Chosen: the export runs, the buttons wait.
    let folder = std::env::temp_dir().join("gascis-export-ui");
    let _ = click_text(&mut app, "导出查询结果");
    feed(
        &mut app,
        [archive(customers::Message::ExportPathPicked(Some(
            folder.join("阳光花园"),
        )))],
    );
    let running = customers_of(&app).export().running().expect("it runs");
    assert_eq!(running.scope, Scope::Search);
    assert_eq!(
        running.path,
        folder.join("阳光花园.xlsx"),
        "a name without extension gets .xlsx"
    );
    assert_eq!(running.request.query, "阳光花园");
    assert!(shows(&app, "正在导出…"));
    assert!(!shows(&app, "导出查询结果"), "its button says 正在导出…");
    assert!(shows(&app, "取消导出"));
    assert!(export_clicks(&click_text(&mut app, "导出全部用户")).is_empty());

    // Done: rows and where.
    let id = running_export(&app);
    let written = folder.join("阳光花园.xlsx");
    feed(
        &mut app,
        [archive(customers::Message::Exported {
            id,
            result: Ok(Exported {
                rows: 1234,
                path: written.clone(),
            }),
        })],
    );
    assert!(matches!(export_status(&app), Status::Done(_)));
    let done = format!("已导出 1,234 行 → {}", written.display());
    assert!(shows(&app, &done), "{done}");
    assert!(!shows(&app, "正在导出…"));

    // Every account; the server refuses.
    let clicked = click_text(&mut app, "导出全部用户");
    assert_eq!(export_clicks(&clicked), [Scope::All]);
    let Status::Choosing { request, .. } = export_status(&app) else {
        panic!("the save dialog is asked for");
    };
    assert!(request.query.is_empty(), "an empty query is every account");
    feed(
        &mut app,
        [archive(customers::Message::ExportPathPicked(Some(
            folder.join("用户档案-20260115.xlsx"),
        )))],
    );
    let id = running_export(&app);
    feed(
        &mut app,
        [archive(customers::Message::Exported {
            id,
            result: Err(ApiError::InvalidField {
                field: "query".into(),
                message:
                    "finds more than 200000 accounts; narrow the search or export all accounts"
                        .into(),
            }),
        })],
    );
    assert!(shows(&app, "导出失败，未保存任何文件"));
    assert!(shows(
        &app,
        "query: finds more than 200000 accounts; narrow the search or export all accounts"
    ));
    assert_eq!(
        export_clicks(&click_text(&mut app, "导出查询结果")),
        [Scope::Search],
        "after a failure the buttons work again"
    );

    // Cancelled: a late answer of that export changes nothing.
    feed(
        &mut app,
        [archive(customers::Message::ExportPathPicked(Some(
            folder.join("查询结果.xlsx"),
        )))],
    );
    let id = running_export(&app);
    let clicked = click_text(&mut app, "取消导出");
    assert!(matches!(
        archive_messages(&clicked).as_slice(),
        [customers::Message::CancelExport]
    ));
    assert!(matches!(export_status(&app), Status::Cancelled));
    assert!(shows(&app, "已取消导出，未保存任何文件"));
    feed(
        &mut app,
        [archive(customers::Message::Exported {
            id,
            result: Ok(Exported {
                rows: 8,
                path: folder.join("查询结果.xlsx"),
            }),
        })],
    );
    assert!(matches!(export_status(&app), Status::Cancelled));

    // In English.
    feed(
        &mut app,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    assert!(shows(&app, "Export results") && shows(&app, "Export all accounts"));
    assert!(shows(&app, "Export cancelled; no file was saved"));
}

#[test]
fn a_session_ended_during_an_export_returns_to_login() {
    let (_runtime, mut app) = archive_app(vec![Role::Finance]);
    feed(
        &mut app,
        [
            archive(customers::Message::Export {
                scope: customers::export::Scope::All,
                language: gascis::i18n::Language::SimplifiedChinese,
            }),
            archive(customers::Message::ExportPathPicked(Some(
                std::env::temp_dir().join("用户档案.xlsx"),
            ))),
        ],
    );
    let id = running_export(&app);
    feed(
        &mut app,
        [archive(customers::Message::Exported {
            id,
            result: Err(ApiError::SessionExpired),
        })],
    );
    assert!(matches!(app.screen(), Screen::Login(_)));
}

/// Renders the archive screens to PNG files for people to look at (not a
/// check): `cargo test -p gascis --test archive_ui -- --ignored`, then see
/// the paths printed. With GASCIS_DOCS_SCREENSHOTS=<dir> the five
/// documentation screenshots are copied there too, at the simulator's 2×
/// scale; docs/screenshots holds them halved to the window's 1200×780
/// (`convert f.png -filter Lanczos -resize 50% f.png`), with
/// TZ=Asia/Shanghai for the times.
#[test]
#[ignore = "writes screenshots; run on demand"]
fn render_screenshots() {
    let directory = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let docs = std::env::var_os("GASCIS_DOCS_SCREENSHOTS").map(std::path::PathBuf::from);
    let theme = gascis::theme::app_theme();
    let save = |app: &App, name: &str, docs_name: Option<&str>| {
        // The size the client opens with.
        let view_size = Size::new(1200.0, 780.0);
        let mut ui = Simulator::with_size(gascis::theme::settings(), view_size, app.view());
        let snapshot = ui.snapshot(&theme).unwrap();
        let path = directory.join(format!("{name}.png"));
        // The simulator names the file after the renderer too.
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

    let (_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    save(&app, "archive-empty", None);

    feed(
        &mut app,
        [
            archive(customers::Message::QueryChanged("阳光花园".into())),
            archive(customers::Message::KindSelected(pb::SearchKind::Address)),
            archive(customers::Message::Search),
            archive(customers::Message::Searched(Ok(sunshine_garden()))),
            archive(customers::Message::MoveSelection(1)),
        ],
    );
    save(&app, "archive-search", Some("archive-search.png"));

    // 导出查询结果, saved where a counter PC keeps its downloads.
    let exported = std::path::PathBuf::from(r"C:\Users\zhangli\Downloads\查询结果-20260115.xlsx");
    feed(
        &mut app,
        [
            archive(customers::Message::Export {
                scope: customers::export::Scope::Search,
                language: gascis::i18n::Language::SimplifiedChinese,
            }),
            archive(customers::Message::ExportPathPicked(Some(exported.clone()))),
        ],
    );
    save(&app, "archive-export-running", None);
    let id = running_export(&app);
    feed(
        &mut app,
        [archive(customers::Message::Exported {
            id,
            result: Ok(Exported {
                rows: 26,
                path: exported,
            }),
        })],
    );
    save(&app, "archive-export", Some("archive-export.png"));
    let english = |language| Message::Home(home::Message::SelectLanguage(language));
    feed(&mut app, [english(gascis::i18n::Language::English)]);
    save(&app, "archive-export-english", None);
    feed(
        &mut app,
        [english(gascis::i18n::Language::SimplifiedChinese)],
    );

    feed(
        &mut app,
        [
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
        ],
    );
    save(&app, "archive-detail", None);

    for (tab, name, docs_name) in [
        (Tab::Premise, "archive-detail-premise", None),
        (Tab::Meters, "archive-detail-meters", None),
        (
            Tab::Account,
            "archive-detail-account",
            Some("archive-detail.png"),
        ),
        (Tab::Contracts, "archive-detail-contracts", None),
    ] {
        feed(&mut app, [archive(customers::Message::SelectTab(tab))]);
        save(&app, name, docs_name);
    }
    feed(
        &mut app,
        [
            archive(customers::Message::SelectTab(Tab::Changes)),
            archive(customers::Message::ChangesLoaded {
                account_id: 42,
                before_id: 0,
                result: Ok(change_records()),
            }),
        ],
    );
    save(&app, "archive-detail-changes", None);

    feed(
        &mut app,
        [archive(customers::Message::SelectTab(Tab::Customer))],
    );
    feed(
        &mut app,
        [archive(customers::Message::ShowDialog(
            dialog::Kind::Transfer,
        ))],
    );
    feed(
        &mut app,
        [
            archive(customers::Message::Dialog(dialog::Message::FinalReading(
                "4521.3".into(),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Customer(
                customers::form::CustomerMessage::Name("李娜".into()),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Customer(
                customers::form::CustomerMessage::IdNumber("110105194912310021".into()),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Reason(
                "房屋买卖".into(),
            ))),
            archive(customers::Message::SubmitDialog),
        ],
    );
    save(&app, "archive-transfer", None);
    feed(
        &mut app,
        [
            archive(customers::Message::Dialog(dialog::Message::Customer(
                customers::form::CustomerMessage::IdNumber("11010519491231002X".into()),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Customer(
                customers::form::CustomerMessage::Phone("13600001234".into()),
            ))),
            archive(customers::Message::SubmitDialog),
            archive(customers::Message::AccountChanged(Err(
                ApiError::ApprovalRequired("the account has arrears of 128.60".into()),
            ))),
        ],
    );
    save(&app, "archive-approval", None);
    feed(
        &mut app,
        [
            archive(customers::Message::CancelDialog),
            archive(customers::Message::CancelDialog),
            archive(customers::Message::ShowDialog(dialog::Kind::EditCustomer)),
            archive(customers::Message::Dialog(dialog::Message::Customer(
                customers::form::CustomerMessage::Name("李建国华".into()),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Reason(
                "户名更正".into(),
            ))),
            archive(customers::Message::SubmitDialog),
            archive(customers::Message::AccountChanged(Err(
                ApiError::StaleVersion(CONFLICT.into()),
            ))),
        ],
    );
    save(&app, "archive-conflict", None);
    feed(
        &mut app,
        [
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
            archive(customers::Message::CancelDialog),
        ],
    );
    for (kind, name) in [
        (dialog::Kind::ReplaceMeter, "archive-replace-meter"),
        (dialog::Kind::Close, "archive-close"),
        (dialog::Kind::Household, "archive-household"),
        (dialog::Kind::EditPremise, "archive-edit-premise"),
        (dialog::Kind::EditContract, "archive-edit-contract"),
    ] {
        feed(
            &mut app,
            [
                archive(customers::Message::ShowDialog(kind)),
                archive(customers::Message::SubmitDialog),
            ],
        );
        save(&app, name, None);
        feed(&mut app, [archive(customers::Message::CancelDialog)]);
    }

    // The open-account form, half filled, with a check-digit error, a server
    // complaint and the missing fields shown after a submit.
    feed(&mut app, [archive(customers::Message::BackToSearch)]);
    feed(&mut app, [archive(customers::Message::StartOpenAccount)]);
    let form = |message| archive(customers::Message::OpenForm(message));
    use customers::form::{CustomerMessage as C, MeterMessage as M, PremiseMessage as P};
    feed(
        &mut app,
        [
            form(open_account::Message::Customer(C::Name("赵明".into()))),
            form(open_account::Message::Customer(C::IdNumber(
                "310104198807152318".into(),
            ))),
            form(open_account::Message::Customer(C::Phone(
                "139 1234 5678".into(),
            ))),
            form(open_account::Message::Premise(P::District("闵行区".into()))),
            form(open_account::Message::Premise(P::Community(
                "春申景城".into(),
            ))),
            form(open_account::Message::Premise(P::Building("8".into()))),
            form(open_account::Message::Premise(P::Unit("1".into()))),
            form(open_account::Message::Premise(P::Room("502".into()))),
            form(open_account::Message::Premise(P::Latitude(
                "31.0812".into(),
            ))),
            form(open_account::Message::Premise(P::Longitude(
                "121.4178".into(),
            ))),
            form(open_account::Message::Meter(M::MeterNo(
                "GS2026000815".into(),
            ))),
            form(open_account::Message::Meter(M::MeterType(
                pb::MeterType::IcCard,
            ))),
            form(open_account::Message::Meter(M::Maker("金卡".into()))),
            form(open_account::Message::Meter(M::Model("JK-IC-G2.5".into()))),
            form(open_account::Message::Meter(M::Size("G2.5"))),
            form(open_account::Message::Meter(M::InitialReading("0".into()))),
            form(open_account::Message::HouseholdSize("3".into())),
        ],
    );
    save(&app, "archive-open", Some("archive-open.png"));
    feed(&mut app, [archive(customers::Message::SubmitOpenAccount)]);
    save(&app, "archive-open-errors", None);
    feed(
        &mut app,
        [archive(customers::Message::OpenForm(
            open_account::Message::Customer(C::IdNumber("11010519491231002X".into())),
        ))],
    );
    feed(
        &mut app,
        [archive(customers::Message::OpenForm(
            open_account::Message::Meter(M::CardNo("31000815".into())),
        ))],
    );
    feed(&mut app, [archive(customers::Message::SubmitOpenAccount)]);
    feed(
        &mut app,
        [archive(customers::Message::AccountOpened(Err(
            ApiError::InvalidField {
                field: "meter.meter_no".into(),
                message: "GS2026000815 is installed on account 3101000377".into(),
            },
        )))],
    );
    save(&app, "archive-open-server-error", None);

    // English.
    let mut english = app;
    feed(
        &mut english,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    save(&english, "archive-open-english", None);

    // Another account for a customer on record: the lookup's hits, then
    // the form with the choice made.
    let (_lookup_runtime, mut app) = archive_app(vec![Role::BackOffice]);
    let holder = |message| {
        archive(customers::Message::OpenForm(open_account::Message::Holder(
            message,
        )))
    };
    feed(
        &mut app,
        [
            archive(customers::Message::StartOpenAccount),
            holder(picker::Message::Kind(picker::HolderKind::Existing)),
            holder(picker::Message::Query("阳光花园".into())),
            holder(picker::Message::Search),
            holder(picker::Message::Searched {
                query: "阳光花园".into(),
                result: Ok(sunshine_garden()),
            }),
            holder(picker::Message::Move(1)),
        ],
    );
    save(&app, "archive-open-lookup", None);
    feed(
        &mut app,
        [
            holder(picker::Message::Choose(1)),
            form(open_account::Message::Premise(P::District(
                "浦东新区".into(),
            ))),
            form(open_account::Message::Premise(P::Community(
                "阳光花园".into(),
            ))),
            form(open_account::Message::Premise(P::Building("12".into()))),
            form(open_account::Message::Premise(P::Unit("2".into()))),
            form(open_account::Message::Premise(P::Room("402".into()))),
            form(open_account::Message::Meter(M::MeterNo(
                "JK2026000902".into(),
            ))),
            form(open_account::Message::Meter(M::MeterType(
                pb::MeterType::Mechanical,
            ))),
            form(open_account::Message::Meter(M::Size("G2.5"))),
            form(open_account::Message::Meter(M::InitialReading("0".into()))),
            form(open_account::Message::HouseholdSize("2".into())),
        ],
    );
    save(
        &app,
        "archive-open-existing",
        Some("archive-open-existing.png"),
    );

    // A transfer to the holder himself, refused before it is sent.
    let mut holder_hit = sunshine_garden().results.swap_remove(1);
    holder_hit.customer_id = 9;
    feed(
        &mut app,
        [
            archive(customers::Message::CancelOpenAccount),
            archive(customers::Message::OpenAccount(42)),
            archive(customers::Message::AccountLoaded(Ok(li_jianguo()))),
            archive(customers::Message::ShowDialog(dialog::Kind::Transfer)),
            archive(customers::Message::Dialog(dialog::Message::FinalReading(
                "4521.3".into(),
            ))),
            archive(customers::Message::Dialog(dialog::Message::Reason(
                "家庭内部过户".into(),
            ))),
            dialog_holder(picker::Message::Kind(picker::HolderKind::Existing)),
            dialog_holder(picker::Message::Query("李建国".into())),
            dialog_holder(picker::Message::Search),
            dialog_holder(picker::Message::Searched {
                query: "李建国".into(),
                result: Ok(pb::SearchAccountsResponse {
                    results: vec![holder_hit],
                    next_page_token: String::new(),
                    searched_as: pb::SearchKind::Name as i32,
                }),
            }),
        ],
    );
    save(&app, "archive-transfer-lookup", None);
    feed(&mut app, [dialog_holder(picker::Message::Choose(0))]);
    save(&app, "archive-transfer-current-holder", None);
}

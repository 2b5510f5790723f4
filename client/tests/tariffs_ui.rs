//! Headless UI tests of the tariffs area (气价方案) with iced_test's
//! simulator: clicks and keys go through the real widgets, their messages
//! through the real `update`, and the server's answers are fed back as the
//! messages the api tasks would produce. The documents are the presets of
//! gascis-common, written as TOML as the server sends them.
//!
//! CI pins the renderer with ICED_TEST_BACKEND=tiny-skia.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use gascis::api::ApiError;
use gascis::api::tariffs::Documents;
use gascis::app::{App, Message, Screen};
use gascis::screen::home;
use gascis::screen::tariffs::editor::{self, Field, FieldRef, TierList};
use gascis::screen::tariffs::{self, Notice, Tab, Tariffs, form, quote};
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use gascis_common::tariff::{Tariff, preset};
use iced::Size;
use iced::keyboard::{self, key};
use iced_test::{Simulator, selector};

/// Tall enough for a whole tariff with three tier tables.
const SCREEN: Size = Size::new(1280.0, 3200.0);

#[path = "support/sim.rs"]
mod sim;

use sim::feed;

const SIGNED_IN: sim::Person = sim::Person {
    id: 12,
    username: "zhoujing",
    display_name: "周静",
};

fn shows(app: &App, text: &str) -> bool {
    sim::shows(app, SCREEN, text)
}

fn click_text(app: &mut App, label: &str) -> Vec<Message> {
    sim::click_text(app, SCREEN, label)
}

/// Types `text` at the end of the input `id`, one key at a time (a click
/// on a long value would put the cursor in its middle).
fn type_into(app: &mut App, id: &str, text: &str) {
    for character in text.chars() {
        let messages: Vec<Message> = {
            let mut ui = sim::simulate(app, SCREEN);
            let _ = ui
                .click(selector::id(id.to_owned()))
                .unwrap_or_else(|error| panic!("input {id} should be on screen: {error:?}"));
            let _ = ui.tap_key(keyboard::Key::Named(key::Named::End));
            let _ = ui.typewrite(&character.to_string());
            ui.into_messages().collect()
        };
        assert!(
            !messages.is_empty(),
            "typing {character:?} into {id} did nothing"
        );
        feed(app, messages);
    }
}

/// Clicks the input `id` and presses Backspace `times`, as someone
/// clearing what is there.
fn erase(app: &mut App, id: &str, times: usize) {
    for _ in 0..times {
        let messages: Vec<Message> = {
            let mut ui = sim::simulate(app, SCREEN);
            let _ = ui
                .click(selector::id(id.to_owned()))
                .unwrap_or_else(|error| panic!("input {id} should be on screen: {error:?}"));
            // A click lands mid-text: to the end first.
            let _ = ui.tap_key(keyboard::Key::Named(key::Named::End));
            let _ = ui.tap_key(keyboard::Key::Named(key::Named::Backspace));
            ui.into_messages().collect()
        };
        feed(app, messages);
    }
}

/// Replaces the text of the input `id` by typing.
fn retype(app: &mut App, id: &str, text: &str) {
    let length = input_text(app, id).chars().count();
    erase(app, id, length);
    type_into(app, id, text);
}

/// The text the user sees in a field of the editor.
fn input_text(app: &App, id: &str) -> String {
    let editor = tariffs_of(app).editor().expect("an editor");
    let versions = editor.tariff().versions.len();
    (0..versions)
        .flat_map(|version| editor.fields_of(version))
        .find(|field| field.input_id() == id)
        .map(|field| editor.text(field))
        .or_else(|| {
            (id == form::NEW_VERSION_DATE_INPUT).then(|| editor.new_version_date().to_owned())
        })
        .unwrap_or_default()
}

fn to_tariffs(message: tariffs::Message) -> Message {
    Message::Home(home::Message::tariffs(message))
}

fn tariffs_of(app: &App) -> &Tariffs {
    match app.screen() {
        Screen::Home(home) => home
            .tariffs()
            .expect("the tariffs area is open to this user"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

/// The tariff messages among `messages`.
fn tariff_messages(messages: &[Message]) -> Vec<&tariffs::Message> {
    messages
        .iter()
        .filter_map(|message| match message {
            Message::Home(home::Message::Tariffs(message)) => Some(message.as_ref()),
            _ => None,
        })
        .collect()
}

const CODES: [&str; 4] = [
    "beijing-2019",
    "chongqing-2021",
    "shanghai-2014",
    "shenzhen-2021",
];

fn summary(code: &str) -> pb::TariffSummary {
    let tariff = preset(code).unwrap();
    pb::TariffSummary {
        code: code.into(),
        name: tariff.name.clone(),
        is_default: code == "shanghai-2014",
        revision_id: 1 + CODES.iter().position(|known| *known == code).unwrap() as i64,
        published_by: "system".into(),
        published_at: Some(prost_types::Timestamp {
            seconds: 1_767_225_600,
            nanos: 0,
        }),
        has_draft: false,
        version_dates: tariff
            .versions
            .iter()
            .map(|v| v.effective_from.to_string())
            .collect(),
        notes: tariff.notes.clone(),
    }
}

fn document(tariff: &Tariff, revision_id: i64, draft: bool) -> pb::TariffDocument {
    pb::TariffDocument {
        code: tariff.code.clone(),
        toml: tariff.to_toml().unwrap(),
        revision_id,
        draft,
    }
}

/// An app signed in with `roles` on the tariffs area, the list read.
fn tariffs_app(roles: Vec<Role>) -> (tokio::runtime::Runtime, App) {
    let (runtime, mut app) = sim::signed_in(&SIGNED_IN, roles, home::Area::Tariffs);
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Listed(Ok(CODES
            .iter()
            .map(|code| summary(code))
            .collect())))],
    );
    (runtime, app)
}

/// Opens the preset `code` as published (and `draft` as its draft).
fn open(app: &mut App, code: &str, draft: Option<&Tariff>) {
    let published = preset(code).unwrap();
    feed(
        app,
        [
            to_tariffs(tariffs::Message::Open(code.into())),
            to_tariffs(tariffs::Message::Opened(Ok(Documents {
                code: code.into(),
                published: Some(document(&published, 3, false)),
                draft: draft.map(|draft| document(draft, 0, true)),
            }))),
        ],
    );
}

fn price_field(version: usize, table: usize, index: usize) -> FieldRef {
    FieldRef::new(
        version,
        Field::TierPrice {
            table,
            list: TierList::Own,
            index,
        },
    )
}

#[test]
fn the_list_shows_every_tariff_with_its_notes_and_sets_the_default() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    assert!(shows(&app, "气价方案"));
    for code in CODES {
        assert!(shows(&app, code), "{code}");
    }
    assert!(shows(&app, "默认"), "Shanghai is the default");
    // What a preset's source lacked is on the list, not hidden.
    let chongqing = preset("chongqing-2021").unwrap();
    assert!(shows(&app, &chongqing.notes[0]));
    assert!(shows(&app, "2019-01-01"));

    let clicked = click_text(&mut app, "设为默认");
    assert!(
        tariff_messages(&clicked)
            .iter()
            .any(|m| matches!(m, tariffs::Message::SetDefault(code) if code == "beijing-2019")),
        "{clicked:?}"
    );
    assert!(shows(&app, "正在设置…"));
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::DefaultSet(Ok(
            "beijing-2019".into()
        )))],
    );
    let name = preset("beijing-2019").unwrap().name;
    assert!(shows(&app, &format!("已将“{name}”设为默认气价方案")));
    let list = tariffs_of(&app).list();
    assert!(
        list.iter()
            .find(|s| s.code == "beijing-2019")
            .unwrap()
            .is_default
    );
    assert!(
        !list
            .iter()
            .find(|s| s.code == "shanghai-2014")
            .unwrap()
            .is_default
    );
}

#[test]
fn a_preset_reads_as_tables() {
    let (_runtime, mut app) = tariffs_app(vec![Role::Cashier]);
    assert!(
        !shows(&app, "设为默认"),
        "only back office sets the default"
    );
    open(&mut app, "beijing-2019", None);
    // Cooking: 350 / 500 m³ at 2.61 / 2.83 / 4.23.
    for cell in ["0 – 350", "350 – 500", "500 以上", "2.61", "2.83", "4.23"] {
        assert!(shows(&app, cell), "{cell}");
    }
    // Heating and rural coal-to-gas have their own tables.
    assert!(shows(&app, "1500 – 2500"));
    assert!(shows(&app, "2500 – 3000"));
    assert!(shows(&app, "每年，1月起"));
    assert!(shows(&app, "9%"));
    assert!(shows(&app, "2019-01-01 起执行"));
    assert!(shows(&app, "现行"));
    assert!(shows(&app, "2.63"), "non-residential price");
    assert!(shows(&app, "已发布的修订 3（用于计费）"));
    // A cashier reads and quotes, but does not edit.
    assert!(!shows(&app, "编辑草稿"));
    assert!(!shows(&app, "高级"));
    assert!(shows(&app, "试算"));

    // English.
    feed(
        &mut app,
        [Message::Home(home::Message::SelectLanguage(
            gascis::i18n::Language::English,
        ))],
    );
    assert!(shows(&app, "above 500"));
    assert!(shows(&app, "Annual, from January"));
}

#[test]
fn seasonal_tiers_show_a_column_per_season() {
    let (_runtime, mut app) = tariffs_app(vec![Role::Finance]);
    open(&mut app, "shenzhen-2021", None);
    assert!(shows(&app, "夏季 周期用量（m³）"));
    assert!(shows(&app, "冬季 周期用量（m³）"));
    assert!(shows(&app, "0 – 30"));
    assert!(shows(&app, "40 – 45"));
    assert!(shows(&app, "每月"));
}

#[test]
fn an_invalid_price_is_shown_beside_its_field_and_blocks_saving() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    open(&mut app, "beijing-2019", None);
    click_text(&mut app, "编辑草稿");
    assert_eq!(tariffs_of(&app).open().unwrap().tab, Tab::Edit);
    let tier1 = price_field(0, 0, 0).input_id();
    assert!(shows(&app, "2.61"));

    // A letter typed after the price.
    type_into(&mut app, &tier1, "x");
    assert_eq!(input_text(&app, &tier1), "2.61x");
    assert!(shows(&app, "不是有效的数字"));
    assert!(shows(
        &app,
        "有 1 处输入无效，请按字段下方的提示修改后再保存"
    ));
    let editor = tariffs_of(&app).editor().unwrap();
    assert!(!editor.can_save());
    let clicked = click_text(&mut app, "保存草稿");
    assert!(
        tariff_messages(&clicked).is_empty(),
        "保存草稿 is disabled: {clicked:?}"
    );

    // Five places: too precise for a unit price.
    retype(&mut app, &tier1, "2.61234");
    assert!(shows(&app, "最多 4 位小数"));

    // Below tier 2's price: the tariff check names the field.
    retype(&mut app, &tier1, "2.90");
    assert!(shows(
        &app,
        "第2阶梯单价 2.83 低于第1阶梯的 2.90，阶梯单价不能下降"
    ));
    assert!(!tariffs_of(&app).editor().unwrap().can_save());

    // A valid price: saving is possible, and sends the document.
    retype(&mut app, &tier1, "2.70");
    let editor = tariffs_of(&app).editor().unwrap();
    assert!(editor.is_valid(), "{:?}", editor.validation());
    assert!(editor.can_save());
    assert!(shows(&app, "有未保存的修改"));
    let clicked = click_text(&mut app, "保存草稿");
    assert!(
        tariff_messages(&clicked)
            .iter()
            .any(|m| matches!(m, tariffs::Message::SaveDraft))
    );
    assert!(tariffs_of(&app).open().unwrap().saving);
    let sent = Tariff::from_toml(&tariffs_of(&app).editor().unwrap().toml().unwrap()).unwrap();
    assert_eq!(
        sent.versions[0].tier_tables[0].prices.as_ref().unwrap()[0].to_string(),
        "2.70"
    );

    // The server refuses a field: its words are shown with the place.
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::DraftSaved(Err(
            ApiError::InvalidField {
                field: "toml".into(),
                message: "versions[0] (2019-01-01).vat_rate: VAT rate 1 must be below 1".into(),
            },
        )))],
    );
    assert!(shows(&app, "服务器未保存草稿："));
    assert!(shows(
        &app,
        "2019-01-01 起执行的版本 · 增值税率：VAT rate 1 must be below 1"
    ));
    // Discarding goes back to the published prices.
    click_text(&mut app, "放弃修改");
    assert_eq!(input_text(&app, &tier1), "2.61");
    assert!(!tariffs_of(&app).editor().unwrap().is_changed());
}

#[test]
fn a_price_change_is_a_new_version_saved_and_published() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    open(&mut app, "beijing-2019", None);
    click_text(&mut app, "编辑草稿");

    // Beijing passes a change through as the same amount on every tier.
    retype(&mut app, form::NEW_VERSION_DATE_INPUT, "2040-01-01");
    type_into(&mut app, form::NEW_VERSION_DELTA_INPUT, "+0.30");
    click_text(&mut app, "新增版本");
    let editor = tariffs_of(&app).editor().unwrap();
    assert_eq!(editor.tariff().versions.len(), 2);
    assert_eq!(editor.version(), 1, "the new version is on show");
    assert_eq!(editor.text(price_field(1, 0, 0)), "2.91");
    assert_eq!(editor.text(price_field(1, 0, 2)), "4.53");
    assert!(shows(&app, "2040-01-01 起执行"));
    assert!(shows(&app, "未生效"));
    assert!(shows(&app, "删除此版本"));

    // The date must come after the latest version.
    retype(&mut app, form::NEW_VERSION_DATE_INPUT, "2039-12-31");
    click_text(&mut app, "新增版本");
    assert!(shows(&app, "新版本的生效日期必须晚于最新版本的 2040-01-01"));

    // The published version shown is in force and says so.
    click_text(&mut app, "2019-01-01 · 现行");
    assert!(shows(
        &app,
        "此版本已生效并用于计费，不能修改。如需调价，请新增一个生效日期更晚的版本。"
    ));

    click_text(&mut app, "保存草稿");
    let saved = tariffs_of(&app).editor().unwrap().tariff().clone();
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::DraftSaved(Ok(document(
            &saved, 0, true,
        ))))],
    );
    assert_eq!(tariffs_of(&app).notice(), Some(&Notice::DraftSaved));
    assert!(!tariffs_of(&app).editor().unwrap().is_changed());
    assert!(tariffs_of(&app).open().unwrap().can_publish());

    // 发布 asks for a note first.
    click_text(&mut app, "发布…");
    assert!(shows(&app, "发布气价方案"));
    assert!(shows(&app, "新增版本：2040-01-01"));
    let clicked = click_text(&mut app, "确认发布");
    assert!(!clicked.is_empty());
    assert!(shows(&app, "请填写发布说明"));
    type_into(&mut app, tariffs::PUBLISH_NOTE_INPUT, "2040年调价");
    click_text(&mut app, "确认发布");
    assert!(shows(&app, "正在发布…"));

    // The server refuses: a version in force was changed.
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Published(Err(
            ApiError::Refused(
                "the version in force from 2019-01-01 is already used for billing; add a new version with a later effective date instead of changing it".into(),
            ),
        )))],
    );
    assert!(shows(&app, "发布被拒绝："));
    assert!(shows(
        &app,
        "2019-01-01 起执行的版本已用于计费，不能修改。请撤销对该版本的修改，新增一个生效日期更晚的版本。"
    ));

    // Published.
    click_text(&mut app, "发布…");
    type_into(&mut app, tariffs::PUBLISH_NOTE_INPUT, "2040年调价");
    click_text(&mut app, "确认发布");
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Published(Ok(document(
            &saved, 9, false,
        ))))],
    );
    assert!(shows(&app, "已发布为修订 9，计费与试算即刻使用新修订。"));
    let open = tariffs_of(&app).open().unwrap();
    assert!(open.draft.is_none());
    assert_eq!(open.published.as_ref().unwrap().document.revision_id, 9);
    assert!(!open.can_publish());
}

#[test]
fn chongqing_gets_its_missing_tiers() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    open(&mut app, "chongqing-2021", None);
    click_text(&mut app, "编辑草稿");
    assert!(shows(&app, "旺季 · 单价（元/m³）"));
    for _ in 0..2 {
        click_text(&mut app, "增加一档");
        let boundary = {
            let editor = tariffs_of(&app).editor().unwrap();
            editor
                .fields_of(0)
                .into_iter()
                .filter(|field| matches!(field.field, Field::Boundary { .. }))
                .find(|field| editor.problem(*field).is_some())
                .expect("the new boundary waits for its value")
        };
        assert!(shows(&app, "必填"));
        let index = match boundary.field {
            Field::Boundary { index, .. } => index,
            _ => unreachable!(),
        };
        type_into(&mut app, &boundary.input_id(), ["300", "600"][index.min(1)]);
    }
    // The prices known from DOMAIN.md: peak 2.13 / 2.30 / 2.65.
    for (index, value) in [(1, "2.30"), (2, "2.65")] {
        let at = FieldRef::new(
            0,
            Field::TierPrice {
                table: 0,
                list: TierList::Season(0),
                index,
            },
        );
        retype(&mut app, &at.input_id(), value);
    }
    for (index, value) in [(1, "2.13"), (2, "2.48")] {
        let at = FieldRef::new(
            0,
            Field::TierPrice {
                table: 0,
                list: TierList::Season(1),
                index,
            },
        );
        retype(&mut app, &at.input_id(), value);
    }
    let editor = tariffs_of(&app).editor().unwrap();
    assert!(editor.can_save(), "{:?}", editor.validation());
    let table = &editor.tariff().versions[0].tier_tables[0];
    assert_eq!(
        table
            .boundaries_m3
            .as_ref()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["300.000", "600.000"]
    );
}

#[test]
fn the_advanced_tab_edits_the_toml() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    open(&mut app, "shanghai-2014", None);
    click_text(&mut app, "高级");
    assert_eq!(tariffs_of(&app).open().unwrap().tab, Tab::Advanced);
    let raw = tariffs_of(&app).editor().unwrap().raw().text();
    assert!(
        raw.contains("boundaries_m3 = [\"310.000\", \"520.000\"]"),
        "{raw}"
    );
    assert!(shows(&app, "高级：方案文档（TOML）"));
    // A float typed in the text is refused with the engine's reason.
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::Editor(editor::Message::RawEdited(
                iced::widget::text_editor::Action::SelectAll,
            ))),
            to_tariffs(tariffs::Message::Editor(editor::Message::RawEdited(
                iced::widget::text_editor::Action::Edit(iced::widget::text_editor::Edit::Paste(
                    std::sync::Arc::new(raw.replace("\"3.30\"", "3.30")),
                )),
            ))),
        ],
    );
    assert!(tariffs_of(&app).editor().unwrap().raw_problem().is_some());
    let clicked = click_text(&mut app, "保存草稿");
    assert!(tariff_messages(&clicked).is_empty());
}

#[test]
fn the_quote_panel_prices_a_consumption_and_compares_with_the_draft() {
    let (_runtime, mut app) = tariffs_app(vec![Role::Cashier]);
    let mut draft = preset("shanghai-2014").unwrap();
    let mut next = draft.versions[0].clone();
    next.effective_from = chrono::NaiveDate::from_ymd_opt(2040, 1, 1).unwrap();
    draft.versions.push(next);
    open(&mut app, "shanghai-2014", Some(&draft));
    click_text(&mut app, "试算");
    assert_eq!(tariffs_of(&app).open().unwrap().tab, Tab::Quote);

    // Without a volume nothing is sent.
    let clicked = click_text(&mut app, "计算");
    assert!(
        tariff_messages(&clicked)
            .iter()
            .any(|m| matches!(m, tariffs::Message::Quote(quote::Message::Run)))
    );
    assert!(shows(&app, "必填"));
    assert!(!tariffs_of(&app).quote_panel().unwrap().is_busy());

    type_into(&mut app, quote::Input::Volume.input_id(), "310");
    retype_quote(&mut app, quote::Input::From, "2024-03-01");
    type_into(&mut app, quote::Input::To.input_id(), "2024-03-31");
    click_text(&mut app, "计算");
    let panel = tariffs_of(&app).quote_panel().unwrap();
    let id = panel.pending().expect("a quote in flight");
    let request = panel.request("shanghai-2014");
    assert_eq!(request.volume, "310");
    assert_eq!(request.from, "2024-03-01");
    assert_eq!(request.to, "2024-03-31");
    assert_eq!(request.purpose, "cooking");
    assert!(!request.draft);
    assert!(shows(&app, "正在计算…"));

    let quote = |total: &str, price: &str, amount: &str| pb::TariffQuote {
        code: "shanghai-2014".into(),
        lines: vec![pb::BillLine {
            kind: "tier".into(),
            tier: 1,
            volume: "310.000".into(),
            unit_price: price.into(),
            amount: amount.into(),
            version_effective_from: "2014-09-01".into(),
            from: "2024-03-01".into(),
            to: "2024-03-31".into(),
            days: 31,
            ..pb::BillLine::default()
        }],
        total: total.into(),
        net: "853.21".into(),
        tax: "76.79".into(),
        vat_rate: "0.09".into(),
        notes: vec!["Cycle start month not in DOMAIN.md".into()],
    };
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Quoted {
            id,
            outcome: quote::Outcome::One {
                source: quote::Source::Published,
                result: Ok(quote("930.00", "3.00", "930.00")),
            },
        })],
    );
    assert!(shows(&app, "第1阶梯 310 m³ × 3.00 = 930.00"));
    assert!(shows(&app, "合计 930.00 元（含税）"));
    assert!(shows(
        &app,
        "其中不含税金额 853.21 元，增值税（9%）76.79 元"
    ));
    assert!(shows(&app, "Cycle start month not in DOMAIN.md"));

    // Side by side with the draft.
    click_text(&mut app, "对比已发布与草稿");
    click_text(&mut app, "计算");
    let id = tariffs_of(&app).quote_panel().unwrap().pending().unwrap();
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Quoted {
            id,
            outcome: quote::Outcome::Both {
                published: Ok(quote("930.00", "3.00", "930.00")),
                draft: Ok(quote("992.00", "3.20", "992.00")),
            },
        })],
    );
    assert!(shows(&app, "已发布方案"));
    assert!(shows(&app, "草稿方案"));
    assert!(shows(&app, "第1阶梯 310 m³ × 3.20 = 992.00"));
    assert!(shows(&app, "按草稿比已发布多 62.00 元"));
}

fn retype_quote(app: &mut App, input: quote::Input, text: &str) {
    let length = tariffs_of(app)
        .quote_panel()
        .unwrap()
        .input(input)
        .chars()
        .count();
    erase(app, input.input_id(), length);
    type_into(app, input.input_id(), text);
}

#[test]
fn a_session_ended_while_saving_returns_to_login() {
    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    open(&mut app, "shanghai-2014", None);
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::Editor(editor::Message::Edit(
                price_field(0, 0, 0),
                "3.10".into(),
            ))),
            to_tariffs(tariffs::Message::SaveDraft),
            to_tariffs(tariffs::Message::DraftSaved(Err(ApiError::SessionExpired))),
        ],
    );
    assert!(matches!(app.screen(), Screen::Login(_)));
}

/// Renders the tariff screens to PNG files for people to look at (not a
/// check): `cargo test -p gascis --test tariffs_ui -- --ignored`, then see
/// the paths printed. With GASCIS_DOCS_SCREENSHOTS=<dir> the view and the
/// edit page are copied there as tariff-view.png and tariff-edit.png, at
/// the simulator's 2× scale; docs/screenshots holds them halved to the
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

    let (_runtime, mut app) = tariffs_app(vec![Role::BackOffice]);
    save(&app, "tariff-list", None);
    open(&mut app, "beijing-2019", None);
    save(&app, "tariff-view", Some("tariff-view.png"));

    open(&mut app, "shanghai-2014", None);
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SelectTab(Tab::Edit)),
            to_tariffs(tariffs::Message::Editor(
                editor::Message::NewVersionDateChanged("2030-01-01".into()),
            )),
            to_tariffs(tariffs::Message::Editor(editor::Message::AddVersion)),
            to_tariffs(tariffs::Message::Editor(editor::Message::Edit(
                price_field(1, 0, 0),
                "3.2x".into(),
            ))),
        ],
    );
    save(&app, "tariff-edit", Some("tariff-edit.png"));
    let language = |language| Message::Home(home::Message::SelectLanguage(language));
    feed(&mut app, [language(gascis::i18n::Language::English)]);
    save(&app, "tariff-edit-english", None);
    feed(
        &mut app,
        [language(gascis::i18n::Language::SimplifiedChinese)],
    );
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::Editor(editor::Message::Edit(
                price_field(1, 0, 0),
                "3.20".into(),
            ))),
            to_tariffs(tariffs::Message::SelectTab(Tab::Advanced)),
        ],
    );
    save(&app, "tariff-advanced", None);
    let saved = tariffs_of(&app).editor().unwrap().tariff().clone();
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SaveDraft),
            to_tariffs(tariffs::Message::DraftSaved(Ok(document(&saved, 0, true)))),
            to_tariffs(tariffs::Message::AskPublish),
            to_tariffs(tariffs::Message::PublishNoteChanged("2030年调价".into())),
        ],
    );
    save(&app, "tariff-publish", None);
    feed(&mut app, [to_tariffs(tariffs::Message::CancelPublish)]);
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SelectTab(Tab::Quote)),
            to_tariffs(tariffs::Message::Quote(quote::Message::InputChanged(
                quote::Input::Volume,
                "600".into(),
            ))),
            to_tariffs(tariffs::Message::Quote(quote::Message::Run)),
        ],
    );
    let id = tariffs_of(&app).quote_panel().unwrap().pending().unwrap();
    let line = |tier: i32, volume: &str, price: &str, amount: &str| pb::BillLine {
        kind: "tier".into(),
        tier,
        volume: volume.into(),
        unit_price: price.into(),
        amount: amount.into(),
        ..pb::BillLine::default()
    };
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Quoted {
            id,
            outcome: quote::Outcome::One {
                source: quote::Source::Published,
                result: Ok(pb::TariffQuote {
                    code: "shanghai-2014".into(),
                    lines: vec![
                        line(1, "310.000", "3.00", "930.00"),
                        line(2, "210.000", "3.30", "693.00"),
                        line(3, "80.000", "4.20", "336.00"),
                    ],
                    total: "1959.00".into(),
                    net: "1797.25".into(),
                    tax: "161.75".into(),
                    vat_rate: "0.09".into(),
                    notes: preset("shanghai-2014").unwrap().notes,
                }),
            },
        })],
    );
    save(&app, "tariff-quote", None);
}

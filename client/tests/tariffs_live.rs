//! The tariffs area against a real gascis server (in-process, TLS, its own
//! throw-away PostgreSQL): the screen's messages drive it, the calls are the
//! real `api::tariffs` functions with what the screen would send, and their
//! outcomes are fed back to `update` as iced's runtime would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use gascis::api::{self, ApiError, Session, tariffs as tariffs_api};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::tariffs::editor::{self, Field, FieldRef, TierList};
use gascis::screen::tariffs::{self, Notice, Tab, Tariffs, quote};
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::tariff::Tariff;
use gascis_testkit::TestServer;
use iced_test::Simulator;

const CODE: &str = "shanghai-2014";

fn shows(app: &App, text: &str) -> bool {
    Simulator::with_size(gascis::theme::settings(), (1280.0, 3200.0), app.view())
        .find(text)
        .is_ok()
}

fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        let _task = app.update(message);
    }
}

fn to_tariffs(message: tariffs::Message) -> Message {
    Message::Home(home::Message::tariffs(message))
}

fn edit(message: editor::Message) -> Message {
    to_tariffs(tariffs::Message::Editor(message))
}

fn tariffs_of(app: &App) -> &Tariffs {
    match app.screen() {
        Screen::Home(home) => home.tariffs().expect("the tariffs area is open"),
        Screen::Login(_) => panic!("expected the home screen"),
    }
}

fn tier1(version: usize) -> FieldRef {
    FieldRef::new(
        version,
        Field::TierPrice {
            table: 0,
            list: TierList::Own,
            index: 0,
        },
    )
}

async fn sign_in(server: &TestServer, username: &str, password: &str) -> anyhow::Result<Session> {
    Ok(api::sign_in(
        server.endpoint(),
        PathBuf::from(&server.ca_path),
        username.to_owned(),
        Secret::from(password),
    )
    .await?)
}

/// Presses 保存草稿 and performs the save the screen asked for.
async fn save_draft(app: &mut App, session: &Session) {
    feed(app, [to_tariffs(tariffs::Message::SaveDraft)]);
    assert!(tariffs_of(app).open().unwrap().saving, "the save started");
    let toml = tariffs_of(app).editor().unwrap().toml().unwrap();
    let saved = tariffs_api::save_draft(session.clone(), toml).await;
    feed(app, [to_tariffs(tariffs::Message::DraftSaved(saved))]);
}

/// 发布… with `note`, performing the publication the screen asked for.
async fn publish(
    app: &mut App,
    session: &Session,
    note: &str,
) -> Result<gascis_common::proto::v1::TariffDocument, ApiError> {
    feed(
        app,
        [
            to_tariffs(tariffs::Message::AskPublish),
            to_tariffs(tariffs::Message::PublishNoteChanged(note.into())),
            to_tariffs(tariffs::Message::ConfirmPublish),
        ],
    );
    let dialog = tariffs_of(app).open().unwrap().publish.clone();
    assert!(dialog.as_ref().is_some_and(|d| d.busy), "{dialog:?}");
    let published = tariffs_api::publish(session.clone(), CODE.into(), note.into()).await;
    feed(
        app,
        [to_tariffs(tariffs::Message::Published(published.clone()))],
    );
    published
}

#[tokio::test(flavor = "multi_thread")]
async fn a_price_change_through_the_tariff_screen() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhoujing", "周静", "back-office-1", &[Role::BackOffice])
        .await?;
    let session = sign_in(&server, "zhoujing", "back-office-1").await?;

    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [
            Message::Login(login::Message::LoggedIn(Ok(session.clone()))),
            Message::Home(home::Message::Select(home::Area::Tariffs)),
        ],
    );
    let listed = tariffs_api::list_tariffs(session.clone()).await;
    feed(&mut app, [to_tariffs(tariffs::Message::Listed(listed))]);
    let before = tariffs_of(&app)
        .list()
        .iter()
        .find(|summary| summary.code == CODE)
        .cloned()
        .expect("the Shanghai preset is published at migration");
    assert!(before.revision_id > 0 && !before.has_draft);
    assert!(shows(&app, CODE));

    // Open it as the screen would.
    feed(&mut app, [to_tariffs(tariffs::Message::Open(CODE.into()))]);
    let opened = tariffs_api::open_tariff(session.clone(), CODE.into(), true, false).await;
    feed(&mut app, [to_tariffs(tariffs::Message::Opened(opened))]);
    assert!(shows(&app, "0 – 310"));
    assert!(shows(&app, "3.00"));

    // A version from 2030 with tier 1 at 3.20.
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SelectTab(Tab::Edit)),
            edit(editor::Message::NewVersionDateChanged("2030-01-01".into())),
            edit(editor::Message::AddVersion),
            edit(editor::Message::Edit(tier1(1), "3.20".into())),
        ],
    );
    let editor = tariffs_of(&app).editor().unwrap();
    assert_eq!(editor.tariff().versions.len(), 2);
    assert!(editor.can_save(), "{:?}", editor.validation());
    save_draft(&mut app, &session).await;
    assert_eq!(tariffs_of(&app).notice(), Some(&Notice::DraftSaved));
    let open = tariffs_of(&app).open().unwrap();
    assert!(open.draft.is_some() && open.can_publish());

    // 试算 with the draft: 100 m³ on 2030-02-01 at 3.20.
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SelectTab(Tab::Quote)),
            to_tariffs(tariffs::Message::Quote(quote::Message::InputChanged(
                quote::Input::Volume,
                "100".into(),
            ))),
            to_tariffs(tariffs::Message::Quote(quote::Message::InputChanged(
                quote::Input::From,
                "2030-02-01".into(),
            ))),
            to_tariffs(tariffs::Message::Quote(quote::Message::SourceSelected(
                quote::Source::Draft,
            ))),
            to_tariffs(tariffs::Message::Quote(quote::Message::Run)),
        ],
    );
    let panel = tariffs_of(&app).quote_panel().unwrap();
    let id = panel.pending().expect("the quote was asked for");
    let request = panel.request(CODE);
    assert!(request.draft);
    let result = tariffs_api::quote(session.clone(), request).await;
    assert_eq!(result.as_ref().unwrap().total, "320.00");
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Quoted {
            id,
            outcome: quote::Outcome::One {
                source: quote::Source::Draft,
                result,
            },
        })],
    );
    assert!(shows(&app, "第1阶梯 100 m³ × 3.20 = 320.00"));
    assert!(shows(&app, "合计 320.00 元（含税）"));

    // Side by side: the published revision still charges 3.00.
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::Quote(quote::Message::SourceSelected(
                quote::Source::Compare,
            ))),
            to_tariffs(tariffs::Message::Quote(quote::Message::Run)),
        ],
    );
    let panel = tariffs_of(&app).quote_panel().unwrap();
    let id = panel.pending().unwrap();
    let (published, draft) = tariffs_api::quote_both(session.clone(), panel.request(CODE)).await;
    assert_eq!(published.as_ref().unwrap().total, "300.00");
    feed(
        &mut app,
        [to_tariffs(tariffs::Message::Quoted {
            id,
            outcome: quote::Outcome::Both { published, draft },
        })],
    );
    assert!(shows(&app, "按草稿比已发布多 20.00 元"));

    // 发布.
    let published = publish(&mut app, &session, "2030年调价").await?;
    assert!(published.revision_id > before.revision_id);
    assert_eq!(
        tariffs_of(&app).notice(),
        Some(&Notice::Published(published.revision_id))
    );
    let current = tariffs_api::get_tariff(session.clone(), CODE.into(), false).await?;
    assert_eq!(current.revision_id, published.revision_id);
    let current = Tariff::from_toml(&current.toml)?;
    assert_eq!(current.versions.len(), 2);
    assert_eq!(current.versions[1].effective_from.to_string(), "2030-01-01");
    assert_eq!(
        current.versions[1].tier_tables[0].prices.as_ref().unwrap()[0].to_string(),
        "3.20"
    );
    assert_eq!(
        current.versions[0].tier_tables[0].prices.as_ref().unwrap()[0].to_string(),
        "3.00"
    );
    // The list, read again, shows the revision and no draft.
    let listed = tariffs_api::list_tariffs(session.clone()).await;
    feed(&mut app, [to_tariffs(tariffs::Message::Listed(listed))]);
    let after = tariffs_of(&app)
        .list()
        .iter()
        .find(|summary| summary.code == CODE)
        .cloned()
        .unwrap();
    assert_eq!(after.revision_id, published.revision_id);
    assert!(!after.has_draft);
    assert_eq!(after.version_dates, ["2014-09-01", "2030-01-01"]);

    // A change to the version in force is kept as a draft but refused on
    // publication, with the server's reason in the user's words.
    feed(
        &mut app,
        [
            to_tariffs(tariffs::Message::SelectTab(Tab::Edit)),
            edit(editor::Message::SelectVersion(0)),
            edit(editor::Message::Edit(tier1(0), "3.05".into())),
        ],
    );
    assert!(shows(
        &app,
        "2014-09-01 起执行的版本已生效并用于计费，修改后服务器将拒绝发布。请放弃对此版本的修改，改为新增一个生效日期更晚的版本。"
    ));
    save_draft(&mut app, &session).await;
    assert_eq!(tariffs_of(&app).notice(), Some(&Notice::DraftSaved));
    let refused = publish(&mut app, &session, "改错了").await;
    assert!(
        matches!(&refused, Err(ApiError::Refused(reason)) if reason.contains("2014-09-01")),
        "{refused:?}"
    );
    assert!(shows(&app, "发布被拒绝："));
    assert!(shows(
        &app,
        "2014-09-01 起执行的版本已用于计费，不能修改。请撤销对该版本的修改，新增一个生效日期更晚的版本。"
    ));
    Ok(())
}

//! Readings and billing against a real gascis server (in-process, TLS, its
//! own throw-away PostgreSQL): the requests are the ones the screen built,
//! the calls are the real `api::billing` functions, and their outcomes are
//! fed back to `update` as iced's runtime would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use calamine::{Reader, open_workbook_auto};
use gascis::api::billing::{self as billing_api, RunEvent};
use gascis::api::{self, ApiError, Session, archive};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::billing::entry::{self, Outcome};
use gascis::screen::billing::run as run_tab;
use gascis::screen::billing::{self, Billing, Tab, bills};
use gascis::screen::customers::picker;
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::proto::v1::billing_service_client::BillingServiceClient;
use gascis_common::proto::v1::{self as pb, archive_service_client::ArchiveServiceClient};
use gascis_testkit::archive_fixtures::open_request;
use gascis_testkit::{TestServer, authed};
use iced::futures::StreamExt as _;
use iced_test::Simulator;

fn shows(app: &App, text: &str) -> bool {
    Simulator::with_size(gascis::theme::settings(), (1280.0, 1600.0), app.view())
        .find(text)
        .is_ok()
}

fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        let _task = app.update(message);
    }
}

fn to_billing(message: billing::Message) -> Message {
    Message::Home(home::Message::billing(message))
}

fn to_entry(message: entry::Message) -> Message {
    to_billing(billing::Message::Entry(message))
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

async fn sign_in(server: &TestServer, username: &str, password: &str) -> anyhow::Result<Session> {
    Ok(api::sign_in(
        server.endpoint(),
        PathBuf::from(&server.ca_path),
        username.to_owned(),
        Secret::from(password),
    )
    .await?)
}

fn billing_app(session: Session) -> App {
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [
            Message::Login(login::Message::LoggedIn(Ok(session))),
            Message::Home(home::Message::Select(home::Area::ReadingsAndBilling)),
        ],
    );
    app
}

/// Presses 提交 (or Ctrl+Enter) and sends what the screen sent.
async fn submit(app: &mut App, session: &Session) -> Result<Vec<pb::ReadingResult>, ApiError> {
    feed(app, [to_entry(entry::Message::Submit)]);
    assert!(billing_of(app).entry().submitting);
    let (_, readings) = billing_of(app).entry().sent.clone().expect("readings sent");
    billing_api::record_readings(session.clone(), readings).await
}

fn submitted(app: &mut App, result: Result<Vec<pb::ReadingResult>, ApiError>) {
    let (rows, _) = billing_of(app).entry().sent.clone().expect("readings sent");
    feed(
        app,
        [to_entry(entry::Message::Submitted {
            code: "PD-01".into(),
            rows,
            result,
        })],
    );
}

/// Starts the run the screen asked for with `intents` and streams its
/// events into `update`, as `Task::run` would. Answers how many progress
/// events came.
async fn run(app: &mut App, session: &Session, intents: Vec<run_tab::Message>) -> usize {
    feed(app, intents.into_iter().map(to_run));
    let running = billing_of(app)
        .run()
        .running
        .clone()
        .expect("the run started");
    let mut events = Box::pin(billing_api::run_billing(
        session.clone(),
        running.request.clone(),
    ));
    let mut progress = 0;
    while let Some(event) = events.next().await {
        if matches!(event, RunEvent::Progressed(_)) {
            progress += 1;
        }
        feed(
            app,
            [to_run(run_tab::Message::Event {
                id: running.id,
                event,
            })],
        );
    }
    assert!(billing_of(app).run().running.is_none(), "the run ended");
    progress
}

#[tokio::test(flavor = "multi_thread")]
async fn readings_billing_and_bills_through_the_screen() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("liqiang", "李强", "field-pass-1", &[Role::Field])
        .await?;

    // The archive and a route book, as back office sets them up.
    let token = server.login("zhangmin", "back-office-1").await?;
    let channel = server.channel().await?;
    let mut archive_client = ArchiveServiceClient::new(channel.clone());
    let mut billing_client = BillingServiceClient::new(channel);
    billing_client
        .set_default_tariff(authed(
            pb::SetDefaultTariffRequest {
                code: "shanghai-2014".into(),
            },
            &token,
        ))
        .await?;
    let mut account_nos = Vec::new();
    for (serial, name) in [(1, "王芳"), (2, "李建国"), (3, "陈小明")] {
        let opened = archive_client
            .open_account(authed(open_request(name, serial), &token))
            .await?
            .into_inner();
        account_nos.push(opened.account.map(|a| a.account_no).unwrap_or_default());
    }
    billing_client
        .save_route_book(authed(
            pb::SaveRouteBookRequest {
                code: "PD-01".into(),
                name: "浦东阳光花园".into(),
                area: "浦东新区".into(),
                reader: "liqiang".into(),
                account_nos: account_nos.clone(),
            },
            &token,
        ))
        .await?;

    // 抄表录入 by the meter reader.
    let reader = sign_in(&server, "liqiang", "field-pass-1").await?;
    let mut app = billing_app(reader.clone());
    assert_eq!(billing_of(&app).tabs(), [Tab::Entry]);
    assert_eq!(billing_of(&app).entry().books_load, entry::Load::Loading);
    let books = billing_api::list_route_books(reader.clone()).await;
    feed(&mut app, [to_entry(entry::Message::BooksLoaded(books))]);
    assert_eq!(billing_of(&app).entry().books.len(), 1);
    feed(
        &mut app,
        [to_entry(entry::Message::BookSelected("PD-01".into()))],
    );
    let sheet = billing_api::get_reading_sheet(reader.clone(), "PD-01".into()).await;
    feed(
        &mut app,
        [
            to_entry(entry::Message::SheetLoaded {
                code: "PD-01".into(),
                result: sheet,
            }),
            to_entry(entry::Message::ReadOnChanged("2024-03-31".into())),
            to_entry(entry::Message::ValueChanged(0, "120".into())),
            // 李建国's meter was not read this month.
            to_entry(entry::Message::ValueChanged(2, "400".into())),
        ],
    );
    let rows = &billing_of(&app).entry().sheet.as_ref().unwrap().rows;
    assert_eq!(
        rows.iter()
            .map(|r| r.sheet.account_no.clone())
            .collect::<Vec<_>>(),
        account_nos,
        "walking order"
    );
    assert!(
        shows(&app, "初始读数"),
        "no reading yet: the meter's initial one"
    );

    // The first answer is lost on the way back: the rows stay as typed.
    let first = submit(&mut app, &reader).await?;
    assert!(
        first.iter().all(|r| r.status == "valid" && !r.duplicate),
        "{first:?}"
    );
    let (_, first_sent) = billing_of(&app).entry().sent.clone().unwrap();
    submitted(
        &mut app,
        Err(ApiError::Unreachable("connection reset".into())),
    );
    assert!(shows(&app, "无法连接服务器"));
    // Sent again with the same keys, the server recognises them.
    let again = submit(&mut app, &reader).await;
    let (_, again_sent) = billing_of(&app).entry().sent.clone().unwrap();
    assert_eq!(
        first_sent
            .iter()
            .map(|r| r.idempotency_key.clone())
            .collect::<Vec<_>>(),
        again_sent
            .iter()
            .map(|r| r.idempotency_key.clone())
            .collect::<Vec<_>>()
    );
    let again_results = again.clone()?;
    assert!(
        again_results.iter().all(|r| r.duplicate),
        "{again_results:?}"
    );
    submitted(&mut app, again);
    let entry = billing_of(&app).entry();
    assert_eq!(
        entry.tally,
        Some(entry::Tally {
            valid: 2,
            waiting: 0,
            refused: 0
        })
    );
    let outcomes: Vec<bool> = entry
        .sheet
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .map(|row| matches!(row.outcome, Outcome::Recorded(_)))
        .collect();
    assert_eq!(outcomes, [true, false, true]);
    assert!(shows(&app, "（此前已提交）"));
    assert!(shows(
        &app,
        "本次提交：正常 2 户 · 待审核 0 户 · 未通过 0 户"
    ));

    // 计费 by back office: a preview, then the run.
    let office = sign_in(&server, "zhangmin", "back-office-1").await?;
    let mut app = billing_app(office.clone());
    assert_eq!(billing_of(&app).tabs().len(), 4);
    feed(
        &mut app,
        [
            to_billing(billing::Message::SelectTab(Tab::Run)),
            to_run(run_tab::Message::PeriodChanged("2024-03".into())),
        ],
    );
    run(&mut app, &office, vec![run_tab::Message::Preview]).await;
    let preview = billing_of(&app).run().finished.clone().expect("a preview");
    assert!(preview.summary.preview);
    assert!(shows(&app, "2024-03 计费预览"));
    assert!(shows(&app, "¥1,587.00"), "360.00 + 1227.00");

    let progress = run(
        &mut app,
        &office,
        vec![run_tab::Message::Start, run_tab::Message::ConfirmStart],
    )
    .await;
    assert!(progress >= 1, "progress came before the summary");
    let finished = billing_of(&app).run().finished.clone().expect("a summary");
    let summary = &finished.summary;
    assert!(!summary.preview);
    assert_eq!(summary.status, "done");
    assert_eq!(
        summary
            .classes
            .iter()
            .map(|c| (c.customer_type.as_str(), c.bills, c.amount.as_str()))
            .collect::<Vec<_>>(),
        [("residential", 2, "1587.00")]
    );
    assert!(shows(
        &app,
        &format!("2024-03 计费结果（批次 #{}）", summary.run_id)
    ));
    assert!(shows(&app, "居民"));
    assert!(shows(&app, "¥1,587.00"));
    assert!(shows(&app, "本期无读数"));

    // The bills the server has.
    let sheet_rows = billing_api::get_reading_sheet(office.clone(), "PD-01".into())
        .await?
        .rows;
    let bills_of = |row: usize| billing_api::list_bills(office.clone(), sheet_rows[row].account_id);
    let first_bills = bills_of(0).await?;
    assert_eq!(
        first_bills
            .iter()
            .map(|b| (b.period.as_str(), b.amount.as_str()))
            .collect::<Vec<_>>(),
        [("2024-03", "360.00")]
    );
    assert!(bills_of(1).await?.is_empty(), "no reading, no bill");

    // 账单: 陈小明's bill, explained.
    feed(
        &mut app,
        [to_billing(billing::Message::SelectTab(Tab::Bills))],
    );
    let query = account_nos[2].clone();
    feed(
        &mut app,
        [
            to_bills(bills::Message::Lookup(picker::Message::Query(
                query.clone(),
            ))),
            to_bills(bills::Message::Lookup(picker::Message::Search)),
        ],
    );
    let found = archive::search_accounts(office.clone(), picker::search_request(&query)).await;
    feed(
        &mut app,
        [
            to_bills(bills::Message::Lookup(picker::Message::Searched {
                query: query.clone(),
                result: found,
            })),
            to_bills(bills::Message::Lookup(picker::Message::Choose(0))),
        ],
    );
    let account_id = billing_of(&app)
        .bills()
        .account
        .as_ref()
        .expect("the account is chosen")
        .account_id;
    assert_eq!(account_id, sheet_rows[2].account_id);
    let listed = billing_api::list_bills(office.clone(), account_id).await;
    feed(
        &mut app,
        [to_bills(bills::Message::Loaded {
            account_id,
            result: listed,
        })],
    );
    assert!(shows(
        &app,
        "第1阶梯 310 m³ × 3.00 = 930.00（2014-09-01价格，03-01至03-31，31天）"
    ));
    assert!(shows(
        &app,
        "第2阶梯 90 m³ × 3.30 = 297.00（2014-09-01价格，03-01至03-31，31天）"
    ));
    assert!(shows(&app, "合计 ¥1,227.00"));

    // Cancelled with a reason: the cancellation is the newest revision.
    let bill_id = billing_of(&app).bills().bills[0].id;
    feed(
        &mut app,
        [
            to_bills(bills::Message::StartCancel(bill_id)),
            to_bills(bills::Message::ReasonChanged("抄表员录入错误".into())),
            to_bills(bills::Message::ConfirmCancel),
        ],
    );
    let cancelled =
        billing_api::cancel_bill(office.clone(), bill_id, "抄表员录入错误".into()).await;
    assert!(
        cancelled.as_ref().is_ok_and(|bill| bill.cancelled),
        "{cancelled:?}"
    );
    feed(
        &mut app,
        [to_bills(bills::Message::Cancelled {
            bill_id,
            result: cancelled.map(Box::new),
        })],
    );
    let listed = billing_api::list_bills(office.clone(), account_id).await;
    feed(
        &mut app,
        [to_bills(bills::Message::Loaded {
            account_id,
            result: listed,
        })],
    );
    assert!(shows(&app, "作废原因：抄表员录入错误"));
    assert!(shows(
        &app,
        "2024-03 的账单已作废；更正读数后，下次计费将重新出账。"
    ));
    assert_eq!(
        bills::cancellable(&billing_of(&app).bills().bills),
        Vec::<i64>::new(),
        "a cancellation is not cancelled again"
    );

    // 导出账单 to a file of the user's choice.
    let work = tempfile::tempdir()?;
    let target = work.path().join("账单-2024-03");
    feed(
        &mut app,
        [
            to_billing(billing::Message::SelectTab(Tab::Run)),
            to_run(run_tab::Message::Export(
                gascis::i18n::Language::SimplifiedChinese,
            )),
            to_run(run_tab::Message::ExportPathPicked(Some(target))),
        ],
    );
    let run_tab::Export::Running {
        id, period, path, ..
    } = billing_of(&app).run().export.clone()
    else {
        panic!("the export runs");
    };
    let exported = billing_api::export_bills(office.clone(), period, path.clone()).await;
    feed(
        &mut app,
        [to_run(run_tab::Message::Exported {
            id,
            result: exported,
        })],
    );
    assert!(matches!(
        billing_of(&app).run().export,
        run_tab::Export::Done(_)
    ));
    let mut workbook = open_workbook_auto(&path)?;
    let range = workbook.worksheet_range("账单 2024-03")?;
    assert_eq!(
        range.rows().count(),
        4,
        "header, two bills, the cancellation"
    );
    let names: Vec<String> = std::fs::read_dir(work.path())?
        .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(names, ["账单-2024-03.xlsx"], "no temporary file is left");

    server.shutdown().await
}

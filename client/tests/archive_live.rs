//! The customer archive against a real gascis server (in-process, TLS, its
//! own throw-away PostgreSQL): the requests are the ones the screens build
//! from what was typed, the calls are the real `api::archive` functions, and
//! their outcomes are fed back to `update` as iced's runtime would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use calamine::Reader as _;
use gascis::api::{self, ApiError, Session, archive};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::customers::form::{CustomerMessage, MeterMessage, PremiseMessage};
use gascis::screen::customers::{self, Customers, dialog, open_account, picker};
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use gascis_testkit::{TestServer, archive_fixtures};
use iced_test::Simulator;

fn shows(app: &App, text: &str) -> bool {
    Simulator::with_size(gascis::theme::settings(), (1280.0, 1400.0), app.view())
        .find(text)
        .is_ok()
}

fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        let _task = app.update(message);
    }
}

fn archive_message(message: customers::Message) -> Message {
    Message::Home(home::Message::customers(message))
}

fn customers_of(app: &App) -> &Customers {
    match app.screen() {
        Screen::Home(home) => home.customers().expect("the archive is open"),
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

fn archive_app(session: Session) -> App {
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [
            Message::Login(login::Message::LoggedIn(Ok(session))),
            Message::Home(home::Message::Select(home::Area::Customers)),
        ],
    );
    app
}

/// Fills the open-account form the way the user would (pick lists as their
/// messages) for a household in Minhang.
fn fill_open_form(app: &mut App, meter_no: &str) {
    use open_account::Message as M;
    let form = |message| archive_message(customers::Message::OpenForm(message));
    feed(
        app,
        [
            archive_message(customers::Message::StartOpenAccount),
            form(M::Customer(CustomerMessage::Name("赵明".into()))),
            form(M::Customer(CustomerMessage::IdNumber(
                "11010519491231002X".into(),
            ))),
            form(M::Customer(CustomerMessage::Phone("139 1234 5678".into()))),
            form(M::Premise(PremiseMessage::District("闵行区".into()))),
            form(M::Premise(PremiseMessage::Community("春申景城".into()))),
            form(M::Premise(PremiseMessage::Building("8".into()))),
            form(M::Premise(PremiseMessage::Unit("1".into()))),
            form(M::Premise(PremiseMessage::Room("502".into()))),
            form(M::Meter(MeterMessage::MeterNo(meter_no.into()))),
            form(M::Meter(MeterMessage::MeterType(pb::MeterType::Mechanical))),
            form(M::Meter(MeterMessage::Size("G2.5"))),
            form(M::Meter(MeterMessage::InitialReading("0".into()))),
            form(M::HouseholdSize("3".into())),
        ],
    );
}

/// Submits the open form and performs the call the screen's task would.
async fn submit_open_form(app: &mut App, session: &Session) -> Result<pb::AccountDetail, ApiError> {
    feed(
        app,
        [archive_message(customers::Message::SubmitOpenAccount)],
    );
    let open = customers_of(app).open_form().expect("the form is open");
    assert!(open.submitting, "a complete form is sent");
    let request = open.form.to_request().expect("a complete form");
    let result = archive::open_account(session.clone(), request).await;
    feed(
        app,
        [archive_message(customers::Message::AccountOpened(
            result.clone(),
        ))],
    );
    result
}

#[tokio::test(flavor = "multi_thread")]
async fn the_archive_against_a_real_server() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let back_office = sign_in(&server, "zhangmin", "back-office-1").await?;
    let cashier = sign_in(&server, "wangfang", "cashier-pass-1").await?;

    // 开户 from the form.
    let mut office = archive_app(back_office.clone());
    fill_open_form(&mut office, "JK2026000815");
    let opened = submit_open_form(&mut office, &back_office).await?;
    let account = opened.account.clone().unwrap_or_default();
    assert!(shows(&office, "开户成功"));
    assert!(shows(&office, &account.account_no));
    assert_eq!(
        opened
            .premise
            .as_ref()
            .map(|premise| premise.address.as_str()),
        Some("闵行区春申景城8栋1单元502室")
    );

    // The same meter again: the server names the field, the form shows it.
    fill_open_form(&mut office, "JK2026000815");
    let refused = submit_open_form(&mut office, &back_office).await;
    let Err(ApiError::InvalidField { field, message }) = refused else {
        panic!("a taken meter number is refused with its field: {refused:?}");
    };
    assert_eq!(field, "meter.meter_no");
    assert!(shows(&office, &message), "{message} next to the field");
    feed(
        &mut office,
        [archive_message(customers::Message::CancelOpenAccount)],
    );

    // 赵明 opens a second account at another flat: found by the form's
    // lookup, and kept as the same customer.
    let holder = |message| {
        archive_message(customers::Message::OpenForm(open_account::Message::Holder(
            message,
        )))
    };
    feed(
        &mut office,
        [
            archive_message(customers::Message::StartOpenAccount),
            holder(picker::Message::Kind(picker::HolderKind::Existing)),
            holder(picker::Message::Query("赵明".into())),
            holder(picker::Message::Search),
        ],
    );
    let lookup = &customers_of(&office).open_form().expect("open").form.holder;
    assert_eq!(lookup.status, picker::Status::Searching);
    let found = archive::search_accounts(back_office.clone(), picker::search_request("赵明")).await;
    feed(
        &mut office,
        [
            holder(picker::Message::Searched {
                query: "赵明".into(),
                result: found,
            }),
            holder(picker::Message::Choose(0)),
        ],
    );
    assert!(shows(
        &office,
        &format!("已选择：赵明（户号 {}）", account.account_no)
    ));
    {
        use open_account::Message as M;
        let form = |message| archive_message(customers::Message::OpenForm(message));
        feed(
            &mut office,
            [
                form(M::Premise(PremiseMessage::District("闵行区".into()))),
                form(M::Premise(PremiseMessage::Community("春申景城".into()))),
                form(M::Premise(PremiseMessage::Building("9".into()))),
                form(M::Premise(PremiseMessage::Unit("2".into()))),
                form(M::Premise(PremiseMessage::Room("1101".into()))),
                form(M::Meter(MeterMessage::MeterNo("JK2026000816".into()))),
                form(M::Meter(MeterMessage::MeterType(pb::MeterType::Mechanical))),
                form(M::Meter(MeterMessage::Size("G2.5"))),
                form(M::Meter(MeterMessage::InitialReading("0".into()))),
                form(M::HouseholdSize("2".into())),
            ],
        );
    }
    let second_account = submit_open_form(&mut office, &back_office).await?;
    let second_id = second_account
        .account
        .as_ref()
        .map(|a| a.id)
        .unwrap_or_default();
    assert_ne!(second_id, account.id);
    let second_detail = archive::get_account(back_office.clone(), second_id).await?;
    let customer_of = |detail: &pb::AccountDetail| {
        detail
            .customer
            .as_ref()
            .map(|customer| (customer.id, customer.name.clone()))
    };
    assert_eq!(
        customer_of(&second_detail),
        customer_of(&opened),
        "the same customer holds both accounts"
    );
    assert_eq!(
        customer_of(&second_detail).map(|(_, name)| name).as_deref(),
        Some("赵明")
    );

    // The server refuses the holder as their own successor, naming the
    // field the picker shows its complaint at.
    let to_self = archive::transfer_account(
        back_office.clone(),
        pb::TransferAccountRequest {
            account_id: second_id,
            expected_version: second_account
                .account
                .as_ref()
                .map(|a| a.version)
                .unwrap_or_default(),
            final_reading: "0".into(),
            existing_customer_id: customer_of(&opened).map(|(id, _)| id).unwrap_or_default(),
            new_customer: None,
            carry_arrears: false,
            approval: None,
            transferred_on: String::new(),
            reason: "测试".into(),
        },
        None,
    )
    .await;
    let Err(ApiError::InvalidField { field, .. }) = to_self else {
        panic!("a transfer to the holder is refused: {to_self:?}");
    };
    assert_eq!(field, picker::FIELD);

    // A cashier finds it by name and sees it masked, without the buttons.
    let mut counter = archive_app(cashier.clone());
    feed(
        &mut counter,
        [
            archive_message(customers::Message::QueryChanged("赵明".into())),
            archive_message(customers::Message::Search),
        ],
    );
    assert_eq!(
        customers_of(&counter).search().status,
        customers::search::Status::Searching
    );
    let found = archive::search_accounts(
        cashier.clone(),
        pb::SearchAccountsRequest {
            query: "赵明".into(),
            kind: pb::SearchKind::Auto as i32,
            page_size: archive::SEARCH_PAGE_SIZE,
            page_token: String::new(),
            include_closed: false,
        },
    )
    .await;
    feed(
        &mut counter,
        [archive_message(customers::Message::Searched(found))],
    );
    assert!(shows(&counter, &account.account_no));
    assert!(shows(&counter, "139****5678"));
    let loaded = archive::get_account(cashier.clone(), account.id).await;
    feed(
        &mut counter,
        [
            archive_message(customers::Message::OpenAccount(account.id)),
            archive_message(customers::Message::AccountLoaded(loaded)),
        ],
    );
    assert!(shows(&counter, "赵明"));
    assert!(
        !shows(&counter, "11010519491231002X"),
        "the ID number is masked"
    );
    assert!(!shows(&counter, "过户"));

    // A cashier cannot open accounts, whatever the screen shows.
    let denied = archive::open_account(cashier.clone(), pb::OpenAccountRequest::default()).await;
    assert_eq!(denied, Err(ApiError::PermissionDenied));

    // Two clerks edit the same customer: the second is told and keeps typing.
    let detail = archive::get_account(back_office.clone(), account.id).await?;
    let edit = |name: &str| {
        let mut dialog = dialog::Dialog::new(dialog::Kind::EditCustomer, &detail);
        dialog.update(dialog::Message::Customer(CustomerMessage::Name(
            name.into(),
        )));
        dialog.update(dialog::Message::Reason("户名更正".into()));
        match dialog.to_request(&detail) {
            Ok(dialog::Request::UpdateCustomer(request)) => request,
            other => panic!("expected a customer update, got {other:?}"),
        }
    };
    let first = archive::update_customer(back_office.clone(), edit("赵明明")).await?;
    assert_eq!(
        first.customer.as_ref().map(|c| c.name.as_str()),
        Some("赵明明")
    );
    let second = archive::update_customer(back_office.clone(), edit("赵 明")).await;
    let Err(ApiError::StaleVersion(said)) = second else {
        panic!("expected a conflict, got {second:?}");
    };
    // The conflict note names the clerk who got there first.
    let (user, _at) = gascis::i18n::stale_changed_by(&said).expect("who and when");
    assert_eq!(user, "zhangmin", "{said}");

    // A resume of an active account is refused in words the UI translates.
    let resume = archive::set_account_suspended(
        back_office.clone(),
        pb::SetAccountSuspendedRequest {
            account_id: account.id,
            expected_version: first
                .account
                .as_ref()
                .map(|a| a.version)
                .unwrap_or_default(),
            suspended: false,
            reason: "测试".into(),
        },
    )
    .await;
    let Err(ApiError::Refused(message)) = resume else {
        panic!("expected a refusal, got {resume:?}");
    };
    assert_eq!(
        gascis::i18n::archive::refusal(gascis::i18n::Language::SimplifiedChinese, &message),
        "该账户未报停，无需复用",
        "{message}"
    );

    // 显示完整 for back office; the numbers come back in clear.
    let revealed = archive::reveal_customer_pii(
        back_office.clone(),
        first.customer.as_ref().map(|c| c.id).unwrap_or_default(),
        "客户来电核实身份".into(),
    )
    .await?;
    assert_eq!(revealed.id_number.expose(), "11010519491231002X");
    assert_eq!(revealed.phone.expose(), "13912345678");
    let hidden =
        archive::reveal_customer_pii(cashier.clone(), revealed.customer_id, "好奇".into()).await;
    assert_eq!(hidden, Err(ApiError::PermissionDenied));

    // The change records name what happened.
    let changes = archive::list_changes(cashier.clone(), account.id, 0).await?;
    let actions: Vec<&str> = changes
        .iter()
        .map(|change| change.action.as_str())
        .collect();
    assert!(actions.contains(&"open_account"), "{actions:?}");
    assert!(actions.contains(&"update_customer"), "{actions:?}");
    feed(
        &mut counter,
        [
            archive_message(customers::Message::SelectTab(customers::Tab::Changes)),
            archive_message(customers::Message::ChangesLoaded {
                account_id: account.id,
                before_id: 0,
                result: Ok(changes),
            }),
        ],
    );
    assert!(shows(&counter, "户名更正"));
    assert!(shows(&counter, "修改客户"));

    server.shutdown().await
}

/// Every sheet of the workbook at `path`, as rows of text.
fn read_workbook(path: &Path) -> anyhow::Result<Vec<(String, Vec<Vec<String>>)>> {
    let mut workbook = calamine::open_workbook_auto(path)?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        let rows = range
            .rows()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect();
        sheets.push((name, rows));
    }
    Ok(sheets)
}

/// The header row of the first sheet and the data rows of every sheet.
fn header_and_rows(path: &Path) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let sheets = read_workbook(path)?;
    let header = sheets
        .first()
        .and_then(|(_, rows)| rows.first())
        .cloned()
        .unwrap_or_default();
    let mut data = Vec::new();
    for (name, rows) in sheets {
        assert_eq!(
            rows.first(),
            Some(&header),
            "sheet {name} repeats the header"
        );
        data.extend(rows.into_iter().skip(1));
    }
    Ok((header, data))
}

fn file_names(folder: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// Presses an export button, answers the save dialog with `path` and
/// performs the call the screen's task would. Answers what was sent.
async fn export_from_screen(
    app: &mut App,
    session: &Session,
    scope: customers::export::Scope,
    path: PathBuf,
) -> (
    pb::ExportAccountsRequest,
    Result<archive::Exported, ApiError>,
) {
    feed(
        app,
        [
            archive_message(customers::Message::Export {
                scope,
                language: gascis::i18n::Language::SimplifiedChinese,
            }),
            archive_message(customers::Message::ExportPathPicked(Some(path))),
        ],
    );
    let running = customers_of(app)
        .export()
        .running()
        .expect("the export runs")
        .clone();
    let result =
        archive::export_accounts(session.clone(), running.request.clone(), running.path).await;
    feed(
        app,
        [archive_message(customers::Message::Exported {
            id: running.id,
            result: result.clone(),
        })],
    );
    (running.request, result)
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_of_a_search_and_of_every_account() -> anyhow::Result<()> {
    use customers::export::Scope;

    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    server
        .create_user("it", "信息中心", "admin-pass-1", &[Role::Admin])
        .await?;
    let back_office = sign_in(&server, "zhangmin", "back-office-1").await?;
    let cashier = sign_in(&server, "wangfang", "cashier-pass-1").await?;
    let admin = sign_in(&server, "it", "admin-pass-1").await?;

    let names = ["陈小明", "陈大明", "陈建华", "李四", "王五"];
    let mut opened = Vec::new();
    for (serial, name) in names.iter().enumerate() {
        let request = archive_fixtures::open_request(name, 600 + serial as u64);
        opened.push(archive::open_account(back_office.clone(), request).await?);
    }
    // 陈建华 moved away: only a search with closed accounts finds him.
    let moved = opened[2].account.clone().unwrap_or_default();
    let _ = archive::close_account(
        back_office.clone(),
        pb::CloseAccountRequest {
            account_id: moved.id,
            expected_version: moved.version,
            final_reading: "12.5".into(),
            closed_on: String::new(),
            reason: "用户迁出".into(),
        },
    )
    .await?;

    let folder = tempfile::tempdir()?;
    let mut counter = archive_app(cashier.clone());

    // The search on show, closed accounts included.
    feed(
        &mut counter,
        [
            archive_message(customers::Message::QueryChanged("陈".into())),
            archive_message(customers::Message::KindSelected(pb::SearchKind::Name)),
            archive_message(customers::Message::IncludeClosedToggled(true)),
            archive_message(customers::Message::Search),
        ],
    );
    let found = archive::search_accounts(
        cashier.clone(),
        pb::SearchAccountsRequest {
            query: "陈".into(),
            kind: pb::SearchKind::Name as i32,
            page_size: archive::SEARCH_PAGE_SIZE,
            page_token: String::new(),
            include_closed: true,
        },
    )
    .await;
    feed(
        &mut counter,
        [archive_message(customers::Message::Searched(found))],
    );
    let (request, result) = export_from_screen(
        &mut counter,
        &cashier,
        Scope::Search,
        folder.path().join("查询结果"),
    )
    .await;
    assert_eq!(
        request,
        pb::ExportAccountsRequest {
            query: "陈".into(),
            kind: pb::SearchKind::Name as i32,
            include_closed: true,
        }
    );
    let exported = result?;
    let searched = folder.path().join("查询结果.xlsx");
    assert_eq!(exported.path, searched);
    assert_eq!(exported.rows, 3);
    assert!(shows(
        &counter,
        &format!("已导出 3 行 → {}", searched.display())
    ));
    let (header, rows) = header_and_rows(&searched)?;
    assert_eq!(
        header,
        [
            "户号",
            "户名",
            "用户类型",
            "联系电话",
            "用气地址",
            "表号",
            "表类型",
            "状态"
        ]
    );
    assert_eq!(rows.len(), 3);
    let mut holders: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
    holders.sort_unstable();
    assert_eq!(holders, ["陈大明", "陈小明", "陈建华"]);
    let closed_row = rows.iter().find(|row| row[1] == "陈建华").expect("陈建华");
    assert_eq!(closed_row[7], "销户");
    assert!(
        rows.iter().all(|row| row[3].contains('*')),
        "phones are masked"
    );

    // The same search without closed accounts, straight through the api.
    let open_only = folder.path().join("在用.xlsx");
    let exported = archive::export_accounts(
        cashier.clone(),
        pb::ExportAccountsRequest {
            include_closed: false,
            ..request
        },
        open_only.clone(),
    )
    .await?;
    assert_eq!(exported.rows, 2);
    assert_eq!(header_and_rows(&open_only)?.1.len(), 2);

    // Every account, over an older file of that name.
    let everything = folder.path().join("用户档案-20260115.xlsx");
    std::fs::write(&everything, "an older export")?;
    let (request, result) =
        export_from_screen(&mut counter, &cashier, Scope::All, everything.clone()).await;
    assert!(request.query.is_empty());
    let exported = result?;
    assert_eq!((exported.rows, &exported.path), (5, &everything));
    assert!(shows(
        &counter,
        &format!("已导出 5 行 → {}", everything.display())
    ));
    let (header, rows) = header_and_rows(&everything)?;
    assert_eq!(
        header,
        [
            "户号",
            "户名",
            "用户类型",
            "证件号码",
            "联系电话",
            "用气地址",
            "表号",
            "表类型",
            "状态",
            "开户日期"
        ]
    );
    assert_eq!(rows.len(), 5);
    let mut holders: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
    holders.sort_unstable();
    let mut expected = names.to_vec();
    expected.sort_unstable();
    assert_eq!(holders, expected);
    let account_nos: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
    for detail in &opened {
        let account_no = detail.account.as_ref().map(|a| a.account_no.as_str());
        assert!(
            account_no.is_some_and(|no| account_nos.contains(&no)),
            "{account_no:?} in {account_nos:?}"
        );
    }

    // Refused: IT cannot read the archive, and a query past the limit of
    // the search is invalid. Neither leaves a file, whole or half.
    let before = file_names(folder.path())?;
    let refused = archive::export_accounts(
        admin.clone(),
        pb::ExportAccountsRequest::default(),
        folder.path().join("不许.xlsx"),
    )
    .await;
    assert_eq!(refused, Err(ApiError::PermissionDenied));
    let invalid = export_from_screen_query(&mut counter, &cashier, &"陈".repeat(101)).await;
    assert!(
        matches!(&invalid, Err(ApiError::InvalidField { .. })),
        "{invalid:?}"
    );
    assert!(shows(&counter, "导出失败，未保存任何文件"));
    assert_eq!(file_names(folder.path())?, before);
    assert_eq!(
        before,
        ["在用.xlsx", "查询结果.xlsx", "用户档案-20260115.xlsx"]
    );

    server.shutdown().await?;
    Ok(())
}

/// Searches `query` on the screen (the server's answer faked: the export
/// must go out whatever it finds) and exports it.
async fn export_from_screen_query(
    app: &mut App,
    session: &Session,
    query: &str,
) -> Result<archive::Exported, ApiError> {
    feed(
        app,
        [
            archive_message(customers::Message::QueryChanged(query.into())),
            archive_message(customers::Message::Search),
            archive_message(customers::Message::Searched(Ok(
                pb::SearchAccountsResponse {
                    results: vec![pb::AccountSummary::default()],
                    next_page_token: String::new(),
                    searched_as: pb::SearchKind::Name as i32,
                },
            ))),
        ],
    );
    let folder = tempfile::tempdir().map_err(|error| ApiError::File(error.to_string()))?;
    let (_, result) = export_from_screen(
        app,
        session,
        customers::export::Scope::Search,
        folder.path().join("太长.xlsx"),
    )
    .await;
    let left = std::fs::read_dir(folder.path())
        .map(|entries| entries.count())
        .unwrap_or_default();
    assert_eq!(left, 0, "nothing left of a refused export");
    result
}

/// A server with a few realistic accounts for looking at the real client
/// (not a check): `GASCIS_DEMO_INFO=/tmp/demo.txt cargo test -p gascis
/// --test archive_live -- --ignored serve_demo`, then run the client with
/// the address and CA file written there. Users: zhangmin / back-office-1
/// (营业稽核), wangfang / cashier-pass-1 (收费员). Runs for
/// GASCIS_DEMO_SECONDS (default 600).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "serves a demo until killed; run on demand"]
async fn serve_demo() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let back_office = sign_in(&server, "zhangmin", "back-office-1").await?;
    let people = [
        ("王芳", "12", "2", "301", pb::MeterType::Mechanical),
        ("李建国", "12", "2", "302", pb::MeterType::IcCard),
        ("张秀英", "14", "1", "601", pb::MeterType::Iot),
        ("陈伟", "15", "3", "1102", pb::MeterType::Mechanical),
        ("周杰", "16", "2", "502", pb::MeterType::IcCard),
        ("吴海燕", "17", "1", "203", pb::MeterType::Iot),
        ("孙立新", "18", "4", "1501", pb::MeterType::Mechanical),
    ];
    for (serial, (name, building, unit, room, meter_type)) in people.into_iter().enumerate() {
        let serial = serial as u64 + 1;
        let first17 = format!(
            "31011519{:02}0{}1{}0{serial:02}",
            60 + serial,
            1 + serial % 9,
            serial % 10
        );
        let check = gascis_common::identity::check_digit(&first17).unwrap_or('0');
        let meter_no = match meter_type {
            pb::MeterType::IcCard => format!("GS20{serial:08}"),
            pb::MeterType::Iot => format!("NB21{serial:06}"),
            _ => format!("JK20{serial:08}"),
        };
        let request = pb::OpenAccountRequest {
            existing_customer_id: 0,
            new_customer: Some(pb::CustomerInput {
                party_kind: Some(pb::PartyKind::Person as i32),
                customer_type: Some(pb::CustomerType::Residential as i32),
                name: Some(name.into()),
                id_type: Some(pb::IdType::ResidentId as i32),
                id_number: Some(format!("{first17}{check}")),
                phone: Some(format!("1391234{serial:04}")),
                phone2: None,
            }),
            premise: Some(pb::PremiseInput {
                district: Some("浦东新区".into()),
                community: Some("阳光花园".into()),
                building: Some(building.into()),
                unit: Some(unit.into()),
                room: Some(room.into()),
                address: None,
                latitude: None,
                longitude: None,
            }),
            meter: Some(pb::MeterInput {
                meter_no: meter_no.clone(),
                meter_type: meter_type as i32,
                maker: "金卡".into(),
                model: "JK-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                initial_reading: "0".into(),
                card_no: if meter_type == pb::MeterType::IcCard {
                    format!("310{serial:08}")
                } else {
                    String::new()
                },
            }),
            contract: Some(pb::ContractInput {
                contract_no: String::new(),
                signed_on: "2024-03-01".into(),
                gas_purpose: pb::GasPurpose::Cooking as i32,
                price_policy: String::new(),
            }),
            household_size: 3,
            low_income: false,
            opened_on: "2024-03-01".into(),
            idempotency_key: format!("demo-{serial}"),
        };
        let _ = archive::open_account(back_office.clone(), request).await?;
    }
    let info = format!("{}\n{}\n", server.endpoint(), server.ca_path.display());
    if let Some(path) = std::env::var_os("GASCIS_DEMO_INFO") {
        std::fs::write(path, &info)?;
    }
    println!("{info}");
    let seconds = std::env::var("GASCIS_DEMO_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(600);
    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
    server.shutdown().await
}

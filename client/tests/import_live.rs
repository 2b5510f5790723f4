//! The import area against a real gascis server (in-process, TLS, its own
//! throw-away PostgreSQL): the requests are the ones the screen builds, the
//! calls are the real `api::import` functions, and their outcomes are fed
//! back to `update` as iced's runtime would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use gascis::api::import::{self as import_api, RunEvent};
use gascis::api::{self, ApiError, Session, archive};
use gascis::app::{App, Message, Screen};
use gascis::credentials::KeyringStatus;
use gascis::screen::import::report::same_amount;
use gascis::screen::import::{self, Import, Step};
use gascis::screen::{home, login};
use gascis::secret::Secret;
use gascis::settings::Settings;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use gascis_testkit::TestServer;
use gascis_testkit::ledger_fixtures::{self, LedgerSpec};
use iced::futures::StreamExt as _;
use iced_test::Simulator;

fn shows(app: &App, text: &str) -> bool {
    Simulator::with_size(gascis::theme::settings(), (1280.0, 2400.0), app.view())
        .find(text)
        .is_ok()
}

fn feed(app: &mut App, messages: impl IntoIterator<Item = Message>) {
    for message in messages {
        let _task = app.update(message);
    }
}

fn to_import(message: import::Message) -> Message {
    Message::Home(home::Message::import(message))
}

fn import_of(app: &App) -> &Import {
    match app.screen() {
        Screen::Home(home) => home.import().expect("the import area is open"),
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

fn import_app(session: Session) -> App {
    let mut app = App::new(
        Settings::default(),
        None,
        KeyringStatus::Unavailable("none in tests".into()),
    );
    feed(
        &mut app,
        [
            Message::Login(login::Message::LoggedIn(Ok(session))),
            Message::Home(home::Message::Select(home::Area::Import)),
        ],
    );
    app
}

/// Picks `path`, presses 上传并识别, and performs the upload and the
/// inspection the screen's tasks would.
async fn upload_and_inspect(
    app: &mut App,
    session: &Session,
    path: &Path,
) -> anyhow::Result<(pb::UploadedFile, pb::InspectImportFileResponse)> {
    feed(
        app,
        [
            to_import(import::Message::PathChanged(path.display().to_string())),
            to_import(import::Message::Upload),
        ],
    );
    assert_eq!(import_of(app).busy(), Some(import::Busy::Uploading));
    let uploaded = import_api::upload_file(session.clone(), path.to_owned()).await;
    feed(
        app,
        [to_import(import::Message::Uploaded(uploaded.clone()))],
    );
    let file = uploaded?;
    assert_eq!(import_of(app).busy(), Some(import::Busy::Inspecting));
    let inspected = import_api::inspect_file(
        session.clone(),
        file.upload_id,
        import_of(app).kind(),
        file.sheets.first().cloned().unwrap_or_default(),
    )
    .await;
    feed(
        app,
        [to_import(import::Message::Inspected(inspected.clone()))],
    );
    Ok((file, inspected?))
}

/// Starts the run the screen asked for with `intent` and streams its events
/// into `update`, as `Task::run` would. Answers how many progress events
/// came.
async fn run(app: &mut App, session: &Session, intent: import::Message) -> usize {
    feed(app, [to_import(intent)]);
    let running = import_of(app).run().expect("the run started");
    let (id, request) = (running.id, running.request.clone());
    let mut events = Box::pin(import_api::run_import(session.clone(), request));
    let mut progress = 0;
    while let Some(event) = events.next().await {
        if matches!(event, RunEvent::Progressed(_)) {
            progress += 1;
        }
        feed(app, [to_import(import::Message::Run { run: id, event })]);
    }
    assert!(import_of(app).run().is_none(), "the run ended");
    progress
}

#[tokio::test(flavor = "multi_thread")]
async fn the_small_ledger_through_the_import_screen() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhaomin", "赵敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let session = sign_in(&server, "zhaomin", "back-office-1").await?;
    let expected = ledger_fixtures::accounts_small_expected();

    // A copy in a folder of its own: the error file goes beside it.
    let work = tempfile::tempdir()?;
    let ledger = work.path().join("accounts_small.ods");
    std::fs::copy(
        ledger_fixtures::fixtures_dir().join("accounts_small.ods"),
        &ledger,
    )?;

    let mut app = import_app(session.clone());
    let (file, inspection) = upload_and_inspect(&mut app, &session, &ledger).await?;
    assert_eq!(file.file_name, "accounts_small.ods");
    assert_eq!(
        file.size_bytes,
        i64::try_from(std::fs::metadata(&ledger)?.len())?
    );
    assert_eq!(file.sheets, vec![expected.sheet.clone()]);

    // 确认列映射: the header row and the 13 recognised fields.
    assert_eq!(import_of(&app).step(), Step::Mapping);
    assert_eq!(inspection.header_row, 4);
    let mapped = inspection
        .fields
        .iter()
        .filter(|field| !field.header.is_empty())
        .count();
    assert_eq!(mapped, 13);
    assert!(import_of(&app).mapping().missing_required().is_empty());
    assert!(shows(
        &app,
        &gascis::i18n::import::header_found(
            gascis::i18n::Language::SimplifiedChinese,
            inspection.header_row,
            inspection.data_rows
        )
    ));
    assert!(shows(&app, "表号"));
    assert!(import_of(&app).can_run());

    // 预检.
    feed(&mut app, [to_import(import::Message::GoTo(Step::DryRun))]);
    assert!(
        import_of(&app).settings().unwrap().mapping.is_empty(),
        "the recognised columns are left to the server"
    );
    let progress = run(&mut app, &session, import::Message::StartDryRun).await;
    assert!(progress > 0, "progress came before the report");
    let dry_run = import_of(&app).dry_run().expect("the dry run reported");
    let report = &dry_run.report;
    assert!(report.dry_run);
    assert_eq!(report.rows_read, 10);
    assert_eq!(report.rows_new, 9);
    assert_eq!(report.rows_invalid, 1);
    assert!(same_amount(&report.file_balance, "6822.10"));
    assert!(same_amount(&report.file_arrears, "1236.55"));
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].row, 8);
    assert_eq!(report.errors[0].field, "id_number");
    assert!(shows(&app, "预检结果"));
    assert!(shows(&app, "证件号码"));
    assert!(shows(&app, "1.10105E+17"));
    assert!(shows(&app, "¥6,822.10"));

    // 保存错误文件, beside the ledger.
    let error_path = work.path().join("accounts_small-错误行.xlsx");
    assert_eq!(
        import_of(&app).error_file_path(),
        error_path.display().to_string()
    );
    feed(&mut app, [to_import(import::Message::SaveErrorFile)]);
    assert_eq!(import_of(&app).busy(), Some(import::Busy::SavingErrorFile));
    let saved = import_api::save_file(
        PathBuf::from(import_of(&app).error_file_path()),
        import_of(&app).error_file().unwrap().to_vec(),
    )
    .await;
    feed(
        &mut app,
        [to_import(import::Message::ErrorFileSaved(saved))],
    );
    let written = std::fs::read(&error_path)?;
    assert!(written.starts_with(b"PK"), "an xlsx (zip) file");
    assert!(shows(
        &app,
        &format!("错误文件已保存到：{}", error_path.display())
    ));

    // 导入 without 只导入有效行: refused, nothing imported.
    feed(&mut app, [to_import(import::Message::GoTo(Step::Import))]);
    let _ = run(&mut app, &session, import::Message::StartImport).await;
    let refused = &import_of(&app).imported().unwrap().report;
    assert!(refused.refused);
    assert_eq!(refused.rows_invalid, 1);
    assert!(!refused.error_file.is_empty());
    assert!(shows(
        &app,
        &gascis::i18n::import::refused(gascis::i18n::Language::SimplifiedChinese, 1)
    ));
    let lookup = |query: &str| pb::SearchAccountsRequest {
        query: query.to_owned(),
        kind: pb::SearchKind::AccountNo as i32,
        page_size: 20,
        page_token: String::new(),
        include_closed: true,
    };
    let none = archive::search_accounts(session.clone(), lookup("2000001")).await?;
    assert!(none.results.is_empty(), "a refused import writes nothing");

    // 导入 with 只导入有效行: nine new accounts and a balanced certificate.
    feed(&mut app, [to_import(import::Message::PartialToggled(true))]);
    assert!(import_of(&app).can_import());
    let _ = run(&mut app, &session, import::Message::StartImport).await;
    let imported = &import_of(&app).imported().unwrap().report;
    assert!(!imported.refused && !imported.dry_run);
    assert_eq!(imported.rows_new, 9);
    assert_eq!(imported.rows_invalid, 1);
    assert!(imported.balanced, "{imported:?}");
    assert!(imported.import_id > 0);
    assert!(same_amount(&imported.db_balance, "6822.10"));
    assert!(same_amount(&imported.db_arrears, "1236.55"));
    assert!(shows(&app, "对账凭证"));
    assert!(shows(&app, "平衡"));
    assert!(shows(&app, &format!("导入编号 {}", imported.import_id)));
    let found = archive::search_accounts(session.clone(), lookup("2000001")).await?;
    assert_eq!(found.results.len(), 1);
    assert!(!import_of(&app).can_import(), "not twice by a second click");

    server.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn templates_for_every_kind_and_a_readings_dry_run_against_the_server() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    server
        .create_user("zhaomin", "赵敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let session = sign_in(&server, "zhaomin", "back-office-1").await?;
    let folder = tempfile::tempdir()?;

    for (kind, name) in [
        (pb::ImportKind::Accounts, "用户台账导入模板.xlsx"),
        (pb::ImportKind::Readings, "抄表记录导入模板.xlsx"),
        (pb::ImportKind::Payments, "缴费记录导入模板.xlsx"),
    ] {
        let path =
            import_api::save_template(session.clone(), kind, Some(folder.path().into())).await?;
        assert_eq!(path, folder.path().join(name));
        assert!(std::fs::read(&path)?.starts_with(b"PK"));
    }
    // A second download does not replace the first.
    let again = import_api::save_template(
        session.clone(),
        pb::ImportKind::Accounts,
        Some(folder.path().into()),
    )
    .await?;
    assert_eq!(again, folder.path().join("用户台账导入模板 (2).xlsx"));

    // The screen reads a readings ledger and may run it; the server runs it
    // (here without the accounts: every valid row names an unknown account).
    let ledger = folder.path().join("readings.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(
        &folder.path().join("accounts.xlsx"),
        &LedgerSpec::default(),
    )?;
    let expected = ledger_fixtures::readings_ledger(&ledger, &LedgerSpec::default(), &accounts)?;
    let mut app = import_app(session.clone());
    feed(
        &mut app,
        [to_import(import::Message::KindSelected(
            pb::ImportKind::Readings,
        ))],
    );
    let (file, inspection) = upload_and_inspect(&mut app, &session, &ledger).await?;
    assert!(inspection.header_row > 0);
    assert!(import_of(&app).can_run());
    let mut events = Box::pin(import_api::run_import(
        session.clone(),
        pb::RunImportRequest {
            upload_id: file.upload_id,
            kind: pb::ImportKind::Readings as i32,
            dry_run: true,
            ..pb::RunImportRequest::default()
        },
    ));
    let report = loop {
        match events.next().await {
            Some(RunEvent::Progressed(_)) => {}
            Some(RunEvent::Finished(Ok(report))) => break report,
            other => panic!("expected a readings report, got {other:?}"),
        }
    };
    assert!(report.dry_run);
    assert_eq!(report.rows_read as usize, expected.rows);
    assert_eq!(report.rows_new, 0);
    assert_eq!(report.rows_invalid as usize, expected.rows);
    assert!(report.file_balance.is_empty() && report.db_arrears.is_empty());
    assert!(!report.error_file.is_empty());
    assert!(events.next().await.is_none());

    server.shutdown().await?;
    Ok(())
}

/// What 取消 does: the run's task is aborted, which drops the stream; the
/// server notices at its next progress report and rolls back.
#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_run_writes_nothing() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhaomin", "赵敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let session = sign_in(&server, "zhaomin", "back-office-1").await?;
    let folder = tempfile::tempdir()?;
    let ledger = folder.path().join("big.xlsx");
    let spec = LedgerSpec::benchmark(12_000);
    let expected = ledger_fixtures::messy_accounts_ledger(&ledger, &spec)?;

    let file = import_api::upload_file(session.clone(), ledger.clone()).await?;
    let request = pb::RunImportRequest {
        upload_id: file.upload_id,
        kind: pb::ImportKind::Accounts as i32,
        partial: true,
        ..pb::RunImportRequest::default()
    };
    let mut events = Box::pin(import_api::run_import(session.clone(), request.clone()));
    assert!(
        matches!(events.next().await, Some(RunEvent::Progressed(_))),
        "the import began"
    );
    drop(events);

    // The dry run sees nothing written: every valid row is still new.
    let mut events = Box::pin(import_api::run_import(
        session.clone(),
        pb::RunImportRequest {
            dry_run: true,
            ..request
        },
    ));
    let mut report = None;
    while let Some(event) = events.next().await {
        if let RunEvent::Finished(result) = event {
            report = Some(result?);
        }
    }
    let report = report.expect("a report");
    assert_eq!(report.rows_new as usize, expected.valid);
    let first = expected.valid_accounts.iter().next().unwrap().clone();
    let found = archive::search_accounts(
        session.clone(),
        pb::SearchAccountsRequest {
            query: first,
            kind: pb::SearchKind::AccountNo as i32,
            page_size: 20,
            page_token: String::new(),
            include_closed: true,
        },
    )
    .await?;
    assert!(
        found.results.is_empty(),
        "the cancelled import was rolled back"
    );

    server.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mapping_saved_by_name_is_listed_applied_and_deleted() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhaomin", "赵敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let session = sign_in(&server, "zhaomin", "back-office-1").await?;
    let work = tempfile::tempdir()?;
    let ledger = work.path().join("accounts_small.ods");
    std::fs::copy(
        ledger_fixtures::fixtures_dir().join("accounts_small.ods"),
        &ledger,
    )?;
    let mut app = import_app(session.clone());
    let _ = upload_and_inspect(&mut app, &session, &ledger).await?;
    let kind = import_of(&app).kind();

    // None saved yet.
    let listed = import_api::list_mappings(session.clone(), kind).await;
    feed(
        &mut app,
        [to_import(import::Message::MappingsListed(listed.clone()))],
    );
    assert!(listed?.mappings.is_empty());
    assert!(shows(&app, "暂无"));

    // A name the server refuses is said under the name field.
    let too_long = "台".repeat(61);
    let refused = import_api::save_mapping(
        session.clone(),
        too_long,
        kind,
        import_of(&app).mapping().current(),
    )
    .await;
    match &refused {
        Err(ApiError::InvalidField { field, .. }) => assert_eq!(field, "name"),
        other => panic!("a 61-character name is refused: {other:?}"),
    }

    // 保存当前映射: the recognised columns, by name.
    let name = "老系统台账2019版";
    feed(
        &mut app,
        [
            to_import(import::Message::MappingNameChanged(name.into())),
            to_import(import::Message::SaveMapping),
        ],
    );
    assert!(import_of(&app).saved_mappings().busy);
    let current = import_of(&app).mapping().current();
    assert_eq!(current.len(), 13);
    let saved = import_api::save_mapping(session.clone(), name.into(), kind, current).await;
    feed(
        &mut app,
        [to_import(import::Message::MappingSaved(saved.clone()))],
    );
    let saved = saved?;
    assert_eq!(saved.name, name);
    assert_eq!(saved.kind, kind as i32);
    assert_eq!(saved.mapping.len(), 13);
    assert!(shows(&app, "已保存"));

    // The list shows it, with who saved it.
    let listed = import_api::list_mappings(session.clone(), kind).await?;
    assert_eq!(listed.mappings.len(), 1);
    assert_eq!(listed.mappings[0].name, name);
    assert_eq!(listed.mappings[0].updated_by, "zhaomin");
    assert_eq!(listed.mappings[0].mapping, saved.mapping);
    feed(
        &mut app,
        [
            to_import(import::Message::MappingsListed(Ok(listed))),
            to_import(import::Message::SavedMappingSelected(name.into())),
            to_import(import::Message::ApplySavedMapping),
        ],
    );
    assert!(shows(&app, "已修改"));
    let settings = import_of(&app).settings().unwrap();
    assert_eq!(settings.mapping.len(), 13, "the applied mapping is sent");

    // The dry run with it counts as automatic recognition does.
    let expected = ledger_fixtures::accounts_small_expected();
    assert_eq!(expected.sheet, settings.sheet);
    feed(&mut app, [to_import(import::Message::GoTo(Step::DryRun))]);
    let _ = run(&mut app, &session, import::Message::StartDryRun).await;
    let dry_run = import_of(&app).dry_run().expect("the dry run reported");
    assert_eq!(dry_run.settings.mapping.len(), 13);
    let report = &dry_run.report;
    assert!(report.dry_run);
    assert_eq!(report.rows_read, 10);
    assert_eq!(report.rows_new, 9);
    assert_eq!(report.rows_invalid, 1);
    assert!(same_amount(&report.file_balance, "6822.10"));
    assert!(same_amount(&report.file_arrears, "1236.55"));

    // 删除, after asking; the list is empty again.
    feed(
        &mut app,
        [
            to_import(import::Message::GoTo(Step::Mapping)),
            to_import(import::Message::DeleteSavedMapping),
            to_import(import::Message::ConfirmDeleteSavedMapping),
        ],
    );
    assert!(import_of(&app).saved_mappings().busy);
    let deleted = import_api::delete_mapping(session.clone(), name.into()).await;
    feed(
        &mut app,
        [to_import(import::Message::SavedMappingDeleted(
            deleted.map(|()| name.to_owned()),
        ))],
    );
    assert!(import_of(&app).saved_mappings().list.is_empty());
    assert!(
        import_api::delete_mapping(session.clone(), name.into())
            .await
            .is_err(),
        "a mapping no longer there cannot be deleted"
    );
    let listed = import_api::list_mappings(session.clone(), kind).await?;
    assert!(listed.mappings.is_empty());
    Ok(())
}

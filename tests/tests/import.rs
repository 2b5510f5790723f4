//! Import of legacy account ledgers end to end: a deliberately messy
//! ledger, dry run against commit, the reconciliation certificate,
//! idempotent re-import, the error file read back, .xls and .ods inputs,
//! refused files, cancellation, and the gRPC service.

use std::sync::atomic::{AtomicBool, Ordering};

use diesel::{RunQueryDsl, sql_query};
use gascis_common::{
    Role,
    proto::v1::{self as pb, import_service_client::ImportServiceClient},
};
use gascis_server::{
    import::{self, FileImport, Policy, source},
    pii::PiiKeys,
};
use gascis_testkit::{
    TestDb, TestServer, authed,
    ledger_fixtures::{self, LedgerSpec},
};

use gascis_testkit::import_support::importer as actor;

fn count(db: &TestDb, sql: &str) -> anyhow::Result<i64> {
    gascis_testkit::import_support::count(&mut db.app()?, sql)
}

fn request<'a>(
    path: &'a std::path::Path,
    dry_run: bool,
    partial: bool,
    errors: Option<&'a std::path::Path>,
) -> FileImport<'a> {
    gascis_testkit::import_support::file_import(path, Policy::Update, dry_run, partial, errors)
}

#[test]
fn a_messy_ledger_is_cleaned_checked_and_reconciled_to_the_fen() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    let expected = ledger_fixtures::messy_accounts_ledger(&path, &LedgerSpec::default())?;
    let errors_path = work.path().join("errors.xlsx");
    let mut connection = db.app()?;

    // Dry run: counts, every bad row named with its field, nothing written.
    let (dry, prepared) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, true, false, None),
    )?;
    assert_eq!(prepared.header_row, ledger_fixtures::HEADER_ROW);
    let counts = &dry.certificate.counts;
    assert_eq!(
        counts.read as usize, expected.rows,
        "blank lines are not rows; hidden rows are"
    );
    assert_eq!(counts.new as usize, expected.valid);
    assert_eq!(counts.invalid as usize, expected.invalid.len());
    for bad in &expected.invalid {
        let found = dry.errors.iter().find(|e| e.row == bad.row);
        assert!(
            found.is_some_and(|e| e.field == bad.field),
            "row {} ({}, {:?}): got {:?}",
            bad.row,
            bad.field,
            bad.reason,
            found
        );
    }
    assert_eq!(dry.certificate.file_balance, expected.balance_sum);
    assert_eq!(dry.certificate.file_arrears, expected.arrears_sum);
    assert_eq!(count(&db, "SELECT count(*) AS count FROM accounts")?, 0);
    assert_eq!(count(&db, "SELECT count(*) AS count FROM imports")?, 0);

    // All or nothing by default: invalid rows refuse the whole file, and the
    // error file names them.
    let refused = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, false, Some(&errors_path)),
    );
    assert!(
        matches!(refused, Err(import::FileImportError::Import(import::accounts::ImportError::Invalid { rows: n, .. })) if n as usize == expected.invalid.len())
    );
    assert_eq!(count(&db, "SELECT count(*) AS count FROM accounts")?, 0);

    // The error file holds exactly the failed rows, with field and reason.
    let back = source::read_sheet(&errors_path, None, &source::Limits::default())?;
    assert_eq!(
        back.rows.len(),
        1 + expected.invalid.len(),
        "header + one row per failed row"
    );
    let header: Vec<String> = back.rows[0].1.iter().map(source::Cell::display).collect();
    assert!(header.contains(&"错误原因".to_owned()), "{header:?}");
    let reasons = header.iter().position(|h| h == "错误原因").unwrap_or(0);
    for (_, cells) in back.rows.iter().skip(1) {
        assert!(
            !cells
                .get(reasons)
                .map(source::Cell::display)
                .unwrap_or_default()
                .is_empty()
        );
    }
    // …and imports as it is: same header recognition, same refusals.
    let (again, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&errors_path, true, false, None),
    )?;
    // Every row is read, and rows with bad values are still refused; a
    // duplicate is no longer one without its first occurrence.
    assert_eq!(
        again.certificate.counts.read as usize,
        expected.invalid.len()
    );
    let duplicates = expected
        .invalid
        .iter()
        .filter(|b| b.reason.keyword() == "duplicate")
        .count();
    assert_eq!(
        again.certificate.counts.invalid as usize,
        expected.invalid.len() - duplicates
    );

    // Partial commit: the valid rows, balanced to the fen.
    let (done, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, true, None),
    )?;
    let c = &done.certificate;
    assert_eq!(c.counts.new as usize, expected.valid);
    assert!(c.balanced(), "{c:?}");
    assert_eq!(c.db_balance, expected.balance_sum);
    assert_eq!(c.db_arrears, expected.arrears_sum);
    assert_eq!(
        count(&db, "SELECT count(*) AS count FROM accounts")? as usize,
        expected.valid
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS count FROM import_rows")? as usize,
        expected.valid,
        "provenance of every row"
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS count FROM import_staging_accounts")?,
        0,
        "staging emptied"
    );
    for account_no in &expected.valid_accounts {
        let found = count(
            &db,
            &format!("SELECT count(*) AS count FROM accounts WHERE account_no = '{account_no}'"),
        )?;
        assert_eq!(found, 1, "{account_no}");
    }
    // Personal data went in encrypted only.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS count FROM customers WHERE phone_enc IS NULL"
        )?,
        0
    );

    // The same file again changes nothing.
    let ledger_before = count(&db, "SELECT count(*) AS count FROM ledger_transactions")?;
    let changes_before = count(&db, "SELECT count(*) AS count FROM change_records")?;
    let (same, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, true, None),
    )?;
    assert_eq!(same.certificate.counts.new, 0);
    assert_eq!(same.certificate.counts.updated, 0);
    assert_eq!(same.certificate.counts.unchanged as usize, expected.valid);
    assert!(same.certificate.balanced());
    assert_eq!(
        count(&db, "SELECT count(*) AS count FROM ledger_transactions")?,
        ledger_before
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS count FROM change_records")?,
        changes_before
    );
    Ok(())
}

/// A small clean ledger: (account no., name, arrears) per row.
fn simple_ledger(path: &std::path::Path, rows: &[(&str, &str, &str)]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in [
        "户号",
        "户名",
        "联系电话",
        "用气地址",
        "表号",
        "表类型",
        "欠费",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    for (index, (account_no, name, arrears)) in rows.iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, *account_no)?;
        sheet.write_string(row, 1, *name)?;
        sheet.write_string(row, 2, format!("1390000{account_no:0>4}"))?;
        sheet.write_string(row, 3, format!("阳光花园{account_no}号"))?;
        sheet.write_string(row, 4, format!("M{account_no}"))?;
        sheet.write_string(row, 5, "机械表")?;
        sheet.write_string(row, 6, *arrears)?;
    }
    workbook.save(path)?;
    Ok(())
}

#[test]
fn a_changed_file_updates_only_what_changed_by_policy() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let first = work.path().join("v1.xlsx");
    let second = work.path().join("v2.xlsx");
    simple_ledger(
        &first,
        &[
            ("7001", "王一", "10.00"),
            ("7002", "王二", "0"),
            ("7003", "王三", "5.50"),
        ],
    )?;
    // 7001 renamed, 7003 owes more; 7002 as it was.
    simple_ledger(
        &second,
        &[
            ("7001", "王壹", "10.00"),
            ("7002", "王二", "0"),
            ("7003", "王三", "8.25"),
        ],
    )?;
    let mut connection = db.app()?;
    import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&first, false, false, None),
    )?;

    let with = |policy: Policy, dry_run: bool| FileImport {
        policy,
        ..request(&second, dry_run, true, None)
    };
    let (fail, _) =
        import::import_accounts_file(&mut connection, &keys, &actor(), &with(Policy::Fail, true))?;
    assert_eq!(
        (
            fail.certificate.counts.invalid,
            fail.certificate.counts.unchanged
        ),
        (2, 1)
    );
    assert!(
        fail.errors
            .iter()
            .all(|e| e.field == "account_no" && e.reason.contains("policy is fail"))
    );
    let (skip, _) =
        import::import_accounts_file(&mut connection, &keys, &actor(), &with(Policy::Skip, false))?;
    assert_eq!(
        (
            skip.certificate.counts.skipped,
            skip.certificate.counts.unchanged
        ),
        (2, 1)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS count FROM customers WHERE name = '王壹'"
        )?,
        0,
        "skip leaves the archive"
    );

    let (update, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &with(Policy::Update, false),
    )?;
    let c = &update.certificate;
    assert_eq!(
        (c.counts.updated, c.counts.unchanged, c.counts.new),
        (2, 1, 0)
    );
    assert!(c.balanced(), "{c:?}");
    assert_eq!(c.db_arrears.to_string(), "18.25");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS count FROM customers WHERE name = '王壹'"
        )?,
        1
    );
    let differences: Vec<Diff> = sql_query(
        "SELECT array_to_string(differences, '; ') AS text FROM change_records WHERE action = 'import_update' ORDER BY id",
    )
    .load(&mut connection)?;
    let texts: Vec<&str> = differences.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(texts, vec!["name: 王一 → 王壹", "arrears: 5.50 → 8.25"]);
    // The arrears moved by one balanced adjustment, never by editing.
    assert_eq!(
        count(
            &db,
            "SELECT count(DISTINCT t.id) AS count FROM ledger_transactions t \
             JOIN ledger_lines l ON l.transaction_id = t.id \
             WHERE t.kind IN ('import_opening', 'import_adjustment') AND l.book = 'receivable'"
        )?,
        3
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS count FROM ledger_transactions WHERE kind = 'import_adjustment'"
        )?,
        1
    );
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Diff {
    #[diesel(sql_type = diesel::sql_types::Text)]
    text: String,
}

#[test]
fn xls_and_ods_ledgers_read_like_xlsx() -> anyhow::Result<()> {
    let expected = ledger_fixtures::accounts_small_expected();
    for path in ledger_fixtures::accounts_small_paths() {
        let db = TestDb::new()?;
        let keys = PiiKeys::generate();
        let mut connection = db.app()?;
        let (report, _) = import::import_accounts_file(
            &mut connection,
            &keys,
            &actor(),
            &request(&path, false, true, None),
        )?;
        let c = &report.certificate;
        assert_eq!(c.counts.read as usize, expected.rows, "{}", path.display());
        assert_eq!(c.counts.new as usize, expected.valid, "{}", path.display());
        assert_eq!(c.file_balance, expected.balance_sum, "{}", path.display());
        assert_eq!(c.file_arrears, expected.arrears_sum, "{}", path.display());
        assert!(c.balanced());
    }
    Ok(())
}

#[test]
fn bombs_and_absurd_sheets_are_refused_before_parsing() -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let bomb = work.path().join("bomb.xlsx");
    ledger_fixtures::zip_bomb_xlsx(&bomb)?;
    let outcome = source::read_sheet(&bomb, None, &source::Limits::default());
    assert!(
        matches!(
            outcome,
            Err(source::SourceError::ZipRatio { .. } | source::SourceError::ZipBomb { .. })
        ),
        "{outcome:?}"
    );
    let huge = work.path().join("huge.xlsx");
    ledger_fixtures::huge_dimension_xlsx(&huge)?;
    let outcome = source::read_sheet(&huge, None, &source::Limits::default());
    assert!(
        matches!(outcome, Err(source::SourceError::Dimensions { .. })),
        "{outcome:?}"
    );
    let big = source::Limits {
        max_file_bytes: 100,
        ..source::Limits::default()
    };
    let small = ledger_fixtures::accounts_small_paths()[0].clone();
    assert!(matches!(
        source::read_sheet(&small, None, &big),
        Err(source::SourceError::TooLarge { .. })
    ));
    let text = work.path().join("notes.txt");
    std::fs::write(&text, "x")?;
    assert!(matches!(
        source::read_sheet(&text, None, &source::Limits::default()),
        Err(source::SourceError::Format(_))
    ));
    Ok(())
}

#[test]
fn a_cancelled_import_leaves_nothing() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    ledger_fixtures::messy_accounts_ledger(
        &path,
        &LedgerSpec {
            bad_every: 0,
            ..LedgerSpec::default()
        },
    )?;
    let cancel = AtomicBool::new(false);
    // The user presses cancel while the merge runs.
    let progress = |p: import::Progress| {
        if p.phase == import::Phase::Merging && p.done >= 3 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, false, false, None);
    run.progress = Some(&progress);
    run.cancel = Some(&cancel);
    let outcome = import::import_accounts_file(&mut db.app()?, &keys, &actor(), &run);
    assert!(
        matches!(
            outcome,
            Err(import::FileImportError::Import(
                import::accounts::ImportError::Cancelled
            ))
        ),
        "{:?}",
        outcome.err()
    );
    for table in [
        "accounts",
        "customers",
        "meters",
        "ledger_transactions",
        "imports",
        "import_staging_accounts",
    ] {
        assert_eq!(
            count(&db, &format!("SELECT count(*) AS count FROM {table}"))?,
            0,
            "{table}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn back_office_imports_through_the_api_with_progress() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    server
        .create_user("wangfang", "王芳", "cashier-pass-1", &[Role::Cashier])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let cashier = server.login("wangfang", "cashier-pass-1").await?;
    let mut client = ImportServiceClient::new(server.channel().await?)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    let path = ledger_fixtures::accounts_small_paths()[1].clone();
    let expected = ledger_fixtures::accounts_small_expected();
    let bytes = std::fs::read(&path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chunks: Vec<pb::FileChunk> = bytes
        .chunks(1000)
        .enumerate()
        .map(|(i, data)| pb::FileChunk {
            file_name: if i == 0 {
                file_name.clone()
            } else {
                String::new()
            },
            data: data.to_vec(),
        })
        .collect();
    let denied = client
        .upload_import_file(authed(tokio_stream::iter(chunks.clone()), &cashier))
        .await
        .err();
    assert_eq!(
        denied.map(|s| s.code()),
        Some(tonic::Code::PermissionDenied)
    );
    let uploaded = client
        .upload_import_file(authed(tokio_stream::iter(chunks), &token))
        .await?
        .into_inner();
    assert_eq!(uploaded.size_bytes as usize, bytes.len());
    assert!(!uploaded.sheets.is_empty());
    let inspected = client
        .inspect_import_file(authed(
            pb::InspectImportFileRequest {
                upload_id: uploaded.upload_id,
                kind: pb::ImportKind::Accounts as i32,
                sheet: String::new(),
            },
            &token,
        ))
        .await?
        .into_inner();
    assert_eq!(inspected.header_row as u32, expected.header_row);
    assert!(
        inspected
            .fields
            .iter()
            .any(|f| f.field == "meter_no" && !f.header.is_empty())
    );

    let run = |dry_run: bool, partial: bool| pb::RunImportRequest {
        upload_id: uploaded.upload_id,
        kind: pb::ImportKind::Accounts as i32,
        dry_run,
        partial,
        ..Default::default()
    };
    let mut stream = client
        .run_import(authed(run(false, false), &token))
        .await?
        .into_inner();
    let mut phases = Vec::new();
    let mut report = None;
    while let Some(event) = stream.message().await? {
        match event.event {
            Some(pb::run_import_event::Event::Progress(p)) => phases.push(p.phase),
            Some(pb::run_import_event::Event::Report(r)) => report = Some(r),
            None => {}
        }
    }
    let refused = report.unwrap_or_default();
    assert!(
        refused.refused,
        "an invalid row refuses the whole file by default"
    );
    assert!(!refused.error_file.is_empty(), "with the error file");
    assert!(phases.contains(&"validating".to_owned()));

    let mut stream = client
        .run_import(authed(run(false, true), &token))
        .await?
        .into_inner();
    let mut report = None;
    while let Some(event) = stream.message().await? {
        if let Some(pb::run_import_event::Event::Report(r)) = event.event {
            report = Some(r);
        }
    }
    let done = report.unwrap_or_default();
    assert_eq!(done.rows_new as usize, expected.valid);
    assert!(done.balanced);
    assert_eq!(done.file_arrears, expected.arrears_sum.to_string());

    let template = client
        .get_import_template(authed(
            pb::GetImportTemplateRequest {
                kind: pb::ImportKind::Accounts as i32,
            },
            &token,
        ))
        .await?
        .into_inner();
    assert!(template.file_name.ends_with(".xlsx"));
    let work = tempfile::tempdir()?;
    let template_path = work.path().join("t.xlsx");
    std::fs::write(&template_path, &template.data)?;
    let sheet = source::read_sheet(&template_path, None, &source::Limits::default())?;
    let header: Vec<String> = sheet.rows[0].1.iter().map(source::Cell::display).collect();
    assert!(
        header.contains(&"*户号".to_owned()) && header.contains(&"表类型".to_owned())
            || header.contains(&"*表类型".to_owned()),
        "{header:?}"
    );
    server.shutdown().await
}

#[test]
fn formula_looking_values_stay_inert_text_in_error_files_and_exports() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("ledger.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["户号", "户名", "联系电话", "用气地址", "表号", "表类型"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    let rows = [
        [
            "8001",
            "=1+2",
            "13900008001",
            "=HYPERLINK(\"http://evil\",\"点我\")",
            "M8001",
            "机械表",
        ],
        [
            "8002",
            "=SUM(A1:A9)",
            "13900008002",
            "阳光花园8002号",
            "M8002",
            "水表",
        ],
    ];
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(index as u32 + 1, column as u16, *value)?;
        }
    }
    workbook.save(&path)?;
    let errors_path = work.path().join("errors.xlsx");
    let mut connection = db.app()?;
    let (report, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, true, Some(&errors_path)),
    )?;
    assert_eq!(
        (
            report.certificate.counts.new,
            report.certificate.counts.invalid
        ),
        (1, 1)
    );
    let errors = source::read_sheet(&errors_path, None, &source::Limits::default())?;
    assert_eq!(
        errors.rows[1].1.get(1),
        Some(&source::Cell::Text("=SUM(A1:A9)".to_owned()))
    );
    let exported = work.path().join("export.xlsx");
    gascis_server::export::accounts(&mut connection, &exported)?;
    let back = source::read_sheet(&exported, None, &source::Limits::default())?;
    let cells: Vec<String> = back.rows[1].1.iter().map(source::Cell::display).collect();
    assert!(cells.contains(&"=1+2".to_owned()), "{cells:?}");
    assert!(
        cells.contains(&"=HYPERLINK(\"http://evil\",\"点我\")".to_owned()),
        "{cells:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn mappings_are_saved_by_name_and_reused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ImportServiceClient::new(server.channel().await?);
    let mapping: std::collections::HashMap<String, String> = [
        ("account_no", "＊用户编号"),
        ("customer_name", "客户名称"),
        ("id_number", "身份证号"),
        ("phone", "＊联系电话（必填）"),
        ("address", "安装地址"),
        ("meter_no", "表具编号【必填】"),
        ("meter_type", "表具类型"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let save = |name: &str, mapping: std::collections::HashMap<String, String>| {
        pb::SaveImportMappingRequest {
            name: name.to_owned(),
            kind: pb::ImportKind::Accounts as i32,
            mapping,
        }
    };
    let saved = client
        .save_import_mapping(authed(save("老系统台账", mapping.clone()), &token))
        .await?
        .into_inner();
    assert_eq!(saved.updated_by, "zhangmin");
    let mut bad = mapping.clone();
    bad.insert("no_such_field".into(), "x".into());
    let refused = client
        .save_import_mapping(authed(save("坏映射", bad), &token))
        .await
        .err();
    assert_eq!(
        refused.map(|s| s.code()),
        Some(tonic::Code::InvalidArgument)
    );
    let listed = client
        .list_import_mappings(authed(
            pb::ListImportMappingsRequest {
                kind: pb::ImportKind::Accounts as i32,
            },
            &token,
        ))
        .await?
        .into_inner()
        .mappings;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].mapping, mapping);

    // The saved mapping reads the fixture like automatic recognition does.
    let fields: import::accounts::Mapping = listed[0].mapping.clone().into_iter().collect();
    let db = server.db.clone();
    let keys = server.pii.clone();
    let path = ledger_fixtures::accounts_small_paths()[0].clone();
    let report =
        tokio::task::spawn_blocking(move || -> anyhow::Result<import::accounts::Report> {
            let mut run = request(&path, true, false, None);
            run.mapping = Some(&fields);
            Ok(import::import_accounts_file(&mut db.app()?, &keys, &actor(), &run)?.0)
        })
        .await??;
    let expected = ledger_fixtures::accounts_small_expected();
    assert_eq!(report.certificate.counts.new as usize, expected.valid);

    client
        .delete_import_mapping(authed(
            pb::DeleteImportMappingRequest {
                name: "老系统台账".into(),
            },
            &token,
        ))
        .await?;
    let gone = client
        .delete_import_mapping(authed(
            pb::DeleteImportMappingRequest {
                name: "老系统台账".into(),
            },
            &token,
        ))
        .await
        .err();
    assert_eq!(gone.map(|s| s.code()), Some(tonic::Code::NotFound));
    server.shutdown().await
}

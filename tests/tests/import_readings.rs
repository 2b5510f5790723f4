//! Import of meter-reading histories end to end: the messy readings
//! ledger against the accounts imported from its accounts ledger, dry run
//! against commit, the consumption certificate, idempotent re-import, the
//! error file read back, the checks only the database can make, and
//! history that neither fills the anomaly queue nor is billed again.

use chrono::NaiveDate;
use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Role,
    proto::v1::{self as pb, import_service_client::ImportServiceClient},
};
use gascis_server::{
    billing::{
        readings::{self, NewReading, Rules, Source},
        run::{self, Period, Scope, Settings},
        tariffs,
    },
    import::{self, FileImport, Policy, source},
    pii::PiiKeys,
};
use gascis_testkit::{
    TestDb, TestServer, authed,
    ledger_fixtures::{self, LedgerSpec},
};
use rust_decimal::Decimal;

use gascis_testkit::import_support::{count, importer as actor};

fn request<'a>(
    path: &'a std::path::Path,
    dry_run: bool,
    partial: bool,
    errors: Option<&'a std::path::Path>,
) -> FileImport<'a> {
    gascis_testkit::import_support::file_import(path, Policy::Fail, dry_run, partial, errors)
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Reading {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_no: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    read_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    value: Decimal,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
    consumption: Option<Decimal>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    source: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    import_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    import_row: Option<i32>,
}

fn all_readings(connection: &mut PgConnection) -> anyhow::Result<Vec<Reading>> {
    Ok(sql_query(
        "SELECT a.account_no, r.read_on, r.value, r.consumption, r.status, r.source, r.import_id, \
                r.import_row \
         FROM meter_readings r JOIN accounts a ON a.id = r.account_id ORDER BY r.id",
    )
    .load(connection)?)
}

#[test]
fn a_messy_readings_history_is_imported_once_and_never_billed_again() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let mut connection = db.app()?;

    // The accounts first, as the accounts import takes them.
    let accounts_path = work.path().join("台账.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(&accounts_path, &LedgerSpec::default())?;
    let mut accounts_request = request(&accounts_path, false, true, None);
    accounts_request.policy = Policy::Update;
    let (done, _) =
        import::import_accounts_file(&mut connection, &keys, &actor(), &accounts_request)?;
    assert_eq!(done.certificate.counts.new as usize, accounts.valid);

    // Several months of history per account, three blocks of bad rows.
    let path = work.path().join("抄表记录.xlsx");
    let spec = LedgerSpec {
        rows: 150,
        ..LedgerSpec::default()
    };
    let expected = ledger_fixtures::readings_ledger(&path, &spec, &accounts)?;
    assert!(expected.cases.contains_key("account_no:number"));
    assert!(expected.cases.contains_key("read_on:serial_number"));
    assert!(expected.cases.contains_key("reading:text_thousands"));
    assert!(expected.cases.contains_key("meter_no:full_width"));

    // Dry run: every bad row named with its field, nothing written.
    let (dry, prepared) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&path, true, false, None),
    )?;
    assert_eq!(prepared.header_row, ledger_fixtures::HEADER_ROW);
    assert_eq!(prepared.columns, expected.columns);
    let counts = dry.certificate.counts.clone();
    assert_eq!(counts.read as usize, expected.rows);
    assert_eq!(counts.new as usize, expected.valid, "{:#?}", dry.errors);
    assert_eq!(counts.unchanged, 0);
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
    assert!(!dry.preview.is_empty());
    assert!(dry.certificate.consumption_file > Decimal::ZERO);
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM meter_readings"
        )?,
        0
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM imports WHERE kind = 'readings'"
        )?,
        0
    );

    // All or nothing by default; the error file holds exactly the bad rows.
    let errors_path = work.path().join("errors.xlsx");
    let refused = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&path, false, false, Some(&errors_path)),
    );
    assert!(
        matches!(refused, Err(import::FileImportError::Import(import::accounts::ImportError::Invalid { rows, .. })) if rows as usize == expected.invalid.len())
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM meter_readings"
        )?,
        0
    );
    let back = source::read_sheet(&errors_path, None, &source::Limits::default())?;
    assert_eq!(back.rows.len(), 1 + expected.invalid.len());
    let header: Vec<String> = back.rows[0].1.iter().map(source::Cell::display).collect();
    let reasons = header
        .iter()
        .position(|h| h == "错误原因")
        .ok_or_else(|| anyhow::anyhow!("no 错误原因 column in {header:?}"))?;
    for (_, cells) in back.rows.iter().skip(1) {
        let reason = cells.get(reasons).map(source::Cell::display);
        assert!(reason.is_some_and(|r| !r.is_empty()), "{cells:?}");
    }
    // The error file imports as it is, with the same refusals.
    let (again, _) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&errors_path, true, false, None),
    )?;
    assert_eq!(
        (
            again.certificate.counts.new,
            again.certificate.counts.invalid as usize
        ),
        (0, expected.invalid.len())
    );

    // The valid rows with --partial: the dry run's counts, reconciled.
    let (committed, _) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&path, false, true, None),
    )?;
    assert_eq!(committed.certificate.counts, counts);
    assert!(
        committed.certificate.balanced(),
        "{:?}",
        committed.certificate
    );
    assert_eq!(
        committed.certificate.consumption_file,
        dry.certificate.consumption_file
    );
    let stored = all_readings(&mut connection)?;
    assert_eq!(stored.len(), expected.valid);
    let import_id = committed.certificate.import_id;
    for reading in &stored {
        assert_eq!(
            (reading.status.as_str(), reading.source.as_str()),
            ("valid", "import"),
            "{reading:?}"
        );
        assert_eq!(reading.import_id, Some(import_id));
        assert!(
            reading
                .import_row
                .is_some_and(|row| row > ledger_fixtures::HEADER_ROW as i32)
        );
        assert!(expected.valid_accounts.contains(&reading.account_no));
    }
    assert_eq!(
        stored.iter().filter_map(|r| r.consumption).sum::<Decimal>(),
        committed.certificate.consumption_db
    );
    // History fills no review queue.
    assert!(readings::queue(&mut connection, 100)?.is_empty());
    assert_eq!(
        count(
            &mut connection,
            &format!(
                "SELECT count(*) AS count FROM imports WHERE id = {import_id} AND kind = 'readings' \
                 AND status = 'committed' AND rows_new = {} AND rows_rejected = {}",
                expected.valid,
                expected.invalid.len()
            )
        )?,
        1
    );

    // The same file again changes nothing.
    let (repeat, _) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&path, false, true, None),
    )?;
    let c = &repeat.certificate.counts;
    assert_eq!(
        (c.new, c.unchanged as usize, c.invalid as usize),
        (0, expected.valid, expected.invalid.len())
    );
    assert_eq!(repeat.certificate.consumption_db, Decimal::ZERO);
    assert_eq!(all_readings(&mut connection)?, stored);

    // Billing: the imported history was billed in the old system.
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let settings = Settings {
        chunk_size: 10,
        ..Settings::default()
    };
    let bill_run = |connection: &mut PgConnection, period: &str| -> anyhow::Result<()> {
        let run = run::start(
            connection,
            &actor(),
            Period::parse(period)?,
            &Scope::All,
            false,
            &settings,
        )?;
        run::work(connection, &actor(), run.id, "test", &settings, &|_| {})?;
        Ok(())
    };
    bill_run(&mut connection, "2021-03")?;
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS count FROM bills")?,
        0,
        "no bill for imported history"
    );
    // The newest imported reading of a billed (residential, mechanical
    // meter) account, and a manual one after it.
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        value: Decimal,
        #[diesel(sql_type = diesel::sql_types::Date)]
        read_on: NaiveDate,
    }
    let last: Last = sql_query(
        "SELECT DISTINCT ON (r.account_id) r.account_id, r.value, r.read_on FROM meter_readings r \
         JOIN accounts a ON a.id = r.account_id JOIN customers c ON c.id = a.customer_id \
         JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical' \
         WHERE c.customer_type = 'residential' AND a.opened_on < '2021-01-01' \
         ORDER BY r.account_id, r.read_on DESC LIMIT 1",
    )
    .get_result(&mut connection)?;
    // A month later, a month's use: no anomaly against the imported history.
    let read_on = last.read_on + chrono::Duration::days(30);
    let manual = readings::record(
        &mut connection,
        &actor(),
        &Rules::default(),
        &NewReading {
            account_id: last.account_id,
            value: last.value + d("30"),
            read_at: import::readings::read_at(read_on),
            source: Source::Manual,
            idempotency_key: None,
        },
    )?;
    assert_eq!(manual.consumption, Some(d("30")));
    assert_eq!(manual.status, "valid", "{manual:?}");
    bill_run(&mut connection, &read_on.format("%Y-%m").to_string())?;
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Bill {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        volume: Decimal,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
        previous_value: Option<Decimal>,
    }
    let bills: Vec<Bill> =
        sql_query("SELECT account_id, volume, previous_value FROM bills").load(&mut connection)?;
    assert_eq!(
        bills,
        [Bill {
            account_id: last.account_id,
            volume: d("30"),
            previous_value: Some(last.value),
        }]
    );
    Ok(())
}

/// A plain readings sheet: 户号, 表号, 抄表日期, 本次读数.
fn readings_sheet(path: &std::path::Path, rows: &[[&str; 4]]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["户号", "表号", "抄表日期", "本次读数"].iter().enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(index as u32 + 1, column as u16, *value)?;
            }
        }
    }
    workbook.save(path)?;
    Ok(())
}

/// Accounts 0001, 0002 and 0003 with meters M0001…M0003 read from 0.
fn three_accounts(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let path = dir.join("accounts.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in [
        "户号",
        "户名",
        "联系电话",
        "用气地址",
        "表号",
        "表类型",
        "开户日期",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    for (index, account_no) in ["0001", "0002", "0003"].iter().enumerate() {
        let row = index as u32 + 1;
        sheet.write_string(row, 0, *account_no)?;
        sheet.write_string(row, 1, "张三")?;
        sheet.write_string(row, 2, format!("1390000{account_no}"))?;
        sheet.write_string(row, 3, format!("阳光花园{account_no}号"))?;
        sheet.write_string(row, 4, format!("M{account_no}"))?;
        sheet.write_string(row, 5, "机械表")?;
        sheet.write_string(row, 6, "2020-01-01")?;
    }
    workbook.save(&path)?;
    let mut accounts = request(&path, false, false, None);
    accounts.policy = Policy::Update;
    let (done, _) = import::import_accounts_file(connection, keys, &actor(), &accounts)?;
    anyhow::ensure!(done.certificate.counts.new == 3, "{:?}", done.errors);
    Ok(())
}

#[test]
fn the_database_refuses_what_the_file_alone_cannot_show() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let mut connection = db.app()?;
    three_accounts(&mut connection, &keys, work.path())?;
    sql_query(
        "UPDATE accounts SET status = 'closed', closed_on = '2022-12-31' WHERE account_no = '0003'",
    )
    .execute(&mut db.owner()?)?;

    let path = work.path().join("readings.xlsx");
    readings_sheet(
        &path,
        &[
            ["0001", "M0001", "2022-01-10", "100"],
            ["0001", "", "2022-02-10", "150"],
            ["0001", "M0002", "2022-03-10", "200"],
            ["0001", "", "2022-02-10", "160"],
            ["0002", "m0002", "2022/01/10", "500.5"],
            ["0002", "", "2022年2月10日", "400"],
            ["0003", "", "2022-01-10", "10"],
            ["0009", "", "2022-01-10", "10"],
            ["0002", "", "2022-03-10", "12.3456"],
        ],
    )?;
    let (dry, _) =
        import::import_readings_file(&mut connection, &actor(), &request(&path, true, true, None))?;
    let problems: Vec<(u32, &str)> = dry
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (4, "meter_no"),
            (5, "read_on"),
            (7, "reading"),
            (8, "account_no"),
            (9, "account_no"),
            (10, "reading"),
        ],
        "{:#?}",
        dry.errors
    );
    assert!(
        dry.errors[2]
            .reason
            .contains("lower than the previous reading"),
        "{:?}",
        dry.errors[2]
    );
    assert!(dry.errors[3].reason.contains("closed"));
    assert!(dry.errors[4].reason.contains("unknown account"));
    let (committed, _) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&path, false, true, None),
    )?;
    assert_eq!(committed.certificate.counts, dry.certificate.counts);
    assert_eq!(
        (
            committed.certificate.counts.new,
            committed.certificate.counts.invalid
        ),
        (3, 6)
    );
    assert_eq!(committed.certificate.consumption_file, d("650.5"));
    assert_eq!(committed.certificate.consumption_db, d("650.5"));
    assert!(readings::queue(&mut connection, 10)?.is_empty());

    // A cancel rolls everything back.
    let later = work.path().join("later.xlsx");
    readings_sheet(&later, &[["0001", "", "2022-05-10", "260"]])?;
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let mut cancelled = request(&later, false, true, None);
    cancelled.cancel = Some(&cancel);
    assert!(matches!(
        import::import_readings_file(&mut connection, &actor(), &cancelled),
        Err(import::FileImportError::Import(
            import::accounts::ImportError::Cancelled
        ))
    ));
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM meter_readings"
        )?,
        3
    );

    // A later file: the same reading again, an earlier date, a different
    // value on an imported date, and one new reading.
    let later = work.path().join("later.xlsx");
    readings_sheet(
        &later,
        &[
            ["0001", "", "2022-02-10", "150"],
            ["0001", "", "2022-01-05", "90"],
            ["0002", "", "2022-01-10", "510"],
            ["0001", "M0001", "2022-04-10", "210"],
        ],
    )?;
    let (next, _) = import::import_readings_file(
        &mut connection,
        &actor(),
        &request(&later, false, true, None),
    )?;
    let c = &next.certificate.counts;
    assert_eq!(
        (c.new, c.unchanged, c.invalid),
        (1, 1, 2),
        "{:#?}",
        next.errors
    );
    let problems: Vec<(u32, &str)> = next
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(problems, [(3, "read_on"), (4, "reading")]);
    assert_eq!(next.certificate.consumption_db, d("60"));
    assert!(next.certificate.balanced());
    Ok(())
}

/// Uploads a file and runs it; returns the progress phases and the report.
async fn upload_and_run(
    client: &mut ImportServiceClient<tonic::transport::Channel>,
    token: &str,
    path: &std::path::Path,
    kind: pb::ImportKind,
) -> anyhow::Result<(Vec<String>, pb::ImportReport)> {
    let bytes = std::fs::read(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chunks: Vec<pb::FileChunk> = bytes
        .chunks(4000)
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
    let uploaded = client
        .upload_import_file(authed(tokio_stream::iter(chunks), token))
        .await?
        .into_inner();
    let mut stream = client
        .run_import(authed(
            pb::RunImportRequest {
                upload_id: uploaded.upload_id,
                kind: kind as i32,
                dry_run: false,
                partial: true,
                ..Default::default()
            },
            token,
        ))
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
    Ok((phases, report.ok_or_else(|| anyhow::anyhow!("no report"))?))
}

#[tokio::test(flavor = "multi_thread")]
async fn back_office_imports_readings_through_the_api() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ImportServiceClient::new(server.channel().await?)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    let work = tempfile::tempdir()?;
    let accounts_path = work.path().join("台账.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(&accounts_path, &LedgerSpec::default())?;
    let (_, done) = upload_and_run(
        &mut client,
        &token,
        &accounts_path,
        pb::ImportKind::Accounts,
    )
    .await?;
    assert_eq!(done.rows_new as usize, accounts.valid);
    let path = work.path().join("抄表记录.xlsx");
    let expected = ledger_fixtures::readings_ledger(&path, &LedgerSpec::default(), &accounts)?;

    let (phases, report) =
        upload_and_run(&mut client, &token, &path, pb::ImportKind::Readings).await?;
    assert!(phases.contains(&"validating".to_owned()), "{phases:?}");
    assert!(phases.contains(&"writing".to_owned()), "{phases:?}");
    assert!(!report.dry_run && !report.refused);
    assert!(report.import_id > 0);
    assert_eq!(report.rows_read as usize, expected.rows);
    assert_eq!(report.rows_new as usize, expected.valid);
    assert_eq!(report.rows_invalid as usize, expected.invalid.len());
    assert_eq!(report.errors.len(), expected.invalid.len());
    assert!(report.balanced);
    assert!(!report.error_file.is_empty());
    assert!(report.preview.iter().all(|p| p.outcome == "new"));
    // Fields of the accounts import stay empty.
    assert_eq!(
        [
            &report.file_balance,
            &report.file_arrears,
            &report.db_balance,
            &report.db_arrears
        ],
        [""; 4]
    );
    // The consumption certificate, m³ to the litre.
    assert!(
        report
            .consumption_file
            .ends_with(|c: char| c.is_ascii_digit())
    );
    assert_eq!(
        report.consumption_file.split('.').nth(1).map(str::len),
        Some(3)
    );
    assert_eq!(report.consumption_db, report.consumption_file);
    assert_eq!([&report.amount_file, &report.amount_db], [""; 2]);
    let (_, again) = upload_and_run(&mut client, &token, &path, pb::ImportKind::Readings).await?;
    assert_eq!(
        (again.rows_new, again.rows_unchanged as usize),
        (0, expected.valid)
    );
    server.shutdown().await
}

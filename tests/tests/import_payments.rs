//! Import of payments histories end to end: the messy payments ledger
//! against the accounts imported from its accounts ledger, dry run against
//! commit, the amount certificate to the fen, idempotent re-import, the
//! error file read back, the checks only the database can make, and a
//! history that moves no balance (the accounts' opening balances already
//! hold what these payments did).

use chrono::NaiveDate;
use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Role,
    proto::v1::{
        self as pb, counter_service_client::CounterServiceClient,
        import_service_client::ImportServiceClient,
    },
};
use gascis_server::{
    import::{self, FileImport, Policy, source},
    ledger,
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
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_no: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    paid_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    amount: Decimal,
    #[diesel(sql_type = diesel::sql_types::Text)]
    channel: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    receipt_no: String,
    #[diesel(sql_type = BigInt)]
    import_id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    import_row: i32,
}

fn stored(connection: &mut PgConnection) -> anyhow::Result<Vec<Stored>> {
    Ok(sql_query(
        "SELECT a.account_no, p.paid_on, p.amount, p.channel, p.receipt_no, p.import_id, \
                p.import_row \
         FROM imported_payments p JOIN accounts a ON a.id = p.account_id ORDER BY p.id",
    )
    .load(connection)?)
}

/// Everything the ledger says about the accounts: lines, their sum, and
/// every cached balance.
#[derive(QueryableByName, Debug, PartialEq)]
struct LedgerState {
    #[diesel(sql_type = BigInt)]
    transactions: i64,
    #[diesel(sql_type = BigInt)]
    lines: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    balances: String,
}

fn ledger_state(connection: &mut PgConnection) -> anyhow::Result<LedgerState> {
    Ok(sql_query(
        "SELECT (SELECT count(*) FROM ledger_transactions) AS transactions, \
                (SELECT count(*) FROM ledger_lines) AS lines, \
                (SELECT coalesce(string_agg(account_id || '/' || book || '=' || balance, ',' \
                    ORDER BY account_id, book), '') FROM account_balances) AS balances",
    )
    .get_result(connection)?)
}

#[test]
fn a_messy_payments_history_is_imported_once_and_moves_no_balance() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let mut connection = db.app()?;

    // The accounts first, with their opening arrears and prepayments.
    let accounts_path = work.path().join("台账.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(&accounts_path, &LedgerSpec::default())?;
    let mut accounts_request = request(&accounts_path, false, true, None);
    accounts_request.policy = Policy::Update;
    let (done, _) =
        import::import_accounts_file(&mut connection, &keys, &actor(), &accounts_request)?;
    assert_eq!(done.certificate.counts.new as usize, accounts.valid);
    let before = ledger_state(&mut connection)?;
    assert!(before.lines > 0, "the opening balances are posted");

    // Title rows, serial dates, text and full-width amounts, a duplicate
    // receipt, an unknown account, bad amounts, an impossible date.
    let path = work.path().join("收费记录.xlsx");
    let spec = LedgerSpec {
        rows: 150,
        ..LedgerSpec::default()
    };
    let expected = ledger_fixtures::payments_ledger(&path, &spec, &accounts)?;
    for case in [
        "account_no:number",
        "account_no:full_width",
        "paid_on:serial_number",
        "paid_on:text_chinese",
        "amount:text_thousands",
        "amount:text_full_width",
        "amount:text_yuan_suffix",
    ] {
        assert!(expected.cases.contains_key(case), "{case}");
    }

    // Dry run: every bad row named with its field, nothing written.
    let (dry, prepared) = import::import_payments_file(
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
    // The file's sum of the valid rows, to the fen.
    assert_eq!(dry.certificate.amount_file, expected.amount_sum);
    assert!(!dry.preview.is_empty());
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM imported_payments"
        )?,
        0
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM imports WHERE kind = 'payments'"
        )?,
        0
    );

    // All or nothing by default; the error file holds exactly the bad rows.
    let errors_path = work.path().join("errors.xlsx");
    let refused = import::import_payments_file(
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
            "SELECT count(*) AS count FROM imported_payments"
        )?,
        0
    );
    // Read back with calamine (through the importer's own reader).
    let back = source::read_sheet(&errors_path, None, &source::Limits::default())?;
    assert_eq!(back.rows.len(), 1 + expected.invalid.len());
    let header: Vec<String> = back.rows[0].1.iter().map(source::Cell::display).collect();
    let position = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow::anyhow!("no {name} column in {header:?}"))
    };
    let (rows_column, fields_column, reasons_column) = (
        position("错误行号(原)")?,
        position("错误字段")?,
        position("错误原因")?,
    );
    for ((_, cells), bad) in back.rows.iter().skip(1).zip(&expected.invalid) {
        let shown = |column: usize| cells.get(column).map(source::Cell::display);
        assert_eq!(shown(rows_column), Some(bad.row.to_string()), "{cells:?}");
        assert!(
            shown(fields_column).is_some_and(|f| f.contains(bad.field)),
            "{cells:?}"
        );
        assert!(shown(reasons_column).is_some_and(|r| !r.is_empty()));
    }

    // The valid rows with --partial: the dry run's counts, reconciled.
    let (committed, _) = import::import_payments_file(
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
    assert_eq!(committed.certificate.amount_file, expected.amount_sum);
    assert_eq!(committed.certificate.amount_db, expected.amount_sum);
    let rows = stored(&mut connection)?;
    assert_eq!(rows.len(), expected.valid);
    let import_id = committed.certificate.import_id;
    for payment in &rows {
        assert_eq!(payment.import_id, import_id);
        assert!(payment.import_row > ledger_fixtures::HEADER_ROW as i32);
        assert!(expected.valid_accounts.contains(&payment.account_no));
        assert!(
            ["cash", "wechat", "alipay", "bank_card"].contains(&payment.channel.as_str()),
            "{payment:?}"
        );
        assert!(payment.receipt_no.starts_with("SF"), "{payment:?}");
        assert_eq!(payment.amount.scale(), 2);
    }
    assert_eq!(
        rows.iter().map(|p| p.amount).sum::<Decimal>(),
        expected.amount_sum
    );
    assert_eq!(
        count(
            &mut connection,
            &format!(
                "SELECT count(*) AS count FROM imports WHERE id = {import_id} AND kind = 'payments' \
                 AND status = 'committed' AND rows_new = {} AND rows_rejected = {}",
                expected.valid,
                expected.invalid.len()
            )
        )?,
        1
    );

    // The error file imports as it is, with the same refusals (a repeated
    // receipt now meets the payment imported under it).
    let (again, _) = import::import_payments_file(
        &mut connection,
        &actor(),
        &request(&errors_path, true, false, None),
    )?;
    assert_eq!(
        (
            again.certificate.counts.new,
            again.certificate.counts.invalid as usize
        ),
        (0, expected.invalid.len()),
        "{:#?}",
        again.errors
    );
    assert!(
        again
            .errors
            .iter()
            .filter(|e| e.field == "receipt_no")
            .all(|e| e.reason.contains("imported before")),
        "{:#?}",
        again.errors
    );

    // History only: no ledger line, no cached balance moved; the ledger's
    // invariants still hold.
    assert_eq!(ledger_state(&mut connection)?, before);
    let findings = ledger::check::run(&mut connection)?;
    assert!(findings.iter().all(|f| f.passed()), "{findings:#?}");

    // The same file again changes nothing.
    let (repeat, _) = import::import_payments_file(
        &mut connection,
        &actor(),
        &request(&path, false, true, None),
    )?;
    let c = &repeat.certificate.counts;
    assert_eq!(
        (c.new, c.unchanged as usize, c.invalid as usize),
        (0, expected.valid, expected.invalid.len())
    );
    assert_eq!(repeat.certificate.amount_db, Decimal::ZERO);
    assert!(repeat.certificate.balanced());
    assert_eq!(stored(&mut connection)?, rows);
    assert_eq!(ledger_state(&mut connection)?, before);

    // The history is append-only, even for the schema owner.
    let rewrite =
        sql_query("UPDATE imported_payments SET amount = amount + 1").execute(&mut db.owner()?);
    assert!(rewrite.is_err(), "imported payments cannot be rewritten");
    Ok(())
}

/// A plain payments sheet: 户号, 缴费日期, 金额, 缴费方式, 票据号.
fn payments_sheet(path: &std::path::Path, rows: &[[&str; 5]]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["户号", "缴费日期", "金额", "缴费方式", "票据号"]
        .iter()
        .enumerate()
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

/// Accounts 0001, 0002 and 0003, 0002 with arrears of 80.00.
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
        "欠费",
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
        sheet.write_string(row, 7, if *account_no == "0002" { "80" } else { "0" })?;
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

    let path = work.path().join("payments.xlsx");
    payments_sheet(
        &path,
        &[
            ["0001", "2022-01-10", "100", "现金", "R1"],
            ["0001", "2022-02-10", "50.5", "网上缴费", ""],
            ["0001", "2022-02-10", "50.5", "网上缴费", ""],
            ["0002", "2022/01/10", "80", "银行代收", "R2"],
            ["0003", "2022-01-10", "10", "现金", "R3"],
            ["0009", "2022-01-10", "10", "现金", "R4"],
            ["0002", "2099-01-10", "10", "现金", "R5"],
            ["0002", "2022-03-10", "0", "现金", "R6"],
            ["0002", "2022-03-10", "-20", "现金", "R7"],
            ["0002", "2022-03-10", "20", "支票", "R8"],
            ["0002", "2022-03-10", "20", "", "r1"],
            ["0002", "2022-03-11", "20", "其他", ""],
        ],
    )?;
    let (dry, _) =
        import::import_payments_file(&mut connection, &actor(), &request(&path, true, true, None))?;
    let problems: Vec<(u32, &str)> = dry
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (6, "account_no"),
            (7, "account_no"),
            (8, "paid_on"),
            (9, "amount"),
            (10, "amount"),
            (11, "channel"),
            (12, "receipt_no"),
        ],
        "{:#?}",
        dry.errors
    );
    assert!(dry.errors[0].reason.contains("closed"));
    assert!(dry.errors[1].reason.contains("unknown account"));
    assert!(dry.errors[2].reason.contains("future"));
    assert!(dry.errors[3].reason.contains("more than 0.00"));
    assert!(dry.errors[5].reason.contains("网上缴费"));
    assert!(dry.errors[6].reason.contains("duplicate of row 2"));
    let balances = ledger_state(&mut connection)?;
    let (committed, _) = import::import_payments_file(
        &mut connection,
        &actor(),
        &request(&path, false, true, None),
    )?;
    assert_eq!(committed.certificate.counts, dry.certificate.counts);
    let c = &committed.certificate;
    assert_eq!((c.counts.new, c.counts.invalid), (5, 7));
    assert_eq!(c.amount_file, d("301.00"));
    assert_eq!(c.amount_db, d("301.00"));
    // 0002's arrears of 80.00 from the accounts ledger stay as they were.
    assert_eq!(ledger_state(&mut connection)?, balances);

    // A cancel rolls everything back.
    let later = work.path().join("later.xlsx");
    payments_sheet(&later, &[["0001", "2022-05-10", "26", "现金", "R9"]])?;
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let mut cancelled = request(&later, false, true, None);
    cancelled.cancel = Some(&cancel);
    assert!(matches!(
        import::import_payments_file(&mut connection, &actor(), &cancelled),
        Err(import::FileImportError::Import(
            import::accounts::ImportError::Cancelled
        ))
    ));
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM imported_payments"
        )?,
        5
    );

    // A later file: a receipt again as it was, a receipt again with another
    // amount, the two unnumbered payments again plus a third equal one, and
    // a new one.
    payments_sheet(
        &later,
        &[
            ["0001", "2022-01-10", "100.00", "现金", "R1"],
            ["0002", "2022-01-10", "81", "银行代收", "R2"],
            ["0001", "2022-02-10", "50.50", "网上缴费", ""],
            ["0001", "2022-02-10", "50.50", "网上缴费", ""],
            ["0001", "2022-02-10", "50.50", "网上缴费", ""],
            ["0001", "2022-04-10", "12.34", "微信", "R10"],
        ],
    )?;
    let (next, _) = import::import_payments_file(
        &mut connection,
        &actor(),
        &request(&later, false, true, None),
    )?;
    let c = &next.certificate.counts;
    assert_eq!(
        (c.new, c.unchanged, c.invalid),
        (2, 3, 1),
        "{:#?}",
        next.errors
    );
    let problems: Vec<(u32, &str)> = next
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(problems, [(3, "receipt_no")]);
    assert!(next.errors[0].reason.contains("imported before"));
    assert_eq!(next.certificate.amount_db, d("62.84"));
    assert!(next.certificate.balanced());
    Ok(())
}

/// Uploads a file and runs it; returns the report.
async fn upload_and_run(
    client: &mut ImportServiceClient<tonic::transport::Channel>,
    token: &str,
    path: &std::path::Path,
    kind: pb::ImportKind,
    dry_run: bool,
) -> anyhow::Result<pb::ImportReport> {
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
                dry_run,
                partial: true,
                ..Default::default()
            },
            token,
        ))
        .await?
        .into_inner();
    let mut report = None;
    while let Some(event) = stream.message().await? {
        if let Some(pb::run_import_event::Event::Report(r)) = event.event {
            report = Some(r);
        }
    }
    report.ok_or_else(|| anyhow::anyhow!("no report"))
}

#[tokio::test(flavor = "multi_thread")]
async fn back_office_imports_payments_and_the_counter_lists_them_as_history() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let channel = server.channel().await?;
    let mut client = ImportServiceClient::new(channel.clone())
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024);
    let work = tempfile::tempdir()?;
    let accounts_path = work.path().join("台账.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(&accounts_path, &LedgerSpec::default())?;
    let done = upload_and_run(
        &mut client,
        &token,
        &accounts_path,
        pb::ImportKind::Accounts,
        false,
    )
    .await?;
    assert_eq!(done.rows_new as usize, accounts.valid);
    let path = work.path().join("收费记录.xlsx");
    let expected = ledger_fixtures::payments_ledger(&path, &LedgerSpec::default(), &accounts)?;

    let dry = upload_and_run(&mut client, &token, &path, pb::ImportKind::Payments, true).await?;
    assert!(dry.dry_run && !dry.refused);
    assert_eq!(dry.rows_new as usize, expected.valid);
    assert_eq!(dry.amount_file, expected.amount_sum.to_string());
    let report =
        upload_and_run(&mut client, &token, &path, pb::ImportKind::Payments, false).await?;
    assert!(!report.dry_run && !report.refused);
    assert!(report.import_id > 0);
    assert_eq!(report.rows_read as usize, expected.rows);
    assert_eq!(report.rows_new, dry.rows_new);
    assert_eq!(report.rows_invalid as usize, expected.invalid.len());
    assert_eq!(report.errors.len(), expected.invalid.len());
    assert!(report.balanced);
    assert_eq!(report.amount_file, expected.amount_sum.to_string());
    assert_eq!(report.amount_db, report.amount_file);
    assert!(!report.error_file.is_empty());
    // Fields of the other kinds stay empty.
    assert_eq!(
        [
            &report.file_balance,
            &report.db_balance,
            &report.consumption_file,
            &report.consumption_db
        ],
        [""; 4]
    );
    let again = upload_and_run(&mut client, &token, &path, pb::ImportKind::Payments, false).await?;
    assert_eq!(
        (again.rows_new, again.rows_unchanged as usize),
        (0, expected.valid)
    );

    // The counter shows an account's imported payments as 历史导入.
    let account_no = report
        .preview
        .first()
        .map(|p| p.account_no.clone())
        .ok_or_else(|| anyhow::anyhow!("no preview"))?;
    let mut connection = server.db.app()?;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let account_id = sql_query("SELECT id FROM accounts WHERE account_no = $1")
        .bind::<diesel::sql_types::Text, _>(&account_no)
        .get_result::<Id>(&mut connection)?
        .id;
    let imported = count(
        &mut connection,
        &format!("SELECT count(*) AS count FROM imported_payments WHERE account_id = {account_id}"),
    )?;
    assert!(imported > 0);
    server
        .create_user("wangfang", "王芳", "cashier-1", &[Role::Cashier])
        .await?;
    let cashier = server.login("wangfang", "cashier-1").await?;
    let listed = CounterServiceClient::new(channel)
        .list_payments(authed(
            pb::ListPaymentsRequest {
                account_id,
                ..Default::default()
            },
            &cashier,
        ))
        .await?
        .into_inner()
        .payments;
    let history: Vec<&pb::Payment> = listed.iter().filter(|p| p.status == "imported").collect();
    assert_eq!(history.len() as i64, imported, "{listed:#?}");
    for payment in history {
        assert_eq!(payment.account_no, account_no);
        assert!(payment.status_detail.contains("历史导入"), "{payment:?}");
        assert!(payment.payment_no.is_empty());
        assert!(payment.allocations.is_empty());
        assert!(d(&payment.amount) > Decimal::ZERO);
    }
    server.shutdown().await
}

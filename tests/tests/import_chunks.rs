//! Chunked, resumable commits of an accounts ledger: the same certificate
//! and the same archive as an all-or-nothing import, whole chunks only
//! after a cancel (between chunks or in the middle of one), a resume that
//! continues after the recorded position and writes no row twice, and a
//! finished file that changes nothing when imported again; the same for
//! payments histories, over gRPC too; readings histories in chunks of
//! whole accounts, resumed after the accounts committed.

use std::sync::atomic::{AtomicBool, Ordering};

use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::Text};
use gascis_server::{
    import::{self, FileImport, Policy, accounts::ImportError},
    pii::PiiKeys,
};
use gascis_testkit::{
    TestDb,
    import_support::{count, importer as actor},
    ledger_fixtures::{self, LedgerSpec},
};

/// An accounts ledger of `rows` records with no invalid row.
fn clean_ledger(path: &std::path::Path, rows: usize) -> anyhow::Result<ledger_fixtures::Expected> {
    ledger_fixtures::messy_accounts_ledger(
        path,
        &LedgerSpec {
            rows,
            bad_every: 0,
            ..LedgerSpec::default()
        },
    )
}

fn request(path: &std::path::Path, partial: bool, chunk_rows: Option<u32>) -> FileImport<'_> {
    FileImport {
        chunk_rows,
        ..gascis_testkit::import_support::file_import(path, Policy::Update, false, partial, None)
    }
}

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = Text)]
    text: String,
}

/// What the import wrote, by business key and without ids or import
/// numbers, one line per account: holder, premise, meter, card, contract,
/// household, the ledger by book and kind, the provenance's outcome.
fn archive(connection: &mut PgConnection) -> anyhow::Result<String> {
    let rows: Vec<Snapshot> = sql_query(
        "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line), '') AS text FROM ( \
           SELECT concat_ws(' | ', a.account_no, a.opened_on, a.status, c.name, c.party_kind, \
             c.customer_type, c.id_type, c.id_number_masked, encode(c.id_number_hash, 'hex'), \
             c.phone_masked, encode(c.phone_hash, 'hex'), p.address, m.meter_no, m.meter_type, \
             m.size, m.digits, m.initial_reading, m.installed_on, \
             (SELECT string_agg(k.card_no, ',') FROM ic_cards k WHERE k.account_id = a.id), \
             (SELECT string_agg(k.contract_no || ':' || k.gas_purpose, ',') FROM contracts k WHERE k.account_id = a.id), \
             (SELECT string_agg(h.household_size || '@' || h.effective_from, ',') FROM household_registrations h WHERE h.account_id = a.id), \
             (SELECT string_agg(t.kind || '@' || t.occurred_on || ':' || l.book || '=' || l.amount, ',' ORDER BY t.kind, l.book) \
                FROM ledger_transactions t JOIN ledger_lines l ON l.transaction_id = t.id WHERE t.account_id = a.id), \
             (SELECT string_agg(e.kind || '=' || e.reading, ',') FROM meter_events e WHERE e.account_id = a.id), \
             (SELECT string_agg(r.outcome, ',' ORDER BY r.id) FROM import_rows r WHERE r.account_id = a.id), \
             (SELECT count(*) FROM change_records r WHERE r.account_id = a.id)) AS line \
           FROM accounts a JOIN customers c ON c.id = a.customer_id JOIN premises p ON p.id = a.premise_id \
           JOIN meters m ON m.account_id = a.id) lines",
    )
    .load(connection)?;
    Ok(rows.into_iter().next().map(|r| r.text).unwrap_or_default())
}

#[derive(QueryableByName, Debug, PartialEq)]
struct ImportRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    chunk_rows: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    committed_through_row: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    chunks_done: i32,
}

fn imports(connection: &mut PgConnection) -> anyhow::Result<Vec<ImportRow>> {
    Ok(sql_query(
        "SELECT status, chunk_rows, committed_through_row, chunks_done FROM imports ORDER BY id",
    )
    .load(connection)?)
}

#[test]
fn a_chunked_import_gives_the_certificate_and_archive_of_an_all_or_nothing_one()
-> anyhow::Result<()> {
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    // A clean file, and the messy one (invalid rows, imported with the
    // partial option): 25 and 50 records in chunks of 10 and 7.
    for (spec, partial, chunk_rows) in [
        (
            LedgerSpec {
                rows: 25,
                bad_every: 0,
                ..LedgerSpec::default()
            },
            false,
            10,
        ),
        (LedgerSpec::default(), true, 7),
    ] {
        let path = work.path().join(format!("台账-{}.xlsx", spec.rows));
        let expected = ledger_fixtures::messy_accounts_ledger(&path, &spec)?;
        let whole_db = TestDb::new()?;
        let chunked_db = TestDb::new()?;
        let mut whole_connection = whole_db.app()?;
        let mut chunked_connection = chunked_db.app()?;
        let (whole, _) = import::import_accounts_file(
            &mut whole_connection,
            &keys,
            &actor(),
            &request(&path, partial, None),
        )?;
        let (chunked, prepared) = import::import_accounts_file(
            &mut chunked_connection,
            &keys,
            &actor(),
            &request(&path, partial, Some(chunk_rows)),
        )?;
        let (a, b) = (&whole.certificate, &chunked.certificate);
        assert_eq!(a.counts, b.counts, "{} rows", spec.rows);
        assert_eq!(b.counts.new as usize, expected.valid);
        assert_eq!(b.counts.invalid as usize, expected.invalid.len());
        assert_eq!(
            (a.file_balance, a.file_arrears, a.db_balance, a.db_arrears),
            (b.file_balance, b.file_arrears, b.db_balance, b.db_arrears)
        );
        assert_eq!(
            (b.db_balance, b.db_arrears),
            (expected.balance_sum, expected.arrears_sum)
        );
        assert!(b.balanced(), "{b:?}");
        assert_eq!(whole.errors, chunked.errors, "the same rows refused");
        assert!(whole.chunks.is_none());
        let chunks = chunked
            .chunks
            .clone()
            .ok_or_else(|| anyhow::anyhow!("a chunked import reports its chunks"))?;
        let expected_chunks = expected.valid.div_ceil(chunk_rows as usize) as u32;
        assert_eq!(
            (
                chunks.chunk_rows,
                chunks.committed,
                chunks.committed_now,
                chunks.resumed_from_row
            ),
            (chunk_rows, expected_chunks, expected_chunks, None)
        );
        let written = archive(&mut chunked_connection)?;
        assert_eq!(written.lines().count(), expected.valid);
        assert_eq!(archive(&mut whole_connection)?, written);
        let last_row = prepared.valid.last().map_or(0, |(row, _)| *row) as i32;
        assert_eq!(
            imports(&mut chunked_connection)?,
            vec![ImportRow {
                status: "committed".into(),
                chunk_rows: Some(chunk_rows as i32),
                committed_through_row: last_row,
                chunks_done: expected_chunks as i32,
            }]
        );
        assert_eq!(
            count(
                &mut chunked_connection,
                "SELECT count(*) AS count FROM import_staging_accounts"
            )?,
            0,
            "staging emptied chunk by chunk"
        );
    }
    Ok(())
}

#[test]
fn a_stopped_chunked_import_keeps_whole_chunks_and_resumes_after_them() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    let expected = clean_ledger(&path, 25)?;
    let mut connection = db.app()?;

    // Cancel pressed once the second chunk is committed: the third never
    // starts.
    let cancel = AtomicBool::new(false);
    let after_two = |p: import::Progress| {
        if p.phase == import::Phase::Writing && p.done >= 20 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, false, Some(10));
    run.progress = Some(&after_two);
    run.cancel = Some(&cancel);
    let stopped = import::import_accounts_file(&mut connection, &keys, &actor(), &run);
    let Err(import::FileImportError::Import(ImportError::CancelledAfter {
        import_id,
        through_row,
        chunks,
    })) = stopped
    else {
        panic!("expected a cancel after two chunks: {:?}", stopped.err());
    };
    assert_eq!(chunks, 2);
    let committed = |connection: &mut PgConnection| -> anyhow::Result<(i64, i64, i64)> {
        Ok((
            count(connection, "SELECT count(*) AS count FROM accounts")?,
            count(connection, "SELECT count(*) AS count FROM import_rows")?,
            count(
                connection,
                "SELECT coalesce(max(row_number), 0)::bigint AS count FROM import_rows",
            )?,
        ))
    };
    assert_eq!(
        committed(&mut connection)?,
        (20, 20, i64::from(through_row))
    );
    assert_eq!(
        imports(&mut connection)?,
        vec![ImportRow {
            status: "partial".into(),
            chunk_rows: Some(10),
            committed_through_row: through_row as i32,
            chunks_done: 2,
        }],
        "the recorded position is what was committed"
    );

    // Resumed, and cancelled in the middle of the next chunk's merge: that
    // chunk rolls back whole, the position stays.
    let cancel = AtomicBool::new(false);
    let mid_merge = |p: import::Progress| {
        if p.phase == import::Phase::Merging && p.done >= 5 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, false, Some(10));
    run.progress = Some(&mid_merge);
    run.cancel = Some(&cancel);
    let stopped = import::import_accounts_file(&mut connection, &keys, &actor(), &run);
    assert!(
        matches!(
            &stopped,
            Err(import::FileImportError::Import(ImportError::CancelledAfter { import_id: id, through_row: row, chunks: 2 }))
                if *id == import_id && *row == through_row
        ),
        "{:?}",
        stopped.err()
    );
    let message = stopped.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("resume") && message.contains(&format!("row {through_row}")),
        "{message}"
    );
    assert_eq!(
        committed(&mut connection)?,
        (20, 20, i64::from(through_row))
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM import_staging_accounts"
        )?,
        0
    );

    // The same file again, in chunks of another size: import #1 continues
    // after its position and its certificate covers the whole file.
    let (done, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, Some(3)),
    )?;
    let c = &done.certificate;
    assert_eq!(c.import_id, import_id);
    assert_eq!(
        done.chunks
            .as_ref()
            .map(|k| (k.committed, k.committed_now, k.resumed_from_row)),
        Some((4, 2, Some(through_row)))
    );
    assert_eq!(
        (
            c.counts.read,
            c.counts.new,
            c.counts.unchanged,
            c.counts.invalid
        ),
        (25, 25, 0, 0),
        "committed chunks are counted, not merged again"
    );
    assert_eq!(
        (c.file_balance, c.file_arrears),
        (expected.balance_sum, expected.arrears_sum)
    );
    assert_eq!(
        (c.db_balance, c.db_arrears),
        (expected.balance_sum, expected.arrears_sum)
    );
    // Every account exactly once, with one opening entry at most.
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(DISTINCT account_no) AS count FROM accounts"
        )?,
        25
    );
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS count FROM accounts")?,
        25
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM import_rows WHERE outcome = 'new'"
        )?,
        25
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM (SELECT account_id FROM ledger_transactions \
             GROUP BY account_id HAVING count(*) > 1) twice"
        )?,
        0
    );
    for account_no in &expected.valid_accounts {
        assert_eq!(
            count(
                &mut connection,
                &format!(
                    "SELECT count(*) AS count FROM accounts WHERE account_no = '{account_no}'"
                )
            )?,
            1,
            "{account_no}"
        );
    }
    let rows = imports(&mut connection)?;
    assert_eq!(rows.len(), 1, "resumed, not started again: {rows:?}");
    assert_eq!(
        (rows[0].status.as_str(), rows[0].chunks_done),
        ("committed", 4)
    );

    // The finished file again changes nothing: a new import, all unchanged.
    let ledger_before = count(
        &mut connection,
        "SELECT count(*) AS count FROM ledger_transactions",
    )?;
    let changes_before = count(
        &mut connection,
        "SELECT count(*) AS count FROM change_records",
    )?;
    let before = archive(&mut connection)?;
    let (same, _) = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, Some(10)),
    )?;
    assert_ne!(same.certificate.import_id, import_id);
    assert_eq!(same.chunks.as_ref().and_then(|k| k.resumed_from_row), None);
    let counts = &same.certificate.counts;
    assert_eq!((counts.new, counts.updated, counts.unchanged), (0, 0, 25));
    assert!(same.certificate.balanced());
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM ledger_transactions"
        )?,
        ledger_before
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM change_records"
        )?,
        changes_before
    );
    // Only the provenance says the second import saw every account.
    let after: String = archive(&mut connection)?;
    assert_eq!(
        after.replace(",unchanged", ""),
        before,
        "nothing but provenance changed"
    );
    Ok(())
}

#[test]
fn invalid_files_write_nothing_in_chunks_and_a_chunk_needs_a_row() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    let expected = ledger_fixtures::messy_accounts_ledger(&path, &LedgerSpec::default())?;
    let mut connection = db.app()?;
    // Without the partial option the whole file is checked before the
    // first chunk: nothing is written, no import is left to resume.
    let refused = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, false, Some(5)),
    );
    assert!(
        matches!(&refused, Err(import::FileImportError::Import(ImportError::Invalid { rows, .. })) if *rows as usize == expected.invalid.len()),
        "{:?}",
        refused.err()
    );
    for table in ["accounts", "imports", "import_rows"] {
        assert_eq!(
            count(
                &mut connection,
                &format!("SELECT count(*) AS count FROM {table}")
            )?,
            0,
            "{table}"
        );
    }
    let zero = import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&path, true, Some(0)),
    );
    let message = zero.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("chunk_rows"), "{message}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_commits_in_chunks_on_request() -> anyhow::Result<()> {
    use gascis_common::{
        Role,
        proto::v1::{self as pb, import_service_client::ImportServiceClient},
    };
    use gascis_testkit::{TestServer, authed};
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ImportServiceClient::new(server.channel().await?);
    let path = ledger_fixtures::accounts_small_paths()[0].clone();
    let expected = ledger_fixtures::accounts_small_expected();
    let chunk = pb::FileChunk {
        file_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        data: std::fs::read(&path)?,
    };
    let uploaded = client
        .upload_import_file(authed(tokio_stream::iter(vec![chunk]), &token))
        .await?
        .into_inner();
    let run = |kind: pb::ImportKind| pb::RunImportRequest {
        upload_id: uploaded.upload_id,
        kind: kind as i32,
        partial: true,
        chunk_rows: 4,
        ..Default::default()
    };
    let mut stream = client
        .run_import(authed(run(pb::ImportKind::Accounts), &token))
        .await?
        .into_inner();
    let mut written = Vec::new();
    let mut report = None;
    while let Some(event) = stream.message().await? {
        match event.event {
            Some(pb::run_import_event::Event::Progress(p)) if p.phase == "writing" => {
                written.push(p.done)
            }
            Some(pb::run_import_event::Event::Report(r)) => report = Some(r),
            _ => {}
        }
    }
    let report = report.ok_or_else(|| anyhow::anyhow!("no report"))?;
    assert_eq!(report.rows_new as usize, expected.valid);
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.db_arrears, expected.arrears_sum.to_string());
    let chunks = expected.valid.div_ceil(4);
    assert_eq!(report.chunks as usize, chunks);
    assert_eq!(report.resumed_from_row, None);
    // Rows written advance chunk by chunk.
    let steps: Vec<i64> = (0..=chunks)
        .map(|k| (k * 4).min(expected.valid) as i64)
        .collect();
    assert_eq!(written, steps);
    server.shutdown().await
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Payment {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The imported payments by account, date, amount, channel, receipt and
/// row, without ids or import numbers.
fn payments(connection: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Payment> = sql_query(
        "SELECT concat_ws(' | ', a.account_no, p.paid_on, p.amount, p.channel, p.receipt_no, \
                p.cashier, p.import_row) AS line \
         FROM imported_payments p JOIN accounts a ON a.id = p.account_id ORDER BY line",
    )
    .load(connection)?;
    Ok(rows.into_iter().map(|p| p.line).collect())
}

/// The accounts of the messy ledger, then its payments history (150
/// records, bad rows among them); returns the payments' expectations.
fn accounts_then_payments(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    work: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, ledger_fixtures::Expected)> {
    let accounts_path = work.join("台账.xlsx");
    let accounts = ledger_fixtures::messy_accounts_ledger(&accounts_path, &LedgerSpec::default())?;
    import::import_accounts_file(
        connection,
        keys,
        &actor(),
        &request(&accounts_path, true, None),
    )?;
    let path = work.join("收费记录.xlsx");
    let expected = ledger_fixtures::payments_ledger(
        &path,
        &LedgerSpec {
            rows: 150,
            ..LedgerSpec::default()
        },
        &accounts,
    )?;
    Ok((path, expected))
}

#[test]
fn a_payments_history_in_chunks_is_the_all_or_nothing_one_and_resumes() -> anyhow::Result<()> {
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let whole_db = TestDb::new()?;
    let chunked_db = TestDb::new()?;
    let mut whole_connection = whole_db.app()?;
    let mut connection = chunked_db.app()?;
    let (path, expected) = accounts_then_payments(&mut whole_connection, &keys, work.path())?;
    let _ = accounts_then_payments(&mut connection, &keys, work.path())?;
    let (whole, _) =
        import::import_payments_file(&mut whole_connection, &actor(), &request(&path, true, None))?;

    // Stopped after two chunks of 20 rows, then resumed in chunks of 33.
    let cancel = AtomicBool::new(false);
    let after_two = |p: import::Progress| {
        if p.phase == import::Phase::Writing && p.done >= 40 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, true, Some(20));
    run.progress = Some(&after_two);
    run.cancel = Some(&cancel);
    let stopped = import::import_payments_file(&mut connection, &actor(), &run);
    let Err(import::FileImportError::Import(ImportError::CancelledAfter {
        import_id,
        through_row,
        chunks: 2,
    })) = stopped
    else {
        panic!("expected a cancel after two chunks: {:?}", stopped.err());
    };
    let stored_before = count(
        &mut connection,
        "SELECT count(*) AS count FROM imported_payments",
    )?;
    assert_eq!(
        count(
            &mut connection,
            &format!(
                "SELECT count(*) AS count FROM imported_payments WHERE import_row <= {through_row}"
            )
        )?,
        stored_before,
        "the recorded position covers what was committed"
    );
    let (chunked, prepared) =
        import::import_payments_file(&mut connection, &actor(), &request(&path, true, Some(33)))?;
    // Two chunks of 20 rows valid in the file, less those the database
    // refused (an account the accounts ledger does not have).
    let valid = &prepared.valid;
    assert_eq!(
        valid.iter().filter(|(row, _)| *row <= through_row).count(),
        40
    );
    assert_eq!(valid[39].0, through_row);
    let refused_before = chunked
        .errors
        .iter()
        .filter(|e| e.row <= through_row && valid.iter().any(|(row, _)| *row == e.row))
        .count();
    assert_eq!(stored_before as usize, 40 - refused_before);
    let (a, b) = (&whole.certificate, &chunked.certificate);
    assert_eq!(b.import_id, import_id);
    assert_eq!(a.counts, b.counts);
    assert_eq!(b.counts.new as usize, expected.valid);
    assert_eq!(b.counts.invalid as usize, expected.invalid.len());
    assert_eq!((b.amount_file, b.amount_db), (a.amount_file, a.amount_db));
    assert_eq!(b.amount_db, expected.amount_sum);
    assert!(b.balanced(), "{b:?}");
    assert_eq!(whole.errors, chunked.errors);
    let resumed = (valid.len() - 40).div_ceil(33) as u32;
    assert_eq!(
        chunked
            .chunks
            .as_ref()
            .map(|k| (k.committed, k.committed_now, k.resumed_from_row)),
        Some((2 + resumed, resumed, Some(through_row)))
    );
    assert_eq!(payments(&mut connection)?, payments(&mut whole_connection)?);
    assert_eq!(payments(&mut connection)?.len(), expected.valid);

    // Finished: the file again is all unchanged.
    let (same, _) =
        import::import_payments_file(&mut connection, &actor(), &request(&path, true, Some(50)))?;
    assert_eq!(
        (
            same.certificate.counts.new,
            same.certificate.counts.unchanged
        ),
        (0, expected.valid as u32)
    );
    assert_eq!(payments(&mut connection)?.len(), expected.valid);
    Ok(())
}

#[test]
fn equal_unnumbered_payments_in_different_chunks_are_both_new() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let mut connection = db.app()?;
    let accounts_path = work.path().join("台账.xlsx");
    let accounts = clean_ledger(&accounts_path, 25)?;
    import::import_accounts_file(
        &mut connection,
        &keys,
        &actor(),
        &request(&accounts_path, false, None),
    )?;
    let account_no = accounts
        .valid_accounts
        .iter()
        .next()
        .cloned()
        .unwrap_or_default();
    // Twelve payments of one account; rows 3 and 12 say the same thing
    // and have no receipt number: two payments, in chunks 1 and 3.
    let path = work.path().join("收费记录.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["户号", "缴费日期", "金额", "缴费方式", "票据号"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, column as u16, *header)?;
    }
    for index in 1..=12u32 {
        let twin = index == 2 || index == 11;
        sheet.write_string(index, 0, &account_no)?;
        sheet.write_string(
            index,
            1,
            if twin {
                "2022-05-05".to_owned()
            } else {
                format!("2021-{index:02}-10")
            },
        )?;
        sheet.write_string(index, 2, if twin { "50.00" } else { "10.01" })?;
        sheet.write_string(index, 3, "现金")?;
        if !twin {
            sheet.write_string(index, 4, format!("R{index:04}"))?;
        }
    }
    workbook.save(&path)?;
    let (done, _) =
        import::import_payments_file(&mut connection, &actor(), &request(&path, false, Some(5)))?;
    assert_eq!(
        (
            done.certificate.counts.new,
            done.certificate.counts.unchanged
        ),
        (12, 0),
        "{:?}",
        done.errors
    );
    assert_eq!(done.certificate.amount_db.to_string(), "200.10");
    assert!(done.certificate.balanced());
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS count FROM imported_payments WHERE receipt_no = ''"
        )?,
        2
    );
    let (again, _) =
        import::import_payments_file(&mut connection, &actor(), &request(&path, false, Some(5)))?;
    assert_eq!(
        (
            again.certificate.counts.new,
            again.certificate.counts.unchanged
        ),
        (0, 12)
    );
    Ok(())
}

#[test]
fn a_second_run_of_one_import_stops_at_the_position_check() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    clean_ledger(&path, 25)?;
    let mut connection = db.app()?;
    let cancel = AtomicBool::new(false);
    let after_one = |p: import::Progress| {
        if p.phase == import::Phase::Writing && p.done >= 10 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, false, Some(10));
    run.progress = Some(&after_one);
    run.cancel = Some(&cancel);
    let first = import::import_accounts_file(&mut connection, &keys, &actor(), &run);
    assert!(
        matches!(
            first,
            Err(import::FileImportError::Import(
                ImportError::CancelledAfter { chunks: 1, .. }
            ))
        ),
        "{:?}",
        first.err()
    );

    // While this run resumes, another run of the same import commits a
    // chunk first (played here by moving the position on its own
    // connection): this run must not write that chunk again.
    let other = std::sync::Mutex::new(db.app()?);
    let moved = AtomicBool::new(false);
    let overtaken = |p: import::Progress| {
        if p.phase == import::Phase::Writing && !moved.swap(true, Ordering::Relaxed) {
            let mut other = other
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = sql_query(
                "UPDATE imports SET committed_through_row = committed_through_row + 1, \
                 chunks_done = chunks_done + 1",
            )
            .execute(&mut *other);
        }
    };
    let mut run = request(&path, false, Some(10));
    run.progress = Some(&overtaken);
    let second = import::import_accounts_file(&mut connection, &keys, &actor(), &run);
    let message = second.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("was continued by another run"),
        "{message}"
    );
    assert!(moved.load(Ordering::Relaxed));
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS count FROM accounts")?,
        10,
        "nothing written by the overtaken run"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_drops_a_chunked_run_keeps_its_chunks_and_resumes() -> anyhow::Result<()> {
    use gascis_common::{
        Role,
        proto::v1::{self as pb, import_service_client::ImportServiceClient},
    };
    use gascis_testkit::{TestServer, authed};
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ImportServiceClient::new(server.channel().await?);
    let work = tempfile::tempdir()?;
    let path = work.path().join("台账.xlsx");
    let expected = clean_ledger(&path, 40)?;
    let uploaded = client
        .upload_import_file(authed(
            tokio_stream::iter(vec![pb::FileChunk {
                file_name: "台账.xlsx".into(),
                data: std::fs::read(&path)?,
            }]),
            &token,
        ))
        .await?
        .into_inner();
    let run = pb::RunImportRequest {
        upload_id: uploaded.upload_id,
        kind: pb::ImportKind::Accounts as i32,
        chunk_rows: 2,
        ..Default::default()
    };
    // The client goes away once four rows are written.
    let mut stream = client
        .run_import(authed(run.clone(), &token))
        .await?
        .into_inner();
    while let Some(event) = stream.message().await? {
        if let Some(pb::run_import_event::Event::Progress(p)) = event.event
            && p.phase == "writing"
            && p.done >= 4
        {
            break;
        }
    }
    drop(stream);

    // The same upload again resumes after the chunks the dropped run
    // committed (waiting, if need be, for its chunk in progress to end).
    let mut stream = client.run_import(authed(run, &token)).await?.into_inner();
    let mut report = None;
    while let Some(event) = stream.message().await? {
        if let Some(pb::run_import_event::Event::Report(r)) = event.event {
            report = Some(r);
        }
    }
    let report = report.ok_or_else(|| anyhow::anyhow!("no report"))?;
    let from = report
        .resumed_from_row
        .ok_or_else(|| anyhow::anyhow!("not resumed: {report:?}"))?;
    assert!(
        from >= ledger_fixtures::HEADER_ROW as i32 + 4,
        "{from}: four rows were written"
    );
    assert_eq!(report.rows_new as usize, expected.valid);
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.db_balance, expected.balance_sum.to_string());
    assert_eq!(report.db_arrears, expected.arrears_sum.to_string());
    let mut connection = server.db.app()?;
    assert_eq!(
        count(&mut connection, "SELECT count(*) AS count FROM accounts")? as usize,
        expected.valid
    );
    let rows = imports(&mut connection)?;
    assert_eq!(rows.len(), 1, "one import, resumed: {rows:?}");
    assert_eq!(rows[0].status, "committed");
    server.shutdown().await
}

/// A readings history (户号, 抄表日期, 本次读数) of six monthly readings
/// for each of `accounts`, the months out of date order in the file (April
/// first) and each account's readings spread over it. Among them a
/// reading below the month before (refused only in date order), a second
/// reading of one account on one date, and an account nobody has.
fn readings_out_of_order(path: &std::path::Path, accounts: &[String]) -> anyhow::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in ["户号", "抄表日期", "本次读数"].iter().enumerate() {
        sheet.write_string(0, column as u16, *header)?;
    }
    let mut rows: Vec<[String; 3]> = Vec::new();
    for month in [3usize, 0, 5, 1, 4, 2] {
        for (index, account_no) in accounts.iter().enumerate() {
            let reading = if index == 1 && month == 4 {
                "5000".to_owned()
            } else {
                format!("{}.5", 10_000 + 25 * month + index)
            };
            rows.push([
                account_no.clone(),
                format!("2021-{:02}-10", month + 1),
                reading,
            ]);
        }
        if month == 0 {
            rows.push(["99999999".into(), "2021-03-10".into(), "100".into()]);
        }
    }
    if let Some(third) = accounts.get(2) {
        rows.push([third.clone(), "2021-01-10".into(), "20000".into()]);
    }
    for (index, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(index as u32 + 1, column as u16, value)?;
        }
    }
    workbook.save(path)?;
    Ok(())
}

/// The meter readings by account, date, value, consumption, status,
/// source and file row, without ids or import numbers.
fn meter_readings(connection: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Payment> = sql_query(
        "SELECT concat_ws(' | ', a.account_no, r.read_on, r.value, r.consumption, r.status, \
                r.source, r.import_row) AS line \
         FROM meter_readings r JOIN accounts a ON a.id = r.account_id ORDER BY line",
    )
    .load(connection)?;
    Ok(rows.into_iter().map(|p| p.line).collect())
}

/// Ten accounts of a clean accounts ledger, imported; their numbers.
fn ten_accounts(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    path: &std::path::Path,
) -> anyhow::Result<Vec<String>> {
    let accounts = clean_ledger(path, 25)?;
    import::import_accounts_file(connection, keys, &actor(), &request(path, false, None))?;
    Ok(accounts.valid_accounts.iter().take(10).cloned().collect())
}

#[test]
fn a_readings_history_in_chunks_of_whole_accounts_is_the_all_or_nothing_one_and_resumes()
-> anyhow::Result<()> {
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let whole_db = TestDb::new()?;
    let chunked_db = TestDb::new()?;
    let mut whole_connection = whole_db.app()?;
    let mut connection = chunked_db.app()?;
    let accounts_path = work.path().join("台账.xlsx");
    let numbers = ten_accounts(&mut whole_connection, &keys, &accounts_path)?;
    ten_accounts(&mut connection, &keys, &accounts_path)?;
    let path = work.path().join("抄表记录.xlsx");
    readings_out_of_order(&path, &numbers)?;
    let (whole, _) =
        import::import_readings_file(&mut whole_connection, &actor(), &request(&path, true, None))?;
    // 60 readings and an unknown account's; refused: the reading below
    // its month before, the second reading on one date, the unknown account.
    assert_eq!(
        (
            whole.certificate.counts.read,
            whole.certificate.counts.new,
            whole.certificate.counts.invalid
        ),
        (62, 59, 3),
        "{:?}",
        whole.errors
    );
    assert!(whole.certificate.balanced());

    // Chunks of at least 10 rows hold two accounts (six readings each);
    // stopped once two chunks are committed.
    let cancel = AtomicBool::new(false);
    let written = std::sync::Mutex::new(Vec::new());
    let after_two = |p: import::Progress| {
        if p.phase == import::Phase::Writing {
            written
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(p.done);
            if p.done >= 24 {
                cancel.store(true, Ordering::Relaxed);
            }
        }
    };
    let mut run = request(&path, true, Some(10));
    run.progress = Some(&after_two);
    run.cancel = Some(&cancel);
    let stopped = import::import_readings_file(&mut connection, &actor(), &run);
    let Err(import::FileImportError::Import(ImportError::CancelledAfterAccounts {
        import_id,
        accounts: 4,
        chunks: 2,
    })) = stopped
    else {
        panic!(
            "expected a cancel after two chunks of two accounts: {:?}",
            stopped.err()
        );
    };
    // Each chunk reports its start from inside its transaction: the cancel
    // at 24 lands in the third chunk, which rolls back whole.
    assert_eq!(
        written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone(),
        vec![0, 12, 24]
    );
    // Exactly the readings of the first four accounts in account-number
    // order, each account whole, as the all-or-nothing import has them.
    let mut sorted: Vec<String> = numbers.clone();
    sorted.push("99999999".to_owned());
    sorted.sort();
    let first_four: Vec<&String> = sorted.iter().take(4).collect();
    let expected_so_far: Vec<String> = meter_readings(&mut whole_connection)?
        .into_iter()
        .filter(|line| {
            first_four
                .iter()
                .any(|account| line.starts_with(&format!("{account} | ")))
        })
        .collect();
    assert!(!expected_so_far.is_empty());
    assert_eq!(meter_readings(&mut connection)?, expected_so_far);
    // After the accounts import: the readings import.
    assert_eq!(
        imports(&mut connection)?[1..],
        [ImportRow {
            status: "partial".into(),
            chunk_rows: Some(10),
            committed_through_row: 4,
            chunks_done: 2,
        }],
        "the position of a readings import counts accounts"
    );

    // Resumed and cancelled again as soon as the first chunk it writes
    // reports (from inside that chunk's transaction): nothing more is
    // kept, the position stays.
    let cancel = AtomicBool::new(false);
    let reports = std::sync::Mutex::new(Vec::new());
    let inside_third = |p: import::Progress| {
        if p.phase == import::Phase::Writing {
            reports
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(p.done);
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, true, Some(10));
    run.progress = Some(&inside_third);
    run.cancel = Some(&cancel);
    let stopped = import::import_readings_file(&mut connection, &actor(), &run);
    assert!(
        matches!(
            &stopped,
            Err(import::FileImportError::Import(ImportError::CancelledAfterAccounts {
                import_id: id,
                accounts: 4,
                chunks: 2,
            })) if *id == import_id
        ),
        "{:?}",
        stopped.err()
    );
    let seen = reports
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    assert_eq!(seen, vec![24], "stopped inside the third chunk");
    assert_eq!(meter_readings(&mut connection)?, expected_so_far);
    assert_eq!(
        imports(&mut connection)?[1..],
        [ImportRow {
            status: "partial".into(),
            chunk_rows: Some(10),
            committed_through_row: 4,
            chunks_done: 2,
        }]
    );

    // A position that does not fit the file's accounts is refused before
    // anything is written (played by moving it back by two accounts).
    sql_query("UPDATE imports SET committed_through_row = 2 WHERE kind = 'readings'")
        .execute(&mut connection)?;
    let misfit =
        import::import_readings_file(&mut connection, &actor(), &request(&path, true, Some(7)));
    let message = misfit.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("cannot be resumed after its first 2 account(s)")
            && message.contains(&format!("account {} has readings of it", first_four[2])),
        "{message}"
    );
    assert_eq!(meter_readings(&mut connection)?, expected_so_far);
    sql_query("UPDATE imports SET committed_through_row = 4 WHERE kind = 'readings'")
        .execute(&mut connection)?;

    // Resumed in chunks of at least 7 rows: every reading once.
    let (chunked, prepared) =
        import::import_readings_file(&mut connection, &actor(), &request(&path, true, Some(7)))?;
    let (a, b) = (&whole.certificate, &chunked.certificate);
    assert_eq!(b.import_id, import_id);
    assert_eq!(a.counts, b.counts);
    assert_eq!(
        (a.consumption_file, a.consumption_db),
        (b.consumption_file, b.consumption_db)
    );
    assert!(b.balanced(), "{b:?}");
    assert_eq!(whole.errors, chunked.errors);
    let accounts_in_file = prepared
        .valid
        .iter()
        .map(|(_, v)| v.account_no.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert_eq!(accounts_in_file, 11);
    let chunks = chunked.chunks.clone();
    let now = chunks.as_ref().map_or(0, |k| k.committed_now);
    // Six accounts of six readings left, two per chunk, then the unknown
    // account's single row on its own (the accounts ran out).
    assert_eq!(now, 4);
    assert_eq!(
        chunks.map(|k| (k.committed, k.resumed_after_accounts, k.resumed_from_row)),
        Some((2 + now, Some(4), None))
    );
    assert_eq!(
        meter_readings(&mut connection)?,
        meter_readings(&mut whole_connection)?
    );
    // After the accounts import: the readings import.
    assert_eq!(
        imports(&mut connection)?[1..],
        [ImportRow {
            status: "committed".into(),
            chunk_rows: Some(7),
            committed_through_row: 11,
            chunks_done: (2 + now) as i32,
        }]
    );

    // Finished: the file again, chunked or not, changes nothing.
    for chunk_rows in [Some(25), None] {
        let (same, _) = import::import_readings_file(
            &mut connection,
            &actor(),
            &request(&path, true, chunk_rows),
        )?;
        assert_eq!(
            (
                same.certificate.counts.new,
                same.certificate.counts.unchanged,
                same.certificate.consumption_db
            ),
            (0, 59, rust_decimal::Decimal::ZERO),
            "{chunk_rows:?}"
        );
        assert_eq!(
            meter_readings(&mut connection)?,
            meter_readings(&mut whole_connection)?
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_commits_readings_in_chunks_of_accounts_and_resumes_after_them()
-> anyhow::Result<()> {
    use gascis_common::{
        Role,
        proto::v1::{self as pb, import_service_client::ImportServiceClient},
    };
    use gascis_testkit::{TestServer, authed};
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let keys = PiiKeys::generate();
    let work = tempfile::tempdir()?;
    let mut connection = server.db.app()?;
    let numbers = ten_accounts(&mut connection, &keys, &work.path().join("台账.xlsx"))?;
    let path = work.path().join("抄表记录.xlsx");
    readings_out_of_order(&path, &numbers)?;
    // A run on the server's own console stopped after two chunks of two
    // accounts: the upload of the same file resumes it.
    let cancel = AtomicBool::new(false);
    let after_two = |p: import::Progress| {
        if p.phase == import::Phase::Writing && p.done >= 24 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let mut run = request(&path, true, Some(10));
    run.progress = Some(&after_two);
    run.cancel = Some(&cancel);
    let stopped = import::import_readings_file(&mut connection, &actor(), &run);
    assert!(
        matches!(
            stopped,
            Err(import::FileImportError::Import(
                ImportError::CancelledAfterAccounts {
                    accounts: 4,
                    chunks: 2,
                    ..
                }
            ))
        ),
        "{:?}",
        stopped.err()
    );

    let mut client = ImportServiceClient::new(server.channel().await?);
    let uploaded = client
        .upload_import_file(authed(
            tokio_stream::iter(vec![pb::FileChunk {
                file_name: "抄表记录.xlsx".into(),
                data: std::fs::read(&path)?,
            }]),
            &token,
        ))
        .await?
        .into_inner();
    let request = pb::RunImportRequest {
        upload_id: uploaded.upload_id,
        kind: pb::ImportKind::Readings as i32,
        partial: true,
        chunk_rows: 10,
        ..Default::default()
    };
    let mut run_once = async |request: pb::RunImportRequest| -> anyhow::Result<_> {
        let mut stream = client
            .run_import(authed(request, &token))
            .await?
            .into_inner();
        let mut written = Vec::new();
        let mut report = None;
        while let Some(event) = stream.message().await? {
            match event.event {
                Some(pb::run_import_event::Event::Progress(p)) if p.phase == "writing" => {
                    written.push(p.done)
                }
                Some(pb::run_import_event::Event::Report(r)) => report = Some(r),
                _ => {}
            }
        }
        Ok((report.ok_or_else(|| anyhow::anyhow!("no report"))?, written))
    };
    let (report, written) = run_once(request.clone()).await?;
    assert_eq!(
        (report.rows_new, report.rows_invalid),
        (59, 3),
        "{report:?}"
    );
    assert!(report.balanced, "{report:?}");
    assert_eq!(report.consumption_file, report.consumption_db);
    // Six accounts of six readings left (two per chunk), then the
    // unknown account's single row.
    assert_eq!(report.chunks, 2 + 4);
    assert_eq!(report.resumed_after_accounts, Some(4));
    assert_eq!(report.resumed_from_row, None);
    assert_eq!(written, vec![24, 36, 48, 60, 61]);

    // Finished: the same upload again is a new import that writes nothing.
    let (again, _) = run_once(request).await?;
    assert_eq!((again.rows_new, again.rows_unchanged), (0, 59));
    assert_eq!(again.resumed_after_accounts, None);
    assert_eq!(again.consumption_db, "0.000");
    assert_ne!(again.import_id, report.import_id);
    drop(connection);
    server.shutdown().await
}

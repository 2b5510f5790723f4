//! Excel export of lists: sheets split at the row limit with nothing lost,
//! the ExportAccounts stream (all accounts or a search's hits, masked,
//! audited), and formula-looking values kept as inert text.

use calamine::{Data, Reader, open_workbook_auto};
use diesel::{RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Role,
    proto::v1::{self as pb, archive_service_client::ArchiveServiceClient},
};
use gascis_testkit::{TestServer, archive_fixtures::open_request, authed, reason};
use tonic::{Code, transport::Channel};

fn sheets(path: &std::path::Path) -> anyhow::Result<Vec<(String, Vec<Vec<String>>)>> {
    let mut workbook = open_workbook_auto(path)?;
    let mut out = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name)?;
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::String(text) => text.clone(),
                        Data::Empty => String::new(),
                        other => format!("not text: {other:?}"),
                    })
                    .collect()
            })
            .collect();
        out.push((name, rows));
    }
    Ok(out)
}

async fn open_accounts(
    client: &mut ArchiveServiceClient<Channel>,
    token: &str,
    names: &[&str],
) -> anyhow::Result<()> {
    for (serial, name) in names.iter().enumerate() {
        client
            .open_account(authed(open_request(name, 500 + serial as u64), token))
            .await?;
    }
    Ok(())
}

async fn download(
    client: &mut ArchiveServiceClient<Channel>,
    token: &str,
    request: pb::ExportAccountsRequest,
    path: &std::path::Path,
) -> Result<(String, i64), tonic::Status> {
    let mut stream = client
        .export_accounts(authed(request, token))
        .await?
        .into_inner();
    let mut bytes = Vec::new();
    let mut head = None;
    while let Some(chunk) = stream.message().await? {
        head.get_or_insert((chunk.file_name.clone(), chunk.rows));
        bytes.extend_from_slice(&chunk.data);
    }
    std::fs::write(path, bytes).map_err(|e| tonic::Status::internal(e.to_string()))?;
    head.ok_or_else(|| tonic::Status::internal("empty stream"))
}

#[tokio::test(flavor = "multi_thread")]
async fn export_streams_all_accounts_or_a_search_masked_and_audited() -> anyhow::Result<()> {
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
    let back_office = server.login("zhangmin", "back-office-1").await?;
    let cashier = server.login("wangfang", "cashier-pass-1").await?;
    let admin = server.login("it", "admin-pass-1").await?;
    let mut client = ArchiveServiceClient::new(server.channel().await?);
    // A name that looks like a formula must come back as the same text.
    open_accounts(
        &mut client,
        &back_office,
        &["陈小明", "陈大明", "=HYPERLINK(\"http://x\",\"y\")", "李四"],
    )
    .await?;
    let work = tempfile::tempdir()?;

    let all = work.path().join("all.xlsx");
    let (file_name, rows) = download(
        &mut client,
        &cashier,
        pb::ExportAccountsRequest::default(),
        &all,
    )
    .await?;
    assert!(file_name.ends_with(".xlsx"), "{file_name}");
    assert_eq!(rows, 4);
    let book = sheets(&all)?;
    assert_eq!(book.len(), 1);
    let (name, grid) = &book[0];
    assert_eq!(name, "用户档案");
    assert_eq!(grid[0][..3], ["户号", "户名", "用户类型"]);
    assert_eq!(grid.len(), 5);
    let names: Vec<&str> = grid[1..].iter().map(|row| row[1].as_str()).collect();
    assert!(
        names.contains(&"=HYPERLINK(\"http://x\",\"y\")"),
        "{names:?}"
    );
    for row in &grid[1..] {
        assert_eq!(row[2], "居民");
        // Identity number and phone are masked: the clear values never leave.
        assert!(row[3].contains('*'), "id number {:?}", row[3]);
        assert!(row[4].contains('*'), "phone {:?}", row[4]);
    }

    let found = work.path().join("found.xlsx");
    let (_, rows) = download(
        &mut client,
        &cashier,
        pb::ExportAccountsRequest {
            query: "陈".into(),
            kind: pb::SearchKind::Name as i32,
            include_closed: false,
        },
        &found,
    )
    .await?;
    assert_eq!(rows, 2);
    let book = sheets(&found)?;
    let grid = &book[0].1;
    assert_eq!(grid[0][1], "户名");
    let mut names: Vec<&str> = grid[1..].iter().map(|row| row[1].as_str()).collect();
    names.sort();
    assert_eq!(names, ["陈大明", "陈小明"]);

    // IT runs the server but does not read the customer archive.
    let refused = download(
        &mut client,
        &admin,
        pb::ExportAccountsRequest::default(),
        &work.path().join("no.xlsx"),
    )
    .await
    .err();
    assert_eq!(refused.map(|s| s.code()), Some(Code::PermissionDenied));
    let bad = download(
        &mut client,
        &cashier,
        pb::ExportAccountsRequest {
            query: "x".repeat(101),
            kind: pb::SearchKind::Auto as i32,
            include_closed: false,
        },
        &work.path().join("bad.xlsx"),
    )
    .await
    .err()
    .ok_or_else(|| anyhow::anyhow!("an over-long query was accepted"))?;
    assert_eq!(bad.code(), Code::InvalidArgument, "{}", reason(&bad));

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut connection = server.db.app()?;
    let audited: Count = sql_query(
        "SELECT count(*) AS n FROM audit_events WHERE kind = 'accounts_exported' \
         AND username = 'wangfang'",
    )
    .get_result(&mut connection)?;
    assert_eq!(audited.n, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn export_splits_sheets_past_the_row_limit_without_losing_rows() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ArchiveServiceClient::new(server.channel().await?);
    let names: Vec<String> = (0..7).map(|n| format!("客户{n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    open_accounts(&mut client, &token, &names).await?;
    let work = tempfile::tempdir()?;
    let path = work.path().join("split.xlsx");
    let mut connection = server.db.app()?;
    let rows = gascis_server::export::accounts_with_sheet_limit(&mut connection, &path, 3)?;
    assert_eq!(rows, 7);
    let book = sheets(&path)?;
    let titles: Vec<&str> = book.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(titles, ["用户档案", "用户档案 (2)", "用户档案 (3)"]);
    let mut seen = Vec::new();
    for (_, grid) in &book {
        assert_eq!(grid[0][0], "户号", "every sheet repeats the header");
        seen.extend(grid[1..].iter().map(|row| row[1].clone()));
    }
    assert_eq!(seen.len(), 7);
    seen.sort();
    let mut expected: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn export_keeps_awkward_text_exact_in_account_order_and_the_connection_usable()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    server
        .create_user("zhangmin", "张敏", "back-office-1", &[Role::BackOffice])
        .await?;
    let token = server.login("zhangmin", "back-office-1").await?;
    let mut client = ArchiveServiceClient::new(server.channel().await?);
    open_accounts(&mut client, &token, &["甲", "乙", "丙", "丁"]).await?;
    // The export reads through COPY's text format, which escapes these
    // characters; a name from a legacy ledger can hold any of them.
    let awkward = ["制表\t符", "换行\n与回车\r", "反斜杠\\N 与 \\t", "=1+2\\"];
    let mut connection = server.db.app()?;
    for (id_rank, name) in awkward.iter().enumerate() {
        sql_query(
            "UPDATE customers SET name = $1 WHERE id = \
             (SELECT customer_id FROM accounts ORDER BY id OFFSET $2 LIMIT 1)",
        )
        .bind::<diesel::sql_types::Text, _>(*name)
        .bind::<BigInt, _>(id_rank as i64)
        .execute(&mut connection)?;
    }
    let work = tempfile::tempdir()?;
    let path = work.path().join("awkward.xlsx");
    let rows = gascis_server::export::accounts(&mut connection, &path)?;
    assert_eq!(rows, 4);
    let book = sheets(&path)?;
    let names: Vec<&str> = book[0].1[1..].iter().map(|row| row[1].as_str()).collect();
    assert_eq!(names, awkward, "the names in account order, byte for byte");
    for row in &book[0].1[1..] {
        assert_eq!(row.len(), 10, "{row:?}");
        assert_eq!(row[2], "居民");
        assert_eq!(row[8], "正常");
    }

    // The same connection goes back to the pool: it must take the next
    // statement.
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count =
        sql_query("SELECT count(*) AS n FROM accounts").get_result(&mut connection)?;
    assert_eq!(count.n, 4);
    Ok(())
}

#[test]
fn an_export_that_postgresql_stops_midway_fails_instead_of_writing_a_short_list()
-> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    let db = gascis_testkit::TestDb::new()?;
    let keys = gascis_server::pii::PiiKeys::generate();
    gascis_server::archive::seed::bulk_seed(&mut db.owner()?, &keys, 1, 20_000)?;
    let mut connection = db.app()?;
    let work = tempfile::tempdir()?;
    let path = work.path().join("short.xlsx");
    // 20,000 accounts through a four-table join take well over 20 ms to
    // stream: the server cancels the statement before its first row (1 ms)
    // or midway (after the COPY has sent rows).
    for ms in [1, 5, 20] {
        connection.batch_execute(&format!("SET statement_timeout = '{ms}ms'"))?;
        let stopped = gascis_server::export::accounts(&mut connection, &path);
        connection.batch_execute("SET statement_timeout = 0")?;
        let message = match stopped {
            Ok(rows) => anyhow::bail!("stopped after {ms} ms, the export reported {rows} rows"),
            Err(error) => error.to_string(),
        };
        assert!(
            message.contains("statement timeout") || message.contains("stopped the export"),
            "{message}"
        );
        assert!(!path.exists(), "no file is left after a stopped export");
    }
    // The connection goes back to a pool: it must still work.
    let all = gascis_server::export::accounts(&mut connection, &path)?;
    assert_eq!(all, 20_000);
    Ok(())
}

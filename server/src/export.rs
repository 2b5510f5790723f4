//! Excel export of lists, streamed: rows are read in keyset pages and
//! written with rust_xlsxwriter's constant-memory mode, so a million
//! accounts need no more memory than a thousand. Personal data is masked;
//! every value is written as text or number, never as a formula.
//!
//! Reading and writing overlap: one thread pulls pages from PostgreSQL while
//! the caller's thread writes the previous page, because on its own each side
//! leaves a core idle.

use std::{path::Path, sync::mpsc};

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Text},
};
use gascis_common::proto::v1 as pb;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::{
    archive::search,
    error::{Error, Result},
    pii::PiiKeys,
};

/// Excel's last row is 1,048,576; one is the header.
pub const ROWS_PER_SHEET: u32 = 1_048_575;

/// Rows read per query; large enough that per-query overhead vanishes,
/// small enough that two pages in flight stay a few megabytes.
const PAGE: i64 = 20_000;

fn xlsx(error: XlsxError) -> Error {
    Error::Internal(format!("export: {error}"))
}

/// A list written to one or more sheets named `name`, `name (2)`, … with
/// the same bold header row on each.
pub struct ListWriter {
    workbook: Workbook,
    name: String,
    headers: Vec<String>,
    rows_per_sheet: u32,
    sheet: Option<usize>,
    sheets: usize,
    row_in_sheet: u32,
    written: u64,
}

impl ListWriter {
    pub fn new(name: &str, headers: &[&str]) -> Self {
        Self::with_sheet_limit(name, headers, ROWS_PER_SHEET)
    }

    /// Tests use a small limit to see the split without a million rows.
    pub fn with_sheet_limit(name: &str, headers: &[&str], rows_per_sheet: u32) -> Self {
        ListWriter {
            workbook: Workbook::new(),
            name: name.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows_per_sheet: rows_per_sheet.clamp(1, ROWS_PER_SHEET),
            sheet: None,
            sheets: 0,
            row_in_sheet: 0,
            written: 0,
        }
    }

    fn next_sheet(&mut self) -> Result<usize> {
        self.sheets += 1;
        let title = if self.sheets == 1 {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.sheets)
        };
        let bold = Format::new().set_bold();
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx)?;
        sheet.set_name(&title).map_err(xlsx)?;
        for (column, header) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, column as u16, header, &bold)
                .map_err(xlsx)?;
        }
        self.row_in_sheet = 0;
        let index = self.sheets - 1;
        self.sheet = Some(index);
        Ok(index)
    }

    /// Appends one row; every cell is a string, so a value starting with
    /// "=", "+", "-", "@", tab or CR stays inert text (write_string never
    /// makes a formula).
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        let index = match self.sheet {
            Some(index) if self.row_in_sheet < self.rows_per_sheet => index,
            _ => self.next_sheet()?,
        };
        self.row_in_sheet += 1;
        self.written += 1;
        let row = self.row_in_sheet;
        let sheet = self.workbook.worksheet_from_index(index).map_err(xlsx)?;
        for (column, value) in cells.iter().enumerate() {
            sheet
                .write_string(row, column as u16, value.as_ref())
                .map_err(xlsx)?;
        }
        Ok(())
    }

    /// Saves the workbook; a list with no rows still gets its header sheet.
    pub fn save(mut self, path: &Path) -> Result<u64> {
        if self.sheet.is_none() {
            self.next_sheet()?;
        }
        self.workbook.save(path).map_err(xlsx)?;
        Ok(self.written)
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Text)]
    id_number_masked: String,
    #[diesel(sql_type = Text)]
    phone_masked: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Text)]
    meter_no: String,
    #[diesel(sql_type = Text)]
    meter_type: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    opened_on: String,
}

impl Row {
    /// The cells of the row as the list shows them.
    fn cells(&self) -> [&str; 10] {
        [
            self.account_no.as_str(),
            &self.name,
            customer_type_label(&self.customer_type),
            &self.id_number_masked,
            &self.phone_masked,
            &self.address,
            &self.meter_no,
            meter_type_label(&self.meter_type),
            status_label(&self.status),
            &self.opened_on,
        ]
    }
}

/// Every account, in account order, as the accounts export lists them.
const ACCOUNTS_SQL: &str = "SELECT a.account_no, c.name, c.customer_type, c.id_number_masked, c.phone_masked, \
        p.address, coalesce(m.meter_no, '') AS meter_no, coalesce(m.meter_type, '') AS meter_type, \
        a.status, a.opened_on::text AS opened_on \
     FROM accounts a JOIN customers c ON c.id = a.customer_id JOIN premises p ON p.id = a.premise_id \
     LEFT JOIN meters m ON m.account_id = a.id AND m.installed \
     ORDER BY a.id";

/// The cells the accounts export writes, all in memory: for the export
/// benchmark's baseline, a bare writing loop over the same content.
pub fn account_cells(connection: &mut PgConnection) -> Result<Vec<Vec<String>>> {
    let rows: Vec<Row> = sql_query(ACCOUNTS_SQL).load(connection)?;
    Ok(rows
        .iter()
        .map(|row| row.cells().iter().map(|cell| (*cell).to_owned()).collect())
        .collect())
}

pub const ACCOUNT_HEADERS: [&str; 10] = [
    "户号",
    "户名",
    "用户类型",
    "证件号码",
    "联系电话",
    "用气地址",
    "表号",
    "表类型",
    "状态",
    "开户日期",
];

const SEARCH_HEADERS: [&str; 8] = [
    "户号",
    "户名",
    "用户类型",
    "联系电话",
    "用气地址",
    "表号",
    "表类型",
    "状态",
];

fn customer_type_label(value: &str) -> &str {
    match value {
        "residential" => "居民",
        "commercial" => "商业",
        "industrial" => "工业",
        "public_welfare" => "公福",
        other => other,
    }
}

fn meter_type_label(value: &str) -> &str {
    match value {
        "mechanical" => "机械表",
        "ic_card" => "IC卡表",
        "iot" => "物联网表",
        other => other,
    }
}

fn status_label(value: &str) -> &str {
    match value {
        "active" => "正常",
        "suspended" => "报停",
        "closed" => "销户",
        other => other,
    }
}

/// Writes every account to `path`; returns the number of rows.
pub fn accounts(connection: &mut PgConnection, path: &Path) -> Result<u64> {
    accounts_with_sheet_limit(connection, path, ROWS_PER_SHEET)
}

pub fn accounts_with_sheet_limit(
    connection: &mut PgConnection,
    path: &Path,
    rows_per_sheet: u32,
) -> Result<u64> {
    let mut list = ListWriter::with_sheet_limit("用户档案", &ACCOUNT_HEADERS, rows_per_sheet);
    let (pages, receive) = mpsc::sync_channel::<Vec<Row>>(2);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<()> {
            // One query read through a cursor: one plan and one pass over
            // the tables (keyset pages re-planned a hash join per page).
            // Streaming it row by row instead (measured at 300,000 rows)
            // read faster alone but made the export no faster: the writer
            // is the bound.
            connection.transaction(|connection| -> Result<()> {
                sql_query(format!(
                    "DECLARE export_accounts NO SCROLL CURSOR FOR {ACCOUNTS_SQL}"
                ))
                .execute(connection)?;
                loop {
                    let rows: Vec<Row> =
                        sql_query(format!("FETCH {PAGE} FROM export_accounts")).load(connection)?;
                    if rows.is_empty() {
                        return Ok(());
                    }
                    // The writer stopped (an error): stop reading too.
                    if pages.send(rows).is_err() {
                        return Ok(());
                    }
                }
            })
        });
        let written = (|| -> Result<()> {
            for rows in receive {
                for row in rows {
                    list.row(&row.cells())?;
                }
            }
            Ok(())
        })();
        let read = reader
            .join()
            .map_err(|_| Error::Internal("export: the reading thread panicked".into()))?;
        read.and(written)
    })?;
    list.save(path)
}

/// The most rows a search export holds; past it the user is asked to narrow
/// the search (or export all accounts) rather than get a silently cut list.
pub const MAX_SEARCH_EXPORT: i64 = 200_000;

/// Writes every account a search finds (the same rows the client pages
/// through), with the same masks the search shows.
pub fn search_results(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    text: &str,
    kind: pb::SearchKind,
    include_closed: bool,
    path: &Path,
) -> Result<u64> {
    let page = search::search(
        connection,
        keys,
        &search::Query {
            text,
            kind,
            page_size: MAX_SEARCH_EXPORT,
            offset: 0,
            include_closed,
        },
    )?;
    if page.next_offset.is_some() {
        return Err(Error::invalid(
            "query",
            format!(
                "finds more than {MAX_SEARCH_EXPORT} accounts; narrow the search or export all accounts"
            ),
        ));
    }
    let mut list = ListWriter::new("查询结果", &SEARCH_HEADERS);
    for hit in &page.results {
        let customer_type = pb::CustomerType::try_from(hit.customer_type)
            .map(customer_type_wire_label)
            .unwrap_or("");
        let meter_type = pb::MeterType::try_from(hit.meter_type)
            .map(meter_type_wire_label)
            .unwrap_or("");
        let status = pb::AccountStatus::try_from(hit.status)
            .map(status_wire_label)
            .unwrap_or("");
        list.row(&[
            hit.account_no.as_str(),
            &hit.customer_name,
            customer_type,
            &hit.phone_masked,
            &hit.address,
            &hit.meter_no,
            meter_type,
            status,
        ])?;
    }
    list.save(path)
}

fn customer_type_wire_label(value: pb::CustomerType) -> &'static str {
    match value {
        pb::CustomerType::Residential => "居民",
        pb::CustomerType::Commercial => "商业",
        pb::CustomerType::Industrial => "工业",
        pb::CustomerType::PublicWelfare => "公福",
        _ => "",
    }
}

fn meter_type_wire_label(value: pb::MeterType) -> &'static str {
    match value {
        pb::MeterType::Mechanical => "机械表",
        pb::MeterType::IcCard => "IC卡表",
        pb::MeterType::Iot => "物联网表",
        _ => "",
    }
}

fn status_wire_label(value: pb::AccountStatus) -> &'static str {
    match value {
        pb::AccountStatus::Active => "正常",
        pb::AccountStatus::Suspended => "报停",
        pb::AccountStatus::Closed => "销户",
        _ => "",
    }
}

#[derive(QueryableByName)]
struct BillRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    revision: String,
    #[diesel(sql_type = Text)]
    from_date: String,
    #[diesel(sql_type = Text)]
    to_date: String,
    #[diesel(sql_type = Text)]
    previous_value: String,
    #[diesel(sql_type = Text)]
    current_value: String,
    #[diesel(sql_type = Text)]
    volume: String,
    #[diesel(sql_type = Text)]
    amount: String,
    #[diesel(sql_type = Text)]
    net: String,
    #[diesel(sql_type = Text)]
    tax: String,
    #[diesel(sql_type = Text)]
    tariff_code: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    estimated: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    cancelled: bool,
    #[diesel(sql_type = Text)]
    due_on: String,
}

const BILL_HEADERS: [&str; 17] = [
    "户号",
    "户名",
    "账期",
    "版本",
    "起始日",
    "截止日",
    "上次读数",
    "本次读数",
    "用气量(m³)",
    "金额(元)",
    "不含税金额",
    "税额",
    "气价方案",
    "估抄",
    "作废",
    "缴费截止日",
    "说明",
];

/// Writes every bill revision of a period (a cancellation is its own row);
/// returns the number of rows.
pub fn bills(connection: &mut PgConnection, period: &str, path: &Path) -> Result<u64> {
    let mut list = ListWriter::new(&format!("账单 {period}"), &BILL_HEADERS);
    let mut after = 0_i64;
    loop {
        let rows: Vec<BillRow> = sql_query(
            "SELECT b.id, a.account_no, c.name, b.period, b.revision::text AS revision, \
                    b.from_date::text AS from_date, b.to_date::text AS to_date, \
                    coalesce(b.previous_value::text, '') AS previous_value, \
                    coalesce(b.current_value::text, '') AS current_value, b.volume::text AS volume, \
                    b.amount::text AS amount, b.net::text AS net, b.tax::text AS tax, b.tariff_code, \
                    b.estimated, b.cancelled, b.due_on::text AS due_on \
             FROM bills b JOIN accounts a ON a.id = b.account_id JOIN customers c ON c.id = a.customer_id \
             WHERE b.period = $1 AND b.id > $2 ORDER BY b.id LIMIT $3",
        )
        .bind::<Text, _>(period)
        .bind::<BigInt, _>(after)
        .bind::<BigInt, _>(PAGE)
        .load(connection)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.id;
        for row in rows {
            list.row(&[
                row.account_no.as_str(),
                &row.name,
                &row.period,
                &row.revision,
                &row.from_date,
                &row.to_date,
                &row.previous_value,
                &row.current_value,
                &row.volume,
                &row.amount,
                &row.net,
                &row.tax,
                &row.tariff_code,
                if row.estimated { "是" } else { "" },
                if row.cancelled { "是" } else { "" },
                &row.due_on,
                if row.cancelled { "冲销" } else { "" },
            ])?;
        }
    }
    list.save(path)
}

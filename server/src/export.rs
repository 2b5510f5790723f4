//! Excel export of lists, streamed: rows are read in pages (the accounts
//! through one COPY, bills by keyset) and written with rust_xlsxwriter's
//! constant-memory mode, so a million accounts need no more memory than a
//! thousand. Personal data is masked; every value is written as text, never
//! as a formula.
//!
//! Reading and writing the accounts overlap: one thread takes PostgreSQL's
//! COPY stream apart while the caller's thread writes the page before,
//! because on its own each side leaves a core idle.

use std::{path::Path, sync::mpsc};

use diesel::{
    connection::SimpleConnection,
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
        account_cells_shown([
            self.account_no.as_str(),
            &self.name,
            &self.customer_type,
            &self.id_number_masked,
            &self.phone_masked,
            &self.address,
            &self.meter_no,
            &self.meter_type,
            &self.status,
            &self.opened_on,
        ])
    }
}

/// A row of [`ACCOUNTS_SQL`] as the list shows it: the enumerations by
/// their Chinese labels.
fn account_cells_shown(row: [&str; 10]) -> [&str; 10] {
    let [
        account_no,
        name,
        customer_type,
        id_number,
        phone,
        address,
        meter_no,
        meter_type,
        status,
        opened_on,
    ] = row;
    [
        account_no,
        name,
        customer_type_label(customer_type),
        id_number,
        phone,
        address,
        meter_no,
        meter_type_label(meter_type),
        status_label(status),
        opened_on,
    ]
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
    let (pages, receive) = mpsc::sync_channel::<CopyPage<10>>(4);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_accounts(connection, &pages));
        let written = (|| -> Result<()> {
            for page in receive {
                for row in page.rows() {
                    list.row(&account_cells_shown(row))?;
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

/// `COPY (ACCOUNTS_SQL) TO STDOUT` for diesel, whose `copy_to` names only
/// tables. COPY streams: PostgreSQL produces rows while this side splits
/// them, where a cursor's FETCH leaves one side idle while the other works,
/// and a text line costs far less to take apart than ten decoded columns.
struct AccountsCopy;

impl diesel::pg::CopyTarget for AccountsCopy {
    // Unused by COPY TO's SQL; diesel wants a table type here.
    type Table = crate::schema::accounts::table;
    type SqlType = Text;

    fn walk_target(
        mut pass: diesel::query_builder::AstPass<'_, '_, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        pass.push_sql("(");
        pass.push_sql(ACCOUNTS_SQL);
        pass.push_sql(")");
        Ok(())
    }
}

/// Lines read per page sent to the writer.
const COPY_PAGE_ROWS: usize = 8_192;

/// Reads every account through COPY and sends them on in pages.
fn read_accounts(
    connection: &mut PgConnection,
    pages: &mpsc::SyncSender<CopyPage<10>>,
) -> Result<()> {
    use std::io::BufRead;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    connection
        .build_transaction()
        .repeatable_read()
        .read_only()
        .run(|connection| -> Result<()> {
            let mut read = 0_i64;
            {
                let mut stream = diesel::copy_to(AccountsCopy)
                    .with_format(diesel::pg::CopyFormat::Text)
                    .load_raw(connection)?;
                let mut page = CopyPage::default();
                let mut line = Vec::new();
                loop {
                    line.clear();
                    let n = stream
                        .read_until(b'\n', &mut line)
                        .map_err(|e| Error::Internal(format!("export: reading accounts: {e}")))?;
                    if n == 0 {
                        break;
                    }
                    read += 1;
                    page.push_line(&line)?;
                    if page.len() == COPY_PAGE_ROWS {
                        // The writer stopped (an error): stop reading too.
                        if pages.send(std::mem::take(&mut page)).is_err() {
                            return Ok(());
                        }
                    }
                }
                if page.len() > 0 && pages.send(page).is_err() {
                    return Ok(());
                }
            }
            // diesel leaves COPY's closing result unread, and reports a
            // server error mid-stream as a plain end of data. A simple query
            // (PQexec) reads and drops that result so the connection is
            // usable again; after an error it fails, the transaction being
            // aborted. The count sees the COPY's snapshot (repeatable read),
            // so a stream that ended early also shows as a short count; it
            // runs while the writer finishes the last pages.
            connection.batch_execute("SELECT 1").map_err(|e| {
                Error::Internal(format!(
                    "export: PostgreSQL stopped the export after {read} accounts; no file was written ({e})"
                ))
            })?;
            let expected: Count =
                sql_query("SELECT count(*) AS n FROM accounts").get_result(connection)?;
            if read != expected.n {
                return Err(Error::Internal(format!(
                    "export: read {read} of {} accounts; the export is incomplete",
                    expected.n
                )));
            }
            Ok(())
        })
}

/// `N`-cell rows of COPY's text format, unescaped into one buffer: two
/// allocations a page rather than one per cell.
struct CopyPage<const N: usize> {
    text: String,
    /// Where each cell ends in `text`; a cell starts where the one before
    /// it ends.
    ends: Vec<usize>,
}

impl<const N: usize> Default for CopyPage<N> {
    fn default() -> Self {
        CopyPage {
            text: String::new(),
            ends: Vec::new(),
        }
    }
}

impl<const N: usize> CopyPage<N> {
    fn len(&self) -> usize {
        self.ends.len() / N
    }

    /// Appends one line, with or without its newline; `\N` (NULL) reads as
    /// an empty cell.
    fn push_line(&mut self, line: &[u8]) -> Result<()> {
        let (text_before, ends_before) = (self.text.len(), self.ends.len());
        let pushed = self.push_cells(line.strip_suffix(b"\n").unwrap_or(line));
        if pushed.is_err() {
            // A refused line leaves the page as it was.
            self.text.truncate(text_before);
            self.ends.truncate(ends_before);
        }
        pushed
    }

    fn push_cells(&mut self, line: &[u8]) -> Result<()> {
        let before = self.ends.len();
        let mut unescaped = Vec::new();
        for field in line.split(|b| *b == b'\t') {
            if field != b"\\N" {
                let field = if field.contains(&b'\\') {
                    unescaped.clear();
                    unescape(field, &mut unescaped);
                    &unescaped[..]
                } else {
                    field
                };
                let field = std::str::from_utf8(field)
                    .map_err(|e| Error::Internal(format!("export: a cell is not UTF-8: {e}")))?;
                self.text.push_str(field);
            }
            self.ends.push(self.text.len());
        }
        let cells = self.ends.len() - before;
        if cells != N {
            return Err(Error::Internal(format!(
                "export: a row has {cells} cells where {N} were asked for"
            )));
        }
        Ok(())
    }

    fn rows(&self) -> impl Iterator<Item = [&str; N]> + '_ {
        (0..self.len()).map(move |row| {
            std::array::from_fn(|column| {
                let index = row * N + column;
                let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
                self.text.get(start..self.ends[index]).unwrap_or("")
            })
        })
    }
}

/// Undoes COPY text format's backslash escapes.
fn unescape(field: &[u8], out: &mut Vec<u8>) {
    let mut bytes = field.iter();
    while let Some(&byte) = bytes.next() {
        if byte != b'\\' {
            out.push(byte);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'b') => out.push(0x08),
            Some(b'f') => out.push(0x0c),
            Some(b'v') => out.push(0x0b),
            Some(&other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_lines_split_into_exact_cells() -> Result<()> {
        let mut page = CopyPage::<3>::default();
        page.push_line(b"a\\tb\t\\N\t=1+2\n")?;
        page.push_line(b"\\\\N\\n\\r\\x\t\t\xe5\xbc\xa0")?;
        let rows: Vec<[&str; 3]> = page.rows().collect();
        assert_eq!(rows, [["a\tb", "", "=1+2"], ["\\N\n\rx", "", "张"]]);
        let short = page.push_line(b"only\ttwo\n");
        assert!(short.is_err(), "a row of the wrong width is refused");
        assert_eq!(page.len(), 2, "and leaves the page as it was");
        assert!(page.push_line(b"\xff\t\t\n").is_err(), "not UTF-8");
        assert_eq!(page.rows().count(), 2);
        assert_eq!(page.text.len(), "a\tb=1+2\\N\n\rx张".len());
        Ok(())
    }
}

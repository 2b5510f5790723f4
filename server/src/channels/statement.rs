//! The daily statement (对账单) a payment channel hands out, read from CSV
//! or a spreadsheet, and its matching against the payments we recorded.
//!
//! Reading is forgiving about layout and strict about values. Channels put
//! title and summary lines around the table (Alipay's `#…` lines, WeChat's
//! `总交易单数` footer), prefix values with a backtick so Excel keeps long
//! numbers as text, and name columns differently; the header row is found
//! by its names, and every line outside the table is counted, not dropped.
//! Amounts are exact decimals: a value Excel turned into a float
//! (`1.2E+3`) or one with sub-fen digits is an error naming the row, the
//! column and the value, never a rounded guess. No bad row is lost: each
//! becomes a `RowError`.

use std::{collections::HashMap, fmt, path::Path};

use calamine::{Data, Reader};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use gascis_common::{Money, MoneyError};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::{
    error::{Error, Result},
    import::source::{self, Limits, SourceError},
};

/// China Standard Time: statements print local times without a zone, and
/// China has had no daylight saving since 1991. (Checked at compile time.)
pub const CHINA_TIME: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Rows searched for the header; channel title blocks are a few lines.
const HEADER_SCAN_ROWS: usize = 50;

/// The whole file could not be read (row-level problems are `RowError`s).
#[derive(Debug, thiserror::Error)]
pub enum StatementError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0} is not .csv, .xlsx, .xlsm, .xls or .ods")]
    Format(String),
    #[error("{0} is neither UTF-8 nor GBK/GB18030 text; save the statement as UTF-8 CSV")]
    Encoding(String),
    #[error("CSV row {row}: {message}")]
    Csv { row: u64, message: String },
    #[error(
        "no header row in the first {HEADER_SCAN_ROWS} rows: a statement needs an amount column \
         (交易金额/金额/订单金额/实收金额) and an order (商户订单号/订单号/商户单号) or reference \
         (渠道流水号/交易单号/支付宝交易号/微信订单号/流水号) column"
    )]
    NoHeader,
}

/// One bad row: where, which column, what it held and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based row of the file.
    pub row: u32,
    /// The column's header as the file names it.
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, {} '{}': {}",
            self.row, self.field, self.value, self.reason
        )
    }
}

/// A line outside the table (title, summary, footer), kept for the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub row: u32,
    pub text: String,
}

/// One transaction of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    /// 1-based row in the file; 0 when not read from a file.
    pub row: u32,
    /// Our order number (商户订单号); empty for bank-agent payments.
    pub order_no: String,
    /// The channel's transaction number (渠道流水号).
    pub channel_ref: String,
    pub account_no: String,
    pub amount: Money,
    /// None when the statement has no time column.
    pub paid_at: Option<DateTime<Utc>>,
    pub status: String,
    pub note: String,
}

/// A statement as read: the rows, the bad rows, the lines around the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    /// The sheet read, for spreadsheets.
    pub sheet: Option<String>,
    /// Lines above the header (channel, merchant, period).
    pub title_lines: Vec<SkippedRow>,
    pub header_row: u32,
    /// Headers no field maps to; their columns are not read.
    pub ignored_columns: Vec<String>,
    pub rows: Vec<StatementRow>,
    pub errors: Vec<RowError>,
    /// Summary and footer lines below the table (总交易单数, #交易合计…).
    pub summary_rows: Vec<SkippedRow>,
}

impl Statement {
    /// Rows with at least one error.
    pub fn bad_rows(&self) -> usize {
        let mut rows: Vec<u32> = self.errors.iter().map(|error| error.row).collect();
        rows.dedup();
        rows.len()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    OrderNo,
    ChannelRef,
    AccountNo,
    Amount,
    PaidAt,
    Status,
    Note,
}

/// Header names per field, best first: when a file has two columns for a
/// field (Alipay has 订单金额 and 实收金额), the earlier name wins. Headers
/// are compared after dropping spaces and a unit in brackets, so
/// `订单金额（元）` is `订单金额`.
const SYNONYMS: &[(Field, &[&str])] = &[
    (Field::OrderNo, &["商户订单号", "订单号", "商户单号"]),
    (
        Field::ChannelRef,
        &[
            "渠道流水号",
            "交易单号",
            "支付宝交易号",
            "微信订单号",
            "流水号",
            "银行流水号",
            "交易流水号",
        ],
    ),
    (
        Field::Amount,
        &["交易金额", "金额", "订单金额", "实收金额", "商家实收"],
    ),
    (
        Field::PaidAt,
        &["交易时间", "时间", "支付时间", "付款时间", "完成时间"],
    ),
    (Field::Status, &["交易状态", "状态"]),
    (Field::AccountNo, &["户号", "用户号", "缴费户号"]),
    (Field::Note, &["备注", "附言", "摘要", "商品名称"]),
];

/// First cells that start the summary below the table; the rest of the
/// file after one of them is summary too (WeChat's totals line follows its
/// titles line).
const SUMMARY_MARKERS: &[&str] = &[
    "#",
    "总交易单数",
    "总笔数",
    "交易合计",
    "退款合计",
    "合计",
    "总计",
    "汇总",
    "小计",
];

/// One cell as read: its text, and whether the file stored a number
/// (a long reference stored as a number has lost digits).
#[derive(Debug, Clone, Default)]
struct RawCell {
    text: String,
    numeric: bool,
}

type RawRow = (u32, Vec<RawCell>);

fn normalize_header(header: &str) -> String {
    let cleaned = clean_value(header);
    let cut = cleaned
        .find(['(', '（', '['])
        .map_or(cleaned.as_str(), |at| &cleaned[..at]);
    cut.chars()
        .filter(|c| !c.is_whitespace() && *c != '#')
        .collect()
}

/// Strips what channels wrap values in: WeChat's leading backtick, a
/// leading tab, Excel's `="…"` text guard, a byte-order mark.
fn clean_value(value: &str) -> String {
    let mut text = value.trim().trim_start_matches('\u{feff}').trim();
    if let Some(inner) = text
        .strip_prefix("=\"")
        .and_then(|rest| rest.strip_suffix('"'))
    {
        text = inner;
    }
    text.trim_start_matches('`').trim().to_owned()
}

struct Column {
    index: usize,
    header: String,
}

/// The columns a row maps, when it looks like the header.
fn header_columns(cells: &[RawCell]) -> Option<(HashMap<Field, Column>, Vec<String>)> {
    let mut best: HashMap<Field, (usize, Column)> = HashMap::new();
    let mut ignored = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        let name = normalize_header(&cell.text);
        if name.is_empty() {
            continue;
        }
        let found = SYNONYMS.iter().find_map(|(field, names)| {
            names
                .iter()
                .position(|synonym| *synonym == name)
                .map(|rank| (*field, rank))
        });
        match found {
            Some((field, rank)) => {
                let better = best.get(&field).is_none_or(|(held, _)| rank < *held);
                if better {
                    let header = cell.text.trim().to_owned();
                    best.insert(field, (rank, Column { index, header }));
                }
            }
            None => ignored.push(cell.text.trim().to_owned()),
        }
    }
    let has_reference = best.contains_key(&Field::OrderNo) || best.contains_key(&Field::ChannelRef);
    if !best.contains_key(&Field::Amount) || !has_reference {
        return None;
    }
    let columns = best
        .into_iter()
        .map(|(field, (_, column))| (field, column))
        .collect();
    Some((columns, ignored))
}

fn row_text(cells: &[RawCell]) -> String {
    let mut texts: Vec<&str> = cells.iter().map(|cell| cell.text.trim()).collect();
    while texts.last().is_some_and(|text| text.is_empty()) {
        texts.pop();
    }
    texts.join(",")
}

fn is_summary(cells: &[RawCell]) -> bool {
    let first = cells
        .iter()
        .map(|cell| cell.text.trim().trim_start_matches('\u{feff}'))
        .find(|text| !text.is_empty())
        .unwrap_or_default();
    SUMMARY_MARKERS
        .iter()
        .any(|marker| first.starts_with(marker))
}

/// An amount as statements print it: `¥1,234.50`, `` `128.50 ``, `-3.00`.
/// Exact or refused, with the reason.
pub fn parse_amount(text: &str) -> Result<Money, String> {
    let mut value = clean_value(text);
    for unit in ["¥", "￥", "元", "RMB", "CNY"] {
        value = value.replace(unit, "");
    }
    let value = value.trim();
    if value.is_empty() {
        return Err("missing".into());
    }
    if value.contains(['e', 'E']) {
        return Err(
            "scientific notation: the amount became a float and is not exact; export it as text"
                .into(),
        );
    }
    let unsigned = value.trim_start_matches(['-', '+']);
    let integer = unsigned.split('.').next().unwrap_or_default();
    if integer.contains(',') {
        // Thousands separators only: "1,234.50"; a decimal comma ("12,50")
        // is refused rather than read as 1250.
        let groups: Vec<&str> = integer.split(',').collect();
        let well_grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3);
        if !well_grouped {
            return Err("commas are not thousands separators".into());
        }
    }
    if unsigned.split('.').nth(1).is_some_and(|f| f.contains(',')) {
        return Err("commas are not thousands separators".into());
    }
    let plain = value.replace(',', "");
    let plain = plain.strip_prefix('+').unwrap_or(&plain);
    plain.parse::<Money>().map_err(|error| match error {
        MoneyError::TooPrecise(_) => "more than 2 decimal places".to_owned(),
        MoneyError::Overflow => "out of range".to_owned(),
        MoneyError::NotANumber(_) => "not a decimal amount".to_owned(),
    })
}

const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y.%m.%d %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日%H:%M:%S",
    "%Y%m%d %H:%M:%S",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];

/// A time as statements print it, in China time unless it names a zone.
/// A bare date is midnight of that day (some bank files give only the day).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let value = clean_value(text);
    if value.is_empty() {
        return Err("missing".into());
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(&value) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = |naive: NaiveDateTime| {
        CHINA_TIME
            .from_local_datetime(&naive)
            .single()
            .map(|at| at.with_timezone(&Utc))
    };
    // 20261125093000: fixed widths, which chrono's %Y (any width) can't
    // split on its own.
    if value.len() == 14 && value.bytes().all(|b| b.is_ascii_digit()) {
        let spaced = format!(
            "{}-{}-{} {}:{}:{}",
            &value[0..4],
            &value[4..6],
            &value[6..8],
            &value[8..10],
            &value[10..12],
            &value[12..14]
        );
        if let Some(at) = NaiveDateTime::parse_from_str(&spaced, "%Y-%m-%d %H:%M:%S")
            .ok()
            .and_then(local)
        {
            return Ok(at);
        }
    }
    for format in DATE_TIME_FORMATS {
        if let Some(at) = NaiveDateTime::parse_from_str(&value, format)
            .ok()
            .and_then(local)
        {
            return Ok(at);
        }
    }
    for format in DATE_FORMATS {
        if let Some(at) = NaiveDate::parse_from_str(&value, format)
            .ok()
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(local)
        {
            return Ok(at);
        }
    }
    if value.len() == 8 && value.bytes().all(|b| b.is_ascii_digit()) {
        let spaced = format!("{}-{}-{}", &value[0..4], &value[4..6], &value[6..8]);
        if let Some(at) = NaiveDate::parse_from_str(&spaced, "%Y-%m-%d")
            .ok()
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(local)
        {
            return Ok(at);
        }
    }
    Err("not a date and time like 2026-11-25 09:30:00".into())
}

/// Excel keeps 15 significant digits of a number.
const EXCEL_DIGITS: usize = 15;

fn parse_rows(rows: Vec<RawRow>, sheet: Option<String>) -> Result<Statement, StatementError> {
    let mut statement = Statement {
        sheet,
        ..Statement::default()
    };
    let mut found = None;
    for (position, (row, cells)) in rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        if let Some((columns, ignored)) = header_columns(cells) {
            statement.header_row = *row;
            statement.ignored_columns = ignored;
            found = Some((position, columns));
            break;
        }
    }
    let Some((header_position, columns)) = found else {
        return Err(StatementError::NoHeader);
    };
    let mut rows = rows.into_iter();
    for (row, cells) in rows.by_ref().take(header_position) {
        statement.title_lines.push(SkippedRow {
            row,
            text: row_text(&cells),
        });
    }
    rows.next();
    let mut in_summary = false;
    for (row, cells) in rows {
        if cells.iter().all(|cell| clean_value(&cell.text).is_empty()) {
            continue;
        }
        if in_summary || is_summary(&cells) {
            in_summary = true;
            statement.summary_rows.push(SkippedRow {
                row,
                text: row_text(&cells),
            });
            continue;
        }
        match parse_row(row, &cells, &columns) {
            Ok(parsed) => statement.rows.push(parsed),
            Err(errors) => statement.errors.extend(errors),
        }
    }
    Ok(statement)
}

fn parse_row(
    row: u32,
    cells: &[RawCell],
    columns: &HashMap<Field, Column>,
) -> Result<StatementRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let empty = RawCell::default();
    let cell = |field: Field| -> Option<(&Column, &RawCell)> {
        columns
            .get(&field)
            .map(|column| (column, cells.get(column.index).unwrap_or(&empty)))
    };
    let text = |field: Field| cell(field).map(|(_, raw)| clean_value(&raw.text));
    let mut error = |column: &Column, raw: &RawCell, reason: String| {
        errors.push(RowError {
            row,
            field: column.header.clone(),
            value: raw.text.trim().to_owned(),
            reason,
        });
    };

    let reference = |field: Field, error: &mut dyn FnMut(&Column, &RawCell, String)| {
        let (column, raw) = cell(field)?;
        let value = clean_value(&raw.text);
        let digits = value.chars().filter(char::is_ascii_digit).count();
        if raw.numeric && digits > EXCEL_DIGITS {
            error(
                column,
                raw,
                format!(
                    "stored as a number, of which Excel keeps {EXCEL_DIGITS} digits: the \
                     reference is damaged; export the statement with text cells"
                ),
            );
            return None;
        }
        Some(value)
    };
    let order_no = reference(Field::OrderNo, &mut error).unwrap_or_default();
    let channel_ref = reference(Field::ChannelRef, &mut error).unwrap_or_default();
    let account_no = reference(Field::AccountNo, &mut error).unwrap_or_default();

    let amount = match cell(Field::Amount) {
        Some((column, raw)) => match parse_amount(&raw.text) {
            Ok(amount) => Some(amount),
            Err(reason) => {
                error(column, raw, reason);
                None
            }
        },
        None => None,
    };
    let paid_at = match cell(Field::PaidAt) {
        Some((column, raw)) => {
            let parsed = if raw.numeric {
                excel_serial_time(&raw.text).ok_or_else(|| "not an Excel date".to_owned())
            } else {
                parse_time(&raw.text)
            };
            match parsed {
                Ok(at) => Some(at),
                Err(reason) => {
                    error(column, raw, reason);
                    None
                }
            }
        }
        None => None,
    };
    let has_reference_error = errors.iter().any(|e| {
        [Field::OrderNo, Field::ChannelRef]
            .iter()
            .any(|f| columns.get(f).is_some_and(|c| c.header == e.field))
    });
    if order_no.is_empty() && channel_ref.is_empty() && !has_reference_error {
        let column = columns
            .get(&Field::OrderNo)
            .or_else(|| columns.get(&Field::ChannelRef));
        if let Some(column) = column {
            errors.push(RowError {
                row,
                field: column.header.clone(),
                value: String::new(),
                reason: "neither an order number nor a channel reference: the row cannot be \
                         matched"
                    .into(),
            });
        }
    }
    match amount {
        Some(amount) if errors.is_empty() => Ok(StatementRow {
            row,
            order_no,
            channel_ref,
            account_no,
            amount,
            paid_at,
            status: text(Field::Status).unwrap_or_default(),
            note: text(Field::Note).unwrap_or_default(),
        }),
        // The header guarantees an amount column, so a missing amount has
        // its error already; the guard keeps a row from vanishing if not.
        _ if errors.is_empty() => Err(vec![RowError {
            row,
            field: "金额".into(),
            value: String::new(),
            reason: "missing".into(),
        }]),
        _ => Err(errors),
    }
}

/// Excel's serial day number with a fraction of a day, in China time.
fn excel_serial_time(text: &str) -> Option<DateTime<Utc>> {
    let serial: rust_decimal::Decimal = text.trim().parse().ok()?;
    let seconds = (serial * rust_decimal::Decimal::from(86_400))
        .round()
        .try_into()
        .ok()?;
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let naive = epoch.checked_add_signed(chrono::TimeDelta::try_seconds(seconds)?)?;
    // Serials before 1900-03-01 are off by Excel's phantom 1900-02-29;
    // no statement is that old, so they are refused.
    if naive.date() < NaiveDate::from_ymd_opt(1900, 3, 1)? {
        return None;
    }
    CHINA_TIME
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase()
}

/// Reads a statement with the import's default size limits.
pub fn read_statement(path: &Path) -> Result<Statement, StatementError> {
    read_statement_with_limits(path, &Limits::default())
}

pub fn read_statement_with_limits(
    path: &Path,
    limits: &Limits,
) -> Result<Statement, StatementError> {
    match extension(path).as_str() {
        "csv" | "txt" => parse_rows(read_csv(path, limits)?, None),
        "xlsx" | "xlsm" | "xls" | "ods" => {
            let (sheet, rows) = read_spreadsheet(path, limits)?;
            parse_rows(rows, Some(sheet))
        }
        _ => Err(StatementError::Format(path.display().to_string())),
    }
}

/// UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset
/// of the GBK that Alipay and most banks write).
fn decode(bytes: &[u8], shown: &str) -> Result<String, StatementError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling_and_without_replacement(&bytes[bom..])
            .map(|text| text.into_owned())
            .ok_or_else(|| StatementError::Encoding(shown.to_owned()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or_else(|| StatementError::Encoding(shown.to_owned()))
}

fn read_csv(path: &Path, limits: &Limits) -> Result<Vec<RawRow>, StatementError> {
    let shown = path.display().to_string();
    let open_error = |error: std::io::Error| SourceError::Open(shown.clone(), error.to_string());
    let size = std::fs::metadata(path).map_err(open_error)?.len();
    if size > limits.max_file_bytes {
        return Err(SourceError::TooLarge {
            size,
            limit: limits.max_file_bytes,
        }
        .into());
    }
    let bytes = std::fs::read(path).map_err(open_error)?;
    let text = decode(&bytes, &shown)?;
    // Excel's "Unicode text" export is tab-separated; everything else here
    // uses commas.
    let head: String = text.lines().take(HEADER_SCAN_ROWS).collect();
    let delimiter = if head.matches('\t').count() > head.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| StatementError::Csv {
            row: error.position().map_or(0, |p| p.line()),
            message: error.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let row = u32::try_from(line).unwrap_or(u32::MAX);
        if row > limits.max_rows || record.len() > limits.max_columns as usize {
            return Err(SourceError::Dimensions {
                sheet: "csv".into(),
                rows: line,
                columns: record.len() as u64,
                max_rows: limits.max_rows,
                max_columns: limits.max_columns,
            }
            .into());
        }
        let cells: Vec<RawCell> = record
            .iter()
            .map(|text| RawCell {
                text: text.to_owned(),
                numeric: false,
            })
            .collect();
        if cells.iter().all(|cell| cell.text.trim().is_empty()) {
            continue;
        }
        rows.push((row, cells));
    }
    Ok(rows)
}

fn raw_cell(data: &Data) -> RawCell {
    let text = |text: String| RawCell {
        text,
        numeric: false,
    };
    match data {
        Data::Empty => RawCell::default(),
        Data::String(value) | Data::DateTimeIso(value) | Data::DurationIso(value) => {
            text(value.clone())
        }
        Data::Int(value) => RawCell {
            text: value.to_string(),
            numeric: true,
        },
        // Rust prints the shortest text that reads back as the same double,
        // which is what Excel shows for an amount typed as 12.3.
        Data::Float(value) => RawCell {
            text: value.to_string(),
            numeric: true,
        },
        Data::Bool(value) => text(value.to_string()),
        Data::DateTime(value) => match value.as_datetime() {
            Some(at) => text(at.format("%Y-%m-%d %H:%M:%S").to_string()),
            None => RawCell {
                text: value.as_f64().to_string(),
                numeric: true,
            },
        },
        Data::Error(error) => text(format!("#{error:?}")),
    }
}

/// The first sheet, as text rows. The source module's checks (file size,
/// zip directory, format) run first; its own reader is not used because it
/// keeps only the date of a date-time cell, and a statement needs the time.
fn read_spreadsheet(path: &Path, limits: &Limits) -> Result<(String, Vec<RawRow>), StatementError> {
    let names = source::sheet_names(path, limits)?;
    let name = names.first().cloned().ok_or(SourceError::Empty)?;
    let mut workbook =
        calamine::open_workbook_auto(path).map_err(|error| SourceError::Read(error.to_string()))?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|error| SourceError::Read(error.to_string()))?;
    if let Some((last_row, last_column)) = range.end() {
        let rows = u64::from(last_row) + 1;
        let columns = u64::from(last_column) + 1;
        if rows > u64::from(limits.max_rows) || columns > u64::from(limits.max_columns) {
            return Err(SourceError::Dimensions {
                sheet: name,
                rows,
                columns,
                max_rows: limits.max_rows,
                max_columns: limits.max_columns,
            }
            .into());
        }
    }
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (offset, cells) in range.rows().enumerate() {
        let cells: Vec<RawCell> = std::iter::repeat_n(RawCell::default(), first_column as usize)
            .chain(cells.iter().map(raw_cell))
            .collect();
        if cells.iter().all(|cell| cell.text.trim().is_empty()) {
            continue;
        }
        let row = first_row.saturating_add(offset as u32).saturating_add(1);
        rows.push((row, cells));
    }
    Ok((name, rows))
}

/// A payment as we recorded it, for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurRecord {
    /// Our payment number, sent to the channel as its order number.
    pub payment_no: String,
    pub channel: String,
    pub channel_ref: Option<String>,
    pub account_no: String,
    pub amount: Money,
    pub posted_at: DateTime<Utc>,
    /// e.g. "posted", "unknown" (outcome not learned yet).
    pub status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchClass {
    /// Both sides, same amount.
    Matched,
    /// The channel has it, we don't (e.g. a notification never received).
    MissingOurs,
    /// We have it, the statement doesn't.
    MissingTheirs,
    /// Both sides, different amounts.
    AmountDiffers,
}

impl MatchClass {
    pub const ALL: [MatchClass; 4] = [
        MatchClass::Matched,
        MatchClass::MissingOurs,
        MatchClass::MissingTheirs,
        MatchClass::AmountDiffers,
    ];

    /// The name the report's sheets use.
    pub fn label(self) -> &'static str {
        match self {
            MatchClass::Matched => "已匹配",
            MatchClass::MissingOurs => "我方缺失",
            MatchClass::MissingTheirs => "渠道缺失",
            MatchClass::AmountDiffers => "金额不符",
        }
    }
}

/// Which key paired the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey {
    OrderNo,
    ChannelRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchEntry {
    pub class: MatchClass,
    pub key: Option<MatchKey>,
    pub theirs: Option<StatementRow>,
    pub ours: Option<OurRecord>,
    /// Disagreements that do not change the class (another account number,
    /// another channel reference).
    pub notes: Vec<String>,
}

impl MatchEntry {
    /// Theirs minus ours, when both sides are there.
    pub fn difference(&self) -> Option<Money> {
        let theirs = self.theirs.as_ref()?.amount;
        let ours = self.ours.as_ref()?.amount;
        theirs.checked_sub(ours)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassTotal {
    pub class: MatchClass,
    pub count: usize,
    pub theirs_amount: Money,
    pub ours_amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchReport {
    pub channel: String,
    /// Statement order, then our unmatched records in our order.
    pub entries: Vec<MatchEntry>,
    /// One per class, in `MatchClass::ALL` order.
    pub totals: Vec<ClassTotal>,
    /// The statement's unreadable rows: a report with any is not clean.
    pub row_errors: Vec<RowError>,
    /// Our records of other channels, left out of this match.
    pub other_channel_records: usize,
}

impl MatchReport {
    pub fn entries_of(&self, class: MatchClass) -> impl Iterator<Item = &MatchEntry> {
        self.entries
            .iter()
            .filter(move |entry| entry.class == class)
    }

    pub fn total(&self, class: MatchClass) -> Option<&ClassTotal> {
        self.totals.iter().find(|total| total.class == class)
    }

    /// Everything matched and every row read.
    pub fn is_clean(&self) -> bool {
        self.row_errors.is_empty()
            && self
                .entries
                .iter()
                .all(|entry| entry.class == MatchClass::Matched)
    }
}

fn add(sum: Money, amount: Money) -> Money {
    // Amounts are bounded by NUMERIC(14,2) and a Decimal holds 28 digits:
    // overflow would take some 10^16 entries, more than memory holds.
    sum.checked_add(amount)
        .unwrap_or_else(|| unreachable!("sum of statement amounts overflowed"))
}

/// Pairs the statement's rows with our records of `channel`: by order
/// number first, then by channel reference. Each record pairs at most once,
/// so a duplicated statement row shows up as missing on our side.
pub fn match_statement(channel: &str, theirs: &Statement, ours: &[OurRecord]) -> MatchReport {
    let candidates: Vec<&OurRecord> = ours
        .iter()
        .filter(|record| record.channel == channel)
        .collect();
    let mut by_order: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_reference: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, record) in candidates.iter().enumerate() {
        if !record.payment_no.is_empty() {
            by_order
                .entry(record.payment_no.as_str())
                .or_default()
                .push(index);
        }
        if let Some(reference) = record.channel_ref.as_deref().filter(|r| !r.is_empty()) {
            by_reference.entry(reference).or_default().push(index);
        }
    }
    let mut paired = vec![false; candidates.len()];
    let mut take = |index: &HashMap<&str, Vec<usize>>, key: &str| -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        let found = index
            .get(key)?
            .iter()
            .copied()
            .find(|&position| !paired[position])?;
        paired[found] = true;
        Some(found)
    };

    let mut entries = Vec::new();
    for row in &theirs.rows {
        let found = take(&by_order, &row.order_no)
            .map(|index| (index, MatchKey::OrderNo))
            .or_else(|| {
                take(&by_reference, &row.channel_ref).map(|index| (index, MatchKey::ChannelRef))
            });
        let Some((index, key)) = found else {
            entries.push(MatchEntry {
                class: MatchClass::MissingOurs,
                key: None,
                theirs: Some(row.clone()),
                ours: None,
                notes: Vec::new(),
            });
            continue;
        };
        let record = candidates[index];
        let mut notes = Vec::new();
        let our_reference = record.channel_ref.as_deref().unwrap_or_default();
        if !row.channel_ref.is_empty()
            && !our_reference.is_empty()
            && row.channel_ref != our_reference
        {
            notes.push(format!(
                "渠道流水号不一致 (channel reference differs): ours {our_reference}, theirs {}",
                row.channel_ref
            ));
        }
        if !row.account_no.is_empty() && row.account_no != record.account_no {
            notes.push(format!(
                "户号不一致 (account differs): ours {}, theirs {}",
                record.account_no, row.account_no
            ));
        }
        let class = if row.amount == record.amount {
            MatchClass::Matched
        } else {
            MatchClass::AmountDiffers
        };
        entries.push(MatchEntry {
            class,
            key: Some(key),
            theirs: Some(row.clone()),
            ours: Some(record.clone()),
            notes,
        });
    }
    for (index, record) in candidates.iter().enumerate() {
        if !paired[index] {
            entries.push(MatchEntry {
                class: MatchClass::MissingTheirs,
                key: None,
                theirs: None,
                ours: Some((*record).clone()),
                notes: Vec::new(),
            });
        }
    }

    let totals = MatchClass::ALL
        .iter()
        .map(|&class| {
            let mut total = ClassTotal {
                class,
                count: 0,
                theirs_amount: Money::ZERO,
                ours_amount: Money::ZERO,
            };
            for entry in entries.iter().filter(|entry| entry.class == class) {
                total.count += 1;
                if let Some(row) = &entry.theirs {
                    total.theirs_amount = add(total.theirs_amount, row.amount);
                }
                if let Some(record) = &entry.ours {
                    total.ours_amount = add(total.ours_amount, record.amount);
                }
            }
            total
        })
        .collect();
    MatchReport {
        channel: channel.to_owned(),
        entries,
        totals,
        row_errors: theirs.errors.clone(),
        other_channel_records: ours.len() - candidates.len(),
    }
}

fn xlsx(error: XlsxError) -> Error {
    Error::Internal(format!("match report: {error}"))
}

/// Local time as the report shows it.
pub fn local_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&CHINA_TIME)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

const ENTRY_HEADERS: [&str; 15] = [
    "文件行",
    "交易时间",
    "商户订单号",
    "渠道流水号",
    "户号(渠道)",
    "渠道金额",
    "交易状态",
    "收费单号",
    "我方流水号",
    "户号(我方)",
    "我方金额",
    "入账时间",
    "我方状态",
    "差额(渠道-我方)",
    "匹配依据 / 说明",
];

fn entry_cells(entry: &MatchEntry) -> Vec<String> {
    let theirs = entry.theirs.as_ref();
    let ours = entry.ours.as_ref();
    let key = match entry.key {
        Some(MatchKey::OrderNo) => "商户订单号",
        Some(MatchKey::ChannelRef) => "渠道流水号",
        None => "",
    };
    let mut explanation = vec![key.to_owned()];
    explanation.extend(entry.notes.iter().cloned());
    explanation.retain(|part| !part.is_empty());
    vec![
        theirs.map(|t| t.row.to_string()).unwrap_or_default(),
        theirs
            .and_then(|t| t.paid_at)
            .map(local_text)
            .unwrap_or_default(),
        theirs.map(|t| t.order_no.clone()).unwrap_or_default(),
        theirs.map(|t| t.channel_ref.clone()).unwrap_or_default(),
        theirs.map(|t| t.account_no.clone()).unwrap_or_default(),
        theirs.map(|t| t.amount.to_string()).unwrap_or_default(),
        theirs.map(|t| t.status.clone()).unwrap_or_default(),
        ours.map(|o| o.payment_no.clone()).unwrap_or_default(),
        ours.and_then(|o| o.channel_ref.clone()).unwrap_or_default(),
        ours.map(|o| o.account_no.clone()).unwrap_or_default(),
        ours.map(|o| o.amount.to_string()).unwrap_or_default(),
        ours.map(|o| local_text(o.posted_at)).unwrap_or_default(),
        ours.map(|o| o.status.clone()).unwrap_or_default(),
        entry
            .difference()
            .map(|d| d.to_string())
            .unwrap_or_default(),
        explanation.join("; "),
    ]
}

/// A sheet of text cells under a bold header. Every cell is a string, so
/// nothing from a channel's file can become a formula.
fn write_sheet<S: AsRef<str>>(
    sheet: &mut Worksheet,
    name: &str,
    headers: &[&str],
    rows: &[Vec<S>],
) -> Result<()> {
    let bold = Format::new().set_bold();
    sheet.set_name(name).map_err(xlsx)?;
    for (column, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, column as u16, *header, &bold)
            .map_err(xlsx)?;
    }
    for (index, cells) in rows.iter().enumerate() {
        let row = u32::try_from(index + 1)
            .map_err(|_| Error::Internal("match report: too many rows".into()))?;
        for (column, value) in cells.iter().enumerate() {
            sheet
                .write_string(row, column as u16, value.as_ref())
                .map_err(xlsx)?;
        }
    }
    Ok(())
}

/// Writes the report: a summary sheet, one sheet per class and one of the
/// statement's unreadable rows. `ListWriter` makes one list per workbook,
/// so the sheets are written here directly, with its conventions (bold
/// header, text cells).
pub fn write_match_report(path: &Path, report: &MatchReport) -> Result<()> {
    let mut workbook = Workbook::new();
    let mut summary: Vec<Vec<String>> = vec![vec![
        "渠道".into(),
        report.channel.clone(),
        String::new(),
        String::new(),
        String::new(),
    ]];
    for total in &report.totals {
        let difference = total
            .theirs_amount
            .checked_sub(total.ours_amount)
            .map(|d| d.to_string())
            .unwrap_or_default();
        summary.push(vec![
            total.class.label().into(),
            total.count.to_string(),
            total.theirs_amount.to_string(),
            total.ours_amount.to_string(),
            difference,
        ]);
    }
    let bad_rows = {
        let mut rows: Vec<u32> = report.row_errors.iter().map(|e| e.row).collect();
        rows.dedup();
        rows.len()
    };
    summary.push(vec![
        "无法读取的行".into(),
        bad_rows.to_string(),
        String::new(),
        String::new(),
        String::new(),
    ]);
    summary.push(vec![
        "其他渠道记录(未参与核对)".into(),
        report.other_channel_records.to_string(),
        String::new(),
        String::new(),
        String::new(),
    ]);
    write_sheet(
        workbook.add_worksheet(),
        "汇总",
        &["类别", "笔数", "渠道金额", "我方金额", "差额(渠道-我方)"],
        &summary,
    )?;
    for class in MatchClass::ALL {
        let rows: Vec<Vec<String>> = report.entries_of(class).map(entry_cells).collect();
        write_sheet(
            workbook.add_worksheet(),
            class.label(),
            &ENTRY_HEADERS,
            &rows,
        )?;
    }
    let errors: Vec<Vec<String>> = report
        .row_errors
        .iter()
        .map(|error| {
            vec![
                error.row.to_string(),
                error.field.clone(),
                error.value.clone(),
                error.reason.clone(),
            ]
        })
        .collect();
    write_sheet(
        workbook.add_worksheet(),
        "无法读取的行",
        &["文件行", "列", "内容", "原因"],
        &errors,
    )?;
    workbook.save(path).map_err(xlsx)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::channels::{
        gateway::{ChargeOutcome, ChargeRequest, PaymentGateway},
        simulator::{SimulatedGateway, write_statement_csv, write_statement_xlsx},
    };

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// A WeChat-style bill: backticks, a title line, the totals footer.
    #[test]
    fn reads_wechat_style_csv() {
        let dir = tempfile::tempdir().unwrap();
        let text = "\u{feff}微信支付对账单,,,\n\
                    起始时间：[2026-11-25 00:00:00] 终止时间：[2026-11-26 00:00:00],,,\n\
                    交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易状态,应结订单金额,订单金额（元）,商品名称\n\
                    `2026-11-25 09:30:00,`wx123,`1900000001,`4200002026112500001,`P1,`SUCCESS,`128.50,`128.50,`燃气费\n\
                    `2026-11-25 10:00:05,`wx123,`1900000001,`4200002026112500002,`P2,`SUCCESS,`1000.00,\"`1,000.00\",`燃气费\n\
                    总交易单数,应结订单总金额,退款总金额\n\
                    `2,`1128.50,`0.00\n";
        let path = write(&dir, "wechat.csv", text.as_bytes());
        let statement = read_statement(&path).unwrap();
        assert_eq!(statement.header_row, 3);
        assert_eq!(statement.title_lines.len(), 2);
        assert_eq!(statement.summary_rows.len(), 2);
        assert_eq!(statement.summary_rows[0].row, 6);
        assert!(statement.errors.is_empty(), "{:?}", statement.errors);
        assert_eq!(statement.rows.len(), 2);
        let first = &statement.rows[0];
        assert_eq!(first.row, 4);
        assert_eq!(first.order_no, "P1");
        assert_eq!(first.channel_ref, "4200002026112500001");
        assert_eq!(first.amount, money("128.50"));
        assert_eq!(first.status, "SUCCESS");
        assert_eq!(first.note, "燃气费");
        assert_eq!(
            first.paid_at.map(local_text).as_deref(),
            Some("2026-11-25 09:30:00")
        );
        // 交易金额 is absent; 订单金额（元） is the next-best amount column
        // and beats nothing, while 应结订单金额 maps to no field.
        assert_eq!(statement.rows[1].amount, money("1000.00"));
        assert!(statement.ignored_columns.contains(&"商户号".to_owned()));
    }

    /// An Alipay-style bill in GBK with `#` title and footer lines.
    #[test]
    fn reads_alipay_style_gbk_csv() {
        let dir = tempfile::tempdir().unwrap();
        let text = "#支付宝交易记录明细查询\n\
                    #账号：[20880000000000000156]\n\
                    支付宝交易号,商户订单号,创建时间,完成时间,订单金额（元）,商家实收（元）,备注\n\
                    2026112522001400000001\t,P9\t,2026/11/25 8:01:02,2026/11/25 8:01:05,￥58.00,58.00,\n\
                    #-----------------------------------------业务明细列表结束------------------------------------\n\
                    #交易合计：1笔，58.00元\n";
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        let path = write(&dir, "alipay.csv", &bytes);
        let statement = read_statement(&path).unwrap();
        assert!(statement.errors.is_empty(), "{:?}", statement.errors);
        assert_eq!(statement.rows.len(), 1);
        let row = &statement.rows[0];
        assert_eq!(row.channel_ref, "2026112522001400000001");
        assert_eq!(row.order_no, "P9");
        assert_eq!(row.amount, money("58.00"));
        assert_eq!(
            row.paid_at.map(local_text).as_deref(),
            Some("2026-11-25 08:01:05")
        );
        assert_eq!(statement.title_lines.len(), 2);
        assert_eq!(statement.summary_rows.len(), 2);
    }

    #[test]
    fn reports_every_bad_row_with_row_field_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let text = "交易时间,商户订单号,渠道流水号,交易金额,交易状态\n\
                    2026-11-25 09:00:00,P1,R1,1.2E+3,成功\n\
                    2026-11-25 09:01:00,P2,R2,12.345,成功\n\
                    2026-11-25 09:02:00,P3,R3,\"12,50\",成功\n\
                    yesterday,P4,R4,10.00,成功\n\
                    2026-11-25 09:04:00,,,10.00,成功\n\
                    2026-11-25 09:05:00,P6,R6,,成功\n\
                    2026-11-25 09:06:00,P7,R7,abc,成功\n\
                    2026-11-25 09:07:00,P8,R8,\"¥1,234.50\",成功\n\
                    20261125090800,P9,R9,-3.00,退款\n";
        let path = write(&dir, "bad.csv", text.as_bytes());
        let statement = read_statement(&path).unwrap();
        let found: Vec<(u32, &str, &str)> = statement
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.value.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "交易金额", "1.2E+3"),
                (3, "交易金额", "12.345"),
                (4, "交易金额", "12,50"),
                (5, "交易时间", "yesterday"),
                (6, "商户订单号", ""),
                (7, "交易金额", ""),
                (8, "交易金额", "abc"),
            ]
        );
        assert!(statement.errors[0].reason.contains("scientific"));
        assert!(statement.errors[1].reason.contains("2 decimal"));
        assert!(statement.errors[5].reason.contains("missing"));
        assert!(statement.errors[0].to_string().contains("row 2"));
        // Nothing lost: every data line is a row or an error.
        assert_eq!(statement.rows.len() + statement.bad_rows(), 9);
        assert_eq!(statement.rows[0].amount, money("1234.50"));
        assert_eq!(statement.rows[1].amount, money("-3.00"));
        assert_eq!(
            statement.rows[1].paid_at.map(local_text).as_deref(),
            Some("2026-11-25 09:08:00")
        );
    }

    #[test]
    fn refuses_files_without_a_header_or_of_another_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "none.csv", "a,b,c\n1,2,3\n".as_bytes());
        assert!(matches!(
            read_statement(&path),
            Err(StatementError::NoHeader)
        ));
        let path = write(&dir, "bill.pdf", b"%PDF");
        assert!(matches!(
            read_statement(&path),
            Err(StatementError::Format(_))
        ));
        let path = write(&dir, "latin.csv", &[0xff, 0xfe, 0xfd, 0x81]);
        assert!(read_statement(&path).is_err());
        let path = write(&dir, "big.csv", "商户订单号,金额\nP1,1.00\n".as_bytes());
        let limits = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        assert!(matches!(
            read_statement_with_limits(&path, &limits),
            Err(StatementError::Source(SourceError::TooLarge { .. }))
        ));
    }

    #[test]
    fn amounts_and_times_in_common_forms() {
        assert_eq!(parse_amount("`¥1,234,567.80"), Ok(money("1234567.80")));
        assert_eq!(parse_amount("=\"12.30\""), Ok(money("12.30")));
        assert_eq!(parse_amount("12.5元"), Ok(money("12.50")));
        assert_eq!(parse_amount("+7"), Ok(money("7.00")));
        assert!(parse_amount("1,23.00").is_err());
        assert!(parse_amount("1e3").is_err());
        for text in [
            "2026-11-25 09:30:00",
            "2026/11/25 9:30:00",
            "2026-11-25 09:30",
            "2026-11-25T09:30:00",
            "2026年11月25日 09:30:00",
            "20261125093000",
            "2026-11-25T01:30:00Z",
            "`2026-11-25 09:30:00.000",
        ] {
            assert_eq!(
                parse_time(text).map(local_text).as_deref(),
                Ok("2026-11-25 09:30:00"),
                "{text}"
            );
        }
        assert_eq!(
            parse_time("2026-11-25").map(local_text).as_deref(),
            Ok("2026-11-25 00:00:00")
        );
        assert!(parse_time("25.11.2026 09:30").is_err());
        assert_eq!(
            excel_serial_time("46351.5").map(local_text).as_deref(),
            Some("2026-11-25 12:00:00")
        );
    }

    fn charge(gateway: &SimulatedGateway, order_no: &str, amount: &str) -> OurRecord {
        let outcome = gateway.charge(&ChargeRequest {
            order_no: order_no.into(),
            amount: money(amount),
            payment_code: "134567890123451234".into(),
            description: "燃气费".into(),
        });
        let ChargeOutcome::Paid {
            channel_ref,
            paid_at,
        } = outcome
        else {
            panic!("expected Paid, got {outcome:?}");
        };
        OurRecord {
            payment_no: order_no.into(),
            channel: gateway.channel().into(),
            channel_ref: Some(channel_ref),
            account_no: "0100000001".into(),
            amount: money(amount),
            posted_at: paid_at,
            status: "posted".into(),
        }
    }

    fn simulated_day() -> (SimulatedGateway, Vec<OurRecord>) {
        let gateway = SimulatedGateway::new("wechat", b"secret");
        gateway.set_now(
            CHINA_TIME
                .with_ymd_and_hms(2026, 11, 25, 9, 0, 0)
                .unwrap()
                .with_timezone(&Utc),
        );
        let ours = vec![
            charge(&gateway, "P1", "100.00"),
            charge(&gateway, "P2", "200.00"),
            charge(&gateway, "P3", "300.00"),
        ];
        (gateway, ours)
    }

    #[test]
    fn clean_day_matches_by_order() {
        let (gateway, ours) = simulated_day();
        let statement = Statement {
            rows: gateway.statement(day()),
            ..Statement::default()
        };
        let report = match_statement("wechat", &statement, &ours);
        assert!(report.is_clean());
        let matched = report.total(MatchClass::Matched).unwrap();
        assert_eq!(matched.count, 3);
        assert_eq!(matched.theirs_amount, money("600.00"));
        assert_eq!(matched.ours_amount, money("600.00"));
        assert!(
            report
                .entries
                .iter()
                .all(|e| e.key == Some(MatchKey::OrderNo))
        );
    }

    /// Every class from perturbed statement rows: one dropped, one amount
    /// changed, a foreign one added, a bank-agent one matched by reference.
    #[test]
    fn perturbed_statement_yields_every_class() {
        let (gateway, mut ours) = simulated_day();
        let agent = gateway.notify("", "0100000009", money("50.00"));
        let mut rows = gateway.statement(day());
        assert_eq!(rows.len(), 4);
        rows.retain(|row| row.order_no != "P2");
        rows[1].amount = money("301.00");
        rows.push(StatementRow {
            row: 0,
            order_no: "FOREIGN".into(),
            channel_ref: "4200X".into(),
            account_no: String::new(),
            amount: money("9.99"),
            paid_at: None,
            status: "支付成功".into(),
            note: String::new(),
        });
        // The bank-agent payment whose notification we did receive.
        ours.push(OurRecord {
            payment_no: "OURS-BA-1".into(),
            channel: "wechat".into(),
            channel_ref: Some(agent.channel_ref.clone()),
            account_no: "0100000009".into(),
            amount: money("50.00"),
            posted_at: Utc::now(),
            status: "posted".into(),
        });
        ours.push(OurRecord {
            payment_no: "CASH-1".into(),
            channel: "cash".into(),
            channel_ref: None,
            account_no: "0100000001".into(),
            amount: money("5.00"),
            posted_at: Utc::now(),
            status: "posted".into(),
        });
        let statement = Statement {
            rows,
            ..Statement::default()
        };
        let report = match_statement("wechat", &statement, &ours);
        let orders = |class| {
            report
                .entries_of(class)
                .map(|e| {
                    e.theirs
                        .as_ref()
                        .map(|t| t.order_no.clone())
                        .or_else(|| e.ours.as_ref().map(|o| o.payment_no.clone()))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(orders(MatchClass::Matched), ["P1", ""]);
        assert_eq!(orders(MatchClass::AmountDiffers), ["P3"]);
        assert_eq!(orders(MatchClass::MissingOurs), ["FOREIGN"]);
        assert_eq!(orders(MatchClass::MissingTheirs), ["P2"]);
        let by_reference = report
            .entries_of(MatchClass::Matched)
            .find(|e| e.key == Some(MatchKey::ChannelRef))
            .unwrap();
        assert_eq!(by_reference.ours.as_ref().unwrap().payment_no, "OURS-BA-1");
        let differs = report.entries_of(MatchClass::AmountDiffers).next().unwrap();
        assert_eq!(differs.difference(), Some(money("1.00")));
        let total = report.total(MatchClass::AmountDiffers).unwrap();
        assert_eq!(
            (total.count, total.theirs_amount, total.ours_amount),
            (1, money("301.00"), money("300.00"))
        );
        let total = report.total(MatchClass::MissingTheirs).unwrap();
        assert_eq!(
            (total.count, total.ours_amount, total.theirs_amount),
            (1, money("200.00"), Money::ZERO)
        );
        let total = report.total(MatchClass::MissingOurs).unwrap();
        assert_eq!((total.count, total.theirs_amount), (1, money("9.99")));
        assert_eq!(report.other_channel_records, 1);
        assert!(!report.is_clean());
    }

    /// A statement row for a bank-agent payment whose notification never
    /// came is missing on our side; a duplicated row pairs only once.
    #[test]
    fn missing_notification_and_duplicate_rows() {
        let (gateway, ours) = simulated_day();
        gateway.notify("", "0100000009", money("50.00"));
        let mut rows = gateway.statement(day());
        rows.push(rows[0].clone());
        let statement = Statement {
            rows,
            ..Statement::default()
        };
        let report = match_statement("wechat", &statement, &ours);
        let missing: Vec<&StatementRow> = report
            .entries_of(MatchClass::MissingOurs)
            .filter_map(|e| e.theirs.as_ref())
            .collect();
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[0].account_no, "0100000009");
        assert_eq!(missing[1].order_no, "P1");
        assert_eq!(report.total(MatchClass::Matched).unwrap().count, 3);
    }

    #[test]
    fn notes_disagreeing_references() {
        let (gateway, mut ours) = simulated_day();
        ours[0].channel_ref = Some("SOMETHING-ELSE".into());
        let statement = Statement {
            rows: gateway.statement(day()),
            ..Statement::default()
        };
        let report = match_statement("wechat", &statement, &ours);
        let first = &report.entries[0];
        assert_eq!(first.class, MatchClass::Matched);
        assert!(
            first.notes[0].contains("SOMETHING-ELSE"),
            "{:?}",
            first.notes
        );
    }

    #[test]
    fn csv_round_trip_through_the_simulator() {
        let (gateway, ours) = simulated_day();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("statement.csv");
        let mut rows = gateway.statement(day());
        rows.remove(0);
        write_statement_csv(&path, &rows).unwrap();
        let statement = read_statement(&path).unwrap();
        assert!(statement.errors.is_empty(), "{:?}", statement.errors);
        assert_eq!(statement.title_lines.len(), 1);
        assert_eq!(statement.summary_rows.len(), 2);
        assert_eq!(statement.rows.len(), 2);
        assert_eq!(statement.rows[0].row, 3);
        let expected: Vec<StatementRow> = rows
            .iter()
            .zip(&statement.rows)
            .map(|(row, read)| StatementRow {
                row: read.row,
                ..row.clone()
            })
            .collect();
        assert_eq!(statement.rows, expected);
        let report = match_statement("wechat", &statement, &ours);
        assert_eq!(report.total(MatchClass::Matched).unwrap().count, 2);
        assert_eq!(report.total(MatchClass::MissingTheirs).unwrap().count, 1);
    }

    #[test]
    fn xlsx_round_trip_and_match_report() {
        let (gateway, ours) = simulated_day();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("statement.xlsx");
        let mut rows = gateway.statement(day());
        rows[2].amount = money("299.99");
        assert_eq!(write_statement_xlsx(&path, &rows).unwrap(), 3);
        let statement = read_statement(&path).unwrap();
        assert_eq!(statement.sheet.as_deref(), Some("对账单"));
        assert!(statement.errors.is_empty(), "{:?}", statement.errors);
        assert_eq!(statement.header_row, 1);
        let expected: Vec<StatementRow> = rows
            .iter()
            .enumerate()
            .map(|(index, row)| StatementRow {
                row: index as u32 + 2,
                ..row.clone()
            })
            .collect();
        assert_eq!(statement.rows, expected);

        let report = match_statement("wechat", &statement, &ours);
        let report_path = dir.path().join("report.xlsx");
        write_match_report(&report_path, &report).unwrap();
        let mut workbook = calamine::open_workbook_auto(&report_path).unwrap();
        assert_eq!(
            workbook.sheet_names(),
            [
                "汇总",
                "已匹配",
                "我方缺失",
                "渠道缺失",
                "金额不符",
                "无法读取的行"
            ]
        );
        let summary = workbook.worksheet_range("汇总").unwrap();
        let text = |row: usize, column: usize| {
            summary
                .get((row, column))
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        assert_eq!(text(2, 0), "已匹配");
        assert_eq!(text(2, 1), "2");
        assert_eq!(text(5, 0), "金额不符");
        assert_eq!(text(5, 2), "299.99");
        assert_eq!(text(5, 3), "300.00");
        assert_eq!(text(5, 4), "-0.01");
        let differs = workbook.worksheet_range("金额不符").unwrap();
        assert_eq!(
            differs.get((1, 2)).map(|d| d.to_string()).as_deref(),
            Some("P3")
        );
    }

    #[test]
    fn spreadsheet_cells_keep_time_and_flag_damaged_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bank.xlsx");
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "某银行代收明细").unwrap();
        for (column, header) in ["交易时间", "流水号", "户号", "金额"].iter().enumerate()
        {
            sheet.write_string(1, column as u16, *header).unwrap();
        }
        let at = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-25 14:05:06").unwrap();
        let format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        sheet
            .write_datetime_with_format(2, 0, &at, &format)
            .unwrap();
        sheet.write_string(2, 1, "BA0001").unwrap();
        sheet.write_string(2, 2, "0100000009").unwrap();
        sheet.write_number(2, 3, 12.3).unwrap();
        sheet
            .write_datetime_with_format(3, 0, &at, &format)
            .unwrap();
        sheet.write_number(3, 1, 4.2000020261125e21).unwrap();
        sheet.write_number(3, 3, 0.1 + 0.2).unwrap();
        workbook.save(&path).unwrap();

        let statement = read_statement(&path).unwrap();
        assert_eq!(statement.header_row, 2);
        assert_eq!(statement.rows.len(), 1);
        let row = &statement.rows[0];
        assert_eq!(row.amount, money("12.30"));
        assert_eq!(row.account_no, "0100000009");
        assert_eq!(
            row.paid_at.map(local_text).as_deref(),
            Some("2026-11-25 14:05:06")
        );
        let fields: Vec<(u32, &str)> = statement
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str()))
            .collect();
        assert_eq!(fields, [(4, "流水号"), (4, "金额")]);
        assert_eq!(statement.bad_rows(), 1);
    }
}

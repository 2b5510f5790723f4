//! Legacy Excel ledgers as Chinese gas utilities really keep them, for the
//! import tests and benchmarks: messy accounts, readings and payments
//! ledgers written with rust_xlsxwriter, each with an [`Expected`] that says
//! what a correct importer concludes from it; the checked-in .xls/.ods
//! fixtures' outcome ([`accounts_small_expected`]); and hostile files
//! (a zip bomb, a zip that lies about its sizes, a sheet with absurd
//! dimensions) that an importer must refuse before allocating.
//!
//! Everything is deterministic: the same [`LedgerSpec`] writes the same
//! cells. Every valid row passes the cleaning rules of
//! `gascis_common::cleaning` (and `identity`, `phone`); every invalid row has
//! exactly one fault, so the expected error is unambiguous.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use chrono::{Datelike, Months, NaiveDate};
use gascis_common::{identity, import_fields::ImportKind};
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

/// Data records from this many on are written in rust_xlsxwriter's
/// constant-memory mode unless [`LedgerSpec::constant_memory`] says otherwise.
pub const CONSTANT_MEMORY_FROM_ROWS: usize = 20_000;

/// 1-based Excel row of the header in every generated ledger: title (merged),
/// export date, blank line, header.
pub const HEADER_ROW: u32 = 4;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerSpec {
    /// Data records (blank lines come on top; hidden and bad rows count).
    pub rows: usize,
    /// Varies names, numbers, amounts and dates; the structure (which row is
    /// bad, hidden or followed by a blank line) does not depend on it.
    pub seed: u64,
    /// The catalogue of bad rows is repeated in every block of this many
    /// records (at least 20); 0 writes no bad rows.
    pub bad_every: usize,
    /// Account numbers of an accounts ledger are `first_account_no + index`.
    pub first_account_no: u64,
    /// `None`: constant-memory mode from [`CONSTANT_MEMORY_FROM_ROWS`] records.
    pub constant_memory: Option<bool>,
}

impl Default for LedgerSpec {
    /// 50 records with one catalogue of bad rows: the spec of the tests.
    fn default() -> Self {
        LedgerSpec {
            rows: 50,
            seed: 1,
            bad_every: 50,
            first_account_no: 1_000_001,
            constant_memory: None,
        }
    }
}

impl LedgerSpec {
    /// A large ledger for benchmarks: one bad row catalogue per 1000 records.
    pub fn benchmark(rows: usize) -> LedgerSpec {
        LedgerSpec {
            rows,
            bad_every: 1000,
            ..LedgerSpec::default()
        }
    }

    fn uses_constant_memory(&self) -> bool {
        self.constant_memory
            .unwrap_or(self.rows >= CONSTANT_MEMORY_FROM_ROWS)
    }
}

/// Why a row must be refused; [`Reason::keyword`] is the short form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An 18-character identity number whose GB 11643 check digit is wrong.
    CheckDigit,
    /// An identity number stored as an Excel number (digits lost).
    IdAsNumber,
    /// A required field is empty.
    Missing,
    /// Not one of the labels of an enumeration (meter type 水表).
    UnknownValue,
    /// A reading or amount below zero.
    Negative,
    /// Text that is no real date (2023-02-30).
    NotADate,
    /// More decimal places than the field keeps (an amount of 8.125).
    Precision,
    /// Text that is no number.
    NotANumber,
    /// The value repeats an earlier valid row of the same file.
    Duplicate {
        /// 1-based Excel row of the first occurrence.
        first_row: u32,
    },
    /// The account is not among the valid accounts of the accounts ledger.
    UnknownAccount,
}

impl Reason {
    pub fn keyword(self) -> &'static str {
        match self {
            Reason::CheckDigit => "check_digit",
            Reason::IdAsNumber => "id_as_number",
            Reason::Missing => "missing",
            Reason::UnknownValue => "unknown_value",
            Reason::Negative => "negative",
            Reason::NotADate => "not_a_date",
            Reason::Precision => "precision",
            Reason::NotANumber => "not_a_number",
            Reason::Duplicate { .. } => "duplicate",
            Reason::UnknownAccount => "unknown_account",
        }
    }
}

/// What a cell holds as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Empty,
    Text(String),
    Number(f64),
}

/// One row an importer must refuse.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// 1-based Excel row number.
    pub row: u32,
    /// Canonical field key (`gascis_common::import_fields`).
    pub field: &'static str,
    /// The value as Excel shows it in a column of normal width ("" when
    /// empty, "1.10105E+17" for an identity number stored as a number).
    pub value: String,
    /// The cell as written.
    pub written: Written,
    pub reason: Reason,
}

/// What a correct importer concludes from a generated ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub kind: ImportKind,
    pub sheet: String,
    /// 1-based Excel row of the header ([`HEADER_ROW`]).
    pub header_row: u32,
    /// (0-based column, field key) of every recognised header, in column
    /// order; the other columns (序号, 备注, …) are unknown to the importer.
    pub columns: Vec<(usize, &'static str)>,
    /// Number of columns the sheet uses (the title is merged across them).
    pub width: usize,
    /// Data rows read: every non-blank row below the header, hidden and bad
    /// rows included.
    pub rows: usize,
    pub valid: usize,
    /// In row order.
    pub invalid: Vec<BadRow>,
    /// Sum of 余额 (balance) over the valid rows; zero for other kinds.
    pub balance_sum: Decimal,
    /// Sum of 欠费 (arrears) over the valid rows; zero for other kinds.
    pub arrears_sum: Decimal,
    /// Sum of payment amounts over the valid rows; zero for other kinds.
    pub amount_sum: Decimal,
    /// Accounts: the valid account numbers. Readings and payments: the
    /// accounts that valid rows refer to.
    pub valid_accounts: BTreeSet<String>,
    /// Accounts only: meter number of each valid account.
    pub meters: BTreeMap<String, String>,
    /// 1-based rows that are hidden (all of them hold valid or bad data).
    pub hidden_rows: Vec<u32>,
    /// 1-based blank lines between data rows (some have bordered empty cells).
    pub blank_rows: Vec<u32>,
    /// 1-based row of the last data row.
    pub last_row: u32,
    /// How many valid rows exercise each cleaning case, e.g.
    /// "opened_on:text_chinese" or "phone:full_width".
    pub cases: BTreeMap<&'static str, usize>,
}

impl Expected {
    fn new(kind: ImportKind, sheet: &str, headers: &[&str]) -> Expected {
        let columns = headers
            .iter()
            .enumerate()
            .filter_map(|(column, header)| {
                gascis_common::import_fields::match_header(kind, header)
                    .map(|spec| (column, spec.key))
            })
            .collect();
        Expected {
            kind,
            sheet: sheet.to_owned(),
            header_row: HEADER_ROW,
            columns,
            width: headers.len(),
            rows: 0,
            valid: 0,
            invalid: Vec::new(),
            balance_sum: Decimal::ZERO,
            arrears_sum: Decimal::ZERO,
            amount_sum: Decimal::ZERO,
            valid_accounts: BTreeSet::new(),
            meters: BTreeMap::new(),
            hidden_rows: Vec::new(),
            blank_rows: Vec::new(),
            last_row: HEADER_ROW,
            cases: BTreeMap::new(),
        }
    }

    /// The invalid row at a 1-based Excel row, if any.
    pub fn invalid_at(&self, row: u32) -> Option<&BadRow> {
        self.invalid.iter().find(|bad| bad.row == row)
    }

    fn count(&mut self, cases: &[&'static str]) {
        for case in cases {
            *self.cases.entry(case).or_insert(0) += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Deterministic variety without an RNG crate.
// ---------------------------------------------------------------------------

/// splitmix64 of the seed, an index and a salt.
fn mix(seed: u64, index: u64, salt: u64) -> u64 {
    let mut z = seed
        ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ salt.wrapping_mul(0xD1B5_4A32_D192_ED03).rotate_left(17);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Variant `0..n` of a family for record `index`: consecutive records walk
/// through all variants, so any `n` consecutive records cover every one.
fn cycle(index: usize, n: usize, salt: u64) -> usize {
    (index + (salt as usize).wrapping_mul(7)) % n
}

fn pick<'a>(seed: u64, index: usize, salt: u64, items: &[&'a str]) -> &'a str {
    let position = mix(seed, index as u64, salt) % items.len() as u64;
    items.get(position as usize).copied().unwrap_or_default()
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => '\u{3000}',
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Fen as "1234.50".
fn yuan(fen: i64) -> String {
    Decimal::new(fen, 2).to_string()
}

/// Fen as "1234.5" / "12": what a user types and a General cell shows.
fn yuan_short(fen: i64) -> String {
    Decimal::new(fen, 2).normalize().to_string()
}

/// Fen as "1,234.50".
fn yuan_thousands(fen: i64) -> String {
    let text = yuan(fen.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{fraction}")
}

fn number_of(text: &str) -> anyhow::Result<f64> {
    text.parse::<f64>()
        .with_context(|| format!("'{text}' is not a number"))
}

/// What a General-format cell of normal width shows for a number:
/// 110105198001010059 shows as 1.10105E+17.
pub fn excel_general(value: f64) -> String {
    if value != 0.0 && !(1e-9..1e11).contains(&value.abs()) {
        let scientific = format!("{value:.5E}");
        let (mantissa, exponent) = scientific.split_once('E').unwrap_or((&scientific, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exponent.abs())
    } else {
        format!("{value}")
    }
}

/// Days since 1899-12-30: the Excel serial of a date after 1900-02-28.
pub fn excel_serial(date: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (date - epoch).num_days() as f64
}

fn date(year: i32, month: u32, day: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
        .with_context(|| format!("{year}-{month}-{day} is not a date"))
}

/// A valid 18-character resident identity number and its 17-digit body.
fn resident_id(first17: &str) -> anyhow::Result<String> {
    let check =
        identity::check_digit(first17).with_context(|| format!("'{first17}' is not 17 digits"))?;
    Ok(format!("{first17}{check}"))
}

const REGIONS: [&str; 6] = ["310115", "310104", "110105", "440305", "500103", "330106"];

/// Region and birth date (YYMMDD without century, 1950-1999) for a record.
fn region_and_birth(seed: u64, index: usize, salt: u64) -> (&'static str, u64, u64, u64) {
    let hash = mix(seed, index as u64, salt);
    let region = REGIONS
        .get((hash % REGIONS.len() as u64) as usize)
        .copied()
        .unwrap_or("310115");
    let year = 50 + (hash >> 8) % 50;
    let month = 1 + (hash >> 16) % 12;
    let day = 1 + (hash >> 24) % 28;
    (region, year, month, day)
}

/// A valid 18-character identity number whose check character satisfies
/// `wanted` (e.g. is 'X', or is a digit).
fn resident_id_where(
    seed: u64,
    index: usize,
    wanted: impl Fn(char) -> bool,
) -> anyhow::Result<String> {
    let (region, year, month, day) = region_and_birth(seed, index, 21);
    let start = mix(seed, index as u64, 22) % 1000;
    for step in 0..1000 {
        let sequence = (start + step) % 1000;
        let first17 = format!("{region}19{year:02}{month:02}{day:02}{sequence:03}");
        let id = resident_id(&first17)?;
        if id.chars().last().is_some_and(&wanted) {
            return Ok(id);
        }
    }
    bail!("no identity number with the wanted check character")
}

/// A 15-digit legacy identity number (no century, no check digit).
fn legacy_id(seed: u64, index: usize) -> String {
    let (region, year, month, day) = region_and_birth(seed, index, 23);
    let sequence = mix(seed, index as u64, 24) % 1000;
    format!("{region}{year:02}{month:02}{day:02}{sequence:03}")
}

fn mobile(seed: u64, index: usize, salt: u64) -> String {
    let hash = mix(seed, index as u64, salt);
    let second = [3, 5, 7, 8, 9]
        .get((hash % 5) as usize)
        .copied()
        .unwrap_or(3);
    format!("1{second}{:09}", (hash >> 8) % 1_000_000_000)
}

// ---------------------------------------------------------------------------
// Writing cells.
// ---------------------------------------------------------------------------

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// A real Excel date cell, formatted 2023-01-05.
    DateIso(NaiveDate),
    /// A real Excel date cell, formatted 2023年1月5日.
    DateChinese(NaiveDate),
}

impl Value {
    fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    fn written(&self) -> Written {
        match self {
            Value::Empty => Written::Empty,
            Value::Text(text) => Written::Text(text.clone()),
            Value::Number(value) => Written::Number(*value),
            Value::DateIso(day) | Value::DateChinese(day) => Written::Number(excel_serial(*day)),
        }
    }

    fn shown(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(text) => text.clone(),
            Value::Number(value) => excel_general(*value),
            Value::DateIso(day) => day.format("%Y-%m-%d").to_string(),
            Value::DateChinese(day) => day.format("%Y年%-m月%-d日").to_string(),
        }
    }
}

/// How a blank line between data rows looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blank {
    /// No cells at all.
    Empty,
    /// Empty cells that still carry the table's borders.
    Bordered,
}

/// Blank lines before record `index` (never before the first).
fn blanks_before(index: usize) -> Vec<Blank> {
    let mut blanks = Vec::new();
    if index > 0 && index.is_multiple_of(13) {
        blanks.push(Blank::Empty);
    }
    if index > 0 && index.is_multiple_of(31) {
        blanks.push(Blank::Bordered);
    }
    blanks
}

fn is_hidden(index: usize) -> bool {
    index % 11 == 7
}

struct Formats {
    title: Format,
    header: Format,
    date_iso: Format,
    date_chinese: Format,
    border: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_border(FormatBorder::Thin),
            date_iso: Format::new().set_num_format("yyyy-mm-dd"),
            date_chinese: Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\""),
            border: Format::new().set_border(FormatBorder::Thin),
        }
    }
}

fn excel_date(day: NaiveDate) -> anyhow::Result<ExcelDateTime> {
    let (Ok(year), Ok(month), Ok(day_of_month)) = (
        u16::try_from(day.year()),
        u8::try_from(day.month()),
        u8::try_from(day.day()),
    ) else {
        bail!("{day} does not fit an Excel date");
    };
    Ok(ExcelDateTime::from_ymd(year, month, day_of_month)?)
}

/// Writes one ledger sheet top to bottom (constant-memory mode needs rows
/// in order): preamble, then records with blank lines between them.
struct SheetWriter<'a> {
    sheet: &'a mut Worksheet,
    formats: Formats,
    width: u16,
    /// 0-based row the next line goes to.
    next_row: u32,
}

impl<'a> SheetWriter<'a> {
    fn start(
        sheet: &'a mut Worksheet,
        name: &str,
        title: &str,
        exported: &str,
        headers: &[&str],
    ) -> anyhow::Result<SheetWriter<'a>> {
        let formats = Formats::new();
        let width = u16::try_from(headers.len()).context("too many columns")?;
        sheet.set_name(name)?;
        for (column, header) in headers.iter().enumerate() {
            let chars = header.chars().count() as f64;
            sheet.set_column_width(column as u16, (chars * 2.2).clamp(8.0, 30.0))?;
        }
        sheet.set_freeze_panes(HEADER_ROW, 0)?;
        sheet.merge_range(0, 0, 0, width - 1, title, &formats.title)?;
        sheet.write_string(1, 0, exported)?;
        // Row 3 (index 2) stays blank.
        for (column, header) in headers.iter().enumerate() {
            sheet.write_string_with_format(
                HEADER_ROW - 1,
                column as u16,
                *header,
                &formats.header,
            )?;
        }
        Ok(SheetWriter {
            sheet,
            formats,
            width,
            next_row: HEADER_ROW,
        })
    }

    /// Writes the blank lines that precede record `index`; returns the
    /// 1-based row the record goes to.
    fn blank_lines(&mut self, index: usize, expected: &mut Expected) -> anyhow::Result<u32> {
        for blank in blanks_before(index) {
            if blank == Blank::Bordered {
                for column in 0..self.width {
                    self.sheet
                        .write_blank(self.next_row, column, &self.formats.border)?;
                }
            }
            expected.blank_rows.push(self.next_row + 1);
            self.next_row += 1;
        }
        Ok(self.next_row + 1)
    }

    fn record(
        &mut self,
        cells: &[Value],
        hidden: bool,
        expected: &mut Expected,
    ) -> anyhow::Result<()> {
        let row = self.next_row;
        if hidden {
            // Before the cells: constant-memory mode flushes a row's options
            // with its cells.
            self.sheet.set_row_hidden(row)?;
            expected.hidden_rows.push(row + 1);
        }
        for (column, cell) in cells.iter().enumerate() {
            let column = column as u16;
            match cell {
                Value::Empty => {
                    self.sheet.write_blank(row, column, &self.formats.border)?;
                }
                Value::Text(text) => {
                    self.sheet.write_string_with_format(
                        row,
                        column,
                        text.as_str(),
                        &self.formats.border,
                    )?;
                }
                Value::Number(value) => {
                    self.sheet.write_number(row, column, *value)?;
                }
                Value::DateIso(day) => {
                    self.sheet.write_date_with_format(
                        row,
                        column,
                        &excel_date(*day)?,
                        &self.formats.date_iso,
                    )?;
                }
                Value::DateChinese(day) => {
                    self.sheet.write_date_with_format(
                        row,
                        column,
                        &excel_date(*day)?,
                        &self.formats.date_chinese,
                    )?;
                }
            }
        }
        expected.rows += 1;
        expected.last_row = row + 1;
        self.next_row += 1;
        Ok(())
    }
}

fn new_sheet(workbook: &mut Workbook, spec: &LedgerSpec) -> anyhow::Result<()> {
    if spec.uses_constant_memory() {
        workbook.add_worksheet_with_constant_memory()?;
    } else {
        workbook.add_worksheet();
    }
    Ok(())
}

fn sheet_of(workbook: &mut Workbook) -> anyhow::Result<&mut Worksheet> {
    Ok(workbook.worksheet_from_index(0)?)
}

/// Offsets within a block of `period` records where the `count` bad kinds go:
/// spread out (and not all on one residue of the variant cycles), never at
/// offsets 0 and 1 (the rows duplicates repeat).
fn bad_offsets(period: usize, count: usize) -> Vec<usize> {
    (0..count)
        .map(|kind| 2 + kind * (period - 2) / count)
        .collect()
}

fn bad_kind(spec: &LedgerSpec, index: usize, kinds: usize) -> Option<usize> {
    if spec.bad_every == 0 {
        return None;
    }
    let offset = index % spec.bad_every;
    bad_offsets(spec.bad_every, kinds)
        .iter()
        .position(|candidate| *candidate == offset)
}

fn check_spec(spec: &LedgerSpec, kinds: usize) -> anyhow::Result<()> {
    if spec.rows == 0 {
        bail!("a ledger needs at least one record");
    }
    if spec.bad_every != 0 && spec.bad_every < 2 * kinds + 2 {
        bail!(
            "bad_every must be 0 or at least {} so that bad rows do not touch",
            2 * kinds + 2
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Accounts.
// ---------------------------------------------------------------------------

/// Header of the generated accounts ledger: synonyms and decorations, never
/// the template's labels.
pub const ACCOUNT_HEADERS: [&str; 15] = [
    "序号",
    "＊用户编号",
    "客户名称",
    "用气性质",
    "身份证号",
    "＊联系电话（必填）",
    "安装地址",
    "表具编号【必填】",
    "表具类型",
    "底数",
    "预存款(元)",
    "欠费金额",
    "人口数",
    "开户日期\n（年-月-日）",
    "备注",
];

const A_SEQUENCE: usize = 0;
const A_ACCOUNT: usize = 1;
const A_NAME: usize = 2;
const A_TYPE: usize = 3;
const A_ID: usize = 4;
const A_PHONE: usize = 5;
const A_ADDRESS: usize = 6;
const A_METER: usize = 7;
const A_METER_TYPE: usize = 8;
const A_READING: usize = 9;
const A_BALANCE: usize = 10;
const A_ARREARS: usize = 11;
const A_HOUSEHOLD: usize = 12;
const A_OPENED: usize = 13;
const A_REMARK: usize = 14;

/// The bad rows of each block of an accounts ledger, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccountFault {
    CheckDigit,
    IdAsNumber,
    NoMeterNo,
    WaterMeter,
    NegativeReading,
    February30,
    ThreeDecimals,
    DuplicateAccount,
    DuplicateMeter,
}

const ACCOUNT_FAULTS: [AccountFault; 9] = [
    AccountFault::CheckDigit,
    AccountFault::IdAsNumber,
    AccountFault::NoMeterNo,
    AccountFault::WaterMeter,
    AccountFault::NegativeReading,
    AccountFault::February30,
    AccountFault::ThreeDecimals,
    AccountFault::DuplicateAccount,
    AccountFault::DuplicateMeter,
];

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN_NAMES: [&str; 20] = [
    "芳", "伟", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞",
];
const DISTRICTS: [&str; 4] = ["浦东新区", "徐汇区", "闵行区", "静安区"];
const COMMUNITIES: [&str; 5] = ["阳光花园", "锦绣苑", "翠湖小区", "金桥新村", "梅园一村"];
const ROADS: [&str; 5] = ["漕溪北路", "莘庄路", "金桥路", "南京西路", "龙吴路"];

/// Customer type of record `index`: label and whether it is a person.
fn customer_type_of(index: usize) -> (&'static str, bool) {
    match cycle(index, 10, 1) {
        6 => ("商业", false),
        7 => ("工业", false),
        8 => ("公福", false),
        9 => ("", true),
        _ => ("居民", true),
    }
}

/// Canonical meter number of record `index` (unique within a ledger of up to
/// 10^8 records: an affine bijection of the index modulo 10^8).
fn meter_no_of(spec: &LedgerSpec, index: usize, person: bool) -> String {
    let number = (index as u64)
        .wrapping_mul(7_654_321)
        .wrapping_add(spec.seed % 100_000_000)
        % 100_000_000;
    let prefix = if person { "JK" } else { "NB" };
    format!("{prefix}{number:08}")
}

struct AccountRecord {
    cells: Vec<Value>,
    account_no: String,
    meter_no: String,
    balance_fen: i64,
    arrears_fen: i64,
    cases: Vec<&'static str>,
}

fn amount_cell(fen: i64, variant: usize) -> anyhow::Result<(Value, &'static str)> {
    Ok(match variant {
        0 => (Value::Number(number_of(&yuan_short(fen))?), "number"),
        1 => (Value::text(yuan_thousands(fen)), "text_thousands"),
        2 => (Value::text(format!("¥{}", yuan_short(fen))), "text_yen"),
        3 => (Value::text(full_width(&yuan(fen))), "text_full_width"),
        4 => (Value::text(format!("{}元", yuan(fen))), "text_yuan_suffix"),
        5 => (
            Value::text(format!("￥{}", yuan(fen))),
            "text_full_width_yen",
        ),
        _ => (Value::text(yuan(fen)), "text"),
    })
}

fn date_cell(day: NaiveDate, variant: usize) -> (Value, &'static str) {
    match variant {
        0 => (Value::DateIso(day), "date_cell"),
        1 => (Value::DateChinese(day), "date_cell_chinese_format"),
        2 => (Value::Number(excel_serial(day)), "serial_number"),
        3 => (Value::text(day.format("%Y-%m-%d").to_string()), "text_iso"),
        4 => (
            Value::text(day.format("%Y/%-m/%-d").to_string()),
            "text_slash",
        ),
        5 => (
            Value::text(day.format("%Y年%-m月%-d日").to_string()),
            "text_chinese",
        ),
        _ => (
            Value::text(day.format("%Y%m%d").to_string()),
            "text_compact",
        ),
    }
}

/// The cells of a normal (valid) accounts record.
fn account_record(spec: &LedgerSpec, index: usize) -> anyhow::Result<AccountRecord> {
    let seed = spec.seed;
    let i = index as u64;
    let mut cases = Vec::new();
    let mut cells = vec![Value::Empty; ACCOUNT_HEADERS.len()];
    cells[A_SEQUENCE] = Value::Number((index + 1) as f64);

    let account_no = (spec.first_account_no + i).to_string();
    cells[A_ACCOUNT] = match cycle(index, 7, 12) {
        0 => {
            cases.push("account_no:number");
            Value::Number(number_of(&account_no)?)
        }
        1 => {
            cases.push("account_no:full_width");
            Value::text(full_width(&account_no))
        }
        _ => Value::text(account_no.as_str()),
    };

    let (type_label, person) = customer_type_of(index);
    cells[A_TYPE] = if type_label.is_empty() {
        cases.push("customer_type:empty");
        Value::Empty
    } else {
        cases.push(match type_label {
            "居民" => "customer_type:居民",
            "商业" => "customer_type:商业",
            "工业" => "customer_type:工业",
            _ => "customer_type:公福",
        });
        Value::text(type_label)
    };

    let surname = pick(seed, index, 31, &SURNAMES);
    cells[A_NAME] = Value::text(match (person, type_label) {
        (true, _) => {
            let name = format!("{surname}{}", pick(seed, index, 32, &GIVEN_NAMES));
            if cycle(index, 10, 11) == 0 {
                cases.push("customer_name:trailing_ideographic_space");
                format!("{name}\u{3000}")
            } else {
                name
            }
        }
        (false, "商业") => format!(
            "{surname}记{}",
            pick(
                seed,
                index,
                33,
                &["餐馆", "面馆", "茶楼", "便利店", "洗衣店"]
            )
        ),
        (false, "工业") => format!(
            "{}{}",
            pick(seed, index, 34, &["华润", "永辉", "东方", "宏达"]),
            pick(seed, index, 35, &["食品厂", "陶瓷厂", "机械厂"])
        ),
        _ => format!(
            "{}{}",
            pick(seed, index, 36, &["阳光", "实验", "第一", "育才"]),
            pick(seed, index, 37, &["小学", "中学", "养老院", "幼儿园"])
        ),
    });

    if person {
        cells[A_ID] = match cycle(index, 6, 2) {
            0 | 5 => {
                cases.push("id_number:18_digits");
                Value::text(resident_id_where(seed, index, |_| true)?)
            }
            1 => {
                cases.push("id_number:15_digit_legacy");
                Value::text(legacy_id(seed, index))
            }
            2 => {
                cases.push("id_number:lower_case_x");
                Value::text(resident_id_where(seed, index, |c| c == 'X')?.to_lowercase())
            }
            3 => {
                cases.push("id_number:surrounding_spaces");
                Value::text(format!(" {} ", resident_id_where(seed, index, |_| true)?))
            }
            _ => {
                cases.push("id_number:empty");
                Value::Empty
            }
        };
    }

    let phone = mobile(seed, index, 41);
    cells[A_PHONE] = match cycle(index, 7, 3) {
        0 => {
            cases.push("phone:plain");
            Value::text(phone.as_str())
        }
        1 => {
            cases.push("phone:spaces");
            Value::text(format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]))
        }
        2 => {
            cases.push("phone:dashes");
            Value::text(format!("{}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]))
        }
        3 => {
            cases.push("phone:full_width");
            Value::text(full_width(&phone))
        }
        4 => {
            cases.push("phone:number");
            Value::Number(number_of(&phone)?)
        }
        5 => {
            cases.push("phone:country_code");
            Value::text(format!("+86 {phone}"))
        }
        _ => {
            cases.push("phone:landline");
            Value::text(format!("021-{}", 60_000_000 + mix(seed, i, 42) % 9_000_000))
        }
    };

    let district = pick(seed, index, 51, &DISTRICTS);
    cells[A_ADDRESS] = Value::text(if person {
        let hash = mix(seed, i, 52);
        format!(
            "{district}{}{}栋{}单元{}{:02}室",
            pick(seed, index, 53, &COMMUNITIES),
            1 + hash % 30,
            1 + (hash >> 8) % 4,
            1 + (hash >> 16) % 18,
            1 + (hash >> 24) % 4
        )
    } else {
        format!(
            "{district}{}{}号",
            pick(seed, index, 54, &ROADS),
            1 + mix(seed, i, 55) % 999
        )
    });

    let meter_no = meter_no_of(spec, index, person);
    cells[A_METER] = match cycle(index, 9, 4) {
        0 => {
            cases.push("meter_no:full_width");
            Value::text(full_width(&meter_no))
        }
        1 => {
            cases.push("meter_no:trailing_space");
            Value::text(format!("{meter_no} "))
        }
        _ => Value::text(meter_no.as_str()),
    };

    let meter_type = if person {
        ["机械表", "IC卡表", "ＩＣ卡表", "物联网表", "机械表"]
            .get(cycle(index, 5, 5))
            .copied()
            .unwrap_or("机械表")
    } else if index.is_multiple_of(2) {
        "物联网表"
    } else {
        "机械表"
    };
    cases.push(match meter_type {
        "机械表" => "meter_type:机械表",
        "IC卡表" => "meter_type:IC卡表",
        "ＩＣ卡表" => "meter_type:full_width_IC卡表",
        _ => "meter_type:物联网表",
    });
    cells[A_METER_TYPE] = Value::text(meter_type);

    let reading_tenths = mix(seed, i, 61) % 99_990;
    let reading = Decimal::new(reading_tenths as i64, 1);
    cells[A_READING] = match cycle(index, 5, 6) {
        0 => {
            cases.push("initial_reading:number_zero");
            Value::Number(0.0)
        }
        1 => {
            cases.push("initial_reading:number");
            Value::Number(number_of(&reading.normalize().to_string())?)
        }
        2 => {
            cases.push("initial_reading:text");
            Value::text(reading.to_string())
        }
        3 => {
            cases.push("initial_reading:full_width_text");
            Value::text(full_width(&reading.to_string()))
        }
        _ => {
            cases.push("initial_reading:empty");
            Value::Empty
        }
    };

    let balance_variant = cycle(index, 8, 7);
    let balance_fen = if balance_variant == 7 {
        0
    } else {
        (mix(seed, i, 71) % 500_000) as i64
    };
    cells[A_BALANCE] = if balance_variant == 7 {
        cases.push("balance:empty");
        Value::Empty
    } else {
        let (cell, case) = amount_cell(balance_fen, balance_variant)?;
        cases.push(match case {
            "number" => "balance:number",
            "text_thousands" => "balance:text_thousands",
            "text_yen" => "balance:text_yen",
            "text_full_width" => "balance:text_full_width",
            "text_yuan_suffix" => "balance:text_yuan_suffix",
            "text_full_width_yen" => "balance:text_full_width_yen",
            _ => "balance:text",
        });
        cell
    };

    let arrears_variant = cycle(index, 6, 8);
    let arrears_fen = match arrears_variant {
        2..=4 => 1 + (mix(seed, i, 81) % 80_000) as i64,
        _ => 0,
    };
    cells[A_ARREARS] = match arrears_variant {
        1 => {
            cases.push("arrears:number_zero");
            Value::Number(0.0)
        }
        2 => {
            cases.push("arrears:number");
            Value::Number(number_of(&yuan_short(arrears_fen))?)
        }
        3 => {
            cases.push("arrears:text");
            Value::text(yuan(arrears_fen))
        }
        4 => {
            cases.push("arrears:text_yen");
            Value::text(format!("¥{}", yuan_short(arrears_fen)))
        }
        _ => {
            cases.push("arrears:empty");
            Value::Empty
        }
    };

    if person {
        let size = 1 + mix(seed, i, 91) % 6;
        cells[A_HOUSEHOLD] = match cycle(index, 4, 9) {
            0 => {
                cases.push("household_size:number");
                Value::Number(size as f64)
            }
            1 => {
                cases.push("household_size:text");
                Value::text(size.to_string())
            }
            2 => {
                cases.push("household_size:full_width_text");
                Value::text(full_width(&size.to_string()))
            }
            _ => {
                cases.push("household_size:empty");
                Value::Empty
            }
        };
    }

    // Opened between 2005-01-01 and 2020-12-31, before any generated
    // reading or payment (2021-2022) and the export date (2023-01-05).
    let opened = date(2005, 1, 1)? + chrono::Duration::days((mix(seed, i, 101) % 5844) as i64);
    let variant = cycle(index, 8, 10);
    cells[A_OPENED] = if variant == 7 {
        cases.push("opened_on:empty");
        Value::Empty
    } else {
        let (cell, case) = date_cell(opened, variant);
        cases.push(match case {
            "date_cell" => "opened_on:date_cell",
            "date_cell_chinese_format" => "opened_on:date_cell_chinese_format",
            "serial_number" => "opened_on:serial_number",
            "text_iso" => "opened_on:text_iso",
            "text_slash" => "opened_on:text_slash",
            "text_chinese" => "opened_on:text_chinese",
            _ => "opened_on:text_compact",
        });
        cell
    };

    cells[A_REMARK] = match cycle(index, 6, 13) {
        0 => Value::text("老用户"),
        2 => Value::text("已换表"),
        4 => Value::text("2019年改造"),
        _ => Value::Empty,
    };

    Ok(AccountRecord {
        cells,
        account_no,
        meter_no,
        balance_fen,
        arrears_fen,
        cases,
    })
}

/// Turns a normal record into the bad row of `fault`; returns the bad row.
fn spoil_account(
    spec: &LedgerSpec,
    index: usize,
    row: u32,
    fault: AccountFault,
    record: &mut AccountRecord,
    block_rows: &[u32],
) -> anyhow::Result<BadRow> {
    let seed = spec.seed;
    let block_start = index - index % spec.bad_every.max(1);
    let (field, column, value, reason) = match fault {
        AccountFault::CheckDigit => {
            let valid = resident_id_where(seed, index, |_| true)?;
            let (body, check) = valid.split_at(17);
            let wrong = match check {
                "X" => '0',
                "9" => 'X',
                digit => {
                    let d = digit.parse::<u32>().unwrap_or(0);
                    char::from_digit(d + 1, 10).unwrap_or('0')
                }
            };
            (
                "id_number",
                A_ID,
                Value::text(format!("{body}{wrong}")),
                Reason::CheckDigit,
            )
        }
        AccountFault::IdAsNumber => {
            let id = resident_id_where(seed, index, |c| c.is_ascii_digit())?;
            (
                "id_number",
                A_ID,
                Value::Number(number_of(&id)?),
                Reason::IdAsNumber,
            )
        }
        AccountFault::NoMeterNo => ("meter_no", A_METER, Value::Empty, Reason::Missing),
        AccountFault::WaterMeter => (
            "meter_type",
            A_METER_TYPE,
            Value::text("水表"),
            Reason::UnknownValue,
        ),
        AccountFault::NegativeReading => (
            "initial_reading",
            A_READING,
            Value::Number(-3.5),
            Reason::Negative,
        ),
        AccountFault::February30 => (
            "opened_on",
            A_OPENED,
            Value::text("2023-02-30"),
            Reason::NotADate,
        ),
        AccountFault::ThreeDecimals => (
            "arrears",
            A_ARREARS,
            Value::Number(8.125),
            Reason::Precision,
        ),
        AccountFault::DuplicateAccount => {
            let first = account_record(spec, block_start)?;
            (
                "account_no",
                A_ACCOUNT,
                Value::text(first.account_no),
                Reason::Duplicate {
                    first_row: block_rows.first().copied().unwrap_or(0),
                },
            )
        }
        AccountFault::DuplicateMeter => {
            let first = account_record(spec, block_start + 1)?;
            (
                "meter_no",
                A_METER,
                Value::text(full_width(&first.meter_no)),
                Reason::Duplicate {
                    first_row: block_rows.get(1).copied().unwrap_or(0),
                },
            )
        }
    };
    if matches!(fault, AccountFault::CheckDigit | AccountFault::IdAsNumber) {
        // Only people have identity numbers: make the row a resident's.
        record.cells[A_TYPE] = Value::text("居民");
    }
    let bad = BadRow {
        row,
        field,
        value: value.shown(),
        written: value.written(),
        reason,
    };
    if let Some(cell) = record.cells.get_mut(column) {
        *cell = value;
    }
    Ok(bad)
}

/// Writes a deliberately messy legacy accounts ledger (sheet 用户台账) and
/// returns what a correct importer concludes from it.
///
/// Layout: row 1 title merged across all columns, row 2 export date, row 3
/// blank, row 4 header of synonyms ([`ACCOUNT_HEADERS`]), data from row 5
/// with blank lines before every 13th and 31st record (the latter with
/// bordered empty cells) and every 11th record (index 7, 18, …) hidden.
/// In each block of `spec.bad_every` records nine rows are bad, one fault
/// each, in this order: identity number with a wrong check digit, identity
/// number stored as a number, no meter number, meter type 水表, initial
/// reading -3.5, opened on 2023-02-30, arrears 8.125, the block's first
/// account number again, the block's second meter number again (typed
/// full-width).
pub fn messy_accounts_ledger(path: &Path, spec: &LedgerSpec) -> anyhow::Result<Expected> {
    check_spec(spec, ACCOUNT_FAULTS.len())?;
    let mut expected = Expected::new(ImportKind::Accounts, "用户台账", &ACCOUNT_HEADERS);
    let mut workbook = Workbook::new();
    new_sheet(&mut workbook, spec)?;
    let mut writer = SheetWriter::start(
        sheet_of(&mut workbook)?,
        "用户台账",
        "某某燃气有限公司用户台账",
        "导出日期：2023年1月5日",
        &ACCOUNT_HEADERS,
    )?;
    let mut block_rows: Vec<u32> = Vec::new();
    for index in 0..spec.rows {
        let row = writer.blank_lines(index, &mut expected)?;
        if spec.bad_every != 0 && index % spec.bad_every == 0 {
            block_rows.clear();
        }
        if block_rows.len() < 2 {
            block_rows.push(row);
        }
        let mut record = account_record(spec, index)?;
        let fault = bad_kind(spec, index, ACCOUNT_FAULTS.len())
            .and_then(|kind| ACCOUNT_FAULTS.get(kind).copied());
        match fault {
            Some(fault) => {
                let bad = spoil_account(spec, index, row, fault, &mut record, &block_rows)?;
                expected.invalid.push(bad);
            }
            None => {
                expected.valid += 1;
                expected.balance_sum += Decimal::new(record.balance_fen, 2);
                expected.arrears_sum += Decimal::new(record.arrears_fen, 2);
                expected.valid_accounts.insert(record.account_no.clone());
                expected
                    .meters
                    .insert(record.account_no.clone(), record.meter_no.clone());
                if is_hidden(index) {
                    expected.count(&["row:hidden"]);
                }
                expected.count(&record.cases);
            }
        }
        writer.record(&record.cells, is_hidden(index), &mut expected)?;
    }
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(expected)
}

// ---------------------------------------------------------------------------
// Readings and payments.
// ---------------------------------------------------------------------------

pub const READING_HEADERS: [&str; 8] = [
    "序号",
    "用户编号",
    "表具编号",
    "抄表日期",
    "上次读数",
    "本次读数（m³）",
    "抄表人",
    "备注",
];

const R_SEQUENCE: usize = 0;
const R_ACCOUNT: usize = 1;
const R_METER: usize = 2;
const R_DATE: usize = 3;
const R_PREVIOUS: usize = 4;
const R_READING: usize = 5;
const R_READER: usize = 6;

pub const PAYMENT_HEADERS: [&str; 8] = [
    "序号",
    "用户号",
    "收费日期",
    "实收金额（元）",
    "支付方式",
    "收据号",
    "收费员",
    "备注",
];

const P_SEQUENCE: usize = 0;
const P_ACCOUNT: usize = 1;
const P_DATE: usize = 2;
const P_AMOUNT: usize = 3;
const P_CHANNEL: usize = 4;
const P_RECEIPT: usize = 5;
const P_CASHIER: usize = 6;

/// Months of history a readings or payments ledger covers per account.
pub const HISTORY_MONTHS: usize = 24;

/// Account and month of record `index`: every account's first month, then
/// every account's second month, …; months from January 2021.
fn account_month<'a>(
    accounts: &[&'a String],
    index: usize,
    seed: u64,
) -> anyhow::Result<(&'a String, usize, NaiveDate)> {
    let account = accounts
        .get(index % accounts.len().max(1))
        .copied()
        .context("the accounts ledger has no valid account")?;
    let month = index / accounts.len().max(1);
    let first = date(2021, 1, 1)?
        .checked_add_months(Months::new(month as u32))
        .context("month out of range")?;
    let day = first + chrono::Duration::days((mix(seed, index as u64, 201) % 28) as i64);
    Ok((account, month, day))
}

fn valid_account_list<'a>(
    accounts: &'a Expected,
    spec: &LedgerSpec,
) -> anyhow::Result<Vec<&'a String>> {
    if accounts.kind != ImportKind::Accounts {
        bail!("readings and payments refer to an accounts ledger's Expected");
    }
    let list: Vec<&String> = accounts.valid_accounts.iter().collect();
    if list.is_empty() {
        bail!("the accounts ledger has no valid account");
    }
    if spec.rows > list.len() * HISTORY_MONTHS {
        bail!(
            "{} records are more than {HISTORY_MONTHS} months of history for {} accounts",
            spec.rows,
            list.len()
        );
    }
    Ok(list)
}

/// An account number that the accounts ledger does not have.
fn unknown_account(accounts: &Expected, index: usize) -> String {
    let mut candidate = 90_000_000 + index as u64;
    while accounts.valid_accounts.contains(&candidate.to_string()) {
        candidate += 1;
    }
    candidate.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadingFault {
    UnknownAccount,
    Month13,
    BrokenMeter,
    Negative,
    NoDate,
}

const READING_FAULTS: [ReadingFault; 5] = [
    ReadingFault::UnknownAccount,
    ReadingFault::Month13,
    ReadingFault::BrokenMeter,
    ReadingFault::Negative,
    ReadingFault::NoDate,
];

/// Writes a readings ledger (sheet 抄表记录) for the valid accounts of an
/// accounts ledger: monthly readings from 2021 on, increasing per account
/// (10000 m³ and up, above any initial reading), at most
/// [`HISTORY_MONTHS`] per account. Same layout rules as
/// [`messy_accounts_ledger`]; in each block five rows are bad: an account
/// not in the accounts ledger, read on 2022-13-01, reading 表坏, reading -5,
/// no reading date.
pub fn readings_ledger(
    path: &Path,
    spec: &LedgerSpec,
    accounts: &Expected,
) -> anyhow::Result<Expected> {
    check_spec(spec, READING_FAULTS.len())?;
    let list = valid_account_list(accounts, spec)?;
    let seed = spec.seed;
    let mut expected = Expected::new(ImportKind::Readings, "抄表记录", &READING_HEADERS);
    let mut workbook = Workbook::new();
    new_sheet(&mut workbook, spec)?;
    let mut writer = SheetWriter::start(
        sheet_of(&mut workbook)?,
        "抄表记录",
        "某某燃气有限公司抄表记录",
        "导出日期：2023年1月5日",
        &READING_HEADERS,
    )?;
    for index in 0..spec.rows {
        let row = writer.blank_lines(index, &mut expected)?;
        let i = index as u64;
        let (account, month, read_on) = account_month(&list, index, seed)?;
        let mut cases: Vec<&'static str> = Vec::new();
        let mut cells = vec![Value::Empty; READING_HEADERS.len()];
        cells[R_SEQUENCE] = Value::Number((index + 1) as f64);
        cells[R_ACCOUNT] = if cycle(index, 5, 111) == 0 {
            cases.push("account_no:number");
            Value::Number(number_of(account)?)
        } else {
            Value::text(account.as_str())
        };
        let meter = accounts.meters.get(account).cloned().unwrap_or_default();
        cells[R_METER] = match cycle(index, 4, 112) {
            0 => {
                cases.push("meter_no:full_width");
                Value::text(full_width(&meter))
            }
            1 => {
                cases.push("meter_no:empty");
                Value::Empty
            }
            _ => Value::text(meter),
        };
        let (cell, case) = date_cell(read_on, cycle(index, 7, 113));
        cases.push(match case {
            "date_cell" => "read_on:date_cell",
            "date_cell_chinese_format" => "read_on:date_cell_chinese_format",
            "serial_number" => "read_on:serial_number",
            "text_iso" => "read_on:text_iso",
            "text_slash" => "read_on:text_slash",
            "text_chinese" => "read_on:text_chinese",
            _ => "read_on:text_compact",
        });
        cells[R_DATE] = cell;
        // 10000 + 25 per month + 0..19.5: strictly increasing per account.
        let tenths = 100_000 + 250 * month as i64 + (mix(seed, i, 114) % 196) as i64;
        let reading = Decimal::new(tenths, 1);
        let previous = Decimal::new(tenths - 250, 1);
        cells[R_PREVIOUS] = Value::Number(number_of(&previous.normalize().to_string())?);
        cells[R_READING] = match cycle(index, 4, 115) {
            0 => {
                cases.push("reading:number");
                Value::Number(number_of(&reading.normalize().to_string())?)
            }
            1 => {
                cases.push("reading:text");
                Value::text(reading.to_string())
            }
            2 => {
                cases.push("reading:full_width_text");
                Value::text(full_width(&reading.to_string()))
            }
            _ => {
                cases.push("reading:text_thousands");
                let text = yuan_thousands(tenths * 10);
                Value::text(text.trim_end_matches('0').trim_end_matches('.').to_owned())
            }
        };
        cells[R_READER] = Value::text(format!(
            "{}师傅",
            pick(seed, index, 116, &["张", "李", "王", "赵"])
        ));

        let fault = bad_kind(spec, index, READING_FAULTS.len())
            .and_then(|kind| READING_FAULTS.get(kind).copied());
        match fault {
            Some(fault) => {
                let (field, column, value, reason) = match fault {
                    ReadingFault::UnknownAccount => (
                        "account_no",
                        R_ACCOUNT,
                        Value::text(unknown_account(accounts, index)),
                        Reason::UnknownAccount,
                    ),
                    ReadingFault::Month13 => (
                        "read_on",
                        R_DATE,
                        Value::text("2022-13-01"),
                        Reason::NotADate,
                    ),
                    ReadingFault::BrokenMeter => (
                        "reading",
                        R_READING,
                        Value::text("表坏"),
                        Reason::NotANumber,
                    ),
                    ReadingFault::Negative => {
                        ("reading", R_READING, Value::Number(-5.0), Reason::Negative)
                    }
                    ReadingFault::NoDate => ("read_on", R_DATE, Value::Empty, Reason::Missing),
                };
                expected.invalid.push(BadRow {
                    row,
                    field,
                    value: value.shown(),
                    written: value.written(),
                    reason,
                });
                cells[column] = value;
                if fault == ReadingFault::UnknownAccount {
                    // No meter to disagree with: one fault per row.
                    cells[R_METER] = Value::Empty;
                }
            }
            None => {
                expected.valid += 1;
                expected.valid_accounts.insert(account.clone());
                if is_hidden(index) {
                    expected.count(&["row:hidden"]);
                }
                expected.count(&cases);
            }
        }
        writer.record(&cells, is_hidden(index), &mut expected)?;
    }
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(expected)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PaymentFault {
    UnknownAccount,
    February29,
    ThreeDecimals,
    InWords,
    NoAmount,
    DuplicateReceipt,
}

const PAYMENT_FAULTS: [PaymentFault; 6] = [
    PaymentFault::UnknownAccount,
    PaymentFault::February29,
    PaymentFault::ThreeDecimals,
    PaymentFault::InWords,
    PaymentFault::NoAmount,
    PaymentFault::DuplicateReceipt,
];

/// Receipt number of payment `index` (unique: affine bijection mod 10^8).
fn receipt_no(seed: u64, index: usize) -> String {
    let number = (index as u64)
        .wrapping_mul(3_141_593)
        .wrapping_add(seed % 100_000_000)
        % 100_000_000;
    format!("SF{number:08}")
}

/// Writes a payments ledger (sheet 收费记录) for the valid accounts of an
/// accounts ledger: one payment per account and month from 2021 on, at
/// most [`HISTORY_MONTHS`] per account, channels 现金/微信/支付宝/银行卡.
/// Same layout rules as [`messy_accounts_ledger`]; in each block six rows
/// are bad: an account not in the accounts ledger, paid on 2022-02-29, an
/// amount of 12.345, an amount 五十元, no amount, the block's first receipt
/// number again.
pub fn payments_ledger(
    path: &Path,
    spec: &LedgerSpec,
    accounts: &Expected,
) -> anyhow::Result<Expected> {
    check_spec(spec, PAYMENT_FAULTS.len())?;
    let list = valid_account_list(accounts, spec)?;
    let seed = spec.seed;
    let mut expected = Expected::new(ImportKind::Payments, "收费记录", &PAYMENT_HEADERS);
    let mut workbook = Workbook::new();
    new_sheet(&mut workbook, spec)?;
    let mut writer = SheetWriter::start(
        sheet_of(&mut workbook)?,
        "收费记录",
        "某某燃气有限公司收费记录",
        "导出日期：2023年1月5日",
        &PAYMENT_HEADERS,
    )?;
    let mut block_first_row = 0;
    for index in 0..spec.rows {
        let row = writer.blank_lines(index, &mut expected)?;
        let block_start = index - index % spec.bad_every.max(1);
        if index == block_start {
            block_first_row = row;
        }
        let i = index as u64;
        let (account, _, paid_on) = account_month(&list, index, seed)?;
        let mut cases: Vec<&'static str> = Vec::new();
        let mut cells = vec![Value::Empty; PAYMENT_HEADERS.len()];
        cells[P_SEQUENCE] = Value::Number((index + 1) as f64);
        cells[P_ACCOUNT] = match cycle(index, 6, 121) {
            0 => {
                cases.push("account_no:number");
                Value::Number(number_of(account)?)
            }
            1 => {
                cases.push("account_no:full_width");
                Value::text(full_width(account))
            }
            _ => Value::text(account.as_str()),
        };
        let (cell, case) = date_cell(paid_on, cycle(index, 7, 122));
        cases.push(match case {
            "date_cell" => "paid_on:date_cell",
            "date_cell_chinese_format" => "paid_on:date_cell_chinese_format",
            "serial_number" => "paid_on:serial_number",
            "text_iso" => "paid_on:text_iso",
            "text_slash" => "paid_on:text_slash",
            "text_chinese" => "paid_on:text_chinese",
            _ => "paid_on:text_compact",
        });
        cells[P_DATE] = cell;
        let amount_fen = 1_000 + (mix(seed, i, 123) % 200_000) as i64;
        let (cell, case) = amount_cell(amount_fen, cycle(index, 7, 124))?;
        cases.push(match case {
            "number" => "amount:number",
            "text_thousands" => "amount:text_thousands",
            "text_yen" => "amount:text_yen",
            "text_full_width" => "amount:text_full_width",
            "text_yuan_suffix" => "amount:text_yuan_suffix",
            "text_full_width_yen" => "amount:text_full_width_yen",
            _ => "amount:text",
        });
        cells[P_AMOUNT] = cell;
        let channel = ["现金", "微信", "支付宝", "银行卡", "现金"]
            .get(cycle(index, 5, 125))
            .copied()
            .unwrap_or("现金");
        cases.push(match channel {
            "现金" => "channel:现金",
            "微信" => "channel:微信",
            "支付宝" => "channel:支付宝",
            _ => "channel:银行卡",
        });
        cells[P_CHANNEL] = Value::text(channel);
        cells[P_RECEIPT] = Value::text(receipt_no(seed, index));
        cells[P_CASHIER] = Value::text(pick(seed, index, 126, &["刘敏", "陈静", "周丽"]));

        let fault = bad_kind(spec, index, PAYMENT_FAULTS.len())
            .and_then(|kind| PAYMENT_FAULTS.get(kind).copied());
        match fault {
            Some(fault) => {
                let (field, column, value, reason) = match fault {
                    PaymentFault::UnknownAccount => (
                        "account_no",
                        P_ACCOUNT,
                        Value::text(unknown_account(accounts, index)),
                        Reason::UnknownAccount,
                    ),
                    PaymentFault::February29 => (
                        "paid_on",
                        P_DATE,
                        Value::text("2022-02-29"),
                        Reason::NotADate,
                    ),
                    PaymentFault::ThreeDecimals => {
                        ("amount", P_AMOUNT, Value::text("12.345"), Reason::Precision)
                    }
                    PaymentFault::InWords => (
                        "amount",
                        P_AMOUNT,
                        Value::text("五十元"),
                        Reason::NotANumber,
                    ),
                    PaymentFault::NoAmount => ("amount", P_AMOUNT, Value::Empty, Reason::Missing),
                    PaymentFault::DuplicateReceipt => (
                        "receipt_no",
                        P_RECEIPT,
                        Value::text(receipt_no(seed, block_start)),
                        Reason::Duplicate {
                            first_row: block_first_row,
                        },
                    ),
                };
                expected.invalid.push(BadRow {
                    row,
                    field,
                    value: value.shown(),
                    written: value.written(),
                    reason,
                });
                cells[column] = value;
            }
            None => {
                expected.valid += 1;
                expected.amount_sum += Decimal::new(amount_fen, 2);
                expected.valid_accounts.insert(account.clone());
                if is_hidden(index) {
                    expected.count(&["row:hidden"]);
                }
                expected.count(&cases);
            }
        }
        writer.record(&cells, is_hidden(index), &mut expected)?;
    }
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(expected)
}

// ---------------------------------------------------------------------------
// The checked-in .xls and .ods fixtures.
// ---------------------------------------------------------------------------

/// tests/fixtures/ of this crate.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `accounts_small.xls` (BIFF8, written by xlwt) and `accounts_small.ods`
/// (odfpy) in [`fixtures_dir`].
pub fn accounts_small_paths() -> [PathBuf; 2] {
    [
        fixtures_dir().join("accounts_small.xls"),
        fixtures_dir().join("accounts_small.ods"),
    ]
}

/// What a correct importer concludes from either `accounts_small` fixture
/// (tests/fixtures/make_fixtures.py writes them; README.md describes them).
pub fn accounts_small_expected() -> Expected {
    let mut expected = Expected::new(ImportKind::Accounts, "用户台账", &ACCOUNT_HEADERS);
    expected.rows = 10;
    expected.valid = 9;
    let id_as_number = 110_105_198_001_010_059_f64;
    expected.invalid = vec![BadRow {
        row: 8,
        field: "id_number",
        value: excel_general(id_as_number),
        written: Written::Number(id_as_number),
        reason: Reason::IdAsNumber,
    }];
    // 120.5 + 1,234.50 + ¥12.5 + 300 + 88元 + 5000 + ０ + 66.6 + (empty)
    expected.balance_sum = Decimal::new(682_210, 2);
    // 35.80 + 1200.75
    expected.arrears_sum = Decimal::new(123_655, 2);
    for number in [1, 2, 3, 5, 6, 7, 8, 9, 10] {
        let account = format!("{}", 2_000_000 + number);
        expected
            .meters
            .insert(account.clone(), format!("JK{:08}", 20_000_000 + number));
        expected.valid_accounts.insert(account);
    }
    expected.hidden_rows = vec![11];
    expected.blank_rows = vec![9];
    expected.last_row = 15;
    expected
}

// ---------------------------------------------------------------------------
// Hostile files.
// ---------------------------------------------------------------------------

/// Uncompressed size of the sheet of [`zip_bomb_xlsx`].
pub const ZIP_BOMB_SHEET_BYTES: u64 = 32 * 1024 * 1024;

/// The uncompressed size that [`zip_lying_size_xlsx`] declares for its sheet.
pub const LYING_DECLARED_BYTES: u32 = 0xFFFF_FFFE;

/// What a hostile zip holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipBomb {
    /// The member that is the bomb.
    pub member: String,
    /// Its compressed size in the file.
    pub compressed_bytes: u64,
    /// The uncompressed size its directory entry declares.
    pub declared_bytes: u64,
    /// What it really inflates to.
    pub actual_bytes: u64,
    pub file_bytes: u64,
}

const SHEET_MEMBER: &str = "xl/worksheets/sheet1.xml";

const BOMB_SHEET_HEAD: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" ",
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
    "<dimension ref=\"A1\"/><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\">",
    "<is><t>zip bomb</t></is></c></row>"
);
const BOMB_SHEET_TAIL: &str = "</sheetData></worksheet>";

/// Writes an .xlsx whose only sheet is valid XML padded with spaces to
/// [`ZIP_BOMB_SHEET_BYTES`], deflated about 1000:1 (the limit of deflate),
/// so the directory declares 32 MiB for a member of about 32 KiB.
pub fn zip_bomb_xlsx(path: &Path) -> anyhow::Result<ZipBomb> {
    zip_bomb_xlsx_sized(path, ZIP_BOMB_SHEET_BYTES)
}

/// [`zip_bomb_xlsx`] with the sheet inflating to `sheet_bytes` (at least
/// 1 KiB, below 4 GiB).
pub fn zip_bomb_xlsx_sized(path: &Path, sheet_bytes: u64) -> anyhow::Result<ZipBomb> {
    let fixed = (BOMB_SHEET_HEAD.len() + BOMB_SHEET_TAIL.len()) as u64;
    if sheet_bytes < fixed + 1024 || sheet_bytes >= u64::from(u32::MAX) {
        bail!(
            "a bomb sheet must be between {} bytes and 4 GiB",
            fixed + 1024
        );
    }
    let padding = sheet_bytes - fixed;
    let compressed = deflate_space_run(
        BOMB_SHEET_HEAD.as_bytes(),
        padding,
        BOMB_SHEET_TAIL.as_bytes(),
    )?;
    let mut crc = Crc32::new();
    crc.update(BOMB_SHEET_HEAD.as_bytes());
    crc.update_repeated(b' ', padding);
    crc.update(BOMB_SHEET_TAIL.as_bytes());
    let sheet = ZipMember {
        name: SHEET_MEMBER,
        method: DEFLATED,
        crc: crc.finish(),
        declared_size: u32::try_from(sheet_bytes)?,
        data: compressed,
    };
    let compressed_bytes = sheet.data.len() as u64;
    let file_bytes = write_minimal_xlsx(path, sheet)?;
    Ok(ZipBomb {
        member: SHEET_MEMBER.to_owned(),
        compressed_bytes,
        declared_bytes: sheet_bytes,
        actual_bytes: sheet_bytes,
        file_bytes,
    })
}

/// Writes an .xlsx whose directory (central and local headers) declares
/// [`LYING_DECLARED_BYTES`] (almost 4 GiB) for a sheet that really
/// inflates to a few hundred bytes: an importer that sizes buffers from
/// the directory would allocate 4 GiB.
pub fn zip_lying_size_xlsx(path: &Path) -> anyhow::Result<ZipBomb> {
    let xml = format!("{BOMB_SHEET_HEAD}{BOMB_SHEET_TAIL}");
    let mut crc = Crc32::new();
    crc.update(xml.as_bytes());
    let data = deflate_stored(xml.as_bytes())?;
    let sheet = ZipMember {
        name: SHEET_MEMBER,
        method: DEFLATED,
        crc: crc.finish(),
        declared_size: LYING_DECLARED_BYTES,
        data,
    };
    let compressed_bytes = sheet.data.len() as u64;
    let file_bytes = write_minimal_xlsx(path, sheet)?;
    Ok(ZipBomb {
        member: SHEET_MEMBER.to_owned(),
        compressed_bytes,
        declared_bytes: u64::from(LYING_DECLARED_BYTES),
        actual_bytes: xml.len() as u64,
        file_bytes,
    })
}

/// Writes a tiny .xlsx (a few KiB) whose sheet has a cell at A1 and one at
/// XFD1048576, the last cell Excel allows: the sheet's dimension is
/// A1:XFD1048576, 17 billion cells, which a reader that allocates a dense
/// range cannot hold.
pub fn huge_dimension_xlsx(path: &Path) -> anyhow::Result<()> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("用户台账")?;
    sheet.write_string(0, 0, "户号")?;
    sheet.write_string(0, 1, "户名")?;
    sheet.write_string(1_048_575, 16_383, "XFD1048576")?;
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

const STORED: u16 = 0;
const DEFLATED: u16 = 8;

struct ZipMember {
    name: &'static str,
    method: u16,
    crc: u32,
    /// Uncompressed size written into the headers (the truth, or not).
    declared_size: u32,
    data: Vec<u8>,
}

impl ZipMember {
    fn stored(name: &'static str, text: &str) -> ZipMember {
        let mut crc = Crc32::new();
        crc.update(text.as_bytes());
        ZipMember {
            name,
            method: STORED,
            crc: crc.finish(),
            declared_size: text.len() as u32,
            data: text.as_bytes().to_vec(),
        }
    }
}

/// The four parts every reader (Excel, LibreOffice, calamine) needs, plus
/// the given sheet; returns the file's size.
fn write_minimal_xlsx(path: &Path, sheet: ZipMember) -> anyhow::Result<u64> {
    let members = [
        ZipMember::stored(
            "[Content_Types].xml",
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
                "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
                "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
                "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
                "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
                "</Types>"
            ),
        ),
        ZipMember::stored(
            "_rels/.rels",
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>",
                "</Relationships>"
            ),
        ),
        ZipMember::stored(
            "xl/workbook.xml",
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
                "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" ",
                "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
                "<sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        ZipMember::stored(
            "xl/_rels/workbook.xml.rels",
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
                "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
                "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>",
                "</Relationships>"
            ),
        ),
        sheet,
    ];
    let bytes = zip_archive(&members)?;
    fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// A zip archive (no zip64, no data descriptors, DOS date 1980-01-01).
fn zip_archive(members: &[ZipMember]) -> anyhow::Result<Vec<u8>> {
    fn u16le(out: &mut Vec<u8>, value: u16) {
        out.extend_from_slice(&value.to_le_bytes());
    }
    fn u32le(out: &mut Vec<u8>, value: u32) {
        out.extend_from_slice(&value.to_le_bytes());
    }
    const DOS_DATE_1980_01_01: u16 = (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for member in members {
        let offset = u32::try_from(out.len()).context("zip too large")?;
        let name_len = u16::try_from(member.name.len()).context("name too long")?;
        let compressed = u32::try_from(member.data.len()).context("member too large")?;
        // Local file header.
        u32le(&mut out, 0x0403_4B50);
        u16le(&mut out, 20);
        u16le(&mut out, 0);
        u16le(&mut out, member.method);
        u16le(&mut out, 0);
        u16le(&mut out, DOS_DATE_1980_01_01);
        u32le(&mut out, member.crc);
        u32le(&mut out, compressed);
        u32le(&mut out, member.declared_size);
        u16le(&mut out, name_len);
        u16le(&mut out, 0);
        out.extend_from_slice(member.name.as_bytes());
        out.extend_from_slice(&member.data);
        // Central directory entry.
        u32le(&mut central, 0x0201_4B50);
        u16le(&mut central, 20);
        u16le(&mut central, 20);
        u16le(&mut central, 0);
        u16le(&mut central, member.method);
        u16le(&mut central, 0);
        u16le(&mut central, DOS_DATE_1980_01_01);
        u32le(&mut central, member.crc);
        u32le(&mut central, compressed);
        u32le(&mut central, member.declared_size);
        u16le(&mut central, name_len);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u32le(&mut central, 0);
        u32le(&mut central, offset);
        central.extend_from_slice(member.name.as_bytes());
    }
    let central_offset = u32::try_from(out.len()).context("zip too large")?;
    let central_size = u32::try_from(central.len()).context("zip too large")?;
    let count = u16::try_from(members.len()).context("too many members")?;
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4B50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, count);
    u16le(&mut out, count);
    u32le(&mut out, central_size);
    u32le(&mut out, central_offset);
    u16le(&mut out, 0);
    Ok(out)
}

/// Bits written least significant first, as deflate wants them.
struct BitWriter {
    out: Vec<u8>,
    buffer: u64,
    count: u32,
}

impl BitWriter {
    fn new() -> BitWriter {
        BitWriter {
            out: Vec::new(),
            buffer: 0,
            count: 0,
        }
    }

    fn bits(&mut self, value: u64, count: u32) {
        self.buffer |= value << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push((self.buffer & 0xFF) as u8);
            self.buffer >>= 8;
            self.count -= 8;
        }
    }

    fn align(&mut self) {
        if self.count > 0 {
            self.bits(0, 8 - self.count);
        }
    }

    /// A stored block (the writer must be byte-aligned after its header).
    fn stored_block(&mut self, data: &[u8], last: bool) -> anyhow::Result<()> {
        let length = u16::try_from(data.len()).context("stored block too long")?;
        self.bits(u64::from(last), 1);
        self.bits(0, 2);
        self.align();
        self.out.extend_from_slice(&length.to_le_bytes());
        self.out.extend_from_slice(&(!length).to_le_bytes());
        self.out.extend_from_slice(data);
        Ok(())
    }
}

/// Deflate of `data` in stored blocks (no compression).
fn deflate_stored(data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut writer = BitWriter::new();
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    if chunks.is_empty() {
        writer.stored_block(&[], true)?;
    }
    for (position, chunk) in chunks.iter().enumerate() {
        writer.stored_block(chunk, position + 1 == chunks.len())?;
    }
    Ok(writer.out)
}

/// Deflate of `head`, `spaces` space characters and `tail` at the best
/// ratio deflate allows: the run is one dynamic-Huffman block in which the
/// only symbols are "copy 258 bytes from distance 1" (1 bit) and
/// end-of-block, each distance code 1 bit, so 258 bytes cost 2 bits.
fn deflate_space_run(head: &[u8], spaces: u64, tail: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut writer = BitWriter::new();
    // Block 1, stored: the head and the first space (the copies' source).
    let mut first = head.to_vec();
    first.push(b' ');
    writer.stored_block(&first, false)?;
    let copies = (spaces - 1) / 258;
    let rest = (spaces - 1) % 258;

    // Block 2, dynamic Huffman.
    writer.bits(0, 1); // not last
    writer.bits(2, 2); // dynamic
    writer.bits(286 - 257, 5); // HLIT: literal/length codes 0..=285
    writer.bits(2 - 1, 5); // HDIST: distance codes 0 and 1
    writer.bits(18 - 4, 4); // HCLEN: 18 code-length codes
    // Code lengths of the code-length alphabet, in the order of RFC 1951:
    // only 1 (a length of one) and 18 (a run of zeros) are used, 1 bit each.
    const ORDER: [u8; 18] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
    for symbol in ORDER {
        let length = u64::from(symbol == 1 || symbol == 18);
        writer.bits(length, 3);
    }
    // Canonical codes: symbol 1 -> 0, symbol 18 -> 1.
    let zeros = |writer: &mut BitWriter, run: u64| {
        writer.bits(1, 1);
        writer.bits(run - 11, 7);
    };
    zeros(&mut writer, 138); // literals 0..=137
    zeros(&mut writer, 118); // literals 138..=255
    writer.bits(0, 1); // 256 end-of-block: length 1
    zeros(&mut writer, 28); // lengths 257..=284 unused
    writer.bits(0, 1); // 285 (copy 258): length 1
    writer.bits(0, 1); // distance code 0 (distance 1): length 1
    writer.bits(0, 1); // distance code 1: length 1
    // Canonical codes: 256 -> 0, 285 -> 1; distance 0 -> 0.
    for _ in 0..copies {
        writer.bits(0b01, 2); // 285 then distance code 0
    }
    writer.bits(0, 1); // end of block

    // Block 3, stored and last: the remaining spaces and the tail.
    let mut last = vec![b' '; usize::try_from(rest)?];
    last.extend_from_slice(tail);
    writer.stored_block(&last, true)?;
    Ok(writer.out)
}

/// CRC-32 (IEEE), as zip wants it.
struct Crc32 {
    value: u32,
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0_u32; 256];
    let mut index = 0;
    while index < 256 {
        let mut value = index as u32;
        let mut bit = 0;
        while bit < 8 {
            value = if value & 1 == 1 {
                0xEDB8_8320 ^ (value >> 1)
            } else {
                value >> 1
            };
            bit += 1;
        }
        table[index] = value;
        index += 1;
    }
    table
}

impl Crc32 {
    fn new() -> Crc32 {
        Crc32 { value: 0xFFFF_FFFF }
    }

    fn byte(&mut self, byte: u8) {
        let index = ((self.value ^ u32::from(byte)) & 0xFF) as usize;
        self.value = CRC_TABLE[index] ^ (self.value >> 8);
    }

    fn update(&mut self, data: &[u8]) {
        for byte in data {
            self.byte(*byte);
        }
    }

    fn update_repeated(&mut self, byte: u8, count: u64) {
        for _ in 0..count {
            self.byte(byte);
        }
    }

    fn finish(&self) -> u32 {
        !self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_shows_long_numbers_in_scientific_notation() {
        assert_eq!(excel_general(110_105_198_001_010_059.0), "1.10105E+17");
        assert_eq!(excel_general(100_000_000_000_000_000.0), "1E+17");
        assert_eq!(excel_general(8.125), "8.125");
        assert_eq!(excel_general(-3.5), "-3.5");
        assert_eq!(excel_general(13_812_345_678.0), "13812345678");
    }

    #[test]
    fn amounts_are_spelled_as_clerks_type_them() {
        assert_eq!(yuan_thousands(123_450), "1,234.50");
        assert_eq!(yuan_thousands(12_345_678_901), "123,456,789.01");
        assert_eq!(yuan_thousands(5), "0.05");
        assert_eq!(yuan_short(1_250), "12.5");
        assert_eq!(yuan_short(1_200), "12");
        assert_eq!(full_width("JK001 1.5"), "ＪＫ００１\u{3000}１．５");
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xCBF4_3926);
    }

    #[test]
    fn bad_rows_never_sit_on_the_rows_duplicates_repeat() {
        for period in 20..200 {
            let offsets = bad_offsets(period, 9);
            assert!(
                offsets
                    .iter()
                    .all(|offset| *offset >= 2 && *offset < period)
            );
            assert!(
                offsets.windows(2).all(|pair| pair[1] > pair[0] + 1),
                "{period}"
            );
        }
    }
}

//! The ledger fixtures are what they claim: every generated file and every
//! checked-in .xls/.ods fixture is read back with calamine, its layout is
//! checked (title, header row, hidden rows, blank lines, the identity
//! number stored as a float), and a reference validator built only from
//! gascis_common's cleaning rules must reach exactly the fixture's
//! Expected. The hostile files are checked from their zip directory
//! without inflating anything large.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use anyhow::{Context, bail, ensure};
use calamine::{Data, Range, Reader, Xlsx, open_workbook, open_workbook_auto};
use chrono::NaiveDate;
use gascis_common::{
    cleaning::{self, CleanError},
    identity::{ResidentId, ResidentIdError},
    import_fields::{ImportKind, detect_header},
    phone,
};
use gascis_testkit::ledger_fixtures::{
    self as fixtures, Expected, LYING_DECLARED_BYTES, LedgerSpec, Reason, Written,
    ZIP_BOMB_SHEET_BYTES, excel_general,
};
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------
// Reading back.
// ---------------------------------------------------------------------------

/// A sheet as a dense grid indexed by absolute 0-based row and column.
struct Grid {
    rows: Vec<Vec<Data>>,
}

fn read_grid(path: &Path, sheet: &str) -> anyhow::Result<Grid> {
    let mut workbook = open_workbook_auto(path)?;
    ensure!(
        workbook.sheet_names() == vec![sheet.to_owned()],
        "sheets of {}: {:?}",
        path.display(),
        workbook.sheet_names()
    );
    let range: Range<Data> = workbook.worksheet_range(sheet)?;
    let (end_row, end_column) = range.end().context("empty sheet")?;
    let mut rows = Vec::new();
    for row in 0..=end_row {
        let mut cells = Vec::new();
        for column in 0..=end_column {
            cells.push(
                range
                    .get_value((row, column))
                    .cloned()
                    .unwrap_or(Data::Empty),
            );
        }
        rows.push(cells);
    }
    Ok(Grid { rows })
}

impl Grid {
    /// Cell at a 1-based Excel row and 0-based column.
    fn at(&self, row: u32, column: usize) -> &Data {
        self.rows
            .get(row as usize - 1)
            .and_then(|cells| cells.get(column))
            .unwrap_or(&Data::Empty)
    }

    fn header_texts(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .take(50)
            .map(|cells| cells.iter().map(|cell| cell.to_string()).collect())
            .collect()
    }

    fn is_blank(&self, row: u32) -> bool {
        self.rows
            .get(row as usize - 1)
            .is_none_or(|cells| cells.iter().all(|cell| Cell::of(cell) == Cell::Empty))
    }
}

// ---------------------------------------------------------------------------
// A reference validator: gascis_common's cleaning rules, nothing else.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    fn of(data: &Data) -> Cell {
        match data {
            Data::Empty => Cell::Empty,
            Data::String(text) if text.trim().is_empty() => Cell::Empty,
            Data::String(text) | Data::DateTimeIso(text) => Cell::Text(text.clone()),
            Data::Float(value) => Cell::Number(*value),
            Data::Int(value) => Cell::Number(*value as f64),
            Data::DateTime(value) => value
                .as_datetime()
                .map(|at| Cell::Date(at.date()))
                .unwrap_or(Cell::Number(value.as_f64())),
            other => Cell::Text(other.to_string()),
        }
    }

    /// As Excel shows it (for comparison with BadRow::value).
    fn shown(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Number(value) => excel_general(*value),
            Cell::Date(date) => date.to_string(),
        }
    }

    /// A text field: integers typed as numbers read as their digits.
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
                format!("{}", *value as i64)
            }
            Cell::Number(value) => format!("{value}"),
            Cell::Text(text) => cleaning::half_width(text),
            Cell::Date(date) => date.to_string(),
        }
    }
}

type Fault = &'static str;

fn required(cell: &Cell) -> Result<String, Fault> {
    let text = cell.text();
    if text.is_empty() {
        Err("missing")
    } else {
        Ok(text)
    }
}

fn code(cell: &Cell) -> Result<String, Fault> {
    let text = required(cell)?.to_uppercase();
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(text)
    } else {
        Err("bad_code")
    }
}

fn clean_fault(error: CleanError) -> Fault {
    match error {
        CleanError::Date(_) => "not_a_date",
        CleanError::Number(_) => "not_a_number",
        CleanError::Precision { .. } => "precision",
        CleanError::IdAsNumber(_) => "id_as_number",
        CleanError::Enumeration { .. } => "unknown_value",
    }
}

fn decimal(cell: &Cell, places: u32) -> Result<Decimal, Fault> {
    let value = match cell {
        Cell::Empty => return Ok(Decimal::ZERO),
        Cell::Number(value) => cleaning::decimal_from_excel_number(*value, places),
        Cell::Text(text) => cleaning::parse_decimal(text, places),
        Cell::Date(_) => return Err("not_a_number"),
    }
    .map_err(clean_fault)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err("negative");
    }
    Ok(value)
}

fn day(cell: &Cell) -> Result<Option<NaiveDate>, Fault> {
    match cell {
        Cell::Empty => Ok(None),
        Cell::Date(date) => Ok(Some(*date)),
        Cell::Number(serial) => cleaning::date_from_excel_serial(*serial)
            .map(Some)
            .ok_or("not_a_date"),
        Cell::Text(text) => cleaning::parse_date(text).map(Some).map_err(clean_fault),
    }
}

fn id_number(cell: &Cell) -> Result<(), Fault> {
    let text = match cell {
        Cell::Empty => return Ok(()),
        Cell::Number(value) => {
            return Err(clean_fault(cleaning::id_number_from_excel_number(*value)));
        }
        other => cleaning::id_number_text(&other.shown()).map_err(clean_fault)?,
    };
    match ResidentId::parse(&text) {
        Ok(_) => Ok(()),
        Err(ResidentIdError::CheckDigit { .. }) => Err("check_digit"),
        Err(_) => Err("bad_id"),
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Finding {
    row: u32,
    field: &'static str,
    value: String,
    reason: &'static str,
    first_row: Option<u32>,
}

#[derive(Debug, Default)]
struct Outcome {
    rows: usize,
    valid: usize,
    invalid: Vec<Finding>,
    balance: Decimal,
    arrears: Decimal,
    amount: Decimal,
    accounts: BTreeSet<String>,
    meters: BTreeMap<String, String>,
    data_rows: Vec<u32>,
}

/// Validates a sheet like an importer would; `accounts` is the accounts
/// ledger's Expected for readings and payments.
fn validate(kind: ImportKind, grid: &Grid, accounts: Option<&Expected>) -> anyhow::Result<Outcome> {
    let header = detect_header(kind, &grid.header_texts()).context("no header")?;
    ensure!(header.missing.is_empty(), "missing {:?}", header.missing);
    let columns: BTreeMap<&str, usize> = header
        .columns
        .iter()
        .map(|(column, key)| (*key, *column))
        .collect();
    let mut outcome = Outcome::default();
    let mut seen: BTreeMap<(&str, String), u32> = BTreeMap::new();
    for index in header.row + 1..grid.rows.len() {
        let row = index as u32 + 1;
        if grid.is_blank(row) {
            continue;
        }
        outcome.rows += 1;
        outcome.data_rows.push(row);
        let cell = |key: &str| {
            columns
                .get(key)
                .map(|column| Cell::of(grid.at(row, *column)))
                .unwrap_or(Cell::Empty)
        };
        let mut faults: Vec<(&'static str, Fault)> = Vec::new();
        let mut check = |field: &'static str, result: Result<(), Fault>| {
            if let Err(fault) = result {
                faults.push((field, fault));
            }
        };
        let known = |account: &str| -> Result<(), Fault> {
            match accounts {
                Some(expected) if !expected.valid_accounts.contains(account) => {
                    Err("unknown_account")
                }
                _ => Ok(()),
            }
        };
        // (field, canonical value) pairs that must be unique in the file.
        let mut unique: Vec<(&'static str, String)> = Vec::new();
        let mut sums = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let account = code(&cell("account_no"));
        match kind {
            ImportKind::Accounts => {
                check("account_no", account.clone().map(|_| ()));
                check(
                    "customer_name",
                    required(&cell("customer_name")).map(|_| ()),
                );
                let customer_type = cell("customer_type").text();
                if !customer_type.is_empty() {
                    check(
                        "customer_type",
                        cleaning::customer_type(&customer_type)
                            .map(|_| ())
                            .map_err(clean_fault),
                    );
                }
                check("id_number", id_number(&cell("id_number")));
                check(
                    "phone",
                    required(&cell("phone"))
                        .and_then(|text| phone::normalise(&text).map_err(|_| "bad_phone"))
                        .map(|_| ()),
                );
                check("address", required(&cell("address")).map(|_| ()));
                let meter = code(&cell("meter_no"));
                check("meter_no", meter.clone().map(|_| ()));
                check(
                    "meter_type",
                    required(&cell("meter_type")).and_then(|text| {
                        cleaning::meter_type(&text).map(|_| ()).map_err(clean_fault)
                    }),
                );
                check(
                    "initial_reading",
                    decimal(&cell("initial_reading"), 3).map(|_| ()),
                );
                let size = cell("household_size");
                if size != Cell::Empty {
                    check(
                        "household_size",
                        match size.text().parse::<i32>() {
                            Ok(1..=50) => Ok(()),
                            _ => Err("bad_household_size"),
                        },
                    );
                }
                check("opened_on", day(&cell("opened_on")).map(|_| ()));
                let balance = decimal(&cell("balance"), 2);
                check("balance", balance.map(|_| ()));
                let arrears = decimal(&cell("arrears"), 2);
                check("arrears", arrears.map(|_| ()));
                sums.0 = balance.unwrap_or_default();
                sums.1 = arrears.unwrap_or_default();
                if let (Ok(account), Ok(meter)) = (&account, meter) {
                    unique.push(("account_no", account.clone()));
                    unique.push(("meter_no", meter));
                }
            }
            ImportKind::Readings => {
                check(
                    "account_no",
                    account.as_deref().map_err(|f| *f).and_then(known),
                );
                let meter = cell("meter_no");
                if meter != Cell::Empty
                    && let (Ok(account), Some(expected)) = (&account, accounts)
                    && expected.valid_accounts.contains(account)
                {
                    check(
                        "meter_no",
                        if expected.meters.get(account) == Some(&meter.text().to_uppercase()) {
                            Ok(())
                        } else {
                            Err("meter_mismatch")
                        },
                    );
                }
                check(
                    "read_on",
                    day(&cell("read_on")).and_then(|date| date.map(|_| ()).ok_or("missing")),
                );
                let reading = cell("reading");
                check(
                    "reading",
                    required(&reading).and_then(|_| decimal(&reading, 3).map(|_| ())),
                );
            }
            ImportKind::Payments => {
                check(
                    "account_no",
                    account.as_deref().map_err(|f| *f).and_then(known),
                );
                check(
                    "paid_on",
                    day(&cell("paid_on")).and_then(|date| date.map(|_| ()).ok_or("missing")),
                );
                let amount_cell = cell("amount");
                let amount = required(&amount_cell).and_then(|_| decimal(&amount_cell, 2));
                check("amount", amount.map(|_| ()));
                sums.2 = amount.unwrap_or_default();
                let channel = cell("channel").text();
                check(
                    "channel",
                    if ["", "现金", "微信", "支付宝", "银行卡"].contains(&channel.as_str())
                    {
                        Ok(())
                    } else {
                        Err("unknown_value")
                    },
                );
                let receipt = cell("receipt_no").text();
                if !receipt.is_empty() {
                    unique.push(("receipt_no", receipt));
                }
            }
        }
        ensure!(
            faults.len() <= 1,
            "row {row} has several faults: {faults:?}"
        );
        if let Some((field, reason)) = faults.first() {
            outcome.invalid.push(Finding {
                row,
                field,
                value: cell(field).shown(),
                reason,
                first_row: None,
            });
            continue;
        }
        if let Some((field, first)) = unique.iter().find_map(|key| {
            seen.get(&(key.0, key.1.clone()))
                .map(|first| (key.0, *first))
        }) {
            outcome.invalid.push(Finding {
                row,
                field,
                value: cell(field).shown(),
                reason: "duplicate",
                first_row: Some(first),
            });
            continue;
        }
        for key in unique {
            seen.insert(key, row);
        }
        outcome.valid += 1;
        outcome.balance += sums.0;
        outcome.arrears += sums.1;
        outcome.amount += sums.2;
        if let Ok(account) = account {
            if kind == ImportKind::Accounts {
                outcome
                    .meters
                    .insert(account.clone(), code(&cell("meter_no")).unwrap_or_default());
            }
            outcome.accounts.insert(account);
        }
    }
    Ok(outcome)
}

/// The validator reaches exactly what the fixture's Expected says.
fn assert_outcome(outcome: &Outcome, expected: &Expected) {
    assert_eq!(outcome.rows, expected.rows, "data rows");
    assert_eq!(outcome.valid, expected.valid, "valid rows");
    assert_eq!(
        outcome.rows,
        expected.valid + expected.invalid.len(),
        "rows = valid + invalid"
    );
    let wanted: Vec<Finding> = expected
        .invalid
        .iter()
        .map(|bad| Finding {
            row: bad.row,
            field: bad.field,
            value: bad.value.clone(),
            reason: bad.reason.keyword(),
            first_row: match bad.reason {
                Reason::Duplicate { first_row } => Some(first_row),
                _ => None,
            },
        })
        .collect();
    assert_eq!(outcome.invalid, wanted, "invalid rows");
    assert_eq!(outcome.balance, expected.balance_sum, "balance");
    assert_eq!(outcome.arrears, expected.arrears_sum, "arrears");
    assert_eq!(outcome.amount, expected.amount_sum, "amount");
    assert_eq!(outcome.accounts, expected.valid_accounts, "accounts");
    if expected.kind == ImportKind::Accounts {
        assert_eq!(outcome.meters, expected.meters, "meters");
    }
    assert_eq!(outcome.data_rows.last().copied(), Some(expected.last_row));
}

// ---------------------------------------------------------------------------
// Zip members, with a small inflater (RFC 1951) for the tests.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct ZipEntry {
    name: String,
    method: u16,
    compressed: u64,
    declared: u64,
    local_offset: usize,
}

fn le16(bytes: &[u8], at: usize) -> anyhow::Result<u16> {
    let slice = bytes.get(at..at + 2).context("truncated zip")?;
    Ok(u16::from_le_bytes([slice[0], slice[1]]))
}

fn le32(bytes: &[u8], at: usize) -> anyhow::Result<u32> {
    let slice = bytes.get(at..at + 4).context("truncated zip")?;
    Ok(u32::from_le_bytes([slice[0], slice[1], slice[2], slice[3]]))
}

/// The central directory, as an importer reads it before inflating.
fn zip_directory(bytes: &[u8]) -> anyhow::Result<Vec<ZipEntry>> {
    let end = (0..bytes.len().saturating_sub(21))
        .rev()
        .find(|at| le32(bytes, *at).ok() == Some(0x0605_4B50))
        .context("no end of central directory")?;
    let count = le16(bytes, end + 10)? as usize;
    let mut at = le32(bytes, end + 16)? as usize;
    let mut entries = Vec::new();
    for _ in 0..count {
        ensure!(le32(bytes, at)? == 0x0201_4B50, "bad central directory");
        let name_len = le16(bytes, at + 28)? as usize;
        let extra_len = le16(bytes, at + 30)? as usize;
        let comment_len = le16(bytes, at + 32)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .context("truncated name")?;
        entries.push(ZipEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: le16(bytes, at + 10)?,
            compressed: u64::from(le32(bytes, at + 20)?),
            declared: u64::from(le32(bytes, at + 24)?),
            local_offset: le32(bytes, at + 42)? as usize,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

fn zip_member(path: &Path, name: &str, limit: usize) -> anyhow::Result<Vec<u8>> {
    let bytes = fs::read(path)?;
    let entry = zip_directory(&bytes)?
        .into_iter()
        .find(|entry| entry.name == name)
        .with_context(|| format!("no {name} in {}", path.display()))?;
    let at = entry.local_offset;
    let start = at + 30 + le16(&bytes, at + 26)? as usize + le16(&bytes, at + 28)? as usize;
    let data = bytes
        .get(start..start + entry.compressed as usize)
        .context("truncated member")?;
    match entry.method {
        0 => Ok(data.to_vec()),
        8 => inflate(data, limit),
        other => bail!("compression method {other}"),
    }
}

struct Bits<'a> {
    data: &'a [u8],
    position: usize,
    buffer: u64,
    count: u32,
}

impl Bits<'_> {
    fn bits(&mut self, need: u32) -> anyhow::Result<u32> {
        while self.count < need {
            let byte = *self.data.get(self.position).context("deflate ran out")?;
            self.position += 1;
            self.buffer |= u64::from(byte) << self.count;
            self.count += 8;
        }
        let value = (self.buffer & ((1_u64 << need) - 1)) as u32;
        self.buffer >>= need;
        self.count -= need;
        Ok(value)
    }
}

struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut count = [0_u16; 16];
        for length in lengths {
            count[*length as usize] += 1;
        }
        count[0] = 0;
        let mut offsets = [0_u16; 16];
        for length in 1..15 {
            offsets[length + 1] = offsets[length] + count[length];
        }
        let mut symbol = vec![0_u16; lengths.len()];
        for (value, length) in lengths.iter().enumerate() {
            if *length != 0 {
                symbol[offsets[*length as usize] as usize] = value as u16;
                offsets[*length as usize] += 1;
            }
        }
        Huffman { count, symbol }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> anyhow::Result<usize> {
        let (mut code, mut first, mut index) = (0_i32, 0_i32, 0_i32);
        for length in 1..16 {
            code |= bits.bits(1)? as i32;
            let count = i32::from(self.count[length]);
            if code - count < first {
                return Ok(self.symbol[(index + code - first) as usize] as usize);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        bail!("bad Huffman code")
    }
}

const LENGTH_BASE: [usize; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Raw deflate, refusing to produce more than `limit` bytes.
fn inflate(data: &[u8], limit: usize) -> anyhow::Result<Vec<u8>> {
    let mut bits = Bits {
        data,
        position: 0,
        buffer: 0,
        count: 0,
    };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = bits.bits(1)? == 1;
        match bits.bits(2)? {
            0 => {
                bits.buffer = 0;
                bits.count = 0;
                let length = bits.bits(16)? as usize;
                let complement = bits.bits(16)? as usize;
                ensure!(length == !complement & 0xFFFF, "bad stored block");
                let chunk = data
                    .get(bits.position..bits.position + length)
                    .context("stored block ran out")?;
                out.extend_from_slice(chunk);
                bits.position += length;
            }
            kind @ (1 | 2) => {
                let (literals, distances) = if kind == 1 {
                    let mut lengths = [8_u8; 288];
                    lengths[144..256].fill(9);
                    lengths[256..280].fill(7);
                    (Huffman::new(&lengths), Huffman::new(&[5_u8; 30]))
                } else {
                    let literal_count = bits.bits(5)? as usize + 257;
                    let distance_count = bits.bits(5)? as usize + 1;
                    let code_count = bits.bits(4)? as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut code_lengths = [0_u8; 19];
                    for symbol in ORDER.iter().take(code_count) {
                        code_lengths[*symbol] = bits.bits(3)? as u8;
                    }
                    let code = Huffman::new(&code_lengths);
                    let mut lengths = Vec::new();
                    while lengths.len() < literal_count + distance_count {
                        let (value, repeat) = match code.decode(&mut bits)? {
                            symbol @ 0..=15 => (symbol as u8, 1),
                            16 => (
                                *lengths.last().context("repeat with no length")?,
                                3 + bits.bits(2)? as usize,
                            ),
                            17 => (0, 3 + bits.bits(3)? as usize),
                            _ => (0, 11 + bits.bits(7)? as usize),
                        };
                        lengths.extend(std::iter::repeat_n(value, repeat));
                    }
                    (
                        Huffman::new(&lengths[..literal_count]),
                        Huffman::new(&lengths[literal_count..]),
                    )
                };
                loop {
                    let symbol = literals.decode(&mut bits)?;
                    if symbol < 256 {
                        out.push(symbol as u8);
                    } else if symbol == 256 {
                        break;
                    } else {
                        let index = symbol - 257;
                        let length = LENGTH_BASE.get(index).context("bad length")?
                            + bits.bits(LENGTH_EXTRA[index])? as usize;
                        let code = distances.decode(&mut bits)?;
                        let distance = DISTANCE_BASE.get(code).context("bad distance")?
                            + bits.bits(DISTANCE_EXTRA[code])? as usize;
                        ensure!(distance <= out.len(), "distance too far back");
                        let from = out.len() - distance;
                        for offset in 0..length {
                            let byte = out[from + offset];
                            out.push(byte);
                        }
                    }
                    ensure!(out.len() <= limit, "inflates past {limit} bytes");
                }
            }
            _ => bail!("reserved block type"),
        }
        ensure!(out.len() <= limit, "inflates past {limit} bytes");
        if last {
            return Ok(out);
        }
    }
}

/// 1-based rows that the sheet XML marks hidden.
fn hidden_rows_in_sheet_xml(xml: &str) -> Vec<u32> {
    xml.split("<row ")
        .skip(1)
        .filter_map(|row| {
            let tag = row.split('>').next()?;
            if !tag.contains("hidden=\"1\"") {
                return None;
            }
            tag.split("r=\"").nth(1)?.split('"').next()?.parse().ok()
        })
        .collect()
}

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------
// The generated ledgers.
// ---------------------------------------------------------------------------

/// Layout checks shared by the three generated kinds.
fn check_layout(path: &Path, expected: &Expected, grid: &Grid) -> anyhow::Result<()> {
    let width = expected.width;
    // Title merged over every column, export date, blank line.
    let mut workbook: Xlsx<_> = open_workbook(path)?;
    let merges = workbook.merge_cells_by_sheet_name(&expected.sheet)?;
    ensure!(
        merges.len() == 1 && merges[0].start == (0, 0) && merges[0].end == (0, width as u32 - 1),
        "merges: {merges:?}"
    );
    ensure!(
        grid.at(1, 0).to_string().starts_with("某某燃气有限公司"),
        "title {:?}",
        grid.at(1, 0)
    );
    ensure!(grid.at(2, 0).to_string() == "导出日期：2023年1月5日");
    ensure!(grid.is_blank(3), "row 3 is blank");

    // The header: found below the title at row 4, every column mapped.
    let header = detect_header(expected.kind, &grid.header_texts()).context("no header")?;
    ensure!(
        header.row + 1 == expected.header_row as usize,
        "header at {}",
        header.row
    );
    ensure!(
        header.columns == expected.columns,
        "columns {:?}",
        header.columns
    );
    ensure!(header.missing.is_empty());
    ensure!(
        header.columns.len() == expected.kind.fields().len()
            || expected.kind == ImportKind::Accounts,
        "every field of {:?} has a column",
        expected.kind
    );
    let unknown = width - header.columns.len();
    ensure!(unknown >= 2, "序号 and 备注 are not fields");

    // Blank lines between data rows, hidden rows in the XML and in the data.
    for row in &expected.blank_rows {
        ensure!(grid.is_blank(*row), "row {row} should be blank");
        ensure!(*row > expected.header_row + 1 && *row < expected.last_row);
    }
    let xml = String::from_utf8(zip_member(path, "xl/worksheets/sheet1.xml", 512 * MIB)?)?;
    ensure!(
        hidden_rows_in_sheet_xml(&xml) == expected.hidden_rows,
        "hidden rows {:?} vs {:?}",
        hidden_rows_in_sheet_xml(&xml),
        expected.hidden_rows
    );
    ensure!(!expected.hidden_rows.is_empty());
    for row in &expected.hidden_rows {
        ensure!(!grid.is_blank(*row), "hidden row {row} holds data");
    }
    let data_rows = (expected.header_row + 1..=expected.last_row)
        .filter(|row| !grid.is_blank(*row))
        .count();
    ensure!(data_rows == expected.rows, "{data_rows} data rows");
    ensure!(
        grid.rows.len() == expected.last_row as usize,
        "nothing below the last data row"
    );
    Ok(())
}

fn accounts_ledger(dir: &Path, spec: &LedgerSpec) -> anyhow::Result<(Expected, Grid)> {
    let path = dir.join("accounts.xlsx");
    let expected = fixtures::messy_accounts_ledger(&path, spec)?;
    let grid = read_grid(&path, "用户台账")?;
    check_layout(&path, &expected, &grid)?;
    Ok((expected, grid))
}

#[test]
fn the_messy_accounts_ledger_is_what_it_claims() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let spec = LedgerSpec::default();
    let (expected, grid) = accounts_ledger(dir.path(), &spec)?;
    eprintln!("{expected:#?}");

    assert_eq!(expected.rows, 50);
    assert_eq!(expected.invalid.len(), 9);
    assert_eq!(expected.valid, 41);
    let faults: Vec<(&str, &str)> = expected
        .invalid
        .iter()
        .map(|bad| (bad.field, bad.reason.keyword()))
        .collect();
    assert_eq!(
        faults,
        [
            ("id_number", "check_digit"),
            ("id_number", "id_as_number"),
            ("meter_no", "missing"),
            ("meter_type", "unknown_value"),
            ("initial_reading", "negative"),
            ("opened_on", "not_a_date"),
            ("arrears", "precision"),
            ("account_no", "duplicate"),
            ("meter_no", "duplicate"),
        ]
    );

    // The identity number stored as a number is a float cell that Excel
    // shows as 1.xxxxxE+17.
    let as_number = &expected.invalid[1];
    let cell = grid.at(as_number.row, 4);
    assert!(
        matches!(cell, Data::Float(value) if *value > 1e17),
        "{cell:?}"
    );
    assert!(as_number.value.ends_with("E+17"), "{}", as_number.value);
    assert!(matches!(as_number.written, Written::Number(_)));
    // The 2023-02-30 and the water meter are text as typed.
    assert_eq!(expected.invalid[5].value, "2023-02-30");
    assert_eq!(expected.invalid[3].value, "水表");
    assert_eq!(expected.invalid[6].value, "8.125");

    // Every cleaning case occurs in a valid row.
    for case in [
        "row:hidden",
        "account_no:number",
        "account_no:full_width",
        "customer_type:居民",
        "customer_type:商业",
        "customer_type:工业",
        "customer_type:公福",
        "customer_type:empty",
        "customer_name:trailing_ideographic_space",
        "id_number:18_digits",
        "id_number:15_digit_legacy",
        "id_number:lower_case_x",
        "id_number:surrounding_spaces",
        "phone:plain",
        "phone:spaces",
        "phone:dashes",
        "phone:full_width",
        "phone:number",
        "phone:country_code",
        "phone:landline",
        "meter_no:full_width",
        "meter_no:trailing_space",
        "meter_type:机械表",
        "meter_type:IC卡表",
        "meter_type:full_width_IC卡表",
        "meter_type:物联网表",
        "initial_reading:number",
        "initial_reading:full_width_text",
        "balance:number",
        "balance:text_thousands",
        "balance:text_yen",
        "balance:text_full_width",
        "balance:text_yuan_suffix",
        "balance:text_full_width_yen",
        "balance:empty",
        "arrears:number",
        "arrears:text",
        "arrears:text_yen",
        "household_size:text",
        "household_size:full_width_text",
        "household_size:number",
        "opened_on:date_cell",
        "opened_on:date_cell_chinese_format",
        "opened_on:serial_number",
        "opened_on:text_iso",
        "opened_on:text_slash",
        "opened_on:text_chinese",
        "opened_on:text_compact",
    ] {
        assert!(expected.cases.contains_key(case), "no valid row has {case}");
    }
    // Real Excel date cells come back as dates.
    assert!(
        grid.rows
            .iter()
            .any(|cells| matches!(cells.get(13), Some(Data::DateTime(_))))
    );

    assert_outcome(&validate(ImportKind::Accounts, &grid, None)?, &expected);
    Ok(())
}

#[test]
fn the_same_spec_writes_the_same_sheet() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let spec = LedgerSpec {
        rows: 120,
        seed: 42,
        ..LedgerSpec::default()
    };
    let first = fixtures::messy_accounts_ledger(&dir.path().join("a.xlsx"), &spec)?;
    let second = fixtures::messy_accounts_ledger(&dir.path().join("b.xlsx"), &spec)?;
    assert_eq!(first, second);
    let sheet = |name: &str| zip_member(&dir.path().join(name), "xl/worksheets/sheet1.xml", MIB);
    assert_eq!(sheet("a.xlsx")?, sheet("b.xlsx")?);
    let other = fixtures::messy_accounts_ledger(
        &dir.path().join("c.xlsx"),
        &LedgerSpec { seed: 43, ..spec },
    )?;
    assert_ne!(
        other.balance_sum, first.balance_sum,
        "the seed varies amounts"
    );
    assert_eq!(
        other.invalid.iter().map(|bad| bad.row).collect::<Vec<_>>(),
        first.invalid.iter().map(|bad| bad.row).collect::<Vec<_>>(),
        "but not the structure"
    );
    Ok(())
}

#[test]
fn constant_memory_ledgers_repeat_the_bad_rows_per_block() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let spec = LedgerSpec {
        rows: 2_000,
        seed: 9,
        bad_every: 100,
        first_account_no: 3_000_001,
        constant_memory: Some(true),
    };
    let (expected, grid) = accounts_ledger(dir.path(), &spec)?;
    assert_eq!(expected.rows, 2_000);
    assert_eq!(expected.invalid.len(), 20 * 9);
    let xml = String::from_utf8(zip_member(
        &dir.path().join("accounts.xlsx"),
        "xl/worksheets/sheet1.xml",
        64 * MIB,
    )?)?;
    assert!(
        xml.contains("t=\"inlineStr\""),
        "constant memory writes inline strings"
    );
    assert_outcome(&validate(ImportKind::Accounts, &grid, None)?, &expected);

    let clean = fixtures::messy_accounts_ledger(
        &dir.path().join("clean.xlsx"),
        &LedgerSpec {
            rows: 300,
            bad_every: 0,
            ..LedgerSpec::default()
        },
    )?;
    assert_eq!((clean.valid, clean.invalid.len()), (300, 0));
    Ok(())
}

#[test]
fn readings_and_payments_refer_to_the_accounts_ledger() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (accounts, _) = accounts_ledger(dir.path(), &LedgerSpec::default())?;
    let spec = LedgerSpec::default();

    let path = dir.path().join("readings.xlsx");
    let readings = fixtures::readings_ledger(&path, &spec, &accounts)?;
    eprintln!("{readings:#?}");
    let grid = read_grid(&path, "抄表记录")?;
    check_layout(&path, &readings, &grid)?;
    assert_eq!((readings.rows, readings.valid), (50, 45));
    assert_eq!(
        readings
            .invalid
            .iter()
            .map(|bad| (bad.field, bad.reason.keyword()))
            .collect::<Vec<_>>(),
        [
            ("account_no", "unknown_account"),
            ("read_on", "not_a_date"),
            ("reading", "not_a_number"),
            ("reading", "negative"),
            ("read_on", "missing"),
        ]
    );
    assert!(readings.valid_accounts.is_subset(&accounts.valid_accounts));
    assert_outcome(
        &validate(ImportKind::Readings, &grid, Some(&accounts))?,
        &readings,
    );

    let path = dir.path().join("payments.xlsx");
    let payments = fixtures::payments_ledger(&path, &spec, &accounts)?;
    eprintln!("{payments:#?}");
    let grid = read_grid(&path, "收费记录")?;
    check_layout(&path, &payments, &grid)?;
    assert_eq!((payments.rows, payments.valid), (50, 44));
    assert_eq!(
        payments
            .invalid
            .iter()
            .map(|bad| (bad.field, bad.reason.keyword()))
            .collect::<Vec<_>>(),
        [
            ("account_no", "unknown_account"),
            ("paid_on", "not_a_date"),
            ("amount", "precision"),
            ("amount", "not_a_number"),
            ("amount", "missing"),
            ("receipt_no", "duplicate"),
        ]
    );
    assert!(payments.amount_sum > Decimal::ZERO);
    assert_outcome(
        &validate(ImportKind::Payments, &grid, Some(&accounts))?,
        &payments,
    );

    // Readings or payments beyond two years of history are refused.
    let too_many = LedgerSpec {
        rows: accounts.valid * fixtures::HISTORY_MONTHS + 1,
        ..LedgerSpec::default()
    };
    assert!(fixtures::readings_ledger(&dir.path().join("x.xlsx"), &too_many, &accounts).is_err());
    Ok(())
}

// ---------------------------------------------------------------------------
// The checked-in .xls and .ods fixtures.
// ---------------------------------------------------------------------------

#[test]
fn the_xls_and_ods_fixtures_are_what_the_readme_says() -> anyhow::Result<()> {
    let expected = fixtures::accounts_small_expected();
    for path in fixtures::accounts_small_paths() {
        let size = fs::metadata(&path)?.len();
        assert!(size < 16 * 1024, "{} is {size} bytes", path.display());
        let grid = read_grid(&path, "用户台账")?;
        assert_eq!(grid.at(1, 0).to_string(), "某某燃气有限公司用户台账");
        assert!(grid.is_blank(3));
        let header =
            detect_header(ImportKind::Accounts, &grid.header_texts()).context("no header")?;
        assert_eq!(header.row, 3, "{}", path.display());
        assert_eq!(header.columns, expected.columns, "{}", path.display());
        for row in &expected.blank_rows {
            assert!(grid.is_blank(*row));
        }
        for row in &expected.hidden_rows {
            assert!(!grid.is_blank(*row), "hidden row {row} holds data");
        }
        // Row 8's identity number is a number cell.
        assert!(
            matches!(grid.at(8, 4), Data::Float(value) if (*value - 110_105_198_001_010_059.0).abs() < 1e3),
            "{}: {:?}",
            path.display(),
            grid.at(8, 4)
        );
        assert_outcome(&validate(ImportKind::Accounts, &grid, None)?, &expected);
    }
    // The .ods marks row 11 hidden.
    let [_, ods] = fixtures::accounts_small_paths();
    let content = String::from_utf8(zip_member(&ods, "content.xml", MIB)?)?;
    let hidden: Vec<usize> = content
        .split("<table:table-row")
        .skip(1)
        .enumerate()
        .filter(|(_, row)| {
            row.split('>')
                .next()
                .is_some_and(|tag| tag.contains("table:visibility=\"collapse\""))
        })
        .map(|(index, _)| index + 1)
        .collect();
    assert_eq!(hidden, [11]);
    Ok(())
}

// ---------------------------------------------------------------------------
// Hostile files.
// ---------------------------------------------------------------------------

#[test]
fn the_zip_bomb_declares_32_mib_for_a_few_kib() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bomb.xlsx");
    let bomb = fixtures::zip_bomb_xlsx(&path)?;
    assert_eq!(bomb.file_bytes, fs::metadata(&path)?.len());
    assert!(bomb.file_bytes < 64 * 1024, "{bomb:?}");
    let entries = zip_directory(&fs::read(&path)?)?;
    let sheet = entries
        .iter()
        .find(|entry| entry.name == bomb.member)
        .context("no sheet")?;
    assert_eq!(sheet.declared, ZIP_BOMB_SHEET_BYTES);
    assert_eq!(sheet.compressed, bomb.compressed_bytes);
    assert!(
        sheet.declared / sheet.compressed > 1000,
        "ratio {}",
        sheet.declared / sheet.compressed
    );
    // It really inflates to what it declares.
    let xml = zip_member(&path, &bomb.member, 64 * MIB)?;
    assert_eq!(xml.len() as u64, ZIP_BOMB_SHEET_BYTES);
    assert!(xml.ends_with(b"</sheetData></worksheet>"));

    // A smaller one is a valid workbook to calamine (so to the real zip
    // and inflate code an importer uses).
    let small = dir.path().join("small_bomb.xlsx");
    let small_bomb = fixtures::zip_bomb_xlsx_sized(&small, 2 * MIB as u64)?;
    assert!(small_bomb.declared_bytes / small_bomb.compressed_bytes > 500);
    let mut workbook = open_workbook_auto(&small)?;
    let range = workbook.worksheet_range("Sheet1")?;
    assert_eq!(
        range.get_value((0, 0)),
        Some(&Data::String("zip bomb".into()))
    );
    Ok(())
}

#[test]
fn the_lying_zip_declares_4_gib_for_a_few_hundred_bytes() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("liar.xlsx");
    let liar = fixtures::zip_lying_size_xlsx(&path)?;
    let entries = zip_directory(&fs::read(&path)?)?;
    let sheet = entries
        .iter()
        .find(|entry| entry.name == liar.member)
        .context("no sheet")?;
    assert_eq!(sheet.declared, u64::from(LYING_DECLARED_BYTES));
    assert_eq!(sheet.method, 8);
    let xml = zip_member(&path, &liar.member, MIB)?;
    assert_eq!(xml.len() as u64, liar.actual_bytes);
    assert!(liar.file_bytes < 4096, "{liar:?}");
    Ok(())
}

#[test]
fn the_huge_dimension_sheet_is_tiny_on_disk() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("huge.xlsx");
    fixtures::huge_dimension_xlsx(&path)?;
    assert!(fs::metadata(&path)?.len() < 16 * 1024);
    // Only the declared dimension is read: building the range would need
    // 1,048,576 × 16,384 cells.
    let mut workbook: Xlsx<_> = open_workbook(&path)?;
    let reader = workbook.worksheet_cells_reader("用户台账")?;
    let dimensions = reader.dimensions();
    assert_eq!(dimensions.start, (0, 0));
    assert_eq!(dimensions.end, (1_048_575, 16_383));
    let xml = String::from_utf8(zip_member(&path, "xl/worksheets/sheet1.xml", MIB)?)?;
    assert!(xml.contains("<dimension ref=\"A1:XFD1048576\"/>"));
    Ok(())
}

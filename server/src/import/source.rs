//! Reading spreadsheets (.xlsx, .xlsm, .xls, .ods) with calamine, after
//! checks that refuse oversized files, zip bombs and absurd sheet
//! dimensions before anything large is allocated.

use std::{
    fs::File,
    io::{BufReader, Seek},
    path::Path,
};

use calamine::{Data, Reader};
use chrono::NaiveDate;

use gascis_common::cleaning;

/// Limits a file must respect before it is parsed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: u64,
    /// Sum of the uncompressed sizes the zip directory declares.
    pub max_unpacked_bytes: u64,
    /// Largest compression ratio of one zip member (bombs compress 1000:1).
    pub max_ratio: u64,
    pub max_rows: u32,
    pub max_columns: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 200 * 1024 * 1024,
            max_unpacked_bytes: 2 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_rows: 2_000_000,
            max_columns: 200,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open {0}: {1}")]
    Open(String, String),
    #[error("the file is {size} bytes; the limit is {limit} bytes (import.max_file_mb)")]
    TooLarge { size: u64, limit: u64 },
    #[error("{0} is not .xlsx, .xlsm, .xls or .ods")]
    Format(String),
    #[error(
        "the file unpacks to {unpacked} bytes (limit {limit}); it may be a zip bomb and is refused"
    )]
    ZipBomb { unpacked: u64, limit: u64 },
    #[error(
        "member {member} of the file is compressed {ratio}:1; it may be a zip bomb and is refused"
    )]
    ZipRatio { member: String, ratio: u64 },
    #[error(
        "sheet '{sheet}' spans {rows} rows × {columns} columns; the limit is {max_rows} × {max_columns}"
    )]
    Dimensions {
        sheet: String,
        rows: u64,
        columns: u64,
        max_rows: u32,
        max_columns: u32,
    },
    #[error("no sheet named '{0}' (sheets: {1})")]
    NoSheet(String, String),
    #[error("the workbook has no sheets")]
    Empty,
    #[error("cannot read the sheet: {0}")]
    Read(String),
}

/// One cell as the importer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
}

impl Cell {
    fn from_data(data: &Data) -> Cell {
        match data {
            Data::Empty => Cell::Empty,
            Data::String(text) if text.trim().is_empty() => Cell::Empty,
            Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => {
                Cell::Text(text.clone())
            }
            Data::Int(value) => Cell::Number(*value as f64),
            Data::Float(value) => Cell::Number(*value),
            Data::Bool(value) => Cell::Bool(*value),
            Data::DateTime(value) => value
                .as_datetime()
                .map(|at| Cell::Date(at.date()))
                .or_else(|| cleaning::date_from_excel_serial(value.as_f64()).map(Cell::Date))
                .unwrap_or(Cell::Number(value.as_f64())),
            Data::Error(error) => Cell::Error(format!("{error:?}")),
        }
    }

    /// The text a user sees in the cell.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Number(value) => format!("{value}"),
            Cell::Date(date) => date.to_string(),
            Cell::Bool(value) => value.to_string(),
            Cell::Error(error) => format!("#{error}"),
        }
    }

    /// What Excel shows in a General-formatted cell: numbers of more than
    /// 11 digits in scientific notation (as a clerk sees 1.10105E+17).
    pub fn shown(&self) -> String {
        match self {
            Cell::Number(value) => cleaning::excel_general(*value),
            other => other.display(),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }
}

/// A sheet's rows with their 1-based Excel row numbers; blank rows left out.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<(u32, Vec<Cell>)>,
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase()
}

/// Checks the zip directory of .xlsx/.xlsm/.ods: declared sizes only, no
/// member is unpacked.
fn check_zip(file: &mut File, limits: &Limits) -> Result<(), SourceError> {
    let mut archive = zip::ZipArchive::new(&mut *file)
        .map_err(|error| SourceError::Read(format!("not a valid zip container: {error}")))?;
    let mut unpacked = 0_u64;
    for index in 0..archive.len() {
        // Raw access reads the member's header, never its data.
        let member = archive
            .by_index_raw(index)
            .map_err(|error| SourceError::Read(format!("damaged zip container: {error}")))?;
        let size = member.size();
        unpacked = unpacked.saturating_add(size);
        let compressed = member.compressed_size().max(1);
        if size > 10 * 1024 * 1024 && size / compressed > limits.max_ratio {
            return Err(SourceError::ZipRatio {
                member: member.name().map(|n| n.into_owned()).unwrap_or_default(),
                ratio: size / compressed,
            });
        }
    }
    if unpacked > limits.max_unpacked_bytes {
        return Err(SourceError::ZipBomb {
            unpacked,
            limit: limits.max_unpacked_bytes,
        });
    }
    file.rewind()
        .map_err(|error| SourceError::Read(error.to_string()))?;
    Ok(())
}

/// Opens and checks a workbook; returns its sheet names.
pub fn sheet_names(path: &Path, limits: &Limits) -> Result<Vec<String>, SourceError> {
    let workbook = open(path, limits)?;
    Ok(workbook.sheet_names())
}

fn open(path: &Path, limits: &Limits) -> Result<calamine::Sheets<BufReader<File>>, SourceError> {
    let shown = path.display().to_string();
    let mut file =
        File::open(path).map_err(|error| SourceError::Open(shown.clone(), error.to_string()))?;
    let size = file
        .metadata()
        .map_err(|error| SourceError::Open(shown.clone(), error.to_string()))?
        .len();
    if size > limits.max_file_bytes {
        return Err(SourceError::TooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    match extension(path).as_str() {
        "xlsx" | "xlsm" | "ods" => check_zip(&mut file, limits)?,
        "xls" => {}
        _ => return Err(SourceError::Format(shown)),
    }
    drop(file);
    calamine::open_workbook_auto(path).map_err(|error| SourceError::Read(error.to_string()))
}

/// Reads one sheet (the first when `sheet` is None).
pub fn read_sheet(path: &Path, sheet: Option<&str>, limits: &Limits) -> Result<Sheet, SourceError> {
    let mut workbook = open(path, limits)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .cloned()
            .ok_or_else(|| SourceError::NoSheet(wanted.to_owned(), names.join(", ")))?,
        None => names.first().cloned().ok_or(SourceError::Empty)?,
    };
    // .xlsx streams: cells become rows as they are read, with no whole-sheet
    // range in memory (the size that matters for a million-row ledger).
    // Dimensions come from the sheet's <dimension> record first.
    if let calamine::Sheets::Xlsx(xlsx) = &mut workbook {
        let mut reader = xlsx
            .worksheet_cells_reader(&name)
            .map_err(|error| SourceError::Read(error.to_string()))?;
        check_dimensions(&name, reader.dimensions(), limits)?;
        let mut rows: Vec<(u32, Vec<Cell>)> = Vec::new();
        let mut current: Option<(u32, Vec<Cell>)> = None;
        while let Some(cell) = reader
            .next_cell()
            .map_err(|error| SourceError::Read(error.to_string()))?
        {
            let (row, column) = cell.get_position();
            if row >= limits.max_rows || column >= limits.max_columns {
                return Err(SourceError::Dimensions {
                    sheet: name.clone(),
                    rows: u64::from(row) + 1,
                    columns: u64::from(column) + 1,
                    max_rows: limits.max_rows,
                    max_columns: limits.max_columns,
                });
            }
            let value = Cell::from_data(&Data::from(cell.get_value().clone()));
            if value.is_empty() {
                continue;
            }
            if current.as_ref().is_none_or(|(r, _)| *r != row + 1) {
                if let Some(done) = current.take() {
                    rows.push(done);
                }
                current = Some((row + 1, Vec::new()));
            }
            if let Some((_, cells)) = current.as_mut() {
                let column = column as usize;
                if cells.len() <= column {
                    cells.resize(column + 1, Cell::Empty);
                }
                cells[column] = value;
            }
        }
        if let Some(done) = current.take() {
            rows.push(done);
        }
        rows.sort_by_key(|(row, _)| *row);
        return Ok(Sheet { name, rows });
    }
    let range = workbook
        .worksheet_range(&name)
        .map_err(|error| SourceError::Read(error.to_string()))?;
    if let (Some(start), Some(end)) = (range.start(), range.end()) {
        check_dimensions(&name, calamine::Dimensions { start, end }, limits)?;
    }
    let first_row = range.start().map_or(0, |(row, _)| row);
    let first_column = range.start().map_or(0, |(_, column)| column) as usize;
    let mut rows = Vec::new();
    for (offset, row) in range.rows().enumerate() {
        let mut cells: Vec<Cell> = std::iter::repeat_n(Cell::Empty, first_column)
            .chain(row.iter().map(Cell::from_data))
            .collect();
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        if cells.is_empty() {
            continue;
        }
        rows.push((first_row + offset as u32 + 1, cells));
    }
    Ok(Sheet { name, rows })
}

fn check_dimensions(
    sheet: &str,
    dimensions: calamine::Dimensions,
    limits: &Limits,
) -> Result<(), SourceError> {
    let rows = u64::from(dimensions.end.0) + 1;
    let columns = u64::from(dimensions.end.1) + 1;
    if rows > u64::from(limits.max_rows) || columns > u64::from(limits.max_columns) {
        return Err(SourceError::Dimensions {
            sheet: sheet.to_owned(),
            rows,
            columns,
            max_rows: limits.max_rows,
            max_columns: limits.max_columns,
        });
    }
    Ok(())
}

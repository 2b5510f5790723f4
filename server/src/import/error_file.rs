//! The error file: the original failed rows under the original header,
//! with columns for field, bad value and reason, and the bad cells
//! highlighted. Fixed in Excel, it imports as it is.

use std::{collections::BTreeMap, path::Path};

use chrono::Datelike;
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use super::{RowError, source::Cell};

fn write_cell(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    column: u16,
    cell: &Cell,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    // Cells keep their type so the corrected file imports as it is; text is
    // always written as text, so "=…" stays inert text, never a formula.
    let plain = Format::new();
    let format = format.unwrap_or(&plain);
    match cell {
        Cell::Empty => {
            sheet.write_blank(row, column, format)?;
        }
        Cell::Number(value) => {
            sheet.write_number_with_format(row, column, *value, format)?;
        }
        Cell::Bool(value) => {
            sheet.write_boolean_with_format(row, column, *value, format)?;
        }
        Cell::Date(date) => {
            let dated = format.clone().set_num_format("yyyy-mm-dd");
            let value = rust_xlsxwriter::ExcelDateTime::from_ymd(
                u16::try_from(date.year()).unwrap_or(1900),
                date.month() as u8,
                date.day() as u8,
            )?;
            sheet.write_datetime_with_format(row, column, value, &dated)?;
        }
        Cell::Text(_) | Cell::Error(_) => {
            sheet.write_string_with_format(row, column, cell.display(), format)?;
        }
    }
    Ok(())
}

/// Writes the error file; `columns` maps field keys to their column so the
/// bad cell can be marked.
pub fn write(
    path: &Path,
    header: &[Cell],
    columns: &[(usize, &'static str)],
    originals: &BTreeMap<u32, Vec<Cell>>,
    errors: &[RowError],
) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("错误行")?;
    let bold = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE5F0))
        .set_border(FormatBorder::Thin);
    let bad = Format::new()
        .set_background_color(Color::RGB(0xF8CBAD))
        .set_font_color(Color::RGB(0x9C0006));
    let width = header
        .len()
        .max(originals.values().map(Vec::len).max().unwrap_or(0));
    for (column, cell) in header.iter().enumerate() {
        write_cell(sheet, 0, column as u16, cell, Some(&bold))?;
    }
    let extra = width as u16;
    // The extra columns are named so a re-import does not mistake them
    // for data columns.
    sheet.write_string_with_format(0, extra, "错误行号(原)", &bold)?;
    sheet.write_string_with_format(0, extra + 1, "错误字段", &bold)?;
    sheet.write_string_with_format(0, extra + 2, "错误值", &bold)?;
    sheet.write_string_with_format(0, extra + 3, "错误原因", &bold)?;
    let mut by_row: BTreeMap<u32, Vec<&RowError>> = BTreeMap::new();
    for error in errors {
        by_row.entry(error.row).or_default().push(error);
    }
    for (out_row, (row, row_errors)) in (1_u32..).zip(by_row) {
        let cells = originals.get(&row).cloned().unwrap_or_default();
        let bad_columns: Vec<usize> = row_errors
            .iter()
            .filter_map(|e| {
                columns
                    .iter()
                    .find(|(_, key)| *key == e.field)
                    .map(|(column, _)| *column)
            })
            .collect();
        for (column, cell) in cells.iter().enumerate() {
            let format = bad_columns.contains(&column).then_some(&bad);
            write_cell(sheet, out_row, column as u16, cell, format)?;
        }
        sheet.write_number(out_row, extra, f64::from(row))?;
        sheet.write_string(
            out_row,
            extra + 1,
            row_errors
                .iter()
                .map(|e| e.field.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )?;
        sheet.write_string(
            out_row,
            extra + 2,
            row_errors
                .iter()
                .map(|e| e.value.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )?;
        sheet.write_string(
            out_row,
            extra + 3,
            row_errors
                .iter()
                .map(|e| e.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        )?;
    }
    sheet.set_column_width(extra + 3, 60)?;
    workbook.save(path)
}

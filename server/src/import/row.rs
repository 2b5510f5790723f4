//! One sheet row being read into an import kind's values: the cell of a
//! field, its errors, and the date forms every kind accepts. Each kind adds
//! its own field readers in a private trait on [`Row`].

use std::collections::HashMap;

use chrono::NaiveDate;
use gascis_common::cleaning::{self, CleanError};

use super::{RowError, source::Cell};

pub(super) struct Row<'a> {
    row: u32,
    cells: &'a [Cell],
    columns: &'a HashMap<&'static str, usize>,
    pub errors: Vec<RowError>,
}

impl<'a> Row<'a> {
    pub fn new(row: u32, cells: &'a [Cell], columns: &'a HashMap<&'static str, usize>) -> Self {
        Row {
            row,
            cells,
            columns,
            errors: Vec::new(),
        }
    }

    /// The field's cell; an unmapped field reads as empty.
    pub fn cell(&self, key: &str) -> &Cell {
        self.columns
            .get(key)
            .and_then(|column| self.cells.get(*column))
            .unwrap_or(&Cell::Empty)
    }

    /// Records why the field's value is refused, with the value as shown.
    pub fn fail(&mut self, key: &str, reason: impl Into<String>) {
        let value = self.cell(key).shown();
        self.errors.push(RowError {
            row: self.row,
            field: key.to_owned(),
            value,
            reason: reason.into(),
        });
    }

    /// The field as a date (an Excel date or serial, or a text date in the
    /// common Chinese forms); None when the cell is empty.
    pub fn parsed_date(&self, key: &str) -> Option<Result<NaiveDate, CleanError>> {
        Some(match self.cell(key) {
            Cell::Empty => return None,
            Cell::Date(date) => Ok(*date),
            Cell::Number(serial) => cleaning::date_from_excel_serial(*serial)
                .ok_or_else(|| CleanError::Date(format!("{serial}"))),
            Cell::Text(text) => cleaning::parse_date(text),
            other => Err(CleanError::Date(other.display())),
        })
    }

    /// A required date that is not after `today`.
    pub fn past_date(&mut self, key: &str, today: NaiveDate) -> Option<NaiveDate> {
        match self.parsed_date(key) {
            None => {
                self.fail(key, "is required");
                None
            }
            Some(Ok(date)) if date > today => {
                self.fail(key, "is in the future");
                None
            }
            Some(Ok(date)) => Some(date),
            Some(Err(error)) => {
                self.fail(key, error.to_string());
                None
            }
        }
    }
}

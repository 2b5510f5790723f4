//! 抄表录入: a route book's reading sheet, filled in from the keyboard. The
//! value field of the current row has the cursor; Enter moves to the next
//! row, ↑/↓ move too, Ctrl+Enter (or 提交) sends every entered row in one
//! call. Each row shows the consumption its value implies and warns of a
//! value below the last one or far above the usual use; the server decides
//! what is an anomaly. A row the server refused keeps its value.

use chrono::NaiveDate;
use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, pick_list, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Task};

use super::number::{self, Consumption, ValueProblem};
use super::{Action, Message as BillingMessage, card, note_box};
use crate::api::{ApiError, Session, billing as api};
use crate::i18n::billing::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

/// The id of the reading date field.
pub const READ_ON_INPUT: &str = "reading-date";

/// The id of the sheet's scrollable, kept on the current row.
pub const SHEET_SCROLL: &str = "reading-sheet";

/// A spike warning needs a consumption this many times the usual one, the
/// server's default.
const SPIKE_FACTOR: i128 = 3;

/// …and at least this much, in litres (10 m³): a household going from 1 to
/// 4 m³ is no alarm.
const SPIKE_MIN_LITRES: i128 = 10_000;

/// The id of the value field of row `index`.
pub fn value_input_id(index: usize) -> String {
    format!("reading-value-{index}")
}

/// Where a list from the server is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Load {
    #[default]
    Idle,
    Loading,
    Loaded,
    Failed(ApiError),
}

/// What became of a row's value.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Outcome {
    /// Not sent, or to be sent again.
    #[default]
    Open,
    /// In the call in flight.
    Sending,
    /// Recorded: valid or waiting for review. The row is done.
    Recorded(pb::ReadingResult),
    /// The server refused it, in its words; the value stays for a fix.
    Refused(String),
}

/// One account of the sheet with what was typed for it.
#[derive(Debug, Clone)]
pub struct Row {
    pub sheet: pb::ReadingSheetRow,
    pub value: String,
    pub outcome: Outcome,
    /// The idempotency key of this entry: made when it is first sent and
    /// sent again on a retry, renewed when the value or the date changes.
    key: Option<String>,
}

impl Row {
    fn new(sheet: pb::ReadingSheetRow) -> Self {
        Row {
            sheet,
            value: String::new(),
            outcome: Outcome::Open,
            key: None,
        }
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    pub fn is_done(&self) -> bool {
        matches!(self.outcome, Outcome::Recorded(_))
    }

    /// The consumption and the warning of the typed value on `read_on`.
    pub fn assess(&self, read_on: Option<NaiveDate>) -> Assessment {
        assess(&self.sheet, &self.value, read_on)
    }
}

/// A loaded sheet.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub book: pb::RouteBook,
    pub rows: Vec<Row>,
}

/// Why a value deserves a second look. Hints only: the server decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// Not a register value at all; not sent.
    Invalid(ValueProblem),
    /// Below the last value, near the top of the register: a rollover, or
    /// a typing error.
    Rollover,
    /// Below the last value: a typing error or a meter going backwards.
    Backwards,
    /// Far above the daily average times the days since the last reading.
    Spike { expected_litres: i128 },
}

/// What a typed value implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Assessment {
    /// Litres since the last reading, when it can be told.
    pub consumption_litres: Option<i128>,
    pub warning: Option<Warning>,
}

/// The consumption `value` implies on the sheet row and what looks wrong
/// with it. An empty value implies nothing.
pub fn assess(row: &pb::ReadingSheetRow, value: &str, read_on: Option<NaiveDate>) -> Assessment {
    if value.trim().is_empty() {
        return Assessment::default();
    }
    let value = match number::parse_reading(value) {
        Ok(value) => value,
        Err(problem) => {
            return Assessment {
                consumption_litres: None,
                warning: Some(Warning::Invalid(problem)),
            };
        }
    };
    let Some(last) = number::parse_litres(&row.last_value) else {
        return Assessment::default();
    };
    let consumption = match number::consumption(last, value, row.digits) {
        Consumption::Forward(litres) => litres,
        Consumption::Rollover(litres) => {
            return Assessment {
                consumption_litres: Some(litres),
                warning: Some(Warning::Rollover),
            };
        }
        Consumption::Backwards => {
            return Assessment {
                consumption_litres: None,
                warning: Some(Warning::Backwards),
            };
        }
    };
    let expected = days_since(&row.last_read_on, read_on).and_then(|days| {
        let average = number::parse_litres(&row.daily_average)?;
        Some(average.max(0) * days)
    });
    let warning = expected
        .filter(|&expected| {
            consumption.max(expected) >= SPIKE_MIN_LITRES && consumption > expected * SPIKE_FACTOR
        })
        .map(|expected_litres| Warning::Spike { expected_litres });
    Assessment {
        consumption_litres: Some(consumption),
        warning,
    }
}

fn days_since(last_read_on: &str, read_on: Option<NaiveDate>) -> Option<i128> {
    let last = NaiveDate::parse_from_str(last_read_on.trim(), "%Y-%m-%d").ok()?;
    let days = (read_on? - last).num_days();
    (days > 0).then_some(i128::from(days))
}

/// The reading date typed, when it is a date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// What the last submit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub valid: usize,
    pub waiting: usize,
    pub refused: usize,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub books: Vec<pb::RouteBook>,
    pub books_load: Load,
    /// The code of the chosen book.
    pub book: Option<String>,
    pub sheet: Option<Sheet>,
    pub sheet_load: Load,
    /// The reading date of the batch, YYYY-MM-DD.
    pub read_on: String,
    /// The row with the cursor.
    pub current: usize,
    pub submitting: bool,
    /// The readings of the call in flight, or of the last one: the rows
    /// they are for and the requests, keys included.
    pub sent: Option<(Vec<usize>, Vec<pb::ReadingInput>)>,
    /// 提交 with nothing to send.
    pub nothing_to_submit: bool,
    pub problem: Option<ApiError>,
    pub tally: Option<Tally>,
}

#[derive(Debug, Clone)]
pub enum Message {
    ReloadBooks,
    BooksLoaded(Result<Vec<pb::RouteBook>, ApiError>),
    BookSelected(String),
    ReloadSheet,
    SheetLoaded {
        code: String,
        result: Result<pb::ReadingSheet, ApiError>,
    },
    ReadOnChanged(String),
    ValueChanged(usize, String),
    /// Enter in the value field of row `index`: on to the next open row.
    Next(usize),
    /// ↑ is -1, ↓ is +1.
    Move(isize),
    /// Ctrl+Enter or 提交.
    Submit,
    Submitted {
        code: String,
        /// The rows sent, in request order.
        rows: Vec<usize>,
        result: Result<Vec<pb::ReadingResult>, ApiError>,
    },
}

fn to_parent(message: Message) -> BillingMessage {
    BillingMessage::Entry(message)
}

/// A fresh idempotency key for a reading entry.
fn new_key() -> String {
    let key = crate::screen::customers::open_account::new_idempotency_key();
    format!(
        "reading-{}",
        key.strip_prefix("open-").unwrap_or(key.as_str())
    )
}

impl Entry {
    pub fn new(today: NaiveDate) -> Self {
        Entry {
            books: Vec::new(),
            books_load: Load::Idle,
            book: None,
            sheet: None,
            sheet_load: Load::Idle,
            read_on: today.format("%Y-%m-%d").to_string(),
            current: 0,
            submitting: false,
            sent: None,
            nothing_to_submit: false,
            problem: None,
            tally: None,
        }
    }

    /// The books are asked for once, when the area is first opened.
    pub fn load_books_once(&mut self, session: &Session) -> Task<BillingMessage> {
        if self.books_load == Load::Idle {
            self.load_books(session)
        } else {
            Task::none()
        }
    }

    fn load_books(&mut self, session: &Session) -> Task<BillingMessage> {
        self.books_load = Load::Loading;
        Task::perform(api::list_route_books(session.clone()), |result| {
            to_parent(Message::BooksLoaded(result))
        })
    }

    fn load_sheet(&mut self, session: &Session, code: String) -> Task<BillingMessage> {
        self.sheet_load = Load::Loading;
        self.problem = None;
        let answer_code = code.clone();
        Task::perform(
            api::get_reading_sheet(session.clone(), code),
            move |result| {
                to_parent(Message::SheetLoaded {
                    code: answer_code.clone(),
                    result,
                })
            },
        )
    }

    /// Puts the cursor in the current row's value, and the row in sight.
    pub fn focus(&self) -> Task<BillingMessage> {
        let Some(sheet) = &self.sheet else {
            return Task::none();
        };
        if sheet.rows.is_empty() {
            return Task::none();
        }
        let id = value_input_id(self.current);
        let last = sheet.rows.len().saturating_sub(1).max(1);
        let y = self.current as f32 / last as f32;
        Task::batch([
            iced::widget::operation::focus(id.clone()),
            iced::widget::operation::select_all(id),
            iced::widget::operation::snap_to(
                SHEET_SCROLL,
                iced::widget::scrollable::RelativeOffset { x: 0.0, y },
            ),
        ])
    }

    pub fn read_on_date(&self) -> Option<NaiveDate> {
        parse_date(&self.read_on)
    }

    /// The rows to send and their requests; rows entered for the first
    /// time (or changed since) get their key here. Rows done, empty or
    /// not a number are left out.
    pub fn readings_to_send(&mut self) -> Option<(Vec<usize>, Vec<pb::ReadingInput>)> {
        let read_on = self.read_on_date()?;
        let read_at = api::read_at(read_on)?;
        let sheet = self.sheet.as_mut()?;
        let mut indices = Vec::new();
        let mut inputs = Vec::new();
        for (index, row) in sheet.rows.iter_mut().enumerate() {
            if row.is_done() || row.value.trim().is_empty() {
                continue;
            }
            if matches!(row.assess(Some(read_on)).warning, Some(Warning::Invalid(_))) {
                continue;
            }
            let key = row.key.get_or_insert_with(new_key).clone();
            indices.push(index);
            inputs.push(pb::ReadingInput {
                account_id: row.sheet.account_id,
                value: row.value.trim().to_owned(),
                read_at: Some(read_at),
                source: "manual".to_owned(),
                idempotency_key: key,
            });
        }
        Some((indices, inputs))
    }

    /// The next row after `index` that is not done, else `index`.
    fn next_open(&self, index: usize, step: isize) -> usize {
        let Some(sheet) = &self.sheet else {
            return index;
        };
        let mut at = index;
        loop {
            let Some(next) = at
                .checked_add_signed(step)
                .filter(|&n| n < sheet.rows.len())
            else {
                return index;
            };
            if !sheet.rows[next].is_done() {
                return next;
            }
            at = next;
        }
    }

    pub fn update(&mut self, session: &Session, message: Message) -> Action {
        match message {
            Message::ReloadBooks => {
                if self.books_load != Load::Loading {
                    return Action::Run(self.load_books(session));
                }
            }
            Message::BooksLoaded(result) => match result {
                Ok(books) => {
                    self.books = books;
                    self.books_load = Load::Loaded;
                    // A meter reader with one book of their own starts on it.
                    let username = session.user.username.as_str();
                    let mut own = self.books.iter().filter(|book| book.reader == username);
                    if let (None, Some(book), None) = (&self.book, own.next(), own.next()) {
                        let code = book.code.clone();
                        self.book = Some(code.clone());
                        return Action::Run(self.load_sheet(session, code));
                    }
                }
                Err(ApiError::SessionExpired) => return Action::SessionExpired,
                Err(error) => self.books_load = Load::Failed(error),
            },
            Message::BookSelected(code) => {
                if self.submitting {
                    return Action::None;
                }
                self.book = Some(code.clone());
                self.sheet = None;
                self.tally = None;
                self.nothing_to_submit = false;
                return Action::Run(self.load_sheet(session, code));
            }
            Message::ReloadSheet => {
                if self.submitting || self.sheet_load == Load::Loading {
                    return Action::None;
                }
                if let Some(code) = self.book.clone() {
                    return Action::Run(self.load_sheet(session, code));
                }
            }
            Message::SheetLoaded { code, result } => {
                if self.book.as_deref() != Some(code.as_str()) {
                    // The answer for a book chosen before this one.
                    return Action::None;
                }
                match result {
                    Ok(loaded) => {
                        let book = loaded.route_book.unwrap_or_else(|| pb::RouteBook {
                            code,
                            ..pb::RouteBook::default()
                        });
                        self.sheet = Some(Sheet {
                            book,
                            rows: loaded.rows.into_iter().map(Row::new).collect(),
                        });
                        self.sheet_load = Load::Loaded;
                        self.current = 0;
                        return Action::Run(self.focus());
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.sheet_load = Load::Failed(error),
                }
            }
            Message::ReadOnChanged(read_on) => {
                if self.submitting {
                    return Action::None;
                }
                self.read_on = read_on;
                // Another date is another reading: new keys.
                if let Some(sheet) = &mut self.sheet {
                    for row in sheet.rows.iter_mut().filter(|row| !row.is_done()) {
                        row.key = None;
                    }
                }
            }
            Message::ValueChanged(index, value) => {
                if self.submitting {
                    return Action::None;
                }
                let Some(row) = self
                    .sheet
                    .as_mut()
                    .and_then(|sheet| sheet.rows.get_mut(index))
                    .filter(|row| !row.is_done())
                else {
                    return Action::None;
                };
                if row.value.trim() != value.trim() {
                    row.key = None;
                    row.outcome = Outcome::Open;
                }
                row.value = value;
                self.current = index;
                self.nothing_to_submit = false;
            }
            Message::Next(index) => {
                self.current = self.next_open(index, 1);
                return Action::Run(self.focus());
            }
            Message::Move(step) => {
                if self.sheet.is_some() {
                    self.current = self.next_open(self.current, step);
                    return Action::Run(self.focus());
                }
            }
            Message::Submit => return self.submit(session),
            Message::Submitted { code, rows, result } => {
                return self.submitted(&code, &rows, result);
            }
        }
        Action::None
    }

    fn submit(&mut self, session: &Session) -> Action {
        if self.submitting || self.sheet.is_none() {
            return Action::None;
        }
        let Some(code) = self.book.clone() else {
            return Action::None;
        };
        let Some((indices, inputs)) = self.readings_to_send() else {
            // A reading date that is not a date: its field says so.
            return Action::Run(iced::widget::operation::focus(READ_ON_INPUT));
        };
        if inputs.is_empty() {
            self.nothing_to_submit = true;
            return Action::None;
        }
        if let Some(sheet) = &mut self.sheet {
            for &index in &indices {
                if let Some(row) = sheet.rows.get_mut(index) {
                    row.outcome = Outcome::Sending;
                }
            }
        }
        self.submitting = true;
        self.nothing_to_submit = false;
        self.problem = None;
        self.sent = Some((indices.clone(), inputs.clone()));
        Action::Run(Task::perform(
            api::record_readings(session.clone(), inputs),
            move |result| {
                to_parent(Message::Submitted {
                    code: code.clone(),
                    rows: indices.clone(),
                    result,
                })
            },
        ))
    }

    fn submitted(
        &mut self,
        code: &str,
        indices: &[usize],
        result: Result<Vec<pb::ReadingResult>, ApiError>,
    ) -> Action {
        if !self.submitting || self.book.as_deref() != Some(code) {
            return Action::None;
        }
        self.submitting = false;
        let Some(sheet) = &mut self.sheet else {
            return Action::None;
        };
        let results = match result {
            Ok(results) => results,
            Err(error) => {
                // Nothing is known of any row: all stay as typed, with
                // their keys, so a retry cannot record one twice.
                for row in &mut sheet.rows {
                    if row.outcome == Outcome::Sending {
                        row.outcome = Outcome::Open;
                    }
                }
                if error == ApiError::SessionExpired {
                    return Action::SessionExpired;
                }
                self.problem = Some(error);
                return Action::None;
            }
        };
        let mut tally = Tally::default();
        let mut results = results.into_iter();
        for &index in indices {
            let Some(row) = sheet.rows.get_mut(index) else {
                continue;
            };
            let Some(result) = results
                .next()
                .filter(|result| result.account_id == row.sheet.account_id)
            else {
                // An answer that does not line up: the row is sent again
                // next time, with its key.
                row.outcome = Outcome::Open;
                continue;
            };
            if !result.error.is_empty() || result.status.is_empty() {
                tally.refused += 1;
                row.outcome = Outcome::Refused(result.error);
            } else {
                if result.status == "valid" {
                    tally.valid += 1;
                } else {
                    tally.waiting += 1;
                }
                row.outcome = Outcome::Recorded(result);
            }
        }
        self.tally = Some(tally);
        // On to the first row still to do.
        if let Some(first) = sheet.rows.iter().position(|row| {
            matches!(row.outcome, Outcome::Refused(_))
                || (!row.is_done() && row.value.trim().is_empty())
        }) {
            self.current = first;
        }
        Action::Run(self.focus())
    }

    pub fn view(&self, language: Language) -> Element<'_, BillingMessage> {
        let read_on = self.read_on_date();
        let choices: Vec<BookChoice> = self
            .books
            .iter()
            .map(|book| BookChoice {
                code: book.code.clone(),
                label: texts::route_book_label(language, book),
            })
            .collect();
        let selected = self
            .book
            .as_ref()
            .and_then(|code| choices.iter().find(|choice| &choice.code == code).cloned());
        let book_picker: Element<'_, BillingMessage> = if choices.is_empty() {
            text(match &self.books_load {
                Load::Loading | Load::Idle => tr(language, Key::Loading),
                _ => tr(language, Key::NoRouteBooks),
            })
            .size(14)
            .style(theme::text::muted)
            .width(Length::Fixed(320.0))
            .into()
        } else {
            pick_list(choices, selected, |choice: BookChoice| {
                to_parent(Message::BookSelected(choice.code))
            })
            .placeholder(tr(language, Key::ChooseRouteBook))
            .text_size(14)
            .padding([5, 10])
            .width(Length::Fixed(320.0))
            .style(|theme, status| theme::pick_list::field(theme, status, false))
            .into()
        };
        let date_input = text_input("2024-03-31", &self.read_on)
            .id(READ_ON_INPUT)
            .padding([5, 8])
            .size(14)
            .width(Length::Fixed(120.0))
            .style(if read_on.is_some() {
                theme::text_input::field
            } else {
                theme::text_input::invalid
            })
            .on_input_maybe(
                (!self.submitting).then_some(|text| to_parent(Message::ReadOnChanged(text))),
            );
        let mut top = row![
            label(language, Key::RouteBook),
            book_picker,
            button(text(tr(language, Key::Reload)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe(
                    (!self.submitting && self.books_load != Load::Loading)
                        .then_some(to_parent(Message::ReloadBooks))
                ),
            label(language, Key::ReadOn),
            date_input,
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if read_on.is_none() {
            top = top.push(
                text(tr(language, Key::ReadOnInvalid))
                    .size(13)
                    .style(theme::text::error),
            );
        }

        let mut page = column![top].spacing(12);
        if let Load::Failed(error) = &self.books_load {
            page = page.push(problem_box(language, error));
        }
        match (&self.sheet, &self.sheet_load) {
            (_, Load::Loading) => {
                page = page.push(
                    text(tr(language, Key::LoadingSheet))
                        .size(14)
                        .style(theme::text::muted),
                );
            }
            (_, Load::Failed(error)) => page = page.push(problem_box(language, error)),
            (Some(sheet), _) => page = page.push(self.sheet_view(language, sheet, read_on)),
            (None, _) => {
                page = page.push(
                    text(tr(language, Key::ChooseRouteBookHint))
                        .size(14)
                        .style(theme::text::muted),
                );
            }
        }
        card(page.height(Length::Fill).into())
    }

    fn sheet_view<'a>(
        &'a self,
        language: Language,
        sheet: &'a Sheet,
        read_on: Option<NaiveDate>,
    ) -> Element<'a, BillingMessage> {
        let entered = sheet
            .rows
            .iter()
            .filter(|row| row.is_done() || !row.value.trim().is_empty())
            .count();
        let done = sheet.rows.iter().filter(|row| row.is_done()).count();
        let mut facts = row![
            text(texts::sheet_summary(
                language,
                &sheet.book,
                sheet.rows.len(),
                entered,
                done
            ))
            .size(14)
            .width(Length::Fill),
        ]
        .spacing(12)
        .align_y(Alignment::Center);
        if let Some(tally) = self.tally {
            facts = facts.push(
                text(texts::tally(
                    language,
                    tally.valid,
                    tally.waiting,
                    tally.refused,
                ))
                .size(14)
                .style(if tally.refused > 0 {
                    theme::text::warning
                } else {
                    theme::text::success
                }),
            );
        }

        let columns = [
            TableColumn::new(tr(language, Key::Number), Length::Fixed(44.0)),
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::CustomerName), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Address), Length::FillPortion(7)),
            TableColumn::new(tr(language, Key::MeterNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::LastReading), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::DailyAverage), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::ThisReading), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Consumption), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Result), Length::FillPortion(8)),
        ];
        let rows = sheet.rows.iter().enumerate().map(|(index, row)| {
            let assessment = row.assess(read_on);
            let editable = !self.submitting && !row.is_done();
            let invalid = matches!(assessment.warning, Some(Warning::Invalid(_)))
                || matches!(row.outcome, Outcome::Refused(_));
            let input = text_input("", &row.value)
                .id(value_input_id(index))
                .padding([4, 6])
                .size(14)
                .width(Length::Fill)
                .style(if invalid {
                    theme::text_input::invalid
                } else {
                    theme::text_input::field
                })
                .on_input_maybe(
                    editable.then_some(move |value| to_parent(Message::ValueChanged(index, value))),
                )
                .on_submit_maybe(editable.then_some(to_parent(Message::Next(index))));
            // The value, and under it when it was read (or that it is the
            // meter's initial reading).
            let last_value = number::volume(&row.sheet.last_value);
            let last_date = if row.sheet.last_read_on.is_empty() {
                tr(language, Key::InitialReading).to_owned()
            } else {
                row.sheet.last_read_on.clone()
            };
            let last: Element<'a, BillingMessage> = column![
                text(last_value).size(14),
                text(last_date).size(12).style(theme::text::muted),
            ]
            .into();
            let average = match number::parse_litres(&row.sheet.daily_average) {
                Some(litres) => number::format_litres(number::round_litres(litres, 2)),
                None => "—".to_owned(),
            };
            let consumption = match &row.outcome {
                Outcome::Recorded(result) if !result.consumption.is_empty() => {
                    number::volume(&result.consumption)
                }
                _ => assessment
                    .consumption_litres
                    .map(number::format_litres)
                    .unwrap_or_else(|| "—".to_owned()),
            };
            TableRow {
                cells: vec![
                    widget::cell((index + 1).to_string()),
                    widget::cell(row.sheet.account_no.clone()),
                    widget::cell(row.sheet.customer_name.clone()),
                    widget::cell(row.sheet.address.clone()),
                    widget::cell(row.sheet.meter_no.clone()),
                    last,
                    widget::cell(average),
                    input.into(),
                    widget::cell(consumption),
                    result_cell(language, row, &assessment),
                ],
                selected: index == self.current,
                on_press: None,
                on_double_click: None,
            }
        });
        let table = scrollable(
            container(widget::table(&columns, rows)).padding(iced::Padding {
                right: 14.0,
                ..iced::Padding::ZERO
            }),
        )
        .id(SHEET_SCROLL)
        .height(Length::Fill);

        let mut footer = column![].spacing(8);
        if self.nothing_to_submit {
            footer = footer.push(note_box(
                tr(language, Key::NothingToSubmit),
                theme::container::warning_box,
            ));
        }
        if let Some(problem) = &self.problem {
            footer = footer.push(problem_box(language, problem));
        }
        footer = footer.push(
            row![
                text(tr(language, Key::EntryKeys))
                    .size(13)
                    .style(theme::text::muted)
                    .width(Length::Fill),
                button(text(tr(language, Key::ReloadSheet)).size(14))
                    .padding([7, 16])
                    .style(theme::button::secondary)
                    .on_press_maybe((!self.submitting).then_some(to_parent(Message::ReloadSheet))),
                button(text(tr(
                    language,
                    if self.submitting {
                        Key::Submitting
                    } else {
                        Key::Submit
                    }
                )))
                .padding([7, 24])
                .style(theme::button::primary)
                .on_press_maybe(
                    (!self.submitting && read_on.is_some()).then_some(to_parent(Message::Submit))
                ),
            ]
            .spacing(12)
            .align_y(Alignment::Center),
        );

        column![
            container(facts)
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::summary),
            table,
            footer,
        ]
        .spacing(10)
        .height(Length::Fill)
        .into()
    }
}

/// The last cell of a sheet row: the server's verdict, or the hint of the
/// value typed.
fn result_cell<'a>(
    language: Language,
    row: &'a Row,
    assessment: &Assessment,
) -> Element<'a, BillingMessage> {
    match &row.outcome {
        Outcome::Sending => text(tr(language, Key::Sending))
            .size(13)
            .style(theme::text::muted)
            .into(),
        Outcome::Recorded(result) => {
            let valid = result.status == "valid";
            let mut line = row![widget::badge(
                texts::reading_status(language, &result.status),
                if valid { Tone::Good } else { Tone::Caution },
            )]
            .spacing(6)
            .align_y(Alignment::Center);
            if !result.anomalies.is_empty() {
                line = line.push(
                    text(texts::anomaly_list(language, &result.anomalies))
                        .size(13)
                        .style(theme::text::warning),
                );
            }
            if result.duplicate {
                line = line.push(
                    text(tr(language, Key::RecordedBefore))
                        .size(12)
                        .style(theme::text::muted),
                );
            }
            line.into()
        }
        Outcome::Refused(error) => text(texts::reading_error(language, error))
            .size(13)
            .style(theme::text::error)
            .into(),
        Outcome::Open => match assessment.warning {
            None => text("").size(13).into(),
            Some(Warning::Invalid(problem)) => text(texts::value_problem(language, problem))
                .size(13)
                .style(theme::text::error)
                .into(),
            Some(warning) => text(texts::warning(language, warning))
                .size(13)
                .style(theme::text::warning)
                .into(),
        },
    }
}

/// A route book in the picker: its code, name and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookChoice {
    pub code: String,
    pub label: String,
}

impl std::fmt::Display for BookChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

fn label<'a>(language: Language, key: Key) -> Element<'a, BillingMessage> {
    text(tr(language, key))
        .size(13)
        .style(theme::text::label)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet_row(last_value: &str, last_read_on: &str, daily_average: &str) -> pb::ReadingSheetRow {
        pb::ReadingSheetRow {
            account_id: 1,
            account_no: "3101000001".into(),
            digits: 5,
            last_value: last_value.into(),
            last_read_on: last_read_on.into(),
            daily_average: daily_average.into(),
            ..pb::ReadingSheetRow::default()
        }
    }

    fn day(text: &str) -> Option<NaiveDate> {
        parse_date(text)
    }

    #[test]
    fn the_consumption_of_a_value() {
        let row = sheet_row("1200.000", "2024-02-29", "4");
        assert_eq!(
            assess(&row, "1320", day("2024-03-31")),
            Assessment {
                consumption_litres: Some(120_000),
                warning: None
            }
        );
        assert_eq!(assess(&row, "", day("2024-03-31")), Assessment::default());
        assert_eq!(
            assess(&row, "12x", day("2024-03-31")).warning,
            Some(Warning::Invalid(ValueProblem::NotANumber))
        );
    }

    #[test]
    fn lower_values_are_flagged_as_rollover_or_backwards() {
        let near_top = sheet_row("99990", "2024-02-29", "");
        assert_eq!(
            assess(&near_top, "15", day("2024-03-31")),
            Assessment {
                consumption_litres: Some(25_000),
                warning: Some(Warning::Rollover)
            }
        );
        let row = sheet_row("1200", "2024-02-29", "");
        assert_eq!(
            assess(&row, "1100", day("2024-03-31")),
            Assessment {
                consumption_litres: None,
                warning: Some(Warning::Backwards)
            }
        );
    }

    #[test]
    fn far_above_the_usual_use_is_a_spike_hint() {
        // 4 m³ a day for 31 days is 124 m³; more than three times that is
        // a spike.
        let row = sheet_row("1000", "2024-02-29", "4.000");
        assert_eq!(
            assess(&row, "1372", day("2024-03-31")).warning,
            None,
            "372 m³ is just three times"
        );
        assert_eq!(
            assess(&row, "1400", day("2024-03-31")).warning,
            Some(Warning::Spike {
                expected_litres: 124_000
            })
        );
        // Small volumes are no alarm.
        let small = sheet_row("10", "2024-03-30", "0.5");
        assert_eq!(assess(&small, "14", day("2024-03-31")).warning, None);
        // Without a date or an average, nothing to compare with.
        assert_eq!(assess(&row, "1400", None).warning, None);
        let unknown = sheet_row("1000", "", "");
        assert_eq!(assess(&unknown, "1400", day("2024-03-31")).warning, None);
    }
}

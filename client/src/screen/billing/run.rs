//! 计费: a billing run of a period (all accounts, a district or a route
//! book), previewed or for real, streamed: a progress bar while the chunks
//! are billed, then the totals by customer type and why accounts were not
//! billed. 导出账单 writes the period's bills to an Excel file.
//!
//! A run goes on on the server when this screen stops listening: it is the
//! company's month-end, not one screen's. So there is no cancel; the run
//! can be started again and resumes.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use gascis_common::proto::v1 as pb;
use iced::task;
use iced::widget::{
    button, checkbox, column, container, pick_list, progress_bar, row, text, text_input,
};
use iced::{Alignment, Element, Length, Task};

use super::entry::BookChoice;
use super::number;
use super::{Action, Message as BillingMessage, card, note_box};
use crate::api::archive::{self, Exported};
use crate::api::billing::{self as api, RunEvent};
use crate::api::{ApiError, Session, import};
use crate::i18n::billing::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::widget::{self, TableColumn, TableRow};

/// The id of the period field.
pub const PERIOD_INPUT: &str = "billing-period";

/// Which accounts a run bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Area,
    RouteBook,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::All, Scope::Area, Scope::RouteBook];
}

/// What is wrong with the run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsProblem {
    Period,
    AreaRequired,
    RouteBookRequired,
}

/// The month before `today`'s, YYYY-MM: what is billed at the start of a
/// month.
pub fn default_period(today: NaiveDate) -> String {
    let (year, month) = match today.month() {
        1 => (today.year() - 1, 12),
        month => (today.year(), month - 1),
    };
    format!("{year:04}-{month:02}")
}

/// `2024-03` as typed (spaces around allowed); `None` when it is not a month.
pub fn parse_period(text: &str) -> Option<String> {
    let text = text.trim();
    let (year, month) = text.split_once('-')?;
    let year_ok = year.len() == 4 && year.chars().all(|c| c.is_ascii_digit());
    let month_ok = month.len() == 2 && month.chars().all(|c| c.is_ascii_digit());
    let month_number: u32 = month.parse().ok()?;
    (year_ok && month_ok && (1..=12).contains(&month_number)).then(|| text.to_owned())
}

/// A run in flight.
#[derive(Debug, Clone)]
pub struct Running {
    /// Tells this run's events from an earlier one's.
    pub id: u64,
    pub request: pb::RunBillingRequest,
    pub progress: Option<pb::BillingProgress>,
    /// Dropping the last clone stops listening (the server goes on).
    _handle: task::Handle,
}

impl Running {
    /// Done chunks over all chunks, 0 before the first report.
    pub fn fraction(&self) -> f32 {
        match &self.progress {
            Some(progress) if progress.chunks > 0 => {
                // A ratio of counts for a bar: no money or volume here.
                (progress.chunks_done.clamp(0, progress.chunks) as f32) / (progress.chunks as f32)
            }
            _ => 0.0,
        }
    }
}

/// The end of a run, with what was asked.
#[derive(Debug, Clone)]
pub struct Finished {
    pub request: pb::RunBillingRequest,
    pub summary: pb::BillingSummary,
}

/// The export of a period's bills.
#[derive(Debug, Clone, Default)]
pub enum Export {
    #[default]
    Idle,
    /// The save dialog is open.
    Choosing {
        period: String,
    },
    Running {
        id: u64,
        period: String,
        path: PathBuf,
        /// Aborting it drops the call and the half-written file with it.
        handle: task::Handle,
    },
    Done(Exported),
    Cancelled,
    Failed(ApiError),
}

impl Export {
    pub fn is_busy(&self) -> bool {
        matches!(self, Export::Choosing { .. } | Export::Running { .. })
    }
}

#[derive(Debug, Clone)]
pub struct RunTab {
    pub period: String,
    pub scope: Scope,
    pub area: String,
    pub route_book: Option<String>,
    pub estimate_missing: bool,
    /// 开始计费 was pressed: the question is shown.
    pub confirming: bool,
    pub running: Option<Running>,
    pub finished: Option<Finished>,
    pub problem: Option<ApiError>,
    pub export: Export,
    runs_started: u64,
    exports_started: u64,
    /// The folder of the last export: the next dialog opens there.
    last_directory: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum Message {
    PeriodChanged(String),
    ScopeSelected(Scope),
    AreaChanged(String),
    RouteBookSelected(String),
    EstimateToggled(bool),
    /// 预览: computes and sums without writing.
    Preview,
    /// 开始计费: asks to confirm first.
    Start,
    ConfirmStart,
    KeepEditing,
    /// What run `id` reported.
    Event {
        id: u64,
        event: RunEvent,
    },
    /// 导出账单: asks where to save; the language is the dialog's.
    Export(Language),
    ExportPathPicked(Option<PathBuf>),
    CancelExport,
    Exported {
        id: u64,
        result: Result<Exported, ApiError>,
    },
}

fn to_parent(message: Message) -> BillingMessage {
    BillingMessage::Run(message)
}

impl RunTab {
    pub fn new(today: NaiveDate) -> Self {
        RunTab {
            period: default_period(today),
            scope: Scope::All,
            area: String::new(),
            route_book: None,
            estimate_missing: false,
            confirming: false,
            running: None,
            finished: None,
            problem: None,
            export: Export::Idle,
            runs_started: 0,
            exports_started: 0,
            last_directory: None,
        }
    }

    /// The request of a run (or preview) with the settings on screen.
    pub fn request(&self, preview: bool) -> Result<pb::RunBillingRequest, SettingsProblem> {
        let period = parse_period(&self.period).ok_or(SettingsProblem::Period)?;
        let (area, route_book) = match self.scope {
            Scope::All => (String::new(), String::new()),
            Scope::Area => {
                let area = self.area.trim();
                if area.is_empty() {
                    return Err(SettingsProblem::AreaRequired);
                }
                (area.to_owned(), String::new())
            }
            Scope::RouteBook => match &self.route_book {
                Some(code) => (String::new(), code.clone()),
                None => return Err(SettingsProblem::RouteBookRequired),
            },
        };
        Ok(pb::RunBillingRequest {
            period,
            area,
            route_book,
            estimate_missing: self.estimate_missing,
            preview,
        })
    }

    fn is_editable(&self) -> bool {
        self.running.is_none() && !self.confirming
    }

    pub fn update(&mut self, session: &Session, message: Message) -> Action {
        match message {
            Message::PeriodChanged(period) => {
                if self.is_editable() {
                    self.period = period;
                }
            }
            Message::ScopeSelected(scope) => {
                if self.is_editable() {
                    self.scope = scope;
                }
            }
            Message::AreaChanged(area) => {
                if self.is_editable() {
                    self.area = area;
                }
            }
            Message::RouteBookSelected(code) => {
                if self.is_editable() {
                    self.route_book = Some(code);
                }
            }
            Message::EstimateToggled(estimate) => {
                if self.is_editable() {
                    self.estimate_missing = estimate;
                }
            }
            Message::Preview => {
                if self.is_editable() {
                    return self.start(session, true);
                }
            }
            Message::Start => {
                if self.is_editable() && self.request(false).is_ok() {
                    self.confirming = true;
                }
            }
            Message::KeepEditing => self.confirming = false,
            Message::ConfirmStart => {
                if self.confirming && self.running.is_none() {
                    self.confirming = false;
                    return self.start(session, false);
                }
            }
            Message::Event { id, event } => return self.event(id, event),
            Message::Export(language) => return self.export(language),
            Message::ExportPathPicked(picked) => return self.export_to(session, picked),
            Message::CancelExport => {
                if let Export::Running { handle, .. } = &self.export {
                    handle.abort();
                    self.export = Export::Cancelled;
                }
            }
            Message::Exported { id, result } => {
                let Export::Running { id: running, .. } = &self.export else {
                    return Action::None;
                };
                if *running != id {
                    return Action::None;
                }
                self.export = match result {
                    Ok(exported) => {
                        self.last_directory = exported
                            .path
                            .parent()
                            .filter(|directory| !directory.as_os_str().is_empty())
                            .map(Path::to_path_buf);
                        Export::Done(exported)
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => Export::Failed(error),
                };
            }
        }
        Action::None
    }

    fn start(&mut self, session: &Session, preview: bool) -> Action {
        let Ok(request) = self.request(preview) else {
            return Action::None;
        };
        self.runs_started += 1;
        let id = self.runs_started;
        let (task, handle) = Task::run(
            api::run_billing(session.clone(), request.clone()),
            move |event| to_parent(Message::Event { id, event }),
        )
        .abortable();
        self.running = Some(Running {
            id,
            request,
            progress: None,
            _handle: handle.abort_on_drop(),
        });
        self.finished = None;
        self.problem = None;
        Action::Run(task)
    }

    fn event(&mut self, id: u64, event: RunEvent) -> Action {
        let Some(running) = self.running.as_mut().filter(|running| running.id == id) else {
            return Action::None;
        };
        let result = match event {
            RunEvent::Progressed(progress) => {
                running.progress = Some(progress);
                return Action::None;
            }
            RunEvent::Finished(result) => result,
        };
        let Some(running) = self.running.take() else {
            return Action::None;
        };
        match result {
            Ok(summary) => {
                self.finished = Some(Finished {
                    request: running.request,
                    summary,
                });
            }
            Err(ApiError::SessionExpired) => return Action::SessionExpired,
            Err(error) => self.problem = Some(error),
        }
        Action::None
    }

    fn export(&mut self, language: Language) -> Action {
        if self.export.is_busy() {
            return Action::None;
        }
        let Some(period) = parse_period(&self.period) else {
            return Action::Run(iced::widget::operation::focus(PERIOD_INPUT));
        };
        let name = texts::export_file_name(language, &period);
        let suggested = self
            .last_directory
            .clone()
            .or_else(dirs::download_dir)
            .or_else(dirs::document_dir)
            .or_else(dirs::home_dir)
            .map_or_else(|| PathBuf::from(&name), |directory| directory.join(&name));
        self.export = Export::Choosing { period };
        Action::Run(Task::perform(
            import::pick_save_path(tr(language, Key::ExportDialogTitle).to_owned(), suggested),
            |picked| to_parent(Message::ExportPathPicked(picked)),
        ))
    }

    fn export_to(&mut self, session: &Session, picked: Option<PathBuf>) -> Action {
        let Export::Choosing { period } = &self.export else {
            return Action::None;
        };
        let period = period.clone();
        let Some(path) = picked.filter(|path| path.file_name().is_some()) else {
            self.export = Export::Idle;
            return Action::None;
        };
        let path = archive::with_export_extension(path);
        self.exports_started += 1;
        let id = self.exports_started;
        let (task, handle) = Task::perform(
            api::export_bills(session.clone(), period.clone(), path.clone()),
            move |result| to_parent(Message::Exported { id, result }),
        )
        .abortable();
        self.export = Export::Running {
            id,
            period,
            path,
            handle: handle.abort_on_drop(),
        };
        Action::Run(task)
    }

    pub fn view<'a>(
        &'a self,
        language: Language,
        books: &'a [pb::RouteBook],
    ) -> Element<'a, BillingMessage> {
        let editable = self.is_editable();
        let settings_problem = self.request(false).err();
        let period_invalid = settings_problem == Some(SettingsProblem::Period);
        let period = text_input("2024-03", &self.period)
            .id(PERIOD_INPUT)
            .padding([6, 8])
            .size(14)
            .width(Length::Fixed(110.0))
            .style(if period_invalid {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            })
            .on_input_maybe(editable.then_some(|p| to_parent(Message::PeriodChanged(p))));
        let scopes = widget::segmented(
            Scope::ALL.map(|scope| (scope, texts::scope_name(language, scope).to_owned())),
            self.scope,
            |scope| to_parent(Message::ScopeSelected(scope)),
        );
        let mut scope_row = row![label(language, Key::Scope), scopes]
            .spacing(10)
            .align_y(Alignment::Center);
        match self.scope {
            Scope::All => {}
            Scope::Area => {
                scope_row = scope_row.push(
                    text_input(tr(language, Key::AreaPlaceholder), &self.area)
                        .padding([6, 8])
                        .size(14)
                        .width(Length::Fixed(220.0))
                        .style(theme::text_input::field)
                        .on_input_maybe(editable.then_some(|a| to_parent(Message::AreaChanged(a)))),
                );
            }
            Scope::RouteBook => {
                let choices: Vec<BookChoice> = books
                    .iter()
                    .map(|book| BookChoice {
                        code: book.code.clone(),
                        label: texts::route_book_label(language, book),
                    })
                    .collect();
                let selected = self
                    .route_book
                    .as_ref()
                    .and_then(|code| choices.iter().find(|choice| &choice.code == code).cloned());
                scope_row = scope_row.push(
                    pick_list(choices, selected, |choice: BookChoice| {
                        to_parent(Message::RouteBookSelected(choice.code))
                    })
                    .placeholder(tr(language, Key::ChooseRouteBook))
                    .text_size(14)
                    .padding([5, 10])
                    .width(Length::Fixed(320.0))
                    .style(|theme, status| theme::pick_list::field(theme, status, false)),
                );
            }
        }
        let mut estimate = checkbox(self.estimate_missing)
            .label(tr(language, Key::EstimateMissing))
            .size(16)
            .text_size(14);
        if editable {
            estimate = estimate.on_toggle(|on| to_parent(Message::EstimateToggled(on)));
        }

        let ready = editable && settings_problem.is_none();
        let mut controls = column![
            row![
                label(language, Key::Period),
                period,
                text(tr(language, Key::PeriodHint))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
            scope_row,
            column![
                estimate,
                text(tr(language, Key::EstimateHint))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(4),
        ]
        .spacing(12);
        if let Some(problem) = settings_problem {
            controls = controls.push(
                text(texts::settings_problem(language, problem))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        controls = controls.push(
            row![
                text(tr(language, Key::RunHint))
                    .size(13)
                    .style(theme::text::muted)
                    .width(Length::Fill),
                button(text(tr(language, Key::Preview)))
                    .padding([8, 20])
                    .style(theme::button::secondary)
                    .on_press_maybe(ready.then_some(to_parent(Message::Preview))),
                button(text(tr(language, Key::StartRun)))
                    .padding([8, 22])
                    .style(theme::button::primary)
                    .on_press_maybe(ready.then_some(to_parent(Message::Start))),
            ]
            .spacing(12)
            .align_y(Alignment::Center),
        );
        if self.confirming
            && let Ok(request) = self.request(false)
        {
            controls = controls.push(
                container(
                    row![
                        text(texts::confirm_run(language, &request))
                            .size(14)
                            .width(Length::Fill),
                        button(text(tr(language, Key::Cancel)).size(14))
                            .padding([6, 14])
                            .style(theme::button::secondary)
                            .on_press(to_parent(Message::KeepEditing)),
                        button(text(tr(language, Key::ConfirmRun)).size(14))
                            .padding([6, 16])
                            .style(theme::button::primary)
                            .on_press(to_parent(Message::ConfirmStart)),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::warning_box),
            );
        }
        if let Some(running) = &self.running {
            controls = controls.push(progress_view(language, running));
        }
        if let Some(problem) = &self.problem {
            controls = controls.push(problem_box(language, problem));
        }

        let mut page = column![card(controls.into())].spacing(14);
        if let Some(finished) = &self.finished {
            page = page.push(card(summary_view(language, finished)));
        }
        page = page.push(card(self.export_view(language)));
        page.into()
    }

    fn export_view(&self, language: Language) -> Element<'_, BillingMessage> {
        let period = parse_period(&self.period);
        let label = match &self.export {
            Export::Running { .. } => Key::Exporting,
            _ => Key::ExportBills,
        };
        let mut lines = column![
            row![
                text(match &period {
                    Some(period) => texts::export_hint(language, period),
                    None => tr(language, Key::PeriodInvalid).to_owned(),
                })
                .size(14)
                .width(Length::Fill),
                button(text(tr(language, label)))
                    .padding([7, 18])
                    .style(theme::button::secondary)
                    .on_press_maybe(
                        (period.is_some() && !self.export.is_busy())
                            .then_some(to_parent(Message::Export(language)))
                    ),
            ]
            .spacing(12)
            .align_y(Alignment::Center),
        ]
        .spacing(8);
        match &self.export {
            Export::Idle => {}
            Export::Choosing { .. } => {
                lines = lines.push(
                    text(tr(language, Key::ExportChoosing))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
            Export::Running { path, .. } => {
                lines = lines.push(
                    row![
                        text(texts::exporting_to(language, path))
                            .size(13)
                            .style(theme::text::muted)
                            .width(Length::Fill),
                        button(text(tr(language, Key::CancelExport)).size(13))
                            .padding([4, 12])
                            .style(theme::button::secondary)
                            .on_press(to_parent(Message::CancelExport)),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                );
            }
            Export::Done(exported) => {
                lines = lines.push(note_box(
                    crate::i18n::archive::exported(language, exported.rows, &exported.path),
                    theme::container::success_box,
                ));
            }
            Export::Cancelled => {
                lines = lines.push(
                    text(tr(language, Key::ExportCancelled))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
            Export::Failed(error) => lines = lines.push(problem_box(language, error)),
        }
        lines.into()
    }
}

fn progress_view<'a>(language: Language, running: &Running) -> Element<'a, BillingMessage> {
    let status = match (&running.progress, running.request.preview) {
        (None, true) => tr(language, Key::Previewing).to_owned(),
        (None, false) => tr(language, Key::Starting).to_owned(),
        (Some(progress), _) => texts::progress(language, &running.request.period, progress),
    };
    container(
        column![
            text(status).size(14),
            progress_bar(0.0..=1.0, running.fraction())
                .girth(8)
                .style(theme::progress_bar::job),
            text(tr(language, Key::RunGoesOn))
                .size(12)
                .style(theme::text::muted),
        ]
        .spacing(8),
    )
    .padding([10, 14])
    .width(Length::Fill)
    .style(theme::container::summary)
    .into()
}

/// The totals of a run: by customer type with a total line, then the
/// accounts not billed by reason.
pub fn summary_view<'a>(language: Language, finished: &'a Finished) -> Element<'a, BillingMessage> {
    let summary = &finished.summary;
    let mut page = column![
        text(texts::summary_title(language, summary))
            .size(17)
            .style(theme::text::section),
    ]
    .spacing(12);
    if summary.preview {
        page = page.push(note_box(
            tr(language, Key::PreviewNote),
            theme::container::summary,
        ));
    } else if summary.status == "running" {
        page = page.push(note_box(
            tr(language, Key::StillRunning),
            theme::container::warning_box,
        ));
    }

    if summary.classes.is_empty() {
        page = page.push(
            text(tr(language, Key::NoBills))
                .size(14)
                .style(theme::text::muted),
        );
    } else {
        let columns = [
            TableColumn::new(tr(language, Key::CustomerType), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Bills), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::VolumeM3), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::AmountYuan), Length::FillPortion(4)),
        ];
        let totals = Totals::of(&summary.classes);
        let mut rows: Vec<TableRow<'a, BillingMessage>> = summary
            .classes
            .iter()
            .map(|class| {
                TableRow::new(vec![
                    widget::cell(texts::customer_type(language, &class.customer_type)),
                    widget::cell(crate::i18n::import::grouped(class.bills)),
                    widget::cell(number::volume(&class.volume)),
                    widget::cell(crate::i18n::archive::money(&class.amount)),
                ])
            })
            .collect();
        rows.push(TableRow {
            cells: vec![
                text(tr(language, Key::Total)).size(14).into(),
                text(crate::i18n::import::grouped(totals.bills))
                    .size(14)
                    .into(),
                text(totals.volume.clone()).size(14).into(),
                text(crate::i18n::archive::money(&totals.amount))
                    .size(14)
                    .into(),
            ],
            selected: true,
            on_press: None,
            on_double_click: None,
        });
        page = page.push(widget::table(&columns, rows));
    }

    if !summary.skips.is_empty() {
        page = page.push(
            text(tr(language, Key::NotBilled))
                .size(15)
                .style(theme::text::section),
        );
        let columns = [
            TableColumn::new(tr(language, Key::Reason), Length::FillPortion(10)),
            TableColumn::new(tr(language, Key::Accounts), Length::FillPortion(3)),
        ];
        let rows = summary.skips.iter().map(|skip| {
            TableRow::new(vec![
                widget::cell(texts::skip_reason(language, &skip.reason)),
                widget::cell(crate::i18n::import::grouped(skip.accounts)),
            ])
        });
        page = page.push(widget::table(&columns, rows));
    }
    page.into()
}

/// The sums of a summary's classes, added as integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub bills: i64,
    /// m³ as people write it.
    pub volume: String,
    /// CNY as the wire writes it.
    pub amount: String,
}

impl Totals {
    pub fn of(classes: &[pb::BillingClassTotal]) -> Totals {
        let bills = classes.iter().map(|class| class.bills).sum();
        let litres: i128 = classes
            .iter()
            .filter_map(|class| number::parse_litres(&class.volume))
            .sum();
        let fen: i128 = classes
            .iter()
            .filter_map(|class| number::parse_fen(&class.amount))
            .sum();
        Totals {
            bills,
            volume: number::format_litres(litres),
            amount: number::format_fen(fen),
        }
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

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
    }

    #[test]
    fn the_default_period_is_last_month() {
        assert_eq!(default_period(day(2024, 4, 2)), "2024-03");
        assert_eq!(default_period(day(2025, 1, 15)), "2024-12");
    }

    #[test]
    fn periods_are_months() {
        assert_eq!(parse_period(" 2024-03 "), Some("2024-03".to_owned()));
        for bad in [
            "2024-3",
            "2024-13",
            "2024-00",
            "24-03",
            "2024/03",
            "",
            "2024-03-01",
        ] {
            assert_eq!(parse_period(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_scope_goes_into_the_request() {
        let mut tab = RunTab::new(day(2024, 4, 2));
        assert_eq!(
            tab.request(true),
            Ok(pb::RunBillingRequest {
                period: "2024-03".into(),
                area: String::new(),
                route_book: String::new(),
                estimate_missing: false,
                preview: true,
            })
        );
        tab.scope = Scope::Area;
        assert_eq!(tab.request(false), Err(SettingsProblem::AreaRequired));
        tab.area = " 浦东新区 ".into();
        tab.estimate_missing = true;
        let request = tab.request(false).unwrap_or_default();
        assert_eq!(
            (
                request.area.as_str(),
                request.estimate_missing,
                request.preview
            ),
            ("浦东新区", true, false)
        );
        tab.scope = Scope::RouteBook;
        assert_eq!(tab.request(false), Err(SettingsProblem::RouteBookRequired));
        tab.route_book = Some("PD-01".into());
        let request = tab.request(false).unwrap_or_default();
        assert_eq!(
            (request.area.as_str(), request.route_book.as_str()),
            ("", "PD-01")
        );
        tab.period = "三月".into();
        assert_eq!(tab.request(false), Err(SettingsProblem::Period));
    }

    #[test]
    fn totals_add_up_exactly() {
        let class = |bills, volume: &str, amount: &str| pb::BillingClassTotal {
            customer_type: "residential".into(),
            bills,
            volume: volume.into(),
            amount: amount.into(),
        };
        assert_eq!(
            Totals::of(&[class(2, "520.000", "1587.00"), class(1, "0.100", "0.33")]),
            Totals {
                bills: 3,
                volume: "520.1".into(),
                amount: "1587.33".into(),
            }
        );
    }
}

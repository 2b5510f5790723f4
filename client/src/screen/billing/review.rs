//! 异常审核: the readings the server held back (anomalies and ordered
//! re-reads). A row is selected and decided: 确认 (bill it), 驳回 (not
//! billed, with a note), 复抄 (read again, with a note) or 更正 (the right
//! value with a note: the reading is rejected and the corrected one
//! recorded). A reading someone else reviewed meanwhile is reported, and
//! the queue reloaded.

use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Task};

use super::entry::Load;
use super::number::{self, ValueProblem};
use super::{Action, Message as BillingMessage, card, note_box};
use crate::api::{ApiError, Session, billing as api};
use crate::i18n::billing::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

/// The id of the note field of the decision form.
pub const NOTE_INPUT: &str = "review-note";

/// The id of the corrected value field.
pub const CORRECTED_INPUT: &str = "review-corrected-value";

/// What the reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// 确认: the reading is right; bill it.
    Approve,
    /// 驳回: the reading is wrong and is not billed.
    Reject,
    /// 复抄: someone reads the meter again.
    Reread,
    /// 更正: the right value replaces it.
    Correct,
}

impl Decision {
    pub const ALL: [Decision; 4] = [
        Decision::Approve,
        Decision::Reject,
        Decision::Reread,
        Decision::Correct,
    ];

    /// The decision as the server names it.
    pub fn wire(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
            Decision::Reread => "reread",
            Decision::Correct => "correct",
        }
    }

    pub fn needs_note(self) -> bool {
        self != Decision::Approve
    }
}

/// What is missing from a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    NoteRequired,
    ValueRequired,
    Value(ValueProblem),
}

/// The decision being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub reading_id: i64,
    pub decision: Decision,
    pub note: String,
    pub corrected_value: String,
    /// Whether 提交 was pressed: missing fields are shown from then on.
    pub attempted: bool,
    pub submitting: bool,
    /// The server's complaint about a field of the form.
    pub server_problem: Option<String>,
}

impl Form {
    /// The request, or what is missing.
    pub fn request(
        &self,
        reading: &pb::QueuedReading,
    ) -> Result<pb::ReviewReadingRequest, FormProblem> {
        let note = self.note.trim();
        if self.decision.needs_note() && note.is_empty() {
            return Err(FormProblem::NoteRequired);
        }
        let corrected_value = if self.decision == Decision::Correct {
            let value = self.corrected_value.trim();
            if value.is_empty() {
                return Err(FormProblem::ValueRequired);
            }
            number::parse_reading(value).map_err(FormProblem::Value)?;
            value.to_owned()
        } else {
            String::new()
        };
        Ok(pb::ReviewReadingRequest {
            reading_id: reading.reading_id,
            version: reading.version,
            decision: self.decision.wire().to_owned(),
            note: note.to_owned(),
            corrected_value,
        })
    }

    /// What to show under the form now.
    pub fn problem(&self, reading: &pb::QueuedReading) -> Option<FormProblem> {
        if !self.attempted {
            return None;
        }
        self.request(reading).err()
    }
}

/// The last decision recorded, for the green note.
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub decision: Decision,
    pub account_no: String,
    pub customer_name: String,
    /// 更正: the corrected reading as recorded.
    pub corrected: Option<pb::ReadingResult>,
}

#[derive(Debug, Clone, Default)]
pub struct Review {
    pub queue: Vec<pb::QueuedReading>,
    pub load: Load,
    /// The reading id of the selected row.
    pub selected: Option<i64>,
    pub form: Option<Form>,
    pub done: Option<Done>,
    /// What went wrong with the last decision (not a field of it).
    pub problem: Option<ApiError>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Reload,
    Loaded(Result<Vec<pb::QueuedReading>, ApiError>),
    Select(i64),
    /// ↑ is -1, ↓ is +1.
    Move(isize),
    Choose(Decision),
    NoteChanged(String),
    CorrectedValueChanged(String),
    SubmitDecision,
    CloseForm,
    Reviewed {
        reading_id: i64,
        decision: Decision,
        result: Result<pb::ReviewReadingResponse, ApiError>,
    },
}

fn to_parent(message: Message) -> BillingMessage {
    BillingMessage::Review(message)
}

impl Review {
    pub fn selected_reading(&self) -> Option<&pb::QueuedReading> {
        let id = self.selected?;
        self.queue.iter().find(|reading| reading.reading_id == id)
    }

    /// Asks for the queue.
    pub fn load(&mut self, session: &Session) -> Task<BillingMessage> {
        self.load = Load::Loading;
        Task::perform(api::list_anomalies(session.clone()), |result| {
            to_parent(Message::Loaded(result))
        })
    }

    fn submitting(&self) -> bool {
        self.form.as_ref().is_some_and(|form| form.submitting)
    }

    pub fn update(&mut self, session: &Session, message: Message) -> Action {
        match message {
            Message::Reload => {
                if self.load != Load::Loading && !self.submitting() {
                    return Action::Run(self.load(session));
                }
            }
            Message::Loaded(result) => match result {
                Ok(queue) => {
                    self.queue = queue;
                    self.load = Load::Loaded;
                    if self.selected_reading().is_none() {
                        self.selected = None;
                        self.form = None;
                    }
                    if self.selected.is_none() {
                        self.selected = self.queue.first().map(|reading| reading.reading_id);
                    }
                }
                Err(ApiError::SessionExpired) => return Action::SessionExpired,
                Err(error) => self.load = Load::Failed(error),
            },
            Message::Select(reading_id) => {
                if self.submitting() || self.selected == Some(reading_id) {
                    return Action::None;
                }
                if self
                    .queue
                    .iter()
                    .any(|reading| reading.reading_id == reading_id)
                {
                    self.selected = Some(reading_id);
                    self.form = None;
                }
            }
            Message::Move(step) => {
                if self.submitting() || self.form.is_some() || self.queue.is_empty() {
                    return Action::None;
                }
                let last = self.queue.len() - 1;
                let index = self
                    .selected
                    .and_then(|id| self.queue.iter().position(|r| r.reading_id == id))
                    .map_or(0, |index| index.saturating_add_signed(step).min(last));
                self.selected = self.queue.get(index).map(|reading| reading.reading_id);
            }
            Message::Choose(decision) => {
                if self.submitting() {
                    return Action::None;
                }
                let Some(reading) = self.selected_reading() else {
                    return Action::None;
                };
                if decision == Decision::Reread && reading.status == "reread" {
                    return Action::None;
                }
                let reading_id = reading.reading_id;
                // Switching the decision keeps the note typed.
                let note = self
                    .form
                    .take()
                    .filter(|form| form.reading_id == reading_id)
                    .map(|form| form.note)
                    .unwrap_or_default();
                self.form = Some(Form {
                    reading_id,
                    decision,
                    note,
                    corrected_value: String::new(),
                    attempted: false,
                    submitting: false,
                    server_problem: None,
                });
                self.done = None;
                return Action::Run(iced::widget::operation::focus(
                    if decision == Decision::Correct {
                        CORRECTED_INPUT
                    } else {
                        NOTE_INPUT
                    },
                ));
            }
            Message::NoteChanged(note) => {
                if let Some(form) = self.form.as_mut().filter(|form| !form.submitting) {
                    form.note = note;
                    form.server_problem = None;
                }
            }
            Message::CorrectedValueChanged(value) => {
                if let Some(form) = self.form.as_mut().filter(|form| !form.submitting) {
                    form.corrected_value = value;
                    form.server_problem = None;
                }
            }
            Message::CloseForm => {
                if !self.submitting() {
                    self.form = None;
                }
            }
            Message::SubmitDecision => return self.submit(session),
            Message::Reviewed {
                reading_id,
                decision,
                result,
            } => return self.reviewed(session, reading_id, decision, result),
        }
        Action::None
    }

    fn submit(&mut self, session: &Session) -> Action {
        let Some(reading) = self.selected_reading().cloned() else {
            return Action::None;
        };
        let Some(form) = self
            .form
            .as_mut()
            .filter(|form| !form.submitting && form.reading_id == reading.reading_id)
        else {
            return Action::None;
        };
        form.attempted = true;
        let request = match form.request(&reading) {
            Ok(request) => request,
            Err(FormProblem::NoteRequired) => {
                return Action::Run(iced::widget::operation::focus(NOTE_INPUT));
            }
            Err(_) => return Action::Run(iced::widget::operation::focus(CORRECTED_INPUT)),
        };
        form.submitting = true;
        form.server_problem = None;
        self.problem = None;
        let (reading_id, decision) = (reading.reading_id, form.decision);
        Action::Run(Task::perform(
            api::review_reading(session.clone(), request),
            move |result| {
                to_parent(Message::Reviewed {
                    reading_id,
                    decision,
                    result,
                })
            },
        ))
    }

    fn reviewed(
        &mut self,
        session: &Session,
        reading_id: i64,
        decision: Decision,
        result: Result<pb::ReviewReadingResponse, ApiError>,
    ) -> Action {
        let Some(form) = self
            .form
            .as_mut()
            .filter(|form| form.submitting && form.reading_id == reading_id)
        else {
            return Action::None;
        };
        form.submitting = false;
        match result {
            Ok(response) => {
                let reading = self.selected_reading().cloned().unwrap_or_default();
                self.done = Some(Done {
                    decision,
                    account_no: reading.account_no,
                    customer_name: reading.customer_name,
                    corrected: response.corrected,
                });
                self.form = None;
                // The next reading of the queue is the one to look at.
                let index = self
                    .queue
                    .iter()
                    .position(|reading| reading.reading_id == reading_id);
                self.queue
                    .retain(|reading| reading.reading_id != reading_id);
                self.selected = index
                    .and_then(|index| self.queue.get(index).or(self.queue.last()))
                    .map(|reading| reading.reading_id);
                Action::Run(self.load(session))
            }
            Err(ApiError::SessionExpired) => Action::SessionExpired,
            Err(ApiError::InvalidField { field, message })
                if field == "note" || field == "corrected_value" =>
            {
                form.server_problem = Some(message);
                Action::None
            }
            Err(error) => {
                let stale = matches!(error, ApiError::StaleVersion(_));
                self.problem = Some(error);
                if stale {
                    // Someone else decided: the queue as it is now. What
                    // was typed stays while the reading is still there.
                    return Action::Run(self.load(session));
                }
                Action::None
            }
        }
    }

    pub fn view(&self, language: Language) -> Element<'_, BillingMessage> {
        let busy = self.submitting();
        let mut top = row![
            text(texts::queue_summary(language, self.queue.len()))
                .size(14)
                .width(Length::Fill),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if self.load == Load::Loading {
            top = top.push(
                text(tr(language, Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        top = top.push(
            button(text(tr(language, Key::Reload)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe(
                    (!busy && self.load != Load::Loading).then_some(to_parent(Message::Reload)),
                ),
        );

        let mut page = column![top].spacing(12);
        if let Some(done) = &self.done {
            page = page.push(note_box(
                texts::review_done(language, done),
                theme::container::success_box,
            ));
        }
        if let Some(problem) = &self.problem {
            page = page.push(review_problem(language, problem));
        }
        if let Load::Failed(error) = &self.load {
            page = page.push(problem_box(language, error));
        }
        if self.queue.is_empty() {
            if self.load == Load::Loaded {
                page = page.push(
                    text(tr(language, Key::QueueEmpty))
                        .size(14)
                        .style(theme::text::muted),
                );
            }
            return card(page.height(Length::Fill).into());
        }

        let columns = [
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::CustomerName), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::ReadOn), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Reading), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Consumption), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Anomalies), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::Status), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Source), Length::FillPortion(2)),
        ];
        let rows = self.queue.iter().map(|reading| TableRow {
            cells: vec![
                widget::cell(reading.account_no.clone()),
                widget::cell(reading.customer_name.clone()),
                widget::cell(reading.read_on.clone()),
                widget::cell(number::volume(&reading.value)),
                widget::cell(if reading.consumption.is_empty() {
                    "—".to_owned()
                } else {
                    number::volume(&reading.consumption)
                }),
                text(texts::anomaly_list(language, &reading.anomalies))
                    .size(14)
                    .style(theme::text::warning)
                    .into(),
                widget::badge(
                    texts::queue_status(language, &reading.status),
                    if reading.status == "reread" {
                        Tone::Neutral
                    } else {
                        Tone::Caution
                    },
                ),
                widget::cell(texts::source(language, &reading.source)),
            ],
            selected: self.selected == Some(reading.reading_id),
            on_press: (!busy).then_some(to_parent(Message::Select(reading.reading_id))),
            on_double_click: None,
        });
        page = page.push(
            scrollable(
                container(widget::table(&columns, rows)).padding(iced::Padding {
                    right: 14.0,
                    ..iced::Padding::ZERO
                }),
            )
            .height(Length::FillPortion(3)),
        );
        if let Some(reading) = self.selected_reading() {
            page = page.push(self.decision_view(language, reading));
        }
        card(page.height(Length::Fill).into())
    }

    fn decision_view<'a>(
        &'a self,
        language: Language,
        reading: &'a pb::QueuedReading,
    ) -> Element<'a, BillingMessage> {
        let busy = self.submitting();
        let chosen = self.form.as_ref().map(|form| form.decision);
        let buttons = row(Decision::ALL.into_iter().map(|decision| {
            let allowed = !(decision == Decision::Reread && reading.status == "reread");
            button(text(texts::decision_name(language, decision)).size(14))
                .padding([6, 18])
                .style(theme::button::segment(chosen == Some(decision)))
                .on_press_maybe((!busy && allowed).then_some(to_parent(Message::Choose(decision))))
                .into()
        }))
        .spacing(8);
        let mut panel = column![
            text(texts::queued_reading(language, reading)).size(14),
            row![
                text(tr(language, Key::Decide))
                    .size(13)
                    .style(theme::text::label),
                buttons
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        ]
        .spacing(10);

        if let Some(form) = &self.form {
            let mut fields = row![].spacing(10).align_y(Alignment::Center);
            if form.decision == Decision::Correct {
                fields = fields.push(
                    text(tr(language, Key::CorrectedValue))
                        .size(13)
                        .style(theme::text::label),
                );
                fields = fields.push(
                    text_input("", &form.corrected_value)
                        .id(CORRECTED_INPUT)
                        .padding([5, 8])
                        .size(14)
                        .width(Length::Fixed(140.0))
                        .style(theme::text_input::field)
                        .on_input_maybe(
                            (!busy).then_some(|v| to_parent(Message::CorrectedValueChanged(v))),
                        )
                        .on_submit_maybe((!busy).then_some(to_parent(Message::SubmitDecision))),
                );
            }
            fields = fields.push(
                text(tr(
                    language,
                    if form.decision.needs_note() {
                        Key::NoteRequiredLabel
                    } else {
                        Key::NoteOptionalLabel
                    },
                ))
                .size(13)
                .style(theme::text::label),
            );
            fields = fields.push(
                text_input(tr(language, Key::NotePlaceholder), &form.note)
                    .id(NOTE_INPUT)
                    .padding([5, 8])
                    .size(14)
                    .width(Length::Fill)
                    .style(theme::text_input::field)
                    .on_input_maybe((!busy).then_some(|note| to_parent(Message::NoteChanged(note))))
                    .on_submit_maybe((!busy).then_some(to_parent(Message::SubmitDecision))),
            );
            fields = fields.push(
                button(text(tr(language, Key::Cancel)).size(14))
                    .padding([6, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe((!busy).then_some(to_parent(Message::CloseForm))),
            );
            fields = fields.push(
                button(text(if busy {
                    tr(language, Key::Submitting).to_owned()
                } else {
                    texts::submit_decision(language, form.decision)
                }))
                .padding([6, 18])
                .style(if form.decision == Decision::Approve {
                    theme::button::primary
                } else {
                    theme::button::danger
                })
                .on_press_maybe((!busy).then_some(to_parent(Message::SubmitDecision))),
            );
            panel = panel.push(fields);
            let problem = form.server_problem.clone().or_else(|| {
                form.problem(reading)
                    .map(|p| texts::form_problem(language, p))
            });
            if let Some(problem) = problem {
                panel = panel.push(text(problem).size(13).style(theme::text::error));
            }
        }
        container(panel)
            .padding([10, 14])
            .width(Length::Fill)
            .style(theme::container::summary)
            .into()
    }
}

/// A failed decision; a reading reviewed meanwhile is said in words.
fn review_problem<'a>(language: Language, error: &ApiError) -> Element<'a, BillingMessage> {
    match error {
        ApiError::StaleVersion(message) => container(
            column![
                text(texts::reviewed_meanwhile(language, message))
                    .size(14)
                    .style(theme::text::error),
                text(tr(language, Key::QueueReloaded))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(3),
        )
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::error_box)
        .into(),
        error => problem_box(language, error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued() -> pb::QueuedReading {
        pb::QueuedReading {
            reading_id: 17,
            account_id: 4,
            account_no: "3101000004".into(),
            customer_name: "李建国".into(),
            read_on: "2024-03-31".into(),
            value: "900.000".into(),
            consumption: "900.000".into(),
            anomalies: vec!["spike".into()],
            status: "anomaly".into(),
            version: 3,
            source: "manual".into(),
        }
    }

    fn form(decision: Decision, note: &str, value: &str) -> Form {
        Form {
            reading_id: 17,
            decision,
            note: note.into(),
            corrected_value: value.into(),
            attempted: true,
            submitting: false,
            server_problem: None,
        }
    }

    #[test]
    fn requests_carry_the_version_seen() {
        let request = form(Decision::Approve, "", "").request(&queued());
        assert_eq!(
            request,
            Ok(pb::ReviewReadingRequest {
                reading_id: 17,
                version: 3,
                decision: "approve".into(),
                note: String::new(),
                corrected_value: String::new(),
            })
        );
        let request = form(Decision::Correct, " 抄错一位 ", " 90 ").request(&queued());
        assert_eq!(
            request.map(|r| (r.decision, r.note, r.corrected_value)),
            Ok(("correct".into(), "抄错一位".into(), "90".into()))
        );
    }

    #[test]
    fn a_note_is_needed_except_to_approve() {
        for decision in [Decision::Reject, Decision::Reread, Decision::Correct] {
            assert_eq!(
                form(decision, "  ", "90").request(&queued()),
                Err(FormProblem::NoteRequired),
                "{decision:?}"
            );
        }
        assert_eq!(
            form(Decision::Correct, "抄错", "").request(&queued()),
            Err(FormProblem::ValueRequired)
        );
        assert_eq!(
            form(Decision::Correct, "抄错", "-3").request(&queued()),
            Err(FormProblem::Value(ValueProblem::Negative))
        );
    }
}

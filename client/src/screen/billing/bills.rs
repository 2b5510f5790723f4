//! 账单: the bills of one account, found with the archive's customer
//! lookup. Every bill explains itself: its period, revision and state, the
//! readings it was computed from, and each line in words ("第1阶梯 310 m³ ×
//! 3.00 = 930.00（2014-09-01价格，03-01至03-31，31天）"). Back office can
//! cancel a bill with a reason; the period is then billed again by the next
//! run.

use std::collections::HashMap;

use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Task};

use super::entry::Load;
use super::{Action, Message as BillingMessage, card, note_box};
use crate::api::{ApiError, Session, archive, billing as api};
use crate::i18n::billing::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::screen::customers::form::{self, FieldErrors, FormContext};
use crate::screen::customers::picker::{self, CustomerPicker, HolderKind};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget;

/// The prefix of the lookup's input id.
pub const ID_PREFIX: &str = "bills";

/// The id of the reason field of a cancellation.
pub const REASON_INPUT: &str = "bills-cancel-reason";

/// The id of the lookup's query field.
pub fn lookup_input() -> String {
    form::input_id(ID_PREFIX, picker::FIELD)
}

/// A cancellation being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelForm {
    pub bill_id: i64,
    pub period: String,
    pub reason: String,
    pub attempted: bool,
    pub submitting: bool,
    pub problem: Option<ApiError>,
}

#[derive(Debug, Clone)]
pub struct Bills {
    pub picker: CustomerPicker,
    /// The account whose bills are shown.
    pub account: Option<pb::AccountSummary>,
    pub bills: Vec<pb::Bill>,
    pub load: Load,
    pub cancel: Option<CancelForm>,
    /// The period just cancelled, for the note.
    pub cancelled: Option<String>,
    /// The lookup shows no field problems: it has none.
    no_errors: FieldErrors,
}

impl Default for Bills {
    fn default() -> Self {
        let mut picker = CustomerPicker::default();
        picker.kind = HolderKind::Existing;
        Bills {
            picker,
            account: None,
            bills: Vec::new(),
            load: Load::Idle,
            cancel: None,
            cancelled: None,
            no_errors: FieldErrors::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    /// The archive's lookup: query, search, ↑/↓, choose.
    Lookup(picker::Message),
    Reload,
    Loaded {
        account_id: i64,
        result: Result<Vec<pb::Bill>, ApiError>,
    },
    StartCancel(i64),
    ReasonChanged(String),
    ConfirmCancel,
    CloseCancel,
    Cancelled {
        bill_id: i64,
        /// Boxed: a bill carries its lines.
        result: Result<Box<pb::Bill>, ApiError>,
    },
}

fn to_parent(message: Message) -> BillingMessage {
    BillingMessage::Bills(message)
}

fn lookup(message: picker::Message) -> BillingMessage {
    to_parent(Message::Lookup(message))
}

/// The ids of the bills that can be cancelled: the newest revision of each
/// period, unless that revision is itself the cancellation.
pub fn cancellable(bills: &[pb::Bill]) -> Vec<i64> {
    let mut newest: HashMap<&str, &pb::Bill> = HashMap::new();
    for bill in bills {
        let entry = newest.entry(bill.period.as_str()).or_insert(bill);
        if bill.revision > entry.revision {
            *entry = bill;
        }
    }
    let mut ids: Vec<i64> = newest
        .values()
        .filter(|bill| !bill.cancelled)
        .map(|bill| bill.id)
        .collect();
    ids.sort_unstable();
    ids
}

impl Bills {
    /// Puts the cursor in the lookup.
    pub fn focus(&self) -> Task<BillingMessage> {
        if self.picker.chosen.is_none() {
            iced::widget::operation::focus(lookup_input())
        } else {
            Task::none()
        }
    }

    fn load(&mut self, session: &Session, account_id: i64) -> Task<BillingMessage> {
        self.load = Load::Loading;
        Task::perform(
            api::list_bills(session.clone(), account_id),
            move |result| to_parent(Message::Loaded { account_id, result }),
        )
    }

    pub fn update(&mut self, session: &Session, can_cancel: bool, message: Message) -> Action {
        match message {
            Message::Lookup(message) => {
                if let picker::Message::Searched {
                    result: Err(ApiError::SessionExpired),
                    ..
                } = &message
                {
                    return Action::SessionExpired;
                }
                // The lookup chooses accounts here: "新客户" is no choice.
                if matches!(message, picker::Message::Kind(_)) {
                    return Action::None;
                }
                let action = self.picker.update(message);
                let task = match action {
                    picker::Action::None => Task::none(),
                    picker::Action::Search(request) => {
                        let query = request.query.clone();
                        Task::perform(
                            archive::search_accounts(session.clone(), request),
                            move |result| {
                                lookup(picker::Message::Searched {
                                    query: query.clone(),
                                    result,
                                })
                            },
                        )
                    }
                    picker::Action::Focus(path) => {
                        iced::widget::operation::focus(form::input_id(ID_PREFIX, path))
                    }
                };
                let chosen = self.picker.chosen.clone();
                let changed = chosen.as_ref().map(|hit| hit.account_id)
                    != self.account.as_ref().map(|account| account.account_id);
                if changed && let Some(hit) = chosen {
                    let account_id = hit.account_id;
                    self.account = Some(hit);
                    self.bills.clear();
                    self.cancel = None;
                    self.cancelled = None;
                    return Action::Run(Task::batch([task, self.load(session, account_id)]));
                }
                return Action::Run(task);
            }
            Message::Reload => {
                if let Some(account_id) = self.account.as_ref().map(|account| account.account_id)
                    && self.load != Load::Loading
                {
                    return Action::Run(self.load(session, account_id));
                }
            }
            Message::Loaded { account_id, result } => {
                if self.account.as_ref().map(|account| account.account_id) != Some(account_id) {
                    return Action::None;
                }
                match result {
                    Ok(bills) => {
                        self.bills = bills;
                        self.load = Load::Loaded;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.load = Load::Failed(error),
                }
            }
            Message::StartCancel(bill_id) => {
                if !can_cancel || self.cancel.as_ref().is_some_and(|form| form.submitting) {
                    return Action::None;
                }
                let Some(bill) = self
                    .bills
                    .iter()
                    .find(|bill| bill.id == bill_id)
                    .filter(|_| cancellable(&self.bills).contains(&bill_id))
                else {
                    return Action::None;
                };
                self.cancel = Some(CancelForm {
                    bill_id,
                    period: bill.period.clone(),
                    reason: String::new(),
                    attempted: false,
                    submitting: false,
                    problem: None,
                });
                self.cancelled = None;
                return Action::Run(iced::widget::operation::focus(REASON_INPUT));
            }
            Message::ReasonChanged(reason) => {
                if let Some(form) = self.cancel.as_mut().filter(|form| !form.submitting) {
                    form.reason = reason;
                }
            }
            Message::CloseCancel => {
                if self.cancel.as_ref().is_some_and(|form| !form.submitting) {
                    self.cancel = None;
                }
            }
            Message::ConfirmCancel => {
                let Some(form) = self.cancel.as_mut().filter(|form| !form.submitting) else {
                    return Action::None;
                };
                if !can_cancel {
                    return Action::None;
                }
                form.attempted = true;
                let reason = form.reason.trim().to_owned();
                if reason.is_empty() {
                    return Action::Run(iced::widget::operation::focus(REASON_INPUT));
                }
                form.submitting = true;
                form.problem = None;
                let bill_id = form.bill_id;
                return Action::Run(Task::perform(
                    api::cancel_bill(session.clone(), bill_id, reason),
                    move |result| {
                        to_parent(Message::Cancelled {
                            bill_id,
                            result: result.map(Box::new),
                        })
                    },
                ));
            }
            Message::Cancelled { bill_id, result } => {
                let Some(form) = self
                    .cancel
                    .as_mut()
                    .filter(|form| form.submitting && form.bill_id == bill_id)
                else {
                    return Action::None;
                };
                form.submitting = false;
                let account_id = self.account.as_ref().map(|account| account.account_id);
                match result {
                    Ok(_) => {
                        self.cancelled = Some(form.period.clone());
                        self.cancel = None;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    // A bill replaced meanwhile, or refused: the form stays
                    // with the reason, over the list as it is now.
                    Err(error) => form.problem = Some(error),
                }
                if let Some(account_id) = account_id {
                    return Action::Run(self.load(session, account_id));
                }
            }
        }
        Action::None
    }

    pub fn view(&self, language: Language, can_cancel: bool) -> Element<'_, BillingMessage> {
        let context = FormContext {
            language,
            id_prefix: ID_PREFIX,
            validation: &self.no_errors,
            server: &self.no_errors,
            attempted: false,
            enabled: true,
        };
        let mut page = column![self.picker.view(&context, None).map(lookup)].spacing(12);

        let Some(account) = &self.account else {
            return card(page.into());
        };
        let mut head = row![
            text(texts::bills_of(language, account))
                .size(16)
                .style(theme::text::section)
                .width(Length::Fill),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if self.load == Load::Loading {
            head = head.push(
                text(tr(language, Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        head = head.push(
            button(text(tr(language, Key::Reload)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe((self.load != Load::Loading).then_some(to_parent(Message::Reload))),
        );
        page = page.push(head);
        if let Some(period) = &self.cancelled {
            page = page.push(note_box(
                texts::bill_cancelled(language, period),
                theme::container::success_box,
            ));
        }
        if let Load::Failed(error) = &self.load {
            page = page.push(problem_box(language, error));
        }
        if self.load == Load::Loaded && self.bills.is_empty() {
            page = page.push(
                text(tr(language, Key::NoBillsYet))
                    .size(14)
                    .style(theme::text::muted),
            );
        }
        let cancellable = cancellable(&self.bills);
        let list = column(self.bills.iter().map(|bill| {
            let can = can_cancel && cancellable.contains(&bill.id);
            let superseded = self
                .bills
                .iter()
                .any(|other| other.period == bill.period && other.revision > bill.revision);
            self.bill_view(language, bill, can, superseded)
        }))
        .spacing(12);
        page = page.push(
            scrollable(container(list).padding(iced::Padding {
                right: 14.0,
                ..iced::Padding::ZERO
            }))
            .height(Length::Fill),
        );
        card(page.height(Length::Fill).into())
    }

    fn bill_view<'a>(
        &'a self,
        language: Language,
        bill: &'a pb::Bill,
        can_cancel: bool,
        superseded: bool,
    ) -> Element<'a, BillingMessage> {
        let mut title = row![text(texts::bill_title(language, bill)).size(16),]
            .spacing(8)
            .align_y(Alignment::Center);
        if bill.revision > 0 {
            title = title.push(widget::badge(
                texts::revision(language, bill.revision),
                Tone::Neutral,
            ));
        }
        if bill.cancelled {
            title = title.push(widget::badge(tr(language, Key::Cancelled), Tone::Bad));
        }
        if bill.estimated {
            title = title.push(widget::badge(tr(language, Key::Estimated), Tone::Caution));
        }
        if superseded {
            title = title.push(widget::badge(tr(language, Key::Superseded), Tone::Neutral));
        }
        title = title.push(iced::widget::space::horizontal());
        title = title.push(
            text(crate::i18n::archive::money(&bill.amount))
                .size(18)
                .style(if bill.cancelled || superseded {
                    theme::text::muted
                } else {
                    theme::text::plain
                }),
        );
        if can_cancel && self.cancel.is_none() {
            title = title.push(
                button(text(tr(language, Key::CancelBill)).size(13))
                    .padding([4, 12])
                    .style(theme::button::secondary)
                    .on_press(to_parent(Message::StartCancel(bill.id))),
            );
        }

        let mut body = column![
            title,
            text(texts::bill_readings(language, bill)).size(14),
            text(texts::bill_facts(language, bill))
                .size(13)
                .style(theme::text::muted),
        ]
        .spacing(6);
        if !bill.reason.is_empty() {
            body = body.push(
                text(texts::bill_reason(language, bill))
                    .size(13)
                    .style(theme::text::warning),
            );
        }
        if !bill.lines.is_empty() {
            let lines = column(bill.lines.iter().map(|line| {
                row![
                    text("•").size(14).style(theme::text::muted),
                    text(texts::line_explanation(language, line)).size(14),
                ]
                .spacing(8)
                .into()
            }))
            .spacing(4);
            body = body.push(
                container(
                    column![
                        lines,
                        text(texts::bill_total(language, bill))
                            .size(14)
                            .style(theme::text::section),
                    ]
                    .spacing(6),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::summary),
            );
        }
        if let Some(form) = self.cancel.as_ref().filter(|form| form.bill_id == bill.id) {
            body = body.push(cancel_view(language, form));
        }
        container(body)
            .padding([12, 14])
            .width(Length::Fill)
            .style(theme::container::card)
            .into()
    }
}

fn cancel_view<'a>(language: Language, form: &'a CancelForm) -> Element<'a, BillingMessage> {
    let busy = form.submitting;
    let missing = form.attempted && form.reason.trim().is_empty();
    let mut lines = column![
        text(texts::cancel_question(language, &form.period)).size(14),
        row![
            text_input(tr(language, Key::CancelReasonPlaceholder), &form.reason)
                .id(REASON_INPUT)
                .padding([6, 8])
                .size(14)
                .width(Length::Fill)
                .style(if missing {
                    theme::text_input::invalid
                } else {
                    theme::text_input::field
                })
                .on_input_maybe((!busy).then_some(|r| to_parent(Message::ReasonChanged(r))))
                .on_submit_maybe((!busy).then_some(to_parent(Message::ConfirmCancel))),
            button(text(tr(language, Key::Cancel)).size(14))
                .padding([6, 14])
                .style(theme::button::secondary)
                .on_press_maybe((!busy).then_some(to_parent(Message::CloseCancel))),
            button(
                text(tr(
                    language,
                    if busy {
                        Key::Submitting
                    } else {
                        Key::ConfirmCancelBill
                    }
                ))
                .size(14)
            )
            .padding([6, 16])
            .style(theme::button::danger)
            .on_press_maybe((!busy).then_some(to_parent(Message::ConfirmCancel))),
        ]
        .spacing(8)
        .align_y(Alignment::Center),
    ]
    .spacing(6);
    if missing {
        lines = lines.push(
            text(tr(language, Key::CancelReasonRequired))
                .size(13)
                .style(theme::text::error),
        );
    }
    if let Some(problem) = &form.problem {
        lines = lines.push(problem_box(language, problem));
    }
    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::warning_box)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bill(id: i64, period: &str, revision: i32, cancelled: bool) -> pb::Bill {
        pb::Bill {
            id,
            period: period.into(),
            revision,
            cancelled,
            ..pb::Bill::default()
        }
    }

    #[test]
    fn only_the_newest_revision_of_a_period_can_be_cancelled() {
        let bills = [
            bill(9, "2024-04", 0, false),
            bill(8, "2024-03", 2, false),
            bill(7, "2024-03", 1, true),
            bill(6, "2024-03", 0, false),
            bill(5, "2024-02", 1, true),
            bill(4, "2024-02", 0, false),
        ];
        assert_eq!(cancellable(&bills), vec![8, 9]);
    }
}

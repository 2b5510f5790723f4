//! 新客户 / 已有客户: who the customer of an 开户, or the new holder of a
//! 过户, is. Either a new customer typed into the customer sub-form, or an
//! existing one found by a small inline search and chosen from its hits,
//! whose id goes out as `existing_customer_id` (and `new_customer` stays
//! unset).
//!
//! A hit is an account; its holder is the customer chosen. The picker does
//! no I/O: [`CustomerPicker::update`] answers with an [`Action`] and the
//! archive area runs the search, whose answer comes back as
//! [`Message::Searched`].

use gascis_common::proto::v1 as pb;
use iced::widget::{button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length};

use super::form::{CustomerForm, FieldError, FieldErrors, FormContext, labelled};
use crate::api::ApiError;
use crate::i18n::archive::{self, Key};
use crate::i18n::{Language, tr};
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

/// The proto path of the chosen customer's id, the same in the open and
/// transfer requests; also the id of the query input (after the form's
/// prefix), so a server complaint about it puts the cursor there.
pub const FIELD: &str = "existing_customer_id";

/// How many hits one lookup shows: a short list to pick from, not a
/// search page; a query that finds more should be sharpened.
pub const PAGE_SIZE: i32 = 10;

/// Whose customer record the request uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HolderKind {
    /// A customer created with the request from the customer sub-form.
    #[default]
    New,
    /// A customer already on record, chosen by a lookup.
    Existing,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Status {
    /// Nothing looked up yet.
    #[default]
    Idle,
    Searching,
    Done,
    Failed(ApiError),
}

/// The choice and the lookup behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerPicker {
    pub kind: HolderKind,
    pub query: String,
    pub status: Status,
    /// The query the results answer.
    pub shown: Option<String>,
    pub results: Vec<pb::AccountSummary>,
    /// The hit ↑/↓ moved to; Enter chooses it.
    pub highlighted: Option<usize>,
    /// The hit whose holder is the customer.
    pub chosen: Option<pb::AccountSummary>,
    /// The query of the lookup in flight: an answer to any other is late
    /// and dropped.
    pending: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Kind(HolderKind),
    Query(String),
    Search,
    Searched {
        query: String,
        result: Result<pb::SearchAccountsResponse, ApiError>,
    },
    /// ↑ is -1, ↓ is +1.
    Move(isize),
    Choose(usize),
    /// 更换: back to the lookup.
    ChangeChoice,
}

impl Message {
    /// Whether the user did it, as opposed to an answer of the server: only
    /// what the user does clears the server's complaint and waits while the
    /// form is being sent.
    pub fn is_edit(&self) -> bool {
        !matches!(self, Message::Searched { .. })
    }
}

/// What the picker needs from the area after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    None,
    /// Run this search and answer with [`Message::Searched`].
    Search(pb::SearchAccountsRequest),
    /// Put the cursor in the input of this path of the form.
    Focus(&'static str),
}

/// The lookup of `query`: any kind of query (name, account no., phone,
/// ID number…), one short page. Closed accounts are included because their
/// holders are still customers: someone who moved out (销户) and opens an
/// account at the new home keeps their record.
pub fn search_request(query: &str) -> pb::SearchAccountsRequest {
    pb::SearchAccountsRequest {
        query: query.trim().to_owned(),
        kind: pb::SearchKind::Auto as i32,
        page_size: PAGE_SIZE,
        page_token: String::new(),
        include_closed: true,
    }
}

impl CustomerPicker {
    pub fn uses_existing(&self) -> bool {
        self.kind == HolderKind::Existing
    }

    /// Whether ↑/↓ move through the hits: an existing customer is being
    /// looked for and there are hits to move through.
    pub fn takes_arrows(&self) -> bool {
        self.uses_existing() && self.chosen.is_none() && !self.results.is_empty()
    }

    /// The input that should get the cursor when the customer part of the
    /// form is entered.
    pub fn first_input(&self) -> &'static str {
        match self.kind {
            HolderKind::New => "new_customer.name",
            HolderKind::Existing => FIELD,
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Kind(kind) => {
                self.kind = kind;
                return match kind {
                    HolderKind::New => Action::Focus("new_customer.name"),
                    HolderKind::Existing if self.chosen.is_none() => Action::Focus(FIELD),
                    HolderKind::Existing => Action::None,
                };
            }
            Message::Query(query) => self.query = query,
            Message::Search => {
                let query = self.query.trim();
                if query.is_empty() {
                    return Action::None;
                }
                let request = search_request(query);
                self.pending = Some(request.query.clone());
                self.status = Status::Searching;
                return Action::Search(request);
            }
            Message::Searched { query, result } => {
                if self.pending.as_deref() != Some(query.as_str()) {
                    // The answer to a lookup replaced since.
                    return Action::None;
                }
                self.pending = None;
                match result {
                    Ok(response) => {
                        self.results = response.results;
                        self.results.truncate(PAGE_SIZE.unsigned_abs() as usize);
                        self.highlighted = (!self.results.is_empty()).then_some(0);
                        self.shown = Some(query);
                        self.status = Status::Done;
                    }
                    Err(error) => self.status = Status::Failed(error),
                }
            }
            Message::Move(step) => {
                if !self.takes_arrows() {
                    return Action::None;
                }
                let last = self.results.len() - 1;
                self.highlighted = Some(match self.highlighted {
                    None => 0,
                    Some(index) => index.saturating_add_signed(step).min(last),
                });
            }
            Message::Choose(index) => {
                // A hit without the holder's id (an older server) cannot be
                // sent: id 0 would mean "create a new customer".
                if let Some(hit) = self.results.get(index).filter(|hit| hit.customer_id > 0) {
                    self.highlighted = Some(index);
                    self.chosen = Some(hit.clone());
                }
            }
            Message::ChangeChoice => {
                self.chosen = None;
                return Action::Focus(FIELD);
            }
        }
        Action::None
    }

    /// What Enter in the query field means: choose the highlighted hit when
    /// the hits answer what is typed, else look up what is typed.
    pub fn enter_message(&self) -> Message {
        match self.highlighted {
            Some(index)
                if index < self.results.len()
                    && self.shown.as_deref() == Some(self.query.trim()) =>
            {
                Message::Choose(index)
            }
            _ => Message::Search,
        }
    }

    /// The request's `existing_customer_id` and `new_customer`: the new
    /// customer's fields (checked under `prefix`) or the chosen customer's
    /// id, never both. `current_holder` is refused as the choice (a
    /// transfer to the account's own holder).
    pub fn customer_of(
        &self,
        new_customer: &CustomerForm,
        prefix: &str,
        current_holder: Option<i64>,
        errors: &mut FieldErrors,
    ) -> (i64, Option<pb::CustomerInput>) {
        match (self.kind, &self.chosen) {
            (HolderKind::New, _) => (0, Some(new_customer.to_new_input(prefix, errors))),
            (HolderKind::Existing, None) => {
                errors.insert(FIELD, FieldError::NoCustomerChosen);
                (0, None)
            }
            (HolderKind::Existing, Some(hit)) if Some(hit.customer_id) == current_holder => {
                errors.insert(FIELD, FieldError::CurrentHolder);
                (0, None)
            }
            (HolderKind::Existing, Some(hit)) => (hit.customer_id, None),
        }
    }

    /// The customer type of the chosen customer, or of the new one.
    pub fn customer_type(&self, new_customer: &CustomerForm) -> pb::CustomerType {
        match (self.kind, &self.chosen) {
            (HolderKind::Existing, Some(hit)) => hit.customer_type(),
            _ => new_customer.customer_type,
        }
    }

    /// 新客户 / 已有客户. The buttons have no disabled state; while the form
    /// is sent the area drops edits.
    pub fn kind_view<'a>(&self, language: Language) -> Element<'a, Message> {
        widget::segmented(
            [
                (HolderKind::New, tr(language, Key::HolderNew).to_owned()),
                (
                    HolderKind::Existing,
                    tr(language, Key::HolderExisting).to_owned(),
                ),
            ],
            self.kind,
            Message::Kind,
        )
    }

    /// The lookup, its hits and the choice. `current_holder` marks the
    /// account's own holder among the hits (a transfer cannot go to them).
    pub fn view<'a>(
        &self,
        context: &FormContext<'_>,
        current_holder: Option<i64>,
    ) -> Element<'a, Message> {
        let language = context.language;

        if let Some(chosen) = &self.chosen {
            let summary = container(
                row![
                    text(archive::chosen_customer(
                        language,
                        &chosen.customer_name,
                        &chosen.account_no
                    ))
                    .size(14),
                    text(chosen.phone_masked.clone())
                        .size(13)
                        .style(theme::text::muted),
                    iced::widget::space::horizontal(),
                    button(text(tr(language, Key::ChangeCustomer)).size(13))
                        .padding([4, 14])
                        .style(theme::button::secondary)
                        .on_press_maybe(context.enabled.then_some(Message::ChangeChoice)),
                ]
                .spacing(12)
                .align_y(Alignment::Center),
            )
            .padding([6, 12])
            .width(Length::Fill)
            .style(theme::container::summary);
            return labelled(context, Key::ChosenCustomer, FIELD, true, summary);
        }

        let searching = self.status == Status::Searching;
        let input = text_input(tr(language, Key::FindCustomerPlaceholder), &self.query)
            .id(context.input_id(FIELD))
            .padding([6, 8])
            .size(14)
            .style(if context.error(FIELD).is_some() {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            })
            .on_input_maybe(context.enabled.then_some(Message::Query))
            .on_submit_maybe(context.enabled.then(|| self.enter_message()));
        let find = button(text(tr(
            language,
            if searching {
                Key::Searching
            } else {
                Key::FindCustomer
            },
        )))
        .padding([6, 16])
        .style(theme::button::secondary)
        .on_press_maybe(
            (context.enabled && !searching && !self.query.trim().is_empty())
                .then_some(Message::Search),
        );
        let lookup = labelled(
            context,
            Key::FindExistingCustomer,
            FIELD,
            true,
            row![input, find].spacing(8).align_y(Alignment::Center),
        );

        let note = |key: Key| -> Element<'a, Message> {
            text(tr(language, key))
                .size(13)
                .style(theme::text::muted)
                .into()
        };
        let hits: Element<'a, Message> = match &self.status {
            Status::Idle => note(Key::FindCustomerIdle),
            Status::Searching if self.shown.is_none() => note(Key::Searching),
            Status::Failed(error) => super::dialog::problem_box(language, error),
            Status::Done | Status::Searching if self.results.is_empty() => {
                note(Key::NoCustomerFound)
            }
            Status::Done | Status::Searching => column![
                self.table_view(context, current_holder),
                note(Key::FindCustomerHint),
            ]
            .spacing(6)
            .into(),
        };

        column![lookup, hits].spacing(2).into()
    }

    fn table_view<'a>(
        &self,
        context: &FormContext<'_>,
        current_holder: Option<i64>,
    ) -> Element<'a, Message> {
        let language = context.language;
        let columns = [
            TableColumn::new(tr(language, Key::AccountHolder), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Address), Length::FillPortion(10)),
            TableColumn::new(tr(language, Key::Phone), Length::FillPortion(4)),
        ];
        let rows = self.results.iter().enumerate().map(|(index, hit)| {
            let mut name = row![text(hit.customer_name.clone()).size(14)]
                .spacing(6)
                .align_y(Alignment::Center);
            if current_holder == Some(hit.customer_id) {
                name = name.push(widget::badge(tr(language, Key::HolderNow), Tone::Caution));
            }
            TableRow {
                cells: vec![
                    name.into(),
                    widget::cell(hit.account_no.clone()),
                    widget::cell(hit.address.clone()),
                    widget::cell(hit.phone_masked.clone()),
                ],
                selected: self.highlighted == Some(index),
                on_press: context.enabled.then_some(Message::Choose(index)),
                on_double_click: None,
            }
        });
        widget::table(&columns, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(account_id: i64, name: &str, customer_id: i64) -> pb::AccountSummary {
        pb::AccountSummary {
            account_id,
            account_no: format!("31010{account_id:05}"),
            customer_name: name.into(),
            customer_type: pb::CustomerType::Residential as i32,
            customer_id,
            ..pb::AccountSummary::default()
        }
    }

    fn answered(picker: &mut CustomerPicker, query: &str, hits: Vec<pb::AccountSummary>) {
        let _ = picker.update(Message::Query(query.into()));
        let Action::Search(request) = picker.update(Message::Search) else {
            panic!("a typed query is looked up");
        };
        let _ = picker.update(Message::Searched {
            query: request.query,
            result: Ok(pb::SearchAccountsResponse {
                results: hits,
                ..pb::SearchAccountsResponse::default()
            }),
        });
    }

    #[test]
    fn the_lookup_is_one_short_page_of_any_kind() {
        let mut picker = CustomerPicker::default();
        assert_eq!(
            picker.update(Message::Kind(HolderKind::Existing)),
            Action::Focus(FIELD)
        );
        assert_eq!(picker.update(Message::Search), Action::None, "empty");
        let _ = picker.update(Message::Query("  王芳 ".into()));
        assert_eq!(
            picker.update(Message::Search),
            Action::Search(pb::SearchAccountsRequest {
                query: "王芳".into(),
                kind: pb::SearchKind::Auto as i32,
                page_size: 10,
                page_token: String::new(),
                include_closed: true,
            })
        );
        assert_eq!(picker.status, Status::Searching);
    }

    #[test]
    fn enter_looks_up_then_chooses_the_highlighted_hit() {
        let mut picker = CustomerPicker {
            kind: HolderKind::Existing,
            ..CustomerPicker::default()
        };
        let _ = picker.update(Message::Query("阳光".into()));
        assert!(matches!(picker.enter_message(), Message::Search));
        answered(
            &mut picker,
            "阳光",
            vec![hit(1, "王芳", 11), hit(2, "李强", 12)],
        );
        assert!(matches!(picker.enter_message(), Message::Choose(0)));
        let _ = picker.update(Message::Move(1));
        let _ = picker.update(Message::Move(1));
        assert!(matches!(picker.enter_message(), Message::Choose(1)));
        let _ = picker.update(picker.enter_message());
        assert_eq!(picker.chosen.as_ref().map(|hit| hit.customer_id), Some(12));
        assert!(!picker.takes_arrows(), "arrows rest once chosen");

        assert_eq!(picker.update(Message::ChangeChoice), Action::Focus(FIELD));
        assert!(picker.chosen.is_none());
        let _ = picker.update(Message::Query("阳光花园".into()));
        assert!(
            matches!(picker.enter_message(), Message::Search),
            "a changed query looks up again"
        );
    }

    #[test]
    fn late_answers_and_hits_without_a_customer_are_ignored() {
        let mut picker = CustomerPicker {
            kind: HolderKind::Existing,
            ..CustomerPicker::default()
        };
        let _ = picker.update(Message::Query("王".into()));
        let _ = picker.update(Message::Search);
        let _ = picker.update(Message::Query("王芳".into()));
        let _ = picker.update(Message::Search);
        let _ = picker.update(Message::Searched {
            query: "王".into(),
            result: Ok(pb::SearchAccountsResponse {
                results: vec![hit(1, "王五", 15)],
                ..pb::SearchAccountsResponse::default()
            }),
        });
        assert!(picker.results.is_empty(), "the answer to 王 came late");
        assert_eq!(picker.status, Status::Searching);

        let _ = picker.update(Message::Searched {
            query: "王芳".into(),
            result: Ok(pb::SearchAccountsResponse {
                results: vec![hit(2, "王芳", 0)],
                ..pb::SearchAccountsResponse::default()
            }),
        });
        let _ = picker.update(Message::Choose(0));
        assert!(picker.chosen.is_none(), "no customer id, nothing to send");
    }

    #[test]
    fn the_request_names_either_the_new_or_the_chosen_customer() {
        let new_customer = CustomerForm::default();
        let mut picker = CustomerPicker::default();
        let mut errors = FieldErrors::new();
        let (id, input) = picker.customer_of(&new_customer, "new_customer", None, &mut errors);
        assert_eq!(id, 0);
        assert!(input.is_some());
        assert!(errors.get("new_customer.name").is_some());

        picker.kind = HolderKind::Existing;
        let mut errors = FieldErrors::new();
        let _ = picker.customer_of(&new_customer, "new_customer", None, &mut errors);
        assert_eq!(errors.paths().collect::<Vec<_>>(), [FIELD]);
        assert_eq!(errors.get(FIELD), Some(&FieldError::NoCustomerChosen));

        answered(&mut picker, "王芳", vec![hit(1, "王芳", 11)]);
        let _ = picker.update(Message::Choose(0));
        let mut errors = FieldErrors::new();
        assert_eq!(
            picker.customer_of(&new_customer, "new_customer", Some(9), &mut errors),
            (11, None)
        );
        assert!(errors.is_empty(), "{errors:?}");

        let mut errors = FieldErrors::new();
        let _ = picker.customer_of(&new_customer, "new_customer", Some(11), &mut errors);
        assert_eq!(errors.get(FIELD), Some(&FieldError::CurrentHolder));
    }
}

//! The search page of the archive: query, kind, a page of hits, a selected
//! row. Keyboard first: type, Enter searches; ↑/↓ move the selection;
//! Enter again opens the selected account.

use gascis_common::proto::v1 as pb;
use iced::widget::{button, checkbox, column, container, row, text, text_input};
use iced::{Alignment, Element, Length};

use crate::api::ApiError;
use crate::api::archive::SEARCH_PAGE_SIZE;
use crate::i18n::archive::{self, Key};
use crate::i18n::{Language, tr};
use crate::theme;
use crate::widget::{self, TableColumn, TableRow};

use super::Message;
use super::export::Export;

/// The id of the search field, which gets the focus when the area opens.
pub const SEARCH_INPUT: &str = "customers-search";

/// Kinds offered in the selector, in its order.
pub const KINDS: [pb::SearchKind; 8] = [
    pb::SearchKind::Auto,
    pb::SearchKind::AccountNo,
    pb::SearchKind::Name,
    pb::SearchKind::Phone,
    pb::SearchKind::Address,
    pb::SearchKind::MeterNo,
    pb::SearchKind::CardNo,
    pb::SearchKind::IdNumber,
];

/// A query as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    pub kind: pb::SearchKind,
    pub include_closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Nothing searched yet.
    Idle,
    Searching,
    Done,
    Failed(ApiError),
}

#[derive(Debug, Clone)]
pub struct Search {
    pub query: String,
    pub kind: pb::SearchKind,
    pub include_closed: bool,
    pub status: Status,
    /// The query the results answer.
    pub shown: Option<Query>,
    pub results: Vec<pb::AccountSummary>,
    pub selected: Option<usize>,
    pub searched_as: pb::SearchKind,
    /// The page token of every page up to the one shown ("" for the
    /// first): going back pops one.
    pages: Vec<String>,
    next_page_token: String,
    /// The query and page tokens of the search in flight.
    pending: Option<(Query, Vec<String>)>,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            query: String::new(),
            kind: pb::SearchKind::Auto,
            include_closed: false,
            status: Status::Idle,
            shown: None,
            results: Vec::new(),
            selected: None,
            searched_as: pb::SearchKind::Auto,
            pages: Vec::new(),
            next_page_token: String::new(),
            pending: None,
        }
    }
}

impl Search {
    fn typed_query(&self) -> Query {
        Query {
            text: self.query.trim().to_owned(),
            kind: self.kind,
            include_closed: self.include_closed,
        }
    }

    /// The request for the first page of what is typed; `None` when the
    /// field is empty.
    pub fn begin(&mut self) -> Option<pb::SearchAccountsRequest> {
        let query = self.typed_query();
        if query.text.is_empty() {
            return None;
        }
        Some(self.request(query, vec![String::new()]))
    }

    /// The request for the next page of the results shown.
    pub fn next_page(&mut self) -> Option<pb::SearchAccountsRequest> {
        if self.next_page_token.is_empty() || self.status == Status::Searching {
            return None;
        }
        let query = self.shown.clone()?;
        let mut pages = self.pages.clone();
        pages.push(self.next_page_token.clone());
        Some(self.request(query, pages))
    }

    /// The request for the page before the one shown.
    pub fn previous_page(&mut self) -> Option<pb::SearchAccountsRequest> {
        if self.pages.len() < 2 || self.status == Status::Searching {
            return None;
        }
        let query = self.shown.clone()?;
        let mut pages = self.pages.clone();
        pages.pop();
        Some(self.request(query, pages))
    }

    fn request(&mut self, query: Query, pages: Vec<String>) -> pb::SearchAccountsRequest {
        let request = pb::SearchAccountsRequest {
            query: query.text.clone(),
            kind: query.kind as i32,
            page_size: SEARCH_PAGE_SIZE,
            page_token: pages.last().cloned().unwrap_or_default(),
            include_closed: query.include_closed,
        };
        self.status = Status::Searching;
        self.pending = Some((query, pages));
        request
    }

    /// A page arrived. Without a search in flight (a test feeding a result,
    /// or a late answer) it answers what is typed.
    pub fn found(&mut self, response: pb::SearchAccountsResponse) {
        let (query, pages) = self
            .pending
            .take()
            .unwrap_or_else(|| (self.typed_query(), vec![String::new()]));
        self.selected = (!response.results.is_empty()).then_some(0);
        self.searched_as = response.searched_as();
        self.results = response.results;
        self.next_page_token = response.next_page_token;
        self.shown = Some(query);
        self.pages = pages;
        self.status = Status::Done;
    }

    pub fn failed(&mut self, error: ApiError) {
        self.pending = None;
        self.status = Status::Failed(error);
    }

    pub fn move_selection(&mut self, step: isize) {
        if self.results.is_empty() {
            return;
        }
        let last = self.results.len() - 1;
        self.selected = Some(match self.selected {
            None => 0,
            Some(index) => index.saturating_add_signed(step).min(last),
        });
    }

    pub fn selected_account(&self) -> Option<&pb::AccountSummary> {
        self.results.get(self.selected?)
    }

    /// The search 导出查询结果 exports: the one on show, once it found
    /// something (and no other is on its way).
    pub fn export_query(&self) -> Option<&Query> {
        if self.status != Status::Done || self.results.is_empty() {
            return None;
        }
        self.shown.as_ref()
    }

    pub fn page_number(&self) -> usize {
        self.pages.len().max(1)
    }

    pub fn has_next_page(&self) -> bool {
        !self.next_page_token.is_empty()
    }

    pub fn has_previous_page(&self) -> bool {
        self.pages.len() > 1
    }

    /// What Enter in the search field means: open the selected hit when the
    /// results answer what is typed, else search.
    pub fn enter_message(&self) -> Message {
        match self.selected_account() {
            Some(account) if self.shown.as_ref() == Some(&self.typed_query()) => {
                Message::OpenAccount(account.account_id)
            }
            _ => Message::Search,
        }
    }

    pub fn view<'a>(
        &'a self,
        language: Language,
        can_open_accounts: bool,
        export: &'a Export,
    ) -> Element<'a, Message> {
        let searching = self.status == Status::Searching;

        let input = text_input(tr(language, Key::SearchPlaceholder), &self.query)
            .id(SEARCH_INPUT)
            .padding([8, 10])
            .size(15)
            .style(theme::text_input::field)
            .on_input(Message::QueryChanged)
            .on_submit(self.enter_message());
        let search_button = button(text(tr(
            language,
            if searching {
                Key::Searching
            } else {
                Key::SearchButton
            },
        )))
        .padding([8, 20])
        .style(theme::button::primary)
        .on_press_maybe((!searching && !self.query.trim().is_empty()).then_some(Message::Search));
        let mut top = row![input, search_button]
            .spacing(10)
            .align_y(Alignment::Center);
        if can_open_accounts {
            top = top.push(
                button(text(tr(language, Key::OpenAccount)))
                    .padding([8, 16])
                    .style(theme::button::secondary)
                    .on_press(Message::StartOpenAccount),
            );
        }

        let kinds = widget::segmented(
            KINDS.map(|kind| (kind, archive::search_kind(language, kind).to_owned())),
            self.kind,
            Message::KindSelected,
        );
        let include_closed = checkbox(self.include_closed)
            .label(tr(language, Key::IncludeClosed))
            .size(15)
            .text_size(13)
            .on_toggle(Message::IncludeClosedToggled);
        let options = row![
            text(tr(language, Key::SearchBy))
                .size(13)
                .style(theme::text::label),
            kinds,
            iced::widget::space::horizontal(),
            include_closed,
        ]
        .spacing(10)
        .align_y(Alignment::Center);

        let search_card = container(column![top, options].spacing(12))
            .padding(16)
            .width(Length::Fill)
            .style(theme::container::card);

        column![search_card, self.results_view(language, export)]
            .spacing(14)
            .height(Length::Fill)
            .into()
    }

    fn results_view<'a>(&'a self, language: Language, export: &'a Export) -> Element<'a, Message> {
        let body: Element<'a, Message> = match &self.status {
            Status::Idle => centered_note(
                tr(language, Key::SearchHint),
                tr(language, Key::KeyboardHint),
            ),
            Status::Failed(error) => column![super::dialog::problem_box(language, error)].into(),
            Status::Searching if self.shown.is_none() => {
                centered_note(tr(language, Key::Searching), "")
            }
            Status::Done | Status::Searching if self.results.is_empty() => centered_note(
                tr(language, Key::NoResults),
                tr(language, Key::NoResultsHint),
            ),
            Status::Done | Status::Searching => self.table_view(language),
        };

        let mut header = row![text(tr(language, Key::SearchResults)).size(16)]
            .spacing(12)
            .align_y(Alignment::Center);
        if let (Some(_), Status::Done) = (&self.shown, &self.status) {
            header = header.push(
                text(archive::results_summary(
                    language,
                    self.results.len(),
                    self.page_number(),
                    self.searched_as,
                ))
                .size(13)
                .style(theme::text::muted),
            );
        }
        header = header
            .push(iced::widget::space::horizontal())
            .push(export.buttons(language, self));
        if self.has_previous_page() || self.has_next_page() {
            let searching = self.status == Status::Searching;
            header = header
                .push(
                    button(text(tr(language, Key::PreviousPage)).size(13))
                        .padding([4, 12])
                        .style(theme::button::secondary)
                        .on_press_maybe(
                            (self.has_previous_page() && !searching)
                                .then_some(Message::PreviousPage),
                        ),
                )
                .push(
                    button(text(tr(language, Key::NextPage)).size(13))
                        .padding([4, 12])
                        .style(theme::button::secondary)
                        .on_press_maybe(
                            (self.has_next_page() && !searching).then_some(Message::NextPage),
                        ),
                );
        }

        let mut card = column![header].spacing(10);
        if let Some(note) = export.note(language) {
            card = card.push(note);
        }
        card = card
            .push(iced::widget::scrollable(body).height(Length::Fill))
            .push(
                text(tr(language, Key::KeyboardHint))
                    .size(12)
                    .style(theme::text::muted),
            );
        container(card)
            .padding(16)
            .width(Length::Fill)
            .height(Length::Fill)
            .style(theme::container::card)
            .into()
    }

    fn table_view<'a>(&'a self, language: Language) -> Element<'a, Message> {
        let columns = [
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::AccountHolder), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::Address), Length::FillPortion(12)),
            TableColumn::new(tr(language, Key::MeterNo), Length::FillPortion(6)),
            TableColumn::new(tr(language, Key::MeterType), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Status), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Phone), Length::FillPortion(5)),
        ];
        let rows = self
            .results
            .iter()
            .enumerate()
            .map(|(index, hit)| TableRow {
                cells: vec![
                    widget::cell(hit.account_no.as_str()),
                    widget::cell(hit.customer_name.as_str()),
                    widget::cell(hit.address.as_str()),
                    widget::cell(hit.meter_no.as_str()),
                    widget::cell(if hit.meter_no.is_empty() {
                        ""
                    } else {
                        archive::meter_type(language, hit.meter_type())
                    }),
                    super::detail::status_badge(language, hit.status()),
                    widget::cell(hit.phone_masked.as_str()),
                ],
                selected: self.selected == Some(index),
                on_press: Some(Message::SelectRow(index)),
                on_double_click: Some(Message::OpenAccount(hit.account_id)),
            });
        widget::table(&columns, rows)
    }
}

fn centered_note<'a>(headline: &'a str, hint: &'a str) -> Element<'a, Message> {
    container(
        column![
            text(headline).size(15).style(theme::text::muted),
            text(hint).size(13).style(theme::text::muted),
        ]
        .spacing(6)
        .align_x(Alignment::Center),
    )
    .center_x(Length::Fill)
    .padding(40)
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: i64) -> pb::AccountSummary {
        pb::AccountSummary {
            account_id: id,
            account_no: format!("31010{id:05}"),
            ..pb::AccountSummary::default()
        }
    }

    #[test]
    fn enter_searches_then_opens_the_selected_hit() {
        let mut search = Search {
            query: "王芳".into(),
            ..Search::default()
        };
        assert!(matches!(search.enter_message(), Message::Search));

        let request = search.begin();
        assert_eq!(
            request.map(|request| request.query),
            Some("王芳".to_owned())
        );
        search.found(pb::SearchAccountsResponse {
            results: vec![hit(1), hit(2), hit(3)],
            next_page_token: "p2".into(),
            searched_as: pb::SearchKind::Name as i32,
        });
        assert!(matches!(search.enter_message(), Message::OpenAccount(1)));

        search.move_selection(1);
        search.move_selection(1);
        search.move_selection(1);
        assert!(
            matches!(search.enter_message(), Message::OpenAccount(3)),
            "stops at the last row"
        );
        search.move_selection(-5);
        assert!(matches!(search.enter_message(), Message::OpenAccount(1)));

        search.query = "王芳芳".into();
        assert!(
            matches!(search.enter_message(), Message::Search),
            "a changed query searches again"
        );
    }

    #[test]
    fn pages_go_forward_and_back_with_their_tokens() {
        let mut search = Search {
            query: "阳光花园".into(),
            ..Search::default()
        };
        let _ = search.begin();
        search.found(pb::SearchAccountsResponse {
            results: vec![hit(1)],
            next_page_token: "token-2".into(),
            searched_as: pb::SearchKind::Address as i32,
        });
        assert!(search.previous_page().is_none());

        let next = search.next_page();
        assert_eq!(
            next.map(|request| request.page_token),
            Some("token-2".to_owned())
        );
        search.found(pb::SearchAccountsResponse {
            results: vec![hit(2)],
            next_page_token: String::new(),
            searched_as: pb::SearchKind::Address as i32,
        });
        assert_eq!(search.page_number(), 2);
        assert!(!search.has_next_page());

        let back = search.previous_page();
        assert_eq!(back.map(|request| request.page_token), Some(String::new()));
    }

    #[test]
    fn an_empty_query_is_not_sent() {
        let mut search = Search {
            query: "   ".into(),
            ..Search::default()
        };
        assert!(search.begin().is_none());
        assert_eq!(search.status, Status::Idle);
    }
}

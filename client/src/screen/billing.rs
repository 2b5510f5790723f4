//! 抄表计费: readings and billing, in four tabs. 抄表录入 (a route book's
//! reading sheet, keyboard first), 异常审核 (the anomaly queue), 计费 (a
//! billing run with its progress and totals, and the bills export) and 账单
//! (an account's bills, each line explained). Field staff see the first
//! tab only; back office sees all four.
//!
//! Intents are imperative (`Submit`, `Preview`, `ConfirmCancel`), outcomes
//! past tense with a `Result` (`Submitted`, `Reviewed`, `Cancelled`); a run
//! streams [`crate::api::billing::RunEvent`]s. `update` only builds tasks,
//! the I/O is in [`crate::api::billing`].

pub mod bills;
pub mod entry;
pub mod number;
pub mod review;
pub mod run;

use gascis_common::Role;
use iced::keyboard::{self, key};
use iced::widget::{column, container, text};
use iced::{Element, Length, Task};

use crate::api::Session;
use crate::i18n::Language;
use crate::i18n::billing as texts;
use crate::theme;
use crate::widget;

pub use bills::Bills;
pub use entry::Entry;
pub use review::Review;
pub use run::RunTab;

/// A tab of the area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 抄表录入
    Entry,
    /// 异常审核
    Review,
    /// 计费
    Run,
    /// 账单
    Bills,
}

/// What a user may do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// Enter readings: field staff and back office.
    pub can_enter: bool,
    /// Review, bill, cancel bills: back office.
    pub back_office: bool,
}

/// What a user with `roles` may do.
pub fn permissions_for(roles: &[Role]) -> Permissions {
    Permissions {
        can_enter: roles.contains(&Role::BackOffice) || roles.contains(&Role::Field),
        back_office: roles.contains(&Role::BackOffice),
    }
}

/// The tabs a user with these permissions sees, in order.
pub fn tabs_for(permissions: Permissions) -> Vec<Tab> {
    let mut tabs = Vec::new();
    if permissions.can_enter {
        tabs.push(Tab::Entry);
    }
    if permissions.back_office {
        tabs.extend([Tab::Review, Tab::Run, Tab::Bills]);
    }
    tabs
}

#[derive(Debug, Clone)]
pub struct Billing {
    session: Session,
    permissions: Permissions,
    tabs: Vec<Tab>,
    tab: Tab,
    entry: Entry,
    review: Review,
    run: RunTab,
    bills: Bills,
}

#[derive(Debug, Clone)]
pub enum Message {
    SelectTab(Tab),
    Entry(entry::Message),
    Review(review::Message),
    Run(run::Message),
    Bills(bills::Message),
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// The server ended the session: back to the login screen.
    SessionExpired,
}

impl Billing {
    pub fn new(session: Session) -> Self {
        let permissions = permissions_for(&session.user.roles);
        let tabs = tabs_for(permissions);
        let today = chrono::Local::now().date_naive();
        Billing {
            session,
            permissions,
            tab: tabs.first().copied().unwrap_or(Tab::Entry),
            tabs,
            entry: Entry::new(today),
            review: Review::default(),
            run: RunTab::new(today),
            bills: Bills::default(),
        }
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    pub fn tabs(&self) -> &[Tab] {
        &self.tabs
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    pub fn review(&self) -> &Review {
        &self.review
    }

    pub fn run(&self) -> &RunTab {
        &self.run
    }

    pub fn bills(&self) -> &Bills {
        &self.bills
    }

    /// The area was opened: the route books the first time, and the cursor
    /// where the open tab's typing starts.
    pub fn opened(&mut self) -> Task<Message> {
        let books = self.entry.load_books_once(&self.session);
        Task::batch([books, self.open_tab()])
    }

    fn open_tab(&mut self) -> Task<Message> {
        match self.tab {
            Tab::Entry => self.entry.focus(),
            Tab::Review => self.review.load(&self.session),
            Tab::Run => Task::none(),
            Tab::Bills => self.bills.focus(),
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::SelectTab(tab) => {
                // Only the tabs the roles allow, whatever a stale message says.
                if !self.tabs.contains(&tab) || tab == self.tab {
                    return Action::None;
                }
                self.tab = tab;
                Action::Run(self.open_tab())
            }
            Message::Entry(message) => {
                if !self.permissions.can_enter {
                    return Action::None;
                }
                self.entry.update(&self.session, message)
            }
            Message::Review(message) => {
                if !self.permissions.back_office {
                    return Action::None;
                }
                self.review.update(&self.session, message)
            }
            Message::Run(message) => {
                if !self.permissions.back_office {
                    return Action::None;
                }
                self.run.update(&self.session, message)
            }
            Message::Bills(message) => {
                if !self.permissions.back_office {
                    return Action::None;
                }
                self.bills
                    .update(&self.session, self.permissions.back_office, message)
            }
        }
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let body = match self.tab {
            Tab::Entry => self.entry.view(language),
            Tab::Review => self.review.view(language),
            Tab::Run => iced::widget::scrollable(
                container(self.run.view(language, &self.entry.books)).padding(iced::Padding {
                    right: 14.0,
                    ..iced::Padding::ZERO
                }),
            )
            .height(Length::Fill)
            .into(),
            Tab::Bills => self.bills.view(language, self.permissions.back_office),
        };
        let mut page = column![].spacing(12).height(Length::Fill);
        if self.tabs.len() > 1 {
            page = page.push(widget::tab_bar(
                self.tabs
                    .iter()
                    .map(|&tab| (tab, texts::tab_name(language, tab).to_owned())),
                self.tab,
                Message::SelectTab,
            ));
        }
        let page = page.push(body);

        let tab = self.tab;
        let lookup_arrows = tab == Tab::Bills && self.bills.picker.takes_arrows();
        let review_form_open = self.review.form.is_some();
        let cancel_open = self.bills.cancel.is_some();
        let unhandled = widget::on_unhandled_key(page, move |key, _modifiers| {
            use keyboard::Key::Named;
            match (tab, key) {
                (Tab::Entry, Named(key::Named::ArrowDown)) => {
                    Some(Message::Entry(entry::Message::Move(1)))
                }
                (Tab::Entry, Named(key::Named::ArrowUp)) => {
                    Some(Message::Entry(entry::Message::Move(-1)))
                }
                (Tab::Entry, Named(key::Named::F5)) => {
                    Some(Message::Entry(entry::Message::ReloadSheet))
                }
                (Tab::Review, Named(key::Named::Escape)) if review_form_open => {
                    Some(Message::Review(review::Message::CloseForm))
                }
                (Tab::Review, Named(key::Named::ArrowDown)) => {
                    Some(Message::Review(review::Message::Move(1)))
                }
                (Tab::Review, Named(key::Named::ArrowUp)) => {
                    Some(Message::Review(review::Message::Move(-1)))
                }
                (Tab::Review, Named(key::Named::F5)) => {
                    Some(Message::Review(review::Message::Reload))
                }
                (Tab::Bills, Named(key::Named::Escape)) if cancel_open => {
                    Some(Message::Bills(bills::Message::CloseCancel))
                }
                (Tab::Bills, Named(key::Named::ArrowDown)) if lookup_arrows => {
                    Some(Message::Bills(bills::Message::Lookup(
                        crate::screen::customers::picker::Message::Move(1),
                    )))
                }
                (Tab::Bills, Named(key::Named::ArrowUp)) if lookup_arrows => Some(Message::Bills(
                    bills::Message::Lookup(crate::screen::customers::picker::Message::Move(-1)),
                )),
                _ => None,
            }
        });
        // Ctrl+Enter submits the sheet even from a value field, whose own
        // Enter moves to the next row: it is taken before the field sees it.
        widget::on_key_before(unhandled, move |key, modifiers| match (tab, key) {
            (Tab::Entry, keyboard::Key::Named(key::Named::Enter)) if modifiers.command() => {
                Some(Message::Entry(entry::Message::Submit))
            }
            _ => None,
        })
    }
}

/// A white card filling the width.
fn card(content: Element<'_, Message>) -> Element<'_, Message> {
    container(content)
        .padding(16)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// A line of text in a coloured box.
fn note_box<'a>(
    note: impl text::IntoFragment<'a>,
    style: fn(&iced::Theme) -> container::Style,
) -> Element<'a, Message> {
    container(text(note).size(14))
        .padding([8, 12])
        .width(Length::Fill)
        .style(style)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_staff_enter_readings_only() {
        let field = permissions_for(&[Role::Field]);
        assert_eq!(tabs_for(field), vec![Tab::Entry]);
        let office = permissions_for(&[Role::BackOffice]);
        assert_eq!(
            tabs_for(office),
            vec![Tab::Entry, Tab::Review, Tab::Run, Tab::Bills]
        );
        assert_eq!(
            tabs_for(permissions_for(&[Role::Field, Role::BackOffice])),
            tabs_for(office)
        );
        assert!(tabs_for(permissions_for(&[Role::Cashier])).is_empty());
    }
}

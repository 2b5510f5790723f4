//! The shell after login: a header bar with company, user and sign-out; a
//! navigation listing the areas the user's roles may use; the open area.

use gascis_common::Role;
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Length, Task};

use crate::api::{self, ApiError, ServerInfo, Session};
use crate::i18n::{self, Key, Language, tr};
use crate::screen::billing::{self, Billing};
use crate::screen::counter::{self, Counter};
use crate::screen::customers::{self, Customers};
use crate::screen::import::{self, Import};
use crate::screen::invoices::{self, Invoices};
use crate::screen::tariffs::{self, Tariffs};
use crate::theme;
use crate::widget;

/// A part of the application, one entry of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Welcome and server facts; open to everyone.
    Overview,
    /// 收费: payments, receipts, IC-card gas sales, shift close.
    Counter,
    /// 客户档案: customers, premises, accounts, meters.
    Customers,
    /// 抄表计费: readings and billing runs.
    ReadingsAndBilling,
    /// 气价方案: tariffs, their drafts and quotes.
    Tariffs,
    /// 数据导入: legacy Excel ledgers.
    Import,
    /// 工单
    WorkOrders,
    /// 安检
    Inspections,
    /// 发票与报表: the invoice list, search, PDFs and red reversal.
    InvoicesAndReports,
    /// 系统管理: users, roles, audit.
    Administration,
}

impl Area {
    /// Navigation order: the counter first, as it is what most users do all day.
    pub const ALL: [Area; 10] = [
        Area::Overview,
        Area::Counter,
        Area::Customers,
        Area::ReadingsAndBilling,
        Area::Tariffs,
        Area::Import,
        Area::WorkOrders,
        Area::Inspections,
        Area::InvoicesAndReports,
        Area::Administration,
    ];

    /// The roles that may open this area; `None` means everyone.
    pub fn roles(self) -> Option<&'static [Role]> {
        use Role::{Admin, BackOffice, Cashier, Field, Finance, Supervisor};

        match self {
            Area::Overview => None,
            Area::Counter => Some(&[Cashier, Supervisor]),
            // Everyone the server lets search the archive (finance looks up
            // accounts behind invoices).
            Area::Customers => Some(&[Cashier, Supervisor, BackOffice, Field, Finance]),
            Area::ReadingsAndBilling => Some(&[BackOffice, Field]),
            // Everyone who answers customers about prices reads them;
            // only back office edits (the server enforces it).
            Area::Tariffs => Some(&[BackOffice, Finance, Supervisor, Cashier]),
            Area::Import => Some(&[BackOffice]),
            Area::WorkOrders => Some(&[BackOffice, Field, Supervisor]),
            Area::Inspections => Some(&[Field, BackOffice]),
            // Everyone the server lets list and print invoices; only
            // finance and supervisors reverse (the screen and the server
            // both check).
            Area::InvoicesAndReports => Some(&[Cashier, Supervisor, Finance, BackOffice]),
            Area::Administration => Some(&[Admin]),
        }
    }

    pub fn is_open_to(self, roles: &[Role]) -> bool {
        self.roles()
            .is_none_or(|allowed| allowed.iter().any(|role| roles.contains(role)))
    }
}

/// The areas a user with `roles` may use, in navigation order.
pub fn areas_for(roles: &[Role]) -> Vec<Area> {
    Area::ALL
        .into_iter()
        .filter(|area| area.is_open_to(roles))
        .collect()
}

#[derive(Debug, Clone)]
pub struct Home {
    session: Session,
    areas: Vec<Area>,
    selected: Area,
    server_info: ServerInfoState,
    is_logging_out: bool,
    /// The customer archive, when the roles allow it; it keeps its search
    /// and open account while other areas are visited.
    customers: Option<Box<Customers>>,
    /// The import area, when the roles allow it; a run goes on while other
    /// areas are visited.
    import: Option<Box<Import>>,
    /// 气价方案, when the roles allow it; a draft being edited stays while
    /// other areas are visited.
    tariffs: Option<Box<Tariffs>>,
    /// 抄表计费, when the roles allow it; the sheet being entered and a
    /// billing run stay while other areas are visited.
    billing: Option<Box<Billing>>,
    /// 收费台, when the roles allow it: the open account, a payment in
    /// flight and the till stay while other areas are visited.
    counter: Option<Box<Counter>>,
    /// 发票, when the roles allow it: the search and the open invoice stay
    /// while other areas are visited.
    invoices: Option<Box<Invoices>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ServerInfoState {
    Loading,
    Loaded(ServerInfo),
    Failed(ApiError),
}

#[derive(Debug, Clone)]
pub enum Message {
    Select(Area),
    SelectLanguage(Language),
    LogOut,
    LoggedOut(Result<(), ApiError>),
    ServerInfoLoaded(Result<ServerInfo, ApiError>),
    /// Boxed: the archive's messages carry whole accounts.
    Customers(Box<customers::Message>),
    /// Boxed: the import's messages carry reports.
    Import(Box<import::Message>),
    /// Boxed: tariff messages carry documents and quotes.
    Tariffs(Box<tariffs::Message>),
    /// Boxed: readings and billing carry sheets and bills.
    Billing(Box<billing::Message>),
    /// Boxed: the counter's messages carry accounts and payments.
    Counter(Box<counter::Message>),
    /// Boxed: invoice messages carry invoices.
    Invoices(Box<invoices::Message>),
}

impl Message {
    /// A message of the customer archive.
    pub fn customers(message: customers::Message) -> Self {
        Message::Customers(Box::new(message))
    }

    /// A message of the import area.
    pub fn import(message: import::Message) -> Self {
        Message::Import(Box::new(message))
    }

    /// A message of the tariffs area.
    pub fn tariffs(message: tariffs::Message) -> Self {
        Message::Tariffs(Box::new(message))
    }

    /// A message of readings and billing.
    pub fn billing(message: billing::Message) -> Self {
        Message::Billing(Box::new(message))
    }

    /// A message of the counter.
    pub fn counter(message: counter::Message) -> Self {
        Message::Counter(Box::new(message))
    }

    /// A message of the invoices area.
    pub fn invoices(message: invoices::Message) -> Self {
        Message::Invoices(Box::new(message))
    }
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    SwitchLanguage(Language),
    /// Back to the login screen; `reason` is shown there when the server
    /// ended the session rather than the user.
    LoggedOut {
        reason: Option<ApiError>,
    },
}

impl Home {
    /// The shell for a new session, and the task that fetches the server
    /// facts for the header and overview. Cashiers and supervisors start at
    /// the counter, everyone else on the overview.
    pub fn new(session: Session) -> (Self, Task<Message>) {
        let areas = areas_for(&session.user.roles);
        let info = Task::perform(api::server_info(session.clone()), Message::ServerInfoLoaded);
        let customers = areas
            .contains(&Area::Customers)
            .then(|| Box::new(Customers::new(session.clone())));
        let import = areas
            .contains(&Area::Import)
            .then(|| Box::new(Import::new(session.clone())));
        let tariffs = areas
            .contains(&Area::Tariffs)
            .then(|| Box::new(Tariffs::new(session.clone())));
        let billing = areas
            .contains(&Area::ReadingsAndBilling)
            .then(|| Box::new(Billing::new(session.clone())));
        let invoices = areas
            .contains(&Area::InvoicesAndReports)
            .then(|| Box::new(Invoices::new(session.clone())));
        let mut counter = areas
            .contains(&Area::Counter)
            .then(|| Box::new(Counter::new(session.clone())));
        let (selected, opened) = match &mut counter {
            Some(counter) => (Area::Counter, counter.opened().map(Message::counter)),
            None => (Area::Overview, Task::none()),
        };
        let home = Home {
            session,
            areas,
            selected,
            server_info: ServerInfoState::Loading,
            is_logging_out: false,
            customers,
            import,
            tariffs,
            billing,
            counter,
            invoices,
        };
        (home, Task::batch([info, opened]))
    }

    /// The receipt printer of this PC (from the settings).
    pub fn set_receipt_printer(&mut self, printer: &str) {
        if let Some(counter) = &mut self.counter {
            counter.set_printer(printer);
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn selected(&self) -> Area {
        self.selected
    }

    /// The customer archive, when the user's roles include it.
    pub fn customers(&self) -> Option<&Customers> {
        self.customers.as_deref()
    }

    /// The import area, when the user's roles include it.
    pub fn import(&self) -> Option<&Import> {
        self.import.as_deref()
    }

    /// The tariffs area, when the user's roles include it.
    pub fn tariffs(&self) -> Option<&Tariffs> {
        self.tariffs.as_deref()
    }

    /// Readings and billing, when the user's roles include it.
    pub fn billing(&self) -> Option<&Billing> {
        self.billing.as_deref()
    }

    /// The counter, when the user's roles include it.
    pub fn counter(&self) -> Option<&Counter> {
        self.counter.as_deref()
    }

    /// The invoices area, when the user's roles include it.
    pub fn invoices(&self) -> Option<&Invoices> {
        self.invoices.as_deref()
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Select(area) => {
                // Only what the navigation offers; a stale message must not
                // open an area the roles do not allow.
                if self.areas.contains(&area) {
                    self.selected = area;
                }
                if self.selected == Area::ReadingsAndBilling
                    && let Some(billing) = &mut self.billing
                {
                    return Action::Run(billing.opened().map(Message::billing));
                }
                if self.selected == Area::Tariffs
                    && let Some(tariffs) = &mut self.tariffs
                {
                    return Action::Run(tariffs.opened().map(Message::tariffs));
                }
                if self.selected == Area::Counter
                    && let Some(counter) = &mut self.counter
                {
                    return Action::Run(counter.opened().map(Message::counter));
                }
                if self.selected == Area::InvoicesAndReports
                    && let Some(invoices) = &mut self.invoices
                {
                    return Action::Run(invoices.opened().map(Message::invoices));
                }
                match (self.selected, &self.customers, &self.import) {
                    // Keyboard first: the cursor goes where typing starts.
                    (Area::Customers, Some(customers), _) => {
                        Action::Run(customers.focus().map(Message::customers))
                    }
                    (Area::Import, _, Some(import)) => {
                        Action::Run(import.focus().map(Message::import))
                    }
                    _ => Action::None,
                }
            }
            Message::Customers(message) => {
                let Some(customers) = &mut self.customers else {
                    return Action::None;
                };
                match customers.update(*message) {
                    customers::Action::None => Action::None,
                    customers::Action::Run(task) => Action::Run(task.map(Message::customers)),
                    customers::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::Import(message) => {
                let Some(import) = &mut self.import else {
                    return Action::None;
                };
                match import.update(*message) {
                    import::Action::None => Action::None,
                    import::Action::Run(task) => Action::Run(task.map(Message::import)),
                    import::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::Billing(message) => {
                let Some(billing) = &mut self.billing else {
                    return Action::None;
                };
                match billing.update(*message) {
                    billing::Action::None => Action::None,
                    billing::Action::Run(task) => Action::Run(task.map(Message::billing)),
                    billing::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::Counter(message) => {
                let Some(counter) = &mut self.counter else {
                    return Action::None;
                };
                match counter.update(*message) {
                    counter::Action::None => Action::None,
                    counter::Action::Run(task) => Action::Run(task.map(Message::counter)),
                    counter::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::Invoices(message) => {
                let Some(invoices) = &mut self.invoices else {
                    return Action::None;
                };
                match invoices.update(*message) {
                    invoices::Action::None => Action::None,
                    invoices::Action::Run(task) => Action::Run(task.map(Message::invoices)),
                    invoices::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::Tariffs(message) => {
                let Some(tariffs) = &mut self.tariffs else {
                    return Action::None;
                };
                match tariffs.update(*message) {
                    tariffs::Action::None => Action::None,
                    tariffs::Action::Run(task) => Action::Run(task.map(Message::tariffs)),
                    tariffs::Action::SessionExpired => Action::LoggedOut {
                        reason: Some(ApiError::SessionExpired),
                    },
                }
            }
            Message::SelectLanguage(language) => Action::SwitchLanguage(language),
            Message::LogOut => {
                if self.is_logging_out {
                    return Action::None;
                }
                self.is_logging_out = true;
                Action::Run(Task::perform(
                    api::logout(self.session.clone()),
                    Message::LoggedOut,
                ))
            }
            Message::LoggedOut(result) => {
                // The user wants out: a server that cannot be told still
                // expires the session by itself, so go back to login anyway.
                if let Err(error) = result {
                    tracing::warn!(%error, "logout failed; leaving the session to expire");
                }
                Action::LoggedOut { reason: None }
            }
            Message::ServerInfoLoaded(Ok(info)) => {
                self.server_info = ServerInfoState::Loaded(info);
                Action::None
            }
            Message::ServerInfoLoaded(Err(ApiError::SessionExpired)) => Action::LoggedOut {
                reason: Some(ApiError::SessionExpired),
            },
            Message::ServerInfoLoaded(Err(error)) => {
                tracing::warn!(%error, "cannot load server info");
                self.server_info = ServerInfoState::Failed(error);
                Action::None
            }
        }
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let company = match &self.server_info {
            ServerInfoState::Loaded(info) if !info.company_name.is_empty() => {
                info.company_name.clone()
            }
            _ => tr(language, Key::ProductName).to_owned(),
        };
        let user = &self.session.user;

        let header = widget::header_bar(
            text(company).size(18),
            row![
                text(user.display_name.as_str()),
                text(i18n::role_list(language, &user.roles))
                    .size(theme::TEXT_SMALL)
                    .style(theme::text::on_header_muted),
                widget::language_switch(language, Message::SelectLanguage),
                button(text(tr(
                    language,
                    if self.is_logging_out {
                        Key::LoggingOut
                    } else {
                        Key::LogOut
                    }
                )))
                .padding([4, 12])
                .style(theme::button::on_header)
                .on_press_maybe((!self.is_logging_out).then_some(Message::LogOut)),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        );

        let navigation = container(
            column(self.areas.iter().map(|&area| {
                button(text(i18n::area_name(language, area)))
                    .width(Length::Fill)
                    .padding([8, 14])
                    .style(theme::button::navigation(area == self.selected))
                    .on_press(Message::Select(area))
                    .into()
            }))
            .spacing(4),
        )
        .padding(10)
        .width(200)
        .height(Length::Fill)
        .style(theme::container::navigation);

        let content = match (self.selected, &self.customers, &self.import) {
            // The archive and the import lay out their own scrolling: their
            // tables and forms scroll inside a page that fills the window.
            (Area::Customers, Some(customers), _) => {
                customers.view(language).map(Message::customers)
            }
            (Area::Import, _, Some(import)) => import.view(language).map(Message::import),
            (Area::ReadingsAndBilling, _, _) => match &self.billing {
                Some(billing) => billing.view(language).map(Message::billing),
                None => scrollable(placeholder(language, Area::ReadingsAndBilling)).into(),
            },
            (Area::Tariffs, _, _) => match &self.tariffs {
                Some(tariffs) => tariffs.view(language).map(Message::tariffs),
                None => scrollable(placeholder(language, Area::Tariffs)).into(),
            },
            (Area::Overview, _, _) => scrollable(self.overview(language)).into(),
            (Area::Counter, _, _) => match &self.counter {
                Some(counter) => counter.view(language).map(Message::counter),
                None => scrollable(placeholder(language, Area::Counter)).into(),
            },
            (Area::InvoicesAndReports, _, _) => match &self.invoices {
                Some(invoices) => invoices.view(language).map(Message::invoices),
                None => scrollable(placeholder(language, Area::InvoicesAndReports)).into(),
            },
            (area, _, _) => scrollable(placeholder(language, area)).into(),
        };

        column![
            header,
            row![
                navigation,
                container(content)
                    .padding(20)
                    .width(Length::Fill)
                    .height(Length::Fill)
                    .style(theme::container::page),
            ]
            .height(Length::Fill),
        ]
        .into()
    }

    fn overview(&self, language: Language) -> Element<'_, Message> {
        let not_available = || tr(language, Key::NotAvailable).to_owned();
        let (server_version, schema_version, server_time) = match &self.server_info {
            ServerInfoState::Loaded(info) => (
                info.server_version.clone(),
                info.schema_version.clone(),
                info.server_time
                    .map(i18n::local_date_time)
                    .unwrap_or_else(not_available),
            ),
            ServerInfoState::Loading => {
                let loading = tr(language, Key::Loading).to_owned();
                (loading.clone(), loading.clone(), loading)
            }
            ServerInfoState::Failed(_) => (not_available(), not_available(), not_available()),
        };
        let expiry = self
            .session
            .expires_at
            .map(i18n::local_date_time)
            .unwrap_or_else(not_available);

        let fact = |label: Key, value: String| {
            row![
                text(tr(language, label))
                    .width(160)
                    .style(theme::text::muted),
                text(value),
            ]
            .spacing(12)
        };

        let mut facts = column![
            text(i18n::welcome(language, &self.session.user.display_name)).size(18),
            fact(Key::ServerVersion, server_version),
            fact(Key::SchemaVersion, schema_version),
            fact(Key::ServerTime, server_time),
            fact(Key::SessionExpiry, expiry),
        ]
        .spacing(12);

        if let ServerInfoState::Failed(error) = &self.server_info {
            let error = i18n::error_text(language, error);
            facts = facts.push(
                text(format!(
                    "{}: {}",
                    tr(language, Key::ServerInfoFailed),
                    error.headline
                ))
                .size(theme::TEXT_SMALL)
                .style(theme::text::error),
            );
        }

        card(facts.into())
    }
}

/// The content of an area that is not built yet.
fn placeholder(language: Language, area: Area) -> Element<'static, Message> {
    card(
        column![
            text(i18n::area_name(language, area)).size(18),
            text(tr(language, Key::ModuleComesLater)).style(theme::text::muted),
        ]
        .spacing(10)
        .into(),
    )
}

fn card(content: Element<'_, Message>) -> Element<'_, Message> {
    container(content)
        .padding(24)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn cashier_gets_counter_customers_and_invoices() {
        assert_eq!(
            areas_for(&[Cashier]),
            vec![
                Area::Overview,
                Area::Counter,
                Area::Customers,
                Area::Tariffs,
                Area::InvoicesAndReports
            ]
        );
    }

    #[test]
    fn every_role_sees_its_areas() {
        assert_eq!(
            areas_for(&[Supervisor]),
            vec![
                Area::Overview,
                Area::Counter,
                Area::Customers,
                Area::Tariffs,
                Area::WorkOrders,
                Area::InvoicesAndReports
            ]
        );
        assert_eq!(
            areas_for(&[BackOffice]),
            vec![
                Area::Overview,
                Area::Customers,
                Area::ReadingsAndBilling,
                Area::Tariffs,
                Area::Import,
                Area::WorkOrders,
                Area::Inspections,
                Area::InvoicesAndReports
            ]
        );
        assert_eq!(
            areas_for(&[Field]),
            vec![
                Area::Overview,
                Area::Customers,
                Area::ReadingsAndBilling,
                Area::WorkOrders,
                Area::Inspections
            ]
        );
        assert_eq!(
            areas_for(&[Finance]),
            vec![
                Area::Overview,
                Area::Customers,
                Area::Tariffs,
                Area::InvoicesAndReports
            ]
        );
        assert_eq!(
            areas_for(&[Admin]),
            vec![Area::Overview, Area::Administration]
        );
    }

    #[test]
    fn several_roles_combine_without_duplicates() {
        assert_eq!(
            areas_for(&[Cashier, Finance, Cashier]),
            vec![
                Area::Overview,
                Area::Counter,
                Area::Customers,
                Area::Tariffs,
                Area::InvoicesAndReports
            ]
        );
        assert_eq!(areas_for(&Role::ALL), Area::ALL.to_vec());
    }

    #[test]
    fn no_roles_still_sees_the_overview() {
        assert_eq!(areas_for(&[]), vec![Area::Overview]);
    }

    #[test]
    fn only_administrators_administer() {
        for role in Role::ALL {
            assert_eq!(
                areas_for(&[role]).contains(&Area::Administration),
                role == Admin,
                "{role}"
            );
        }
    }
}

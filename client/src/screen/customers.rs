//! 客户档案: the customer archive area of the home shell. A search page, one
//! account's detail in tabs, the open-account form, and the dialogs of the
//! account lifecycle over the detail.
//!
//! Intents are imperative (`Search`, `OpenAccount`, `SubmitDialog`),
//! outcomes past tense with a `Result` (`Searched`, `AccountLoaded`,
//! `AccountChanged`); `update` only builds tasks, the I/O is in
//! [`crate::api::archive`].

pub mod detail;
pub mod dialog;
pub mod export;
pub mod form;
pub mod open_account;
pub mod picker;
pub mod search;

use std::path::PathBuf;

use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::widget::{button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Length, Task};

use crate::api::archive::{self, Exported, RevealedPii};
use crate::api::{ApiError, Session};
use crate::i18n::archive::Key;
use crate::i18n::{Language, tr};
use crate::theme;
use crate::widget;

pub use detail::{Detail, Permissions, Tab};
pub use dialog::Dialog;
pub use export::Export;
pub use form::{FieldError, FieldErrors};
pub use open_account::OpenAccountForm;
pub use search::Search;

/// The page on show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Search,
    Detail,
    OpenAccount,
}

/// The open-account form with what its last submit brought.
#[derive(Debug, Clone)]
pub struct OpenForm {
    pub form: OpenAccountForm,
    pub attempted: bool,
    pub server_errors: FieldErrors,
    pub problem: Option<ApiError>,
    pub submitting: bool,
    /// Where 取消 goes back to.
    return_to: Page,
}

#[derive(Debug, Clone)]
pub struct Customers {
    session: Session,
    permissions: Permissions,
    page: Page,
    search: Search,
    export: Export,
    detail: Option<Detail>,
    open_form: Option<OpenForm>,
    dialog: Option<Dialog>,
}

#[derive(Debug, Clone)]
pub enum Message {
    QueryChanged(String),
    KindSelected(pb::SearchKind),
    IncludeClosedToggled(bool),
    Search,
    NextPage,
    PreviousPage,
    /// ↑ is -1, ↓ is +1.
    MoveSelection(isize),
    SelectRow(usize),
    OpenAccount(i64),
    Searched(Result<pb::SearchAccountsResponse, ApiError>),
    /// 导出查询结果 or 导出全部用户: asks where to save. The language is
    /// the save dialog's.
    Export {
        scope: export::Scope,
        language: Language,
    },
    /// The save dialog closed: where to write, `None` when closed without
    /// a choice.
    ExportPathPicked(Option<PathBuf>),
    /// 取消导出: stops the export in flight; no file is written.
    CancelExport,
    /// The answer of export `id`: rows and path, or why not.
    Exported {
        id: u64,
        result: Result<Exported, ApiError>,
    },
    AccountLoaded(Result<pb::AccountDetail, ApiError>),
    BackToSearch,
    ReloadAccount,
    SelectTab(Tab),
    LoadOlderChanges,
    ChangesLoaded {
        account_id: i64,
        before_id: i64,
        result: Result<Vec<pb::ChangeRecord>, ApiError>,
    },
    StartOpenAccount,
    OpenForm(open_account::Message),
    SubmitOpenAccount,
    CancelOpenAccount,
    AccountOpened(Result<pb::AccountDetail, ApiError>),
    ShowDialog(dialog::Kind),
    Dialog(dialog::Message),
    /// Submits the open dialog (or its approval dialog).
    SubmitDialog,
    /// Closes the approval dialog if open, else the dialog.
    CancelDialog,
    /// The answer of a lifecycle call or an edit.
    AccountChanged(Result<pb::AccountDetail, ApiError>),
    PiiRevealed(Result<RevealedPii, ApiError>),
    HidePii,
    /// Enter in a field of the open-account form: on to the next field, as
    /// data-entry staff expect.
    FocusNext,
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// The server ended the session: back to the login screen.
    SessionExpired,
}

/// What a user with `roles` may do in the archive.
pub fn permissions_for(roles: &[Role]) -> Permissions {
    Permissions {
        can_edit: roles.contains(&Role::BackOffice),
        can_reveal: roles.contains(&Role::BackOffice),
    }
}

fn focus(id: impl Into<iced::widget::Id>) -> Task<Message> {
    iced::widget::operation::focus(id.into())
}

impl Customers {
    pub fn new(session: Session) -> Self {
        let permissions = permissions_for(&session.user.roles);
        Customers {
            session,
            permissions,
            page: Page::Search,
            search: Search::default(),
            export: Export::default(),
            detail: None,
            open_form: None,
            dialog: None,
        }
    }

    /// Puts the cursor where the page's typing starts.
    pub fn focus(&self) -> Task<Message> {
        match self.page {
            Page::Search => focus(search::SEARCH_INPUT),
            Page::OpenAccount => match &self.open_form {
                Some(open) => focus(form::input_id(
                    open_account::ID_PREFIX,
                    open.form.holder.first_input(),
                )),
                None => Task::none(),
            },
            Page::Detail => match &self.dialog {
                Some(dialog) => focus(dialog.first_input()),
                None => Task::none(),
            },
        }
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    pub fn search(&self) -> &Search {
        &self.search
    }

    pub fn export(&self) -> &Export {
        &self.export
    }

    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    pub fn open_form(&self) -> Option<&OpenForm> {
        self.open_form.as_ref()
    }

    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }

    fn account_data(&self) -> Option<&pb::AccountDetail> {
        self.detail.as_ref()?.data.as_ref()
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::QueryChanged(query) => self.search.query = query,
            Message::KindSelected(kind) => {
                self.search.kind = kind;
                return Action::Run(focus(search::SEARCH_INPUT));
            }
            Message::IncludeClosedToggled(include) => self.search.include_closed = include,
            Message::Search => {
                let request = self.search.begin();
                return self.run_search(request);
            }
            Message::NextPage => {
                let request = self.search.next_page();
                return self.run_search(request);
            }
            Message::PreviousPage => {
                let request = self.search.previous_page();
                return self.run_search(request);
            }
            Message::MoveSelection(step) => {
                if self.page == Page::Search {
                    self.search.move_selection(step);
                }
            }
            Message::SelectRow(index) => {
                if index < self.search.results.len() {
                    self.search.selected = Some(index);
                }
            }
            Message::OpenAccount(account_id) => {
                if let Some(index) = self
                    .search
                    .results
                    .iter()
                    .position(|hit| hit.account_id == account_id)
                {
                    self.search.selected = Some(index);
                }
                self.page = Page::Detail;
                self.dialog = None;
                self.detail = Some(Detail::loading(account_id));
                return self.load_account(account_id);
            }
            Message::Searched(Ok(response)) => self.search.found(response),
            Message::Searched(Err(error)) => {
                if error == ApiError::SessionExpired {
                    return Action::SessionExpired;
                }
                self.search.failed(error);
            }
            Message::Export { scope, language } => {
                return self.export.start(scope, &self.search, language);
            }
            Message::ExportPathPicked(picked) => {
                return self.export.path_picked(&self.session, picked);
            }
            Message::CancelExport => self.export.cancel(),
            Message::Exported { id, result } => return self.export.finished(id, result),
            Message::AccountLoaded(result) => return self.account_loaded(result),
            Message::BackToSearch => {
                if self.dialog.is_some() {
                    return Action::None;
                }
                self.page = Page::Search;
                self.detail = None;
                return Action::Run(focus(search::SEARCH_INPUT));
            }
            Message::ReloadAccount => {
                let Some(detail) = &mut self.detail else {
                    return Action::None;
                };
                if detail.loading {
                    return Action::None;
                }
                detail.loading = true;
                detail.notice = None;
                let account_id = detail.account_id;
                return self.load_account(account_id);
            }
            Message::SelectTab(tab) => {
                let Some(detail) = &mut self.detail else {
                    return Action::None;
                };
                detail.tab = tab;
                return self.load_changes_if_needed();
            }
            Message::LoadOlderChanges => {
                let Some(detail) = &mut self.detail else {
                    return Action::None;
                };
                let Some(before_id) = detail.older_changes_before() else {
                    return Action::None;
                };
                detail.changes.loading = true;
                return Action::Run(self.changes_task(before_id));
            }
            Message::ChangesLoaded {
                account_id,
                before_id,
                result,
            } => {
                let Some(detail) = self
                    .detail
                    .as_mut()
                    .filter(|detail| detail.account_id == account_id)
                else {
                    return Action::None;
                };
                match result {
                    Ok(records) => detail.changes_loaded(before_id, records),
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => {
                        detail.changes.loading = false;
                        detail.changes.problem = Some(error);
                    }
                }
            }
            Message::StartOpenAccount => {
                if !self.permissions.can_edit {
                    return Action::None;
                }
                if self.open_form.is_none() {
                    self.open_form = Some(OpenForm {
                        form: OpenAccountForm::new(open_account::new_idempotency_key()),
                        attempted: false,
                        server_errors: FieldErrors::new(),
                        problem: None,
                        submitting: false,
                        return_to: self.page,
                    });
                }
                self.page = Page::OpenAccount;
                return Action::Run(self.focus());
            }
            Message::OpenForm(message) => {
                if let open_account::Message::Holder(picker::Message::Searched {
                    result: Err(ApiError::SessionExpired),
                    ..
                }) = &message
                {
                    return Action::SessionExpired;
                }
                let Some(open) = &mut self.open_form else {
                    return Action::None;
                };
                // Edits wait while the form is sent; a lookup's answer
                // does not.
                if message.is_edit() {
                    if open.submitting {
                        return Action::None;
                    }
                    open.server_errors.remove(&message.path());
                }
                let action = open.form.update(message);
                return self.picker_action(action, open_account::ID_PREFIX, open_holder);
            }
            Message::SubmitOpenAccount => return self.submit_open_account(),
            Message::CancelOpenAccount => {
                let Some(open) = &self.open_form else {
                    return Action::None;
                };
                if open.submitting {
                    return Action::None;
                }
                self.page = match open.return_to {
                    Page::Detail if self.detail.is_some() => Page::Detail,
                    _ => Page::Search,
                };
                self.open_form = None;
                return Action::Run(self.focus());
            }
            Message::AccountOpened(result) => return self.account_opened(result),
            Message::ShowDialog(kind) => {
                let allowed = match kind {
                    dialog::Kind::Reveal => self.permissions.can_reveal,
                    _ => self.permissions.can_edit,
                };
                let Some(data) = self.account_data() else {
                    return Action::None;
                };
                if !allowed || self.dialog.is_some() {
                    return Action::None;
                }
                let dialog = Dialog::new(kind, data);
                let first = dialog.first_input();
                self.dialog = Some(dialog);
                return Action::Run(focus(first));
            }
            Message::Dialog(message) => {
                if let dialog::Message::Holder(picker::Message::Searched {
                    result: Err(ApiError::SessionExpired),
                    ..
                }) = &message
                {
                    return Action::SessionExpired;
                }
                let Some(dialog) = &mut self.dialog else {
                    return Action::None;
                };
                if dialog.submitting && message.is_edit() {
                    return Action::None;
                }
                let action = dialog.update(message);
                return self.picker_action(action, dialog::ID_PREFIX, dialog_holder);
            }
            Message::SubmitDialog => return self.submit_dialog(),
            Message::CancelDialog => {
                if let Some(dialog) = &mut self.dialog
                    && !dialog.submitting
                {
                    if dialog.approval.is_some() {
                        dialog.approval = None;
                    } else {
                        self.dialog = None;
                    }
                }
            }
            Message::AccountChanged(result) => return self.account_changed(result),
            Message::PiiRevealed(result) => {
                let Some(dialog) = &mut self.dialog else {
                    return Action::None;
                };
                dialog.submitting = false;
                match result {
                    Ok(revealed) => {
                        self.dialog = None;
                        if let Some(detail) = &mut self.detail {
                            detail.revealed = Some(revealed);
                        }
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => dialog.problem = Some(error),
                }
            }
            Message::HidePii => {
                if let Some(detail) = &mut self.detail {
                    detail.revealed = None;
                }
            }
            Message::FocusNext => return Action::Run(iced::widget::operation::focus_next()),
        }
        Action::None
    }

    /// Runs what a customer picker asked for: its lookup, or a move of the
    /// cursor into the form with `id_prefix`. `wrap` makes the area's
    /// message of the picker's.
    fn picker_action(
        &self,
        action: picker::Action,
        id_prefix: &str,
        wrap: fn(picker::Message) -> Message,
    ) -> Action {
        match action {
            picker::Action::None => Action::None,
            picker::Action::Focus(path) => Action::Run(focus(form::input_id(id_prefix, path))),
            picker::Action::Search(request) => {
                let query = request.query.clone();
                Action::Run(Task::perform(
                    archive::search_accounts(self.session.clone(), request),
                    move |result| {
                        wrap(picker::Message::Searched {
                            query: query.clone(),
                            result,
                        })
                    },
                ))
            }
        }
    }

    fn run_search(&mut self, request: Option<pb::SearchAccountsRequest>) -> Action {
        match request {
            Some(request) => Action::Run(Task::perform(
                archive::search_accounts(self.session.clone(), request),
                Message::Searched,
            )),
            None => Action::None,
        }
    }

    fn load_account(&self, account_id: i64) -> Action {
        Action::Run(Task::perform(
            archive::get_account(self.session.clone(), account_id),
            Message::AccountLoaded,
        ))
    }

    fn changes_task(&self, before_id: i64) -> Task<Message> {
        let Some(detail) = &self.detail else {
            return Task::none();
        };
        let account_id = detail.account_id;
        Task::perform(
            archive::list_changes(self.session.clone(), account_id, before_id),
            move |result| Message::ChangesLoaded {
                account_id,
                before_id,
                result,
            },
        )
    }

    /// The change records are fetched when their tab is open and they are
    /// not there yet.
    fn load_changes_if_needed(&mut self) -> Action {
        let Some(detail) = &mut self.detail else {
            return Action::None;
        };
        if detail.tab != Tab::Changes || detail.changes.requested || detail.data.is_none() {
            return Action::None;
        }
        detail.changes.requested = true;
        detail.changes.loading = true;
        Action::Run(self.changes_task(0))
    }

    fn account_loaded(&mut self, result: Result<pb::AccountDetail, ApiError>) -> Action {
        let Some(detail) = &mut self.detail else {
            return Action::None;
        };
        match result {
            Ok(data) => {
                let account_id = data.account.as_ref().map(|account| account.id);
                if account_id != Some(detail.account_id) {
                    // A late answer about an account left since.
                    return Action::None;
                }
                detail.loaded(data);
                if let (Some(dialog), Some(data)) = (&mut self.dialog, &detail.data) {
                    dialog.rebase(data);
                }
                self.load_changes_if_needed()
            }
            Err(ApiError::SessionExpired) => Action::SessionExpired,
            Err(error) => {
                detail.loading = false;
                if let Some(dialog) = &mut self.dialog {
                    dialog.problem = Some(error.clone());
                }
                detail.problem = Some(error);
                Action::None
            }
        }
    }

    fn submit_open_account(&mut self) -> Action {
        let Some(open) = &mut self.open_form else {
            return Action::None;
        };
        if open.submitting {
            return Action::None;
        }
        open.attempted = true;
        let Ok(request) = open.form.to_request() else {
            // The fields say what is wrong.
            open.problem = None;
            return Action::None;
        };
        open.submitting = true;
        open.problem = None;
        Action::Run(Task::perform(
            archive::open_account(self.session.clone(), request),
            Message::AccountOpened,
        ))
    }

    fn account_opened(&mut self, result: Result<pb::AccountDetail, ApiError>) -> Action {
        let Some(open) = &mut self.open_form else {
            return Action::None;
        };
        open.submitting = false;
        match result {
            Ok(data) => {
                let account_id = data
                    .account
                    .as_ref()
                    .map(|account| account.id)
                    .unwrap_or_default();
                let mut detail = Detail::loading(account_id);
                detail.loaded(data);
                detail.notice = Some(Key::AccountOpenedNotice);
                self.detail = Some(detail);
                self.dialog = None;
                self.open_form = None;
                self.page = Page::Detail;
                Action::None
            }
            Err(ApiError::SessionExpired) => Action::SessionExpired,
            Err(error) => {
                let mut task = Action::None;
                if let ApiError::InvalidField { field, message } = &error
                    && !field.is_empty()
                {
                    open.server_errors
                        .insert(field.clone(), FieldError::Server(message.clone()));
                    // The cursor goes to the field to correct.
                    task = Action::Run(focus(form::input_id(open_account::ID_PREFIX, field)));
                }
                open.problem = Some(error);
                task
            }
        }
    }

    fn submit_dialog(&mut self) -> Action {
        let (Some(dialog), Some(detail)) = (&mut self.dialog, &self.detail) else {
            return Action::None;
        };
        let Some(data) = &detail.data else {
            return Action::None;
        };
        if dialog.submitting || detail.loading {
            return Action::None;
        }
        dialog.attempted = true;
        let Ok(request) = dialog.to_request(data) else {
            return Action::None;
        };
        let approval = match &dialog.approval {
            Some(approval)
                if approval.username.trim().is_empty() || approval.password.is_empty() =>
            {
                return Action::None;
            }
            Some(approval) => Some(archive::Approval {
                username: approval.username.trim().to_owned(),
                password: approval.password.clone(),
            }),
            None => None,
        };
        dialog.submitting = true;
        dialog.problem = None;
        if let Some(approval) = &mut dialog.approval {
            approval.problem = None;
        }

        let session = self.session.clone();
        let task = match request {
            dialog::Request::Transfer(request) => Task::perform(
                archive::transfer_account(session, request, approval),
                Message::AccountChanged,
            ),
            dialog::Request::Close(request) => Task::perform(
                archive::close_account(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::Suspend(request) => Task::perform(
                archive::set_account_suspended(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::ReplaceMeter(request) => Task::perform(
                archive::replace_meter(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::Household(request) => Task::perform(
                archive::register_household(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::UpdateCustomer(request) => Task::perform(
                archive::update_customer(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::UpdatePremise(request) => Task::perform(
                archive::update_premise(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::UpdateAccount(request) => Task::perform(
                archive::update_account(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::UpdateContract(request) => Task::perform(
                archive::update_contract(session, request),
                Message::AccountChanged,
            ),
            dialog::Request::Reveal {
                customer_id,
                reason,
            } => Task::perform(
                archive::reveal_customer_pii(session, customer_id, reason),
                Message::PiiRevealed,
            ),
        };
        Action::Run(task)
    }

    fn account_changed(&mut self, result: Result<pb::AccountDetail, ApiError>) -> Action {
        let (Some(dialog), Some(detail)) = (&mut self.dialog, &mut self.detail) else {
            return Action::None;
        };
        dialog.submitting = false;
        match result {
            Ok(data) => {
                let notice = done_notice(dialog);
                self.dialog = None;
                detail.loaded(data);
                detail.notice = Some(notice);
                self.load_changes_if_needed()
            }
            Err(ApiError::SessionExpired) => Action::SessionExpired,
            Err(ApiError::StaleVersion(message)) => {
                // Reload, keep what was typed, and say why (and who).
                dialog.problem = Some(ApiError::StaleVersion(message));
                detail.loading = true;
                let account_id = detail.account_id;
                self.load_account(account_id)
            }
            Err(ApiError::ApprovalRequired(reason)) => {
                let error = ApiError::ApprovalRequired(reason);
                match &mut dialog.approval {
                    // Asked again: the approval given was not enough.
                    Some(approval) => approval.problem = Some(error),
                    None => dialog.approval = Some(dialog::ApprovalForm::default()),
                }
                Action::Run(focus(dialog::APPROVAL_USERNAME_INPUT))
            }
            Err(error) => {
                if let Some(approval) = &mut dialog.approval {
                    // A wrong supervisor password (`approval.password`), a
                    // user who is no supervisor (`approval.username`)…
                    if matches!(&error, ApiError::InvalidField { field, .. } if field == "approval.password")
                    {
                        approval.password = crate::secret::Secret::default();
                    }
                    approval.problem = Some(error);
                    return Action::None;
                }
                let mut task = Action::None;
                if let ApiError::InvalidField { field, message } = &error
                    && !field.is_empty()
                {
                    dialog
                        .server_errors
                        .insert(field.clone(), FieldError::Server(message.clone()));
                    task = Action::Run(focus(form::input_id(dialog::ID_PREFIX, field)));
                }
                dialog.problem = Some(error);
                task
            }
        }
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let page: Element<'_, Message> = match self.page {
            Page::Search => self
                .search
                .view(language, self.permissions.can_edit, &self.export),
            Page::Detail => match &self.detail {
                Some(detail) => {
                    let busy = detail.loading || self.dialog.is_some();
                    detail.view(language, self.permissions, busy)
                }
                None => self
                    .search
                    .view(language, self.permissions.can_edit, &self.export),
            },
            Page::OpenAccount => match &self.open_form {
                Some(open) => open_form_view(language, open),
                None => self
                    .search
                    .view(language, self.permissions.can_edit, &self.export),
            },
        };

        let page = match (&self.dialog, self.account_data()) {
            (Some(dialog), Some(data)) => {
                let busy = self.detail.as_ref().is_some_and(|detail| detail.loading);
                let over = widget::modal(
                    page,
                    dialog.view(
                        language,
                        data,
                        busy,
                        Message::Dialog,
                        Message::SubmitDialog,
                        Message::CancelDialog,
                    ),
                );
                match dialog.approval_view(
                    language,
                    Message::Dialog,
                    Message::SubmitDialog,
                    Message::CancelDialog,
                ) {
                    Some(approval) => widget::modal(over, approval),
                    None => over,
                }
            }
            _ => page,
        };

        let (current, dialog_open) = (self.page, self.dialog.is_some());
        // ↑/↓ move through the hits of a customer lookup while it has some.
        let lookup: Option<fn(picker::Message) -> Message> = match (&self.dialog, &self.open_form) {
            (Some(dialog), _) => dialog
                .picker()
                .filter(|picker| picker.takes_arrows() && dialog.approval.is_none())
                .map(|_| dialog_holder as fn(picker::Message) -> Message),
            (None, Some(open))
                if self.page == Page::OpenAccount && open.form.holder.takes_arrows() =>
            {
                Some(open_holder)
            }
            _ => None,
        };
        widget::on_unhandled_key(page, move |key, _modifiers| {
            use keyboard::Key::Named;
            if let Some(wrap) = lookup {
                match key {
                    Named(key::Named::ArrowDown) => return Some(wrap(picker::Message::Move(1))),
                    Named(key::Named::ArrowUp) => return Some(wrap(picker::Message::Move(-1))),
                    _ => {}
                }
            }
            match (current, dialog_open, key) {
                (_, true, Named(key::Named::Escape)) => Some(Message::CancelDialog),
                // Enter that no field took submits the dialog (its checks
                // and required reason still apply).
                (_, true, Named(key::Named::Enter)) => Some(Message::SubmitDialog),
                (_, true, _) => None,
                (Page::OpenAccount, _, Named(key::Named::Enter)) => Some(Message::FocusNext),
                (Page::Search, _, Named(key::Named::ArrowDown)) => Some(Message::MoveSelection(1)),
                (Page::Search, _, Named(key::Named::ArrowUp)) => Some(Message::MoveSelection(-1)),
                (Page::Search, _, Named(key::Named::PageDown)) => Some(Message::NextPage),
                (Page::Search, _, Named(key::Named::PageUp)) => Some(Message::PreviousPage),
                (Page::Detail, _, Named(key::Named::Escape)) => Some(Message::BackToSearch),
                (Page::Detail, _, Named(key::Named::F5)) => Some(Message::ReloadAccount),
                _ => None,
            }
        })
    }
}

fn open_holder(message: picker::Message) -> Message {
    Message::OpenForm(open_account::Message::Holder(message))
}

fn dialog_holder(message: picker::Message) -> Message {
    Message::Dialog(dialog::Message::Holder(message))
}

/// The green note after a dialog's call succeeded.
fn done_notice(dialog: &Dialog) -> Key {
    match &dialog.fields {
        dialog::Fields::Transfer { .. } => Key::TransferDone,
        dialog::Fields::Close { .. } => Key::CloseDone,
        dialog::Fields::Suspend { suspend: true } => Key::SuspendDone,
        dialog::Fields::Suspend { suspend: false } => Key::ResumeDone,
        dialog::Fields::ReplaceMeter { .. } => Key::ReplaceMeterDone,
        dialog::Fields::Household { .. } => Key::HouseholdDone,
        dialog::Fields::EditCustomer { .. }
        | dialog::Fields::EditPremise { .. }
        | dialog::Fields::EditAccount { .. }
        | dialog::Fields::EditContract { .. }
        | dialog::Fields::Reveal => Key::ChangesSaved,
    }
}

fn open_form_view(language: Language, open: &OpenForm) -> Element<'_, Message> {
    let validation = open.form.validation();
    let context = form::FormContext {
        language,
        id_prefix: open_account::ID_PREFIX,
        validation: &validation,
        server: &open.server_errors,
        attempted: open.attempted,
        enabled: !open.submitting,
    };

    let top = row![
        button(text(tr(language, Key::Cancel)).size(14))
            .padding([6, 14])
            .style(theme::button::secondary)
            .on_press_maybe((!open.submitting).then_some(Message::CancelOpenAccount)),
        text(tr(language, Key::OpenAccountTitle)).size(18),
        iced::widget::space::horizontal(),
    ]
    .spacing(14)
    .align_y(Alignment::Center);

    let fields = open.form.view(&context).map(Message::OpenForm);

    let mut footer = column![].spacing(10);
    if open.attempted && !validation.is_empty() {
        footer = footer.push(
            text(crate::i18n::archive::fields_to_fix(
                language,
                validation.len(),
            ))
            .size(13)
            .style(theme::text::error),
        );
    }
    if let Some(problem) = &open.problem {
        footer = footer.push(dialog::problem_box(language, problem));
    }
    footer = footer.push(
        row![
            iced::widget::space::horizontal(),
            button(text(tr(language, Key::Cancel)))
                .padding([8, 20])
                .style(theme::button::secondary)
                .on_press_maybe((!open.submitting).then_some(Message::CancelOpenAccount)),
            button(text(tr(
                language,
                if open.submitting {
                    Key::Submitting
                } else {
                    Key::SubmitOpenAccount
                }
            )))
            .padding([8, 20])
            .style(theme::button::primary)
            .on_press_maybe((!open.submitting).then_some(Message::SubmitOpenAccount)),
        ]
        .spacing(10),
    );

    column![
        top,
        container(scrollable(container(fields).padding(iced::Padding {
            right: 14.0,
            ..iced::Padding::ZERO
        })))
        .padding(18)
        .width(Length::Fill)
        .height(Length::Fill)
        .style(theme::container::card),
        footer,
    ]
    .spacing(12)
    .height(Length::Fill)
    .into()
}

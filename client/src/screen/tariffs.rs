//! 气价方案: the tariffs (price policies) of the company. A list with the
//! default, the latest revision, drafts and the notes of what a preset's
//! source lacked; one tariff as readable tables (方案内容); its draft edited
//! field by field (编辑草稿) or as TOML (高级), saved and published; and the
//! 试算 panel that prices a consumption with the published revision or the
//! draft.
//!
//! Everyone with the area reads and quotes; only back office edits (the
//! server enforces it too). Intents are imperative (`SaveDraft`,
//! `ConfirmPublish`), outcomes past tense with a `Result` (`DraftSaved`,
//! `Published`); `update` only builds tasks, the I/O is in
//! [`crate::api::tariffs`].

pub mod editor;
pub mod form;
pub mod quote;
pub mod tables;

use chrono::NaiveDate;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use gascis_common::tariff::{Tariff, TariffError};
use iced::widget::{button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::api::tariffs::{self as api, Documents};
use crate::api::{ApiError, Session};
use crate::i18n::tariffs::{self as texts, Key};
use crate::i18n::{self, Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::theme::container::Tone;
use crate::widget;

pub use editor::Editor;
pub use quote::Panel;

/// The id of the note asked for by 发布.
pub const PUBLISH_NOTE_INPUT: &str = "tariff-publish-note";

/// The page on show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    List,
    Tariff,
}

/// The tabs of a tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 方案内容: the document as tables.
    View,
    /// 编辑草稿: the common changes, field by field.
    Edit,
    /// 高级: the TOML document.
    Advanced,
    /// 试算
    Quote,
}

/// Which document the 方案内容 tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Published,
    Draft,
}

/// A document read from the server, and the tariff it holds.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub document: pb::TariffDocument,
    pub tariff: Result<Tariff, TariffError>,
}

impl Loaded {
    fn new(document: pb::TariffDocument) -> Self {
        let tariff = Tariff::from_toml(&document.toml);
        Loaded { document, tariff }
    }

    pub fn tariff(&self) -> Option<&Tariff> {
        self.tariff.as_ref().ok()
    }
}

/// A success to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    DefaultSet(String),
    DraftSaved,
    Published(i64),
}

/// The 发布 dialog.
#[derive(Debug, Clone, Default)]
pub struct PublishDialog {
    pub note: String,
    pub note_missing: bool,
    pub busy: bool,
}

/// The tariff that is open.
#[derive(Debug, Clone)]
pub struct Open {
    pub code: String,
    pub loading: bool,
    pub problem: Option<ApiError>,
    pub published: Option<Loaded>,
    pub draft: Option<Loaded>,
    pub tab: Tab,
    pub shown: Shown,
    /// Back office only.
    pub editor: Option<Editor>,
    pub saving: bool,
    pub save_problem: Option<ApiError>,
    pub publish: Option<PublishDialog>,
    pub publish_problem: Option<ApiError>,
    pub quote: Panel,
}

impl Open {
    fn new(code: String, today: NaiveDate) -> Self {
        Open {
            code,
            loading: true,
            problem: None,
            published: None,
            draft: None,
            tab: Tab::View,
            shown: Shown::Published,
            editor: None,
            saving: false,
            save_problem: None,
            publish: None,
            publish_problem: None,
            quote: Panel::new(today),
        }
    }

    /// The document on show in 方案内容.
    pub fn shown_document(&self) -> Option<&Loaded> {
        match self.shown {
            Shown::Published => self.published.as_ref().or(self.draft.as_ref()),
            Shown::Draft => self.draft.as_ref().or(self.published.as_ref()),
        }
    }

    /// The draft if there is one, else the published revision: what editing
    /// starts from.
    fn working_base(&self) -> Option<Tariff> {
        self.draft
            .as_ref()
            .and_then(Loaded::tariff)
            .or_else(|| self.published.as_ref().and_then(Loaded::tariff))
            .cloned()
    }

    fn has_unsaved_changes(&self) -> bool {
        self.editor.as_ref().is_some_and(Editor::is_changed)
    }

    /// Whether 发布 may be pressed: a draft is kept and the editor holds
    /// nothing beyond it.
    pub fn can_publish(&self) -> bool {
        self.draft.is_some()
            && !self.saving
            && self.publish.is_none()
            && !self.has_unsaved_changes()
    }
}

#[derive(Debug, Clone)]
pub struct Tariffs {
    session: Session,
    can_edit: bool,
    today: NaiveDate,
    page: Page,
    list: Vec<pb::TariffSummary>,
    listing: bool,
    listed: bool,
    list_problem: Option<ApiError>,
    setting_default: Option<String>,
    notice: Option<Notice>,
    open: Option<Open>,
    /// A tariff asked for while the open one has unsaved changes.
    switch_to: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Refresh,
    Listed(Result<Vec<pb::TariffSummary>, ApiError>),
    SetDefault(String),
    DefaultSet(Result<String, ApiError>),
    Open(String),
    /// Opens the asked-for tariff, dropping the unsaved changes.
    DiscardAndSwitch,
    KeepEditing,
    Opened(Result<Documents, ApiError>),
    BackToList,
    SelectTab(Tab),
    Show(Shown),
    Editor(editor::Message),
    SaveDraft,
    DraftSaved(Result<pb::TariffDocument, ApiError>),
    AskPublish,
    PublishNoteChanged(String),
    CancelPublish,
    ConfirmPublish,
    Published(Result<pb::TariffDocument, ApiError>),
    /// The 试算 panel; its `Run` sends the quote.
    Quote(quote::Message),
    Quoted {
        id: u64,
        outcome: quote::Outcome,
    },
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// The server ended the session: back to the login screen.
    SessionExpired,
}

/// Whether a user with `roles` may edit tariffs (the server's rule).
pub fn can_edit(roles: &[Role]) -> bool {
    roles.contains(&Role::BackOffice)
}

impl Tariffs {
    pub fn new(session: Session) -> Self {
        Self::new_on(session, chrono::Local::now().date_naive())
    }

    /// The area as it would be on `today` (tests pin the day).
    pub fn new_on(session: Session, today: NaiveDate) -> Self {
        Tariffs {
            can_edit: can_edit(&session.user.roles),
            session,
            today,
            page: Page::List,
            list: Vec::new(),
            listing: false,
            listed: false,
            list_problem: None,
            setting_default: None,
            notice: None,
            open: None,
            switch_to: None,
        }
    }

    /// The area was opened: the list is read (again).
    pub fn opened(&mut self) -> Task<Message> {
        self.list_task()
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn list(&self) -> &[pb::TariffSummary] {
        &self.list
    }

    pub fn can_edit(&self) -> bool {
        self.can_edit
    }

    pub fn open(&self) -> Option<&Open> {
        self.open.as_ref()
    }

    pub fn editor(&self) -> Option<&Editor> {
        self.open.as_ref().and_then(|open| open.editor.as_ref())
    }

    pub fn quote_panel(&self) -> Option<&Panel> {
        self.open.as_ref().map(|open| &open.quote)
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn today(&self) -> NaiveDate {
        self.today
    }

    fn summary(&self, code: &str) -> Option<&pb::TariffSummary> {
        self.list.iter().find(|summary| summary.code == code)
    }

    fn list_task(&mut self) -> Task<Message> {
        if self.listing {
            return Task::none();
        }
        self.listing = true;
        self.list_problem = None;
        Task::perform(api::list_tariffs(self.session.clone()), Message::Listed)
    }

    fn open_task(&mut self, code: String) -> Task<Message> {
        let (has_published, has_draft) = self.summary(&code).map_or((true, false), |summary| {
            (summary.revision_id > 0, summary.has_draft)
        });
        self.open = Some(Open::new(code.clone(), self.today));
        self.page = Page::Tariff;
        self.notice = None;
        self.switch_to = None;
        Task::perform(
            api::open_tariff(self.session.clone(), code, has_published, has_draft),
            Message::Opened,
        )
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::Refresh => return Action::Run(self.list_task()),
            Message::Listed(result) => {
                self.listing = false;
                match result {
                    Ok(list) => {
                        self.list = list;
                        self.listed = true;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.list_problem = Some(error),
                }
            }
            Message::SetDefault(code) => {
                if !self.can_edit || self.setting_default.is_some() {
                    return Action::None;
                }
                self.setting_default = Some(code.clone());
                self.notice = None;
                self.list_problem = None;
                return Action::Run(Task::perform(
                    api::set_default(self.session.clone(), code),
                    Message::DefaultSet,
                ));
            }
            Message::DefaultSet(result) => {
                self.setting_default = None;
                match result {
                    Ok(code) => {
                        for summary in &mut self.list {
                            summary.is_default = summary.code == code;
                        }
                        self.notice = Some(Notice::DefaultSet(code));
                        return Action::Run(self.list_task());
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.list_problem = Some(error),
                }
            }
            Message::Open(code) => {
                if let Some(open) = &self.open
                    && open.code == code
                    && (open.loading || open.has_unsaved_changes())
                {
                    // The same tariff with work in it: back to it as it was.
                    self.page = Page::Tariff;
                    return Action::None;
                }
                if self.open.as_ref().is_some_and(Open::has_unsaved_changes) {
                    self.switch_to = Some(code);
                    return Action::None;
                }
                return Action::Run(self.open_task(code));
            }
            Message::DiscardAndSwitch => {
                if let Some(code) = self.switch_to.take() {
                    return Action::Run(self.open_task(code));
                }
            }
            Message::KeepEditing => {
                self.switch_to = None;
                if self.open.is_some() {
                    self.page = Page::Tariff;
                }
            }
            Message::Opened(result) => return self.opened_documents(result),
            Message::BackToList => {
                self.page = Page::List;
                self.switch_to = None;
                return Action::Run(self.list_task());
            }
            Message::SelectTab(tab) => {
                let can_edit = self.can_edit;
                if let Some(open) = &mut self.open {
                    let allowed = match tab {
                        Tab::View | Tab::Quote => true,
                        Tab::Edit | Tab::Advanced => can_edit && open.editor.is_some(),
                    };
                    if allowed {
                        open.tab = tab;
                        if tab == Tab::Advanced
                            && let Some(editor) = &mut open.editor
                        {
                            editor.refresh_raw();
                        }
                    }
                }
            }
            Message::Show(shown) => {
                if let Some(open) = &mut self.open {
                    open.shown = shown;
                }
            }
            Message::Editor(message) => {
                if let Some(open) = &mut self.open
                    && !open.saving
                    && let Some(editor) = &mut open.editor
                {
                    editor.update(message);
                    open.save_problem = None;
                    open.publish_problem = None;
                    self.notice = None;
                }
            }
            Message::SaveDraft => return self.save_draft(),
            Message::DraftSaved(result) => return self.draft_saved(result),
            Message::AskPublish => {
                if self.can_edit
                    && let Some(open) = &mut self.open
                    && open.can_publish()
                {
                    open.publish = Some(PublishDialog::default());
                    open.publish_problem = None;
                    return Action::Run(iced::widget::operation::focus(PUBLISH_NOTE_INPUT));
                }
            }
            Message::PublishNoteChanged(note) => {
                if let Some(dialog) = self.open.as_mut().and_then(|open| open.publish.as_mut())
                    && !dialog.busy
                {
                    dialog.note = note;
                    dialog.note_missing = false;
                }
            }
            Message::CancelPublish => {
                if let Some(open) = &mut self.open
                    && open.publish.as_ref().is_some_and(|dialog| !dialog.busy)
                {
                    open.publish = None;
                }
            }
            Message::ConfirmPublish => return self.publish(),
            Message::Published(result) => return self.published(result),
            Message::Quote(quote::Message::Run) => return self.run_quote(),
            Message::Quote(message) => {
                if let Some(open) = &mut self.open {
                    open.quote.update(message);
                }
            }
            Message::Quoted { id, outcome } => {
                let expired = match &outcome {
                    quote::Outcome::One { result, .. } => {
                        matches!(result, Err(ApiError::SessionExpired))
                    }
                    quote::Outcome::Both { published, draft } => {
                        matches!(published, Err(ApiError::SessionExpired))
                            || matches!(draft, Err(ApiError::SessionExpired))
                    }
                };
                if expired {
                    return Action::SessionExpired;
                }
                if let Some(open) = &mut self.open {
                    open.quote.answered(id, outcome);
                }
            }
        }
        Action::None
    }

    fn opened_documents(&mut self, result: Result<Documents, ApiError>) -> Action {
        let can_edit = self.can_edit;
        let today = self.today;
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        match result {
            Ok(documents) if documents.code == open.code => {
                open.loading = false;
                open.problem = None;
                open.published = documents.published.map(Loaded::new);
                open.draft = documents.draft.map(Loaded::new);
                open.shown = if open.published.is_some() {
                    Shown::Published
                } else {
                    Shown::Draft
                };
                open.editor = if can_edit {
                    open.working_base().map(|base| Editor::new(base, today))
                } else {
                    None
                };
                let quoted = open
                    .published
                    .as_ref()
                    .or(open.draft.as_ref())
                    .and_then(Loaded::tariff);
                open.quote.fit_to(quoted);
                if open.published.is_none() && open.draft.is_some() {
                    open.quote
                        .update(quote::Message::SourceSelected(quote::Source::Draft));
                }
            }
            // The answer for a tariff no longer open.
            Ok(_) => {}
            Err(ApiError::SessionExpired) => return Action::SessionExpired,
            Err(error) => {
                open.loading = false;
                open.problem = Some(error);
            }
        }
        Action::None
    }

    fn save_draft(&mut self) -> Action {
        if !self.can_edit {
            return Action::None;
        }
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        let Some(editor) = &open.editor else {
            return Action::None;
        };
        if open.saving || !editor.can_save() {
            return Action::None;
        }
        let toml = match editor.toml() {
            Ok(toml) => toml,
            Err(error) => {
                open.save_problem = Some(ApiError::Other(error.to_string()));
                return Action::None;
            }
        };
        open.saving = true;
        open.save_problem = None;
        open.publish_problem = None;
        self.notice = None;
        Action::Run(Task::perform(
            api::save_draft(self.session.clone(), toml),
            Message::DraftSaved,
        ))
    }

    fn draft_saved(&mut self, result: Result<pb::TariffDocument, ApiError>) -> Action {
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        open.saving = false;
        match result {
            Ok(document) if document.code == open.code => {
                let loaded = Loaded::new(document);
                if let (Some(editor), Some(saved)) = (&mut open.editor, loaded.tariff()) {
                    editor.saved(saved.clone());
                }
                open.draft = Some(loaded);
                self.notice = Some(Notice::DraftSaved);
                return Action::Run(self.list_task());
            }
            Ok(_) => {}
            Err(ApiError::SessionExpired) => return Action::SessionExpired,
            Err(error) => open.save_problem = Some(error),
        }
        Action::None
    }

    fn publish(&mut self) -> Action {
        if !self.can_edit {
            return Action::None;
        }
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        let code = open.code.clone();
        let Some(dialog) = &mut open.publish else {
            return Action::None;
        };
        if dialog.busy {
            return Action::None;
        }
        let note = dialog.note.trim().to_owned();
        if note.is_empty() {
            dialog.note_missing = true;
            return Action::Run(iced::widget::operation::focus(PUBLISH_NOTE_INPUT));
        }
        dialog.busy = true;
        self.notice = None;
        Action::Run(Task::perform(
            api::publish(self.session.clone(), code, note),
            Message::Published,
        ))
    }

    fn published(&mut self, result: Result<pb::TariffDocument, ApiError>) -> Action {
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        open.publish = None;
        match result {
            Ok(document) if document.code == open.code => {
                let revision_id = document.revision_id;
                let loaded = Loaded::new(document);
                if let (Some(editor), Some(published)) = (&mut open.editor, loaded.tariff()) {
                    editor.reset(published.clone());
                }
                open.published = Some(loaded);
                open.draft = None;
                open.shown = Shown::Published;
                open.quote.no_draft();
                open.publish_problem = None;
                self.notice = Some(Notice::Published(revision_id));
                return Action::Run(self.list_task());
            }
            Ok(_) => {}
            Err(ApiError::SessionExpired) => return Action::SessionExpired,
            Err(error) => open.publish_problem = Some(error),
        }
        Action::None
    }

    fn run_quote(&mut self) -> Action {
        let Some(open) = &mut self.open else {
            return Action::None;
        };
        if open.quote.is_busy() {
            return Action::None;
        }
        let source = match open.quote.source() {
            quote::Source::Draft | quote::Source::Compare if open.draft.is_none() => {
                quote::Source::Published
            }
            quote::Source::Published if open.published.is_none() => quote::Source::Draft,
            source => source,
        };
        open.quote.update(quote::Message::SourceSelected(source));
        let Some(id) = open.quote.submit() else {
            return Action::None;
        };
        let request = open.quote.request(&open.code);
        let session = self.session.clone();
        let task = match source {
            quote::Source::Compare => Task::perform(
                api::quote_both(session, request),
                move |(published, draft)| Message::Quoted {
                    id,
                    outcome: quote::Outcome::Both { published, draft },
                },
            ),
            source => Task::perform(api::quote(session, request), move |result| {
                Message::Quoted {
                    id,
                    outcome: quote::Outcome::One { source, result },
                }
            }),
        };
        Action::Run(task)
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let body = match (self.page, &self.open) {
            (Page::Tariff, Some(open)) => self.tariff_view(language, open),
            _ => self.list_view(language),
        };
        let beside_scroll_bar = iced::Padding {
            right: 14.0,
            ..iced::Padding::ZERO
        };
        let page: Element<'_, Message> = scrollable(container(body).padding(beside_scroll_bar))
            .height(Length::Fill)
            .into();
        match self.open.as_ref().and_then(|open| open.publish.as_ref()) {
            Some(dialog) if self.page == Page::Tariff => {
                widget::modal(page, self.publish_dialog(language, dialog))
            }
            _ => page,
        }
    }

    fn notice_view(&self, language: Language) -> Option<Element<'_, Message>> {
        let notice = self.notice.as_ref()?;
        let words = match notice {
            Notice::DefaultSet(code) => texts::default_set(
                language,
                self.summary(code)
                    .map_or(code.as_str(), |s| s.name.as_str()),
            ),
            Notice::DraftSaved => tr(language, Key::DraftSavedNotice).to_owned(),
            Notice::Published(revision_id) => texts::published_notice(language, *revision_id),
        };
        Some(note_box(words, theme::container::success_box))
    }

    fn list_view(&self, language: Language) -> Element<'_, Message> {
        let mut page = column![
            row![
                column![
                    text(tr(language, Key::Title)).size(20),
                    text(tr(language, Key::ListHint))
                        .size(13)
                        .style(theme::text::muted),
                ]
                .spacing(4)
                .width(Length::Fill),
                button(text(tr(
                    language,
                    if self.listing {
                        Key::Loading
                    } else {
                        Key::Refresh
                    }
                )))
                .padding([6, 16])
                .style(theme::button::secondary)
                .on_press_maybe((!self.listing).then_some(Message::Refresh)),
            ]
            .spacing(12)
            .align_y(Alignment::Center)
        ]
        .spacing(14);

        if let Some(notice) = self.notice_view(language) {
            page = page.push(notice);
        }
        if let Some(problem) = &self.list_problem {
            page = page.push(problem_box(language, problem));
        }
        if let Some(code) = &self.switch_to {
            let current = self.open.as_ref().map_or("", |open| open.code.as_str());
            page = page.push(
                container(
                    row![
                        text(texts::unsaved_switch(language, current, code))
                            .size(14)
                            .width(Length::Fill),
                        button(text(tr(language, Key::KeepEditing)).size(13))
                            .padding([5, 12])
                            .style(theme::button::secondary)
                            .on_press(Message::KeepEditing),
                        button(text(tr(language, Key::DiscardAndOpen)).size(13))
                            .padding([5, 12])
                            .style(theme::button::danger)
                            .on_press(Message::DiscardAndSwitch),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::warning_box),
            );
        }
        if self.listed && self.list.is_empty() {
            page = page.push(card(
                text(tr(language, Key::NoTariffs))
                    .style(theme::text::muted)
                    .into(),
            ));
        } else if !self.listed && self.listing {
            page = page.push(card(
                text(tr(language, Key::Loading))
                    .style(theme::text::muted)
                    .into(),
            ));
        }
        for summary in &self.list {
            page = page.push(self.summary_card(language, summary));
        }
        page.into()
    }

    fn summary_card<'a>(
        &'a self,
        language: Language,
        summary: &'a pb::TariffSummary,
    ) -> Element<'a, Message> {
        let mut title = row![
            text(summary.name.as_str()).size(17),
            text(summary.code.as_str())
                .size(13)
                .style(theme::text::muted),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if summary.is_default {
            title = title.push(widget::badge(tr(language, Key::DefaultBadge), Tone::Good));
        }
        if summary.has_draft {
            title = title.push(widget::badge(tr(language, Key::DraftBadge), Tone::Caution));
        }
        if summary.revision_id == 0 {
            title = title.push(widget::badge(
                tr(language, Key::NeverPublished),
                Tone::Neutral,
            ));
        }
        let busy = self.setting_default.is_some();
        let mut actions = row![].spacing(8).align_y(Alignment::Center);
        if self.can_edit && !summary.is_default && summary.revision_id > 0 {
            let label = if self.setting_default.as_deref() == Some(summary.code.as_str()) {
                Key::SettingDefault
            } else {
                Key::SetDefault
            };
            actions = actions.push(
                button(text(tr(language, label)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe((!busy).then(|| Message::SetDefault(summary.code.clone()))),
            );
        }
        actions = actions.push(
            button(text(tr(language, Key::OpenTariff)).size(13))
                .padding([5, 14])
                .style(theme::button::primary)
                .on_press(Message::Open(summary.code.clone())),
        );

        let fact = |label: Key, value: String| {
            row![
                text(tr(language, label)).size(13).style(theme::text::label),
                text(value).size(13),
            ]
            .spacing(6)
        };
        let revision = if summary.revision_id > 0 {
            texts::revision_text(
                language,
                summary.revision_id,
                &summary.published_by,
                summary
                    .published_at
                    .as_ref()
                    .and_then(|at| chrono::DateTime::from_timestamp(at.seconds, 0))
                    .map(i18n::local_date_time),
            )
        } else {
            tr(language, Key::NeverPublished).to_owned()
        };
        let dates = if summary.version_dates.is_empty() {
            tr(language, Key::None).to_owned()
        } else {
            summary.version_dates.join("、")
        };
        let mut lines = column![
            row![title.width(Length::Fill), actions]
                .spacing(12)
                .align_y(Alignment::Center),
            row![
                fact(Key::LatestRevision, revision),
                fact(Key::VersionDates, dates),
                fact(
                    Key::DraftState,
                    tr(
                        language,
                        if summary.has_draft {
                            Key::DraftPresent
                        } else {
                            Key::DraftAbsent
                        }
                    )
                    .to_owned()
                ),
            ]
            .spacing(24),
        ]
        .spacing(8);
        if !summary.notes.is_empty() {
            lines = lines.push(notes_box(language, Key::SourceNotes, &summary.notes));
        }
        card(lines.into())
    }

    fn tariff_view<'a>(&'a self, language: Language, open: &'a Open) -> Element<'a, Message> {
        let summary = self.summary(&open.code);
        let name = open
            .shown_document()
            .and_then(Loaded::tariff)
            .map(|tariff| tariff.name.as_str())
            .or(summary.map(|s| s.name.as_str()))
            .unwrap_or(open.code.as_str());
        let mut title = row![
            button(text(tr(language, Key::BackToList)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press(Message::BackToList),
            text(name).size(19),
            text(open.code.as_str()).size(13).style(theme::text::muted),
        ]
        .spacing(12)
        .align_y(Alignment::Center);
        if summary.is_some_and(|s| s.is_default) {
            title = title.push(widget::badge(tr(language, Key::DefaultBadge), Tone::Good));
        }
        if open.draft.is_some() {
            title = title.push(widget::badge(tr(language, Key::DraftBadge), Tone::Caution));
        }
        if open.has_unsaved_changes() {
            title = title.push(widget::badge(tr(language, Key::UnsavedBadge), Tone::Bad));
        }

        let mut tabs = vec![(Tab::View, tr(language, Key::TabView).to_owned())];
        if self.can_edit && open.editor.is_some() {
            tabs.push((Tab::Edit, tr(language, Key::TabEdit).to_owned()));
            tabs.push((Tab::Advanced, tr(language, Key::TabAdvanced).to_owned()));
        }
        tabs.push((Tab::Quote, tr(language, Key::TabQuote).to_owned()));

        let mut page = column![title].spacing(12);
        if let Some(notice) = self.notice_view(language) {
            page = page.push(notice);
        }
        if open.loading {
            page = page.push(card(
                text(tr(language, Key::Loading))
                    .style(theme::text::muted)
                    .into(),
            ));
            return page.into();
        }
        if let Some(problem) = &open.problem {
            page = page.push(problem_box(language, problem));
            return page.into();
        }
        page = page.push(widget::tab_bar(tabs, open.tab, Message::SelectTab));
        let body = match (open.tab, &open.editor) {
            (Tab::Edit, Some(editor)) => self.edit_view(language, open, editor),
            (Tab::Advanced, Some(editor)) => self.advanced_view(language, open, editor),
            (Tab::Quote, _) => quote::view(language, open).map(Message::Quote),
            _ => self.document_view(language, open),
        };
        page.push(body).into()
    }

    fn document_view<'a>(&'a self, language: Language, open: &'a Open) -> Element<'a, Message> {
        let mut page = column![].spacing(12);
        if open.published.is_some() && open.draft.is_some() {
            page = page.push(
                row![
                    text(tr(language, Key::Showing))
                        .size(14)
                        .style(theme::text::label),
                    widget::segmented(
                        [
                            (
                                Shown::Published,
                                tr(language, Key::ShowPublished).to_owned()
                            ),
                            (Shown::Draft, tr(language, Key::ShowDraft).to_owned()),
                        ],
                        open.shown,
                        Message::Show,
                    ),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
        match open.shown_document() {
            Some(loaded) => {
                let kind = if loaded.document.draft {
                    tr(language, Key::ShowingDraft).to_owned()
                } else {
                    texts::showing_revision(language, loaded.document.revision_id)
                };
                page = page.push(text(kind).size(13).style(theme::text::muted));
                match &loaded.tariff {
                    Ok(tariff) => {
                        if !tariff.notes.is_empty() {
                            page = page.push(notes_box(language, Key::SourceNotes, &tariff.notes));
                        }
                        page = page.push(tables::document(language, tariff, self.today));
                    }
                    Err(error) => {
                        page = page.push(note_box(
                            texts::unreadable_document(language, &error.to_string()),
                            theme::container::error_box,
                        ));
                    }
                }
            }
            None => {
                page = page.push(card(
                    text(tr(language, Key::NoDocument))
                        .style(theme::text::muted)
                        .into(),
                ));
            }
        }
        page.into()
    }

    /// The bar of 保存草稿 / 发布 / 放弃修改 with what the last save or
    /// publication said.
    fn draft_bar<'a>(
        &'a self,
        language: Language,
        open: &'a Open,
        editor: &'a Editor,
    ) -> Element<'a, Message> {
        let state = if open.saving {
            tr(language, Key::Saving).to_owned()
        } else if !editor.is_valid() {
            tr(language, Key::FixErrorsFirst).to_owned()
        } else if editor.is_changed() {
            tr(language, Key::UnsavedChanges).to_owned()
        } else if open.draft.is_some() {
            tr(language, Key::DraftReadyToPublish).to_owned()
        } else {
            tr(language, Key::NoChanges).to_owned()
        };
        let state_style = if !editor.is_valid() {
            theme::text::error
        } else if editor.is_changed() {
            theme::text::warning
        } else {
            theme::text::muted
        };
        let mut bar = column![
            row![
                text(state).size(13).style(state_style).width(Length::Fill),
                button(text(tr(language, Key::Discard)).size(13))
                    .padding([6, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe(
                        (editor.is_changed() && !open.saving)
                            .then_some(Message::Editor(editor::Message::Discard)),
                    ),
                button(text(tr(language, Key::SaveDraft)).size(14))
                    .padding([6, 18])
                    .style(theme::button::primary)
                    .on_press_maybe(
                        (editor.can_save() && !open.saving).then_some(Message::SaveDraft)
                    ),
                button(text(tr(language, Key::Publish)).size(14))
                    .padding([6, 18])
                    .style(theme::button::primary)
                    .on_press_maybe(open.can_publish().then_some(Message::AskPublish)),
            ]
            .spacing(10)
            .align_y(Alignment::Center)
        ]
        .spacing(8);
        if let Some(problem) = &open.save_problem {
            bar = bar.push(form::server_problem(
                language,
                Key::SaveRefused,
                problem,
                editor,
            ));
        }
        if let Some(problem) = &open.publish_problem {
            bar = bar.push(form::server_problem(
                language,
                Key::PublishRefused,
                problem,
                editor,
            ));
        }
        container(bar)
            .padding([10, 14])
            .width(Length::Fill)
            .style(theme::container::summary)
            .into()
    }

    fn edit_view<'a>(
        &'a self,
        language: Language,
        open: &'a Open,
        editor: &'a Editor,
    ) -> Element<'a, Message> {
        let published = open.published.as_ref().and_then(Loaded::tariff);
        column![
            self.draft_bar(language, open, editor),
            form::view(language, editor, published, self.today, !open.saving).map(Message::Editor),
        ]
        .spacing(12)
        .into()
    }

    fn advanced_view<'a>(
        &'a self,
        language: Language,
        open: &'a Open,
        editor: &'a Editor,
    ) -> Element<'a, Message> {
        column![
            self.draft_bar(language, open, editor),
            form::advanced(language, editor, !open.saving).map(Message::Editor),
        ]
        .spacing(12)
        .into()
    }

    fn publish_dialog<'a>(
        &'a self,
        language: Language,
        dialog: &'a PublishDialog,
    ) -> Element<'a, Message> {
        let Some(open) = &self.open else {
            return column![].into();
        };
        let draft = open.draft.as_ref().and_then(Loaded::tariff);
        let published = open.published.as_ref().and_then(Loaded::tariff);
        let changes = texts::publish_summary(language, published, draft, self.today);
        let mut note = text_input(tr(language, Key::PublishNotePlaceholder), &dialog.note)
            .id(PUBLISH_NOTE_INPUT)
            .padding([7, 10])
            .size(14)
            .style(if dialog.note_missing {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            });
        if !dialog.busy {
            note = note
                .on_input(Message::PublishNoteChanged)
                .on_submit(Message::ConfirmPublish);
        }
        let mut lines = column![
            text(tr(language, Key::PublishTitle)).size(18),
            text(changes).size(14),
            text(tr(language, Key::PublishWarning))
                .size(13)
                .style(theme::text::warning),
            text(tr(language, Key::PublishNote))
                .size(13)
                .style(theme::text::label),
            note,
        ]
        .spacing(10);
        if dialog.note_missing {
            lines = lines.push(
                text(tr(language, Key::PublishNoteRequired))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        lines = lines.push(
            row![
                iced::widget::space::horizontal(),
                button(text(tr(language, Key::Cancel)))
                    .padding([6, 16])
                    .style(theme::button::secondary)
                    .on_press_maybe((!dialog.busy).then_some(Message::CancelPublish)),
                button(text(tr(
                    language,
                    if dialog.busy {
                        Key::Publishing
                    } else {
                        Key::ConfirmPublish
                    }
                )))
                .padding([6, 18])
                .style(theme::button::primary)
                .on_press_maybe((!dialog.busy).then_some(Message::ConfirmPublish)),
            ]
            .spacing(10),
        );
        container(lines)
            .padding(24)
            .width(520)
            .style(theme::container::dialog)
            .into()
    }
}

/// A white card.
pub fn card<'a, M: 'a>(content: Element<'a, M>) -> Element<'a, M> {
    container(content)
        .padding(18)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

/// A coloured box around one line of words.
pub fn note_box<'a, M: 'a>(
    words: impl text::IntoFragment<'a>,
    style: fn(&iced::Theme) -> iced::widget::container::Style,
) -> Element<'a, M> {
    container(text(words).size(14))
        .padding([8, 12])
        .width(Length::Fill)
        .style(style)
        .into()
}

/// The notes of a tariff or a version, in an amber box so they are read:
/// they say what the source lacked and what was assumed.
pub fn notes_box<'a, M: 'a>(language: Language, title: Key, notes: &'a [String]) -> Element<'a, M> {
    let mut lines = column![text(tr(language, title)).size(13)].spacing(4);
    for note in notes {
        lines = lines.push(
            row![text("•").size(13), text(note.as_str()).size(13)]
                .spacing(6)
                .width(Length::Fill),
        );
    }
    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::warning_box)
        .into()
}

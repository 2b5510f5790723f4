//! 导出: accounts of the archive as an Excel file, every account or every
//! hit of the search on show. The save dialog comes first and answers with
//! [`Message::ExportPathPicked`]; then the call, whose file appears only
//! once it is complete ([`archive::export_accounts`]). One export at a time.

use std::path::{Path, PathBuf};

use gascis_common::proto::v1 as pb;
use iced::task;
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Task};

use super::search::Search;
use super::{Action, Message};
use crate::api::archive::{self, Exported};
use crate::api::{ApiError, Session, import};
use crate::i18n::archive::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::theme;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every hit of the search on show, on all its pages.
    Search,
    /// Every account, closed ones included.
    All,
}

impl Scope {
    /// The request of this export; `None` for a search export without a
    /// search that found something.
    pub fn request(self, search: &Search) -> Option<pb::ExportAccountsRequest> {
        match self {
            // An empty query: every account, closed ones with their status.
            Scope::All => Some(pb::ExportAccountsRequest {
                query: String::new(),
                kind: pb::SearchKind::Auto as i32,
                include_closed: false,
            }),
            Scope::Search => {
                let query = search.export_query()?;
                Some(pb::ExportAccountsRequest {
                    query: query.text.clone(),
                    kind: query.kind as i32,
                    include_closed: query.include_closed,
                })
            }
        }
    }
}

/// An export in flight.
#[derive(Debug, Clone)]
pub struct Running {
    /// Tells this export's answer from a cancelled one's.
    pub id: u64,
    pub scope: Scope,
    /// The request sent.
    pub request: pb::ExportAccountsRequest,
    /// Where the file goes.
    pub path: PathBuf,
    /// Aborting it drops the call, and the half-written file with it;
    /// dropping the last clone aborts too, so leaving the session cancels.
    handle: task::Handle,
}

#[derive(Debug, Clone, Default)]
pub enum Status {
    #[default]
    Idle,
    /// The save dialog is open.
    Choosing {
        scope: Scope,
        request: pb::ExportAccountsRequest,
    },
    Running(Running),
    Done(Exported),
    Cancelled,
    Failed(ApiError),
}

#[derive(Debug, Clone, Default)]
pub struct Export {
    pub status: Status,
    started: u64,
    /// The folder of the last file written: the next dialog opens there.
    last_directory: Option<PathBuf>,
}

impl Export {
    /// Whether the dialog is open or an export runs: the buttons wait.
    pub fn is_busy(&self) -> bool {
        matches!(self.status, Status::Choosing { .. } | Status::Running(_))
    }

    pub fn running(&self) -> Option<&Running> {
        match &self.status {
            Status::Running(running) => Some(running),
            _ => None,
        }
    }

    /// Opens the save dialog for an export of `scope`; nothing while busy
    /// or when there is nothing to export.
    pub fn start(&mut self, scope: Scope, search: &Search, language: Language) -> Action {
        if self.is_busy() {
            return Action::None;
        }
        let Some(request) = scope.request(search) else {
            return Action::None;
        };
        let name = texts::export_file_name(language, scope, chrono::Local::now().date_naive());
        let suggested = self
            .last_directory
            .clone()
            .or_else(dirs::download_dir)
            .or_else(dirs::document_dir)
            .or_else(dirs::home_dir)
            .map_or_else(|| PathBuf::from(&name), |directory| directory.join(&name));
        self.status = Status::Choosing { scope, request };
        Action::Run(Task::perform(
            import::pick_save_path(tr(language, Key::ExportDialogTitle).to_owned(), suggested),
            Message::ExportPathPicked,
        ))
    }

    /// The save dialog closed: runs the export to `picked`, or goes back to
    /// idle when the user closed it without choosing.
    pub fn path_picked(&mut self, session: &Session, picked: Option<PathBuf>) -> Action {
        let Status::Choosing { scope, request } = &self.status else {
            return Action::None;
        };
        let (scope, request) = (*scope, request.clone());
        let Some(path) = picked.filter(|path| path.file_name().is_some()) else {
            self.status = Status::Idle;
            return Action::None;
        };
        let path = archive::with_export_extension(path);
        self.started += 1;
        let id = self.started;
        let (task, handle) = Task::perform(
            archive::export_accounts(session.clone(), request.clone(), path.clone()),
            move |result| Message::Exported { id, result },
        )
        .abortable();
        self.status = Status::Running(Running {
            id,
            scope,
            request,
            path,
            handle: handle.abort_on_drop(),
        });
        Action::Run(task)
    }

    /// Stops the export in flight; its file is not written.
    pub fn cancel(&mut self) {
        if let Status::Running(running) = &self.status {
            running.handle.abort();
            self.status = Status::Cancelled;
        }
    }

    /// The answer of export `id`.
    pub fn finished(&mut self, id: u64, result: Result<Exported, ApiError>) -> Action {
        if self.running().is_none_or(|running| running.id != id) {
            // A cancelled export's late word: the user was told it is gone.
            return Action::None;
        }
        self.status = match result {
            Ok(exported) => {
                self.last_directory = exported
                    .path
                    .parent()
                    .filter(|directory| !directory.as_os_str().is_empty())
                    .map(Path::to_path_buf);
                Status::Done(exported)
            }
            Err(ApiError::SessionExpired) => return Action::SessionExpired,
            Err(error) => Status::Failed(error),
        };
        Action::None
    }

    /// 导出查询结果 and 导出全部用户, for the header of the results.
    pub fn buttons<'a>(&self, language: Language, search: &Search) -> Element<'a, Message> {
        let running = self.running().map(|running| running.scope);
        let export_button = |scope: Scope, key: Key| {
            let label = if running == Some(scope) {
                Key::Exporting
            } else {
                key
            };
            let enabled = !self.is_busy() && scope.request(search).is_some();
            button(text(tr(language, label)).size(13))
                .padding([4, 12])
                .style(theme::button::secondary)
                .on_press_maybe(enabled.then_some(Message::Export { scope, language }))
        };
        row![
            export_button(Scope::Search, Key::ExportResults),
            export_button(Scope::All, Key::ExportAll),
        ]
        .spacing(8)
        .into()
    }

    /// What the last export came to, or what the one in flight is doing.
    pub fn note<'a>(&'a self, language: Language) -> Option<Element<'a, Message>> {
        let note: Element<'a, Message> = match &self.status {
            Status::Idle => return None,
            Status::Choosing { .. } => text(tr(language, Key::ExportChoosing))
                .size(13)
                .style(theme::text::muted)
                .into(),
            Status::Running(_) => container(
                row![
                    column![
                        text(tr(language, Key::Exporting)).size(14),
                        text(tr(language, Key::ExportRunningHint))
                            .size(12)
                            .style(theme::text::muted),
                    ]
                    .spacing(2)
                    .width(Length::Fill),
                    button(text(tr(language, Key::CancelExport)).size(13))
                        .padding([4, 12])
                        .style(theme::button::secondary)
                        .on_press(Message::CancelExport),
                ]
                .spacing(12)
                .align_y(Alignment::Center),
            )
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::card)
            .into(),
            Status::Done(exported) => {
                container(text(texts::exported(language, exported.rows, &exported.path)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::success_box)
                    .into()
            }
            Status::Cancelled => text(tr(language, Key::ExportCancelled))
                .size(13)
                .style(theme::text::muted)
                .into(),
            Status::Failed(error) => column![
                text(tr(language, Key::ExportFailed))
                    .size(13)
                    .style(theme::text::label),
                super::dialog::problem_box(language, error),
            ]
            .spacing(4)
            .into(),
        };
        Some(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn searched(results: usize) -> Search {
        let mut search = Search::default();
        search.query = "阳光花园".into();
        search.kind = pb::SearchKind::Address;
        search.include_closed = true;
        let _ = search.begin();
        search.found(pb::SearchAccountsResponse {
            results: (0..results)
                .map(|id| pb::AccountSummary {
                    account_id: id as i64,
                    ..pb::AccountSummary::default()
                })
                .collect(),
            next_page_token: String::new(),
            searched_as: pb::SearchKind::Address as i32,
        });
        search
    }

    #[test]
    fn a_search_export_sends_the_search_on_show() {
        let mut search = searched(3);
        // Typed since, not searched: the export is of what is shown.
        search.query = "春申景城".into();
        search.include_closed = false;
        assert_eq!(
            Scope::Search.request(&search),
            Some(pb::ExportAccountsRequest {
                query: "阳光花园".into(),
                kind: pb::SearchKind::Address as i32,
                include_closed: true,
            })
        );
        assert_eq!(
            Scope::All.request(&search).map(|request| request.query),
            Some(String::new()),
            "an empty query is every account"
        );
    }

    #[test]
    fn no_search_or_no_hits_is_nothing_to_export() {
        assert_eq!(Scope::Search.request(&Search::default()), None);
        assert_eq!(Scope::Search.request(&searched(0)), None);
        let mut searching = searched(2);
        let _ = searching.begin();
        assert_eq!(Scope::Search.request(&searching), None, "while searching");
        assert!(Scope::All.request(&Search::default()).is_some());
    }
}

//! 数据导入: the import of legacy Excel ledgers, step by step. 1 选择文件
//! (kind, file, template), 2 确认列映射 (sheet and columns), 3 预检 (a dry
//! run: counts, row preview, errors, error file), 4 导入 (the import with
//! its reconciliation certificate).
//!
//! Intents are imperative (`Upload`, `StartDryRun`, `Cancel`), outcomes past
//! tense with a `Result` (`Uploaded`, `Inspected`, `TemplateSaved`); a run
//! streams [`RunEvent`]s. `update` only builds tasks, the I/O is in
//! [`crate::api::import`]. Cancelling a run aborts its task, which drops
//! the stream: the server rolls the run back.

pub mod mapping;
pub mod report;

use std::path::{Path, PathBuf};

use gascis_common::proto::v1 as pb;
use iced::task;
use iced::widget::{
    button, checkbox, column, container, pick_list, progress_bar, row, scrollable, text, text_input,
};
use iced::{Alignment, Element, Length, Task};

use crate::api::import::{self as api, RunEvent, RunSettings};
use crate::api::{ApiError, Session};
use crate::i18n::import::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::widget;

pub use mapping::Mapping;

/// The id of the file path field, which gets the focus when the area opens.
pub const PATH_INPUT: &str = "import-path";

/// The id of the saved mapping's name field.
pub const MAPPING_NAME_INPUT: &str = "import-mapping-name";

/// The id of the error file path field.
pub const ERROR_FILE_INPUT: &str = "import-error-file";

/// Rows per batch when an accounts or payments import commits in batches:
/// small enough that a stop loses little work, large enough that the
/// per-batch statements cost little beside the rows.
pub const CHUNK_ROWS: u32 = 10_000;

/// The kinds offered, in the selector's order.
pub const KINDS: [pb::ImportKind; 3] = [
    pb::ImportKind::Accounts,
    pb::ImportKind::Readings,
    pb::ImportKind::Payments,
];

/// The policies offered, in the selector's order.
pub const POLICIES: [pb::ImportPolicy; 3] = [
    pb::ImportPolicy::Update,
    pb::ImportPolicy::Skip,
    pb::ImportPolicy::Fail,
];

/// The steps, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ChooseFile,
    Mapping,
    DryRun,
    Import,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::ChooseFile, Step::Mapping, Step::DryRun, Step::Import];

    fn label(self) -> Key {
        match self {
            Step::ChooseFile => Key::StepChooseFile,
            Step::Mapping => Key::StepMapping,
            Step::DryRun => Key::StepDryRun,
            Step::Import => Key::StepImport,
        }
    }

    fn number(self) -> &'static str {
        match self {
            Step::ChooseFile => "1",
            Step::Mapping => "2",
            Step::DryRun => "3",
            Step::Import => "4",
        }
    }
}

/// A dry run or the import itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    DryRun,
    Import,
}

/// A call in flight other than a run; one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    Uploading,
    Inspecting,
    Template,
    SavingErrorFile,
    /// A file dialog is open.
    Picking,
}

/// The saved column mappings of the kind, and the row of step 2 that
/// applies, saves and deletes them. Their calls go beside the others: a
/// slow list must not hold up the mapping or a run.
#[derive(Debug, Clone, Default)]
pub struct SavedMappings {
    /// The kind's mappings, by name.
    pub list: Vec<pb::ImportMapping>,
    /// The name picked in 已保存的映射.
    pub selected: Option<String>,
    /// The name typed for 保存当前映射.
    pub name: String,
    /// What is wrong with `name`.
    pub name_error: Option<NameProblem>,
    /// The name just saved, for 已保存.
    pub saved: Option<String>,
    /// 删除 was pressed: the question is shown.
    pub confirm_delete: bool,
    /// A list, save or delete in flight.
    pub busy: bool,
    /// What went wrong with a list or a delete (or a save, not of a field).
    pub problem: Option<ApiError>,
}

/// What is wrong with the name a mapping is saved under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Required,
    /// The server refused the name or the mapping, in its words.
    Server(String),
}

/// What is wrong with the typed file path, found before any upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathProblem {
    Required,
    WrongExtension,
}

/// A run in flight.
#[derive(Debug, Clone)]
pub struct Run {
    /// Tells this run's events from a cancelled run's late ones.
    pub id: u64,
    pub kind: RunKind,
    pub settings: RunSettings,
    /// The request sent.
    pub request: pb::RunImportRequest,
    pub progress: Option<pb::ImportProgress>,
    /// Aborting it drops the stream; dropping the last clone aborts too, so
    /// leaving the session cancels a run rather than orphaning it.
    handle: task::Handle,
}

impl Run {
    /// Whether the server could still notice a cancel and roll back. Once
    /// the last step of the merge has been reported, it commits without
    /// sending anything it could find undeliverable.
    pub fn can_cancel(&self) -> bool {
        match (self.kind, &self.progress) {
            (RunKind::DryRun, _) | (RunKind::Import, None) => true,
            // In batches, a cancel only ever rolls back the current batch.
            (RunKind::Import, Some(_)) if self.request.chunk_rows > 0 => true,
            (RunKind::Import, Some(progress)) => {
                !(progress.phase == "merging" && progress.done.saturating_add(1) >= progress.total)
            }
        }
    }
}

/// A run that reported, with the settings it ran with.
#[derive(Debug, Clone)]
pub struct Finished {
    pub settings: RunSettings,
    pub report: Box<pb::ImportReport>,
}

/// The file on the server.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub file: pb::UploadedFile,
    /// Where it was read from on this computer.
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Import {
    session: Session,
    step: Step,
    kind: pb::ImportKind,
    path: String,
    path_problem: Option<PathProblem>,
    busy: Option<Busy>,
    problem: Option<ApiError>,
    template_saved: Option<PathBuf>,
    upload: Option<Uploaded>,
    inspection: Option<pb::InspectImportFileResponse>,
    mapping: Mapping,
    saved_mappings: SavedMappings,
    policy: pb::ImportPolicy,
    partial: bool,
    /// Commit an accounts or payments import in batches of [`CHUNK_ROWS`].
    chunked: bool,
    run: Option<Run>,
    runs_started: u64,
    dry_run: Option<Finished>,
    imported: Option<Finished>,
    cancelled: Option<RunKind>,
    /// Whether the cancelled run committed in batches (some may stay).
    cancelled_chunked: bool,
    error_file_path: String,
    error_file_saved: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum Message {
    GoTo(Step),
    KindSelected(pb::ImportKind),
    PathChanged(String),
    /// Opens the system's file dialog, titled in the page's language.
    BrowseLedger(Language),
    LedgerPicked(Option<PathBuf>),
    DownloadTemplate,
    TemplateSaved(Result<PathBuf, ApiError>),
    Upload,
    Uploaded(Result<pb::UploadedFile, ApiError>),
    SheetSelected(String),
    Inspected(Result<pb::InspectImportFileResponse, ApiError>),
    ColumnChosen {
        field: String,
        /// `None`: the field is not imported.
        header: Option<String>,
    },
    ResetMapping,
    /// The saved mappings of the kind came.
    MappingsListed(Result<pb::ListImportMappingsResponse, ApiError>),
    SavedMappingSelected(String),
    /// Takes the choices of the selected saved mapping.
    ApplySavedMapping,
    MappingNameChanged(String),
    /// Saves the current choices under the typed name.
    SaveMapping,
    MappingSaved(Result<pb::ImportMapping, ApiError>),
    /// Asks whether to delete the selected saved mapping.
    DeleteSavedMapping,
    ConfirmDeleteSavedMapping,
    KeepSavedMapping,
    /// The saved mapping of that name was deleted.
    SavedMappingDeleted(Result<String, ApiError>),
    PolicySelected(pb::ImportPolicy),
    StartDryRun,
    PartialToggled(bool),
    ChunkedToggled(bool),
    StartImport,
    /// Drops the run in flight; the server rolls back.
    Cancel,
    /// What the run with id `run` reported.
    Run {
        run: u64,
        event: RunEvent,
    },
    ErrorFilePathChanged(String),
    BrowseErrorFilePath(Language),
    ErrorFilePathPicked(Option<PathBuf>),
    SaveErrorFile,
    ErrorFileSaved(Result<PathBuf, ApiError>),
    /// After an import: back to step 1 for the next file.
    StartOver,
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// The server ended the session: back to the login screen.
    SessionExpired,
}

/// The problem of a typed ledger path, if any.
pub fn check_path(path: &str) -> Result<PathBuf, PathProblem> {
    let path = path.trim();
    if path.is_empty() {
        return Err(PathProblem::Required);
    }
    let path = PathBuf::from(path);
    if !api::is_spreadsheet(&path) {
        return Err(PathProblem::WrongExtension);
    }
    Ok(path)
}

impl Import {
    pub fn new(session: Session) -> Self {
        Import {
            session,
            step: Step::ChooseFile,
            kind: pb::ImportKind::Accounts,
            path: String::new(),
            path_problem: None,
            busy: None,
            problem: None,
            template_saved: None,
            upload: None,
            inspection: None,
            mapping: Mapping::default(),
            saved_mappings: SavedMappings::default(),
            policy: pb::ImportPolicy::Update,
            partial: false,
            chunked: false,
            run: None,
            runs_started: 0,
            dry_run: None,
            imported: None,
            cancelled: None,
            cancelled_chunked: false,
            error_file_path: String::new(),
            error_file_saved: None,
        }
    }

    /// Puts the cursor where the page's typing starts.
    pub fn focus(&self) -> Task<Message> {
        match self.step {
            Step::ChooseFile => iced::widget::operation::focus(PATH_INPUT),
            _ => Task::none(),
        }
    }

    pub fn step(&self) -> Step {
        self.step
    }

    pub fn kind(&self) -> pb::ImportKind {
        self.kind
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn busy(&self) -> Option<Busy> {
        self.busy
    }

    pub fn problem(&self) -> Option<&ApiError> {
        self.problem.as_ref()
    }

    pub fn upload(&self) -> Option<&Uploaded> {
        self.upload.as_ref()
    }

    pub fn inspection(&self) -> Option<&pb::InspectImportFileResponse> {
        self.inspection.as_ref()
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    pub fn saved_mappings(&self) -> &SavedMappings {
        &self.saved_mappings
    }

    pub fn run(&self) -> Option<&Run> {
        self.run.as_ref()
    }

    pub fn dry_run(&self) -> Option<&Finished> {
        self.dry_run.as_ref()
    }

    pub fn imported(&self) -> Option<&Finished> {
        self.imported.as_ref()
    }

    pub fn cancelled(&self) -> Option<RunKind> {
        self.cancelled
    }

    /// Whether 只导入有效行 is ticked.
    pub fn partial(&self) -> bool {
        self.partial
    }

    pub fn chunked(&self) -> bool {
        self.chunked
    }

    pub fn policy(&self) -> pb::ImportPolicy {
        self.policy
    }

    pub fn error_file_path(&self) -> &str {
        &self.error_file_path
    }

    /// The settings a run would have now; `None` before a sheet is read.
    pub fn settings(&self) -> Option<RunSettings> {
        let upload = self.upload.as_ref()?;
        let inspection = self.inspection.as_ref()?;
        Some(RunSettings {
            upload_id: upload.file.upload_id,
            kind: self.kind,
            sheet: inspection.sheet.clone(),
            mapping: self.mapping.to_request(),
            policy: self.policy,
        })
    }

    fn is_idle(&self) -> bool {
        self.busy.is_none() && self.run.is_none()
    }

    /// Whether a run may start: a sheet with its header and every required
    /// field mapped, nothing else in flight.
    pub fn can_run(&self) -> bool {
        self.is_idle()
            && self
                .inspection
                .as_ref()
                .is_some_and(|inspection| inspection.header_row > 0)
            && self.mapping.missing_required().is_empty()
            && self.settings().is_some()
    }

    /// Whether the last dry run was of what would be imported now.
    pub fn dry_run_is_current(&self) -> bool {
        let settings = self.settings();
        self.dry_run
            .as_ref()
            .is_some_and(|finished| settings.as_ref() == Some(&finished.settings))
    }

    /// Whether 开始导入 may be pressed: after a current dry run, and not
    /// again once these settings have been imported.
    pub fn can_import(&self) -> bool {
        let imported_already = self.imported.as_ref().is_some_and(|finished| {
            !finished.report.refused && Some(&finished.settings) == self.settings().as_ref()
        });
        self.can_run() && self.dry_run_is_current() && !imported_already
    }

    /// Whether the step can be opened.
    pub fn is_reachable(&self, step: Step) -> bool {
        match step {
            Step::ChooseFile => true,
            Step::Mapping | Step::DryRun => self.inspection.is_some(),
            Step::Import => self.dry_run_is_current() || self.imported.is_some(),
        }
    }

    /// The error file of the latest report, when it has one.
    pub fn error_file(&self) -> Option<&[u8]> {
        self.imported
            .as_ref()
            .or(self.dry_run.as_ref())
            .map(|finished| finished.report.error_file.as_slice())
            .filter(|data| !data.is_empty())
    }

    /// Forgets the upload and everything learned from it.
    fn forget_upload(&mut self) {
        self.upload = None;
        self.inspection = None;
        self.mapping = Mapping::default();
        self.forget_runs();
    }

    fn forget_runs(&mut self) {
        self.dry_run = None;
        self.imported = None;
        self.cancelled = None;
        self.error_file_path.clear();
        self.error_file_saved = None;
    }

    fn inspect(&mut self, sheet: String) -> Action {
        let Some(upload) = &self.upload else {
            return Action::None;
        };
        self.busy = Some(Busy::Inspecting);
        self.problem = None;
        Action::Run(Task::perform(
            api::inspect_file(
                self.session.clone(),
                upload.file.upload_id,
                self.kind,
                sheet,
            ),
            Message::Inspected,
        ))
    }

    /// Asks for the saved mappings of the kind.
    fn list_mappings(&mut self) -> Task<Message> {
        self.saved_mappings.busy = true;
        self.saved_mappings.problem = None;
        Task::perform(
            api::list_mappings(self.session.clone(), self.kind),
            Message::MappingsListed,
        )
    }

    fn selected_mapping(&self) -> Option<&pb::ImportMapping> {
        let selected = self.saved_mappings.selected.as_deref()?;
        self.saved_mappings
            .list
            .iter()
            .find(|saved| saved.name == selected)
    }

    fn saved_mapping_update(&mut self, message: Message) -> Action {
        let saved = &mut self.saved_mappings;
        match message {
            Message::MappingsListed(result) => {
                saved.busy = false;
                match result {
                    Ok(response) => {
                        let kind = self.kind as i32;
                        let mut list: Vec<pb::ImportMapping> = response
                            .mappings
                            .into_iter()
                            .filter(|mapping| mapping.kind == kind)
                            .collect();
                        list.sort_by(|a, b| a.name.cmp(&b.name));
                        if saved
                            .selected
                            .as_ref()
                            .is_some_and(|name| !list.iter().any(|known| &known.name == name))
                        {
                            saved.selected = None;
                            saved.confirm_delete = false;
                        }
                        saved.list = list;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => saved.problem = Some(error),
                }
            }
            Message::SavedMappingSelected(name) => {
                saved.confirm_delete = false;
                saved.selected = Some(name);
            }
            Message::ApplySavedMapping => {
                if self.busy.is_none()
                    && self.run.is_none()
                    && let Some(chosen) = self.selected_mapping().map(|saved| saved.mapping.clone())
                {
                    self.mapping.apply_saved(&chosen);
                    if self.saved_mappings.name.trim().is_empty()
                        && let Some(name) = &self.saved_mappings.selected
                    {
                        self.saved_mappings.name = name.clone();
                    }
                }
            }
            Message::MappingNameChanged(name) => {
                saved.name = name;
                saved.name_error = None;
                saved.saved = None;
            }
            Message::SaveMapping => {
                if saved.busy {
                    return Action::None;
                }
                let name = saved.name.trim().to_owned();
                saved.saved = None;
                saved.problem = None;
                if name.is_empty() {
                    saved.name_error = Some(NameProblem::Required);
                    return Action::Run(iced::widget::operation::focus(MAPPING_NAME_INPUT));
                }
                saved.name_error = None;
                saved.busy = true;
                return Action::Run(Task::perform(
                    api::save_mapping(
                        self.session.clone(),
                        name,
                        self.kind,
                        self.mapping.current(),
                    ),
                    Message::MappingSaved,
                ));
            }
            Message::MappingSaved(result) => {
                saved.busy = false;
                match result {
                    Ok(mapping) => {
                        saved.saved = Some(mapping.name.clone());
                        saved.selected = Some(mapping.name.clone());
                        saved.confirm_delete = false;
                        saved.list.retain(|known| known.name != mapping.name);
                        saved.list.push(mapping);
                        saved.list.sort_by(|a, b| a.name.cmp(&b.name));
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(ApiError::InvalidField { field, message })
                        if field == "name" || field == "mapping" =>
                    {
                        saved.name_error = Some(NameProblem::Server(message));
                        return Action::Run(iced::widget::operation::focus(MAPPING_NAME_INPUT));
                    }
                    Err(error) => saved.problem = Some(error),
                }
            }
            Message::DeleteSavedMapping => {
                saved.confirm_delete = saved.selected.is_some() && !saved.busy;
            }
            Message::KeepSavedMapping => saved.confirm_delete = false,
            Message::ConfirmDeleteSavedMapping => {
                let Some(name) = saved.selected.clone().filter(|_| saved.confirm_delete) else {
                    return Action::None;
                };
                if saved.busy {
                    return Action::None;
                }
                saved.confirm_delete = false;
                saved.busy = true;
                saved.problem = None;
                saved.saved = None;
                let deleted = name.clone();
                return Action::Run(Task::perform(
                    api::delete_mapping(self.session.clone(), name),
                    move |result| Message::SavedMappingDeleted(result.map(|()| deleted.clone())),
                ));
            }
            Message::SavedMappingDeleted(result) => {
                saved.busy = false;
                match result {
                    Ok(name) => {
                        saved.list.retain(|known| known.name != name);
                        if saved.selected.as_ref() == Some(&name) {
                            saved.selected = None;
                        }
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => saved.problem = Some(error),
                }
            }
            _ => {}
        }
        Action::None
    }

    fn start_run(&mut self, kind: RunKind) -> Action {
        let allowed = match kind {
            RunKind::DryRun => self.can_run(),
            RunKind::Import => self.can_import(),
        };
        let Some(settings) = self.settings().filter(|_| allowed) else {
            return Action::None;
        };
        self.runs_started += 1;
        let id = self.runs_started;
        let request = settings.request(
            kind == RunKind::DryRun,
            kind == RunKind::Import && self.partial,
            self.chunk_rows(kind),
        );
        let (task, handle) = Task::run(
            api::run_import(self.session.clone(), request.clone()),
            move |event| Message::Run { run: id, event },
        )
        .abortable();
        self.run = Some(Run {
            id,
            kind,
            settings,
            request,
            progress: None,
            handle: handle.abort_on_drop(),
        });
        self.problem = None;
        self.cancelled = None;
        self.error_file_saved = None;
        match kind {
            RunKind::DryRun => {
                self.dry_run = None;
                self.imported = None;
            }
            RunKind::Import => self.imported = None,
        }
        Action::Run(task)
    }

    fn run_event(&mut self, id: u64, event: RunEvent) -> Action {
        let Some(run) = self.run.as_mut().filter(|run| run.id == id) else {
            // A cancelled run's late word: the user was told it is gone.
            return Action::None;
        };
        let result = match event {
            RunEvent::Progressed(progress) => {
                run.progress = Some(progress);
                return Action::None;
            }
            RunEvent::Finished(result) => result,
        };
        let Some(run) = self.run.take() else {
            return Action::None;
        };
        match result {
            Ok(report) => {
                if !report.error_file.is_empty() && self.error_file_path.trim().is_empty() {
                    self.error_file_path = self.default_error_file_path();
                }
                let finished = Finished {
                    settings: run.settings,
                    report,
                };
                match run.kind {
                    RunKind::DryRun => self.dry_run = Some(finished),
                    RunKind::Import => self.imported = Some(finished),
                }
                Action::None
            }
            Err(ApiError::SessionExpired) => Action::SessionExpired,
            Err(error) => {
                self.problem = Some(error);
                Action::None
            }
        }
    }

    fn default_error_file_path(&self) -> String {
        let ledger = match &self.upload {
            Some(upload) => upload.path.clone(),
            None => PathBuf::from(self.path.trim()),
        };
        let ledger = if ledger.as_os_str().is_empty() {
            PathBuf::from(
                self.upload
                    .as_ref()
                    .map(|upload| upload.file.file_name.as_str())
                    .unwrap_or("导入.xlsx"),
            )
        } else {
            ledger
        };
        api::error_file_path(&ledger).display().to_string()
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::GoTo(step) => {
                if self.run.is_none() && self.is_reachable(step) {
                    let opened = step == Step::Mapping && self.step != Step::Mapping;
                    self.step = step;
                    self.problem = None;
                    if opened && !self.saved_mappings.busy {
                        return Action::Run(Task::batch([self.focus(), self.list_mappings()]));
                    }
                    return Action::Run(self.focus());
                }
            }
            Message::KindSelected(kind) => {
                if !self.is_idle() || kind == self.kind {
                    return Action::None;
                }
                self.kind = kind;
                self.template_saved = None;
                // The fields differ by kind: read the sheet again for them.
                if let Some(inspection) = &self.inspection {
                    let sheet = inspection.sheet.clone();
                    return self.inspect(sheet);
                }
            }
            Message::PathChanged(path) => {
                if !self.is_idle() {
                    return Action::None;
                }
                self.path = path;
                self.path_problem = None;
                if self
                    .upload
                    .as_ref()
                    .is_some_and(|upload| upload.path != Path::new(self.path.trim()))
                {
                    self.forget_upload();
                }
            }
            Message::BrowseLedger(language) => {
                if !self.is_idle() {
                    return Action::None;
                }
                self.busy = Some(Busy::Picking);
                let directory = Path::new(self.path.trim())
                    .parent()
                    .map(Path::to_path_buf)
                    .or_else(dirs::document_dir);
                return Action::Run(Task::perform(
                    api::pick_ledger(
                        tr(language, Key::ChooseLedgerTitle).to_owned(),
                        tr(language, Key::SpreadsheetFilter).to_owned(),
                        directory,
                    ),
                    Message::LedgerPicked,
                ));
            }
            Message::LedgerPicked(picked) => {
                if self.busy == Some(Busy::Picking) {
                    self.busy = None;
                }
                if let Some(path) = picked {
                    self.path = path.display().to_string();
                    self.path_problem = None;
                    self.forget_upload();
                    self.step = Step::ChooseFile;
                }
            }
            Message::DownloadTemplate => {
                if !self.is_idle() {
                    return Action::None;
                }
                self.busy = Some(Busy::Template);
                self.template_saved = None;
                self.problem = None;
                // Beside the chosen ledger, where the user is working.
                let directory = Path::new(self.path.trim())
                    .parent()
                    .map(Path::to_path_buf)
                    .filter(|directory| !directory.as_os_str().is_empty());
                return Action::Run(Task::perform(
                    api::save_template(self.session.clone(), self.kind, directory),
                    Message::TemplateSaved,
                ));
            }
            Message::TemplateSaved(result) => {
                if self.busy == Some(Busy::Template) {
                    self.busy = None;
                }
                match result {
                    Ok(path) => self.template_saved = Some(path),
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.problem = Some(error),
                }
            }
            Message::Upload => {
                if !self.is_idle() {
                    return Action::None;
                }
                let path = match check_path(&self.path) {
                    Ok(path) => path,
                    Err(problem) => {
                        self.path_problem = Some(problem);
                        return Action::None;
                    }
                };
                self.forget_upload();
                self.busy = Some(Busy::Uploading);
                self.problem = None;
                self.template_saved = None;
                return Action::Run(Task::perform(
                    api::upload_file(self.session.clone(), path),
                    Message::Uploaded,
                ));
            }
            Message::Uploaded(result) => {
                if self.busy == Some(Busy::Uploading) {
                    self.busy = None;
                }
                match result {
                    Ok(file) => {
                        let first_sheet = file.sheets.first().cloned().unwrap_or_default();
                        self.upload = Some(Uploaded {
                            file,
                            path: PathBuf::from(self.path.trim()),
                        });
                        return self.inspect(first_sheet);
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.problem = Some(error),
                }
            }
            Message::SheetSelected(sheet) => {
                let is_other = self
                    .inspection
                    .as_ref()
                    .is_none_or(|inspection| inspection.sheet != sheet);
                if self.is_idle() && is_other {
                    return self.inspect(sheet);
                }
            }
            Message::Inspected(result) => {
                if self.busy == Some(Busy::Inspecting) {
                    self.busy = None;
                }
                match result {
                    Ok(inspection) => {
                        if self.upload.is_none() {
                            return Action::None;
                        }
                        self.mapping = Mapping::from_inspection(&inspection);
                        self.inspection = Some(inspection);
                        self.problem = None;
                        if self.step == Step::ChooseFile {
                            self.step = Step::Mapping;
                        }
                        // The kind may have changed: its own saved mappings.
                        return Action::Run(self.list_mappings());
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.problem = Some(error),
                }
            }
            Message::ColumnChosen { field, header } => {
                if self.is_idle() {
                    self.mapping.choose(&field, header);
                }
            }
            Message::ResetMapping => {
                if self.is_idle() {
                    self.mapping.reset();
                }
            }
            Message::MappingsListed(_)
            | Message::SavedMappingSelected(_)
            | Message::ApplySavedMapping
            | Message::MappingNameChanged(_)
            | Message::SaveMapping
            | Message::MappingSaved(_)
            | Message::DeleteSavedMapping
            | Message::ConfirmDeleteSavedMapping
            | Message::KeepSavedMapping
            | Message::SavedMappingDeleted(_) => return self.saved_mapping_update(message),
            Message::PolicySelected(policy) => {
                if self.is_idle() {
                    self.policy = policy;
                }
            }
            Message::StartDryRun => {
                let action = self.start_run(RunKind::DryRun);
                if matches!(action, Action::Run(_)) {
                    self.step = Step::DryRun;
                }
                return action;
            }
            Message::PartialToggled(partial) => {
                if self.is_idle() {
                    self.partial = partial;
                }
            }
            Message::ChunkedToggled(chunked) => {
                if self.is_idle() {
                    self.chunked = chunked;
                }
            }
            Message::StartImport => return self.start_run(RunKind::Import),
            Message::Cancel => {
                if let Some(run) = self.run.take_if(|run| run.can_cancel()) {
                    run.handle.abort();
                    self.cancelled = Some(run.kind);
                    self.cancelled_chunked = run.request.chunk_rows > 0;
                }
            }
            Message::Run { run, event } => return self.run_event(run, event),
            Message::ErrorFilePathChanged(path) => {
                self.error_file_path = path;
                self.error_file_saved = None;
            }
            Message::BrowseErrorFilePath(language) => {
                if !self.is_idle() {
                    return Action::None;
                }
                self.busy = Some(Busy::Picking);
                let suggested = if self.error_file_path.trim().is_empty() {
                    PathBuf::from(self.default_error_file_path())
                } else {
                    PathBuf::from(self.error_file_path.trim())
                };
                return Action::Run(Task::perform(
                    api::pick_save_path(
                        tr(language, Key::ChooseErrorFileTitle).to_owned(),
                        suggested,
                    ),
                    Message::ErrorFilePathPicked,
                ));
            }
            Message::ErrorFilePathPicked(picked) => {
                if self.busy == Some(Busy::Picking) {
                    self.busy = None;
                }
                if let Some(path) = picked {
                    self.error_file_path = path.display().to_string();
                    self.error_file_saved = None;
                }
            }
            Message::SaveErrorFile => return self.save_error_file(),
            Message::ErrorFileSaved(result) => {
                if self.busy == Some(Busy::SavingErrorFile) {
                    self.busy = None;
                }
                match result {
                    Ok(path) => self.error_file_saved = Some(path),
                    Err(error) => self.problem = Some(error),
                }
            }
            Message::StartOver => {
                if self.is_idle() {
                    self.forget_upload();
                    self.path.clear();
                    self.partial = false;
                    self.chunked = false;
                    self.problem = None;
                    self.template_saved = None;
                    self.step = Step::ChooseFile;
                    return Action::Run(self.focus());
                }
            }
        }
        Action::None
    }

    fn save_error_file(&mut self) -> Action {
        if !self.is_idle() {
            return Action::None;
        }
        let Some(data) = self.error_file().map(<[u8]>::to_vec) else {
            return Action::None;
        };
        let path = PathBuf::from(self.error_file_path.trim());
        if path.as_os_str().is_empty() {
            return Action::None;
        }
        // The error file must never replace the ledger it was made from.
        if self
            .upload
            .as_ref()
            .is_some_and(|upload| upload.path == path)
        {
            self.problem = Some(ApiError::File(format!(
                "{}: this is the ledger itself; choose another name for the error file",
                path.display()
            )));
            return Action::None;
        }
        self.busy = Some(Busy::SavingErrorFile);
        self.problem = None;
        self.error_file_saved = None;
        Action::Run(Task::perform(
            api::save_file(path, data),
            Message::ErrorFileSaved,
        ))
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let body = match self.step {
            Step::ChooseFile => self.choose_file_view(language),
            Step::Mapping => self.mapping_view(language),
            Step::DryRun => self.dry_run_view(language),
            Step::Import => self.import_view(language),
        };
        // Room on the right for the scroll bar, the stepper aligned with it.
        let beside_scroll_bar = iced::Padding {
            right: 14.0,
            ..iced::Padding::ZERO
        };
        column![
            container(self.stepper(language)).padding(beside_scroll_bar),
            scrollable(container(body).padding(beside_scroll_bar)).height(Length::Fill),
        ]
        .spacing(14)
        .height(Length::Fill)
        .into()
    }

    fn stepper(&self, language: Language) -> Element<'_, Message> {
        let mut steps = row![].spacing(8).align_y(Alignment::Center);
        for (index, step) in Step::ALL.into_iter().enumerate() {
            if index > 0 {
                steps = steps.push(text("›").size(18).style(theme::text::muted));
            }
            let current = step == self.step;
            let reachable = self.is_reachable(step);
            steps = steps.push(
                button(
                    row![
                        text(step.number()).size(13),
                        text(tr(language, step.label())).size(14),
                    ]
                    .spacing(6),
                )
                .padding([5, 14])
                .style(theme::button::step(current, reachable))
                .on_press_maybe(
                    (!current && reachable && self.run.is_none()).then_some(Message::GoTo(step)),
                ),
            );
        }
        container(steps)
            .padding([10, 16])
            .width(Length::Fill)
            .style(theme::container::card)
            .into()
    }

    fn choose_file_view(&self, language: Language) -> Element<'_, Message> {
        let idle = self.is_idle();
        let kinds = widget::segmented(
            KINDS.map(|kind| (kind, texts::kind_name(language, kind).to_owned())),
            self.kind,
            Message::KindSelected,
        );
        let mut page = column![
            row![label(language, Key::ImportKind), kinds]
                .spacing(12)
                .align_y(Alignment::Center)
        ]
        .spacing(14);
        if let Some(note) = kind_note(self.kind) {
            page = page.push(note_box(tr(language, note), theme::container::summary));
        }

        let mut input = text_input(tr(language, Key::FilePathPlaceholder), &self.path)
            .id(PATH_INPUT)
            .padding([8, 10])
            .size(15)
            .style(if self.path_problem.is_some() {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            });
        if idle {
            input = input
                .on_input(Message::PathChanged)
                .on_submit(Message::Upload);
        }
        let file_hint = match self.path_problem {
            Some(PathProblem::Required) => text(tr(language, Key::PathRequired))
                .size(13)
                .style(theme::text::error),
            Some(PathProblem::WrongExtension) => text(tr(language, Key::PathWrongExtension))
                .size(13)
                .style(theme::text::error),
            None => text(tr(language, Key::FileHint))
                .size(13)
                .style(theme::text::muted),
        };
        page = page.push(
            column![
                label(language, Key::FilePath),
                row![
                    input,
                    button(text(tr(language, Key::Browse)))
                        .padding([8, 16])
                        .style(theme::button::secondary)
                        .on_press_maybe(idle.then_some(Message::BrowseLedger(language))),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
                file_hint,
            ]
            .spacing(6),
        );

        let upload_label = match self.busy {
            Some(Busy::Uploading) => Key::Uploading,
            Some(Busy::Inspecting) => Key::Inspecting,
            _ => Key::Upload,
        };
        let template_label = if self.busy == Some(Busy::Template) {
            Key::DownloadingTemplate
        } else {
            Key::DownloadTemplate
        };
        page = page.push(
            row![
                button(text(tr(language, template_label)))
                    .padding([8, 18])
                    .style(theme::button::secondary)
                    .on_press_maybe(idle.then_some(Message::DownloadTemplate)),
                text(tr(language, Key::TemplateHint))
                    .size(13)
                    .style(theme::text::muted)
                    .width(Length::Fill),
                button(text(tr(language, upload_label)))
                    .padding([8, 22])
                    .style(theme::button::primary)
                    .on_press_maybe(idle.then_some(Message::Upload)),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        );

        if let Some(path) = &self.template_saved {
            page = page.push(note_box(
                texts::template_saved(language, path),
                theme::container::success_box,
            ));
        }
        if let Some(problem) = &self.problem {
            page = page.push(problem_box(language, problem));
        }
        if let Some(upload) = &self.upload {
            page = page.push(
                row![
                    text(texts::uploaded_summary(
                        language,
                        &upload.file.file_name,
                        upload.file.size_bytes,
                        upload.file.sheets.len(),
                    ))
                    .size(14)
                    .width(Length::Fill),
                    button(text(tr(language, Key::StepMapping)))
                        .padding([6, 16])
                        .style(theme::button::secondary)
                        .on_press_maybe(
                            (idle && self.inspection.is_some())
                                .then_some(Message::GoTo(Step::Mapping)),
                        ),
                ]
                .spacing(12)
                .align_y(Alignment::Center),
            );
        }
        card(page.into())
    }

    fn mapping_view(&self, language: Language) -> Element<'_, Message> {
        let idle = self.is_idle();
        let Some(inspection) = &self.inspection else {
            return card(text(tr(language, Key::PathRequired)).into());
        };
        let sheets: Vec<String> = self
            .upload
            .as_ref()
            .map(|upload| upload.file.sheets.clone())
            .unwrap_or_default();
        let sheet_picker: Element<'_, Message> = if idle && sheets.len() > 1 {
            pick_list(
                sheets,
                Some(inspection.sheet.clone()),
                Message::SheetSelected,
            )
            .text_size(14)
            .padding([4, 10])
            .style(|theme, status| theme::pick_list::field(theme, status, false))
            .into()
        } else {
            text(inspection.sheet.as_str()).size(14).into()
        };
        let mut facts = row![
            text(
                self.upload
                    .as_ref()
                    .map(|upload| upload.file.file_name.as_str())
                    .unwrap_or_default()
            )
            .size(14),
            label(language, Key::Sheet),
            sheet_picker,
        ]
        .spacing(12)
        .align_y(Alignment::Center);
        if inspection.header_row > 0 {
            facts = facts.push(
                text(texts::header_found(
                    language,
                    inspection.header_row,
                    inspection.data_rows,
                ))
                .size(14)
                .style(theme::text::muted),
            );
        }
        if self.busy == Some(Busy::Inspecting) {
            facts = facts.push(
                text(tr(language, Key::Inspecting))
                    .size(13)
                    .style(theme::text::muted),
            );
        }

        let mut page = column![
            container(facts)
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::summary)
        ]
        .spacing(14);
        if let Some(problem) = &self.problem {
            page = page.push(problem_box(language, problem));
        }
        if inspection.header_row <= 0 {
            page = page.push(note_box(
                tr(language, Key::NoHeader),
                theme::container::warning_box,
            ));
        } else {
            page = page
                .push(self.saved_mappings_view(language, idle))
                .push(mapping::view(language, &self.mapping, idle))
                .push(mapping::footer(language, &self.mapping, idle));
        }
        page = page.push(navigation(
            language,
            idle.then_some(Message::GoTo(Step::ChooseFile)),
            Key::NextToDryRun,
            self.can_run().then_some(Message::GoTo(Step::DryRun)),
        ));
        card(page.into())
    }

    /// 已保存的映射 [pick] 应用 删除 · 保存为 [name] 保存当前映射.
    fn saved_mappings_view(&self, language: Language, idle: bool) -> Element<'_, Message> {
        let saved = &self.saved_mappings;
        let names: Vec<String> = saved.list.iter().map(|known| known.name.clone()).collect();
        // A pick list's placeholder is not text on screen: say 暂无 in words.
        let picker: Element<'_, Message> = if names.is_empty() {
            text(tr(language, Key::NoSavedMappings))
                .size(14)
                .style(theme::text::muted)
                .width(Length::Fixed(220.0))
                .into()
        } else {
            pick_list(names, saved.selected.clone(), Message::SavedMappingSelected)
                .placeholder(tr(language, Key::ChooseSavedMapping))
                .text_size(14)
                .padding([4, 10])
                .width(Length::Fixed(220.0))
                .style(|theme, status| theme::pick_list::field(theme, status, false))
                .into()
        };
        let has_selected = self.selected_mapping().is_some();
        let mut name = text_input(tr(language, Key::MappingNamePlaceholder), &saved.name)
            .id(MAPPING_NAME_INPUT)
            .padding([5, 10])
            .size(14)
            .width(Length::Fill)
            .style(if saved.name_error.is_some() {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            });
        if !saved.busy {
            name = name
                .on_input(Message::MappingNameChanged)
                .on_submit(Message::SaveMapping);
        }
        let mut lines = column![
            row![
                label(language, Key::SavedMappings),
                picker,
                button(text(tr(language, Key::ApplyMapping)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe((idle && has_selected).then_some(Message::ApplySavedMapping)),
                button(text(tr(language, Key::DeleteMapping)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe(
                        (!saved.busy && has_selected && !saved.confirm_delete)
                            .then_some(Message::DeleteSavedMapping),
                    ),
                label(language, Key::MappingName),
                name,
                button(text(tr(language, Key::SaveMapping)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe((!saved.busy).then_some(Message::SaveMapping)),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        ]
        .spacing(6);
        match (&saved.name_error, &saved.saved) {
            (Some(NameProblem::Required), _) => {
                lines = lines.push(
                    text(tr(language, Key::MappingNameRequired))
                        .size(13)
                        .style(theme::text::error),
                );
            }
            (Some(NameProblem::Server(message)), _) => {
                lines = lines.push(text(message.as_str()).size(13).style(theme::text::error));
            }
            (None, Some(_)) => {
                lines = lines.push(
                    text(tr(language, Key::MappingSaved))
                        .size(13)
                        .style(theme::text::success),
                );
            }
            (None, None) => {}
        }
        if saved.confirm_delete
            && let Some(selected) = &saved.selected
        {
            lines = lines.push(
                container(
                    row![
                        text(texts::delete_mapping_question(language, selected))
                            .size(14)
                            .width(Length::Fill),
                        button(text(tr(language, Key::Cancel)).size(13))
                            .padding([5, 12])
                            .style(theme::button::secondary)
                            .on_press(Message::KeepSavedMapping),
                        button(text(tr(language, Key::ConfirmDeleteMapping)).size(13))
                            .padding([5, 12])
                            .style(theme::button::danger)
                            .on_press(Message::ConfirmDeleteSavedMapping),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::warning_box),
            );
        }
        if let Some(problem) = &saved.problem {
            lines = lines.push(problem_box(language, problem));
        }
        container(lines)
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::summary)
            .into()
    }

    fn dry_run_view(&self, language: Language) -> Element<'_, Message> {
        let idle = self.is_idle();
        let policies = widget::segmented(
            POLICIES.map(|policy| (policy, texts::policy_name(language, policy).to_owned())),
            self.policy,
            Message::PolicySelected,
        );
        // Only accounts have a choice for rows already there; a history row
        // imported before is unchanged, one that differs is refused.
        let mut controls = if self.kind == pb::ImportKind::Accounts {
            column![
                row![label(language, Key::Policy), policies]
                    .spacing(12)
                    .align_y(Alignment::Center),
                text(texts::policy_explained(language, self.policy))
                    .size(13)
                    .style(theme::text::muted),
            ]
        } else {
            column![
                text(tr(language, Key::HistoryPolicyNote))
                    .size(13)
                    .style(theme::text::muted)
            ]
        }
        .spacing(8);
        controls = controls.push(
            row![
                text(tr(language, Key::DryRunHint))
                    .size(13)
                    .style(theme::text::muted)
                    .width(Length::Fill),
                button(text(tr(language, Key::StartDryRun)))
                    .padding([8, 22])
                    .style(theme::button::primary)
                    .on_press_maybe(self.can_run().then_some(Message::StartDryRun)),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        );
        controls = self.run_status(language, RunKind::DryRun, controls);

        let mut page = column![card(controls.into())].spacing(14);
        if let Some(finished) = &self.dry_run {
            let view = report::report_view(language, self.kind, &finished.report, |key| {
                self.mapping.label(key)
            });
            let mut result =
                column![report::section_title(tr(language, Key::DryRunResult))].spacing(12);
            if !self.dry_run_is_current() {
                result = result.push(note_box(
                    tr(language, Key::DryRunStale),
                    theme::container::warning_box,
                ));
            }
            result = result
                .push(report::counts_view(language, &view.counts))
                .push(
                    row(view
                        .facts
                        .iter()
                        .map(|(key, value)| fact(language, *key, value.clone())))
                    .spacing(28),
                )
                // The errors first: they are what the user has to act on.
                .push(report::section_title(tr(language, Key::Errors)))
                .push(report::errors_view(language, &view));
            if self.error_file().is_some() {
                result = result.push(self.error_file_view(language));
            }
            result = result
                .push(report::section_title(tr(language, Key::Preview)))
                .push(report::preview_view(language, &view))
                .push(navigation(
                    language,
                    idle.then_some(Message::GoTo(Step::Mapping)),
                    Key::NextToImport,
                    (idle && self.is_reachable(Step::Import))
                        .then_some(Message::GoTo(Step::Import)),
                ));
            page = page.push(card(result.into()));
        }
        page.into()
    }

    fn import_view(&self, language: Language) -> Element<'_, Message> {
        let idle = self.is_idle();
        let mut controls = column![].spacing(10);
        if let Some(dry_run) = &self.dry_run {
            let report = &dry_run.report;
            controls = controls.push(
                text(format!(
                    "{}：{} {} · {} {} · {} {} · {} {}",
                    tr(language, Key::DryRunResult),
                    tr(language, Key::RowsNew),
                    report.rows_new,
                    tr(language, Key::RowsUpdated),
                    report.rows_updated,
                    tr(language, Key::RowsUnchanged),
                    report.rows_unchanged,
                    tr(language, Key::RowsInvalid),
                    report.rows_invalid,
                ))
                .size(14),
            );
            if report.rows_invalid > 0 && !self.partial {
                controls = controls.push(note_box(
                    texts::invalid_rows_warning(language, report.rows_invalid),
                    theme::container::warning_box,
                ));
            }
        }
        let mut partial = checkbox(self.partial)
            .label(tr(language, Key::Partial))
            .size(16)
            .text_size(14);
        if idle {
            partial = partial.on_toggle(Message::PartialToggled);
        }
        controls = controls.push(
            column![
                partial,
                text(tr(language, Key::PartialHint))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(4),
        );
        {
            let mut chunked = checkbox(self.chunked)
                .label(tr(language, Key::Chunked))
                .size(16)
                .text_size(14);
            if idle {
                chunked = chunked.on_toggle(Message::ChunkedToggled);
            }
            let mut hint = column![
                chunked,
                text(tr(language, Key::ChunkedHint))
                    .size(13)
                    .style(theme::text::muted),
            ]
            .spacing(4);
            if self.kind == pb::ImportKind::Readings {
                hint = hint.push(
                    text(tr(language, Key::ChunkedReadingsHint))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
            controls = controls.push(hint);
        }
        if !self.dry_run_is_current() && self.run.is_none() {
            controls = controls.push(note_box(
                tr(language, Key::NeedDryRun),
                theme::container::warning_box,
            ));
        }
        controls = controls.push(
            row![
                button(text(tr(language, Key::Back)))
                    .padding([8, 18])
                    .style(theme::button::secondary)
                    .on_press_maybe(idle.then_some(Message::GoTo(Step::DryRun))),
                text(tr(
                    language,
                    if self.chunk_rows(RunKind::Import) > 0 {
                        Key::ImportHintChunked
                    } else {
                        Key::ImportHint
                    }
                ))
                .size(13)
                .style(theme::text::muted)
                .width(Length::Fill),
                button(text(tr(language, Key::StartImport)))
                    .padding([8, 22])
                    .style(theme::button::primary)
                    .on_press_maybe(self.can_import().then_some(Message::StartImport)),
            ]
            .spacing(14)
            .align_y(Alignment::Center),
        );
        controls = self.run_status(language, RunKind::Import, controls);

        let mut page = column![card(controls.into())].spacing(14);
        if let Some(finished) = &self.imported {
            page = page.push(card(self.import_result_view(language, finished)));
        }
        page.into()
    }

    fn import_result_view<'a>(
        &'a self,
        language: Language,
        finished: &'a Finished,
    ) -> Element<'a, Message> {
        let report = &finished.report;
        let mut result = column![].spacing(12);
        if report.refused {
            result = result.push(
                container(text(texts::refused(language, report.rows_invalid)).size(15))
                    .padding([10, 14])
                    .width(Length::Fill)
                    .style(theme::container::error_box),
            );
            if self.error_file().is_some() {
                result = result.push(self.error_file_view(language));
            }
            return result.into();
        }
        let view = report::report_view(language, self.kind, report, |key| self.mapping.label(key));
        result = result
            .push(report::section_title(tr(language, Key::ImportResult)))
            .push(
                text(texts::import_done(language, self.kind, report))
                    .size(15)
                    .style(theme::text::success),
            )
            .push(report::counts_view(language, &view.counts));
        if report.chunks > 0 {
            result = result.push(
                text(texts::chunks_done(
                    language,
                    report.chunks,
                    report.resumed_from_row,
                    report.resumed_after_accounts,
                ))
                .size(14),
            );
        }
        result = result.push(
            container(report::certificate_view(language, &view, report.import_id))
                .padding(14)
                .width(Length::Fill)
                .style(theme::container::summary),
        );
        if !view.errors.is_empty() {
            result = result
                .push(report::section_title(tr(language, Key::Errors)))
                .push(report::errors_view(language, &view));
        }
        if self.error_file().is_some() {
            result = result.push(self.error_file_view(language));
        }
        result = result.push(
            row![
                iced::widget::space::horizontal(),
                button(text(tr(language, Key::StartOver)))
                    .padding([8, 20])
                    .style(theme::button::secondary)
                    .on_press_maybe(self.is_idle().then_some(Message::StartOver)),
            ]
            .spacing(10),
        );
        result.into()
    }

    /// The progress of a run of `kind`, or how the last one ended.
    fn run_status<'a>(
        &'a self,
        language: Language,
        kind: RunKind,
        mut column: iced::widget::Column<'a, Message>,
    ) -> iced::widget::Column<'a, Message> {
        if let Some(run) = self.run.as_ref().filter(|run| run.kind == kind) {
            let (status, fraction) = match &run.progress {
                None => (tr(language, Key::Starting).to_owned(), 0.0),
                Some(progress) => (
                    texts::progress_text(language, &progress.phase, progress.done, progress.total),
                    fraction(progress),
                ),
            };
            let cancel: Element<'a, Message> = if run.can_cancel() {
                button(text(tr(language, Key::Cancel)).size(14))
                    .padding([5, 16])
                    .style(theme::button::secondary)
                    .on_press(Message::Cancel)
                    .into()
            } else {
                text(tr(language, Key::CannotCancel))
                    .size(13)
                    .style(theme::text::muted)
                    .into()
            };
            column = column.push(
                container(
                    column![
                        row![text(status).size(14).width(Length::Fill), cancel]
                            .spacing(12)
                            .align_y(Alignment::Center),
                        progress_bar(0.0..=1.0, fraction)
                            .girth(8)
                            .style(theme::progress_bar::job),
                    ]
                    .spacing(8),
                )
                .padding([10, 14])
                .width(Length::Fill)
                .style(theme::container::summary),
            );
        }
        if self.cancelled == Some(kind) {
            column = column.push(note_box(
                tr(
                    language,
                    if self.cancelled_chunked {
                        Key::CancelledChunked
                    } else {
                        Key::Cancelled
                    },
                ),
                theme::container::summary,
            ));
        }
        if self.step_of(kind) == self.step
            && let Some(problem) = &self.problem
        {
            column = column.push(problem_box(language, problem));
        }
        column
    }

    /// Rows per batch the run of `kind` asks for; 0 for all or nothing.
    fn chunk_rows(&self, kind: RunKind) -> u32 {
        if kind == RunKind::Import && self.chunked {
            CHUNK_ROWS
        } else {
            0
        }
    }

    fn step_of(&self, kind: RunKind) -> Step {
        match kind {
            RunKind::DryRun => Step::DryRun,
            RunKind::Import => Step::Import,
        }
    }

    fn error_file_view(&self, language: Language) -> Element<'_, Message> {
        let idle = self.is_idle();
        let mut input = text_input("", &self.error_file_path)
            .id(ERROR_FILE_INPUT)
            .padding([7, 10])
            .size(14)
            .style(theme::text_input::field);
        if idle {
            input = input
                .on_input(Message::ErrorFilePathChanged)
                .on_submit(Message::SaveErrorFile);
        }
        let save_label = if self.busy == Some(Busy::SavingErrorFile) {
            Key::SavingErrorFile
        } else {
            Key::SaveErrorFile
        };
        let mut lines = column![
            report::section_title(tr(language, Key::ErrorFile)),
            text(tr(language, Key::ErrorFileHint))
                .size(13)
                .style(theme::text::muted),
            row![
                label(language, Key::ErrorFilePath),
                input,
                button(text(tr(language, Key::Browse)).size(14))
                    .padding([7, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe(idle.then_some(Message::BrowseErrorFilePath(language))),
                button(text(tr(language, save_label)).size(14))
                    .padding([7, 16])
                    .style(theme::button::primary)
                    .on_press_maybe(
                        (idle && !self.error_file_path.trim().is_empty())
                            .then_some(Message::SaveErrorFile),
                    ),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        ]
        .spacing(8);
        if let Some(path) = &self.error_file_saved {
            lines = lines.push(note_box(
                texts::error_file_saved(language, path),
                theme::container::success_box,
            ));
        }
        lines.into()
    }
}

/// How far a phase is, from 0 to 1.
fn fraction(progress: &pb::ImportProgress) -> f32 {
    if progress.total <= 0 {
        return 0.0;
    }
    // Row counts, not money: a float is fine for drawing a bar.
    (progress.done.clamp(0, progress.total) as f32) / (progress.total as f32)
}

fn label<'a>(language: Language, key: Key) -> Element<'a, Message> {
    text(tr(language, key))
        .size(14)
        .style(theme::text::label)
        .into()
}

fn fact<'a>(language: Language, key: Key, value: String) -> Element<'a, Message> {
    row![
        text(tr(language, key)).size(14).style(theme::text::label),
        text(value).size(15),
    ]
    .spacing(8)
    .align_y(Alignment::Center)
    .into()
}

/// What the user should know about a kind before importing it.
fn kind_note(kind: pb::ImportKind) -> Option<Key> {
    match kind {
        pb::ImportKind::Readings => Some(Key::ReadingsHistoryNote),
        pb::ImportKind::Payments => Some(Key::PaymentsHistoryNote),
        pb::ImportKind::Accounts | pb::ImportKind::Unspecified => None,
    }
}

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

/// 上一步 on the left, the way forward on the right.
fn navigation<'a>(
    language: Language,
    back: Option<Message>,
    next: Key,
    on_next: Option<Message>,
) -> Element<'a, Message> {
    row![
        button(text(tr(language, Key::Back)))
            .padding([8, 18])
            .style(theme::button::secondary)
            .on_press_maybe(back),
        iced::widget::space::horizontal(),
        button(text(tr(language, next)))
            .padding([8, 22])
            .style(theme::button::primary)
            .on_press_maybe(on_next),
    ]
    .spacing(10)
    .into()
}

fn card(content: Element<'_, Message>) -> Element<'_, Message> {
    container(content)
        .padding(18)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_before_any_upload() {
        assert_eq!(check_path("   "), Err(PathProblem::Required));
        assert_eq!(check_path("台账.csv"), Err(PathProblem::WrongExtension));
        assert_eq!(
            check_path("  /data/2023年用户台账.xlsx "),
            Ok(PathBuf::from("/data/2023年用户台账.xlsx"))
        );
    }

    #[test]
    fn progress_fractions_stay_in_range() {
        let progress = |done, total| pb::ImportProgress {
            phase: "validating".into(),
            done,
            total,
        };
        assert_eq!(fraction(&progress(0, 0)), 0.0);
        assert_eq!(fraction(&progress(5, 10)), 0.5);
        assert_eq!(fraction(&progress(12, 10)), 1.0);
        assert_eq!(fraction(&progress(-1, 10)), 0.0);
    }
}

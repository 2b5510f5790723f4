//! Import of legacy Excel ledgers: `gascis.v1.ImportService`, and the files
//! on this computer that go with it (the ledger read for the upload, the
//! template and the error file written, the native file dialogs).
//!
//! The calls go over the session's bulk channel: an upload or a sheet read
//! of a large ledger takes longer than an ordinary call may. A run streams
//! its progress; dropping the stream cancels it and the server rolls back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gascis_common::proto::v1 as pb;
use iced::futures::{Stream, stream};
use pb::import_service_client::ImportServiceClient;
use pb::run_import_event::Event;
use tokio::io::AsyncWriteExt as _;
use tonic::transport::Channel;

use super::{ApiError, Session, authorized, classify_status};

/// The size of one upload chunk: small enough for any proxy, large enough
/// that a 200 MB ledger is 200 messages.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// The largest message the import service sends or takes: a report carries
/// its error file.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The largest ledger the server accepts. Checked here before the file is
/// read, so a mistaken pick of a 2 GB file does not fill the memory.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;

/// File extensions of the spreadsheets the server reads.
pub const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// What the error file is called beside the ledger: `台账-错误行.xlsx`.
pub const ERROR_FILE_SUFFIX: &str = "-错误行.xlsx";

fn client(session: &Session) -> ImportServiceClient<Channel> {
    ImportServiceClient::new(Channel::clone(&session.connection.bulk_channel))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

/// Whether `path` names a spreadsheet the server reads, by its extension.
pub fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> ApiError {
    ApiError::File(format!("{}: {error}", path.display()))
}

/// The chunks of an upload: the first names the file, every one carries
/// at most `chunk_bytes` of it, in order. An empty file is one chunk with
/// its name, for the server to refuse.
#[derive(Debug)]
pub struct FileChunks {
    file_name: Option<String>,
    data: Vec<u8>,
    offset: usize,
    chunk_bytes: usize,
}

impl FileChunks {
    pub fn new(file_name: String, data: Vec<u8>, chunk_bytes: usize) -> Self {
        FileChunks {
            file_name: Some(file_name),
            data,
            offset: 0,
            chunk_bytes: chunk_bytes.max(1),
        }
    }
}

impl Iterator for FileChunks {
    type Item = pb::FileChunk;

    fn next(&mut self) -> Option<pb::FileChunk> {
        if self.offset >= self.data.len() && self.file_name.is_none() {
            return None;
        }
        let end = self
            .offset
            .saturating_add(self.chunk_bytes)
            .min(self.data.len());
        let data = self.data.get(self.offset..end).unwrap_or_default().to_vec();
        self.offset = end;
        Some(pb::FileChunk {
            file_name: self.file_name.take().unwrap_or_default(),
            data,
        })
    }
}

/// Uploads the ledger at `path`; the server keeps it until imported and
/// answers with its sheets.
pub async fn upload_file(session: Session, path: PathBuf) -> Result<pb::UploadedFile, ApiError> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| file_error(&path, "not a file name"))?;
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|error| file_error(&path, error))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(file_error(
            &path,
            format!(
                "{size} bytes; the server takes at most {} MB",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        ));
    }
    // Read whole before sending: a read failing halfway must not upload a
    // truncated ledger that the server would take for the whole one.
    let data = tokio::fs::read(&path)
        .await
        .map_err(|error| file_error(&path, error))?;
    let chunks = stream::iter(FileChunks::new(file_name, data, CHUNK_BYTES));
    Ok(client(&session)
        .upload_import_file(authorized(&session, chunks)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// How the server reads a sheet of an upload: the header row, the headers
/// and the field each matched. An empty `sheet` is the first one.
pub async fn inspect_file(
    session: Session,
    upload_id: i64,
    kind: pb::ImportKind,
    sheet: String,
) -> Result<pb::InspectImportFileResponse, ApiError> {
    let request = pb::InspectImportFileRequest {
        upload_id,
        kind: kind as i32,
        sheet,
    };
    Ok(client(&session)
        .inspect_import_file(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The saved column mappings of `kind` (unspecified: of every kind).
pub async fn list_mappings(
    session: Session,
    kind: pb::ImportKind,
) -> Result<pb::ListImportMappingsResponse, ApiError> {
    let request = pb::ListImportMappingsRequest { kind: kind as i32 };
    Ok(client(&session)
        .list_import_mappings(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Saves `mapping` (field key -> header text) as `name`, replacing a
/// mapping of that name. A bad name or mapping comes back as
/// [`ApiError::InvalidField`] naming `name` or `mapping`.
pub async fn save_mapping(
    session: Session,
    name: String,
    kind: pb::ImportKind,
    mapping: Vec<(String, String)>,
) -> Result<pb::ImportMapping, ApiError> {
    let request = pb::SaveImportMappingRequest {
        name,
        kind: kind as i32,
        mapping: mapping.into_iter().collect::<HashMap<_, _>>(),
    };
    Ok(client(&session)
        .save_import_mapping(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Deletes the saved mapping `name`; a name not there is an error.
pub async fn delete_mapping(session: Session, name: String) -> Result<(), ApiError> {
    let request = pb::DeleteImportMappingRequest { name };
    client(&session)
        .delete_import_mapping(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?;
    Ok(())
}

/// What a running import reports: progress, then its end.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Progressed(pb::ImportProgress),
    /// The last event. Boxed: a report carries its error file.
    Finished(Result<Box<pb::ImportReport>, ApiError>),
}

/// The settings of a run, compared to tell whether a dry run still stands
/// for what would be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSettings {
    pub upload_id: i64,
    pub kind: pb::ImportKind,
    pub sheet: String,
    /// Field key -> header text; empty for the server's own recognition.
    pub mapping: Vec<(String, String)>,
    pub policy: pb::ImportPolicy,
}

impl RunSettings {
    /// `chunk_rows`: commit in chunks of that many rows (accounts), 0 for
    /// all or nothing.
    pub fn request(&self, dry_run: bool, partial: bool, chunk_rows: u32) -> pb::RunImportRequest {
        pb::RunImportRequest {
            upload_id: self.upload_id,
            kind: self.kind as i32,
            sheet: self.sheet.clone(),
            mapping: self.mapping.iter().cloned().collect::<HashMap<_, _>>(),
            policy: self.policy as i32,
            dry_run,
            partial,
            chunk_rows,
        }
    }
}

/// Runs a dry run or an import. The stream yields the progress and ends
/// with [`RunEvent::Finished`]; dropping it before cancels the run, and the
/// server rolls back whatever it had written.
pub fn run_import(
    session: Session,
    request: pb::RunImportRequest,
) -> impl Stream<Item = RunEvent> + Send + 'static {
    enum State {
        Start(Box<(Session, pb::RunImportRequest)>),
        // Boxed like `Start`: the state moves through every step.
        Streaming(Box<tonic::Streaming<pb::RunImportEvent>>),
        Done,
    }

    let finished = |result| Some((RunEvent::Finished(result), State::Done));

    stream::unfold(
        State::Start(Box::new((session, request))),
        move |state| async move {
            let mut events = match state {
                State::Done => return None,
                State::Streaming(events) => *events,
                State::Start(start) => {
                    let (session, request) = *start;
                    let request = match authorized(&session, request) {
                        Ok(request) => request,
                        Err(error) => return finished(Err(error)),
                    };
                    match client(&session).run_import(request).await {
                        Ok(response) => response.into_inner(),
                        Err(status) => return finished(Err(classify_status(&status))),
                    }
                }
            };
            loop {
                match events.message().await {
                    Ok(Some(pb::RunImportEvent {
                        event: Some(Event::Progress(progress)),
                    })) => {
                        return Some((
                            RunEvent::Progressed(progress),
                            State::Streaming(Box::new(events)),
                        ));
                    }
                    Ok(Some(pb::RunImportEvent {
                        event: Some(Event::Report(report)),
                    })) => return finished(Ok(Box::new(report))),
                    // An event of a kind a newer server added: not ours.
                    Ok(Some(pb::RunImportEvent { event: None })) => {}
                    Ok(None) => {
                        return finished(Err(ApiError::Other(
                            "the server ended the import without a report".to_owned(),
                        )));
                    }
                    Err(status) => return finished(Err(classify_status(&status))),
                }
            }
        },
    )
}

/// Fetches the template of `kind` and saves it in `directory` (else the
/// user's Downloads folder, else the home folder) under the server's name,
/// numbered rather than overwriting a file there. Answers where it went.
pub async fn save_template(
    session: Session,
    kind: pb::ImportKind,
    directory: Option<PathBuf>,
) -> Result<PathBuf, ApiError> {
    let request = pb::GetImportTemplateRequest { kind: kind as i32 };
    let content = client(&session)
        .get_import_template(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    let directory = directory
        .filter(|directory| !directory.as_os_str().is_empty())
        .or_else(dirs::download_dir)
        .or_else(dirs::home_dir)
        .ok_or_else(|| ApiError::File("no Downloads or home folder to save in".to_owned()))?;
    let name = safe_file_name(&content.file_name).unwrap_or_else(|| "导入模板.xlsx".to_owned());
    write_new_file(&directory, &name, &content.data).await
}

/// The last component of a name the server suggested, or `None` when
/// nothing usable is left: a file name must not climb out of the folder.
pub fn safe_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let bad = last.is_empty()
        || last == "."
        || last == ".."
        || last
            .chars()
            .any(|c| c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'));
    (!bad).then(|| last.to_owned())
}

/// `name` with ` (n)` before its extension: the n-th try at a free name.
pub fn numbered_file_name(name: &str, number: u32) -> String {
    if number <= 1 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem} ({number}).{extension}"),
        _ => format!("{name} ({number})"),
    }
}

/// Writes `data` to a new file `name` in `directory`, or `name (2)`, …:
/// never over a file that is there.
async fn write_new_file(directory: &Path, name: &str, data: &[u8]) -> Result<PathBuf, ApiError> {
    for number in 1..=100 {
        let path = directory.join(numbered_file_name(name, number));
        let opened = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await;
        match opened {
            Ok(mut file) => {
                file.write_all(data)
                    .await
                    .map_err(|error| file_error(&path, error))?;
                file.flush()
                    .await
                    .map_err(|error| file_error(&path, error))?;
                return Ok(path);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(file_error(&path, error)),
        }
    }
    Err(file_error(
        &directory.join(name),
        "a hundred files of that name are there already",
    ))
}

/// Where the error file of the ledger at `ledger` goes by default: beside
/// it, `台账.xlsx` -> `台账-错误行.xlsx`.
pub fn error_file_path(ledger: &Path) -> PathBuf {
    let stem = ledger
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .filter(|stem| !stem.is_empty())
        .unwrap_or_else(|| "导入".to_owned());
    ledger.with_file_name(format!("{stem}{ERROR_FILE_SUFFIX}"))
}

/// Saves an error file at the path the user chose, replacing a file of
/// that name (an older error file of the same ledger).
pub async fn save_file(path: PathBuf, data: Vec<u8>) -> Result<PathBuf, ApiError> {
    tokio::fs::write(&path, data)
        .await
        .map_err(|error| file_error(&path, error))?;
    Ok(path)
}

/// The system's dialog for choosing a ledger; `None` when the user closed
/// it (or the desktop offers no dialog: the path field still works).
pub async fn pick_ledger(
    title: String,
    filter_name: String,
    directory: Option<PathBuf>,
) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(filter_name, &EXTENSIONS);
    if let Some(directory) = directory.filter(|directory| directory.is_dir()) {
        dialog = dialog.set_directory(directory);
    }
    dialog
        .pick_file()
        .await
        .map(|handle| handle.path().to_path_buf())
}

/// The system's dialog for choosing where to save a file, starting at
/// `suggested`.
pub async fn pick_save_path(title: String, suggested: PathBuf) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter("Excel", &["xlsx"]);
    if let Some(directory) = suggested.parent().filter(|directory| directory.is_dir()) {
        dialog = dialog.set_directory(directory);
    }
    if let Some(name) = suggested.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    dialog
        .save_file()
        .await
        .map(|handle| handle.path().to_path_buf())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn chunks_carry_the_file_in_order_and_name_it_once() {
        let data: Vec<u8> = (0..2_500_u32).map(|i| (i % 251) as u8).collect();
        let chunks: Vec<pb::FileChunk> =
            FileChunks::new("台账.xlsx".into(), data.clone(), 1000).collect();

        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].file_name, "台账.xlsx");
        assert!(chunks[1..].iter().all(|chunk| chunk.file_name.is_empty()));
        assert!(chunks.iter().all(|chunk| chunk.data.len() <= 1000));
        let joined: Vec<u8> = chunks.into_iter().flat_map(|chunk| chunk.data).collect();
        assert_eq!(joined, data);
    }

    #[test]
    fn chunk_edges() {
        let exact: Vec<pb::FileChunk> =
            FileChunks::new("a.xlsx".into(), vec![7; 2048], 1024).collect();
        assert_eq!(exact.len(), 2, "no empty chunk after an exact fit");

        let empty: Vec<pb::FileChunk> =
            FileChunks::new("a.xlsx".into(), Vec::new(), 1024).collect();
        assert_eq!(
            empty.len(),
            1,
            "the name still goes, for the server to refuse"
        );
        assert!(empty[0].data.is_empty());

        let one_mib: Vec<pb::FileChunk> =
            FileChunks::new("a.ods".into(), vec![1; CHUNK_BYTES + 1], CHUNK_BYTES).collect();
        assert_eq!(
            one_mib
                .iter()
                .map(|chunk| chunk.data.len())
                .collect::<Vec<_>>(),
            vec![CHUNK_BYTES, 1]
        );
    }

    #[test]
    fn spreadsheets_by_extension() {
        for name in ["a.xlsx", "b.XLS", "c.ods", "d.Xlsm", "/x/用户台账.xlsx"] {
            assert!(is_spreadsheet(Path::new(name)), "{name}");
        }
        for name in ["a.csv", "b", "xlsx", "c.xlsx.txt", ""] {
            assert!(!is_spreadsheet(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn the_error_file_goes_beside_the_ledger() {
        assert_eq!(
            error_file_path(Path::new("/data/2023年用户台账.xlsx")),
            PathBuf::from("/data/2023年用户台账-错误行.xlsx")
        );
        assert_eq!(
            error_file_path(Path::new("accounts_small.ods")),
            PathBuf::from("accounts_small-错误行.xlsx")
        );
    }

    #[test]
    fn server_file_names_stay_in_their_folder() {
        assert_eq!(
            safe_file_name("用户台账导入模板.xlsx").as_deref(),
            Some("用户台账导入模板.xlsx")
        );
        assert_eq!(
            safe_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(safe_file_name("..\\..\\x.xlsx").as_deref(), Some("x.xlsx"));
        for bad in ["", "..", "dir/", "a:b.xlsx", "bell\u{7}.xlsx"] {
            assert_eq!(safe_file_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_file_name("模板.xlsx", 1), "模板.xlsx");
        assert_eq!(numbered_file_name("模板.xlsx", 2), "模板 (2).xlsx");
        assert_eq!(numbered_file_name("README", 3), "README (3)");
        assert_eq!(numbered_file_name(".hidden", 2), ".hidden (2)");
    }

    #[tokio::test]
    async fn a_new_file_never_replaces_one_that_is_there() {
        let directory = tempfile::tempdir().unwrap();
        let first = write_new_file(directory.path(), "模板.xlsx", b"one")
            .await
            .unwrap();
        let second = write_new_file(directory.path(), "模板.xlsx", b"two")
            .await
            .unwrap();
        assert_eq!(first, directory.path().join("模板.xlsx"));
        assert_eq!(second, directory.path().join("模板 (2).xlsx"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
    }

    #[test]
    fn the_mapping_goes_into_the_request() {
        let settings = RunSettings {
            upload_id: 5,
            kind: pb::ImportKind::Accounts,
            sheet: "用户台账".into(),
            mapping: vec![("account_no".into(), "＊用户编号".into())],
            policy: pb::ImportPolicy::Skip,
        };
        let request = settings.request(true, false, 0);
        assert_eq!(request.upload_id, 5);
        assert_eq!(request.kind, pb::ImportKind::Accounts as i32);
        assert_eq!(request.policy, pb::ImportPolicy::Skip as i32);
        assert!(request.dry_run && !request.partial);
        assert_eq!(
            request.mapping.get("account_no").map(String::as_str),
            Some("＊用户编号")
        );
    }
}

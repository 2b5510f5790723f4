//! The customer archive (客户档案): `gascis.v1.ArchiveService`.
//!
//! Requests and answers are the generated proto messages: they already say
//! everything the screens show, and the screens build requests with pure
//! functions that the tests check. Each function takes owned values so it can
//! go straight into `Task::perform`.

use std::path::{Path, PathBuf};

use gascis_common::proto::v1 as pb;
use iced::futures::{Stream, StreamExt as _};
use pb::archive_service_client::ArchiveServiceClient;
use tokio::io::AsyncWriteExt as _;
use tonic::transport::Channel;

use super::{ApiError, Session, authorized, classify_status};
use crate::secret::Secret;

/// How many change records one `list_changes` call brings.
pub const CHANGES_PAGE_SIZE: i32 = 50;

/// How many hits one search page shows.
pub const SEARCH_PAGE_SIZE: i32 = 20;

fn client(session: &Session) -> ArchiveServiceClient<Channel> {
    ArchiveServiceClient::new(session.connection.channel.clone())
}

/// The same service over the bulk channel: the server builds a whole
/// export before its first byte, which takes longer than an ordinary call
/// may on a large archive.
fn bulk_client(session: &Session) -> ArchiveServiceClient<Channel> {
    ArchiveServiceClient::new(Channel::clone(&session.connection.bulk_channel))
}

/// Finds accounts (one page).
pub async fn search_accounts(
    session: Session,
    request: pb::SearchAccountsRequest,
) -> Result<pb::SearchAccountsResponse, ApiError> {
    Ok(client(&session)
        .search_accounts(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// One account with its customer, premise, meters, contracts and history.
pub async fn get_account(session: Session, account_id: i64) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .get_account(authorized(&session, pb::GetAccountRequest { account_id })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Change records of an account, newest first: the newest page when
/// `before_id` is 0, else the page of records older than `before_id`.
pub async fn list_changes(
    session: Session,
    account_id: i64,
    before_id: i64,
) -> Result<Vec<pb::ChangeRecord>, ApiError> {
    let request = pb::ListChangesRequest {
        account_id,
        limit: CHANGES_PAGE_SIZE,
        before_id,
    };
    Ok(client(&session)
        .list_changes(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .changes)
}

/// 开户. The request's idempotency key makes a resend safe.
pub async fn open_account(
    session: Session,
    request: pb::OpenAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .open_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// A supervisor's credentials typed into the approval dialog. The password
/// stays a [`Secret`] until the request is encoded.
#[derive(Debug, Clone)]
pub struct Approval {
    pub username: String,
    pub password: Secret,
}

/// 过户, with the supervisor's approval when the server asked for one.
pub async fn transfer_account(
    session: Session,
    mut request: pb::TransferAccountRequest,
    approval: Option<Approval>,
) -> Result<pb::AccountDetail, ApiError> {
    request.approval = approval.map(|approval| pb::SupervisorApproval {
        username: approval.username,
        password: approval.password.expose().to_owned(),
    });
    Ok(client(&session)
        .transfer_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 销户.
pub async fn close_account(
    session: Session,
    request: pb::CloseAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .close_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 报停 or 复用.
pub async fn set_account_suspended(
    session: Session,
    request: pb::SetAccountSuspendedRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .set_account_suspended(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 换表.
pub async fn replace_meter(
    session: Session,
    request: pb::ReplaceMeterRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .replace_meter(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes customer fields.
pub async fn update_customer(
    session: Session,
    request: pb::UpdateCustomerRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_customer(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes premise fields.
pub async fn update_premise(
    session: Session,
    request: pb::UpdatePremiseRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_premise(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes the low-income flag or the tariff of an account.
pub async fn update_account(
    session: Session,
    request: pb::UpdateAccountRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_account(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Changes a contract's date, purpose or price policy.
pub async fn update_contract(
    session: Session,
    request: pb::UpdateContractRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .update_contract(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 人口登记.
pub async fn register_household(
    session: Session,
    request: pb::RegisterHouseholdRequest,
) -> Result<pb::AccountDetail, ApiError> {
    Ok(client(&session)
        .register_household(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// A customer's personal data in clear, kept out of `Debug` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealedPii {
    pub customer_id: i64,
    pub id_number: Secret,
    pub phone: Secret,
    pub phone2: Secret,
}

/// A customer's identity number and phones in clear; the server audits the
/// call with its reason.
pub async fn reveal_customer_pii(
    session: Session,
    customer_id: i64,
    reason: String,
) -> Result<RevealedPii, ApiError> {
    let request = pb::RevealCustomerPiiRequest {
        customer_id,
        reason,
    };
    let response = client(&session)
        .reveal_customer_pii(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    Ok(RevealedPii {
        customer_id,
        id_number: Secret::from(response.id_number),
        phone: Secret::from(response.phone),
        phone2: Secret::from(response.phone2),
    })
}

/// The extension of the files an export writes.
pub const EXPORT_EXTENSION: &str = "xlsx";

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Data rows in the file (headers not counted), as the server counted
    /// them.
    pub rows: i64,
    /// Where the file is.
    pub path: PathBuf,
}

/// `path`, with `.xlsx` added when it has no extension: a name typed into
/// a save dialog often comes without one.
pub fn with_export_extension(path: PathBuf) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension(EXPORT_EXTENSION)
    }
}

/// Runs an export and writes the workbook to `path`, replacing a file
/// there (the save dialog asked). An empty `request.query` exports every
/// account, else the hits of that search.
///
/// The bytes go to a temporary file beside `path`, renamed to `path` once
/// the server has sent the whole file: a refused, failed or cancelled
/// export (the future dropped) leaves no file, neither a half one nor a
/// temporary one.
pub async fn export_accounts(
    session: Session,
    request: pb::ExportAccountsRequest,
    path: PathBuf,
) -> Result<Exported, ApiError> {
    // Before the call: a folder that cannot be written to must not cost a
    // whole export on the server.
    let part = create_part_file(&path).await?;
    let chunks = bulk_client(&session)
        .export_accounts(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    write_export(chunks, part, path).await
}

/// Writes the chunks of an export to the temporary file `part`, then
/// renames it to `path`; see [`export_accounts`]. Other exports (bills)
/// write their files the same way.
pub(super) async fn write_export<S>(
    mut chunks: S,
    (part, mut file): (PartFile, tokio::fs::File),
    path: PathBuf,
) -> Result<Exported, ApiError>
where
    S: Stream<Item = Result<pb::ExportChunk, tonic::Status>> + Unpin,
{
    let mut rows = None;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|status| classify_status(&status))?;
        rows.get_or_insert(chunk.rows);
        file.write_all(&chunk.data)
            .await
            .map_err(|error| file_error(&part.path, error))?;
    }
    let Some(rows) = rows else {
        return Err(ApiError::Other(
            "the server ended the export without sending a file".to_owned(),
        ));
    };
    // Everything on disk, and the file closed, before it takes the name.
    file.sync_all()
        .await
        .map_err(|error| file_error(&part.path, error))?;
    drop(file);
    tokio::fs::rename(&part.path, &path)
        .await
        .map_err(|error| file_error(&path, error))?;
    part.keep();
    Ok(Exported { rows, path })
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> ApiError {
    ApiError::File(format!("{}: {error}", path.display()))
}

/// The temporary file of an export to `path`, the `number`-th try at a
/// free name: `.用户档案.xlsx.1234-0.part` beside it.
fn part_file_path(path: &Path, number: u32) -> Result<PathBuf, ApiError> {
    let name = path
        .file_name()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| file_error(path, "not a file name"))?
        .to_string_lossy();
    Ok(path.with_file_name(format!(".{name}.{}-{number}.part", std::process::id())))
}

/// A temporary file that is removed when dropped, unless kept.
pub(super) struct PartFile {
    path: PathBuf,
    keep: bool,
}

impl PartFile {
    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            // Nothing more to do when it fails: the name says what it is.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Creates a new temporary file beside `path`, never opening one that is
/// there. The guard is made before the file, so a cancel while it is being
/// created cannot leave it behind; the process id in the name keeps it from
/// ever being another program's file.
pub(super) async fn create_part_file(path: &Path) -> Result<(PartFile, tokio::fs::File), ApiError> {
    for number in 0..100 {
        let part = PartFile {
            path: part_file_path(path, number)?,
            keep: false,
        };
        let opened = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part.path)
            .await;
        match opened {
            Ok(file) => return Ok((part, file)),
            // Not ours to remove.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => part.keep(),
            Err(error) => {
                part.keep();
                return Err(file_error(path, error));
            }
        }
    }
    Err(file_error(
        path,
        "a hundred temporary files of that name are there",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use iced::futures::{FutureExt as _, stream};

    fn chunk(file_name: &str, rows: i64, data: &[u8]) -> Result<pb::ExportChunk, tonic::Status> {
        Ok(pb::ExportChunk {
            file_name: file_name.to_owned(),
            rows,
            data: data.to_vec(),
        })
    }

    /// What `export_accounts` does once the server answers.
    async fn export<S>(chunks: S, path: PathBuf) -> Result<Exported, ApiError>
    where
        S: Stream<Item = Result<pb::ExportChunk, tonic::Status>> + Unpin,
    {
        let part = create_part_file(&path).await?;
        write_export(chunks, part, path).await
    }

    fn names_in(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_whole_export_takes_its_name_and_nothing_else_stays() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("用户档案-20260115.xlsx");
        std::fs::write(&path, b"an older export").unwrap();
        let chunks = stream::iter([
            chunk("用户档案-20260115-0930.xlsx", 3, b"PK\x03\x04"),
            chunk("", 0, b"rest"),
        ]);

        let exported = export(chunks, path.clone()).await.unwrap();

        assert_eq!(
            exported,
            Exported {
                rows: 3,
                path: path.clone()
            }
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"PK\x03\x04rest");
        assert_eq!(names_in(directory.path()), ["用户档案-20260115.xlsx"]);
    }

    #[tokio::test]
    async fn a_failed_export_leaves_no_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("查询结果.xlsx");
        let chunks = stream::iter([
            chunk("查询结果.xlsx", 2, b"PK\x03\x04"),
            Err(tonic::Status::unavailable("connection reset")),
        ]);
        let result = export(chunks, path.clone()).await;
        assert!(
            matches!(result, Err(ApiError::Unreachable(_))),
            "{result:?}"
        );

        let empty = export(stream::iter(Vec::new()), path.clone()).await;
        assert!(matches!(empty, Err(ApiError::Other(_))), "{empty:?}");

        assert!(names_in(directory.path()).is_empty());
    }

    #[tokio::test]
    async fn a_cancelled_export_leaves_no_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("用户档案.xlsx");
        // The server sent a piece and is still building the rest.
        let chunks =
            stream::iter([chunk("用户档案.xlsx", 9, b"PK\x03\x04")]).chain(stream::pending());
        let mut running = Box::pin(export(chunks, path));
        // Poll until the piece is written to the temporary file.
        for _ in 0..500 {
            assert!((&mut running).now_or_never().is_none());
            let written = std::fs::read_dir(directory.path())
                .unwrap()
                .any(|entry| entry.unwrap().metadata().unwrap().len() > 0);
            if written {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(names_in(directory.path()).len(), 1, "the temporary file");
        assert!(
            names_in(directory.path())[0].ends_with(".part"),
            "{:?}",
            names_in(directory.path())
        );

        drop(running);

        assert!(names_in(directory.path()).is_empty());
    }

    #[tokio::test]
    async fn a_folder_that_is_not_there_is_a_file_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("gone").join("用户档案.xlsx");
        let result = export(stream::iter([chunk("a.xlsx", 1, b"PK")]), path).await;
        assert!(matches!(result, Err(ApiError::File(_))), "{result:?}");
    }

    #[test]
    fn a_typed_name_gets_the_extension() {
        assert_eq!(
            with_export_extension(PathBuf::from("/home/li/用户档案")),
            PathBuf::from("/home/li/用户档案.xlsx")
        );
        assert_eq!(
            with_export_extension(PathBuf::from("/home/li/a.XLSX")),
            PathBuf::from("/home/li/a.XLSX")
        );
    }
}

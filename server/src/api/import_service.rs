use std::{
    collections::BTreeMap,
    io::Write,
    sync::{Arc, atomic::AtomicBool},
};

use diesel::prelude::*;
use gascis_common::{
    import_fields::{self, ImportKind},
    proto::v1::{self as pb, import_service_server::ImportService},
};
use sha2::{Digest, Sha256};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::{SharedState, with_connection};
use crate::{
    archive::Actor,
    auth::Caller,
    error::Error,
    import::{self, FileImport, Phase, Policy, source},
};

pub struct ImportApi {
    pub state: SharedState,
}

/// Upper bound of one message carrying a report with its error file.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

fn kind_from_wire(value: i32) -> Result<ImportKind, Error> {
    match pb::ImportKind::try_from(value) {
        Ok(pb::ImportKind::Accounts) => Ok(ImportKind::Accounts),
        Ok(pb::ImportKind::Readings) => Ok(ImportKind::Readings),
        Ok(pb::ImportKind::Payments) => Ok(ImportKind::Payments),
        _ => Err(Error::invalid(
            "kind",
            "choose accounts, readings or payments",
        )),
    }
}

fn extension_of(name: &str) -> Result<String, Error> {
    let extension = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    if ["xlsx", "xlsm", "xls", "ods"].contains(&extension.as_str()) {
        Ok(extension)
    } else {
        Err(Error::invalid(
            "file_name",
            "must end in .xlsx, .xlsm, .xls or .ods",
        ))
    }
}

/// The uploaded file on local disk for calamine, for as long as the
/// returned handle lives.
fn spill(name: &str, data: &[u8]) -> Result<tempfile::NamedTempFile, Error> {
    let extension = extension_of(name)?;
    let mut file = tempfile::Builder::new()
        .suffix(&format!(".{extension}"))
        .tempfile()
        .map_err(|e| Error::Internal(format!("temp file: {e}")))?;
    file.write_all(data)
        .map_err(|e| Error::Internal(format!("temp file: {e}")))?;
    Ok(file)
}

struct Upload {
    file_name: String,
    sha256: Vec<u8>,
    data: Vec<u8>,
}

fn load_upload(connection: &mut PgConnection, upload_id: i64) -> Result<Upload, Error> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        file_name: String,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        file_sha256: Vec<u8>,
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        data: Vec<u8>,
    }
    let row: Option<Row> =
        diesel::sql_query("SELECT file_name, file_sha256, data FROM import_files WHERE id = $1")
            .bind::<diesel::sql_types::BigInt, _>(upload_id)
            .get_result(connection)
            .optional()?;
    let row = row.ok_or_else(|| Error::NotFound(format!("no uploaded file {upload_id}")))?;
    Ok(Upload {
        file_name: row.file_name,
        sha256: row.file_sha256,
        data: row.data,
    })
}

fn source_error(error: source::SourceError) -> Error {
    Error::invalid("file", error.to_string())
}

/// The report of any kind of import.
enum Wire {
    Accounts(import::accounts::Report),
    Readings(import::readings::Report),
    Payments(import::payments::Report),
}

fn errors_to_wire(errors: &[import::RowError]) -> Vec<pb::ImportRowError> {
    errors
        .iter()
        .map(|e| pb::ImportRowError {
            row: e.row as i32,
            field: e.field.clone(),
            value: e.value.clone(),
            reason: e.reason.clone(),
        })
        .collect()
}

/// A payments import in the report of the wire: the amount sums to the fen
/// (the database's only after a commit); the fields of the other kinds stay
/// empty; the preview names each row's date, amount, channel and receipt.
fn payments_report_to_wire(
    report: &import::payments::Report,
    error_file: Vec<u8>,
) -> pb::ImportReport {
    let c = &report.certificate;
    pb::ImportReport {
        import_id: c.import_id,
        dry_run: report.dry_run,
        rows_read: c.counts.read as i32,
        rows_new: c.counts.new as i32,
        rows_unchanged: c.counts.unchanged as i32,
        rows_invalid: c.counts.invalid as i32,
        balanced: !report.dry_run && c.balanced(),
        errors: errors_to_wire(&report.errors),
        preview: report
            .preview
            .iter()
            .map(|p| pb::ImportPreviewRow {
                row: p.row as i32,
                account_no: p.account_no.clone(),
                outcome: p.outcome.to_owned(),
                differences: vec![
                    format!("{} {} {} {}", p.paid_on, p.amount, p.channel, p.receipt_no)
                        .trim_end()
                        .to_owned(),
                ],
            })
            .collect(),
        error_file,
        amount_file: c.amount_file.to_string(),
        amount_db: if report.dry_run {
            String::new()
        } else {
            c.amount_db.to_string()
        },
        chunks: report.chunks.as_ref().map_or(0, |k| k.committed as i32),
        resumed_from_row: report
            .chunks
            .as_ref()
            .and_then(|k| k.resumed_from_row)
            .map(|row| row as i32),
        ..pb::ImportReport::default()
    }
}

/// A readings import in the report of the wire: the consumption sums in
/// m³ to the litre (the database's only after a commit); the balance and
/// arrears fields stay empty; the preview names each row's date and
/// reading.
fn readings_report_to_wire(
    report: &import::readings::Report,
    error_file: Vec<u8>,
) -> pb::ImportReport {
    let c = &report.certificate;
    pb::ImportReport {
        import_id: c.import_id,
        dry_run: report.dry_run,
        rows_read: c.counts.read as i32,
        rows_new: c.counts.new as i32,
        rows_updated: 0,
        rows_unchanged: c.counts.unchanged as i32,
        rows_skipped: 0,
        rows_invalid: c.counts.invalid as i32,
        file_balance: String::new(),
        file_arrears: String::new(),
        db_balance: String::new(),
        db_arrears: String::new(),
        balanced: !report.dry_run && c.balanced(),
        errors: errors_to_wire(&report.errors),
        preview: report
            .preview
            .iter()
            .map(|p| pb::ImportPreviewRow {
                row: p.row as i32,
                account_no: p.account_no.clone(),
                outcome: p.outcome.to_owned(),
                differences: vec![format!("{} {}", p.read_on, p.reading)],
            })
            .collect(),
        error_file,
        refused: false,
        consumption_file: m3(c.consumption_file),
        consumption_db: if report.dry_run {
            String::new()
        } else {
            m3(c.consumption_db)
        },
        chunks: report.chunks.as_ref().map_or(0, |k| k.committed as i32),
        resumed_after_accounts: report
            .chunks
            .as_ref()
            .and_then(|k| k.resumed_after_accounts)
            .map(|accounts| accounts as i32),
        ..pb::ImportReport::default()
    }
}

/// m³ to the litre, as readings are kept.
fn m3(value: rust_decimal::Decimal) -> String {
    let mut value = value;
    value.rescale(3);
    value.to_string()
}

fn report_to_wire(report: &import::accounts::Report, error_file: Vec<u8>) -> pb::ImportReport {
    let c = &report.certificate;
    pb::ImportReport {
        import_id: c.import_id,
        dry_run: report.dry_run,
        rows_read: c.counts.read as i32,
        rows_new: c.counts.new as i32,
        rows_updated: c.counts.updated as i32,
        rows_unchanged: c.counts.unchanged as i32,
        rows_skipped: c.counts.skipped as i32,
        rows_invalid: c.counts.invalid as i32,
        file_balance: c.file_balance.to_string(),
        file_arrears: c.file_arrears.to_string(),
        db_balance: c.db_balance.to_string(),
        db_arrears: c.db_arrears.to_string(),
        balanced: c.balanced(),
        errors: report
            .errors
            .iter()
            .map(|e| pb::ImportRowError {
                row: e.row as i32,
                field: e.field.clone(),
                value: e.value.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        preview: report
            .preview
            .iter()
            .map(
                |(row, account_no, outcome, differences)| pb::ImportPreviewRow {
                    row: *row as i32,
                    account_no: account_no.clone(),
                    outcome: outcome.clone(),
                    differences: differences.clone(),
                },
            )
            .collect(),
        error_file,
        refused: false,
        chunks: report.chunks.as_ref().map_or(0, |k| k.committed as i32),
        resumed_from_row: report
            .chunks
            .as_ref()
            .and_then(|k| k.resumed_from_row)
            .map(|row| row as i32),
        ..pb::ImportReport::default()
    }
}

fn mapping_to_wire(saved: &import::mappings::Saved) -> pb::ImportMapping {
    pb::ImportMapping {
        name: saved.name.clone(),
        kind: match saved.kind.as_str() {
            "accounts" => pb::ImportKind::Accounts,
            "readings" => pb::ImportKind::Readings,
            "payments" => pb::ImportKind::Payments,
            _ => pb::ImportKind::Unspecified,
        } as i32,
        mapping: saved.fields().into_iter().collect(),
        updated_by: saved.created_by.clone(),
        updated_at: Some(super::timestamp(saved.updated_at)),
    }
}

#[tonic::async_trait]
impl ImportService for ImportApi {
    async fn upload_import_file(
        &self,
        request: Request<Streaming<pb::FileChunk>>,
    ) -> Result<Response<pb::UploadedFile>, Status> {
        let caller = Caller::of(&request)?.clone();
        let limits = source::Limits::default();
        let mut stream = request.into_inner();
        let mut file_name = String::new();
        let mut data: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.message().await? {
            if file_name.is_empty() {
                file_name = chunk.file_name.trim().to_owned();
            }
            if (data.len() + chunk.data.len()) as u64 > limits.max_file_bytes {
                return Err(Error::invalid(
                    "data",
                    format!(
                        "the file is larger than {} MB",
                        limits.max_file_bytes / 1024 / 1024
                    ),
                )
                .into());
            }
            data.extend_from_slice(&chunk.data);
        }
        extension_of(&file_name)?;
        if data.is_empty() {
            return Err(Error::invalid("data", "the file is empty").into());
        }
        let sheets = {
            let spilled = spill(&file_name, &data)?;
            source::sheet_names(spilled.path(), &limits).map_err(source_error)?
        };
        let sha256 = Sha256::digest(&data).to_vec();
        let size = data.len() as i64;
        let name = file_name.clone();
        let upload_id = with_connection(&self.state, move |connection| {
            #[derive(QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            Ok(diesel::sql_query(
                "INSERT INTO import_files (file_name, file_sha256, size_bytes, data, uploaded_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind::<diesel::sql_types::Text, _>(&name)
            .bind::<diesel::sql_types::Bytea, _>(&sha256)
            .bind::<diesel::sql_types::BigInt, _>(size)
            .bind::<diesel::sql_types::Bytea, _>(&data)
            .bind::<diesel::sql_types::Text, _>(&caller.username)
            .get_result::<Id>(connection)?
            .id)
        })
        .await?;
        Ok(Response::new(pb::UploadedFile {
            upload_id,
            file_name,
            size_bytes: size,
            sheets,
        }))
    }

    async fn inspect_import_file(
        &self,
        request: Request<pb::InspectImportFileRequest>,
    ) -> Result<Response<pb::InspectImportFileResponse>, Status> {
        let input = request.into_inner();
        let kind = kind_from_wire(input.kind)?;
        let upload = with_connection(&self.state, move |connection| {
            load_upload(connection, input.upload_id)
        })
        .await?;
        let response =
            tokio::task::spawn_blocking(move || -> Result<pb::InspectImportFileResponse, Error> {
                let spilled = spill(&upload.file_name, &upload.data)?;
                let sheet_name = (!input.sheet.is_empty()).then_some(input.sheet.as_str());
                let sheet =
                    source::read_sheet(spilled.path(), sheet_name, &source::Limits::default())
                        .map_err(source_error)?;
                let texts: Vec<Vec<String>> = sheet
                    .rows
                    .iter()
                    .take(50)
                    .map(|(_, cells)| cells.iter().map(source::Cell::display).collect())
                    .collect();
                let found = import_fields::detect_header(kind, &texts);
                let headers = found
                    .as_ref()
                    .and_then(|h| texts.get(h.row).cloned())
                    .unwrap_or_default();
                let fields = kind
                    .fields()
                    .iter()
                    .map(|spec| pb::ImportFieldColumn {
                        field: spec.key.to_owned(),
                        label: spec.label_zh.to_owned(),
                        required: spec.required,
                        header: found
                            .as_ref()
                            .and_then(|h| h.columns.iter().find(|(_, key)| *key == spec.key))
                            .and_then(|(column, _)| headers.get(*column).cloned())
                            .unwrap_or_default(),
                    })
                    .collect();
                let header_index = found.as_ref().map(|h| h.row);
                Ok(pb::InspectImportFileResponse {
                    sheet: sheet.name.clone(),
                    header_row: header_index
                        .and_then(|i| sheet.rows.get(i))
                        .map_or(0, |(row, _)| *row as i32),
                    headers,
                    fields,
                    data_rows: header_index.map_or(0, |i| sheet.rows.len().saturating_sub(i + 1))
                        as i32,
                })
            })
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
        Ok(Response::new(response))
    }

    type RunImportStream = ReceiverStream<Result<pb::RunImportEvent, Status>>;

    async fn run_import(
        &self,
        request: Request<pb::RunImportRequest>,
    ) -> Result<Response<Self::RunImportStream>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let kind = kind_from_wire(input.kind)?;
        let policy = match pb::ImportPolicy::try_from(input.policy) {
            Ok(pb::ImportPolicy::Update) => Policy::Update,
            Ok(pb::ImportPolicy::Skip) => Policy::Skip,
            Ok(pb::ImportPolicy::Fail) => Policy::Fail,
            Err(_) => return Err(Error::invalid("policy", "unknown policy").into()),
        };
        let mapping: Option<BTreeMap<String, String>> =
            (!input.mapping.is_empty()).then(|| input.mapping.into_iter().collect());
        let upload_id = input.upload_id;
        let upload = with_connection(&self.state, move |connection| {
            load_upload(connection, upload_id)
        })
        .await?;
        let (sender, receiver) = tokio::sync::mpsc::channel(64);
        let state = Arc::clone(&self.state);
        tokio::task::spawn_blocking(move || {
            let cancel = AtomicBool::new(false);
            let progress = |progress: import::Progress| {
                let phase = match progress.phase {
                    Phase::Reading => "reading",
                    Phase::Validating => "validating",
                    Phase::Writing => "writing",
                    Phase::Merging => "merging",
                };
                let event = pb::RunImportEvent {
                    event: Some(pb::run_import_event::Event::Progress(pb::ImportProgress {
                        phase: phase.to_owned(),
                        done: progress.done as i64,
                        total: progress.total as i64,
                    })),
                };
                // A closed stream means the client cancelled.
                if sender.blocking_send(Ok(event)).is_err() {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            };
            let outcome = (|| -> Result<pb::ImportReport, Error> {
                let spilled = spill(&upload.file_name, &upload.data)?;
                let error_path = tempfile::Builder::new()
                    .suffix(".xlsx")
                    .tempfile()
                    .map_err(|e| Error::Internal(e.to_string()))?
                    .into_temp_path();
                let mut connection = state
                    .pool
                    .get()
                    .map_err(|e| Error::Database(crate::db::DbError::Connect(e.to_string())))?;
                let actor = Actor {
                    user_id: Some(caller.user_id),
                    username: caller.username.clone(),
                };
                let request = FileImport {
                    path: spilled.path(),
                    sheet: (!input.sheet.is_empty()).then_some(input.sheet.as_str()),
                    mapping: mapping.as_ref(),
                    policy,
                    dry_run: input.dry_run,
                    partial: input.partial,
                    limits: source::Limits::default(),
                    error_file: Some(&error_path),
                    progress: Some(&progress),
                    cancel: Some(&cancel),
                    chunk_rows: (input.chunk_rows > 0).then_some(input.chunk_rows),
                };
                let result = match kind {
                    ImportKind::Readings => import::import_readings_file_named(
                        &mut connection,
                        &actor,
                        &upload.file_name,
                        &upload.sha256,
                        &request,
                    )
                    .map(|(report, _)| Wire::Readings(report)),
                    ImportKind::Payments => import::import_payments_file_named(
                        &mut connection,
                        &actor,
                        &upload.file_name,
                        &upload.sha256,
                        &request,
                    )
                    .map(|(report, _)| Wire::Payments(report)),
                    ImportKind::Accounts => import::import_accounts_file_named(
                        &mut connection,
                        &state.pii,
                        &actor,
                        &upload.file_name,
                        &upload.sha256,
                        &request,
                    )
                    .map(|(report, _)| Wire::Accounts(report)),
                };
                let error_file = std::fs::read(&error_path).unwrap_or_default();
                match result {
                    Ok(Wire::Accounts(report)) => Ok(report_to_wire(&report, error_file)),
                    Ok(Wire::Readings(report)) => Ok(readings_report_to_wire(&report, error_file)),
                    Ok(Wire::Payments(report)) => Ok(payments_report_to_wire(&report, error_file)),
                    Err(import::FileImportError::Import(
                        import::accounts::ImportError::Invalid { rows, .. },
                    )) => Ok(pb::ImportReport {
                        rows_invalid: rows as i32,
                        refused: true,
                        error_file,
                        dry_run: true,
                        ..Default::default()
                    }),
                    Err(import::FileImportError::Source(error)) => Err(source_error(error)),
                    Err(import::FileImportError::Import(
                        import::accounts::ImportError::Database(error),
                    )) => Err(Error::from(error)),
                    Err(other) => Err(Error::invalid("file", other.to_string())),
                }
            })();
            let event = outcome
                .map(|report| pb::RunImportEvent {
                    event: Some(pb::run_import_event::Event::Report(report)),
                })
                .map_err(Status::from);
            let _ = sender.blocking_send(event);
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn list_import_mappings(
        &self,
        request: Request<pb::ListImportMappingsRequest>,
    ) -> Result<Response<pb::ListImportMappingsResponse>, Status> {
        let kind = match request.into_inner().kind {
            0 => None,
            value => Some(kind_from_wire(value)?),
        };
        let saved = with_connection(&self.state, move |connection| {
            import::mappings::list(connection, kind)
        })
        .await?;
        Ok(Response::new(pb::ListImportMappingsResponse {
            mappings: saved.iter().map(mapping_to_wire).collect(),
        }))
    }

    async fn save_import_mapping(
        &self,
        request: Request<pb::SaveImportMappingRequest>,
    ) -> Result<Response<pb::ImportMapping>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let kind = kind_from_wire(input.kind)?;
        let mapping: BTreeMap<String, String> = input.mapping.into_iter().collect();
        let saved = with_connection(&self.state, move |connection| {
            import::mappings::save(connection, &caller.username, &input.name, kind, &mapping)
        })
        .await?;
        Ok(Response::new(mapping_to_wire(&saved)))
    }

    async fn delete_import_mapping(
        &self,
        request: Request<pb::DeleteImportMappingRequest>,
    ) -> Result<Response<pb::DeleteImportMappingResponse>, Status> {
        let name = request.into_inner().name;
        with_connection(&self.state, move |connection| {
            import::mappings::delete(connection, &name)
        })
        .await?;
        Ok(Response::new(pb::DeleteImportMappingResponse {}))
    }

    async fn get_import_template(
        &self,
        request: Request<pb::GetImportTemplateRequest>,
    ) -> Result<Response<pb::FileContent>, Status> {
        let kind = kind_from_wire(request.into_inner().kind)?;
        let (name, data) =
            tokio::task::spawn_blocking(move || -> Result<(String, Vec<u8>), Error> {
                let path = tempfile::Builder::new()
                    .suffix(".xlsx")
                    .tempfile()
                    .map_err(|e| Error::Internal(e.to_string()))?
                    .into_temp_path();
                import::template::write(&path, kind).map_err(|e| Error::Internal(e.to_string()))?;
                let name = match kind {
                    ImportKind::Accounts => "用户台账导入模板.xlsx",
                    ImportKind::Readings => "抄表记录导入模板.xlsx",
                    ImportKind::Payments => "缴费记录导入模板.xlsx",
                };
                let data = std::fs::read(&path).map_err(|e| Error::Internal(e.to_string()))?;
                Ok((name.to_owned(), data))
            })
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
        Ok(Response::new(pb::FileContent {
            file_name: name,
            data,
        }))
    }
}

//! Import of legacy Excel ledgers: read, map headers, clean and validate
//! every row before writing anything, then COPY into staging and merge
//! set-based in one transaction (or, for huge files, in resumable chunks);
//! a reconciliation certificate and an error file close each import.

pub mod accounts;
mod accounts_sql;
mod chunks;
pub mod error_file;
pub mod payments;
pub mod readings;
mod row;
pub mod source;
pub mod template;

use rust_decimal::Decimal;

/// Where a long import is, for progress bars in the CLI and the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Reading,
    Validating,
    Writing,
    Merging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// Receives progress; called from the importing thread.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// What to do with a row whose account already exists and differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Update,
    Skip,
    Fail,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Update => "update",
            Policy::Skip => "skip",
            Policy::Fail => "fail",
        }
    }
}

impl std::str::FromStr for Policy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "update" => Ok(Policy::Update),
            "skip" => Ok(Policy::Skip),
            "fail" => Ok(Policy::Fail),
            other => Err(format!("unknown policy '{other}' (update, skip or fail)")),
        }
    }
}

/// Why one row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based Excel row number.
    pub row: u32,
    /// Canonical field key, or "row" for the row as a whole.
    pub field: String,
    /// The value as shown in the sheet.
    pub value: String,
    pub reason: String,
}

/// Counts of a dry run or a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub read: u32,
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    pub invalid: u32,
}

/// The reconciliation certificate: file sums of the valid rows against the
/// database's sums for the same accounts after the import, to the fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub import_id: i64,
    pub counts: Counts,
    pub file_balance: Decimal,
    pub file_arrears: Decimal,
    pub db_balance: Decimal,
    pub db_arrears: Decimal,
}

impl Certificate {
    pub fn balanced(&self) -> bool {
        self.file_balance == self.db_balance && self.file_arrears == self.db_arrears
    }
}

/// The chunks of a chunked import, over all its runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunks {
    /// Valid rows per chunk in the last run.
    pub chunk_rows: u32,
    /// Chunks committed, by every run of the import.
    pub committed: u32,
    /// Chunks this run committed.
    pub committed_now: u32,
    /// The sheet row an earlier, stopped run of this import had committed
    /// through, when this run resumed it (accounts and payments).
    pub resumed_from_row: Option<u32>,
    /// Readings: the accounts (in account-number order) whose readings an
    /// earlier, stopped run had committed, when this run resumed it.
    pub resumed_after_accounts: Option<u32>,
}

/// Everything about importing one accounts file, for the CLI and the API.
pub struct FileImport<'a> {
    pub path: &'a std::path::Path,
    pub sheet: Option<&'a str>,
    pub mapping: Option<&'a accounts::Mapping>,
    pub policy: Policy,
    pub dry_run: bool,
    pub partial: bool,
    pub limits: source::Limits,
    /// Where to write the error file when rows are rejected.
    pub error_file: Option<&'a std::path::Path>,
    pub progress: Option<ProgressFn<'a>>,
    /// Set by the caller to stop; the transaction is rolled back (in
    /// chunked mode the current chunk's).
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// Commit in chunks of this many valid rows, resumable after a stop
    /// (readings: in chunks of whole accounts, at least this many rows
    /// each); `None` commits all or nothing.
    pub chunk_rows: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileImportError {
    #[error(transparent)]
    Source(#[from] source::SourceError),
    #[error(transparent)]
    Import(#[from] accounts::ImportError),
    #[error("cannot write the error file: {0}")]
    ErrorFile(String),
}

/// A file's name and SHA-256, as `imports` records them (a second import
/// of the same file is recognised by its hash).
fn file_identity(path: &std::path::Path) -> Result<(String, Vec<u8>), FileImportError> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|error| {
        source::SourceError::Open(path.display().to_string(), error.to_string())
    })?;
    let sha256 = Sha256::digest(&bytes).to_vec();
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((file_name, sha256))
}

/// Writes the error file of the rejected rows, when one was asked for and
/// rows were rejected (also when the import as a whole was refused).
fn write_error_file(
    request: &FileImport<'_>,
    errors: &[RowError],
    sheet: &str,
    header: &[source::Cell],
    columns: &accounts::Columns,
    originals: &mut std::collections::BTreeMap<u32, Vec<source::Cell>>,
) -> Result<(), FileImportError> {
    let Some(path) = request.error_file else {
        return Ok(());
    };
    if errors.is_empty() {
        return Ok(());
    }
    // Rows the database refused were not kept in memory: read them again.
    if errors.iter().any(|e| !originals.contains_key(&e.row)) {
        let again = source::read_sheet(request.path, Some(sheet), &request.limits)?;
        for (row, cells) in again.rows {
            if !originals.contains_key(&row) && errors.iter().any(|e| e.row == row) {
                originals.insert(row, cells);
            }
        }
    }
    error_file::write(path, header, columns, originals, errors)
        .map_err(|error| FileImportError::ErrorFile(error.to_string()))
}

/// Reads, validates and (unless a dry run) imports an accounts ledger;
/// writes the error file when rows were rejected (also when the import as
/// a whole was refused for them).
pub fn import_accounts_file(
    connection: &mut diesel::PgConnection,
    keys: &crate::pii::PiiKeys,
    actor: &crate::archive::Actor,
    request: &FileImport<'_>,
) -> Result<(accounts::Report, accounts::Prepared), FileImportError> {
    let (file_name, sha256) = file_identity(request.path)?;
    import_accounts_file_named(connection, keys, actor, &file_name, &sha256, request)
}

/// The same, for a file whose name and hash are known (an upload spilled
/// to a temporary file).
pub fn import_accounts_file_named(
    connection: &mut diesel::PgConnection,
    keys: &crate::pii::PiiKeys,
    actor: &crate::archive::Actor,
    file_name: &str,
    sha256: &[u8],
    request: &FileImport<'_>,
) -> Result<(accounts::Report, accounts::Prepared), FileImportError> {
    let report = |phase, done, total| {
        if let Some(progress) = request.progress {
            progress(Progress { phase, done, total });
        }
    };
    report(Phase::Reading, 0, 1);
    let sheet = source::read_sheet(request.path, request.sheet, &request.limits)?;
    report(Phase::Reading, 1, 1);
    let mut prepared = accounts::prepare(
        sheet,
        request.mapping,
        crate::archive::today(),
        request.progress,
    )?;
    let outcome = accounts::run(
        connection,
        keys,
        actor,
        &prepared,
        &accounts::RunOptions {
            file_name,
            file_sha256: sha256,
            policy: request.policy,
            dry_run: request.dry_run,
            partial: request.partial,
            progress: request.progress,
            cancel: request.cancel,
            chunk_rows: request.chunk_rows,
        },
    );
    let errors: Vec<RowError> = match &outcome {
        Ok(report) => report.errors.clone(),
        // Refused as a whole: the refusal carries the rows' problems.
        Err(accounts::ImportError::Invalid { errors, .. }) => errors.clone(),
        Err(_) => Vec::new(),
    };
    write_error_file(
        request,
        &errors,
        &prepared.sheet,
        &prepared.header,
        &prepared.columns,
        &mut prepared.originals,
    )?;
    Ok((outcome?, prepared))
}

/// Reads, validates and (unless a dry run) imports a meter-readings
/// history; `policy` of the request does not apply (a different reading on
/// an imported date is always refused). Writes the error file when rows
/// were rejected (also when the import as a whole was refused for them).
pub fn import_readings_file(
    connection: &mut diesel::PgConnection,
    actor: &crate::archive::Actor,
    request: &FileImport<'_>,
) -> Result<(readings::Report, readings::Prepared), FileImportError> {
    let (file_name, sha256) = file_identity(request.path)?;
    import_readings_file_named(connection, actor, &file_name, &sha256, request)
}

/// The same, for a file whose name and hash are known.
pub fn import_readings_file_named(
    connection: &mut diesel::PgConnection,
    actor: &crate::archive::Actor,
    file_name: &str,
    sha256: &[u8],
    request: &FileImport<'_>,
) -> Result<(readings::Report, readings::Prepared), FileImportError> {
    let report = |phase, done, total| {
        if let Some(progress) = request.progress {
            progress(Progress { phase, done, total });
        }
    };
    report(Phase::Reading, 0, 1);
    let sheet = source::read_sheet(request.path, request.sheet, &request.limits)?;
    report(Phase::Reading, 1, 1);
    let mut prepared = readings::prepare(
        sheet,
        request.mapping,
        crate::archive::today(),
        request.progress,
    )?;
    let outcome = readings::run(
        connection,
        actor,
        // Imported history skips the anomaly checks the rules configure.
        &crate::billing::readings::Rules::default(),
        &prepared,
        &readings::RunOptions {
            file_name,
            file_sha256: sha256,
            dry_run: request.dry_run,
            partial: request.partial,
            progress: request.progress,
            cancel: request.cancel,
            chunk_rows: request.chunk_rows,
        },
    );
    let errors: Vec<RowError> = match &outcome {
        Ok(report) => report.errors.clone(),
        Err(accounts::ImportError::Invalid { errors, .. }) => errors.clone(),
        Err(_) => Vec::new(),
    };
    write_error_file(
        request,
        &errors,
        &prepared.sheet,
        &prepared.header,
        &prepared.columns,
        &mut prepared.originals,
    )?;
    Ok((outcome?, prepared))
}

/// Reads, validates and (unless a dry run) records a payments history as
/// history only (no ledger posting: the accounts import's opening balances
/// already hold what these payments did); `policy` of the request does not
/// apply (a different payment under an imported receipt number is always
/// refused). Writes the error file when rows were rejected (also when the
/// import as a whole was refused for them).
pub fn import_payments_file(
    connection: &mut diesel::PgConnection,
    actor: &crate::archive::Actor,
    request: &FileImport<'_>,
) -> Result<(payments::Report, payments::Prepared), FileImportError> {
    let (file_name, sha256) = file_identity(request.path)?;
    import_payments_file_named(connection, actor, &file_name, &sha256, request)
}

/// The same, for a file whose name and hash are known.
pub fn import_payments_file_named(
    connection: &mut diesel::PgConnection,
    actor: &crate::archive::Actor,
    file_name: &str,
    sha256: &[u8],
    request: &FileImport<'_>,
) -> Result<(payments::Report, payments::Prepared), FileImportError> {
    let report = |phase, done, total| {
        if let Some(progress) = request.progress {
            progress(Progress { phase, done, total });
        }
    };
    report(Phase::Reading, 0, 1);
    let sheet = source::read_sheet(request.path, request.sheet, &request.limits)?;
    report(Phase::Reading, 1, 1);
    let mut prepared = payments::prepare(
        sheet,
        request.mapping,
        crate::archive::today(),
        request.progress,
    )?;
    let outcome = payments::run(
        connection,
        actor,
        &prepared,
        &payments::RunOptions {
            file_name,
            file_sha256: sha256,
            dry_run: request.dry_run,
            partial: request.partial,
            progress: request.progress,
            cancel: request.cancel,
            chunk_rows: request.chunk_rows,
        },
    );
    let errors: Vec<RowError> = match &outcome {
        Ok(report) => report.errors.clone(),
        Err(accounts::ImportError::Invalid { errors, .. }) => errors.clone(),
        Err(_) => Vec::new(),
    };
    write_error_file(
        request,
        &errors,
        &prepared.sheet,
        &prepared.header,
        &prepared.columns,
        &mut prepared.originals,
    )?;
    Ok((outcome?, prepared))
}

/// Saved column mappings (table `import_mappings`), stored as the TOML of
/// the CLI's mapping files.
pub mod mappings {
    use chrono::{DateTime, Utc};
    use diesel::{
        prelude::*,
        sql_query,
        sql_types::{Text, Timestamptz},
    };
    use gascis_common::import_fields::ImportKind;

    use super::accounts::Mapping;
    use crate::error::{Error, Result};

    pub fn kind_key(kind: ImportKind) -> &'static str {
        match kind {
            ImportKind::Accounts => "accounts",
            ImportKind::Readings => "readings",
            ImportKind::Payments => "payments",
        }
    }

    #[derive(Debug, Clone, QueryableByName)]
    pub struct Saved {
        #[diesel(sql_type = Text)]
        pub name: String,
        #[diesel(sql_type = Text)]
        pub kind: String,
        #[diesel(sql_type = Text)]
        pub mapping: String,
        #[diesel(sql_type = Text)]
        pub created_by: String,
        #[diesel(sql_type = Timestamptz)]
        pub updated_at: DateTime<Utc>,
    }

    impl Saved {
        pub fn fields(&self) -> Mapping {
            toml::from_str(&self.mapping).unwrap_or_default()
        }
    }

    /// Checks a mapping against the fields of its kind.
    pub fn validate(kind: ImportKind, mapping: &Mapping) -> Result<()> {
        if mapping.is_empty() {
            return Err(Error::invalid("mapping", "map at least one field"));
        }
        for (field, header) in mapping {
            if !kind.fields().iter().any(|spec| spec.key == field) {
                return Err(Error::invalid(
                    "mapping",
                    format!("'{field}' is not a field of this kind"),
                ));
            }
            let header = header.trim();
            if header.is_empty() || header.chars().count() > 100 {
                return Err(Error::invalid(
                    "mapping",
                    format!("the header of '{field}' must have 1 to 100 characters"),
                ));
            }
        }
        Ok(())
    }

    pub fn save(
        connection: &mut PgConnection,
        username: &str,
        name: &str,
        kind: ImportKind,
        mapping: &Mapping,
    ) -> Result<Saved> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::invalid("name", "must have 1 to 60 characters"));
        }
        validate(kind, mapping)?;
        let text = toml::to_string(mapping).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(sql_query(
            "INSERT INTO import_mappings (name, kind, mapping, created_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, mapping = EXCLUDED.mapping, \
                created_by = EXCLUDED.created_by, updated_at = now() \
             RETURNING name, kind, mapping, created_by, updated_at",
        )
        .bind::<Text, _>(name)
        .bind::<Text, _>(kind_key(kind))
        .bind::<Text, _>(&text)
        .bind::<Text, _>(username)
        .get_result(connection)?)
    }

    pub fn list(connection: &mut PgConnection, kind: Option<ImportKind>) -> Result<Vec<Saved>> {
        Ok(sql_query(
            "SELECT name, kind, mapping, created_by, updated_at FROM import_mappings \
             WHERE $1 = '' OR kind = $1 ORDER BY name",
        )
        .bind::<Text, _>(kind.map(kind_key).unwrap_or(""))
        .load(connection)?)
    }

    pub fn find(connection: &mut PgConnection, name: &str) -> Result<Saved> {
        sql_query("SELECT name, kind, mapping, created_by, updated_at FROM import_mappings WHERE name = $1")
            .bind::<Text, _>(name)
            .get_result(connection)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("no saved mapping named '{name}'")))
    }

    pub fn delete(connection: &mut PgConnection, name: &str) -> Result<()> {
        let deleted = sql_query("DELETE FROM import_mappings WHERE name = $1")
            .bind::<Text, _>(name)
            .execute(connection)?;
        if deleted == 0 {
            return Err(Error::NotFound(format!("no saved mapping named '{name}'")));
        }
        Ok(())
    }
}

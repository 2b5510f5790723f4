//! What the chunked, resumable imports share: finding the unfinished
//! import of a file to resume (or opening a new one), the row lock that
//! keeps two runs of one import from writing a chunk twice, and the error
//! a stopped run ends with.

use diesel::prelude::*;

use super::accounts::ImportError;
use crate::schema::imports;

/// The file a chunked import reads, as `imports` identifies it.
pub(super) struct File<'a> {
    pub kind: &'static str,
    pub file_name: &'a str,
    pub sha256: &'a [u8],
    pub sheet: &'a str,
    pub policy: &'static str,
    pub created_by: &'a str,
}

/// A chunked import ready for its next chunk.
pub(super) struct Opened {
    pub import_id: i64,
    /// Where an earlier, stopped run left it, when this run resumes it.
    pub resumed_from_row: Option<u32>,
    /// The sheet row of the last row of the last committed chunk (0: none).
    pub position: u32,
    pub chunks: u32,
}

/// The unfinished (`partial`) chunked import of the same kind, file,
/// sheet and policy, resumed with the new chunk size, or a new one.
pub(super) fn open(
    connection: &mut PgConnection,
    file: &File<'_>,
    chunk_rows: u32,
) -> QueryResult<Opened> {
    let chunk_size = i32::try_from(chunk_rows).unwrap_or(i32::MAX);
    connection.transaction(|connection| {
        let unfinished: Option<(i64, i32, i32)> = imports::table
            .filter(imports::kind.eq(file.kind))
            .filter(imports::file_sha256.eq(file.sha256))
            .filter(imports::sheet.eq(file.sheet))
            .filter(imports::policy.eq(file.policy))
            .filter(imports::status.eq("partial"))
            .order(imports::id.desc())
            .select((
                imports::id,
                imports::committed_through_row,
                imports::chunks_done,
            ))
            .for_update()
            .first(connection)
            .optional()?;
        if let Some((import_id, through_row, chunks)) = unfinished {
            diesel::update(imports::table.find(import_id))
                .set(imports::chunk_rows.eq(Some(chunk_size)))
                .execute(connection)?;
            let position = u32::try_from(through_row).unwrap_or(0);
            return Ok(Opened {
                import_id,
                resumed_from_row: Some(position),
                position,
                chunks: u32::try_from(chunks).unwrap_or(0),
            });
        }
        let import_id: i64 = diesel::insert_into(imports::table)
            .values((
                imports::kind.eq(file.kind),
                imports::file_name.eq(file.file_name),
                imports::file_sha256.eq(file.sha256),
                imports::sheet.eq(file.sheet),
                imports::policy.eq(file.policy),
                imports::status.eq("partial"),
                imports::created_by.eq(file.created_by),
                imports::chunk_rows.eq(Some(chunk_size)),
            ))
            .returning(imports::id)
            .get_result(connection)?;
        Ok(Opened {
            import_id,
            resumed_from_row: None,
            position: 0,
            chunks: 0,
        })
    })
}

/// Locks a chunked import's row for this transaction and checks that it
/// is still where this run left it: a second run of the same import waits
/// here and then stops instead of writing rows twice.
pub(super) fn lock_position(
    connection: &mut PgConnection,
    import_id: i64,
    position: u32,
) -> Result<(), ImportError> {
    let (status, through_row): (String, i32) = imports::table
        .find(import_id)
        .select((imports::status, imports::committed_through_row))
        .for_update()
        .first(connection)?;
    if status != "partial" || u32::try_from(through_row).ok() != Some(position) {
        return Err(ImportError::Other(format!(
            "import #{import_id} was continued by another run (now {status}, through row {through_row})"
        )));
    }
    Ok(())
}

/// Records a committed chunk: the position it reached and, for the
/// imports that keep no row outcomes, its new and unchanged rows.
pub(super) fn advance(
    connection: &mut PgConnection,
    import_id: i64,
    through_row: u32,
    new: u32,
    unchanged: u32,
) -> QueryResult<()> {
    diesel::update(imports::table.find(import_id))
        .set((
            imports::committed_through_row.eq(i32::try_from(through_row).unwrap_or(i32::MAX)),
            imports::chunks_done.eq(imports::chunks_done + 1),
            imports::rows_new.eq(imports::rows_new + i32::try_from(new).unwrap_or(i32::MAX)),
            imports::rows_unchanged
                .eq(imports::rows_unchanged + i32::try_from(unchanged).unwrap_or(i32::MAX)),
        ))
        .execute(connection)?;
    Ok(())
}

/// Where a chunked import stands: after a sheet row (accounts, payments)
/// or after a number of accounts (readings, which chunk by account).
pub(super) enum Position {
    Row(u32),
    Accounts(u32),
}

/// The error a chunked run stops with, naming what its committed chunks
/// hold: a cancel as such, any other failure with its reason.
pub(super) fn stopped(
    reason: ImportError,
    import_id: i64,
    position: Position,
    chunks: u32,
) -> ImportError {
    let cancelled = matches!(reason, ImportError::Cancelled);
    match (position, cancelled) {
        (Position::Row(through_row), true) => ImportError::CancelledAfter {
            import_id,
            through_row,
            chunks,
        },
        (Position::Row(through_row), false) => ImportError::Interrupted {
            import_id,
            through_row,
            chunks,
            reason: reason.to_string(),
        },
        (Position::Accounts(accounts), true) => ImportError::CancelledAfterAccounts {
            import_id,
            accounts,
            chunks,
        },
        (Position::Accounts(accounts), false) => ImportError::InterruptedAfterAccounts {
            import_id,
            accounts,
            chunks,
            reason: reason.to_string(),
        },
    }
}

//! What the import suites share: the importing actor, a file import with
//! the usual options, and counting rows.

use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_server::{
    archive::Actor,
    import::{FileImport, Policy, source},
};

/// Who imports in the tests.
pub fn importer() -> Actor {
    Actor {
        user_id: None,
        username: "importer".to_owned(),
    }
}

/// An import of `path` with the default limits, no sheet or mapping, no
/// progress and no cancel.
pub fn file_import<'a>(
    path: &'a std::path::Path,
    policy: Policy,
    dry_run: bool,
    partial: bool,
    errors: Option<&'a std::path::Path>,
) -> FileImport<'a> {
    FileImport {
        path,
        sheet: None,
        mapping: None,
        policy,
        dry_run,
        partial,
        limits: source::Limits::default(),
        error_file: errors,
        progress: None,
        cancel: None,
        chunk_rows: None,
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The `count` column of the first row of `sql` (0 when no row).
pub fn count(connection: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    let rows: Vec<Count> = sql_query(sql).load(connection)?;
    Ok(rows.first().map_or(0, |r| r.count))
}

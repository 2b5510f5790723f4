//! Connections, the request pool and migrations.

use diesel::{
    Connection, PgConnection,
    r2d2::{ConnectionManager, Pool, PooledConnection},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PooledPg = PooledConnection<ConnectionManager<PgConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
}

pub fn connect(url: &str) -> Result<PgConnection, DbError> {
    PgConnection::establish(url).map_err(|error| DbError::Connect(one_line(&error.to_string())))
}

pub fn pool(url: &str, size: u32) -> Result<PgPool, DbError> {
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(ConnectionManager::<PgConnection>::new(url))
        .map_err(|error| DbError::Connect(one_line(&error.to_string())))
}

/// Applies every pending migration; returns the versions applied.
pub fn migrate(connection: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let applied: Vec<String> = connection
        .run_pending_migrations(MIGRATIONS)
        .map_err(|error| DbError::Migration(one_line(&error.to_string())))?
        .iter()
        .map(ToString::to_string)
        .collect();
    // The city presets are data every company starts from; published once.
    crate::billing::tariffs::seed_presets(connection)
        .map_err(|error| DbError::Migration(format!("tariff presets: {error}")))?;
    Ok(applied)
}

/// Migrations compiled in but not yet applied.
pub fn pending_migrations(connection: &mut PgConnection) -> Result<Vec<String>, DbError> {
    let pending = connection
        .pending_migrations(MIGRATIONS)
        .map_err(|error| DbError::Migration(one_line(&error.to_string())))?;
    Ok(pending.iter().map(|m| m.name().to_string()).collect())
}

/// The newest applied migration version, e.g. "20261125000001". Read with
/// plain SQL: diesel's harness would try to create its table, which the
/// restricted application role may not.
pub fn schema_version(connection: &mut PgConnection) -> Result<String, DbError> {
    use diesel::{QueryableByName, RunQueryDsl, sql_types::Nullable, sql_types::Text};
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Nullable<Text>)]
        version: Option<String>,
    }
    let rows: Vec<Version> =
        diesel::sql_query("SELECT max(version) AS version FROM __diesel_schema_migrations")
            .load(connection)?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|row| row.version)
        .unwrap_or_default())
}

/// The newest migration this binary knows.
pub fn expected_schema_version() -> String {
    use diesel::migration::MigrationSource;
    let migrations: Vec<Box<dyn diesel::migration::Migration<diesel::pg::Pg>>> =
        MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default();
    migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .max()
        .unwrap_or_default()
}

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A hand-written statement that each connection prepares once and then
/// reuses, as diesel does for its query builder's statements: `sql_query`
/// text is otherwise parsed and planned on every call, which on the
/// counter's payment path cost as much as the work itself (payment_bench).
/// Only for SQL text fixed in the code: a connection keeps one prepared
/// statement per distinct text.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(pub Q);

impl<Q> diesel::query_builder::QueryFragment<diesel::pg::Pg> for Prepared<Q>
where
    Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(
        &'b self,
        pass: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // `sql_query` says "unsafe to cache" because its text may be built
    // from values; this wrapper is the caller's word that it is not.
    fn is_safe_to_cache_prepared(&self, _backend: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its SQL text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> diesel::RunQueryDsl<Conn> for Prepared<Q> {}

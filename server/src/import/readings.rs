//! Import of meter-reading histories: one row per account and reading
//! date. Imported readings were billed in the old system; they only mark
//! where the first bill of this system starts, and they skip the anomaly
//! queue (a reading below the previous one is still a wrong row). All at
//! once, or for huge histories in resumable chunks of whole accounts.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Array, BigInt, Date, Integer, Numeric, Text},
};
use gascis_common::{
    cleaning::{self, CleanError},
    import_fields::ImportKind,
};
use rust_decimal::Decimal;

use super::row::Row;
use super::{
    Counts, RowError,
    accounts::{Columns, Header, ImportError, Mapping, locate_header, text_of},
    source::{Cell, Sheet},
};
use crate::{
    archive::Actor,
    billing::readings::{self, NewReading, Rules, Source},
    error::Error,
    schema::imports,
};

/// One valid, cleaned row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingValues {
    pub account_no: String,
    /// Empty when the sheet does not name the meter.
    pub meter_no: String,
    pub read_on: NaiveDate,
    pub reading: Decimal,
    pub reader: String,
}

/// A sheet after header detection, cleaning and in-file validation.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sheet: String,
    pub header_row: u32,
    pub header: Vec<Cell>,
    pub columns: Columns,
    pub valid: Vec<(u32, ReadingValues)>,
    pub errors: Vec<RowError>,
    /// The rejected rows as read, for the error file.
    pub originals: BTreeMap<u32, Vec<Cell>>,
    /// Data rows read.
    pub rows_read: u32,
}

/// How a readings sheet's fields are read.
trait ReadingFields {
    fn code(&mut self, key: &str, required: bool) -> Option<String>;
    fn reading(&mut self, key: &str) -> Option<Decimal>;
}

impl ReadingFields for Row<'_> {
    fn code(&mut self, key: &str, required: bool) -> Option<String> {
        let text = text_of(self.cell(key)).trim().to_uppercase();
        if text.is_empty() {
            if required {
                self.fail(key, "is required");
                return None;
            }
            return Some(text);
        }
        if text.chars().count() > 32 {
            self.fail(key, "longer than 32 characters");
            return None;
        }
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            self.fail(key, "may contain only letters, digits and '-'");
            return None;
        }
        Some(text)
    }

    fn reading(&mut self, key: &str) -> Option<Decimal> {
        let parsed = match self.cell(key) {
            Cell::Empty => {
                self.fail(key, "is required");
                return None;
            }
            Cell::Number(value) => cleaning::decimal_from_excel_number(*value, 3),
            Cell::Text(text) => cleaning::parse_decimal(text, 3),
            other => Err(CleanError::Number(other.display())),
        };
        match parsed {
            Ok(value) if value.is_sign_negative() && !value.is_zero() => {
                self.fail(key, "a meter reading cannot be negative");
                None
            }
            Ok(value) if value >= Decimal::from(10_i64.pow(11)) => {
                self.fail(key, "is larger than any meter register");
                None
            }
            Ok(value) => Some(value.abs()),
            Err(error) => {
                self.fail(key, error.to_string());
                None
            }
        }
    }
}

fn parse_row(
    row: u32,
    cells: &[Cell],
    columns: &HashMap<&'static str, usize>,
    today: NaiveDate,
) -> Result<ReadingValues, Vec<RowError>> {
    let mut r = Row::new(row, cells, columns);
    let account_no = r.code("account_no", true);
    let meter_no = r.code("meter_no", false);
    let read_on = r.past_date("read_on", today);
    let reading = r.reading("reading");
    let reader = text_of(r.cell("reader")).trim().to_owned();
    if reader.chars().count() > 60 {
        r.fail("reader", "longer than 60 characters");
    }
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    match (account_no, meter_no, read_on, reading) {
        (Some(account_no), Some(meter_no), Some(read_on), Some(reading)) => Ok(ReadingValues {
            account_no,
            meter_no,
            read_on,
            reading,
            reader,
        }),
        _ => Err(vec![RowError {
            row,
            field: "row".to_owned(),
            value: String::new(),
            reason: "incomplete row".to_owned(),
        }]),
    }
}

/// Finds the header, cleans and validates every row, and refuses a second
/// reading of one account on one date. Touches no database.
pub fn prepare(
    sheet: Sheet,
    mapping: Option<&Mapping>,
    today: NaiveDate,
    progress: Option<super::ProgressFn<'_>>,
) -> Result<Prepared, ImportError> {
    let Header {
        index: header_index,
        columns,
        by_key,
        row: header_row,
        cells: header,
    } = locate_header(ImportKind::Readings, &sheet, mapping)?;
    let mut prepared = Prepared {
        sheet: sheet.name.clone(),
        header_row,
        header,
        columns,
        valid: Vec::new(),
        errors: Vec::new(),
        originals: BTreeMap::new(),
        rows_read: 0,
    };
    let mut seen: HashMap<(String, NaiveDate), u32> = HashMap::new();
    let total = sheet.rows.len().saturating_sub(header_index + 1) as u64;
    for (index, (row, cells)) in sheet.rows.into_iter().skip(header_index + 1).enumerate() {
        if let Some(progress) = progress
            && index % 5000 == 0
        {
            progress(super::Progress {
                phase: super::Phase::Validating,
                done: index as u64,
                total,
            });
        }
        prepared.rows_read += 1;
        match parse_row(row, &cells, &by_key, today) {
            Err(errors) => {
                prepared.errors.extend(errors);
                prepared.originals.insert(row, cells);
            }
            Ok(values) => {
                let key = (values.account_no.clone(), values.read_on);
                if let Some(first) = seen.get(&key) {
                    prepared.errors.push(RowError {
                        row,
                        field: "read_on".to_owned(),
                        value: values.read_on.to_string(),
                        reason: format!(
                            "duplicate of row {first}: account {} has one reading per date",
                            values.account_no
                        ),
                    });
                    prepared.originals.insert(row, cells);
                    continue;
                }
                seen.insert(key, row);
                prepared.valid.push((row, values));
            }
        }
    }
    Ok(prepared)
}

/// How an import runs.
pub struct RunOptions<'a> {
    pub file_name: &'a str,
    pub file_sha256: &'a [u8],
    pub dry_run: bool,
    /// Import the valid rows even when some are invalid.
    pub partial: bool,
    pub progress: Option<super::ProgressFn<'a>>,
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// Record the valid rows in resumable chunks of whole accounts, each of
    /// at least this many rows; `None` records all or nothing.
    pub chunk_rows: Option<u32>,
}

impl RunOptions<'_> {
    fn check_cancelled(&self) -> Result<(), Stop> {
        match self.cancel {
            Some(flag) if flag.load(std::sync::atomic::Ordering::Relaxed) => {
                Err(Stop::Failed(ImportError::Cancelled))
            }
            _ => Ok(()),
        }
    }

    fn report(&self, phase: super::Phase, done: u64, total: u64) {
        if let Some(progress) = self.progress {
            progress(super::Progress { phase, done, total });
        }
    }
}

/// The reconciliation certificate of a readings import: the consumption
/// the file's imported rows describe (each against the account's previous
/// reading) against what the database recorded for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub import_id: i64,
    pub counts: Counts,
    pub consumption_file: Decimal,
    pub consumption_db: Decimal,
}

impl Certificate {
    pub fn balanced(&self) -> bool {
        self.consumption_file == self.consumption_db
    }
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub row: u32,
    pub account_no: String,
    pub read_on: NaiveDate,
    pub reading: Decimal,
    /// "new" or "unchanged".
    pub outcome: &'static str,
    pub consumption: Option<Decimal>,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone)]
pub struct Report {
    pub certificate: Certificate,
    pub errors: Vec<RowError>,
    /// The first rows' outcomes, in file order.
    pub preview: Vec<PreviewRow>,
    pub dry_run: bool,
    /// How a chunked import went; `None` for all or nothing and dry runs.
    pub chunks: Option<super::Chunks>,
}

enum Stop {
    DryRun(Box<Report>),
    Failed(ImportError),
}

impl From<diesel::result::Error> for Stop {
    fn from(error: diesel::result::Error) -> Self {
        Stop::Failed(ImportError::Database(error))
    }
}

#[derive(QueryableByName)]
struct AccountRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct InstalledMeter {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Integer)]
    digits: i32,
    #[diesel(sql_type = Numeric)]
    initial_reading: Decimal,
    #[diesel(sql_type = Date)]
    installed_on: NaiveDate,
}

#[derive(QueryableByName)]
struct KnownMeter {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    meter_id: i64,
    #[diesel(sql_type = Text)]
    meter_no: String,
}

#[derive(QueryableByName)]
struct LatestReading {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    meter_id: i64,
    #[diesel(sql_type = Date)]
    read_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
    #[diesel(sql_type = Text)]
    source: String,
}

/// The moment an imported reading is recorded at: noon in China on its date.
pub fn read_at(read_on: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    read_on
        .and_time(NaiveTime::from_hms_opt(4, 0, 0).unwrap_or_default())
        .and_utc()
}

fn row_error(
    row: u32,
    field: &str,
    value: impl Into<String>,
    reason: impl Into<String>,
) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        value: value.into(),
        reason: reason.into(),
    }
}

/// The valid rows in the order they are recorded: per account (by account
/// number), in date order. Each reading is checked against the account's
/// readings before it, so this order, not the file's, decides; a chunked
/// import cuts it between accounts only.
fn recording_order(prepared: &Prepared) -> Vec<&(u32, ReadingValues)> {
    let mut order: Vec<&(u32, ReadingValues)> = prepared.valid.iter().collect();
    order.sort_by(|(row_a, a), (row_b, b)| {
        (&a.account_no, a.read_on, row_a).cmp(&(&b.account_no, b.read_on, row_b))
    });
    order
}

/// The rows of one pass against the database: their problems, their
/// outcomes, and the consumption the file gives the new ones.
struct Written {
    errors: Vec<RowError>,
    outcomes: BTreeMap<u32, PreviewRow>,
    consumption_file: Decimal,
}

/// Checks `rows` (whole accounts, in [`recording_order`]) against the
/// database and records the new ones under import `import_id`, each in a
/// savepoint: a refused row leaves the others intact.
fn write_rows(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    import_id: i64,
    rows: &[&(u32, ReadingValues)],
    options: &RunOptions<'_>,
    // Where these rows start among all the run writes, and how many that
    // is: progress counts across chunks.
    (offset, total): (u64, u64),
) -> Result<Written, Stop> {
    let numbers: Vec<String> = rows
        .iter()
        .map(|(_, v)| v.account_no.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let accounts: HashMap<String, AccountRow> =
        sql_query("SELECT id, account_no, status FROM accounts WHERE account_no = ANY($1)")
            .bind::<Array<Text>, _>(&numbers)
            .load::<AccountRow>(connection)?
            .into_iter()
            .map(|a| (a.account_no.clone(), a))
            .collect();
    let ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
    let installed = installed_meters(connection, &ids)?;
    // Every meter an account has or had.
    let known: Vec<KnownMeter> = sql_query(
        "SELECT DISTINCT x.account_id, m.id AS meter_id, m.meter_no FROM meters m JOIN \
           (SELECT id AS meter_id, account_id FROM meters WHERE account_id = ANY($1) \
            UNION SELECT meter_id, account_id FROM meter_events WHERE account_id = ANY($1)) x \
         ON x.meter_id = m.id",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .load(connection)?;
    let known_numbers: HashSet<(i64, &str)> = known
        .iter()
        .map(|k| (k.account_id, k.meter_no.as_str()))
        .collect();
    let latest: HashMap<i64, LatestReading> = sql_query(format!(
        "SELECT DISTINCT ON (account_id) account_id, meter_id, read_on, value, source \
         FROM meter_readings WHERE account_id = ANY($1) AND status IN {} \
         ORDER BY account_id, read_on DESC, id DESC",
        readings::USABLE
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .load::<LatestReading>(connection)?
    .into_iter()
    .map(|r| (r.account_id, r))
    .collect();
    #[derive(QueryableByName)]
    struct Imported {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = Date)]
        read_on: NaiveDate,
        #[diesel(sql_type = Numeric)]
        value: Decimal,
    }
    let imported: HashMap<(i64, NaiveDate), Decimal> = sql_query(format!(
        "SELECT account_id, read_on, value FROM meter_readings \
         WHERE account_id = ANY($1) AND source = 'import' AND status IN {}",
        readings::USABLE
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .load::<Imported>(connection)?
    .into_iter()
    .map(|r| ((r.account_id, r.read_on), r.value))
    .collect();

    let mut errors = Vec::new();
    let mut outcomes: BTreeMap<u32, PreviewRow> = BTreeMap::new();
    // The last value consumption runs from, per account (file side).
    let mut previous: HashMap<i64, Decimal> = HashMap::new();
    let mut consumption_file = Decimal::ZERO;
    for (index, (row, values)) in rows.iter().copied().enumerate() {
        let row = *row;
        if index % 1000 == 0 {
            options.check_cancelled()?;
            options.report(super::Phase::Writing, offset + index as u64, total);
        }
        let Some(account) = accounts.get(&values.account_no) else {
            errors.push(row_error(
                row,
                "account_no",
                &values.account_no,
                "unknown account",
            ));
            continue;
        };
        if account.status == "closed" {
            errors.push(row_error(
                row,
                "account_no",
                &values.account_no,
                "the account is closed; it takes no readings",
            ));
            continue;
        }
        if !values.meter_no.is_empty()
            && !known_numbers.contains(&(account.id, values.meter_no.as_str()))
        {
            errors.push(row_error(
                row,
                "meter_no",
                &values.meter_no,
                format!("is not a meter account {} has or had", values.account_no),
            ));
            continue;
        }
        if let Some(value) = imported.get(&(account.id, values.read_on)) {
            if *value == values.reading {
                outcomes.insert(
                    row,
                    PreviewRow {
                        row,
                        account_no: values.account_no.clone(),
                        read_on: values.read_on,
                        reading: values.reading,
                        outcome: "unchanged",
                        consumption: None,
                    },
                );
            } else {
                errors.push(row_error(
                    row,
                    "reading",
                    values.reading.to_string(),
                    format!(
                        "a reading of {value} on {} was imported before",
                        values.read_on
                    ),
                ));
            }
            continue;
        }
        if let Some(last) = latest.get(&account.id)
            && values.read_on <= last.read_on
        {
            errors.push(row_error(
                row,
                "read_on",
                values.read_on.to_string(),
                format!(
                    "is not after the account's latest reading ({} on {}, {})",
                    last.value, last.read_on, last.source
                ),
            ));
            continue;
        }
        let Some(meter) = installed.get(&account.id) else {
            errors.push(row_error(
                row,
                "account_no",
                &values.account_no,
                "the account has no installed meter",
            ));
            continue;
        };
        if values.read_on < meter.installed_on
            && known
                .iter()
                .any(|k| k.account_id == account.id && k.meter_id != meter.id)
        {
            errors.push(row_error(
                row,
                "read_on",
                values.read_on.to_string(),
                format!(
                    "is before the current meter was installed on {}; it belongs to an earlier meter",
                    meter.installed_on
                ),
            ));
            continue;
        }
        let reading = NewReading {
            account_id: account.id,
            value: values.reading,
            read_at: read_at(values.read_on),
            source: Source::Import,
            idempotency_key: None,
        };
        // A savepoint per row: a refused row leaves the others intact.
        let recorded = connection.transaction::<_, Error, _>(|connection| {
            readings::record_in(connection, actor, rules, &reading)
        });
        match recorded {
            Ok(recorded) => {
                sql_query(
                    "UPDATE meter_readings SET import_id = $1, import_row = $2 WHERE id = $3",
                )
                .bind::<BigInt, _>(import_id)
                .bind::<Integer, _>(i32::try_from(row).unwrap_or(i32::MAX))
                .bind::<BigInt, _>(recorded.id)
                .execute(connection)?;
                let from = previous.get(&account.id).copied().unwrap_or_else(|| {
                    start_value(
                        latest.get(&account.id).map(|l| (l.meter_id, l.value)),
                        meter,
                    )
                });
                consumption_file += file_consumption(from, values.reading, meter);
                previous.insert(account.id, values.reading);
                outcomes.insert(
                    row,
                    PreviewRow {
                        row,
                        account_no: values.account_no.clone(),
                        read_on: values.read_on,
                        reading: values.reading,
                        outcome: "new",
                        consumption: recorded.consumption,
                    },
                );
            }
            Err(Error::InvalidArgument { field, message }) => {
                let (field, value) = match field.as_str() {
                    "read_at" => ("read_on", values.read_on.to_string()),
                    _ => ("reading", values.reading.to_string()),
                };
                errors.push(row_error(row, field, value, message));
            }
            Err(Error::Refused(message) | Error::NotFound(message)) => {
                errors.push(row_error(row, "row", String::new(), message));
            }
            Err(other) => return Err(Stop::Failed(ImportError::Other(other.to_string()))),
        }
    }
    Ok(Written {
        errors,
        outcomes,
        consumption_file,
    })
}

/// The installed meter of each account.
fn installed_meters(
    connection: &mut PgConnection,
    ids: &[i64],
) -> QueryResult<HashMap<i64, InstalledMeter>> {
    Ok(sql_query(
        "SELECT id, account_id, digits, initial_reading, installed_on FROM meters \
         WHERE account_id = ANY($1) AND installed",
    )
    .bind::<Array<BigInt>, _>(ids)
    .load::<InstalledMeter>(connection)?
    .into_iter()
    .map(|m| (m.account_id, m))
    .collect())
}

/// Where the file's consumption of an account's first imported reading
/// runs from: the reading before it when that was on the installed meter,
/// otherwise the meter's initial reading.
fn start_value(before: Option<(i64, Decimal)>, meter: &InstalledMeter) -> Decimal {
    match before {
        Some((meter_id, value)) if meter_id == meter.id => value,
        _ => meter.initial_reading,
    }
}

/// The consumption from `from` to `to` on the meter's register (which
/// may have rolled over), as the file alone gives it.
fn file_consumption(from: Decimal, to: Decimal, meter: &InstalledMeter) -> Decimal {
    readings::register_consumption(from, to, meter.digits)
        .map(|(used, _)| used)
        .unwrap_or_default()
}

/// The consumption the database recorded for an import.
fn consumption_db(connection: &mut PgConnection, import_id: i64) -> QueryResult<Decimal> {
    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = Numeric)]
        sum: Decimal,
    }
    Ok(sql_query(
        "SELECT coalesce(sum(consumption), 0) AS sum FROM meter_readings WHERE import_id = $1",
    )
    .bind::<BigInt, _>(import_id)
    .get_result::<Sum>(connection)?
    .sum)
}

/// Validates every row against the database and records the new ones,
/// per account in date order. All or nothing by default, in one
/// transaction: a dry run, a refusal or a cancel rolls everything back.
/// With `chunk_rows`, in resumable chunks of whole accounts (see
/// [`run_chunked`]).
pub fn run(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    prepared: &Prepared,
    options: &RunOptions<'_>,
) -> Result<Report, ImportError> {
    match options.chunk_rows {
        Some(chunk_rows) if !options.dry_run => {
            run_chunked(connection, actor, rules, prepared, options, chunk_rows)
        }
        _ => run_whole(connection, actor, rules, prepared, options, false),
    }
}

/// The all-or-nothing import, or a dry run. `as_before_resume` (dry runs
/// only) makes the readings of an unfinished chunked import of the same
/// file unusable for the run's transaction, which is rolled back: the
/// whole-file check of a resumed chunked import then sees the archive as
/// its first run did and gives the same verdicts for the accounts already
/// committed, instead of finding their readings "imported before".
fn run_whole(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    prepared: &Prepared,
    options: &RunOptions<'_>,
    as_before_resume: bool,
) -> Result<Report, ImportError> {
    let outcome = connection.transaction::<Report, Stop, _>(|connection| {
        if as_before_resume && options.dry_run {
            sql_query(format!(
                "UPDATE meter_readings SET status = 'rejected' \
                 WHERE status IN {} AND import_id IN (SELECT id FROM imports \
                   WHERE kind = 'readings' AND status = 'partial' AND policy = 'fail' \
                     AND file_sha256 = $1 AND sheet = $2)",
                readings::USABLE
            ))
            .bind::<diesel::sql_types::Bytea, _>(options.file_sha256)
            .bind::<Text, _>(&prepared.sheet)
            .execute(connection)?;
        }
        let import_id: i64 = diesel::insert_into(imports::table)
            .values((
                imports::kind.eq("readings"),
                imports::file_name.eq(options.file_name),
                imports::file_sha256.eq(options.file_sha256),
                imports::sheet.eq(&prepared.sheet),
                // A different reading on an imported date is refused.
                imports::policy.eq("fail"),
                imports::status.eq("running"),
                imports::created_by.eq(&actor.username),
            ))
            .returning(imports::id)
            .get_result(connection)?;
        let order = recording_order(prepared);
        let total = order.len() as u64;
        let Written {
            errors: found,
            outcomes,
            consumption_file,
        } = write_rows(
            connection,
            actor,
            rules,
            import_id,
            &order,
            options,
            (0, order.len() as u64),
        )?;
        let mut errors = prepared.errors.clone();
        errors.extend(found);
        let invalid = super::payments::sort_errors(&mut errors);
        let count = |name: &str| outcomes.values().filter(|o| o.outcome == name).count() as u32;
        let counts = Counts {
            read: prepared.rows_read,
            new: count("new"),
            updated: 0,
            unchanged: count("unchanged"),
            skipped: 0,
            invalid,
        };
        let certificate = Certificate {
            import_id,
            counts,
            consumption_file,
            consumption_db: consumption_db(connection, import_id)?,
        };
        let preview = outcomes.into_values().take(50).collect();
        if options.dry_run {
            return Err(Stop::DryRun(Box::new(Report {
                certificate,
                errors,
                preview,
                dry_run: true,
                chunks: None,
            })));
        }
        if invalid > 0 && !options.partial {
            return Err(Stop::Failed(ImportError::Invalid {
                rows: invalid,
                counts: certificate.counts.clone(),
                errors,
            }));
        }
        super::payments::record_counts(connection, &certificate.counts, import_id)?;
        options.report(super::Phase::Writing, total, total);
        options.check_cancelled()?;
        Ok(Report {
            certificate,
            errors,
            preview,
            dry_run: false,
            chunks: None,
        })
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Stop::DryRun(report)) => Ok(*report),
        Err(Stop::Failed(error)) => Err(error),
    }
}

/// The accounts of the recording order as ranges of it, one per account.
fn account_ranges(order: &[&(u32, ReadingValues)]) -> Vec<std::ops::Range<usize>> {
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for (index, (_, values)) in order.iter().enumerate() {
        match ranges.last_mut() {
            Some(range) if order[range.start].1.account_no == values.account_no => {
                range.end = index + 1;
            }
            _ => ranges.push(index..index + 1),
        }
    }
    ranges
}

/// Refuses to resume import `import_id` after its first `position`
/// accounts when the file, as read now, does not put the accounts the
/// import recorded readings for among them: the position counts accounts
/// of the valid rows, so a run whose valid rows differ (another column
/// mapping, say) would otherwise skip or repeat accounts.
fn check_resume_point(
    connection: &mut PgConnection,
    import_id: i64,
    position: u32,
    order: &[&(u32, ReadingValues)],
    accounts: &[std::ops::Range<usize>],
) -> Result<(), ImportError> {
    let cannot = |why: String| {
        ImportError::Other(format!(
            "import #{import_id} cannot be resumed after its first {position} account(s): {why}; \
             import the file with the column mapping of the stopped run"
        ))
    };
    if position as usize > accounts.len() {
        return Err(cannot(format!(
            "the file's valid rows now name only {} account(s)",
            accounts.len()
        )));
    }
    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = Text)]
        account_no: String,
    }
    let done: HashSet<&str> = accounts[..position as usize]
        .iter()
        .map(|range| order[range.start].1.account_no.as_str())
        .collect();
    let recorded: Vec<Number> = sql_query(
        "SELECT DISTINCT a.account_no FROM meter_readings r JOIN accounts a ON a.id = r.account_id \
         WHERE r.import_id = $1 ORDER BY a.account_no",
    )
    .bind::<BigInt, _>(import_id)
    .load(connection)?;
    match recorded
        .iter()
        .find(|n| !done.contains(n.account_no.as_str()))
    {
        Some(stray) => Err(cannot(format!(
            "account {} has readings of it but is not among them in the file as read now",
            stray.account_no
        ))),
        None => Ok(()),
    }
}

/// Chunked commit of a huge readings history. A reading is checked
/// against the account's readings before it in date order, so a file row
/// is no point to resume from: the valid rows are put in recording order
/// (per account by account number, then by date) and each chunk holds
/// whole accounts, at least `chunk_rows` rows unless the accounts run out.
/// The import's position (`imports.committed_through_row`) is the number
/// of accounts, in that order, whose readings are committed. The whole
/// file is checked first exactly as a dry run does; an unfinished chunked
/// import of the same file and sheet is resumed after its accounts; a
/// cancel or a failure rolls back the current chunk only. The certificate
/// covers every chunk: the consumption the file gives the rows the import
/// recorded against the consumption the database recorded for them.
pub fn run_chunked(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    prepared: &Prepared,
    options: &RunOptions<'_>,
    chunk_rows: u32,
) -> Result<Report, ImportError> {
    if chunk_rows == 0 {
        return Err(ImportError::Other(
            "chunk_rows: a chunk needs at least 1 row".to_owned(),
        ));
    }
    let total = prepared.valid.len() as u64;
    options.report(super::Phase::Validating, 0, 1);
    let check = run_whole(
        connection,
        actor,
        rules,
        prepared,
        &RunOptions {
            dry_run: true,
            chunk_rows: None,
            progress: None,
            ..*options
        },
        true,
    )?;
    let mut errors = check.errors;
    if check.certificate.counts.invalid > 0 && !options.partial {
        return Err(ImportError::Invalid {
            rows: check.certificate.counts.invalid,
            counts: check.certificate.counts,
            errors,
        });
    }
    let super::chunks::Opened {
        import_id,
        resumed_from_row: resumed_after_accounts,
        mut position,
        chunks: mut chunks_done,
    } = super::chunks::open(
        connection,
        &super::chunks::File {
            kind: "readings",
            file_name: options.file_name,
            sha256: options.file_sha256,
            sheet: &prepared.sheet,
            policy: "fail",
            created_by: &actor.username,
        },
        chunk_rows,
    )?;
    let order = recording_order(prepared);
    let accounts = account_ranges(&order);
    if resumed_after_accounts.is_some() {
        check_resume_point(connection, import_id, position, &order, &accounts)?;
    }
    let done = (position as usize).min(accounts.len());
    let mut written = accounts.get(done).map_or(order.len(), |r| r.start) as u64;
    let mut committed_now = 0u32;
    let mut preview: Vec<PreviewRow> = Vec::new();
    let mut next = done;
    while next < accounts.len() {
        // Whole accounts, until the chunk holds at least `chunk_rows` rows.
        let first = next;
        let start = accounts[first].start;
        while next < accounts.len() && accounts[next].end - start < chunk_rows as usize {
            next += 1;
        }
        next = (next + 1).min(accounts.len());
        let chunk = &order[start..accounts[next - 1].end];
        let stopped = |reason| {
            super::chunks::stopped(
                reason,
                import_id,
                super::chunks::Position::Accounts(position),
                chunks_done,
            )
        };
        if let Err(Stop::Failed(reason)) = options.check_cancelled() {
            return Err(stopped(reason));
        }
        let through = u32::try_from(next).unwrap_or(u32::MAX);
        let outcome = connection.transaction::<Written, Stop, _>(|connection| {
            super::chunks::lock_position(connection, import_id, position).map_err(Stop::Failed)?;
            // Progress inside the chunk too: a chunk of many accounts is
            // long, and a cancel then lands inside its transaction.
            let written = write_rows(
                connection,
                actor,
                rules,
                import_id,
                chunk,
                options,
                (written, total),
            )?;
            if let Some(first) = written.errors.first()
                && !options.partial
            {
                return Err(Stop::Failed(ImportError::Other(format!(
                    "row {} {}: '{}' {} (the archive changed since the check)",
                    first.row, first.field, first.value, first.reason
                ))));
            }
            let count = |name: &str| {
                written
                    .outcomes
                    .values()
                    .filter(|o| o.outcome == name)
                    .count() as u32
            };
            super::chunks::advance(
                connection,
                import_id,
                through,
                count("new"),
                count("unchanged"),
            )?;
            options.check_cancelled()?;
            Ok(written)
        });
        match outcome {
            Ok(written) => {
                errors.extend(written.errors);
                let room = 50usize.saturating_sub(preview.len());
                preview.extend(written.outcomes.into_values().take(room));
            }
            Err(Stop::Failed(reason)) => return Err(stopped(reason)),
            Err(Stop::DryRun(_)) => {
                return Err(stopped(ImportError::Other("unexpected dry run".to_owned())));
            }
        }
        position = through;
        chunks_done += 1;
        committed_now += 1;
        written += chunk.len() as u64;
    }
    // Each chunk reported its own start from inside its transaction; the
    // end is reported once, when every chunk is in.
    options.report(super::Phase::Writing, written, total);
    let invalid = super::payments::sort_errors(&mut errors);
    let certificate = connection
        .transaction::<_, ImportError, _>(|connection| {
            super::chunks::lock_position(connection, import_id, position)?;
            let (new, unchanged): (i32, i32) = imports::table
                .find(import_id)
                .select((imports::rows_new, imports::rows_unchanged))
                .first(connection)?;
            let certificate = Certificate {
                import_id,
                counts: Counts {
                    read: prepared.rows_read,
                    new: u32::try_from(new).unwrap_or(0),
                    updated: 0,
                    unchanged: u32::try_from(unchanged).unwrap_or(0),
                    skipped: 0,
                    invalid,
                },
                consumption_file: recorded_file_consumption(connection, import_id, &order)?,
                consumption_db: consumption_db(connection, import_id)?,
            };
            super::payments::record_counts(connection, &certificate.counts, import_id)?;
            Ok(certificate)
        })
        .map_err(|reason| ImportError::InterruptedAfterAccounts {
            import_id,
            accounts: position,
            chunks: chunks_done,
            reason: reason.to_string(),
        })?;
    Ok(Report {
        certificate,
        errors,
        preview,
        dry_run: false,
        chunks: Some(super::Chunks {
            chunk_rows,
            committed: chunks_done,
            committed_now,
            resumed_from_row: None,
            resumed_after_accounts,
        }),
    })
}

/// The consumption the file gives the rows import `import_id` recorded,
/// over every run of it: per account in date order, the first from the
/// reading before it that is not the import's own (on the installed
/// meter; otherwise from the meter's initial reading), as the
/// all-or-nothing import counts it.
fn recorded_file_consumption(
    connection: &mut PgConnection,
    import_id: i64,
    order: &[&(u32, ReadingValues)],
) -> QueryResult<Decimal> {
    #[derive(QueryableByName)]
    struct Recorded {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = Integer)]
        import_row: i32,
    }
    let recorded: HashMap<u32, i64> = sql_query(
        "SELECT account_id, import_row FROM meter_readings \
         WHERE import_id = $1 AND import_row IS NOT NULL",
    )
    .bind::<BigInt, _>(import_id)
    .load::<Recorded>(connection)?
    .into_iter()
    .filter_map(|r| Some((u32::try_from(r.import_row).ok()?, r.account_id)))
    .collect();
    // The recorded rows in recording order, with their accounts' first dates.
    let rows: Vec<(i64, &ReadingValues)> = order
        .iter()
        .filter_map(|(row, values)| Some((*recorded.get(row)?, values)))
        .collect();
    let mut firsts: Vec<(i64, NaiveDate)> = Vec::new();
    for (account_id, values) in &rows {
        if firsts.last().is_none_or(|(id, _)| id != account_id) {
            firsts.push((*account_id, values.read_on));
        }
    }
    let ids: Vec<i64> = firsts.iter().map(|(id, _)| *id).collect();
    let dates: Vec<NaiveDate> = firsts.iter().map(|(_, date)| *date).collect();
    #[derive(QueryableByName)]
    struct Before {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = BigInt)]
        meter_id: i64,
        #[diesel(sql_type = Numeric)]
        value: Decimal,
    }
    let before: HashMap<i64, (i64, Decimal)> = sql_query(format!(
        "SELECT DISTINCT ON (r.account_id) r.account_id, r.meter_id, r.value \
         FROM meter_readings r JOIN unnest($1::bigint[], $2::date[]) AS f(account_id, first_on) \
           ON f.account_id = r.account_id \
         WHERE r.read_on < f.first_on AND r.status IN {} \
           AND r.import_id IS DISTINCT FROM $3 \
         ORDER BY r.account_id, r.read_on DESC, r.id DESC",
        readings::USABLE
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<Date>, _>(&dates)
    .bind::<BigInt, _>(import_id)
    .load::<Before>(connection)?
    .into_iter()
    .map(|b| (b.account_id, (b.meter_id, b.value)))
    .collect();
    let installed = installed_meters(connection, &ids)?;
    let mut previous: HashMap<i64, Decimal> = HashMap::new();
    let mut sum = Decimal::ZERO;
    for (account_id, values) in rows {
        let Some(meter) = installed.get(&account_id) else {
            continue;
        };
        let from = previous
            .get(&account_id)
            .copied()
            .unwrap_or_else(|| start_value(before.get(&account_id).copied(), meter));
        sum += file_consumption(from, values.reading, meter);
        previous.insert(account_id, values.reading);
    }
    Ok(sum)
}

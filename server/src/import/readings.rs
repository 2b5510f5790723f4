//! Import of meter-reading histories: one row per account and reading
//! date. Imported readings were billed in the old system; they only mark
//! where the first bill of this system starts, and they skip the anomaly
//! queue (a reading below the previous one is still a wrong row).

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

struct RowReader<'a> {
    row: u32,
    cells: &'a [Cell],
    columns: &'a HashMap<&'static str, usize>,
    errors: Vec<RowError>,
}

impl RowReader<'_> {
    fn cell(&self, key: &str) -> &Cell {
        self.columns
            .get(key)
            .and_then(|column| self.cells.get(*column))
            .unwrap_or(&Cell::Empty)
    }

    fn fail(&mut self, key: &str, reason: impl Into<String>) {
        let value = self.cell(key).shown();
        self.errors.push(RowError {
            row: self.row,
            field: key.to_owned(),
            value,
            reason: reason.into(),
        });
    }

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

    fn date(&mut self, key: &str, today: NaiveDate) -> Option<NaiveDate> {
        let parsed = match self.cell(key) {
            Cell::Empty => {
                self.fail(key, "is required");
                return None;
            }
            Cell::Date(date) => Ok(*date),
            Cell::Number(serial) => cleaning::date_from_excel_serial(*serial)
                .ok_or_else(|| CleanError::Date(format!("{serial}"))),
            Cell::Text(text) => cleaning::parse_date(text),
            other => Err(CleanError::Date(other.display())),
        };
        match parsed {
            Ok(date) if date > today => {
                self.fail(key, "is in the future");
                None
            }
            Ok(date) => Some(date),
            Err(error) => {
                self.fail(key, error.to_string());
                None
            }
        }
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
    let mut r = RowReader {
        row,
        cells,
        columns,
        errors: Vec::new(),
    };
    let account_no = r.code("account_no", true);
    let meter_no = r.code("meter_no", false);
    let read_on = r.date("read_on", today);
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

/// Validates every row against the database and records the new ones, in
/// one transaction: a dry run, a refusal or a cancel rolls everything back.
/// Rows are recorded per account in date order.
pub fn run(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    prepared: &Prepared,
    options: &RunOptions<'_>,
) -> Result<Report, ImportError> {
    let outcome = connection.transaction::<Report, Stop, _>(|connection| {
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
        let numbers: Vec<String> = prepared
            .valid
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
        let installed: HashMap<i64, InstalledMeter> = sql_query(
            "SELECT id, account_id, digits, initial_reading, installed_on FROM meters \
             WHERE account_id = ANY($1) AND installed",
        )
        .bind::<Array<BigInt>, _>(&ids)
        .load::<InstalledMeter>(connection)?
        .into_iter()
        .map(|m| (m.account_id, m))
        .collect();
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

        let mut order: Vec<&(u32, ReadingValues)> = prepared.valid.iter().collect();
        order.sort_by(|(row_a, a), (row_b, b)| {
            (&a.account_no, a.read_on, row_a).cmp(&(&b.account_no, b.read_on, row_b))
        });
        let mut errors = prepared.errors.clone();
        let mut outcomes: BTreeMap<u32, PreviewRow> = BTreeMap::new();
        // The last value consumption runs from, per account (file side).
        let mut previous: HashMap<i64, Decimal> = HashMap::new();
        let mut consumption_file = Decimal::ZERO;
        let total = order.len() as u64;
        for (index, (row, values)) in order.into_iter().enumerate() {
            let row = *row;
            if index % 1000 == 0 {
                options.check_cancelled()?;
                if let Some(progress) = options.progress {
                    progress(super::Progress {
                        phase: super::Phase::Writing,
                        done: index as u64,
                        total,
                    });
                }
            }
            let Some(account) = accounts.get(&values.account_no) else {
                errors.push(row_error(row, "account_no", &values.account_no, "unknown account"));
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
                    format!(
                        "is not a meter account {} has or had",
                        values.account_no
                    ),
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
                        match latest.get(&account.id) {
                            Some(last) if last.meter_id == meter.id => last.value,
                            _ => meter.initial_reading,
                        }
                    });
                    let used = readings::register_consumption(from, values.reading, meter.digits)
                        .map(|(used, _)| used)
                        .unwrap_or_default();
                    consumption_file += used;
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
        errors.sort_by(|a, b| (a.row, &a.field).cmp(&(b.row, &b.field)));
        let invalid = {
            let mut rows: Vec<u32> = errors.iter().map(|e| e.row).collect();
            rows.dedup();
            rows.len() as u32
        };
        let count = |name: &str| outcomes.values().filter(|o| o.outcome == name).count() as u32;
        let counts = Counts {
            read: prepared.rows_read,
            new: count("new"),
            updated: 0,
            unchanged: count("unchanged"),
            skipped: 0,
            invalid,
        };
        #[derive(QueryableByName)]
        struct Sum {
            #[diesel(sql_type = Numeric)]
            sum: Decimal,
        }
        let consumption_db = sql_query(
            "SELECT coalesce(sum(consumption), 0) AS sum FROM meter_readings WHERE import_id = $1",
        )
        .bind::<BigInt, _>(import_id)
        .get_result::<Sum>(connection)?
        .sum;
        let certificate = Certificate {
            import_id,
            counts,
            consumption_file,
            consumption_db,
        };
        let preview = outcomes.into_values().take(50).collect();
        if options.dry_run {
            return Err(Stop::DryRun(Box::new(Report {
                certificate,
                errors,
                preview,
                dry_run: true,
            })));
        }
        if invalid > 0 && !options.partial {
            return Err(Stop::Failed(ImportError::Invalid {
                rows: invalid,
                counts: certificate.counts.clone(),
                errors,
            }));
        }
        let counts = &certificate.counts;
        diesel::update(imports::table.find(import_id))
            .set((
                imports::status.eq("committed"),
                imports::rows_read.eq(counts.read as i32),
                imports::rows_new.eq(counts.new as i32),
                imports::rows_unchanged.eq(counts.unchanged as i32),
                imports::rows_rejected.eq(counts.invalid as i32),
                imports::finished_at.eq(Some(chrono::Utc::now())),
            ))
            .execute(connection)?;
        if let Some(progress) = options.progress {
            progress(super::Progress {
                phase: super::Phase::Writing,
                done: total,
                total,
            });
        }
        options.check_cancelled()?;
        Ok(Report {
            certificate,
            errors,
            preview,
            dry_run: false,
        })
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Stop::DryRun(report)) => Ok(*report),
        Err(Stop::Failed(error)) => Err(error),
    }
}

//! Import of payments histories: one row per payment the old system took.
//!
//! The accounts import already posted each account's opening arrears and
//! prepayment, which are what these payments left behind; posting them to
//! the ledger again would count the money twice. So imported payments move
//! no ledger line and no cached balance: they are history in the
//! append-only `imported_payments` table, with their import and row, and
//! the counter lists them beside live payments as 历史导入.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Array, BigInt, Date, Numeric, Text},
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
    schema::{imported_payments, imports},
};

/// The largest amount a NUMERIC(14, 2) column holds, plus a fen.
fn amount_limit() -> Decimal {
    Decimal::from(1_000_000_000_000_i64)
}

/// One valid, cleaned row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentValues {
    pub account_no: String,
    pub paid_on: NaiveDate,
    /// Exact to the fen, more than zero.
    pub amount: Decimal,
    /// cash, bank_card, wechat, alipay, bank_agent, online or other.
    pub channel: &'static str,
    /// Empty when the ledger has no receipt number for the row.
    pub receipt_no: String,
    pub cashier: String,
}

/// A sheet after header detection, cleaning and in-file validation.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sheet: String,
    pub header_row: u32,
    pub header: Vec<Cell>,
    pub columns: Columns,
    pub valid: Vec<(u32, PaymentValues)>,
    pub errors: Vec<RowError>,
    /// The rejected rows as read, for the error file.
    pub originals: BTreeMap<u32, Vec<Cell>>,
    /// Data rows read.
    pub rows_read: u32,
}

/// How a payments sheet's fields are read.
trait PaymentFields {
    fn account_no(&mut self, key: &str) -> Option<String>;
    fn code(&mut self, key: &str, required: bool, max_chars: usize) -> Option<String>;
    fn amount(&mut self, key: &str) -> Option<Decimal>;
    fn channel(&mut self, key: &str) -> Option<&'static str>;
}

impl PaymentFields for Row<'_> {
    /// An account number: letters, digits and '-' only.
    fn account_no(&mut self, key: &str) -> Option<String> {
        let text = self.code(key, true, 32)?;
        if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            self.fail(key, "may contain only letters, digits and '-'");
            return None;
        }
        Some(text)
    }

    /// A code as the old system printed it (receipt numbers such as
    /// "NO.2023#001" or "收字0012"), half-width, upper case, without spaces,
    /// so that the same receipt typed twice is recognised as one.
    fn code(&mut self, key: &str, required: bool, max_chars: usize) -> Option<String> {
        if let Cell::Number(value) = self.cell(key)
            && (value.abs() >= 1e15 || value.fract() != 0.0)
        {
            let error = cleaning::id_number_from_excel_number(*value);
            self.fail(key, error.to_string());
            return None;
        }
        let text = text_of(self.cell(key)).replace(' ', "").to_uppercase();
        if text.is_empty() {
            if required {
                self.fail(key, "is required");
                return None;
            }
            return Some(text);
        }
        if text.chars().count() > max_chars {
            self.fail(key, format!("longer than {max_chars} characters"));
            return None;
        }
        if text.chars().any(char::is_control) {
            self.fail(key, "contains control characters");
            return None;
        }
        Some(text)
    }

    fn amount(&mut self, key: &str) -> Option<Decimal> {
        let parsed = match self.cell(key) {
            Cell::Empty => {
                self.fail(key, "is required");
                return None;
            }
            // The text Excel shows for the double, never the double itself.
            Cell::Number(value) => cleaning::decimal_from_excel_number(*value, 2),
            Cell::Text(text) => cleaning::parse_decimal(text, 2),
            other => Err(CleanError::Number(other.display())),
        };
        match parsed {
            Ok(value) if value <= Decimal::ZERO => {
                self.fail(
                    key,
                    "must be more than 0.00 (refunds and reversals are not payments history)",
                );
                None
            }
            Ok(value) if value >= amount_limit() => {
                self.fail(key, "is larger than any payment (at most 999999999999.99)");
                None
            }
            Ok(mut value) => {
                value.rescale(2);
                Some(value)
            }
            Err(error) => {
                self.fail(key, error.to_string());
                None
            }
        }
    }

    fn channel(&mut self, key: &str) -> Option<&'static str> {
        let text = text_of(self.cell(key));
        if text.trim().is_empty() {
            // Old ledgers often leave the channel out; history keeps that
            // unknown rather than guessing cash.
            return Some("other");
        }
        match cleaning::payment_channel(&text) {
            Ok(channel) => Some(channel),
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
) -> Result<PaymentValues, Vec<RowError>> {
    let mut r = Row::new(row, cells, columns);
    let account_no = r.account_no("account_no");
    let paid_on = r.past_date("paid_on", today);
    let amount = r.amount("amount");
    let channel = r.channel("channel");
    let receipt_no = r.code("receipt_no", false, 40);
    let cashier = text_of(r.cell("cashier")).trim().to_owned();
    if cashier.chars().count() > 60 {
        r.fail("cashier", "longer than 60 characters");
    }
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    match (account_no, paid_on, amount, channel, receipt_no) {
        (Some(account_no), Some(paid_on), Some(amount), Some(channel), Some(receipt_no)) => {
            Ok(PaymentValues {
                account_no,
                paid_on,
                amount,
                channel,
                receipt_no,
                cashier,
            })
        }
        _ => Err(vec![row_error(row, "row", "", "incomplete row")]),
    }
}

/// Finds the header, cleans and validates every row, and refuses a receipt
/// number that an earlier row of the file has. Touches no database.
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
    } = locate_header(ImportKind::Payments, &sheet, mapping)?;
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
    let mut receipts: HashMap<String, u32> = HashMap::new();
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
                if !values.receipt_no.is_empty() {
                    if let Some(first) = receipts.get(&values.receipt_no) {
                        prepared.errors.push(row_error(
                            row,
                            "receipt_no",
                            &values.receipt_no,
                            format!("duplicate of row {first}: a receipt number names one payment"),
                        ));
                        prepared.originals.insert(row, cells);
                        continue;
                    }
                    receipts.insert(values.receipt_no.clone(), row);
                }
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
    /// Record the valid rows in resumable chunks of this many rows; `None`
    /// records all or nothing.
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

/// The reconciliation certificate of a payments import: the sum of the
/// imported rows' amounts as the file states them against the sum the
/// database holds for the import, to the fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub import_id: i64,
    pub counts: Counts,
    pub amount_file: Decimal,
    pub amount_db: Decimal,
}

impl Certificate {
    pub fn balanced(&self) -> bool {
        self.amount_file == self.amount_db
    }
}

/// One row of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub row: u32,
    pub account_no: String,
    pub paid_on: NaiveDate,
    pub amount: Decimal,
    pub channel: &'static str,
    pub receipt_no: String,
    /// "new" or "unchanged".
    pub outcome: &'static str,
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

/// An imported payment already in the database.
#[derive(QueryableByName)]
struct Known {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Date)]
    paid_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    receipt_no: String,
}

/// A payment without a receipt number is told apart only by what it says.
type Unnumbered = (i64, NaiveDate, Decimal, String);

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

/// The rows of one pass against the database: their problems, their
/// outcomes, the new ones to record and the sum of the new amounts.
struct Classified<'p> {
    errors: Vec<RowError>,
    outcomes: BTreeMap<u32, PreviewRow>,
    new_rows: Vec<(i64, u32, &'p PaymentValues)>,
    amount_file: Decimal,
}

/// Checks `rows` against the database: unknown or closed accounts, and the
/// payments imported before (unchanged, or refused when they differ). The
/// rows of import `import_id` itself do not count as imported before: a
/// chunk is never compared with the chunks before it.
fn classify<'p>(
    connection: &mut PgConnection,
    import_id: i64,
    rows: &'p [(u32, PaymentValues)],
    options: &RunOptions<'_>,
    report_progress: bool,
) -> Result<Classified<'p>, Stop> {
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
    let receipts: Vec<String> = rows
        .iter()
        .filter(|(_, v)| !v.receipt_no.is_empty())
        .map(|(_, v)| v.receipt_no.clone())
        .collect();
    let ids: Vec<i64> = accounts.values().map(|a| a.id).collect();
    // Receipts anywhere (a receipt is the old system's, not an account's),
    // and the unnumbered payments of these accounts.
    let known: Vec<Known> = sql_query(
        "SELECT p.account_id, a.account_no, p.paid_on, p.amount, p.channel, p.receipt_no \
         FROM imported_payments p JOIN accounts a ON a.id = p.account_id \
         WHERE p.import_id <> $3 AND ((p.receipt_no <> '' AND p.receipt_no = ANY($1)) \
            OR (p.receipt_no = '' AND p.account_id = ANY($2)))",
    )
    .bind::<Array<Text>, _>(&receipts)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<BigInt, _>(import_id)
    .load(connection)?;
    let mut by_receipt: HashMap<&str, &Known> = HashMap::new();
    let mut unnumbered: HashMap<Unnumbered, u32> = HashMap::new();
    for payment in &known {
        if payment.receipt_no.is_empty() {
            *unnumbered
                .entry((
                    payment.account_id,
                    payment.paid_on,
                    payment.amount,
                    payment.channel.clone(),
                ))
                .or_default() += 1;
        } else {
            by_receipt.insert(payment.receipt_no.as_str(), payment);
        }
    }

    let mut errors = Vec::new();
    let mut outcomes: BTreeMap<u32, PreviewRow> = BTreeMap::new();
    let mut new_rows: Vec<(i64, u32, &PaymentValues)> = Vec::new();
    let mut amount_file = Decimal::ZERO;
    let total = rows.len() as u64;
    for (index, (row, values)) in rows.iter().enumerate() {
        let row = *row;
        if index % 1000 == 0 {
            options.check_cancelled()?;
            if report_progress {
                options.report(super::Phase::Writing, index as u64, total);
            }
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
                "the account is closed; import its history before closing it",
            ));
            continue;
        }
        let preview = |outcome| PreviewRow {
            row,
            account_no: values.account_no.clone(),
            paid_on: values.paid_on,
            amount: values.amount,
            channel: values.channel,
            receipt_no: values.receipt_no.clone(),
            outcome,
        };
        if !values.receipt_no.is_empty() {
            if let Some(before) = by_receipt.get(values.receipt_no.as_str()) {
                if before.account_id == account.id
                    && before.paid_on == values.paid_on
                    && before.amount == values.amount
                    && before.channel == values.channel
                {
                    outcomes.insert(row, preview("unchanged"));
                } else {
                    errors.push(row_error(
                        row,
                        "receipt_no",
                        &values.receipt_no,
                        format!(
                            "was imported before as a payment of {} by account {} on {} ({})",
                            before.amount, before.account_no, before.paid_on, before.channel
                        ),
                    ));
                }
                continue;
            }
        } else {
            let key = (
                account.id,
                values.paid_on,
                values.amount,
                values.channel.to_owned(),
            );
            // Each payment imported before without a number accounts for
            // one equal row of the file.
            if let Some(left) = unnumbered.get_mut(&key)
                && *left > 0
            {
                *left -= 1;
                outcomes.insert(row, preview("unchanged"));
                continue;
            }
        }
        amount_file += values.amount;
        new_rows.push((account.id, row, values));
        outcomes.insert(row, preview("new"));
    }
    Ok(Classified {
        errors,
        outcomes,
        new_rows,
        amount_file,
    })
}

/// Records the new rows of a pass as history of import `import_id`.
fn record(
    connection: &mut PgConnection,
    import_id: i64,
    new_rows: &[(i64, u32, &PaymentValues)],
    options: &RunOptions<'_>,
) -> Result<(), Stop> {
    for chunk in new_rows.chunks(2000) {
        options.check_cancelled()?;
        let rows: Vec<_> = chunk
            .iter()
            .map(|(account_id, row, values)| {
                (
                    imported_payments::account_id.eq(*account_id),
                    imported_payments::paid_on.eq(values.paid_on),
                    imported_payments::amount.eq(values.amount),
                    imported_payments::channel.eq(values.channel),
                    imported_payments::receipt_no.eq(&values.receipt_no),
                    imported_payments::cashier.eq(&values.cashier),
                    imported_payments::import_id.eq(import_id),
                    imported_payments::import_row.eq(i32::try_from(*row).unwrap_or(i32::MAX)),
                )
            })
            .collect();
        diesel::insert_into(imported_payments::table)
            .values(&rows)
            .execute(connection)?;
    }
    Ok(())
}

/// Two imports of overlapping files one after the other, never
/// interleaved: the second sees the first's rows as unchanged.
fn serialise(connection: &mut PgConnection) -> QueryResult<()> {
    sql_query("SELECT pg_advisory_xact_lock(hashtext('gascis import payments'))")
        .execute(connection)?;
    Ok(())
}

/// Sorted by row and field; a problem found twice (by the whole-file
/// check and again by its chunk) is listed once. Shared with the readings
/// import.
pub(super) fn sort_errors(errors: &mut Vec<RowError>) -> u32 {
    errors.sort_by(|a, b| (a.row, &a.field).cmp(&(b.row, &b.field)));
    let mut seen = HashSet::new();
    errors.retain(|e| seen.insert((e.row, e.field.clone(), e.value.clone(), e.reason.clone())));
    let mut rows: Vec<u32> = errors.iter().map(|e| e.row).collect();
    rows.dedup();
    rows.len() as u32
}

/// The sum the database holds for an import, to the fen.
fn amount_db(connection: &mut PgConnection, import_id: i64) -> QueryResult<Decimal> {
    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = Numeric)]
        sum: Decimal,
    }
    let mut sum = sql_query(
        "SELECT coalesce(sum(amount), 0) AS sum FROM imported_payments WHERE import_id = $1",
    )
    .bind::<BigInt, _>(import_id)
    .get_result::<Sum>(connection)?
    .sum;
    sum.rescale(2);
    Ok(sum)
}

/// Validates every row against the database and records the new ones as
/// history. All or nothing by default, in one transaction: a dry run, a
/// refusal or a cancel rolls everything back. With `chunk_rows`, in
/// resumable chunks (see [`run_chunked`]). Writes nothing to the ledger.
pub fn run(
    connection: &mut PgConnection,
    actor: &Actor,
    prepared: &Prepared,
    options: &RunOptions<'_>,
) -> Result<Report, ImportError> {
    match options.chunk_rows {
        Some(chunk_rows) if !options.dry_run => {
            run_chunked(connection, actor, prepared, options, chunk_rows)
        }
        _ => run_whole(connection, actor, prepared, options),
    }
}

fn run_whole(
    connection: &mut PgConnection,
    actor: &Actor,
    prepared: &Prepared,
    options: &RunOptions<'_>,
) -> Result<Report, ImportError> {
    let outcome = connection.transaction::<Report, Stop, _>(|connection| {
        serialise(connection)?;
        let import_id: i64 = diesel::insert_into(imports::table)
            .values((
                imports::kind.eq("payments"),
                imports::file_name.eq(options.file_name),
                imports::file_sha256.eq(options.file_sha256),
                imports::sheet.eq(&prepared.sheet),
                // A different payment under an imported receipt is refused.
                imports::policy.eq("fail"),
                imports::status.eq("running"),
                imports::created_by.eq(&actor.username),
            ))
            .returning(imports::id)
            .get_result(connection)?;
        let Classified {
            errors: found,
            outcomes,
            new_rows,
            mut amount_file,
        } = classify(connection, import_id, &prepared.valid, options, true)?;
        record(connection, import_id, &new_rows, options)?;
        let mut errors = prepared.errors.clone();
        errors.extend(found);
        let invalid = sort_errors(&mut errors);
        let count = |name: &str| outcomes.values().filter(|o| o.outcome == name).count() as u32;
        let counts = Counts {
            read: prepared.rows_read,
            new: count("new"),
            updated: 0,
            unchanged: count("unchanged"),
            skipped: 0,
            invalid,
        };
        // Both to the fen, so that an empty import reads 0.00 as well.
        amount_file.rescale(2);
        let certificate = Certificate {
            import_id,
            counts,
            amount_file,
            amount_db: amount_db(connection, import_id)?,
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
        record_counts(connection, &certificate.counts, import_id)?;
        let total = prepared.valid.len() as u64;
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

/// Marks an import committed with its counts (payments and readings).
pub(super) fn record_counts(
    connection: &mut PgConnection,
    counts: &Counts,
    import_id: i64,
) -> QueryResult<()> {
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
    Ok(())
}

/// Chunked commit of a huge history, as for accounts: the whole file is
/// checked first exactly as a dry run does, then the valid rows are
/// recorded in file order, `chunk_rows` at a time, each chunk in its own
/// transaction with the position it reached and its counts; an
/// unfinished chunked import of the same file and sheet is resumed after
/// its position. A cancel or a failure rolls back the current chunk only.
/// The certificate covers every chunk: the file's amounts of the rows the
/// import recorded against the sum the database holds for it.
pub fn run_chunked(
    connection: &mut PgConnection,
    actor: &Actor,
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
        prepared,
        &RunOptions {
            dry_run: true,
            chunk_rows: None,
            progress: None,
            ..*options
        },
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
        resumed_from_row,
        mut position,
        chunks: mut chunks_done,
    } = super::chunks::open(
        connection,
        &super::chunks::File {
            kind: "payments",
            file_name: options.file_name,
            sha256: options.file_sha256,
            sheet: &prepared.sheet,
            policy: "fail",
            created_by: &actor.username,
        },
        chunk_rows,
    )?;
    let start = prepared.valid.partition_point(|(row, _)| *row <= position);
    let mut written = start as u64;
    options.report(super::Phase::Writing, written, total);
    let mut committed_now = 0u32;
    let mut preview: Vec<PreviewRow> = Vec::new();
    for chunk in prepared.valid[start..].chunks(chunk_rows as usize) {
        let stopped = |reason| {
            super::chunks::stopped(
                reason,
                import_id,
                super::chunks::Position::Row(position),
                chunks_done,
            )
        };
        if let Err(Stop::Failed(reason)) = options.check_cancelled() {
            return Err(stopped(reason));
        }
        let through_row = chunk.last().map_or(position, |(row, _)| *row);
        let outcome = connection.transaction::<Classified<'_>, Stop, _>(|connection| {
            serialise(connection)?;
            super::chunks::lock_position(connection, import_id, position).map_err(Stop::Failed)?;
            let classified = classify(connection, import_id, chunk, options, false)?;
            if let Some(first) = classified.errors.first()
                && !options.partial
            {
                return Err(Stop::Failed(ImportError::Other(format!(
                    "row {} {}: '{}' {} (the archive changed since the check)",
                    first.row, first.field, first.value, first.reason
                ))));
            }
            record(connection, import_id, &classified.new_rows, options)?;
            let unchanged = classified
                .outcomes
                .values()
                .filter(|o| o.outcome == "unchanged")
                .count() as u32;
            super::chunks::advance(
                connection,
                import_id,
                through_row,
                classified.new_rows.len() as u32,
                unchanged,
            )?;
            options.check_cancelled()?;
            Ok(classified)
        });
        match outcome {
            Ok(classified) => {
                errors.extend(classified.errors);
                let room = 50usize.saturating_sub(preview.len());
                preview.extend(classified.outcomes.into_values().take(room));
            }
            Err(Stop::Failed(reason)) => return Err(stopped(reason)),
            Err(Stop::DryRun(_)) => {
                return Err(stopped(ImportError::Other("unexpected dry run".to_owned())));
            }
        }
        position = through_row;
        chunks_done += 1;
        committed_now += 1;
        written += chunk.len() as u64;
        options.report(super::Phase::Writing, written, total);
    }
    let invalid = sort_errors(&mut errors);
    let certificate = connection
        .transaction::<_, ImportError, _>(|connection| {
            super::chunks::lock_position(connection, import_id, position)?;
            let (new, unchanged): (i32, i32) = imports::table
                .find(import_id)
                .select((imports::rows_new, imports::rows_unchanged))
                .first(connection)?;
            let recorded: HashSet<i32> = imported_payments::table
                .filter(imported_payments::import_id.eq(import_id))
                .select(imported_payments::import_row)
                .load::<i32>(connection)?
                .into_iter()
                .collect();
            let mut amount_file: Decimal = prepared
                .valid
                .iter()
                .filter(|(row, _)| recorded.contains(&i32::try_from(*row).unwrap_or(0)))
                .map(|(_, v)| v.amount)
                .sum();
            amount_file.rescale(2);
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
                amount_file,
                amount_db: amount_db(connection, import_id)?,
            };
            record_counts(connection, &certificate.counts, import_id)?;
            Ok(certificate)
        })
        .map_err(|reason| ImportError::Interrupted {
            import_id,
            through_row: position,
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
            resumed_from_row,
            resumed_after_accounts: None,
        }),
    })
}

/// One payment of an account's imported history, as the counter lists it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct HistoryRow {
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub account_no: String,
    #[diesel(sql_type = Date)]
    pub paid_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub receipt_no: String,
    #[diesel(sql_type = Text)]
    pub cashier: String,
    #[diesel(sql_type = BigInt)]
    pub import_id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub import_row: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An account's imported payments, newest first.
pub fn history(
    connection: &mut PgConnection,
    account_id: i64,
    limit: i64,
) -> crate::error::Result<Vec<HistoryRow>> {
    Ok(sql_query(
        "SELECT p.account_id, a.account_no, p.paid_on, p.amount, p.channel, p.receipt_no, \
                p.cashier, p.import_id, p.import_row, p.created_at \
         FROM imported_payments p JOIN accounts a ON a.id = p.account_id \
         WHERE p.account_id = $1 ORDER BY p.paid_on DESC, p.id DESC LIMIT $2",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(limit)
    .load(connection)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: "收费记录".to_owned(),
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(index, cells)| (index as u32 + 1, cells))
                .collect(),
        }
    }

    fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }

    #[test]
    fn rows_are_cleaned_and_checked_before_the_database() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let prepared = prepare(
            sheet(vec![
                vec![text("某燃气公司收费记录")],
                vec![
                    text("用户号"),
                    text("收费日期"),
                    text("实收金额（元）"),
                    text("支付方式"),
                    text("收据号"),
                ],
                vec![
                    Cell::Number(1001.0),
                    Cell::Number(44_927.0),
                    text("１,２３４.５"),
                    text("微信"),
                    text("sf-001"),
                ],
                vec![
                    text("1002"),
                    text("2023年1月5日"),
                    Cell::Number(80.3),
                    Cell::Empty,
                    Cell::Empty,
                ],
                vec![
                    text("1003"),
                    text("2099-01-01"),
                    text("0"),
                    text("支票"),
                    text("SF-001"),
                ],
                vec![
                    text("1004"),
                    text("2023-01-05"),
                    text("-5"),
                    text("现金"),
                    text("SF-002"),
                ],
                vec![
                    text("1005"),
                    text("2023-01-05"),
                    text("8"),
                    text("现金"),
                    text("SF-001"),
                ],
                vec![
                    text("1006"),
                    text("2023-01-05"),
                    text("9"),
                    text("现金"),
                    text("No.2023#001"),
                ],
                vec![
                    text("1007"),
                    text("2023-01-05"),
                    text("9"),
                    text("现金"),
                    Cell::Number(1.234_567_890_123_456_7e17),
                ],
            ]),
            None,
            today,
            None,
        );
        let Ok(prepared) = prepared else {
            panic!("{prepared:?}");
        };
        assert_eq!(prepared.header_row, 2);
        assert_eq!(prepared.rows_read, 7);
        let first = &prepared.valid[0].1;
        assert_eq!(first.account_no, "1001");
        assert_eq!(
            first.paid_on,
            NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default()
        );
        assert_eq!(first.amount.to_string(), "1234.50");
        assert_eq!(
            (first.channel, first.receipt_no.as_str()),
            ("wechat", "SF-001")
        );
        assert_eq!(prepared.valid.len(), 3, "{:#?}", prepared.errors);
        assert_eq!(prepared.valid[2].1.receipt_no, "NO.2023#001");
        // The text Excel shows for the double 80.3, not its binary value.
        let second = &prepared.valid[1].1;
        assert_eq!(second.amount.to_string(), "80.30");
        assert_eq!(second.channel, "other");
        let problems: Vec<(u32, &str)> = prepared
            .errors
            .iter()
            .map(|e| (e.row, e.field.as_str()))
            .collect();
        assert_eq!(
            problems,
            [
                (5, "paid_on"),
                (5, "amount"),
                (5, "channel"),
                (6, "amount"),
                (7, "receipt_no"),
                (9, "receipt_no"),
            ]
        );
        assert!(
            prepared.errors[5]
                .reason
                .contains("format the column as text")
        );
        assert!(prepared.errors[0].reason.contains("future"));
        assert!(prepared.errors[4].reason.contains("duplicate of row 3"));
        assert_eq!(
            prepared.originals.keys().copied().collect::<Vec<_>>(),
            [5, 6, 7, 9]
        );
    }
}

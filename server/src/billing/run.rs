//! Billing runs. A run is a row in `billing_runs` and its work is chunks of
//! account ids in `billing_run_chunks`. Any number of workers, in any
//! number of server processes, claim chunks with FOR UPDATE SKIP LOCKED
//! and bill a chunk and mark it done in one transaction: a worker killed
//! half-way leaves its chunk pending, and the unique key (account, period,
//! revision) makes a second bill of a period impossible whatever happens
//! (a period is billed again only after its bill was cancelled, as the
//! next revision).
//!
//! Only post-paid (mechanical) meters are billed by runs: IC-card meters
//! are paid for when gas is bought, IoT meters are charged from their daily
//! readings.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Numeric, SmallInt, Text},
};
use gascis_common::tariff::{self, AccountAttributes, Consumption, Quote, Volume};
use rust_decimal::Decimal;

use super::{
    customer_type, purpose_key,
    readings::{self, register_consumption},
    tariffs::{self, Published},
};
use crate::{
    archive::Actor,
    error::{Error, Result},
};

/// A billing period, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    pub fn parse(text: &str) -> Result<Period> {
        let bad = || Error::invalid("period", format!("'{text}' is not a month like 2026-03"));
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .ok_or_else(bad)?;
        let last = next.pred_opt().ok_or_else(bad)?;
        Ok(Period { first, last })
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month())
    }
}

/// Which accounts a run bills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// A district (premises.district).
    Area(String),
    /// A route book by code.
    RouteBook(String),
}

impl Scope {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            Scope::All => ("all", ""),
            Scope::Area(area) => ("area", area),
            Scope::RouteBook(code) => ("route_book", code),
        }
    }

    /// SQL condition on `a` (accounts) and `p` (premises); `$n` is the value.
    fn condition(kind: &str, n: u8) -> String {
        match kind {
            "area" => format!(" AND p.district = ${n}"),
            "route_book" => {
                format!(" AND a.route_book_id = (SELECT id FROM route_books WHERE code = ${n})")
            }
            // Every query binds the value; an unscoped one still names it.
            _ => format!(" AND ${n} = ${n}"),
        }
    }
}

/// Settings of runs (config `[billing]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Accounts per chunk: one transaction each.
    pub chunk_size: u32,
    /// Days from the end of the period to the due date.
    pub due_days: u32,
    pub readings: readings::Rules,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            chunk_size: 2000,
            due_days: 15,
            readings: readings::Rules::default(),
        }
    }
}

/// A run as stored.
#[derive(Debug, Clone, QueryableByName)]
pub struct Run {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Text)]
    pub scope: String,
    #[diesel(sql_type = Text)]
    pub scope_value: String,
    #[diesel(sql_type = Bool)]
    pub estimate_missing: bool,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub chunks: i32,
}

/// Accounts a run bills: open, post-paid, opened by the period's end ($1).
/// `bill_chunk` states the same conditions per account, as index lookups:
/// change both together.
const ELIGIBLE: &str = "FROM accounts a JOIN premises p ON p.id = a.premise_id \
     JOIN customers c ON c.id = a.customer_id \
     JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical' \
     WHERE a.status <> 'closed' AND a.opened_on <= $1";

/// Starts a run, or returns the unfinished run of the same period and
/// scope so that calling again resumes it.
pub fn start(
    connection: &mut PgConnection,
    actor: &Actor,
    period: Period,
    scope: &Scope,
    estimate_missing: bool,
    settings: &Settings,
) -> Result<Run> {
    let (kind, value) = scope.parts();
    connection.transaction(|connection| {
        // One run per period and scope at a time: concurrent starts meet here.
        sql_query("SELECT pg_advisory_xact_lock(hashtext('billing_run:' || $1 || ':' || $2 || ':' || $3))")
            .bind::<Text, _>(period.label())
            .bind::<Text, _>(kind)
            .bind::<Text, _>(value)
            .execute(connection)?;
        let running: Option<Run> = sql_query(
            "SELECT id, period, scope, scope_value, estimate_missing, status, chunks FROM billing_runs \
             WHERE period = $1 AND scope = $2 AND scope_value = $3 AND status = 'running' \
             ORDER BY id LIMIT 1",
        )
        .bind::<Text, _>(period.label())
        .bind::<Text, _>(kind)
        .bind::<Text, _>(value)
        .get_result(connection)
        .optional()?;
        if let Some(run) = running {
            return Ok(run);
        }
        let mut run: Run = sql_query(
            "INSERT INTO billing_runs (period, scope, scope_value, estimate_missing, status, created_by) \
             VALUES ($1, $2, $3, $4, 'running', $5) \
             RETURNING id, period, scope, scope_value, estimate_missing, status, chunks",
        )
        .bind::<Text, _>(period.label())
        .bind::<Text, _>(kind)
        .bind::<Text, _>(value)
        .bind::<Bool, _>(estimate_missing)
        .bind::<Text, _>(&actor.username)
        .get_result(connection)?;
        let chunks = sql_query(format!(
            "INSERT INTO billing_run_chunks (run_id, chunk_no, first_account_id, last_account_id) \
             SELECT $2, n, min(id), max(id) FROM ( \
                SELECT a.id, ((row_number() OVER (ORDER BY a.id)) - 1) / $3 AS n \
                {ELIGIBLE}{} ) x GROUP BY n",
            Scope::condition(kind, 4)
        ))
        .bind::<Date, _>(period.last)
        .bind::<BigInt, _>(run.id)
        .bind::<BigInt, _>(i64::from(settings.chunk_size.max(1)))
        .bind::<Text, _>(value)
        .execute(connection)?;
        sql_query("UPDATE billing_runs SET chunks = $2 WHERE id = $1")
            .bind::<BigInt, _>(run.id)
            .bind::<Integer, _>(i32::try_from(chunks).unwrap_or(i32::MAX))
            .execute(connection)?;
        run.chunks = i32::try_from(chunks).unwrap_or(i32::MAX);
        Ok(run)
    })
}

pub fn find(connection: &mut PgConnection, run_id: i64) -> Result<Run> {
    sql_query(
        "SELECT id, period, scope, scope_value, estimate_missing, status, chunks FROM billing_runs WHERE id = $1",
    )
    .bind::<BigInt, _>(run_id)
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("billing run {run_id}")))
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub chunks_done: u64,
    pub chunks: u64,
    pub bills: u64,
    pub skipped: u64,
}

pub fn progress(connection: &mut PgConnection, run_id: i64) -> Result<Progress> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        done: i64,
        #[diesel(sql_type = BigInt)]
        total: i64,
        #[diesel(sql_type = BigInt)]
        bills: i64,
        #[diesel(sql_type = BigInt)]
        skipped: i64,
    }
    let row: Row = sql_query(
        "SELECT count(*) FILTER (WHERE status = 'done') AS done, count(*) AS total, \
                coalesce(sum(bills), 0)::bigint AS bills, coalesce(sum(skipped), 0)::bigint AS skipped \
         FROM billing_run_chunks WHERE run_id = $1",
    )
    .bind::<BigInt, _>(run_id)
    .get_result(connection)?;
    Ok(Progress {
        chunks_done: row.done as u64,
        chunks: row.total as u64,
        bills: row.bills as u64,
        skipped: row.skipped as u64,
    })
}

/// Works on a run until no chunk is left to claim; returns the chunks this
/// worker billed. The run is marked done by whichever worker finds nothing
/// pending and nothing in flight.
pub fn work(
    connection: &mut PgConnection,
    actor: &Actor,
    run_id: i64,
    worker: &str,
    settings: &Settings,
    on_chunk: &dyn Fn(Progress),
) -> Result<u64> {
    let run = find(connection, run_id)?;
    if run.status != "running" {
        return Err(Error::Refused(format!(
            "billing run {run_id} is {}",
            run.status
        )));
    }
    let period = Period::parse(&run.period)?;
    let (published, default) = tariffs::published(connection)?;
    let tariffs: HashMap<String, Published> = published
        .into_iter()
        .map(|p| (p.tariff.code.clone(), p))
        .collect();
    let context = Context {
        run: &run,
        period,
        tariffs: &tariffs,
        default: default.as_deref(),
        settings,
        actor,
    };
    let mut mine = 0;
    loop {
        let claimed = connection.transaction(|connection| -> Result<bool> {
            #[derive(QueryableByName)]
            struct Chunk {
                #[diesel(sql_type = Integer)]
                chunk_no: i32,
                #[diesel(sql_type = BigInt)]
                first_account_id: i64,
                #[diesel(sql_type = BigInt)]
                last_account_id: i64,
            }
            let chunk: Option<Chunk> = sql_query(
                "SELECT chunk_no, first_account_id, last_account_id FROM billing_run_chunks \
                 WHERE run_id = $1 AND status = 'pending' ORDER BY chunk_no LIMIT 1 \
                 FOR UPDATE SKIP LOCKED",
            )
            .bind::<BigInt, _>(run_id)
            .get_result(connection)
            .optional()?;
            let Some(chunk) = chunk else {
                return Ok(false);
            };
            let (bills, skipped) = bill_chunk(
                connection,
                &context,
                chunk.first_account_id,
                chunk.last_account_id,
            )?;
            sql_query(
                "UPDATE billing_run_chunks SET status = 'done', worker = $3, bills = $4, skipped = $5, \
                 done_at = now() WHERE run_id = $1 AND chunk_no = $2",
            )
            .bind::<BigInt, _>(run_id)
            .bind::<Integer, _>(chunk.chunk_no)
            .bind::<Text, _>(worker)
            .bind::<Integer, _>(bills)
            .bind::<Integer, _>(skipped)
            .execute(connection)?;
            Ok(true)
        })?;
        if !claimed {
            // Chunks still pending are held by other workers: wait for them,
            // and take over any whose worker dies (its lock goes with it).
            let left = progress(connection, run_id)?;
            if left.chunks_done == left.chunks {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            continue;
        }
        mine += 1;
        on_chunk(progress(connection, run_id)?);
    }
    sql_query(
        "UPDATE billing_runs SET status = 'done', finished_at = now() WHERE id = $1 AND status = 'running' \
         AND NOT EXISTS (SELECT 1 FROM billing_run_chunks WHERE run_id = $1 AND status = 'pending')",
    )
    .bind::<BigInt, _>(run_id)
    .execute(connection)?;
    Ok(mine)
}

struct Context<'a> {
    run: &'a Run,
    period: Period,
    tariffs: &'a HashMap<String, Published>,
    default: Option<&'a str>,
    settings: &'a Settings,
    actor: &'a Actor,
}

#[derive(QueryableByName)]
struct AccountRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Bool)]
    low_income: bool,
    #[diesel(sql_type = Text)]
    tariff_code: String,
    #[diesel(sql_type = Text)]
    flat_class: String,
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = Integer)]
    household_size: i32,
    #[diesel(sql_type = BigInt)]
    meter_id: i64,
    #[diesel(sql_type = Integer)]
    digits: i32,
    #[diesel(sql_type = Date)]
    installed_on: NaiveDate,
}

#[derive(QueryableByName, Clone)]
struct ReadingRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Date)]
    read_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    consumption: Option<Decimal>,
    #[diesel(sql_type = Nullable<BigInt>)]
    previous_id: Option<i64>,
    #[diesel(sql_type = Nullable<Numeric>)]
    previous_value: Option<Decimal>,
}

#[derive(QueryableByName)]
struct PendingRow {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    since_id: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    since_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Numeric>)]
    since_value: Option<Decimal>,
    #[diesel(sql_type = Nullable<BigInt>)]
    last_id: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    last_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Numeric>)]
    last_value: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    volume: Option<Decimal>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    /// The reading the first unbilled one was measured from (a legacy
    /// reading brought over, when nothing was billed yet).
    #[diesel(sql_type = Nullable<Date>)]
    first_previous_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Numeric>)]
    first_previous_value: Option<Decimal>,
}

#[derive(QueryableByName, Clone)]
struct BillRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Integer)]
    revision: i32,
    #[diesel(sql_type = Date)]
    to_date: NaiveDate,
    #[diesel(sql_type = Bool)]
    estimated: bool,
    #[diesel(sql_type = Bool)]
    cancelled: bool,
    #[diesel(sql_type = Nullable<Numeric>)]
    cycle_after: Option<Decimal>,
    #[diesel(sql_type = Nullable<Date>)]
    cycle_start: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<BigInt>)]
    ledger_transaction_id: Option<i64>,
}

/// Everything one chunk writes, gathered first and written set-wise.
#[derive(Default)]
struct Batch {
    bills: Vec<NewBill>,
    cancellations: Vec<BillRow>,
    skips: Vec<(i64, String)>,
}

struct NewBill {
    account_id: i64,
    revision: i32,
    from: NaiveDate,
    to: NaiveDate,
    previous_reading_id: Option<i64>,
    reading_id: i64,
    previous_value: Option<Decimal>,
    current_value: Decimal,
    volume: Decimal,
    estimated: bool,
    cycle_to_date: Decimal,
    revision_id: i64,
    quote: Quote,
}

fn bill_chunk(
    connection: &mut PgConnection,
    context: &Context<'_>,
    first: i64,
    last: i64,
) -> Result<(i32, i32)> {
    let (kind, value) = (context.run.scope.as_str(), context.run.scope_value.as_str());
    let period = context.period;
    let label = period.label();
    // The chunk's accounts by their key range, everything else looked up
    // per account by index (OFFSET 0 keeps each lookup a nested probe): a
    // join the planner may hash reads the whole customers and meters tables
    // for every chunk, which made a run quadratic in the company's size.
    let accounts: Vec<AccountRow> = sql_query(format!(
        "SELECT a.id, c.customer_type, a.low_income, a.tariff_code, a.flat_class, \
                coalesce((SELECT k.gas_purpose FROM contracts k WHERE k.account_id = a.id \
                    ORDER BY k.id DESC LIMIT 1), 'cooking') AS purpose, \
                coalesce((SELECT r.household_size FROM household_registrations r WHERE r.account_id = a.id \
                    AND r.effective_from <= $1 ORDER BY r.effective_from DESC, r.id DESC LIMIT 1), 1) \
                    AS household_size, \
                m.id AS meter_id, m.digits, m.installed_on \
         FROM accounts a \
         CROSS JOIN LATERAL (SELECT c.customer_type FROM customers c WHERE c.id = a.customer_id OFFSET 0) c \
         CROSS JOIN LATERAL (SELECT p.district FROM premises p WHERE p.id = a.premise_id OFFSET 0) p \
         CROSS JOIN LATERAL (SELECT m.id, m.digits, m.installed_on FROM meters m \
             WHERE m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical' OFFSET 0) m \
         WHERE a.id BETWEEN $2 AND $3 AND a.status <> 'closed' AND a.opened_on <= $1{} \
           AND coalesce((SELECT NOT b.cancelled FROM bills b WHERE b.account_id = a.id AND b.period = $4 \
                ORDER BY b.revision DESC LIMIT 1), false) = false \
         ORDER BY a.id",
        Scope::condition(kind, 5)
    ))
    .bind::<Date, _>(period.last)
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .bind::<Text, _>(&label)
    .bind::<Text, _>(value)
    .load(connection)?;
    if accounts.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    // What each account used since its last billed actual reading: the
    // sum of the unbilled actual readings up to the period's end (several
    // when runs skipped the account), ending at the newest of them. Readings
    // brought over from the old system were billed there: they only mark
    // where the first bill starts. The last billed reading is found from
    // the newest period backwards (the bills' key order; a bill's reading is
    // never older than an earlier period's, as only newer readings are
    // billed), so the lookup stays a probe or two however long the history.
    let pending: Vec<PendingRow> = sql_query(format!(
        "SELECT a.id AS account_id, lb.id AS since_id, lb.read_on AS since_on, lb.value AS since_value, \
                x.last_id, x.last_on, x.last_value, x.volume, coalesce(x.n, 0) AS n, x.first_previous_on, \
                x.first_previous_value \
         FROM unnest($1::bigint[]) AS a (id) \
         LEFT JOIN LATERAL ( \
            SELECT r.id, r.read_on, r.value FROM bills b JOIN meter_readings r ON r.id = b.reading_id \
            WHERE b.account_id = a.id AND NOT b.cancelled AND r.source <> 'estimated' \
              AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
                  AND n.period = b.period AND n.revision > b.revision) \
            ORDER BY b.period DESC, b.revision DESC LIMIT 1) lb ON true \
         LEFT JOIN LATERAL ( \
            SELECT (array_agg(r.id ORDER BY r.read_on DESC, r.id DESC))[1] AS last_id, \
                   max(r.read_on) AS last_on, \
                   (array_agg(r.value ORDER BY r.read_on DESC, r.id DESC))[1] AS last_value, \
                   sum(r.consumption) AS volume, count(*) AS n, \
                   (array_agg(p.read_on ORDER BY r.read_on, r.id))[1] AS first_previous_on, \
                   (array_agg(p.value ORDER BY r.read_on, r.id))[1] AS first_previous_value \
            FROM meter_readings r LEFT JOIN meter_readings p ON p.id = r.previous_id \
            WHERE r.account_id = a.id AND r.status IN {usable} \
              AND r.source NOT IN ('estimated', 'import') AND r.consumption IS NOT NULL \
              AND r.read_on <= $2 AND (lb.id IS NULL OR (r.read_on, r.id) > (lb.read_on, lb.id))) x ON true",
        usable = readings::USABLE
    ))
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Date, _>(period.last)
    .load(connection)?;
    let pending: HashMap<i64, PendingRow> =
        pending.into_iter().map(|r| (r.account_id, r)).collect();
    // The newest usable reading of any source: an estimate continues from it.
    let latest: HashMap<i64, ReadingRow> = if context.run.estimate_missing {
        let rows: Vec<ReadingRow> = sql_query(format!(
            "SELECT DISTINCT ON (r.account_id) r.id, r.account_id, r.read_on, r.value, r.consumption, \
                    r.previous_id, p.value AS previous_value \
             FROM meter_readings r LEFT JOIN meter_readings p ON p.id = r.previous_id \
             WHERE r.account_id = ANY($1) AND r.status IN {usable} AND r.read_on <= $2 \
             ORDER BY r.account_id, r.read_on DESC, r.id DESC",
            usable = readings::USABLE
        ))
        .bind::<Array<BigInt>, _>(&ids)
        .bind::<Date, _>(period.last)
        .load(connection)?;
        rows.into_iter().map(|r| (r.account_id, r)).collect()
    } else {
        HashMap::new()
    };
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let waiting: HashSet<i64> = sql_query(
        "SELECT DISTINCT account_id AS id FROM meter_readings \
         WHERE account_id = ANY($1) AND account_id BETWEEN $3 AND $4 \
           AND status IN ('anomaly', 'reread') AND read_on <= $2",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Date, _>(period.last)
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .load::<Id>(connection)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    // Current revision of every bill of the last two years.
    let bills: Vec<BillRow> = sql_query(
        "SELECT DISTINCT ON (account_id, period) id, account_id, period, revision, to_date, estimated, \
                cancelled, cycle_after, cycle_start, ledger_transaction_id, amount \
         FROM bills WHERE account_id = ANY($1) AND account_id BETWEEN $3 AND $4 AND to_date >= $2 \
         ORDER BY account_id, period, revision DESC",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Date, _>(period.first - chrono::Duration::days(800))
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .load(connection)?;
    let mut bills_of: HashMap<i64, Vec<BillRow>> = HashMap::new();
    for bill in bills.into_iter().filter(|b| !b.cancelled) {
        bills_of.entry(bill.account_id).or_default().push(bill);
    }
    // A period whose bill was cancelled is billed again as the next revision.
    #[derive(QueryableByName)]
    struct Revision {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = Integer)]
        revision: i32,
    }
    let next_revision: HashMap<i64, i32> = sql_query(
        "SELECT account_id, max(revision) + 1 AS revision FROM bills \
         WHERE account_id = ANY($1) AND account_id BETWEEN $3 AND $4 AND period = $2 \
         GROUP BY account_id",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Text, _>(&label)
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .load::<Revision>(connection)?
    .into_iter()
    .map(|r| (r.account_id, r.revision))
    .collect();
    let mut batch = Batch::default();
    for account in &accounts {
        let tariff_code = if account.tariff_code.is_empty() {
            context.default.unwrap_or("")
        } else {
            account.tariff_code.as_str()
        };
        let Some(published) = context.tariffs.get(tariff_code) else {
            batch.skips.push((
                account.id,
                if tariff_code.is_empty() {
                    "no tariff: the account names none and no default tariff is set".to_owned()
                } else {
                    format!("tariff '{tariff_code}' has no published revision")
                },
            ));
            continue;
        };
        if waiting.contains(&account.id) {
            batch.skips.push((
                account.id,
                "a reading waits in the anomaly queue".to_owned(),
            ));
            continue;
        }
        let mut history = bills_of.remove(&account.id).unwrap_or_default();
        history.sort_by_key(|b| (b.to_date, b.id));
        let actual = pending.get(&account.id).filter(|p| p.n > 0).and_then(|p| {
            Some(ReadingRow {
                id: p.last_id?,
                account_id: account.id,
                read_on: p.last_on?,
                value: p.last_value?,
                consumption: p.volume,
                previous_id: p.since_id,
                previous_value: p.since_value.or(p.first_previous_value),
            })
        });
        let estimated = actual.is_none();
        let reading = match actual {
            Some(reading) => reading,
            None if context.run.estimate_missing => {
                match estimate(connection, context, account, latest.get(&account.id))? {
                    Some(estimated) => estimated,
                    None => {
                        batch.skips.push((
                            account.id,
                            "no reading this period and no history to estimate from".to_owned(),
                        ));
                        continue;
                    }
                }
            }
            None => {
                batch
                    .skips
                    .push((account.id, "no reading this period".to_owned()));
                continue;
            }
        };
        let Some(volume) = reading.consumption else {
            batch
                .skips
                .push((account.id, "the reading has no consumption".to_owned()));
            continue;
        };
        // An estimate continues from the last bill; an actual reading is
        // measured from the last billed actual reading.
        let since = if estimated {
            history.last().map(|b| b.to_date)
        } else {
            pending.get(&account.id).and_then(|p| p.since_on)
        };

        // Estimated bills after the previous actual reading are replaced by
        // this bill of the real consumption over the whole stretch.
        let (replaced, kept): (Vec<BillRow>, Vec<BillRow>) = history
            .into_iter()
            .partition(|b| b.estimated && since.is_none_or(|s| b.to_date > s));
        batch.cancellations.extend(replaced);
        let measured_from = if estimated {
            since
        } else {
            since.or_else(|| pending.get(&account.id).and_then(|p| p.first_previous_on))
        };
        let from = measured_from
            .and_then(|s| s.succ_opt())
            .unwrap_or(account.installed_on)
            .min(reading.read_on);
        let to = reading.read_on;
        let Some(cycle) = published
            .tariff
            .version_at(from)
            .or_else(|| published.tariff.versions.first())
            .map(|v| v.cycle)
        else {
            batch.skips.push((
                account.id,
                format!("tariff '{tariff_code}' has no versions"),
            ));
            continue;
        };
        let cycle_start = cycle.start_of(from);
        let cycle_to_date = kept
            .last()
            .filter(|b| b.cycle_start.is_some() && b.cycle_start == cycle_start)
            .and_then(|b| b.cycle_after)
            .unwrap_or(Decimal::ZERO);
        let attributes = AccountAttributes {
            customer_type: customer_type(&account.customer_type),
            purpose: purpose_key(&account.purpose).to_owned(),
            household_size: u32::try_from(account.household_size).unwrap_or(1),
            low_income: account.low_income,
            flat_class: (!account.flat_class.is_empty()).then(|| account.flat_class.clone()),
        };
        let quote = Volume::try_from_decimal(volume)
            .and_then(|v| Ok((v, Volume::try_from_decimal(cycle_to_date)?)))
            .map_err(|e| e.to_string())
            .and_then(|(volume, cycle_to_date)| {
                tariff::quote(
                    &published.tariff,
                    &attributes,
                    &Consumption {
                        volume,
                        from,
                        to,
                        cycle_to_date,
                    },
                )
                .map_err(|e| e.to_string())
            });
        let quote = match quote {
            Ok(quote) => quote,
            Err(reason) => {
                batch
                    .skips
                    .push((account.id, format!("cannot price: {reason}")));
                continue;
            }
        };
        batch.bills.push(NewBill {
            account_id: account.id,
            revision: next_revision.get(&account.id).copied().unwrap_or(0),
            from,
            to,
            previous_reading_id: reading.previous_id,
            reading_id: reading.id,
            previous_value: reading.previous_value,
            current_value: reading.value,
            volume,
            estimated,
            cycle_to_date,
            revision_id: published.revision_id,
            quote,
        });
    }
    let written = write(connection, context, &batch)?;
    Ok((
        i32::try_from(written).unwrap_or(i32::MAX),
        i32::try_from(batch.skips.len()).unwrap_or(i32::MAX),
    ))
}

/// An estimated reading at the period's end: the average daily consumption
/// of the last three valid periods times the days since the last reading.
fn estimate(
    connection: &mut PgConnection,
    context: &Context<'_>,
    account: &AccountRow,
    last: Option<&ReadingRow>,
) -> Result<Option<ReadingRow>> {
    let Some(last) = last else {
        return Ok(None);
    };
    if last.read_on >= context.period.last {
        return Ok(None);
    }
    #[derive(QueryableByName)]
    struct Period {
        #[diesel(sql_type = Numeric)]
        consumption: Decimal,
        #[diesel(sql_type = Integer)]
        days: i32,
    }
    let past: Vec<Period> = sql_query(format!(
        "SELECT r.consumption, greatest(1, r.read_on - coalesce(p.read_on, m.installed_on - 1)) AS days \
         FROM meter_readings r LEFT JOIN meter_readings p ON p.id = r.previous_id \
         JOIN meters m ON m.id = r.meter_id \
         WHERE r.account_id = $1 AND r.status IN {usable} AND r.source <> 'estimated' \
           AND r.consumption IS NOT NULL ORDER BY r.read_on DESC, r.id DESC LIMIT 3",
        usable = readings::USABLE
    ))
    .bind::<BigInt, _>(account.id)
    .load(connection)?;
    let days: i64 = past.iter().map(|p| i64::from(p.days)).sum();
    if past.is_empty() || days <= 0 {
        return Ok(None);
    }
    let daily = past.iter().map(|p| p.consumption).sum::<Decimal>() / Decimal::from(days);
    let span = (context.period.last - last.read_on).num_days();
    let consumption = (daily * Decimal::from(span)).round_dp(3);
    let capacity = Decimal::from(10_i64.pow(u32::try_from(account.digits).unwrap_or(10).min(12)));
    let mut value = last.value + consumption;
    if value >= capacity {
        value -= capacity;
    }
    debug_assert_eq!(
        register_consumption(last.value, value, account.digits).map(|c| c.0),
        Some(consumption)
    );
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let id: Id = sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, previous_id, \
            consumption, status, recorded_by) \
         VALUES ($1, $2, ($3::timestamp + time '12:00') AT TIME ZONE 'Asia/Shanghai', $3, $4, 'estimated', $5, $6, 'valid', $7) \
         RETURNING id",
    )
    .bind::<BigInt, _>(account.id)
    .bind::<BigInt, _>(account.meter_id)
    .bind::<Date, _>(context.period.last)
    .bind::<Numeric, _>(value)
    .bind::<BigInt, _>(last.id)
    .bind::<Numeric, _>(consumption)
    .bind::<Text, _>(&context.actor.username)
    .get_result(connection)?;
    Ok(Some(ReadingRow {
        id: id.id,
        account_id: account.id,
        read_on: context.period.last,
        value,
        consumption: Some(consumption),
        previous_id: Some(last.id),
        previous_value: Some(last.value),
    }))
}

/// Writes a chunk's bills, their lines and ledger entries, the
/// cancellations of replaced estimates and the skips, set-wise; returns the
/// bills written (an overlapping run may have billed some meanwhile: the
/// unique keys keep theirs and skip ours).
fn write(connection: &mut PgConnection, context: &Context<'_>, batch: &Batch) -> Result<usize> {
    let label = context.period.label();
    let user = &context.actor.username;
    let run_id = context.run.id;
    let due_on = context.period.last + chrono::Duration::days(i64::from(context.settings.due_days));
    let today = crate::archive::today();

    // Cancellations: a new revision that cancels, and a reversal of the
    // cancelled bill's ledger entry.
    for old in &batch.cancellations {
        let reversal = match old.ledger_transaction_id {
            Some(original) => Some(reverse(connection, user, original, old, today)?),
            None => None,
        };
        sql_query(
            "INSERT INTO bills (account_id, period, revision, from_date, to_date, previous_reading_id, \
                reading_id, previous_value, current_value, volume, estimated, amount, net, tax, vat_rate, \
                tariff_code, tariff_revision_id, cycle_to_date, cycle_after, cycle_start, due_on, run_id, \
                ledger_transaction_id, replaces_bill_id, cancelled, reason, created_by) \
             SELECT account_id, period, revision + 1, from_date, to_date, previous_reading_id, reading_id, \
                previous_value, current_value, 0, estimated, 0, 0, 0, vat_rate, tariff_code, tariff_revision_id, \
                cycle_to_date, cycle_to_date, cycle_start, due_on, $2, $3, id, true, \
                'estimate replaced by the actual reading billed in ' || $4, $5 \
             FROM bills WHERE id = $1",
        )
        .bind::<BigInt, _>(old.id)
        .bind::<BigInt, _>(run_id)
        .bind::<Nullable<BigInt>, _>(reversal)
        .bind::<Text, _>(&label)
        .bind::<Text, _>(user)
        .execute(connection)?;
    }

    if !batch.skips.is_empty() {
        let (accounts, reasons): (Vec<i64>, Vec<&str>) =
            batch.skips.iter().map(|(a, r)| (*a, r.as_str())).unzip();
        sql_query(
            "INSERT INTO billing_run_skips (run_id, account_id, reason) \
             SELECT $1, * FROM unnest($2::bigint[], $3::text[]) ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(run_id)
        .bind::<Array<BigInt>, _>(&accounts)
        .bind::<Array<Text>, _>(&reasons)
        .execute(connection)?;
    }
    if batch.bills.is_empty() {
        return Ok(0);
    }

    // Ledger: receivable against gas revenue and output VAT, one
    // transaction per bill with an amount.
    let charged: Vec<&NewBill> = batch
        .bills
        .iter()
        .filter(|b| !b.quote.total.as_decimal().is_zero())
        .collect();
    #[derive(QueryableByName)]
    struct Posted {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        account_id: i64,
    }
    let mut ledger_of: HashMap<i64, i64> = HashMap::new();
    if !charged.is_empty() {
        let accounts: Vec<i64> = charged.iter().map(|b| b.account_id).collect();
        let occurred: Vec<NaiveDate> = charged.iter().map(|b| b.to).collect();
        let revisions: Vec<i32> = charged.iter().map(|b| b.revision).collect();
        let posted: Vec<Posted> = sql_query(
            "INSERT INTO ledger_transactions (business_key, kind, account_id, occurred_on, created_by, memo) \
             SELECT 'bill:' || a || ':' || $2 || ':' || r, 'bill', a, d, $3, '账单 ' || $2 \
             FROM unnest($1::bigint[], $4::date[], $5::int[]) AS x (a, d, r) \
             ON CONFLICT (business_key) DO NOTHING RETURNING id, account_id",
        )
        .bind::<Array<BigInt>, _>(&accounts)
        .bind::<Text, _>(&label)
        .bind::<Text, _>(user)
        .bind::<Array<Date>, _>(&occurred)
        .bind::<Array<Integer>, _>(&revisions)
        .get_results(connection)?;
        ledger_of = posted.into_iter().map(|p| (p.account_id, p.id)).collect();
        let mut transaction_ids = Vec::with_capacity(charged.len() * 3);
        let mut books = Vec::with_capacity(charged.len() * 3);
        let mut line_accounts: Vec<Option<i64>> = Vec::with_capacity(charged.len() * 3);
        let mut amounts = Vec::with_capacity(charged.len() * 3);
        for bill in &charged {
            // Billed by an overlapping run meanwhile: its bill stands.
            let Some(&transaction) = ledger_of.get(&bill.account_id) else {
                continue;
            };
            let lines = [
                (
                    "receivable",
                    Some(bill.account_id),
                    bill.quote.total.as_decimal(),
                ),
                ("gas_revenue", None, -bill.quote.vat.net.as_decimal()),
                ("vat_output", None, -bill.quote.vat.tax.as_decimal()),
            ];
            for (book, account, amount) in lines {
                if amount.is_zero() {
                    continue;
                }
                transaction_ids.push(transaction);
                books.push(book);
                line_accounts.push(account);
                amounts.push(amount);
            }
        }
        sql_query(
            "INSERT INTO ledger_lines (transaction_id, book, account_id, amount) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::numeric[])",
        )
        .bind::<Array<BigInt>, _>(&transaction_ids)
        .bind::<Array<Text>, _>(&books)
        .bind::<Array<Nullable<BigInt>>, _>(&line_accounts)
        .bind::<Array<Numeric>, _>(&amounts)
        .execute(connection)?;
    }

    let n = batch.bills.len();
    let mut accounts = Vec::with_capacity(n);
    let mut bill_revisions = Vec::with_capacity(n);
    let mut froms = Vec::with_capacity(n);
    let mut tos = Vec::with_capacity(n);
    let mut previous_readings: Vec<Option<i64>> = Vec::with_capacity(n);
    let mut readings_ids = Vec::with_capacity(n);
    let mut previous_values: Vec<Option<Decimal>> = Vec::with_capacity(n);
    let mut current_values = Vec::with_capacity(n);
    let mut volumes = Vec::with_capacity(n);
    let mut estimated = Vec::with_capacity(n);
    let mut amounts = Vec::with_capacity(n);
    let mut nets = Vec::with_capacity(n);
    let mut taxes = Vec::with_capacity(n);
    let mut rates = Vec::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    let mut revisions = Vec::with_capacity(n);
    let mut cycle_before = Vec::with_capacity(n);
    let mut cycle_after: Vec<Option<Decimal>> = Vec::with_capacity(n);
    let mut cycle_start: Vec<Option<NaiveDate>> = Vec::with_capacity(n);
    let mut ledger: Vec<Option<i64>> = Vec::with_capacity(n);
    for bill in &batch.bills {
        accounts.push(bill.account_id);
        bill_revisions.push(bill.revision);
        froms.push(bill.from);
        tos.push(bill.to);
        previous_readings.push(bill.previous_reading_id);
        readings_ids.push(bill.reading_id);
        previous_values.push(bill.previous_value);
        current_values.push(bill.current_value);
        volumes.push(bill.volume);
        estimated.push(bill.estimated);
        amounts.push(bill.quote.total.as_decimal());
        nets.push(bill.quote.vat.net.as_decimal());
        taxes.push(bill.quote.vat.tax.as_decimal());
        rates.push(bill.quote.vat.rate.as_decimal());
        codes.push(bill.quote.tariff_code.as_str());
        revisions.push(bill.revision_id);
        cycle_before.push(bill.cycle_to_date);
        cycle_after.push(bill.quote.cycle_to_date_after.map(Volume::as_decimal));
        cycle_start.push(bill.quote.segments.last().and_then(|s| s.cycle_start));
        ledger.push(ledger_of.get(&bill.account_id).copied());
    }
    let inserted: Vec<Posted> = sql_query(
        "INSERT INTO bills (account_id, period, from_date, to_date, previous_reading_id, reading_id, \
            previous_value, current_value, volume, estimated, amount, net, tax, vat_rate, tariff_code, \
            tariff_revision_id, cycle_to_date, cycle_after, cycle_start, due_on, run_id, \
            ledger_transaction_id, created_by, revision) \
         SELECT a, $1, f, t, pr, r, pv, cv, v, e, am, ne, tx, ra, co, rv, cb, ca, cs, $2, $3, l, $4, rn \
         FROM unnest($5::bigint[], $6::date[], $7::date[], $8::bigint[], $9::bigint[], $10::numeric[], \
            $11::numeric[], $12::numeric[], $13::bool[], $14::numeric[], $15::numeric[], $16::numeric[], \
            $17::numeric[], $18::text[], $19::bigint[], $20::numeric[], $21::numeric[], $22::date[], \
            $23::bigint[], $24::int[]) AS x (a, f, t, pr, r, pv, cv, v, e, am, ne, tx, ra, co, rv, cb, ca, cs, l, rn) \
         ON CONFLICT (account_id, period, revision) DO NOTHING RETURNING id, account_id",
    )
    .bind::<Text, _>(&label)
    .bind::<Date, _>(due_on)
    .bind::<BigInt, _>(run_id)
    .bind::<Text, _>(user)
    .bind::<Array<BigInt>, _>(&accounts)
    .bind::<Array<Date>, _>(&froms)
    .bind::<Array<Date>, _>(&tos)
    .bind::<Array<Nullable<BigInt>>, _>(&previous_readings)
    .bind::<Array<BigInt>, _>(&readings_ids)
    .bind::<Array<Nullable<Numeric>>, _>(&previous_values)
    .bind::<Array<Numeric>, _>(&current_values)
    .bind::<Array<Numeric>, _>(&volumes)
    .bind::<Array<Bool>, _>(&estimated)
    .bind::<Array<Numeric>, _>(&amounts)
    .bind::<Array<Numeric>, _>(&nets)
    .bind::<Array<Numeric>, _>(&taxes)
    .bind::<Array<Numeric>, _>(&rates)
    .bind::<Array<Text>, _>(&codes)
    .bind::<Array<BigInt>, _>(&revisions)
    .bind::<Array<Numeric>, _>(&cycle_before)
    .bind::<Array<Nullable<Numeric>>, _>(&cycle_after)
    .bind::<Array<Nullable<Date>>, _>(&cycle_start)
    .bind::<Array<Nullable<BigInt>>, _>(&ledger)
    .bind::<Array<Integer>, _>(&bill_revisions)
    .get_results(connection)?;
    let bill_of: HashMap<i64, i64> = inserted.into_iter().map(|p| (p.account_id, p.id)).collect();
    let written = bill_of.len();

    let mut bill_ids = Vec::new();
    let mut line_nos: Vec<i16> = Vec::new();
    let mut kinds = Vec::new();
    let mut tiers: Vec<Option<i16>> = Vec::new();
    let mut seasons = Vec::new();
    let mut names = Vec::new();
    let mut line_volumes = Vec::new();
    let mut prices: Vec<Option<Decimal>> = Vec::new();
    let mut line_amounts = Vec::new();
    let mut versions = Vec::new();
    let mut line_from = Vec::new();
    let mut line_to = Vec::new();
    let mut days = Vec::new();
    for bill in &batch.bills {
        let Some(&bill_id) = bill_of.get(&bill.account_id) else {
            continue;
        };
        for (index, line) in bill.quote.lines.iter().enumerate() {
            bill_ids.push(bill_id);
            line_nos.push(i16::try_from(index + 1).unwrap_or(i16::MAX));
            kinds.push(line.kind.as_str());
            tiers.push(line.tier.and_then(|t| i16::try_from(t).ok()));
            seasons.push(line.season.clone().unwrap_or_default());
            names.push(line.name.clone().unwrap_or_default());
            line_volumes.push(line.volume.as_decimal());
            prices.push(line.unit_price.map(|p| p.as_decimal()));
            line_amounts.push(line.amount.as_decimal());
            versions.push(line.version_effective_from);
            line_from.push(line.from);
            line_to.push(line.to);
            days.push(i32::try_from(line.days).unwrap_or(i32::MAX));
        }
    }
    if !bill_ids.is_empty() {
        sql_query(
            "INSERT INTO bill_lines (bill_id, line_no, kind, tier, season, name, volume, unit_price, amount, \
                version_effective_from, from_date, to_date, days) \
             SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::smallint[], $5::text[], \
                $6::text[], $7::numeric[], $8::numeric[], $9::numeric[], $10::date[], $11::date[], \
                $12::date[], $13::int[])",
        )
        .bind::<Array<BigInt>, _>(&bill_ids)
        .bind::<Array<SmallInt>, _>(&line_nos)
        .bind::<Array<Text>, _>(&kinds)
        .bind::<Array<Nullable<SmallInt>>, _>(&tiers)
        .bind::<Array<Text>, _>(&seasons)
        .bind::<Array<Text>, _>(&names)
        .bind::<Array<Numeric>, _>(&line_volumes)
        .bind::<Array<Nullable<Numeric>>, _>(&prices)
        .bind::<Array<Numeric>, _>(&line_amounts)
        .bind::<Array<Date>, _>(&versions)
        .bind::<Array<Date>, _>(&line_from)
        .bind::<Array<Date>, _>(&line_to)
        .bind::<Array<Integer>, _>(&days)
        .execute(connection)?;
    }
    Ok(written)
}

/// Posts the reversal of a bill's ledger entry; returns its id.
fn reverse(
    connection: &mut PgConnection,
    user: &str,
    original: i64,
    bill: &BillRow,
    today: NaiveDate,
) -> Result<i64> {
    crate::ledger::reverse(
        connection,
        original,
        &format!(
            "bill:{}:{}:{}:reversal",
            bill.account_id,
            bill.period,
            bill.revision + 1
        ),
        "bill_reversal",
        today,
        user,
        &format!("冲销账单 {}", bill.period),
    )
}

/// Bills, volume and amount of a run by customer type.
#[derive(Debug, Clone, QueryableByName, PartialEq, Eq)]
pub struct ClassTotal {
    #[diesel(sql_type = Text)]
    pub customer_type: String,
    #[diesel(sql_type = BigInt)]
    pub bills: i64,
    #[diesel(sql_type = Numeric)]
    pub volume: Decimal,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
}

pub fn summary(connection: &mut PgConnection, run_id: i64) -> Result<Vec<ClassTotal>> {
    Ok(sql_query(
        "SELECT c.customer_type, count(*) AS bills, coalesce(sum(b.volume), 0) AS volume, \
                coalesce(sum(b.amount), 0) AS amount \
         FROM bills b JOIN accounts a ON a.id = b.account_id JOIN customers c ON c.id = a.customer_id \
         WHERE b.run_id = $1 AND NOT b.cancelled GROUP BY c.customer_type ORDER BY c.customer_type",
    )
    .bind::<BigInt, _>(run_id)
    .load(connection)?)
}

/// Why accounts were not billed, with counts.
pub fn skip_reasons(connection: &mut PgConnection, run_id: i64) -> Result<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        reason: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = sql_query(
        "SELECT reason, count(*) AS n FROM billing_run_skips WHERE run_id = $1 GROUP BY reason ORDER BY n DESC",
    )
    .bind::<BigInt, _>(run_id)
    .load(connection)?;
    Ok(rows.into_iter().map(|r| (r.reason, r.n)).collect())
}

/// What a run would bill, computed in full and rolled back.
pub struct Preview {
    pub classes: Vec<ClassTotal>,
    pub skips: Vec<(String, i64)>,
}

pub fn preview(
    connection: &mut PgConnection,
    actor: &Actor,
    period: Period,
    scope: &Scope,
    estimate_missing: bool,
    settings: &Settings,
) -> Result<Preview> {
    enum Stop {
        Done(Preview),
        Failed(Error),
    }
    impl From<diesel::result::Error> for Stop {
        fn from(error: diesel::result::Error) -> Self {
            Stop::Failed(error.into())
        }
    }
    let outcome = connection.transaction::<(), Stop, _>(|connection| {
        let inner = (|| -> Result<Preview> {
            let run = start(connection, actor, period, scope, estimate_missing, settings)?;
            work(connection, actor, run.id, "preview", settings, &|_| {})?;
            Ok(Preview {
                classes: summary(connection, run.id)?,
                skips: skip_reasons(connection, run.id)?,
            })
        })();
        // Always roll back: a preview writes nothing.
        Err(match inner {
            Ok(preview) => Stop::Done(preview),
            Err(error) => Stop::Failed(error),
        })
    });
    match outcome {
        Err(Stop::Done(preview)) => Ok(preview),
        Err(Stop::Failed(error)) => Err(error),
        Ok(()) => Err(Error::Internal("a preview committed".into())),
    }
}

/// Cancels the current revision of a bill: a new revision that cancels it
/// and a reversal of its ledger entry, with the reason. The period can then
/// be billed again (as the next revision) from corrected readings.
pub fn cancel_bill(
    connection: &mut PgConnection,
    actor: &Actor,
    bill_id: i64,
    reason: &str,
) -> Result<i64> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", "say why the bill is cancelled"));
    }
    connection.transaction(|connection| {
        // Bills are append-only (no row locks for the application role):
        // corrections of one account queue on the account's row instead.
        sql_query(
            "SELECT id FROM accounts WHERE id = (SELECT account_id FROM bills WHERE id = $1) FOR UPDATE",
        )
        .bind::<BigInt, _>(bill_id)
        .execute(connection)?;
        let bill: BillRow = sql_query(
            "SELECT id, account_id, period, revision, to_date, estimated, cancelled, cycle_after, \
                    cycle_start, ledger_transaction_id, amount FROM bills WHERE id = $1",
        )
        .bind::<BigInt, _>(bill_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("bill {bill_id}")))?;
        #[derive(QueryableByName)]
        struct Latest {
            #[diesel(sql_type = Integer)]
            revision: i32,
        }
        let latest: Latest = sql_query(
            "SELECT max(revision) AS revision FROM bills WHERE account_id = $1 AND period = $2",
        )
        .bind::<BigInt, _>(bill.account_id)
        .bind::<Text, _>(&bill.period)
        .get_result(connection)?;
        if latest.revision != bill.revision {
            return Err(Error::StaleVersion(format!(
                "bill {bill_id} was corrected meanwhile (revision {} is current)",
                latest.revision
            )));
        }
        if bill.cancelled {
            return Err(Error::Refused(format!("bill {bill_id} is already cancelled")));
        }
        if let Some(invoice) = crate::invoices::standing_invoice_of(connection, None, Some(bill_id))? {
            return Err(Error::Refused(format!(
                "bill {bill_id} is on invoice {invoice}; reverse the invoice in full (红冲) before \
                 cancelling the bill"
            )));
        }
        let reversal = match bill.ledger_transaction_id {
            Some(original) => Some(reverse(
                connection,
                &actor.username,
                original,
                &bill,
                crate::archive::today(),
            )?),
            None => None,
        };
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = sql_query(
            "INSERT INTO bills (account_id, period, revision, from_date, to_date, previous_reading_id, \
                reading_id, previous_value, current_value, volume, estimated, amount, net, tax, vat_rate, \
                tariff_code, tariff_revision_id, cycle_to_date, cycle_after, cycle_start, due_on, \
                ledger_transaction_id, replaces_bill_id, cancelled, reason, created_by) \
             SELECT account_id, period, revision + 1, from_date, to_date, previous_reading_id, NULL, \
                previous_value, current_value, 0, estimated, 0, 0, 0, vat_rate, tariff_code, \
                tariff_revision_id, cycle_to_date, cycle_to_date, cycle_start, due_on, $2, id, true, $3, $4 \
             FROM bills WHERE id = $1 RETURNING id",
        )
        .bind::<BigInt, _>(bill_id)
        .bind::<Nullable<BigInt>, _>(reversal)
        .bind::<Text, _>(reason)
        .bind::<Text, _>(&actor.username)
        .get_result(connection)?;
        Ok(id.id)
    })
}

/// A bill as shown and printed, with its lines.
#[derive(Debug, Clone, QueryableByName)]
pub struct BillView {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Integer)]
    pub revision: i32,
    #[diesel(sql_type = Bool)]
    pub cancelled: bool,
    #[diesel(sql_type = Date)]
    pub from_date: NaiveDate,
    #[diesel(sql_type = Date)]
    pub to_date: NaiveDate,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub previous_value: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub current_value: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    pub volume: Decimal,
    #[diesel(sql_type = Bool)]
    pub estimated: bool,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Numeric)]
    pub net: Decimal,
    #[diesel(sql_type = Numeric)]
    pub tax: Decimal,
    #[diesel(sql_type = Text)]
    pub tariff_code: String,
    #[diesel(sql_type = BigInt)]
    pub tariff_revision_id: i64,
    #[diesel(sql_type = Numeric)]
    pub cycle_to_date: Decimal,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub reason: String,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct LineView {
    #[diesel(sql_type = BigInt)]
    pub bill_id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub tier: Option<i16>,
    #[diesel(sql_type = Text)]
    pub season: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Numeric)]
    pub volume: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub unit_price: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Date)]
    pub version_effective_from: NaiveDate,
    #[diesel(sql_type = Date)]
    pub from_date: NaiveDate,
    #[diesel(sql_type = Date)]
    pub to_date: NaiveDate,
    #[diesel(sql_type = Integer)]
    pub days: i32,
}

const BILL_COLUMNS: &str = "b.id, b.account_id, b.period, b.revision, b.cancelled, b.from_date, b.to_date, \
     b.previous_value, b.current_value, b.volume, b.estimated, b.amount, b.net, b.tax, b.tariff_code, \
     b.tariff_revision_id, b.cycle_to_date, b.due_on, b.reason";

/// Every revision of an account's bills, newest period first, with lines.
pub fn bills_of(
    connection: &mut PgConnection,
    account_id: i64,
) -> Result<Vec<(BillView, Vec<LineView>)>> {
    let bills: Vec<BillView> = sql_query(format!(
        "SELECT {BILL_COLUMNS} FROM bills b WHERE b.account_id = $1 ORDER BY b.period DESC, b.revision DESC"
    ))
    .bind::<BigInt, _>(account_id)
    .load(connection)?;
    let ids: Vec<i64> = bills.iter().map(|b| b.id).collect();
    let lines: Vec<LineView> = sql_query(
        "SELECT bill_id, kind, tier, season, name, volume, unit_price, amount, version_effective_from, \
                from_date, to_date, days FROM bill_lines WHERE bill_id = ANY($1) ORDER BY bill_id, line_no",
    )
    .bind::<Array<BigInt>, _>(&ids)
    .load(connection)?;
    let mut by_bill: HashMap<i64, Vec<LineView>> = HashMap::new();
    for line in lines {
        by_bill.entry(line.bill_id).or_default().push(line);
    }
    Ok(bills
        .into_iter()
        .map(|bill| {
            let lines = by_bill.remove(&bill.id).unwrap_or_default();
            (bill, lines)
        })
        .collect())
}

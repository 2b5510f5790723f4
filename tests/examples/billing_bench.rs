//! Benchmark: a billing run over N accounts (default 1,000,000), beside a
//! set-based SQL baseline run in the same script on the same data:
//!   (a) the gascis billing run (`billing::run::start` + `run::work`, two
//!       workers with a connection each, as `gascis-server bill-run` does);
//!   (b) one INSERT … SELECT that prices the same readings with the Beijing
//!       three-tier table in PostgreSQL and writes the same bills a run
//!       writes: the bill, its tier lines, and its ledger entry
//!       (receivable, gas revenue, output VAT) through the same tables,
//!       keys and triggers. The goal (a ≥ 0.4 × b and ≥ 5,000 bills/s) is
//!       read against it: a baseline that writes less is not billing.
//!   (b0) for scale, the same pricing into a bare four-column table.
//!
//!     cargo run --release -p gascis-testkit --example billing_bench [-- ACCOUNTS] [--profile] [--explain MS] [--time-limit S] [--chunk-sizes 500,5000]
//!
//! `--profile` times every SQL statement of the run (diesel instrumentation
//! on the workers' connections) and prices a sample with the tariff engine
//! alone, to show where the run's time goes. `--explain MS` has PostgreSQL
//! log the plan, with actual times, of every statement of the run taking MS
//! or longer (auto_explain) into $TMPDIR/billing_bench_plans.log. Both slow
//! the run down a little. `--time-limit S` stops a run that takes longer
//! than S seconds and reports how far it got (exit status 3).
//! `--chunk-sizes` repeats the run with other chunk sizes, each on a fresh
//! copy of the seeded database.
//!
//! The data: `bulk_seed` accounts; every installed meter set to mechanical
//! (runs bill only those); the default tariff beijing-2019; per meter an
//! opening reading on the previous period's last day, billed by a zero bill
//! of the previous period (written by SQL, as history), and the period's
//! reading (consumption 0 to 700 m³, so all three tiers occur) on its last
//! day, pointing at the opening one. So every bill is one month, in one
//! tier cycle, from a zero counter (Beijing's cycle starts in January), as a
//! steady-state monthly run is. Without that history a run measures an
//! account's first bill from the meter's installation (2010 to 2023 in the
//! seed): years shared over many tier cycles by days, and refused before the
//! tariff's first version (2019) or beyond 3,660 days.

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use diesel::{
    Connection, PgConnection, QueryableByName, RunQueryDsl,
    connection::{InstrumentationEvent, SimpleConnection},
    sql_query,
    sql_types::{BigInt, Text},
};
use gascis_common::tariff::{self, AccountAttributes, Consumption, Volume};
use gascis_server::{
    archive::{Actor, seed},
    billing::{
        run::{self, Period, Scope, Settings},
        tariffs,
    },
    db, pg,
    pii::PiiKeys,
};
use gascis_testkit::TestDb;
use rust_decimal::Decimal;

const PERIOD: &str = "2024-01";
const TARIFF: &str = "beijing-2019";
const WORKERS: usize = 2;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(connection: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(sql_query(sql).get_result::<Count>(connection)?.n)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Statement timings: label (start of the SQL) → (count, total time).
type Timings = Arc<Mutex<HashMap<String, (u64, Duration)>>>;

/// Keeps the first bytes of what is formatted into it, then stops the
/// formatting (so a statement's 2,000-element binds are never printed).
struct Prefix(String);

const LABEL_BYTES: usize = 64;

impl std::fmt::Write for Prefix {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = LABEL_BYTES.saturating_sub(self.0.len());
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.0.push_str(&s[..end]);
        if end < s.len() {
            Err(std::fmt::Error)
        } else {
            Ok(())
        }
    }
}

fn label(query: &dyn std::fmt::Display) -> String {
    let mut prefix = Prefix(String::new());
    let _ = write!(prefix, "{query}");
    let text = prefix.0.split(" -- binds").next().unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Times every statement on `connection` into `timings`.
fn instrument(connection: &mut PgConnection, timings: &Timings) {
    let timings = timings.clone();
    let mut started: Option<(Instant, String)> = None;
    connection.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            started = Some((Instant::now(), label(query)));
        }
        InstrumentationEvent::FinishQuery { .. } => {
            if let Some((at, label)) = started.take()
                && let Ok(mut timings) = timings.lock()
            {
                let entry = timings.entry(label).or_default();
                entry.0 += 1;
                entry.1 += at.elapsed();
            }
        }
        _ => {}
    });
}

struct RunFigures {
    bills: u64,
    skipped: u64,
    plan: Duration,
    work: Duration,
    /// Per worker: wall time inside `run::work`.
    worker_wall: Vec<Duration>,
}

impl RunFigures {
    fn total(&self) -> Duration {
        self.plan + self.work
    }
    fn rate(&self) -> f64 {
        self.bills as f64 / self.total().as_secs_f64()
    }
}

/// (a) A gascis billing run of the period with `WORKERS` workers.
fn gascis_run(
    db: &TestDb,
    chunk_size: u32,
    timings: Option<&Timings>,
    time_limit: Option<Duration>,
) -> anyhow::Result<RunFigures> {
    let settings = Settings {
        chunk_size,
        ..Settings::default()
    };
    let actor = Actor {
        user_id: None,
        username: "bench".to_owned(),
    };
    let period = Period::parse(PERIOD)?;
    let mut connection = db.app()?;
    let started = Instant::now();
    let billing_run = run::start(
        &mut connection,
        &actor,
        period,
        &Scope::All,
        false,
        &settings,
    )?;
    let plan = started.elapsed();
    let started = Instant::now();
    let run_started = &started;
    let worker_wall = std::thread::scope(|scope| -> anyhow::Result<Vec<Duration>> {
        let handles: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let (settings, actor) = (&settings, &actor);
                scope.spawn(move || -> anyhow::Result<Duration> {
                    let mut connection = db::connect(&db.app_url)?;
                    if let Some(timings) = timings {
                        instrument(&mut connection, timings);
                    }
                    let started = Instant::now();
                    run::work(
                        &mut connection,
                        actor,
                        billing_run.id,
                        &format!("bench:{worker}"),
                        settings,
                        &|progress| {
                            // Progress on stderr, to see a run slow down as it goes.
                            if progress.chunks_done.is_multiple_of(25) {
                                let seconds = run_started.elapsed().as_secs_f64();
                                eprintln!(
                                    "  … {:>7.1} s: {} of {} chunks, {} bills, {:.0} bills/s so far",
                                    seconds,
                                    progress.chunks_done,
                                    progress.chunks,
                                    progress.bills,
                                    progress.bills as f64 / seconds.max(1e-9)
                                );
                            }
                        },
                    )?;
                    Ok(started.elapsed())
                })
            })
            .collect();
        // With a time limit, a run that has not finished by then is
        // reported as far as it got and the bench stops there.
        while let Some(limit) = time_limit
            && !handles.iter().all(|h| h.is_finished())
        {
            if started.elapsed() >= limit {
                let seconds = started.elapsed().as_secs_f64();
                let progress = run::progress(&mut connection, billing_run.id)?;
                println!(
                    "(a) gascis run, {WORKERS} workers, chunk {chunk_size}: STOPPED at the {:.0} s time limit with \
                     {} of {} chunks done: {} bills in {seconds:.1} s = {:.0} bills/s so far",
                    limit.as_secs_f64(),
                    progress.chunks_done,
                    progress.chunks,
                    progress.bills,
                    progress.bills as f64 / seconds
                );
                println!("peak RSS of the bench process {:.0} MB", peak_rss_mb());
                std::process::exit(3);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("a billing worker panicked"))?
            })
            .collect()
    })?;
    let work = started.elapsed();
    let state = run::find(&mut connection, billing_run.id)?;
    anyhow::ensure!(
        state.status == "done",
        "billing run #{} ended {}",
        state.id,
        state.status
    );
    let progress = run::progress(&mut connection, billing_run.id)?;
    for (reason, n) in run::skip_reasons(&mut connection, billing_run.id)? {
        println!("    not billed: {n} — {reason}");
    }
    Ok(RunFigures {
        bills: progress.bills,
        skipped: progress.skipped,
        plan,
        work,
        worker_wall,
    })
}

/// (b0) For scale: the period's bills of the same accounts in one
/// INSERT … SELECT into a bare table. Same eligibility as a run (open account, installed
/// mechanical meter, opened by the period's end), the newest usable reading
/// of the period, Beijing's cooking table for residential customers
/// (350 / 500 m³ at 2.61 / 2.83 / 4.23, each tier's amount rounded to the
/// fen as the engine rounds each line) and 2.63 for the others.
const BASELINE: &str = "\
INSERT INTO bench_bills (account_id, period, volume, amount)
SELECT a.id, $1, r.consumption,
       CASE WHEN c.customer_type = 'residential' THEN
              round(least(r.consumption, 350) * 2.61, 2)
            + round(greatest(least(r.consumption, 500) - 350, 0) * 2.83, 2)
            + round(greatest(r.consumption - 500, 0) * 4.23, 2)
       ELSE round(r.consumption * 2.63, 2) END
FROM accounts a
JOIN customers c ON c.id = a.customer_id
JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical'
JOIN (SELECT DISTINCT ON (account_id) account_id, consumption
      FROM meter_readings
      WHERE read_on BETWEEN $2::date AND $3::date AND status IN ('valid', 'approved')
        AND consumption IS NOT NULL
      ORDER BY account_id, read_on DESC, id DESC) r ON r.account_id = a.id
WHERE a.status <> 'closed' AND a.opened_on <= $3::date";

fn baseline(db: &TestDb) -> anyhow::Result<(u64, Duration)> {
    let period = Period::parse(PERIOD)?;
    let mut connection = db.owner()?;
    // A plain table with the key a set-based implementation needs as much
    // as the runs do (one bill per account and period); no foreign keys,
    // no lines, no ledger.
    connection.batch_execute(
        "DROP TABLE IF EXISTS bench_bills; \
         CREATE TABLE bench_bills (account_id BIGINT NOT NULL, period TEXT NOT NULL, \
            volume NUMERIC(14, 3) NOT NULL, amount NUMERIC(14, 2) NOT NULL, \
            PRIMARY KEY (account_id, period))",
    )?;
    let started = Instant::now();
    let rows = connection.transaction(|connection| {
        sql_query(BASELINE)
            .bind::<Text, _>(period.label())
            .bind::<Text, _>(period.first.to_string())
            .bind::<Text, _>(period.last.to_string())
            .execute(connection)
    })?;
    Ok((rows as u64, started.elapsed()))
}

/// (b) The baseline: the same pricing, writing what a run writes —
/// bills, bill lines, one ledger transaction per charged bill with its
/// receivable / revenue / VAT lines — into the real tables (keys, reference
/// checks, the ledger triggers), in one statement. Run on a copy of the
/// seeded database: its bills would collide with the run's.
const FULL_BASELINE: &str = "\
WITH priced AS (
  SELECT x.*, round(x.amount / 1.09, 2) AS net, x.amount - round(x.amount / 1.09, 2) AS tax
  FROM (
    SELECT a.id AS account_id, r.id AS reading_id, r.previous_id, o.value AS previous_value,
           r.value AS current_value, r.consumption AS volume, c.customer_type = 'residential' AS tiered,
           least(r.consumption, 350) AS v1, greatest(least(r.consumption, 500) - 350, 0) AS v2,
           greatest(r.consumption - 500, 0) AS v3,
           CASE WHEN c.customer_type = 'residential' THEN
                  round(least(r.consumption, 350) * 2.61, 2)
                + round(greatest(least(r.consumption, 500) - 350, 0) * 2.83, 2)
                + round(greatest(r.consumption - 500, 0) * 4.23, 2)
           ELSE round(r.consumption * 2.63, 2) END AS amount
    FROM accounts a
    JOIN customers c ON c.id = a.customer_id
    JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical'
    JOIN (SELECT DISTINCT ON (account_id) id, account_id, previous_id, value, consumption
          FROM meter_readings
          WHERE read_on BETWEEN $2::date AND $3::date AND status IN ('valid', 'approved')
            AND consumption IS NOT NULL
          ORDER BY account_id, read_on DESC, id DESC) r ON r.account_id = a.id
    LEFT JOIN meter_readings o ON o.id = r.previous_id
    WHERE a.status <> 'closed' AND a.opened_on <= $3::date) x
), tx AS (
  INSERT INTO ledger_transactions (business_key, kind, account_id, occurred_on, created_by, memo)
  SELECT 'bill:' || account_id || ':' || $1 || ':0', 'bill', account_id, $3::date, 'bench', '账单 ' || $1
  FROM priced WHERE amount <> 0
  RETURNING id, account_id
), ledger AS (
  INSERT INTO ledger_lines (transaction_id, book, account_id, amount)
  SELECT tx.id, l.book, l.account_id, l.amount
  FROM tx JOIN priced p ON p.account_id = tx.account_id
  CROSS JOIN LATERAL (VALUES ('receivable', p.account_id, p.amount), ('gas_revenue', NULL, -p.net),
                             ('vat_output', NULL, -p.tax)) AS l (book, account_id, amount)
  WHERE l.amount <> 0
), billed AS (
  INSERT INTO bills (account_id, period, from_date, to_date, previous_reading_id, reading_id, previous_value,
      current_value, volume, estimated, amount, net, tax, vat_rate, tariff_code, tariff_revision_id,
      cycle_to_date, cycle_after, cycle_start, due_on, ledger_transaction_id, created_by)
  SELECT p.account_id, $1, $2::date, $3::date, p.previous_id, p.reading_id, p.previous_value, p.current_value,
         p.volume, false, p.amount, p.net, p.tax, 0.09, t.code,
         (SELECT max(v.id) FROM tariff_revisions v WHERE v.tariff_id = t.id), 0,
         CASE WHEN p.tiered THEN p.volume END, CASE WHEN p.tiered THEN date_trunc('year', $2::date)::date END,
         $3::date + 15, tx.id, 'bench'
  FROM priced p CROSS JOIN tariffs t LEFT JOIN tx ON tx.account_id = p.account_id
  WHERE t.code = $4
  RETURNING id, account_id
)
INSERT INTO bill_lines (bill_id, line_no, kind, tier, name, volume, unit_price, amount,
    version_effective_from, from_date, to_date, days)
SELECT b.id, row_number() OVER (PARTITION BY b.id ORDER BY l.tier), l.kind, l.tier, l.name, l.volume,
       l.price, round(l.volume * l.price, 2), DATE '2019-01-01', $2::date, $3::date, $3::date - $2::date + 1
FROM billed b JOIN priced p ON p.account_id = b.account_id
CROSS JOIN LATERAL (VALUES ('tier', 1::smallint, '', p.v1, 2.61), ('tier', 2::smallint, '', p.v2, 2.83),
                           ('tier', 3::smallint, '', p.v3, 4.23)) AS l (kind, tier, name, volume, price)
WHERE p.tiered AND l.volume > 0
UNION ALL
SELECT b.id, 1, 'flat', NULL, 'commercial', p.volume, 2.63, round(p.volume * 2.63, 2), DATE '2019-01-01',
       $2::date, $3::date, $3::date - $2::date + 1
FROM billed b JOIN priced p ON p.account_id = b.account_id
WHERE NOT p.tiered AND p.volume > 0";

fn full_baseline(db: &TestDb) -> anyhow::Result<(u64, u64, Duration)> {
    let period = Period::parse(PERIOD)?;
    let mut connection = db.owner()?;
    let started = Instant::now();
    let lines = connection.transaction(|connection| {
        sql_query(FULL_BASELINE)
            .bind::<Text, _>(period.label())
            .bind::<Text, _>(period.first.to_string())
            .bind::<Text, _>(period.last.to_string())
            .bind::<Text, _>(TARIFF)
            .execute(connection)
    })?;
    let elapsed = started.elapsed();
    let bills = count(
        &mut connection,
        "SELECT count(*) AS n FROM bills WHERE period = '2024-01'",
    )?;
    Ok((bills as u64, lines as u64, elapsed))
}

/// Seeds `accounts` accounts with one usable reading each for the period.
fn seed_data(db: &TestDb, accounts: u64) -> anyhow::Result<()> {
    let period = Period::parse(PERIOD)?;
    let opening = period.first.pred_opt().unwrap_or(period.first);
    let mut connection = db.owner()?;
    let started = Instant::now();
    seed::bulk_seed(&mut connection, &PiiKeys::generate(), 1, accounts)?;
    println!(
        "seeded {accounts} accounts in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    #[derive(QueryableByName)]
    struct Kind {
        #[diesel(sql_type = Text)]
        meter_type: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let kinds: Vec<Kind> = sql_query(
        "SELECT m.meter_type, count(*) AS n FROM meters m JOIN accounts a ON a.id = m.account_id \
         WHERE m.installed AND a.status <> 'closed' GROUP BY 1 ORDER BY 1",
    )
    .load(&mut connection)?;
    let closed = count(
        &mut connection,
        "SELECT count(*) AS n FROM accounts WHERE status = 'closed'",
    )?;
    println!(
        "  open accounts by installed meter: {}; closed accounts (not billable): {closed}",
        kinds
            .iter()
            .map(|k| format!("{} {}", k.meter_type, k.n))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let started = Instant::now();
    let changed = sql_query(
        "UPDATE meters SET meter_type = 'mechanical' WHERE installed AND meter_type <> 'mechanical'",
    )
    .execute(&mut connection)?;
    println!(
        "  set {changed} installed ic_card/iot meters to 'mechanical' so that every open account is billable"
    );
    tariffs::set_default(&mut connection, TARIFF)?;
    let opened = sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, status, recorded_by) \
         SELECT m.account_id, m.id, ($1::date + time '12:00') AT TIME ZONE 'Asia/Shanghai', $1::date, \
                m.initial_reading, 'manual', 'valid', 'bench' \
         FROM meters m WHERE m.installed AND m.account_id IS NOT NULL",
    )
    .bind::<Text, _>(opening.to_string())
    .execute(&mut connection)?;
    // The previous period billed up to the opening reading (zero bills:
    // only which reading was billed last matters to this period).
    let history = sql_query(
        "INSERT INTO bills (account_id, period, from_date, to_date, reading_id, current_value, volume, \
            amount, net, tax, vat_rate, tariff_code, tariff_revision_id, cycle_to_date, cycle_after, \
            cycle_start, due_on, created_by) \
         SELECT o.account_id, to_char($1::date, 'YYYY-MM'), date_trunc('month', $1::date)::date, $1::date, \
                o.id, o.value, 0, 0, 0, 0, 0.09, t.code, \
                (SELECT max(r.id) FROM tariff_revisions r WHERE r.tariff_id = t.id), 0, 0, \
                date_trunc('year', $1::date)::date, $1::date + 15, 'bench' \
         FROM meter_readings o CROSS JOIN tariffs t \
         WHERE t.code = $2 AND o.read_on = $1::date AND o.recorded_by = 'bench'",
    )
    .bind::<Text, _>(opening.to_string())
    .bind::<Text, _>(TARIFF)
    .execute(&mut connection)?;
    // Consumption 0.000 to 700.000 m³, spread by a hash of the account id.
    let read = sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, previous_id, \
            consumption, status, recorded_by) \
         SELECT o.account_id, o.meter_id, ($2::date + time '12:00') AT TIME ZONE 'Asia/Shanghai', $2::date, \
                o.value + x.c, 'manual', o.id, x.c, 'valid', 'bench' \
         FROM meter_readings o \
         CROSS JOIN LATERAL (SELECT (mod(hashint8(o.account_id)::bigint + 2147483648, 700001) / 1000.0)::numeric(14, 3) AS c) x \
         WHERE o.read_on = $1::date AND o.recorded_by = 'bench'",
    )
    .bind::<Text, _>(opening.to_string())
    .bind::<Text, _>(period.last.to_string())
    .execute(&mut connection)?;
    connection.batch_execute("VACUUM ANALYZE")?;
    println!(
        "  default tariff {TARIFF}; readings: {opened} opening ({opening}, billed by {history} zero bills \
         of the previous period) + {read} for {PERIOD} ({}), and VACUUM ANALYZE, in {:.1} s",
        period.last,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The number of accounts a run of the period bills.
fn billable(db: &TestDb) -> anyhow::Result<i64> {
    let mut connection = db.owner()?;
    count(
        &mut connection,
        "SELECT count(*) AS n FROM accounts a JOIN premises p ON p.id = a.premise_id \
         JOIN customers c ON c.id = a.customer_id \
         JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical' \
         WHERE a.status <> 'closed' AND a.opened_on <= '2024-01-31'",
    )
}

/// Compares the SQL bills with the gascis bills of the period, all of them.
fn check(db: &TestDb) -> anyhow::Result<()> {
    #[derive(QueryableByName)]
    struct Compared {
        #[diesel(sql_type = BigInt)]
        both: i64,
        #[diesel(sql_type = BigInt)]
        amount_differs: i64,
        #[diesel(sql_type = BigInt)]
        volume_differs: i64,
        #[diesel(sql_type = BigInt)]
        only_gascis: i64,
        #[diesel(sql_type = BigInt)]
        only_sql: i64,
        #[diesel(sql_type = Text)]
        gascis_total: String,
        #[diesel(sql_type = Text)]
        sql_total: String,
    }
    let mut connection = db.owner()?;
    let compared: Compared = sql_query(
        "SELECT count(*) FILTER (WHERE b.account_id IS NOT NULL AND s.account_id IS NOT NULL) AS both, \
                count(*) FILTER (WHERE b.amount <> s.amount) AS amount_differs, \
                count(*) FILTER (WHERE b.volume <> s.volume) AS volume_differs, \
                count(*) FILTER (WHERE s.account_id IS NULL) AS only_gascis, \
                count(*) FILTER (WHERE b.account_id IS NULL) AS only_sql, \
                coalesce(sum(b.amount), 0)::text AS gascis_total, coalesce(sum(s.amount), 0)::text AS sql_total \
         FROM (SELECT account_id, volume, amount FROM bills WHERE period = $1 AND revision = 0) b \
         FULL JOIN (SELECT account_id, volume, amount FROM bench_bills WHERE period = $1) s \
           ON s.account_id = b.account_id",
    )
    .bind::<Text, _>(PERIOD)
    .get_result(&mut connection)?;
    println!(
        "check, all bills: {} in both, {} amounts differ, {} volumes differ, {} only in gascis, {} only in SQL; \
         totals {} (gascis) / {} (SQL) CNY",
        compared.both,
        compared.amount_differs,
        compared.volume_differs,
        compared.only_gascis,
        compared.only_sql,
        compared.gascis_total,
        compared.sql_total
    );
    #[derive(QueryableByName)]
    struct Tier {
        #[diesel(sql_type = Text)]
        line: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let tiers: Vec<Tier> = sql_query(
        "SELECT kind || coalesce(tier::text, '') AS line, count(*) AS n FROM bill_lines l \
         JOIN bills b ON b.id = l.bill_id WHERE b.period = $1 GROUP BY 1 ORDER BY 1",
    )
    .bind::<Text, _>(PERIOD)
    .load(&mut connection)?;
    println!(
        "  bill lines: {}",
        tiers
            .iter()
            .map(|t| format!("{} {}", t.line, t.n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if compared.amount_differs > 0 {
        #[derive(QueryableByName)]
        struct Sample {
            #[diesel(sql_type = BigInt)]
            account_id: i64,
            #[diesel(sql_type = Text)]
            text: String,
        }
        let samples: Vec<Sample> = sql_query(
            "SELECT b.account_id, format('volume %s: gascis %s, SQL %s', b.volume, b.amount, s.amount) AS text \
             FROM bills b JOIN bench_bills s ON s.account_id = b.account_id AND s.period = b.period \
             WHERE b.period = $1 AND b.revision = 0 AND b.amount <> s.amount ORDER BY b.account_id LIMIT 5",
        )
        .bind::<Text, _>(PERIOD)
        .load(&mut connection)?;
        for sample in samples {
            println!("  account {}: {}", sample.account_id, sample.text);
        }
    }
    Ok(())
}

/// The tariff engine alone on the same kind of consumption: the CPU part
/// of a bill that no SQL can be blamed for.
fn engine_only(samples: u64) -> anyhow::Result<Duration> {
    let tariff = tariff::preset(TARIFF)?;
    let period = Period::parse(PERIOD)?;
    let attributes = AccountAttributes::residential("cooking", 3);
    let started = Instant::now();
    let mut total = Decimal::ZERO;
    for i in 0..samples {
        let litres = i64::try_from(i * 7919 % 700_001).unwrap_or(0);
        let quote = tariff::quote(
            &tariff,
            &attributes,
            &Consumption {
                volume: Volume::try_from_decimal(Decimal::new(litres, 3))?,
                from: period.first,
                to: period.last,
                cycle_to_date: Volume::ZERO,
            },
        )?;
        total += quote.total.as_decimal();
    }
    std::hint::black_box(total);
    Ok(started.elapsed())
}

fn print_profile(timings: &Timings, figures: &RunFigures) {
    let Ok(timings) = timings.lock() else {
        return;
    };
    let mut rows: Vec<(&String, &(u64, Duration))> = timings.iter().collect();
    rows.sort_by_key(|(_, (_, total))| std::cmp::Reverse(*total));
    let in_sql: Duration = rows.iter().map(|(_, (_, total))| *total).sum();
    let wall: Duration = figures.worker_wall.iter().sum();
    println!(
        "profile: {} worker-seconds in run::work, {:.1} s waiting on SQL ({:.0} %), {:.1} s outside SQL (Rust: pricing, encoding, decoding; and idle while the other worker finishes the last chunk)",
        format_args!("{:.1}", wall.as_secs_f64()),
        in_sql.as_secs_f64(),
        100.0 * in_sql.as_secs_f64() / wall.as_secs_f64().max(1e-9),
        wall.saturating_sub(in_sql).as_secs_f64()
    );
    println!(
        "  {:>9} {:>9} {:>8} {:>6}  statement",
        "calls", "total s", "µs/call", "%"
    );
    for (label, (calls, total)) in rows {
        println!(
            "  {calls:>9} {:>9.2} {:>8.0} {:>6.1}  {label}",
            total.as_secs_f64(),
            total.as_secs_f64() * 1e6 / *calls as f64,
            100.0 * total.as_secs_f64() / wall.as_secs_f64().max(1e-9)
        );
    }
}

/// Makes every new session of `db` log the plans (with actual times) of
/// statements that take `min_ms` or longer, into the cluster's log.
fn enable_auto_explain(db: &TestDb, min_ms: u32) -> anyhow::Result<u64> {
    db.explain_slow_statements(min_ms)?;
    Ok(std::fs::metadata(cluster_log()?).map_or(0, |m| m.len()))
}

fn cluster_log() -> anyhow::Result<std::path::PathBuf> {
    Ok(gascis_testkit::cluster()?.root.join("postgresql.log"))
}

/// Copies what the cluster logged since `offset` to `to`.
fn save_log(offset: u64, to: &std::path::Path) -> anyhow::Result<()> {
    let log = std::fs::read(cluster_log()?)?;
    let start = usize::try_from(offset).unwrap_or(0).min(log.len());
    std::fs::write(to, &log[start..])?;
    Ok(())
}

/// A copy of the seeded database (no bills yet), for another run.
fn copy_of(db: &TestDb, name: &str) -> anyhow::Result<TestDb> {
    let cluster = &gascis_testkit::cluster()?.cluster;
    let mut admin = db::connect(&cluster.url(pg::OWNER_ROLE, "postgres"))?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    // An autovacuum worker still on the source makes CREATE … TEMPLATE fail.
    let mut tries = 0;
    while let Err(error) =
        admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {}", db.name))
    {
        tries += 1;
        anyhow::ensure!(tries < 30, "copy {} to {name}: {error}", db.name);
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(TestDb {
        name: name.to_owned(),
        app_url: cluster.url(pg::APP_ROLE, name),
        owner_url: cluster.url(pg::OWNER_ROLE, name),
    })
}

fn drop_database(name: &str) -> anyhow::Result<()> {
    let cluster = &gascis_testkit::cluster()?.cluster;
    let mut admin = db::connect(&cluster.url(pg::OWNER_ROLE, "postgres"))?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut accounts: u64 = 1_000_000;
    let mut profile = false;
    let mut explain: Option<u32> = None;
    let mut time_limit: Option<Duration> = None;
    let mut chunk_sizes: Vec<u32> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--profile" => profile = true,
            "--time-limit" => {
                time_limit = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .map(Duration::from_secs);
            }
            "--explain" => {
                explain = Some(args.next().and_then(|n| n.parse().ok()).unwrap_or(20));
            }
            "--chunk-sizes" => {
                chunk_sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|n| n.trim().parse().ok())
                    .collect();
            }
            number => {
                accounts = number
                    .replace('_', "")
                    .parse()
                    .map_err(|_| anyhow::anyhow!("usage: billing_bench [ACCOUNTS] [--profile] [--explain MS] [--time-limit S] [--chunk-sizes N,N…]"))?;
            }
        }
    }
    let default_chunk = Settings::default().chunk_size;

    let db = TestDb::new()?;
    let started = Instant::now();
    seed_data(&db, accounts)?;
    println!(
        "seeding total {:.1} s (not part of the figures)",
        started.elapsed().as_secs_f64()
    );
    let billable = billable(&db)?;
    println!("billable accounts for {PERIOD}: {billable}");
    // The copies for other chunk sizes are taken before anything is billed.
    let copies: Vec<(u32, TestDb)> = chunk_sizes
        .iter()
        .filter(|size| **size != default_chunk)
        .map(|size| Ok((*size, copy_of(&db, &format!("{}_chunk{size}", db.name))?)))
        .collect::<anyhow::Result<_>>()?;
    let full_copy = copy_of(&db, &format!("{}_full", db.name))?;

    println!();
    let (rows, seconds) = baseline(&db)?;
    let bare_rate = rows as f64 / seconds.as_secs_f64();
    let (full_bills, full_lines, full_seconds) = full_baseline(&full_copy)?;
    let baseline_rate = full_bills as f64 / full_seconds.as_secs_f64();
    println!(
        "(b) SQL baseline, one INSERT … SELECT pricing three tiers and writing the bills a run writes \
         (bills, bill lines, ledger): {full_bills} bills ({full_lines} bill lines) in {:.2} s = {baseline_rate:.0} bills/s",
        full_seconds.as_secs_f64()
    );
    println!(
        "(b0) for scale, the same pricing into a bare table (no lines, no ledger, no keys but one): \
         {rows} rows in {:.2} s = {bare_rate:.0} rows/s",
        seconds.as_secs_f64()
    );
    drop_database(&full_copy.name)?;
    db.owner()?.batch_execute("CHECKPOINT")?;

    let timings: Option<Timings> = profile.then(Timings::default);
    let log_offset = match explain {
        Some(min_ms) => Some(enable_auto_explain(&db, min_ms)?),
        None => None,
    };
    let figures = gascis_run(&db, default_chunk, timings.as_ref(), time_limit)?;
    if let Some(offset) = log_offset {
        let to = std::env::temp_dir().join("billing_bench_plans.log");
        save_log(offset, &to)?;
        println!(
            "    plans of statements ≥ {} ms: {}",
            explain.unwrap_or(0),
            to.display()
        );
    }
    println!(
        "(a) gascis run, {WORKERS} workers, chunk {default_chunk}: {} bills in {:.2} s (plan {:.2} s + work {:.2} s) = {:.0} bills/s; {} skipped",
        figures.bills,
        figures.total().as_secs_f64(),
        figures.plan.as_secs_f64(),
        figures.work.as_secs_f64(),
        figures.rate(),
        figures.skipped
    );
    println!(
        "    bills = billable accounts: {}",
        if figures.bills == billable as u64 {
            "yes".to_owned()
        } else {
            format!("NO ({} ≠ {billable})", figures.bills)
        }
    );
    println!(
        "a ÷ b = {:.3} (goal ≥ 0.4: {}); a = {:.0} bills/s (goal ≥ 5,000: {})",
        figures.rate() / baseline_rate,
        if figures.rate() / baseline_rate >= 0.4 {
            "met"
        } else {
            "NOT met"
        },
        figures.rate(),
        if figures.rate() >= 5000.0 {
            "met"
        } else {
            "NOT met"
        },
    );
    println!(
        "    for scale: a ÷ b0 = {:.3} (b0 = bare rows, none of a bill's lines or ledger)",
        figures.rate() / bare_rate
    );
    check(&db)?;
    if let Some(timings) = &timings {
        print_profile(timings, &figures);
        let samples = 100_000;
        let engine = engine_only(samples)?;
        println!(
            "  tariff::quote alone: {:.1} µs per bill ({samples} quotes in {:.2} s, one thread)",
            engine.as_secs_f64() * 1e6 / samples as f64,
            engine.as_secs_f64()
        );
    }

    for (size, copy) in copies {
        let timings: Option<Timings> = profile.then(Timings::default);
        let figures = gascis_run(&copy, size, timings.as_ref(), time_limit)?;
        println!(
            "(a) gascis run, {WORKERS} workers, chunk {size}: {} bills in {:.2} s (plan {:.2} s + work {:.2} s) = {:.0} bills/s; a ÷ b = {:.3}",
            figures.bills,
            figures.total().as_secs_f64(),
            figures.plan.as_secs_f64(),
            figures.work.as_secs_f64(),
            figures.rate(),
            figures.rate() / baseline_rate
        );
        if let Some(timings) = &timings {
            print_profile(timings, &figures);
        }
        drop_database(&copy.name)?;
    }
    println!("peak RSS of the bench process {:.0} MB", peak_rss_mb());
    Ok(())
}

//! Benchmark: counter payments — 200 concurrent simulated cashiers posting
//! cash payments over gRPC with TLS, beside pgbench running the same SQL
//! statements in the same order on the same database in the same run.
//!
//!     cargo run --release -p gascis-testkit --example payment_bench [-- ACCOUNTS] [--cashiers N] [--seconds S] [--connections N] [--rate TPS] [--profile] [--statements]
//!
//! The data: ACCOUNTS (default 20,000) `bulk_seed` accounts, all open (the
//! seed's closed ones reopened, their meters reinstalled) and each with one
//! open bill: a billing run of 2024-01 with the default tariff
//! beijing-2019 over 200–700 m³ per account (522 to 2,158 CNY), so every
//! payment takes the counter's full path — balances, the open bill, late
//! fees (Beijing's tariff has no late-fee rule: computed, zero) — and is
//! allocated to the bill's principal. N cashiers (default 200), each with a
//! session made by a real login before timing, and a shift opened by one
//! untimed payment each.
//!
//! The phases, one after the other:
//!   direct  — `payments::begin` on `database.pool_size` threads with a
//!             connection each (no gRPC), to split the gap into SQL work
//!             and the rest;
//!   gRPC    — the N cashiers, each a task with its own token, on
//!             `--connections` (default 4) shared TLS channels (HTTP/2
//!             connections, as a few counter halls would), posting back to
//!             back for S seconds (default 20) with fresh idempotency keys,
//!             10.00–59.99 CNY to random accounts; the server uses the
//!             default pool (`database.pool_size` = 16);
//!   pgbench — `payment_bench.pgbench.sql` (the statements of one cash
//!             payment, captured with `--statements`), `-n -M prepared
//!             -c POOL -j 2 -T S`, latencies from its per-transaction log;
//!   paced   — both again at a fixed offered load (`--rate`, default half
//!             the gRPC throughput just measured): the cashiers post on a
//!             Poisson schedule, pgbench with `-R`; latency counts from the
//!             scheduled start, as pgbench's does.
//!
//! Back to back, N cashiers keep N payments in flight, so their latency is
//! N ÷ throughput (Little's law): the p99 goal is read at the paced load.
//!
//! `--profile` times every statement of the direct phase and runs pgbench
//! once more with `-M extended` (every statement parsed and planned, as
//! diesel does with `sql_query` text). `--statements`
//! prints the SQL of one cash payment (what the pgbench script
//! transcribes) and stops.

use std::{
    collections::HashMap,
    fmt::Write as _,
    path::Path,
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use diesel::{
    Connection, PgConnection, QueryableByName, RunQueryDsl,
    connection::{InstrumentationEvent, SimpleConnection},
    sql_query,
    sql_types::{BigInt, Text},
};
use gascis_common::{
    Money, Role,
    proto::v1::{self as pb, counter_service_client::CounterServiceClient},
};
use gascis_server::{
    archive::{self, Actor, seed},
    billing::{
        run::{self, Period, Scope},
        tariffs,
    },
    config::Config,
    counter::{
        self,
        payments::{self, PaymentRequest, Poster},
    },
    db, ledger,
};
use gascis_testkit::{TestDb, TestServer, authed};
use tokio::task::JoinSet;

const PERIOD: &str = "2024-01";
const TARIFF: &str = "beijing-2019";
const PASSWORD: &str = "cashier-bench-1";
/// The pgbench script, beside this file.
const SCRIPT: &str = include_str!("payment_bench.pgbench.sql");

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(connection: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(sql_query(sql).get_result::<Count>(connection)?.n)
}

/// A small deterministic generator (xorshift64*): no extra crate, and the
/// same sequence every run.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
    /// Exponentially distributed with this mean (Poisson arrivals).
    fn exponential(&mut self, mean: Duration) -> Duration {
        let uniform = ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        mean.mul_f64(-uniform.ln())
    }
}

/// Payment amounts: 10.00 to 59.99 CNY, so that no account's bill (522 CNY
/// or more) is paid off during a run and every payment takes one path.
fn amount(random: &mut Random) -> Money {
    Money::from_fen(i64::try_from(random.between(1000, 5999)).unwrap_or(1000))
}

/// Latency figures of one phase.
struct Figures {
    done: u64,
    errors: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn tps(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn at(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
        self.latencies[index].as_secs_f64() * 1e3
    }
    fn sorted(mut self) -> Figures {
        self.latencies.sort();
        self
    }
    fn line(&self, label: &str) -> String {
        format!(
            "{label:<34} {:>8.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>6}",
            self.tps(),
            self.at(0.5),
            self.at(0.95),
            self.at(0.99),
            self.at(1.0),
            self.done,
            self.errors
        )
    }
}

fn header() -> String {
    format!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
        "", "tps", "p50 ms", "p95 ms", "p99 ms", "max ms", "done", "errors"
    )
}

/// Seeds the accounts and bills every one of them for `PERIOD`.
fn seed_data(db: &TestDb, keys: &gascis_server::pii::PiiKeys, accounts: u64) -> anyhow::Result<()> {
    let period = Period::parse(PERIOD)?;
    let opening = period.first.pred_opt().unwrap_or(period.first);
    let mut connection = db.owner()?;
    let started = Instant::now();
    seed::bulk_seed(&mut connection, keys, 1, accounts)?;
    // Every account takes payments, so pgbench's `random(1, ACCOUNTS)`
    // and the cashiers pick from the same accounts; every meter is billed.
    let reopened = sql_query(
        "UPDATE accounts SET status = 'active', closed_on = NULL WHERE status = 'closed'",
    )
    .execute(&mut connection)?;
    sql_query(
        "UPDATE meters SET installed = true, meter_type = 'mechanical' \
         WHERE account_id IS NOT NULL AND (NOT installed OR meter_type <> 'mechanical')",
    )
    .execute(&mut connection)?;
    tariffs::set_default(&mut connection, TARIFF)?;
    // As billing_bench: an opening reading billed by a zero bill of the
    // previous period, and the period's reading 200–700 m³ later.
    sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, status, recorded_by) \
         SELECT m.account_id, m.id, ($1::date + time '12:00') AT TIME ZONE 'Asia/Shanghai', $1::date, \
                m.initial_reading, 'manual', 'valid', 'bench' \
         FROM meters m WHERE m.installed AND m.account_id IS NOT NULL",
    )
    .bind::<Text, _>(opening.to_string())
    .execute(&mut connection)?;
    sql_query(
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
    sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, previous_id, \
            consumption, status, recorded_by) \
         SELECT o.account_id, o.meter_id, ($2::date + time '12:00') AT TIME ZONE 'Asia/Shanghai', $2::date, \
                o.value + x.c, 'manual', o.id, x.c, 'valid', 'bench' \
         FROM meter_readings o \
         CROSS JOIN LATERAL (SELECT (200 + mod(hashint8(o.account_id)::bigint + 2147483648, 500001) / 1000.0)::numeric(14, 3) AS c) x \
         WHERE o.read_on = $1::date AND o.recorded_by = 'bench'",
    )
    .bind::<Text, _>(opening.to_string())
    .bind::<Text, _>(period.last.to_string())
    .execute(&mut connection)?;
    connection.batch_execute("VACUUM ANALYZE")?;
    let actor = Actor {
        user_id: None,
        username: "bench".to_owned(),
    };
    let settings = run::Settings::default();
    let mut app = db.app()?;
    let billing_run = run::start(&mut app, &actor, period, &Scope::All, false, &settings)?;
    run::work(
        &mut app,
        &actor,
        billing_run.id,
        "bench",
        &settings,
        &|_| {},
    )?;
    connection.batch_execute("VACUUM ANALYZE")?;
    let billed = count(
        &mut connection,
        "SELECT count(DISTINCT account_id) AS n FROM bills WHERE period = '2024-01' AND amount > 0",
    )?;
    println!(
        "seeded {accounts} accounts ({reopened} closed ones reopened), {billed} with an open bill of {PERIOD}, in {:.1} s (not part of the figures)",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        billed == i64::try_from(accounts)?,
        "every account needs one open bill; {billed} of {accounts} have one"
    );
    Ok(())
}

/// Statement timings: label → (count, total time).
type Timings = Arc<Mutex<HashMap<String, (u64, Duration)>>>;

/// The first bytes of a statement, whitespace squeezed, binds left out.
fn label(query: &dyn std::fmt::Display, bytes: usize) -> String {
    let mut text = String::new();
    let _ = write!(text, "{query}");
    let text = text.split(" -- binds").next().unwrap_or_default();
    let squeezed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = squeezed.len().min(bytes);
    while !squeezed.is_char_boundary(end) {
        end -= 1;
    }
    squeezed[..end].to_owned()
}

fn instrument(connection: &mut PgConnection, timings: &Timings) {
    let timings = timings.clone();
    let mut started: Option<(Instant, String)> = None;
    connection.set_instrumentation(move |event: InstrumentationEvent<'_>| match event {
        InstrumentationEvent::StartQuery { query, .. } => {
            started = Some((Instant::now(), label(query, 72)));
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

fn cash(key: String, account_id: i64, amount: Money) -> PaymentRequest {
    PaymentRequest {
        idempotency_key: key,
        account_id,
        channel: "cash".to_owned(),
        amount,
        tendered: None,
        reference: String::new(),
        payment_code: String::new(),
    }
}

/// The statements one cash payment issues (`payments::begin`), with their
/// binds.
fn capture_statements(db: &TestDb, cashier: (i64, &str), key: &str) -> anyhow::Result<Vec<String>> {
    let statements: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut connection = db.app()?;
    let sink = statements.clone();
    connection.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event
            && let Ok(mut sink) = sink.lock()
        {
            sink.push(format!("{query}"));
        }
    });
    let poster = Poster::Cashier {
        user_id: cashier.0,
        username: cashier.1.to_owned(),
    };
    payments::begin(
        &mut connection,
        &counter::Settings::default(),
        &poster,
        &cash(key.to_owned(), 7, Money::from_fen(2345)),
        archive::today(),
    )?;
    let statements = statements
        .lock()
        .map_err(|_| anyhow::anyhow!("statement list poisoned"))?;
    Ok(statements.clone())
}

/// The SQL statements of the pgbench script: what is neither blank, nor a
/// comment, nor a pgbench meta command.
fn script_statements() -> usize {
    SCRIPT
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("--") && !line.starts_with('\\'))
        .count()
}

/// (direct) `payments::begin` on `threads` connections for `seconds`.
fn direct(
    db: &TestDb,
    cashiers: &[(i64, String)],
    accounts: u64,
    threads: usize,
    seconds: Duration,
    timings: Option<&Timings>,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let day = archive::today();
    let results = std::thread::scope(|scope| -> anyhow::Result<Vec<(u64, u64, Vec<Duration>)>> {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let (id, username) = cashiers[thread % cashiers.len()].clone();
                scope.spawn(move || -> anyhow::Result<(u64, u64, Vec<Duration>)> {
                    let mut connection = db::connect(&db.app_url)?;
                    if let Some(timings) = timings {
                        instrument(&mut connection, timings);
                    }
                    let poster = Poster::Cashier {
                        user_id: id,
                        username,
                    };
                    let settings = counter::Settings::default();
                    let mut random = Random::new(1000 + thread as u64);
                    let (mut done, mut errors, mut latencies) = (0, 0, Vec::new());
                    let mut n = 0_u64;
                    while started.elapsed() < seconds {
                        n += 1;
                        let request = cash(
                            format!("bench-direct-{thread}-{n}"),
                            i64::try_from(random.between(1, accounts))?,
                            amount(&mut random),
                        );
                        let t = Instant::now();
                        match payments::begin(&mut connection, &settings, &poster, &request, day) {
                            Ok(_) => {
                                latencies.push(t.elapsed());
                                done += 1;
                            }
                            Err(error) => {
                                errors += 1;
                                if errors <= 3 {
                                    eprintln!("direct payment failed: {error}");
                                }
                            }
                        }
                    }
                    Ok((done, errors, latencies))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow::anyhow!("a thread panicked"))?)
            .collect()
    })?;
    let elapsed = started.elapsed();
    let mut figures = Figures {
        done: 0,
        errors: 0,
        elapsed,
        latencies: Vec::new(),
    };
    for (done, errors, latencies) in results {
        figures.done += done;
        figures.errors += errors;
        figures.latencies.extend(latencies);
    }
    Ok(figures.sorted())
}

/// A cashier of the gRPC phases.
#[derive(Clone)]
struct Cashier {
    number: usize,
    token: String,
    client: CounterServiceClient<tonic::transport::Channel>,
}

/// (gRPC) Every cashier posts for `seconds`: back to back (`rate` None) or
/// on a Poisson schedule whose sum is `rate` payments per second.
async fn grpc(
    cashiers: &[Cashier],
    accounts: u64,
    seconds: Duration,
    rate: Option<f64>,
    phase: &str,
) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for cashier in cashiers.iter().cloned() {
        let phase = phase.to_owned();
        let mean_gap = rate.map(|rate| Duration::from_secs_f64(cashiers.len() as f64 / rate));
        tasks.spawn(async move {
            let mut client = cashier.client.clone();
            let mut random = Random::new(cashier.number as u64 * 7919 + phase.len() as u64);
            let (mut done, mut errors, mut latencies) = (0_u64, 0_u64, Vec::new());
            let mut next = started;
            let mut n = 0_u64;
            loop {
                if let Some(gap) = mean_gap {
                    next += random.exponential(gap);
                    if next.duration_since(started) >= seconds {
                        break;
                    }
                    tokio::time::sleep_until(next.into()).await;
                } else if started.elapsed() >= seconds {
                    break;
                }
                n += 1;
                let scheduled = if mean_gap.is_some() {
                    next
                } else {
                    Instant::now()
                };
                let request = pb::PostPaymentRequest {
                    idempotency_key: format!("bench-{phase}-{}-{n}", cashier.number),
                    account_id: i64::try_from(random.between(1, accounts)).unwrap_or(1),
                    channel: "cash".to_owned(),
                    amount: amount(&mut random).to_string(),
                    ..Default::default()
                };
                match client.post_payment(authed(request, &cashier.token)).await {
                    Ok(reply) if reply.get_ref().status == "posted" => {
                        latencies.push(scheduled.elapsed());
                        done += 1;
                    }
                    Ok(reply) => {
                        errors += 1;
                        eprintln!("payment not posted: {}", reply.get_ref().status);
                    }
                    Err(status) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("payment failed: {status}");
                        }
                    }
                }
            }
            (done, errors, latencies)
        });
    }
    let mut figures = Figures {
        done: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    while let Some(result) = tasks.join_next().await {
        let (done, errors, latencies) = result?;
        figures.done += done;
        figures.errors += errors;
        figures.latencies.extend(latencies);
    }
    figures.elapsed = started.elapsed();
    Ok(figures.sorted())
}

/// pgbench's settings for one phase.
struct Pgbench<'a> {
    db: &'a TestDb,
    /// prepared, or extended (parsed and planned every time).
    mode: &'static str,
    script: &'a Path,
    clients: usize,
    seconds: Duration,
    rate: Option<f64>,
    accounts: u64,
    cashiers: (i64, i64),
    dir: &'a Path,
}

/// Runs pgbench and reads its per-transaction log.
fn pgbench(run: &Pgbench<'_>, phase: &str) -> anyhow::Result<Figures> {
    let cluster = &gascis_testkit::cluster()?.cluster;
    let today = archive::today();
    let prefix = run.dir.join(format!("pgbench_{phase}"));
    let mut command = Command::new(cluster.binaries.bindir.join("pgbench"));
    command
        .args(["-n", "-M", run.mode, "-j", "2", "-l"])
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(format!("--file={}", run.script.display()))
        .arg(format!("--client={}", run.clients))
        .arg(format!("--time={}", run.seconds.as_secs().max(1)))
        .arg(format!("--define=accounts={}", run.accounts))
        .arg(format!("--define=first_cashier={}", run.cashiers.0))
        .arg(format!("--define=last_cashier={}", run.cashiers.1))
        .arg(format!("--define=today={today}"))
        .arg(format!("--define=day={}", today.format("%Y%m%d")))
        .arg(format!("--define=period={}", counter::period_of(today)))
        .arg(format!("--define=sha256=\\x{}", "5a".repeat(32)))
        .arg("--define=books={receivable,prepayment}")
        .arg(format!("--host={}", cluster.socket_dir.display()))
        .arg(format!("--port={}", cluster.port))
        .arg(format!("--username={}", gascis_server::pg::APP_ROLE))
        .arg(&run.db.name)
        .current_dir(run.dir);
    if let Some(rate) = run.rate {
        command.arg(format!("--rate={rate:.1}"));
    }
    let output = command.output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let field = |key: &str| -> Option<f64> {
        stdout.lines().find_map(|line| {
            line.trim()
                .strip_prefix(key)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
    };
    let tps = field("tps = ").ok_or_else(|| anyhow::anyhow!("no tps in:\n{stdout}"))?;
    let failed = field("number of failed transactions:").unwrap_or(0.0) as u64;
    // Lines: client_id transaction_no time_us script_no epoch epoch_us [lag_us]
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(run.dir)? {
        let path = entry?.path();
        let is_log = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&format!("pgbench_{phase}.")));
        if !is_log {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if let Some(micros) = line
                .split_whitespace()
                .nth(2)
                .and_then(|t| t.parse::<u64>().ok())
            {
                latencies.push(Duration::from_micros(micros));
            }
        }
    }
    let done = latencies.len() as u64;
    Ok(Figures {
        done,
        errors: failed,
        // So that tps() gives pgbench's own figure (without connection time).
        elapsed: Duration::from_secs_f64(done as f64 / tps.max(1e-9)),
        latencies,
    }
    .sorted())
}

fn print_profile(timings: &Timings, figures: &Figures, threads: usize) {
    let Ok(timings) = timings.lock() else {
        return;
    };
    let mut rows: Vec<(&String, &(u64, Duration))> = timings.iter().collect();
    rows.sort_by_key(|(_, (_, total))| std::cmp::Reverse(*total));
    let wall = figures.elapsed.as_secs_f64() * threads as f64;
    let in_sql: f64 = rows.iter().map(|(_, (_, t))| t.as_secs_f64()).sum();
    println!(
        "profile of the direct phase: {:.1} thread-seconds, {in_sql:.1} s in SQL ({:.0} %), per payment {:.0} µs in SQL",
        wall,
        100.0 * in_sql / wall.max(1e-9),
        in_sql * 1e6 / figures.done.max(1) as f64
    );
    println!("  {:>8} {:>8} {:>7}  statement", "calls", "µs/call", "%");
    for (label, (calls, total)) in rows {
        println!(
            "  {calls:>8} {:>8.0} {:>7.1}  {label}",
            total.as_secs_f64() * 1e6 / *calls as f64,
            100.0 * total.as_secs_f64() / in_sql.max(1e-9)
        );
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

struct Options {
    accounts: u64,
    cashiers: usize,
    seconds: Duration,
    connections: usize,
    rate: Option<f64>,
    profile: bool,
    statements: bool,
}

fn options() -> anyhow::Result<Options> {
    let usage = "usage: payment_bench [ACCOUNTS] [--cashiers N] [--seconds S] [--connections N] [--rate TPS] [--profile] [--statements]";
    let mut options = Options {
        accounts: 20_000,
        cashiers: 200,
        seconds: Duration::from_secs(20),
        connections: 4,
        rate: None,
        profile: false,
        statements: false,
    };
    let mut args = std::env::args().skip(1);
    let value = |args: &mut std::iter::Skip<std::env::Args>| -> anyhow::Result<f64> {
        args.next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("{usage}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--cashiers" => options.cashiers = value(&mut args)? as usize,
            "--seconds" => options.seconds = Duration::from_secs_f64(value(&mut args)?),
            "--connections" => options.connections = (value(&mut args)? as usize).max(1),
            "--rate" => options.rate = Some(value(&mut args)?),
            "--profile" => options.profile = true,
            "--statements" => options.statements = true,
            number => {
                options.accounts = number
                    .replace('_', "")
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{usage}"))?;
            }
        }
    }
    anyhow::ensure!(options.cashiers > 0 && options.accounts > 0, "{usage}");
    Ok(options)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let pool_size = Config::default().database.pool_size;
    let server =
        TestServer::start_with(|config| config.database.pool_size = pool_size as _).await?;
    let db = server.db.clone();
    let keys = server.pii.clone();
    let accounts = options.accounts;
    tokio::task::spawn_blocking(move || seed_data(&db, &keys, accounts)).await??;

    // Cashiers: argon2 hashes and logins happen here, before any timing.
    let started = Instant::now();
    let mut channels = Vec::new();
    for _ in 0..options.connections {
        channels.push(server.channel().await?);
    }
    let mut cashiers = Vec::new();
    for number in 0..options.cashiers {
        let username = format!("bench{number:03}");
        server
            .create_user(&username, "压测收费员", PASSWORD, &[Role::Cashier])
            .await?;
        let token = server.login(&username, PASSWORD).await?;
        cashiers.push(Cashier {
            number,
            token,
            client: CounterServiceClient::new(channels[number % channels.len()].clone()),
        });
    }
    let db = server.db.clone();
    let users: Vec<(i64, String)> = tokio::task::spawn_blocking(move || {
        #[derive(QueryableByName)]
        struct User {
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = Text)]
            username: String,
        }
        let mut connection = db.app()?;
        let users: Vec<User> =
            sql_query("SELECT id, username FROM users WHERE username LIKE 'bench%' ORDER BY id")
                .load(&mut connection)?;
        anyhow::Ok(users.into_iter().map(|u| (u.id, u.username)).collect())
    })
    .await??;
    let first_cashier = users.first().map_or(0, |u| u.0);
    let last_cashier = users.last().map_or(0, |u| u.0);
    anyhow::ensure!(
        last_cashier - first_cashier + 1 == options.cashiers as i64,
        "cashier ids are not contiguous: pgbench picks them by range"
    );
    println!(
        "{} cashiers created and logged in ({} TLS connections shared) in {:.1} s (not part of the figures)",
        options.cashiers,
        options.connections,
        started.elapsed().as_secs_f64()
    );

    if options.statements {
        let db = server.db.clone();
        let cashier = users[0].clone();
        let statements = tokio::task::spawn_blocking(move || {
            capture_statements(&db, (cashier.0, &cashier.1), "bench-statements")
        })
        .await??;
        for (number, statement) in statements.iter().enumerate() {
            println!("-- {}\n{statement}\n", number + 1);
        }
        return server.shutdown().await;
    }

    // Every cashier's first payment opens their shift; not timed.
    let mut opened = 0;
    for cashier in &cashiers {
        let mut client = cashier.client.clone();
        let request = pb::PostPaymentRequest {
            idempotency_key: format!("bench-open-{}", cashier.number),
            account_id: 1 + cashier.number as i64 % options.accounts as i64,
            channel: "cash".to_owned(),
            amount: "10.00".to_owned(),
            ..Default::default()
        };
        client.post_payment(authed(request, &cashier.token)).await?;
        opened += 1;
    }
    println!("{opened} shifts opened by one untimed payment each");
    // The script must still be what a payment issues.
    let db = server.db.clone();
    let cashier = users[0].clone();
    let captured = tokio::task::spawn_blocking(move || {
        capture_statements(&db, (cashier.0, &cashier.1), "bench-statements")
    })
    .await??
    .len();
    opened += 1;
    println!(
        "statements of one cash payment: {captured} in gascis (BEGIN and COMMIT included), {} in the pgbench script{}",
        script_statements(),
        if captured == script_statements() {
            ""
        } else {
            " — DIFFERENT: recapture with --statements and update payment_bench.pgbench.sql"
        }
    );

    let scratch = tempfile::Builder::new()
        .prefix("payment-bench-")
        .tempdir()?;
    let script = scratch.path().join("payment_bench.pgbench.sql");
    std::fs::write(&script, SCRIPT)?;
    let pgbench_run = |rate: Option<f64>| Pgbench {
        db: &server.db,
        mode: "prepared",
        script: &script,
        clients: pool_size as usize,
        seconds: options.seconds,
        rate,
        accounts: options.accounts,
        cashiers: (first_cashier, last_cashier),
        dir: scratch.path(),
    };

    println!();
    println!(
        "phases of {:.0} s each; server pool (database.pool_size, default) = {pool_size}; pgbench -c {pool_size} -j 2 -M prepared",
        options.seconds.as_secs_f64()
    );
    println!("{}", header());
    let timings: Option<Timings> = options.profile.then(Timings::default);
    let db = server.db.clone();
    let threads = pool_size as usize;
    let direct_users = users.clone();
    let (seconds, profile_timings) = (options.seconds, timings.clone());
    let direct_figures = tokio::task::spawn_blocking(move || {
        direct(
            &db,
            &direct_users,
            accounts,
            threads,
            seconds,
            profile_timings.as_ref(),
        )
    })
    .await??;
    println!(
        "{}",
        direct_figures.line(&format!("direct begin(), {threads} threads"))
    );
    let saturated = grpc(&cashiers, options.accounts, options.seconds, None, "grpc").await?;
    println!(
        "{}",
        saturated.line(&format!("gascis gRPC, {} cashiers", options.cashiers))
    );
    // pgbench is a child process; its wait blocks one runtime thread.
    let baseline = tokio::task::block_in_place(|| pgbench(&pgbench_run(None), "saturated"))?;
    println!(
        "{}",
        baseline.line(&format!("pgbench same SQL, -c {pool_size}"))
    );
    if options.profile {
        // diesel prepares only its query builder's statements; `sql_query`
        // text is parsed and planned on every call, as pgbench -M extended.
        let extended = tokio::task::block_in_place(|| {
            pgbench(
                &Pgbench {
                    mode: "extended",
                    ..pgbench_run(None)
                },
                "extended",
            )
        })?;
        println!(
            "{}",
            extended.line(&format!("pgbench -M extended, -c {pool_size}"))
        );
    }
    let rate = options
        .rate
        .unwrap_or_else(|| (saturated.tps() / 2.0).round().max(1.0));
    let paced = grpc(
        &cashiers,
        options.accounts,
        options.seconds,
        Some(rate),
        "paced",
    )
    .await?;
    println!(
        "{}",
        paced.line(&format!("gascis gRPC at {rate:.0}/s offered"))
    );
    let paced_baseline =
        tokio::task::block_in_place(|| pgbench(&pgbench_run(Some(rate)), "paced"))?;
    println!("{}", paced_baseline.line(&format!("pgbench -R {rate:.0}")));

    println!();
    let ratio = saturated.tps() / baseline.tps();
    println!(
        "throughput: gascis {:.0} tps ÷ pgbench {:.0} tps = {ratio:.2} (goal ≥ 0.5: {}); direct begin() ÷ pgbench = {:.2}",
        saturated.tps(),
        baseline.tps(),
        verdict(ratio >= 0.5),
        direct_figures.tps() / baseline.tps()
    );
    println!(
        "latency at {rate:.0} payments/s offered: gascis p50 {:.1} ms, p99 {:.1} ms (goal p99 ≤ 50 ms: {}); pgbench p50 {:.1} ms, p99 {:.1} ms",
        paced.at(0.5),
        paced.at(0.99),
        verdict(paced.at(0.99) <= 50.0),
        paced_baseline.at(0.5),
        paced_baseline.at(0.99)
    );
    println!(
        "back to back, {} cashiers hold {} payments in flight: p50 {:.0} ms ≈ cashiers ÷ tps = {:.0} ms (queueing, Little's law)",
        options.cashiers,
        options.cashiers,
        saturated.at(0.5),
        options.cashiers as f64 * 1e3 / saturated.tps().max(1e-9)
    );
    if let Some(timings) = &timings {
        print_profile(timings, &direct_figures, threads);
    }

    // The ledger after it all: every acknowledged payment posted once, and
    // the ledger's own checks.
    let acknowledged = opened + direct_figures.done + saturated.done + paced.done;
    let db = server.db.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut connection = db.app()?;
        let posted = count(
            &mut connection,
            "SELECT count(*) AS n FROM payments WHERE status = 'posted' AND idempotency_key LIKE 'bench-%'",
        )?;
        let findings = ledger::check::run(&mut connection)?;
        let failed: Vec<&str> = findings
            .iter()
            .filter(|f| !f.passed())
            .map(|f| f.check)
            .collect();
        println!(
            "check: {posted} gascis payments posted, {acknowledged} acknowledged ({}); ledger check: {}",
            if posted == acknowledged as i64 { "equal" } else { "DIFFERENT" },
            if failed.is_empty() {
                format!("all {} checks pass", findings.len())
            } else {
                format!("FAILED {}", failed.join(", "))
            }
        );
        anyhow::ensure!(posted == acknowledged as i64 && failed.is_empty(), "inconsistent ledger");
        Ok(())
    })
    .await??;
    server.shutdown().await
}

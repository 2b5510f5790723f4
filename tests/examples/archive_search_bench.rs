//! Benchmark: account search at scale. Seeds N synthetic customers (default
//! 1,000,000) into a throw-away cluster, then for each search kind runs the
//! same queries two ways in one process:
//!   baseline — the search's SQL called directly on a database connection;
//!   gRPC     — SearchAccounts through TLS, the auth layer and the pool.
//!
//!     cargo run --release -p gascis-testkit --example archive_search_bench [-- CUSTOMERS [QUERIES]]

use std::time::{Duration, Instant};

use diesel::{RunQueryDsl, connection::SimpleConnection};
use gascis_common::{
    Role,
    proto::v1::{self as pb, archive_service_client::ArchiveServiceClient},
};
use gascis_server::archive::{search, seed};
use gascis_testkit::{TestServer, authed};

fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99))
}

/// Queries of one kind, spread over the seeded serials.
fn queries(kind: pb::SearchKind, customers: u64, count: u64) -> Vec<String> {
    (0..count)
        .map(|i| {
            let serial = 1 + (i * 7919 + 13) % customers;
            let data = seed::synthetic(serial);
            match kind {
                pb::SearchKind::AccountNo => (2_000_000_000 + serial).to_string(),
                pb::SearchKind::Name => data.customer.name,
                pb::SearchKind::Phone => data.customer.phone.unwrap_or_default(),
                pb::SearchKind::Address => format!(
                    "{}{}栋{}单元",
                    data.premise.community, data.premise.building, data.premise.unit
                ),
                pb::SearchKind::MeterNo => data.meter.meter_no,
                pb::SearchKind::IdNumber => seed::resident_id(serial),
                pb::SearchKind::CardNo => {
                    // Walk to the next IC-card customer.
                    (serial..serial + 200)
                        .find_map(|s| seed::synthetic(s).meter.card_no)
                        .unwrap_or_default()
                }
                pb::SearchKind::Auto => data.customer.name,
            }
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let customers: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let per_kind: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let server = TestServer::start_with(|config| config.database.pool_size = 8).await?;
    let keys = server.pii.clone();

    let started = Instant::now();
    let db = server.db.clone();
    let seed_keys = keys.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut connection = db.owner()?;
        seed::bulk_seed(&mut connection, &seed_keys, 1, customers)?;
        connection.batch_execute("VACUUM ANALYZE")?;
        Ok(())
    })
    .await??;
    println!(
        "seeded {customers} customers in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let mut connection = server.db.app()?;
    let size: Vec<Size> =
        diesel::sql_query("SELECT pg_size_pretty(pg_database_size(current_database())) AS size")
            .load(&mut connection)?;
    println!(
        "database size {}",
        size.first().map(|s| s.size.as_str()).unwrap_or("?")
    );

    server
        .create_user("bench", "压测", "bench-password", &[Role::Cashier])
        .await?;
    let token = server.login("bench", "bench-password").await?;
    let mut client = ArchiveServiceClient::new(server.channel().await?);

    println!();
    println!(
        "{:<12} {:>8} {:>13} {:>13} {:>13} {:>13}",
        "kind", "hits/q", "SQL p50 ms", "SQL p99 ms", "gRPC p50 ms", "gRPC p99 ms"
    );
    for kind in [
        pb::SearchKind::AccountNo,
        pb::SearchKind::Name,
        pb::SearchKind::Phone,
        pb::SearchKind::Address,
        pb::SearchKind::MeterNo,
        pb::SearchKind::CardNo,
        pb::SearchKind::IdNumber,
    ] {
        let texts = queries(kind, customers, per_kind);
        let mut sql = Vec::new();
        let mut hits = 0_usize;
        for text in &texts {
            let t = Instant::now();
            let page = search::search(
                &mut connection,
                &keys,
                &search::Query {
                    text,
                    kind,
                    page_size: 20,
                    offset: 0,
                    include_closed: false,
                },
            )?;
            sql.push(t.elapsed());
            hits += page.results.len();
        }
        let mut grpc = Vec::new();
        for text in &texts {
            let t = Instant::now();
            client
                .search_accounts(authed(
                    pb::SearchAccountsRequest {
                        query: text.clone(),
                        kind: kind as i32,
                        ..Default::default()
                    },
                    &token,
                ))
                .await?;
            grpc.push(t.elapsed());
        }
        let (sql50, sql99) = percentiles(sql);
        let (g50, g99) = percentiles(grpc);
        println!(
            "{:<12} {:>8.1} {sql50:>13.2} {sql99:>13.2} {g50:>13.2} {g99:>13.2}",
            kind.as_str_name()
                .trim_start_matches("SEARCH_KIND_")
                .to_lowercase(),
            hits as f64 / texts.len() as f64
        );
    }
    server.shutdown().await
}

#[derive(diesel::QueryableByName)]
struct Size {
    #[diesel(sql_type = diesel::sql_types::Text)]
    size: String,
}

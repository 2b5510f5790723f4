//! Benchmark: login round trip over TLS against an in-process server, beside
//! its baseline in the same process: one argon2id verification alone (the
//! deliberate cost every login pays), and one authenticated WhoAmI call.
//!
//!     cargo run --release -p gascis-testkit --example login_latency [-- ROUNDS]

use std::time::{Duration, Instant};

use gascis_common::proto::v1::{self as pb, auth_service_client::AuthServiceClient};
use gascis_testkit::{ADMIN_PASSWORD, TestServer, authed};

fn summary(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:<28} n={:<4} p50={:>7.2} ms  p95={:>7.2} ms  max={:>7.2} ms",
        samples.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let started = Instant::now();
    let server = TestServer::start().await?;
    println!(
        "server start (DB clone + migrations check + TLS bind): {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let stored = gascis_server::auth::password::hash(ADMIN_PASSWORD)?;
    let mut baseline = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        assert!(gascis_server::auth::password::verify(
            ADMIN_PASSWORD,
            &stored
        ));
        baseline.push(t.elapsed());
    }

    let mut client = AuthServiceClient::new(server.channel().await?);
    let mut logins = Vec::new();
    let mut token = String::new();
    for _ in 0..rounds {
        let t = Instant::now();
        token = client
            .login(pb::LoginRequest {
                username: "admin".into(),
                password: ADMIN_PASSWORD.into(),
                client_name: "bench".into(),
            })
            .await?
            .into_inner()
            .session_token;
        logins.push(t.elapsed());
    }
    let mut calls = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        client
            .who_am_i(authed(pb::WhoAmIRequest {}, &token))
            .await?;
        calls.push(t.elapsed());
    }
    summary("baseline: argon2id verify", baseline);
    summary("Login round trip (TLS)", logins);
    summary("WhoAmI round trip (TLS)", calls);
    server.shutdown().await
}

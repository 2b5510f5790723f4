//! The server's scheduled jobs: IoT meters' daily charges and valve
//! commands (`prepaid::iot`), and bill notices (`notices`). `serve` runs a
//! round every `jobs.interval_minutes`; `gascis-server jobs run` runs one by
//! hand. A round holds a PostgreSQL advisory lock, so with several servers
//! on one database each round runs on one of them; every step is safe to
//! repeat (charges by reading, notices by business key).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};

use crate::archive::Actor;
use crate::config::Config;
use crate::error::Result;
use crate::notices::{self, NoticeSender, SenderKind, SimulatedNoticeSender};
use crate::pii::PiiKeys;
use crate::prepaid::iot::{self, SimulatedGateway, ValveGateway};

/// Which valve gateway the jobs command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IotGateway {
    /// Charges only: no valve commands (no gateway contract yet).
    Off,
    /// Valves of the simulated gateway (demo, training).
    Simulated,
}

/// Settings of the scheduled jobs (config `[jobs]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Minutes between rounds; 0: no rounds in `serve`.
    pub interval_minutes: u32,
    pub iot_gateway: IotGateway,
    pub valve_grace_days: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval_minutes: 60,
            iot_gateway: IotGateway::Off,
            valve_grace_days: 3,
        }
    }
}

/// The outside world the jobs talk to.
pub struct Devices {
    pub valves: Option<Box<dyn ValveGateway + Send>>,
    pub notices: Option<Box<dyn NoticeSender>>,
}

impl Devices {
    /// The devices the configuration names.
    pub fn from_config(config: &Config) -> Devices {
        Devices {
            valves: match config.jobs.iot_gateway {
                IotGateway::Off => None,
                IotGateway::Simulated => Some(Box::new(SimulatedGateway::default())),
            },
            notices: match config.notices.sender {
                SenderKind::Off => None,
                SenderKind::Simulated => {
                    Some(Box::new(LoggedSender(SimulatedNoticeSender::default())))
                }
            },
        }
    }
}

/// The simulated sender as `serve` uses it: every message also goes to the
/// debug log (masked), so a demo shows what customers would have received.
struct LoggedSender(SimulatedNoticeSender);

impl NoticeSender for LoggedSender {
    fn send(&mut self, notice: &notices::OutgoingNotice<'_>) -> notices::SendOutcome {
        let outcome = self.0.send(notice);
        tracing::debug!(
            notice = notice.notice_id,
            to = %gascis_common::masking::mask_phone(notice.phone),
            body = notice.body,
            ?outcome,
            "simulated notice"
        );
        outcome
    }

    fn query(&mut self, notice_id: i64) -> notices::SendOutcome {
        self.0.query(notice_id)
    }
}

/// What one round did; `None` parts did not run (turned off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub iot_charged: u64,
    pub valves: Option<iot::ValveSummary>,
    pub notices_queued: Option<notices::Queued>,
    /// `None` also when another server was sending at that moment.
    pub notices_sent: Option<notices::Sent>,
}

pub const ROUND_LOCK: i64 = 0x6761_7363_6973_4a31;

/// Messages handed to the provider per round: a provider's rate limit is
/// the real bound; the rest waits for the next round.
const NOTICES_PER_ROUND: i64 = 20_000;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Runs one round unless another server is running one (then `None`).
pub fn run_round(
    connection: &mut PgConnection,
    config: &Config,
    keys: &PiiKeys,
    devices: &mut Devices,
    today: NaiveDate,
) -> Result<Option<Round>> {
    let locked: Locked = sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(ROUND_LOCK)
        .get_result(connection)?;
    if !locked.locked {
        return Ok(None);
    }
    let round = round_locked(connection, config, keys, devices, today);
    let unlocked = sql_query("SELECT pg_advisory_unlock($1) AS locked")
        .bind::<BigInt, _>(ROUND_LOCK)
        .get_result::<Locked>(connection);
    let round = round?;
    unlocked?;
    Ok(Some(round))
}

fn round_locked(
    connection: &mut PgConnection,
    config: &Config,
    keys: &PiiKeys,
    devices: &mut Devices,
    today: NaiveDate,
) -> Result<Round> {
    let actor = Actor {
        user_id: None,
        username: "jobs".to_owned(),
    };
    let mut round = Round {
        iot_charged: iot::charge_readings(connection, &actor)?,
        ..Round::default()
    };
    if let Some(gateway) = devices.valves.as_deref_mut() {
        round.valves = Some(iot::enforce_valves(
            connection,
            gateway,
            today,
            config.jobs.valve_grace_days,
            None,
        )?);
    }
    if let Some(sender) = devices.notices.as_deref_mut() {
        round.notices_queued = Some(notices::queue(
            connection,
            &config.notices,
            &config.server.company_name,
            today,
        )?);
        round.notices_sent =
            notices::send_pending(connection, sender, keys, &config.notices, NOTICES_PER_ROUND)?;
    }
    Ok(round)
}

/// Runs a round every `jobs.interval_minutes` on the pool, the first one
/// a minute after start (the server answers calls first). `None` when the
/// interval is 0.
pub fn spawn(
    pool: crate::db::PgPool,
    config: Config,
    keys: Arc<PiiKeys>,
) -> Option<tokio::task::JoinHandle<()>> {
    let minutes = u64::from(config.jobs.interval_minutes);
    if minutes == 0 {
        return None;
    }
    let devices = Arc::new(Mutex::new(Devices::from_config(&config)));
    let config = Arc::new(config);
    Some(tokio::spawn(async move {
        let start = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut interval = tokio::time::interval_at(start, Duration::from_secs(minutes * 60));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let pool = pool.clone();
            let config = Arc::clone(&config);
            let keys = Arc::clone(&keys);
            let devices = Arc::clone(&devices);
            let done = tokio::task::spawn_blocking(move || -> Result<Option<Round>> {
                let mut connection = crate::api::connection(&pool)?;
                let mut devices = match devices.lock() {
                    Ok(devices) => devices,
                    Err(poisoned) => poisoned.into_inner(),
                };
                run_round(
                    &mut connection,
                    &config,
                    &keys,
                    &mut devices,
                    crate::archive::today(),
                )
            })
            .await;
            match done {
                Ok(Ok(Some(round))) => tracing::info!(?round, "scheduled jobs ran"),
                Ok(Ok(None)) => tracing::debug!("scheduled jobs running on another server"),
                Ok(Err(error)) => tracing::warn!(%error, "scheduled jobs failed"),
                Err(error) => tracing::warn!(%error, "scheduled jobs stopped"),
            }
        }
    }))
}

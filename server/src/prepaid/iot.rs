//! IoT prepaid meters (物联网表). Each daily reading is charged from the
//! account's money balance by the tiers (one charge per reading, by unique
//! key); a balance below zero for longer than the grace period closes the
//! valve through the gateway, and a balance back at zero or above reopens
//! it. Every command and its outcome is recorded; an outcome the gateway
//! could not tell is recorded as unknown and tried again, never guessed.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Nullable, Numeric, Text},
};
use gascis_common::{
    Money,
    tariff::{self, Consumption, Volume},
};
use rust_decimal::Decimal;

use crate::{
    archive::Actor,
    billing::pricing,
    error::{Error, Result},
    ledger::{self, Line, NewTransaction},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Valve {
    Open,
    Close,
}

impl Valve {
    pub fn as_str(self) -> &'static str {
        match self {
            Valve::Open => "open",
            Valve::Close => "close",
        }
    }
}

/// What the gateway said about a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOutcome {
    /// The meter confirmed the valve position.
    Confirmed,
    /// The gateway refused or the meter reported an error.
    Failed(String),
    /// No answer in time: the command may or may not have arrived.
    Unknown(String),
}

/// The IoT platform's valve control, one implementation per vendor.
pub trait ValveGateway {
    fn send(&mut self, meter_no: &str, command: Valve) -> GatewayOutcome;
}

/// A gateway for tests and the demo: meters confirm at once unless told
/// to fail or to stay silent.
#[derive(Debug, Default)]
pub struct SimulatedGateway {
    pub valves: HashMap<String, bool>,
    pub sent: Vec<(String, Valve)>,
    failures: u32,
    silences: u32,
}

impl SimulatedGateway {
    pub fn fail_next(&mut self, n: u32) {
        self.failures = n;
    }

    pub fn stay_silent_next(&mut self, n: u32) {
        self.silences = n;
    }

    /// Whether the meter's valve is open (open until told otherwise).
    pub fn is_open(&self, meter_no: &str) -> bool {
        self.valves.get(meter_no).copied().unwrap_or(true)
    }
}

impl ValveGateway for SimulatedGateway {
    fn send(&mut self, meter_no: &str, command: Valve) -> GatewayOutcome {
        self.sent.push((meter_no.to_owned(), command));
        if self.failures > 0 {
            self.failures -= 1;
            return GatewayOutcome::Failed("meter reported valve fault".into());
        }
        if self.silences > 0 {
            self.silences -= 1;
            return GatewayOutcome::Unknown("no answer within 30 s".into());
        }
        self.valves
            .insert(meter_no.to_owned(), command == Valve::Open);
        GatewayOutcome::Confirmed
    }
}

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = BigInt)]
    reading_id: i64,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = diesel::sql_types::Date)]
    read_on: NaiveDate,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    previous_on: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Date)]
    installed_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    consumption: Decimal,
}

/// Charges every usable IoT reading not charged yet, oldest first; returns
/// how many were charged.
pub fn charge_readings(connection: &mut PgConnection, actor: &Actor) -> Result<u64> {
    let pending: Vec<Pending> = sql_query(
        "SELECT r.id AS reading_id, r.account_id, r.read_on, p.read_on AS previous_on, m.installed_on, \
                r.consumption \
         FROM meter_readings r JOIN meters m ON m.id = r.meter_id AND m.meter_type = 'iot' \
         LEFT JOIN meter_readings p ON p.id = r.previous_id \
         WHERE r.status IN ('valid', 'approved') AND r.consumption IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM iot_charges c WHERE c.reading_id = r.id) \
         ORDER BY r.account_id, r.read_on, r.id",
    )
    .load(connection)?;
    let mut charged = 0;
    for reading in pending {
        connection.transaction(|connection| charge(connection, actor, &reading))?;
        charged += 1;
    }
    Ok(charged)
}

fn charge(connection: &mut PgConnection, actor: &Actor, reading: &Pending) -> Result<()> {
    let from = reading
        .previous_on
        .and_then(|d| d.succ_opt())
        .unwrap_or(reading.installed_on)
        .min(reading.read_on);
    let (published, attributes) = pricing::for_account(connection, reading.account_id, from)?;
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
        cycle_start: Option<NaiveDate>,
        #[diesel(sql_type = Nullable<Numeric>)]
        cycle_after: Option<Decimal>,
    }
    let last: Option<Last> = sql_query(
        "SELECT cycle_start, cycle_after FROM iot_charges WHERE account_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind::<BigInt, _>(reading.account_id)
    .get_result(connection)
    .optional()?;
    let cycle_start = published
        .tariff
        .version_at(from)
        .and_then(|v| v.cycle.start_of(from));
    let cycle_to_date = last
        .filter(|l| l.cycle_start.is_some() && l.cycle_start == cycle_start)
        .and_then(|l| l.cycle_after)
        .unwrap_or(Decimal::ZERO);
    let volume = Volume::try_from_decimal(reading.consumption)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let quote = tariff::quote(
        &published.tariff,
        &attributes,
        &Consumption {
            volume,
            from,
            to: reading.read_on,
            cycle_to_date: Volume::try_from_decimal(cycle_to_date)
                .map_err(|e| Error::Internal(e.to_string()))?,
        },
    )
    .map_err(|error| Error::Refused(format!("reading {}: {error}", reading.reading_id)))?;
    let transaction = if quote.total == Money::ZERO {
        None
    } else {
        let key = format!("iot:{}", reading.reading_id);
        let memo = format!("物联网表扣费 {} m³ ({})", volume, reading.read_on);
        let mut lines = vec![
            Line {
                book: ledger::book::PREPAYMENT,
                account_id: Some(reading.account_id),
                amount: quote.total,
            },
            Line {
                book: "gas_revenue",
                account_id: None,
                amount: -quote.vat.net,
            },
            Line {
                book: "vat_output",
                account_id: None,
                amount: -quote.vat.tax,
            },
        ];
        lines.retain(|line| line.amount != Money::ZERO);
        Some(ledger::post(
            connection,
            &NewTransaction {
                business_key: &key,
                kind: "iot_charge",
                account_id: Some(reading.account_id),
                occurred_on: reading.read_on,
                created_by: &actor.username,
                memo: &memo,
                lines,
            },
        )?)
    };
    let lines: Vec<(Option<u32>, String, String, String)> = quote
        .lines
        .iter()
        .map(|l| {
            (
                l.tier,
                l.volume.to_string(),
                l.unit_price.map(|p| p.to_string()).unwrap_or_default(),
                l.amount.to_string(),
            )
        })
        .collect();
    sql_query(
        "INSERT INTO iot_charges (account_id, reading_id, volume, amount, tariff_revision_id, lines, \
            cycle_start, cycle_after, ledger_transaction_id) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)",
    )
    .bind::<BigInt, _>(reading.account_id)
    .bind::<BigInt, _>(reading.reading_id)
    .bind::<Numeric, _>(reading.consumption)
    .bind::<Numeric, _>(quote.total.as_decimal())
    .bind::<BigInt, _>(published.revision_id)
    .bind::<Text, _>(serde_json::to_string(&lines).map_err(|e| Error::Internal(e.to_string()))?)
    .bind::<Nullable<diesel::sql_types::Date>, _>(quote.segments.last().and_then(|s| s.cycle_start))
    .bind::<Nullable<Numeric>, _>(quote.cycle_to_date_after.map(Volume::as_decimal))
    .bind::<Nullable<BigInt>, _>(transaction)
    .execute(connection)?;
    Ok(())
}

/// What the valve check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValveSummary {
    pub closed: u64,
    pub opened: u64,
    pub failed: u64,
    pub unknown: u64,
}

#[derive(QueryableByName)]
struct ValveRow {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    meter_id: i64,
    #[diesel(sql_type = Text)]
    meter_no: String,
    #[diesel(sql_type = Bool)]
    valve_open: bool,
    #[diesel(sql_type = Nullable<diesel::sql_types::Date>)]
    negative_since: Option<NaiveDate>,
    #[diesel(sql_type = Numeric)]
    balance: Decimal,
}

/// Closes the valves of accounts whose balance has stayed below zero for
/// more than `grace_days`, and reopens those back at zero or above. With
/// `account_id`, only that account (right after a payment).
pub fn enforce_valves(
    connection: &mut PgConnection,
    gateway: &mut dyn ValveGateway,
    today: NaiveDate,
    grace_days: i64,
    account_id: Option<i64>,
) -> Result<ValveSummary> {
    let rows: Vec<ValveRow> = sql_query(
        "SELECT a.id AS account_id, m.id AS meter_id, m.meter_no, m.valve_open, m.negative_since, \
                coalesce(-(SELECT sum(l.amount) FROM ledger_lines l \
                    WHERE l.account_id = a.id AND l.book = 'prepayment'), 0) AS balance \
         FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'iot' \
         WHERE a.status = 'active' AND ($1 IS NULL OR a.id = $1) ORDER BY a.id",
    )
    .bind::<Nullable<BigInt>, _>(account_id)
    .load(connection)?;
    let mut summary = ValveSummary::default();
    for row in rows {
        let negative = row.balance.is_sign_negative() && !row.balance.is_zero();
        let since = match (negative, row.negative_since) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(today),
            (false, _) => None,
        };
        if since != row.negative_since {
            sql_query("UPDATE meters SET negative_since = $2 WHERE id = $1")
                .bind::<BigInt, _>(row.meter_id)
                .bind::<Nullable<diesel::sql_types::Date>, _>(since)
                .execute(connection)?;
        }
        let wanted = match since {
            Some(since) if (today - since).num_days() >= grace_days => Valve::Close,
            Some(_) => continue,
            None => Valve::Open,
        };
        if (wanted == Valve::Open) == row.valve_open {
            continue;
        }
        let reason = match wanted {
            Valve::Close => format!(
                "balance {} below zero since {}",
                row.balance,
                since.unwrap_or(today)
            ),
            Valve::Open => format!("balance {} restored", row.balance),
        };
        let (outcome, detail) = match gateway.send(&row.meter_no, wanted) {
            GatewayOutcome::Confirmed => ("confirmed", String::new()),
            GatewayOutcome::Failed(detail) => ("failed", detail),
            GatewayOutcome::Unknown(detail) => ("unknown", detail),
        };
        sql_query(
            "INSERT INTO valve_commands (account_id, meter_id, command, reason, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind::<BigInt, _>(row.account_id)
        .bind::<BigInt, _>(row.meter_id)
        .bind::<Text, _>(wanted.as_str())
        .bind::<Text, _>(&reason)
        .bind::<Text, _>(outcome)
        .bind::<Text, _>(&detail)
        .execute(connection)?;
        match outcome {
            "confirmed" => {
                sql_query("UPDATE meters SET valve_open = $2 WHERE id = $1")
                    .bind::<BigInt, _>(row.meter_id)
                    .bind::<Bool, _>(wanted == Valve::Open)
                    .execute(connection)?;
                match wanted {
                    Valve::Close => summary.closed += 1,
                    Valve::Open => summary.opened += 1,
                }
            }
            "failed" => summary.failed += 1,
            _ => summary.unknown += 1,
        }
    }
    Ok(summary)
}

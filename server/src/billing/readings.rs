//! Meter readings: recording (manual, IoT, self-reported, estimated),
//! consumption with rollover and meter replacement, and the checks that
//! send a reading to the anomaly queue instead of to billing.
//!
//! A reading is never edited: review only moves its status (approve,
//! reject, order a re-read); a corrected value is a new reading.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Array, BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz},
};
use rust_decimal::Decimal;

use crate::{
    archive::Actor,
    error::{Error, Result},
};

/// Where a reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Manual,
    Iot,
    SelfReported,
    Estimated,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Iot => "iot",
            Source::SelfReported => "self",
            Source::Estimated => "estimated",
            Source::Import => "import",
        }
    }
}

/// Thresholds of the anomaly checks (config `[readings]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// A period's daily consumption above this many times the average of
    /// the last three valid periods is a spike; below average ÷ factor, a drop.
    #[serde(with = "rust_decimal::serde::str")]
    pub spike_factor: Decimal,
    /// Spikes and drops are only flagged when the larger of the two volumes
    /// reaches this many m³ (a household going from 1 to 4 m³ is no alarm).
    #[serde(with = "rust_decimal::serde::str")]
    pub min_volume: Decimal,
    /// This many zero-consumption periods in a row is an anomaly.
    pub zero_periods: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            spike_factor: Decimal::from(3),
            min_volume: Decimal::from(10),
            zero_periods: 3,
        }
    }
}

/// Anomaly codes stored with a reading (the client shows them in words).
pub mod anomaly {
    /// Lower than the previous reading, and no plausible rollover.
    pub const NEGATIVE: &str = "negative";
    pub const SPIKE: &str = "spike";
    pub const DROP: &str = "drop";
    pub const ZERO_STREAK: &str = "zero_streak";
}

/// One reading to record.
#[derive(Debug, Clone)]
pub struct NewReading {
    pub account_id: i64,
    pub value: Decimal,
    pub read_at: DateTime<Utc>,
    pub source: Source,
    /// IoT: the feed's (meter, timestamp) makes a retry a no-op; manual
    /// entry: the client's key per attempt.
    pub idempotency_key: Option<String>,
}

/// What became of a recorded reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub status: String,
    pub consumption: Option<Decimal>,
    pub anomalies: Vec<String>,
    /// The same reading was recorded before (same idempotency key).
    pub duplicate: bool,
}

#[derive(QueryableByName)]
struct MeterRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Integer)]
    digits: i32,
    #[diesel(sql_type = Numeric)]
    initial_reading: Decimal,
    #[diesel(sql_type = Date)]
    installed_on: NaiveDate,
}

#[derive(QueryableByName, Debug)]
struct PriorReading {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    meter_id: i64,
    #[diesel(sql_type = Date)]
    read_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
}

#[derive(QueryableByName)]
struct Existing {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    consumption: Option<Decimal>,
    #[diesel(sql_type = Array<Text>)]
    anomalies: Vec<String>,
    #[diesel(sql_type = Numeric)]
    value: Decimal,
    #[diesel(sql_type = Timestamptz)]
    read_at: DateTime<Utc>,
}

/// The business date of a moment: readings are taken in China (UTC+8).
pub fn business_date(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

/// Statuses a bill may be computed from.
pub const USABLE: &str = "('valid', 'approved')";

/// The reading before `read_on` that consumption is measured from: the
/// latest usable one, and for an actual reading the latest *actual* one
/// (estimates in between are corrected when the actual reading is billed).
fn previous(
    connection: &mut PgConnection,
    account_id: i64,
    actual: bool,
) -> Result<Option<PriorReading>> {
    let estimated = if actual {
        " AND source <> 'estimated'"
    } else {
        ""
    };
    Ok(sql_query(format!(
        "SELECT id, meter_id, read_on, value FROM meter_readings \
         WHERE account_id = $1 AND status IN {USABLE}{estimated} \
         ORDER BY read_on DESC, id DESC LIMIT 1"
    ))
    .bind::<BigInt, _>(account_id)
    .get_result(connection)
    .optional()?)
}

/// Daily consumptions of the last `n` usable readings before this one.
fn history(connection: &mut PgConnection, account_id: i64, n: i64) -> Result<Vec<(Decimal, i64)>> {
    #[derive(QueryableByName)]
    struct Period {
        #[diesel(sql_type = Numeric)]
        consumption: Decimal,
        #[diesel(sql_type = BigInt)]
        days: i64,
    }
    let rows: Vec<Period> = sql_query(format!(
        "SELECT r.consumption, \
                greatest(1, r.read_on - coalesce(p.read_on, m.installed_on - 1))::bigint AS days \
         FROM meter_readings r LEFT JOIN meter_readings p ON p.id = r.previous_id \
         JOIN meters m ON m.id = r.meter_id \
         WHERE r.account_id = $1 AND r.status IN {USABLE} AND r.consumption IS NOT NULL \
         ORDER BY r.read_on DESC, r.id DESC LIMIT $2"
    ))
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(n)
    .load(connection)?;
    Ok(rows.into_iter().map(|p| (p.consumption, p.days)).collect())
}

/// Consumption from `from` to `to` on one register of `digits` digits:
/// a lower value is a rollover when that reads as less than half the
/// register, otherwise it is negative (None).
pub fn register_consumption(from: Decimal, to: Decimal, digits: i32) -> Option<(Decimal, bool)> {
    if to >= from {
        return Some((to - from, false));
    }
    let capacity = Decimal::from(10_i64.checked_pow(u32::try_from(digits).ok()?)?);
    let rolled = capacity - from + to;
    (rolled < capacity / Decimal::TWO).then_some((rolled, true))
}

/// The checks against history; returns anomaly codes.
pub fn check(
    rules: &Rules,
    consumption: Decimal,
    days: i64,
    history: &[(Decimal, i64)],
) -> Vec<&'static str> {
    let mut found = Vec::new();
    if consumption.is_zero()
        && rules.zero_periods > 0
        && history.len() + 1 >= rules.zero_periods as usize
        && history
            .iter()
            .take(rules.zero_periods as usize - 1)
            .all(|(c, _)| c.is_zero())
    {
        found.push(anomaly::ZERO_STREAK);
    }
    let total_days: i64 = history.iter().map(|(_, d)| *d).sum();
    if history.is_empty() || total_days <= 0 || days <= 0 {
        return found;
    }
    let average: Decimal =
        history.iter().map(|(c, _)| *c).sum::<Decimal>() / Decimal::from(total_days);
    // No use yet (a new or empty home): nothing to compare a volume with.
    if average.is_zero() {
        return found;
    }
    let daily = consumption / Decimal::from(days);
    let expected = average * Decimal::from(days);
    if consumption.max(expected) < rules.min_volume {
        return found;
    }
    if daily > average * rules.spike_factor {
        found.push(anomaly::SPIKE);
    } else if !consumption.is_zero() && daily * rules.spike_factor < average {
        found.push(anomaly::DROP);
    }
    found
}

/// Records one reading in its own transaction.
pub fn record(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    reading: &NewReading,
) -> Result<Recorded> {
    connection.transaction(|connection| record_in(connection, actor, rules, reading))
}

/// Records one reading inside the caller's transaction.
pub fn record_in(
    connection: &mut PgConnection,
    actor: &Actor,
    rules: &Rules,
    reading: &NewReading,
) -> Result<Recorded> {
    if reading.value.is_sign_negative() {
        return Err(Error::invalid(
            "value",
            "a meter reading cannot be negative",
        ));
    }
    if reading.value.scale() > 3 && reading.value.normalize().scale() > 3 {
        return Err(Error::invalid(
            "value",
            "readings are kept to 0.001 m³; round it",
        ));
    }
    // One reading at a time per account: the previous-reading lookup and
    // the insert must see each other.
    #[derive(QueryableByName)]
    struct Account {
        #[diesel(sql_type = Text)]
        status: String,
    }
    let account: Account = sql_query("SELECT status FROM accounts WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(reading.account_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("account {}", reading.account_id)))?;
    if account.status == "closed" {
        return Err(Error::Refused(format!(
            "account {} is closed; it takes no readings",
            reading.account_id
        )));
    }
    let meter: MeterRow = sql_query(
        "SELECT id, digits, initial_reading, installed_on FROM meters \
         WHERE account_id = $1 AND installed",
    )
    .bind::<BigInt, _>(reading.account_id)
    .get_result(connection)
    .optional()?
    .ok_or_else(|| {
        Error::NotFound(format!(
            "account {} has no installed meter",
            reading.account_id
        ))
    })?;
    if let Some(key) = &reading.idempotency_key {
        let existing: Option<Existing> = sql_query(
            "SELECT id, status, consumption, anomalies, value, read_at FROM meter_readings \
             WHERE idempotency_key = $1",
        )
        .bind::<Text, _>(key)
        .get_result(connection)
        .optional()?;
        if let Some(existing) = existing {
            if existing.value != reading.value || existing.read_at != reading.read_at {
                return Err(Error::AlreadyExists(format!(
                    "idempotency key {key} was used for reading {} of {} at {}",
                    existing.id, existing.value, existing.read_at
                )));
            }
            return Ok(Recorded {
                id: existing.id,
                status: existing.status,
                consumption: existing.consumption,
                anomalies: existing.anomalies,
                duplicate: true,
            });
        }
    }
    let read_on = business_date(reading.read_at);
    // Legacy ledgers often lack the installation date (it defaults to the
    // import day): an imported history is checked against the meters by
    // the importer instead.
    if read_on < meter.installed_on && reading.source != Source::Import {
        return Err(Error::invalid(
            "read_at",
            format!(
                "is before the meter was installed on {}",
                meter.installed_on
            ),
        ));
    }
    let actual = reading.source != Source::Estimated;
    let prior = previous(connection, reading.account_id, actual)?;
    if let Some(prior) = &prior
        && read_on < prior.read_on
    {
        return Err(Error::invalid(
            "read_at",
            format!(
                "is before the last reading of this account ({} on {})",
                prior.value, prior.read_on
            ),
        ));
    }
    // Across a meter replacement: what the old meter ran from the prior
    // reading to its final reading, plus what the new one ran since fitting.
    let (start_value, carried) = match &prior {
        Some(prior) if prior.meter_id == meter.id => (prior.value, Decimal::ZERO),
        Some(prior) => {
            #[derive(QueryableByName)]
            struct Final {
                #[diesel(sql_type = Numeric)]
                reading: Decimal,
                #[diesel(sql_type = Integer)]
                digits: i32,
            }
            let last: Option<Final> = sql_query(
                "SELECT e.reading, m.digits FROM meter_events e JOIN meters m ON m.id = e.meter_id \
                 WHERE e.meter_id = $1 AND e.kind IN ('replaced_out', 'final_reading', 'remove') \
                 ORDER BY e.id DESC LIMIT 1",
            )
            .bind::<BigInt, _>(prior.meter_id)
            .get_result(connection)
            .optional()?;
            let old_run = last
                .and_then(|f| register_consumption(prior.value, f.reading, f.digits))
                .map(|(c, _)| c)
                .unwrap_or(Decimal::ZERO);
            (meter.initial_reading, old_run)
        }
        None => (meter.initial_reading, Decimal::ZERO),
    };
    let mut anomalies: Vec<String> = Vec::new();
    let consumption = match register_consumption(start_value, reading.value, meter.digits) {
        Some((used, _rolled)) => Some(used + carried),
        // Imported history goes to no review queue: a reading below the
        // previous one is a wrong row of the file.
        None if reading.source == Source::Import => {
            return Err(Error::invalid(
                "value",
                format!(
                    "is lower than the previous reading {start_value} and is no plausible \
                     rollover of a {}-digit register",
                    meter.digits
                ),
            ));
        }
        None => {
            anomalies.push(anomaly::NEGATIVE.to_owned());
            None
        }
    };
    // Imported history was reviewed in the old system: no anomaly checks.
    if let Some(consumption) = consumption
        && actual
        && reading.source != Source::Import
    {
        let since = prior
            .as_ref()
            .map(|p| p.read_on)
            .unwrap_or(meter.installed_on);
        let days = (read_on - since).num_days().max(1);
        let past = history(connection, reading.account_id, 3)?;
        anomalies.extend(
            check(rules, consumption, days, &past)
                .into_iter()
                .map(str::to_owned),
        );
    }
    let status = if anomalies.is_empty() {
        "valid"
    } else {
        "anomaly"
    };
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let inserted: Option<Id> = sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, previous_id, \
            consumption, status, anomalies, recorded_by, idempotency_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (meter_id, read_at) WHERE source = 'iot' DO NOTHING RETURNING id",
    )
    .bind::<BigInt, _>(reading.account_id)
    .bind::<BigInt, _>(meter.id)
    .bind::<Timestamptz, _>(reading.read_at)
    .bind::<Date, _>(read_on)
    .bind::<Numeric, _>(reading.value)
    .bind::<Text, _>(reading.source.as_str())
    .bind::<Nullable<BigInt>, _>(prior.as_ref().map(|p| p.id))
    .bind::<Nullable<Numeric>, _>(consumption)
    .bind::<Text, _>(status)
    .bind::<Array<Text>, _>(&anomalies)
    .bind::<Text, _>(&actor.username)
    .bind::<Nullable<Text>, _>(reading.idempotency_key.as_deref())
    .get_result(connection)
    .optional()?;
    match inserted {
        Some(Id { id }) => Ok(Recorded {
            id,
            status: status.to_owned(),
            consumption,
            anomalies,
            duplicate: false,
        }),
        // The IoT feed sent this meter and moment before.
        None => {
            let existing: Existing = sql_query(
                "SELECT id, status, consumption, anomalies, value, read_at FROM meter_readings \
                 WHERE meter_id = $1 AND read_at = $2 AND source = 'iot'",
            )
            .bind::<BigInt, _>(meter.id)
            .bind::<Timestamptz, _>(reading.read_at)
            .get_result(connection)?;
            if existing.value != reading.value {
                return Err(Error::AlreadyExists(format!(
                    "the feed sent {} for this meter at {} before, now {}",
                    existing.value, reading.read_at, reading.value
                )));
            }
            Ok(Recorded {
                id: existing.id,
                status: existing.status,
                consumption: existing.consumption,
                anomalies: existing.anomalies,
                duplicate: true,
            })
        }
    }
}

/// What a reviewer decides about a reading in the anomaly queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// The reading is right (a real spike, a holiday home): bill it.
    Approve,
    /// The reading is wrong and is not billed.
    Reject,
    /// Someone goes back to read the meter again.
    Reread,
}

/// Moves a reading out of the anomaly queue. `version` is what the
/// reviewer saw.
pub fn review(
    connection: &mut PgConnection,
    actor: &Actor,
    reading_id: i64,
    version: i32,
    decision: Review,
    note: &str,
) -> Result<()> {
    if note.trim().is_empty() && decision != Review::Approve {
        return Err(Error::invalid("note", "say why"));
    }
    let status = match decision {
        Review::Approve => "approved",
        Review::Reject => "rejected",
        Review::Reread => "reread",
    };
    connection.transaction(|connection| {
        #[derive(QueryableByName)]
        struct Current {
            #[diesel(sql_type = Text)]
            status: String,
            #[diesel(sql_type = Integer)]
            version: i32,
            #[diesel(sql_type = Text)]
            reviewed_by: String,
        }
        let current: Current = sql_query(
            "SELECT status, version, reviewed_by FROM meter_readings WHERE id = $1 FOR UPDATE",
        )
        .bind::<BigInt, _>(reading_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("reading {reading_id}")))?;
        if current.version != version {
            return Err(Error::StaleVersion(format!(
                "reading {reading_id} was reviewed by {} meanwhile",
                current.reviewed_by
            )));
        }
        if current.status != "anomaly" && current.status != "reread" {
            return Err(Error::Refused(format!(
                "reading {reading_id} is {}; only readings in the anomaly queue are reviewed",
                current.status
            )));
        }
        if current.status == "reread" && decision == Review::Reread {
            return Err(Error::Refused(format!(
                "a re-read of reading {reading_id} is already ordered"
            )));
        }
        sql_query(
            "UPDATE meter_readings SET status = $2, reviewed_by = $3, reviewed_at = now(), \
             review_note = $4, version = version + 1 WHERE id = $1",
        )
        .bind::<BigInt, _>(reading_id)
        .bind::<Text, _>(status)
        .bind::<Text, _>(&actor.username)
        .bind::<Text, _>(note.trim())
        .execute(connection)?;
        Ok(())
    })
}

/// One reading of the anomaly queue.
#[derive(Debug, Clone, QueryableByName)]
pub struct QueuedReading {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub account_no: String,
    #[diesel(sql_type = Text)]
    pub customer_name: String,
    #[diesel(sql_type = Date)]
    pub read_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    pub value: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub consumption: Option<Decimal>,
    #[diesel(sql_type = Array<Text>)]
    pub anomalies: Vec<String>,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub version: i32,
}

/// Readings waiting for review (anomalies and ordered re-reads), oldest first.
pub fn queue(connection: &mut PgConnection, limit: i64) -> Result<Vec<QueuedReading>> {
    Ok(sql_query(
        "SELECT r.id, r.account_id, a.account_no, c.name AS customer_name, r.read_on, r.value, \
                r.consumption, r.anomalies, r.source, r.status, r.version \
         FROM meter_readings r JOIN accounts a ON a.id = r.account_id \
         JOIN customers c ON c.id = a.customer_id \
         WHERE r.status IN ('anomaly', 'reread') ORDER BY r.id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(connection)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn rollover_is_read_across_the_register() {
        assert_eq!(
            register_consumption(d("99990"), d("12"), 5),
            Some((d("22"), true))
        );
        assert_eq!(
            register_consumption(d("100"), d("150.5"), 5),
            Some((d("50.5"), false))
        );
        // Reading 40 after 60 on a 5-digit register would be 99,980 m³: a
        // wrong reading, not a rollover.
        assert_eq!(register_consumption(d("60"), d("40"), 5), None);
    }

    #[test]
    fn spikes_drops_and_zero_streaks_against_history() {
        let rules = Rules::default();
        let history = [(d("30"), 30), (d("33"), 31), (d("27"), 30)];
        assert!(check(&rules, d("31"), 30, &history).is_empty());
        assert_eq!(check(&rules, d("120"), 30, &history), ["spike"]);
        assert_eq!(check(&rules, d("5"), 30, &history), ["drop"]);
        // Small volumes do not raise alarms.
        let small = [(d("1"), 30), (d("1"), 30)];
        assert!(check(&rules, d("4"), 30, &small).is_empty());
        let zeros = [(d("0"), 30), (d("0"), 30)];
        assert_eq!(check(&rules, d("0"), 30, &zeros), ["zero_streak"]);
        assert!(check(&rules, d("0"), 30, &[(d("0"), 30)]).is_empty());
    }
}

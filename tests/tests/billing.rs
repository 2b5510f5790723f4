//! Readings and billing runs against a real PostgreSQL: hand-computed
//! Beijing bills that continue the annual tier counter, rollover and meter
//! replacement, an anomaly that blocks billing until reviewed, estimates
//! corrected by reversal when the actual reading comes, and runs that bill
//! each account once however often they are started.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_server::{
    archive::{
        Actor,
        input::{ContractData, MeterData},
        lifecycle::{self, CustomerRef, OpenAccount, Replacement},
        seed,
    },
    billing::{
        readings::{self, NewReading, Review, Rules, Source},
        run::{self, Period, Scope, Settings},
        tariffs,
    },
    pii::PiiKeys,
};
use gascis_testkit::TestDb;
use rust_decimal::Decimal;

fn actor() -> Actor {
    Actor {
        user_id: None,
        username: "zhangmin".to_owned(),
    }
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

/// Noon in Beijing on `date`.
fn at(date: &str) -> DateTime<Utc> {
    let noon = day(date).and_hms_opt(4, 0, 0).unwrap_or_default();
    Utc.from_utc_datetime(&noon)
}

/// A residential account with a mechanical meter of `digits` digits.
fn open(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    serial: u64,
    digits: i32,
    initial: &str,
) -> anyhow::Result<i64> {
    let mut data = seed::synthetic(serial);
    data.customer.customer_type = "residential";
    Ok(lifecycle::open_account(
        connection,
        keys,
        &actor(),
        &OpenAccount {
            customer: CustomerRef::New(data.customer),
            premise: data.premise,
            meter: MeterData {
                meter_no: format!("JK{serial:08}"),
                meter_type: "mechanical",
                maker: "金卡".into(),
                model: "JK-G2.5".into(),
                size: "G2.5".into(),
                digits,
                initial_reading: d(initial),
                card_no: None,
            },
            contract: ContractData {
                contract_no: None,
                signed_on: Some(day("2024-01-01")),
                gas_purpose: "cooking",
                price_policy: "residential".into(),
            },
            household_size: Some(3),
            low_income: false,
            opened_on: Some(day("2024-01-01")),
            idempotency_key: None,
        },
    )?)
}

fn read(
    connection: &mut PgConnection,
    account_id: i64,
    value: &str,
    date: &str,
) -> anyhow::Result<readings::Recorded> {
    Ok(readings::record(
        connection,
        &actor(),
        &Rules::default(),
        &NewReading {
            account_id,
            value: d(value),
            read_at: at(date),
            source: Source::Manual,
            idempotency_key: None,
        },
    )?)
}

fn bill_run(connection: &mut PgConnection, period: &str, estimate: bool) -> anyhow::Result<i64> {
    let settings = Settings {
        chunk_size: 2,
        ..Settings::default()
    };
    let run = run::start(
        connection,
        &actor(),
        Period::parse(period)?,
        &Scope::All,
        estimate,
        &settings,
    )?;
    run::work(connection, &actor(), run.id, "test", &settings, &|_| {})?;
    Ok(run.id)
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Bill {
    #[diesel(sql_type = diesel::sql_types::Text)]
    period: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    revision: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    volume: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    amount: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    estimated: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    cancelled: bool,
}

fn bills(connection: &mut PgConnection, account_id: i64) -> anyhow::Result<Vec<Bill>> {
    Ok(sql_query(
        "SELECT period, revision, volume::text AS volume, amount::text AS amount, estimated, cancelled \
         FROM bills WHERE account_id = $1 ORDER BY period, revision",
    )
    .bind::<BigInt, _>(account_id)
    .load(connection)?)
}

fn bill(period: &str, revision: i32, volume: &str, amount: &str) -> Bill {
    Bill {
        period: period.into(),
        revision,
        volume: volume.into(),
        amount: amount.into(),
        estimated: false,
        cancelled: false,
    }
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

fn receivable(connection: &mut PgConnection, account_id: i64) -> anyhow::Result<String> {
    let sum: Sum = sql_query(
        "SELECT coalesce(sum(amount), 0)::text AS value FROM ledger_lines \
         WHERE account_id = $1 AND book = 'receivable'",
    )
    .bind::<BigInt, _>(account_id)
    .get_result(connection)?;
    Ok(sum.value)
}

#[test]
fn beijing_bills_continue_the_annual_tier_counter_and_bill_once() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let a = open(&mut connection, &keys, 1, 5, "0")?;
    let b = open(&mut connection, &keys, 2, 5, "1000")?;
    let unread = open(&mut connection, &keys, 3, 5, "0")?;
    read(&mut connection, a, "120", "2024-01-31")?;
    read(&mut connection, b, "1400", "2024-01-30")?;
    let january = bill_run(&mut connection, "2024-01", false)?;
    // 120 × 2.61 = 313.20; 400 = 350 × 2.61 + 50 × 2.83 = 913.50 + 141.50.
    assert_eq!(
        bills(&mut connection, a)?,
        [bill("2024-01", 0, "120.000", "313.20")]
    );
    assert_eq!(
        bills(&mut connection, b)?,
        [bill("2024-01", 0, "400.000", "1055.00")]
    );
    assert!(bills(&mut connection, unread)?.is_empty());
    assert_eq!(
        run::skip_reasons(&mut connection, january)?,
        [("no reading this period".to_owned(), 1)]
    );
    // The counter goes on: 120 m³ used, so 230 more at tier 1, then tier 2.
    read(&mut connection, a, "400", "2024-02-29")?;
    read(&mut connection, b, "1600", "2024-02-29")?;
    bill_run(&mut connection, "2024-02", false)?;
    let february = bills(&mut connection, a)?;
    // 230 × 2.61 + 50 × 2.83 = 600.30 + 141.50 = 741.80.
    assert_eq!(february[1], bill("2024-02", 0, "280.000", "741.80"));
    // b goes from 400 to 600 m³: 100 × 2.83 + 100 × 4.23 = 283.00 + 423.00.
    assert_eq!(
        bills(&mut connection, b)?[1],
        bill("2024-02", 0, "200.000", "706.00")
    );
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    let lines: Vec<Line> = sql_query(
        "SELECT l.kind || ' ' || coalesce(l.tier::text, '-') || ' ' || l.volume || ' × ' || \
                l.unit_price || ' = ' || l.amount || ' (' || l.version_effective_from || ', ' || \
                l.from_date || '..' || l.to_date || ')' AS text \
         FROM bill_lines l JOIN bills b ON b.id = l.bill_id \
         WHERE b.account_id = $1 AND b.period = '2024-02' ORDER BY l.line_no",
    )
    .bind::<BigInt, _>(a)
    .load(&mut connection)?;
    let lines: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        lines,
        [
            "tier 1 230.000 × 2.6100 = 600.30 (2019-01-01, 2024-02-01..2024-02-29)",
            "tier 2 50.000 × 2.8300 = 141.50 (2019-01-01, 2024-02-01..2024-02-29)",
        ]
    );
    // Starting the period again bills nobody twice.
    bill_run(&mut connection, "2024-02", false)?;
    bill_run(&mut connection, "2024-01", false)?;
    assert_eq!(bills(&mut connection, a)?.len(), 2);
    assert_eq!(receivable(&mut connection, a)?, "1055.00");
    assert_eq!(receivable(&mut connection, b)?, "1761.00");
    // The bill's VAT split is in the ledger: revenue + VAT = receivable.
    let balance: Sum = sql_query(
        "SELECT coalesce(sum(amount), 0)::text AS value FROM ledger_lines l \
         JOIN ledger_transactions t ON t.id = l.transaction_id WHERE t.kind = 'bill'",
    )
    .get_result(&mut connection)?;
    assert_eq!(balance.value, "0.00");
    Ok(())
}

#[test]
fn rollover_and_meter_replacement_are_read_across() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let rolled = open(&mut connection, &keys, 11, 4, "9950")?;
    let recorded = read(&mut connection, rolled, "30", "2024-01-31")?;
    assert_eq!(recorded.consumption, Some(d("80")));
    assert_eq!(recorded.status, "valid");

    let replaced = open(&mut connection, &keys, 12, 5, "100")?;
    read(&mut connection, replaced, "150", "2024-01-31")?;
    bill_run(&mut connection, "2024-01", false)?;
    // The old meter ran to 170 and came off; the new one starts at 5.
    lifecycle::replace_meter(
        &mut connection,
        &actor(),
        &Replacement {
            account_id: replaced,
            expected_version: 1,
            old_final_reading: d("170"),
            new_meter: MeterData {
                meter_no: "NEW00012".into(),
                meter_type: "mechanical",
                maker: "金卡".into(),
                model: "JK-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                initial_reading: d("5"),
                card_no: None,
            },
            replaced_on: Some(day("2024-02-10")),
            reason: "表具损坏".into(),
        },
    )?;
    let after = read(&mut connection, replaced, "35", "2024-02-29")?;
    // 20 on the old meter + 30 on the new one.
    assert_eq!(after.consumption, Some(d("50")));
    bill_run(&mut connection, "2024-02", false)?;
    assert_eq!(
        bills(&mut connection, replaced)?[1],
        bill("2024-02", 0, "50.000", "130.50")
    );
    // Lower than before and no plausible rollover: refused to billing.
    let wrong = read(&mut connection, replaced, "20", "2024-03-31")?;
    assert_eq!(wrong.status, "anomaly");
    assert_eq!(wrong.anomalies, ["negative"]);
    Ok(())
}

#[test]
fn an_anomaly_blocks_billing_until_reviewed() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let account = open(&mut connection, &keys, 21, 5, "0")?;
    for (value, date) in [
        ("30", "2024-01-31"),
        ("60", "2024-02-29"),
        ("90", "2024-03-31"),
    ] {
        assert_eq!(read(&mut connection, account, value, date)?.status, "valid");
    }
    // Ten times the usual month.
    let spike = read(&mut connection, account, "390", "2024-04-30")?;
    assert_eq!(
        (spike.status.as_str(), spike.anomalies.clone()),
        ("anomaly", vec!["spike".to_owned()])
    );
    let april = bill_run(&mut connection, "2024-04", false)?;
    assert!(bills(&mut connection, account)?.is_empty());
    assert_eq!(
        run::skip_reasons(&mut connection, april)?,
        [("a reading waits in the anomaly queue".to_owned(), 1)]
    );
    let queue = readings::queue(&mut connection, 10)?;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].id, spike.id);
    // A reject needs a reason; the reviewer confirms the reading instead.
    assert!(
        readings::review(
            &mut connection,
            &actor(),
            spike.id,
            queue[0].version,
            Review::Reject,
            " "
        )
        .is_err()
    );
    readings::review(
        &mut connection,
        &actor(),
        spike.id,
        queue[0].version,
        Review::Approve,
        "用户家中装修施工，用气属实",
    )?;
    // A second decision on the old version is stale.
    assert!(
        readings::review(
            &mut connection,
            &actor(),
            spike.id,
            queue[0].version,
            Review::Reread,
            "复抄"
        )
        .is_err()
    );
    bill_run(&mut connection, "2024-04", false)?;
    // 390 m³ since the meter was fitted, billed once: 350 × 2.61 + 40 × 2.83.
    assert_eq!(
        bills(&mut connection, account)?,
        [bill("2024-04", 0, "390.000", "1026.70")]
    );
    Ok(())
}

#[test]
fn estimates_are_replaced_by_reversal_when_the_actual_reading_comes() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let account = open(&mut connection, &keys, 31, 5, "0")?;
    read(&mut connection, account, "31", "2024-01-31")?;
    bill_run(&mut connection, "2024-01", false)?;
    // No reading in February: estimated at 1 m³ a day × 29 days.
    let february = bill_run(&mut connection, "2024-02", true)?;
    assert!(run::skip_reasons(&mut connection, february)?.is_empty());
    let estimated = bills(&mut connection, account)?;
    assert_eq!(estimated.len(), 2);
    assert!(estimated[1].estimated);
    assert_eq!(
        (estimated[1].volume.as_str(), estimated[1].amount.as_str()),
        ("29.000", "75.69")
    );
    // The real reading at the end of March: 100 m³ since January.
    read(&mut connection, account, "131", "2024-03-31")?;
    bill_run(&mut connection, "2024-03", false)?;
    let after = bills(&mut connection, account)?;
    assert_eq!(after.len(), 4, "{after:?}");
    assert_eq!(
        (
            after[2].period.as_str(),
            after[2].revision,
            after[2].cancelled,
            after[2].amount.as_str()
        ),
        ("2024-02", 1, true, "0.00")
    );
    // 100 × 2.61 = 261.00 for February and March together.
    assert_eq!(
        (
            after[3].period.as_str(),
            after[3].volume.as_str(),
            after[3].amount.as_str()
        ),
        ("2024-03", "100.000", "261.00")
    );
    // January 80.91 + March 261.00; the estimate is reversed in the ledger.
    assert_eq!(receivable(&mut connection, account)?, "341.91");
    Ok(())
}

#[test]
fn iot_readings_are_recorded_once_per_meter_and_moment() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    let account = open(&mut connection, &keys, 41, 6, "0")?;
    let feed = |value: &str| NewReading {
        account_id: account,
        value: d(value),
        read_at: at("2024-05-01"),
        source: Source::Iot,
        idempotency_key: None,
    };
    let first = readings::record(&mut connection, &actor(), &Rules::default(), &feed("12.5"))?;
    let again = readings::record(&mut connection, &actor(), &Rules::default(), &feed("12.5"))?;
    assert_eq!((again.id, again.duplicate), (first.id, true));
    let conflicting = readings::record(&mut connection, &actor(), &Rules::default(), &feed("13"));
    assert!(conflicting.is_err());
    Ok(())
}

#[test]
fn late_fees_accrue_on_what_is_still_owed_of_overdue_bills() -> anyhow::Result<()> {
    use gascis_common::tariff::{self, LateFeeRule, Rate};
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    let mut with_fees = tariff::preset("beijing-2019")?;
    with_fees.code = "beijing-late-fee".into();
    with_fees.versions[0].late_fees = vec![LateFeeRule {
        customer_types: Vec::new(),
        rate_per_day: Rate::try_from_decimal(d("0.001"))?,
        grace_days: 0,
        charge_grace_days_when_exceeded: false,
        minimum: None,
        cap: None,
        cap_of_principal: None,
    }];
    tariffs::publish(&mut connection, "test", &with_fees, "", day("2018-12-31"))?;
    tariffs::set_default(&mut connection, "beijing-late-fee")?;
    let account = open(&mut connection, &keys, 51, 5, "0")?;
    read(&mut connection, account, "120", "2024-01-31")?;
    bill_run(&mut connection, "2024-01", false)?;
    read(&mut connection, account, "400", "2024-02-29")?;
    bill_run(&mut connection, "2024-02", false)?;
    // Due 15 days after each period: 2024-02-15 and 2024-03-15.
    let fees = gascis_server::billing::late_fees::for_account(
        &mut connection,
        account,
        day("2024-03-31"),
    )?;
    let shown: Vec<(String, String, i64, String)> = fees
        .iter()
        .map(|f| {
            (
                f.period.clone(),
                f.unpaid.to_string(),
                f.days,
                f.fee.to_string(),
            )
        })
        .collect();
    // 313.20 × 0.1% × 45 = 14.094; 741.80 × 0.1% × 16 = 11.8688.
    assert_eq!(
        shown,
        [
            ("2024-01".into(), "313.20".into(), 45, "14.09".into()),
            ("2024-02".into(), "741.80".into(), 16, "11.87".into())
        ]
    );
    // 400.00 paid settles January first; 655.00 of February is still owed.
    let paid: gascis_common::Money = "400.00".parse()?;
    gascis_server::ledger::post(
        &mut connection,
        &gascis_server::ledger::NewTransaction {
            business_key: "payment:test-1",
            kind: "payment",
            account_id: Some(account),
            occurred_on: day("2024-03-20"),
            created_by: "test",
            memo: "",
            lines: vec![
                gascis_server::ledger::Line {
                    book: "cash",
                    account_id: None,
                    amount: paid,
                },
                gascis_server::ledger::Line {
                    book: "receivable",
                    account_id: Some(account),
                    amount: -paid,
                },
            ],
        },
    )?;
    let fees = gascis_server::billing::late_fees::for_account(
        &mut connection,
        account,
        day("2024-03-31"),
    )?;
    assert_eq!(fees.len(), 1);
    assert_eq!(
        (fees[0].unpaid.to_string(), fees[0].fee.to_string()),
        ("655.00".into(), "10.48".into())
    );
    // The presets carry no late-fee rule: a fee of zero, and why.
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let none = gascis_server::billing::late_fees::for_account(
        &mut connection,
        account,
        day("2024-03-31"),
    )?;
    assert_eq!(none[0].fee, gascis_common::Money::ZERO);
    assert!(
        none[0].note.contains("no late-fee rule"),
        "{}",
        none[0].note
    );
    Ok(())
}

#[test]
fn readings_brought_over_from_the_old_system_are_not_billed_again() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let account = open(&mut connection, &keys, 61, 5, "0")?;
    readings::record(
        &mut connection,
        &actor(),
        &Rules::default(),
        &NewReading {
            account_id: account,
            value: d("50"),
            read_at: at("2024-01-15"),
            source: Source::Import,
            idempotency_key: None,
        },
    )?;
    read(&mut connection, account, "80", "2024-01-31")?;
    bill_run(&mut connection, "2024-01", false)?;
    // 30 m³ since the imported reading, from the day after it.
    assert_eq!(
        bills(&mut connection, account)?,
        [bill("2024-01", 0, "30.000", "78.30")]
    );
    #[derive(QueryableByName)]
    struct From {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    let from: From = sql_query(
        "SELECT from_date::text || ' ' || coalesce(previous_value::text, '') AS text FROM bills WHERE account_id = $1",
    )
    .bind::<BigInt, _>(account)
    .get_result(&mut connection)?;
    assert_eq!(from.text, "2024-01-16 50.000");
    Ok(())
}

//! Prepaid meters against a real PostgreSQL: IC-card purchases by volume
//! and by amount written through the simulated card reader, a failed write
//! re-written (补气) without a second charge, a lost answer recognised from
//! the card, a card still holding gas refused, a re-issued card (补卡); IoT
//! daily charges by the tiers and the valve closed and reopened through the
//! simulated gateway, every command recorded.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::{PgConnection, QueryableByName, RunQueryDsl, sql_query, sql_types::BigInt};
use gascis_common::{
    Money,
    card::{CardReader, CardState, SimulatedCardReader},
    tariff::{PurchaseRequest, Volume},
};
use gascis_server::{
    archive::{
        Actor,
        input::{ContractData, MeterData},
        lifecycle::{self, CustomerRef, OpenAccount},
        seed,
    },
    billing::{
        readings::{self, NewReading, Rules, Source},
        tariffs,
    },
    ledger::{self, Line, NewTransaction},
    pii::PiiKeys,
    prepaid::{
        ic_card::{self, PurchaseOrder},
        iot::{self, SimulatedGateway},
    },
};
use gascis_testkit::TestDb;

fn actor() -> Actor {
    Actor {
        user_id: None,
        username: "wangfang".to_owned(),
    }
}

fn open(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    serial: u64,
    meter_type: &'static str,
    card_no: Option<&str>,
    opened_on: &str,
) -> anyhow::Result<i64> {
    let opened_on = NaiveDate::parse_from_str(opened_on, "%Y-%m-%d")?;
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
                meter_no: format!("PM{serial:08}"),
                meter_type,
                maker: "金卡".into(),
                model: "IC-G2.5".into(),
                size: "G2.5".into(),
                digits: 6,
                initial_reading: "0".parse()?,
                card_no: card_no.map(str::to_owned),
            },
            contract: ContractData {
                contract_no: None,
                signed_on: Some(opened_on),
                gas_purpose: "cooking",
                price_policy: "residential".into(),
            },
            household_size: Some(3),
            low_income: false,
            opened_on: Some(opened_on),
            idempotency_key: None,
        },
    )?)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(connection: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(sql_query(sql).get_result::<Count>(connection)?.n)
}

fn order(account_id: i64, card: CardState, request: PurchaseRequest, key: &str) -> PurchaseOrder {
    PurchaseOrder {
        account_id,
        card,
        request,
        channel: "cash".into(),
        idempotency_key: key.into(),
        counter: None,
    }
}

fn m3(n: i64) -> Volume {
    Volume::from_m3(n)
}

#[test]
fn ic_card_purchases_are_charged_once_and_written_once() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let account = open(
        &mut connection,
        &keys,
        1,
        "ic_card",
        Some("IC00000001"),
        "2024-01-01",
    )?;
    let mut reader = SimulatedCardReader::with_card(CardState {
        card_no: "IC00000001".into(),
        issue_count: 1,
        purchase_count: 0,
        gas_on_card: m3(0),
    });

    // 100 m³ at tier 1: 261.00.
    let first = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Volume(m3(100)),
            "k1",
        ),
    )?;
    assert_eq!(
        (first.seq, first.amount, first.cash_due),
        (1, "261.00".parse()?, "261.00".parse()?)
    );
    // A retry of the same attempt answers the same purchase.
    let retry = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Volume(m3(100)),
            "k1",
        ),
    )?;
    assert_eq!(retry.purchase_id, first.purchase_id);
    assert!(
        ic_card::purchase(
            &mut connection,
            &actor(),
            &order(
                account,
                reader.read()?,
                PurchaseRequest::Volume(m3(90)),
                "k1"
            ),
        )
        .is_err(),
        "same key, other content"
    );
    let written = reader.write_purchase(&first.card_no, first.seq, first.volume)?;
    assert!(ic_card::confirm_write(
        &mut connection,
        &actor(),
        first.purchase_id,
        Some(&written),
        None
    )?);

    // The gas is still on the card: no top-up until it is in the meter.
    let refused = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Volume(m3(10)),
            "k2",
        ),
    );
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not loaded into the meter")),
        "{refused:?}"
    );
    reader.load_into_meter();

    // By amount, walking from tier 1 into tier 2: 250 m³ × 2.61 = 652.50,
    // the remaining 147.50 buys 52.120 m³ at 2.83 (147.50 after rounding).
    let second = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Amount("800.00".parse()?),
            "k3",
        ),
    )?;
    assert_eq!(second.seq, 2);
    assert_eq!(second.volume, "302.120".parse::<Volume>()?);
    assert_eq!(second.amount, "800.00".parse::<Money>()?);
    let tiers: Vec<Option<u32>> = second.lines.iter().map(|l| l.0).collect();
    assert_eq!(tiers, [Some(1), Some(2)]);

    // The write fails: nothing is on the card, the next sale waits for 补气.
    reader.fail_next_writes(1);
    let failed = reader.write_purchase(&second.card_no, second.seq, second.volume);
    assert!(failed.is_err());
    assert!(!ic_card::confirm_write(
        &mut connection,
        &actor(),
        second.purchase_id,
        Some(&reader.read()?),
        Some("card moved")
    )?);
    let blocked = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Volume(m3(5)),
            "k4",
        ),
    );
    assert!(
        blocked
            .as_ref()
            .is_err_and(|e| e.to_string().contains("补气")),
        "{blocked:?}"
    );
    let again = ic_card::rewrite(&mut connection, &actor(), account, &reader.read()?)?;
    assert_eq!(
        (again.purchase_id, again.seq, again.volume),
        (second.purchase_id, 2, second.volume)
    );
    // This time the answer is lost, but the card shows the purchase arrived.
    reader.lose_next_answer();
    assert!(
        reader
            .write_purchase(&again.card_no, again.seq, again.volume)
            .is_err()
    );
    assert!(ic_card::confirm_write(
        &mut connection,
        &actor(),
        again.purchase_id,
        Some(&reader.read()?),
        Some("no answer")
    )?);
    assert_eq!(reader.read()?.gas_on_card, second.volume);
    // Charged once per purchase, whatever the writes did.
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'gas_purchase'"
        )?,
        2
    );
    assert_eq!(
        count(
            &mut connection,
            "SELECT count(*) AS n FROM card_operations WHERE outcome = 'failed'"
        )?,
        1
    );

    // 补卡 with a paid purchase that never reached the meter: the new card
    // carries it, and the old card is refused.
    reader.load_into_meter();
    let third = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(
            account,
            reader.read()?,
            PurchaseRequest::Volume(m3(20)),
            "k5",
        ),
    )?;
    let lost_card = reader.remove().ok_or_else(|| anyhow::anyhow!("no card"))?;
    let issue = ic_card::reissue(&mut connection, &actor(), account, "卡片丢失")?;
    assert_eq!(
        (issue.issue_count, issue.purchase_count, issue.gas),
        (2, third.seq, m3(20))
    );
    reader.issue(
        &issue.card_no,
        issue.issue_count,
        issue.purchase_count,
        issue.gas,
    )?;
    let old = ic_card::purchase(
        &mut connection,
        &actor(),
        &order(account, lost_card, PurchaseRequest::Volume(m3(5)), "k6"),
    );
    assert!(
        old.as_ref().is_err_and(|e| e.to_string().contains("补卡")),
        "{old:?}"
    );
    Ok(())
}

fn noon(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(4, 0, 0).unwrap_or_default())
}

fn top_up(
    connection: &mut PgConnection,
    account: i64,
    amount: &str,
    key: &str,
) -> anyhow::Result<()> {
    let amount: Money = amount.parse()?;
    ledger::post(
        connection,
        &NewTransaction {
            business_key: key,
            kind: "payment",
            account_id: Some(account),
            occurred_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default(),
            created_by: "test",
            memo: "top-up",
            lines: vec![
                Line {
                    book: "cash",
                    account_id: None,
                    amount,
                },
                Line {
                    book: ledger::book::PREPAYMENT,
                    account_id: Some(account),
                    amount: -amount,
                },
            ],
        },
    )?;
    Ok(())
}

#[test]
fn iot_readings_are_charged_and_the_valve_follows_the_balance() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let keys = PiiKeys::generate();
    let mut connection = db.app()?;
    tariffs::set_default(&mut connection, "beijing-2019")?;
    let account = open(&mut connection, &keys, 2, "iot", None, "2024-03-01")?;
    top_up(&mut connection, account, "100.00", "pay-1")?;
    let meter_no = "PM00000002";
    let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
    // Two days of 30 m³: 2 × 78.30 = 156.60 from a balance of 100.00.
    for (day, value) in [(1, "30"), (2, "60")] {
        readings::record(
            &mut connection,
            &actor(),
            &Rules::default(),
            &NewReading {
                account_id: account,
                value: value.parse()?,
                read_at: noon(start + Duration::days(day)),
                source: Source::Iot,
                idempotency_key: None,
            },
        )?;
    }
    assert_eq!(iot::charge_readings(&mut connection, &actor())?, 2);
    assert_eq!(
        iot::charge_readings(&mut connection, &actor())?,
        0,
        "charged once"
    );
    let balance = ledger::balances(&mut connection, account)?.prepayment;
    assert_eq!(balance, "-56.60".parse::<Money>()?);

    let mut gateway = SimulatedGateway::default();
    let day = start + Duration::days(2);
    // Within the grace period the valve stays open.
    let first = iot::enforce_valves(&mut connection, &mut gateway, day, 2, None)?;
    assert_eq!(first, iot::ValveSummary::default());
    assert!(gateway.is_open(meter_no));
    // Past it: the first attempt gets no answer and is tried again.
    gateway.stay_silent_next(1);
    let silent = iot::enforce_valves(
        &mut connection,
        &mut gateway,
        day + Duration::days(2),
        2,
        None,
    )?;
    assert_eq!(silent.unknown, 1);
    let closed = iot::enforce_valves(
        &mut connection,
        &mut gateway,
        day + Duration::days(2),
        2,
        None,
    )?;
    assert_eq!(closed.closed, 1);
    assert!(!gateway.is_open(meter_no));
    // A payment brings the balance back; the valve reopens.
    top_up(&mut connection, account, "200.00", "pay-2")?;
    let reopened = iot::enforce_valves(
        &mut connection,
        &mut gateway,
        day + Duration::days(3),
        2,
        Some(account),
    )?;
    assert_eq!(reopened.opened, 1);
    assert!(gateway.is_open(meter_no));
    #[derive(QueryableByName)]
    struct Command {
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    let commands: Vec<Command> =
        sql_query("SELECT command || ' ' || outcome AS text FROM valve_commands ORDER BY id")
            .load(&mut connection)?;
    let commands: Vec<&str> = commands.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        commands,
        ["close unknown", "close confirmed", "open confirmed"]
    );
    Ok(())
}

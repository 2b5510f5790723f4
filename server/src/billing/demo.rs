//! The demo company's billing: its own tariff (Shanghai's 2014 prices plus
//! demo values for what the city source lacks, labelled as such), route
//! books, a year of monthly readings billed month by month, a few readings
//! waiting in the anomaly queue, IC-card purchases and IoT daily charges.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Integer, Text},
};
use gascis_common::{
    Money,
    card::{CardReader, CardState, SimulatedCardReader},
    tariff::{
        self, CustomerType, CustomerTypePrice, LateFeeRule, PurchaseRequest, Rate, UnitPrice,
        Volume,
    },
};
use rust_decimal::Decimal;

use super::{
    readings::{self, NewReading, Rules, Source},
    run::{self, Period, Scope, Settings},
    tariffs,
};
use crate::{
    archive::Actor,
    error::{Error, Result},
    ledger::{self, Line, NewTransaction},
    prepaid::{ic_card, iot},
};

pub const DEMO_TARIFF: &str = "demo-company";

fn decimal(text: &str) -> Result<Decimal> {
    text.parse()
        .map_err(|e| Error::Internal(format!("demo value {text}: {e}")))
}

fn demo_tariff() -> Result<tariff::Tariff> {
    let mut demo = tariff::preset("shanghai-2014")
        .map_err(|e| Error::Internal(format!("demo tariff: {e}")))?;
    demo.code = DEMO_TARIFF.to_owned();
    demo.name = "示范燃气有限公司气价（上海2014阶梯价为基础）".to_owned();
    demo.notes.push(
        "Demo company only: the commercial (4.10) and industrial (3.90) prices and the late-fee rule \
         (0.1% a day after 30 days' grace, at most 30% of the bill) are demo values, not a city's."
            .to_owned(),
    );
    let price = |text: &str| {
        UnitPrice::try_from_decimal(decimal(text)?).map_err(|e| Error::Internal(e.to_string()))
    };
    for version in &mut demo.versions {
        version.customer_type_prices.push(CustomerTypePrice {
            customer_type: CustomerType::Commercial,
            price: Some(price("4.10")?),
            by_season: Vec::new(),
        });
        version.customer_type_prices.push(CustomerTypePrice {
            customer_type: CustomerType::Industrial,
            price: Some(price("3.90")?),
            by_season: Vec::new(),
        });
        version.late_fees.push(LateFeeRule {
            customer_types: Vec::new(),
            rate_per_day: Rate::try_from_decimal(decimal("0.001")?)
                .map_err(|e| Error::Internal(e.to_string()))?,
            grace_days: 30,
            charge_grace_days_when_exceeded: false,
            minimum: None,
            cap: None,
            cap_of_principal: Some(
                Rate::try_from_decimal(decimal("0.3")?)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            ),
        });
    }
    Ok(demo)
}

/// Seeds the demo's billing once (it does nothing when bills exist), in
/// one transaction. Returns the number of bills written.
pub fn seed(connection: &mut PgConnection, today: NaiveDate) -> Result<u64> {
    connection.transaction(|connection| seed_in(connection, today))
}

fn seed_in(connection: &mut PgConnection, today: NaiveDate) -> Result<u64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let runs: Count = sql_query("SELECT count(*) AS n FROM billing_runs").get_result(connection)?;
    if runs.n > 0 {
        return Ok(0);
    }
    let actor = Actor {
        user_id: None,
        username: "demo".to_owned(),
    };
    let demo = demo_tariff()?;
    let first_version = demo
        .versions
        .first()
        .map(|v| v.effective_from)
        .unwrap_or(today);
    tariffs::publish(
        connection,
        "demo",
        &demo,
        "示范公司气价",
        first_version - Duration::days(1),
    )?;
    tariffs::set_default(connection, DEMO_TARIFF)?;

    // One route book per district, walked by community, building and room.
    sql_query(
        "INSERT INTO route_books (code, name, area, reader) \
         SELECT 'RB-' || lpad(row_number() OVER (ORDER BY district)::text, 2, '0'), district || '抄表册', \
                district, 'field' \
         FROM (SELECT DISTINCT district FROM premises WHERE district <> '') d",
    )
    .execute(connection)?;
    sql_query(
        "UPDATE accounts a SET route_book_id = b.id, route_seq = x.seq \
         FROM (SELECT a2.id, row_number() OVER (PARTITION BY p.district \
                 ORDER BY p.community, p.building, p.unit, p.room, a2.id) AS seq, p.district \
               FROM accounts a2 JOIN premises p ON p.id = a2.premise_id) x \
         JOIN route_books b ON b.area = x.district WHERE x.id = a.id",
    )
    .execute(connection)?;

    // Twelve billed months before the current one, preceded by the reading
    // brought over from the old system.
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let mut periods = Vec::new();
    let mut month = this_month;
    for _ in 0..12 {
        month = (month - Duration::days(1)).with_day(1).unwrap_or(month);
        periods.push(month);
    }
    periods.reverse();
    let baseline = periods[0] - Duration::days(1);
    sql_query(
        "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, status, recorded_by) \
         SELECT a.id, m.id, ($1::timestamp + time '10:00') AT TIME ZONE 'Asia/Shanghai', $1, \
                m.initial_reading + 37 * (a.id % 11), 'import', 'valid', 'demo' \
         FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed \
         WHERE a.status <> 'closed' AND m.meter_type = 'mechanical' AND m.installed_on < $1",
    )
    .bind::<Date, _>(baseline)
    .execute(connection)?;
    let settings = Settings::default();
    let mut bills = 0_u64;
    for first in &periods {
        let period = Period::parse(&format!("{:04}-{:02}", first.year(), first.month()))?;
        // Heating months use more gas.
        let factor = match first.month() {
            12 | 1 | 2 => 2,
            11 | 3 => 1,
            _ => 0,
        };
        sql_query(
            "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, previous_id, \
                consumption, status, recorded_by) \
             SELECT a.id, m.id, ($1::timestamp + time '10:00') AT TIME ZONE 'Asia/Shanghai', $1, \
                    p.value + c.volume, 'manual', p.id, c.volume, 'valid', 'field' \
             FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed AND m.meter_type = 'mechanical' \
             JOIN customers cu ON cu.id = a.customer_id \
             CROSS JOIN LATERAL (SELECT r.id, r.value FROM meter_readings r WHERE r.account_id = a.id \
                 ORDER BY r.read_on DESC, r.id DESC LIMIT 1) p \
             CROSS JOIN LATERAL (SELECT ((8 + (a.id * 7 + $2 * 13) % 23 + $3 * (6 + a.id % 9)) \
                 * CASE WHEN cu.customer_type = 'residential' THEN 1 ELSE 6 END)::numeric AS volume) c \
             WHERE a.status <> 'closed'",
        )
        .bind::<Date, _>(period.last - Duration::days(i64::from(first.month() % 3)))
        .bind::<Integer, _>(i32::try_from(first.month()).unwrap_or(0))
        .bind::<Integer, _>(factor)
        .execute(connection)?;
        let started = run::start(connection, &actor, period, &Scope::All, false, &settings)?;
        run::work(connection, &actor, started.id, "demo", &settings, &|_| {})?;
        bills += run::progress(connection, started.id)?.bills;
    }

    // This month: a handful of readings far off the usual, waiting for review.
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let odd: Vec<Id> = sql_query(
        "SELECT a.id FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed \
           AND m.meter_type = 'mechanical' WHERE a.status = 'active' ORDER BY a.id LIMIT 8",
    )
    .load(connection)?;
    let read_at = (today.and_hms_opt(2, 0, 0).unwrap_or_default()).and_utc();
    for (index, account) in odd.iter().enumerate() {
        #[derive(QueryableByName)]
        struct Last {
            #[diesel(sql_type = diesel::sql_types::Numeric)]
            value: Decimal,
        }
        let last: Last = sql_query(
            "SELECT value FROM meter_readings WHERE account_id = $1 ORDER BY read_on DESC, id DESC LIMIT 1",
        )
        .bind::<BigInt, _>(account.id)
        .get_result(connection)?;
        // Even: ten times the usual month; odd: lower than last time.
        let value = if index % 2 == 0 {
            last.value + Decimal::from(400)
        } else {
            (last.value - Decimal::from(15)).max(Decimal::ZERO)
        };
        readings::record(
            connection,
            &Actor {
                user_id: None,
                username: "field".to_owned(),
            },
            &Rules::default(),
            &NewReading {
                account_id: account.id,
                value,
                read_at,
                source: Source::Manual,
                idempotency_key: None,
            },
        )?;
    }

    // IoT meters: an opening balance and a week of daily readings, charged.
    let week = today - Duration::days(7);
    let iot_accounts: Vec<Id> = sql_query(
        "SELECT a.id FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed \
           AND m.meter_type = 'iot' AND m.installed_on < $1 WHERE a.status = 'active' ORDER BY a.id LIMIT 40",
    )
    .bind::<Date, _>(week)
    .load(connection)?;
    for account in &iot_accounts {
        let opening: Money = if account.id % 5 == 0 {
            "20.00".parse()
        } else {
            "300.00".parse()
        }
        .map_err(|e: gascis_common::MoneyError| Error::Internal(e.to_string()))?;
        ledger::post(
            connection,
            &NewTransaction {
                business_key: &format!("demo:opening:{}", account.id),
                kind: "import_opening",
                account_id: Some(account.id),
                occurred_on: week,
                created_by: "demo",
                memo: "期初预存",
                lines: vec![
                    Line {
                        book: ledger::book::OPENING_EQUITY,
                        account_id: None,
                        amount: opening,
                    },
                    Line {
                        book: ledger::book::PREPAYMENT,
                        account_id: Some(account.id),
                        amount: -opening,
                    },
                ],
            },
        )?;
        sql_query(
            "INSERT INTO meter_readings (account_id, meter_id, read_at, read_on, value, source, status, recorded_by) \
             SELECT a.id, m.id, ($2::timestamp + time '10:00') AT TIME ZONE 'Asia/Shanghai', $2, \
                    m.initial_reading, 'iot', 'valid', 'iot' \
             FROM accounts a JOIN meters m ON m.account_id = a.id AND m.installed WHERE a.id = $1",
        )
        .bind::<BigInt, _>(account.id)
        .bind::<Date, _>(week)
        .execute(connection)?;
        for day in 1..=6 {
            let read_at = ((week + Duration::days(day))
                .and_hms_opt(2, 0, 0)
                .unwrap_or_default())
            .and_utc();
            #[derive(QueryableByName)]
            struct Last {
                #[diesel(sql_type = diesel::sql_types::Numeric)]
                value: Decimal,
            }
            let last: Last = sql_query(
                "SELECT value FROM meter_readings WHERE account_id = $1 ORDER BY read_on DESC, id DESC LIMIT 1",
            )
            .bind::<BigInt, _>(account.id)
            .get_result(connection)?;
            readings::record(
                connection,
                &Actor {
                    user_id: None,
                    username: "iot".to_owned(),
                },
                &Rules::default(),
                &NewReading {
                    account_id: account.id,
                    value: last.value + Decimal::new(1200 + (account.id % 7) * 150, 3),
                    read_at,
                    source: Source::Iot,
                    idempotency_key: None,
                },
            )?;
        }
    }
    iot::charge_readings(connection, &actor)?;
    let mut gateway = iot::SimulatedGateway::default();
    iot::enforce_valves(connection, &mut gateway, today, 3, None)?;

    // IC-card meters: one purchase each, written to the (simulated) card.
    #[derive(QueryableByName)]
    struct Card {
        #[diesel(sql_type = BigInt)]
        account_id: i64,
        #[diesel(sql_type = Text)]
        card_no: String,
        #[diesel(sql_type = Integer)]
        issue_count: i32,
    }
    let cards: Vec<Card> = sql_query(
        "SELECT k.account_id, k.card_no, k.issue_count FROM ic_cards k JOIN accounts a ON a.id = k.account_id \
         WHERE k.status = 'active' AND a.status = 'active' ORDER BY k.id LIMIT 30",
    )
    .load(connection)?;
    let cashier = Actor {
        user_id: None,
        username: "cashier".to_owned(),
    };
    for card in cards {
        let mut reader = SimulatedCardReader::with_card(CardState {
            card_no: card.card_no.clone(),
            issue_count: u32::try_from(card.issue_count).unwrap_or(1),
            purchase_count: 0,
            gas_on_card: Volume::from_m3(0),
        });
        let state = reader.read().map_err(|e| Error::Internal(e.to_string()))?;
        let purchase = ic_card::purchase(
            connection,
            &cashier,
            &ic_card::PurchaseOrder {
                account_id: card.account_id,
                card: state,
                request: PurchaseRequest::Volume(Volume::from_m3(20 + card.account_id % 5 * 10)),
                channel: "cash".to_owned(),
                idempotency_key: format!("demo-purchase-{}", card.account_id),
                counter: None,
            },
        )?;
        let written = reader
            .write_purchase(&purchase.card_no, purchase.seq, purchase.volume)
            .map_err(|e| Error::Internal(e.to_string()))?;
        ic_card::confirm_write(
            connection,
            &cashier,
            purchase.purchase_id,
            Some(&written),
            None,
        )?;
    }
    Ok(bills)
}

//! Billed accounts for the counter's and the notices' tests.

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use diesel::PgConnection;
use gascis_common::tariff;
use gascis_server::{
    archive::{
        Actor,
        input::{ContractData, MeterData},
        lifecycle::{self, CustomerRef, OpenAccount},
        seed,
    },
    billing::{
        readings::{self, NewReading, Rules, Source},
        run::{self, Period, Scope},
        tariffs,
    },
    pii::PiiKeys,
};
use rust_decimal::Decimal;

fn day(text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("date {text}"))
}

fn decimal(text: &str) -> anyhow::Result<Decimal> {
    text.parse().with_context(|| format!("decimal {text}"))
}

/// An account (a residential customer 王小芳 with the synthetic phone of
/// `serial`) billed for 2024-01 (120 m³, 313.20, due 2024-02-15) and
/// 2024-02 (280 m³, 741.80, due 2024-03-15) under Beijing's prices with a
/// late fee of 0.1 % a day; its personal data encrypted with `keys`.
pub fn billed_account(
    connection: &mut PgConnection,
    keys: &PiiKeys,
    serial: u64,
) -> anyhow::Result<i64> {
    let actor = Actor {
        user_id: None,
        username: "zhangmin".to_owned(),
    };
    let mut with_fees = tariff::preset("beijing-2019")?;
    with_fees.code = "beijing-late-fee".into();
    with_fees.versions[0].late_fees = vec![tariff::LateFeeRule {
        customer_types: Vec::new(),
        rate_per_day: tariff::Rate::try_from_decimal(decimal("0.001")?)?,
        grace_days: 0,
        charge_grace_days_when_exceeded: false,
        minimum: None,
        cap: None,
        cap_of_principal: None,
    }];
    tariffs::publish(connection, "test", &with_fees, "", day("2018-12-31")?)?;
    tariffs::set_default(connection, "beijing-late-fee")?;
    let mut data = seed::synthetic(serial);
    data.customer.customer_type = "residential";
    data.customer.name = "王小芳".to_owned();
    let account = lifecycle::open_account(
        connection,
        keys,
        &actor,
        &OpenAccount {
            customer: CustomerRef::New(data.customer),
            premise: data.premise,
            meter: MeterData {
                meter_no: format!("JK{serial:08}"),
                meter_type: "mechanical",
                maker: "金卡".into(),
                model: "JK-G2.5".into(),
                size: "G2.5".into(),
                digits: 5,
                initial_reading: decimal("0")?,
                card_no: None,
            },
            contract: ContractData {
                contract_no: None,
                signed_on: Some(day("2024-01-01")?),
                gas_purpose: "cooking",
                price_policy: "residential".into(),
            },
            household_size: Some(3),
            low_income: false,
            opened_on: Some(day("2024-01-01")?),
            idempotency_key: None,
        },
    )?;
    for (value, date, period) in [
        ("120", "2024-01-31", "2024-01"),
        ("400", "2024-02-29", "2024-02"),
    ] {
        let read_at =
            Utc.from_utc_datetime(&day(date)?.and_hms_opt(4, 0, 0).context("a time of day")?);
        readings::record(
            connection,
            &actor,
            &Rules::default(),
            &NewReading {
                account_id: account,
                value: decimal(value)?,
                read_at,
                source: Source::Manual,
                idempotency_key: None,
            },
        )?;
        let settings = run::Settings::default();
        let started = run::start(
            connection,
            &actor,
            Period::parse(period)?,
            &Scope::All,
            false,
            &settings,
        )?;
        run::work(connection, &actor, started.id, "test", &settings, &|_| {})?;
    }
    Ok(account)
}

//! The customer archive (客户档案): accounts, their customers, premises,
//! meters, contracts and IC cards, with every change recorded.
//!
//! Each public function is one transaction on the connection it is given.
//! Lifecycle functions first bump the account's version with
//! `UPDATE … WHERE version = expected`: that row lock serialises concurrent
//! edits of one account, and the loser sees a stale version, never a lost
//! update.

pub mod detail;
pub mod input;
pub mod lifecycle;
pub mod search;
pub mod seed;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use gascis_common::masking;
use rust_decimal::Decimal;

use crate::{
    error::{Error, Result},
    pii::{Field, PiiKeys},
    schema::{accounts, change_records, customers, meters},
};

/// Who makes a change, for change records.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: i64,
    pub account_no: String,
    pub customer_id: i64,
    pub premise_id: i64,
    pub status: String,
    pub low_income: bool,
    pub tariff_code: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub version: i32,
    pub notices_opt_out: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct CustomerRow {
    pub id: i64,
    pub party_kind: String,
    pub customer_type: String,
    pub name: String,
    pub id_type: String,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_masked: String,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_masked: String,
    pub phone2_enc: Option<Vec<u8>>,
    pub phone2_masked: String,
    pub version: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meters)]
pub struct MeterRow {
    pub id: i64,
    pub meter_no: String,
    pub meter_type: String,
    pub maker: String,
    pub model: String,
    pub size: String,
    pub digits: i32,
    pub installed_on: NaiveDate,
    pub initial_reading: Decimal,
    pub account_id: Option<i64>,
    pub installed: bool,
    pub version: i32,
}

/// Encrypted form, lookup hash and mask of one personal value.
pub struct Protected {
    pub encrypted: Vec<u8>,
    pub hash: Vec<u8>,
    pub masked: String,
}

pub fn protect_id_number(keys: &PiiKeys, value: &str) -> Protected {
    Protected {
        encrypted: keys.encrypt(Field::IdNumber, value),
        hash: keys.lookup_hash(Field::IdNumber, value),
        masked: masking::mask_id_number(value),
    }
}

pub fn protect_phone(keys: &PiiKeys, value: &str) -> Protected {
    Protected {
        encrypted: keys.encrypt(Field::Phone, value),
        hash: keys.lookup_hash(Field::Phone, value),
        masked: masking::mask_phone(value),
    }
}

pub fn load_account(connection: &mut PgConnection, account_id: i64) -> Result<AccountRow> {
    accounts::table
        .find(account_id)
        .select(AccountRow::as_select())
        .first(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no account with id {account_id}")))
}

pub fn load_customer(connection: &mut PgConnection, customer_id: i64) -> Result<CustomerRow> {
    customers::table
        .find(customer_id)
        .select(CustomerRow::as_select())
        .first(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("no customer with id {customer_id}")))
}

/// The user who last changed a row, to name them in a conflict message.
fn last_changed_by(connection: &mut PgConnection, entity: &str, entity_id: i64) -> String {
    change_records::table
        .filter(change_records::entity.eq(entity))
        .filter(change_records::entity_id.eq(entity_id))
        .order(change_records::id.desc())
        .select((change_records::username, change_records::at))
        .first::<(String, DateTime<Utc>)>(connection)
        .map(|(user, at)| format!(" by {user} at {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_default()
}

pub fn stale(connection: &mut PgConnection, entity: &str, entity_id: i64, label: &str) -> Error {
    let by = last_changed_by(connection, entity, entity_id);
    Error::StaleVersion(format!(
        "{label} was changed{by} since you opened it; reload it and make your change again"
    ))
}

/// Bumps the account's version if it is still `expected`; the row stays
/// locked until the transaction ends.
pub fn claim_account(
    connection: &mut PgConnection,
    account_id: i64,
    expected: i32,
) -> Result<AccountRow> {
    let claimed = diesel::update(
        accounts::table
            .filter(accounts::id.eq(account_id))
            .filter(accounts::version.eq(expected)),
    )
    .set((
        accounts::version.eq(accounts::version + 1),
        accounts::updated_at.eq(Utc::now()),
    ))
    .returning(AccountRow::as_returning())
    .get_result(connection)
    .optional()?;
    match claimed {
        Some(account) => Ok(account),
        None => {
            let account = load_account(connection, account_id)?;
            Err(stale(
                connection,
                "account",
                account_id,
                &format!("account {}", account.account_no),
            ))
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = change_records)]
pub struct NewChange<'a> {
    pub user_id: Option<i64>,
    pub username: &'a str,
    pub account_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub reason: &'a str,
    pub differences: Vec<String>,
    pub approved_by: &'a str,
}

pub fn record_change(connection: &mut PgConnection, change: NewChange<'_>) -> Result<()> {
    diesel::insert_into(change_records::table)
        .values(&change)
        .execute(connection)?;
    Ok(())
}

/// "field: before → after" when the value changes.
pub fn difference(field: &str, before: &str, after: &str) -> Option<String> {
    (before != after).then(|| {
        let show = |text: &str| {
            if text.is_empty() {
                "∅".to_owned()
            } else {
                text.to_owned()
            }
        };
        format!("{field}: {} → {}", show(before), show(after))
    })
}

/// Today in China (UTC+8), the business date of the counter.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

//! What prices one account: its tariff's latest published revision and the
//! attributes the tariff looks at. Runs load these set-wise per chunk; the
//! counter and prepaid meters price one account at a time with this.

use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Integer, Text},
};
use gascis_common::tariff::AccountAttributes;

use super::tariffs::{self, Published};
use crate::{
    db::Prepared,
    error::{Error, Result},
};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Bool)]
    low_income: bool,
    #[diesel(sql_type = Text)]
    tariff_code: String,
    #[diesel(sql_type = Text)]
    flat_class: String,
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = Integer)]
    household_size: i32,
}

pub fn for_account(
    connection: &mut PgConnection,
    account_id: i64,
    on: chrono::NaiveDate,
) -> Result<(Published, AccountAttributes)> {
    let row: Row = Prepared(sql_query(
        "SELECT c.customer_type, a.low_income, a.tariff_code, a.flat_class, \
                coalesce((SELECT k.gas_purpose FROM contracts k WHERE k.account_id = a.id \
                    ORDER BY k.id DESC LIMIT 1), 'cooking') AS purpose, \
                coalesce((SELECT r.household_size FROM household_registrations r WHERE r.account_id = a.id \
                    AND r.effective_from <= $2 ORDER BY r.effective_from DESC, r.id DESC LIMIT 1), 1) \
                    AS household_size \
         FROM accounts a JOIN customers c ON c.id = a.customer_id WHERE a.id = $1",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<diesel::sql_types::Date, _>(on))
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("account {account_id}")))?;
    let code = if row.tariff_code.is_empty() {
        #[derive(QueryableByName)]
        struct Default {
            #[diesel(sql_type = Text)]
            code: String,
        }
        Prepared(sql_query("SELECT code FROM tariffs WHERE is_default"))
            .get_result::<Default>(connection)
            .optional()?
            .map(|d| d.code)
            .ok_or_else(|| {
                Error::Refused(
                    "the account names no tariff and no default tariff is set".to_owned(),
                )
            })?
    } else {
        row.tariff_code.clone()
    };
    let published = tariffs::current(connection, &code)?;
    Ok((
        published,
        AccountAttributes {
            customer_type: super::customer_type(&row.customer_type),
            purpose: super::purpose_key(&row.purpose).to_owned(),
            household_size: u32::try_from(row.household_size).unwrap_or(1),
            low_income: row.low_income,
            flat_class: (!row.flat_class.is_empty()).then_some(row.flat_class),
        },
    ))
}

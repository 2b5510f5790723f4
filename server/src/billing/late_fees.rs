//! Late fees (滞纳金) on overdue bills, as of a day, by the rule of the
//! tariff version in force on each bill's due date. What is unpaid of each
//! bill follows from the receivable balance: payments settle the oldest
//! bills first, so the newest bills hold what is still owed. The counter
//! shows these figures and collects them (a fee is posted when collected,
//! not accrued into the ledger day by day).

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Numeric, Text},
};
use gascis_common::{Money, tariff};
use rust_decimal::Decimal;

use super::pricing;
use crate::{
    db::Prepared,
    error::{Error, Result},
    ledger,
};

/// The fee on one overdue bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateFee {
    pub bill_id: i64,
    pub period: String,
    pub due_on: NaiveDate,
    /// What is still owed of the bill.
    pub unpaid: Money,
    pub days: i64,
    pub fee: Money,
    /// Why there is no fee when there is none (no rule, within grace…).
    pub note: String,
}

/// A bill still (partly) unpaid, as the fee needs it.
#[derive(Debug, Clone, QueryableByName)]
pub struct OpenBill {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
}

/// The account's overdue bills with their fees on `as_of`, oldest first.
pub fn for_account(
    connection: &mut PgConnection,
    account_id: i64,
    as_of: NaiveDate,
) -> Result<Vec<LateFee>> {
    let arrears = ledger::balances(connection, account_id)?.arrears;
    if arrears == Money::ZERO {
        return Ok(Vec::new());
    }
    // Current revisions with an amount, newest first.
    let bills: Vec<OpenBill> = sql_query(
        "SELECT b.id, b.period, b.due_on, b.amount FROM bills b \
         WHERE b.account_id = $1 AND NOT b.cancelled AND b.amount > 0 \
           AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
               AND n.period = b.period AND n.revision > b.revision) \
         ORDER BY b.to_date DESC, b.id DESC",
    )
    .bind::<BigInt, _>(account_id)
    .load(connection)?;
    for_bills(connection, account_id, as_of, arrears, bills)
}

/// [`for_account`] for a caller that has read the account's arrears and
/// its current bills (newest first) already, as the counter has: the
/// tariff and the fees collected before are read only when a bill that is
/// still unpaid is overdue.
pub fn for_bills(
    connection: &mut PgConnection,
    account_id: i64,
    as_of: NaiveDate,
    arrears: Money,
    bills: Vec<OpenBill>,
) -> Result<Vec<LateFee>> {
    let mut context = None;
    let mut left = arrears.as_decimal();
    let mut fees = Vec::new();
    for bill in bills {
        if left <= Decimal::ZERO {
            break;
        }
        let unpaid = bill.amount.min(left);
        left -= unpaid;
        if bill.due_on >= as_of {
            continue;
        }
        if context.is_none() {
            let (published, attributes) = pricing::for_account(connection, account_id, as_of)?;
            context = Some((
                published,
                attributes,
                collected_fees(connection, account_id)?,
            ));
        }
        let Some((published, attributes, collected)) = &context else {
            continue;
        };
        let unpaid = Money::try_from_decimal(unpaid)
            .map_err(|e| Error::Internal(format!("unpaid amount: {e}")))?;
        let rule = published
            .tariff
            .version_at(bill.due_on)
            .and_then(|v| v.late_fee_rule(attributes.customer_type));
        let (days, fee, note) = match rule {
            None => (
                (as_of - bill.due_on).num_days(),
                Money::ZERO,
                format!("tariff '{}' has no late-fee rule", published.tariff.code),
            ),
            Some(rule) => {
                let days = tariff::chargeable_days(bill.due_on, as_of, rule);
                let fee = tariff::late_fee(unpaid, bill.due_on, as_of, rule)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let note = if days == 0 {
                    format!("within {} grace day(s)", rule.grace_days)
                } else {
                    format!("{} per day × {days} day(s)", rule.rate_per_day)
                };
                (days, fee, note)
            }
        };
        // The fee is figured afresh each day on what is still unpaid; what
        // the counter already collected of it is not owed twice.
        let already = collected
            .iter()
            .find(|(id, _)| *id == bill.id)
            .map(|(_, amount)| *amount)
            .unwrap_or(Money::ZERO);
        let (fee, note) = if already == Money::ZERO {
            (fee, note)
        } else {
            let left = fee.checked_sub(already).unwrap_or(Money::ZERO);
            let left = if left.is_negative() {
                Money::ZERO
            } else {
                left
            };
            (left, format!("{note}; {already} collected before"))
        };
        fees.push(LateFee {
            bill_id: bill.id,
            period: bill.period,
            due_on: bill.due_on,
            unpaid,
            days,
            fee,
            note,
        });
    }
    fees.reverse();
    Ok(fees)
}

/// Late fees collected per bill by payments that were not voided.
fn collected_fees(connection: &mut PgConnection, account_id: i64) -> Result<Vec<(i64, Money)>> {
    #[derive(QueryableByName)]
    struct Collected {
        #[diesel(sql_type = BigInt)]
        bill_id: i64,
        #[diesel(sql_type = Numeric)]
        amount: Decimal,
    }
    let rows: Vec<Collected> = Prepared(
        sql_query(
            "SELECT a.bill_id, sum(a.amount) AS amount FROM payment_allocations a \
         JOIN payments p ON p.id = a.payment_id \
         WHERE p.account_id = $1 AND p.status = 'posted' AND a.kind = 'late_fee' \
           AND NOT EXISTS (SELECT 1 FROM payment_voids v WHERE v.payment_id = p.id) \
         GROUP BY a.bill_id",
        )
        .bind::<BigInt, _>(account_id),
    )
    .load(connection)?;
    rows.into_iter()
        .map(|row| {
            Money::try_from_decimal(row.amount)
                .map(|amount| (row.bill_id, amount))
                .map_err(|e| Error::Internal(format!("collected late fee: {e}")))
        })
        .collect()
}

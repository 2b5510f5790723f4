//! Cashiers' shifts: one per cashier and business day, opened by the first
//! posting, closed (扎帐) with the cash counted and a supervisor's sign-off.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Nullable, Numeric, Text},
};
use gascis_common::Money;
use rust_decimal::Decimal;

use crate::{
    db::Prepared,
    error::{Error, Result},
};

/// A shift as stored, with names for display.
#[derive(Debug, Clone, QueryableByName)]
pub struct ShiftRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub cashier_id: i64,
    #[diesel(sql_type = Text)]
    pub cashier: String,
    #[diesel(sql_type = Text)]
    pub cashier_name: String,
    #[diesel(sql_type = Date)]
    pub business_date: NaiveDate,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub opened_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    pub closed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub counted_cash: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub expected_cash: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub cash_difference: Option<Decimal>,
    #[diesel(sql_type = Text)]
    pub difference_note: String,
    #[diesel(sql_type = Text)]
    pub supervisor: String,
}

const SELECT: &str = "SELECT s.id, s.cashier_id, u.username AS cashier, u.display_name AS cashier_name, \
     s.business_date, s.status, s.opened_at, s.closed_at, s.counted_cash, s.expected_cash, \
     s.cash_difference, s.difference_note, coalesce(v.username, '') AS supervisor \
     FROM shifts s JOIN users u ON u.id = s.cashier_id LEFT JOIN users v ON v.id = s.supervisor_id ";

/// The open shift a cashier posts into today, opened by the first posting;
/// held FOR SHARE until the caller's transaction ends, so a close waits.
pub fn open_for_posting(
    connection: &mut PgConnection,
    cashier_id: i64,
    business_date: NaiveDate,
) -> Result<i64> {
    Prepared(
        sql_query(
            "INSERT INTO shifts (cashier_id, business_date) VALUES ($1, $2) \
         ON CONFLICT (cashier_id, business_date) DO NOTHING",
        )
        .bind::<BigInt, _>(cashier_id)
        .bind::<Date, _>(business_date),
    )
    .execute(connection)?;
    let shift: ShiftRow = Prepared(
        sql_query(format!(
            "{SELECT} WHERE s.cashier_id = $1 AND s.business_date = $2 FOR SHARE OF s"
        ))
        .bind::<BigInt, _>(cashier_id)
        .bind::<Date, _>(business_date),
    )
    .get_result(connection)?;
    require_open(&shift)?;
    Ok(shift.id)
}

pub fn require_open(shift: &ShiftRow) -> Result<()> {
    if shift.status == "open" {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "the shift of {} on {} is closed (已扎帐); it takes no more postings",
            shift.cashier, shift.business_date
        )))
    }
}

pub fn by_id(connection: &mut PgConnection, shift_id: i64) -> Result<ShiftRow> {
    sql_query(format!("{SELECT} WHERE s.id = $1"))
        .bind::<BigInt, _>(shift_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("shift {shift_id}")))
}

/// A shift row locked FOR SHARE (postings into it) or FOR UPDATE (close).
pub fn lock(connection: &mut PgConnection, shift_id: i64, exclusive: bool) -> Result<ShiftRow> {
    let mode = if exclusive { "UPDATE" } else { "SHARE" };
    sql_query(format!("{SELECT} WHERE s.id = $1 FOR {mode} OF s"))
        .bind::<BigInt, _>(shift_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("shift {shift_id}")))
}

pub fn of_cashier(
    connection: &mut PgConnection,
    cashier_id: i64,
    business_date: NaiveDate,
) -> Result<Option<ShiftRow>> {
    Ok(sql_query(format!(
        "{SELECT} WHERE s.cashier_id = $1 AND s.business_date = $2"
    ))
    .bind::<BigInt, _>(cashier_id)
    .bind::<Date, _>(business_date)
    .get_result(connection)
    .optional()?)
}

pub fn of_day(connection: &mut PgConnection, business_date: NaiveDate) -> Result<Vec<ShiftRow>> {
    Ok(sql_query(format!(
        "{SELECT} WHERE s.business_date = $1 ORDER BY u.username"
    ))
    .bind::<Date, _>(business_date)
    .load(connection)?)
}

/// Count and amount of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTotal {
    pub channel: String,
    pub count: i64,
    /// Payments less voids and refunds.
    pub amount: Money,
}

/// What a shift took, as the till shows it and the close freezes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Till {
    pub channels: Vec<ChannelTotal>,
    pub payments: i64,
    pub received: Money,
    pub voids: i64,
    pub voided: Money,
    pub refunds: i64,
    pub refunded: Money,
    /// IC-card gas sold (购气), and the money the channels took for it
    /// (a sale paid wholly from prepayment brings none).
    pub gas_sales: i64,
    pub gas_sold: Money,
    /// Payments and gas sales less voids and refunds.
    pub net: Money,
    pub expected_cash: Money,
}

fn money(value: Decimal, what: &str) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

pub fn till(connection: &mut PgConnection, shift_id: i64) -> Result<Till> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        what: String,
        #[diesel(sql_type = Text)]
        channel: String,
        #[diesel(sql_type = BigInt)]
        count: i64,
        #[diesel(sql_type = Numeric)]
        amount: Decimal,
    }
    // Voids count in the shift of the payment they void (a void is only
    // possible while that shift is open), refunds in their own.
    let rows: Vec<Row> = sql_query(
        "SELECT p.kind AS what, p.channel, count(*) AS count, sum(p.amount) AS amount \
         FROM payments p WHERE p.shift_id = $1 AND p.status = 'posted' GROUP BY p.kind, p.channel \
         UNION ALL \
         SELECT 'void' AS what, p.channel, count(*) AS count, sum(p.amount) AS amount \
         FROM payment_voids v JOIN payments p ON p.id = v.payment_id \
         WHERE v.shift_id = $1 GROUP BY p.channel \
         UNION ALL \
         SELECT CASE WHEN g.cash_due > 0 THEN 'sale' ELSE 'sale_from_prepayment' END AS what, \
            g.channel, count(*) AS count, sum(g.cash_due) AS amount \
         FROM gas_purchases g WHERE g.shift_id = $1 GROUP BY 1, g.channel",
    )
    .bind::<BigInt, _>(shift_id)
    .load(connection)?;
    let mut till = Till {
        channels: Vec::new(),
        payments: 0,
        received: Money::ZERO,
        voids: 0,
        voided: Money::ZERO,
        refunds: 0,
        refunded: Money::ZERO,
        gas_sales: 0,
        gas_sold: Money::ZERO,
        net: Money::ZERO,
        expected_cash: Money::ZERO,
    };
    let overflow = || Error::Internal("till overflow".to_owned());
    for channel in super::CHANNELS {
        let mut total = ChannelTotal {
            channel: (*channel).to_owned(),
            count: 0,
            amount: Money::ZERO,
        };
        for row in rows.iter().filter(|row| row.channel == *channel) {
            let amount = money(row.amount, "till")?;
            match row.what.as_str() {
                "payment" => {
                    till.payments += row.count;
                    till.received = till.received.checked_add(amount).ok_or_else(overflow)?;
                    total.count += row.count;
                    total.amount = total.amount.checked_add(amount).ok_or_else(overflow)?;
                }
                "sale" => {
                    till.gas_sales += row.count;
                    till.gas_sold = till.gas_sold.checked_add(amount).ok_or_else(overflow)?;
                    total.count += row.count;
                    total.amount = total.amount.checked_add(amount).ok_or_else(overflow)?;
                }
                "sale_from_prepayment" => till.gas_sales += row.count,
                "void" => {
                    till.voids += row.count;
                    till.voided = till.voided.checked_add(amount).ok_or_else(overflow)?;
                    total.amount = total.amount.checked_sub(amount).ok_or_else(overflow)?;
                }
                _ => {
                    till.refunds += row.count;
                    till.refunded = till.refunded.checked_add(amount).ok_or_else(overflow)?;
                    total.amount = total.amount.checked_sub(amount).ok_or_else(overflow)?;
                }
            }
        }
        if *channel == "cash" {
            till.expected_cash = total.amount;
        }
        till.channels.push(total);
    }
    till.net = till
        .received
        .checked_add(till.gas_sold)
        .and_then(|net| net.checked_sub(till.voided))
        .and_then(|net| net.checked_sub(till.refunded))
        .ok_or_else(overflow)?;
    Ok(till)
}

/// Closes a shift: the cash counted against what the till expects, the
/// difference recorded (a note is required when there is one), the
/// supervisor's sign-off. Waits for postings in flight.
pub fn close(
    connection: &mut PgConnection,
    shift_id: i64,
    counted_cash: Money,
    note: &str,
    supervisor_id: i64,
) -> Result<ShiftRow> {
    if counted_cash.is_negative() {
        return Err(Error::invalid("counted_cash", "cannot be negative"));
    }
    connection.transaction(|connection| {
        let shift = lock(connection, shift_id, true)?;
        require_open(&shift)?;
        let till = till(connection, shift_id)?;
        let difference = counted_cash
            .checked_sub(till.expected_cash)
            .ok_or_else(|| Error::Internal("cash difference overflow".to_owned()))?;
        if difference != Money::ZERO && note.trim().is_empty() {
            return Err(Error::invalid(
                "difference_note",
                format!(
                    "the drawer holds {counted_cash} but {} is expected (difference {difference}); say why",
                    till.expected_cash
                ),
            ));
        }
        let totals = serde_json::json!({
            "channels": till.channels.iter().map(|c| serde_json::json!({
                "channel": c.channel, "count": c.count, "amount": c.amount.to_string(),
            })).collect::<Vec<_>>(),
            "payments": till.payments, "received": till.received.to_string(),
            "voids": till.voids, "voided": till.voided.to_string(),
            "refunds": till.refunds, "refunded": till.refunded.to_string(),
            "gas_sales": till.gas_sales, "gas_sold": till.gas_sold.to_string(),
            "net": till.net.to_string(),
        });
        sql_query(
            "UPDATE shifts SET status = 'closed', closed_at = clock_timestamp(), \
             expected_cash = $2, counted_cash = $3, cash_difference = $4, difference_note = $5, \
             totals = $6::jsonb, supervisor_id = $7 WHERE id = $1",
        )
        .bind::<BigInt, _>(shift_id)
        .bind::<Numeric, _>(till.expected_cash.as_decimal())
        .bind::<Numeric, _>(counted_cash.as_decimal())
        .bind::<Numeric, _>(difference.as_decimal())
        .bind::<Text, _>(note.trim())
        .bind::<Text, _>(totals.to_string())
        .bind::<BigInt, _>(supervisor_id)
        .execute(connection)?;
        by_id(connection, shift_id)
    })
}

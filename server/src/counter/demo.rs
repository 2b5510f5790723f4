//! The demo company's counter: yesterday's shift of the demo cashier,
//! closed and signed off by the supervisor (with one void), and today's
//! shift still open with a morning's payments. Everything goes through the
//! same functions the counter service calls, so the demo's ledger, receipts
//! and tills are what real postings would leave.

use chrono::NaiveDate;
use diesel::{prelude::*, sql_query, sql_types::BigInt};

use super::{Settings, account, payments, shifts, voids};
use crate::error::{Error, Result};
use gascis_common::Money;

/// The demo's counter staff (see `commands::DEMO_USERS`).
const CASHIER: &str = "cashier";
const SUPERVISOR: &str = "supervisor";

/// Payments of the closed day and of today's open shift.
const YESTERDAY_PAYMENTS: usize = 24;
const TODAY_PAYMENTS: usize = 9;

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn user_id(connection: &mut PgConnection, username: &str) -> Result<i64> {
    sql_query("SELECT id FROM users WHERE username = $1")
        .bind::<diesel::sql_types::Text, _>(username)
        .get_result::<Id>(connection)
        .optional()?
        .map(|row| row.id)
        .ok_or_else(|| Error::Internal(format!("demo user {username} is missing")))
}

/// What the counter demo wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    pub payments: usize,
    pub voids: usize,
    pub closed_shifts: usize,
}

/// Seeds the counter once, in one transaction: nothing happens when any
/// payment exists.
pub fn seed(connection: &mut PgConnection, today: NaiveDate) -> Result<Seeded> {
    connection.transaction(|connection| seed_in(connection, today))
}

fn seed_in(connection: &mut PgConnection, today: NaiveDate) -> Result<Seeded> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let existing: Count = sql_query("SELECT count(*) AS n FROM payments").get_result(connection)?;
    if existing.n > 0 {
        return Ok(Seeded::default());
    }
    let yesterday = today
        .pred_opt()
        .ok_or_else(|| Error::Internal("no day before today".to_owned()))?;
    let cashier = payments::Poster::Cashier {
        user_id: user_id(connection, CASHIER)?,
        username: CASHIER.to_owned(),
    };
    let supervisor_id = user_id(connection, SUPERVISOR)?;
    // Post-paid accounts that owe something, oldest account first: the
    // counter's daily bread. A few accounts without arrears pay in advance.
    let owing: Vec<Id> = sql_query(
        "SELECT l.account_id AS id FROM ledger_lines l JOIN accounts a ON a.id = l.account_id \
         WHERE l.book = 'receivable' AND a.status = 'active' \
         GROUP BY l.account_id HAVING sum(l.amount) > 0 ORDER BY l.account_id LIMIT $1",
    )
    .bind::<BigInt, _>(i64::try_from(YESTERDAY_PAYMENTS + TODAY_PAYMENTS).unwrap_or(64))
    .load(connection)?;
    let mut seeded = Seeded::default();
    let settings = Settings::default();
    let mut first_of_yesterday = None;
    for (n, account) in owing.iter().enumerate() {
        let day = if n < YESTERDAY_PAYMENTS {
            yesterday
        } else {
            today
        };
        let owed = account::owed(connection, account.id, day)?.total_due()?;
        let request = demo_request(n, day, account.id, owed)?;
        let begun = payments::begin(connection, &settings, &cashier, &request, day)?;
        let payments::Begun::Finished(view) = begun else {
            return Err(Error::Internal(
                "a demo payment on a posting channel was left pending".to_owned(),
            ));
        };
        if day == yesterday && first_of_yesterday.is_none() {
            first_of_yesterday = Some(view.payment.payment_no.clone());
        }
        seeded.payments += 1;
    }
    let Some(voided) = first_of_yesterday else {
        // A company without bills yet: nothing to show at the counter.
        return Ok(seeded);
    };
    let payments::Poster::Cashier { user_id, .. } = cashier else {
        return Ok(seeded);
    };
    voids::void(
        connection,
        &voids::Approved {
            user_id,
            username: CASHIER.to_owned(),
            is_supervisor: false,
            supervisor_id,
        },
        &voided,
        &format!("demo-void-{yesterday}"),
        "收错户号，客户当场改缴",
        yesterday,
    )?;
    seeded.voids += 1;
    let shift = shifts::of_cashier(connection, user_id, yesterday)?
        .ok_or_else(|| Error::Internal("yesterday's demo shift is missing".to_owned()))?;
    let till = shifts::till(connection, shift.id)?;
    shifts::close(connection, shift.id, till.expected_cash, "", supervisor_id)?;
    seeded.closed_shifts += 1;
    Ok(seeded)
}

/// A payment as customers make them: most settle what they owe with its
/// late fees (cash
/// rounded up to the next note, the change given back, or the rest kept as
/// prepayment), some pay by bank card with the terminal's reference.
fn demo_request(
    n: usize,
    day: NaiveDate,
    account_id: i64,
    owed: Money,
) -> Result<payments::PaymentRequest> {
    // Money keeps two decimal places, so its mantissa counts fen.
    let fen = i64::try_from(owed.as_decimal().mantissa())
        .map_err(|_| Error::Internal(format!("demo arrears {owed} out of range")))?
        .max(1_000);
    let round_up = |to: i64| (fen + to - 1) / to * to;
    let (channel, amount, tendered, reference) = match n % 6 {
        // Pays what is owed and a round sum ahead.
        0 => (
            "cash",
            Money::from_fen(round_up(10_000)),
            None,
            String::new(),
        ),
        1 | 4 => (
            "bank_card",
            Money::from_fen(fen),
            None,
            format!("POS{}{:06}", day.format("%m%d"), 104_233 + n),
        ),
        // Exactly what is owed, paid with larger notes.
        _ => (
            "cash",
            Money::from_fen(fen),
            Some(Money::from_fen(round_up(5_000))),
            String::new(),
        ),
    };
    Ok(payments::PaymentRequest {
        idempotency_key: format!("demo-{day}-{n}"),
        account_id,
        channel: channel.to_owned(),
        amount,
        tendered,
        reference,
        payment_code: String::new(),
    })
}

//! The append-only double-entry ledger. What a customer owes (arrears) and
//! holds (prepayment) are sums of ledger lines, never stored figures.
//!
//! Lines carry debit as positive and credit as negative amounts; the lines
//! of one transaction sum to zero (checked by the database at commit).

pub mod check;

use chrono::NaiveDate;
use diesel::prelude::*;
use gascis_common::Money;
use rust_decimal::Decimal;

use crate::{
    error::{Error, Result},
    schema::{account_balances, ledger_lines, ledger_transactions},
};

/// Books of the general ledger that gascis posts to.
pub mod book {
    /// Money customers owe us (debit balance per account).
    pub const RECEIVABLE: &str = "receivable";
    /// Money customers paid in advance (credit balance per account).
    pub const PREPAYMENT: &str = "prepayment";
    /// Balances brought over from a legacy system.
    pub const OPENING_EQUITY: &str = "opening_equity";
    /// Late fees (滞纳金) collected.
    pub const LATE_FEE_INCOME: &str = "late_fee_income";
}

/// One line to post.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub book: &'a str,
    pub account_id: Option<i64>,
    /// Debit positive, credit negative.
    pub amount: Money,
}

pub struct NewTransaction<'a> {
    /// Makes the posting happen at most once (idempotency).
    pub business_key: &'a str,
    pub kind: &'a str,
    pub account_id: Option<i64>,
    pub occurred_on: NaiveDate,
    pub created_by: &'a str,
    pub memo: &'a str,
    pub lines: Vec<Line<'a>>,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_transactions)]
struct TransactionRow<'a> {
    business_key: &'a str,
    kind: &'a str,
    account_id: Option<i64>,
    occurred_on: NaiveDate,
    created_by: &'a str,
    memo: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_lines)]
struct LineRow<'a> {
    transaction_id: i64,
    book: &'a str,
    account_id: Option<i64>,
    amount: Decimal,
}

/// Posts a balanced transaction; returns its id. The same business key
/// twice is refused by the database (unique key), never posted twice.
pub fn post(connection: &mut PgConnection, transaction: &NewTransaction<'_>) -> Result<i64> {
    let mut total = Money::ZERO;
    for line in &transaction.lines {
        total = total
            .checked_add(line.amount)
            .ok_or_else(|| Error::Internal("ledger amount overflow".to_owned()))?;
        if line.amount == Money::ZERO {
            return Err(Error::Internal("ledger line of zero".to_owned()));
        }
    }
    if total != Money::ZERO || transaction.lines.len() < 2 {
        return Err(Error::Internal(format!(
            "unbalanced ledger transaction {} (sum {total})",
            transaction.business_key
        )));
    }
    let id: i64 = diesel::insert_into(ledger_transactions::table)
        .values(TransactionRow {
            business_key: transaction.business_key,
            kind: transaction.kind,
            account_id: transaction.account_id,
            occurred_on: transaction.occurred_on,
            created_by: transaction.created_by,
            memo: transaction.memo,
        })
        .returning(ledger_transactions::id)
        .get_result(connection)?;
    let rows: Vec<LineRow<'_>> = transaction
        .lines
        .iter()
        .map(|line| LineRow {
            transaction_id: id,
            book: line.book,
            account_id: line.account_id,
            amount: line.amount.as_decimal(),
        })
        .collect();
    diesel::insert_into(ledger_lines::table)
        .values(&rows)
        .execute(connection)?;
    Ok(id)
}

/// What the account owes and holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    pub arrears: Money,
    pub prepayment: Money,
}

/// Both books of one account (debit positive) in one statement, from the
/// cache the database keeps beside the lines (`account_balances`, proved
/// equal to the sums by `ledger check`); a payment reads them twice.
pub fn balances(connection: &mut PgConnection, account_id: i64) -> Result<Balances> {
    let cached: Vec<(String, Decimal)> = account_balances::table
        .filter(account_balances::account_id.eq(account_id))
        .filter(account_balances::book.eq_any([book::RECEIVABLE, book::PREPAYMENT]))
        .select((account_balances::book, account_balances::balance))
        .load(connection)?;
    let balance = |book_name: &str| -> Result<Money> {
        let value = cached
            .iter()
            .find(|(book, _)| book == book_name)
            .map_or(Decimal::ZERO, |(_, value)| *value);
        Money::try_from_decimal(value)
            .map_err(|error| Error::Internal(format!("ledger balance: {error}")))
    };
    let receivable = balance(book::RECEIVABLE)?;
    let prepayment = balance(book::PREPAYMENT)?;
    Ok(Balances {
        arrears: if receivable.is_negative() {
            Money::ZERO
        } else {
            receivable
        },
        prepayment: -prepayment,
    })
}

/// Opening arrears brought over from a legacy ledger (used by imports and
/// tests): debit receivable, credit opening equity.
pub fn post_opening_arrears(
    connection: &mut PgConnection,
    account_id: i64,
    amount: Money,
    occurred_on: NaiveDate,
    created_by: &str,
    business_key: &str,
) -> Result<i64> {
    post(
        connection,
        &NewTransaction {
            business_key,
            kind: "opening_arrears",
            account_id: Some(account_id),
            occurred_on,
            created_by,
            memo: "",
            lines: vec![
                Line {
                    book: book::RECEIVABLE,
                    account_id: Some(account_id),
                    amount,
                },
                Line {
                    book: book::OPENING_EQUITY,
                    account_id: None,
                    amount: -amount,
                },
            ],
        },
    )
}

/// Posts the exact negation of transaction `original` as a new transaction
/// that names it (`reverses_id`, unique: a transaction is reversed at most
/// once); returns the reversal's id.
pub fn reverse(
    connection: &mut PgConnection,
    original: i64,
    business_key: &str,
    kind: &str,
    occurred_on: NaiveDate,
    created_by: &str,
    memo: &str,
) -> Result<i64> {
    use diesel::sql_types::{BigInt, Date, Text};
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let reversal: Option<Id> = diesel::sql_query(
        "INSERT INTO ledger_transactions \
            (business_key, kind, account_id, occurred_on, created_by, reverses_id, memo) \
         SELECT $2, $3, account_id, $4, $5, id, $6 FROM ledger_transactions WHERE id = $1 \
         RETURNING id",
    )
    .bind::<BigInt, _>(original)
    .bind::<Text, _>(business_key)
    .bind::<Text, _>(kind)
    .bind::<Date, _>(occurred_on)
    .bind::<Text, _>(created_by)
    .bind::<Text, _>(memo)
    .get_result(connection)
    .optional()?;
    let reversal =
        reversal.ok_or_else(|| Error::NotFound(format!("ledger transaction {original}")))?;
    diesel::sql_query(
        "INSERT INTO ledger_lines (transaction_id, book, account_id, amount) \
         SELECT $2, book, account_id, -amount FROM ledger_lines WHERE transaction_id = $1 \
         ORDER BY id",
    )
    .bind::<BigInt, _>(original)
    .bind::<BigInt, _>(reversal.id)
    .execute(connection)?;
    Ok(reversal.id)
}

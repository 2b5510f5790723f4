//! Voids (冲正) and refunds (退款): never an edit, always a posting of its
//! own — the void reverses the payment's ledger transaction, the refund
//! pays prepayment back in cash — both approved by a supervisor.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bytea, Date, Numeric, Text},
};
use gascis_common::Money;

use super::{
    payments::{self, PaymentRequest, PaymentView},
    shifts,
};
use crate::{
    error::{Error, Result},
    ledger::{self, Line, NewTransaction},
};

/// Who asks and who approved.
#[derive(Debug, Clone)]
pub struct Approved {
    pub user_id: i64,
    pub username: String,
    /// The caller may void payments of other cashiers.
    pub is_supervisor: bool,
    pub supervisor_id: i64,
}

/// Voids a payment of today from a shift that is still open. The same
/// idempotency key returns the same void.
pub fn void(
    connection: &mut PgConnection,
    by: &Approved,
    payment_no: &str,
    idempotency_key: &str,
    reason: &str,
    today: NaiveDate,
) -> Result<PaymentView> {
    if idempotency_key.trim().is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "say why the payment is voided"));
    }
    connection.transaction(|connection| {
        let view = payments::by_number(connection, payment_no)?;
        payments::lock_account(connection, view.payment.account_id)?;
        let view = payments::load(connection, view.payment.id)?;
        #[derive(QueryableByName)]
        struct Existing {
            #[diesel(sql_type = BigInt)]
            payment_id: i64,
        }
        let existing: Option<Existing> =
            sql_query("SELECT payment_id FROM payment_voids WHERE idempotency_key = $1")
                .bind::<Text, _>(idempotency_key.trim())
                .get_result(connection)
                .optional()?;
        if let Some(existing) = existing {
            if existing.payment_id == view.payment.id {
                return Ok(view);
            }
            return Err(Error::AlreadyExists(format!(
                "idempotency key {} was used to void another payment",
                idempotency_key.trim()
            )));
        }
        let row = &view.payment;
        if let Some(receipt) = &row.void_receipt_no {
            return Err(Error::Refused(format!(
                "payment {} is voided already (冲正凭证 {receipt})",
                row.payment_no
            )));
        }
        if row.kind != "payment" || row.status != "posted" {
            return Err(Error::Refused(format!(
                "only a posted payment can be voided; {} is a {} ({})",
                row.payment_no, row.kind, row.status
            )));
        }
        if row.business_date != today {
            return Err(Error::Refused(format!(
                "payment {} was taken on {}; a void is possible only on the same business day — \
                 use a refund instead",
                row.payment_no, row.business_date
            )));
        }
        let Some(shift_id) = row.shift_id else {
            return Err(Error::Refused(format!(
                "payment {} came from the {} channel, not a counter; it is corrected through the \
                 channel's statement",
                row.payment_no, row.channel
            )));
        };
        let shift = shifts::lock(connection, shift_id, false)?;
        shifts::require_open(&shift)?;
        if shift.cashier_id != by.user_id && !by.is_supervisor {
            return Err(Error::RoleDenied(format!(
                "payment {} was taken by {}; only that cashier or a supervisor voids it",
                row.payment_no, shift.cashier
            )));
        }
        super::check_period_open(connection, today)?;
        if let Some(invoice) = crate::invoices::standing_invoice_of(connection, Some(row.id), None)? {
            return Err(Error::Refused(format!(
                "payment {} is on invoice {invoice}; reverse the invoice in full (红冲) before \
                 voiding the payment",
                row.payment_no
            )));
        }
        let original = row
            .ledger_transaction_id
            .ok_or_else(|| Error::Internal(format!("posted payment {} has no ledger entry", row.payment_no)))?;
        let reversal = ledger::reverse(
            connection,
            original,
            &format!("void:{}", row.payment_no),
            "payment_void",
            today,
            &by.username,
            &format!("冲正 {} {}", row.payment_no, reason.trim()),
        )?;
        let receipt_no = payments::next_receipt_no(connection, today)?;
        sql_query(
            "INSERT INTO payment_voids (payment_id, idempotency_key, reason, shift_id, approved_by, \
                created_by, receipt_no, ledger_transaction_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind::<BigInt, _>(row.id)
        .bind::<Text, _>(idempotency_key.trim())
        .bind::<Text, _>(reason.trim())
        .bind::<BigInt, _>(shift_id)
        .bind::<BigInt, _>(by.supervisor_id)
        .bind::<Text, _>(&by.username)
        .bind::<Text, _>(&receipt_no)
        .bind::<BigInt, _>(reversal)
        .execute(connection)?;
        payments::load(connection, row.id)
    })
}

/// Pays prepayment back in cash, from the caller's open shift.
pub fn refund(
    connection: &mut PgConnection,
    by: &Approved,
    idempotency_key: &str,
    account_id: i64,
    amount: Money,
    reason: &str,
    today: NaiveDate,
) -> Result<PaymentView> {
    if idempotency_key.trim().is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if reason.trim().is_empty() {
        return Err(Error::invalid(
            "reason",
            "say why the prepayment is refunded",
        ));
    }
    if amount.is_negative() || amount == Money::ZERO {
        return Err(Error::invalid("amount", "must be more than 0.00"));
    }
    let request = PaymentRequest {
        idempotency_key: idempotency_key.trim().to_owned(),
        account_id,
        channel: "cash".to_owned(),
        amount,
        tendered: None,
        reference: reason.trim().to_owned(),
        payment_code: String::new(),
    };
    let fingerprint = payments::fingerprint("refund", &request);
    connection.transaction(|connection| {
        payments::lock_account(connection, account_id)?;
        if let Some(done) = payments::replay(connection, idempotency_key, &fingerprint)? {
            return Ok(done);
        }
        super::check_period_open(connection, today)?;
        let shift_id = shifts::open_for_posting(connection, by.user_id, today)?;
        let balances = ledger::balances(connection, account_id)?;
        if balances.prepayment.as_decimal() < amount.as_decimal() {
            return Err(Error::Refused(format!(
                "the account holds {} of prepayment; {amount} cannot be refunded",
                balances.prepayment
            )));
        }
        if balances.arrears != Money::ZERO {
            return Err(Error::Refused(format!(
                "the account owes {}; settle the arrears from the prepayment before refunding",
                balances.arrears
            )));
        }
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let id: Id = sql_query("SELECT nextval('payments_id_seq') AS id").get_result(connection)?;
        let payment_no = format!("F{}{:08}", today.format("%Y%m%d"), id.id);
        let transaction = ledger::post(
            connection,
            &NewTransaction {
                business_key: &format!("refund:{payment_no}"),
                kind: "refund",
                account_id: Some(account_id),
                occurred_on: today,
                created_by: &by.username,
                memo: &format!("退预存 {payment_no} {}", reason.trim()),
                lines: vec![
                    Line {
                        book: ledger::book::PREPAYMENT,
                        account_id: Some(account_id),
                        amount,
                    },
                    Line {
                        book: "cash",
                        account_id: None,
                        amount: -amount,
                    },
                ],
            },
        )?;
        let receipt_no = payments::next_receipt_no(connection, today)?;
        let after = ledger::balances(connection, account_id)?;
        sql_query(
            "INSERT INTO payments (id, payment_no, idempotency_key, request_sha256, kind, account_id, \
                channel, amount, status, shift_id, business_date, receipt_no, ledger_transaction_id, \
                arrears_after, prepayment_after, approved_by, reason, created_by, posted_at) \
             VALUES ($1, $2, $3, $4, 'refund', $5, 'cash', $6, 'posted', $7, $8, $9, $10, $11, $12, \
                $13, $14, $15, clock_timestamp())",
        )
        .bind::<BigInt, _>(id.id)
        .bind::<Text, _>(&payment_no)
        .bind::<Text, _>(idempotency_key.trim())
        .bind::<Bytea, _>(&fingerprint)
        .bind::<BigInt, _>(account_id)
        .bind::<Numeric, _>(amount.as_decimal())
        .bind::<BigInt, _>(shift_id)
        .bind::<Date, _>(today)
        .bind::<Text, _>(&receipt_no)
        .bind::<BigInt, _>(transaction)
        .bind::<Numeric, _>(after.arrears.as_decimal())
        .bind::<Numeric, _>(after.prepayment.as_decimal())
        .bind::<BigInt, _>(by.supervisor_id)
        .bind::<Text, _>(reason.trim())
        .bind::<Text, _>(&by.username)
        .execute(connection)?;
        sql_query(
            "INSERT INTO payment_allocations (payment_id, line_no, kind, amount) \
             VALUES ($1, 1, 'refund', $2)",
        )
        .bind::<BigInt, _>(id.id)
        .bind::<Numeric, _>(amount.as_decimal())
        .execute(connection)?;
        payments::load(connection, id.id)
    })
}

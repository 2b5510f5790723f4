//! Taking money: a payment is allocated to what the account owes (oldest
//! first, see `account::allocate`), posted as one balanced ledger
//! transaction and given a receipt number, all in one database
//! transaction that holds the account row.
//!
//! Scanned channels (WeChat, Alipay) take three steps so that no database
//! transaction waits on a network: the payment is recorded as pending, the
//! gateway charges the code, and the outcome is settled — posted, declined
//! or unknown. An unknown outcome is never guessed; the reconciler asks
//! the gateway later.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    result::{DatabaseErrorKind, Error as DieselError},
    sql_query,
    sql_types::{BigInt, Bytea, Date, Nullable, Numeric, SmallInt, Text, Timestamptz},
};
use gascis_common::Money;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::{Settings, account, shifts};
use crate::{
    db::Prepared,
    error::{Error, Result},
    ledger::{self, Line, NewTransaction},
};

/// The largest single payment the counter takes; larger sums are split or
/// go through the bank, and a typo of three extra zeros is caught.
pub const MAX_PAYMENT_YUAN: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub idempotency_key: String,
    pub account_id: i64,
    pub channel: String,
    pub amount: Money,
    /// Cash handed over; None means exact.
    pub tendered: Option<Money>,
    pub reference: String,
    pub payment_code: String,
}

/// Who posts: a cashier (into their shift) or a channel notification (no
/// shift; the channel's statement is its count).
#[derive(Debug, Clone)]
pub enum Poster {
    Cashier { user_id: i64, username: String },
    Channel { username: String },
}

impl Poster {
    pub fn username(&self) -> &str {
        match self {
            Poster::Cashier { username, .. } | Poster::Channel { username } => username,
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PaymentRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub payment_no: String,
    #[diesel(sql_type = Bytea)]
    pub request_sha256: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub account_no: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub tendered: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub change_given: Option<Decimal>,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub status_detail: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub shift_id: Option<i64>,
    #[diesel(sql_type = Date)]
    pub business_date: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    pub receipt_no: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub ledger_transaction_id: Option<i64>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub arrears_after: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub prepayment_after: Option<Decimal>,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Text)]
    pub cashier_name: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub void_receipt_no: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub void_reason: Option<String>,
}

pub const SELECT: &str = "SELECT p.id, p.payment_no, p.request_sha256, p.kind, p.account_id, a.account_no, \
     p.channel, p.amount, p.tendered, p.change_given, p.reference, p.status, p.status_detail, \
     p.shift_id, p.business_date, p.receipt_no, p.ledger_transaction_id, p.arrears_after, \
     p.prepayment_after, p.created_by, coalesce(u.display_name, p.created_by) AS cashier_name, \
     p.reason, p.created_at, v.receipt_no AS void_receipt_no, v.reason AS void_reason \
     FROM payments p JOIN accounts a ON a.id = p.account_id \
     LEFT JOIN users u ON u.username = p.created_by \
     LEFT JOIN payment_voids v ON v.payment_id = p.id ";

#[derive(Debug, Clone, QueryableByName)]
pub struct AllocationRow {
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub bill_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
}

#[derive(Debug, Clone)]
pub struct PaymentView {
    pub payment: PaymentRow,
    pub allocations: Vec<AllocationRow>,
}

impl PaymentView {
    /// posted, voided, declined, unknown or pending.
    pub fn status(&self) -> &str {
        if self.payment.void_receipt_no.is_some() {
            "voided"
        } else {
            &self.payment.status
        }
    }
}

/// What `begin` leaves to do.
#[derive(Debug, Clone)]
pub enum Begun {
    /// Posted (or refused, declined, unknown) — nothing more to do now.
    Finished(Box<PaymentView>),
    /// Recorded as pending: charge the code through the gateway, then
    /// `settle`.
    Charge { payment_id: i64, payment_no: String },
}

/// A gateway's answer.
#[derive(Debug, Clone)]
pub enum Settlement {
    Paid { reference: String },
    Declined(String),
    Unknown(String),
}

pub fn fingerprint(kind: &str, request: &PaymentRequest) -> Vec<u8> {
    Sha256::digest(format!(
        "{kind}|{}|{}|{}|{}|{}|{}",
        request.account_id,
        request.channel,
        request.amount,
        request.tendered.map(|t| t.to_string()).unwrap_or_default(),
        request.reference.trim(),
        request.payment_code.trim(),
    ))
    .to_vec()
}

fn validate(request: &PaymentRequest) -> Result<()> {
    if request.idempotency_key.trim().is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if request.idempotency_key.len() > 100 {
        return Err(Error::invalid(
            "idempotency_key",
            "is longer than 100 characters",
        ));
    }
    super::check_channel(&request.channel)?;
    if request.amount.is_negative() || request.amount == Money::ZERO {
        return Err(Error::invalid("amount", "must be more than 0.00"));
    }
    if request.amount.as_decimal() > Decimal::from(MAX_PAYMENT_YUAN) {
        return Err(Error::invalid(
            "amount",
            format!(
                "{} is more than the counter takes at once ({MAX_PAYMENT_YUAN}.00)",
                request.amount
            ),
        ));
    }
    match request.tendered {
        Some(_) if request.channel != "cash" => {
            return Err(Error::invalid("tendered", "is only for cash"));
        }
        Some(tendered) if tendered.as_decimal() < request.amount.as_decimal() => {
            return Err(Error::invalid(
                "tendered",
                format!(
                    "{tendered} handed over is less than the {} to pay",
                    request.amount
                ),
            ));
        }
        _ => {}
    }
    if super::is_scanned(&request.channel) {
        crate::channels::gateway::validate_payment_code(
            &request.channel,
            request.payment_code.trim(),
        )
        .map_err(|error| Error::invalid("payment_code", error.to_string()))?;
    } else if !request.payment_code.trim().is_empty() {
        return Err(Error::invalid(
            "payment_code",
            "is only for wechat and alipay",
        ));
    }
    if matches!(
        request.channel.as_str(),
        "bank_card" | "bank_agent" | "online"
    ) && request.reference.trim().is_empty()
    {
        return Err(Error::invalid(
            "reference",
            "is required for this channel (the terminal's or the bank's reference)",
        ));
    }
    if request.reference.len() > 64 {
        return Err(Error::invalid("reference", "is longer than 64 characters"));
    }
    Ok(())
}

pub fn load(connection: &mut PgConnection, payment_id: i64) -> Result<PaymentView> {
    let payment: PaymentRow =
        Prepared(sql_query(format!("{SELECT} WHERE p.id = $1")).bind::<BigInt, _>(payment_id))
            .get_result(connection)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("payment {payment_id}")))?;
    let allocations = Prepared(
        sql_query(
            "SELECT kind, bill_id, period, amount FROM payment_allocations \
         WHERE payment_id = $1 ORDER BY line_no",
        )
        .bind::<BigInt, _>(payment_id),
    )
    .load(connection)?;
    Ok(PaymentView {
        payment,
        allocations,
    })
}

pub fn by_number(connection: &mut PgConnection, payment_no: &str) -> Result<PaymentView> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let id: Id = sql_query("SELECT id FROM payments WHERE payment_no = $1 OR receipt_no = $1")
        .bind::<Text, _>(payment_no.trim())
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("payment {payment_no}")))?;
    load(connection, id.id)
}

/// The payment an idempotency key already made, if the content matches.
pub fn replay(
    connection: &mut PgConnection,
    key: &str,
    fingerprint: &[u8],
) -> Result<Option<PaymentView>> {
    let existing: Option<PaymentRow> = Prepared(
        sql_query(format!("{SELECT} WHERE p.idempotency_key = $1")).bind::<Text, _>(key.trim()),
    )
    .get_result(connection)
    .optional()?;
    match existing {
        None => Ok(None),
        Some(row) if row.request_sha256 != fingerprint => Err(Error::AlreadyExists(format!(
            "idempotency key {} was used for payment {} with other content",
            key.trim(),
            row.payment_no
        ))),
        Some(row) => load(connection, row.id).map(Some),
    }
}

/// Locks the account row: payments on one account go one at a time.
pub fn lock_account(connection: &mut PgConnection, account_id: i64) -> Result<String> {
    #[derive(QueryableByName)]
    struct Account {
        #[diesel(sql_type = Text)]
        status: String,
    }
    let account: Account = Prepared(
        sql_query("SELECT status FROM accounts WHERE id = $1 FOR UPDATE")
            .bind::<BigInt, _>(account_id),
    )
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("account {account_id}")))?;
    Ok(account.status)
}

fn next_value(connection: &mut PgConnection, sequence: &str) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = BigInt)]
        value: i64,
    }
    let value: Value = Prepared(sql_query(format!("SELECT nextval('{sequence}') AS value")))
        .get_result(connection)?;
    Ok(value.value)
}

pub fn next_receipt_no(connection: &mut PgConnection, day: NaiveDate) -> Result<String> {
    let value = next_value(connection, "receipt_no_seq")?;
    Ok(format!("R{}{value:08}", day.format("%Y%m%d")))
}

fn unique_violation(error: &Error) -> bool {
    matches!(
        error,
        Error::Database(crate::db::DbError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        )))
    )
}

/// What posting did.
struct Posted {
    transaction_id: i64,
    receipt_no: String,
    shares: Vec<account::Share>,
    balances_after: ledger::Balances,
}

/// What to post.
struct Posting<'a> {
    payment_no: &'a str,
    account_id: i64,
    channel: &'a str,
    amount: Money,
    day: NaiveDate,
    created_by: &'a str,
}

/// Allocates and posts; the caller holds the account row.
fn post(
    connection: &mut PgConnection,
    settings: &Settings,
    posting: &Posting<'_>,
) -> Result<Posted> {
    let Posting {
        payment_no,
        account_id,
        channel,
        amount,
        day,
        created_by,
    } = *posting;
    let owed = account::owed(connection, account_id, day)?;
    let shares = account::allocate(&owed, amount, settings.allocation)?;
    let mut receivable = Money::ZERO;
    let mut fees = Money::ZERO;
    let mut surplus = Money::ZERO;
    let overflow = || Error::Internal("payment amount overflow".to_owned());
    for share in &shares {
        let sum = match share.kind {
            "late_fee" => &mut fees,
            "prepayment" => &mut surplus,
            _ => &mut receivable,
        };
        *sum = sum.checked_add(share.amount).ok_or_else(overflow)?;
    }
    let mut lines = vec![Line {
        book: channel,
        account_id: None,
        amount,
    }];
    for (book, amount) in [
        (ledger::book::RECEIVABLE, receivable),
        (ledger::book::LATE_FEE_INCOME, fees),
        (ledger::book::PREPAYMENT, surplus),
    ] {
        if amount != Money::ZERO {
            lines.push(Line {
                book,
                // Late fees are company income, not the customer's book.
                account_id: (book != ledger::book::LATE_FEE_INCOME).then_some(account_id),
                amount: -amount,
            });
        }
    }
    let transaction_id = ledger::post(
        connection,
        &NewTransaction {
            business_key: &format!("payment:{payment_no}"),
            kind: "payment",
            account_id: Some(account_id),
            occurred_on: day,
            created_by,
            memo: &format!("收费 {} {payment_no}", super::channel_label(channel)),
            lines,
        },
    )?;
    let receipt_no = next_receipt_no(connection, day)?;
    let balances_after = ledger::balances(connection, account_id)?;
    Ok(Posted {
        transaction_id,
        receipt_no,
        shares,
        balances_after,
    })
}

fn insert_allocations(
    connection: &mut PgConnection,
    payment_id: i64,
    shares: &[account::Share],
) -> Result<()> {
    for (line_no, share) in shares.iter().enumerate() {
        Prepared(sql_query(
            "INSERT INTO payment_allocations (payment_id, line_no, kind, bill_id, period, amount) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind::<BigInt, _>(payment_id)
        .bind::<SmallInt, _>(i16::try_from(line_no + 1).unwrap_or(i16::MAX))
        .bind::<Text, _>(share.kind)
        .bind::<Nullable<BigInt>, _>(share.bill_id)
        .bind::<Text, _>(&share.period)
        .bind::<Numeric, _>(share.amount.as_decimal()))
        .execute(connection)?;
    }
    Ok(())
}

/// Records a payment: posts it at once (cash, bank card, agent, online) or
/// leaves it pending for the gateway (scanned codes). The same key with
/// the same content answers what the first call did.
pub fn begin(
    connection: &mut PgConnection,
    settings: &Settings,
    poster: &Poster,
    request: &PaymentRequest,
    business_date: NaiveDate,
) -> Result<Begun> {
    validate(request)?;
    let fingerprint = fingerprint("payment", request);
    let result = connection.transaction(|connection| -> Result<Begun> {
        // The account lock comes first: a retry racing its original waits
        // here and then finds it.
        let status = lock_account(connection, request.account_id)?;
        if let Some(done) = replay(connection, &request.idempotency_key, &fingerprint)? {
            return Ok(Begun::Finished(Box::new(done)));
        }
        if status == "closed" {
            return Err(Error::Refused(
                "the account is closed (销户); settle its balance through a refund or back office"
                    .to_owned(),
            ));
        }
        super::check_period_open(connection, business_date)?;
        let shift_id = match poster {
            Poster::Cashier { user_id, .. } => {
                Some(shifts::open_for_posting(connection, *user_id, business_date)?)
            }
            Poster::Channel { .. } => None,
        };
        let id = next_value(connection, "payments_id_seq")?;
        let payment_no = format!("P{}{id:08}", business_date.format("%Y%m%d"));
        let change = request
            .tendered
            .map(|tendered| tendered.checked_sub(request.amount))
            .map(|change| change.ok_or_else(|| Error::Internal("change overflow".to_owned())))
            .transpose()?;
        let scanned = super::is_scanned(&request.channel);
        let posted = if scanned {
            None
        } else {
            Some(post(
                connection,
                settings,
                &Posting {
                    payment_no: &payment_no,
                    account_id: request.account_id,
                    channel: &request.channel,
                    amount: request.amount,
                    day: business_date,
                    created_by: poster.username(),
                },
            )?)
        };
        Prepared(sql_query(
            "INSERT INTO payments (id, payment_no, idempotency_key, request_sha256, kind, account_id, \
                channel, amount, tendered, change_given, reference, status, shift_id, business_date, \
                receipt_no, ledger_transaction_id, arrears_after, prepayment_after, created_by, \
                posted_at) \
             VALUES ($1, $2, $3, $4, 'payment', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                $16, $17, $18, CASE WHEN $11 = 'posted' THEN clock_timestamp() END)",
        )
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(&payment_no)
        .bind::<Text, _>(request.idempotency_key.trim())
        .bind::<Bytea, _>(&fingerprint)
        .bind::<BigInt, _>(request.account_id)
        .bind::<Text, _>(&request.channel)
        .bind::<Numeric, _>(request.amount.as_decimal())
        .bind::<Nullable<Numeric>, _>(request.tendered.map(Money::as_decimal))
        .bind::<Nullable<Numeric>, _>(change.map(Money::as_decimal))
        .bind::<Text, _>(request.reference.trim())
        .bind::<Text, _>(if scanned { "pending" } else { "posted" })
        .bind::<Nullable<BigInt>, _>(shift_id)
        .bind::<Date, _>(business_date)
        .bind::<Nullable<Text>, _>(posted.as_ref().map(|p| p.receipt_no.as_str()))
        .bind::<Nullable<BigInt>, _>(posted.as_ref().map(|p| p.transaction_id))
        .bind::<Nullable<Numeric>, _>(posted.as_ref().map(|p| p.balances_after.arrears.as_decimal()))
        .bind::<Nullable<Numeric>, _>(
            posted
                .as_ref()
                .map(|p| p.balances_after.prepayment.as_decimal()),
        )
        .bind::<Text, _>(poster.username()))
        .execute(connection)?;
        match posted {
            Some(posted) => {
                insert_allocations(connection, id, &posted.shares)?;
                Ok(Begun::Finished(Box::new(load(connection, id)?)))
            }
            None => Ok(Begun::Charge {
                payment_id: id,
                payment_no,
            }),
        }
    });
    match result {
        // The same key for another account: its lock did not serialise us.
        Err(error) if unique_violation(&error) => {
            match replay(connection, &request.idempotency_key, &fingerprint)? {
                Some(done) => Ok(Begun::Finished(Box::new(done))),
                None => Err(error),
            }
        }
        other => other,
    }
}

/// Records a gateway's answer for a pending or unknown payment; posting
/// happens here when it was paid. Settling a payment already settled
/// returns it unchanged.
pub fn settle(
    connection: &mut PgConnection,
    settings: &Settings,
    payment_id: i64,
    settlement: &Settlement,
) -> Result<PaymentView> {
    connection.transaction(|connection| {
        let current = load(connection, payment_id)?;
        lock_account(connection, current.payment.account_id)?;
        // Re-read under the lock: the reconciler and the cashier may race.
        let current = load(connection, payment_id)?;
        if !matches!(current.payment.status.as_str(), "pending" | "unknown") {
            return Ok(current);
        }
        match settlement {
            Settlement::Paid { reference } => {
                // A paid payment posts even if its shift has closed since
                // (the money is in the channel); it counts in that shift.
                let row = &current.payment;
                let amount = Money::try_from_decimal(row.amount)
                    .map_err(|e| Error::Internal(format!("payment amount: {e}")))?;
                let posted = post(
                    connection,
                    settings,
                    &Posting {
                        payment_no: &row.payment_no,
                        account_id: row.account_id,
                        channel: &row.channel,
                        amount,
                        day: row.business_date,
                        created_by: &row.created_by,
                    },
                )?;
                sql_query(
                    "UPDATE payments SET status = 'posted', status_detail = '', reference = $2, \
                        receipt_no = $3, ledger_transaction_id = $4, arrears_after = $5, \
                        prepayment_after = $6, posted_at = clock_timestamp() WHERE id = $1",
                )
                .bind::<BigInt, _>(payment_id)
                .bind::<Text, _>(reference)
                .bind::<Text, _>(&posted.receipt_no)
                .bind::<BigInt, _>(posted.transaction_id)
                .bind::<Numeric, _>(posted.balances_after.arrears.as_decimal())
                .bind::<Numeric, _>(posted.balances_after.prepayment.as_decimal())
                .execute(connection)?;
                insert_allocations(connection, payment_id, &posted.shares)?;
            }
            Settlement::Declined(detail) | Settlement::Unknown(detail) => {
                let status = if matches!(settlement, Settlement::Declined(_)) {
                    "declined"
                } else {
                    "unknown"
                };
                sql_query("UPDATE payments SET status = $2, status_detail = $3 WHERE id = $1")
                    .bind::<BigInt, _>(payment_id)
                    .bind::<Text, _>(status)
                    .bind::<Text, _>(detail)
                    .execute(connection)?;
            }
        }
        load(connection, payment_id)
    })
}

/// Payments waiting for a gateway's answer, oldest first.
pub fn unresolved(
    connection: &mut PgConnection,
    older_than: DateTime<Utc>,
) -> Result<Vec<PaymentRow>> {
    Ok(sql_query(format!(
        "{SELECT} WHERE p.status IN ('pending', 'unknown') AND p.created_at < $1 ORDER BY p.id"
    ))
    .bind::<Timestamptz, _>(older_than)
    .load(connection)?)
}

/// Which payments to list.
#[derive(Debug, Clone)]
pub enum Listing {
    Account(i64),
    Shift(i64),
    Day(NaiveDate),
}

pub fn list(
    connection: &mut PgConnection,
    listing: &Listing,
    limit: i64,
) -> Result<Vec<PaymentView>> {
    let rows: Vec<PaymentRow> = match listing {
        Listing::Account(id) => sql_query(format!(
            "{SELECT} WHERE p.account_id = $1 ORDER BY p.id DESC LIMIT $2"
        ))
        .bind::<BigInt, _>(*id)
        .bind::<BigInt, _>(limit)
        .load(connection)?,
        Listing::Shift(id) => sql_query(format!(
            "{SELECT} WHERE p.shift_id = $1 ORDER BY p.id DESC LIMIT $2"
        ))
        .bind::<BigInt, _>(*id)
        .bind::<BigInt, _>(limit)
        .load(connection)?,
        Listing::Day(day) => sql_query(format!(
            "{SELECT} WHERE p.business_date = $1 ORDER BY p.id DESC LIMIT $2"
        ))
        .bind::<Date, _>(*day)
        .bind::<BigInt, _>(limit)
        .load(connection)?,
    };
    rows.into_iter()
        .map(|row| load(connection, row.id))
        .collect()
}

/// Posts what a channel's verified notification reports, once: a scanned
/// payment of ours that was pending or unknown is settled; a payment made
/// elsewhere (bank agent, online banking) is posted to the account it
/// names, keyed by the channel's transaction number.
pub fn from_notification(
    connection: &mut PgConnection,
    settings: &Settings,
    username: &str,
    notice: &crate::channels::notification::Notification,
) -> Result<PaymentView> {
    super::check_channel(&notice.channel)?;
    if !notice.order_no.trim().is_empty() {
        let view = by_number(connection, &notice.order_no)?;
        if view.payment.channel != notice.channel {
            return Err(Error::invalid(
                "channel",
                format!(
                    "payment {} went through {}, not {}",
                    view.payment.payment_no, view.payment.channel, notice.channel
                ),
            ));
        }
        if Money::try_from_decimal(view.payment.amount).ok() != Some(notice.amount) {
            return Err(Error::invalid(
                "amount",
                format!(
                    "the channel reports {} for payment {} of {}; it needs checking by hand",
                    notice.amount, view.payment.payment_no, view.payment.amount
                ),
            ));
        }
        return settle(
            connection,
            settings,
            view.payment.id,
            &Settlement::Paid {
                reference: notice.channel_ref.clone(),
            },
        );
    }
    if super::is_scanned(&notice.channel) {
        return Err(Error::invalid(
            "order_no",
            "a WeChat or Alipay notification must name our order",
        ));
    }
    #[derive(QueryableByName)]
    struct Account {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let account: Account = sql_query("SELECT id FROM accounts WHERE account_no = $1")
        .bind::<Text, _>(notice.account_no.trim())
        .get_result(connection)
        .optional()?
        .ok_or_else(|| {
            Error::invalid(
                "account_no",
                format!(
                    "no account {} (the channel must be told)",
                    notice.account_no
                ),
            )
        })?;
    let request = PaymentRequest {
        idempotency_key: format!("{}:{}", notice.channel, notice.channel_ref.trim()),
        account_id: account.id,
        channel: notice.channel.clone(),
        amount: notice.amount,
        tendered: None,
        reference: notice.channel_ref.trim().to_owned(),
        payment_code: String::new(),
    };
    let day = (notice.paid_at + chrono::Duration::hours(8)).date_naive();
    match begin(
        connection,
        settings,
        &Poster::Channel {
            username: username.to_owned(),
        },
        &request,
        day,
    )? {
        Begun::Finished(view) => Ok(*view),
        Begun::Charge { payment_id, .. } => load(connection, payment_id),
    }
}

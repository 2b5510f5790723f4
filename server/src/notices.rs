//! Bill notices (账单/欠费提醒): an SMS or a WeChat template message telling
//! a customer of a new bill, or reminding them of arrears past due.
//!
//! Two steps, both safe to repeat: [`queue`] decides who is told what and
//! records each message once under a business key (`bill:ID`, one reminder
//! per account and day `arrears:ACCOUNT:DAY`, none while the last one is
//! younger than `arrears_repeat_days`); [`send_pending`]
//! hands the queued messages to a provider's [`NoticeSender`] outside any
//! transaction and records each outcome. An answer that never came is
//! `unknown` and is asked for ([`NoticeSender::query`]) — never sent a second
//! time on a guess, so nobody gets the same SMS twice. Accounts that opted
//! out (`accounts.notices_opt_out`) are never queued, and a message queued
//! before the customer opted out is skipped when its turn comes.

pub mod sender;

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Integer, Nullable, Numeric, Text},
};
use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::pii::{Field, PiiKeys};

pub use sender::{NoticeSender, OutgoingNotice, SendOutcome, SimulatedNoticeSender};

/// How notices reach customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Wechat,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
        }
    }
}

/// Which provider the server's scheduled job sends through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    /// Nothing is queued or sent (no provider contract yet).
    Off,
    /// Messages are kept in the server's memory and logged, never sent:
    /// demos and training.
    Simulated,
}

/// Settings of the notices (config `[notices]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub sender: SenderKind,
    pub channel: Channel,
    /// SMS signature (【…】); empty means the company name.
    pub signature: String,
    /// Bills whose period ended this many days ago or less are announced
    /// (so switching notices on does not announce years of old bills).
    pub new_bill_days: u32,
    /// Arrears are reminded of once a bill is this many days past its due
    /// date, and then at most once per `arrears_repeat_days`.
    pub arrears_after_days: u32,
    pub arrears_repeat_days: u32,
    /// Sends of one message that failed before it is given up.
    pub max_attempts: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sender: SenderKind::Off,
            channel: Channel::Sms,
            signature: String::new(),
            new_bill_days: 31,
            arrears_after_days: 7,
            arrears_repeat_days: 30,
            max_attempts: 3,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.arrears_repeat_days == 0 {
            return Err("notices.arrears_repeat_days must be at least 1".to_owned());
        }
        if self.max_attempts == 0 {
            return Err("notices.max_attempts must be at least 1".to_owned());
        }
        if self.new_bill_days == 0 {
            return Err("notices.new_bill_days must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// What a queue round decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    pub new_bills: u64,
    pub arrears: u64,
}

/// What a send round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub sent: u64,
    pub failed: u64,
    pub unknown: u64,
    pub skipped: u64,
}

struct NewNotice {
    business_key: String,
    kind: &'static str,
    account_id: i64,
    bill_id: Option<i64>,
    channel: &'static str,
    recipient_masked: String,
    template: &'static str,
    params: serde_json::Value,
    body: String,
}

#[derive(QueryableByName)]
struct BillCandidate {
    #[diesel(sql_type = BigInt)]
    bill_id: i64,
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Date)]
    due_on: NaiveDate,
    #[diesel(sql_type = Text)]
    phone_masked: String,
}

#[derive(QueryableByName)]
struct ArrearsCandidate {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Numeric)]
    overdue: Decimal,
    #[diesel(sql_type = Nullable<Date>)]
    oldest_due: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    phone_masked: String,
}

/// Decimal without trailing zeros: 35.000 m³ reads 35.
fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

fn period_text(period: &str) -> String {
    match period.split_once('-') {
        Some((year, month)) => format!("{year}年{}月", month.trim_start_matches('0')),
        None => period.to_owned(),
    }
}

fn new_bill_notice(settings: &Settings, signature: &str, bill: BillCandidate) -> NewNotice {
    let amount = format!("{:.2}", bill.amount);
    let volume = plain(bill.volume);
    let body = format!(
        "【{signature}】您的燃气户号{}{}账单已出：用气{volume}立方米，应缴{amount}元，\
         请于{}前缴纳。退订回T",
        bill.account_no,
        period_text(&bill.period),
        bill.due_on.format("%Y年%-m月%-d日"),
    );
    NewNotice {
        business_key: format!("bill:{}", bill.bill_id),
        kind: "new_bill",
        account_id: bill.account_id,
        bill_id: Some(bill.bill_id),
        channel: settings.channel.as_str(),
        recipient_masked: bill.phone_masked,
        template: "bill_issued",
        params: serde_json::json!({
            "account_no": bill.account_no,
            "period": bill.period,
            "volume_m3": volume,
            "amount": amount,
            "due_on": bill.due_on.to_string(),
        }),
        body,
    }
}

fn arrears_notice(
    settings: &Settings,
    signature: &str,
    today: NaiveDate,
    account: ArrearsCandidate,
) -> NewNotice {
    let amount = format!("{:.2}", account.overdue);
    let since = account
        .oldest_due
        .map(|due| format!("（最早应于{}前缴纳）", due.format("%Y年%-m月%-d日")))
        .unwrap_or_default();
    let body = format!(
        "【{signature}】您的燃气户号{}尚有{amount}元逾期未缴{since}，请尽快缴费，以免产生滞纳金。\
         已缴请忽略。退订回T",
        account.account_no,
    );
    NewNotice {
        business_key: format!("arrears:{}:{today}", account.account_id),
        kind: "arrears",
        account_id: account.account_id,
        bill_id: None,
        channel: settings.channel.as_str(),
        recipient_masked: account.phone_masked,
        template: "arrears_reminder",
        params: serde_json::json!({
            "account_no": account.account_no,
            "amount": amount,
            "oldest_due_on": account.oldest_due.map(|d| d.to_string()),
        }),
        body,
    }
}

/// Rows per INSERT: one array per column, so any count fits one statement;
/// chunks keep a statement's memory small.
const INSERT_ROWS: usize = 5_000;

fn insert(connection: &mut PgConnection, today: NaiveDate, rows: &[NewNotice]) -> Result<u64> {
    use diesel::sql_types::Array;
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_ROWS) {
        let column = |f: fn(&NewNotice) -> String| chunk.iter().map(f).collect::<Vec<_>>();
        inserted += sql_query(
            "INSERT INTO notices (business_key, queued_on, kind, account_id, bill_id, channel, \
                recipient_masked, template, params, body) \
             SELECT k, $10, kind, a, b, ch, r, t, p::jsonb, body \
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], \
                $6::text[], $7::text[], $8::text[], $9::text[]) AS u(k, kind, a, b, ch, r, t, p, body) \
             ON CONFLICT (business_key) DO NOTHING",
        )
        .bind::<Array<Text>, _>(column(|n| n.business_key.clone()))
        .bind::<Array<Text>, _>(column(|n| n.kind.to_owned()))
        .bind::<Array<BigInt>, _>(chunk.iter().map(|n| n.account_id).collect::<Vec<_>>())
        .bind::<Array<Nullable<BigInt>>, _>(chunk.iter().map(|n| n.bill_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(column(|n| n.channel.to_owned()))
        .bind::<Array<Text>, _>(column(|n| n.recipient_masked.clone()))
        .bind::<Array<Text>, _>(column(|n| n.template.to_owned()))
        .bind::<Array<Text>, _>(column(|n| n.params.to_string()))
        .bind::<Array<Text>, _>(column(|n| n.body.clone()))
        .bind::<Date, _>(today)
        .execute(connection)? as u64;
    }
    Ok(inserted)
}

/// Queues the notices due on `today`: one per new bill, one arrears
/// reminder per account every `arrears_repeat_days`. Repeating it queues
/// nothing twice.
pub fn queue(
    connection: &mut PgConnection,
    settings: &Settings,
    company_name: &str,
    today: NaiveDate,
) -> Result<Queued> {
    let signature = if settings.signature.trim().is_empty() {
        company_name.trim()
    } else {
        settings.signature.trim()
    };
    let new_bill_since = today - chrono::Duration::days(i64::from(settings.new_bill_days));
    connection.transaction(|connection| {
        // Current revisions only; a cancelled bill is announced by its
        // replacement.
        let bills: Vec<BillCandidate> = sql_query(
            "SELECT b.id AS bill_id, b.account_id, a.account_no, b.period, b.volume, b.amount, \
                    b.due_on, c.phone_masked \
             FROM bills b JOIN accounts a ON a.id = b.account_id \
             JOIN customers c ON c.id = a.customer_id \
             WHERE b.to_date >= $1 AND NOT b.cancelled AND b.amount > 0 \
               AND a.status <> 'closed' AND NOT a.notices_opt_out AND c.phone_enc IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
                   AND n.period = b.period AND n.revision > b.revision) \
               AND NOT EXISTS (SELECT 1 FROM notices x WHERE x.business_key = 'bill:' || b.id) \
             ORDER BY b.id",
        )
        .bind::<Date, _>(new_bill_since)
        .load(connection)?;
        let rows: Vec<NewNotice> = bills
            .into_iter()
            .map(|bill| new_bill_notice(settings, signature, bill))
            .collect();
        let new_bills = insert(connection, today, &rows)?;

        // What is overdue: the receivable balance less the current bills
        // not yet past the reminder's cut-off (payments settle the oldest
        // bills first, so what is still owed sits in the newest bills).
        // Arrears brought over from a legacy ledger have no bill: overdue.
        let cutoff = today - chrono::Duration::days(i64::from(settings.arrears_after_days));
        let quiet_since = today - chrono::Duration::days(i64::from(settings.arrears_repeat_days));
        let accounts: Vec<ArrearsCandidate> = sql_query(
            "SELECT a.id AS account_id, a.account_no, \
                    ab.balance - coalesce(sum(b.amount) FILTER (WHERE b.due_on >= $1), 0) AS overdue, \
                    min(b.due_on) FILTER (WHERE b.due_on < $1) AS oldest_due, c.phone_masked \
             FROM account_balances ab JOIN accounts a ON a.id = ab.account_id \
             JOIN customers c ON c.id = a.customer_id \
             LEFT JOIN bills b ON b.account_id = a.id AND NOT b.cancelled AND b.amount > 0 \
                  AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
                      AND n.period = b.period AND n.revision > b.revision) \
             WHERE ab.book = 'receivable' AND ab.balance > 0 \
               AND a.status <> 'closed' AND NOT a.notices_opt_out AND c.phone_enc IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM notices x \
                   WHERE x.account_id = a.id AND x.kind = 'arrears' AND x.queued_on > $2) \
             GROUP BY a.id, a.account_no, ab.balance, c.phone_masked \
             HAVING ab.balance - coalesce(sum(b.amount) FILTER (WHERE b.due_on >= $1), 0) > 0 \
             ORDER BY a.id",
        )
        .bind::<Date, _>(cutoff)
        .bind::<Date, _>(quiet_since)
        .load(connection)?;
        let rows: Vec<NewNotice> = accounts
            .into_iter()
            .map(|account| arrears_notice(settings, signature, today, account))
            .collect();
        let arrears = insert(connection, today, &rows)?;
        Ok(Queued { new_bills, arrears })
    })
}

#[derive(QueryableByName)]
struct Open {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    channel: String,
    #[diesel(sql_type = Text)]
    template: String,
    #[diesel(sql_type = Text)]
    params: String,
    #[diesel(sql_type = Text)]
    body: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    opted_out: bool,
    #[diesel(sql_type = Nullable<diesel::sql_types::Bytea>)]
    phone_enc: Option<Vec<u8>>,
}

/// Session-level advisory lock: one sender at a time across servers, so a
/// message is never handed to the provider twice by two servers at once.
const SEND_LOCK: i64 = 0x6761_7363_6973_4e31;

fn record(
    connection: &mut PgConnection,
    id: i64,
    status: &str,
    detail: &str,
    provider_id: &str,
    attempted: bool,
) -> Result<()> {
    sql_query(
        "UPDATE notices SET status = $2, status_detail = $3, \
            provider_message_id = CASE WHEN $4 = '' THEN provider_message_id ELSE $4 END, \
            attempts = attempts + $5, \
            last_attempt_at = CASE WHEN $5 > 0 THEN clock_timestamp() ELSE last_attempt_at END, \
            sent_at = CASE WHEN $2 = 'sent' THEN clock_timestamp() END \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(status)
    .bind::<Text, _>(detail)
    .bind::<Text, _>(provider_id)
    .bind::<Integer, _>(i32::from(attempted))
    .execute(connection)?;
    Ok(())
}

/// Sends up to `limit` open notices (pending, failed with attempts left,
/// unknown) through `sender`, oldest first, each outcome recorded at once.
/// Returns `None` when another server is sending right now.
pub fn send_pending(
    connection: &mut PgConnection,
    sender: &mut dyn NoticeSender,
    keys: &PiiKeys,
    settings: &Settings,
    limit: i64,
) -> Result<Option<Sent>> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let locked: Locked = sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(SEND_LOCK)
        .get_result(connection)?;
    if !locked.locked {
        return Ok(None);
    }
    let result = send_locked(connection, sender, keys, settings, limit);
    let unlocked = sql_query("SELECT pg_advisory_unlock($1) AS locked")
        .bind::<BigInt, _>(SEND_LOCK)
        .get_result::<Locked>(connection);
    let sent = result?;
    unlocked?;
    Ok(Some(sent))
}

fn send_locked(
    connection: &mut PgConnection,
    sender: &mut dyn NoticeSender,
    keys: &PiiKeys,
    settings: &Settings,
    limit: i64,
) -> Result<Sent> {
    let open: Vec<Open> = sql_query(
        "SELECT n.id, n.status, n.channel, n.template, n.params::text AS params, n.body, \
                a.notices_opt_out AS opted_out, c.phone_enc \
         FROM notices n JOIN accounts a ON a.id = n.account_id \
         JOIN customers c ON c.id = a.customer_id \
         WHERE n.status IN ('pending', 'unknown') OR (n.status = 'failed' AND n.attempts < $1) \
         ORDER BY n.id LIMIT $2",
    )
    .bind::<Integer, _>(i32::try_from(settings.max_attempts).unwrap_or(i32::MAX))
    .bind::<BigInt, _>(limit)
    .load(connection)?;
    let mut summary = Sent::default();
    for notice in open {
        if notice.opted_out {
            record(connection, notice.id, "skipped", "opted out", "", false)?;
            summary.skipped += 1;
            continue;
        }
        let outcome = if notice.status == "unknown" {
            // The provider may have sent it: ask, never send again.
            (sender.query(notice.id), false)
        } else {
            let phone = notice
                .phone_enc
                .as_deref()
                .map(|blob| keys.decrypt(Field::Phone, blob));
            match phone {
                Some(Ok(phone)) => {
                    let params = serde_json::from_str(&notice.params)
                        .map_err(|e| Error::Internal(format!("notice {}: {e}", notice.id)))?;
                    let outgoing = OutgoingNotice {
                        notice_id: notice.id,
                        channel: &notice.channel,
                        phone: &phone,
                        template: &notice.template,
                        params: &params,
                        body: &notice.body,
                    };
                    (sender.send(&outgoing), true)
                }
                Some(Err(error)) => (
                    SendOutcome::Failed(format!("the phone cannot be decrypted: {error}")),
                    false,
                ),
                None => (
                    SendOutcome::Failed("the customer has no phone any more".to_owned()),
                    false,
                ),
            }
        };
        match outcome {
            (
                SendOutcome::Sent {
                    provider_message_id,
                },
                attempted,
            ) => {
                record(
                    connection,
                    notice.id,
                    "sent",
                    "",
                    &provider_message_id,
                    attempted,
                )?;
                summary.sent += 1;
            }
            (SendOutcome::Failed(reason), attempted) => {
                record(connection, notice.id, "failed", &reason, "", attempted)?;
                summary.failed += 1;
            }
            (SendOutcome::Unknown(reason), attempted) => {
                record(connection, notice.id, "unknown", &reason, "", attempted)?;
                summary.unknown += 1;
            }
        }
    }
    Ok(summary)
}

/// One notice as staff see it.
#[derive(Debug, Clone, QueryableByName)]
pub struct NoticeRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub recipient_masked: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub status_detail: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An account's notices, newest first.
pub fn list(connection: &mut PgConnection, account_id: i64, limit: i64) -> Result<Vec<NoticeRow>> {
    Ok(sql_query(
        "SELECT id, kind, channel, recipient_masked, body, status, status_detail, attempts, \
                created_at, sent_at \
         FROM notices WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(limit)
    .load(connection)?)
}

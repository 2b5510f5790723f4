//! IC-card gas purchases (购气). The server prices and charges a purchase
//! and says what to write; the counter's card reader writes it and reports
//! back. A purchase is charged once, whatever happens to the write:
//! a failed write is written again from the same purchase (补气) with the
//! same purchase number, which the card accepts only once.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bytea, Integer, Nullable, Numeric, Text},
};
use gascis_common::{
    Money,
    card::CardState,
    tariff::{self, PurchaseInput, PurchaseRequest, Volume},
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::{
    archive::{self, Actor},
    billing::pricing,
    error::{Error, Result},
    ledger::{self, Line, NewTransaction},
};

/// What the card reader must write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteInstruction {
    pub purchase_id: i64,
    pub card_no: String,
    pub seq: u32,
    pub volume: Volume,
    pub amount: Money,
    pub balance_used: Money,
    pub cash_due: Money,
    /// (tier, volume, unit price, amount) as the receipt shows them.
    pub lines: Vec<(Option<u32>, Volume, Decimal, Money)>,
}

/// A purchase as asked at the counter.
#[derive(Debug, Clone)]
pub struct PurchaseOrder {
    pub account_id: i64,
    /// The card as the reader read it just now.
    pub card: CardState,
    pub request: PurchaseRequest,
    /// cash, bank_card, wechat, alipay…
    pub channel: String,
    pub idempotency_key: String,
    /// Sold at the counter: into the cashier's shift, with a receipt.
    pub counter: Option<CounterSale>,
}

/// What a counter sale adds to a purchase: whose till takes the money.
#[derive(Debug, Clone)]
pub struct CounterSale {
    pub cashier_id: i64,
    /// Cash handed over; None means exact.
    pub tendered: Option<Money>,
    /// The bank terminal's reference for card payments.
    pub reference: String,
}

/// A purchase priced for the card read, nothing written.
#[derive(Debug, Clone)]
pub struct Quote {
    pub priced: tariff::Purchase,
    /// Why the card cannot take this purchase now (gas still on the card,
    /// an earlier purchase not yet written); empty when it can.
    pub blocked: String,
    /// A paid purchase is not on the card: 补气 comes first.
    pub rewrite_pending: bool,
}

#[derive(QueryableByName)]
struct CardRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    card_no: String,
    #[diesel(sql_type = Integer)]
    issue_count: i32,
    #[diesel(sql_type = Integer)]
    purchase_count: i32,
}

#[derive(QueryableByName, Debug)]
struct PurchaseRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    card_id: i64,
    #[diesel(sql_type = Integer)]
    purchase_seq: i32,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Numeric)]
    balance_used: Decimal,
    #[diesel(sql_type = Numeric)]
    cash_due: Decimal,
    #[diesel(sql_type = Text)]
    lines: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Bytea)]
    request_sha256: Vec<u8>,
    #[diesel(sql_type = diesel::sql_types::Date)]
    created_on: NaiveDate,
}

const PURCHASE: &str = "SELECT id, card_id, purchase_seq, volume, amount, balance_used, cash_due, \
     lines::text AS lines, status, request_sha256, (created_at AT TIME ZONE 'Asia/Shanghai')::date AS created_on \
     FROM gas_purchases";

fn money(value: Decimal) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("amount: {e}")))
}

fn instruction(row: &PurchaseRow, card_no: &str) -> Result<WriteInstruction> {
    let lines: Vec<(Option<u32>, String, String, String)> = serde_json::from_str(&row.lines)
        .map_err(|e| Error::Internal(format!("purchase {} lines: {e}", row.id)))?;
    let lines = lines
        .into_iter()
        .map(|(tier, volume, price, amount)| {
            Ok((
                tier,
                volume
                    .parse::<Volume>()
                    .map_err(|e| Error::Internal(e.to_string()))?,
                price
                    .parse::<Decimal>()
                    .map_err(|e| Error::Internal(e.to_string()))?,
                amount
                    .parse::<Money>()
                    .map_err(|e| Error::Internal(e.to_string()))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(WriteInstruction {
        purchase_id: row.id,
        card_no: card_no.to_owned(),
        seq: u32::try_from(row.purchase_seq).unwrap_or(0),
        volume: Volume::try_from_decimal(row.volume).map_err(|e| Error::Internal(e.to_string()))?,
        amount: money(row.amount)?,
        balance_used: money(row.balance_used)?,
        cash_due: money(row.cash_due)?,
        lines,
    })
}

fn fingerprint(order: &PurchaseOrder) -> Vec<u8> {
    let request = match order.request {
        PurchaseRequest::Volume(volume) => format!("volume:{volume}"),
        PurchaseRequest::Amount(amount) => format!("amount:{amount}"),
    };
    // Purchases from before counter sales keep their fingerprints.
    let counter = match &order.counter {
        Some(sale) => format!(
            "|{}|{}",
            sale.tendered.map(|t| t.to_string()).unwrap_or_default(),
            sale.reference.trim()
        ),
        None => String::new(),
    };
    Sha256::digest(format!(
        "{}|{}|{}|{}{counter}",
        order.account_id, order.card.card_no, request, order.channel
    ))
    .to_vec()
}

/// The account's card, checked against what the reader read.
fn card_of(connection: &mut PgConnection, account_id: i64, read: &CardState) -> Result<CardRow> {
    let card: CardRow = sql_query(
        "SELECT id, card_no, issue_count, purchase_count, status FROM ic_cards \
         WHERE account_id = $1 AND status = 'active' ORDER BY id DESC LIMIT 1 FOR UPDATE",
    )
    .bind::<BigInt, _>(account_id)
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::Refused(format!("account {account_id} has no active IC card")))?;
    if card.card_no != read.card_no {
        return Err(Error::Refused(format!(
            "the card in the reader is {}, the account's card is {}",
            read.card_no, card.card_no
        )));
    }
    if i64::from(read.issue_count) != i64::from(card.issue_count) {
        return Err(Error::Refused(format!(
            "this card is issue {} but issue {} is current (补卡 replaced it); use the new card",
            read.issue_count, card.issue_count
        )));
    }
    Ok(card)
}

/// What pricing a purchase needs from the database.
struct Pricing {
    priced: tariff::Purchase,
    tariff_code: String,
    revision_id: i64,
    vat_rate: tariff::Rate,
    cycle_start: Option<NaiveDate>,
}

/// Prices a purchase by the cycle's tiers, what the account bought in the
/// cycle so far and its money balance (applied first).
fn price(
    connection: &mut PgConnection,
    account_id: i64,
    request: PurchaseRequest,
    today: NaiveDate,
) -> Result<Pricing> {
    let (published, attributes) = pricing::for_account(connection, account_id, today)?;
    let version = published.tariff.version_at(today);
    let cycle_start = version.and_then(|v| v.cycle.start_of(today));
    #[derive(QueryableByName)]
    struct Bought {
        #[diesel(sql_type = Numeric)]
        volume: Decimal,
    }
    let bought: Bought = sql_query(
        "SELECT coalesce(sum(volume), 0) AS volume FROM gas_purchases \
         WHERE account_id = $1 AND cycle_start IS NOT DISTINCT FROM $2",
    )
    .bind::<BigInt, _>(account_id)
    .bind::<Nullable<diesel::sql_types::Date>, _>(cycle_start)
    .get_result(connection)?;
    let balances = ledger::balances(connection, account_id)?;
    let priced = tariff::price_purchase(
        &published.tariff,
        &attributes,
        &PurchaseInput {
            date: today,
            cycle_purchases_to_date: Volume::try_from_decimal(bought.volume)
                .map_err(|e| Error::Internal(e.to_string()))?,
            balance: balances.prepayment,
            request,
        },
    )
    .map_err(|error| Error::invalid("request", error.to_string()))?;
    if priced.volume.is_zero() {
        return Err(Error::invalid(
            "request",
            "that buys no gas; ask for more money or a volume",
        ));
    }
    Ok(Pricing {
        vat_rate: version
            .map(|v| v.vat_rate)
            .unwrap_or_else(tariff::Rate::natural_gas_vat),
        tariff_code: published.tariff.code.clone(),
        revision_id: published.revision_id,
        priced,
        cycle_start,
    })
}

/// Prices a purchase for the card as read, without writing anything, and
/// says whether the card can take it now.
pub fn quote(
    connection: &mut PgConnection,
    account_id: i64,
    card: &CardState,
    request: PurchaseRequest,
) -> Result<Quote> {
    connection.transaction(|connection| {
        let row = card_of(connection, account_id, card)?;
        let unwritten: Option<PurchaseRow> = sql_query(format!(
            "{PURCHASE} WHERE card_id = $1 AND status = 'paid' ORDER BY purchase_seq LIMIT 1"
        ))
        .bind::<BigInt, _>(row.id)
        .get_result(connection)
        .optional()?;
        let mut blocked = String::new();
        let mut rewrite_pending = false;
        let mut card_count = row.purchase_count;
        if let Some(unwritten) = &unwritten {
            if i64::from(card.purchase_count) >= i64::from(unwritten.purchase_seq) {
                // The purchase will be recognised as written when paying.
                card_count = unwritten.purchase_seq;
            } else {
                rewrite_pending = true;
                blocked = format!(
                    "purchase #{} of {} m³ paid on {} is not on the card yet: write it again (补气) first",
                    unwritten.purchase_seq, unwritten.volume, unwritten.created_on
                );
            }
        }
        if blocked.is_empty() && i64::from(card.purchase_count) != i64::from(card_count) {
            blocked = format!(
                "the card has {} purchase(s) written, the account {}: check the card",
                card.purchase_count, card_count
            );
        }
        if blocked.is_empty() && !card.gas_on_card.is_zero() {
            blocked = format!(
                "the card still holds {} m³ not loaded into the meter; load it into the meter first",
                card.gas_on_card
            );
        }
        let pricing = price(connection, account_id, request, archive::today())?;
        Ok(Quote {
            priced: pricing.priced,
            blocked,
            rewrite_pending,
        })
    })
}

fn check_counter_sale(channel: &str, sale: &CounterSale) -> Result<()> {
    if crate::counter::is_scanned(channel) {
        return Err(Error::invalid(
            "channel",
            "IC-card gas is sold for cash, bank card, bank agent or online payments; \
             scanned WeChat/Alipay codes are not taken for card sales yet",
        ));
    }
    if sale.tendered.is_some() && channel != "cash" {
        return Err(Error::invalid("tendered", "is only for cash"));
    }
    if matches!(channel, "bank_card" | "bank_agent" | "online") && sale.reference.trim().is_empty()
    {
        return Err(Error::invalid(
            "reference",
            "is required for this channel (the terminal's or the bank's reference)",
        ));
    }
    if sale.reference.len() > 64 {
        return Err(Error::invalid("reference", "is longer than 64 characters"));
    }
    Ok(())
}

/// Prices and charges a purchase and returns what to write. The same
/// idempotency key with the same request returns the same purchase.
/// Sold at the counter, the purchase goes into the cashier's open shift
/// with a receipt number, like a payment.
pub fn purchase(
    connection: &mut PgConnection,
    actor: &Actor,
    order: &PurchaseOrder,
) -> Result<WriteInstruction> {
    if order.idempotency_key.trim().is_empty() {
        return Err(Error::invalid("idempotency_key", "is required"));
    }
    if order.idempotency_key.len() > 100 {
        return Err(Error::invalid(
            "idempotency_key",
            "is longer than 100 characters",
        ));
    }
    if !super::CHANNELS.contains(&order.channel.as_str()) {
        return Err(Error::invalid(
            "channel",
            format!(
                "'{}' is not one of {}",
                order.channel,
                super::CHANNELS.join(", ")
            ),
        ));
    }
    if let Some(sale) = &order.counter {
        check_counter_sale(&order.channel, sale)?;
    }
    let fingerprint = fingerprint(order);
    connection.transaction(|connection| {
        // The account row first, as payments take it: the balance applied
        // here cannot move under us, and a retry racing its original waits.
        let account_status = crate::counter::payments::lock_account(connection, order.account_id)?;
        let existing: Option<PurchaseRow> =
            sql_query(format!("{PURCHASE} WHERE idempotency_key = $1"))
                .bind::<Text, _>(order.idempotency_key.trim())
                .get_result(connection)
                .optional()?;
        if let Some(existing) = existing {
            if existing.request_sha256 != fingerprint {
                return Err(Error::AlreadyExists(format!(
                    "idempotency key {} was used for another purchase ({})",
                    order.idempotency_key, existing.id
                )));
            }
            return instruction(&existing, &order.card.card_no);
        }
        if account_status == "closed" {
            return Err(Error::Refused(
                "the account is closed (销户); it buys no gas".to_owned(),
            ));
        }
        let today = archive::today();
        crate::counter::check_period_open(connection, today)?;
        let shift_id = match &order.counter {
            Some(sale) => Some(crate::counter::shifts::open_for_posting(
                connection,
                sale.cashier_id,
                today,
            )?),
            None => None,
        };
        let card = card_of(connection, order.account_id, &order.card)?;
        // A paid purchase not yet on the card comes first (补气), unless
        // the card shows it arrived and only the answer was lost.
        let unwritten: Option<PurchaseRow> = sql_query(format!(
            "{PURCHASE} WHERE card_id = $1 AND status = 'paid' ORDER BY purchase_seq LIMIT 1"
        ))
        .bind::<BigInt, _>(card.id)
        .get_result(connection)
        .optional()?;
        let mut card_count = card.purchase_count;
        if let Some(unwritten) = unwritten {
            if i64::from(order.card.purchase_count) >= i64::from(unwritten.purchase_seq) {
                mark_written(connection, actor, &unwritten, card.id, "found on the card")?;
                card_count = unwritten.purchase_seq;
            } else {
                return Err(Error::Refused(format!(
                    "purchase #{} of {} m³ paid on {} is not on the card yet: write it again (补气) first",
                    unwritten.purchase_seq, unwritten.volume, unwritten.created_on
                )));
            }
        }
        if i64::from(order.card.purchase_count) != i64::from(card_count) {
            return Err(Error::Refused(format!(
                "the card has {} purchase(s) written, the account {}: check the card",
                order.card.purchase_count, card_count
            )));
        }
        if !order.card.gas_on_card.is_zero() {
            return Err(Error::Refused(format!(
                "the card still holds {} m³ not loaded into the meter; load it into the meter first",
                order.card.gas_on_card
            )));
        }
        let Pricing {
            priced,
            tariff_code,
            revision_id,
            vat_rate,
            cycle_start,
        } = price(connection, order.account_id, order.request, today)?;
        let tendered = order.counter.as_ref().and_then(|sale| sale.tendered);
        let change = match tendered {
            Some(tendered) if tendered.as_decimal() < priced.cash_due.as_decimal() => {
                return Err(Error::invalid(
                    "tendered",
                    format!(
                        "{tendered} handed over is less than the {} to pay",
                        priced.cash_due
                    ),
                ));
            }
            Some(tendered) => Some(
                tendered
                    .checked_sub(priced.cash_due)
                    .ok_or_else(|| Error::Internal("change overflow".to_owned()))?,
            ),
            None => None,
        };
        let seq = card_count + 1;
        let lines: Vec<(Option<u32>, String, String, String)> = priced
            .lines
            .iter()
            .map(|l| {
                (
                    l.tier,
                    l.volume.to_string(),
                    l.unit_price.to_string(),
                    l.amount.to_string(),
                )
            })
            .collect();
        let lines_json =
            serde_json::to_string(&lines).map_err(|e| Error::Internal(e.to_string()))?;
        let vat = tariff::vat_split(priced.amount, vat_rate)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let key = format!("purchase:{}", order.idempotency_key.trim());
        let mut ledger_lines = vec![
            Line {
                book: "gas_revenue",
                account_id: None,
                amount: -vat.net,
            },
            Line {
                book: "vat_output",
                account_id: None,
                amount: -vat.tax,
            },
            Line {
                book: &order.channel,
                account_id: None,
                amount: priced.cash_due,
            },
            Line {
                book: ledger::book::PREPAYMENT,
                account_id: Some(order.account_id),
                amount: priced.balance_used,
            },
        ];
        ledger_lines.retain(|line| line.amount != Money::ZERO);
        let memo = format!("购气 {} m³, 卡 {} 第{}次", priced.volume, card.card_no, seq);
        let transaction = if ledger_lines.len() >= 2 {
            Some(ledger::post(
                connection,
                &NewTransaction {
                    business_key: &key,
                    kind: "gas_purchase",
                    account_id: Some(order.account_id),
                    occurred_on: today,
                    created_by: &actor.username,
                    memo: &memo,
                    lines: ledger_lines,
                },
            )?)
        } else {
            None
        };
        let receipt_no = match shift_id {
            Some(_) => Some(crate::counter::payments::next_receipt_no(connection, today)?),
            None => None,
        };
        let after = ledger::balances(connection, order.account_id)?;
        let row: PurchaseRow = sql_query(format!(
            "WITH inserted AS (INSERT INTO gas_purchases (account_id, card_id, purchase_seq, idempotency_key, \
                request_sha256, volume, amount, balance_used, cash_due, channel, tariff_code, tariff_revision_id, \
                lines, cycle_start, ledger_transaction_id, created_by, shift_id, business_date, receipt_no, \
                tendered, change_given, reference, arrears_after, prepayment_after) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17, $18, \
                $19, $20, $21, $22, $23, $24) RETURNING *) \
             {} ",
            PURCHASE.replace("FROM gas_purchases", "FROM inserted")
        ))
        .bind::<BigInt, _>(order.account_id)
        .bind::<BigInt, _>(card.id)
        .bind::<Integer, _>(seq)
        .bind::<Text, _>(order.idempotency_key.trim())
        .bind::<Bytea, _>(&fingerprint)
        .bind::<Numeric, _>(priced.volume.as_decimal())
        .bind::<Numeric, _>(priced.amount.as_decimal())
        .bind::<Numeric, _>(priced.balance_used.as_decimal())
        .bind::<Numeric, _>(priced.cash_due.as_decimal())
        .bind::<Text, _>(&order.channel)
        .bind::<Text, _>(&tariff_code)
        .bind::<BigInt, _>(revision_id)
        .bind::<Text, _>(&lines_json)
        .bind::<Nullable<diesel::sql_types::Date>, _>(cycle_start)
        .bind::<Nullable<BigInt>, _>(transaction)
        .bind::<Text, _>(&actor.username)
        .bind::<Nullable<BigInt>, _>(shift_id)
        .bind::<Nullable<diesel::sql_types::Date>, _>(shift_id.map(|_| today))
        .bind::<Nullable<Text>, _>(receipt_no)
        .bind::<Nullable<Numeric>, _>(tendered.map(Money::as_decimal))
        .bind::<Nullable<Numeric>, _>(change.map(Money::as_decimal))
        .bind::<Text, _>(
            order
                .counter
                .as_ref()
                .map(|sale| sale.reference.trim())
                .unwrap_or_default(),
        )
        .bind::<Numeric, _>(after.arrears.as_decimal())
        .bind::<Numeric, _>(after.prepayment.as_decimal())
        .get_result(connection)?;
        instruction(&row, &card.card_no)
    })
}

fn mark_written(
    connection: &mut PgConnection,
    actor: &Actor,
    purchase: &PurchaseRow,
    card_id: i64,
    detail: &str,
) -> Result<()> {
    sql_query(
        "UPDATE gas_purchases SET status = 'written', written_at = now() WHERE id = $1 AND status = 'paid'",
    )
    .bind::<BigInt, _>(purchase.id)
    .execute(connection)?;
    sql_query("UPDATE ic_cards SET purchase_count = greatest(purchase_count, $2) WHERE id = $1")
        .bind::<BigInt, _>(card_id)
        .bind::<Integer, _>(purchase.purchase_seq)
        .execute(connection)?;
    operation(
        connection,
        actor,
        card_id,
        Some(purchase.id),
        "write_purchase",
        "ok",
        detail,
    )
}

fn operation(
    connection: &mut PgConnection,
    actor: &Actor,
    card_id: i64,
    purchase_id: Option<i64>,
    kind: &str,
    outcome: &str,
    detail: &str,
) -> Result<()> {
    sql_query(
        "INSERT INTO card_operations (card_id, purchase_id, kind, outcome, detail, by_user) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<BigInt, _>(card_id)
    .bind::<Nullable<BigInt>, _>(purchase_id)
    .bind::<Text, _>(kind)
    .bind::<Text, _>(outcome)
    .bind::<Text, _>(detail)
    .bind::<Text, _>(&actor.username)
    .execute(connection)?;
    Ok(())
}

/// What the reader reported after writing. `card` is the card read back
/// after the attempt (it tells a lost answer from a failed write).
pub fn confirm_write(
    connection: &mut PgConnection,
    actor: &Actor,
    purchase_id: i64,
    card: Option<&CardState>,
    error: Option<&str>,
) -> Result<bool> {
    connection.transaction(|connection| {
        let purchase: PurchaseRow = sql_query(format!("{PURCHASE} WHERE id = $1 FOR UPDATE"))
            .bind::<BigInt, _>(purchase_id)
            .get_result(connection)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("purchase {purchase_id}")))?;
        if purchase.status == "written" {
            return Ok(true);
        }
        sql_query("UPDATE gas_purchases SET write_attempts = write_attempts + 1 WHERE id = $1")
            .bind::<BigInt, _>(purchase_id)
            .execute(connection)?;
        let on_card =
            card.is_some_and(|c| i64::from(c.purchase_count) >= i64::from(purchase.purchase_seq));
        if on_card {
            mark_written(
                connection,
                actor,
                &purchase,
                purchase.card_id,
                error.unwrap_or("written"),
            )?;
            return Ok(true);
        }
        operation(
            connection,
            actor,
            purchase.card_id,
            Some(purchase.id),
            "write_purchase",
            "failed",
            error.unwrap_or("not on the card"),
        )?;
        Ok(false)
    })
}

/// 补气: the unwritten purchase of an account again, to write with the same
/// purchase number. Nothing is charged.
pub fn rewrite(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    card: &CardState,
) -> Result<WriteInstruction> {
    connection.transaction(|connection| {
        let row = card_of(connection, account_id, card)?;
        let unwritten: PurchaseRow = sql_query(format!(
            "{PURCHASE} WHERE card_id = $1 AND status = 'paid' ORDER BY purchase_seq LIMIT 1"
        ))
        .bind::<BigInt, _>(row.id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| {
            Error::Refused("every purchase of this card is on the card; nothing to re-write".into())
        })?;
        operation(
            connection,
            actor,
            row.id,
            Some(unwritten.id),
            "rewrite",
            "ok",
            "re-write requested (补气)",
        )?;
        instruction(&unwritten, &row.card_no)
    })
}

/// What to write on a new card (补卡).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueInstruction {
    pub card_no: String,
    pub issue_count: u32,
    pub purchase_count: u32,
    /// Gas paid for and never written (it goes onto the new card).
    pub gas: Volume,
}

/// 补卡: the old card is dead; the new one carries the purchase count and
/// any paid gas that never reached the meter.
pub fn reissue(
    connection: &mut PgConnection,
    actor: &Actor,
    account_id: i64,
    reason: &str,
) -> Result<IssueInstruction> {
    if reason.trim().is_empty() {
        return Err(Error::invalid("reason", "say why (lost, damaged…)"));
    }
    connection.transaction(|connection| {
        let card: CardRow = sql_query(
            "SELECT id, card_no, issue_count, purchase_count, status FROM ic_cards \
             WHERE account_id = $1 AND status = 'active' ORDER BY id DESC LIMIT 1 FOR UPDATE",
        )
        .bind::<BigInt, _>(account_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::Refused(format!("account {account_id} has no active IC card")))?;
        #[derive(QueryableByName)]
        struct Unwritten {
            #[diesel(sql_type = Numeric)]
            volume: Decimal,
            #[diesel(sql_type = Nullable<Integer>)]
            last_seq: Option<i32>,
        }
        let unwritten: Unwritten = sql_query(
            "SELECT coalesce(sum(volume), 0) AS volume, max(purchase_seq) AS last_seq \
             FROM gas_purchases WHERE card_id = $1 AND status = 'paid'",
        )
        .bind::<BigInt, _>(card.id)
        .get_result(connection)?;
        // The paid gas goes onto the new card: those purchases count as written.
        let purchase_count = unwritten.last_seq.unwrap_or(card.purchase_count);
        sql_query(
            "UPDATE gas_purchases SET status = 'written', written_at = now() \
             WHERE card_id = $1 AND status = 'paid'",
        )
        .bind::<BigInt, _>(card.id)
        .execute(connection)?;
        sql_query(
            "UPDATE ic_cards SET issue_count = issue_count + 1, purchase_count = $2, \
             version = version + 1 WHERE id = $1",
        )
        .bind::<BigInt, _>(card.id)
        .bind::<Integer, _>(purchase_count)
        .execute(connection)?;
        operation(
            connection,
            actor,
            card.id,
            None,
            "reissue",
            "issued",
            reason.trim(),
        )?;
        Ok(IssueInstruction {
            card_no: card.card_no,
            issue_count: u32::try_from(card.issue_count + 1).unwrap_or(0),
            purchase_count: u32::try_from(purchase_count).unwrap_or(0),
            gas: Volume::try_from_decimal(unwritten.volume)
                .map_err(|e| Error::Internal(e.to_string()))?,
        })
    })
}

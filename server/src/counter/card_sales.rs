//! IC-card gas sold at the counter (购气) as the till, the day report and
//! the receipt see it. Selling itself is `prepaid::ic_card::purchase` with
//! a `CounterSale`: the sale is posted in the cashier's open shift, its
//! money (`cash_due`, what the channel took after the prepayment applied)
//! counts in that shift's channel like a payment's.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Date, Integer, Nullable, Numeric, Text, Timestamptz},
};
use gascis_common::{Money, tariff::Volume};
use rust_decimal::Decimal;

use crate::{
    error::{Error, Result},
    print::{ReceiptDocument, ReceiptKind, ReceiptLine, ReceiptPurchase, TierLine},
};

#[derive(Debug, Clone, QueryableByName)]
pub struct SaleRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub account_no: String,
    #[diesel(sql_type = Text)]
    pub card_no: String,
    #[diesel(sql_type = Integer)]
    pub purchase_seq: i32,
    #[diesel(sql_type = Numeric)]
    pub volume: Decimal,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Numeric)]
    pub balance_used: Decimal,
    #[diesel(sql_type = Numeric)]
    pub cash_due: Decimal,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub lines: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub write_attempts: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub shift_id: Option<i64>,
    #[diesel(sql_type = Nullable<Date>)]
    pub business_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub receipt_no: Option<String>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub tendered: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub change_given: Option<Decimal>,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub arrears_after: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub prepayment_after: Option<Decimal>,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Text)]
    pub cashier_name: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT g.id, g.account_id, a.account_no, c.card_no, g.purchase_seq, g.volume, \
     g.amount, g.balance_used, g.cash_due, g.channel, g.lines::text AS lines, g.status, \
     g.write_attempts, g.shift_id, g.business_date, g.receipt_no, g.tendered, g.change_given, \
     g.reference, g.arrears_after, g.prepayment_after, g.created_by, \
     coalesce(u.display_name, g.created_by) AS cashier_name, g.created_at \
     FROM gas_purchases g JOIN accounts a ON a.id = g.account_id \
     JOIN ic_cards c ON c.id = g.card_id LEFT JOIN users u ON u.username = g.created_by ";

/// One priced tier of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    pub tier: Option<u32>,
    pub volume: Volume,
    pub unit_price: Decimal,
    pub amount: Money,
}

/// A sale with its priced lines.
#[derive(Debug, Clone)]
pub struct Sale {
    pub row: SaleRow,
    pub lines: Vec<SaleLine>,
}

fn money(value: Decimal, what: &str) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

fn parse_lines(row: &SaleRow) -> Result<Vec<SaleLine>> {
    let lines: Vec<(Option<u32>, String, String, String)> = serde_json::from_str(&row.lines)
        .map_err(|e| Error::Internal(format!("purchase {} lines: {e}", row.id)))?;
    lines
        .into_iter()
        .map(|(tier, volume, price, amount)| {
            let bad = |e: String| Error::Internal(format!("purchase {} line: {e}", row.id));
            Ok(SaleLine {
                tier,
                volume: volume.parse().map_err(|e| bad(format!("{e}")))?,
                unit_price: price.parse().map_err(|e| bad(format!("{e}")))?,
                amount: amount.parse().map_err(|e| bad(format!("{e}")))?,
            })
        })
        .collect()
}

fn with_lines(row: SaleRow) -> Result<Sale> {
    let lines = parse_lines(&row)?;
    Ok(Sale { row, lines })
}

pub fn load(connection: &mut PgConnection, purchase_id: i64) -> Result<Sale> {
    let row: SaleRow = sql_query(format!("{SELECT} WHERE g.id = $1"))
        .bind::<BigInt, _>(purchase_id)
        .get_result(connection)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("gas purchase {purchase_id}")))?;
    with_lines(row)
}

pub fn by_receipt(connection: &mut PgConnection, receipt_no: &str) -> Result<Option<Sale>> {
    let row: Option<SaleRow> = sql_query(format!("{SELECT} WHERE g.receipt_no = $1"))
        .bind::<Text, _>(receipt_no)
        .get_result(connection)
        .optional()?;
    row.map(with_lines).transpose()
}

/// Sales of a shift, oldest first.
pub fn of_shift(connection: &mut PgConnection, shift_id: i64) -> Result<Vec<SaleRow>> {
    Ok(
        sql_query(format!("{SELECT} WHERE g.shift_id = $1 ORDER BY g.id"))
            .bind::<BigInt, _>(shift_id)
            .load(connection)?,
    )
}

/// Counter sales that took money in `channel` on `day`, oldest first.
pub fn of_channel_day(
    connection: &mut PgConnection,
    channel: &str,
    day: NaiveDate,
) -> Result<Vec<SaleRow>> {
    Ok(sql_query(format!(
        "{SELECT} WHERE g.channel = $1 AND g.business_date = $2 AND g.shift_id IS NOT NULL \
         AND g.cash_due > 0 ORDER BY g.id"
    ))
    .bind::<Text, _>(channel)
    .bind::<Date, _>(day)
    .load(connection)?)
}

/// Purchases of an account, newest first.
pub fn of_account(connection: &mut PgConnection, account_id: i64, limit: i64) -> Result<Vec<Sale>> {
    let rows: Vec<SaleRow> = sql_query(format!(
        "{SELECT} WHERE g.account_id = $1 ORDER BY g.id DESC LIMIT $2"
    ))
    .bind::<BigInt, _>(account_id)
    .bind::<BigInt, _>(limit)
    .load(connection)?;
    rows.into_iter().map(with_lines).collect()
}

/// A tier as receipts name it.
pub fn tier_label(tier: Option<u32>) -> String {
    const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match tier {
        Some(tier) => match usize::try_from(tier.max(1) - 1)
            .ok()
            .and_then(|i| NUMERALS.get(i))
        {
            Some(numeral) => format!("第{numeral}阶梯"),
            None => format!("第{tier}阶梯"),
        },
        None => "气费".to_owned(),
    }
}

/// The receipt of a counter sale: the gas by tier, the prepayment applied,
/// and the money taken (in figures and 大写).
pub fn document(
    connection: &mut PgConnection,
    company: &str,
    sale: &Sale,
    printed_at: chrono::NaiveDateTime,
) -> Result<ReceiptDocument> {
    let row = &sale.row;
    let receipt_no = row
        .receipt_no
        .clone()
        .ok_or_else(|| Error::NotFound(format!("gas purchase {} has no receipt", row.id)))?;
    #[derive(QueryableByName)]
    struct AccountInfo {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        address: String,
        #[diesel(sql_type = Text)]
        meter_no: String,
    }
    let info: AccountInfo = sql_query(
        "SELECT c.name, p.address, coalesce((SELECT m.meter_no FROM meters m \
             WHERE m.account_id = a.id AND m.installed ORDER BY m.id DESC LIMIT 1), '') AS meter_no \
         FROM accounts a JOIN customers c ON c.id = a.customer_id \
         JOIN premises p ON p.id = a.premise_id WHERE a.id = $1",
    )
    .bind::<BigInt, _>(row.account_id)
    .get_result(connection)?;
    let balance_used = money(row.balance_used, "balance used")?;
    let mut lines = Vec::new();
    if balance_used != Money::ZERO {
        lines.push(ReceiptLine {
            label: "预存抵扣".to_owned(),
            detail: String::new(),
            amount: Money::ZERO
                .checked_sub(balance_used)
                .ok_or_else(|| Error::Internal("receipt overflow".to_owned()))?,
        });
    }
    Ok(ReceiptDocument {
        company_name: company.to_owned(),
        title: String::new(),
        receipt_no,
        reprint: false,
        kind: ReceiptKind::GasPurchase,
        account_no: row.account_no.clone(),
        customer_name: super::mask_name(&info.name),
        address: info.address,
        meter_no: info.meter_no,
        business_date: row
            .business_date
            .unwrap_or_else(|| (row.created_at + chrono::Duration::hours(8)).date_naive()),
        printed_at,
        channel_label: super::channel_label(&row.channel).to_owned(),
        reference: row.reference.clone(),
        cashier: row.cashier_name.clone(),
        bills: Vec::new(),
        purchase: Some(ReceiptPurchase {
            card_no: row.card_no.clone(),
            purchase_seq: u32::try_from(row.purchase_seq).unwrap_or(0),
            volume_m3: row.volume,
            tier_lines: sale
                .lines
                .iter()
                .map(|line| TierLine {
                    label: tier_label(line.tier),
                    volume_m3: line.volume.as_decimal(),
                    unit_price: line.unit_price,
                    amount: line.amount,
                })
                .collect(),
            gas_amount: money(row.amount, "amount")?,
        }),
        lines,
        amount: money(row.cash_due, "cash due")?,
        tendered: row.tendered.map(|t| money(t, "tendered")).transpose()?,
        change: row.change_given.map(|c| money(c, "change")).transpose()?,
        prepayment_after: money(row.prepayment_after.unwrap_or_default(), "prepayment after")?,
        arrears_after: money(row.arrears_after.unwrap_or_default(), "arrears after")?,
        note: String::new(),
    })
}

//! Tariff what-if (调价测算): re-prices the bills of past periods with a
//! draft tariff — same consumption, same days, same tier counters — and
//! reports the revenue change and how households are affected. Nothing is
//! written.

use std::{collections::BTreeMap, path::Path};

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Date, Integer, Numeric, Text},
};
use gascis_common::tariff::{self, AccountAttributes, Consumption, Tariff, Volume};
use rust_decimal::Decimal;

use super::{customer_type, purpose_key, run::Period};
use crate::{
    error::{Error, Result},
    export::ListWriter,
};

/// One account's bills of the span, now and with the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    pub account_no: String,
    pub customer_name: String,
    pub customer_type: String,
    pub bills: u32,
    pub volume: Decimal,
    pub current: Decimal,
    pub draft: Decimal,
}

impl Impact {
    pub fn change(&self) -> Decimal {
        self.draft - self.current
    }
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub bills: u64,
    pub current: Decimal,
    pub draft: Decimal,
    /// Accounts per band of yearly change in CNY, in band order.
    pub bands: Vec<(String, u64)>,
    /// Bills the draft cannot price, with the reason.
    pub unpriced: Vec<(String, String)>,
    pub accounts: Vec<Impact>,
}

/// Bands of the change per account (CNY over the span).
pub const BANDS: &[&str] = &[
    "减少",
    "不变",
    "增加 0–10 元",
    "增加 10–50 元",
    "增加 50–100 元",
    "增加 100–500 元",
    "增加 500 元以上",
];

fn band(change: Decimal) -> usize {
    if change < Decimal::ZERO {
        0
    } else if change.is_zero() {
        1
    } else if change <= Decimal::from(10) {
        2
    } else if change <= Decimal::from(50) {
        3
    } else if change <= Decimal::from(100) {
        4
    } else if change <= Decimal::from(500) {
        5
    } else {
        6
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_no: String,
    #[diesel(sql_type = Text)]
    customer_name: String,
    #[diesel(sql_type = Text)]
    customer_type: String,
    #[diesel(sql_type = Bool)]
    low_income: bool,
    #[diesel(sql_type = Text)]
    flat_class: String,
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = Integer)]
    household_size: i32,
    #[diesel(sql_type = Date)]
    from_date: NaiveDate,
    #[diesel(sql_type = Date)]
    to_date: NaiveDate,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Numeric)]
    cycle_to_date: Decimal,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

/// Re-prices the current bills of periods `from`..=`to` of the accounts
/// billed with tariff `draft.code`.
pub fn run(
    connection: &mut PgConnection,
    draft: &Tariff,
    from: Period,
    to: Period,
) -> Result<Report> {
    draft
        .validate()
        .map_err(|e| Error::invalid("tariff", e.to_string()))?;
    if to.first < from.first {
        return Err(Error::invalid("to", "ends before the span starts"));
    }
    let mut report = Report::default();
    let mut accounts: BTreeMap<String, Impact> = BTreeMap::new();
    let mut after = 0_i64;
    loop {
        let rows: Vec<Row> = sql_query(
            "SELECT b.id, a.account_no, c.name AS customer_name, c.customer_type, a.low_income, a.flat_class, \
                    coalesce((SELECT k.gas_purpose FROM contracts k WHERE k.account_id = a.id \
                        ORDER BY k.id DESC LIMIT 1), 'cooking') AS purpose, \
                    coalesce((SELECT r.household_size FROM household_registrations r \
                        WHERE r.account_id = a.id AND r.effective_from <= b.to_date \
                        ORDER BY r.effective_from DESC, r.id DESC LIMIT 1), 1) AS household_size, \
                    b.from_date, b.to_date, b.volume, b.cycle_to_date, b.amount \
             FROM bills b JOIN accounts a ON a.id = b.account_id JOIN customers c ON c.id = a.customer_id \
             WHERE b.tariff_code = $1 AND b.period BETWEEN $2 AND $3 AND NOT b.cancelled AND b.id > $4 \
               AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
                   AND n.period = b.period AND n.revision > b.revision) \
             ORDER BY b.id LIMIT 5000",
        )
        .bind::<Text, _>(&draft.code)
        .bind::<Text, _>(from.label())
        .bind::<Text, _>(to.label())
        .bind::<BigInt, _>(after)
        .load(connection)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.id;
        for row in rows {
            let attributes = AccountAttributes {
                customer_type: customer_type(&row.customer_type),
                purpose: purpose_key(&row.purpose).to_owned(),
                household_size: u32::try_from(row.household_size).unwrap_or(1),
                low_income: row.low_income,
                flat_class: (!row.flat_class.is_empty()).then(|| row.flat_class.clone()),
            };
            let quote = Volume::try_from_decimal(row.volume)
                .and_then(|v| Ok((v, Volume::try_from_decimal(row.cycle_to_date)?)))
                .map_err(|e| e.to_string())
                .and_then(|(volume, cycle_to_date)| {
                    tariff::quote(
                        draft,
                        &attributes,
                        &Consumption {
                            volume,
                            from: row.from_date,
                            to: row.to_date,
                            cycle_to_date,
                        },
                    )
                    .map_err(|e| e.to_string())
                });
            let priced = match quote {
                Ok(quote) => quote.total.as_decimal(),
                Err(reason) => {
                    report.unpriced.push((row.account_no.clone(), reason));
                    continue;
                }
            };
            report.bills += 1;
            report.current += row.amount;
            report.draft += priced;
            let impact = accounts
                .entry(row.account_no.clone())
                .or_insert_with(|| Impact {
                    account_no: row.account_no.clone(),
                    customer_name: row.customer_name.clone(),
                    customer_type: row.customer_type.clone(),
                    bills: 0,
                    volume: Decimal::ZERO,
                    current: Decimal::ZERO,
                    draft: Decimal::ZERO,
                });
            impact.bills += 1;
            impact.volume += row.volume;
            impact.current += row.amount;
            impact.draft += priced;
        }
    }
    let mut counts = vec![0_u64; BANDS.len()];
    for impact in accounts.values() {
        counts[band(impact.change())] += 1;
    }
    report.bands = BANDS
        .iter()
        .zip(counts)
        .map(|(name, n)| ((*name).to_owned(), n))
        .collect();
    report.accounts = accounts.into_values().collect();
    Ok(report)
}

/// The report as an .xlsx list, one row per account, with a total row.
pub fn export(report: &Report, path: &Path) -> Result<u64> {
    let mut list = ListWriter::new(
        "调价测算",
        &[
            "户号",
            "户名",
            "用户类型",
            "账单数",
            "用气量(m³)",
            "现行金额",
            "新方案金额",
            "变化",
        ],
    );
    for impact in &report.accounts {
        list.row(&[
            impact.account_no.clone(),
            impact.customer_name.clone(),
            impact.customer_type.clone(),
            impact.bills.to_string(),
            impact.volume.to_string(),
            impact.current.to_string(),
            impact.draft.to_string(),
            impact.change().to_string(),
        ])?;
    }
    list.row(&[
        "合计".to_owned(),
        String::new(),
        String::new(),
        report.bills.to_string(),
        String::new(),
        report.current.to_string(),
        report.draft.to_string(),
        (report.draft - report.current).to_string(),
    ])?;
    list.save(path)
}

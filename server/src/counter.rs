//! The counter hall (营业厅): payments on every channel with their
//! allocation to bills, voids and refunds as reversals, the cashier's shift
//! and its close (扎帐), receipts, and the month-end lock.
//!
//! Invariants: a payment posts at most once per idempotency key; postings
//! lock the account row (what is unpaid decides the allocation) and their
//! shift row FOR SHARE (a close takes it FOR UPDATE, so it waits for
//! postings in flight and later postings see the shift closed); nothing
//! posts into a locked month.

pub mod account;
pub mod card_sales;
pub mod demo;
pub mod gateways;
pub mod payments;
pub mod receipts;
pub mod shifts;
pub mod statements;
pub mod voids;

use chrono::{Datelike, NaiveDate};
use diesel::{prelude::*, sql_query, sql_types::Text};

use crate::{
    db::Prepared,
    error::{Error, Result},
};

pub use crate::prepaid::CHANNELS;

/// Which part of an overdue bill a payment settles first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationOrder {
    /// The late fee, then the principal (common practice).
    LateFeeFirst,
    PrincipalFirst,
}

/// Settings of the counter (config `[counter]`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub allocation: AllocationOrder,
    /// How long to wait for a payment channel's answer before the outcome
    /// is recorded as unknown.
    pub gateway_timeout_ms: u64,
    /// Age of a signed channel notification beyond which it is refused.
    pub notification_max_age_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allocation: AllocationOrder::LateFeeFirst,
            gateway_timeout_ms: 15_000,
            notification_max_age_seconds: 600,
        }
    }
}

/// Channels whose money moves through a gateway when the cashier scans the
/// customer's payment code.
pub fn is_scanned(channel: &str) -> bool {
    matches!(channel, "wechat" | "alipay")
}

pub fn check_channel(channel: &str) -> Result<()> {
    if CHANNELS.contains(&channel) {
        Ok(())
    } else {
        Err(Error::invalid(
            "channel",
            format!("'{channel}' is not one of {}", CHANNELS.join(", ")),
        ))
    }
}

/// The channel as receipts and reports name it.
pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "cash" => "现金",
        "bank_card" => "银行卡",
        "wechat" => "微信",
        "alipay" => "支付宝",
        "bank_agent" => "银行代收",
        "online" => "网上缴费",
        _ => "其他",
    }
}

/// YYYY-MM of a day.
pub fn period_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Refuses postings dated in a locked month. Runs inside the posting's
/// transaction.
pub fn check_period_open(connection: &mut PgConnection, day: NaiveDate) -> Result<()> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Text)]
        locked_by: String,
    }
    // Conflicts with the SHARE lock `lock_period` takes: a month being
    // locked waits for this posting, and this posting waits for the lock
    // and then sees it. Checking first and writing later would let a
    // posting that checked before the lock committed write into the month.
    sql_query("LOCK TABLE payments, gas_purchases IN ROW EXCLUSIVE MODE").execute(connection)?;
    let period = period_of(day);
    let locked: Option<Locked> = Prepared(
        sql_query("SELECT locked_by FROM period_locks WHERE period = $1").bind::<Text, _>(&period),
    )
    .get_result(connection)
    .optional()?;
    match locked {
        Some(lock) => Err(Error::Refused(format!(
            "month {period} is locked (月结, by {}); nothing more posts into it",
            lock.locked_by
        ))),
        None => Ok(()),
    }
}

/// Locks a month; false when it was locked already.
pub fn lock_period(connection: &mut PgConnection, period: &str, by: &str) -> Result<bool> {
    let valid =
        period.len() == 7 && NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok();
    if !valid {
        return Err(Error::invalid(
            "period",
            format!("'{period}' is not a month like 2026-10"),
        ));
    }
    connection.transaction(|connection| {
        // Waits for payments and card sales being written and holds new
        // ones back until the lock is committed: none slips in beside it.
        sql_query("LOCK TABLE payments, gas_purchases IN SHARE MODE").execute(connection)?;
        let inserted = sql_query(
            "INSERT INTO period_locks (period, locked_by) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(period)
        .bind::<Text, _>(by)
        .execute(connection)?;
        Ok(inserted == 1)
    })
}

/// A customer's name as a receipt shows it to whoever holds the paper: the
/// family name and the last character (王*芳), or the first two
/// characters of an organisation's long name and the rest starred.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => chars.iter().collect(),
        2 => format!("{}*", chars[0]),
        3 => format!("{}*{}", chars[0], chars[2]),
        n if n <= 6 => {
            let mut out = String::new();
            out.push(chars[0]);
            out.push_str(&"*".repeat(n - 2));
            out.push(chars[n - 1]);
            out
        }
        n => {
            // Organisations: the start identifies the company well enough.
            let mut out: String = chars[..4].iter().collect();
            out.push_str(&"*".repeat(n - 6));
            out.extend(&chars[n - 2..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_but_recognisable() {
        assert_eq!(mask_name("王芳"), "王*");
        assert_eq!(mask_name("王小芳"), "王*芳");
        assert_eq!(mask_name("欧阳小芳"), "欧**芳");
        assert_eq!(mask_name("北京市海淀区实验小学"), "北京市海****小学");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn every_channel_has_a_label() {
        for channel in CHANNELS {
            assert_ne!(channel_label(channel), "其他", "{channel}");
        }
    }
}

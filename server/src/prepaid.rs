//! Prepaid meters: IC-card purchases written to cards, and IoT meters
//! charged from their daily readings with the valve closed and reopened by
//! the balance.

pub mod ic_card;
pub mod iot;

/// Payment channels the counter takes; each is a clearing book of the
/// ledger until the day's money is counted.
pub const CHANNELS: &[&str] = &[
    "cash",
    "bank_card",
    "wechat",
    "alipay",
    "bank_agent",
    "online",
];

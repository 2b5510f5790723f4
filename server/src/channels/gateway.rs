//! The adapter every acquirer (WeChat Pay, Alipay, the bank-card acquirer,
//! online banking, bank agents) implements, and the check of a payment code
//! before it is sent anywhere.
//!
//! The trait is synchronous on purpose: it is called from blocking threads
//! and never inside a database transaction, because a charge can take many
//! seconds and holding row locks across a network call would stall the
//! counter hall.

use chrono::{DateTime, Utc};
use gascis_common::Money;

/// A charge of a customer's payment code (付款码), scanned at the counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Our order number (商户订单号); the gateway charges each at most once.
    pub order_no: String,
    pub amount: Money,
    pub payment_code: String,
    /// Shown to the customer in their payment app.
    pub description: String,
}

/// What a charge came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Paid {
        /// The channel's transaction number (渠道流水号).
        channel_ref: String,
        paid_at: DateTime<Utc>,
    },
    /// The channel refused; no money moved.
    Declined { code: String, message: String },
    /// No answer (timeout, broken connection): the money may or may not have
    /// moved. Recorded as unknown and resolved by `query` or the daily
    /// statement, never guessed.
    Unknown { detail: String },
}

/// What the channel says about an order whose outcome we did not learn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    Paid {
        channel_ref: String,
        paid_at: DateTime<Utc>,
        amount: Money,
    },
    /// The channel has no payment for the order (it may not know it at all).
    NotPaid,
    /// The query itself got no answer; ask again later.
    Unknown { detail: String },
}

/// One acquirer. Implementations must be idempotent per `order_no`: a
/// second charge of the same order returns the first outcome and never
/// takes money twice (the real channels behave so, and our retry after a
/// lost answer relies on it).
pub trait PaymentGateway: Send + Sync {
    /// "wechat" | "alipay" | "bank_card" | "online" | "bank_agent".
    fn channel(&self) -> &str;
    /// Charge a customer's payment code (付款码 scanned at the counter).
    fn charge(&self, request: &ChargeRequest) -> ChargeOutcome;
    /// What became of an order whose outcome we did not learn.
    fn query(&self, order_no: &str) -> QueryOutcome;
}

/// Why a scanned payment code cannot be sent to the chosen channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentCodeError {
    #[error("the payment code is empty; scan the customer's 付款码")]
    Empty,
    #[error("the payment code must be digits only; character {position} is '{found}'")]
    NotDigits { position: usize, found: char },
    #[error("this is a {detected} payment code, not {chosen}; choose {detected} as the channel")]
    OtherChannel {
        chosen: &'static str,
        detected: &'static str,
    },
    #[error("a {channel} payment code {expected}; this one has {length} digits")]
    Length {
        channel: &'static str,
        expected: &'static str,
        length: usize,
    },
    #[error("a {channel} payment code starts with {expected}; this one starts with {prefix}")]
    Prefix {
        channel: &'static str,
        expected: &'static str,
        prefix: String,
    },
    #[error("channel '{0}' does not take scanned payment codes")]
    NotScanned(String),
}

// Documented code shapes:
// - WeChat Pay 付款码支付: "18位纯数字，以10、11、12、13、14、15开头"
//   (https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=5_1).
// - Alipay 当面付 auth_code: "25~30开头的长度为16~24位的数字，实际字符串长度以开发者获取的付款码长度为准"
//   (https://opendocs.alipay.com/open/194/106039/).
// Both quoted e.g. at https://blog.csdn.net/wuqiqi1992/article/details/109045685.
// Bank cards: a PAN has at most 19 digits (ISO/IEC 7812); UnionPay's
// scanned QR codes are 19 digits starting 62.
const WECHAT_PREFIXES: std::ops::RangeInclusive<u8> = 10..=15;
const ALIPAY_PREFIXES: std::ops::RangeInclusive<u8> = 25..=30;
const WECHAT_LENGTH: usize = 18;
const ALIPAY_LENGTHS: std::ops::RangeInclusive<usize> = 16..=24;
const BANK_CARD_LENGTHS: std::ops::RangeInclusive<usize> = 12..=19;

fn two_digit_prefix(code: &str) -> Option<u8> {
    code.get(..2).and_then(|prefix| prefix.parse().ok())
}

/// The channel a well-formed code belongs to, from its prefix and length;
/// lets the counter pick the channel from the scan alone.
pub fn channel_of_payment_code(code: &str) -> Option<&'static str> {
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix = two_digit_prefix(code)?;
    if WECHAT_PREFIXES.contains(&prefix) && code.len() == WECHAT_LENGTH {
        Some("wechat")
    } else if ALIPAY_PREFIXES.contains(&prefix) && ALIPAY_LENGTHS.contains(&code.len()) {
        Some("alipay")
    } else {
        None
    }
}

fn label(channel: &str) -> &'static str {
    match channel {
        "wechat" => "WeChat Pay (微信)",
        "alipay" => "Alipay (支付宝)",
        "bank_card" => "bank card (银行卡)",
        _ => "other",
    }
}

/// Checks a scanned code against the chosen channel's documented shape, so
/// a mis-scan or a code for the other wallet is caught at the counter
/// instead of coming back as an opaque refusal.
pub fn validate_payment_code(channel: &str, code: &str) -> Result<(), PaymentCodeError> {
    if !matches!(channel, "wechat" | "alipay" | "bank_card") {
        return Err(PaymentCodeError::NotScanned(channel.to_owned()));
    }
    if code.is_empty() {
        return Err(PaymentCodeError::Empty);
    }
    if let Some((index, found)) = code.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(PaymentCodeError::NotDigits {
            position: index + 1,
            found,
        });
    }
    let chosen = label(channel);
    // Bank cards are not cross-checked: Mastercard's 2-series (2221–2720,
    // 16 digits) has the shape of an Alipay code.
    if channel != "bank_card"
        && let Some(detected) = channel_of_payment_code(code)
        && detected != channel
    {
        return Err(PaymentCodeError::OtherChannel {
            chosen,
            detected: label(detected),
        });
    }
    let prefix = two_digit_prefix(code);
    let shown_prefix = code.chars().take(2).collect::<String>();
    match channel {
        "wechat" => {
            if !prefix.is_some_and(|p| WECHAT_PREFIXES.contains(&p)) {
                return Err(PaymentCodeError::Prefix {
                    channel: chosen,
                    expected: "10–15",
                    prefix: shown_prefix,
                });
            }
            if code.len() != WECHAT_LENGTH {
                return Err(PaymentCodeError::Length {
                    channel: chosen,
                    expected: "has 18 digits",
                    length: code.len(),
                });
            }
        }
        "alipay" => {
            if !prefix.is_some_and(|p| ALIPAY_PREFIXES.contains(&p)) {
                return Err(PaymentCodeError::Prefix {
                    channel: chosen,
                    expected: "25–30",
                    prefix: shown_prefix,
                });
            }
            if !ALIPAY_LENGTHS.contains(&code.len()) {
                return Err(PaymentCodeError::Length {
                    channel: chosen,
                    expected: "has 16 to 24 digits",
                    length: code.len(),
                });
            }
        }
        _ => {
            if !BANK_CARD_LENGTHS.contains(&code.len()) {
                return Err(PaymentCodeError::Length {
                    channel: chosen,
                    expected: "has 12 to 19 digits",
                    length: code.len(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_documented_shapes() {
        assert_eq!(
            validate_payment_code("wechat", "134567890123456789"),
            Ok(())
        );
        assert_eq!(
            validate_payment_code("wechat", "104567890123456789"),
            Ok(())
        );
        assert_eq!(validate_payment_code("alipay", "2812345678901234"), Ok(()));
        assert_eq!(
            validate_payment_code("alipay", "301234567890123456789012"),
            Ok(())
        );
        assert_eq!(
            validate_payment_code("bank_card", "6222021234567890123"),
            Ok(())
        );
        assert_eq!(
            validate_payment_code("bank_card", "2512345678901234"),
            Ok(())
        );
        assert_eq!(
            channel_of_payment_code("134567890123456789"),
            Some("wechat")
        );
        assert_eq!(channel_of_payment_code("2812345678901234"), Some("alipay"));
        assert_eq!(channel_of_payment_code("6222021234567890123"), None);
    }

    #[test]
    fn refuses_with_a_specific_reason() {
        assert_eq!(
            validate_payment_code("wechat", ""),
            Err(PaymentCodeError::Empty)
        );
        assert_eq!(
            validate_payment_code("wechat", "13456789012345678x"),
            Err(PaymentCodeError::NotDigits {
                position: 18,
                found: 'x'
            })
        );
        assert!(matches!(
            validate_payment_code("wechat", "2812345678901234"),
            Err(PaymentCodeError::OtherChannel { .. })
        ));
        assert!(matches!(
            validate_payment_code("alipay", "134567890123456789"),
            Err(PaymentCodeError::OtherChannel { .. })
        ));
        assert!(matches!(
            validate_payment_code("wechat", "1345678901234567"),
            Err(PaymentCodeError::Length { length: 16, .. })
        ));
        assert!(matches!(
            validate_payment_code("wechat", "164567890123456789"),
            Err(PaymentCodeError::Prefix { .. })
        ));
        assert!(matches!(
            validate_payment_code("alipay", "24123456789012345"),
            Err(PaymentCodeError::Prefix { .. })
        ));
        assert!(matches!(
            validate_payment_code("alipay", "2512345678901234567890123"),
            Err(PaymentCodeError::Length { length: 25, .. })
        ));
        assert!(matches!(
            validate_payment_code("bank_card", "12345"),
            Err(PaymentCodeError::Length { length: 5, .. })
        ));
        assert_eq!(
            validate_payment_code("online", "134567890123456789"),
            Err(PaymentCodeError::NotScanned("online".into()))
        );
        let message = validate_payment_code("alipay", "134567890123456789")
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("WeChat"), "{message}");
    }
}

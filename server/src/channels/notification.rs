//! Signed asynchronous notifications: an online or bank-agent channel tells
//! us that a customer paid in an app or at a bank.
//!
//! The signature is HMAC-SHA256 over a canonical string of every field,
//! keys sorted, `key=value` joined by `&`. Values are percent-escaped for
//! `%`, `&` and `=`, so no two different notifications share a canonical
//! string (without it, `order_no = "1&amount=9"` could shift a field into
//! its neighbour). Amounts travel as decimal strings, never floats.
//!
//! Replays of a fresh, correctly signed notification are not refused here:
//! the payment it carries is posted at most once by its channel reference,
//! which the caller's database enforces.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use gascis_common::{Money, money::MoneyError};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A payment the channel reports, as we use it after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub channel: String,
    /// Our order number; empty for bank-agent payments, which name the
    /// account instead.
    pub order_no: String,
    pub account_no: String,
    /// The channel's transaction number; the payment's business key.
    pub channel_ref: String,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// Unique per delivery, so equal payments never sign alike.
    pub nonce: String,
}

/// A notification as it travels: every value text, plus the time it was
/// sent and the hex signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedNotification {
    pub channel: String,
    pub order_no: String,
    pub account_no: String,
    pub channel_ref: String,
    /// Decimal text such as "128.50".
    pub amount: String,
    /// RFC 3339.
    pub paid_at: String,
    pub nonce: String,
    /// When the channel sent it, Unix seconds; signed, so it bounds replay.
    pub timestamp: i64,
    /// Lower-case hex HMAC-SHA256 of the canonical string.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("the notification is not valid JSON: {0}")]
    Json(String),
    #[error("the signature does not match (tampered, or signed with another secret)")]
    BadSignature,
    #[error("the notification was sent {age_seconds} s ago; the limit is {max_age_seconds} s")]
    Stale {
        age_seconds: i64,
        max_age_seconds: i64,
    },
    #[error("the notification is dated {ahead_seconds} s in the future")]
    FromTheFuture { ahead_seconds: i64 },
    #[error("amount '{value}' is malformed: {reason}")]
    MalformedAmount { value: String, reason: String },
    #[error("amount '{0}' is not positive")]
    NonPositiveAmount(String),
    #[error("paid_at '{0}' is not an RFC 3339 time")]
    MalformedTime(String),
    #[error("field {0} is empty")]
    MissingField(&'static str),
    #[error("the notification names neither an order number nor an account number")]
    NoReference,
}

/// Clocks of the channel and ours may disagree a little.
const CLOCK_SKEW_SECONDS: i64 = 300;

fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '%' => escaped.push_str("%25"),
            '&' => escaped.push_str("%26"),
            '=' => escaped.push_str("%3D"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The string that is signed: every field but the signature, keys sorted.
pub fn canonical(signed: &SignedNotification) -> String {
    let timestamp = signed.timestamp.to_string();
    let fields: [(&str, &str); 8] = [
        ("account_no", &signed.account_no),
        ("amount", &signed.amount),
        ("channel", &signed.channel),
        ("channel_ref", &signed.channel_ref),
        ("nonce", &signed.nonce),
        ("order_no", &signed.order_no),
        ("paid_at", &signed.paid_at),
        ("timestamp", &timestamp),
    ];
    debug_assert!(fields.windows(2).all(|pair| pair[0].0 < pair[1].0));
    fields
        .iter()
        .map(|(key, value)| format!("{key}={}", escape(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn mac(secret: &[u8], text: &str) -> Option<Hmac<Sha256>> {
    // HMAC takes keys of any length, so this never fails in practice.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).ok()?;
    mac.update(text.as_bytes());
    Some(mac)
}

/// Signs a notification sent now.
pub fn sign(secret: &[u8], notification: &Notification) -> SignedNotification {
    sign_at(secret, notification, Utc::now())
}

/// Signs a notification sent at `sent_at` (tests and simulators).
pub fn sign_at(
    secret: &[u8],
    notification: &Notification,
    sent_at: DateTime<Utc>,
) -> SignedNotification {
    let mut signed = SignedNotification {
        channel: notification.channel.clone(),
        order_no: notification.order_no.clone(),
        account_no: notification.account_no.clone(),
        channel_ref: notification.channel_ref.clone(),
        amount: notification.amount.to_string(),
        paid_at: notification
            .paid_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        nonce: notification.nonce.clone(),
        timestamp: sent_at.timestamp(),
        signature: String::new(),
    };
    signed.signature = mac(secret, &canonical(&signed))
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    signed
}

/// Checks the signature (in constant time), the age and the content, and
/// returns the payment. The signature comes first: nothing about an
/// unauthenticated message is worth reporting beyond that it is one.
pub fn verify(
    secret: &[u8],
    signed: &SignedNotification,
    now: DateTime<Utc>,
    max_age: TimeDelta,
) -> Result<Notification, NotificationError> {
    let signature =
        hex::decode(signed.signature.trim()).map_err(|_| NotificationError::BadSignature)?;
    let mac = mac(secret, &canonical(signed)).ok_or(NotificationError::BadSignature)?;
    mac.verify_slice(&signature)
        .map_err(|_| NotificationError::BadSignature)?;

    let age_seconds = now.timestamp().saturating_sub(signed.timestamp);
    if age_seconds > max_age.num_seconds() {
        return Err(NotificationError::Stale {
            age_seconds,
            max_age_seconds: max_age.num_seconds(),
        });
    }
    if age_seconds < -CLOCK_SKEW_SECONDS {
        return Err(NotificationError::FromTheFuture {
            ahead_seconds: -age_seconds,
        });
    }

    let amount = parse_amount(&signed.amount)?;
    let paid_at = DateTime::parse_from_rfc3339(signed.paid_at.trim())
        .map_err(|_| NotificationError::MalformedTime(signed.paid_at.clone()))?
        .with_timezone(&Utc);
    if signed.channel.trim().is_empty() {
        return Err(NotificationError::MissingField("channel"));
    }
    if signed.channel_ref.trim().is_empty() {
        return Err(NotificationError::MissingField("channel_ref"));
    }
    if signed.nonce.trim().is_empty() {
        return Err(NotificationError::MissingField("nonce"));
    }
    if signed.order_no.trim().is_empty() && signed.account_no.trim().is_empty() {
        return Err(NotificationError::NoReference);
    }
    Ok(Notification {
        channel: signed.channel.clone(),
        order_no: signed.order_no.clone(),
        account_no: signed.account_no.clone(),
        channel_ref: signed.channel_ref.clone(),
        amount,
        paid_at,
        nonce: signed.nonce.clone(),
    })
}

fn parse_amount(text: &str) -> Result<Money, NotificationError> {
    let malformed = |reason: &str| NotificationError::MalformedAmount {
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    if text.contains(['e', 'E']) {
        return Err(malformed(
            "scientific notation is a float; send the exact decimal",
        ));
    }
    let amount: Money = text.parse().map_err(|error| match error {
        MoneyError::TooPrecise(_) => malformed("more than 2 decimal places"),
        MoneyError::Overflow => malformed("out of range"),
        MoneyError::NotANumber(_) => malformed("not a decimal number"),
    })?;
    if amount.is_negative() || amount == Money::ZERO {
        return Err(NotificationError::NonPositiveAmount(text.to_owned()));
    }
    Ok(amount)
}

impl SignedNotification {
    /// The JSON text the notification travels as.
    pub fn to_json(&self) -> String {
        // Plain strings and an integer always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, NotificationError> {
        serde_json::from_str(text).map_err(|error| NotificationError::Json(error.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"channel secret";

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, hour, minute, 0).unwrap()
    }

    fn payment() -> Notification {
        Notification {
            channel: "bank_agent".into(),
            order_no: String::new(),
            account_no: "0100012345".into(),
            channel_ref: "BA20261125000001".into(),
            amount: "128.50".parse().unwrap(),
            paid_at: at(9, 30),
            nonce: "n-1".into(),
        }
    }

    fn max_age() -> TimeDelta {
        TimeDelta::minutes(10)
    }

    #[test]
    fn round_trips_through_json() {
        let signed = sign_at(SECRET, &payment(), at(9, 31));
        assert_eq!(signed.amount, "128.50");
        let text = signed.to_json();
        let back = SignedNotification::from_json(&text).unwrap();
        assert_eq!(back, signed);
        assert_eq!(verify(SECRET, &back, at(9, 35), max_age()), Ok(payment()));
    }

    #[test]
    fn refuses_tampering_and_wrong_secret() {
        let signed = sign_at(SECRET, &payment(), at(9, 31));
        let mut tampered = signed.clone();
        tampered.amount = "1128.50".into();
        assert_eq!(
            verify(SECRET, &tampered, at(9, 35), max_age()),
            Err(NotificationError::BadSignature)
        );
        let mut tampered = signed.clone();
        tampered.account_no = "0100012346".into();
        assert_eq!(
            verify(SECRET, &tampered, at(9, 35), max_age()),
            Err(NotificationError::BadSignature)
        );
        let mut tampered = signed.clone();
        tampered.timestamp += 60;
        assert_eq!(
            verify(SECRET, &tampered, at(9, 35), max_age()),
            Err(NotificationError::BadSignature)
        );
        let mut tampered = signed.clone();
        tampered.signature = "not hex".into();
        assert_eq!(
            verify(SECRET, &tampered, at(9, 35), max_age()),
            Err(NotificationError::BadSignature)
        );
        assert_eq!(
            verify(b"another secret", &signed, at(9, 35), max_age()),
            Err(NotificationError::BadSignature)
        );
    }

    #[test]
    fn escaping_keeps_fields_apart() {
        let mut first = payment();
        first.account_no = "01&amount=9".into();
        let mut second = payment();
        second.account_no = "01".into();
        let first = sign_at(SECRET, &first, at(9, 31));
        let second = sign_at(SECRET, &second, at(9, 31));
        assert_ne!(canonical(&first), canonical(&second));
        assert!(canonical(&first).contains("account_no=01%26amount%3D9&amount=128.50"));
    }

    #[test]
    fn refuses_stale_and_future() {
        let signed = sign_at(SECRET, &payment(), at(9, 0));
        assert_eq!(
            verify(SECRET, &signed, at(9, 11), max_age()),
            Err(NotificationError::Stale {
                age_seconds: 660,
                max_age_seconds: 600
            })
        );
        assert_eq!(
            verify(SECRET, &signed, at(8, 50), max_age()),
            Err(NotificationError::FromTheFuture { ahead_seconds: 600 })
        );
        // A few seconds of skew are tolerated.
        assert!(verify(SECRET, &signed, at(8, 59), max_age()).is_ok());
    }

    /// A correctly signed notification with bad content is still refused,
    /// each case with its own error.
    #[test]
    fn refuses_malformed_content() {
        let resign = |change: &dyn Fn(&mut SignedNotification)| {
            let mut signed = sign_at(SECRET, &payment(), at(9, 31));
            change(&mut signed);
            signed.signature = hex::encode(
                mac(SECRET, &canonical(&signed))
                    .unwrap()
                    .finalize()
                    .into_bytes(),
            );
            verify(SECRET, &signed, at(9, 32), max_age())
        };
        assert!(matches!(
            resign(&|s| s.amount = "1.2E+3".into()),
            Err(NotificationError::MalformedAmount { .. })
        ));
        assert!(matches!(
            resign(&|s| s.amount = "12.345".into()),
            Err(NotificationError::MalformedAmount { .. })
        ));
        assert!(matches!(
            resign(&|s| s.amount = "12,50".into()),
            Err(NotificationError::MalformedAmount { .. })
        ));
        assert_eq!(
            resign(&|s| s.amount = "0.00".into()),
            Err(NotificationError::NonPositiveAmount("0.00".into()))
        );
        assert_eq!(
            resign(&|s| s.amount = "-5".into()),
            Err(NotificationError::NonPositiveAmount("-5".into()))
        );
        assert_eq!(
            resign(&|s| s.paid_at = "yesterday".into()),
            Err(NotificationError::MalformedTime("yesterday".into()))
        );
        assert_eq!(
            resign(&|s| s.channel_ref = String::new()),
            Err(NotificationError::MissingField("channel_ref"))
        );
        assert_eq!(
            resign(&|s| s.account_no = String::new()),
            Err(NotificationError::NoReference)
        );
        assert!(matches!(
            SignedNotification::from_json("{\"channel\": 1}"),
            Err(NotificationError::Json(_))
        ));
    }
}

//! The provider adapter for notices: an SMS platform or the WeChat
//! template-message API each implement [`NoticeSender`]. Providers take our
//! notice id as their "out id", so a message whose answer was lost can be
//! looked up instead of sent again.

use std::sync::{Arc, Mutex};

/// A message on its way out. The phone is in clear only here.
#[derive(Debug, Clone)]
pub struct OutgoingNotice<'a> {
    pub notice_id: i64,
    /// `sms` or `wechat`.
    pub channel: &'a str,
    pub phone: &'a str,
    /// The provider's template name and its parameters (WeChat, template
    /// SMS); `body` is the same message rendered, for plain SMS.
    pub template: &'a str,
    pub params: &'a serde_json::Value,
    pub body: &'a str,
}

/// What the provider said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent {
        provider_message_id: String,
    },
    /// Definitely not sent (bad number, refused template, quota): may be
    /// retried up to `notices.max_attempts`.
    Failed(String),
    /// No answer: maybe sent. Asked for with `query`, never sent again.
    Unknown(String),
}

pub trait NoticeSender: Send {
    fn send(&mut self, notice: &OutgoingNotice<'_>) -> SendOutcome;
    /// The fate of a message whose answer was lost, by our notice id.
    fn query(&mut self, notice_id: i64) -> SendOutcome;
}

/// One message the simulator delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub notice_id: i64,
    pub channel: String,
    pub phone: String,
    pub body: String,
}

#[derive(Debug, Default)]
struct Inbox {
    delivered: Vec<Delivered>,
    fail_next: u32,
    silent_next: u32,
}

/// A provider that delivers into memory: tests, the demo and training.
/// Clones share one inbox, so a test keeps a handle while the sender is
/// in use.
#[derive(Debug, Clone, Default)]
pub struct SimulatedNoticeSender {
    inbox: Arc<Mutex<Inbox>>,
}

impl SimulatedNoticeSender {
    fn with<T>(&self, f: impl FnOnce(&mut Inbox) -> T) -> T {
        match self.inbox.lock() {
            Ok(mut inbox) => f(&mut inbox),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The next `n` messages are refused.
    pub fn fail_next(&self, n: u32) {
        self.with(|inbox| inbox.fail_next = n);
    }

    /// The next `n` messages are delivered but their answers are lost.
    pub fn stay_silent_next(&self, n: u32) {
        self.with(|inbox| inbox.silent_next = n);
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.with(|inbox| inbox.delivered.clone())
    }
}

fn message_id(notice_id: i64) -> String {
    format!("SIM{notice_id:010}")
}

impl NoticeSender for SimulatedNoticeSender {
    fn send(&mut self, notice: &OutgoingNotice<'_>) -> SendOutcome {
        self.with(|inbox| {
            if inbox.fail_next > 0 {
                inbox.fail_next -= 1;
                return SendOutcome::Failed("simulated: the provider refused the message".into());
            }
            if !plausible_phone(notice.phone) {
                return SendOutcome::Failed(format!(
                    "simulated: '{}' is not a mobile number",
                    gascis_common::masking::mask_phone(notice.phone)
                ));
            }
            inbox.delivered.push(Delivered {
                notice_id: notice.notice_id,
                channel: notice.channel.to_owned(),
                phone: notice.phone.to_owned(),
                body: notice.body.to_owned(),
            });
            if inbox.silent_next > 0 {
                inbox.silent_next -= 1;
                return SendOutcome::Unknown("simulated: no answer from the provider".into());
            }
            SendOutcome::Sent {
                provider_message_id: message_id(notice.notice_id),
            }
        })
    }

    fn query(&mut self, notice_id: i64) -> SendOutcome {
        self.with(|inbox| {
            if inbox
                .delivered
                .iter()
                .any(|delivered| delivered.notice_id == notice_id)
            {
                SendOutcome::Sent {
                    provider_message_id: message_id(notice_id),
                }
            } else {
                SendOutcome::Failed("simulated: the provider never got it".into())
            }
        })
    }
}

/// Mainland mobile numbers: 11 digits from 1. Landlines get no SMS.
pub fn plausible_phone(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

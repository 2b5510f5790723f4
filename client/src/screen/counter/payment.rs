//! 收款: the payment form of the open account, run from the keyboard alone.
//! The channel is chosen with F5–F8, the amount starts at what settles
//! everything, cash shows the change while the tendered money is typed,
//! and a scanned payment code submits on the scanner's Enter.
//!
//! Every attempt has an idempotency key, made when the form starts and
//! kept for every resend of the same request: an answer lost on the way
//! back is fetched again by sending the very same request, never by a
//! second payment. A new key comes only with a new attempt (after a
//! refusal or a decline, or for the next payment).

use std::str::FromStr;

use gascis_common::Money;
use gascis_common::proto::v1 as pb;
use iced::keyboard::key;

use crate::api::ApiError;

/// A channel the counter takes money on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Cash,
    BankCard,
    WeChat,
    Alipay,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Cash,
        Channel::BankCard,
        Channel::WeChat,
        Channel::Alipay,
    ];

    /// The wire name.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Cash => "cash",
            Channel::BankCard => "bank_card",
            Channel::WeChat => "wechat",
            Channel::Alipay => "alipay",
        }
    }

    /// The function key that chooses it.
    pub fn key(self) -> key::Named {
        match self {
            Channel::Cash => key::Named::F5,
            Channel::BankCard => key::Named::F6,
            Channel::WeChat => key::Named::F7,
            Channel::Alipay => key::Named::F8,
        }
    }

    pub fn key_label(self) -> &'static str {
        match self {
            Channel::Cash => "F5",
            Channel::BankCard => "F6",
            Channel::WeChat => "F7",
            Channel::Alipay => "F8",
        }
    }

    pub fn from_key(named: &key::Named) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.key() == *named)
    }

    /// The customer's phone shows a code the cashier scans.
    pub fn is_scanned(self) -> bool {
        matches!(self, Channel::WeChat | Channel::Alipay)
    }
}

/// What is wrong with a field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    AmountMissing,
    AmountInvalid,
    AmountNotPositive,
    TenderedInvalid,
    /// Less money handed over than the amount.
    TenderedShort,
    ReferenceMissing,
    PaymentCodeMissing,
    PaymentCodeInvalid,
}

/// The problems of the form, per field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Problems {
    pub amount: Option<Problem>,
    pub tendered: Option<Problem>,
    pub reference: Option<Problem>,
    pub payment_code: Option<Problem>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        *self == Problems::default()
    }
}

/// Where the current attempt stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// Being filled in. `problem` is the server's refusal of the last
    /// attempt, `declined` the channel's reason for declining it.
    Editing {
        problem: Option<ApiError>,
        declined: Option<String>,
    },
    /// Sent; `resend` when this is the same request sent again.
    Sending {
        request: pb::PostPaymentRequest,
        resend: bool,
    },
    /// No answer came (network, timeout): whether the money was taken is
    /// not known here. Only the same request may go again.
    Unconfirmed {
        request: pb::PostPaymentRequest,
        error: ApiError,
    },
    /// The channel has not answered yet (the customer confirms on the
    /// phone): asking again with the same request fetches the outcome.
    Pending {
        request: pb::PostPaymentRequest,
        payment: Box<pb::Payment>,
    },
    /// The server recorded the outcome as unknown: reconciliation decides.
    /// Never shown as paid.
    Unknown { payment: Box<pb::Payment> },
}

/// What a server answer means for the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Not the answer of this attempt (a late one): nothing to do.
    Ignored,
    /// Posted: the money is booked.
    Posted(Box<pb::Payment>),
    /// The form shows the outcome (declined, refused, unknown, pending,
    /// unconfirmed); the till may have changed.
    Shown,
}

/// The payment form of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentForm {
    pub account_id: i64,
    /// What settles everything, as the server said.
    pub total_due: Money,
    pub channel: Channel,
    pub amount: String,
    pub tendered: String,
    pub reference: String,
    pub payment_code: String,
    /// The key of this attempt.
    pub key: String,
    /// Post was pressed: problems are shown from now on.
    pub attempted: bool,
    pub attempt: Attempt,
}

/// A decimal amount of money as typed: "12.5", " 100 ".
fn parse_money(text: &str) -> Option<Money> {
    Money::from_str(text.trim()).ok()
}

/// The amount of a wire decimal; zero when the server sent none.
pub fn wire_money(text: &str) -> Money {
    parse_money(text).unwrap_or(Money::ZERO)
}

impl PaymentForm {
    /// A form for `account`, the amount set to its total due, cash.
    pub fn new(account: &pb::CounterAccount, key: String) -> Self {
        let total_due = wire_money(&account.total_due);
        PaymentForm {
            account_id: account.account_id,
            total_due,
            channel: Channel::Cash,
            amount: if total_due > Money::ZERO {
                total_due.to_string()
            } else {
                String::new()
            },
            tendered: String::new(),
            reference: String::new(),
            payment_code: String::new(),
            key,
            attempted: false,
            attempt: Attempt::Editing {
                problem: None,
                declined: None,
            },
        }
    }

    /// Fields may be changed and the form sent: nothing is in flight or
    /// waiting to be resent.
    pub fn is_editable(&self) -> bool {
        matches!(self.attempt, Attempt::Editing { .. })
    }

    /// The request sent and not answered yet.
    pub fn in_flight(&self) -> Option<&pb::PostPaymentRequest> {
        match &self.attempt {
            Attempt::Sending { request, .. } => Some(request),
            _ => None,
        }
    }

    /// The request that a retry sends again.
    pub fn resendable(&self) -> Option<&pb::PostPaymentRequest> {
        match &self.attempt {
            Attempt::Unconfirmed { request, .. } | Attempt::Pending { request, .. } => {
                Some(request)
            }
            _ => None,
        }
    }

    pub fn amount_value(&self) -> Option<Money> {
        parse_money(&self.amount).filter(|amount| *amount > Money::ZERO)
    }

    /// Change to give: cash, a valid amount and at least as much handed
    /// over. `None` when there is nothing to say yet.
    pub fn change(&self) -> Option<Money> {
        if self.channel != Channel::Cash || self.tendered.trim().is_empty() {
            return None;
        }
        let amount = self.amount_value()?;
        let tendered = parse_money(&self.tendered)?;
        tendered
            .checked_sub(amount)
            .filter(|change| !change.is_negative())
    }

    /// What goes beyond the total due into prepayment (预存).
    pub fn surplus(&self) -> Option<Money> {
        let amount = self.amount_value()?;
        amount
            .checked_sub(self.total_due)
            .filter(|surplus| *surplus > Money::ZERO)
    }

    pub fn problems(&self) -> Problems {
        let mut problems = Problems::default();
        let amount = match self.amount.trim() {
            "" => {
                problems.amount = Some(Problem::AmountMissing);
                None
            }
            text => match parse_money(text) {
                None => {
                    problems.amount = Some(Problem::AmountInvalid);
                    None
                }
                Some(amount) if amount <= Money::ZERO => {
                    problems.amount = Some(Problem::AmountNotPositive);
                    None
                }
                Some(amount) => Some(amount),
            },
        };
        match self.channel {
            Channel::Cash => {
                if !self.tendered.trim().is_empty() {
                    match (parse_money(&self.tendered), amount) {
                        (None, _) => problems.tendered = Some(Problem::TenderedInvalid),
                        (Some(tendered), Some(amount)) if tendered < amount => {
                            problems.tendered = Some(Problem::TenderedShort);
                        }
                        _ => {}
                    }
                }
            }
            Channel::BankCard => {
                if self.reference.trim().is_empty() {
                    problems.reference = Some(Problem::ReferenceMissing);
                }
            }
            Channel::WeChat | Channel::Alipay => {
                let code = self.payment_code.trim();
                if code.is_empty() {
                    problems.payment_code = Some(Problem::PaymentCodeMissing);
                } else if !(10..=32).contains(&code.len())
                    || !code.chars().all(|c| c.is_ascii_digit())
                {
                    problems.payment_code = Some(Problem::PaymentCodeInvalid);
                }
            }
        }
        problems
    }

    /// The request of this form, or what is wrong with it.
    pub fn to_request(&self) -> Result<pb::PostPaymentRequest, Problems> {
        let problems = self.problems();
        let amount = match (problems.is_empty(), self.amount_value()) {
            (true, Some(amount)) => amount,
            _ => return Err(problems),
        };
        let tendered = match self.channel {
            Channel::Cash => parse_money(&self.tendered)
                .map(|tendered| tendered.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        Ok(pb::PostPaymentRequest {
            idempotency_key: self.key.clone(),
            account_id: self.account_id,
            channel: self.channel.code().to_owned(),
            amount: amount.to_string(),
            tendered,
            reference: match self.channel {
                Channel::BankCard => self.reference.trim().to_owned(),
                _ => String::new(),
            },
            payment_code: if self.channel.is_scanned() {
                self.payment_code.trim().to_owned()
            } else {
                String::new()
            },
        })
    }

    /// Edits clear the outcome of the last attempt.
    pub fn edited(&mut self) {
        if let Attempt::Editing { problem, declined } = &mut self.attempt {
            *problem = None;
            *declined = None;
        }
    }

    /// Sends the form: the request, or `None` when it has problems (now
    /// shown) or cannot be sent now.
    pub fn post(&mut self) -> Option<pb::PostPaymentRequest> {
        if !self.is_editable() {
            return None;
        }
        self.attempted = true;
        let request = self.to_request().ok()?;
        self.attempt = Attempt::Sending {
            request: request.clone(),
            resend: false,
        };
        Some(request)
    }

    /// Sends the same request again (same key, same content).
    pub fn retry(&mut self) -> Option<pb::PostPaymentRequest> {
        let request = self.resendable()?.clone();
        self.attempt = Attempt::Sending {
            request: request.clone(),
            resend: true,
        };
        Some(request)
    }

    /// The server's answer to the request sent with `key`. `fresh_key`
    /// makes the key of the next attempt, when this one is over without
    /// money taken.
    pub fn answered(
        &mut self,
        key: &str,
        result: Result<pb::Payment, ApiError>,
        fresh_key: impl FnOnce() -> String,
    ) -> Answer {
        let Attempt::Sending { request, .. } = &self.attempt else {
            return Answer::Ignored;
        };
        if request.idempotency_key != key {
            return Answer::Ignored;
        }
        let request = request.clone();
        match result {
            Ok(payment) => match payment.status.as_str() {
                "posted" => Answer::Posted(Box::new(payment)),
                "declined" => {
                    self.attempt = Attempt::Editing {
                        problem: None,
                        declined: Some(payment.status_detail),
                    };
                    // The code is used up: the customer shows a new one.
                    self.payment_code.clear();
                    self.key = fresh_key();
                    Answer::Shown
                }
                "pending" => {
                    self.attempt = Attempt::Pending {
                        request,
                        payment: Box::new(payment),
                    };
                    Answer::Shown
                }
                // "unknown", and anything this client does not know: never
                // taken for paid.
                _ => {
                    self.attempt = Attempt::Unknown {
                        payment: Box::new(payment),
                    };
                    Answer::Shown
                }
            },
            Err(error) if is_uncertain(&error) => {
                self.attempt = Attempt::Unconfirmed { request, error };
                Answer::Shown
            }
            Err(error) => {
                // Refused: nothing was taken under this key; what is sent
                // next, possibly changed, is a new attempt.
                self.attempt = Attempt::Editing {
                    problem: Some(error),
                    declined: None,
                };
                self.key = fresh_key();
                Answer::Shown
            }
        }
    }
}

/// A failure after which the payment may or may not have been taken: the
/// request went out and no verdict came back.
pub fn is_uncertain(error: &ApiError) -> bool {
    matches!(error, ApiError::Unreachable(_) | ApiError::Other(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> pb::CounterAccount {
        pb::CounterAccount {
            account_id: 7,
            total_due: "361.80".into(),
            ..pb::CounterAccount::default()
        }
    }

    #[test]
    fn the_amount_starts_at_the_total_due_and_cash_gives_change() {
        let mut form = PaymentForm::new(&account(), "k1".into());
        assert_eq!(form.amount, "361.80");
        assert_eq!(form.change(), None);
        form.tendered = "400".into();
        assert_eq!(form.change(), Some(Money::from_fen(3820)));
        form.tendered = "300".into();
        assert_eq!(form.change(), None);
        assert_eq!(form.problems().tendered, Some(Problem::TenderedShort));
        form.tendered = "abc".into();
        assert_eq!(form.problems().tendered, Some(Problem::TenderedInvalid));
        form.tendered = String::new();
        let request = form.to_request().unwrap_or_default();
        assert_eq!(request.amount, "361.80");
        assert_eq!(request.tendered, "", "empty means exact");
        assert_eq!(request.channel, "cash");
        form.amount = "400".into();
        assert_eq!(form.surplus(), Some(Money::from_fen(3820)));
    }

    #[test]
    fn channels_need_their_own_fields() {
        let mut form = PaymentForm::new(&account(), "k1".into());
        form.channel = Channel::BankCard;
        assert_eq!(form.problems().reference, Some(Problem::ReferenceMissing));
        form.reference = " 123456 ".into();
        assert_eq!(
            form.to_request().map(|r| r.reference),
            Ok("123456".to_owned())
        );
        form.channel = Channel::WeChat;
        form.payment_code = "13abc".into();
        assert_eq!(
            form.problems().payment_code,
            Some(Problem::PaymentCodeInvalid)
        );
        form.payment_code = "134567890123456789".into();
        let request = form.to_request().unwrap_or_default();
        assert_eq!(request.payment_code, "134567890123456789");
        assert_eq!(request.reference, "", "only the channel's own fields");
        form.amount = "0".into();
        assert_eq!(form.problems().amount, Some(Problem::AmountNotPositive));
    }

    #[test]
    fn a_lost_answer_resends_the_same_request_a_refusal_starts_anew() {
        let mut form = PaymentForm::new(&account(), "k1".into());
        let first = form.post().unwrap_or_default();
        assert!(!form.is_editable());
        assert_eq!(form.post(), None, "one at a time");
        assert_eq!(
            form.answered("k1", Err(ApiError::Unreachable("timeout".into())), || "k2"
                .into()),
            Answer::Shown
        );
        assert_eq!(form.retry(), Some(first.clone()));
        let refused = form.answered("k1", Err(ApiError::Refused("shift closed".into())), || {
            "k2".into()
        });
        assert_eq!(refused, Answer::Shown);
        assert_eq!(form.key, "k2");
        assert!(form.is_editable());
        let second = form.post().unwrap_or_default();
        assert_eq!(second.idempotency_key, "k2");
        assert_eq!(
            form.answered("k1", Err(ApiError::Other("late".into())), || "k3".into()),
            Answer::Ignored
        );
        let unknown = pb::Payment {
            status: "unknown".into(),
            ..pb::Payment::default()
        };
        assert_eq!(
            form.answered("k2", Ok(unknown), || "k3".into()),
            Answer::Shown
        );
        assert!(matches!(form.attempt, Attempt::Unknown { .. }));
        assert_eq!(form.retry(), None, "unknown is reconciled, not resent");
    }
}

//! The dialogs a supervisor signs: 冲正 (void a payment of today), 退预存
//! (pay prepayment back in cash) and 扎帐 (close the shift with the cash
//! counted), 补卡 (re-issue a lost IC card). The supervisor types their own user name and password into
//! the cashier's dialog; the server checks, audits and may refuse, and
//! its words are shown.

use std::str::FromStr;

use gascis_common::Money;
use gascis_common::proto::v1 as pb;

use super::payment::wire_money;
use crate::api::ApiError;
use crate::secret::Secret;

/// Input ids, for focus and tests.
pub const REASON_INPUT: &str = "counter-dialog-reason";
pub const AMOUNT_INPUT: &str = "counter-dialog-amount";
pub const COUNTED_INPUT: &str = "counter-dialog-counted";
pub const NOTE_INPUT: &str = "counter-dialog-note";
pub const USERNAME_INPUT: &str = "counter-dialog-username";
pub const PASSWORD_INPUT: &str = "counter-dialog-password";

/// What the dialog does.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// 冲正 of this payment.
    Void { payment: Box<pb::Payment> },
    /// 退预存 of this account.
    Refund {
        account_id: i64,
        account_no: String,
        prepayment: Money,
    },
    /// 扎帐 of this shift (the till as last loaded).
    Close { shift: Box<pb::Shift> },
    /// 补卡: a new card for this account's lost or damaged one.
    Reissue { account_id: i64, card_no: String },
}

/// A field of a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Amount,
    Counted,
    Note,
    Username,
}

/// What is wrong in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    ReasonMissing,
    AmountInvalid,
    /// More than the prepayment held.
    AmountTooHigh,
    CountedInvalid,
    /// The count differs from what is expected: say why.
    NoteMissing,
    ApprovalMissing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub kind: Kind,
    pub reason: String,
    pub amount: String,
    pub counted: String,
    pub note: String,
    pub username: String,
    pub password: Secret,
    /// The idempotency key of a void or refund: kept while the dialog is
    /// open, so a resend after a lost answer is the same request.
    pub key: String,
    pub attempted: bool,
    pub submitting: bool,
    pub problem: Option<ApiError>,
}

/// What the dialog sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Void(pb::VoidPaymentRequest),
    Refund(pb::RefundPrepaymentRequest),
    Close(pb::CloseShiftRequest),
    Reissue(pb::ReissueCardRequest),
}

impl Dialog {
    pub fn new(kind: Kind, key: String) -> Self {
        let amount = match &kind {
            Kind::Refund { prepayment, .. } => prepayment.to_string(),
            _ => String::new(),
        };
        Dialog {
            kind,
            reason: String::new(),
            amount,
            counted: String::new(),
            note: String::new(),
            username: String::new(),
            password: Secret::default(),
            key,
            attempted: false,
            submitting: false,
            problem: None,
        }
    }

    /// The input the cursor starts in.
    pub fn first_input(&self) -> &'static str {
        match self.kind {
            Kind::Void { .. } | Kind::Refund { .. } | Kind::Reissue { .. } => REASON_INPUT,
            Kind::Close { .. } => COUNTED_INPUT,
        }
    }

    pub fn set(&mut self, field: Field, value: String) {
        if self.submitting {
            return;
        }
        match field {
            Field::Reason => self.reason = value,
            Field::Amount => self.amount = value,
            Field::Counted => self.counted = value,
            Field::Note => self.note = value,
            Field::Username => self.username = value,
        }
        self.problem = None;
    }

    pub fn set_password(&mut self, password: Secret) {
        if !self.submitting {
            self.password = password;
            self.problem = None;
        }
    }

    /// Counted minus expected cash, while the count reads as money.
    pub fn difference(&self) -> Option<Money> {
        let Kind::Close { shift } = &self.kind else {
            return None;
        };
        let counted = Money::from_str(self.counted.trim()).ok()?;
        counted.checked_sub(wire_money(&shift.expected_cash))
    }

    /// The problems of the fields, by field (approval under `Username`).
    pub fn problems(&self) -> Vec<(Field, Problem)> {
        let mut problems = Vec::new();
        match &self.kind {
            Kind::Void { .. } | Kind::Reissue { .. } => {
                if self.reason.trim().is_empty() {
                    problems.push((Field::Reason, Problem::ReasonMissing));
                }
            }
            Kind::Refund { prepayment, .. } => {
                if self.reason.trim().is_empty() {
                    problems.push((Field::Reason, Problem::ReasonMissing));
                }
                match Money::from_str(self.amount.trim()) {
                    Ok(amount) if amount <= Money::ZERO => {
                        problems.push((Field::Amount, Problem::AmountInvalid));
                    }
                    Ok(amount) if amount > *prepayment => {
                        problems.push((Field::Amount, Problem::AmountTooHigh));
                    }
                    Ok(_) => {}
                    Err(_) => problems.push((Field::Amount, Problem::AmountInvalid)),
                }
            }
            Kind::Close { .. } => match Money::from_str(self.counted.trim()) {
                Ok(counted) if counted.is_negative() => {
                    problems.push((Field::Counted, Problem::CountedInvalid));
                }
                Ok(_) => {
                    let differs = self.difference().is_some_and(|d| d != Money::ZERO);
                    if differs && self.note.trim().is_empty() {
                        problems.push((Field::Note, Problem::NoteMissing));
                    }
                }
                Err(_) => problems.push((Field::Counted, Problem::CountedInvalid)),
            },
        }
        if self.username.trim().is_empty() || self.password.is_empty() {
            problems.push((Field::Username, Problem::ApprovalMissing));
        }
        problems
    }

    /// The problem of `field`, once the user tried to send.
    pub fn problem_of(&self, field: Field) -> Option<Problem> {
        if !self.attempted {
            return None;
        }
        self.problems()
            .into_iter()
            .find(|(of, _)| *of == field)
            .map(|(_, problem)| problem)
    }

    fn approval(&self) -> pb::SupervisorApproval {
        pb::SupervisorApproval {
            username: self.username.trim().to_owned(),
            password: self.password.expose().to_owned(),
        }
    }

    /// The request, or the first field to fix.
    pub fn to_request(&self) -> Result<Request, Field> {
        if let Some((field, _)) = self.problems().first() {
            return Err(*field);
        }
        Ok(match &self.kind {
            Kind::Void { payment } => Request::Void(pb::VoidPaymentRequest {
                idempotency_key: self.key.clone(),
                payment_no: payment.payment_no.clone(),
                reason: self.reason.trim().to_owned(),
                approval: Some(self.approval()),
            }),
            Kind::Refund { account_id, .. } => Request::Refund(pb::RefundPrepaymentRequest {
                idempotency_key: self.key.clone(),
                account_id: *account_id,
                amount: Money::from_str(self.amount.trim())
                    .map(|amount| amount.to_string())
                    .unwrap_or_default(),
                reason: self.reason.trim().to_owned(),
                approval: Some(self.approval()),
            }),
            Kind::Reissue { account_id, .. } => Request::Reissue(pb::ReissueCardRequest {
                account_id: *account_id,
                reason: self.reason.trim().to_owned(),
                approval: Some(self.approval()),
            }),
            Kind::Close { .. } => Request::Close(pb::CloseShiftRequest {
                counted_cash: Money::from_str(self.counted.trim())
                    .map(|counted| counted.to_string())
                    .unwrap_or_default(),
                difference_note: self.note.trim().to_owned(),
                approval: Some(self.approval()),
            }),
        })
    }

    /// Marks the dialog sent; the request, or the field to fix. The caller
    /// sends nothing while a request is in flight.
    pub fn submit(&mut self) -> Result<Request, Field> {
        self.attempted = true;
        let request = self.to_request()?;
        self.submitting = true;
        self.problem = None;
        Ok(request)
    }

    /// The server refused, or no answer came: the dialog stays with what
    /// was typed. The password is cleared after a wrong one.
    pub fn failed(&mut self, error: ApiError) {
        self.submitting = false;
        if matches!(&error, ApiError::InvalidField { field, .. } if field == "approval.password") {
            self.password = Secret::default();
        }
        self.problem = Some(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close() -> Dialog {
        Dialog::new(
            Kind::Close {
                shift: Box::new(pb::Shift {
                    expected_cash: "300.00".into(),
                    ..pb::Shift::default()
                }),
            },
            String::new(),
        )
    }

    #[test]
    fn a_count_that_differs_needs_a_note_and_the_approval() {
        let mut dialog = close();
        dialog.set(Field::Counted, "299.50".into());
        assert_eq!(dialog.difference(), Some(Money::from_fen(-50)));
        assert_eq!(
            dialog.problems(),
            vec![
                (Field::Note, Problem::NoteMissing),
                (Field::Username, Problem::ApprovalMissing)
            ]
        );
        dialog.set(Field::Counted, "300".into());
        dialog.set(Field::Username, "zhuguan".into());
        dialog.set_password(Secret::from("pw"));
        assert_eq!(dialog.problems(), vec![]);
        let Ok(Request::Close(request)) = dialog.submit() else {
            panic!("a close request");
        };
        assert_eq!(request.counted_cash, "300.00");
        assert_eq!(
            request.approval.map(|a| a.username),
            Some("zhuguan".to_owned())
        );
        dialog.failed(ApiError::InvalidField {
            field: "approval.password".into(),
            message: "wrong".into(),
        });
        assert!(dialog.password.is_empty() && !dialog.submitting);
    }

    #[test]
    fn a_refund_is_at_most_the_prepayment() {
        let mut dialog = Dialog::new(
            Kind::Refund {
                account_id: 3,
                account_no: "3101000003".into(),
                prepayment: Money::from_fen(5000),
            },
            "refund-1".into(),
        );
        assert_eq!(dialog.amount, "50.00");
        dialog.set(Field::Amount, "50.01".into());
        assert!(
            dialog
                .problems()
                .contains(&(Field::Amount, Problem::AmountTooHigh))
        );
        dialog.set(Field::Amount, "20".into());
        dialog.set(Field::Reason, "客户销户".into());
        dialog.set(Field::Username, "zhuguan".into());
        dialog.set_password(Secret::from("pw"));
        let Ok(Request::Refund(request)) = dialog.to_request() else {
            panic!("a refund request");
        };
        assert_eq!(
            (request.amount.as_str(), request.idempotency_key.as_str()),
            ("20.00", "refund-1")
        );
    }
}

//! 红冲: the reversal form of a blue invoice. Finance or a supervisor
//! reverses the whole invoice or chosen lines (each up to what is left of
//! it; the server checks), says why, and enters the red-letter confirmation
//! form (红字确认单) — or records the number of a form the buyer entered on
//! the platform. One idempotency key per attempt, kept for a resend.

use std::str::FromStr;

use gascis_common::Money;
use gascis_common::proto::v1 as pb;

use crate::api::ApiError;
use crate::screen::counter::payment::is_uncertain;

pub const REASON_INPUT: &str = "red-reason";
pub const BUYER_FORM_INPUT: &str = "red-buyer-form";
const REASON_LIMIT: usize = 200;

/// One line of the blue invoice, ticked for a partial reversal or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedLineChoice {
    pub line_no: i32,
    pub item_name: String,
    /// The line's amount, CNY.
    pub amount: String,
    pub chosen: bool,
    /// What to reverse of it, as typed; starts at the whole line.
    pub reverse: String,
}

/// What is wrong with the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    ReasonMissing,
    ReasonTooLong,
    NoLineChosen,
    /// The amount typed on the line with this number is not a positive
    /// amount of money.
    LineAmountInvalid(i32),
}

/// Where the attempt stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Editing {
        problem: Option<ApiError>,
    },
    Sending(pb::RequestRedConfirmationRequest),
    /// No answer came; only the same request may go again.
    Unconfirmed {
        request: pb::RequestRedConfirmationRequest,
        error: ApiError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedForm {
    pub invoice_no: String,
    /// The whole invoice (what is left of it), else the ticked lines.
    pub full: bool,
    pub lines: Vec<RedLineChoice>,
    pub reason: String,
    /// A form the buyer entered, to record instead of entering one.
    pub buyer_form_no: String,
    pub key: String,
    pub attempted: bool,
    pub stage: Stage,
}

impl RedForm {
    pub fn new(invoice: &pb::Invoice, key: String) -> Self {
        RedForm {
            invoice_no: invoice.invoice_no.clone(),
            full: true,
            lines: invoice
                .lines
                .iter()
                .map(|line| RedLineChoice {
                    line_no: line.line_no,
                    item_name: line.item_name.clone(),
                    amount: line.amount.clone(),
                    chosen: false,
                    reverse: line.amount.clone(),
                })
                .collect(),
            reason: String::new(),
            buyer_form_no: String::new(),
            key,
            attempted: false,
            stage: Stage::Editing { problem: None },
        }
    }

    pub fn is_editable(&self) -> bool {
        matches!(self.stage, Stage::Editing { .. })
    }

    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            problems.push(Problem::ReasonMissing);
        } else if reason.chars().count() > REASON_LIMIT {
            problems.push(Problem::ReasonTooLong);
        }
        if !self.full && self.buyer_form_no.trim().is_empty() {
            let chosen: Vec<&RedLineChoice> = self.lines.iter().filter(|l| l.chosen).collect();
            if chosen.is_empty() {
                problems.push(Problem::NoLineChosen);
            }
            for line in chosen {
                if !positive_money(&line.reverse) {
                    problems.push(Problem::LineAmountInvalid(line.line_no));
                }
            }
        }
        problems
    }

    /// The request of this form, or what is wrong with it.
    pub fn to_request(&self) -> Result<pb::RequestRedConfirmationRequest, Vec<Problem>> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let buyer_form_no = self.buyer_form_no.trim().to_owned();
        // A buyer's form says itself what it reverses.
        let lines = if self.full || !buyer_form_no.is_empty() {
            Vec::new()
        } else {
            self.lines
                .iter()
                .filter(|line| line.chosen)
                .map(|line| pb::RedLine {
                    line_no: line.line_no,
                    amount: Money::from_str(line.reverse.trim())
                        .map(|amount| amount.to_string())
                        .unwrap_or_default(),
                })
                .collect()
        };
        Ok(pb::RequestRedConfirmationRequest {
            idempotency_key: self.key.clone(),
            invoice_no: self.invoice_no.clone(),
            lines,
            reason: self.reason.trim().to_owned(),
            buyer_form_no,
        })
    }

    pub fn edited(&mut self) {
        if let Stage::Editing { problem } = &mut self.stage {
            *problem = None;
        }
    }

    pub fn submit(&mut self) -> Option<pb::RequestRedConfirmationRequest> {
        if !self.is_editable() {
            return None;
        }
        self.attempted = true;
        let request = self.to_request().ok()?;
        self.stage = Stage::Sending(request.clone());
        Some(request)
    }

    pub fn retry(&mut self) -> Option<pb::RequestRedConfirmationRequest> {
        let Stage::Unconfirmed { request, .. } = &self.stage else {
            return None;
        };
        let request = request.clone();
        self.stage = Stage::Sending(request.clone());
        Some(request)
    }

    /// The answer to the request sent with `key`: the form entered, or
    /// `None` while the form stays (refused, unconfirmed, or a late answer).
    pub fn answered(
        &mut self,
        key: &str,
        result: Result<pb::RedConfirmation, ApiError>,
        fresh_key: impl FnOnce() -> String,
    ) -> Option<pb::RedConfirmation> {
        let Stage::Sending(request) = &self.stage else {
            return None;
        };
        if request.idempotency_key != key {
            return None;
        }
        let request = request.clone();
        match result {
            Ok(form) => Some(form),
            Err(error) if is_uncertain(&error) => {
                self.stage = Stage::Unconfirmed { request, error };
                None
            }
            Err(error) => {
                self.key = fresh_key();
                self.stage = Stage::Editing {
                    problem: Some(error),
                };
                None
            }
        }
    }

    pub fn problem(&self) -> Option<&ApiError> {
        match &self.stage {
            Stage::Editing { problem } => problem.as_ref(),
            Stage::Unconfirmed { error, .. } => Some(error),
            Stage::Sending(_) => None,
        }
    }
}

fn positive_money(text: &str) -> bool {
    Money::from_str(text.trim()).is_ok_and(|amount| amount > Money::ZERO)
}

/// A form's red invoice may be issued: the platform allows it and none was
/// issued on it yet.
pub fn may_issue_red(form: &pb::RedConfirmation) -> bool {
    matches!(form.status.as_str(), "not_needed" | "both_confirmed")
        && form.red_invoice_no.is_empty()
}

/// A blue invoice that still has something to reverse.
pub fn may_reverse(invoice: &pb::Invoice) -> bool {
    invoice.colour == "blue" && matches!(invoice.status.as_str(), "issued" | "partly_reversed")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn invoice() -> pb::Invoice {
        pb::Invoice {
            invoice_no: "24312000000000000001".into(),
            colour: "blue".into(),
            status: "issued".into(),
            lines: vec![
                pb::InvoiceLine {
                    line_no: 1,
                    item_name: "*燃气*天然气".into(),
                    amount: "150.00".into(),
                    ..pb::InvoiceLine::default()
                },
                pb::InvoiceLine {
                    line_no: 2,
                    item_name: "*燃气*天然气".into(),
                    amount: "190.00".into(),
                    ..pb::InvoiceLine::default()
                },
            ],
            ..pb::Invoice::default()
        }
    }

    #[test]
    fn a_full_reversal_sends_no_lines_and_needs_a_reason() {
        let mut form = RedForm::new(&invoice(), "red-1".into());
        assert_eq!(form.to_request().unwrap_err(), vec![Problem::ReasonMissing]);
        form.reason = " 开票有误 ".into();
        let request = form.to_request().unwrap();
        assert!(request.lines.is_empty());
        assert_eq!(request.reason, "开票有误");
        assert_eq!(request.invoice_no, "24312000000000000001");
        assert_eq!(request.idempotency_key, "red-1");
    }

    #[test]
    fn a_partial_reversal_sends_the_chosen_lines() {
        let mut form = RedForm::new(&invoice(), "red-1".into());
        form.full = false;
        form.reason = "部分退气".into();
        assert_eq!(form.to_request().unwrap_err(), vec![Problem::NoLineChosen]);
        form.lines[1].chosen = true;
        form.lines[1].reverse = "abc".into();
        assert_eq!(
            form.to_request().unwrap_err(),
            vec![Problem::LineAmountInvalid(2)]
        );
        form.lines[1].reverse = " 40.5 ".into();
        let request = form.to_request().unwrap();
        assert_eq!(
            request.lines,
            vec![pb::RedLine {
                line_no: 2,
                amount: "40.50".into()
            }]
        );
        form.buyer_form_no = "HZ001".into();
        let request = form.to_request().unwrap();
        assert!(request.lines.is_empty(), "the buyer's form names its lines");
        assert_eq!(request.buyer_form_no, "HZ001");
    }

    #[test]
    fn a_lost_answer_keeps_the_key() {
        let mut form = RedForm::new(&invoice(), "red-1".into());
        form.reason = "x".into();
        let first = form.submit().unwrap();
        assert_eq!(
            form.answered("red-1", Err(ApiError::Unreachable("t".into())), || "red-2"
                .into()),
            None
        );
        assert_eq!(form.retry(), Some(first));
        assert_eq!(
            form.answered("red-1", Err(ApiError::Refused("no".into())), || "red-2"
                .into()),
            None
        );
        assert_eq!(form.key, "red-2");
        assert!(form.is_editable());
        assert!(may_reverse(&invoice()));
        let form = pb::RedConfirmation {
            status: "seller_entered_awaiting_buyer".into(),
            ..pb::RedConfirmation::default()
        };
        assert!(!may_issue_red(&form));
    }
}

//! An invoicing platform for tests, the demo and training. It keeps its own
//! books, so it answers queries and holds red-letter forms the way the
//! platform does, and it numbers invoices deterministically: per kind a
//! sequence from 1 (digital: 20 digits `YY` + 18; paper kinds: a 12-digit
//! 发票代码 and an 8-digit number).
//!
//! What the platform decides, as this simulator models it (the rules of the
//! fully digital regime, 国家税务总局公告2024年第11号 as commonly described):
//! a form the seller enters for the *full* amount of an invoice the buyer
//! has not booked (入账/用途确认) needs no confirmation (`not_needed`);
//! every other form (partial, or booked by the buyer) waits for the other
//! side. Tests tell it that the buyer booked an invoice, entered a form or
//! answered ours, and script failures and lost answers.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, Datelike, Utc};
use gascis_common::Money;

use super::{
    InvoiceKind,
    platform::{
        FormLine, FormRequest, FormStatus, InvoicePlatform, IssueOutcome, IssueRequest, Issued,
        PlatformError, QueryOutcome, RedForm,
    },
};

/// What the next issue call does instead of issuing normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scripted {
    /// The platform refuses with this message.
    Refuse(String),
    /// The answer is lost; `issued` says whether the platform issued it.
    TimeOut { issued: bool },
}

#[derive(Debug, Clone)]
struct Issue {
    total: Money,
    issued: Option<Issued>,
    red_form: Option<String>,
}

/// An issued invoice as the platform keeps it.
#[derive(Debug, Clone)]
struct Held {
    /// Amount of each line by its number.
    lines: Vec<(i16, Money)>,
    /// The buyer booked it (入账/用途确认).
    booked: bool,
}

#[derive(Debug, Default)]
struct State {
    by_request: HashMap<String, Issue>,
    /// Issued invoices by number.
    invoices: HashMap<String, Held>,
    forms: HashMap<String, RedForm>,
    form_by_key: HashMap<String, String>,
    sequences: HashMap<&'static str, u64>,
    form_sequence: u64,
    script: VecDeque<Scripted>,
    silent_queries: u32,
    fixed_now: Option<DateTime<Utc>>,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    fn number(&mut self, kind: InvoiceKind, at: DateTime<Utc>) -> (String, String) {
        let sequence = self.sequences.entry(kind.as_str()).or_insert(0);
        *sequence += 1;
        let year = at.year() % 100;
        match kind {
            InvoiceKind::Digital => (String::new(), format!("{year:02}{:018}", *sequence)),
            InvoiceKind::Ordinary => (format!("1100{year:02}100000"), format!("{:08}", *sequence)),
            InvoiceKind::Special => (format!("1100{year:02}200000"), format!("{:08}", *sequence)),
        }
    }
}

/// A simulated platform; shareable between threads.
#[derive(Debug, Default)]
pub struct SimulatedInvoicePlatform {
    state: Mutex<State>,
}

impl SimulatedInvoicePlatform {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Changes under the lock cannot panic half-way.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Freezes the clock (issue dates in tests).
    pub fn set_now(&self, at: DateTime<Utc>) {
        self.state().fixed_now = Some(at);
    }

    /// The next issue (blue or red) behaves as scripted.
    pub fn script_next_issue(&self, script: Scripted) {
        self.state().script.push_back(script);
    }

    /// The next `count` queries go unanswered.
    pub fn silence_queries(&self, count: u32) {
        self.state().silent_queries = count;
    }

    /// The buyer books (入账) an invoice: reversing it needs their
    /// confirmation from now on.
    pub fn buyer_books(&self, invoice_no: &str) {
        if let Some(invoice) = self.state().invoices.get_mut(invoice_no) {
            invoice.booked = true;
        }
    }

    /// The buyer enters a form on their side; `lines` empty means the whole
    /// invoice. Returns the form number, or None for an unknown invoice.
    pub fn buyer_enters_form(&self, invoice_no: &str, lines: &[(i16, Money)]) -> Option<String> {
        let mut state = self.state();
        let original_lines = state.invoices.get(invoice_no)?.lines.clone();
        let chosen: Vec<FormLine> = if lines.is_empty() {
            original_lines
                .iter()
                .map(|(line_no, amount)| FormLine {
                    original_line_no: *line_no,
                    amount: -*amount,
                })
                .collect()
        } else {
            lines
                .iter()
                .map(|(line_no, amount)| FormLine {
                    original_line_no: *line_no,
                    amount: if amount.is_negative() {
                        *amount
                    } else {
                        -*amount
                    },
                })
                .collect()
        };
        state.form_sequence += 1;
        let form_no = format!("HZ{:018}", state.form_sequence);
        state.forms.insert(
            form_no.clone(),
            RedForm {
                form_no: form_no.clone(),
                original_invoice_no: invoice_no.to_owned(),
                status: FormStatus::BuyerEnteredAwaitingSeller,
                lines: chosen,
            },
        );
        Some(form_no)
    }

    /// The buyer confirms or refuses a form the seller entered; false when
    /// the form is not waiting for the buyer.
    pub fn buyer_answers(&self, form_no: &str, accept: bool) -> bool {
        let mut state = self.state();
        match state.forms.get_mut(form_no) {
            Some(form) if form.status == FormStatus::SellerEnteredAwaitingBuyer => {
                form.status = if accept {
                    FormStatus::BothConfirmed
                } else {
                    FormStatus::Refused
                };
                true
            }
            _ => false,
        }
    }

    /// How many invoices a request number produced (never more than one).
    pub fn times_issued(&self, request_no: &str) -> usize {
        usize::from(
            self.state()
                .by_request
                .get(request_no)
                .is_some_and(|issue| issue.issued.is_some()),
        )
    }

    fn do_issue(&self, request: &IssueRequest) -> IssueOutcome {
        let mut state = self.state();
        if let Some(existing) = state.by_request.get(&request.request_no) {
            return match &existing.issued {
                Some(issued) if existing.total == request.total => {
                    IssueOutcome::Issued(issued.clone())
                }
                Some(_) => IssueOutcome::Refused {
                    code: "REQUEST_NO_REUSED".into(),
                    message: format!(
                        "开票流水号重复: {} was issued with another total",
                        request.request_no
                    ),
                },
                None => IssueOutcome::Refused {
                    code: "REQUEST_REFUSED".into(),
                    message: format!("request {} was refused before", request.request_no),
                },
            };
        }
        let script = state.script.pop_front();
        if let Some(Scripted::Refuse(message)) = &script {
            state.by_request.insert(
                request.request_no.clone(),
                Issue {
                    total: request.total,
                    issued: None,
                    red_form: None,
                },
            );
            return IssueOutcome::Refused {
                code: "SIMULATED_REFUSAL".into(),
                message: message.clone(),
            };
        }
        if let Some(red) = &request.red {
            let lines_total = request
                .lines
                .iter()
                .try_fold(Money::ZERO, |sum, line| sum.checked_add(line.amount));
            let form_ok = state.forms.get(&red.form_no).is_some_and(|form| {
                let form_total = form
                    .lines
                    .iter()
                    .try_fold(Money::ZERO, |sum, line| sum.checked_add(line.amount));
                form.status.allows_red()
                    && form.original_invoice_no == red.original_invoice_no
                    && form_total == lines_total
            });
            let used = state.by_request.values().any(|issue| {
                issue.red_form.as_deref() == Some(&red.form_no) && issue.issued.is_some()
            });
            if !form_ok || used {
                return IssueOutcome::Refused {
                    code: "RED_FORM_INVALID".into(),
                    message: format!(
                        "红字确认单 {} does not allow this red invoice (unconfirmed, used or other lines)",
                        red.form_no
                    ),
                };
            }
        }
        let at = state.now();
        let (invoice_code, invoice_no) = state.number(request.kind, at);
        let issued = Issued {
            invoice_code,
            invoice_no: invoice_no.clone(),
            issued_at: at,
        };
        let lines = request
            .lines
            .iter()
            .map(|line| (line.line_no, line.amount))
            .collect();
        state.invoices.insert(
            invoice_no,
            Held {
                lines,
                booked: false,
            },
        );
        let keep = !matches!(script, Some(Scripted::TimeOut { issued: false }));
        state.by_request.insert(
            request.request_no.clone(),
            Issue {
                total: request.total,
                issued: keep.then(|| issued.clone()),
                red_form: request.red.as_ref().map(|red| red.form_no.clone()),
            },
        );
        match script {
            Some(Scripted::TimeOut { .. }) => IssueOutcome::Unknown {
                detail: "no answer from the invoicing platform (simulated)".into(),
            },
            _ => IssueOutcome::Issued(issued),
        }
    }
}

impl InvoicePlatform for SimulatedInvoicePlatform {
    fn issue(&self, request: &IssueRequest) -> IssueOutcome {
        if request.red.is_some() {
            return IssueOutcome::Refused {
                code: "NOT_BLUE".into(),
                message: "a red invoice is issued through issue_red".into(),
            };
        }
        self.do_issue(request)
    }

    fn query(&self, request_no: &str) -> QueryOutcome {
        let mut state = self.state();
        if state.silent_queries > 0 {
            state.silent_queries -= 1;
            return QueryOutcome::Unknown {
                detail: "the platform did not answer the query (simulated)".into(),
            };
        }
        match state.by_request.get(request_no) {
            Some(Issue {
                issued: Some(issued),
                ..
            }) => QueryOutcome::Issued(issued.clone()),
            _ => QueryOutcome::NotIssued,
        }
    }

    fn request_red_confirmation(&self, request: &FormRequest) -> Result<RedForm, PlatformError> {
        let mut state = self.state();
        if let Some(form_no) = state.form_by_key.get(&request.request_key) {
            return state
                .forms
                .get(form_no)
                .cloned()
                .ok_or_else(|| PlatformError::Unavailable("form lost".into()));
        }
        let Some(booked) = state
            .invoices
            .get(&request.original_invoice_no)
            .map(|held| held.booked)
        else {
            return Err(PlatformError::Refused(format!(
                "no invoice {} on the platform",
                request.original_invoice_no
            )));
        };
        state.form_sequence += 1;
        let form_no = format!("HZ{:018}", state.form_sequence);
        let status = if request.full && !booked {
            FormStatus::NotNeeded
        } else {
            FormStatus::SellerEnteredAwaitingBuyer
        };
        let form = RedForm {
            form_no: form_no.clone(),
            original_invoice_no: request.original_invoice_no.clone(),
            status,
            lines: request.lines.clone(),
        };
        state.forms.insert(form_no.clone(), form.clone());
        state
            .form_by_key
            .insert(request.request_key.clone(), form_no);
        Ok(form)
    }

    fn red_confirmation(&self, form_no: &str) -> Result<RedForm, PlatformError> {
        self.state()
            .forms
            .get(form_no)
            .cloned()
            .ok_or_else(|| PlatformError::Refused(format!("no red-letter form {form_no}")))
    }

    fn confirm_red_confirmation(
        &self,
        form_no: &str,
        accept: bool,
    ) -> Result<RedForm, PlatformError> {
        let mut state = self.state();
        let form = state
            .forms
            .get_mut(form_no)
            .ok_or_else(|| PlatformError::Refused(format!("no red-letter form {form_no}")))?;
        if form.status != FormStatus::BuyerEnteredAwaitingSeller {
            return Err(PlatformError::Refused(format!(
                "form {form_no} is {} and does not wait for the seller",
                form.status.as_str()
            )));
        }
        form.status = if accept {
            FormStatus::BothConfirmed
        } else {
            FormStatus::Refused
        };
        Ok(form.clone())
    }

    fn issue_red(&self, request: &IssueRequest) -> IssueOutcome {
        if request.red.is_none() {
            return IssueOutcome::Refused {
                code: "NOT_RED".into(),
                message: "issue_red needs the original invoice and the form".into(),
            };
        }
        self.do_issue(request)
    }
}

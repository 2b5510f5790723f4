//! The invoicing platform (税务数字账户 / a service provider's 开票接口)
//! behind one adapter, like the payment gateways: synchronous, called from
//! blocking threads and never inside a database transaction.
//!
//! Invariant: an outcome the platform did not give us is `Unknown`, never
//! guessed; `query` by our request number resolves it.

use chrono::{DateTime, Utc};
use gascis_common::Money;
use rust_decimal::Decimal;

use super::{Buyer, InvoiceKind};

/// One line as the platform takes it (amounts include tax).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformLine {
    pub line_no: i16,
    pub item_name: String,
    pub quantity: Option<Decimal>,
    pub unit_price: Option<Decimal>,
    pub amount: Money,
    pub tax_rate: Decimal,
    pub net: Money,
    pub tax: Money,
}

/// The red invoice's reference to what it reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedReference {
    pub original_invoice_no: String,
    pub form_no: String,
}

/// An invoice to issue; `request_no` is issued at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    pub request_no: String,
    pub kind: InvoiceKind,
    pub buyer: Buyer,
    pub lines: Vec<PlatformLine>,
    pub total: Money,
    pub red: Option<RedReference>,
}

/// The platform's number for an issued invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// 发票代码 of paper kinds; empty for digital invoices.
    pub invoice_code: String,
    pub invoice_no: String,
    pub issued_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued(Issued),
    /// The platform refused; nothing was issued.
    Refused {
        code: String,
        message: String,
    },
    /// No answer: it may or may not have been issued. Resolved by `query`.
    Unknown {
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryOutcome {
    Issued(Issued),
    /// The platform has no invoice for the request (it may not know it).
    NotIssued,
    /// The query itself got no answer; ask again later.
    Unknown {
        detail: String,
    },
}

/// 红字确认单 states, exactly as DOMAIN.md lists them, plus the refusal
/// by the other side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormStatus {
    NotNeeded,
    BuyerEnteredAwaitingSeller,
    SellerEnteredAwaitingBuyer,
    BothConfirmed,
    Refused,
}

impl FormStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FormStatus::NotNeeded => "not_needed",
            FormStatus::BuyerEnteredAwaitingSeller => "buyer_entered_awaiting_seller",
            FormStatus::SellerEnteredAwaitingBuyer => "seller_entered_awaiting_buyer",
            FormStatus::BothConfirmed => "both_confirmed",
            FormStatus::Refused => "refused",
        }
    }

    /// Whether the red invoice may be issued on this form.
    pub fn allows_red(self) -> bool {
        matches!(self, FormStatus::NotNeeded | FormStatus::BothConfirmed)
    }
}

/// One line of a form: which original line and how much of it (negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormLine {
    pub original_line_no: i16,
    pub amount: Money,
}

/// A red-letter confirmation form as the platform holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedForm {
    pub form_no: String,
    pub original_invoice_no: String,
    pub status: FormStatus,
    pub lines: Vec<FormLine>,
}

/// A form the seller enters. `request_key` makes a retry return the form
/// the first attempt made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRequest {
    pub request_key: String,
    pub original_invoice_no: String,
    pub full: bool,
    pub lines: Vec<FormLine>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("the invoicing platform refused: {0}")]
    Refused(String),
    #[error("the invoicing platform did not answer: {0}")]
    Unavailable(String),
}

/// One invoicing platform. Implementations are idempotent per request
/// number (issue) and per request key (forms).
pub trait InvoicePlatform: Send + Sync {
    /// Issues a blue invoice.
    fn issue(&self, request: &IssueRequest) -> IssueOutcome;
    /// What became of a request whose outcome we did not learn.
    fn query(&self, request_no: &str) -> QueryOutcome;
    /// The seller enters a red-letter confirmation form. Whether the buyer
    /// must confirm is the platform's decision (its answer's status).
    fn request_red_confirmation(&self, request: &FormRequest) -> Result<RedForm, PlatformError>;
    /// A form as it stands now (e.g. one the buyer entered, or the buyer's
    /// answer to ours).
    fn red_confirmation(&self, form_no: &str) -> Result<RedForm, PlatformError>;
    /// The seller confirms (or refuses) a form the buyer entered.
    fn confirm_red_confirmation(
        &self,
        form_no: &str,
        accept: bool,
    ) -> Result<RedForm, PlatformError>;
    /// Issues the red invoice of a form that allows it.
    fn issue_red(&self, request: &IssueRequest) -> IssueOutcome;
}

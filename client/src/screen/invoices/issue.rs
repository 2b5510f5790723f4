//! 开发票: the invoice form of the counter's open account. The cashier
//! picks what the invoice covers (the account's posted payments of the
//! shift, or its open bills — never both), the kind (普票/专票/数电) and the
//! buyer; the answer shows the number, the totals with the VAT split and
//! 大写, and the PDF goes to the printer or a file.
//!
//! Like a payment, every attempt has an idempotency key, kept for every
//! resend of the same request (an answer lost on the way back is fetched
//! by the very same request, never by a second invoice); a new key comes
//! only with a new attempt after a refusal.

use gascis_common::Money;
use gascis_common::proto::v1 as pb;
use iced::widget::{button, checkbox, column, container, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use super::{PdfJob, PdfState, pdf_status, print_task, save_path_task, save_task};
use crate::api::invoices::{self as api, PdfOutcome};
use crate::api::{ApiError, Session};
use crate::i18n::invoices::{self as texts, Key};
use crate::i18n::{Language, tr};
use crate::screen::counter::payment::{is_uncertain, wire_money};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::widget;

pub const TITLE_INPUT: &str = "invoice-title";
pub const TAX_ID_INPUT: &str = "invoice-tax-id";
pub const ADDRESS_PHONE_INPUT: &str = "invoice-address-phone";
pub const BANK_ACCOUNT_INPUT: &str = "invoice-bank-account";
pub const EMAIL_INPUT: &str = "invoice-email";
pub const REMARK_INPUT: &str = "invoice-remark";

/// 普票, 专票 or 数电.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Ordinary,
    Special,
    Digital,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Ordinary, Kind::Special, Kind::Digital];

    /// The wire name.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Ordinary => "ordinary",
            Kind::Special => "special",
            Kind::Digital => "digital",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// On the counter F5–F7 choose the kind while the form is open (the
    /// payment channels' keys, idle then).
    pub fn from_key(named: &iced::keyboard::key::Named) -> Option<Kind> {
        use iced::keyboard::key::Named;
        match named {
            Named::F5 => Some(Kind::Ordinary),
            Named::F6 => Some(Kind::Special),
            Named::F7 => Some(Kind::Digital),
            _ => None,
        }
    }
}

/// What an invoice can cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A posted payment, by its number (P…).
    Payment(String),
    /// An open bill, by its id.
    Bill(i64),
}

/// One payment or bill on offer, ticked or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub source: Source,
    /// The payment number or the bill's period.
    pub label: String,
    /// CNY, as the server sent it.
    pub amount: String,
    pub chosen: bool,
}

/// The payments and bills of `account` an invoice may cover: the posted,
/// not voided payments of this account in the shift (and the one just
/// taken), newest first, then the open bills. The newest payment is
/// ticked; without payments, every open bill.
pub fn choices_for(
    account: &pb::CounterAccount,
    last: Option<&pb::Payment>,
    shift_payments: &[pb::Payment],
) -> Vec<Choice> {
    let mut payments: Vec<&pb::Payment> = Vec::new();
    for payment in last.into_iter().chain(shift_payments) {
        let usable = payment.account_id == account.account_id
            && payment.kind == "payment"
            && payment.status == "posted"
            && payment.void_receipt_no.is_empty()
            && !payment.payment_no.is_empty();
        if usable && !payments.iter().any(|p| p.payment_no == payment.payment_no) {
            payments.push(payment);
        }
    }
    let any_payment = !payments.is_empty();
    let mut choices: Vec<Choice> = payments
        .into_iter()
        .enumerate()
        .map(|(index, payment)| Choice {
            source: Source::Payment(payment.payment_no.clone()),
            label: payment.payment_no.clone(),
            amount: payment.amount.clone(),
            chosen: index == 0,
        })
        .collect();
    choices.extend(account.open_bills.iter().map(|bill| Choice {
        source: Source::Bill(bill.bill_id),
        label: bill.period.clone(),
        amount: bill.amount.clone(),
        chosen: !any_payment,
    }));
    choices
}

/// What is wrong with a field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NothingChosen,
    /// 专票 needs the buyer's unified social credit code.
    TaxIdMissing,
    /// Not 18 letters and digits.
    TaxIdInvalid,
    AddressPhoneMissing,
    BankAccountMissing,
    RemarkTooLong,
}

/// The problems of the form, per field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Problems {
    pub sources: Option<Problem>,
    pub tax_id: Option<Problem>,
    pub address_phone: Option<Problem>,
    pub bank_account: Option<Problem>,
    pub remark: Option<Problem>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        *self == Problems::default()
    }
}

/// A field of the form the server may name in a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Sources,
    Title,
    TaxId,
    AddressPhone,
    BankAccount,
    Email,
    Remark,
}

impl Field {
    /// The field the server's `x-gascis-field` names, if it is one of ours.
    pub fn from_wire(field: &str) -> Option<Field> {
        Some(match field {
            "payment_nos" | "bill_ids" => Field::Sources,
            "buyer.title" => Field::Title,
            "buyer.tax_id" => Field::TaxId,
            "buyer.address_phone" => Field::AddressPhone,
            "buyer.bank_account" => Field::BankAccount,
            "buyer.email" => Field::Email,
            "remark" => Field::Remark,
            _ => return None,
        })
    }

    fn input(self) -> &'static str {
        match self {
            Field::Sources | Field::Title => TITLE_INPUT,
            Field::TaxId => TAX_ID_INPUT,
            Field::AddressPhone => ADDRESS_PHONE_INPUT,
            Field::BankAccount => BANK_ACCOUNT_INPUT,
            Field::Email => EMAIL_INPUT,
            Field::Remark => REMARK_INPUT,
        }
    }
}

/// Where the current attempt stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Being filled in; `problem` is the server's refusal of the last
    /// attempt.
    Editing { problem: Option<ApiError> },
    /// Sent; `resend` when this is the same request sent again.
    Sending {
        request: pb::IssueInvoiceRequest,
        resend: bool,
    },
    /// No answer came: whether the invoice was issued is not known here.
    /// Only the same request may go again.
    Unconfirmed {
        request: pb::IssueInvoiceRequest,
        error: ApiError,
    },
    /// The server answered with the invoice: issued, or pending/unknown
    /// until the platform is asked again.
    Done {
        invoice: Box<pb::Invoice>,
        resolving: bool,
        problem: Option<ApiError>,
    },
}

/// The invoice form of one account.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueForm {
    pub account_no: String,
    /// Shown where the title is left empty: the server prints the
    /// customer's name then (the counter sees it masked).
    pub customer_name: String,
    pub choices: Vec<Choice>,
    pub kind: Kind,
    pub title: String,
    pub tax_id: String,
    pub address_phone: String,
    pub bank_account: String,
    pub email: String,
    pub remark: String,
    /// The key of this attempt.
    pub key: String,
    /// Issue was pressed: problems are shown from now on.
    pub attempted: bool,
    pub stage: Stage,
    pub pdf: Option<PdfJob>,
}

#[derive(Debug, Clone)]
pub enum Message {
    ChooseKind(Kind),
    Toggle(usize),
    TitleChanged(String),
    TaxIdChanged(String),
    AddressPhoneChanged(String),
    BankAccountChanged(String),
    EmailChanged(String),
    RemarkChanged(String),
    /// Enter in a field: on to the next.
    Next(Field),
    Issue,
    /// The unconfirmed request again, same key.
    Retry,
    Issued {
        key: String,
        result: Result<Box<pb::Invoice>, ApiError>,
    },
    /// Asks the platform about a pending or unknown invoice.
    Resolve,
    Resolved(Result<Box<pb::Invoice>, ApiError>),
    Print,
    /// 另存为PDF; the language names the save dialog.
    SaveAs(Language),
    SavePathPicked {
        invoice_no: String,
        path: Option<std::path::PathBuf>,
    },
    PdfDone {
        invoice_no: String,
        result: Result<PdfOutcome, ApiError>,
    },
    Close,
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    SessionExpired,
    /// The form is done with: the host closes it.
    Close,
}

const REMARK_LIMIT: usize = 200;

/// A field of the view: what it is, its label, input id, value, problem
/// and message.
type FieldRow<'a> = (
    Field,
    Key,
    &'static str,
    &'a str,
    Option<Problem>,
    fn(String) -> Message,
);

impl IssueForm {
    pub fn new(account: &pb::CounterAccount, choices: Vec<Choice>, key: String) -> Self {
        IssueForm {
            account_no: account.account_no.clone(),
            customer_name: account.customer_name.clone(),
            choices,
            kind: Kind::Ordinary,
            title: String::new(),
            tax_id: String::new(),
            address_phone: String::new(),
            bank_account: String::new(),
            email: String::new(),
            remark: String::new(),
            key,
            attempted: false,
            stage: Stage::Editing { problem: None },
            pdf: None,
        }
    }

    pub fn is_editable(&self) -> bool {
        matches!(self.stage, Stage::Editing { .. })
    }

    /// Nothing in flight or unconfirmed: the form may close.
    pub fn may_close(&self) -> bool {
        matches!(self.stage, Stage::Editing { .. } | Stage::Done { .. })
            && !self.pdf.as_ref().is_some_and(PdfJob::is_busy)
    }

    /// Ticks or unticks a choice; payments and bills do not mix, so
    /// ticking one kind unticks the other.
    pub fn toggle(&mut self, index: usize) {
        let Some(picked) = self.choices.get(index).cloned() else {
            return;
        };
        let is_payment = matches!(picked.source, Source::Payment(_));
        for (at, choice) in self.choices.iter_mut().enumerate() {
            if at == index {
                choice.chosen = !choice.chosen;
            } else if matches!(choice.source, Source::Payment(_)) != is_payment {
                choice.chosen = false;
            }
        }
    }

    /// The total of what is ticked.
    pub fn chosen_total(&self) -> Money {
        self.choices
            .iter()
            .filter(|choice| choice.chosen)
            .fold(Money::ZERO, |sum, choice| {
                sum.checked_add(wire_money(&choice.amount)).unwrap_or(sum)
            })
    }

    pub fn problems(&self) -> Problems {
        let mut problems = Problems::default();
        if !self.choices.iter().any(|choice| choice.chosen) {
            problems.sources = Some(Problem::NothingChosen);
        }
        let tax_id = self.tax_id.trim();
        let special = self.kind == Kind::Special;
        if tax_id.is_empty() {
            if special {
                problems.tax_id = Some(Problem::TaxIdMissing);
            }
        } else if tax_id.chars().count() != 18 || !tax_id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            problems.tax_id = Some(Problem::TaxIdInvalid);
        }
        if special && self.address_phone.trim().is_empty() {
            problems.address_phone = Some(Problem::AddressPhoneMissing);
        }
        if special && self.bank_account.trim().is_empty() {
            problems.bank_account = Some(Problem::BankAccountMissing);
        }
        if self.remark.trim().chars().count() > REMARK_LIMIT {
            problems.remark = Some(Problem::RemarkTooLong);
        }
        problems
    }

    /// The request of this form, or what is wrong with it.
    pub fn to_request(&self) -> Result<pb::IssueInvoiceRequest, Problems> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut payment_nos = Vec::new();
        let mut bill_ids = Vec::new();
        for choice in self.choices.iter().filter(|choice| choice.chosen) {
            match &choice.source {
                Source::Payment(payment_no) => payment_nos.push(payment_no.clone()),
                Source::Bill(bill_id) => bill_ids.push(*bill_id),
            }
        }
        Ok(pb::IssueInvoiceRequest {
            idempotency_key: self.key.clone(),
            kind: self.kind.code().to_owned(),
            payment_nos,
            bill_ids,
            buyer: Some(pb::InvoiceBuyer {
                title: self.title.trim().to_owned(),
                tax_id: self.tax_id.trim().to_ascii_uppercase(),
                address_phone: self.address_phone.trim().to_owned(),
                bank_account: self.bank_account.trim().to_owned(),
                email: self.email.trim().to_owned(),
            }),
            remark: self.remark.trim().to_owned(),
        })
    }

    /// Edits clear the server's refusal of the last attempt.
    fn edited(&mut self) {
        if let Stage::Editing { problem } = &mut self.stage {
            *problem = None;
        }
    }

    /// Sends the form: the request, or `None` when it has problems (now
    /// shown) or cannot be sent now.
    pub fn issue(&mut self) -> Option<pb::IssueInvoiceRequest> {
        if !self.is_editable() {
            return None;
        }
        self.attempted = true;
        let request = self.to_request().ok()?;
        self.stage = Stage::Sending {
            request: request.clone(),
            resend: false,
        };
        Some(request)
    }

    /// The unconfirmed request again (same key, same content).
    pub fn retry(&mut self) -> Option<pb::IssueInvoiceRequest> {
        let Stage::Unconfirmed { request, .. } = &self.stage else {
            return None;
        };
        let request = request.clone();
        self.stage = Stage::Sending {
            request: request.clone(),
            resend: true,
        };
        Some(request)
    }

    /// The server's answer to the request sent with `key`; `false` when it
    /// is not this attempt's (late).
    pub fn answered(
        &mut self,
        key: &str,
        result: Result<pb::Invoice, ApiError>,
        fresh_key: impl FnOnce() -> String,
    ) -> bool {
        let Stage::Sending { request, .. } = &self.stage else {
            return false;
        };
        if request.idempotency_key != key {
            return false;
        }
        let request = request.clone();
        self.stage = match result {
            Ok(invoice) => Stage::Done {
                invoice: Box::new(invoice),
                resolving: false,
                problem: None,
            },
            Err(error) if is_uncertain(&error) => Stage::Unconfirmed { request, error },
            Err(error) => {
                // Refused: nothing was issued under this key.
                self.key = fresh_key();
                Stage::Editing {
                    problem: Some(error),
                }
            }
        };
        true
    }

    /// The server's words about `field` from the last refusal.
    pub fn server_problem(&self, field: Field) -> Option<&str> {
        match &self.stage {
            Stage::Editing {
                problem:
                    Some(ApiError::InvalidField {
                        field: wire,
                        message,
                    }),
            } if Field::from_wire(wire) == Some(field) => Some(message.as_str()),
            _ => None,
        }
    }

    /// The refusal of the last attempt when no field of the form shows it.
    fn general_problem(&self) -> Option<&ApiError> {
        match &self.stage {
            Stage::Editing {
                problem: Some(ApiError::InvalidField { field, .. }),
            } if Field::from_wire(field).is_some() => None,
            Stage::Editing { problem } => problem.as_ref(),
            _ => None,
        }
    }

    /// The invoice issued (or pending), once answered.
    pub fn invoice(&self) -> Option<&pb::Invoice> {
        match &self.stage {
            Stage::Done { invoice, .. } => Some(invoice),
            _ => None,
        }
    }

    pub fn update(
        &mut self,
        session: &Session,
        message: Message,
        new_key: fn() -> String,
    ) -> Action {
        match message {
            Message::ChooseKind(kind) => self.edit(|form| form.kind = kind),
            Message::Toggle(index) => self.edit(|form| form.toggle(index)),
            Message::TitleChanged(value) => self.edit(|form| form.title = value),
            Message::TaxIdChanged(value) => self.edit(|form| form.tax_id = value),
            Message::AddressPhoneChanged(value) => self.edit(|form| form.address_phone = value),
            Message::BankAccountChanged(value) => self.edit(|form| form.bank_account = value),
            Message::EmailChanged(value) => self.edit(|form| form.email = value),
            Message::RemarkChanged(value) => self.edit(|form| form.remark = value),
            Message::Next(field) => {
                let next = match field {
                    Field::Sources | Field::Title => TAX_ID_INPUT,
                    Field::TaxId => ADDRESS_PHONE_INPUT,
                    Field::AddressPhone => BANK_ACCOUNT_INPUT,
                    Field::BankAccount => EMAIL_INPUT,
                    Field::Email => REMARK_INPUT,
                    Field::Remark => return self.update(session, Message::Issue, new_key),
                };
                return Action::Run(iced::widget::operation::focus(next));
            }
            Message::Issue => {
                if let Some(request) = self.issue() {
                    return Action::Run(send(session, request));
                }
                if self.is_editable() {
                    let problems = self.problems();
                    let first = [
                        (problems.tax_id, Field::TaxId),
                        (problems.address_phone, Field::AddressPhone),
                        (problems.bank_account, Field::BankAccount),
                        (problems.remark, Field::Remark),
                    ]
                    .into_iter()
                    .find_map(|(problem, field)| problem.map(|_| field));
                    if let Some(field) = first {
                        return Action::Run(iced::widget::operation::focus(field.input()));
                    }
                }
            }
            Message::Retry => {
                if let Some(request) = self.retry() {
                    return Action::Run(send(session, request));
                }
            }
            Message::Issued { key, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                if self.answered(&key, result.map(|invoice| *invoice), new_key) {
                    let field = self
                        .general_problem()
                        .is_none()
                        .then(|| match &self.stage {
                            Stage::Editing {
                                problem: Some(ApiError::InvalidField { field, .. }),
                            } => Field::from_wire(field),
                            _ => None,
                        })
                        .flatten();
                    if let Some(field) = field {
                        return Action::Run(iced::widget::operation::focus(field.input()));
                    }
                    // An invoice issued prints at once, like a receipt.
                    let issued = self
                        .invoice()
                        .filter(|invoice| invoice.status == "issued")
                        .map(|invoice| invoice.invoice_no.clone());
                    if let Some(invoice_no) = issued {
                        return Action::Run(self.start_print(session, invoice_no));
                    }
                }
            }
            Message::Resolve => {
                if let Stage::Done {
                    invoice, resolving, ..
                } = &mut self.stage
                    && !*resolving
                {
                    *resolving = true;
                    let number = number_of(invoice);
                    return Action::Run(Task::perform(
                        api::resolve_invoice(session.clone(), number),
                        |result| Message::Resolved(result.map(Box::new)),
                    ));
                }
            }
            Message::Resolved(result) => {
                if let Stage::Done {
                    invoice,
                    resolving,
                    problem,
                } = &mut self.stage
                    && *resolving
                {
                    *resolving = false;
                    match result {
                        Ok(resolved) => {
                            let now_issued =
                                invoice.status != "issued" && resolved.status == "issued";
                            *invoice = resolved;
                            *problem = None;
                            // Issued after all: it prints like one issued at
                            // once.
                            if now_issued {
                                let invoice_no = invoice.invoice_no.clone();
                                return Action::Run(self.start_print(session, invoice_no));
                            }
                        }
                        Err(ApiError::SessionExpired) => return Action::SessionExpired,
                        Err(error) => *problem = Some(error),
                    }
                }
            }
            Message::Print => {
                if let Some(invoice_no) = self.invoice().map(|i| i.invoice_no.clone()) {
                    return Action::Run(self.start_print(session, invoice_no));
                }
            }
            Message::SaveAs(language) => {
                let Some(invoice_no) = self
                    .invoice()
                    .map(|invoice| invoice.invoice_no.clone())
                    .filter(|no| !no.is_empty())
                else {
                    return Action::None;
                };
                if self.pdf.as_ref().is_some_and(PdfJob::is_busy) {
                    return Action::None;
                }
                self.pdf = Some(PdfJob::new(&invoice_no, PdfState::Choosing));
                return Action::Run(
                    save_path_task(language, invoice_no)
                        .map(|(invoice_no, path)| Message::SavePathPicked { invoice_no, path }),
                );
            }
            Message::SavePathPicked { invoice_no, path } => {
                let Some(job) = self
                    .pdf
                    .as_mut()
                    .filter(|job| job.invoice_no == invoice_no && job.state == PdfState::Choosing)
                else {
                    return Action::None;
                };
                let Some(path) = path.filter(|path| path.file_name().is_some()) else {
                    self.pdf = None;
                    return Action::None;
                };
                job.state = PdfState::Working;
                return Action::Run(
                    save_task(session, invoice_no, path)
                        .map(|(invoice_no, result)| Message::PdfDone { invoice_no, result }),
                );
            }
            Message::PdfDone { invoice_no, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                if let Some(job) = self.pdf.as_mut() {
                    job.finished(&invoice_no, result);
                }
            }
            Message::Close => {
                if self.may_close() {
                    return Action::Close;
                }
            }
        }
        Action::None
    }

    fn edit(&mut self, edit: impl FnOnce(&mut IssueForm)) {
        if self.is_editable() {
            edit(self);
            self.edited();
        }
    }

    fn start_print(&mut self, session: &Session, invoice_no: String) -> Task<Message> {
        if invoice_no.is_empty() || self.pdf.as_ref().is_some_and(PdfJob::is_busy) {
            return Task::none();
        }
        self.pdf = Some(PdfJob::new(&invoice_no, PdfState::Working));
        print_task(session, invoice_no)
            .map(|(invoice_no, result)| Message::PdfDone { invoice_no, result })
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        match &self.stage {
            Stage::Done {
                invoice,
                resolving,
                problem,
            } => self.done_view(language, invoice, *resolving, problem.as_ref()),
            _ => self.form_view(language),
        }
    }

    fn form_view(&self, language: Language) -> Element<'_, Message> {
        let editable = self.is_editable();
        let problems = self.problems();
        let shown = |problem: Option<Problem>| problem.filter(|_| self.attempted);

        let mut lines = column![
            text(tr(language, Key::IssueTitle))
                .size(16)
                .style(theme::text::section),
            text(texts::issue_for(language, &self.account_no)).size(13),
            widget::segmented(
                Kind::ALL
                    .into_iter()
                    .map(|kind| (kind, texts::kind_name(language, kind.code()).to_owned())),
                self.kind,
                Message::ChooseKind,
            ),
            text(tr(language, Key::IssueShortcuts))
                .size(12)
                .style(theme::text::muted),
            text(tr(language, Key::CoversLabel))
                .size(13)
                .style(theme::text::label),
        ]
        .spacing(8);
        if self.choices.is_empty() {
            lines = lines.push(
                text(tr(language, Key::NothingToInvoice))
                    .size(13)
                    .style(theme::text::warning),
            );
        }
        for (index, choice) in self.choices.iter().enumerate() {
            let label = texts::choice_label(language, choice);
            let mut tick = checkbox(choice.chosen).label(label).size(15).text_size(13);
            if editable {
                tick = tick.on_toggle(move |_| Message::Toggle(index));
            }
            lines = lines.push(tick);
        }
        if let Some(problem) = shown(problems.sources) {
            lines = lines.push(field_error(texts::problem(language, problem)));
        }
        if let Some(message) = self.server_problem(Field::Sources) {
            lines = lines.push(field_error(message.to_owned()));
        }
        lines = lines.push(
            text(texts::chosen_total(language, self.chosen_total()))
                .size(13)
                .style(theme::text::muted),
        );

        let special = self.kind == Kind::Special;
        let fields: [FieldRow<'_>; 6] = [
            (
                Field::Title,
                Key::BuyerTitle,
                TITLE_INPUT,
                &self.title,
                None,
                Message::TitleChanged,
            ),
            (
                Field::TaxId,
                if special {
                    Key::TaxIdRequired
                } else {
                    Key::TaxId
                },
                TAX_ID_INPUT,
                &self.tax_id,
                shown(problems.tax_id),
                Message::TaxIdChanged,
            ),
            (
                Field::AddressPhone,
                if special {
                    Key::AddressPhoneRequired
                } else {
                    Key::AddressPhone
                },
                ADDRESS_PHONE_INPUT,
                &self.address_phone,
                shown(problems.address_phone),
                Message::AddressPhoneChanged,
            ),
            (
                Field::BankAccount,
                if special {
                    Key::BankAccountRequired
                } else {
                    Key::BankAccount
                },
                BANK_ACCOUNT_INPUT,
                &self.bank_account,
                shown(problems.bank_account),
                Message::BankAccountChanged,
            ),
            (
                Field::Email,
                Key::Email,
                EMAIL_INPUT,
                &self.email,
                None,
                Message::EmailChanged,
            ),
            (
                Field::Remark,
                Key::Remark,
                REMARK_INPUT,
                &self.remark,
                shown(problems.remark),
                Message::RemarkChanged,
            ),
        ];
        for (field, label, id, value, problem, on_input) in fields {
            let server = self.server_problem(field);
            let placeholder = match field {
                Field::Title => self.customer_name.as_str(),
                _ => "",
            };
            let mut block = column![
                text(tr(language, label)).size(13).style(theme::text::label),
                text_input(placeholder, value)
                    .id(id)
                    .padding([6, 10])
                    .size(15)
                    .style(if problem.is_some() || server.is_some() {
                        theme::text_input::invalid
                    } else {
                        theme::text_input::field
                    })
                    .on_input_maybe(editable.then_some(on_input))
                    .on_submit_maybe(editable.then_some(Message::Next(field))),
            ]
            .spacing(3);
            if let Some(problem) = problem {
                block = block.push(field_error(texts::problem(language, problem)));
            }
            if let Some(message) = server {
                block = block.push(field_error(message.to_owned()));
            }
            lines = lines.push(block);
        }
        if let Some(error) = self.general_problem() {
            lines = lines.push(problem_box(language, error));
        }
        match &self.stage {
            Stage::Sending { resend, .. } => {
                lines = lines.push(
                    text(tr(
                        language,
                        if *resend {
                            Key::Resending
                        } else {
                            Key::Issuing
                        },
                    ))
                    .size(14)
                    .style(theme::text::muted),
                );
            }
            Stage::Unconfirmed { error, .. } => {
                lines = lines.push(
                    container(
                        column![
                            text(tr(language, Key::Unconfirmed)).size(14),
                            text(crate::i18n::error_text(language, error).headline)
                                .size(12)
                                .style(theme::text::muted),
                            button(text(tr(language, Key::RetryButton)).size(14))
                                .padding([6, 14])
                                .style(theme::button::primary)
                                .on_press(Message::Retry),
                        ]
                        .spacing(6),
                    )
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::warning_box),
                );
            }
            _ => {}
        }
        lines = lines.push(
            row![
                button(text(tr(language, Key::IssueButton)).size(15))
                    .padding([7, 18])
                    .style(theme::button::primary)
                    .on_press_maybe(editable.then_some(Message::Issue)),
                button(text(tr(language, Key::CloseButton)).size(14))
                    .padding([7, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe(self.may_close().then_some(Message::Close)),
            ]
            .spacing(8),
        );
        lines.into()
    }

    fn done_view<'a>(
        &'a self,
        language: Language,
        invoice: &'a pb::Invoice,
        resolving: bool,
        problem: Option<&ApiError>,
    ) -> Element<'a, Message> {
        let issued = invoice.status == "issued";
        let mut lines = column![
            container(text(texts::issued_headline(language, invoice)).size(15))
                .padding([8, 12])
                .width(Length::Fill)
                .style(if issued {
                    theme::container::success_box
                } else {
                    theme::container::warning_box
                }),
        ]
        .spacing(8);
        lines = lines.push(super::totals_view(language, invoice));
        if !invoice.status_detail.is_empty() {
            lines = lines.push(
                text(invoice.status_detail.as_str())
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        if let Some(error) = problem {
            lines = lines.push(problem_box(language, error));
        }
        let mut buttons = row![].spacing(8).align_y(Alignment::Center);
        if matches!(invoice.status.as_str(), "pending" | "unknown") {
            buttons = buttons.push(
                button(text(tr(language, Key::ResolveButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::primary)
                    .on_press_maybe((!resolving).then_some(Message::Resolve)),
            );
        }
        let pdf_busy = self.pdf.as_ref().is_some_and(PdfJob::is_busy);
        if !invoice.invoice_no.is_empty() {
            buttons = buttons
                .push(
                    button(text(tr(language, Key::PrintButton)).size(14))
                        .padding([6, 14])
                        .style(theme::button::secondary)
                        .on_press_maybe((!pdf_busy).then_some(Message::Print)),
                )
                .push(
                    button(text(tr(language, Key::SaveButton)).size(14))
                        .padding([6, 14])
                        .style(theme::button::secondary)
                        .on_press_maybe((!pdf_busy).then_some(Message::SaveAs(language))),
                );
        }
        buttons = buttons.push(
            button(text(tr(language, Key::CloseButton)).size(14))
                .padding([6, 14])
                .style(theme::button::secondary)
                .on_press_maybe(self.may_close().then_some(Message::Close)),
        );
        lines = lines.push(buttons);
        if let Some(job) = &self.pdf {
            lines = lines.push(pdf_status(language, job));
        }
        lines.into()
    }
}

fn send(session: &Session, request: pb::IssueInvoiceRequest) -> Task<Message> {
    let key = request.idempotency_key.clone();
    Task::perform(
        api::issue_invoice(session.clone(), request),
        move |result| Message::Issued {
            key,
            result: result.map(Box::new),
        },
    )
}

/// The number to ask about an invoice by: its 发票号码 once it has one,
/// else our request number.
pub fn number_of(invoice: &pb::Invoice) -> String {
    if invoice.invoice_no.is_empty() {
        invoice.request_no.clone()
    } else {
        invoice.invoice_no.clone()
    }
}

fn field_error<'a, M: 'a>(line: String) -> Element<'a, M> {
    text(line).size(13).style(theme::text::error).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn account() -> pb::CounterAccount {
        pb::CounterAccount {
            account_id: 41,
            account_no: "3101000001".into(),
            customer_name: "王*芳".into(),
            open_bills: vec![
                pb::OpenBill {
                    bill_id: 7,
                    period: "2024-02".into(),
                    amount: "150.00".into(),
                    ..pb::OpenBill::default()
                },
                pb::OpenBill {
                    bill_id: 8,
                    period: "2024-03".into(),
                    amount: "190.00".into(),
                    ..pb::OpenBill::default()
                },
            ],
            ..pb::CounterAccount::default()
        }
    }

    fn payment(no: &str, account_id: i64, status: &str) -> pb::Payment {
        pb::Payment {
            payment_no: no.into(),
            kind: "payment".into(),
            account_id,
            amount: "100.00".into(),
            status: status.into(),
            ..pb::Payment::default()
        }
    }

    #[test]
    fn bills_are_chosen_when_no_payment_was_taken() {
        let form = IssueForm::new(&account(), choices_for(&account(), None, &[]), "k1".into());
        let request = form.to_request().unwrap();
        assert_eq!(request.bill_ids, vec![7, 8]);
        assert!(request.payment_nos.is_empty());
        assert_eq!(request.kind, "ordinary");
        assert_eq!(request.idempotency_key, "k1");
        let buyer = request.buyer.unwrap();
        assert_eq!(
            buyer.title, "",
            "empty: the server prints the customer's name"
        );
        assert_eq!(form.chosen_total(), Money::from_fen(34000));
    }

    #[test]
    fn the_last_payment_of_this_account_is_chosen_and_kinds_do_not_mix() {
        let last = payment("P002", 41, "posted");
        let shift = [
            payment("P002", 41, "posted"),
            payment("P001", 41, "posted"),
            payment("P000", 41, "voided"),
            payment("P009", 42, "posted"),
        ];
        let choices = choices_for(&account(), Some(&last), &shift);
        assert_eq!(
            choices.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            vec!["P002", "P001", "2024-02", "2024-03"]
        );
        let mut form = IssueForm::new(&account(), choices, "k1".into());
        assert_eq!(form.to_request().unwrap().payment_nos, vec!["P002"]);
        form.toggle(1);
        assert_eq!(form.to_request().unwrap().payment_nos, vec!["P002", "P001"]);
        form.toggle(2);
        let request = form.to_request().unwrap();
        assert!(request.payment_nos.is_empty(), "a bill unticks payments");
        assert_eq!(request.bill_ids, vec![7]);
        form.toggle(2);
        assert_eq!(
            form.to_request().unwrap_err().sources,
            Some(Problem::NothingChosen)
        );
    }

    #[test]
    fn a_special_invoice_needs_the_buyers_particulars() {
        let mut form = IssueForm::new(&account(), choices_for(&account(), None, &[]), "k".into());
        form.kind = Kind::Special;
        let problems = form.to_request().unwrap_err();
        assert_eq!(problems.tax_id, Some(Problem::TaxIdMissing));
        assert_eq!(problems.address_phone, Some(Problem::AddressPhoneMissing));
        assert_eq!(problems.bank_account, Some(Problem::BankAccountMissing));
        form.tax_id = "91310000abc".into();
        assert_eq!(form.problems().tax_id, Some(Problem::TaxIdInvalid));
        form.tax_id = " 91310115mA1k4g7x2b ".into();
        form.title = " 上海阳光餐饮有限公司 ".into();
        form.address_phone = "上海市浦东新区 021-5555".into();
        form.bank_account = "工行 1001".into();
        let request = form.to_request().unwrap();
        let buyer = request.buyer.unwrap();
        assert_eq!(buyer.tax_id, "91310115MA1K4G7X2B");
        assert_eq!(buyer.title, "上海阳光餐饮有限公司");
        assert_eq!(request.kind, "special");
        form.remark = "字".repeat(201);
        assert_eq!(form.problems().remark, Some(Problem::RemarkTooLong));
    }

    #[test]
    fn a_lost_answer_resends_the_same_request_a_refusal_starts_anew() {
        let mut form = IssueForm::new(&account(), choices_for(&account(), None, &[]), "k1".into());
        let first = form.issue().unwrap();
        assert_eq!(form.issue(), None, "one at a time");
        assert!(
            form.answered("k1", Err(ApiError::Unreachable("timeout".into())), || {
                "k2".into()
            })
        );
        assert_eq!(form.retry(), Some(first));
        let refusal = ApiError::InvalidField {
            field: "buyer.tax_id".into(),
            message: "wrong check character".into(),
        };
        assert!(form.answered("k1", Err(refusal), || "k2".into()));
        assert_eq!(form.key, "k2");
        assert_eq!(
            form.server_problem(Field::TaxId),
            Some("wrong check character")
        );
        assert_eq!(form.general_problem(), None);
        assert!(!form.answered("k1", Err(ApiError::Other("late".into())), || "k3".into()));
        let second = form.issue().unwrap();
        assert_eq!(second.idempotency_key, "k2");
        let invoice = pb::Invoice {
            invoice_no: "24312000000000000001".into(),
            status: "issued".into(),
            ..pb::Invoice::default()
        };
        assert!(form.answered("k2", Ok(invoice), || "k3".into()));
        assert_eq!(
            form.invoice().map(|i| i.invoice_no.as_str()),
            Some("24312000000000000001")
        );
    }
}

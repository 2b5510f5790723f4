//! 发票: find invoices (number, account, buyer, dates, status, kind) page
//! by page, open one with its lines, forms and history, print or save its
//! PDF; finance and supervisors reverse it (红冲): enter the red-letter
//! confirmation form, follow its state with a refresh, answer a buyer's
//! form, and issue the red invoice once the form allows it. Issuing is on
//! the counter ([`issue`]).
//!
//! Intents are imperative (`Search`, `Open`, `SubmitRed`, `IssueRed`),
//! outcomes past tense with a `Result` (`Listed`, `Loaded`, `RedEntered`,
//! `RedIssued`); the I/O is in [`crate::api::invoices`].
//!
//! Keys: Enter searches (or opens the only hit), ↑/↓ pick a row and Enter
//! opens it, PageDown/PageUp turn pages, Esc goes back to the list.

pub mod issue;
pub mod red;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use gascis_common::Role;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::widget::{button, checkbox, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Padding, Task};

use crate::api::invoices::{self as api, PdfOutcome};
use crate::api::{ApiError, Session};
use crate::i18n::invoices::{self as texts, Key};
use crate::i18n::{Language, archive::money, tr};
use crate::screen::counter::new_key;
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::widget::{self, TableColumn, TableRow};

pub use issue::IssueForm;
pub use red::RedForm;

pub const INVOICE_NO_INPUT: &str = "invoices-no";
pub const ACCOUNT_NO_INPUT: &str = "invoices-account";
pub const BUYER_INPUT: &str = "invoices-buyer";
pub const DATE_FROM_INPUT: &str = "invoices-from";
pub const DATE_TO_INPUT: &str = "invoices-to";

/// Invoices per page.
pub const PAGE_SIZE: i32 = 50;

/// The statuses one can search for.
pub const STATUSES: [&str; 6] = [
    "pending",
    "issued",
    "failed",
    "unknown",
    "partly_reversed",
    "reversed",
];

/// An invoice PDF going to the printer or a file.
#[derive(Debug, Clone, PartialEq)]
pub struct PdfJob {
    pub invoice_no: String,
    pub state: PdfState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PdfState {
    /// The save dialog is open.
    Choosing,
    /// Fetching, printing or writing.
    Working,
    Done(PdfOutcome),
    Failed(ApiError),
}

impl PdfJob {
    pub fn new(invoice_no: &str, state: PdfState) -> Self {
        PdfJob {
            invoice_no: invoice_no.to_owned(),
            state,
        }
    }

    pub fn is_busy(&self) -> bool {
        matches!(self.state, PdfState::Choosing | PdfState::Working)
    }

    /// The outcome of the print or save of `invoice_no`.
    pub fn finished(&mut self, invoice_no: &str, result: Result<PdfOutcome, ApiError>) {
        if self.invoice_no == invoice_no && self.state == PdfState::Working {
            self.state = match result {
                Ok(outcome) => PdfState::Done(outcome),
                Err(error) => PdfState::Failed(error),
            };
        }
    }
}

/// Prints the invoice on the system's default printer: invoices are A4 and
/// do not go to the counter's receipt roll.
pub fn print_task(
    session: &Session,
    invoice_no: String,
) -> Task<(String, Result<PdfOutcome, ApiError>)> {
    let number = invoice_no.clone();
    Task::perform(
        api::print_invoice(session.clone(), invoice_no, None),
        move |result| (number.clone(), result),
    )
}

/// The save dialog for the invoice's PDF.
pub fn save_path_task(language: Language, invoice_no: String) -> Task<(String, Option<PathBuf>)> {
    let suggested = dirs::document_dir().or_else(dirs::home_dir).map_or_else(
        || PathBuf::from(format!("{invoice_no}.pdf")),
        |directory| directory.join(format!("{invoice_no}.pdf")),
    );
    let title = tr(language, Key::SaveDialogTitle).to_owned();
    Task::perform(
        crate::api::counter::pick_pdf_save_path(title, suggested),
        move |path| (invoice_no.clone(), path),
    )
}

pub fn save_task(
    session: &Session,
    invoice_no: String,
    path: PathBuf,
) -> Task<(String, Result<PdfOutcome, ApiError>)> {
    let number = invoice_no.clone();
    Task::perform(
        api::save_invoice(session.clone(), invoice_no, path),
        move |result| (number.clone(), result),
    )
}

/// What a user may do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// 红冲: finance and supervisors.
    pub can_reverse: bool,
}

pub fn permissions_for(roles: &[Role]) -> Permissions {
    Permissions {
        can_reverse: roles.contains(&Role::Finance) || roles.contains(&Role::Supervisor),
    }
}

/// A field of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    InvoiceNo,
    AccountNo,
    BuyerTitle,
    DateFrom,
    DateTo,
}

/// What is wrong with the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchProblem {
    /// Not YYYY-MM-DD.
    DateInvalid(SearchField),
    /// From after to.
    DatesReversed,
}

/// The search as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub invoice_no: String,
    pub account_no: String,
    pub buyer_title: String,
    pub date_from: String,
    pub date_to: String,
    /// `None`: every status.
    pub status: Option<&'static str>,
    /// `None`: every kind.
    pub kind: Option<issue::Kind>,
}

fn date(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

impl Search {
    pub fn set(&mut self, field: SearchField, value: String) {
        match field {
            SearchField::InvoiceNo => self.invoice_no = value,
            SearchField::AccountNo => self.account_no = value,
            SearchField::BuyerTitle => self.buyer_title = value,
            SearchField::DateFrom => self.date_from = value,
            SearchField::DateTo => self.date_to = value,
        }
    }

    /// The first page's request, or what is wrong with the search.
    pub fn to_request(&self) -> Result<pb::ListInvoicesRequest, SearchProblem> {
        let from = date(&self.date_from)
            .map_err(|()| SearchProblem::DateInvalid(SearchField::DateFrom))?;
        let to =
            date(&self.date_to).map_err(|()| SearchProblem::DateInvalid(SearchField::DateTo))?;
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(SearchProblem::DatesReversed);
        }
        let shown = |date: Option<NaiveDate>| {
            date.map(|date| date.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        Ok(pb::ListInvoicesRequest {
            invoice_no: self.invoice_no.trim().to_owned(),
            account_no: self.account_no.trim().to_owned(),
            buyer_title: self.buyer_title.trim().to_owned(),
            date_from: shown(from),
            date_to: shown(to),
            status: self.status.unwrap_or_default().to_owned(),
            kind: self
                .kind
                .map(issue::Kind::code)
                .unwrap_or_default()
                .to_owned(),
            page_size: PAGE_SIZE,
            page_token: 0,
        })
    }
}

/// The list of invoices found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    /// The request of the page asked for or shown.
    pub request: Option<pb::ListInvoicesRequest>,
    pub loading: bool,
    pub invoices: Vec<pb::Invoice>,
    /// The tokens of the pages before this one, for 上一页.
    pub previous: Vec<i64>,
    pub next_token: i64,
    pub highlighted: Option<usize>,
    pub problem: Option<ApiError>,
}

impl Listing {
    /// The page number, from 1.
    pub fn page(&self) -> usize {
        self.previous.len() + 1
    }
}

/// A red invoice being issued on a form: its key, kept for a resend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedIssue {
    pub key: String,
    pub sending: bool,
}

/// One invoice opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub number: String,
    pub invoice: Option<Box<pb::Invoice>>,
    pub loading: bool,
    pub problem: Option<ApiError>,
    /// 红冲 being filled in.
    pub red: Option<RedForm>,
    /// A form being refreshed, confirmed or refused.
    pub form_busy: Option<String>,
    /// Red invoices being issued, by form number.
    pub red_issues: HashMap<String, RedIssue>,
    /// What was done last here, e.g. the red invoice issued.
    pub notice: Option<String>,
}

impl Opened {
    fn new(number: String) -> Self {
        Opened {
            number,
            invoice: None,
            loading: true,
            problem: None,
            red: None,
            form_busy: None,
            red_issues: HashMap::new(),
            notice: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Invoices {
    session: Session,
    permissions: Permissions,
    pub search: Search,
    pub search_problem: Option<SearchProblem>,
    pub listing: Listing,
    pub opened: Option<Opened>,
    pub pdf: Option<PdfJob>,
}

#[derive(Debug, Clone)]
pub enum Message {
    SearchChanged(SearchField, String),
    ChooseStatus(Option<&'static str>),
    ChooseKind(Option<issue::Kind>),
    Search,
    Listed {
        request: pb::ListInvoicesRequest,
        result: Result<pb::ListInvoicesResponse, ApiError>,
    },
    NextPage,
    PreviousPage,
    /// ↑ is -1, ↓ is +1.
    Move(isize),
    /// Enter on the list: opens the highlighted row.
    OpenHighlighted,
    Open(String),
    Loaded {
        number: String,
        result: Result<Box<pb::Invoice>, ApiError>,
    },
    Back,
    Reload,
    Resolve,
    Print,
    SaveAs(Language),
    SavePathPicked {
        invoice_no: String,
        path: Option<PathBuf>,
    },
    PdfDone {
        invoice_no: String,
        result: Result<PdfOutcome, ApiError>,
    },

    StartRed,
    RedFull(bool),
    RedToggleLine(usize),
    RedLineAmount(usize, String),
    RedReason(String),
    RedBuyerFormNo(String),
    SubmitRed,
    RetryRed,
    CancelRed,
    RedEntered {
        key: String,
        result: Result<Box<pb::RedConfirmation>, ApiError>,
    },
    RefreshForm(String),
    AnswerForm {
        form_no: String,
        accept: bool,
    },
    FormAnswered {
        form_no: String,
        result: Result<Box<pb::RedConfirmation>, ApiError>,
    },
    IssueRed(String),
    RedIssued {
        form_no: String,
        key: String,
        result: Result<Box<pb::Invoice>, ApiError>,
    },
    Escape,
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    SessionExpired,
}

impl Invoices {
    pub fn new(session: Session) -> Self {
        let permissions = permissions_for(&session.user.roles);
        Invoices {
            session,
            permissions,
            search: Search::default(),
            search_problem: None,
            listing: Listing::default(),
            opened: None,
            pdf: None,
        }
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    /// The area was opened: the newest invoices the first time, the cursor
    /// in the number field.
    pub fn opened(&mut self) -> Task<Message> {
        let list = if self.listing.request.is_none() {
            self.search()
        } else {
            Task::none()
        };
        Task::batch([list, iced::widget::operation::focus(INVOICE_NO_INPUT)])
    }

    fn search(&mut self) -> Task<Message> {
        match self.search.to_request() {
            Ok(request) => {
                self.search_problem = None;
                self.listing.previous.clear();
                self.list(request)
            }
            Err(problem) => {
                self.search_problem = Some(problem);
                Task::none()
            }
        }
    }

    fn list(&mut self, request: pb::ListInvoicesRequest) -> Task<Message> {
        self.listing.request = Some(request.clone());
        self.listing.loading = true;
        self.listing.problem = None;
        Task::perform(
            api::list_invoices(self.session.clone(), request.clone()),
            move |result| Message::Listed {
                request: request.clone(),
                result,
            },
        )
    }

    fn open(&mut self, number: String) -> Task<Message> {
        self.opened = Some(Opened::new(number.clone()));
        self.load(number)
    }

    fn load(&mut self, number: String) -> Task<Message> {
        if let Some(opened) = self.opened.as_mut() {
            opened.loading = true;
        }
        Task::perform(
            api::get_invoice(self.session.clone(), number.clone()),
            move |result| Message::Loaded {
                number: number.clone(),
                result: result.map(Box::new),
            },
        )
    }

    fn reload(&mut self) -> Task<Message> {
        match self.opened.as_ref().map(|opened| opened.number.clone()) {
            Some(number) => self.load(number),
            None => Task::none(),
        }
    }

    fn opened_invoice(&self) -> Option<&pb::Invoice> {
        self.opened
            .as_ref()
            .and_then(|opened| opened.invoice.as_deref())
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::SearchChanged(field, value) => {
                self.search.set(field, value);
                self.search_problem = None;
            }
            Message::ChooseStatus(status) => {
                self.search.status = status;
                return Action::Run(self.search());
            }
            Message::ChooseKind(kind) => {
                self.search.kind = kind;
                return Action::Run(self.search());
            }
            Message::Search => {
                self.opened = None;
                return Action::Run(self.search());
            }
            Message::Listed { request, result } => {
                if self.listing.request.as_ref() != Some(&request) {
                    return Action::None;
                }
                self.listing.loading = false;
                match result {
                    Ok(page) => {
                        self.listing.invoices = page.invoices;
                        self.listing.next_token = page.next_page_token;
                        self.listing.highlighted = (!self.listing.invoices.is_empty()).then_some(0);
                        // A number searched for and found once: open it.
                        if !request.invoice_no.is_empty()
                            && let [only] = self.listing.invoices.as_slice()
                        {
                            let number = issue::number_of(only);
                            return Action::Run(self.open(number));
                        }
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.listing.problem = Some(error),
                }
            }
            Message::NextPage => {
                let (Some(request), false) = (self.listing.request.clone(), self.listing.loading)
                else {
                    return Action::None;
                };
                if self.listing.next_token == 0 || self.opened.is_some() {
                    return Action::None;
                }
                self.listing.previous.push(request.page_token);
                let next = pb::ListInvoicesRequest {
                    page_token: self.listing.next_token,
                    ..request
                };
                return Action::Run(self.list(next));
            }
            Message::PreviousPage => {
                let (Some(request), false) = (self.listing.request.clone(), self.listing.loading)
                else {
                    return Action::None;
                };
                if self.opened.is_some() {
                    return Action::None;
                }
                let Some(token) = self.listing.previous.pop() else {
                    return Action::None;
                };
                let previous = pb::ListInvoicesRequest {
                    page_token: token,
                    ..request
                };
                return Action::Run(self.list(previous));
            }
            Message::Move(step) => {
                let count = self.listing.invoices.len();
                if count == 0 || self.opened.is_some() {
                    return Action::None;
                }
                let at = self.listing.highlighted.unwrap_or(0) as isize + step;
                self.listing.highlighted = Some(at.clamp(0, count as isize - 1) as usize);
            }
            Message::OpenHighlighted => {
                let number = self
                    .listing
                    .highlighted
                    .and_then(|index| self.listing.invoices.get(index))
                    .map(issue::number_of);
                if let Some(number) = number
                    && self.opened.is_none()
                {
                    return Action::Run(self.open(number));
                }
            }
            Message::Open(number) => {
                // A form in flight stays on screen until its answer.
                if self.opened.as_ref().is_some_and(|opened| {
                    opened
                        .red
                        .as_ref()
                        .is_some_and(|form| matches!(form.stage, red::Stage::Sending(_)))
                }) {
                    return Action::None;
                }
                if let Some(index) = self
                    .listing
                    .invoices
                    .iter()
                    .position(|invoice| issue::number_of(invoice) == number)
                {
                    self.listing.highlighted = Some(index);
                }
                return Action::Run(self.open(number));
            }
            Message::Loaded { number, result } => {
                let Some(opened) = self
                    .opened
                    .as_mut()
                    .filter(|opened| opened.number == number)
                else {
                    return Action::None;
                };
                opened.loading = false;
                match result {
                    Ok(invoice) => {
                        // The list shows the invoice as it is now.
                        if let Some(row) = self
                            .listing
                            .invoices
                            .iter_mut()
                            .find(|row| row.request_no == invoice.request_no)
                        {
                            *row = (*invoice).clone();
                        }
                        opened.invoice = Some(invoice);
                        opened.problem = None;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => opened.problem = Some(error),
                }
            }
            Message::Back => return Action::Run(self.back()),
            Message::Reload => return Action::Run(self.reload()),
            Message::Resolve => {
                let Some(opened) = self.opened.as_mut().filter(|opened| !opened.loading) else {
                    return Action::None;
                };
                opened.loading = true;
                let number = opened.number.clone();
                return Action::Run(Task::perform(
                    api::resolve_invoice(self.session.clone(), number.clone()),
                    move |result| Message::Loaded {
                        number: number.clone(),
                        result: result.map(Box::new),
                    },
                ));
            }
            Message::Print => {
                let Some(invoice_no) = self.printable() else {
                    return Action::None;
                };
                self.pdf = Some(PdfJob::new(&invoice_no, PdfState::Working));
                return Action::Run(
                    print_task(&self.session, invoice_no)
                        .map(|(invoice_no, result)| Message::PdfDone { invoice_no, result }),
                );
            }
            Message::SaveAs(language) => {
                let Some(invoice_no) = self.printable() else {
                    return Action::None;
                };
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
                    save_task(&self.session, invoice_no, path)
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
            message => return self.update_red(message),
        }
        Action::None
    }

    /// The number of the open invoice when its PDF may be fetched now.
    fn printable(&self) -> Option<String> {
        if self.pdf.as_ref().is_some_and(PdfJob::is_busy) {
            return None;
        }
        self.opened_invoice()
            .filter(|invoice| !invoice.invoice_no.is_empty())
            .map(|invoice| invoice.invoice_no.clone())
    }

    fn update_red(&mut self, message: Message) -> Action {
        let can_reverse = self.permissions.can_reverse;
        let session = self.session.clone();
        let Some(opened) = self.opened.as_mut() else {
            return Action::None;
        };
        // The server refuses others too; the screen does not offer it.
        if !can_reverse && !matches!(message, Message::Escape) {
            return Action::None;
        }
        match message {
            Message::StartRed => {
                let Some(invoice) = opened.invoice.as_deref().filter(|i| red::may_reverse(i))
                else {
                    return Action::None;
                };
                if opened.red.is_none() {
                    opened.red = Some(RedForm::new(invoice, new_key("red")));
                    opened.notice = None;
                }
                return Action::Run(iced::widget::operation::focus(red::REASON_INPUT));
            }
            Message::RedFull(full) => edit_red(opened, |form| form.full = full),
            Message::RedToggleLine(index) => edit_red(opened, |form| {
                if let Some(line) = form.lines.get_mut(index) {
                    line.chosen = !line.chosen;
                }
            }),
            Message::RedLineAmount(index, value) => edit_red(opened, |form| {
                if let Some(line) = form.lines.get_mut(index) {
                    line.reverse = value;
                    line.chosen = true;
                }
            }),
            Message::RedReason(value) => edit_red(opened, |form| form.reason = value),
            Message::RedBuyerFormNo(value) => edit_red(opened, |form| form.buyer_form_no = value),
            Message::SubmitRed => {
                if let Some(request) = opened.red.as_mut().and_then(RedForm::submit) {
                    return Action::Run(send_red(&session, request));
                }
            }
            Message::RetryRed => {
                if let Some(request) = opened.red.as_mut().and_then(RedForm::retry) {
                    return Action::Run(send_red(&session, request));
                }
            }
            // A form in flight stays: only its answer ends it.
            Message::CancelRed
                if !opened
                    .red
                    .as_ref()
                    .is_some_and(|form| matches!(form.stage, red::Stage::Sending(_))) =>
            {
                opened.red = None;
            }
            Message::RedEntered { key, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                let Some(form) = opened.red.as_mut() else {
                    return Action::None;
                };
                if let Some(entered) = form.answered(&key, result.map(|f| *f), || new_key("red")) {
                    opened.red = None;
                    opened.notice = Some(entered.form_no.clone());
                    return Action::Run(self.reload());
                }
            }
            Message::RefreshForm(form_no) => {
                if opened.form_busy.is_some() {
                    return Action::None;
                }
                opened.form_busy = Some(form_no.clone());
                return Action::Run(Task::perform(
                    api::refresh_red_confirmation(session, form_no.clone()),
                    move |result| Message::FormAnswered {
                        form_no: form_no.clone(),
                        result: result.map(Box::new),
                    },
                ));
            }
            Message::AnswerForm { form_no, accept } => {
                if opened.form_busy.is_some() {
                    return Action::None;
                }
                opened.form_busy = Some(form_no.clone());
                return Action::Run(Task::perform(
                    api::confirm_red_confirmation(session, form_no.clone(), accept),
                    move |result| Message::FormAnswered {
                        form_no: form_no.clone(),
                        result: result.map(Box::new),
                    },
                ));
            }
            Message::FormAnswered { form_no, result } => {
                if opened.form_busy.as_deref() != Some(form_no.as_str()) {
                    return Action::None;
                }
                opened.form_busy = None;
                match result {
                    Ok(answered) => {
                        if let Some(invoice) = opened.invoice.as_mut()
                            && let Some(form) = invoice
                                .forms
                                .iter_mut()
                                .find(|form| form.form_no == answered.form_no)
                        {
                            *form = *answered;
                        }
                        opened.problem = None;
                        // The history has the new state too.
                        return Action::Run(self.reload());
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => opened.problem = Some(error),
                }
            }
            Message::IssueRed(form_no) => {
                let issue = opened
                    .red_issues
                    .entry(form_no.clone())
                    .or_insert_with(|| RedIssue {
                        key: new_key("redinv"),
                        sending: false,
                    });
                if issue.sending {
                    return Action::None;
                }
                issue.sending = true;
                let key = issue.key.clone();
                let request = pb::IssueRedInvoiceRequest {
                    idempotency_key: key.clone(),
                    form_no: form_no.clone(),
                };
                return Action::Run(Task::perform(
                    api::issue_red_invoice(session, request),
                    move |result| Message::RedIssued {
                        form_no: form_no.clone(),
                        key: key.clone(),
                        result: result.map(Box::new),
                    },
                ));
            }
            Message::RedIssued {
                form_no,
                key,
                result,
            } => {
                let Some(issue) = opened
                    .red_issues
                    .get_mut(&form_no)
                    .filter(|issue| issue.key == key && issue.sending)
                else {
                    return Action::None;
                };
                issue.sending = false;
                match result {
                    Ok(invoice) => {
                        opened.red_issues.remove(&form_no);
                        opened.problem = None;
                        opened.notice = Some(issue::number_of(&invoice));
                        return Action::Run(self.reload());
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => {
                        // Refused: the next attempt is a new request. A lost
                        // answer keeps the key, so pressing again is safe.
                        if !crate::screen::counter::payment::is_uncertain(&error) {
                            issue.key = new_key("redinv");
                        }
                        opened.problem = Some(error);
                    }
                }
            }
            Message::Escape => return Action::Run(self.back()),
            _ => {}
        }
        Action::None
    }

    /// Esc: the red form closes, else back to the list.
    fn back(&mut self) -> Task<Message> {
        if let Some(opened) = self.opened.as_mut() {
            if let Some(form) = &opened.red {
                if !matches!(form.stage, red::Stage::Sending(_)) {
                    opened.red = None;
                }
                return Task::none();
            }
            self.opened = None;
        }
        iced::widget::operation::focus(INVOICE_NO_INPUT)
    }

    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let body = match &self.opened {
            Some(opened) => self.detail_view(language, opened),
            None => self.list_view(language),
        };
        let page = column![
            scrollable(container(body).padding(Padding {
                right: 14.0,
                ..Padding::ZERO
            }))
            .height(Length::Fill),
            text(tr(language, Key::Shortcuts))
                .size(12)
                .style(theme::text::muted),
        ]
        .spacing(10)
        .height(Length::Fill);
        let list_open = self.opened.is_none();
        let unhandled = widget::on_unhandled_key(page, move |key, _modifiers| {
            let keyboard::Key::Named(named) = key else {
                return None;
            };
            match named {
                key::Named::ArrowDown if list_open => Some(Message::Move(1)),
                key::Named::ArrowUp if list_open => Some(Message::Move(-1)),
                key::Named::Enter if list_open => Some(Message::OpenHighlighted),
                key::Named::PageDown if list_open => Some(Message::NextPage),
                key::Named::PageUp if list_open => Some(Message::PreviousPage),
                _ => None,
            }
        });
        widget::on_key_before(unhandled, |key, _modifiers| match key {
            keyboard::Key::Named(key::Named::Escape) => Some(Message::Escape),
            _ => None,
        })
    }

    fn list_view(&self, language: Language) -> Element<'_, Message> {
        let input = |field: SearchField,
                     label: Key,
                     id: &'static str,
                     value: &str,
                     placeholder: &str,
                     invalid: bool|
         -> Element<'_, Message> {
            column![
                text(tr(language, label)).size(13).style(theme::text::label),
                text_input(placeholder, value)
                    .id(id)
                    .padding([6, 8])
                    .size(14)
                    .style(if invalid {
                        theme::text_input::invalid
                    } else {
                        theme::text_input::field
                    })
                    .on_input(move |value| Message::SearchChanged(field, value))
                    .on_submit(Message::Search),
            ]
            .spacing(3)
            .width(Length::FillPortion(1))
            .into()
        };
        let bad_date = |field: SearchField| {
            matches!(self.search_problem, Some(SearchProblem::DateInvalid(f)) if f == field)
                || (self.search_problem == Some(SearchProblem::DatesReversed)
                    && field == SearchField::DateTo)
        };
        let fields = row![
            input(
                SearchField::InvoiceNo,
                Key::InvoiceNo,
                INVOICE_NO_INPUT,
                &self.search.invoice_no,
                "",
                false
            ),
            input(
                SearchField::AccountNo,
                Key::AccountNo,
                ACCOUNT_NO_INPUT,
                &self.search.account_no,
                "",
                false
            ),
            input(
                SearchField::BuyerTitle,
                Key::Buyer,
                BUYER_INPUT,
                &self.search.buyer_title,
                "",
                false
            ),
            input(
                SearchField::DateFrom,
                Key::DateFrom,
                DATE_FROM_INPUT,
                &self.search.date_from,
                "YYYY-MM-DD",
                bad_date(SearchField::DateFrom)
            ),
            input(
                SearchField::DateTo,
                Key::DateTo,
                DATE_TO_INPUT,
                &self.search.date_to,
                "YYYY-MM-DD",
                bad_date(SearchField::DateTo)
            ),
            button(text(tr(language, Key::SearchButton)).size(14))
                .padding([8, 16])
                .style(theme::button::primary)
                .on_press(Message::Search),
        ]
        .spacing(8)
        .align_y(Alignment::End);
        let statuses = widget::segmented(
            std::iter::once((None, tr(language, Key::AnyStatus).to_owned())).chain(
                STATUSES.into_iter().map(|status| {
                    (
                        Some(status),
                        texts::status_name(language, status).to_owned(),
                    )
                }),
            ),
            self.search.status,
            Message::ChooseStatus,
        );
        let kinds = widget::segmented(
            std::iter::once((None, tr(language, Key::AnyKind).to_owned())).chain(
                issue::Kind::ALL.into_iter().map(|kind| {
                    (
                        Some(kind),
                        texts::kind_name(language, kind.code()).to_owned(),
                    )
                }),
            ),
            self.search.kind,
            Message::ChooseKind,
        );
        let mut lines = column![
            text(tr(language, Key::AreaTitle))
                .size(18)
                .style(theme::text::section),
            fields,
            row![statuses, kinds].spacing(16).wrap(),
        ]
        .spacing(10);
        if let Some(problem) = self.search_problem {
            lines = lines.push(
                text(texts::search_problem(language, problem))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        if let Some(error) = &self.listing.problem {
            lines = lines.push(problem_box(language, error));
        }
        let columns = [
            // 20 digits, and 红字 after a red one.
            TableColumn::new(tr(language, Key::InvoiceNo), Length::FillPortion(6)),
            TableColumn::new(tr(language, Key::Kind), Length::FillPortion(2)),
            TableColumn::new(tr(language, Key::Buyer), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Total), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::IssuedOn), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Status), Length::FillPortion(3)),
        ];
        let rows = self
            .listing
            .invoices
            .iter()
            .enumerate()
            .map(|(index, invoice)| {
                let number = issue::number_of(invoice);
                TableRow {
                    cells: vec![
                        widget::cell(texts::number_with_colour(language, invoice)),
                        widget::cell(texts::kind_name(language, &invoice.kind)),
                        widget::cell(invoice.buyer.as_ref().map_or("", |b| b.title.as_str())),
                        widget::cell(invoice.account_nos.join(", ")),
                        widget::cell(money(&invoice.total_amount)),
                        widget::cell(invoice.issued_on.as_str()),
                        widget::badge(
                            texts::status_name(language, &invoice.status),
                            texts::status_tone(&invoice.status),
                        ),
                    ],
                    selected: self.listing.highlighted == Some(index),
                    on_press: Some(Message::Open(number.clone())),
                    on_double_click: None,
                }
            });
        lines = lines.push(widget::table(&columns, rows));
        if self.listing.loading {
            lines = lines.push(
                text(tr(language, Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        } else if self.listing.invoices.is_empty() && self.listing.request.is_some() {
            lines = lines.push(
                text(tr(language, Key::NoInvoices))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        lines = lines.push(
            row![
                button(text(tr(language, Key::PreviousPage)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe(
                        (!self.listing.previous.is_empty() && !self.listing.loading)
                            .then_some(Message::PreviousPage)
                    ),
                text(texts::page(language, self.listing.page())).size(13),
                button(text(tr(language, Key::NextPage)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press_maybe(
                        (self.listing.next_token != 0 && !self.listing.loading)
                            .then_some(Message::NextPage)
                    ),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        );
        card(lines.into())
    }

    fn detail_view<'a>(&'a self, language: Language, opened: &'a Opened) -> Element<'a, Message> {
        let mut lines = column![
            row![
                button(text(tr(language, Key::BackButton)).size(13))
                    .padding([5, 12])
                    .style(theme::button::secondary)
                    .on_press(Message::Back),
                text(texts::invoice_heading(language, &opened.number)).size(18),
            ]
            .spacing(12)
            .align_y(Alignment::Center)
        ]
        .spacing(10);
        if let Some(notice) = &opened.notice {
            lines = lines.push(
                container(text(texts::notice(language, notice)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::success_box),
            );
        }
        if let Some(error) = &opened.problem {
            lines = lines.push(problem_box(language, error));
        }
        let Some(invoice) = opened.invoice.as_deref() else {
            if opened.loading {
                lines = lines.push(text(tr(language, Key::Loading)).size(13));
            }
            return card(lines.into());
        };
        lines = lines.push(
            row![
                widget::badge(
                    texts::status_name(language, &invoice.status),
                    texts::status_tone(&invoice.status),
                ),
                text(texts::invoice_facts(language, invoice)).size(14),
            ]
            .spacing(10)
            .align_y(Alignment::Center),
        );
        if !invoice.status_detail.is_empty() {
            lines = lines.push(
                text(invoice.status_detail.as_str())
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        if !invoice.original_invoice_no.is_empty() {
            lines = lines.push(
                button(text(texts::open_original(language, &invoice.original_invoice_no)).size(13))
                    .padding([2, 0])
                    .style(theme::button::link)
                    .on_press(Message::Open(invoice.original_invoice_no.clone())),
            );
        }
        lines = lines.push(text(texts::buyer_facts(language, invoice)).size(13));
        lines = lines.push(totals_view(language, invoice));
        lines = lines.push(lines_table(language, invoice));

        let pdf_busy = self.pdf.as_ref().is_some_and(PdfJob::is_busy);
        let mut buttons = row![].spacing(8).align_y(Alignment::Center);
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
        if matches!(invoice.status.as_str(), "pending" | "unknown") {
            buttons = buttons.push(
                button(text(tr(language, Key::ResolveButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::primary)
                    .on_press_maybe((!opened.loading).then_some(Message::Resolve)),
            );
        }
        if self.permissions.can_reverse && red::may_reverse(invoice) && opened.red.is_none() {
            buttons = buttons.push(
                button(text(tr(language, Key::RedButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::danger)
                    .on_press(Message::StartRed),
            );
        }
        buttons = buttons.push(
            button(text(tr(language, Key::ReloadButton)).size(13))
                .padding([6, 12])
                .style(theme::button::secondary)
                .on_press_maybe((!opened.loading).then_some(Message::Reload)),
        );
        lines = lines.push(buttons);
        if let Some(job) = self
            .pdf
            .as_ref()
            .filter(|job| job.invoice_no == invoice.invoice_no)
        {
            lines = lines.push(pdf_status(language, job));
        }
        if let Some(form) = &opened.red {
            lines = lines.push(red_view(language, form));
        }
        if !invoice.forms.is_empty() {
            lines = lines.push(
                text(tr(language, Key::FormsTitle))
                    .size(15)
                    .style(theme::text::section),
            );
            for form in &invoice.forms {
                lines = lines.push(self.form_view(language, opened, form));
            }
        }
        if !invoice.events.is_empty() {
            lines = lines.push(
                text(tr(language, Key::HistoryTitle))
                    .size(15)
                    .style(theme::text::section),
            );
            for event in &invoice.events {
                lines = lines.push(
                    text(texts::event_line(language, event))
                        .size(12)
                        .style(theme::text::muted),
                );
            }
        }
        card(lines.into())
    }

    fn form_view<'a>(
        &'a self,
        language: Language,
        opened: &'a Opened,
        form: &'a pb::RedConfirmation,
    ) -> Element<'a, Message> {
        let busy = opened.form_busy.is_some();
        let mut line = row![
            widget::badge(
                texts::form_status_name(language, &form.status),
                texts::form_status_tone(&form.status),
            ),
            text(texts::form_facts(language, form)).size(13),
        ]
        .spacing(10)
        .align_y(Alignment::Center);
        if self.permissions.can_reverse {
            let small = |label: Key, message: Option<Message>| {
                button(text(tr(language, label)).size(13))
                    .padding([4, 10])
                    .style(theme::button::secondary)
                    .on_press_maybe(message)
            };
            match form.status.as_str() {
                "seller_entered_awaiting_buyer" => {
                    line = line.push(small(
                        Key::RefreshFormButton,
                        (!busy).then(|| Message::RefreshForm(form.form_no.clone())),
                    ));
                }
                "buyer_entered_awaiting_seller" => {
                    line = line
                        .push(small(
                            Key::ConfirmFormButton,
                            (!busy).then(|| Message::AnswerForm {
                                form_no: form.form_no.clone(),
                                accept: true,
                            }),
                        ))
                        .push(small(
                            Key::RefuseFormButton,
                            (!busy).then(|| Message::AnswerForm {
                                form_no: form.form_no.clone(),
                                accept: false,
                            }),
                        ));
                }
                _ => {}
            }
            if !form.red_invoice_no.is_empty() {
                line = line.push(
                    button(text(texts::open_red(language, &form.red_invoice_no)).size(13))
                        .padding([4, 6])
                        .style(theme::button::link)
                        .on_press(Message::Open(form.red_invoice_no.clone())),
                );
            }
            if red::may_issue_red(form) {
                let sending = opened
                    .red_issues
                    .get(&form.form_no)
                    .is_some_and(|issue| issue.sending);
                line = line.push(
                    button(text(tr(language, Key::IssueRedButton)).size(13))
                        .padding([4, 10])
                        .style(theme::button::danger)
                        .on_press_maybe(
                            (!sending).then(|| Message::IssueRed(form.form_no.clone())),
                        ),
                );
            }
        }
        line.wrap().into()
    }
}

fn edit_red(opened: &mut Opened, edit: impl FnOnce(&mut RedForm)) {
    if let Some(form) = opened.red.as_mut().filter(|form| form.is_editable()) {
        edit(form);
        form.edited();
    }
}

fn send_red(session: &Session, request: pb::RequestRedConfirmationRequest) -> Task<Message> {
    let key = request.idempotency_key.clone();
    Task::perform(
        api::request_red_confirmation(session.clone(), request),
        move |result| Message::RedEntered {
            key: key.clone(),
            result: result.map(Box::new),
        },
    )
}

fn red_view<'a>(language: Language, form: &'a RedForm) -> Element<'a, Message> {
    let editable = form.is_editable();
    let problems = if form.attempted {
        form.problems()
    } else {
        Vec::new()
    };
    let mut lines = column![
        text(tr(language, Key::RedTitle))
            .size(15)
            .style(theme::text::section),
        widget::segmented(
            [
                (true, tr(language, Key::RedFull).to_owned()),
                (false, tr(language, Key::RedPartial).to_owned()),
            ],
            form.full,
            Message::RedFull,
        ),
    ]
    .spacing(8);
    if !form.full {
        for (index, line) in form.lines.iter().enumerate() {
            let mut tick = checkbox(line.chosen)
                .label(texts::red_line_label(language, line))
                .size(15)
                .text_size(13);
            if editable {
                tick = tick.on_toggle(move |_| Message::RedToggleLine(index));
            }
            let invalid = problems.contains(&red::Problem::LineAmountInvalid(line.line_no));
            lines = lines.push(
                row![
                    container(tick).width(Length::FillPortion(3)),
                    text_input("", &line.reverse)
                        .id(format!("red-line-{index}"))
                        .padding([4, 8])
                        .size(14)
                        .width(Length::FillPortion(1))
                        .style(if invalid {
                            theme::text_input::invalid
                        } else {
                            theme::text_input::field
                        })
                        .on_input_maybe(
                            editable.then_some(move |value| Message::RedLineAmount(index, value))
                        ),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }
    }
    lines = lines.push(
        column![
            text(tr(language, Key::RedReason))
                .size(13)
                .style(theme::text::label),
            text_input("", &form.reason)
                .id(red::REASON_INPUT)
                .padding([6, 8])
                .size(14)
                .style(
                    if problems.contains(&red::Problem::ReasonMissing)
                        || problems.contains(&red::Problem::ReasonTooLong)
                    {
                        theme::text_input::invalid
                    } else {
                        theme::text_input::field
                    }
                )
                .on_input_maybe(editable.then_some(Message::RedReason))
                .on_submit_maybe(editable.then_some(Message::SubmitRed)),
            text(tr(language, Key::RedBuyerFormNo))
                .size(13)
                .style(theme::text::label),
            text_input("", &form.buyer_form_no)
                .id(red::BUYER_FORM_INPUT)
                .padding([6, 8])
                .size(14)
                .style(theme::text_input::field)
                .on_input_maybe(editable.then_some(Message::RedBuyerFormNo))
                .on_submit_maybe(editable.then_some(Message::SubmitRed)),
        ]
        .spacing(3),
    );
    for problem in &problems {
        lines = lines.push(
            text(texts::red_problem(language, problem))
                .size(13)
                .style(theme::text::error),
        );
    }
    if let Some(error) = form.problem() {
        lines = lines.push(problem_box(language, error));
    }
    let mut buttons = row![].spacing(8);
    match &form.stage {
        red::Stage::Unconfirmed { .. } => {
            buttons = buttons.push(
                button(text(tr(language, Key::RetryButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::primary)
                    .on_press(Message::RetryRed),
            );
        }
        red::Stage::Sending(_) => {
            buttons = buttons.push(text(tr(language, Key::Sending)).size(13));
        }
        red::Stage::Editing { .. } => {
            buttons = buttons.push(
                button(text(tr(language, Key::SubmitRedButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::danger)
                    .on_press(Message::SubmitRed),
            );
        }
    }
    buttons = buttons.push(
        button(text(tr(language, Key::CloseButton)).size(14))
            .padding([6, 14])
            .style(theme::button::secondary)
            .on_press_maybe(
                (!matches!(form.stage, red::Stage::Sending(_))).then_some(Message::CancelRed),
            ),
    );
    lines = lines.push(buttons);
    container(lines)
        .padding(12)
        .width(Length::Fill)
        .style(theme::container::warning_box)
        .into()
}

/// The totals of an invoice: tax-inclusive, net and VAT, and 大写.
pub fn totals_view<'a, M: 'a>(language: Language, invoice: &pb::Invoice) -> Element<'a, M> {
    let mut lines = column![
        text(texts::number_line(language, invoice)).size(14),
        text(texts::totals_line(language, invoice)).size(15),
    ]
    .spacing(4);
    if !invoice.amount_in_words.is_empty() {
        lines = lines.push(text(texts::in_words(language, &invoice.amount_in_words)).size(14));
    }
    container(lines)
        .padding([8, 12])
        .width(Length::Fill)
        .style(theme::container::summary)
        .into()
}

fn lines_table<'a>(language: Language, invoice: &'a pb::Invoice) -> Element<'a, Message> {
    let columns = [
        TableColumn::new("#", Length::Fixed(36.0)),
        TableColumn::new(tr(language, Key::Item), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::Specification), Length::FillPortion(4)),
        TableColumn::new(tr(language, Key::Quantity), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::UnitPrice), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Amount), Length::FillPortion(3)),
        TableColumn::new(tr(language, Key::TaxRate), Length::FillPortion(2)),
        TableColumn::new(tr(language, Key::Tax), Length::FillPortion(2)),
    ];
    let rows = invoice.lines.iter().map(|line| {
        TableRow::new(vec![
            widget::cell(line.line_no.to_string()),
            widget::cell(line.item_name.as_str()),
            widget::cell(line.specification.as_str()),
            widget::cell(texts::quantity(line)),
            widget::cell(line.unit_price.as_str()),
            widget::cell(money(&line.amount)),
            widget::cell(texts::tax_rate(language, line)),
            widget::cell(money(&line.tax)),
        ])
    });
    widget::table(&columns, rows)
}

/// Where the PDF of an invoice went.
pub fn pdf_status<'a, M: 'a>(language: Language, job: &PdfJob) -> Element<'a, M> {
    match &job.state {
        PdfState::Choosing | PdfState::Working => text(tr(language, Key::PdfWorking))
            .size(13)
            .style(theme::text::muted)
            .into(),
        PdfState::Done(outcome) => text(texts::pdf_done(language, &job.invoice_no, outcome))
            .size(13)
            .style(theme::text::success)
            .into(),
        PdfState::Failed(error) => problem_box(language, error),
    }
}

fn card(content: Element<'_, Message>) -> Element<'_, Message> {
    container(content)
        .padding(20)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_search_becomes_a_request() {
        let mut search = Search {
            invoice_no: " 2431 ".into(),
            buyer_title: "阳光".into(),
            date_from: "2026-12-01".into(),
            date_to: "2026-12-07".into(),
            status: Some("issued"),
            kind: Some(issue::Kind::Special),
            ..Search::default()
        };
        let request = search.to_request().unwrap();
        assert_eq!(request.invoice_no, "2431");
        assert_eq!(request.buyer_title, "阳光");
        assert_eq!(request.date_from, "2026-12-01");
        assert_eq!(request.date_to, "2026-12-07");
        assert_eq!(request.status, "issued");
        assert_eq!(request.kind, "special");
        assert_eq!(request.page_size, PAGE_SIZE);
        assert_eq!(request.page_token, 0);
        search.date_from = "2026-12-31".into();
        assert_eq!(search.to_request(), Err(SearchProblem::DatesReversed));
        search.date_from = "2026/12/01".into();
        assert_eq!(
            search.to_request(),
            Err(SearchProblem::DateInvalid(SearchField::DateFrom))
        );
        assert_eq!(
            Search::default().to_request().map(|r| r.status),
            Ok(String::new())
        );
    }

    #[test]
    fn finance_and_supervisors_reverse() {
        assert!(permissions_for(&[Role::Finance]).can_reverse);
        assert!(permissions_for(&[Role::Supervisor]).can_reverse);
        assert!(!permissions_for(&[Role::Cashier, Role::BackOffice]).can_reverse);
    }
}

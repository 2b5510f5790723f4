//! 收费台: the cashier's home. Find the account (account no., name, phone,
//! address or the IC card), see what it owes at a glance, take the money on
//! any channel from the keyboard alone, print the receipt; the running till
//! stays in view; voids, prepayment refunds and the shift close (扎帐) are
//! signed by a supervisor in a dialog.
//!
//! Intents are imperative (`Search`, `Post`, `Retry`, `ConfirmDialog`),
//! outcomes past tense with a `Result` (`AccountLoaded`, `Posted`,
//! `TillLoaded`); `update` only builds tasks and the I/O is in
//! [`crate::api::counter`] and [`crate::print`].
//!
//! Keys: Enter searches / moves on / takes the money, ↑/↓ pick a hit, F2
//! reads the card, F4 shows the shift's payments, F5–F8 choose the channel,
//! F9 prints the last receipt again, Esc clears and goes back to the search.
//! An IC-card account opens on the 购气 panel ([`gas`]): F3 switches
//! between 购气 and 收款, F7 between volume and amount, F10 sends again or
//! re-writes (补气), F12 re-issues a lost card (补卡). F11 opens the invoice
//! form (开发票, [`crate::screen::invoices::issue`]) for the open account.

pub mod dialogs;
pub mod find;
pub mod gas;
pub mod payment;
mod view;

use std::path::PathBuf;

use gascis_common::Money;
use gascis_common::card::{CardError, CardState};
use gascis_common::proto::v1 as pb;
use iced::Task;

use crate::api::counter::{self as api, PrintedReceipt, SavedReceipt, SharedCardReader};
use crate::api::{ApiError, Session, archive};
use crate::i18n::Language;
use crate::screen::invoices::issue::{self, IssueForm};
use crate::secret::Secret;

pub use dialogs::Dialog;
pub use find::{Find, Lookup};
pub use gas::GasForm;
pub use payment::{Channel, PaymentForm};

/// The search field: where the cursor is when the screen opens.
pub const SEARCH_INPUT: &str = "counter-search";
pub const AMOUNT_INPUT: &str = "counter-amount";
pub const TENDERED_INPUT: &str = "counter-tendered";
pub const REFERENCE_INPUT: &str = "counter-reference";
pub const PAYMENT_CODE_INPUT: &str = "counter-payment-code";

/// A tab of the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 收款: find, account, payment.
    Take,
    /// 本班流水: the shift's payments, voids and reprints.
    Shift,
}

/// Receipt paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    /// 80 mm thermal roll, the counter's receipt printer.
    #[default]
    Roll80mm,
    A5,
}

impl Paper {
    pub fn to_proto(self) -> pb::Paper {
        match self {
            Paper::Roll80mm => pb::Paper::Roll80mm,
            Paper::A5 => pb::Paper::A5,
        }
    }
}

/// Something loaded from the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Load {
    #[default]
    Idle,
    Loading,
    Loaded,
    Failed(ApiError),
}

/// What was done last, shown until the next customer's account opens.
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    Paid(Box<pb::Payment>),
    Voided(Box<pb::Payment>),
    Refunded(Box<pb::Payment>),
    ShiftClosed(Box<pb::Shift>),
}

impl Done {
    /// The receipt this outcome prints.
    pub fn receipt_no(&self) -> Option<&str> {
        let receipt = match self {
            Done::Paid(payment) | Done::Refunded(payment) => payment.receipt_no.as_str(),
            Done::Voided(payment) => payment.void_receipt_no.as_str(),
            Done::ShiftClosed(_) => "",
        };
        (!receipt.is_empty()).then_some(receipt)
    }
}

/// A receipt going to the printer or to a file.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintJob {
    pub receipt_no: String,
    pub request: pb::GetReceiptPdfRequest,
    pub state: PrintState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PrintState {
    Printing,
    Printed(PrintedReceipt),
    /// The save dialog is open.
    Choosing,
    Saving(PathBuf),
    Saved(SavedReceipt),
    Failed(ApiError),
}

impl PrintJob {
    pub fn is_busy(&self) -> bool {
        matches!(
            self.state,
            PrintState::Printing | PrintState::Choosing | PrintState::Saving(_)
        )
    }
}

/// The cashier's till today.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Till {
    pub load: Load,
    pub shift: Option<pb::Shift>,
}

impl Till {
    /// The shift was closed (扎帐): nothing more posts today.
    pub fn is_closed(&self) -> bool {
        self.shift
            .as_ref()
            .is_some_and(|shift| shift.status == "closed")
    }

    pub fn is_open(&self) -> bool {
        self.shift
            .as_ref()
            .is_some_and(|shift| shift.status == "open")
    }
}

/// The shift's payments (本班流水).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShiftPayments {
    pub load: Load,
    pub shift_id: i64,
    pub payments: Vec<pb::Payment>,
}

/// What a supervisor-signed dialog brought back.
#[derive(Debug, Clone, PartialEq)]
pub enum Signed {
    Voided(Box<pb::Payment>),
    Refunded(Box<pb::Payment>),
    Closed(Box<pb::Shift>),
    Reissued(Box<pb::CardIssue>),
}

#[derive(Debug, Clone)]
pub struct Counter {
    session: Session,
    /// Shared with whoever puts cards in (the tests, a demo).
    card_reader: SharedCardReader,
    /// The receipt printer; the system's default when `None`.
    printer: Option<String>,
    pub paper: Paper,
    pub tab: Tab,
    pub find: Find,
    /// The account lookup in flight: an answer to any other is late.
    pub pending_lookup: Option<Lookup>,
    pub account: Option<Box<pb::CounterAccount>>,
    pub payment: Option<PaymentForm>,
    /// 购气 for an IC-card account; shown instead of the payment form.
    pub gas: Option<GasForm>,
    pub done: Option<Done>,
    pub print: Option<PrintJob>,
    pub till: Till,
    pub shift_payments: ShiftPayments,
    pub dialog: Option<Dialog>,
    /// 开发票 for the open account; shown instead of the payment form.
    pub invoice: Option<IssueForm>,
}

#[derive(Debug, Clone)]
pub enum Message {
    QueryChanged(String),
    /// Enter in the search field.
    Search,
    /// Boxed: an account carries its bills.
    AccountLoaded {
        lookup: Lookup,
        result: Result<Option<Box<pb::CounterAccount>>, ApiError>,
    },
    Searched {
        query: String,
        result: Result<pb::SearchAccountsResponse, ApiError>,
    },
    /// ↑ is -1, ↓ is +1.
    MoveHit(isize),
    ChooseHit(usize),
    /// F2.
    ReadCard,
    CardRead(Result<CardState, CardError>),
    /// After a posting: the same account as it is now.
    AccountRefreshed {
        account_id: i64,
        result: Result<Option<Box<pb::CounterAccount>>, ApiError>,
    },

    ChooseChannel(Channel),
    AmountChanged(String),
    TenderedChanged(String),
    ReferenceChanged(String),
    PaymentCodeChanged(String),
    /// Enter in the amount field: on to the channel's field.
    AmountEntered,
    Post,
    /// Sends the unconfirmed (or pending) request again, same key.
    Retry,
    /// Gives up an unconfirmed attempt: the next one has a new key.
    Abandon,
    Posted {
        key: String,
        result: Result<Box<pb::Payment>, ApiError>,
    },

    SelectPaper(Paper),
    /// Prints (again) this receipt; F9 prints the last one again.
    Print(String),
    ReprintLast,
    Printed {
        receipt_no: String,
        result: Result<PrintedReceipt, ApiError>,
    },
    /// 另存为PDF; the language names the save dialog.
    SaveReceipt {
        receipt_no: String,
        language: Language,
    },
    SavePathPicked {
        receipt_no: String,
        path: Option<PathBuf>,
    },
    Saved {
        receipt_no: String,
        result: Result<SavedReceipt, ApiError>,
    },

    RefreshTill,
    TillLoaded(Result<Box<pb::Shift>, ApiError>),
    PaymentsLoaded {
        shift_id: i64,
        result: Result<Vec<pb::Payment>, ApiError>,
    },
    SelectTab(Tab),
    /// F4: between 收款 and 本班流水.
    ToggleTab,

    StartVoid(String),
    StartRefund,
    StartClose,
    DialogField(dialogs::Field, String),
    DialogPassword(Secret),
    ConfirmDialog,
    CloseDialog,
    DialogAnswered(Result<Signed, ApiError>),

    /// F3: between 购气 and 收款 for an IC-card account.
    ToggleGas,
    GasCardRead(Result<CardState, CardError>),
    /// F7 on the 购气 panel: volume or amount.
    GasToggleBy,
    GasChannel(Channel),
    GasQuantityChanged(String),
    GasQuoted {
        asked: pb::QuoteGasPurchaseRequest,
        result: Result<Box<pb::GasQuote>, ApiError>,
    },
    GasTenderedChanged(String),
    GasReferenceChanged(String),
    /// Enter in the quantity: on to the channel's field.
    GasEntered,
    GasPay,
    /// F10: the same purchase request again after a lost answer, or 补气
    /// after a failed write.
    GasAgain,
    GasPaid {
        key: String,
        result: Result<Box<pb::GasPurchaseResult>, ApiError>,
    },
    /// The reader wrote (or failed to) and read the card back.
    GasWritten {
        purchase_id: i64,
        written: api::CardWritten,
    },
    GasConfirmed {
        error: Option<String>,
        result: Result<Box<pb::GasPurchase>, ApiError>,
    },
    GasRewritten(Result<Box<pb::GasPurchaseResult>, ApiError>),
    /// F12: 补卡 with a supervisor.
    StartReissue,

    /// F11: the invoice form of the open account.
    StartInvoice,
    Invoice(issue::Message),

    /// Esc: closes the dialog, or clears back to the search.
    Escape,
}

#[derive(Debug)]
pub enum Action {
    None,
    Run(Task<Message>),
    /// The server ended the session: back to the login screen.
    SessionExpired,
}

/// A fresh idempotency key, e.g. `pay-…`.
pub fn new_key(prefix: &str) -> String {
    let key = crate::screen::customers::open_account::new_idempotency_key();
    format!(
        "{prefix}-{}",
        key.strip_prefix("open-").unwrap_or(key.as_str())
    )
}

impl Counter {
    pub fn new(session: Session) -> Self {
        Counter {
            session,
            card_reader: api::new_card_reader(),
            printer: None,
            paper: Paper::default(),
            tab: Tab::Take,
            find: Find::default(),
            pending_lookup: None,
            account: None,
            payment: None,
            gas: None,
            done: None,
            print: None,
            till: Till::default(),
            shift_payments: ShiftPayments::default(),
            dialog: None,
            invoice: None,
        }
    }

    /// The card reader, to put a card in (tests, demos).
    pub fn card_reader(&self) -> &SharedCardReader {
        &self.card_reader
    }

    /// The receipt printer from the settings; empty is the default one.
    pub fn set_printer(&mut self, printer: &str) {
        let printer = printer.trim();
        self.printer = (!printer.is_empty()).then(|| printer.to_owned());
    }

    pub fn printer(&self) -> Option<&str> {
        self.printer.as_deref()
    }

    /// Why no money can be taken now, if so.
    pub fn posting_blocked(&self) -> bool {
        self.till.is_closed()
    }

    /// The counter was opened: the till, and the cursor in the search.
    pub fn opened(&mut self) -> Task<Message> {
        let till = if self.till.load == Load::Loading {
            Task::none()
        } else {
            self.load_till()
        };
        Task::batch([till, self.focus_start()])
    }

    /// Where typing starts: the search, or the payment form when an
    /// account is open.
    fn focus_start(&self) -> Task<Message> {
        if self.gas.is_some() && self.tab == Tab::Take {
            return focus_gas();
        }
        match &self.payment {
            Some(form) if form.is_editable() && self.tab == Tab::Take => focus_amount(),
            _ => iced::widget::operation::focus(SEARCH_INPUT),
        }
    }

    fn load_till(&mut self) -> Task<Message> {
        self.till.load = Load::Loading;
        Task::perform(api::get_till(self.session.clone()), |result| {
            Message::TillLoaded(result.map(Box::new))
        })
    }

    fn load_payments(&mut self, shift_id: i64) -> Task<Message> {
        self.shift_payments.load = Load::Loading;
        self.shift_payments.shift_id = shift_id;
        Task::perform(
            api::list_shift_payments(self.session.clone(), shift_id),
            move |result| Message::PaymentsLoaded { shift_id, result },
        )
    }

    fn look_up(&mut self, lookup: Lookup) -> Task<Message> {
        self.pending_lookup = Some(lookup.clone());
        self.find.status = find::Status::LookingUp;
        let request = lookup.request();
        Task::perform(
            api::get_counter_account(self.session.clone(), request),
            move |result| Message::AccountLoaded {
                lookup,
                result: result.map(|account| account.map(Box::new)),
            },
        )
    }

    fn search_archive(&mut self) -> Task<Message> {
        let request = self.find.start_search();
        let query = request.query.clone();
        Task::perform(
            archive::search_accounts(self.session.clone(), request),
            move |result| Message::Searched { query, result },
        )
    }

    fn refresh_account(&mut self) -> Task<Message> {
        let Some(account_id) = self.account.as_ref().map(|account| account.account_id) else {
            return Task::none();
        };
        Task::perform(
            api::get_counter_account(
                self.session.clone(),
                Lookup::AccountId(account_id).request(),
            ),
            move |result| Message::AccountRefreshed {
                account_id,
                result: result.map(|account| account.map(Box::new)),
            },
        )
    }

    /// Opens `account`: its payment form with a new key, the cursor in the
    /// amount.
    fn show_account(&mut self, account: Box<pb::CounterAccount>) -> Task<Message> {
        let same = self
            .account
            .as_ref()
            .is_some_and(|shown| shown.account_id == account.account_id);
        if !same {
            // The last customer's outcome goes with them.
            self.done = None;
            self.invoice = None;
            if self.print.as_ref().is_some_and(|job| !job.is_busy()) {
                self.print = None;
            }
        }
        self.payment = Some(PaymentForm::new(&account, new_key("pay")));
        let ic_card = account.meter_type == "ic_card";
        let account_id = account.account_id;
        self.account = Some(account);
        self.find.close_hits();
        self.tab = Tab::Take;
        if !same {
            self.gas = None;
        }
        if ic_card && self.gas.is_none() {
            return self.open_gas(account_id);
        }
        if self.gas.is_some() {
            return focus_gas();
        }
        focus_amount()
    }

    /// The 购气 panel of `account_id`, the card read at once.
    fn open_gas(&mut self, account_id: i64) -> Task<Message> {
        self.gas = Some(GasForm::new(account_id, new_key("gas")));
        Task::batch([self.read_gas_card(), focus_gas()])
    }

    fn read_gas_card(&self) -> Task<Message> {
        Task::perform(
            api::read_card(self.card_reader.clone()),
            Message::GasCardRead,
        )
    }

    /// Asks the server to price what is typed, unless it was asked already.
    fn requote(&mut self) -> Task<Message> {
        let Some(form) = self.gas.as_mut() else {
            return Task::none();
        };
        let Some(asked) = form.quote_request() else {
            form.quote = gas::Quote::None;
            return Task::none();
        };
        let known = match &form.quote {
            gas::Quote::Asking(pending) => *pending == asked,
            gas::Quote::Quoted { asked: quoted, .. } => *quoted == asked,
            _ => false,
        };
        if known {
            return Task::none();
        }
        form.quote = gas::Quote::Asking(asked.clone());
        Task::perform(
            api::quote_gas_purchase(self.session.clone(), asked.clone()),
            move |result| Message::GasQuoted {
                asked: asked.clone(),
                result: result.map(Box::new),
            },
        )
    }

    fn send_purchase(&self, request: pb::PurchaseGasRequest) -> Task<Message> {
        let key = request.idempotency_key.clone();
        Task::perform(
            api::purchase_gas(self.session.clone(), request),
            move |result| Message::GasPaid {
                key,
                result: result.map(Box::new),
            },
        )
    }

    fn write_card(&self, result: &pb::GasPurchaseResult) -> Task<Message> {
        let (Some(write), Some(purchase)) = (result.write.clone(), result.purchase.as_ref()) else {
            return Task::none();
        };
        let purchase_id = purchase.purchase_id;
        Task::perform(
            api::write_card(self.card_reader.clone(), write),
            move |written| Message::GasWritten {
                purchase_id,
                written,
            },
        )
    }

    fn edit_gas(&mut self, edit: impl FnOnce(&mut GasForm)) -> Task<Message> {
        match self.gas.as_mut().filter(|form| form.is_editable()) {
            Some(form) => {
                edit(form);
                form.edited();
                self.requote()
            }
            None => Task::none(),
        }
    }

    fn update_gas(&mut self, message: Message) -> Action {
        match message {
            Message::ToggleGas => {
                if self.dialog.is_some() {
                    return Action::None;
                }
                let Some(account) = self.account.as_ref() else {
                    return Action::None;
                };
                if account.meter_type != "ic_card" {
                    return Action::None;
                }
                self.tab = Tab::Take;
                match &self.gas {
                    Some(form) if form.is_idle() => {
                        self.gas = None;
                        return Action::Run(focus_amount());
                    }
                    Some(_) => {}
                    None => {
                        let account_id = account.account_id;
                        return Action::Run(self.open_gas(account_id));
                    }
                }
            }
            Message::GasCardRead(card) => {
                if let Some(form) = self.gas.as_mut() {
                    form.card = Some(card);
                    if matches!(form.stage, gas::Stage::Written { .. }) {
                        // The next sale to this card.
                        form.stage = gas::Stage::Editing { problem: None };
                        form.key = new_key("gas");
                        form.attempted = false;
                    }
                    form.quote = gas::Quote::None;
                    return Action::Run(self.requote());
                }
            }
            Message::GasToggleBy => {
                let task = self.edit_gas(|form| {
                    form.by = match form.by {
                        gas::By::Volume => gas::By::Amount,
                        gas::By::Amount => gas::By::Volume,
                    };
                });
                return Action::Run(Task::batch([task, focus_gas()]));
            }
            Message::GasChannel(channel) => {
                if matches!(channel, Channel::Cash | Channel::BankCard) {
                    let task = self.edit_gas(|form| form.channel = channel);
                    let field = match channel {
                        Channel::Cash => gas::TENDERED_INPUT,
                        _ => gas::REFERENCE_INPUT,
                    };
                    return Action::Run(Task::batch([task, iced::widget::operation::focus(field)]));
                }
            }
            Message::GasQuantityChanged(value) => {
                return Action::Run(self.edit_gas(|form| form.quantity = value));
            }
            Message::GasQuoted { asked, result } => {
                let Some(form) = self.gas.as_mut() else {
                    return Action::None;
                };
                if !matches!(&form.quote, gas::Quote::Asking(pending) if *pending == asked) {
                    return Action::None;
                }
                form.quote = match result {
                    Ok(quote) => gas::Quote::Quoted { asked, quote },
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => gas::Quote::Failed(error),
                };
            }
            Message::GasTenderedChanged(value) => {
                return Action::Run(self.edit_gas(|form| form.tendered = value));
            }
            Message::GasReferenceChanged(value) => {
                return Action::Run(self.edit_gas(|form| form.reference = value));
            }
            Message::GasEntered => {
                if let Some(form) = &self.gas {
                    let field = match form.channel {
                        Channel::BankCard => gas::REFERENCE_INPUT,
                        _ => gas::TENDERED_INPUT,
                    };
                    return Action::Run(iced::widget::operation::focus(field));
                }
            }
            Message::GasPay => {
                if self.posting_blocked() || self.dialog.is_some() {
                    return Action::None;
                }
                if let Some(request) = self.gas.as_mut().and_then(GasForm::pay) {
                    return Action::Run(self.send_purchase(request));
                }
            }
            Message::GasAgain => {
                let Some(form) = self.gas.as_mut() else {
                    return Action::None;
                };
                if let Some(request) = form.retry() {
                    return Action::Run(self.send_purchase(request));
                }
                if let gas::Stage::WriteFailed { purchase, .. } = &form.stage {
                    form.stage = gas::Stage::Rewriting {
                        purchase: purchase.clone(),
                    };
                    let account_id = form.account_id;
                    return Action::Run(Task::perform(
                        api::rewrite_card(
                            self.session.clone(),
                            self.card_reader.clone(),
                            account_id,
                        ),
                        |result| Message::GasRewritten(result.map(Box::new)),
                    ));
                }
            }
            Message::GasPaid { key, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                let Some(form) = self.gas.as_mut() else {
                    return Action::None;
                };
                let answered = form.answered(&key, result.map(|r| *r), || new_key("gas"));
                let Some(paid) = answered else {
                    return Action::Run(self.load_till());
                };
                let receipt_no = paid
                    .purchase
                    .as_ref()
                    .map(|p| p.receipt_no.clone())
                    .unwrap_or_default();
                // The money is taken: the receipt prints while the card is
                // written.
                return Action::Run(Task::batch([
                    self.write_card(&paid),
                    self.start_print(&receipt_no),
                    self.load_till(),
                ]));
            }
            Message::GasWritten {
                purchase_id,
                written,
            } => {
                let error = written.error.clone();
                return Action::Run(Task::perform(
                    api::confirm_card_write(self.session.clone(), purchase_id, written),
                    move |result| Message::GasConfirmed {
                        error: error.clone(),
                        result: result.map(Box::new),
                    },
                ));
            }
            Message::GasConfirmed { error, result } => {
                let Some(form) = self.gas.as_mut() else {
                    return Action::None;
                };
                let gas::Stage::Writing { purchase, .. } = &form.stage else {
                    return Action::None;
                };
                match result {
                    Ok(confirmed) if confirmed.status == "written" => {
                        form.stage = gas::Stage::Written {
                            purchase: confirmed,
                        };
                        return Action::Run(Task::batch([self.refresh_account(), focus_gas()]));
                    }
                    Ok(confirmed) => {
                        form.stage = gas::Stage::WriteFailed {
                            purchase: confirmed,
                            error: error.unwrap_or_default(),
                        };
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    // The server did not hear it: the purchase is paid and
                    // not known to be written, which is what 补气 handles
                    // (the card read then tells).
                    Err(problem) => {
                        form.stage = gas::Stage::WriteFailed {
                            purchase: purchase.clone(),
                            error: problem.to_string(),
                        };
                    }
                }
            }
            Message::GasRewritten(result) => {
                let Some(form) = self.gas.as_mut() else {
                    return Action::None;
                };
                let gas::Stage::Rewriting { purchase } = &form.stage else {
                    return Action::None;
                };
                let purchase = purchase.clone();
                match result {
                    Ok(again) => {
                        form.stage = gas::Stage::Writing {
                            purchase: Box::new(again.purchase.clone().unwrap_or_default()),
                            rewrite: true,
                        };
                        return Action::Run(self.write_card(&again));
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => {
                        form.stage = gas::Stage::WriteFailed {
                            purchase,
                            error: error.to_string(),
                        };
                    }
                }
            }
            Message::StartReissue => {
                if self.dialog.is_some() || self.posting_blocked() {
                    return Action::None;
                }
                let Some(account) = self
                    .account
                    .as_ref()
                    .filter(|account| account.meter_type == "ic_card")
                else {
                    return Action::None;
                };
                if !self.gas.as_ref().is_some_and(GasForm::is_settled) {
                    return Action::None;
                }
                let kind = dialogs::Kind::Reissue {
                    account_id: account.account_id,
                    card_no: account.card_no.clone(),
                };
                return Action::Run(self.open_dialog(kind));
            }
            _ => {}
        }
        Action::None
    }

    fn print_request(&self, receipt_no: &str) -> pb::GetReceiptPdfRequest {
        pb::GetReceiptPdfRequest {
            receipt_no: receipt_no.to_owned(),
            paper: self.paper.to_proto() as i32,
            preview: false,
        }
    }

    fn start_print(&mut self, receipt_no: &str) -> Task<Message> {
        if receipt_no.is_empty() || self.print.as_ref().is_some_and(PrintJob::is_busy) {
            return Task::none();
        }
        let request = self.print_request(receipt_no);
        self.print = Some(PrintJob {
            receipt_no: receipt_no.to_owned(),
            request: request.clone(),
            state: PrintState::Printing,
        });
        let receipt_no = receipt_no.to_owned();
        Task::perform(
            api::print_receipt(self.session.clone(), request, self.printer.clone()),
            move |result| Message::Printed { receipt_no, result },
        )
    }

    fn send_payment(&self, request: pb::PostPaymentRequest) -> Task<Message> {
        let key = request.idempotency_key.clone();
        Task::perform(
            api::post_payment(self.session.clone(), request),
            move |result| Message::Posted {
                key,
                result: result.map(Box::new),
            },
        )
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::ToggleGas
            | Message::GasCardRead(_)
            | Message::GasToggleBy
            | Message::GasChannel(_)
            | Message::GasQuantityChanged(_)
            | Message::GasQuoted { .. }
            | Message::GasTenderedChanged(_)
            | Message::GasReferenceChanged(_)
            | Message::GasEntered
            | Message::GasPay
            | Message::GasAgain
            | Message::GasPaid { .. }
            | Message::GasWritten { .. }
            | Message::GasConfirmed { .. }
            | Message::GasRewritten(_)
            | Message::StartReissue => return self.update_gas(message),
            Message::QueryChanged(query) => self.find.query = query,
            Message::Search => {
                if let Some(index) = self.find.enter_chooses() {
                    return self.update(Message::ChooseHit(index));
                }
                let query = self.find.query.trim().to_owned();
                if query.is_empty() {
                    return Action::None;
                }
                let task = if find::looks_like_account_no(&query) {
                    self.look_up(Lookup::AccountNo(query))
                } else {
                    self.pending_lookup = None;
                    self.search_archive()
                };
                return Action::Run(task);
            }
            Message::AccountLoaded { lookup, result } => {
                if self.pending_lookup.as_ref() != Some(&lookup) {
                    return Action::None;
                }
                self.pending_lookup = None;
                self.find.status = find::Status::Idle;
                match (result, lookup) {
                    (Ok(Some(account)), _) => return Action::Run(self.show_account(account)),
                    // Not an account number: the archive knows names,
                    // phones and addresses.
                    (Ok(None), Lookup::AccountNo(_))
                    | (Err(ApiError::InvalidField { .. }), Lookup::AccountNo(_)) => {
                        return Action::Run(self.search_archive());
                    }
                    (Ok(None), Lookup::Card(card_no)) => {
                        self.find.status = find::Status::NoAccountForCard(card_no);
                    }
                    (Ok(None), Lookup::AccountId(_)) => {
                        self.find.status = find::Status::Failed(ApiError::Other(
                            "the account was not found".to_owned(),
                        ));
                    }
                    (Err(ApiError::SessionExpired), _) => return Action::SessionExpired,
                    (Err(error), _) => self.find.status = find::Status::Failed(error),
                }
            }
            Message::Searched { query, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                if let Some(only) = self.find.searched(query, result) {
                    return Action::Run(self.look_up(Lookup::AccountId(only.account_id)));
                }
            }
            Message::MoveHit(step) => self.find.move_highlight(step),
            Message::ChooseHit(index) => {
                if let Some(hit) = self.find.hits.get(index) {
                    self.find.highlighted = Some(index);
                    let account_id = hit.account_id;
                    return Action::Run(self.look_up(Lookup::AccountId(account_id)));
                }
            }
            Message::ReadCard => {
                if self.dialog.is_some() {
                    return Action::None;
                }
                self.find.status = find::Status::LookingUp;
                return Action::Run(Task::perform(
                    api::read_card(self.card_reader.clone()),
                    Message::CardRead,
                ));
            }
            Message::CardRead(Ok(card)) => {
                if let Some(form) = self.gas.as_mut().filter(|form| form.is_idle())
                    && self
                        .account
                        .as_ref()
                        .is_some_and(|a| a.card_no == card.card_no)
                {
                    // The card of the account shown: read for the sale.
                    self.find.status = find::Status::Idle;
                    form.card = None;
                    return self.update(Message::GasCardRead(Ok(card)));
                }
                self.find.query = card.card_no.clone();
                return Action::Run(self.look_up(Lookup::Card(card.card_no)));
            }
            Message::CardRead(Err(error)) => self.find.status = find::Status::CardFailed(error),
            Message::AccountRefreshed { account_id, result } => {
                if self.account.as_ref().map(|account| account.account_id) != Some(account_id) {
                    return Action::None;
                }
                match result {
                    Ok(Some(account)) => {
                        // A form in use stays; a used one starts anew.
                        let keep = self.payment.as_ref().is_some_and(|form| {
                            !matches!(form.attempt, payment::Attempt::Editing { .. })
                        });
                        if !keep {
                            self.payment = Some(PaymentForm::new(&account, new_key("pay")));
                        }
                        self.account = Some(account);
                    }
                    Ok(None) => {}
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => tracing::warn!(%error, "cannot refresh the account"),
                }
            }

            Message::ChooseChannel(channel) => {
                if self.dialog.is_some() || self.invoice.is_some() {
                    return Action::None;
                }
                self.tab = Tab::Take;
                let Some(form) = self.payment.as_mut().filter(|form| form.is_editable()) else {
                    return Action::None;
                };
                form.channel = channel;
                form.edited();
                return Action::Run(focus_channel_field(channel));
            }
            Message::AmountChanged(value) => self.edit_form(|form| form.amount = value),
            Message::TenderedChanged(value) => self.edit_form(|form| form.tendered = value),
            Message::ReferenceChanged(value) => self.edit_form(|form| form.reference = value),
            Message::PaymentCodeChanged(value) => {
                self.edit_form(|form| form.payment_code = value);
            }
            Message::AmountEntered => {
                if let Some(form) = &self.payment {
                    return Action::Run(focus_channel_field(form.channel));
                }
            }
            Message::Post => {
                if self.posting_blocked() || self.dialog.is_some() {
                    return Action::None;
                }
                let Some(form) = self.payment.as_mut() else {
                    return Action::None;
                };
                let posted = form.post();
                if let Some(request) = posted {
                    return Action::Run(self.send_payment(request));
                }
                if let Some(form) = self.payment.as_ref().filter(|form| form.is_editable()) {
                    let id = if form.problems().amount.is_some() {
                        AMOUNT_INPUT
                    } else {
                        channel_input(form.channel)
                    };
                    return Action::Run(iced::widget::operation::focus(id));
                }
            }
            Message::Retry => {
                if let Some(request) = self.payment.as_mut().and_then(PaymentForm::retry) {
                    return Action::Run(self.send_payment(request));
                }
            }
            Message::Abandon => {
                if let Some(form) = self.payment.as_mut()
                    && matches!(form.attempt, payment::Attempt::Unconfirmed { .. })
                {
                    form.attempt = payment::Attempt::Editing {
                        problem: None,
                        declined: None,
                    };
                    form.key = new_key("pay");
                    return Action::Run(Task::batch([self.load_till(), focus_amount()]));
                }
            }
            Message::Posted { key, result } => {
                if let Err(ApiError::SessionExpired) = &result {
                    return Action::SessionExpired;
                }
                let Some(form) = self.payment.as_mut() else {
                    return Action::None;
                };
                match form.answered(&key, result.map(|payment| *payment), || new_key("pay")) {
                    payment::Answer::Ignored => return Action::None,
                    payment::Answer::Shown => {
                        let focus = match &form.attempt {
                            payment::Attempt::Editing { .. } => focus_channel_field(form.channel),
                            _ => Task::none(),
                        };
                        return Action::Run(Task::batch([self.load_till(), focus]));
                    }
                    payment::Answer::Posted(posted) => {
                        let receipt_no = posted.receipt_no.clone();
                        self.done = Some(Done::Paid(posted));
                        self.payment = None;
                        let tasks = [
                            self.start_print(&receipt_no),
                            self.load_till(),
                            self.refresh_account(),
                            iced::widget::operation::focus(SEARCH_INPUT),
                        ];
                        return Action::Run(Task::batch(tasks));
                    }
                }
            }

            Message::SelectPaper(paper) => self.paper = paper,
            Message::Print(receipt_no) => return Action::Run(self.start_print(&receipt_no)),
            Message::ReprintLast => {
                if self.dialog.is_some() {
                    return Action::None;
                }
                let receipt_no = self
                    .done
                    .as_ref()
                    .and_then(Done::receipt_no)
                    .map(str::to_owned);
                if let Some(receipt_no) = receipt_no {
                    return Action::Run(self.start_print(&receipt_no));
                }
            }
            Message::Printed { receipt_no, result } => {
                let Some(job) = self.print.as_mut().filter(|job| {
                    job.receipt_no == receipt_no && job.state == PrintState::Printing
                }) else {
                    return Action::None;
                };
                job.state = match result {
                    Ok(printed) => PrintState::Printed(printed),
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => PrintState::Failed(error),
                };
            }
            Message::SaveReceipt {
                receipt_no,
                language,
            } => {
                if receipt_no.is_empty() || self.print.as_ref().is_some_and(PrintJob::is_busy) {
                    return Action::None;
                }
                self.print = Some(PrintJob {
                    receipt_no: receipt_no.clone(),
                    request: self.print_request(&receipt_no),
                    state: PrintState::Choosing,
                });
                let suggested = dirs::document_dir().or_else(dirs::home_dir).map_or_else(
                    || PathBuf::from(format!("{receipt_no}.pdf")),
                    |directory| directory.join(format!("{receipt_no}.pdf")),
                );
                let title = crate::i18n::counter::save_dialog_title(language);
                return Action::Run(Task::perform(
                    api::pick_pdf_save_path(title, suggested),
                    move |path| Message::SavePathPicked {
                        receipt_no: receipt_no.clone(),
                        path,
                    },
                ));
            }
            Message::SavePathPicked { receipt_no, path } => {
                let Some(job) = self.print.as_mut().filter(|job| {
                    job.receipt_no == receipt_no && job.state == PrintState::Choosing
                }) else {
                    return Action::None;
                };
                let Some(path) = path.filter(|path| path.file_name().is_some()) else {
                    self.print = None;
                    return Action::None;
                };
                let path = api::with_pdf_extension(path);
                job.state = PrintState::Saving(path.clone());
                let request = job.request.clone();
                return Action::Run(Task::perform(
                    api::save_receipt(self.session.clone(), request, path),
                    move |result| Message::Saved {
                        receipt_no: receipt_no.clone(),
                        result,
                    },
                ));
            }
            Message::Saved { receipt_no, result } => {
                let Some(job) = self.print.as_mut().filter(|job| {
                    job.receipt_no == receipt_no && matches!(job.state, PrintState::Saving(_))
                }) else {
                    return Action::None;
                };
                job.state = match result {
                    Ok(saved) => PrintState::Saved(saved),
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => PrintState::Failed(error),
                };
            }

            Message::RefreshTill => return Action::Run(self.load_till()),
            Message::TillLoaded(result) => match result {
                Ok(shift) => {
                    let shift_id = shift.shift_id;
                    self.till.shift = Some(*shift);
                    self.till.load = Load::Loaded;
                    if shift_id > 0 {
                        return Action::Run(self.load_payments(shift_id));
                    }
                    self.shift_payments = ShiftPayments::default();
                }
                Err(ApiError::SessionExpired) => return Action::SessionExpired,
                Err(error) => self.till.load = Load::Failed(error),
            },
            Message::PaymentsLoaded { shift_id, result } => {
                if self.shift_payments.shift_id != shift_id {
                    return Action::None;
                }
                match result {
                    Ok(payments) => {
                        self.shift_payments.payments = payments;
                        self.shift_payments.load = Load::Loaded;
                    }
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => self.shift_payments.load = Load::Failed(error),
                }
            }
            Message::SelectTab(tab) => return Action::Run(self.select_tab(tab)),
            Message::ToggleTab => {
                if self.dialog.is_some() {
                    return Action::None;
                }
                let tab = match self.tab {
                    Tab::Take => Tab::Shift,
                    Tab::Shift => Tab::Take,
                };
                return Action::Run(self.select_tab(tab));
            }

            Message::StartVoid(payment_no) => {
                if self.dialog.is_some() || self.till.is_closed() {
                    return Action::None;
                }
                let Some(payment) = self
                    .shift_payments
                    .payments
                    .iter()
                    .find(|payment| payment.payment_no == payment_no)
                    .filter(|payment| can_void(payment))
                else {
                    return Action::None;
                };
                return Action::Run(self.open_dialog(dialogs::Kind::Void {
                    payment: Box::new(payment.clone()),
                }));
            }
            Message::StartRefund => {
                if self.dialog.is_some() || self.posting_blocked() {
                    return Action::None;
                }
                let Some(account) = &self.account else {
                    return Action::None;
                };
                let prepayment = payment::wire_money(&account.prepayment);
                if prepayment <= Money::ZERO {
                    return Action::None;
                }
                let kind = dialogs::Kind::Refund {
                    account_id: account.account_id,
                    account_no: account.account_no.clone(),
                    prepayment,
                };
                return Action::Run(self.open_dialog(kind));
            }
            Message::StartClose => {
                if self.dialog.is_some() || !self.till.is_open() {
                    return Action::None;
                }
                let Some(shift) = self.till.shift.clone() else {
                    return Action::None;
                };
                return Action::Run(self.open_dialog(dialogs::Kind::Close {
                    shift: Box::new(shift),
                }));
            }
            Message::DialogField(field, value) => {
                if let Some(dialog) = &mut self.dialog {
                    dialog.set(field, value);
                }
            }
            Message::DialogPassword(password) => {
                if let Some(dialog) = &mut self.dialog {
                    dialog.set_password(password);
                }
            }
            Message::ConfirmDialog => {
                let Some(dialog) = self.dialog.as_mut().filter(|dialog| !dialog.submitting) else {
                    return Action::None;
                };
                let session = self.session.clone();
                let task = match dialog.submit() {
                    Err(field) => iced::widget::operation::focus(dialog_input(field)),
                    Ok(dialogs::Request::Void(request)) => {
                        Task::perform(api::void_payment(session, request), |result| {
                            Message::DialogAnswered(result.map(|p| Signed::Voided(Box::new(p))))
                        })
                    }
                    Ok(dialogs::Request::Refund(request)) => {
                        Task::perform(api::refund_prepayment(session, request), |result| {
                            Message::DialogAnswered(result.map(|p| Signed::Refunded(Box::new(p))))
                        })
                    }
                    Ok(dialogs::Request::Close(request)) => {
                        Task::perform(api::close_shift(session, request), |result| {
                            Message::DialogAnswered(result.map(|s| Signed::Closed(Box::new(s))))
                        })
                    }
                    Ok(dialogs::Request::Reissue(request)) => Task::perform(
                        api::reissue_card(session, self.card_reader.clone(), request),
                        |result| {
                            Message::DialogAnswered(result.map(|i| Signed::Reissued(Box::new(i))))
                        },
                    ),
                };
                return Action::Run(task);
            }
            Message::CloseDialog => {
                if self
                    .dialog
                    .as_ref()
                    .is_some_and(|dialog| !dialog.submitting)
                {
                    self.dialog = None;
                    return Action::Run(self.focus_start());
                }
            }
            Message::DialogAnswered(result) => {
                let Some(dialog) = self.dialog.as_mut().filter(|dialog| dialog.submitting) else {
                    return Action::None;
                };
                let signed = match result {
                    Ok(signed) => signed,
                    Err(ApiError::SessionExpired) => return Action::SessionExpired,
                    Err(error) => {
                        dialog.failed(error);
                        return Action::None;
                    }
                };
                self.dialog = None;
                let mut tasks = Vec::new();
                match signed {
                    Signed::Voided(payment) => {
                        let receipt_no = payment.void_receipt_no.clone();
                        let account_id = payment.account_id;
                        self.done = Some(Done::Voided(payment));
                        tasks.push(self.start_print(&receipt_no));
                        if self.account.as_ref().map(|a| a.account_id) == Some(account_id) {
                            tasks.push(self.refresh_account());
                        }
                        tasks.push(self.load_till());
                    }
                    Signed::Refunded(payment) => {
                        let receipt_no = payment.receipt_no.clone();
                        self.done = Some(Done::Refunded(payment));
                        tasks.push(self.start_print(&receipt_no));
                        tasks.push(self.refresh_account());
                        tasks.push(self.load_till());
                    }
                    Signed::Closed(shift) => {
                        self.till.shift = Some((*shift).clone());
                        self.till.load = Load::Loaded;
                        self.done = Some(Done::ShiftClosed(shift));
                        tasks.push(self.load_till());
                    }
                    Signed::Reissued(issue) => {
                        if let Some(form) = self.gas.as_mut() {
                            form.reissued = Some(issue);
                            form.card = None;
                            // Paid gas went onto the new card: a new sale
                            // starts from it.
                            form.stage = gas::Stage::Editing { problem: None };
                            form.key = new_key("gas");
                            form.attempted = false;
                        }
                        // The new card is in the reader: the sale goes on it.
                        tasks.push(self.read_gas_card());
                    }
                }
                tasks.push(self.focus_start());
                return Action::Run(Task::batch(tasks));
            }

            Message::StartInvoice => {
                if self.dialog.is_some() || self.invoice.is_some() {
                    return Action::None;
                }
                let Some(account) = self.account.as_deref() else {
                    return Action::None;
                };
                let last = match &self.done {
                    Some(Done::Paid(payment)) => Some(payment.as_ref()),
                    _ => None,
                };
                let choices = issue::choices_for(account, last, &self.shift_payments.payments);
                self.invoice = Some(IssueForm::new(account, choices, new_key("inv")));
                self.tab = Tab::Take;
                return Action::Run(iced::widget::operation::focus(issue::TITLE_INPUT));
            }
            Message::Invoice(message) => {
                let Some(form) = self.invoice.as_mut() else {
                    return Action::None;
                };
                match form.update(&self.session, message, || new_key("inv")) {
                    issue::Action::None => {}
                    issue::Action::Run(task) => return Action::Run(task.map(Message::Invoice)),
                    issue::Action::SessionExpired => return Action::SessionExpired,
                    issue::Action::Close => {
                        self.invoice = None;
                        return Action::Run(self.focus_start());
                    }
                }
            }

            Message::Escape => return Action::Run(self.escape()),
        }
        Action::None
    }

    fn edit_form(&mut self, edit: impl FnOnce(&mut PaymentForm)) {
        if let Some(form) = self.payment.as_mut().filter(|form| form.is_editable()) {
            edit(form);
            form.edited();
        }
    }

    fn select_tab(&mut self, tab: Tab) -> Task<Message> {
        self.tab = tab;
        match tab {
            Tab::Take => self.focus_start(),
            Tab::Shift => {
                let shift_id = self.till.shift.as_ref().map_or(0, |shift| shift.shift_id);
                if shift_id > 0 && self.shift_payments.load != Load::Loading {
                    self.load_payments(shift_id)
                } else {
                    Task::none()
                }
            }
        }
    }

    fn open_dialog(&mut self, kind: dialogs::Kind) -> Task<Message> {
        let prefix = match kind {
            dialogs::Kind::Void { .. } => "void",
            dialogs::Kind::Refund { .. } => "refund",
            dialogs::Kind::Close { .. } => "close",
            dialogs::Kind::Reissue { .. } => "reissue",
        };
        let dialog = Dialog::new(kind, new_key(prefix));
        let first = dialog.first_input();
        self.dialog = Some(dialog);
        iced::widget::operation::focus(first)
    }

    /// Esc: the dialog closes; else back one step towards an empty search.
    /// A payment in flight or unconfirmed stays: only this screen can send
    /// it again. An unknown or pending one is the server's to settle.
    fn escape(&mut self) -> Task<Message> {
        if let Some(dialog) = &self.dialog {
            if !dialog.submitting {
                self.dialog = None;
            }
            return Task::none();
        }
        if self.tab == Tab::Shift {
            self.tab = Tab::Take;
            return self.focus_start();
        }
        if let Some(form) = &self.invoice {
            if form.may_close() {
                self.invoice = None;
                return self.focus_start();
            }
            return Task::none();
        }
        let busy = self.payment.as_ref().is_some_and(|form| {
            matches!(
                form.attempt,
                payment::Attempt::Sending { .. } | payment::Attempt::Unconfirmed { .. }
            )
        });
        if busy || self.gas.as_ref().is_some_and(|form| !form.is_idle()) {
            return Task::none();
        }
        if !self.find.hits.is_empty() {
            self.find.close_hits();
        } else if self.account.is_some() {
            self.account = None;
            self.payment = None;
            self.gas = None;
            self.find.clear();
        } else {
            self.find.clear();
            self.pending_lookup = None;
        }
        iced::widget::operation::focus(SEARCH_INPUT)
    }
}

/// Whether a payment of the list can be voided: posted, not voided yet.
pub fn can_void(payment: &pb::Payment) -> bool {
    payment.kind == "payment" && payment.status == "posted" && payment.void_receipt_no.is_empty()
}

fn focus_gas() -> Task<Message> {
    Task::batch([
        iced::widget::operation::focus(gas::QUANTITY_INPUT),
        iced::widget::operation::select_all(gas::QUANTITY_INPUT),
    ])
}

fn focus_amount() -> Task<Message> {
    Task::batch([
        iced::widget::operation::focus(AMOUNT_INPUT),
        iced::widget::operation::select_all(AMOUNT_INPUT),
    ])
}

/// The input of a channel's own field.
pub fn channel_input(channel: Channel) -> &'static str {
    match channel {
        Channel::Cash => TENDERED_INPUT,
        Channel::BankCard => REFERENCE_INPUT,
        Channel::WeChat | Channel::Alipay => PAYMENT_CODE_INPUT,
    }
}

fn focus_channel_field(channel: Channel) -> Task<Message> {
    iced::widget::operation::focus(channel_input(channel))
}

fn dialog_input(field: dialogs::Field) -> &'static str {
    match field {
        dialogs::Field::Reason => dialogs::REASON_INPUT,
        dialogs::Field::Amount => dialogs::AMOUNT_INPUT,
        dialogs::Field::Counted => dialogs::COUNTED_INPUT,
        dialogs::Field::Note => dialogs::NOTE_INPUT,
        dialogs::Field::Username => dialogs::USERNAME_INPUT,
    }
}

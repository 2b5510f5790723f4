//! The counter's view: the till strip on top, the search, the account at a
//! glance beside the payment form, the outcome with its receipt, the
//! shift's payments, the supervisor dialogs and the line of shortcuts.

use gascis_common::Money;
use gascis_common::proto::v1 as pb;
use iced::keyboard::{self, key};
use iced::widget::{button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length, Padding};

use super::dialogs::{self, Dialog, Field, Kind};
use super::find::Status;
use super::gas::{self, GasForm};
use super::payment::{Attempt, Channel, PaymentForm, wire_money};
use super::{
    AMOUNT_INPUT, Counter, Done, Load, Message, PAYMENT_CODE_INPUT, Paper, PrintJob, PrintState,
    REFERENCE_INPUT, SEARCH_INPUT, TENDERED_INPUT, Tab, Till, can_void,
};
use crate::i18n::counter::{self as texts, Key};
use crate::i18n::invoices::Key as InvoiceKey;
use crate::i18n::{Language, archive::money, tr};
use crate::screen::customers::dialog::problem_box;
use crate::theme;
use crate::theme::container::Tone;
use crate::widget::{self, TableColumn, TableRow};

impl Counter {
    pub fn view(&self, language: Language) -> Element<'_, Message> {
        let tabs = widget::tab_bar(
            [
                (Tab::Take, texts::tab_name(language, Tab::Take)),
                (Tab::Shift, texts::tab_name(language, Tab::Shift)),
            ],
            self.tab,
            Message::SelectTab,
        );
        let body = match self.tab {
            Tab::Take => self.take_view(language),
            Tab::Shift => self.shift_view(language),
        };
        let page = column![
            till_strip(language, &self.till),
            tabs,
            container(body).height(Length::Fill),
            text(tr(language, Key::Shortcuts))
                .size(12)
                .style(theme::text::muted),
        ]
        .spacing(10)
        .height(Length::Fill);

        let page: Element<'_, Message> = match &self.dialog {
            Some(dialog) => widget::modal(page, dialog_view(language, dialog)),
            None => page.into(),
        };

        let dialog_open = self.dialog.is_some();
        let account_open = self.account.is_some();
        let invoicing = self.invoice.is_some();
        let takes_arrows = self.find.takes_arrows() && !dialog_open && self.tab == Tab::Take;
        let selling_gas = self.gas.is_some() && self.tab == Tab::Take;
        let ic_card = self
            .account
            .as_ref()
            .is_some_and(|account| account.meter_type == "ic_card");
        let unhandled = widget::on_unhandled_key(page, move |key, _modifiers| {
            let keyboard::Key::Named(named) = key else {
                return None;
            };
            match named {
                key::Named::ArrowDown if takes_arrows => Some(Message::MoveHit(1)),
                key::Named::ArrowUp if takes_arrows => Some(Message::MoveHit(-1)),
                _ if dialog_open => None,
                key::Named::F2 => Some(Message::ReadCard),
                key::Named::F4 => Some(Message::ToggleTab),
                key::Named::F9 => Some(Message::ReprintLast),
                key::Named::F11 if account_open => Some(Message::StartInvoice),
                // The invoice form takes the function keys of the payment
                // channels for its kinds, and no sale starts behind it.
                named if invoicing => {
                    crate::screen::invoices::issue::Kind::from_key(named).map(|kind| {
                        Message::Invoice(crate::screen::invoices::issue::Message::ChooseKind(kind))
                    })
                }
                key::Named::F3 if ic_card => Some(Message::ToggleGas),
                key::Named::F7 if selling_gas => Some(Message::GasToggleBy),
                key::Named::F10 if selling_gas => Some(Message::GasAgain),
                key::Named::F12 if ic_card => Some(Message::StartReissue),
                named if selling_gas => Channel::from_key(named).map(Message::GasChannel),
                named => Channel::from_key(named).map(Message::ChooseChannel),
            }
        });
        // Esc is taken before the focused field, which would only give up
        // the cursor.
        widget::on_key_before(unhandled, |key, _modifiers| match key {
            keyboard::Key::Named(key::Named::Escape) => Some(Message::Escape),
            _ => None,
        })
    }

    fn take_view(&self, language: Language) -> Element<'_, Message> {
        let mut left = column![self.search_view(language)].spacing(12);
        if let Some(account) = &self.account {
            left = left.push(account_view(
                language,
                account,
                !self.posting_blocked() && self.dialog.is_none(),
            ));
        }
        let mut right = column![].spacing(12);
        if self.account.is_some() && self.invoice.is_none() {
            right = right.push(
                button(text(tr(language, InvoiceKey::StartIssueButton)).size(14))
                    .padding([6, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe(self.dialog.is_none().then_some(Message::StartInvoice)),
            );
        }
        if let Some(done) = &self.done {
            right = right.push(self.done_view(language, done));
        }
        if let Some(form) = &self.invoice {
            right = right.push(card(form.view(language).map(Message::Invoice)));
        } else if let Some(form) = &self.gas {
            right = right.push(self.gas_view(language, form));
        } else if let Some(form) = &self.payment {
            right = right.push(payment_view(language, form, &self.till));
        }
        let columns = row![
            container(left).width(Length::FillPortion(5)),
            container(right).width(Length::FillPortion(3)),
        ]
        .spacing(12);
        scrollable(container(columns).padding(Padding {
            right: 14.0,
            ..Padding::ZERO
        }))
        .height(Length::Fill)
        .into()
    }

    fn search_view(&self, language: Language) -> Element<'_, Message> {
        let enter = match self.find.enter_chooses() {
            Some(index) => Message::ChooseHit(index),
            None => Message::Search,
        };
        let busy = matches!(self.find.status, Status::LookingUp | Status::Searching);
        let input = text_input(tr(language, Key::SearchPlaceholder), &self.find.query)
            .id(SEARCH_INPUT)
            .padding([8, 10])
            .size(16)
            .style(theme::text_input::field)
            .on_input(Message::QueryChanged)
            .on_submit(enter);
        let mut lines = column![
            row![
                input,
                button(text(tr(language, Key::SearchButton)).size(14))
                    .padding([8, 14])
                    .style(theme::button::primary)
                    .on_press_maybe(
                        (!busy && !self.find.query.trim().is_empty()).then_some(Message::Search)
                    ),
                button(text(tr(language, Key::ReadCardButton)).size(14))
                    .padding([8, 14])
                    .style(theme::button::secondary)
                    .on_press_maybe((!busy).then_some(Message::ReadCard)),
            ]
            .spacing(8)
            .align_y(Alignment::Center)
        ]
        .spacing(8);
        let note = |line: String| -> Element<'_, Message> {
            text(line).size(13).style(theme::text::muted).into()
        };
        match &self.find.status {
            Status::Idle if self.account.is_none() && self.find.hits.is_empty() => {
                lines = lines.push(note(tr(language, Key::SearchHint).to_owned()));
            }
            Status::Idle => {}
            Status::LookingUp | Status::Searching => {
                lines = lines.push(note(tr(language, Key::Searching).to_owned()));
            }
            Status::Found if self.find.hits.is_empty() => {
                lines = lines.push(
                    text(texts::nothing_found(
                        language,
                        self.find.shown.as_deref().unwrap_or_default(),
                    ))
                    .size(14)
                    .style(theme::text::warning),
                );
            }
            Status::Found => {
                lines = lines.push(self.hits_view(language));
                lines = lines.push(note(tr(language, Key::HitsHint).to_owned()));
            }
            Status::NoAccountForCard(card_no) => {
                lines = lines.push(
                    text(texts::no_account_for_card(language, card_no))
                        .size(14)
                        .style(theme::text::warning),
                );
            }
            Status::CardFailed(error) => {
                lines = lines.push(
                    text(texts::card_error(language, error))
                        .size(14)
                        .style(theme::text::error),
                );
            }
            Status::Failed(error) => lines = lines.push(problem_box(language, error)),
        }
        card(lines.into())
    }

    fn hits_view(&self, language: Language) -> Element<'_, Message> {
        let columns = [
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::CustomerName), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Address), Length::FillPortion(8)),
            TableColumn::new(tr(language, Key::Phone), Length::FillPortion(4)),
        ];
        let rows = self
            .find
            .hits
            .iter()
            .enumerate()
            .map(|(index, hit)| TableRow {
                cells: vec![
                    widget::cell(hit.account_no.clone()),
                    widget::cell(hit.customer_name.clone()),
                    widget::cell(hit.address.clone()),
                    widget::cell(hit.phone_masked.clone()),
                ],
                selected: self.find.highlighted == Some(index),
                on_press: Some(Message::ChooseHit(index)),
                on_double_click: None,
            });
        widget::table(&columns, rows)
    }

    fn done_view(&self, language: Language, done: &Done) -> Element<'_, Message> {
        let mut lines = column![].spacing(6);
        let (headline, tone_box): (String, fn(&iced::Theme) -> container::Style) = match done {
            Done::Paid(payment) => (
                texts::paid_headline(language, payment),
                theme::container::success_box,
            ),
            Done::Voided(payment) => (
                texts::voided_headline(language, payment),
                theme::container::warning_box,
            ),
            Done::Refunded(payment) => (
                texts::refunded_headline(language, payment),
                theme::container::success_box,
            ),
            Done::ShiftClosed(shift) => (
                texts::closed_headline(language, shift),
                theme::container::success_box,
            ),
        };
        lines = lines.push(
            container(text(headline).size(15))
                .padding([8, 12])
                .width(Length::Fill)
                .style(tone_box),
        );
        match done {
            Done::Paid(payment) => {
                lines = lines.push(text(texts::payment_facts(language, payment)).size(14));
                if wire_money(&payment.change) > Money::ZERO {
                    lines = lines.push(
                        text(texts::change_given(language, &payment.change))
                            .size(20)
                            .style(theme::text::section),
                    );
                }
                for allocation in &payment.allocations {
                    lines = lines.push(
                        row![
                            text("•").size(14).style(theme::text::muted),
                            text(texts::allocation(language, allocation)).size(14),
                        ]
                        .spacing(6),
                    );
                }
                lines = lines.push(
                    text(texts::balances_after(language, payment))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
            Done::Voided(payment) | Done::Refunded(payment) => {
                lines = lines.push(text(texts::payment_facts(language, payment)).size(14));
            }
            Done::ShiftClosed(shift) => {
                lines = lines.push(text(texts::close_facts(language, shift)).size(14));
            }
        }
        if let Some(receipt_no) = done.receipt_no() {
            lines = lines.push(self.print_row(language, receipt_no));
        }
        card(lines.into())
    }

    fn gas_view<'a>(&'a self, language: Language, form: &'a GasForm) -> Element<'a, Message> {
        let till = &self.till;
        let editable = form.is_editable() && !till.is_closed();
        let problem = form.problem().filter(|_| form.attempted);
        let mut lines = column![
            text(tr(language, Key::GasTitle))
                .size(16)
                .style(theme::text::section),
            text(texts::gas_card(language, form.card.as_ref())).size(14),
        ]
        .spacing(10);
        let by = row([gas::By::Volume, gas::By::Amount].into_iter().map(|by| {
            button(text(texts::gas_by(language, by)).size(14))
                .padding([5, 10])
                .width(Length::Fill)
                .style(theme::button::segment(by == form.by))
                .on_press_maybe((editable && by != form.by).then_some(Message::GasToggleBy))
                .into()
        }))
        .spacing(6);
        let channels = row([Channel::Cash, Channel::BankCard]
            .into_iter()
            .map(|channel| {
                button(
                    column![
                        text(texts::channel_label(language, channel)).size(15),
                        text(channel.key_label()).size(11),
                    ]
                    .width(Length::Fill)
                    .align_x(Alignment::Center),
                )
                .padding([5, 10])
                .width(Length::Fill)
                .style(theme::button::segment(channel == form.channel))
                .on_press_maybe(editable.then_some(Message::GasChannel(channel)))
                .into()
            }))
        .spacing(6);
        let field = |label: String,
                     id: &'static str,
                     value: &'a str,
                     on_input: fn(String) -> Message,
                     on_submit: Message|
         -> Element<'a, Message> {
            column![
                text(label).size(13).style(theme::text::label),
                text_input("", value)
                    .id(id)
                    .padding([7, 10])
                    .size(18)
                    .style(theme::text_input::field)
                    .on_input_maybe(editable.then_some(on_input))
                    .on_submit_maybe(editable.then_some(on_submit)),
            ]
            .spacing(3)
            .into()
        };
        lines = lines.push(by);
        lines = lines.push(field(
            texts::gas_quantity_label(language, form.by),
            gas::QUANTITY_INPUT,
            &form.quantity,
            Message::GasQuantityChanged,
            Message::GasEntered,
        ));
        // The live quote.
        match (&form.quote, form.current_quote()) {
            (_, Some(quote)) => {
                let mut priced = column![].spacing(3);
                for line in &quote.lines {
                    priced = priced.push(text(texts::gas_line(language, line)).size(14));
                }
                priced = priced.push(text(texts::gas_quote_total(language, quote)).size(15));
                lines = lines.push(
                    container(priced)
                        .padding([8, 12])
                        .width(Length::Fill)
                        .style(theme::container::summary),
                );
            }
            (gas::Quote::Asking(_), None) => {
                lines = lines.push(
                    text(tr(language, Key::GasQuoting))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
            (gas::Quote::Failed(error), None) => {
                lines = lines.push(problem_box(language, error));
            }
            _ => {}
        }
        if let Some(quote) = form
            .current_quote()
            .filter(|quote| !quote.blocked_reason.is_empty())
        {
            lines = lines.push(
                container(text(texts::gas_blocked(language, quote)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::error_box),
            );
        }
        lines = lines.push(channels);
        match form.channel {
            Channel::BankCard => {
                lines = lines.push(field(
                    tr(language, Key::ReferenceLabel).to_owned(),
                    gas::REFERENCE_INPUT,
                    &form.reference,
                    Message::GasReferenceChanged,
                    Message::GasPay,
                ));
            }
            _ => {
                lines = lines.push(field(
                    tr(language, Key::TenderedLabel).to_owned(),
                    gas::TENDERED_INPUT,
                    &form.tendered,
                    Message::GasTenderedChanged,
                    Message::GasPay,
                ));
                lines = lines.push(
                    row![
                        text(tr(language, Key::ChangeLabel))
                            .size(14)
                            .style(theme::text::label),
                        text(match form.change() {
                            Some(change) => money(&change.to_string()),
                            None => tr(language, Key::NoChange).to_owned(),
                        })
                        .size(24)
                        .style(theme::text::section),
                    ]
                    .spacing(10)
                    .align_y(Alignment::Center),
                );
            }
        }
        if let Some(problem) = &problem {
            lines = lines.push(
                text(texts::gas_problem(language, problem))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        if till.is_closed() {
            lines = lines.push(
                container(text(tr(language, Key::ShiftClosedNoPosting)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::error_box),
            );
        }
        lines = lines.push(
            button(text(tr(language, Key::GasPayButton)).size(16))
                .padding([9, 18])
                .width(Length::Fill)
                .style(theme::button::primary)
                .on_press_maybe(editable.then_some(Message::GasPay)),
        );
        let status = |body: Element<'a, Message>, style: fn(&iced::Theme) -> container::Style| {
            container(body)
                .padding([10, 12])
                .width(Length::Fill)
                .style(style)
        };
        match &form.stage {
            gas::Stage::Editing {
                problem: Some(error),
            } => {
                lines = lines.push(problem_box(language, error));
            }
            gas::Stage::Editing { problem: None } => {}
            gas::Stage::Paying { .. } => {
                lines = lines.push(text(tr(language, Key::GasPaying)).size(14));
            }
            gas::Stage::Unconfirmed { error, .. } => {
                let detail = crate::i18n::error_text(language, error);
                lines = lines.push(status(
                    column![
                        text(tr(language, Key::Unconfirmed)).size(16),
                        text(tr(language, Key::GasUnconfirmedAdvice)).size(13),
                        text(detail.headline).size(12).style(theme::text::muted),
                        button(text(tr(language, Key::GasRetryButton)).size(14))
                            .padding([6, 16])
                            .style(theme::button::primary)
                            .on_press(Message::GasAgain),
                    ]
                    .spacing(6)
                    .into(),
                    theme::container::warning_box,
                ));
            }
            gas::Stage::Writing { purchase, rewrite } => {
                lines = lines.push(text(texts::gas_writing(language, purchase, *rewrite)).size(14));
            }
            gas::Stage::Rewriting { .. } => {
                lines = lines.push(text(tr(language, Key::GasRewriting)).size(14));
            }
            gas::Stage::WriteFailed { purchase, error } => {
                lines = lines.push(status(
                    column![
                        text(texts::gas_write_failed(language, purchase)).size(15),
                        text(error.clone()).size(12).style(theme::text::muted),
                        button(text(tr(language, Key::GasRewriteButton)).size(14))
                            .padding([6, 16])
                            .style(theme::button::primary)
                            .on_press(Message::GasAgain),
                    ]
                    .spacing(6)
                    .into(),
                    theme::container::error_box,
                ));
            }
            gas::Stage::Written { purchase } => {
                let mut written = column![
                    text(texts::gas_written(language, purchase)).size(15),
                    text(texts::gas_paid_facts(language, purchase)).size(14),
                ]
                .spacing(6);
                if !purchase.receipt_no.is_empty() {
                    written = written.push(self.print_row(language, &purchase.receipt_no));
                }
                lines = lines.push(status(written.into(), theme::container::success_box));
            }
        }
        if let Some(issue) = &form.reissued {
            lines = lines.push(
                container(text(texts::reissued(language, issue)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::success_box),
            );
        }
        lines = lines.push(
            text(tr(language, Key::GasShortcuts))
                .size(12)
                .style(theme::text::muted),
        );
        card(lines.into())
    }

    fn print_row(&self, language: Language, receipt_no: &str) -> Element<'_, Message> {
        let job = self
            .print
            .as_ref()
            .filter(|job| job.receipt_no == receipt_no);
        let busy = self.print.as_ref().is_some_and(PrintJob::is_busy);
        // Receipts print by themselves once taken: the button prints again.
        let print_label = if job.is_some() {
            Key::ReprintButton
        } else {
            Key::PrintButton
        };
        let buttons = row![
            widget::segmented(
                [
                    (Paper::Roll80mm, tr(language, Key::PaperRoll).to_owned()),
                    (Paper::A5, tr(language, Key::PaperA5).to_owned()),
                ],
                self.paper,
                Message::SelectPaper,
            ),
            iced::widget::space::horizontal(),
            button(text(tr(language, print_label)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe((!busy).then(|| Message::Print(receipt_no.to_owned()))),
            button(text(tr(language, Key::SavePdfButton)).size(13))
                .padding([5, 12])
                .style(theme::button::secondary)
                .on_press_maybe((!busy).then(|| Message::SaveReceipt {
                    receipt_no: receipt_no.to_owned(),
                    language,
                })),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        let mut lines = column![buttons].spacing(6);
        if let Some(job) = job {
            lines = lines.push(print_status(language, job));
        }
        lines.into()
    }

    fn shift_view(&self, language: Language) -> Element<'_, Message> {
        let payments = &self.shift_payments;
        let mut page = column![].spacing(10);
        let mut head = row![
            text(tr(language, Key::ShiftPaymentsTitle))
                .size(16)
                .style(theme::text::section)
                .width(Length::Fill)
        ]
        .align_y(Alignment::Center)
        .spacing(10);
        if payments.load == Load::Loading {
            head = head.push(
                text(tr(language, Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
        page = page.push(head);
        if let Some(done) = &self.done
            && !matches!(done, Done::Paid(_))
        {
            page = page.push(self.done_view(language, done));
        } else if let Some(job) = &self.print {
            page = page.push(print_status(language, job));
        }
        if let Load::Failed(error) = &payments.load {
            page = page.push(problem_box(language, error));
        }
        if payments.payments.is_empty() {
            page = page.push(
                text(tr(language, Key::NoPaymentsYet))
                    .size(14)
                    .style(theme::text::muted),
            );
            return card(page.into());
        }
        let columns = [
            TableColumn::new(tr(language, Key::Time), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::ReceiptNo), Length::FillPortion(5)),
            TableColumn::new(tr(language, Key::AccountNo), Length::FillPortion(4)),
            TableColumn::new(tr(language, Key::Channel), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Amount), Length::FillPortion(3)),
            TableColumn::new(tr(language, Key::Status), Length::FillPortion(3)),
            TableColumn::new("", Length::FillPortion(5)),
        ];
        let can_act = self.dialog.is_none() && !self.till.is_closed();
        let print_busy = self.print.as_ref().is_some_and(PrintJob::is_busy);
        let rows = payments.payments.iter().map(|payment| {
            let mut actions = row![].spacing(6);
            if can_void(payment) {
                actions = actions.push(
                    button(text(tr(language, Key::VoidButton)).size(13))
                        .padding([3, 10])
                        .style(theme::button::danger)
                        .on_press_maybe(
                            can_act.then(|| Message::StartVoid(payment.payment_no.clone())),
                        ),
                );
            }
            for receipt_no in [&payment.receipt_no, &payment.void_receipt_no] {
                if !receipt_no.is_empty() {
                    actions = actions.push(
                        button(text(texts::reprint_of(language, receipt_no, payment)).size(13))
                            .padding([3, 10])
                            .style(theme::button::secondary)
                            .on_press_maybe(
                                (!print_busy).then(|| Message::Print(receipt_no.clone())),
                            ),
                    );
                }
            }
            let (status, tone) = texts::payment_status(language, payment);
            TableRow::new(vec![
                widget::cell(texts::time_of(&payment.created_at)),
                widget::cell(if payment.receipt_no.is_empty() {
                    payment.payment_no.clone()
                } else {
                    payment.receipt_no.clone()
                }),
                widget::cell(payment.account_no.clone()),
                widget::cell(texts::channel_name(language, &payment.channel)),
                widget::cell(texts::signed_amount(payment)),
                widget::badge(status, tone),
                actions.into(),
            ])
        });
        page = page.push(widget::table(&columns, rows));
        scrollable(container(card(page.into())).padding(Padding {
            right: 14.0,
            ..Padding::ZERO
        }))
        .height(Length::Fill)
        .into()
    }
}

fn print_status<'a>(language: Language, job: &PrintJob) -> Element<'a, Message> {
    let (line, style): (String, fn(&iced::Theme) -> text::Style) = match &job.state {
        PrintState::Printing => (
            texts::printing(language, &job.receipt_no),
            theme::text::muted,
        ),
        PrintState::Printed(printed) => (texts::printed(language, printed), theme::text::success),
        PrintState::Choosing | PrintState::Saving(_) => {
            (tr(language, Key::Saving).to_owned(), theme::text::muted)
        }
        PrintState::Saved(saved) => (texts::saved(language, &saved.path), theme::text::success),
        PrintState::Failed(error) => {
            return column![
                text(texts::print_failed(language, &job.receipt_no))
                    .size(13)
                    .style(theme::text::error),
                problem_box(language, error),
            ]
            .spacing(4)
            .into();
        }
    };
    text(line).size(13).style(style).into()
}

/// The strip of the running till: always in view.
fn till_strip<'a>(language: Language, till: &Till) -> Element<'a, Message> {
    let mut facts = row![].spacing(16).align_y(Alignment::Center);
    match (&till.shift, &till.load) {
        (Some(shift), _) => {
            facts = facts.push(
                text(texts::business_date(language, &shift.business_date))
                    .size(14)
                    .style(theme::text::section),
            );
            let (label, tone) = texts::shift_status(language, &shift.status);
            facts = facts.push(widget::badge(label, tone));
            for channel in &shift.channels {
                facts = facts.push(text(texts::channel_total(language, channel)).size(13));
            }
            if shift.gas_sales > 0 {
                facts = facts.push(text(texts::gas_sales(language, shift)).size(13));
            }
            facts = facts.push(text(texts::net(language, &shift.net)).size(14));
            facts = facts.push(
                text(texts::expected_cash(language, &shift.expected_cash))
                    .size(14)
                    .style(theme::text::section),
            );
        }
        (None, Load::Failed(_)) => {
            facts = facts.push(
                text(tr(language, Key::TillFailed))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        (None, _) => {
            facts = facts.push(
                text(tr(language, Key::Loading))
                    .size(13)
                    .style(theme::text::muted),
            );
        }
    }
    let label = |key: Key| {
        text(tr(language, key))
            .size(13)
            .wrapping(text::Wrapping::None)
    };
    let buttons = row![
        button(label(Key::RefreshTill))
            .padding([4, 10])
            .style(theme::button::secondary)
            .on_press_maybe((till.load != Load::Loading).then_some(Message::RefreshTill)),
        button(label(Key::CloseShiftButton))
            .padding([4, 12])
            .style(theme::button::danger)
            .on_press_maybe(till.is_open().then_some(Message::StartClose)),
    ]
    .spacing(6);
    container(
        row![
            text(tr(language, Key::TillTitle))
                .size(13)
                .style(theme::text::label),
            facts.wrap(),
            iced::widget::space::horizontal(),
            buttons
        ]
        .spacing(14)
        .align_y(Alignment::Center),
    )
    .padding([8, 12])
    .width(Length::Fill)
    .style(theme::container::summary)
    .into()
}

/// The account at a glance.
fn account_view<'a>(
    language: Language,
    account: &'a pb::CounterAccount,
    can_refund: bool,
) -> Element<'a, Message> {
    let (status, tone) = texts::account_status(language, &account.status);
    let title = row![
        text(account.account_no.clone())
            .size(20)
            .style(theme::text::section),
        text(account.customer_name.clone()).size(18),
        widget::badge(status, tone),
    ]
    .spacing(12)
    .align_y(Alignment::Center);
    let mut lines = column![
        title,
        text(account.address.clone()).size(14),
        text(texts::meter_line(language, account))
            .size(13)
            .style(theme::text::muted),
    ]
    .spacing(6);

    if account.open_bills.is_empty() {
        lines = lines.push(
            text(tr(language, Key::NoOpenBills))
                .size(14)
                .style(theme::text::muted),
        );
    } else {
        let columns = [
            TableColumn::new(tr(language, Key::Period), Length::FillPortion(7)),
            TableColumn::new(tr(language, Key::DueOn), Length::FillPortion(9)),
            TableColumn::new(tr(language, Key::Amount), Length::FillPortion(8)),
            TableColumn::new(tr(language, Key::Unpaid), Length::FillPortion(8)),
            TableColumn::new(tr(language, Key::LateFee), Length::FillPortion(7)),
            TableColumn::new(tr(language, Key::Readings), Length::FillPortion(12)),
            TableColumn::new(tr(language, Key::Volume), Length::FillPortion(8)),
        ];
        let rows = account.open_bills.iter().map(|bill| {
            let mut volume = row![widget::cell(texts::quantity(&bill.volume))]
                .spacing(4)
                .align_y(Alignment::Center);
            if bill.estimated {
                volume = volume.push(widget::badge(
                    tr(language, Key::EstimatedMark),
                    Tone::Caution,
                ));
            }
            TableRow::new(vec![
                widget::cell(bill.period.clone()),
                widget::cell(bill.due_on.clone()),
                widget::cell(money(&bill.amount)),
                widget::cell(money(&bill.unpaid)),
                widget::cell(money(&bill.late_fee)),
                widget::cell(texts::readings(
                    &bill.previous_reading,
                    &bill.current_reading,
                )),
                volume.into(),
            ])
        });
        lines = lines.push(widget::table(&columns, rows));
    }

    let amount = |label: Key, value: &str| -> Element<'a, Message> {
        column![
            text(tr(language, label)).size(12).style(theme::text::label),
            text(money(value)).size(15),
        ]
        .spacing(2)
        .into()
    };
    let prepayment = wire_money(&account.prepayment);
    let mut totals = row![
        amount(Key::LegacyArrears, &account.legacy_arrears),
        amount(Key::Arrears, &account.arrears),
        amount(Key::LateFees, &account.late_fees),
        column![
            text(tr(language, Key::TotalDue))
                .size(12)
                .style(theme::text::label),
            text(money(&account.total_due)).size(22).style(
                if wire_money(&account.total_due) > Money::ZERO {
                    theme::text::error
                } else {
                    theme::text::success
                }
            ),
        ]
        .spacing(2),
        amount(Key::Prepayment, &account.prepayment),
    ]
    .spacing(22)
    .align_y(Alignment::End);
    if prepayment > Money::ZERO {
        totals = totals.push(
            button(text(tr(language, Key::RefundButton)).size(13))
                .padding([4, 10])
                .style(theme::button::secondary)
                .on_press_maybe(can_refund.then_some(Message::StartRefund)),
        );
    }
    lines = lines.push(
        container(totals)
            .padding([8, 12])
            .width(Length::Fill)
            .style(theme::container::summary),
    );
    if !account.last_readings.is_empty() {
        lines = lines.push(
            text(texts::last_readings(language, &account.last_readings))
                .size(13)
                .style(theme::text::muted),
        );
    }
    card(lines.into())
}

/// The payment form.
fn payment_view<'a>(
    language: Language,
    form: &'a PaymentForm,
    till: &Till,
) -> Element<'a, Message> {
    let editable = form.is_editable() && !till.is_closed();
    let problems = form.problems();
    let show = |problem: Option<super::payment::Problem>| problem.filter(|_| form.attempted);

    let channels = row(Channel::ALL.into_iter().map(|channel| {
        let selected = channel == form.channel;
        button(
            column![
                text(texts::channel_label(language, channel)).size(15),
                text(channel.key_label()).size(11),
            ]
            .width(Length::Fill)
            .align_x(Alignment::Center),
        )
        .padding([5, 10])
        .width(Length::Fill)
        .style(theme::button::segment(selected))
        .on_press_maybe(editable.then_some(Message::ChooseChannel(channel)))
        .into()
    }))
    .spacing(6);

    let field = |label: Key,
                 id: &'static str,
                 value: &'a str,
                 problem: Option<super::payment::Problem>,
                 on_input: fn(String) -> Message,
                 on_submit: Message|
     -> Element<'a, Message> {
        let mut lines = column![
            text(tr(language, label)).size(13).style(theme::text::label),
            text_input("", value)
                .id(id)
                .padding([7, 10])
                .size(18)
                .style(if problem.is_some() {
                    theme::text_input::invalid
                } else {
                    theme::text_input::field
                })
                .on_input_maybe(editable.then_some(on_input))
                .on_submit_maybe(editable.then_some(on_submit)),
        ]
        .spacing(3);
        if let Some(problem) = problem {
            lines = lines.push(
                text(texts::payment_problem(language, problem))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        lines.into()
    };

    let mut lines = column![
        text(tr(language, Key::TakePaymentTitle))
            .size(16)
            .style(theme::text::section),
        channels,
        field(
            Key::AmountLabel,
            AMOUNT_INPUT,
            &form.amount,
            show(problems.amount),
            Message::AmountChanged,
            Message::AmountEntered,
        ),
    ]
    .spacing(10);
    if let Some(surplus) = form.surplus() {
        lines = lines.push(
            text(texts::surplus(language, surplus))
                .size(13)
                .style(theme::text::muted),
        );
    }
    match form.channel {
        Channel::Cash => {
            lines = lines.push(field(
                Key::TenderedLabel,
                TENDERED_INPUT,
                &form.tendered,
                show(problems.tendered).or(problems
                    .tendered
                    .filter(|_| !form.tendered.trim().is_empty())),
                Message::TenderedChanged,
                Message::Post,
            ));
            lines = lines.push(
                row![
                    text(tr(language, Key::ChangeLabel))
                        .size(14)
                        .style(theme::text::label),
                    text(match form.change() {
                        Some(change) => money(&change.to_string()),
                        None => tr(language, Key::NoChange).to_owned(),
                    })
                    .size(24)
                    .style(theme::text::section),
                ]
                .spacing(10)
                .align_y(Alignment::Center),
            );
        }
        Channel::BankCard => {
            lines = lines.push(field(
                Key::ReferenceLabel,
                REFERENCE_INPUT,
                &form.reference,
                show(problems.reference),
                Message::ReferenceChanged,
                Message::Post,
            ));
        }
        Channel::WeChat | Channel::Alipay => {
            lines = lines.push(field(
                Key::PaymentCodeLabel,
                PAYMENT_CODE_INPUT,
                &form.payment_code,
                show(problems.payment_code),
                Message::PaymentCodeChanged,
                Message::Post,
            ));
            lines = lines.push(
                text(tr(language, Key::PaymentCodeHint))
                    .size(12)
                    .style(theme::text::muted),
            );
        }
    }

    if till.is_closed() {
        lines = lines.push(
            container(text(tr(language, Key::ShiftClosedNoPosting)).size(14))
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::error_box),
        );
    }

    let sending = matches!(form.attempt, Attempt::Sending { .. });
    lines = lines.push(
        button(
            text(tr(
                language,
                if sending {
                    Key::Posting
                } else {
                    Key::PostButton
                },
            ))
            .size(16),
        )
        .padding([9, 18])
        .width(Length::Fill)
        .style(theme::button::primary)
        .on_press_maybe(editable.then_some(Message::Post)),
    );

    match &form.attempt {
        Attempt::Editing { problem, declined } => {
            if let Some(detail) = declined {
                lines = lines.push(
                    container(text(texts::declined(language, detail)).size(14))
                        .padding([8, 12])
                        .width(Length::Fill)
                        .style(theme::container::error_box),
                );
            }
            if let Some(problem) = problem {
                lines = lines.push(problem_box(language, problem));
            }
        }
        Attempt::Sending { resend, .. } => {
            if *resend {
                lines = lines.push(
                    text(tr(language, Key::Resending))
                        .size(13)
                        .style(theme::text::muted),
                );
            }
        }
        Attempt::Unconfirmed { error, .. } => {
            let detail = crate::i18n::error_text(language, error);
            lines = lines.push(
                container(
                    column![
                        text(tr(language, Key::Unconfirmed)).size(16),
                        text(tr(language, Key::UnconfirmedAdvice)).size(13),
                        text(detail.headline).size(12).style(theme::text::muted),
                        row![
                            button(text(tr(language, Key::RetryButton)).size(14))
                                .padding([6, 16])
                                .style(theme::button::primary)
                                .on_press(Message::Retry),
                            button(text(tr(language, Key::AbandonButton)).size(13))
                                .padding([6, 12])
                                .style(theme::button::secondary)
                                .on_press(Message::Abandon),
                        ]
                        .spacing(8),
                    ]
                    .spacing(6),
                )
                .padding([10, 12])
                .width(Length::Fill)
                .style(theme::container::warning_box),
            );
        }
        Attempt::Pending { payment, .. } => {
            lines = lines.push(
                container(
                    column![
                        text(tr(language, Key::Pending)).size(15),
                        text(texts::payment_no(language, &payment.payment_no)).size(13),
                        button(text(tr(language, Key::AskAgainButton)).size(14))
                            .padding([6, 16])
                            .style(theme::button::primary)
                            .on_press(Message::Retry),
                    ]
                    .spacing(6),
                )
                .padding([10, 12])
                .width(Length::Fill)
                .style(theme::container::warning_box),
            );
        }
        Attempt::Unknown { payment } => {
            let mut unknown = column![
                text(tr(language, Key::UnknownOutcome)).size(16),
                text(texts::payment_no(language, &payment.payment_no)).size(13),
                text(tr(language, Key::UnknownAdvice)).size(13),
                text(tr(language, Key::NextCustomerHint))
                    .size(12)
                    .style(theme::text::muted),
            ]
            .spacing(6);
            if !payment.status_detail.is_empty() {
                unknown = unknown.push(
                    text(payment.status_detail.clone())
                        .size(12)
                        .style(theme::text::muted),
                );
            }
            lines = lines.push(
                container(unknown)
                    .padding([10, 12])
                    .width(Length::Fill)
                    .style(theme::container::warning_box),
            );
        }
    }
    card(lines.into())
}

fn dialog_view<'a>(language: Language, dialog: &'a Dialog) -> Element<'a, Message> {
    let enabled = !dialog.submitting;
    let input = |id: &'static str, value: &'a str, field: Field| {
        let invalid = dialog.problem_of(field).is_some();
        text_input("", value)
            .id(id)
            .padding([6, 8])
            .size(14)
            .style(if invalid {
                theme::text_input::invalid
            } else {
                theme::text_input::field
            })
            .on_input_maybe(enabled.then_some(move |v| Message::DialogField(field, v)))
            .on_submit_maybe(enabled.then_some(Message::ConfirmDialog))
    };
    let labelled = |label: Key, field: Element<'a, Message>, problem: Option<dialogs::Problem>| {
        let mut lines = column![
            text(tr(language, label)).size(13).style(theme::text::label),
            field
        ]
        .spacing(3);
        if let Some(problem) = problem {
            lines = lines.push(
                text(texts::dialog_problem(language, problem))
                    .size(13)
                    .style(theme::text::error),
            );
        }
        lines
    };

    let (title, confirm) = match &dialog.kind {
        Kind::Void { .. } => (Key::VoidTitle, Key::VoidConfirm),
        Kind::Refund { .. } => (Key::RefundTitle, Key::RefundConfirm),
        Kind::Close { .. } => (Key::CloseTitle, Key::CloseConfirm),
        Kind::Reissue { .. } => (Key::ReissueTitle, Key::ReissueConfirm),
    };
    let mut content = column![text(tr(language, title)).size(theme::TEXT_TITLE - 2.0)].spacing(12);
    match &dialog.kind {
        Kind::Void { payment } => {
            content = content.push(
                container(text(texts::void_facts(language, payment)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::summary),
            );
            content = content.push(labelled(
                Key::ReasonLabel,
                input(dialogs::REASON_INPUT, &dialog.reason, Field::Reason).into(),
                dialog.problem_of(Field::Reason),
            ));
        }
        Kind::Reissue { card_no, .. } => {
            content = content.push(
                container(text(texts::reissue_facts(language, card_no)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::summary),
            );
            content = content.push(labelled(
                Key::ReasonLabel,
                input(dialogs::REASON_INPUT, &dialog.reason, Field::Reason).into(),
                dialog.problem_of(Field::Reason),
            ));
        }
        Kind::Refund {
            account_no,
            prepayment,
            ..
        } => {
            content = content.push(
                container(text(texts::refund_facts(language, account_no, *prepayment)).size(14))
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::summary),
            );
            content = content.push(labelled(
                Key::RefundAmountLabel,
                input(dialogs::AMOUNT_INPUT, &dialog.amount, Field::Amount).into(),
                dialog.problem_of(Field::Amount),
            ));
            content = content.push(labelled(
                Key::ReasonLabel,
                input(dialogs::REASON_INPUT, &dialog.reason, Field::Reason).into(),
                dialog.problem_of(Field::Reason),
            ));
        }
        Kind::Close { shift } => {
            let mut till =
                column![text(texts::business_date(language, &shift.business_date)).size(14),]
                    .spacing(4);
            for channel in &shift.channels {
                till = till.push(text(texts::channel_total(language, channel)).size(14));
            }
            till = till.push(text(texts::close_till_totals(language, shift)).size(14));
            till = till.push(
                text(texts::expected_cash(language, &shift.expected_cash))
                    .size(16)
                    .style(theme::text::section),
            );
            content = content.push(
                container(till)
                    .padding([8, 12])
                    .width(Length::Fill)
                    .style(theme::container::summary),
            );
            content = content.push(labelled(
                Key::CountedLabel,
                input(dialogs::COUNTED_INPUT, &dialog.counted, Field::Counted).into(),
                dialog.problem_of(Field::Counted),
            ));
            if let Some(difference) = dialog.difference() {
                content = content.push(
                    text(texts::difference(language, difference))
                        .size(16)
                        .style(if difference == Money::ZERO {
                            theme::text::success
                        } else {
                            theme::text::error
                        }),
                );
            }
            let differs = dialog.difference().is_some_and(|d| d != Money::ZERO);
            content = content.push(labelled(
                if differs {
                    Key::NoteRequiredLabel
                } else {
                    Key::NoteLabel
                },
                input(dialogs::NOTE_INPUT, &dialog.note, Field::Note).into(),
                dialog.problem_of(Field::Note),
            ));
        }
    }

    content = content.push(
        text(tr(language, Key::ApprovalExplained))
            .size(13)
            .style(theme::text::muted),
    );
    content = content.push(
        row![
            labelled(
                Key::SupervisorUsername,
                input(dialogs::USERNAME_INPUT, &dialog.username, Field::Username).into(),
                None,
            )
            .width(Length::Fill),
            labelled(
                Key::SupervisorPassword,
                text_input("", dialog.password.expose())
                    .id(dialogs::PASSWORD_INPUT)
                    .secure(true)
                    .padding([6, 8])
                    .size(14)
                    .style(theme::text_input::field)
                    .on_input_maybe(enabled.then_some(|v: String| {
                        Message::DialogPassword(crate::secret::Secret::from(v))
                    }))
                    .on_submit_maybe(enabled.then_some(Message::ConfirmDialog))
                    .into(),
                None,
            )
            .width(Length::Fill),
        ]
        .spacing(10),
    );
    if let Some(problem) = dialog.problem_of(Field::Username) {
        content = content.push(
            text(texts::dialog_problem(language, problem))
                .size(13)
                .style(theme::text::error),
        );
    }
    match &dialog.problem {
        Some(crate::api::ApiError::InvalidField { field, message })
            if field.starts_with("approval.") =>
        {
            content = content.push(
                container(
                    column![
                        text(texts::approval_refused(language, field))
                            .size(14)
                            .style(theme::text::error),
                        text(message.clone()).size(12).style(theme::text::muted),
                    ]
                    .spacing(3),
                )
                .padding([8, 12])
                .width(Length::Fill)
                .style(theme::container::error_box),
            );
        }
        Some(problem) => content = content.push(problem_box(language, problem)),
        None => {}
    }
    content = content.push(
        row![
            iced::widget::space::horizontal(),
            button(text(tr(language, Key::Cancel)))
                .padding([7, 18])
                .style(theme::button::secondary)
                .on_press_maybe(enabled.then_some(Message::CloseDialog)),
            button(text(tr(
                language,
                if dialog.submitting {
                    Key::Submitting
                } else {
                    confirm
                }
            )))
            .padding([7, 18])
            .style(if matches!(dialog.kind, Kind::Close { .. }) {
                theme::button::primary
            } else {
                theme::button::danger
            })
            .on_press_maybe(enabled.then_some(Message::ConfirmDialog)),
        ]
        .spacing(10),
    );
    container(content)
        .padding(24)
        .width(500)
        .style(theme::container::dialog)
        .into()
}

/// A white card filling the width.
fn card(content: Element<'_, Message>) -> Element<'_, Message> {
    container(content)
        .padding(14)
        .width(Length::Fill)
        .style(theme::container::card)
        .into()
}

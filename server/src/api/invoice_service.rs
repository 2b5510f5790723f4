//! gascis.v1.InvoiceService: proto in, domain (`crate::invoices`), proto
//! out. The platform is called here, between the domain's transactions.

use std::{sync::Arc, time::Duration};

use chrono::NaiveDate;
use gascis_common::{
    Money,
    proto::v1::{self as pb, invoice_service_server::InvoiceService},
    upper_numerals::money_in_upper,
};
use tonic::{Request, Response, Status};

use super::{SharedState, with_connection};
use crate::{
    auth::{
        Caller,
        audit::{self, NewAuditEvent},
    },
    error::{Error, Result},
    invoices::{
        self, Buyer, FormRow, InvoiceKind, InvoiceView, Search, Seller,
        issue::{self, Basis, Begun, Clerk, IssueInput, Settlement},
        platform::{InvoicePlatform, IssueOutcome, IssueRequest, PlatformError, QueryOutcome},
        red::{self, Prepare, RedRequest, ReversalLine},
    },
};

pub struct InvoiceApi {
    pub state: SharedState,
    pub platform: Arc<dyn InvoicePlatform>,
}

fn buyer_from_wire(buyer: Option<pb::InvoiceBuyer>) -> Buyer {
    let buyer = buyer.unwrap_or_default();
    Buyer {
        title: buyer.title,
        tax_id: buyer.tax_id,
        address_phone: buyer.address_phone,
        bank_account: buyer.bank_account,
        email: buyer.email,
    }
}

fn form_to_wire(form: &FormRow, invoice_no: &str) -> pb::RedConfirmation {
    pb::RedConfirmation {
        form_no: form.form_no.clone(),
        invoice_no: invoice_no.to_owned(),
        initiator: form.initiator.clone(),
        full_reversal: form.full_reversal,
        reason: form.reason.clone(),
        amount: form.amount.to_string(),
        status: form.status.clone(),
        red_invoice_no: form.red_invoice_no.clone(),
        created_by: form.created_by.clone(),
        created_at: form.created_at.to_rfc3339(),
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn invoice_to_wire(view: &InvoiceView) -> pb::Invoice {
    let row = &view.invoice;
    let original_no = if row.colour == "red" {
        row.original_invoice_no.clone()
    } else {
        row.invoice_no.clone().unwrap_or_default()
    };
    pb::Invoice {
        request_no: row.request_no.clone(),
        invoice_code: row.invoice_code.clone(),
        invoice_no: row.invoice_no.clone().unwrap_or_default(),
        kind: row.kind.clone(),
        colour: row.colour.clone(),
        basis: row.basis.clone(),
        status: row.shown_status.clone(),
        status_detail: row.status_detail.clone(),
        buyer: Some(pb::InvoiceBuyer {
            title: row.buyer_title.clone(),
            tax_id: row.buyer_tax_id.clone(),
            address_phone: row.buyer_address_phone.clone(),
            bank_account: row.buyer_bank_account.clone(),
            email: row.buyer_email.clone(),
        }),
        seller_name: row.seller_name.clone(),
        seller_tax_id: row.seller_tax_id.clone(),
        total_amount: row.total_amount.to_string(),
        total_net: row.total_net.to_string(),
        total_tax: row.total_tax.to_string(),
        amount_in_words: Money::try_from_decimal(row.total_amount)
            .map(money_in_upper)
            .unwrap_or_default(),
        remark: row.remark.clone(),
        issued_on: text(row.issued_on),
        issuer: row.issuer.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at.to_rfc3339(),
        original_invoice_no: row.original_invoice_no.clone(),
        form_no: row.form_no.clone(),
        reversed_amount: row.reversed_amount.to_string(),
        sources: view.sources.clone(),
        account_nos: view.account_nos.clone(),
        lines: view
            .lines
            .iter()
            .map(|line| pb::InvoiceLine {
                line_no: i32::from(line.line_no),
                source: line.source.clone(),
                item_name: line.item_name.clone(),
                specification: line.specification.clone(),
                unit: line.unit.clone(),
                quantity: text(line.quantity),
                unit_price: text(line.unit_price),
                amount: line.amount.to_string(),
                tax_rate: line.tax_rate.normalize().to_string(),
                tax_treatment: line.tax_treatment.clone(),
                net: line.net.to_string(),
                tax: line.tax.to_string(),
                original_line_no: line.original_line_no.map_or(0, i32::from),
                bill_id: line.bill_id.unwrap_or(0),
            })
            .collect(),
        forms: view
            .forms
            .iter()
            .map(|form| form_to_wire(form, &original_no))
            .collect(),
        events: view
            .events
            .iter()
            .map(|event| pb::InvoiceEvent {
                form_no: event.form_no.clone(),
                from_status: event.from_status.clone(),
                to_status: event.to_status.clone(),
                side: event.side.clone(),
                actor: event.actor.clone(),
                detail: event.detail.clone(),
                at: event.at.to_rfc3339(),
            })
            .collect(),
    }
}

fn audit_event(
    connection: &mut diesel::PgConnection,
    caller: &Caller,
    kind: &str,
    rpc: &str,
    detail: &str,
) -> Result<()> {
    audit::record(
        connection,
        NewAuditEvent {
            kind,
            username: &caller.username,
            user_id: Some(caller.user_id),
            rpc,
            detail,
            peer: &caller.peer,
        },
    )
}

fn platform_error(error: PlatformError) -> Error {
    match error {
        PlatformError::Refused(message) => Error::Refused(message),
        PlatformError::Unavailable(message) => Error::Refused(format!(
            "the invoicing platform did not answer ({message}); nothing was recorded, try again \
             with the same idempotency key"
        )),
    }
}

fn date(value: &str, field: &str) -> Result<Option<NaiveDate>> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| Error::invalid(field, format!("'{value}' is not a date like 2026-12-07")))
}

impl InvoiceApi {
    fn timeout(&self) -> Duration {
        Duration::from_millis(self.state.config.invoices.platform_timeout_ms)
    }

    fn seller(&self) -> Seller {
        Seller::from_config(
            &self.state.config.server.company_name,
            &self.state.config.invoices,
        )
    }

    /// Asks the platform to issue (blue or red) and records its answer.
    async fn ask(
        &self,
        caller: &Caller,
        invoice_id: i64,
        request: IssueRequest,
        rpc: &'static str,
    ) -> Result<InvoiceView> {
        let timeout = self.timeout();
        let outcome = invoices::call_platform(
            Arc::clone(&self.platform),
            timeout,
            move |platform| {
                if request.red.is_some() {
                    platform.issue_red(&request)
                } else {
                    platform.issue(&request)
                }
            },
            IssueOutcome::Unknown {
                detail: format!("no answer within {} ms", timeout.as_millis()),
            },
        )
        .await;
        self.record(caller, invoice_id, Settlement::from(outcome), rpc)
            .await
    }

    async fn record(
        &self,
        caller: &Caller,
        invoice_id: i64,
        settlement: Settlement,
        rpc: &'static str,
    ) -> Result<InvoiceView> {
        let caller = caller.clone();
        with_connection(&self.state, move |connection| {
            let view = issue::settle(connection, invoice_id, &settlement, &caller.username)?;
            let row = &view.invoice;
            audit_event(
                connection,
                &caller,
                if row.colour == "red" {
                    "red_invoice_issued"
                } else {
                    "invoice_issued"
                },
                rpc,
                &format!(
                    "{} {} {} {}",
                    row.request_no,
                    row.status,
                    row.invoice_no.clone().unwrap_or_default(),
                    row.total_amount
                ),
            )?;
            Ok(view)
        })
        .await
    }

    /// Settles an invoice whose outcome is open: a pending one is asked
    /// again (the platform issues a request number at most once), an
    /// unknown one is queried.
    async fn resolve(
        &self,
        caller: &Caller,
        view: InvoiceView,
        rpc: &'static str,
    ) -> Result<InvoiceView> {
        let id = view.invoice.id;
        match view.invoice.status.as_str() {
            "pending" => {
                let request = with_connection(&self.state, move |connection| {
                    issue::platform_request(connection, id)
                })
                .await?;
                self.ask(caller, id, request, rpc).await
            }
            "unknown" => {
                let request_no = view.invoice.request_no.clone();
                let timeout = self.timeout();
                let answer = invoices::call_platform(
                    Arc::clone(&self.platform),
                    timeout,
                    move |platform| platform.query(&request_no),
                    QueryOutcome::Unknown {
                        detail: format!("no answer within {} ms", timeout.as_millis()),
                    },
                )
                .await;
                self.record(caller, id, Settlement::from(answer), rpc).await
            }
            _ => Ok(view),
        }
    }
}

#[tonic::async_trait]
impl InvoiceService for InvoiceApi {
    async fn issue_invoice(
        &self,
        request: Request<pb::IssueInvoiceRequest>,
    ) -> std::result::Result<Response<pb::Invoice>, Status> {
        const RPC: &str = "/gascis.v1.InvoiceService/IssueInvoice";
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let kind = InvoiceKind::parse(&input.kind)?;
        let basis = match (input.payment_nos.is_empty(), input.bill_ids.is_empty()) {
            (false, true) => Basis::Payments(input.payment_nos),
            (true, false) => Basis::Bills(input.bill_ids),
            _ => {
                return Err(Error::invalid(
                    "payment_nos",
                    "give either payment_nos or bill_ids (one invoice is for payments or for bills)",
                )
                .into());
            }
        };
        let input = IssueInput {
            idempotency_key: input.idempotency_key,
            kind,
            basis,
            buyer: buyer_from_wire(input.buyer),
            remark: input.remark,
        };
        let clerk = Clerk {
            username: caller.username.clone(),
            display_name: caller.display_name.clone(),
        };
        let seller = self.seller();
        let begun = with_connection(&self.state, move |connection| {
            issue::begin(connection, &seller, &clerk, &input)
        })
        .await?;
        let view = match begun {
            Begun::Existing(view) => self.resolve(&caller, *view, RPC).await?,
            Begun::Ask {
                invoice_id,
                request,
            } => self.ask(&caller, invoice_id, *request, RPC).await?,
        };
        Ok(Response::new(invoice_to_wire(&view)))
    }

    async fn get_invoice(
        &self,
        request: Request<pb::GetInvoiceRequest>,
    ) -> std::result::Result<Response<pb::Invoice>, Status> {
        let number = request.into_inner().invoice_no;
        let view = with_connection(&self.state, move |connection| {
            invoices::by_number(connection, &number)
        })
        .await?;
        Ok(Response::new(invoice_to_wire(&view)))
    }

    async fn list_invoices(
        &self,
        request: Request<pb::ListInvoicesRequest>,
    ) -> std::result::Result<Response<pb::ListInvoicesResponse>, Status> {
        let input = request.into_inner();
        let limit = match input.page_size {
            0 => 50,
            n if (1..=500).contains(&n) => i64::from(n),
            n => {
                return Err(
                    Error::invalid("page_size", format!("{n} is not within 1..500")).into(),
                );
            }
        };
        if input.page_token < 0 {
            return Err(Error::invalid("page_token", "is not a token this server gave").into());
        }
        let search = Search {
            invoice_no: input.invoice_no,
            account_no: input.account_no,
            buyer_title: input.buyer_title,
            from: date(&input.date_from, "date_from")?,
            to: date(&input.date_to, "date_to")?,
            status: input.status.trim().to_owned(),
            kind: input.kind.trim().to_owned(),
            before_id: input.page_token,
            limit,
        };
        let (views, next) = with_connection(&self.state, move |connection| {
            invoices::search(connection, &search)
        })
        .await?;
        Ok(Response::new(pb::ListInvoicesResponse {
            invoices: views.iter().map(invoice_to_wire).collect(),
            next_page_token: next,
        }))
    }

    async fn resolve_invoice(
        &self,
        request: Request<pb::ResolveInvoiceRequest>,
    ) -> std::result::Result<Response<pb::Invoice>, Status> {
        let caller = Caller::of(&request)?.clone();
        let number = request.into_inner().invoice_no;
        let view = with_connection(&self.state, move |connection| {
            invoices::by_number(connection, &number)
        })
        .await?;
        let view = self
            .resolve(&caller, view, "/gascis.v1.InvoiceService/ResolveInvoice")
            .await?;
        Ok(Response::new(invoice_to_wire(&view)))
    }

    async fn request_red_confirmation(
        &self,
        request: Request<pb::RequestRedConfirmationRequest>,
    ) -> std::result::Result<Response<pb::RedConfirmation>, Status> {
        const RPC: &str = "/gascis.v1.InvoiceService/RequestRedConfirmation";
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let timeout = self.timeout();
        let form = if input.buyer_form_no.trim().is_empty() {
            let mut lines = Vec::new();
            for (index, line) in input.lines.iter().enumerate() {
                let amount = line.amount.trim().parse::<Money>().map_err(|error| {
                    Error::invalid(
                        format!("lines[{index}].amount"),
                        format!("'{}': {error}", line.amount.trim()),
                    )
                })?;
                let line_no = i16::try_from(line.line_no).map_err(|_| {
                    Error::invalid(format!("lines[{index}].line_no"), "is out of range")
                })?;
                lines.push(ReversalLine { line_no, amount });
            }
            let red_request = RedRequest {
                idempotency_key: input.idempotency_key,
                invoice_no: input.invoice_no,
                lines,
                reason: input.reason,
            };
            let prepared = with_connection(&self.state, move |connection| {
                red::prepare(connection, &red_request)
            })
            .await?;
            match prepared {
                Prepare::Existing(form) => *form,
                Prepare::New(prepared) => {
                    let form_request = prepared.form_request.clone();
                    let answer = invoices::call_platform(
                        Arc::clone(&self.platform),
                        timeout,
                        move |platform| platform.request_red_confirmation(&form_request),
                        Err(PlatformError::Unavailable(format!(
                            "no answer within {} ms",
                            timeout.as_millis()
                        ))),
                    )
                    .await
                    .map_err(platform_error)?;
                    let caller = caller.clone();
                    with_connection(&self.state, move |connection| {
                        let form = red::record_seller_form(
                            connection,
                            &prepared,
                            &answer,
                            &caller.username,
                        )?;
                        audit_event(
                            connection,
                            &caller,
                            "red_confirmation_requested",
                            RPC,
                            &format!("{} {} {}", form.form_no, form.status, form.amount),
                        )?;
                        Ok(form)
                    })
                    .await?
                }
            }
        } else {
            let form_no = input.buyer_form_no.trim().to_owned();
            let answer = invoices::call_platform(
                Arc::clone(&self.platform),
                timeout,
                move |platform| platform.red_confirmation(&form_no),
                Err(PlatformError::Unavailable(format!(
                    "no answer within {} ms",
                    timeout.as_millis()
                ))),
            )
            .await
            .map_err(platform_error)?;
            if !input.invoice_no.trim().is_empty()
                && input.invoice_no.trim() != answer.original_invoice_no
            {
                return Err(Error::invalid(
                    "invoice_no",
                    format!(
                        "form {} reverses invoice {}, not {}",
                        answer.form_no,
                        answer.original_invoice_no,
                        input.invoice_no.trim()
                    ),
                )
                .into());
            }
            let caller = caller.clone();
            with_connection(&self.state, move |connection| {
                let form = red::record_buyer_form(
                    connection,
                    &answer,
                    &input.idempotency_key,
                    &input.reason,
                    &caller.username,
                )?;
                audit_event(
                    connection,
                    &caller,
                    "red_confirmation_recorded",
                    RPC,
                    &format!("{} {} {}", form.form_no, form.status, form.amount),
                )?;
                Ok(form)
            })
            .await?
        };
        let invoice_no = with_connection(&self.state, {
            let id = form.invoice_id;
            move |connection| invoices::load(connection, id)
        })
        .await?
        .invoice
        .invoice_no
        .unwrap_or_default();
        Ok(Response::new(form_to_wire(&form, &invoice_no)))
    }

    async fn confirm_red_confirmation(
        &self,
        request: Request<pb::ConfirmRedConfirmationRequest>,
    ) -> std::result::Result<Response<pb::RedConfirmation>, Status> {
        const RPC: &str = "/gascis.v1.InvoiceService/ConfirmRedConfirmation";
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let form_no = input.form_no.trim().to_owned();
        let checked = form_no.clone();
        with_connection(&self.state, move |connection| {
            red::check_awaits_seller(connection, &checked)
        })
        .await?;
        let timeout = self.timeout();
        let accept = input.accept;
        let answer = invoices::call_platform(
            Arc::clone(&self.platform),
            timeout,
            move |platform| platform.confirm_red_confirmation(&form_no, accept),
            Err(PlatformError::Unavailable(format!(
                "no answer within {} ms",
                timeout.as_millis()
            ))),
        )
        .await
        .map_err(platform_error)?;
        let (form, invoice_no) = with_connection(&self.state, move |connection| {
            let form = red::record_answer(connection, &answer, "seller", &caller.username)?;
            audit_event(
                connection,
                &caller,
                if accept {
                    "red_confirmation_confirmed"
                } else {
                    "red_confirmation_refused"
                },
                RPC,
                &format!("{} {}", form.form_no, form.status),
            )?;
            let invoice = invoices::load(connection, form.invoice_id)?;
            Ok((form, invoice.invoice.invoice_no.unwrap_or_default()))
        })
        .await?;
        Ok(Response::new(form_to_wire(&form, &invoice_no)))
    }

    async fn refresh_red_confirmation(
        &self,
        request: Request<pb::RefreshRedConfirmationRequest>,
    ) -> std::result::Result<Response<pb::RedConfirmation>, Status> {
        let caller = Caller::of(&request)?.clone();
        let form_no = request.into_inner().form_no.trim().to_owned();
        let known = form_no.clone();
        with_connection(&self.state, move |connection| red::form(connection, &known)).await?;
        let timeout = self.timeout();
        let answer = invoices::call_platform(
            Arc::clone(&self.platform),
            timeout,
            move |platform| platform.red_confirmation(&form_no),
            Err(PlatformError::Unavailable(format!(
                "no answer within {} ms",
                timeout.as_millis()
            ))),
        )
        .await
        .map_err(platform_error)?;
        let (form, invoice_no) = with_connection(&self.state, move |connection| {
            let before = red::form(connection, &answer.form_no)?;
            let form = red::record_answer(connection, &answer, "buyer", &caller.username)?;
            if form.status != before.status {
                audit_event(
                    connection,
                    &caller,
                    "red_confirmation_answered_by_buyer",
                    "/gascis.v1.InvoiceService/RefreshRedConfirmation",
                    &format!("{} {} -> {}", form.form_no, before.status, form.status),
                )?;
            }
            let invoice = invoices::load(connection, form.invoice_id)?;
            Ok((form, invoice.invoice.invoice_no.unwrap_or_default()))
        })
        .await?;
        Ok(Response::new(form_to_wire(&form, &invoice_no)))
    }

    async fn issue_red_invoice(
        &self,
        request: Request<pb::IssueRedInvoiceRequest>,
    ) -> std::result::Result<Response<pb::Invoice>, Status> {
        const RPC: &str = "/gascis.v1.InvoiceService/IssueRedInvoice";
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let clerk = Clerk {
            username: caller.username.clone(),
            display_name: caller.display_name.clone(),
        };
        let begun = with_connection(&self.state, move |connection| {
            red::begin_red(connection, &input.form_no, &input.idempotency_key, &clerk)
        })
        .await?;
        let view = match begun {
            Begun::Existing(view) => self.resolve(&caller, *view, RPC).await?,
            Begun::Ask {
                invoice_id,
                request,
            } => self.ask(&caller, invoice_id, *request, RPC).await?,
        };
        Ok(Response::new(invoice_to_wire(&view)))
    }

    async fn get_invoice_pdf(
        &self,
        request: Request<pb::GetInvoicePdfRequest>,
    ) -> std::result::Result<Response<pb::InvoicePdf>, Status> {
        let number = request.into_inner().invoice_no;
        let (file_name, pdf) = with_connection(&self.state, move |connection| {
            invoices::pdf(connection, &number)
        })
        .await?;
        Ok(Response::new(pb::InvoicePdf { file_name, pdf }))
    }
}

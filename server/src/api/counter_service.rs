//! gascis.v1.CounterService: proto in, domain (`crate::counter`), proto out.

use std::{sync::Arc, time::Duration};

use chrono::NaiveDate;
use gascis_common::{
    Money, Role,
    card::CardState,
    proto::v1::{self as pb, counter_service_server::CounterService},
    tariff::{PurchaseRequest, Volume},
};
use tonic::{Request, Response, Status};

use super::{SharedState, with_connection};
use crate::{
    archive,
    auth::{
        Caller,
        audit::{self, NewAuditEvent},
        session,
    },
    channels::{gateway::ChargeRequest, notification},
    counter::{
        self, account, card_sales,
        gateways::{self, Gateways},
        payments::{self, Begun, Listing, PaymentRequest, PaymentView, Poster},
        receipts, shifts,
        voids::{self, Approved},
    },
    error::{Error, Result},
    prepaid::ic_card,
};

pub struct CounterApi {
    pub state: SharedState,
    pub gateways: Arc<Gateways>,
}

fn money(value: &str, field: &str) -> Result<Money> {
    value
        .trim()
        .parse::<Money>()
        .map_err(|error| Error::invalid(field, format!("'{}': {error}", value.trim())))
}

fn optional_money(value: &str, field: &str) -> Result<Option<Money>> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        money(value, field).map(Some)
    }
}

fn day(value: &str, field: &str) -> Result<NaiveDate> {
    if value.trim().is_empty() {
        return Ok(archive::today());
    }
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, format!("'{value}' is not a date like 2026-11-25")))
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

pub fn payment_to_wire(view: &PaymentView) -> pb::Payment {
    let row = &view.payment;
    pb::Payment {
        payment_no: row.payment_no.clone(),
        kind: row.kind.clone(),
        account_id: row.account_id,
        account_no: row.account_no.clone(),
        channel: row.channel.clone(),
        amount: row.amount.to_string(),
        tendered: text(row.tendered),
        change: text(row.change_given),
        reference: row.reference.clone(),
        status: view.status().to_owned(),
        status_detail: match &row.void_reason {
            Some(reason) => reason.clone(),
            None => row.status_detail.clone(),
        },
        receipt_no: row.receipt_no.clone().unwrap_or_default(),
        allocations: view
            .allocations
            .iter()
            .map(|a| pb::Allocation {
                kind: a.kind.clone(),
                bill_id: a.bill_id.unwrap_or(0),
                period: a.period.clone(),
                amount: a.amount.to_string(),
            })
            .collect(),
        arrears_after: text(row.arrears_after),
        prepayment_after: text(row.prepayment_after),
        business_date: row.business_date.to_string(),
        cashier: row.created_by.clone(),
        created_at: row.created_at.to_rfc3339(),
        void_receipt_no: row.void_receipt_no.clone().unwrap_or_default(),
    }
}

/// A payment of the old system, brought over by a payments history import:
/// no number of ours, no allocations, no receipt of ours to reprint or void.
fn imported_payment_to_wire(row: &crate::import::payments::HistoryRow) -> pb::Payment {
    pb::Payment {
        kind: "payment".to_owned(),
        account_id: row.account_id,
        account_no: row.account_no.clone(),
        channel: row.channel.clone(),
        amount: row.amount.to_string(),
        reference: row.receipt_no.clone(),
        status: "imported".to_owned(),
        status_detail: format!(
            "历史导入 import #{} row {}{}",
            row.import_id,
            row.import_row,
            if row.receipt_no.is_empty() {
                String::new()
            } else {
                format!(", receipt {}", row.receipt_no)
            }
        ),
        business_date: row.paid_on.to_string(),
        cashier: row.cashier.clone(),
        created_at: row.created_at.to_rfc3339(),
        ..pb::Payment::default()
    }
}

fn shift_to_wire(
    shift: Option<&shifts::ShiftRow>,
    till: Option<&shifts::Till>,
    caller: &Caller,
) -> pb::Shift {
    let mut wire = pb::Shift {
        cashier: caller.username.clone(),
        cashier_name: caller.display_name.clone(),
        business_date: archive::today().to_string(),
        status: "none".to_owned(),
        received: Money::ZERO.to_string(),
        voided: Money::ZERO.to_string(),
        refunded: Money::ZERO.to_string(),
        net: Money::ZERO.to_string(),
        expected_cash: Money::ZERO.to_string(),
        gas_sold: Money::ZERO.to_string(),
        channels: counter::CHANNELS
            .iter()
            .map(|channel| pb::ChannelTotal {
                channel: (*channel).to_owned(),
                count: 0,
                amount: Money::ZERO.to_string(),
            })
            .collect(),
        ..Default::default()
    };
    if let Some(shift) = shift {
        wire.shift_id = shift.id;
        wire.cashier = shift.cashier.clone();
        wire.cashier_name = shift.cashier_name.clone();
        wire.business_date = shift.business_date.to_string();
        wire.status = shift.status.clone();
        wire.counted_cash = text(shift.counted_cash);
        wire.cash_difference = text(shift.cash_difference);
        wire.difference_note = shift.difference_note.clone();
        wire.supervisor = shift.supervisor.clone();
        wire.opened_at = shift.opened_at.to_rfc3339();
        wire.closed_at = text(shift.closed_at.map(|at| at.to_rfc3339()));
    }
    if let Some(till) = till {
        wire.channels = till
            .channels
            .iter()
            .map(|c| pb::ChannelTotal {
                channel: c.channel.clone(),
                count: c.count,
                amount: c.amount.to_string(),
            })
            .collect();
        wire.payments = till.payments;
        wire.received = till.received.to_string();
        wire.voids = till.voids;
        wire.voided = till.voided.to_string();
        wire.refunds = till.refunds;
        wire.refunded = till.refunded.to_string();
        wire.net = till.net.to_string();
        wire.expected_cash = till.expected_cash.to_string();
        wire.gas_sales = till.gas_sales;
        wire.gas_sold = till.gas_sold.to_string();
    }
    wire
}

fn actor(caller: &Caller) -> archive::Actor {
    archive::Actor {
        user_id: Some(caller.user_id),
        username: caller.username.clone(),
    }
}

fn card_from_wire(card: Option<pb::CardRead>) -> Result<CardState> {
    let card = card.ok_or_else(|| Error::invalid("card", "read the card first (F2)"))?;
    if card.card_no.trim().is_empty() {
        return Err(Error::invalid("card.card_no", "is required"));
    }
    let gas_on_card = if card.gas_on_card_m3.trim().is_empty() {
        Volume::ZERO
    } else {
        card.gas_on_card_m3
            .trim()
            .parse::<Volume>()
            .map_err(|error| {
                Error::invalid(
                    "card.gas_on_card_m3",
                    format!("'{}': {error}", card.gas_on_card_m3.trim()),
                )
            })?
    };
    Ok(CardState {
        card_no: card.card_no.trim().to_owned(),
        issue_count: card.issue_count,
        purchase_count: card.purchase_count,
        gas_on_card,
    })
}

fn gas_request(request: Option<pb::GasRequest>) -> Result<PurchaseRequest> {
    let request = request.unwrap_or_default();
    match (
        request.volume_m3.trim().is_empty(),
        request.amount.trim().is_empty(),
    ) {
        (false, true) => {
            let volume = request
                .volume_m3
                .trim()
                .parse::<Volume>()
                .map_err(|error| {
                    Error::invalid(
                        "request.volume_m3",
                        format!("'{}': {error}", request.volume_m3.trim()),
                    )
                })?;
            if volume.is_zero() {
                return Err(Error::invalid("request.volume_m3", "must be more than 0"));
            }
            Ok(PurchaseRequest::Volume(volume))
        }
        (true, false) => {
            let amount = money(&request.amount, "request.amount")?;
            if amount.is_negative() || amount == Money::ZERO {
                return Err(Error::invalid("request.amount", "must be more than 0.00"));
            }
            if amount.as_decimal() > rust_decimal::Decimal::from(payments::MAX_PAYMENT_YUAN) {
                return Err(Error::invalid(
                    "request.amount",
                    format!(
                        "{amount} is more than the counter takes at once ({}.00)",
                        payments::MAX_PAYMENT_YUAN
                    ),
                ));
            }
            Ok(PurchaseRequest::Amount(amount))
        }
        _ => Err(Error::invalid(
            "request.volume_m3",
            "give exactly one of volume_m3 or amount",
        )),
    }
}

fn gas_line(tier: Option<u32>, volume: String, unit_price: String, amount: String) -> pb::GasLine {
    pb::GasLine {
        tier: tier.unwrap_or(0),
        volume_m3: volume,
        unit_price,
        amount,
    }
}

fn sale_to_wire(sale: &card_sales::Sale) -> pb::GasPurchase {
    let row = &sale.row;
    pb::GasPurchase {
        purchase_id: row.id,
        account_id: row.account_id,
        account_no: row.account_no.clone(),
        card_no: row.card_no.clone(),
        purchase_seq: u32::try_from(row.purchase_seq).unwrap_or(0),
        volume_m3: row.volume.to_string(),
        amount: row.amount.to_string(),
        balance_used: row.balance_used.to_string(),
        cash_due: row.cash_due.to_string(),
        lines: sale
            .lines
            .iter()
            .map(|line| {
                gas_line(
                    line.tier,
                    line.volume.to_string(),
                    line.unit_price.to_string(),
                    line.amount.to_string(),
                )
            })
            .collect(),
        channel: row.channel.clone(),
        tendered: text(row.tendered),
        change: text(row.change_given),
        reference: row.reference.clone(),
        status: row.status.clone(),
        write_attempts: row.write_attempts,
        receipt_no: row.receipt_no.clone().unwrap_or_default(),
        business_date: text(row.business_date),
        cashier: row.created_by.clone(),
        created_at: row.created_at.to_rfc3339(),
        prepayment_after: text(row.prepayment_after),
    }
}

fn write_to_wire(write: &ic_card::WriteInstruction) -> pb::CardWrite {
    pb::CardWrite {
        card_no: write.card_no.clone(),
        purchase_seq: write.seq,
        volume_m3: write.volume.to_string(),
    }
}

impl CounterApi {
    /// Checks the supervisor who typed their password into the dialog.
    async fn approve(
        &self,
        caller: &Caller,
        approval: Option<pb::SupervisorApproval>,
        action: String,
    ) -> Result<i64> {
        let approval = approval.ok_or_else(|| {
            Error::ApprovalRequired(format!("{action} needs a supervisor's approval"))
        })?;
        if approval.username.trim().is_empty() || approval.password.is_empty() {
            return Err(Error::ApprovalRequired(format!(
                "{action} needs a supervisor's user name and password"
            )));
        }
        let settings = self.state.auth;
        let peer = caller.peer.clone();
        let cashier = caller.username.clone();
        with_connection(&self.state, move |connection| {
            let username = session::verify_approval(
                connection,
                &settings,
                &approval.username,
                &approval.password,
                &peer,
                &format!("{action} for {cashier}"),
            )?;
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            use diesel::RunQueryDsl;
            let id: Id = diesel::sql_query("SELECT id FROM users WHERE username = $1")
                .bind::<diesel::sql_types::Text, _>(&username)
                .get_result(connection)?;
            Ok(id.id)
        })
        .await
    }

    async fn settle_scanned(
        &self,
        payment_id: i64,
        payment_no: String,
        request: &PaymentRequest,
    ) -> Result<PaymentView> {
        let gateway = self.gateways.gateway(&request.channel)?;
        let outcome = gateways::charge(
            gateway,
            ChargeRequest {
                order_no: payment_no,
                amount: request.amount,
                payment_code: request.payment_code.trim().to_owned(),
                description: "燃气费".to_owned(),
            },
            Duration::from_millis(self.state.config.counter.gateway_timeout_ms),
        )
        .await;
        let settlement = gateways::settlement_of(&outcome);
        let settings = self.state.config.counter.clone();
        with_connection(&self.state, move |connection| {
            payments::settle(connection, &settings, payment_id, &settlement)
        })
        .await
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

#[tonic::async_trait]
impl CounterService for CounterApi {
    async fn get_counter_account(
        &self,
        request: Request<pb::GetCounterAccountRequest>,
    ) -> std::result::Result<Response<pb::CounterAccount>, Status> {
        let input = request.into_inner();
        let view = with_connection(&self.state, move |connection| {
            account::counter_view(connection, &input, archive::today())
        })
        .await?;
        Ok(Response::new(view))
    }

    async fn post_payment(
        &self,
        request: Request<pb::PostPaymentRequest>,
    ) -> std::result::Result<Response<pb::Payment>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let payment = PaymentRequest {
            idempotency_key: input.idempotency_key,
            account_id: input.account_id,
            channel: input.channel.trim().to_owned(),
            amount: money(&input.amount, "amount")?,
            tendered: optional_money(&input.tendered, "tendered")?,
            reference: input.reference,
            payment_code: input.payment_code,
        };
        let poster = Poster::Cashier {
            user_id: caller.user_id,
            username: caller.username.clone(),
        };
        let settings = self.state.config.counter.clone();
        let request_copy = payment.clone();
        let begun = with_connection(&self.state, move |connection| {
            payments::begin(
                connection,
                &settings,
                &poster,
                &request_copy,
                archive::today(),
            )
        })
        .await?;
        let view = match begun {
            Begun::Finished(view) => *view,
            Begun::Charge {
                payment_id,
                payment_no,
            } => {
                self.settle_scanned(payment_id, payment_no, &payment)
                    .await?
            }
        };
        Ok(Response::new(payment_to_wire(&view)))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> std::result::Result<Response<pb::Payment>, Status> {
        let number = request.into_inner().payment_no;
        let view = with_connection(&self.state, move |connection| {
            payments::by_number(connection, &number)
        })
        .await?;
        Ok(Response::new(payment_to_wire(&view)))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> std::result::Result<Response<pb::ListPaymentsResponse>, Status> {
        let input = request.into_inner();
        let listing = match (
            input.account_id,
            input.shift_id,
            input.business_date.trim().is_empty(),
        ) {
            (id, 0, true) if id > 0 => Listing::Account(id),
            (0, id, true) if id > 0 => Listing::Shift(id),
            (0, 0, false) => Listing::Day(day(&input.business_date, "business_date")?),
            _ => {
                return Err(Error::invalid(
                    "account_id",
                    "give exactly one of account_id, shift_id or business_date",
                )
                .into());
            }
        };
        let limit = match input.limit {
            0 => 200,
            n if (1..=5000).contains(&n) => i64::from(n),
            n => return Err(Error::invalid("limit", format!("{n} is not within 1..5000")).into()),
        };
        let (views, history) = with_connection(&self.state, move |connection| {
            let views = payments::list(connection, &listing, limit)?;
            // An account's payments from the old system come after ours;
            // shifts and days are ours alone, so their totals never see them.
            let history = match listing {
                Listing::Account(id) => {
                    let room = limit - views.len() as i64;
                    if room > 0 {
                        crate::import::payments::history(connection, id, room)?
                    } else {
                        Vec::new()
                    }
                }
                Listing::Shift(_) | Listing::Day(_) => Vec::new(),
            };
            Ok((views, history))
        })
        .await?;
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: views
                .iter()
                .map(payment_to_wire)
                .chain(history.iter().map(imported_payment_to_wire))
                .collect(),
        }))
    }

    async fn void_payment(
        &self,
        request: Request<pb::VoidPaymentRequest>,
    ) -> std::result::Result<Response<pb::Payment>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        if input.reason.trim().is_empty() {
            return Err(Error::invalid("reason", "say why the payment is voided").into());
        }
        let supervisor_id = self
            .approve(
                &caller,
                input.approval,
                format!("void of {}", input.payment_no.trim()),
            )
            .await?;
        let by = Approved {
            user_id: caller.user_id,
            username: caller.username.clone(),
            is_supervisor: caller.roles.contains(&Role::Supervisor),
            supervisor_id,
        };
        let view = with_connection(&self.state, move |connection| {
            let view = voids::void(
                connection,
                &by,
                &input.payment_no,
                &input.idempotency_key,
                &input.reason,
                archive::today(),
            )?;
            audit_event(
                connection,
                &caller,
                "payment_voided",
                "/gascis.v1.CounterService/VoidPayment",
                &format!("{} ({})", view.payment.payment_no, input.reason.trim()),
            )?;
            Ok(view)
        })
        .await?;
        Ok(Response::new(payment_to_wire(&view)))
    }

    async fn refund_prepayment(
        &self,
        request: Request<pb::RefundPrepaymentRequest>,
    ) -> std::result::Result<Response<pb::Payment>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let amount = money(&input.amount, "amount")?;
        if input.reason.trim().is_empty() {
            return Err(Error::invalid("reason", "say why the prepayment is refunded").into());
        }
        let supervisor_id = self
            .approve(
                &caller,
                input.approval,
                format!("refund of {amount} to account {}", input.account_id),
            )
            .await?;
        let by = Approved {
            user_id: caller.user_id,
            username: caller.username.clone(),
            is_supervisor: caller.roles.contains(&Role::Supervisor),
            supervisor_id,
        };
        let view = with_connection(&self.state, move |connection| {
            let view = voids::refund(
                connection,
                &by,
                &input.idempotency_key,
                input.account_id,
                amount,
                &input.reason,
                archive::today(),
            )?;
            audit_event(
                connection,
                &caller,
                "prepayment_refunded",
                "/gascis.v1.CounterService/RefundPrepayment",
                &format!(
                    "{} {amount} ({})",
                    view.payment.payment_no,
                    input.reason.trim()
                ),
            )?;
            Ok(view)
        })
        .await?;
        Ok(Response::new(payment_to_wire(&view)))
    }

    async fn get_receipt_pdf(
        &self,
        request: Request<pb::GetReceiptPdfRequest>,
    ) -> std::result::Result<Response<pb::ReceiptPdf>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let paper = match pb::Paper::try_from(input.paper).unwrap_or(pb::Paper::Unspecified) {
            pb::Paper::A5 => receipts::Paper::A5,
            _ => receipts::Paper::Roll80mm,
        };
        let company = self.state.config.server.company_name.clone();
        let printed = with_connection(&self.state, move |connection| {
            receipts::print(
                connection,
                &company,
                input.receipt_no.trim(),
                paper,
                &caller.username,
                input.preview,
            )
        })
        .await?;
        Ok(Response::new(pb::ReceiptPdf {
            file_name: format!("{}.pdf", printed.receipt_no),
            pdf: printed.pdf,
            reprint: printed.reprint,
            prints: printed.prints,
        }))
    }

    async fn get_till(
        &self,
        request: Request<pb::GetTillRequest>,
    ) -> std::result::Result<Response<pb::Shift>, Status> {
        let caller = Caller::of(&request)?.clone();
        let user_id = caller.user_id;
        let (shift, till) = with_connection(&self.state, move |connection| {
            let shift = shifts::of_cashier(connection, user_id, archive::today())?;
            let till = match &shift {
                Some(shift) => Some(shifts::till(connection, shift.id)?),
                None => None,
            };
            Ok((shift, till))
        })
        .await?;
        Ok(Response::new(shift_to_wire(
            shift.as_ref(),
            till.as_ref(),
            &caller,
        )))
    }

    async fn list_shifts(
        &self,
        request: Request<pb::ListShiftsRequest>,
    ) -> std::result::Result<Response<pb::ListShiftsResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let date = day(&request.into_inner().business_date, "business_date")?;
        let rows = with_connection(&self.state, move |connection| {
            let mut rows = Vec::new();
            for shift in shifts::of_day(connection, date)? {
                let till = shifts::till(connection, shift.id)?;
                rows.push((shift, till));
            }
            Ok(rows)
        })
        .await?;
        Ok(Response::new(pb::ListShiftsResponse {
            shifts: rows
                .iter()
                .map(|(shift, till)| shift_to_wire(Some(shift), Some(till), &caller))
                .collect(),
        }))
    }

    async fn close_shift(
        &self,
        request: Request<pb::CloseShiftRequest>,
    ) -> std::result::Result<Response<pb::Shift>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let counted = money(&input.counted_cash, "counted_cash")?;
        let supervisor_id = self
            .approve(&caller, input.approval, "shift close (扎帐)".to_owned())
            .await?;
        let user_id = caller.user_id;
        let audit_caller = caller.clone();
        let (shift, till) = with_connection(&self.state, move |connection| {
            let shift =
                shifts::of_cashier(connection, user_id, archive::today())?.ok_or_else(|| {
                    Error::Refused(
                        "you have taken no payment today; there is no shift to close".to_owned(),
                    )
                })?;
            let closed = shifts::close(
                connection,
                shift.id,
                counted,
                &input.difference_note,
                supervisor_id,
            )?;
            let till = shifts::till(connection, closed.id)?;
            audit_event(
                connection,
                &audit_caller,
                "shift_closed",
                "/gascis.v1.CounterService/CloseShift",
                &format!(
                    "shift {} counted {counted}, difference {}",
                    closed.id,
                    text(closed.cash_difference)
                ),
            )?;
            Ok((closed, till))
        })
        .await?;
        Ok(Response::new(shift_to_wire(
            Some(&shift),
            Some(&till),
            &caller,
        )))
    }

    type ExportShiftReportStream =
        tokio_stream::wrappers::ReceiverStream<std::result::Result<pb::ExportChunk, Status>>;

    async fn export_shift_report(
        &self,
        request: Request<pb::ExportShiftReportRequest>,
    ) -> std::result::Result<Response<Self::ExportShiftReportStream>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let format = match input.format.trim() {
            "pdf" | "" => receipts::ReportFormat::Pdf,
            "xlsx" => receipts::ReportFormat::Xlsx,
            other => {
                return Err(
                    Error::invalid("format", format!("'{other}' is not pdf or xlsx")).into(),
                );
            }
        };
        let company = self.state.config.server.company_name.clone();
        let (path, name, rows) = with_connection(&self.state, move |connection| {
            let shift = shifts::by_id(connection, input.shift_id)?;
            let own = shift.cashier_id == caller.user_id;
            let overseer = caller
                .roles
                .iter()
                .any(|role| matches!(role, Role::Supervisor | Role::Finance));
            if !own && !overseer {
                return Err(Error::RoleDenied(
                    "a cashier sees only their own shift's report".to_owned(),
                ));
            }
            receipts::write_day_report(connection, &company, &shift, format)
        })
        .await?;
        Ok(Response::new(super::stream_file(path, name, rows)))
    }

    async fn lock_period(
        &self,
        request: Request<pb::LockPeriodRequest>,
    ) -> std::result::Result<Response<pb::LockPeriodResponse>, Status> {
        let caller = Caller::of(&request)?.clone();
        let period = request.into_inner().period.trim().to_owned();
        let (period, newly_locked) = with_connection(&self.state, move |connection| {
            let newly = counter::lock_period(connection, &period, &caller.username)?;
            if newly {
                audit_event(
                    connection,
                    &caller,
                    "period_locked",
                    "/gascis.v1.CounterService/LockPeriod",
                    &period,
                )?;
            }
            Ok((period, newly))
        })
        .await?;
        Ok(Response::new(pb::LockPeriodResponse {
            period,
            newly_locked,
        }))
    }

    async fn reconcile_unknown_payments(
        &self,
        _request: Request<pb::ReconcileUnknownPaymentsRequest>,
    ) -> std::result::Result<Response<pb::ReconcileUnknownPaymentsResponse>, Status> {
        // Asked for by a person: everything unresolved, whatever its age.
        let done = gateways::reconcile(
            &self.state.pool,
            &self.gateways,
            &self.state.config.counter,
            chrono::Duration::zero(),
        )
        .await?;
        Ok(Response::new(pb::ReconcileUnknownPaymentsResponse {
            posted: done.posted,
            declined: done.declined,
            still_unknown: done.still_unknown,
        }))
    }

    async fn post_channel_notification(
        &self,
        request: Request<pb::PostChannelNotificationRequest>,
    ) -> std::result::Result<Response<pb::Payment>, Status> {
        let caller = Caller::of(&request)?.clone();
        let signed: notification::SignedNotification =
            serde_json::from_str(&request.into_inner().signed_notification).map_err(|error| {
                Error::invalid(
                    "signed_notification",
                    format!("is not a signed notification: {error}"),
                )
            })?;
        let settings = self.state.config.counter.clone();
        let max_age = chrono::Duration::seconds(
            i64::try_from(settings.notification_max_age_seconds).unwrap_or(i64::MAX),
        );
        let notice = notification::verify(
            self.gateways.notification_secret(),
            &signed,
            chrono::Utc::now(),
            max_age,
        )
        .map_err(|error| Error::invalid("signed_notification", error.to_string()))?;
        let view = with_connection(&self.state, move |connection| {
            counter::payments::from_notification(connection, &settings, &caller.username, &notice)
        })
        .await?;
        Ok(Response::new(payment_to_wire(&view)))
    }

    async fn match_channel_statement(
        &self,
        request: Request<pb::MatchChannelStatementRequest>,
    ) -> std::result::Result<Response<pb::StatementMatch>, Status> {
        let input = request.into_inner();
        counter::check_channel(input.channel.trim())?;
        let date = day(&input.business_date, "business_date")?;
        let result = with_connection(&self.state, move |connection| {
            counter::statements::match_statement(
                connection,
                input.channel.trim(),
                date,
                &input.file_name,
                &input.content,
            )
        })
        .await?;
        Ok(Response::new(result))
    }

    async fn quote_gas_purchase(
        &self,
        request: Request<pb::QuoteGasPurchaseRequest>,
    ) -> std::result::Result<Response<pb::GasQuote>, Status> {
        let input = request.into_inner();
        let card = card_from_wire(input.card)?;
        let gas = gas_request(input.request)?;
        let quote = with_connection(&self.state, move |connection| {
            ic_card::quote(connection, input.account_id, &card, gas)
        })
        .await?;
        let priced = &quote.priced;
        Ok(Response::new(pb::GasQuote {
            volume_m3: priced.volume.to_string(),
            amount: priced.amount.to_string(),
            balance_used: priced.balance_used.to_string(),
            cash_due: priced.cash_due.to_string(),
            lines: priced
                .lines
                .iter()
                .map(|line| {
                    gas_line(
                        line.tier,
                        line.volume.to_string(),
                        line.unit_price.to_string(),
                        line.amount.to_string(),
                    )
                })
                .collect(),
            blocked_reason: quote.blocked.clone(),
            rewrite_pending: quote.rewrite_pending,
            tariff_code: priced.tariff_code.clone(),
        }))
    }

    async fn purchase_gas(
        &self,
        request: Request<pb::PurchaseGasRequest>,
    ) -> std::result::Result<Response<pb::GasPurchaseResult>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let order = ic_card::PurchaseOrder {
            account_id: input.account_id,
            card: card_from_wire(input.card)?,
            request: gas_request(input.request)?,
            channel: input.channel.trim().to_owned(),
            idempotency_key: input.idempotency_key,
            counter: Some(ic_card::CounterSale {
                cashier_id: caller.user_id,
                tendered: optional_money(&input.tendered, "tendered")?,
                reference: input.reference,
            }),
        };
        let actor = actor(&caller);
        let (sale, write) = with_connection(&self.state, move |connection| {
            let write = ic_card::purchase(connection, &actor, &order)?;
            let sale = card_sales::load(connection, write.purchase_id)?;
            Ok((sale, write))
        })
        .await?;
        Ok(Response::new(pb::GasPurchaseResult {
            purchase: Some(sale_to_wire(&sale)),
            write: Some(write_to_wire(&write)),
        }))
    }

    async fn confirm_card_write(
        &self,
        request: Request<pb::ConfirmCardWriteRequest>,
    ) -> std::result::Result<Response<pb::GasPurchase>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let card = input
            .card
            .map(|card| card_from_wire(Some(card)))
            .transpose()?;
        let error = input.error.trim().to_owned();
        let actor = actor(&caller);
        let sale = with_connection(&self.state, move |connection| {
            ic_card::confirm_write(
                connection,
                &actor,
                input.purchase_id,
                card.as_ref(),
                (!error.is_empty()).then_some(error.as_str()),
            )?;
            card_sales::load(connection, input.purchase_id)
        })
        .await?;
        Ok(Response::new(sale_to_wire(&sale)))
    }

    async fn rewrite_card(
        &self,
        request: Request<pb::RewriteCardRequest>,
    ) -> std::result::Result<Response<pb::GasPurchaseResult>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        let card = card_from_wire(input.card)?;
        let actor = actor(&caller);
        let (sale, write) = with_connection(&self.state, move |connection| {
            let write = ic_card::rewrite(connection, &actor, input.account_id, &card)?;
            let sale = card_sales::load(connection, write.purchase_id)?;
            Ok((sale, write))
        })
        .await?;
        Ok(Response::new(pb::GasPurchaseResult {
            purchase: Some(sale_to_wire(&sale)),
            write: Some(write_to_wire(&write)),
        }))
    }

    async fn reissue_card(
        &self,
        request: Request<pb::ReissueCardRequest>,
    ) -> std::result::Result<Response<pb::CardIssue>, Status> {
        let caller = Caller::of(&request)?.clone();
        let input = request.into_inner();
        if input.reason.trim().is_empty() {
            return Err(Error::invalid("reason", "say why (lost, damaged…)").into());
        }
        self.approve(
            &caller,
            input.approval,
            format!("card re-issue (补卡) for account {}", input.account_id),
        )
        .await?;
        let actor = actor(&caller);
        let issue = with_connection(&self.state, move |connection| {
            let issue = ic_card::reissue(connection, &actor, input.account_id, &input.reason)?;
            audit_event(
                connection,
                &caller,
                "card_reissued",
                "/gascis.v1.CounterService/ReissueCard",
                &format!(
                    "card {} issue {} for account {} ({})",
                    issue.card_no,
                    issue.issue_count,
                    input.account_id,
                    input.reason.trim()
                ),
            )?;
            Ok(issue)
        })
        .await?;
        Ok(Response::new(pb::CardIssue {
            card_no: issue.card_no,
            issue_count: issue.issue_count,
            purchase_count: issue.purchase_count,
            gas_m3: issue.gas.to_string(),
        }))
    }

    async fn list_gas_purchases(
        &self,
        request: Request<pb::ListGasPurchasesRequest>,
    ) -> std::result::Result<Response<pb::ListGasPurchasesResponse>, Status> {
        let input = request.into_inner();
        let limit = match input.limit {
            0 => 50,
            n if n <= 1000 => i64::from(n),
            n => return Err(Error::invalid("limit", format!("{n} is not within 1..1000")).into()),
        };
        let sales = with_connection(&self.state, move |connection| {
            card_sales::of_account(connection, input.account_id, limit)
        })
        .await?;
        Ok(Response::new(pb::ListGasPurchasesResponse {
            purchases: sales.iter().map(sale_to_wire).collect(),
        }))
    }
}

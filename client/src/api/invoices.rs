//! Invoices (发票): `gascis.v1.InvoiceService`, and the invoice PDF to the
//! printer through [`crate::print`] or to a file.
//!
//! Requests and answers are the generated proto messages; the screens build
//! requests with pure functions the tests check. Each function takes owned
//! values so it can go straight into `Task::perform`. Amounts are decimal
//! strings on the wire, never floats. Issuing (blue or red) and entering a
//! red-letter form carry an idempotency key made per attempt: sending the
//! same request again after a lost answer gives the first answer back.

use std::path::PathBuf;

use gascis_common::proto::v1 as pb;
use pb::invoice_service_client::InvoiceServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use super::counter::{file_name_of, write_pdf_file};
use super::{ApiError, Session, authorized, classify_status};
use crate::print;

fn client(session: &Session) -> InvoiceServiceClient<Channel> {
    InvoiceServiceClient::new(session.connection.channel.clone())
}

/// As [`classify_status`], and a payment or bill already on a standing
/// invoice (ALREADY_EXISTS) or a number the server does not know
/// (NOT_FOUND) are refusals: the server answered, nothing was issued, and
/// sending the same request again cannot change that. Left as
/// [`ApiError::Other`] they would read as an answer that never came.
fn classify(status: &tonic::Status) -> ApiError {
    match status.code() {
        Code::AlreadyExists | Code::NotFound => ApiError::Refused(status.message().to_owned()),
        _ => classify_status(status),
    }
}

/// Issues an invoice for payments or bills of one customer.
pub async fn issue_invoice(
    session: Session,
    request: pb::IssueInvoiceRequest,
) -> Result<pb::Invoice, ApiError> {
    Ok(client(&session)
        .issue_invoice(authorized(&session, request)?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// One invoice by its number or request number, with lines, forms and
/// history.
pub async fn get_invoice(session: Session, invoice_no: String) -> Result<pb::Invoice, ApiError> {
    Ok(client(&session)
        .get_invoice(authorized(&session, pb::GetInvoiceRequest { invoice_no })?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// A page of invoices, newest first.
pub async fn list_invoices(
    session: Session,
    request: pb::ListInvoicesRequest,
) -> Result<pb::ListInvoicesResponse, ApiError> {
    Ok(client(&session)
        .list_invoices(authorized(&session, request)?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Asks the platform what became of a pending or unknown invoice.
pub async fn resolve_invoice(
    session: Session,
    invoice_no: String,
) -> Result<pb::Invoice, ApiError> {
    Ok(client(&session)
        .resolve_invoice(authorized(
            &session,
            pb::ResolveInvoiceRequest { invoice_no },
        )?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Enters a red-letter confirmation form (or records the buyer's).
pub async fn request_red_confirmation(
    session: Session,
    request: pb::RequestRedConfirmationRequest,
) -> Result<pb::RedConfirmation, ApiError> {
    Ok(client(&session)
        .request_red_confirmation(authorized(&session, request)?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Confirms (`accept`) or refuses a form the buyer entered.
pub async fn confirm_red_confirmation(
    session: Session,
    form_no: String,
    accept: bool,
) -> Result<pb::RedConfirmation, ApiError> {
    Ok(client(&session)
        .confirm_red_confirmation(authorized(
            &session,
            pb::ConfirmRedConfirmationRequest { form_no, accept },
        )?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Asks the platform whether the buyer answered a form we entered.
pub async fn refresh_red_confirmation(
    session: Session,
    form_no: String,
) -> Result<pb::RedConfirmation, ApiError> {
    Ok(client(&session)
        .refresh_red_confirmation(authorized(
            &session,
            pb::RefreshRedConfirmationRequest { form_no },
        )?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Issues the red invoice of a form that allows it.
pub async fn issue_red_invoice(
    session: Session,
    request: pb::IssueRedInvoiceRequest,
) -> Result<pb::Invoice, ApiError> {
    Ok(client(&session)
        .issue_red_invoice(authorized(&session, request)?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// The invoice as a PDF.
pub async fn get_invoice_pdf(
    session: Session,
    invoice_no: String,
) -> Result<pb::InvoicePdf, ApiError> {
    Ok(client(&session)
        .get_invoice_pdf(authorized(
            &session,
            pb::GetInvoicePdfRequest { invoice_no },
        )?)
        .await
        .map_err(|status| classify(&status))?
        .into_inner())
}

/// Where an invoice's PDF went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PdfOutcome {
    /// Handed to the printer; the file printed (kept a while in the temp
    /// folder).
    Printed(PathBuf),
    /// Written to the file the user chose.
    Saved(PathBuf),
}

/// Fetches the invoice's PDF and prints it on `printer` (the system's
/// default when `None`).
pub async fn print_invoice(
    session: Session,
    invoice_no: String,
    printer: Option<String>,
) -> Result<PdfOutcome, ApiError> {
    let pdf = get_invoice_pdf(session, invoice_no.clone()).await?;
    let file = print::print_pdf(pdf.pdf, file_name_of(&pdf.file_name, &invoice_no), printer)
        .await
        .map_err(|error| ApiError::File(error.to_string()))?;
    Ok(PdfOutcome::Printed(file))
}

/// Fetches the invoice's PDF and writes it to `path` (the save dialog
/// asked before replacing a file there).
pub async fn save_invoice(
    session: Session,
    invoice_no: String,
    path: PathBuf,
) -> Result<PdfOutcome, ApiError> {
    let pdf = get_invoice_pdf(session, invoice_no).await?;
    Ok(PdfOutcome::Saved(write_pdf_file(&pdf.pdf, path).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standing_invoice_or_an_unknown_number_is_a_refusal() {
        let status = tonic::Status::already_exists("bill 7 is on invoice 24312000000000000001");
        assert_eq!(
            classify(&status),
            ApiError::Refused("bill 7 is on invoice 24312000000000000001".into())
        );
        assert_eq!(
            classify(&tonic::Status::not_found("no payment P1")),
            ApiError::Refused("no payment P1".into())
        );
        assert!(matches!(
            classify(&tonic::Status::internal("internal error")),
            ApiError::Other(_)
        ));
    }
}

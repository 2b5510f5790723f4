//! The counter hall (收费台): `gascis.v1.CounterService`, and the counter's
//! devices (the IC-card reader, the receipt printer through [`crate::print`]).
//!
//! Requests and answers are the generated proto messages; the screen builds
//! requests with pure functions the tests check. Each function takes owned
//! values so it can go straight into `Task::perform`. Amounts are decimal
//! strings on the wire, never floats.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gascis_common::card::{CardError, CardReader, CardState, SimulatedCardReader};
use gascis_common::proto::v1 as pb;
use pb::counter_service_client::CounterServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use super::{ApiError, Session, authorized, classify_status};
use crate::print;

fn client(session: &Session) -> CounterServiceClient<Channel> {
    CounterServiceClient::new(session.connection.channel.clone())
}

/// The card reader of this counter PC. This build has the in-memory reader
/// of `gascis_common::card` (tests, demos, training); a maker's reader is
/// another [`CardReader`] behind the same lock.
pub type SharedCardReader = Arc<Mutex<SimulatedCardReader>>;

/// A reader with no card in it.
pub fn new_card_reader() -> SharedCardReader {
    Arc::new(Mutex::new(SimulatedCardReader::default()))
}

/// Reads the card in the reader, off the UI thread: a real reader answers
/// over a serial line in tens of milliseconds.
pub async fn read_card(reader: SharedCardReader) -> Result<CardState, CardError> {
    tokio::task::spawn_blocking(move || match reader.lock() {
        Ok(mut reader) => reader.read(),
        // A panic while another read held the lock: the reader itself is
        // still there, its state as the last read left it.
        Err(poisoned) => poisoned.into_inner().read(),
    })
    .await
    .unwrap_or_else(|error| Err(CardError::WriteFailed(format!("card reader: {error}"))))
}

/// One account as the counter sees it; `Ok(None)` when no account has this
/// number or card (the screen then searches the archive).
pub async fn get_counter_account(
    session: Session,
    request: pb::GetCounterAccountRequest,
) -> Result<Option<pb::CounterAccount>, ApiError> {
    match client(&session)
        .get_counter_account(authorized(&session, request)?)
        .await
    {
        Ok(response) => Ok(Some(response.into_inner())),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(classify_status(&status)),
    }
}

/// Takes a payment. The request carries its idempotency key: sending the
/// same request again after a lost answer gives the first answer back.
pub async fn post_payment(
    session: Session,
    request: pb::PostPaymentRequest,
) -> Result<pb::Payment, ApiError> {
    Ok(client(&session)
        .post_payment(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The calling cashier's running till today.
pub async fn get_till(session: Session) -> Result<pb::Shift, ApiError> {
    Ok(client(&session)
        .get_till(authorized(&session, pb::GetTillRequest {})?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The payments of a shift, newest first.
pub async fn list_shift_payments(
    session: Session,
    shift_id: i64,
) -> Result<Vec<pb::Payment>, ApiError> {
    Ok(client(&session)
        .list_payments(authorized(
            &session,
            pb::ListPaymentsRequest {
                shift_id,
                ..pb::ListPaymentsRequest::default()
            },
        )?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .payments)
}

/// Voids (冲正) a payment with a supervisor's approval; answers the payment
/// as voided, with the void's receipt number.
pub async fn void_payment(
    session: Session,
    request: pb::VoidPaymentRequest,
) -> Result<pb::Payment, ApiError> {
    Ok(client(&session)
        .void_payment(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Pays prepayment back in cash with a supervisor's approval.
pub async fn refund_prepayment(
    session: Session,
    request: pb::RefundPrepaymentRequest,
) -> Result<pb::Payment, ApiError> {
    Ok(client(&session)
        .refund_prepayment(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// The receipt as a PDF; the server logs every print after the first as a
/// reprint (重打) unless `preview` is set.
pub async fn get_receipt_pdf(
    session: Session,
    request: pb::GetReceiptPdfRequest,
) -> Result<pb::ReceiptPdf, ApiError> {
    Ok(client(&session)
        .get_receipt_pdf(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Closes the calling cashier's shift with the cash counted.
pub async fn close_shift(
    session: Session,
    request: pb::CloseShiftRequest,
) -> Result<pb::Shift, ApiError> {
    Ok(client(&session)
        .close_shift(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Prices an IC-card purchase for the card as read; nothing is written.
pub async fn quote_gas_purchase(
    session: Session,
    request: pb::QuoteGasPurchaseRequest,
) -> Result<pb::GasQuote, ApiError> {
    Ok(client(&session)
        .quote_gas_purchase(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Sells gas to the card (购气). Like a payment, the request carries its
/// idempotency key: sending it again after a lost answer charges once.
pub async fn purchase_gas(
    session: Session,
    request: pb::PurchaseGasRequest,
) -> Result<pb::GasPurchaseResult, ApiError> {
    Ok(client(&session)
        .purchase_gas(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// What the reader made of a write: its error, and the card read back
/// afterwards (the server decides from it whether the gas arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardWritten {
    pub error: Option<String>,
    pub read_back: Option<CardState>,
}

/// The card as the proto carries it.
pub fn card_to_wire(card: &CardState) -> pb::CardRead {
    pb::CardRead {
        card_no: card.card_no.clone(),
        issue_count: card.issue_count,
        purchase_count: card.purchase_count,
        gas_on_card_m3: card.gas_on_card.to_string(),
    }
}

/// Writes a purchase to the card in the reader, then reads the card back.
pub async fn write_card(reader: SharedCardReader, write: pb::CardWrite) -> CardWritten {
    tokio::task::spawn_blocking(move || {
        let mut reader = match reader.lock() {
            Ok(reader) => reader,
            Err(poisoned) => poisoned.into_inner(),
        };
        let error = match write.volume_m3.parse::<gascis_common::tariff::Volume>() {
            Ok(volume) => reader
                .write_purchase(&write.card_no, write.purchase_seq, volume)
                .err()
                .map(|error| error.to_string()),
            Err(error) => Some(format!("volume {}: {error}", write.volume_m3)),
        };
        CardWritten {
            error,
            read_back: reader.read().ok(),
        }
    })
    .await
    .unwrap_or_else(|error| CardWritten {
        error: Some(format!("card reader: {error}")),
        read_back: None,
    })
}

/// Reports a card write to the server.
pub async fn confirm_card_write(
    session: Session,
    purchase_id: i64,
    written: CardWritten,
) -> Result<pb::GasPurchase, ApiError> {
    let request = pb::ConfirmCardWriteRequest {
        purchase_id,
        card: written.read_back.as_ref().map(card_to_wire),
        error: written.error.unwrap_or_default(),
    };
    Ok(client(&session)
        .confirm_card_write(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 补气: reads the card and asks for the unwritten purchase again; nothing
/// is charged.
pub async fn rewrite_card(
    session: Session,
    reader: SharedCardReader,
    account_id: i64,
) -> Result<pb::GasPurchaseResult, ApiError> {
    let card = read_card(reader)
        .await
        .map_err(|error| ApiError::Other(error.to_string()))?;
    let request = pb::RewriteCardRequest {
        account_id,
        card: Some(card_to_wire(&card)),
    };
    Ok(client(&session)
        .rewrite_card(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// 补卡 with a supervisor's approval; then the new card is written in the
/// reader.
pub async fn reissue_card(
    session: Session,
    reader: SharedCardReader,
    request: pb::ReissueCardRequest,
) -> Result<pb::CardIssue, ApiError> {
    let issue = client(&session)
        .reissue_card(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    let written = issue.clone();
    tokio::task::spawn_blocking(move || {
        let mut reader = match reader.lock() {
            Ok(reader) => reader,
            Err(poisoned) => poisoned.into_inner(),
        };
        let gas = written
            .gas_m3
            .parse::<gascis_common::tariff::Volume>()
            .map_err(|error| ApiError::Other(format!("gas {}: {error}", written.gas_m3)))?;
        reader
            .issue(
                &written.card_no,
                written.issue_count,
                written.purchase_count,
                gas,
            )
            .map_err(|error| ApiError::Other(error.to_string()))
    })
    .await
    .map_err(|error| ApiError::Other(format!("card reader: {error}")))??;
    Ok(issue)
}

/// A receipt that went to the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedReceipt {
    pub receipt_no: String,
    /// The PDF handed to the printer (kept for a while in the temp folder).
    pub file: PathBuf,
    /// The server marked this print as a reprint (重打).
    pub reprint: bool,
    /// Prints of this receipt so far, this one included.
    pub prints: i32,
}

/// Fetches the receipt and prints it through the operating system on
/// `printer` (the system's default when `None`).
pub async fn print_receipt(
    session: Session,
    request: pb::GetReceiptPdfRequest,
    printer: Option<String>,
) -> Result<PrintedReceipt, ApiError> {
    let receipt_no = request.receipt_no.clone();
    let pdf = get_receipt_pdf(session, request).await?;
    let file = print::print_pdf(pdf.pdf, file_name_of(&pdf.file_name, &receipt_no), printer)
        .await
        .map_err(|error| ApiError::File(error.to_string()))?;
    Ok(PrintedReceipt {
        receipt_no,
        file,
        reprint: pdf.reprint,
        prints: pdf.prints,
    })
}

/// A receipt saved as a PDF file of the user's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedReceipt {
    pub receipt_no: String,
    pub path: PathBuf,
}

/// Fetches the receipt (logged like a print: the copy exists) and writes it
/// to `path`, replacing a file there (the save dialog asked).
pub async fn save_receipt(
    session: Session,
    request: pb::GetReceiptPdfRequest,
    path: PathBuf,
) -> Result<SavedReceipt, ApiError> {
    let receipt_no = request.receipt_no.clone();
    let pdf = get_receipt_pdf(session, request).await?;
    let path = write_pdf_file(&pdf.pdf, path).await?;
    Ok(SavedReceipt { receipt_no, path })
}

/// Writes `pdf` to `path` (with `.pdf` added when it has no extension),
/// replacing a file there. The bytes go to a temporary file beside it
/// first: a failure leaves no half file. Answers the path written.
pub(crate) async fn write_pdf_file(pdf: &[u8], path: PathBuf) -> Result<PathBuf, ApiError> {
    let path = with_pdf_extension(path);
    let part = part_path(&path);
    let file_error = |error: std::io::Error| ApiError::File(format!("{}: {error}", path.display()));
    if let Err(error) = tokio::fs::write(&part, pdf).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(file_error(error));
    }
    if let Err(error) = tokio::fs::rename(&part, &path).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(file_error(error));
    }
    Ok(path)
}

/// `path` with `.pdf` when it has no extension: a name typed into a save
/// dialog often comes without one.
pub fn with_pdf_extension(path: PathBuf) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension("pdf")
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    path.with_file_name(name)
}

/// The name the receipt's file gets: the server's, else the receipt number.
pub(crate) fn file_name_of(server_name: &str, receipt_no: &str) -> String {
    if server_name.trim().is_empty() {
        format!("{receipt_no}.pdf")
    } else {
        server_name.trim().to_owned()
    }
}

/// The native save dialog for a PDF; `None` when closed without choosing.
pub async fn pick_pdf_save_path(title: String, suggested: PathBuf) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter("PDF", &["pdf"]);
    if let Some(directory) = suggested.parent().filter(|directory| directory.is_dir()) {
        dialog = dialog.set_directory(directory);
    }
    if let Some(name) = suggested.file_name() {
        dialog = dialog.set_file_name(name.to_string_lossy());
    }
    dialog
        .save_file()
        .await
        .map(|handle| handle.path().to_path_buf())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use gascis_common::tariff::Volume;

    #[test]
    fn saved_receipts_are_pdfs() {
        assert_eq!(
            with_pdf_extension(PathBuf::from("/tmp/收据")),
            PathBuf::from("/tmp/收据.pdf")
        );
        assert_eq!(
            with_pdf_extension(PathBuf::from("/tmp/a.PDF")),
            PathBuf::from("/tmp/a.PDF")
        );
        assert_eq!(
            part_path(Path::new("/tmp/a.pdf")),
            PathBuf::from("/tmp/a.pdf.part")
        );
        assert_eq!(file_name_of("", "R001"), "R001.pdf");
        assert_eq!(file_name_of(" r.pdf ", "R001"), "r.pdf");
    }

    #[tokio::test]
    async fn the_reader_reads_the_card_put_in() {
        let reader = new_card_reader();
        assert_eq!(read_card(reader.clone()).await, Err(CardError::NoCard));
        reader.lock().unwrap().insert(CardState {
            card_no: "IC0001".into(),
            issue_count: 1,
            purchase_count: 0,
            gas_on_card: Volume::from_m3(0),
        });
        assert_eq!(
            read_card(reader).await.map(|card| card.card_no),
            Ok("IC0001".to_owned())
        );
    }
}

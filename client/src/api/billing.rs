//! Readings and billing (抄表计费): `gascis.v1.BillingService`.
//!
//! Requests and answers are the generated proto messages; the screens build
//! requests with pure functions that the tests check. Each function takes
//! owned values so it can go straight into `Task::perform` (or `Task::run`
//! for the streamed billing run).

use std::path::PathBuf;

use chrono::NaiveDate;
use gascis_common::proto::v1 as pb;
use iced::futures::{Stream, stream};
use pb::billing_run_event::Event;
use pb::billing_service_client::BillingServiceClient;
use tonic::transport::Channel;

use super::archive::{Exported, create_part_file, write_export};
use super::{ApiError, Session, authorized, classify_status};

fn client(session: &Session) -> BillingServiceClient<Channel> {
    BillingServiceClient::new(session.connection.channel.clone())
}

/// The same service over the bulk channel: a billing run or an export of a
/// whole period takes longer than an ordinary call may.
fn bulk_client(session: &Session) -> BillingServiceClient<Channel> {
    BillingServiceClient::new(Channel::clone(&session.connection.bulk_channel))
}

/// The business day of a reading is its date in China time (UTC+8): noon
/// there is a moment every server reads back as the same day.
pub fn read_at(date: NaiveDate) -> Option<prost_types::Timestamp> {
    let noon_in_china = date.and_hms_opt(4, 0, 0)?.and_utc();
    Some(prost_types::Timestamp {
        seconds: noon_in_china.timestamp(),
        nanos: 0,
    })
}

/// Every route book (抄表册), by code.
pub async fn list_route_books(session: Session) -> Result<Vec<pb::RouteBook>, ApiError> {
    Ok(client(&session)
        .list_route_books(authorized(&session, pb::ListRouteBooksRequest {})?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .route_books)
}

/// The accounts of a route book in walking order with their last readings.
pub async fn get_reading_sheet(
    session: Session,
    route_book: String,
) -> Result<pb::ReadingSheet, ApiError> {
    Ok(client(&session)
        .get_reading_sheet(authorized(
            &session,
            pb::GetReadingSheetRequest { route_book },
        )?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Records readings, each on its own: the answer has one result per input,
/// in order, refused ones with their reason. The idempotency keys make a
/// resend of the same entries safe.
pub async fn record_readings(
    session: Session,
    readings: Vec<pb::ReadingInput>,
) -> Result<Vec<pb::ReadingResult>, ApiError> {
    Ok(client(&session)
        .record_readings(authorized(
            &session,
            pb::RecordReadingsRequest { readings },
        )?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .results)
}

/// Readings waiting for review (anomalies, ordered re-reads), oldest first.
pub async fn list_anomalies(session: Session) -> Result<Vec<pb::QueuedReading>, ApiError> {
    Ok(client(&session)
        .list_anomalies(authorized(&session, pb::ListAnomaliesRequest { limit: 0 })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .readings)
}

/// A review decision; a reading reviewed by someone else since it was
/// listed comes back as [`ApiError::StaleVersion`].
pub async fn review_reading(
    session: Session,
    request: pb::ReviewReadingRequest,
) -> Result<pb::ReviewReadingResponse, ApiError> {
    Ok(client(&session)
        .review_reading(authorized(&session, request)?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// What a billing run reports: progress, then its end.
#[derive(Debug, Clone)]
pub enum RunEvent {
    Progressed(pb::BillingProgress),
    /// The last event.
    Finished(Result<pb::BillingSummary, ApiError>),
}

/// Starts (or resumes) a billing run, or previews one. The stream yields
/// the progress and ends with [`RunEvent::Finished`]. Dropping it does not
/// stop the run: the server finishes the company's month-end regardless.
pub fn run_billing(
    session: Session,
    request: pb::RunBillingRequest,
) -> impl Stream<Item = RunEvent> + Send + 'static {
    enum State {
        Start(Box<(Session, pb::RunBillingRequest)>),
        Streaming(Box<tonic::Streaming<pb::BillingRunEvent>>),
        Done,
    }

    let finished = |result| Some((RunEvent::Finished(result), State::Done));

    stream::unfold(
        State::Start(Box::new((session, request))),
        move |state| async move {
            let mut events = match state {
                State::Done => return None,
                State::Streaming(events) => *events,
                State::Start(start) => {
                    let (session, request) = *start;
                    let request = match authorized(&session, request) {
                        Ok(request) => request,
                        Err(error) => return finished(Err(error)),
                    };
                    match bulk_client(&session).run_billing(request).await {
                        Ok(response) => response.into_inner(),
                        Err(status) => return finished(Err(classify_status(&status))),
                    }
                }
            };
            loop {
                match events.message().await {
                    Ok(Some(pb::BillingRunEvent {
                        event: Some(Event::Progress(progress)),
                    })) => {
                        return Some((
                            RunEvent::Progressed(progress),
                            State::Streaming(Box::new(events)),
                        ));
                    }
                    Ok(Some(pb::BillingRunEvent {
                        event: Some(Event::Summary(summary)),
                    })) => return finished(Ok(summary)),
                    // An event of a kind a newer server added: not ours.
                    Ok(Some(pb::BillingRunEvent { event: None })) => {}
                    Ok(None) => {
                        return finished(Err(ApiError::Other(
                            "the server ended the billing run without a summary".to_owned(),
                        )));
                    }
                    Err(status) => return finished(Err(classify_status(&status))),
                }
            }
        },
    )
}

/// An account's bills, newest period first, every revision with its lines.
pub async fn list_bills(session: Session, account_id: i64) -> Result<Vec<pb::Bill>, ApiError> {
    Ok(client(&session)
        .list_bills(authorized(&session, pb::ListBillsRequest { account_id })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner()
        .bills)
}

/// Cancels a bill (its current revision) with a reason; answers the
/// cancelling revision.
pub async fn cancel_bill(
    session: Session,
    bill_id: i64,
    reason: String,
) -> Result<pb::Bill, ApiError> {
    Ok(client(&session)
        .cancel_bill(authorized(
            &session,
            pb::CancelBillRequest { bill_id, reason },
        )?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner())
}

/// Exports the bills of `period` (YYYY-MM) to the workbook at `path`,
/// replacing a file there (the save dialog asked). Like the archive's
/// export, the bytes go to a temporary file beside `path` that takes its
/// name only once the whole file is there: a failed or cancelled export
/// leaves nothing behind.
pub async fn export_bills(
    session: Session,
    period: String,
    path: PathBuf,
) -> Result<Exported, ApiError> {
    let part = create_part_file(&path).await?;
    let chunks = bulk_client(&session)
        .export_bills(authorized(&session, pb::ExportBillsRequest { period })?)
        .await
        .map_err(|status| classify_status(&status))?
        .into_inner();
    write_export(chunks, part, path).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_date_is_noon_in_china() {
        let date = NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
        let at = read_at(date).unwrap();
        let utc = chrono::DateTime::from_timestamp(at.seconds, 0).unwrap();
        assert_eq!(
            (utc + chrono::Duration::hours(8)).date_naive(),
            date,
            "the server's business day"
        );
        assert_eq!(utc.to_rfc3339(), "2024-03-31T04:00:00+00:00");
    }
}

//! A channel's daily statement against our payments of that day.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{Date, Text},
};
use gascis_common::{Money, proto::v1 as pb};

use super::payments::PaymentRow;
use crate::{
    channels::statement::{self, MatchClass, MatchReport, OurRecord},
    error::{Error, Result},
};

/// Statement files are a day of one channel: a few MB at most.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;

/// Our side of a channel's day: every payment we recorded, whatever its
/// outcome (an unknown one is exactly what the statement settles).
pub fn our_records(
    connection: &mut PgConnection,
    channel: &str,
    day: NaiveDate,
) -> Result<Vec<OurRecord>> {
    let rows: Vec<PaymentRow> = sql_query(format!(
        "{} WHERE p.channel = $1 AND p.business_date = $2 AND p.kind = 'payment' \
         AND p.status <> 'declined' ORDER BY p.id",
        super::payments::SELECT
    ))
    .bind::<Text, _>(channel)
    .bind::<Date, _>(day)
    .load(connection)?;
    let mut records = rows
        .into_iter()
        .map(|row| {
            Ok(OurRecord {
                amount: Money::try_from_decimal(row.amount)
                    .map_err(|e| Error::Internal(format!("payment amount: {e}")))?,
                status: if row.void_receipt_no.is_some() {
                    "voided".to_owned()
                } else {
                    row.status.clone()
                },
                channel_ref: (!row.reference.is_empty()).then(|| row.reference.clone()),
                payment_no: row.payment_no,
                channel: row.channel,
                account_no: row.account_no,
                posted_at: row.created_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // IC-card gas sold at the counter took money in the channel too; its
    // receipt number is what our side knows it by.
    for sale in super::card_sales::of_channel_day(connection, channel, day)? {
        records.push(OurRecord {
            amount: Money::try_from_decimal(sale.cash_due)
                .map_err(|e| Error::Internal(format!("gas purchase amount: {e}")))?,
            status: "posted".to_owned(),
            channel_ref: (!sale.reference.is_empty()).then(|| sale.reference.clone()),
            payment_no: sale.receipt_no.clone().unwrap_or_default(),
            channel: sale.channel,
            account_no: sale.account_no,
            posted_at: sale.created_at,
        });
    }
    Ok(records)
}

/// Reads a statement file (bytes as uploaded) and matches it.
pub fn match_file(
    connection: &mut PgConnection,
    channel: &str,
    day: NaiveDate,
    file_name: &str,
    content: &[u8],
) -> Result<MatchReport> {
    if content.len() > MAX_STATEMENT_BYTES {
        return Err(Error::invalid(
            "content",
            format!(
                "the statement is {} bytes; at most {MAX_STATEMENT_BYTES} are taken",
                content.len()
            ),
        ));
    }
    let extension = std::path::Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_lowercase();
    let file = tempfile::Builder::new()
        .prefix("gascis-statement-")
        .suffix(&format!(".{extension}"))
        .tempfile()
        .map_err(|e| Error::Internal(format!("statement: {e}")))?;
    std::fs::write(file.path(), content).map_err(|e| Error::Internal(format!("statement: {e}")))?;
    let theirs = statement::read_statement(file.path())
        .map_err(|error| Error::invalid("content", format!("{file_name}: {error}")))?;
    let ours = our_records(connection, channel, day)?;
    Ok(statement::match_statement(channel, &theirs, &ours))
}

/// The match as the API returns it, with the .xlsx report.
pub fn match_statement(
    connection: &mut PgConnection,
    channel: &str,
    day: NaiveDate,
    file_name: &str,
    content: &[u8],
) -> Result<pb::StatementMatch> {
    let report = match_file(connection, channel, day, file_name, content)?;
    let path = crate::api::export_path()?;
    statement::write_match_report(&path, &report)?;
    let report_xlsx =
        std::fs::read(&path).map_err(|e| Error::Internal(format!("match report: {e}")))?;
    Ok(pb::StatementMatch {
        classes: report
            .totals
            .iter()
            .map(|total| pb::StatementClassTotal {
                class: class_name(total.class).to_owned(),
                count: i64::try_from(total.count).unwrap_or(i64::MAX),
                amount: match total.class {
                    MatchClass::MissingTheirs => total.ours_amount,
                    _ => total.theirs_amount,
                }
                .to_string(),
            })
            .collect(),
        row_errors: report
            .row_errors
            .iter()
            .map(|e| format!("row {} {}: '{}' — {}", e.row, e.field, e.value, e.reason))
            .collect(),
        report_xlsx,
    })
}

pub fn class_name(class: MatchClass) -> &'static str {
    match class {
        MatchClass::Matched => "matched",
        MatchClass::MissingOurs => "missing_ours",
        MatchClass::MissingTheirs => "missing_theirs",
        MatchClass::AmountDiffers => "amount_differs",
    }
}

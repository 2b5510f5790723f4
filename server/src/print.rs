//! PDF rendering of counter receipts, the cashier's day report and VAT
//! invoices.
//!
//! Pure: data in, PDF bytes out; no database. The callers mask personal data
//! and choose what to print; this module only lays it out.
//!
//! Every document embeds the bundled WenQuanYi Micro Hei, subsetted to the
//! glyphs used, so a receipt stays small (tens of KB) and prints the same on
//! every machine. The font is parsed once per process ([`font`]).
//!
//! Layout is explicit: each text run is placed at a computed position and
//! kept on one line (numbers are right-aligned to a column edge measured with
//! the font's advance widths), because the font is proportional and padding
//! with spaces would not line up; it also keeps pdftotext's output readable.

mod canvas;
mod day_report;
pub mod font;
mod invoice;
mod receipt;

pub use day_report::{ChannelTotal, CountAmount, DayReport, DayReportPayment, render_day_report};
pub use invoice::{InvoiceDocument, InvoiceLine, InvoiceParty, invoice_texts, render_invoice};
pub use receipt::{
    PaperSize, ReceiptBill, ReceiptDocument, ReceiptKind, ReceiptLine, ReceiptPurchase,
    RenderSummary, TierLine, receipt_summary, render_receipt,
};

use gascis_common::Money;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrintError {
    #[error("the bundled font could not be parsed")]
    FontUnavailable,
    #[error(
        "the receipt would be {length_mm} mm long on roll paper (at most {max_mm} mm); print it on A5"
    )]
    TooLongForRoll { length_mm: u32, max_mm: u32 },
    #[error("PDF writer: {0}")]
    Pdf(String),
}

/// A decimal with exactly `places` decimal places ("1234.000", "2.6300").
/// Values are stored to these places already; should one not be, it is
/// rounded half away from zero as people round on paper, not to even.
fn fixed(value: Decimal, places: u32) -> String {
    let mut shown =
        value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    shown.rescale(places);
    shown.to_string()
}

/// Money with an explicit sign for differences: "+12.00", "-3.00", "0.00".
fn signed(amount: Money) -> String {
    if amount > Money::ZERO {
        format!("+{amount}")
    } else {
        amount.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_pads_and_rounds() {
        assert_eq!(fixed(Decimal::new(1234, 0), 3), "1234.000");
        assert_eq!(fixed(Decimal::new(263, 2), 4), "2.6300");
        assert_eq!(fixed(Decimal::new(12345, 4), 3), "1.235");
    }

    #[test]
    fn signed_shows_plus_for_surplus() {
        assert_eq!(signed(Money::from_fen(1200)), "+12.00");
        assert_eq!(signed(Money::from_fen(-300)), "-3.00");
        assert_eq!(signed(Money::ZERO), "0.00");
    }
}

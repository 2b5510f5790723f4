//! Tariffs, meter readings and billing runs (issue 5). The pricing itself
//! is the pure engine in `gascis_common::tariff`; this module stores
//! tariffs, records and checks readings, and turns approved readings into
//! bills, bill lines and ledger entries, chunk by chunk.

pub mod demo;
pub mod late_fees;
pub mod pricing;
pub mod readings;
pub mod route_books;
pub mod run;
pub mod tariffs;
pub mod what_if;

use gascis_common::tariff::CustomerType;

pub(crate) fn customer_type(text: &str) -> CustomerType {
    match text {
        "commercial" => CustomerType::Commercial,
        "industrial" => CustomerType::Industrial,
        "public_welfare" => CustomerType::PublicWelfare,
        _ => CustomerType::Residential,
    }
}

/// The tier-table key of a contract's gas-use purpose.
pub(crate) fn purpose_key(purpose: &str) -> &'static str {
    match purpose {
        "heating" | "cooking_and_heating" => "heating",
        _ => "cooking",
    }
}

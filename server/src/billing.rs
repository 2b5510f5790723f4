//! Tariffs, meter readings and billing runs (issue 5). The pricing itself
//! is the pure engine in `gascis_common::tariff`; this module stores
//! tariffs, records and checks readings, and turns approved readings into
//! bills, bill lines and ledger entries, chunk by chunk.

pub mod readings;
pub mod route_books;
pub mod run;
pub mod tariffs;

//! gascis-server: the on-prem server of gascis. See ARCHITECTURE.md for the map.

pub mod api;
pub mod archive;
pub mod auth;
pub mod billing;
pub mod channels;
pub mod client;
pub mod commands;
pub mod config;
pub mod counter;
pub mod data_dir;
pub mod db;
pub mod error;
pub mod export;
pub mod import;
pub mod invoices;
pub mod jobs;
pub mod ledger;
pub mod notices;
pub mod pg;
pub mod pii;
pub mod prepaid;
pub mod print;
pub mod schema;
pub mod serve;
pub mod tls;

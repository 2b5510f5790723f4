//! The screens of the client. Each exposes its state struct, `Message`,
//! `Action`, `new`, `update` and `view`; the app routes between them.

pub mod billing;
pub mod counter;
pub mod customers;
pub mod home;
pub mod import;
pub mod invoices;
pub mod login;
pub mod tariffs;

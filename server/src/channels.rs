//! Payment channels (支付渠道): the gateway adapter each acquirer implements
//! (WeChat Pay, Alipay, bank card, online banking, bank agents), signed
//! notifications of payments made elsewhere, a simulated channel for tests
//! and the demo, and the daily statement (对账单) with its matching against
//! our payments. No database here: callers own the transactions, and call
//! gateways outside them.
//!
//! Invariant: an outcome the channel did not give us is `Unknown`, never
//! guessed; `query` or the statement resolves it.

pub mod gateway;
pub mod notification;
pub mod simulator;
pub mod statement;

pub use gateway::{
    ChargeOutcome, ChargeRequest, PaymentCodeError, PaymentGateway, QueryOutcome,
    channel_of_payment_code, validate_payment_code,
};
pub use notification::{Notification, NotificationError, SignedNotification, sign, verify};
pub use simulator::{SimulatedGateway, write_statement_csv, write_statement_xlsx};
pub use statement::{
    MatchClass, MatchEntry, MatchReport, OurRecord, RowError, Statement, StatementError,
    StatementRow, match_statement, read_statement, write_match_report,
};

//! A payment channel for tests and the demo. It keeps its own books, so it
//! answers queries and prints daily statements the way a real channel
//! does, and it signs notifications with a shared secret.
//!
//! Behaviour is chosen by the payment code's last four digits, so a test
//! (or a trainee at the counter) can drive every path:
//!
//! | suffix | charge    | money taken | query                    |
//! |--------|-----------|-------------|--------------------------|
//! | 0000   | Declined (余额不足) | no  | NotPaid                  |
//! | 9999   | Unknown   | yes         | Paid                     |
//! | 8888   | Unknown   | no          | NotPaid                  |
//! | 7777   | Unknown   | yes         | Unknown once, then Paid  |
//! | other  | Paid      | yes         | Paid                     |

use std::{
    collections::HashMap,
    path::Path,
    sync::{Mutex, MutexGuard},
};

use chrono::{DateTime, NaiveDate, Utc};
use gascis_common::Money;

use super::{
    gateway::{ChargeOutcome, ChargeRequest, PaymentGateway, QueryOutcome, validate_payment_code},
    notification::{Notification, SignedNotification, sign_at},
    statement::{CHINA_TIME, StatementRow, local_text},
};
use crate::{
    error::{Error, Result},
    export::ListWriter,
};

/// The columns of a simulated statement, as channels name them.
pub const STATEMENT_HEADERS: [&str; 7] = [
    "交易时间",
    "商户订单号",
    "渠道流水号",
    "户号",
    "交易金额",
    "交易状态",
    "备注",
];

/// What a simulated statement calls a completed payment.
pub const PAID_STATUS: &str = "支付成功";

#[derive(Debug, Clone)]
struct Order {
    request: ChargeRequest,
    outcome: ChargeOutcome,
    /// Index into the transactions when money was taken.
    transaction: Option<usize>,
    /// Queries still to go unanswered.
    silent_queries: u32,
}

#[derive(Debug, Clone)]
struct Transaction {
    order_no: String,
    channel_ref: String,
    account_no: String,
    amount: Money,
    paid_at: DateTime<Utc>,
    note: String,
}

#[derive(Debug, Default)]
struct State {
    orders: HashMap<String, Order>,
    transactions: Vec<Transaction>,
    sequence: u64,
    fixed_now: Option<DateTime<Utc>>,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    fn next_reference(&mut self, channel: &str, at: DateTime<Utc>) -> String {
        self.sequence += 1;
        let prefix = match channel {
            "wechat" => "4200",
            "alipay" => "2200",
            "bank_card" => "BC",
            "online" => "OL",
            "bank_agent" => "BA",
            _ => "SIM",
        };
        let day = at.with_timezone(&CHINA_TIME).format("%Y%m%d");
        format!("{prefix}{day}{:010}", self.sequence)
    }

    fn take_money(
        &mut self,
        channel: &str,
        order_no: &str,
        account_no: &str,
        amount: Money,
        note: &str,
    ) -> usize {
        let paid_at = self.now();
        let channel_ref = self.next_reference(channel, paid_at);
        self.transactions.push(Transaction {
            order_no: order_no.to_owned(),
            channel_ref,
            account_no: account_no.to_owned(),
            amount,
            paid_at,
            note: note.to_owned(),
        });
        self.transactions.len() - 1
    }
}

/// A simulated channel; shareable between threads.
#[derive(Debug)]
pub struct SimulatedGateway {
    channel: String,
    secret: Vec<u8>,
    state: Mutex<State>,
}

impl SimulatedGateway {
    pub fn new(channel: &str, secret: &[u8]) -> Self {
        SimulatedGateway {
            channel: channel.to_owned(),
            secret: secret.to_vec(),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every change under the lock is a few assignments that cannot
        // panic half-way, so a poisoned state is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Freezes the simulator's clock (tests of statements by day).
    pub fn set_now(&self, at: DateTime<Utc>) {
        self.state().fixed_now = Some(at);
    }

    /// How many times money was taken for an order (never more than once).
    pub fn times_charged(&self, order_no: &str) -> usize {
        self.state()
            .transactions
            .iter()
            .filter(|t| !order_no.is_empty() && t.order_no == order_no)
            .count()
    }

    /// A customer pays in an app or at a bank: the money is taken and the
    /// channel sends us this signed notification. `order_no` is empty for
    /// bank-agent payments, which name the account.
    pub fn notify(&self, order_no: &str, account_no: &str, amount: Money) -> SignedNotification {
        let mut state = self.state();
        let note = if order_no.is_empty() {
            "代收"
        } else {
            "网上缴费"
        };
        let index = state.take_money(&self.channel, order_no, account_no, amount, note);
        let sent_at = state.now();
        let transaction = &state.transactions[index];
        let notification = Notification {
            channel: self.channel.clone(),
            order_no: order_no.to_owned(),
            account_no: account_no.to_owned(),
            channel_ref: transaction.channel_ref.clone(),
            amount,
            paid_at: transaction.paid_at,
            nonce: format!("{:016x}", rand::random::<u64>()),
        };
        sign_at(&self.secret, &notification, sent_at)
    }

    /// Every payment of a day (China time), in the order they happened.
    pub fn statement(&self, date: NaiveDate) -> Vec<StatementRow> {
        self.state()
            .transactions
            .iter()
            .filter(|t| t.paid_at.with_timezone(&CHINA_TIME).date_naive() == date)
            .map(|t| StatementRow {
                row: 0,
                order_no: t.order_no.clone(),
                channel_ref: t.channel_ref.clone(),
                account_no: t.account_no.clone(),
                amount: t.amount,
                paid_at: Some(t.paid_at),
                status: PAID_STATUS.to_owned(),
                note: t.note.clone(),
            })
            .collect()
    }
}

impl PaymentGateway for SimulatedGateway {
    fn channel(&self) -> &str {
        &self.channel
    }

    fn charge(&self, request: &ChargeRequest) -> ChargeOutcome {
        let mut state = self.state();
        if let Some(order) = state.orders.get(&request.order_no) {
            let same = order.request.amount == request.amount
                && order.request.payment_code == request.payment_code;
            return if same {
                order.outcome.clone()
            } else {
                // A real channel refuses a reused order number (e.g. WeChat's
                // OUT_TRADE_NO_USED) rather than charging again.
                ChargeOutcome::Declined {
                    code: "ORDER_NO_REUSED".into(),
                    message: format!(
                        "商户订单号重复: order {} was charged with another amount or code",
                        request.order_no
                    ),
                }
            };
        }
        if let Err(error) = validate_payment_code(&self.channel, &request.payment_code) {
            return ChargeOutcome::Declined {
                code: "AUTH_CODE_INVALID".into(),
                message: error.to_string(),
            };
        }
        if request.amount.is_negative() || request.amount == Money::ZERO {
            return ChargeOutcome::Declined {
                code: "INVALID_AMOUNT".into(),
                message: format!("amount {} is not positive", request.amount),
            };
        }
        let lost = || ChargeOutcome::Unknown {
            detail: "no answer from the channel within the timeout (simulated)".into(),
        };
        let suffix_at = request.payment_code.len().saturating_sub(4);
        let suffix = request.payment_code.get(suffix_at..).unwrap_or_default();
        let take = !matches!(suffix, "0000" | "8888");
        let transaction = take.then(|| {
            state.take_money(
                &self.channel,
                &request.order_no,
                "",
                request.amount,
                &request.description,
            )
        });
        let outcome = match (suffix, transaction) {
            ("0000", _) => ChargeOutcome::Declined {
                code: "NOTENOUGH".into(),
                message: "余额不足".into(),
            },
            ("9999" | "8888" | "7777", _) => lost(),
            (_, Some(index)) => {
                let transaction = &state.transactions[index];
                ChargeOutcome::Paid {
                    channel_ref: transaction.channel_ref.clone(),
                    paid_at: transaction.paid_at,
                }
            }
            (_, None) => lost(),
        };
        state.orders.insert(
            request.order_no.clone(),
            Order {
                request: request.clone(),
                outcome: outcome.clone(),
                transaction,
                silent_queries: u32::from(suffix == "7777"),
            },
        );
        outcome
    }

    fn query(&self, order_no: &str) -> QueryOutcome {
        let mut state = self.state();
        let Some(order) = state.orders.get_mut(order_no) else {
            return QueryOutcome::NotPaid;
        };
        if order.silent_queries > 0 {
            order.silent_queries -= 1;
            return QueryOutcome::Unknown {
                detail: "the query got no answer either (simulated)".into(),
            };
        }
        match order.transaction {
            Some(index) => {
                let transaction = &state.transactions[index];
                QueryOutcome::Paid {
                    channel_ref: transaction.channel_ref.clone(),
                    paid_at: transaction.paid_at,
                    amount: transaction.amount,
                }
            }
            None => QueryOutcome::NotPaid,
        }
    }
}

fn cells(row: &StatementRow) -> [String; 7] {
    [
        row.paid_at.map(local_text).unwrap_or_default(),
        row.order_no.clone(),
        row.channel_ref.clone(),
        row.account_no.clone(),
        row.amount.to_string(),
        row.status.clone(),
        row.note.clone(),
    ]
}

fn total(rows: &[StatementRow]) -> Option<Money> {
    rows.iter()
        .try_fold(Money::ZERO, |sum, row| sum.checked_add(row.amount))
}

fn csv_error(error: impl std::fmt::Display) -> Error {
    Error::Internal(format!("statement CSV: {error}"))
}

/// Writes a statement as channels ship CSV bills: a title line, every value
/// behind a backtick (WeChat's guard against Excel turning long numbers
/// into floats), and a totals footer. UTF-8 with a BOM, so Excel shows the
/// Chinese headers.
pub fn write_statement_csv(path: &Path, rows: &[StatementRow]) -> Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(["#对账单 (gascis 模拟渠道)"])
        .map_err(csv_error)?;
    writer.write_record(STATEMENT_HEADERS).map_err(csv_error)?;
    for row in rows {
        writer
            .write_record(cells(row).iter().map(|value| format!("`{value}")))
            .map_err(csv_error)?;
    }
    writer
        .write_record(["总交易单数", "总交易金额"])
        .map_err(csv_error)?;
    let sum = total(rows).map(|sum| sum.to_string()).unwrap_or_default();
    writer
        .write_record([format!("`{}", rows.len()), format!("`{sum}")])
        .map_err(csv_error)?;
    let bytes = writer.into_inner().map_err(csv_error)?;
    std::fs::write(path, bytes).map_err(csv_error)
}

/// Writes a statement as an .xlsx sheet of text cells.
pub fn write_statement_xlsx(path: &Path, rows: &[StatementRow]) -> Result<u64> {
    let mut list = ListWriter::new("对账单", &STATEMENT_HEADERS);
    for row in rows {
        list.row(&cells(row))?;
    }
    list.save(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::channels::notification::verify;
    use chrono::{TimeDelta, TimeZone};

    const SECRET: &[u8] = b"simulated secret";

    fn gateway() -> SimulatedGateway {
        let gateway = SimulatedGateway::new("wechat", SECRET);
        gateway.set_now(Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap());
        gateway
    }

    fn request(order_no: &str, suffix: &str) -> ChargeRequest {
        ChargeRequest {
            order_no: order_no.into(),
            amount: "128.50".parse().unwrap(),
            payment_code: format!("13456789012345{suffix}"),
            description: "燃气费".into(),
        }
    }

    #[test]
    fn paid_and_idempotent() {
        let gateway = gateway();
        let first = gateway.charge(&request("P1", "1234"));
        let ChargeOutcome::Paid { channel_ref, .. } = &first else {
            panic!("expected Paid, got {first:?}");
        };
        assert!(channel_ref.starts_with("420020261125"), "{channel_ref}");
        assert_eq!(gateway.charge(&request("P1", "1234")), first);
        assert_eq!(gateway.times_charged("P1"), 1);
        assert!(matches!(
            gateway.query("P1"),
            QueryOutcome::Paid { amount, .. } if amount == "128.50".parse().unwrap()
        ));
        // The same order with other content is refused, not charged.
        let mut other = request("P1", "1234");
        other.amount = "1.00".parse().unwrap();
        assert!(matches!(
            gateway.charge(&other),
            ChargeOutcome::Declined { code, .. } if code == "ORDER_NO_REUSED"
        ));
        assert_eq!(gateway.times_charged("P1"), 1);
    }

    #[test]
    fn declined_takes_nothing() {
        let gateway = gateway();
        assert_eq!(
            gateway.charge(&request("P2", "0000")),
            ChargeOutcome::Declined {
                code: "NOTENOUGH".into(),
                message: "余额不足".into()
            }
        );
        assert_eq!(gateway.times_charged("P2"), 0);
        assert_eq!(gateway.query("P2"), QueryOutcome::NotPaid);
    }

    #[test]
    fn lost_answer_with_money_taken() {
        let gateway = gateway();
        let outcome = gateway.charge(&request("P3", "9999"));
        assert!(matches!(outcome, ChargeOutcome::Unknown { .. }));
        // A retry returns the first outcome and takes nothing more.
        assert_eq!(gateway.charge(&request("P3", "9999")), outcome);
        assert_eq!(gateway.times_charged("P3"), 1);
        assert!(matches!(gateway.query("P3"), QueryOutcome::Paid { .. }));
    }

    #[test]
    fn lost_answer_without_money() {
        let gateway = gateway();
        assert!(matches!(
            gateway.charge(&request("P4", "8888")),
            ChargeOutcome::Unknown { .. }
        ));
        assert_eq!(gateway.times_charged("P4"), 0);
        assert_eq!(gateway.query("P4"), QueryOutcome::NotPaid);
    }

    #[test]
    fn silent_query_then_paid() {
        let gateway = gateway();
        assert!(matches!(
            gateway.charge(&request("P5", "7777")),
            ChargeOutcome::Unknown { .. }
        ));
        assert!(matches!(gateway.query("P5"), QueryOutcome::Unknown { .. }));
        assert!(matches!(gateway.query("P5"), QueryOutcome::Paid { .. }));
        assert_eq!(gateway.times_charged("P5"), 1);
    }

    #[test]
    fn unknown_order_and_bad_codes() {
        let gateway = gateway();
        assert_eq!(gateway.query("never"), QueryOutcome::NotPaid);
        let mut bad = request("P6", "1234");
        bad.payment_code = "2812345678901234".into();
        assert!(matches!(
            gateway.charge(&bad),
            ChargeOutcome::Declined { code, message }
                if code == "AUTH_CODE_INVALID" && message.contains("Alipay")
        ));
        let mut zero = request("P7", "1234");
        zero.amount = Money::ZERO;
        assert!(matches!(
            gateway.charge(&zero),
            ChargeOutcome::Declined { code, .. } if code == "INVALID_AMOUNT"
        ));
        // A refused request is not remembered: a corrected one goes through.
        assert!(matches!(
            gateway.charge(&request("P6", "1234")),
            ChargeOutcome::Paid { .. }
        ));
    }

    #[test]
    fn shared_between_threads() {
        let gateway = std::sync::Arc::new(gateway());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let gateway = gateway.clone();
                std::thread::spawn(move || gateway.charge(&request("SAME", "4321")))
            })
            .collect();
        let outcomes: Vec<ChargeOutcome> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(outcomes.windows(2).all(|pair| pair[0] == pair[1]));
        assert_eq!(gateway.times_charged("SAME"), 1);
    }

    #[test]
    fn notifications_verify_and_appear_in_the_statement() {
        let gateway = SimulatedGateway::new("bank_agent", SECRET);
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
        gateway.set_now(now);
        let signed = gateway.notify("", "0100012345", "88.00".parse().unwrap());
        let text = signed.to_json();
        let back = SignedNotification::from_json(&text).unwrap();
        let notification = verify(SECRET, &back, now, TimeDelta::minutes(10)).unwrap();
        assert_eq!(notification.account_no, "0100012345");
        assert!(notification.channel_ref.starts_with("BA20261125"));
        let rows = gateway.statement(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].channel_ref, notification.channel_ref);
        assert!(
            gateway
                .statement(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
                .is_empty()
        );
    }

    #[test]
    fn statement_by_china_day() {
        let gateway = gateway();
        // 23:30 UTC on the 24th is 07:30 on the 25th in China.
        gateway.set_now(Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap());
        gateway.charge(&request("EARLY", "1234"));
        gateway.set_now(Utc.with_ymd_and_hms(2026, 11, 25, 16, 30, 0).unwrap());
        gateway.charge(&request("NEXT_DAY", "1234"));
        gateway.charge(&request("DECLINED", "0000"));
        let rows = gateway.statement(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        let orders: Vec<&str> = rows.iter().map(|r| r.order_no.as_str()).collect();
        assert_eq!(orders, ["EARLY"]);
        assert_eq!(rows[0].status, PAID_STATUS);
    }
}

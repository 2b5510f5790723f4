//! What an account owes as the counter sees it: legacy arrears, open bills
//! oldest first with their late fees, and the prepayment held.
//!
//! Payments settle the oldest debt first, so what is still unpaid of each
//! bill follows from the receivable balance: the newest bills hold it.
//! Receivable beyond the bills is debt brought from a legacy ledger, the
//! oldest of all.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Date, Nullable, Numeric, Text},
};
use gascis_common::Money;
use rust_decimal::Decimal;

use crate::{
    billing::late_fees,
    db::Prepared,
    error::{Error, Result},
    ledger,
};

#[derive(Debug, Clone, QueryableByName)]
pub struct BillRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub previous_value: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub current_value: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    pub volume: Decimal,
    #[diesel(sql_type = Bool)]
    pub estimated: bool,
}

/// A bill still (partly) unpaid.
#[derive(Debug, Clone)]
pub struct OpenBill {
    pub bill: BillRow,
    pub unpaid: Money,
    pub late_fee: Money,
}

/// Everything the counter needs to take money for an account.
#[derive(Debug, Clone)]
pub struct Owed {
    pub balances: ledger::Balances,
    /// Receivable not covered by bills (legacy debt), oldest of all.
    pub legacy_arrears: Money,
    /// Oldest first.
    pub bills: Vec<OpenBill>,
    pub late_fees: Money,
}

impl Owed {
    /// Arrears and late fees: what settles everything.
    pub fn total_due(&self) -> Result<Money> {
        self.balances
            .arrears
            .checked_add(self.late_fees)
            .ok_or_else(|| Error::Internal("total due overflow".to_owned()))
    }
}

fn money(value: Decimal, what: &str) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

pub fn owed(connection: &mut PgConnection, account_id: i64, as_of: NaiveDate) -> Result<Owed> {
    let balances = ledger::balances(connection, account_id)?;
    let mut owed = Owed {
        balances,
        legacy_arrears: Money::ZERO,
        bills: Vec::new(),
        late_fees: Money::ZERO,
    };
    if balances.arrears == Money::ZERO {
        return Ok(owed);
    }
    // Current revisions with an amount, newest first.
    let bills: Vec<BillRow> = Prepared(sql_query(
        "SELECT b.id, b.period, b.due_on, b.amount, b.previous_value, b.current_value, b.volume, \
                b.estimated FROM bills b \
         WHERE b.account_id = $1 AND NOT b.cancelled AND b.amount > 0 \
           AND NOT EXISTS (SELECT 1 FROM bills n WHERE n.account_id = b.account_id \
               AND n.period = b.period AND n.revision > b.revision) \
         ORDER BY b.to_date DESC, b.id DESC",
    )
    .bind::<BigInt, _>(account_id))
    .load(connection)?;
    // The late fees follow from the same arrears and bills: not read twice.
    let due: Vec<late_fees::OpenBill> = bills
        .iter()
        .map(|bill| late_fees::OpenBill {
            id: bill.id,
            period: bill.period.clone(),
            due_on: bill.due_on,
            amount: bill.amount,
        })
        .collect();
    let mut left = balances.arrears.as_decimal();
    for bill in bills {
        if left <= Decimal::ZERO {
            break;
        }
        let unpaid = bill.amount.min(left);
        left -= unpaid;
        owed.bills.push(OpenBill {
            unpaid: money(unpaid, "unpaid")?,
            late_fee: Money::ZERO,
            bill,
        });
    }
    owed.bills.reverse();
    owed.legacy_arrears = money(left.max(Decimal::ZERO), "legacy arrears")?;
    for fee in late_fees::for_bills(connection, account_id, as_of, balances.arrears, due)? {
        if let Some(open) = owed.bills.iter_mut().find(|b| b.bill.id == fee.bill_id) {
            open.late_fee = fee.fee;
            owed.late_fees = owed
                .late_fees
                .checked_add(fee.fee)
                .ok_or_else(|| Error::Internal("late fee overflow".to_owned()))?;
        }
    }
    Ok(owed)
}

/// One share of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// arrears, late_fee, principal, prepayment, refund.
    pub kind: &'static str,
    pub bill_id: Option<i64>,
    pub period: String,
    pub amount: Money,
}

/// Splits `amount` over what is owed, oldest first, the surplus to
/// prepayment. Pure: the same inputs give the same shares.
pub fn allocate(owed: &Owed, amount: Money, order: super::AllocationOrder) -> Result<Vec<Share>> {
    // What is owed, in the order it is settled.
    let mut owed_items: Vec<(&'static str, Option<i64>, &str, Money)> =
        vec![("arrears", None, "", owed.legacy_arrears)];
    for open in &owed.bills {
        let id = Some(open.bill.id);
        let period = open.bill.period.as_str();
        let (first, second) = match order {
            super::AllocationOrder::LateFeeFirst => {
                (("late_fee", open.late_fee), ("principal", open.unpaid))
            }
            super::AllocationOrder::PrincipalFirst => {
                (("principal", open.unpaid), ("late_fee", open.late_fee))
            }
        };
        owed_items.push((first.0, id, period, first.1));
        owed_items.push((second.0, id, period, second.1));
    }
    let mut left = amount;
    let mut shares = Vec::new();
    for (kind, bill_id, period, due) in owed_items {
        if left == Money::ZERO {
            break;
        }
        if due == Money::ZERO || due.is_negative() {
            continue;
        }
        let share = if due.as_decimal() < left.as_decimal() {
            due
        } else {
            left
        };
        left = left
            .checked_sub(share)
            .ok_or_else(|| Error::Internal("allocation overflow".to_owned()))?;
        shares.push(Share {
            kind,
            bill_id,
            period: period.to_owned(),
            amount: share,
        });
    }
    if left != Money::ZERO {
        shares.push(Share {
            kind: "prepayment",
            bill_id: None,
            period: String::new(),
            amount: left,
        });
    }
    let total = shares
        .iter()
        .try_fold(Money::ZERO, |sum, share| sum.checked_add(share.amount));
    if total != Some(amount) {
        return Err(Error::Internal(format!(
            "allocation of {amount} does not add up ({total:?})"
        )));
    }
    Ok(shares)
}

/// Finds the account by id, number or IC card, and shows it as the
/// counter needs it.
pub fn counter_view(
    connection: &mut PgConnection,
    request: &gascis_common::proto::v1::GetCounterAccountRequest,
    today: NaiveDate,
) -> Result<gascis_common::proto::v1::CounterAccount> {
    use gascis_common::proto::v1 as pb;
    #[derive(QueryableByName)]
    struct Info {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        account_no: String,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        address: String,
        #[diesel(sql_type = Text)]
        phone_masked: String,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = Text)]
        meter_type: String,
        #[diesel(sql_type = Text)]
        meter_no: String,
        #[diesel(sql_type = Text)]
        tariff_code: String,
        #[diesel(sql_type = Text)]
        card_no: String,
    }
    let given = [
        request.account_id > 0,
        !request.account_no.trim().is_empty(),
        !request.card_no.trim().is_empty(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Error::invalid(
            "account_id",
            "give exactly one of account_id, account_no or card_no",
        ));
    }
    let select = "SELECT a.id, a.account_no, c.name, p.address, c.phone_masked, a.status, \
         coalesce(m.meter_type, '') AS meter_type, coalesce(m.meter_no, '') AS meter_no, \
         a.tariff_code, coalesce((SELECT k.card_no FROM ic_cards k WHERE k.account_id = a.id \
             AND k.status = 'active' ORDER BY k.id DESC LIMIT 1), '') AS card_no \
         FROM accounts a JOIN customers c ON c.id = a.customer_id \
         JOIN premises p ON p.id = a.premise_id \
         LEFT JOIN meters m ON m.account_id = a.id AND m.installed ";
    let info: Option<Info> = if request.account_id > 0 {
        sql_query(format!("{select} WHERE a.id = $1"))
            .bind::<BigInt, _>(request.account_id)
            .get_result(connection)
            .optional()?
    } else if !request.account_no.trim().is_empty() {
        sql_query(format!("{select} WHERE a.account_no = $1"))
            .bind::<Text, _>(request.account_no.trim())
            .get_result(connection)
            .optional()?
    } else {
        sql_query(format!(
            "{select} WHERE a.id = (SELECT account_id FROM ic_cards WHERE card_no = $1 \
                AND status = 'active')"
        ))
        .bind::<Text, _>(request.card_no.trim())
        .get_result(connection)
        .optional()?
    };
    let info = info.ok_or_else(|| {
        if request.card_no.trim().is_empty() {
            Error::NotFound("no such account".to_owned())
        } else {
            Error::NotFound(format!(
                "card {} belongs to no account (lost, replaced or never issued)",
                request.card_no.trim()
            ))
        }
    })?;
    let owed = owed(connection, info.id, today)?;
    #[derive(QueryableByName)]
    struct Reading {
        #[diesel(sql_type = Date)]
        read_on: NaiveDate,
        #[diesel(sql_type = Numeric)]
        value: Decimal,
        #[diesel(sql_type = Text)]
        source: String,
    }
    let readings: Vec<Reading> = sql_query(
        "SELECT read_on, value, source FROM meter_readings \
         WHERE account_id = $1 AND status IN ('valid', 'approved') \
         ORDER BY read_on DESC, id DESC LIMIT 3",
    )
    .bind::<BigInt, _>(info.id)
    .load(connection)?;
    let text = |value: Option<Decimal>| value.map(|v| v.to_string()).unwrap_or_default();
    Ok(pb::CounterAccount {
        account_id: info.id,
        account_no: info.account_no,
        customer_name: info.name,
        address: info.address,
        phone: info.phone_masked,
        status: info.status,
        meter_type: info.meter_type,
        meter_no: info.meter_no,
        tariff_code: info.tariff_code,
        legacy_arrears: owed.legacy_arrears.to_string(),
        open_bills: owed
            .bills
            .iter()
            .map(|open| pb::OpenBill {
                bill_id: open.bill.id,
                period: open.bill.period.clone(),
                due_on: open.bill.due_on.to_string(),
                amount: open.bill.amount.to_string(),
                unpaid: open.unpaid.to_string(),
                late_fee: open.late_fee.to_string(),
                previous_reading: text(open.bill.previous_value),
                current_reading: text(open.bill.current_value),
                volume: open.bill.volume.to_string(),
                estimated: open.bill.estimated,
            })
            .collect(),
        arrears: owed.balances.arrears.to_string(),
        late_fees: owed.late_fees.to_string(),
        total_due: owed.total_due()?.to_string(),
        prepayment: owed.balances.prepayment.to_string(),
        last_readings: readings
            .into_iter()
            .map(|r| pb::CounterReading {
                read_on: r.read_on.to_string(),
                value: r.value.to_string(),
                source: r.source,
            })
            .collect(),
        card_no: info.card_no,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counter::AllocationOrder;

    fn m(text: &str) -> Money {
        text.parse().unwrap_or(Money::ZERO)
    }

    fn bill(id: i64, period: &str, unpaid: &str, fee: &str) -> OpenBill {
        OpenBill {
            bill: BillRow {
                id,
                period: period.to_owned(),
                due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                amount: m(unpaid).as_decimal(),
                previous_value: None,
                current_value: None,
                volume: Decimal::ZERO,
                estimated: false,
            },
            unpaid: m(unpaid),
            late_fee: m(fee),
        }
    }

    fn owed() -> Owed {
        Owed {
            balances: ledger::Balances {
                arrears: m("250.00"),
                prepayment: Money::ZERO,
            },
            legacy_arrears: m("50.00"),
            bills: vec![
                bill(1, "2026-08", "100.00", "3.00"),
                bill(2, "2026-09", "100.00", "0.00"),
            ],
            late_fees: m("3.00"),
        }
    }

    #[test]
    fn oldest_first_fee_before_principal_surplus_to_prepayment() {
        let shares =
            allocate(&owed(), m("300.00"), AllocationOrder::LateFeeFirst).unwrap_or_default();
        let kinds: Vec<(&str, Option<i64>, String)> = shares
            .iter()
            .map(|s| (s.kind, s.bill_id, s.amount.to_string()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("arrears", None, "50.00".to_owned()),
                ("late_fee", Some(1), "3.00".to_owned()),
                ("principal", Some(1), "100.00".to_owned()),
                ("principal", Some(2), "100.00".to_owned()),
                ("prepayment", None, "47.00".to_owned()),
            ]
        );
    }

    #[test]
    fn a_short_payment_stops_where_the_money_ends() {
        let shares =
            allocate(&owed(), m("52.50"), AllocationOrder::PrincipalFirst).unwrap_or_default();
        assert_eq!(shares.len(), 2);
        assert_eq!(shares[1].kind, "principal");
        assert_eq!(shares[1].amount, m("2.50"));
    }
}

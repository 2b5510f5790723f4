//! Receipts and day reports from the database: what `print` lays out.
//! Every print is logged; all prints after the first are marked 重打.

use chrono::{NaiveDateTime, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Bool, Date, Nullable, Numeric, SmallInt, Text},
};
use gascis_common::Money;
use rust_decimal::Decimal;

use super::{
    payments::{self, PaymentView},
    shifts::{self, ShiftRow},
};
use crate::{
    error::{Error, Result},
    export::ListWriter,
    print::{self, PaperSize, ReceiptBill, ReceiptDocument, ReceiptKind, ReceiptLine, TierLine},
};

pub use crate::print::PaperSize as Paper;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Pdf,
    Xlsx,
}

fn money(value: Decimal, what: &str) -> Result<Money> {
    Money::try_from_decimal(value).map_err(|e| Error::Internal(format!("{what}: {e}")))
}

fn local_now() -> NaiveDateTime {
    (Utc::now() + chrono::Duration::hours(8)).naive_utc()
}

/// Which document a receipt number names.
struct Found {
    view: PaymentView,
    kind: ReceiptKind,
    receipt_no: String,
}

fn find(connection: &mut PgConnection, receipt_no: &str) -> Result<Found> {
    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = BigInt)]
        payment_id: i64,
        #[diesel(sql_type = Bool)]
        is_void: bool,
    }
    let hit: Hit = sql_query(
        "SELECT id AS payment_id, false AS is_void FROM payments WHERE receipt_no = $1 \
         UNION ALL SELECT payment_id, true AS is_void FROM payment_voids WHERE receipt_no = $1",
    )
    .bind::<Text, _>(receipt_no)
    .get_result(connection)
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("receipt {receipt_no}")))?;
    let view = payments::load(connection, hit.payment_id)?;
    let kind = if hit.is_void {
        ReceiptKind::Void
    } else if view.payment.kind == "refund" {
        ReceiptKind::Refund
    } else {
        ReceiptKind::Payment
    };
    Ok(Found {
        view,
        kind,
        receipt_no: receipt_no.to_owned(),
    })
}

#[derive(QueryableByName)]
struct AccountInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Text)]
    meter_no: String,
}

#[derive(QueryableByName)]
struct BillInfo {
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Date)]
    from_date: chrono::NaiveDate,
    #[diesel(sql_type = Date)]
    to_date: chrono::NaiveDate,
    #[diesel(sql_type = Nullable<Numeric>)]
    previous_value: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    current_value: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Bool)]
    estimated: bool,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

#[derive(QueryableByName)]
struct LineInfo {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<SmallInt>)]
    tier: Option<i16>,
    #[diesel(sql_type = Text)]
    season: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Numeric)]
    volume: Decimal,
    #[diesel(sql_type = Nullable<Numeric>)]
    unit_price: Option<Decimal>,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
}

fn tier_label(line: &LineInfo) -> String {
    const NUMERALS: [&str; 9] = ["一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let base = match (line.kind.as_str(), line.tier) {
        ("tier", Some(tier)) => {
            let index = usize::try_from(tier.max(1) - 1).unwrap_or(0);
            match NUMERALS.get(index) {
                Some(numeral) => format!("第{numeral}阶梯"),
                None => format!("第{tier}阶梯"),
            }
        }
        ("fixed_charge", _) => "固定费".to_owned(),
        ("minimum_top_up", _) => "最低收费补足".to_owned(),
        _ if !line.name.is_empty() => line.name.clone(),
        _ => "气费".to_owned(),
    };
    match line.season.as_str() {
        "" => base,
        season => format!("{base}({season})"),
    }
}

fn bill_of(
    connection: &mut PgConnection,
    bill_id: i64,
    principal: Money,
    late_fee: Money,
) -> Result<ReceiptBill> {
    let bill: BillInfo = sql_query(
        "SELECT period, from_date, to_date, previous_value, current_value, volume, estimated, amount \
         FROM bills WHERE id = $1",
    )
    .bind::<BigInt, _>(bill_id)
    .get_result(connection)?;
    let lines: Vec<LineInfo> = sql_query(
        "SELECT kind, tier, season, name, volume, unit_price, amount FROM bill_lines \
         WHERE bill_id = $1 ORDER BY line_no",
    )
    .bind::<BigInt, _>(bill_id)
    .load(connection)?;
    let mut tier_lines = Vec::new();
    for line in &lines {
        tier_lines.push(TierLine {
            label: tier_label(line),
            volume_m3: line.volume,
            unit_price: line.unit_price.unwrap_or_default(),
            amount: money(line.amount, "bill line")?,
        });
    }
    Ok(ReceiptBill {
        period: bill.period,
        from_date: bill.from_date,
        to_date: bill.to_date,
        previous_reading: bill.previous_value,
        current_reading: bill.current_value,
        volume_m3: bill.volume,
        estimated: bill.estimated,
        tier_lines,
        bill_amount: money(bill.amount, "bill amount")?,
        principal_paid: principal,
        late_fee_paid: late_fee,
    })
}

/// The receipt as it prints, personal data masked.
pub fn document(
    connection: &mut PgConnection,
    company: &str,
    receipt_no: &str,
) -> Result<ReceiptDocument> {
    if let Some(sale) = super::card_sales::by_receipt(connection, receipt_no)? {
        return super::card_sales::document(connection, company, &sale, local_now());
    }
    let found = find(connection, receipt_no)?;
    let row = &found.view.payment;
    let info: AccountInfo = sql_query(
        "SELECT c.name, p.address, coalesce((SELECT m.meter_no FROM meters m \
             WHERE m.account_id = a.id AND m.installed ORDER BY m.id DESC LIMIT 1), '') AS meter_no \
         FROM accounts a JOIN customers c ON c.id = a.customer_id \
         JOIN premises p ON p.id = a.premise_id WHERE a.id = $1",
    )
    .bind::<BigInt, _>(row.account_id)
    .get_result(connection)?;
    let mut bills: Vec<(i64, Money, Money)> = Vec::new();
    let mut lines = Vec::new();
    for allocation in &found.view.allocations {
        let amount = money(allocation.amount, "allocation")?;
        match (allocation.kind.as_str(), allocation.bill_id) {
            (kind @ ("principal" | "late_fee"), Some(bill_id)) => {
                let index = match bills.iter().position(|(id, _, _)| *id == bill_id) {
                    Some(index) => index,
                    None => {
                        bills.push((bill_id, Money::ZERO, Money::ZERO));
                        bills.len() - 1
                    }
                };
                let entry = &mut bills[index];
                let slot = if kind == "principal" {
                    &mut entry.1
                } else {
                    &mut entry.2
                };
                *slot = slot
                    .checked_add(amount)
                    .ok_or_else(|| Error::Internal("receipt overflow".to_owned()))?;
            }
            ("arrears", _) => lines.push(ReceiptLine {
                label: "往期欠费".to_owned(),
                detail: String::new(),
                amount,
            }),
            ("prepayment", _) => lines.push(ReceiptLine {
                label: "预存".to_owned(),
                detail: String::new(),
                amount,
            }),
            ("refund", _) => lines.push(ReceiptLine {
                label: "退预存款".to_owned(),
                detail: row.reason.clone(),
                amount,
            }),
            _ => {}
        }
    }
    let mut receipt_bills = Vec::new();
    for (bill_id, principal, fee) in bills {
        receipt_bills.push(bill_of(connection, bill_id, principal, fee)?);
    }
    let note = match found.kind {
        ReceiptKind::Void => format!(
            "冲正原收据 {}：{}",
            row.receipt_no.clone().unwrap_or_default(),
            row.void_reason.clone().unwrap_or_default()
        ),
        ReceiptKind::Refund => format!("退款原因：{}", row.reason),
        _ => String::new(),
    };
    let balances = match found.kind {
        // A void's paper shows the account as the void left it.
        ReceiptKind::Void => crate::ledger::balances(connection, row.account_id)?,
        _ => crate::ledger::Balances {
            arrears: money(row.arrears_after.unwrap_or_default(), "arrears after")?,
            prepayment: money(row.prepayment_after.unwrap_or_default(), "prepayment after")?,
        },
    };
    Ok(ReceiptDocument {
        company_name: company.to_owned(),
        title: String::new(),
        receipt_no: found.receipt_no.clone(),
        reprint: false,
        kind: found.kind,
        account_no: row.account_no.clone(),
        customer_name: super::mask_name(&info.name),
        address: info.address,
        meter_no: info.meter_no,
        business_date: row.business_date,
        printed_at: local_now(),
        channel_label: super::channel_label(&row.channel).to_owned(),
        reference: row.reference.clone(),
        cashier: row.cashier_name.clone(),
        bills: receipt_bills,
        purchase: None,
        lines,
        amount: money(row.amount, "amount")?,
        tendered: row.tendered.map(|t| money(t, "tendered")).transpose()?,
        change: row.change_given.map(|c| money(c, "change")).transpose()?,
        prepayment_after: balances.prepayment,
        arrears_after: balances.arrears,
        note,
    })
}

/// A rendered receipt.
pub struct Printed {
    pub receipt_no: String,
    pub pdf: Vec<u8>,
    pub reprint: bool,
    pub prints: i32,
}

/// Renders a receipt and logs the print (unless it is a preview); every
/// print after the first is a reprint and says so on the paper.
pub fn print(
    connection: &mut PgConnection,
    company: &str,
    receipt_no: &str,
    paper: PaperSize,
    username: &str,
    preview: bool,
) -> Result<Printed> {
    connection.transaction(|connection| {
        let mut document = document(connection, company, receipt_no)?;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            prints: i64,
        }
        let before: Count =
            sql_query("SELECT count(*) AS prints FROM receipt_prints WHERE receipt_no = $1")
                .bind::<Text, _>(receipt_no)
                .get_result(connection)?;
        document.reprint = before.prints > 0;
        let pdf = print::render_receipt(&document, paper)
            .map_err(|error| Error::Refused(error.to_string()))?;
        if !preview {
            sql_query(
                "INSERT INTO receipt_prints (receipt_no, paper, reprint, printed_by) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind::<Text, _>(receipt_no)
            .bind::<Text, _>(match paper {
                PaperSize::Roll80mm => "roll80",
                PaperSize::A5 => "a5",
            })
            .bind::<Bool, _>(document.reprint)
            .bind::<Text, _>(username)
            .execute(connection)?;
        }
        let prints = before.prints + i64::from(!preview);
        Ok(Printed {
            receipt_no: receipt_no.to_owned(),
            pdf,
            reprint: document.reprint,
            prints: i32::try_from(prints).unwrap_or(i32::MAX),
        })
    })
}

fn status_label(view: &PaymentView) -> &'static str {
    match (view.payment.kind.as_str(), view.status()) {
        ("refund", _) => "退款",
        (_, "voided") => "已冲正",
        (_, "posted") => "已收",
        (_, "declined") => "失败",
        (_, "unknown") => "待对账",
        _ => "处理中",
    }
}

/// The day report of a shift, as data.
pub fn day_report(
    connection: &mut PgConnection,
    company: &str,
    shift: &ShiftRow,
) -> Result<print::DayReport> {
    let till = shifts::till(connection, shift.id)?;
    let views = payments::list(connection, &payments::Listing::Shift(shift.id), 100_000)?;
    let to_local = |at: chrono::DateTime<Utc>| (at + chrono::Duration::hours(8)).naive_utc();
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let mut report_payments = Vec::new();
    for view in views.iter().rev() {
        let row = &view.payment;
        report_payments.push(print::DayReportPayment {
            receipt_no: row
                .receipt_no
                .clone()
                .unwrap_or_else(|| row.payment_no.clone()),
            time: to_local(row.created_at),
            account_no: row.account_no.clone(),
            channel_label: super::channel_label(&row.channel).to_owned(),
            amount: money(row.amount, "amount")?,
            status: status_label(view).to_owned(),
        });
    }
    for sale in super::card_sales::of_shift(connection, shift.id)? {
        report_payments.push(print::DayReportPayment {
            receipt_no: sale.receipt_no.clone().unwrap_or_default(),
            time: to_local(sale.created_at),
            account_no: sale.account_no.clone(),
            channel_label: super::channel_label(&sale.channel).to_owned(),
            amount: money(sale.cash_due, "cash due")?,
            status: if sale.status == "written" {
                "购气".to_owned()
            } else {
                "购气(未写卡)".to_owned()
            },
        });
    }
    report_payments.sort_by_key(|row| row.time);
    Ok(print::DayReport {
        company_name: company.to_owned(),
        business_date: shift.business_date,
        cashier_name: shift.cashier_name.clone(),
        cashier_username: shift.cashier.clone(),
        shift_status: if shift.status == "closed" {
            "已扎帐".to_owned()
        } else {
            "未扎帐".to_owned()
        },
        opened_at: to_local(shift.opened_at),
        closed_at: shift.closed_at.map(to_local),
        channels: till
            .channels
            .iter()
            .map(|c| print::ChannelTotal {
                label: super::channel_label(&c.channel).to_owned(),
                count: count(c.count),
                amount: c.amount,
            })
            .collect(),
        voids: print::CountAmount {
            count: count(till.voids),
            amount: till.voided,
        },
        refunds: print::CountAmount {
            count: count(till.refunds),
            amount: till.refunded,
        },
        net_total: till.net,
        expected_cash: till.expected_cash,
        counted_cash: shift
            .counted_cash
            .map(|c| money(c, "counted"))
            .transpose()?,
        difference: shift
            .cash_difference
            .map(|d| money(d, "difference"))
            .transpose()?,
        difference_note: shift.difference_note.clone(),
        supervisor: (!shift.supervisor.is_empty()).then(|| shift.supervisor.clone()),
        payments: report_payments,
        printed_at: local_now(),
    })
}

/// Writes the day report to a temporary file; returns it, a file name and
/// the number of payment rows.
pub fn write_day_report(
    connection: &mut PgConnection,
    company: &str,
    shift: &ShiftRow,
    format: ReportFormat,
) -> Result<(tempfile::TempPath, String, u64)> {
    let report = day_report(connection, company, shift)?;
    let rows = u64::try_from(report.payments.len()).unwrap_or(u64::MAX);
    let stem = format!("日结-{}-{}", shift.business_date, shift.cashier);
    let path = crate::api::export_path()?;
    match format {
        ReportFormat::Pdf => {
            let pdf = print::render_day_report(&report)
                .map_err(|error| Error::Internal(format!("day report: {error}")))?;
            std::fs::write(&path, pdf)
                .map_err(|error| Error::Internal(format!("day report: {error}")))?;
            Ok((path, format!("{stem}.pdf"), rows))
        }
        ReportFormat::Xlsx => {
            let mut writer =
                ListWriter::new("日结", &["收据号", "时间", "户号", "渠道", "金额", "状态"]);
            for payment in &report.payments {
                writer.row(&[
                    payment.receipt_no.clone(),
                    payment.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                    payment.account_no.clone(),
                    payment.channel_label.clone(),
                    payment.amount.to_string(),
                    payment.status.clone(),
                ])?;
            }
            // The totals follow the list, labelled in the first column.
            writer.row(&["", "", "", "", "", ""])?;
            for channel in &report.channels {
                writer.row(&[
                    format!("合计 {}", channel.label),
                    String::new(),
                    format!("{} 笔", channel.count),
                    channel.label.clone(),
                    channel.amount.to_string(),
                    String::new(),
                ])?;
            }
            let summary = [
                ("冲正", report.voids.amount.to_string()),
                ("退款", report.refunds.amount.to_string()),
                ("净收", report.net_total.to_string()),
                ("应有现金", report.expected_cash.to_string()),
                (
                    "实点现金",
                    report
                        .counted_cash
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                ),
                (
                    "长短款",
                    report.difference.map(|d| d.to_string()).unwrap_or_default(),
                ),
            ];
            for (label, value) in summary {
                writer.row(&[
                    label.to_owned(),
                    String::new(),
                    String::new(),
                    String::new(),
                    value,
                    String::new(),
                ])?;
            }
            writer.save(&path)?;
            Ok((path, format!("{stem}.xlsx"), rows))
        }
    }
}

//! The cashier's shift day report (日结报表), A4 portrait: totals by channel,
//! reversals, the cash count and the list of payments, continued on as many
//! pages as the list needs.

use chrono::{NaiveDate, NaiveDateTime};
use gascis_common::{Money, upper_numerals::money_in_upper};

use super::{
    PrintError,
    canvas::{Align, Cell, Flow},
    font::shared_font,
    receipt::{date, date_time},
    signed,
};

#[derive(Debug, Clone)]
pub struct ChannelTotal {
    /// As shown to people, e.g. "现金", "微信".
    pub label: String,
    pub count: u32,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountAmount {
    pub count: u32,
    pub amount: Money,
}

#[derive(Debug, Clone)]
pub struct DayReportPayment {
    pub receipt_no: String,
    pub time: NaiveDateTime,
    pub account_no: String,
    pub channel_label: String,
    pub amount: Money,
    /// E.g. "正常", "已冲正".
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct DayReport {
    pub company_name: String,
    pub business_date: NaiveDate,
    pub cashier_name: String,
    pub cashier_username: String,
    /// E.g. "已结账", "待复核".
    pub shift_status: String,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub channels: Vec<ChannelTotal>,
    pub voids: CountAmount,
    pub refunds: CountAmount,
    pub net_total: Money,
    pub expected_cash: Money,
    /// None while the till has not been counted.
    pub counted_cash: Option<Money>,
    /// Counted minus expected; None while not counted.
    pub difference: Option<Money>,
    pub difference_note: String,
    /// Who signed the shift off; None until a supervisor has.
    pub supervisor: Option<String>,
    pub payments: Vec<DayReportPayment>,
    pub printed_at: NaiveDateTime,
}

const BASE: f32 = 10.0;
const SMALL: f32 = 9.0;

/// Renders the day report as an A4 PDF.
pub fn render_day_report(report: &DayReport) -> Result<Vec<u8>, PrintError> {
    let font = shared_font()?;
    let mut flow = Flow::paged(font, (210.0, 297.0), 15.0, (15.0, 16.0));
    let width = flow.content_width();

    flow.row(12.0, &[Cell::center(width / 2.0, &report.company_name)]);
    flow.row(16.0, &[Cell::center(width / 2.0, "收款员日结报表").bold()]);
    flow.gap(2.0);

    let cashier = format!("{}（{}）", report.cashier_name, report.cashier_username);
    let closed = report
        .closed_at
        .map_or_else(|| "未结班".to_owned(), date_time);
    pairs(
        &mut flow,
        &[
            ("营业日期", date(report.business_date)),
            ("收款员", cashier),
            ("班次状态", report.shift_status.clone()),
        ],
    );
    pairs(
        &mut flow,
        &[
            ("开班时间", date_time(report.opened_at)),
            ("结班时间", closed),
        ],
    );
    flow.rule(false);

    summary_table(&mut flow, report);
    cash_count(&mut flow, report);
    payments(&mut flow, report);

    flow.ensure(4.0 * Flow::row_height(BASE));
    flow.gap(6.0);
    flow.row(
        BASE,
        &[
            Cell::left(0.0, "收款员签字："),
            Cell::left(width / 2.0, "主管签字："),
        ],
    );

    let footer = format!(
        "{} {} 日结报表    打印时间 {}    第{{page}}页/共{{pages}}页",
        report.cashier_name,
        date(report.business_date),
        date_time(report.printed_at)
    );
    flow.footer(SMALL, Align::Center, &footer);
    flow.finish(&format!("日结报表 {}", date(report.business_date)))
}

/// Up to three label/value pairs across the page.
fn pairs(flow: &mut Flow, items: &[(&str, String)]) {
    let width = flow.content_width();
    let column = width / 3.0;
    let label_width = 18.0;
    let cells: Vec<Cell<'_>> = items
        .iter()
        .enumerate()
        .flat_map(|(index, (label, value))| {
            let x = column * index as f32;
            [
                Cell::left(x, label),
                Cell::left(x + label_width, value).width(column - label_width - 2.0),
            ]
        })
        .collect();
    flow.row(BASE, &cells);
}

fn summary_table(flow: &mut Flow, report: &DayReport) {
    let width = flow.content_width();
    let (count_edge, amount_edge) = (width * 0.55, width * 0.85);
    flow.row(BASE, &[Cell::left(0.0, "收款汇总").bold()]);
    flow.row(
        SMALL,
        &[
            Cell::left(4.0, "渠道"),
            Cell::right(count_edge, "笔数"),
            Cell::right(amount_edge, "金额(元)"),
        ],
    );
    flow.partial_rule(0.0, amount_edge);
    let row = |flow: &mut Flow, label: &str, count: Option<u32>, amount: Money, bold: bool| {
        let count = count.map(|c| c.to_string()).unwrap_or_default();
        let amount = amount.to_string();
        let mut cells = [
            Cell::left(4.0, label).width(count_edge - 30.0),
            Cell::right(count_edge, &count),
            Cell::right(amount_edge, &amount).width(amount_edge - count_edge - 4.0),
        ];
        if bold {
            cells = cells.map(Cell::bold);
        }
        flow.row(BASE, &cells);
    };
    for channel in &report.channels {
        row(
            flow,
            &channel.label,
            Some(channel.count),
            channel.amount,
            false,
        );
    }
    row(
        flow,
        "冲正",
        Some(report.voids.count),
        report.voids.amount,
        false,
    );
    row(
        flow,
        "退款",
        Some(report.refunds.count),
        report.refunds.amount,
        false,
    );
    flow.partial_rule(0.0, amount_edge);
    row(flow, "净额合计", None, report.net_total, true);
    let words = format!("大写：{}", money_in_upper(report.net_total));
    flow.paragraph(BASE, 4.0, "", 4.0, &words);
    flow.rule(false);
}

fn cash_count(flow: &mut Flow, report: &DayReport) {
    flow.ensure(5.0 * Flow::row_height(BASE));
    flow.row(BASE, &[Cell::left(0.0, "现金清点").bold()]);
    let not_counted = || "未清点".to_owned();
    pairs(
        flow,
        &[
            ("应有现金", report.expected_cash.to_string()),
            (
                "实点现金",
                report
                    .counted_cash
                    .map_or_else(not_counted, |m| m.to_string()),
            ),
            ("差额", report.difference.map_or_else(not_counted, signed)),
        ],
    );
    if !report.difference_note.trim().is_empty() {
        flow.paragraph(BASE, 0.0, "差额说明", 18.0, &report.difference_note);
    }
    let supervisor = report
        .supervisor
        .clone()
        .unwrap_or_else(|| "未复核".to_owned());
    pairs(flow, &[("复核主管", supervisor)]);
    flow.rule(false);
}

/// Column layout of the payment list: receipt no., time, account, channel,
/// amount (right edge), status.
struct Columns {
    receipt: f32,
    time: f32,
    account: f32,
    channel: f32,
    amount: f32,
    status: f32,
}

fn payments(flow: &mut Flow, report: &DayReport) {
    let width = flow.content_width();
    let columns = Columns {
        receipt: 0.0,
        time: 44.0,
        account: 76.0,
        channel: 106.0,
        amount: 152.0,
        status: 156.0,
    };
    flow.ensure(4.0 * Flow::row_height(BASE));
    let title = format!("收款明细（{} 笔）", report.payments.len());
    flow.row(BASE, &[Cell::left(0.0, &title).bold()]);
    payment_header(flow, &columns, width);
    for payment in &report.payments {
        let time = payment.time.format("%H:%M:%S").to_string();
        let amount = payment.amount.to_string();
        let cells = [
            Cell::left(columns.receipt, &payment.receipt_no)
                .width(columns.time - columns.receipt - 2.0),
            Cell::left(columns.time, &time).width(columns.account - columns.time - 2.0),
            Cell::left(columns.account, &payment.account_no)
                .width(columns.channel - columns.account - 2.0),
            Cell::left(columns.channel, &payment.channel_label).width(24.0),
            Cell::right(columns.amount, &amount).width(columns.amount - columns.channel - 26.0),
            Cell::left(columns.status, &payment.status).width(width - columns.status),
        ];
        if flow.ensure(Flow::row_height(SMALL)) {
            payment_header(flow, &columns, width);
        }
        flow.row(SMALL, &cells);
    }
    flow.rule(false);
}

fn payment_header(flow: &mut Flow, columns: &Columns, width: f32) {
    flow.row(
        SMALL,
        &[
            Cell::left(columns.receipt, "收据号"),
            Cell::left(columns.time, "时间"),
            Cell::left(columns.account, "户号"),
            Cell::left(columns.channel, "渠道"),
            Cell::right(columns.amount, "金额(元)"),
            Cell::left(columns.status, "状态"),
        ],
    );
    flow.partial_rule(0.0, width);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_report(payments: usize) -> DayReport {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let at = |h, m, s| day.and_hms_opt(h, m, s).unwrap_or_default();
        DayReport {
            company_name: "北京市燃气集团有限责任公司".into(),
            business_date: day,
            cashier_name: "李四".into(),
            cashier_username: "lisi".into(),
            shift_status: "已结账".into(),
            opened_at: at(8, 0, 0),
            closed_at: Some(at(17, 30, 0)),
            channels: vec![
                ChannelTotal {
                    label: "现金".into(),
                    count: 12,
                    amount: Money::from_fen(123_400),
                },
                ChannelTotal {
                    label: "微信".into(),
                    count: 7,
                    amount: Money::from_fen(56_000),
                },
            ],
            voids: CountAmount {
                count: 1,
                amount: Money::from_fen(-10_000),
            },
            refunds: CountAmount {
                count: 1,
                amount: Money::from_fen(-5_000),
            },
            net_total: Money::from_fen(164_400),
            expected_cash: Money::from_fen(108_400),
            counted_cash: Some(Money::from_fen(108_200)),
            difference: Some(Money::from_fen(-200)),
            difference_note: "找零差错，已登记".into(),
            supervisor: Some("王主管".into()),
            payments: (0..payments)
                .map(|i| DayReportPayment {
                    receipt_no: format!("R20261125-{:06}", i + 1),
                    time: at(8 + (i / 60 % 9) as u32, (i % 60) as u32, 0),
                    account_no: format!("11000{:05}", i * 7),
                    channel_label: if i % 3 == 0 { "微信" } else { "现金" }.into(),
                    amount: Money::from_fen(10_000 + i as i64 * 37),
                    status: if i == 5 { "已冲正" } else { "正常" }.into(),
                })
                .collect(),
            printed_at: at(17, 35, 0),
        }
    }

    #[test]
    fn renders_short_and_long_reports() -> Result<(), PrintError> {
        for payments in [3, 200] {
            let pdf = render_day_report(&sample_report(payments))?;
            assert!(pdf.starts_with(b"%PDF"));
            assert!(pdf.len() < 120_000, "{payments}: {} bytes", pdf.len());
        }
        Ok(())
    }
}

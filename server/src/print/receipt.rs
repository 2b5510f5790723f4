//! Counter receipts: payments, voids, refunds and gas purchases, on 80 mm
//! roll paper or A5.

use chrono::{NaiveDate, NaiveDateTime};
use gascis_common::{Money, upper_numerals::money_in_upper};
use rust_decimal::Decimal;

use super::{
    PrintError,
    canvas::{Cell, Flow, MAX_PAGE_MM},
    fixed,
    font::shared_font,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Payment,
    Void,
    Refund,
    GasPurchase,
}

impl ReceiptKind {
    /// What the document is, printed under the heading.
    pub fn title(self) -> &'static str {
        match self {
            ReceiptKind::Payment => "收费收据",
            ReceiptKind::Void => "冲正凭证",
            ReceiptKind::Refund => "退款凭证",
            ReceiptKind::GasPurchase => "购气收据",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperSize {
    /// 80 mm thermal roll (72 mm printable), one page as long as the content.
    Roll80mm,
    /// A5 portrait, 148 × 210 mm, continued on further pages if need be.
    A5,
}

/// One priced tier of a bill or a gas purchase.
#[derive(Debug, Clone)]
pub struct TierLine {
    /// E.g. "第一阶梯".
    pub label: String,
    pub volume_m3: Decimal,
    /// Yuan per m³, shown to 4 places.
    pub unit_price: Decimal,
    pub amount: Money,
}

/// A bill settled (wholly or partly) by this receipt.
#[derive(Debug, Clone)]
pub struct ReceiptBill {
    /// Billing period, e.g. "2026-10".
    pub period: String,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub previous_reading: Option<Decimal>,
    pub current_reading: Option<Decimal>,
    pub volume_m3: Decimal,
    /// The current reading was estimated (估抄), not read.
    pub estimated: bool,
    pub tier_lines: Vec<TierLine>,
    pub bill_amount: Money,
    pub principal_paid: Money,
    pub late_fee_paid: Money,
}

/// An item that is not a bill: prepayment (预存), late fees in total,
/// a gas purchase's volume, …
#[derive(Debug, Clone)]
pub struct ReceiptLine {
    pub label: String,
    /// Optional detail between label and amount, e.g. "20.000 m³ × 2.6300".
    pub detail: String,
    pub amount: Money,
}

/// The gas an IC-card sale put on the card.
#[derive(Debug, Clone)]
pub struct ReceiptPurchase {
    pub card_no: String,
    /// The card's purchase number (第N次购气).
    pub purchase_seq: u32,
    pub volume_m3: Decimal,
    pub tier_lines: Vec<TierLine>,
    /// What the gas costs, tax included.
    pub gas_amount: Money,
}

#[derive(Debug, Clone)]
pub struct ReceiptDocument {
    pub company_name: String,
    /// Heading, e.g. "燃气费收据"; empty for the kind's own title.
    pub title: String,
    pub receipt_no: String,
    /// A copy printed again: marked 重打 beside the heading.
    pub reprint: bool,
    pub kind: ReceiptKind,
    pub account_no: String,
    /// Already masked by the caller.
    pub customer_name: String,
    /// Already masked by the caller.
    pub address: String,
    pub meter_no: String,
    pub business_date: NaiveDate,
    pub printed_at: NaiveDateTime,
    /// Payment channel as shown to people, e.g. "现金".
    pub channel_label: String,
    /// Terminal or gateway reference; may be empty.
    pub reference: String,
    pub cashier: String,
    pub bills: Vec<ReceiptBill>,
    /// An IC-card sale's gas; its cost is on the card, the money in `amount`.
    pub purchase: Option<ReceiptPurchase>,
    pub lines: Vec<ReceiptLine>,
    pub amount: Money,
    /// Cash handed over and change given, for cash payments.
    pub tendered: Option<Money>,
    pub change: Option<Money>,
    pub prepayment_after: Money,
    pub arrears_after: Money,
    pub note: String,
}

/// What a rendering consists of: page sizes and every text run in order.
/// For tests, and for the benchmark's like-for-like bare printpdf baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderSummary {
    pub page_sizes_mm: Vec<(f32, f32)>,
    pub texts: Vec<String>,
}

/// Sizes in pt and column positions in mm for one paper size.
struct Style {
    paper: PaperSize,
    base: f32,
    small: f32,
    heading: f32,
    company: f32,
    total: f32,
    /// Where values start, after their label.
    label_width: f32,
    /// Tier table: label's left edge, then the right edges of volume,
    /// unit price and amount.
    tier_label: f32,
    tier_volume: f32,
    tier_price: f32,
}

impl Style {
    fn for_paper(paper: PaperSize) -> Self {
        match paper {
            PaperSize::Roll80mm => Style {
                paper,
                base: 8.5,
                small: 7.5,
                heading: 13.0,
                company: 10.0,
                total: 11.0,
                label_width: 14.0,
                tier_label: 0.0,
                tier_volume: 37.0,
                tier_price: 54.0,
            },
            PaperSize::A5 => Style {
                paper,
                base: 10.0,
                small: 9.0,
                heading: 16.0,
                company: 12.0,
                total: 12.0,
                label_width: 18.0,
                tier_label: 6.0,
                tier_volume: 64.0,
                tier_price: 94.0,
            },
        }
    }

    fn roll(&self) -> bool {
        self.paper == PaperSize::Roll80mm
    }
}

/// Renders a receipt as a PDF.
pub fn render_receipt(doc: &ReceiptDocument, paper: PaperSize) -> Result<Vec<u8>, PrintError> {
    let flow = layout(doc, paper)?;
    let title = format!("{} {}", heading(doc), doc.receipt_no);
    flow.finish(&title)
}

/// The layout of a receipt without writing the PDF.
pub fn receipt_summary(
    doc: &ReceiptDocument,
    paper: PaperSize,
) -> Result<RenderSummary, PrintError> {
    let (page_sizes_mm, texts) = layout(doc, paper)?.summary();
    Ok(RenderSummary {
        page_sizes_mm,
        texts,
    })
}

fn heading(doc: &ReceiptDocument) -> &str {
    if doc.title.trim().is_empty() {
        doc.kind.title()
    } else {
        &doc.title
    }
}

fn layout(doc: &ReceiptDocument, paper: PaperSize) -> Result<Flow, PrintError> {
    let font = shared_font()?;
    let style = Style::for_paper(paper);
    let mut flow = match paper {
        PaperSize::Roll80mm => Flow::roll(font, 80.0, 4.0, (4.0, 8.0)),
        PaperSize::A5 => Flow::paged(font, (148.0, 210.0), 12.0, (12.0, 14.0)),
    };
    header(&mut flow, &style, doc);
    customer(&mut flow, &style, doc);
    for bill in &doc.bills {
        bill_block(&mut flow, &style, bill);
    }
    if let Some(purchase) = &doc.purchase {
        purchase_block(&mut flow, &style, purchase);
    }
    other_lines(&mut flow, &style, doc);
    totals(&mut flow, &style, doc);
    signature(&mut flow, &style, doc);

    if flow.page_count() > 1 {
        let text = format!("收据号 {}    第{{page}}页/共{{pages}}页", doc.receipt_no);
        flow.footer(style.small, super::canvas::Align::Center, &text);
    }
    if paper == PaperSize::Roll80mm && flow.length() > MAX_PAGE_MM {
        return Err(PrintError::TooLongForRoll {
            length_mm: flow.length().ceil() as u32,
            max_mm: MAX_PAGE_MM as u32,
        });
    }
    Ok(flow)
}

fn header(flow: &mut Flow, style: &Style, doc: &ReceiptDocument) {
    let width = flow.content_width();
    let middle = width / 2.0;
    flow.row(
        style.company,
        &[Cell::center(middle, &doc.company_name).width(width)],
    );
    flow.gap(0.5);
    let heading = heading(doc);
    let mut cells = vec![
        Cell::center(middle, heading)
            .bold()
            .width(width - if doc.reprint { 28.0 } else { 0.0 }),
    ];
    if doc.reprint {
        cells.push(Cell::right(width - 1.0, "重打").bold().boxed().scaled(0.8));
    }
    flow.row(style.heading, &cells);
    if heading != doc.kind.title() {
        flow.row(style.base, &[Cell::center(middle, doc.kind.title())]);
    }
    flow.gap(1.0);
    if style.roll() {
        field(flow, style, 0.0, width, "收据号", &doc.receipt_no);
    } else {
        let half = width / 2.0;
        flow.row(
            style.base,
            &[
                Cell::left(0.0, "收据号"),
                Cell::left(style.label_width, &doc.receipt_no).width(half - style.label_width),
                Cell::left(half + 4.0, "营业日期"),
                Cell::left(half + 4.0 + style.label_width, &date(doc.business_date)),
            ],
        );
    }
    flow.rule(false);
}

/// A label and its value on one row, between `x` and `x + width`.
fn field(flow: &mut Flow, style: &Style, x: f32, width: f32, label: &str, value: &str) {
    flow.row(
        style.base,
        &[
            Cell::left(x, label),
            Cell::left(x + style.label_width, value).width(width - style.label_width),
        ],
    );
}

/// Two label/value pairs side by side (A5).
fn field_pair(flow: &mut Flow, style: &Style, left: (&str, &str), right: (&str, &str)) {
    let half = flow.content_width() / 2.0;
    let column = half - style.label_width - 2.0;
    flow.row(
        style.base,
        &[
            Cell::left(0.0, left.0),
            Cell::left(style.label_width, left.1).width(column),
            Cell::left(half + 4.0, right.0),
            Cell::left(half + 4.0 + style.label_width, right.1).width(column - 4.0),
        ],
    );
}

fn customer(flow: &mut Flow, style: &Style, doc: &ReceiptDocument) {
    let width = flow.content_width();
    if style.roll() {
        field(flow, style, 0.0, width, "户号", &doc.account_no);
        field(flow, style, 0.0, width, "户名", &doc.customer_name);
        flow.paragraph(style.base, 0.0, "地址", style.label_width, &doc.address);
        field(flow, style, 0.0, width, "表号", &doc.meter_no);
    } else {
        field_pair(
            flow,
            style,
            ("户号", &doc.account_no),
            ("表号", &doc.meter_no),
        );
        field(flow, style, 0.0, width, "户名", &doc.customer_name);
        flow.paragraph(style.base, 0.0, "地址", style.label_width, &doc.address);
    }
    flow.rule(false);
}

fn readings(bill: &ReceiptBill) -> String {
    let reading = |value: Option<Decimal>| value.map_or_else(|| "—".to_owned(), |v| fixed(v, 3));
    format!(
        "上次读数 {} 本次读数 {}",
        reading(bill.previous_reading),
        reading(bill.current_reading)
    )
}

fn bill_block(flow: &mut Flow, style: &Style, bill: &ReceiptBill) {
    let width = flow.content_width();
    let rows_base = if style.roll() { 6.0 } else { 3.0 };
    let tier_rows = if bill.tier_lines.is_empty() {
        0.0
    } else {
        bill.tier_lines.len() as f32 + 1.0
    };
    // Keep a bill on one page: its rows plus the dashed rule after it.
    flow.ensure(
        rows_base * Flow::row_height(style.base) + tier_rows * Flow::row_height(style.small) + 3.0,
    );

    let period = format!("账期 {}", bill.period);
    let span = format!("{} 至 {}", date(bill.from_date), date(bill.to_date));
    flow.row(
        style.base,
        &[Cell::left(0.0, &period).bold(), Cell::right(width, &span)],
    );
    let readings = readings(bill);
    let volume = format!("用气量 {} m³", fixed(bill.volume_m3, 3));
    let estimated = if bill.estimated { "估抄" } else { "" };
    if style.roll() {
        flow.row(
            style.base,
            &[
                Cell::left(0.0, &readings).width(width - 9.0),
                Cell::right(width, estimated).bold(),
            ],
        );
        flow.row(style.base, &[Cell::left(0.0, &volume)]);
    } else {
        let readings_room = width * 0.62;
        flow.row(
            style.base,
            &[
                Cell::left(0.0, &readings).width(readings_room),
                Cell::left(readings_room + 2.0, estimated).bold(),
                Cell::right(width, &volume),
            ],
        );
    }

    if !bill.tier_lines.is_empty() {
        tier_table(flow, style, &bill.tier_lines);
    }

    let amounts = [
        ("本期金额", bill.bill_amount.to_string()),
        ("实收本金", bill.principal_paid.to_string()),
        ("滞纳金", bill.late_fee_paid.to_string()),
    ];
    if style.roll() {
        for (label, amount) in &amounts {
            flow.row(
                style.base,
                &[Cell::left(0.0, label), Cell::right(width, amount)],
            );
        }
    } else {
        // Three label/amount pairs across the page, amounts right-aligned
        // in their thirds; the last one on the tier table's amount column.
        let third = width / 3.0;
        let cells: Vec<Cell<'_>> = amounts
            .iter()
            .enumerate()
            .flat_map(|(index, (label, amount))| {
                let start = third * index as f32;
                let edge = if index == 2 {
                    width
                } else {
                    start + third - 4.0
                };
                [
                    Cell::left(start, label),
                    Cell::right(edge, amount).width(third - 20.0),
                ]
            })
            .collect();
        flow.row(style.base, &cells);
    }
    flow.rule(true);
}

fn purchase_block(flow: &mut Flow, style: &Style, purchase: &ReceiptPurchase) {
    let width = flow.content_width();
    flow.ensure(
        4.0 * Flow::row_height(style.base)
            + (purchase.tier_lines.len() as f32 + 1.0) * Flow::row_height(style.small)
            + 3.0,
    );
    let card = format!("卡号 {}", purchase.card_no);
    let seq = format!("第{}次购气", purchase.purchase_seq);
    flow.row(
        style.base,
        &[
            Cell::left(0.0, &card).bold().width(width - 22.0),
            Cell::right(width, &seq),
        ],
    );
    let volume = format!("购气量 {} m³", fixed(purchase.volume_m3, 3));
    flow.row(style.base, &[Cell::left(0.0, &volume)]);
    if !purchase.tier_lines.is_empty() {
        tier_table(flow, style, &purchase.tier_lines);
    }
    let amount = purchase.gas_amount.to_string();
    flow.row(
        style.base,
        &[Cell::left(0.0, "气费"), Cell::right(width, &amount)],
    );
    flow.rule(true);
}

fn tier_table(flow: &mut Flow, style: &Style, tiers: &[TierLine]) {
    let width = flow.content_width();
    let label_room = style.tier_volume - style.tier_label - 16.0;
    let price_room = style.tier_price - style.tier_volume - 2.0;
    flow.row(
        style.small,
        &[
            Cell::left(style.tier_label, "阶梯"),
            Cell::right(style.tier_volume, "用量(m³)"),
            Cell::right(style.tier_price, "单价(元)"),
            Cell::right(width, "金额(元)"),
        ],
    );
    for tier in tiers {
        let volume = fixed(tier.volume_m3, 3);
        let price = fixed(tier.unit_price, 4);
        let amount = tier.amount.to_string();
        flow.row(
            style.small,
            &[
                Cell::left(style.tier_label, &tier.label).width(label_room),
                Cell::right(style.tier_volume, &volume).width(14.0),
                Cell::right(style.tier_price, &price).width(price_room),
                Cell::right(width, &amount).width(width - style.tier_price - 2.0),
            ],
        );
    }
}

fn other_lines(flow: &mut Flow, style: &Style, doc: &ReceiptDocument) {
    if doc.lines.is_empty() {
        return;
    }
    let width = flow.content_width();
    let (label_room, detail_x) = if style.roll() {
        (24.0, 25.0)
    } else {
        (40.0, 42.0)
    };
    for line in &doc.lines {
        let amount = line.amount.to_string();
        flow.row(
            style.base,
            &[
                Cell::left(0.0, &line.label).width(label_room),
                Cell::left(detail_x, &line.detail).width(width - detail_x - 18.0),
                Cell::right(width, &amount).width(17.0),
            ],
        );
    }
    flow.rule(true);
}

fn totals(flow: &mut Flow, style: &Style, doc: &ReceiptDocument) {
    let width = flow.content_width();
    // The totals, payment and signature rows belong together.
    flow.ensure(12.0 * Flow::row_height(style.base));
    let amount = doc.amount.to_string();
    flow.row(
        style.total,
        &[
            Cell::left(0.0, "合计").bold(),
            Cell::right(width, &amount).bold(),
        ],
    );
    let words = format!("大写：{}", money_in_upper(doc.amount));
    flow.paragraph(style.base, 0.0, "", 0.0, &words);
    flow.rule(false);

    let mut pairs: Vec<(&str, String)> = vec![("支付方式", doc.channel_label.clone())];
    if !doc.reference.is_empty() {
        pairs.push(("参考号", doc.reference.clone()));
    }
    if let Some(tendered) = doc.tendered {
        pairs.push(("实收现金", tendered.to_string()));
    }
    if let Some(change) = doc.change {
        pairs.push(("找零", change.to_string()));
    }
    pairs.push(("预存余额", doc.prepayment_after.to_string()));
    pairs.push(("欠费余额", doc.arrears_after.to_string()));
    if style.roll() {
        for (label, value) in &pairs {
            field(flow, style, 0.0, width, label, value);
        }
    } else {
        for chunk in pairs.chunks(2) {
            match chunk {
                [left, right] => {
                    field_pair(flow, style, (left.0, &left.1), (right.0, &right.1));
                }
                [single] => field(flow, style, 0.0, width, single.0, &single.1),
                _ => {}
            }
        }
    }
    if !doc.note.trim().is_empty() {
        flow.paragraph(style.base, 0.0, "备注", style.label_width, &doc.note);
    }
    flow.rule(false);
}

fn signature(flow: &mut Flow, style: &Style, doc: &ReceiptDocument) {
    let width = flow.content_width();
    let printed = date_time(doc.printed_at);
    if style.roll() {
        field(flow, style, 0.0, width, "收款员", &doc.cashier);
        field(
            flow,
            style,
            0.0,
            width,
            "营业日期",
            &date(doc.business_date),
        );
        field(flow, style, 0.0, width, "打印时间", &printed);
        if doc.reprint {
            flow.row(style.small, &[Cell::center(width / 2.0, "本凭证为重打件")]);
        }
    } else {
        field_pair(
            flow,
            style,
            ("收款员", &doc.cashier),
            ("打印时间", &printed),
        );
        if doc.reprint {
            flow.row(style.small, &[Cell::left(0.0, "本凭证为重打件")]);
        }
    }
}

pub(super) fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

pub(super) fn date_time(value: NaiveDateTime) -> String {
    value.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    pub(crate) fn sample_bill(month: u32) -> ReceiptBill {
        let from = day(2026, month, 1);
        let to = from
            .checked_add_months(chrono::Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(from);
        ReceiptBill {
            period: format!("2026-{month:02}"),
            from_date: from,
            to_date: to,
            previous_reading: Some(Decimal::new(1_234_000, 3)),
            current_reading: Some(Decimal::new(1_270_000, 3)),
            volume_m3: Decimal::new(36_000, 3),
            estimated: month.is_multiple_of(2),
            tier_lines: vec![
                TierLine {
                    label: "第一阶梯".into(),
                    volume_m3: Decimal::new(30_000, 3),
                    unit_price: Decimal::new(26_300, 4),
                    amount: Money::from_fen(7890),
                },
                TierLine {
                    label: "第二阶梯".into(),
                    volume_m3: Decimal::new(6_000, 3),
                    unit_price: Decimal::new(28_300, 4),
                    amount: Money::from_fen(1698),
                },
            ],
            bill_amount: Money::from_fen(9588),
            principal_paid: Money::from_fen(9588),
            late_fee_paid: Money::from_fen(12),
        }
    }

    pub(crate) fn sample(bills: usize, reprint: bool) -> ReceiptDocument {
        ReceiptDocument {
            company_name: "北京市燃气集团有限责任公司".into(),
            title: "燃气费收据".into(),
            receipt_no: "R20261125-000123".into(),
            reprint,
            kind: ReceiptKind::Payment,
            account_no: "1100012345".into(),
            customer_name: "张*三".into(),
            address: "北京市朝阳区建国路***号院*号楼*单元***室".into(),
            meter_no: "M-20190012345".into(),
            business_date: day(2026, 11, 25),
            printed_at: day(2026, 11, 25).and_hms_opt(10, 31, 5).unwrap_or_default(),
            channel_label: "现金".into(),
            reference: "POS-0042-889123".into(),
            cashier: "李四".into(),
            bills: (0..bills)
                .map(|i| sample_bill(1 + (i % 12) as u32))
                .collect(),
            purchase: None,
            lines: vec![ReceiptLine {
                label: "预存".into(),
                detail: String::new(),
                amount: Money::from_fen(10000),
            }],
            amount: Money::from_fen(123_456),
            tendered: Some(Money::from_fen(130_000)),
            change: Some(Money::from_fen(6544)),
            prepayment_after: Money::from_fen(10000),
            arrears_after: Money::ZERO,
            note: String::new(),
        }
    }

    fn render(bills: usize, paper: PaperSize) -> Result<Vec<u8>, PrintError> {
        render_receipt(&sample(bills, true), paper)
    }

    #[test]
    fn renders_both_sizes_with_one_and_thirty_bills() -> Result<(), PrintError> {
        for paper in [PaperSize::Roll80mm, PaperSize::A5] {
            for bills in [1, 30] {
                let pdf = render(bills, paper)?;
                assert!(pdf.starts_with(b"%PDF"), "{paper:?} {bills}");
                // Subsetting works: the font alone is 5 MB.
                assert!(
                    pdf.len() < 80_000,
                    "{paper:?} with {bills} bills is {} bytes",
                    pdf.len()
                );
            }
        }
        Ok(())
    }

    #[test]
    fn a_small_receipt_is_tens_of_kilobytes() -> Result<(), PrintError> {
        let pdf = render(1, PaperSize::Roll80mm)?;
        assert!(pdf.len() < 40_000, "{} bytes", pdf.len());
        Ok(())
    }

    #[test]
    fn roll_grows_and_a5_pages() -> Result<(), PrintError> {
        let one = receipt_summary(&sample(1, false), PaperSize::Roll80mm)?;
        let thirty = receipt_summary(&sample(30, false), PaperSize::Roll80mm)?;
        assert_eq!(one.page_sizes_mm.len(), 1);
        assert_eq!(thirty.page_sizes_mm.len(), 1);
        let (width, short) = one.page_sizes_mm[0];
        let (_, long) = thirty.page_sizes_mm[0];
        assert_eq!(width, 80.0);
        assert!(long > short + 29.0 * 30.0, "{short} {long}");

        let a5_one = receipt_summary(&sample(1, false), PaperSize::A5)?;
        let a5_many = receipt_summary(&sample(30, false), PaperSize::A5)?;
        assert_eq!(a5_one.page_sizes_mm, vec![(148.0, 210.0)]);
        assert!(a5_many.page_sizes_mm.len() > 1);
        assert!(a5_many.texts.iter().any(|t| t.contains("共")));
        Ok(())
    }

    #[test]
    fn texts_stay_whole() -> Result<(), PrintError> {
        let summary = receipt_summary(&sample(1, true), PaperSize::Roll80mm)?;
        let has = |text: &str| summary.texts.iter().any(|t| t == text);
        assert!(has("大写：壹仟贰佰叁拾肆元伍角陆分"));
        assert!(has("上次读数 1234.000 本次读数 1270.000"));
        assert!(has("重打"));
        assert!(has("2.6300"));
        let plain = receipt_summary(&sample(1, false), PaperSize::A5)?;
        assert!(!plain.texts.iter().any(|t| t.contains("重打")));
        Ok(())
    }

    #[test]
    fn kind_and_heading() -> Result<(), PrintError> {
        let mut doc = sample(0, false);
        doc.title = String::new();
        doc.kind = ReceiptKind::Void;
        doc.amount = Money::from_fen(-9588);
        let summary = receipt_summary(&doc, PaperSize::Roll80mm)?;
        assert_eq!(summary.texts.iter().filter(|t| *t == "冲正凭证").count(), 1);
        assert!(
            summary
                .texts
                .iter()
                .any(|t| t == "大写：负玖拾伍元捌角捌分")
        );
        Ok(())
    }

    #[test]
    fn absurdly_long_roll_is_refused() {
        let doc = sample(400, false);
        assert!(matches!(
            render_receipt(&doc, PaperSize::Roll80mm),
            Err(PrintError::TooLongForRoll { .. })
        ));
    }

    #[test]
    fn long_address_wraps_instead_of_running_off() -> Result<(), PrintError> {
        let mut doc = sample(1, false);
        doc.address =
            "某某省某某市某某区某某街道某某社区某某路某某号某某小区某号楼某单元某室".into();
        let summary = receipt_summary(&doc, PaperSize::Roll80mm)?;
        let pieces = summary
            .texts
            .iter()
            .filter(|t| t.starts_with("某") || t.ends_with("室"))
            .count();
        assert!(pieces >= 2, "{:?}", summary.texts);
        Ok(())
    }
}

//! VAT invoices (增值税发票) as PDF, A5 landscape like the platform's own
//! layout: title by kind, number and date, buyer and seller, the lines with
//! amount, rate and tax, totals, the total in 大写, remark and issuer. A red
//! invoice (红字发票) is marked 红字 / 销项负数 in red and shows negative
//! figures.

use chrono::NaiveDate;
use gascis_common::{Money, upper_numerals::money_in_upper};
use rust_decimal::Decimal;

use super::{
    PrintError,
    canvas::{Align, Cell, Flow},
    fixed,
    font::shared_font,
    receipt::date,
};

/// 购买方 or 销售方 as printed.
#[derive(Debug, Clone, Default)]
pub struct InvoiceParty {
    pub name: String,
    pub tax_id: String,
    pub address_phone: String,
    pub bank_account: String,
}

#[derive(Debug, Clone)]
pub struct InvoiceLine {
    pub item_name: String,
    pub specification: String,
    pub unit: String,
    pub quantity: Option<Decimal>,
    /// Tax-inclusive.
    pub unit_price: Option<Decimal>,
    /// Net of tax (金额).
    pub net: Money,
    /// "9%", "不征税".
    pub rate: String,
    pub tax: Money,
}

#[derive(Debug, Clone)]
pub struct InvoiceDocument {
    /// By kind, e.g. 增值税专用发票.
    pub title: String,
    pub red: bool,
    /// 发票代码; empty for digital invoices.
    pub invoice_code: String,
    /// 发票号码; empty while the platform has not issued it.
    pub invoice_no: String,
    pub issued_on: Option<NaiveDate>,
    pub buyer: InvoiceParty,
    pub seller: InvoiceParty,
    pub lines: Vec<InvoiceLine>,
    pub total_net: Money,
    pub total_tax: Money,
    pub total_amount: Money,
    pub remark: String,
    /// 开票人.
    pub issuer: String,
    /// Printed in place of the number while not issued, e.g. 未开具（待查询）.
    pub status_note: String,
}

const BASE: f32 = 9.0;
const SMALL: f32 = 8.0;

/// Columns of the line table: left edges of text, right edges of figures.
struct Columns {
    item: f32,
    spec: f32,
    unit: f32,
    quantity: f32,
    price: f32,
    net: f32,
    rate: f32,
    tax: f32,
}

const COLUMNS: Columns = Columns {
    item: 1.0,
    spec: 50.0,
    unit: 82.0,
    quantity: 108.0,
    price: 128.0,
    net: 152.0,
    rate: 166.0,
    tax: 189.0,
};

/// Renders an invoice as an A5-landscape PDF (more pages for many lines).
pub fn render_invoice(doc: &InvoiceDocument) -> Result<Vec<u8>, PrintError> {
    let flow = layout(doc)?;
    let name = if doc.invoice_no.is_empty() {
        doc.title.clone()
    } else {
        format!("{} {}", doc.title, doc.invoice_no)
    };
    flow.finish(&name)
}

/// All text runs of the layout in order (tests).
pub fn invoice_texts(doc: &InvoiceDocument) -> Result<Vec<String>, PrintError> {
    Ok(layout(doc)?.summary().1)
}

fn layout(doc: &InvoiceDocument) -> Result<Flow, PrintError> {
    let font = shared_font()?;
    let mut flow = Flow::paged(font, (210.0, 148.0), 10.0, (9.0, 10.0));
    let width = flow.content_width();
    let mut title_cells = vec![Cell::center(width / 2.0, &doc.title).bold().width(110.0)];
    if doc.red {
        title_cells.push(Cell::left(2.0, "红字").bold().boxed().red());
    }
    flow.row(15.0, &title_cells);
    let number = if doc.invoice_no.is_empty() {
        doc.status_note.clone()
    } else {
        doc.invoice_no.clone()
    };
    let issued = doc.issued_on.map(date).unwrap_or_default();
    let right = width - 62.0;
    if !doc.invoice_code.is_empty() {
        flow.row(
            SMALL,
            &[
                Cell::left(right, "发票代码："),
                Cell::left(right + 16.0, &doc.invoice_code),
            ],
        );
    }
    let mut number_row = vec![
        Cell::left(right, "发票号码："),
        Cell::left(right + 16.0, &number).width(46.0),
    ];
    if doc.red {
        number_row.push(Cell::left(2.0, "销项负数").red());
    }
    flow.row(SMALL, &number_row);
    flow.row(
        SMALL,
        &[
            Cell::left(right, "开票日期："),
            Cell::left(right + 16.0, &issued),
        ],
    );
    flow.rule(false);
    parties(&mut flow, &doc.buyer, &doc.seller);
    flow.rule(false);
    line_table(&mut flow, doc);
    totals(&mut flow, doc);
    flow.ensure(3.0 * Flow::row_height(BASE));
    flow.paragraph(BASE, 1.0, "备注", 14.0, &doc.remark);
    flow.rule(false);
    flow.row(
        BASE,
        &[
            Cell::left(1.0, "开票人："),
            Cell::left(16.0, &doc.issuer).width(50.0),
            Cell::left(width / 2.0, "销售方："),
            Cell::left(width / 2.0 + 15.0, &doc.seller.name).width(width / 2.0 - 16.0),
        ],
    );
    if flow.page_count() > 1 {
        let footer = format!("{} {}    第{{page}}页/共{{pages}}页", doc.title, number);
        flow.footer(SMALL, Align::Center, &footer);
    }
    Ok(flow)
}

fn parties(flow: &mut Flow, buyer: &InvoiceParty, seller: &InvoiceParty) {
    let width = flow.content_width();
    let half = width / 2.0;
    let label = 24.0;
    flow.row(
        BASE,
        &[
            Cell::left(1.0, "购买方").bold(),
            Cell::left(half + 2.0, "销售方").bold(),
        ],
    );
    let rows: [(&str, &str, &str); 4] = [
        ("名称", &buyer.name, &seller.name),
        ("纳税人识别号", &buyer.tax_id, &seller.tax_id),
        ("地址、电话", &buyer.address_phone, &seller.address_phone),
        ("开户行及账号", &buyer.bank_account, &seller.bank_account),
    ];
    for (name, left, right) in rows {
        flow.row(
            SMALL,
            &[
                Cell::left(1.0, name),
                Cell::left(label, left).width(half - label - 2.0),
                Cell::left(half + 2.0, name),
                Cell::left(half + label, right).width(half - label - 1.0),
            ],
        );
    }
}

fn header(flow: &mut Flow) {
    let c = &COLUMNS;
    flow.row(
        SMALL,
        &[
            Cell::left(c.item, "项目名称"),
            Cell::left(c.spec, "规格型号"),
            Cell::left(c.unit, "单位"),
            Cell::right(c.quantity, "数量"),
            Cell::right(c.price, "单价(含税)"),
            Cell::right(c.net, "金额"),
            Cell::right(c.rate, "税率"),
            Cell::right(c.tax, "税额"),
        ],
    );
    flow.partial_rule(0.0, flow.content_width());
}

fn line_table(flow: &mut Flow, doc: &InvoiceDocument) {
    let c = &COLUMNS;
    header(flow);
    for line in &doc.lines {
        let quantity = line.quantity.map(|q| fixed(q, 3)).unwrap_or_default();
        let price = line.unit_price.map(|p| fixed(p, 4)).unwrap_or_default();
        let net = line.net.to_string();
        let tax = line.tax.to_string();
        if flow.ensure(Flow::row_height(SMALL)) {
            header(flow);
        }
        flow.row(
            SMALL,
            &[
                Cell::left(c.item, &line.item_name).width(c.spec - c.item - 1.5),
                Cell::left(c.spec, &line.specification).width(c.unit - c.spec - 1.5),
                Cell::left(c.unit, &line.unit).width(10.0),
                Cell::right(c.quantity, &quantity).width(15.0),
                Cell::right(c.price, &price).width(c.price - c.quantity - 2.0),
                Cell::right(c.net, &net).width(c.net - c.price - 2.0),
                Cell::right(c.rate, &line.rate).width(c.rate - c.net - 2.0),
                Cell::right(c.tax, &tax).width(c.tax - c.rate - 2.0),
            ],
        );
    }
    flow.partial_rule(0.0, flow.content_width());
}

fn totals(flow: &mut Flow, doc: &InvoiceDocument) {
    let c = &COLUMNS;
    let width = flow.content_width();
    flow.ensure(4.0 * Flow::row_height(BASE));
    let net = format!("¥{}", doc.total_net);
    let tax = format!("¥{}", doc.total_tax);
    flow.row(
        BASE,
        &[
            Cell::left(c.item, "合计").bold(),
            Cell::right(c.net, &net),
            Cell::right(c.tax, &tax),
        ],
    );
    let words = money_in_upper(doc.total_amount);
    let figures = format!("（小写）¥{}", doc.total_amount);
    flow.row(
        BASE,
        &[
            Cell::left(c.item, "价税合计（大写）"),
            Cell::left(32.0, &words).bold().width(width - 32.0 - 48.0),
            Cell::right(width - 1.0, &figures).bold(),
        ],
    );
    flow.rule(false);
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(red: bool) -> InvoiceDocument {
        let sign = |fen: i64| Money::from_fen(if red { -fen } else { fen });
        InvoiceDocument {
            title: "增值税专用发票".into(),
            red,
            invoice_code: String::new(),
            invoice_no: "26000000000000000001".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 7),
            buyer: InvoiceParty {
                name: "某某餐饮管理有限公司".into(),
                tax_id: "91350100M000100Y43".into(),
                address_phone: "北京市朝阳区建国路1号 010-12345678".into(),
                bank_account: "工商银行建国路支行 0200001234567890".into(),
            },
            seller: InvoiceParty {
                name: "测试燃气公司".into(),
                tax_id: "91110000100005220B".into(),
                address_phone: "北京市西城区 010-87654321".into(),
                bank_account: "建设银行 1100000000".into(),
            },
            lines: vec![InvoiceLine {
                item_name: "*燃气*天然气".into(),
                specification: "2026-10 第一阶梯".into(),
                unit: "立方米".into(),
                quantity: Some(Decimal::new(if red { -120_000 } else { 120_000 }, 3)),
                unit_price: Some(Decimal::new(26_100, 4)),
                net: sign(28_734),
                rate: "9%".into(),
                tax: sign(2_586),
            }],
            total_net: sign(28_734),
            total_tax: sign(2_586),
            total_amount: sign(31_320),
            remark: "户号 1100012345".into(),
            issuer: "王芳".into(),
            status_note: String::new(),
        }
    }

    #[test]
    fn blue_and_red_render() -> Result<(), PrintError> {
        let blue = invoice_texts(&sample(false))?;
        assert!(blue.iter().any(|t| t == "叁佰壹拾叁元贰角"));
        assert!(!blue.iter().any(|t| t == "红字"));
        let red = invoice_texts(&sample(true))?;
        assert!(red.iter().any(|t| t == "红字"));
        assert!(red.iter().any(|t| t == "负叁佰壹拾叁元贰角"));
        assert!(render_invoice(&sample(true))?.starts_with(b"%PDF"));
        Ok(())
    }
}

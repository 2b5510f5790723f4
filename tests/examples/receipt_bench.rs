//! Benchmark: rendering counter receipts to PDF on one thread, beside a bare
//! printpdf baseline in the same process.
//!
//!     cargo run --release -p gascis-testkit --example receipt_bench [-- N]
//!
//! N receipts (default 2000) of realistic content (two bills with three tier
//! lines each, a prepayment line, cash tendered) are rendered with
//! `print::render_receipt` on 80 mm roll paper and on A5. Beside each, the
//! bare variant builds the same page size with the same text runs (taken
//! from `print::receipt_summary`, so the same glyphs get subsetted) and the
//! same shared font straight with printpdf — no layout code of ours — and
//! saves it with the same subsetting. The difference is what our layout
//! costs on top of printpdf itself.
//!
//! Goal (issue): p99 ≤ 50 ms and ≥ 250 pages/s per core in release.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use gascis_common::Money;
use gascis_server::print::{
    self, PaperSize, ReceiptBill, ReceiptDocument, ReceiptKind, ReceiptLine, TierLine,
};
use printpdf::{
    Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, TextItem, TextMatrix,
};
use rust_decimal::Decimal;

fn date(month: u32, day: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(2026, month, day).ok_or_else(|| anyhow::anyhow!("bad date"))
}

fn bill(month: u32, seed: i64) -> anyhow::Result<ReceiptBill> {
    let previous = 1_000_000 + seed * 37_000;
    let tiers = [
        ("第一阶梯", 20_000 + seed % 7 * 1000, 26_300),
        ("第二阶梯", 10_000, 28_300),
        ("第三阶梯", 3_000 + seed % 5 * 100, 40_500),
    ];
    let mut volume = 0;
    let mut total = Money::ZERO;
    let mut tier_lines = Vec::new();
    for (label, litres, price) in tiers {
        volume += litres;
        // m³ × yuan/m³ in fen, rounded half up: litres·price / 10^5.
        let amount = Money::from_fen((litres * price + 50_000) / 100_000);
        total = total.checked_add(amount).unwrap_or(total);
        tier_lines.push(TierLine {
            label: label.into(),
            volume_m3: Decimal::new(litres, 3),
            unit_price: Decimal::new(price, 4),
            amount,
        });
    }
    let from = date(month, 1)?;
    let to = from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(from);
    Ok(ReceiptBill {
        period: format!("2026-{month:02}"),
        from_date: from,
        to_date: to,
        previous_reading: Some(Decimal::new(previous, 3)),
        current_reading: Some(Decimal::new(previous + volume, 3)),
        volume_m3: Decimal::new(volume, 3),
        estimated: seed % 4 == 0,
        tier_lines,
        bill_amount: total,
        principal_paid: total,
        late_fee_paid: Money::from_fen(seed % 3 * 17),
    })
}

fn receipt(seed: i64) -> anyhow::Result<ReceiptDocument> {
    let bills = vec![bill(9, seed)?, bill(10, seed + 1)?];
    let mut amount = Money::from_fen(10_000);
    for bill in &bills {
        amount = amount
            .checked_add(bill.principal_paid)
            .and_then(|a| a.checked_add(bill.late_fee_paid))
            .unwrap_or(amount);
    }
    let printed_at: NaiveDateTime = date(11, 25)?
        .and_hms_opt(9, (seed % 60) as u32, (seed * 7 % 60) as u32)
        .ok_or_else(|| anyhow::anyhow!("bad time"))?;
    let tendered = Money::from_fen(
        ((amount.as_decimal() * Decimal::ONE_HUNDRED)
            .trunc()
            .mantissa() as i64
            / 10_000
            + 1)
            * 10_000,
    );
    Ok(ReceiptDocument {
        company_name: "北京市燃气集团有限责任公司".into(),
        title: "燃气费收据".into(),
        receipt_no: format!("R20261125-{seed:06}"),
        reprint: seed % 50 == 0,
        kind: ReceiptKind::Payment,
        account_no: format!("110{:07}", seed * 13),
        customer_name: "张*三".into(),
        address: "北京市朝阳区建国路***号院*号楼*单元***室".into(),
        meter_no: format!("M-2019{:07}", seed * 7),
        business_date: date(11, 25)?,
        printed_at,
        channel_label: "现金".into(),
        reference: format!("POS-0042-{seed:06}"),
        cashier: "李四".into(),
        bills,
        purchase: None,
        lines: vec![ReceiptLine {
            label: "预存".into(),
            detail: String::new(),
            amount: Money::from_fen(10_000),
        }],
        amount,
        tendered: Some(tendered),
        change: tendered.checked_sub(amount),
        prepayment_after: Money::from_fen(10_000 + seed),
        arrears_after: Money::ZERO,
        note: String::new(),
    })
}

/// The same page size and text runs, built directly with printpdf.
fn bare(summary: &print::RenderSummary) -> anyhow::Result<Vec<u8>> {
    let font = print::font::shared_font()?;
    let mut document = PdfDocument::new("bare");
    let handle = PdfFontHandle::External(document.add_font(font.parsed()));
    let per_page = summary
        .texts
        .len()
        .div_ceil(summary.page_sizes_mm.len().max(1));
    let mut texts = summary.texts.iter();
    let pages = summary
        .page_sizes_mm
        .iter()
        .map(|&(width, height)| {
            let mut ops = vec![
                Op::StartTextSection,
                Op::SetFont {
                    font: handle.clone(),
                    size: Pt(8.5),
                },
            ];
            let step = Pt((height * 72.0 / 25.4 - 20.0) / per_page as f32);
            for (index, text) in texts.by_ref().take(per_page).enumerate() {
                ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(
                        Pt(12.0),
                        Pt(height * 72.0 / 25.4 - 10.0) - Pt(step.0 * index as f32),
                    ),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
            }
            ops.push(Op::EndTextSection);
            PdfPage::new(Mm(width), Mm(height), ops)
        })
        .collect();
    document.with_pages(pages);
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    Ok(document.save(&options, &mut Vec::new()))
}

struct Stats {
    name: String,
    p50: f64,
    p99: f64,
    pages_per_s: f64,
    bytes: usize,
}

fn measure(
    name: &str,
    inputs: &[(ReceiptDocument, print::RenderSummary)],
    mut render: impl FnMut(&ReceiptDocument, &print::RenderSummary) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Stats> {
    let mut samples = Vec::with_capacity(inputs.len());
    let mut pages = 0;
    let mut bytes = 0;
    let started = Instant::now();
    for (doc, summary) in inputs {
        let t = Instant::now();
        let pdf = render(doc, summary)?;
        samples.push(t.elapsed());
        anyhow::ensure!(pdf.starts_with(b"%PDF"), "{name}: not a PDF");
        pages += summary.page_sizes_mm.len();
        bytes += pdf.len();
    }
    let total = started.elapsed();
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples
            .get(index)
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1e3
    };
    Ok(Stats {
        name: name.into(),
        p50: at(0.5),
        p99: at(0.99),
        pages_per_s: pages as f64 / total.as_secs_f64(),
        bytes: bytes / inputs.len().max(1),
    })
}

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);

    let started = Instant::now();
    print::font::shared_font()?;
    println!(
        "font parse (once per process): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    let mut rows = Vec::new();
    for (paper, tag) in [(PaperSize::Roll80mm, "Roll80mm"), (PaperSize::A5, "A5")] {
        let inputs = (0..n as i64)
            .map(|seed| {
                let doc = receipt(seed)?;
                let summary = print::receipt_summary(&doc, paper)?;
                Ok((doc, summary))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // Warm up caches (glyph lookups, allocator) outside the timing.
        for (doc, summary) in inputs.iter().take(20) {
            print::render_receipt(doc, paper)?;
            bare(summary)?;
        }
        let ours = measure(&format!("gascis {tag}"), &inputs, |doc, _| {
            Ok(print::render_receipt(doc, paper)?)
        })?;
        let baseline = measure(&format!("bare printpdf {tag}"), &inputs, |_, summary| {
            bare(summary)
        })?;
        println!(
            "{tag}: {} text runs, {} page(s) of {:.0}×{:.0} mm",
            inputs.first().map_or(0, |(_, s)| s.texts.len()),
            inputs.first().map_or(0, |(_, s)| s.page_sizes_mm.len()),
            inputs
                .first()
                .and_then(|(_, s)| s.page_sizes_mm.first())
                .map_or(0.0, |p| p.0),
            inputs
                .first()
                .and_then(|(_, s)| s.page_sizes_mm.first())
                .map_or(0.0, |p| p.1),
        );
        rows.push((ours, baseline));
    }

    println!();
    println!(
        "{:<24} {:>8} {:>8} {:>9} {:>9} {:>14}",
        "variant", "p50 ms", "p99 ms", "pages/s", "KB/pdf", "ratio to bare"
    );
    for (ours, baseline) in &rows {
        for stats in [ours, baseline] {
            println!(
                "{:<24} {:>8.2} {:>8.2} {:>9.0} {:>9.1} {:>14.2}",
                stats.name,
                stats.p50,
                stats.p99,
                stats.pages_per_s,
                stats.bytes as f64 / 1024.0,
                stats.p50 / baseline.p50.max(1e-9)
            );
        }
    }
    println!();
    let worst_p99 = rows.iter().map(|(o, _)| o.p99).fold(0.0, f64::max);
    let slowest = rows
        .iter()
        .map(|(o, _)| o.pages_per_s)
        .fold(f64::INFINITY, f64::min);
    println!(
        "goal p99 <= 50 ms: {} (worst {worst_p99:.2} ms); goal >= 250 pages/s: {} (slowest {slowest:.0})",
        if worst_p99 <= 50.0 { "met" } else { "MISSED" },
        if slowest >= 250.0 { "met" } else { "MISSED" },
    );
    Ok(())
}

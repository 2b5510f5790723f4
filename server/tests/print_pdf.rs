//! Receipts and the day report as a reader sees them: rendered to PDF and
//! read back with poppler's pdftotext (package poppler-utils, in the `test`
//! set of installer/packages.sh). Without pdftotext these tests fail rather
//! than skip, so that a machine missing it cannot pass them silently.
//!
//! Set GASCIS_PRINT_PREVIEW=/some/dir to keep the PDFs there, with PNG
//! renderings (pdftoppm) to look at.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use chrono::{NaiveDate, NaiveDateTime};
use gascis_common::{Money, upper_numerals::money_in_upper};
use gascis_server::print::{
    ChannelTotal, CountAmount, DayReport, DayReportPayment, PaperSize, ReceiptBill,
    ReceiptDocument, ReceiptKind, ReceiptLine, TierLine, render_day_report, render_receipt,
};
use rust_decimal::Decimal;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    day().and_hms_opt(h, m, s).unwrap_or_default()
}

fn bill(period: &str, from: NaiveDate, to: NaiveDate, estimated: bool) -> ReceiptBill {
    ReceiptBill {
        period: period.into(),
        from_date: from,
        to_date: to,
        previous_reading: Some(Decimal::new(1_234_000, 3)),
        current_reading: Some(Decimal::new(1_270_000, 3)),
        volume_m3: Decimal::new(36_000, 3),
        estimated,
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

fn receipt(reprint: bool) -> ReceiptDocument {
    let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
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
        business_date: day(),
        printed_at: at(10, 31, 5),
        channel_label: "现金".into(),
        reference: "POS-0042-889123".into(),
        cashier: "李四".into(),
        bills: vec![
            bill("2026-09", date(9, 1), date(9, 30), false),
            bill("2026-10", date(10, 1), date(10, 31), true),
        ],
        purchase: None,
        lines: vec![ReceiptLine {
            label: "预存".into(),
            detail: String::new(),
            amount: Money::from_fen(104_256),
        }],
        amount: Money::from_fen(123_456),
        tendered: Some(Money::from_fen(130_000)),
        change: Some(Money::from_fen(6544)),
        prepayment_after: Money::from_fen(104_256),
        arrears_after: Money::ZERO,
        note: String::new(),
    }
}

fn report(payments: usize) -> DayReport {
    DayReport {
        company_name: "北京市燃气集团有限责任公司".into(),
        business_date: day(),
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

/// Where the PDFs go: the preview dir if one was asked for, else a temp dir.
struct Output {
    dir: PathBuf,
    preview: bool,
    _temp: Option<tempfile::TempDir>,
}

fn output() -> anyhow::Result<Output> {
    if let Some(dir) = std::env::var_os("GASCIS_PRINT_PREVIEW") {
        let dir = PathBuf::from(dir);
        fs::create_dir_all(&dir)?;
        return Ok(Output {
            dir,
            preview: true,
            _temp: None,
        });
    }
    let temp = tempfile::tempdir()?;
    Ok(Output {
        dir: temp.path().to_path_buf(),
        preview: false,
        _temp: Some(temp),
    })
}

fn tool(name: &str) -> Command {
    let found = Command::new(name).arg("-v").output().is_ok();
    assert!(
        found,
        "{name} is missing: install poppler-utils (bash installer/packages.sh test) \
         to check the printed PDFs"
    );
    Command::new(name)
}

/// Writes the PDF, returns `pdftotext -layout` of it (and renders PNGs when
/// previewing).
fn read_back(out: &Output, name: &str, pdf: &[u8]) -> anyhow::Result<String> {
    let path = out.dir.join(format!("{name}.pdf"));
    fs::write(&path, pdf)?;
    let result = tool("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()?;
    anyhow::ensure!(
        result.status.success(),
        "pdftotext failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    if out.preview {
        render_png(&path, &out.dir.join(name))?;
    }
    Ok(String::from_utf8(result.stdout)?)
}

fn render_png(pdf: &Path, prefix: &Path) -> anyhow::Result<()> {
    let status = tool("pdftoppm")
        .args(["-png", "-r", "100"])
        .arg(pdf)
        .arg(prefix)
        .status()?;
    anyhow::ensure!(status.success(), "pdftoppm failed on {}", pdf.display());
    Ok(())
}

/// Collapses runs of spaces, as the columns of -layout output vary.
fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has_line(text: &str, wanted: &str) -> bool {
    text.lines().any(|line| squeeze(line).contains(wanted))
}

fn check_receipt(text: &str, reprint: bool) {
    let contains = |needle: &str| {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    };
    contains("大写：壹仟贰佰叁拾肆元伍角陆分");
    contains("上次读数 1234.000 本次读数 1270.000");
    contains("燃气费收据");
    contains("R20261125-000123");
    contains("估抄");
    contains("2026-10-01 至 2026-10-31");
    contains("现金");
    contains("李四");
    contains("1234.56");
    assert_eq!(text.contains("重打"), reprint, "重打 mark:\n{text}");
    for tier in [
        "第一阶梯 30.000 2.6300 78.90",
        "第二阶梯 6.000 2.8300 16.98",
    ] {
        assert!(has_line(text, tier), "no tier line {tier:?} in:\n{text}");
    }
    assert!(has_line(text, "用气量 36.000 m³"), "{text}");
}

#[test]
fn receipts_read_back() -> anyhow::Result<()> {
    let out = output()?;
    for (paper, tag) in [(PaperSize::Roll80mm, "roll"), (PaperSize::A5, "a5")] {
        for reprint in [false, true] {
            let pdf = render_receipt(&receipt(reprint), paper)?;
            let name = format!("receipt-{tag}{}", if reprint { "-reprint" } else { "" });
            let text = read_back(&out, &name, &pdf)?;
            check_receipt(&text, reprint);
            if paper == PaperSize::Roll80mm {
                assert!(has_line(&text, "实收现金 1300.00"), "{text}");
                assert!(has_line(&text, "找零 65.44"), "{text}");
            }
        }
    }
    Ok(())
}

#[test]
fn a5_receipt_with_many_bills_continues_on_more_pages() -> anyhow::Result<()> {
    let out = output()?;
    let mut doc = receipt(false);
    let first = doc.bills.first().cloned();
    if let Some(first) = first {
        doc.bills = vec![first; 30];
    }
    let text = read_back(
        &out,
        "receipt-a5-30-bills",
        &render_receipt(&doc, PaperSize::A5)?,
    )?;
    let pages = text.matches('\u{c}').count();
    assert!(pages > 1, "{pages} pages:\n{text}");
    assert!(has_line(&text, "第1页/共"), "{text}");
    assert_eq!(
        text.matches("上次读数 1234.000 本次读数 1270.000").count(),
        30
    );
    // The totals come after every bill.
    let last_bill = text.rfind("本期金额").unwrap_or(usize::MAX);
    let total = text.find("大写：").unwrap_or(0);
    assert!(total > last_bill, "{text}");
    Ok(())
}

#[test]
fn day_report_reads_back() -> anyhow::Result<()> {
    let out = output()?;
    let report = report(150);
    let text = read_back(&out, "day-report", &render_day_report(&report)?)?;
    let upper = format!("大写：{}", money_in_upper(report.net_total));
    assert_eq!(upper, "大写：壹仟陆佰肆拾肆元整");
    for needle in [
        upper.as_str(),
        "收款员日结报表",
        "李四（lisi）",
        "已结账",
        "2026-11-25 08:00:00",
        "2026-11-25 17:30:00",
        "找零差错，已登记",
        "王主管",
        "R20261125-000150",
        "已冲正",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    for line in [
        "现金 12 1234.00",
        "微信 7 560.00",
        "冲正 1 -100.00",
        "退款 1 -50.00",
        "净额合计 1644.00",
    ] {
        assert!(has_line(&text, line), "no {line:?} in:\n{text}");
    }
    assert!(has_line(&text, "差额 -2.00"), "{text}");
    assert!(
        has_line(
            &text,
            "R20261125-000001 08:00:00 1100000000 微信 100.00 正常"
        ),
        "{text}"
    );
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 3, "{pages} pages for 150 payments");
    assert!(
        has_line(&text, &format!("第{pages}页/共{pages}页")),
        "{text}"
    );
    // The list's header repeats on every page.
    assert_eq!(text.matches("收据号").count(), pages, "{text}");
    Ok(())
}

//! Texts of the counter (收费台), in Simplified Chinese and English: fixed
//! texts by [`Key`], the names of the server's codes (channels, statuses,
//! allocation kinds, reading sources) and the lines with amounts in them.
//! Amounts come as decimal strings and are shown with [`money`]; no float
//! touches them.

use std::path::Path;

use gascis_common::Money;
use gascis_common::card::{CardError, CardState};
use gascis_common::proto::v1 as pb;

use super::{Language, Text, pick};
use crate::api::counter::PrintedReceipt;
use crate::i18n::archive::money;
use crate::screen::counter::gas::{By, Problem as GasProblem};
use crate::screen::counter::payment::{Channel, Problem};
use crate::screen::counter::{Tab, dialogs};
use crate::theme::container::Tone;

/// A fixed text of the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Shortcuts,
    Loading,
    Cancel,
    Submitting,
    // Search
    SearchPlaceholder,
    SearchButton,
    ReadCardButton,
    SearchHint,
    Searching,
    HitsHint,
    AccountNo,
    CustomerName,
    Address,
    Phone,
    // Till
    TillTitle,
    TillFailed,
    RefreshTill,
    CloseShiftButton,
    // Account
    NoOpenBills,
    Period,
    DueOn,
    Amount,
    Unpaid,
    LateFee,
    Readings,
    Volume,
    EstimatedMark,
    LegacyArrears,
    Arrears,
    LateFees,
    TotalDue,
    Prepayment,
    RefundButton,
    // Payment
    TakePaymentTitle,
    AmountLabel,
    TenderedLabel,
    ChangeLabel,
    NoChange,
    ReferenceLabel,
    PaymentCodeLabel,
    PaymentCodeHint,
    ShiftClosedNoPosting,
    PostButton,
    Posting,
    Resending,
    Unconfirmed,
    UnconfirmedAdvice,
    RetryButton,
    AbandonButton,
    Pending,
    AskAgainButton,
    UnknownOutcome,
    UnknownAdvice,
    NextCustomerHint,
    // Receipt
    PaperRoll,
    PaperA5,
    PrintButton,
    ReprintButton,
    SavePdfButton,
    Saving,
    // Shift payments
    ShiftPaymentsTitle,
    NoPaymentsYet,
    Time,
    ReceiptNo,
    Channel,
    Status,
    VoidButton,
    // Dialogs
    VoidTitle,
    VoidConfirm,
    RefundTitle,
    RefundConfirm,
    CloseTitle,
    CloseConfirm,
    ReasonLabel,
    RefundAmountLabel,
    CountedLabel,
    NoteLabel,
    NoteRequiredLabel,
    ApprovalExplained,
    SupervisorUsername,
    SupervisorPassword,
    // 购气 (IC card) and 补卡
    GasTitle,
    GasQuoting,
    GasPayButton,
    GasPaying,
    GasUnconfirmedAdvice,
    GasRetryButton,
    GasRewriting,
    GasRewriteButton,
    GasShortcuts,
    ReissueTitle,
    ReissueConfirm,
}

impl Text for Key {
    fn in_language(self, language: Language) -> &'static str {
        let (zh, en) = texts(self);
        pick(language, zh, en)
    }
}

/// (中文, English) of a key.
fn texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::Shortcuts => (
            "快捷键：Enter 查询/下一项/收款 · ↑↓ 选择 · F2 读卡 · F3 购气/收款 · F4 本班流水 · F5 现金 · F6 银行卡 · F7 微信 · F8 支付宝 · F9 重打收据 · F11 开发票 · Esc 清空/返回",
            "Keys: Enter search/next/take · ↑↓ choose · F2 read card · F3 gas/payment · F4 shift payments · F5 cash · F6 bank card · F7 WeChat · F8 Alipay · F9 reprint · F11 invoice · Esc clear/back",
        ),
        Key::Loading => ("正在加载…", "Loading…"),
        Key::Cancel => ("取消", "Cancel"),
        Key::Submitting => ("正在提交…", "Submitting…"),
        Key::SearchPlaceholder => (
            "户号 / 姓名 / 电话 / 地址，按 Enter 查询",
            "Account no. / name / phone / address, then Enter",
        ),
        Key::SearchButton => ("查询 Enter", "Find Enter"),
        Key::ReadCardButton => ("读卡 F2", "Read card F2"),
        Key::SearchHint => (
            "输入户号后按 Enter；也可按姓名、电话或地址查找，或按 F2 读 IC 卡。",
            "Type the account no. and press Enter; a name, phone or address works too, or F2 reads the IC card.",
        ),
        Key::Searching => ("正在查找…", "Searching…"),
        Key::HitsHint => ("↑/↓ 选择，Enter 打开", "↑/↓ to choose, Enter to open"),
        Key::AccountNo => ("户号", "Account no."),
        Key::CustomerName => ("户名", "Name"),
        Key::Address => ("地址", "Address"),
        Key::Phone => ("电话", "Phone"),
        Key::TillTitle => ("本班", "My till"),
        Key::TillFailed => ("无法加载本班收款情况", "Cannot load the till"),
        Key::RefreshTill => ("刷新", "Refresh"),
        Key::CloseShiftButton => ("扎帐", "Close shift"),
        Key::NoOpenBills => ("没有未缴账单", "No unpaid bills"),
        Key::Period => ("账期", "Period"),
        Key::DueOn => ("到期日", "Due"),
        Key::Amount => ("金额", "Amount"),
        Key::Unpaid => ("未缴", "Unpaid"),
        Key::LateFee => ("滞纳金", "Late fee"),
        Key::Readings => ("起止读数", "Readings"),
        Key::Volume => ("用量 m³", "Use m³"),
        Key::EstimatedMark => ("估", "est."),
        Key::LegacyArrears => ("历史欠费", "Legacy arrears"),
        Key::Arrears => ("欠费", "Arrears"),
        Key::LateFees => ("滞纳金", "Late fees"),
        Key::TotalDue => ("应缴合计", "Total due"),
        Key::Prepayment => ("预存余额", "Prepayment"),
        Key::RefundButton => ("退预存", "Refund prepayment"),
        Key::TakePaymentTitle => ("本次收款", "Take payment"),
        Key::AmountLabel => ("收款金额（元）", "Amount (CNY)"),
        Key::TenderedLabel => ("实收（元）", "Tendered (CNY)"),
        Key::ChangeLabel => ("找零", "Change"),
        Key::NoChange => ("—", "—"),
        Key::ReferenceLabel => ("终端参考号", "Terminal reference"),
        Key::PaymentCodeLabel => ("付款码", "Payment code"),
        Key::PaymentCodeHint => (
            "用扫码枪扫描客户手机上的付款码，扫完自动提交",
            "Scan the code on the customer's phone; the scan submits it",
        ),
        Key::ShiftClosedNoPosting => (
            "本班已扎帐，今日不能再收款",
            "Your shift is closed: no more payments today",
        ),
        Key::PostButton => ("确认收款 Enter", "Take payment Enter"),
        Key::Posting => ("正在收款…", "Taking payment…"),
        Key::Resending => (
            "正在以同一笔重新提交（不会重复收款）…",
            "Sending the same payment again (it will not be taken twice)…",
        ),
        Key::Unconfirmed => ("结果未确认，请重试", "Outcome not confirmed: retry"),
        Key::UnconfirmedAdvice => (
            "网络中断或超时，无法确认这笔款是否已收。点“重试”以同一笔重新提交，不会重复收款。",
            "The network failed or timed out, so it is not known whether the money was taken. Retry sends the same payment again; it will not be taken twice.",
        ),
        Key::RetryButton => ("重试", "Retry"),
        Key::AbandonButton => ("放弃（已核实未收款）", "Give up (checked: not taken)"),
        Key::Pending => (
            "等待客户在手机上确认支付…",
            "Waiting for the customer to confirm on the phone…",
        ),
        Key::AskAgainButton => ("查询结果", "Ask again"),
        Key::UnknownOutcome => (
            "支付结果未知，待对账 (unknown, will be reconciled)",
            "Payment outcome unknown, will be reconciled (支付结果未知，待对账)",
        ),
        Key::UnknownAdvice => (
            "支付渠道未返回结果，已记为“未知”，由对账确定。不要按已收款处理，也不要重复收款。",
            "The channel gave no answer; the payment is recorded as unknown and reconciliation decides. Do not treat it as paid, and do not take it again.",
        ),
        Key::NextCustomerHint => (
            "按 Esc 返回查询，接待下一位；该笔可在“本班流水”中查看",
            "Esc goes back to the search for the next customer; the payment stays in the shift's list",
        ),
        Key::PaperRoll => ("80mm 热敏纸", "80 mm roll"),
        Key::PaperA5 => ("A5", "A5"),
        Key::PrintButton => ("打印收据 F9", "Print receipt F9"),
        Key::ReprintButton => ("重打 F9", "Reprint F9"),
        Key::SavePdfButton => ("另存为PDF", "Save as PDF"),
        Key::Saving => ("正在保存 PDF…", "Saving the PDF…"),
        Key::ShiftPaymentsTitle => ("本班流水", "Payments of my shift"),
        Key::NoPaymentsYet => ("本班还没有收款", "No payments in this shift yet"),
        Key::Time => ("时间", "Time"),
        Key::ReceiptNo => ("收据号", "Receipt no."),
        Key::Channel => ("方式", "Channel"),
        Key::Status => ("状态", "Status"),
        Key::VoidButton => ("冲正", "Void"),
        Key::VoidTitle => ("冲正收费", "Void a payment"),
        Key::VoidConfirm => ("主管确认冲正", "Supervisor: void"),
        Key::RefundTitle => ("退预存（付现金）", "Refund prepayment (cash)"),
        Key::RefundConfirm => ("主管确认退款", "Supervisor: refund"),
        Key::CloseTitle => ("扎帐", "Close the shift"),
        Key::CloseConfirm => ("主管确认扎帐", "Supervisor: close"),
        Key::GasTitle => ("购气（IC卡）", "Gas purchase (IC card)"),
        Key::GasQuoting => ("正在计价…", "Pricing…"),
        Key::GasPayButton => (
            "收款并写卡 Enter",
            "Take the money and write the card Enter",
        ),
        Key::GasPaying => ("正在收款…", "Taking the money…"),
        Key::GasUnconfirmedAdvice => (
            "不知道是否已扣款：按 F10 用同一单号重发，不会重复收费",
            "Not known whether it was charged: F10 sends the same request again, it never charges twice",
        ),
        Key::GasRetryButton => ("重发 F10", "Send again F10"),
        Key::GasRewriting => ("正在补气…", "Re-writing (补气)…"),
        Key::GasRewriteButton => ("补气 F10（不再收费）", "Re-write F10 (no new charge)"),
        Key::GasShortcuts => (
            "F3 购气/收款 · F7 按气量/按金额 · F5 现金 · F6 银行卡 · Enter 下一项/收款 · F10 重发/补气 · F12 补卡 · F2 重新读卡",
            "F3 gas/payment · F7 volume/amount · F5 cash · F6 bank card · Enter next/pay · F10 resend/re-write · F12 new card · F2 read card again",
        ),
        Key::ReissueTitle => ("补卡", "Re-issue the card (补卡)"),
        Key::ReissueConfirm => ("主管确认补卡", "Supervisor: re-issue"),
        Key::ReasonLabel => ("原因（必填）", "Reason (required)"),
        Key::RefundAmountLabel => ("退款金额（元）", "Amount (CNY)"),
        Key::CountedLabel => ("实点现金（元）", "Cash counted (CNY)"),
        Key::NoteLabel => ("备注", "Note"),
        Key::NoteRequiredLabel => ("差额说明（必填）", "Why it differs (required)"),
        Key::ApprovalExplained => (
            "请值班主管在此输入本人用户名和密码确认。",
            "The supervisor types their own user name and password here.",
        ),
        Key::SupervisorUsername => ("主管用户名", "Supervisor user name"),
        Key::SupervisorPassword => ("主管密码", "Supervisor password"),
    }
}

pub fn tab_name(language: Language, tab: Tab) -> String {
    match tab {
        Tab::Take => pick(language, "收款", "Take payment"),
        Tab::Shift => pick(language, "本班流水 F4", "Shift payments F4"),
    }
    .to_owned()
}

pub fn save_dialog_title(language: Language) -> String {
    pick(language, "另存收据为 PDF", "Save the receipt as PDF").to_owned()
}

pub fn nothing_found(language: Language, query: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("未找到“{query}”：请核对户号，或按姓名、电话、地址查找")
        }
        Language::English => {
            format!(
                "Nothing found for “{query}”: check the account no., or try a name, phone or address"
            )
        }
    }
}

pub fn no_account_for_card(language: Language, card_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("卡号 {card_no} 没有对应的账户"),
        Language::English => format!("No account has card {card_no}"),
    }
}

pub fn card_error(language: Language, error: &CardError) -> String {
    match (error, language) {
        (CardError::NoCard, Language::SimplifiedChinese) => {
            "读卡器中没有卡：请插卡后按 F2".to_owned()
        }
        (CardError::NoCard, Language::English) => {
            "No card in the reader: insert it and press F2".to_owned()
        }
        (error, Language::SimplifiedChinese) => format!("读卡失败：{error}"),
        (error, Language::English) => format!("Cannot read the card: {error}"),
    }
}

/// The name of a channel the counter takes.
pub fn channel_label(language: Language, channel: Channel) -> &'static str {
    match channel {
        Channel::Cash => pick(language, "现金", "Cash"),
        Channel::BankCard => pick(language, "银行卡", "Bank card"),
        Channel::WeChat => pick(language, "微信", "WeChat"),
        Channel::Alipay => pick(language, "支付宝", "Alipay"),
    }
}

/// The name of a channel's wire code, as the server sends it.
pub fn channel_name(language: Language, code: &str) -> String {
    match code {
        "cash" => pick(language, "现金", "Cash"),
        "bank_card" => pick(language, "银行卡", "Bank card"),
        "wechat" => pick(language, "微信", "WeChat"),
        "alipay" => pick(language, "支付宝", "Alipay"),
        "bank_agent" => pick(language, "银行代收", "Bank agent"),
        "online" => pick(language, "网上缴费", "Online"),
        other => return other.to_owned(),
    }
    .to_owned()
}

pub fn business_date(language: Language, date: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("营业日 {date}"),
        Language::English => format!("Business day {date}"),
    }
}

pub fn shift_status(language: Language, status: &str) -> (String, Tone) {
    let (label, tone) = match status {
        "open" => (pick(language, "当班中", "Open"), Tone::Good),
        "closed" => (pick(language, "已扎帐", "Closed"), Tone::Bad),
        _ => (
            pick(language, "今日未收款", "Nothing taken today"),
            Tone::Neutral,
        ),
    };
    (label.to_owned(), tone)
}

/// "现金 3 笔 ¥300.00".
pub fn channel_total(language: Language, total: &pb::ChannelTotal) -> String {
    let name = channel_name(language, &total.channel);
    let amount = money(&total.amount);
    match language {
        Language::SimplifiedChinese => format!("{name} {} 笔 {amount}", total.count),
        Language::English => format!("{name} {} × {amount}", total.count),
    }
}

pub fn net(language: Language, amount: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("净收 {}", money(amount)),
        Language::English => format!("Net {}", money(amount)),
    }
}

pub fn expected_cash(language: Language, amount: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("应有现金 {}", money(amount)),
        Language::English => format!("Cash expected {}", money(amount)),
    }
}

pub fn account_status(language: Language, status: &str) -> (String, Tone) {
    let (label, tone) = match status {
        "active" => (pick(language, "正常", "Active"), Tone::Good),
        "suspended" => (pick(language, "报停", "Suspended"), Tone::Caution),
        "closed" => (pick(language, "销户", "Closed"), Tone::Bad),
        other => return (other.to_owned(), Tone::Neutral),
    };
    (label.to_owned(), tone)
}

fn meter_type(language: Language, meter_type: &str) -> String {
    match meter_type {
        "mechanical" => pick(language, "机械表", "Mechanical"),
        "ic_card" => pick(language, "IC卡表", "IC-card meter"),
        "iot" => pick(language, "物联网表", "IoT meter"),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// "表具 机械表 JK00000001 · IC卡 … · 气价 …".
pub fn meter_line(language: Language, account: &pb::CounterAccount) -> String {
    let mut parts = Vec::new();
    if account.meter_no.is_empty() && account.meter_type.is_empty() {
        parts.push(pick(language, "无在用表具", "No meter installed").to_owned());
    } else {
        let kind = meter_type(language, &account.meter_type);
        parts.push(match language {
            Language::SimplifiedChinese => format!("表具 {kind} {}", account.meter_no),
            Language::English => format!("Meter {kind} {}", account.meter_no),
        });
    }
    if !account.card_no.is_empty() {
        parts.push(match language {
            Language::SimplifiedChinese => format!("IC卡 {}", account.card_no),
            Language::English => format!("Card {}", account.card_no),
        });
    }
    if !account.tariff_code.is_empty() {
        parts.push(match language {
            Language::SimplifiedChinese => format!("气价 {}", account.tariff_code),
            Language::English => format!("Tariff {}", account.tariff_code),
        });
    }
    if !account.phone.is_empty() {
        parts.push(account.phone.clone());
    }
    parts.join(" · ")
}

/// A volume or reading without trailing zeros: "120.000" -> "120".
pub fn quantity(value: &str) -> String {
    let value = value.trim();
    if value.is_empty() {
        return "—".to_owned();
    }
    match value.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => value.to_owned(),
    }
}

pub fn readings(previous: &str, current: &str) -> String {
    if previous.trim().is_empty() && current.trim().is_empty() {
        return "—".to_owned();
    }
    format!("{} → {}", quantity(previous), quantity(current))
}

fn source(language: Language, source: &str) -> String {
    match source {
        "manual" => pick(language, "人工", "manual"),
        "iot" => pick(language, "物联网", "IoT"),
        "self" => pick(language, "自报", "self-reported"),
        "estimate" => pick(language, "估抄", "estimated"),
        "import" => pick(language, "导入", "imported"),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// "近期读数：2024-03-31 1320（人工） · …".
pub fn last_readings(language: Language, readings: &[pb::CounterReading]) -> String {
    let list: Vec<String> = readings
        .iter()
        .take(3)
        .map(|reading| match language {
            Language::SimplifiedChinese => format!(
                "{} {}（{}）",
                reading.read_on,
                quantity(&reading.value),
                source(language, &reading.source)
            ),
            Language::English => format!(
                "{} {} ({})",
                reading.read_on,
                quantity(&reading.value),
                source(language, &reading.source)
            ),
        })
        .collect();
    match language {
        Language::SimplifiedChinese => format!("近期读数：{}", list.join(" · ")),
        Language::English => format!("Last readings: {}", list.join(" · ")),
    }
}

pub fn payment_problem(language: Language, problem: Problem) -> &'static str {
    match problem {
        Problem::AmountMissing => pick(language, "请填写收款金额", "Enter the amount"),
        Problem::AmountInvalid => pick(
            language,
            "金额格式不正确（最多两位小数）",
            "Not an amount (at most 2 decimals)",
        ),
        Problem::AmountNotPositive => pick(language, "金额须大于 0", "The amount must be above 0"),
        Problem::TenderedInvalid => pick(language, "实收金额格式不正确", "Not an amount"),
        Problem::TenderedShort => pick(
            language,
            "实收少于收款金额",
            "Less than the amount was handed over",
        ),
        Problem::ReferenceMissing => pick(
            language,
            "请填写 POS 小票上的终端参考号",
            "Enter the reference on the terminal's slip",
        ),
        Problem::PaymentCodeMissing => pick(
            language,
            "请扫描客户的付款码",
            "Scan the customer's payment code",
        ),
        Problem::PaymentCodeInvalid => pick(
            language,
            "付款码应为 10–32 位数字，请重新扫描",
            "A payment code is 10–32 digits: scan it again",
        ),
    }
}

pub fn surplus(language: Language, surplus: Money) -> String {
    let amount = money(&surplus.to_string());
    match language {
        Language::SimplifiedChinese => format!("超出应缴部分 {amount} 转入预存"),
        Language::English => format!("{amount} beyond what is due goes to prepayment"),
    }
}

pub fn declined(language: Language, detail: &str) -> String {
    match (language, detail.trim().is_empty()) {
        (Language::SimplifiedChinese, true) => {
            "支付被拒绝：请客户刷新付款码或改用其他方式".to_owned()
        }
        (Language::SimplifiedChinese, false) => format!("支付被拒绝：{detail}"),
        (Language::English, true) => {
            "Declined: ask for a fresh payment code or another way to pay".to_owned()
        }
        (Language::English, false) => format!("Declined: {detail}"),
    }
}

pub fn payment_no(language: Language, payment_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("收费单号 {payment_no}"),
        Language::English => format!("Payment no. {payment_no}"),
    }
}

pub fn paid_headline(language: Language, payment: &pb::Payment) -> String {
    match language {
        Language::SimplifiedChinese => format!("收款成功 · 收据号 {}", payment.receipt_no),
        Language::English => format!("Payment taken · receipt {}", payment.receipt_no),
    }
}

pub fn voided_headline(language: Language, payment: &pb::Payment) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "已冲正收据 {} · 冲正单 {}",
            payment.receipt_no, payment.void_receipt_no
        ),
        Language::English => format!(
            "Receipt {} voided · void receipt {}",
            payment.receipt_no, payment.void_receipt_no
        ),
    }
}

pub fn refunded_headline(language: Language, payment: &pb::Payment) -> String {
    let amount = money(&payment.amount);
    match language {
        Language::SimplifiedChinese => {
            format!("已退预存 {amount} · 收据号 {}", payment.receipt_no)
        }
        Language::English => format!("Refunded {amount} · receipt {}", payment.receipt_no),
    }
}

pub fn closed_headline(language: Language, shift: &pb::Shift) -> String {
    match language {
        Language::SimplifiedChinese => format!("本班已扎帐（营业日 {}）", shift.business_date),
        Language::English => format!("Shift closed (business day {})", shift.business_date),
    }
}

/// "户号 3101000001 · 现金 · 金额 ¥361.80 · 实收 ¥400.00".
pub fn payment_facts(language: Language, payment: &pb::Payment) -> String {
    let channel = channel_name(language, &payment.channel);
    let amount = money(&payment.amount);
    let mut line = match language {
        Language::SimplifiedChinese => {
            format!("户号 {} · {channel} · 金额 {amount}", payment.account_no)
        }
        Language::English => format!("Account {} · {channel} · {amount}", payment.account_no),
    };
    if !payment.tendered.is_empty() && payment.channel == "cash" {
        let tendered = money(&payment.tendered);
        line.push_str(&match language {
            Language::SimplifiedChinese => format!(" · 实收 {tendered}"),
            Language::English => format!(" · tendered {tendered}"),
        });
    }
    if !payment.reference.is_empty() {
        line.push_str(&format!(" · {}", payment.reference));
    }
    line
}

pub fn change_given(language: Language, change: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("找零 {}", money(change)),
        Language::English => format!("Change {}", money(change)),
    }
}

/// Where part of a payment went: "2024-03 滞纳金 ¥1.80".
pub fn allocation(language: Language, allocation: &pb::Allocation) -> String {
    let amount = money(&allocation.amount);
    let period = &allocation.period;
    match (allocation.kind.as_str(), language) {
        ("arrears", Language::SimplifiedChinese) => format!("历史欠费 {amount}"),
        ("arrears", Language::English) => format!("Legacy arrears {amount}"),
        ("late_fee", Language::SimplifiedChinese) => format!("{period} 滞纳金 {amount}"),
        ("late_fee", Language::English) => format!("{period} late fee {amount}"),
        ("principal", Language::SimplifiedChinese) => format!("{period} 气费 {amount}"),
        ("principal", Language::English) => format!("{period} gas bill {amount}"),
        ("prepayment", Language::SimplifiedChinese) => format!("转入预存 {amount}"),
        ("prepayment", Language::English) => format!("To prepayment {amount}"),
        ("refund", Language::SimplifiedChinese) => format!("退预存 {amount}"),
        ("refund", Language::English) => format!("Prepayment refunded {amount}"),
        (kind, _) => format!("{kind} {period} {amount}"),
    }
}

pub fn balances_after(language: Language, payment: &pb::Payment) -> String {
    let arrears = money(&payment.arrears_after);
    let prepayment = money(&payment.prepayment_after);
    match language {
        Language::SimplifiedChinese => format!("缴后欠费 {arrears} · 预存余额 {prepayment}"),
        Language::English => format!("Now owes {arrears} · prepayment {prepayment}"),
    }
}

pub fn close_facts(language: Language, shift: &pb::Shift) -> String {
    let mut line = match language {
        Language::SimplifiedChinese => format!(
            "应有现金 {} · 实点 {} · 差额 {}",
            money(&shift.expected_cash),
            money(&shift.counted_cash),
            money(&shift.cash_difference)
        ),
        Language::English => format!(
            "Cash expected {} · counted {} · difference {}",
            money(&shift.expected_cash),
            money(&shift.counted_cash),
            money(&shift.cash_difference)
        ),
    };
    if !shift.difference_note.is_empty() {
        line.push_str(&format!(" · {}", shift.difference_note));
    }
    if !shift.supervisor.is_empty() {
        line.push_str(&match language {
            Language::SimplifiedChinese => format!(" · 主管 {}", shift.supervisor),
            Language::English => format!(" · supervisor {}", shift.supervisor),
        });
    }
    line
}

/// "收款 12 笔 ¥1,200.00 · 冲正 1 笔 ¥50.00 · 退预存 0 笔 ¥0.00 · 净收 ¥1,150.00".
pub fn close_till_totals(language: Language, shift: &pb::Shift) -> String {
    // Gas sold to IC cards is in the net like payments; said only when any.
    let gas = if shift.gas_sales > 0 {
        format!(" · {}", gas_sales(language, shift))
    } else {
        String::new()
    };
    match language {
        Language::SimplifiedChinese => format!(
            "收款 {} 笔 {}{gas} · 冲正 {} 笔 {} · 退预存 {} 笔 {} · 净收 {}",
            shift.payments,
            money(&shift.received),
            shift.voids,
            money(&shift.voided),
            shift.refunds,
            money(&shift.refunded),
            money(&shift.net)
        ),
        Language::English => format!(
            "Received {} × {}{gas} · voided {} × {} · refunded {} × {} · net {}",
            shift.payments,
            money(&shift.received),
            shift.voids,
            money(&shift.voided),
            shift.refunds,
            money(&shift.refunded),
            money(&shift.net)
        ),
    }
}

/// "购气 3 笔 ¥1117.60": IC-card gas sold in the shift.
pub fn gas_sales(language: Language, shift: &pb::Shift) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("购气 {} 笔 {}", shift.gas_sales, money(&shift.gas_sold))
        }
        Language::English => format!("Gas sold {} × {}", shift.gas_sales, money(&shift.gas_sold)),
    }
}

/// Counted minus expected: 长款 (over) or 短款 (short).
pub fn difference(language: Language, difference: Money) -> String {
    let amount = money(&difference.to_string());
    let magnitude = money(
        &(if difference.is_negative() {
            -difference
        } else {
            difference
        })
        .to_string(),
    );
    match (language, difference.cmp(&Money::ZERO)) {
        (Language::SimplifiedChinese, std::cmp::Ordering::Equal) => {
            format!("差额 {amount}（账实相符）")
        }
        (Language::SimplifiedChinese, std::cmp::Ordering::Greater) => {
            format!("长款 {magnitude}")
        }
        (Language::SimplifiedChinese, std::cmp::Ordering::Less) => format!("短款 {magnitude}"),
        (Language::English, std::cmp::Ordering::Equal) => {
            format!("Difference {amount} (the count matches)")
        }
        (Language::English, std::cmp::Ordering::Greater) => format!("Over by {magnitude}"),
        (Language::English, std::cmp::Ordering::Less) => format!("Short by {magnitude}"),
    }
}

pub fn printing(language: Language, receipt_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("正在打印收据 {receipt_no}…"),
        Language::English => format!("Printing receipt {receipt_no}…"),
    }
}

pub fn printed(language: Language, printed: &PrintedReceipt) -> String {
    match (language, printed.reprint) {
        (Language::SimplifiedChinese, false) => {
            format!("收据 {} 已送打印机", printed.receipt_no)
        }
        (Language::SimplifiedChinese, true) => format!(
            "收据 {} 已送打印机（重打，第 {} 次打印）",
            printed.receipt_no, printed.prints
        ),
        (Language::English, false) => format!("Receipt {} sent to the printer", printed.receipt_no),
        (Language::English, true) => format!(
            "Receipt {} sent to the printer (reprint, print {})",
            printed.receipt_no, printed.prints
        ),
    }
}

pub fn print_failed(language: Language, receipt_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("收据 {receipt_no} 未能打印"),
        Language::English => format!("Receipt {receipt_no} was not printed"),
    }
}

pub fn saved(language: Language, path: &Path) -> String {
    match language {
        Language::SimplifiedChinese => format!("已保存 → {}", path.display()),
        Language::English => format!("Saved → {}", path.display()),
    }
}

/// The reprint button of a row: the payment's receipt or its void's.
pub fn reprint_of(language: Language, receipt_no: &str, payment: &pb::Payment) -> String {
    if !payment.void_receipt_no.is_empty() && receipt_no == payment.void_receipt_no {
        pick(language, "重打冲正单", "Reprint void").to_owned()
    } else {
        pick(language, "重打", "Reprint").to_owned()
    }
}

pub fn payment_status(language: Language, payment: &pb::Payment) -> (String, Tone) {
    let (label, tone) = match payment.status.as_str() {
        _ if !payment.void_receipt_no.is_empty() || payment.status == "voided" => {
            (pick(language, "已冲正", "Voided"), Tone::Neutral)
        }
        "posted" if payment.kind == "refund" => (pick(language, "退预存", "Refund"), Tone::Neutral),
        "posted" => (pick(language, "已入账", "Posted"), Tone::Good),
        "unknown" => (pick(language, "待对账", "Unknown"), Tone::Caution),
        "pending" => (pick(language, "处理中", "Pending"), Tone::Caution),
        "declined" => (pick(language, "被拒绝", "Declined"), Tone::Bad),
        // The old system's payment, brought over by a payments history import.
        "imported" => (pick(language, "历史导入", "Imported"), Tone::Neutral),
        other => return (other.to_owned(), Tone::Neutral),
    };
    (label.to_owned(), tone)
}

/// The local time of an RFC 3339 moment, "10:31:02"; as sent when unreadable.
pub fn time_of(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|at| {
            at.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// The amount of a list row; a refund is money out.
pub fn signed_amount(payment: &pb::Payment) -> String {
    let amount = money(&payment.amount);
    if payment.kind == "refund" {
        format!("-{amount}")
    } else {
        amount
    }
}

pub fn dialog_problem(language: Language, problem: dialogs::Problem) -> &'static str {
    use dialogs::Problem as P;
    match problem {
        P::ReasonMissing => pick(language, "请填写原因", "Give the reason"),
        P::AmountInvalid => pick(
            language,
            "请填写大于 0 的金额（最多两位小数）",
            "Enter an amount above 0 (at most 2 decimals)",
        ),
        P::AmountTooHigh => pick(language, "不能超过预存余额", "At most the prepayment held"),
        P::CountedInvalid => pick(language, "请填写实点现金金额", "Enter the cash counted"),
        P::NoteMissing => pick(
            language,
            "实点与应有现金不符，请说明原因",
            "The count differs from what is expected: say why",
        ),
        P::ApprovalMissing => pick(
            language,
            "请值班主管输入用户名和密码",
            "The supervisor enters their user name and password",
        ),
    }
}

pub fn approval_refused(language: Language, field: &str) -> &'static str {
    match field {
        "approval.password" => pick(
            language,
            "主管用户名或密码错误",
            "Wrong supervisor user name or password",
        ),
        "approval.username" => pick(
            language,
            "该用户不是值班主管，不能审批",
            "This user is not a supervisor",
        ),
        _ => pick(language, "主管审批未通过", "The approval was refused"),
    }
}

/// The payment a void dialog is about.
pub fn void_facts(language: Language, payment: &pb::Payment) -> String {
    let channel = channel_name(language, &payment.channel);
    let amount = money(&payment.amount);
    let time = time_of(&payment.created_at);
    match language {
        Language::SimplifiedChinese => format!(
            "收据号 {} · 户号 {} · {channel} {amount} · {time}",
            payment.receipt_no, payment.account_no
        ),
        Language::English => format!(
            "Receipt {} · account {} · {channel} {amount} · {time}",
            payment.receipt_no, payment.account_no
        ),
    }
}

pub fn refund_facts(language: Language, account_no: &str, prepayment: Money) -> String {
    let amount = money(&prepayment.to_string());
    match language {
        Language::SimplifiedChinese => format!("户号 {account_no} · 预存余额 {amount}"),
        Language::English => format!("Account {account_no} · prepayment held {amount}"),
    }
}

/// The card in the reader, as the 购气 panel shows it.
pub fn gas_card(language: Language, card: Option<&Result<CardState, CardError>>) -> String {
    match (card, language) {
        (None, Language::SimplifiedChinese) => "正在读卡…".to_owned(),
        (None, Language::English) => "Reading the card…".to_owned(),
        (Some(Ok(card)), Language::SimplifiedChinese) => format!(
            "卡号 {} · 已购 {} 次 · 卡内未用气 {} m³",
            card.card_no,
            card.purchase_count,
            quantity(&card.gas_on_card.to_string())
        ),
        (Some(Ok(card)), Language::English) => format!(
            "Card {} · {} purchase(s) · {} m³ on the card",
            card.card_no,
            card.purchase_count,
            quantity(&card.gas_on_card.to_string())
        ),
        (Some(Err(error)), language) => card_error(language, error),
    }
}

pub fn gas_by(language: Language, by: By) -> &'static str {
    match by {
        By::Volume => pick(language, "按气量", "By volume"),
        By::Amount => pick(language, "按金额", "By amount"),
    }
}

pub fn gas_quantity_label(language: Language, by: By) -> String {
    match by {
        By::Volume => pick(language, "购气量（m³）", "Volume (m³)").to_owned(),
        By::Amount => pick(language, "购气金额（元）", "Amount (CNY)").to_owned(),
    }
}

/// One tier of a quote: "第1阶梯 100 m³ × 2.61 = ¥261.00".
pub fn gas_line(language: Language, line: &pb::GasLine) -> String {
    let tier = match (line.tier, language) {
        (0, Language::SimplifiedChinese) => "气费".to_owned(),
        (0, Language::English) => "Gas".to_owned(),
        (tier, Language::SimplifiedChinese) => format!("第{tier}阶梯"),
        (tier, Language::English) => format!("Tier {tier}"),
    };
    format!(
        "{tier} {} m³ × {} = {}",
        quantity(&line.volume_m3),
        line.unit_price,
        money(&line.amount)
    )
}

/// "共 100 m³ · 气费 ¥261.00 · 预存抵扣 ¥0.00 · 应收 ¥261.00".
pub fn gas_quote_total(language: Language, quote: &pb::GasQuote) -> String {
    let volume = quantity(&quote.volume_m3);
    match language {
        Language::SimplifiedChinese => format!(
            "共 {volume} m³ · 气费 {} · 预存抵扣 {} · 应收 {}",
            money(&quote.amount),
            money(&quote.balance_used),
            money(&quote.cash_due)
        ),
        Language::English => format!(
            "{volume} m³ · gas {} · from prepayment {} · to pay {}",
            money(&quote.amount),
            money(&quote.balance_used),
            money(&quote.cash_due)
        ),
    }
}

/// Why the card takes no gas now, with what to do.
pub fn gas_blocked(language: Language, quote: &pb::GasQuote) -> String {
    let reason = &quote.blocked_reason;
    match (
        language,
        quote.rewrite_pending,
        reason.contains("not loaded into the meter"),
    ) {
        (Language::SimplifiedChinese, true, _) => {
            format!("上次购气尚未写入卡中，请先补气（F10）。{reason}")
        }
        (Language::SimplifiedChinese, false, true) => {
            format!("卡内还有未插表的气量，请先插表用完再购气。{reason}")
        }
        (Language::SimplifiedChinese, false, false) => format!("此卡现在不能购气：{reason}"),
        (Language::English, true, _) => {
            format!("The last purchase is not on the card: re-write it first (F10). {reason}")
        }
        (Language::English, false, _) => format!("This card cannot take gas now: {reason}"),
    }
}

pub fn gas_problem(language: Language, problem: &GasProblem) -> String {
    let (zh, en) = match problem {
        GasProblem::NoCard => ("请插卡后按 F2 读卡", "Insert the card and press F2"),
        GasProblem::QuantityMissing => ("请输入购气量或金额", "Type a volume or an amount"),
        GasProblem::QuantityInvalid => ("不是有效的数量", "Not a valid quantity"),
        GasProblem::TenderedInvalid => ("实收金额无效", "Not a valid amount handed over"),
        GasProblem::TenderedShort => ("实收少于应收金额", "Less handed over than to pay"),
        GasProblem::ReferenceMissing => ("请输入刷卡参考号", "Type the terminal's reference"),
        GasProblem::NoQuote => ("尚未计价", "Not priced yet"),
        GasProblem::Blocked(reason) => {
            return match language {
                Language::SimplifiedChinese => format!("此卡现在不能购气：{reason}"),
                Language::English => format!("This card cannot take gas now: {reason}"),
            };
        }
    };
    pick(language, zh, en).to_owned()
}

pub fn gas_writing(language: Language, purchase: &pb::GasPurchase, rewrite: bool) -> String {
    let volume = quantity(&purchase.volume_m3);
    match (language, rewrite) {
        (Language::SimplifiedChinese, false) => {
            format!(
                "已收款，正在写卡：第{}次购气 {volume} m³…",
                purchase.purchase_seq
            )
        }
        (Language::SimplifiedChinese, true) => {
            format!("正在补气：第{}次购气 {volume} m³…", purchase.purchase_seq)
        }
        (Language::English, false) => format!(
            "Paid; writing purchase #{} of {volume} m³ to the card…",
            purchase.purchase_seq
        ),
        (Language::English, true) => format!(
            "Re-writing purchase #{} of {volume} m³…",
            purchase.purchase_seq
        ),
    }
}

pub fn gas_write_failed(language: Language, purchase: &pb::GasPurchase) -> String {
    let volume = quantity(&purchase.volume_m3);
    match language {
        Language::SimplifiedChinese => format!(
            "写卡失败：第{}次购气 {volume} m³ 已收款但未写入卡中。请重新插卡后按 F10 补气，不会再次收费",
            purchase.purchase_seq
        ),
        Language::English => format!(
            "The write failed: purchase #{} of {volume} m³ is paid but not on the card. Put the card back and press F10 to re-write; nothing is charged again",
            purchase.purchase_seq
        ),
    }
}

pub fn gas_written(language: Language, purchase: &pb::GasPurchase) -> String {
    let volume = quantity(&purchase.volume_m3);
    match language {
        Language::SimplifiedChinese => format!(
            "购气成功，已写卡 · 第{}次购气 {volume} m³ · 收据号 {}",
            purchase.purchase_seq, purchase.receipt_no
        ),
        Language::English => format!(
            "Gas written to the card · purchase #{} of {volume} m³ · receipt {}",
            purchase.purchase_seq, purchase.receipt_no
        ),
    }
}

/// "卡号 IC1 · 现金 · 应收 ¥261.00 · 找零 ¥39.00".
pub fn gas_paid_facts(language: Language, purchase: &pb::GasPurchase) -> String {
    let channel = channel_name(language, &purchase.channel);
    let mut line = match language {
        Language::SimplifiedChinese => format!(
            "卡号 {} · {channel} · 实收 {}",
            purchase.card_no,
            money(&purchase.cash_due)
        ),
        Language::English => format!(
            "Card {} · {channel} · paid {}",
            purchase.card_no,
            money(&purchase.cash_due)
        ),
    };
    if !purchase.change.is_empty() {
        line.push_str(&format!(" · {}", change_given(language, &purchase.change)));
    }
    line
}

pub fn reissue_facts(language: Language, card_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("卡号 {card_no} 将作废；新卡带上已购次数和已付款未写卡的气量。请放入新卡。")
        }
        Language::English => format!(
            "Card {card_no} stops working; the new card carries the purchase count and any paid gas never written. Put the new card in the reader."
        ),
    }
}

pub fn reissued(language: Language, issue: &pb::CardIssue) -> String {
    let gas = quantity(&issue.gas_m3);
    match language {
        Language::SimplifiedChinese => format!(
            "补卡完成：卡号 {} 第{}张卡 · 已购 {} 次 · 写入未用气 {gas} m³",
            issue.card_no, issue.issue_count, issue.purchase_count
        ),
        Language::English => format!(
            "New card written: {} issue {} · {} purchase(s) · {gas} m³ carried over",
            issue.card_no, issue.issue_count, issue.purchase_count
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_lose_trailing_zeros_only() {
        assert_eq!(quantity("120.000"), "120");
        assert_eq!(quantity("120.500"), "120.5");
        assert_eq!(quantity("1200"), "1200");
        assert_eq!(quantity(""), "—");
        assert_eq!(readings("1200.000", "1320.000"), "1200 → 1320");
    }

    #[test]
    fn imported_history_reads_as_such() {
        let payment = pb::Payment {
            status: "imported".into(),
            ..pb::Payment::default()
        };
        assert_eq!(
            payment_status(Language::SimplifiedChinese, &payment),
            ("历史导入".to_owned(), Tone::Neutral)
        );
    }

    #[test]
    fn a_count_is_over_short_or_matching() {
        let zh = Language::SimplifiedChinese;
        assert_eq!(difference(zh, Money::from_fen(-50)), "短款 ¥0.50");
        assert_eq!(difference(zh, Money::from_fen(1000)), "长款 ¥10.00");
        assert_eq!(difference(zh, Money::ZERO), "差额 ¥0.00（账实相符）");
    }

    #[test]
    fn every_key_has_both_languages() {
        for key in [Key::Shortcuts, Key::UnknownOutcome, Key::Unconfirmed] {
            assert_ne!(
                key.in_language(Language::SimplifiedChinese),
                key.in_language(Language::English)
            );
        }
        assert_eq!(
            Key::Unconfirmed.in_language(Language::SimplifiedChinese),
            "结果未确认，请重试"
        );
    }
}

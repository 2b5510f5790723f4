//! Texts of invoices (发票), in Simplified Chinese and English: fixed texts
//! by [`Key`], the names of the server's codes (kinds, statuses, form
//! states) and the lines with amounts in them. Amounts come as decimal
//! strings and are shown with [`money`]; no float touches them.

use gascis_common::Money;
use gascis_common::proto::v1 as pb;

use super::{Language, Text, pick};
use crate::api::invoices::PdfOutcome;
use crate::i18n::archive::money;
use crate::screen::invoices::issue::{Choice, Problem, Source};
use crate::screen::invoices::red::{self, RedLineChoice};
use crate::screen::invoices::{SearchField, SearchProblem};
use crate::theme::container::Tone;

/// A fixed text of the invoice screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Shortcuts,
    AreaTitle,
    Loading,
    // Issue
    IssueTitle,
    IssueShortcuts,
    StartIssueButton,
    CoversLabel,
    NothingToInvoice,
    BuyerTitle,
    TaxId,
    TaxIdRequired,
    AddressPhone,
    AddressPhoneRequired,
    BankAccount,
    BankAccountRequired,
    Email,
    Remark,
    Issuing,
    Resending,
    Unconfirmed,
    RetryButton,
    IssueButton,
    CloseButton,
    ResolveButton,
    PrintButton,
    SaveButton,
    SaveDialogTitle,
    PdfWorking,
    // List
    InvoiceNo,
    AccountNo,
    Buyer,
    DateFrom,
    DateTo,
    SearchButton,
    AnyStatus,
    AnyKind,
    Kind,
    Total,
    IssuedOn,
    Status,
    NoInvoices,
    PreviousPage,
    NextPage,
    // Detail
    BackButton,
    ReloadButton,
    RedButton,
    FormsTitle,
    HistoryTitle,
    RefreshFormButton,
    ConfirmFormButton,
    RefuseFormButton,
    IssueRedButton,
    Item,
    Specification,
    Quantity,
    UnitPrice,
    Amount,
    TaxRate,
    Tax,
    // Red
    RedTitle,
    RedFull,
    RedPartial,
    RedReason,
    RedBuyerFormNo,
    SubmitRedButton,
    Sending,
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
            "快捷键：Enter 查询/打开 · ↑↓ 选择 · PageUp/PageDown 翻页 · Esc 返回列表",
            "Keys: Enter search/open · ↑↓ choose · PageUp/PageDown pages · Esc back to the list",
        ),
        Key::AreaTitle => ("发票查询", "Invoices"),
        Key::Loading => ("正在加载…", "Loading…"),
        Key::IssueTitle => ("开发票", "Issue an invoice"),
        Key::IssueShortcuts => (
            "F5 普票 · F6 专票 · F7 数电 · Enter 下一项/开具 · Esc 关闭",
            "F5 ordinary · F6 special · F7 digital · Enter next/issue · Esc close",
        ),
        Key::StartIssueButton => ("开发票 F11", "Invoice F11"),
        Key::CoversLabel => (
            "开票内容（缴费或账单，二选一）",
            "Covers (payments or bills, not both)",
        ),
        Key::NothingToInvoice => (
            "该户暂无可开票的缴费或账单",
            "This account has no payment or bill to invoice",
        ),
        Key::BuyerTitle => (
            "购买方名称（抬头，留空为户名）",
            "Buyer (title; empty: the customer's name)",
        ),
        Key::TaxId => ("纳税人识别号", "Tax id"),
        Key::TaxIdRequired => ("纳税人识别号（专票必填）", "Tax id (required for 专票)"),
        Key::AddressPhone => ("地址、电话", "Address, phone"),
        Key::AddressPhoneRequired => (
            "地址、电话（专票必填）",
            "Address, phone (required for 专票)",
        ),
        Key::BankAccount => ("开户行及账号", "Bank and account"),
        Key::BankAccountRequired => (
            "开户行及账号（专票必填）",
            "Bank and account (required for 专票)",
        ),
        Key::Email => ("接收邮箱（数电，可选）", "E-mail (digital, optional)"),
        Key::Remark => ("备注", "Remark"),
        Key::Issuing => ("正在开票…", "Issuing…"),
        Key::Resending => (
            "正在重新发送同一开票请求…",
            "Sending the same request again…",
        ),
        Key::Unconfirmed => (
            "未收到开票结果：请按“重新发送”用同一请求查询，切勿重复开票",
            "No answer came: press Send again to ask with the same request; do not issue twice",
        ),
        Key::RetryButton => ("重新发送", "Send again"),
        Key::IssueButton => ("开具", "Issue"),
        Key::CloseButton => ("关闭", "Close"),
        Key::ResolveButton => ("查询开票结果", "Ask the platform"),
        Key::PrintButton => ("打印发票", "Print"),
        Key::SaveButton => ("另存为PDF", "Save as PDF"),
        Key::SaveDialogTitle => ("另存发票为 PDF", "Save the invoice as PDF"),
        Key::PdfWorking => ("正在获取发票 PDF…", "Fetching the invoice PDF…"),
        Key::InvoiceNo => ("发票号码/流水号", "Invoice no."),
        Key::AccountNo => ("户号", "Account no."),
        Key::Buyer => ("购买方", "Buyer"),
        Key::DateFrom => ("开票日期自", "Issued from"),
        Key::DateTo => ("至", "to"),
        Key::SearchButton => ("查询", "Search"),
        Key::AnyStatus => ("全部状态", "Any status"),
        Key::AnyKind => ("全部种类", "Any kind"),
        Key::Kind => ("种类", "Kind"),
        Key::Total => ("价税合计", "Total"),
        Key::IssuedOn => ("开票日期", "Issued on"),
        Key::Status => ("状态", "Status"),
        Key::NoInvoices => ("没有符合条件的发票", "No invoice matches"),
        Key::PreviousPage => ("上一页", "Previous"),
        Key::NextPage => ("下一页", "Next"),
        Key::BackButton => ("返回列表", "Back to the list"),
        Key::ReloadButton => ("刷新", "Reload"),
        Key::RedButton => ("红冲", "Reverse (红冲)"),
        Key::FormsTitle => ("红字确认单", "Red-letter confirmation forms"),
        Key::HistoryTitle => ("操作记录", "History"),
        Key::RefreshFormButton => ("刷新确认状态", "Refresh"),
        Key::ConfirmFormButton => ("确认", "Confirm"),
        Key::RefuseFormButton => ("拒绝", "Refuse"),
        Key::IssueRedButton => ("开具红字发票", "Issue the red invoice"),
        Key::Item => ("项目名称", "Item"),
        Key::Specification => ("规格型号", "Specification"),
        Key::Quantity => ("数量", "Quantity"),
        Key::UnitPrice => ("单价", "Unit price"),
        Key::Amount => ("金额（含税）", "Amount (incl. VAT)"),
        Key::TaxRate => ("税率", "VAT rate"),
        Key::Tax => ("税额", "VAT"),
        Key::RedTitle => (
            "红冲：填开红字确认单",
            "Reversal: enter a red-letter confirmation form",
        ),
        Key::RedFull => ("全额红冲", "Whole invoice"),
        Key::RedPartial => ("部分红冲（选择行）", "Chosen lines"),
        Key::RedReason => ("红冲原因（必填）", "Reason (required)"),
        Key::RedBuyerFormNo => (
            "购买方已填开的确认单编号（可选，填写则登记该单）",
            "Number of a form the buyer entered (optional: records it)",
        ),
        Key::SubmitRedButton => ("提交确认单", "Enter the form"),
        Key::Sending => ("正在提交…", "Sending…"),
    }
}

/// 普票, 专票 or 数电.
pub fn kind_name(language: Language, code: &str) -> &'static str {
    match code {
        "ordinary" => pick(language, "普票", "Ordinary (普票)"),
        "special" => pick(language, "专票", "Special (专票)"),
        "digital" => pick(language, "数电", "Digital (数电)"),
        _ => pick(language, "未知种类", "Unknown kind"),
    }
}

pub fn status_name(language: Language, status: &str) -> &'static str {
    match status {
        "pending" => pick(language, "开票中", "Pending"),
        "issued" => pick(language, "已开具", "Issued"),
        "failed" => pick(language, "开票失败", "Failed"),
        "unknown" => pick(language, "结果未知", "Unknown"),
        "partly_reversed" => pick(language, "部分红冲", "Partly reversed"),
        "reversed" => pick(language, "已红冲", "Reversed"),
        _ => pick(language, "其他", "Other"),
    }
}

pub fn status_tone(status: &str) -> Tone {
    match status {
        "issued" => Tone::Good,
        "pending" | "unknown" | "partly_reversed" => Tone::Caution,
        "failed" => Tone::Bad,
        _ => Tone::Neutral,
    }
}

pub fn form_status_name(language: Language, status: &str) -> &'static str {
    match status {
        "not_needed" => pick(language, "无需确认", "No confirmation needed"),
        "buyer_entered_awaiting_seller" => pick(
            language,
            "购方已填开，待销方确认",
            "Buyer entered, awaiting us",
        ),
        "seller_entered_awaiting_buyer" => pick(
            language,
            "销方已填开，待购方确认",
            "Entered, awaiting the buyer",
        ),
        "both_confirmed" => pick(language, "双方已确认", "Both confirmed"),
        "refused" => pick(language, "已拒绝", "Refused"),
        _ => pick(language, "其他", "Other"),
    }
}

pub fn form_status_tone(status: &str) -> Tone {
    match status {
        "not_needed" | "both_confirmed" => Tone::Good,
        "refused" => Tone::Bad,
        _ => Tone::Caution,
    }
}

pub fn issue_for(language: Language, account_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("户号 {account_no}"),
        Language::English => format!("Account {account_no}"),
    }
}

pub fn choice_label(language: Language, choice: &Choice) -> String {
    let amount = money(&choice.amount);
    match (&choice.source, language) {
        (Source::Payment(_), Language::SimplifiedChinese) => {
            format!("缴费 {}  {amount}", choice.label)
        }
        (Source::Payment(_), Language::English) => format!("Payment {}  {amount}", choice.label),
        (Source::Bill(_), Language::SimplifiedChinese) => {
            format!("账单 {}  {amount}", choice.label)
        }
        (Source::Bill(_), Language::English) => format!("Bill {}  {amount}", choice.label),
    }
}

pub fn chosen_total(language: Language, total: Money) -> String {
    let total = money(&total.to_string());
    match language {
        Language::SimplifiedChinese => format!("所选合计 {total}"),
        Language::English => format!("Chosen: {total}"),
    }
}

pub fn problem(language: Language, problem: Problem) -> String {
    match problem {
        Problem::NothingChosen => pick(
            language,
            "请至少选择一笔缴费或一张账单",
            "Choose at least one payment or bill",
        ),
        Problem::TaxIdMissing => pick(
            language,
            "专票须填写购买方纳税人识别号",
            "A special invoice needs the buyer's tax id",
        ),
        Problem::TaxIdInvalid => pick(
            language,
            "纳税人识别号应为 18 位字母或数字",
            "The tax id has 18 letters and digits",
        ),
        Problem::AddressPhoneMissing => pick(
            language,
            "专票须填写地址、电话",
            "A special invoice needs the address and phone",
        ),
        Problem::BankAccountMissing => pick(
            language,
            "专票须填写开户行及账号",
            "A special invoice needs the bank and account",
        ),
        Problem::RemarkTooLong => pick(
            language,
            "备注最多 200 个字",
            "The remark has at most 200 characters",
        ),
    }
    .to_owned()
}

pub fn red_problem(language: Language, problem: &red::Problem) -> String {
    match problem {
        red::Problem::ReasonMissing => {
            pick(language, "请填写红冲原因", "Say why it is reversed").to_owned()
        }
        red::Problem::ReasonTooLong => {
            pick(language, "原因最多 200 个字", "At most 200 characters").to_owned()
        }
        red::Problem::NoLineChosen => {
            pick(language, "请选择要红冲的行", "Choose the lines to reverse").to_owned()
        }
        red::Problem::LineAmountInvalid(line_no) => match language {
            Language::SimplifiedChinese => format!("第 {line_no} 行：请填写大于零的金额"),
            Language::English => format!("Line {line_no}: give an amount above zero"),
        },
    }
}

pub fn search_problem(language: Language, problem: SearchProblem) -> String {
    match problem {
        SearchProblem::DateInvalid(field) => {
            let which = match (field, language) {
                (SearchField::DateFrom, Language::SimplifiedChinese) => "起始日期",
                (SearchField::DateFrom, Language::English) => "The from date",
                (_, Language::SimplifiedChinese) => "截止日期",
                (_, Language::English) => "The to date",
            };
            match language {
                Language::SimplifiedChinese => format!("{which}格式应为 YYYY-MM-DD"),
                Language::English => format!("{which} must be YYYY-MM-DD"),
            }
        }
        SearchProblem::DatesReversed => pick(
            language,
            "起始日期晚于截止日期",
            "The from date is after the to date",
        )
        .to_owned(),
    }
}

/// The invoice's number, marked when it is a red one.
pub fn number_with_colour(language: Language, invoice: &pb::Invoice) -> String {
    let number = if invoice.invoice_no.is_empty() {
        invoice.request_no.as_str()
    } else {
        invoice.invoice_no.as_str()
    };
    if invoice.colour == "red" {
        format!("{number} {}", pick(language, "（红字）", "(red)"))
    } else {
        number.to_owned()
    }
}

pub fn page(language: Language, page: usize) -> String {
    match language {
        Language::SimplifiedChinese => format!("第 {page} 页"),
        Language::English => format!("Page {page}"),
    }
}

pub fn invoice_heading(language: Language, number: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("发票 {number}"),
        Language::English => format!("Invoice {number}"),
    }
}

/// What was done last: a form entered or a red invoice issued, by number.
pub fn notice(language: Language, number: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("已完成：{number}"),
        Language::English => format!("Done: {number}"),
    }
}

pub fn issued_headline(language: Language, invoice: &pb::Invoice) -> String {
    let number = if invoice.invoice_no.is_empty() {
        invoice.request_no.as_str()
    } else {
        invoice.invoice_no.as_str()
    };
    match (invoice.status.as_str(), language) {
        ("issued", Language::SimplifiedChinese) => format!("发票已开具：{number}"),
        ("issued", Language::English) => format!("Invoice issued: {number}"),
        (status, Language::SimplifiedChinese) => {
            format!("开票请求 {number}：{}", status_name(language, status))
        }
        (status, Language::English) => {
            format!(
                "Invoice request {number}: {}",
                status_name(language, status)
            )
        }
    }
}

/// 发票代码/号码 and the date.
pub fn number_line(language: Language, invoice: &pb::Invoice) -> String {
    let mut parts = Vec::new();
    if !invoice.invoice_code.is_empty() {
        parts.push(format!(
            "{} {}",
            pick(language, "发票代码", "Code"),
            invoice.invoice_code
        ));
    }
    parts.push(format!(
        "{} {}",
        pick(language, "发票号码", "Number"),
        if invoice.invoice_no.is_empty() {
            "—"
        } else {
            invoice.invoice_no.as_str()
        }
    ));
    parts.push(format!(
        "{} {}",
        pick(language, "流水号", "Request"),
        invoice.request_no
    ));
    if !invoice.issued_on.is_empty() {
        parts.push(format!(
            "{} {}",
            pick(language, "开票日期", "Issued on"),
            invoice.issued_on
        ));
    }
    parts.join(" · ")
}

/// 价税合计, 金额 and 税额.
pub fn totals_line(language: Language, invoice: &pb::Invoice) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "价税合计 {} · 金额 {} · 税额 {}",
            money(&invoice.total_amount),
            money(&invoice.total_net),
            money(&invoice.total_tax)
        ),
        Language::English => format!(
            "Total {} · net {} · VAT {}",
            money(&invoice.total_amount),
            money(&invoice.total_net),
            money(&invoice.total_tax)
        ),
    }
}

pub fn in_words(language: Language, words: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("价税合计（大写）{words}"),
        Language::English => format!("In words (大写): {words}"),
    }
}

/// Kind, colour, what it covers, who asked.
pub fn invoice_facts(language: Language, invoice: &pb::Invoice) -> String {
    let colour = match invoice.colour.as_str() {
        "red" => pick(language, "红字", "red"),
        _ => pick(language, "蓝字", "blue"),
    };
    let mut line = format!(
        "{} · {colour} · {} {} · {} {}",
        kind_name(language, &invoice.kind),
        pick(language, "户号", "accounts"),
        invoice.account_nos.join(", "),
        pick(language, "来源", "covers"),
        invoice.sources.join(", "),
    );
    if !invoice.original_invoice_no.is_empty() {
        line.push_str(&format!(
            " · {} {}",
            pick(language, "原发票", "reverses"),
            invoice.original_invoice_no
        ));
    }
    if !invoice.reversed_amount.is_empty() && invoice.colour != "red" {
        let reversed = money(&invoice.reversed_amount);
        if reversed != "¥0.00" {
            line.push_str(&format!(
                " · {} {reversed}",
                pick(language, "已红冲", "reversed")
            ));
        }
    }
    line
}

pub fn buyer_facts(language: Language, invoice: &pb::Invoice) -> String {
    let buyer = invoice.buyer.clone().unwrap_or_default();
    let mut parts = vec![format!(
        "{} {}",
        pick(language, "购买方", "Buyer"),
        buyer.title
    )];
    for (label, value) in [
        (pick(language, "税号", "tax id"), &buyer.tax_id),
        (
            pick(language, "地址电话", "address/phone"),
            &buyer.address_phone,
        ),
        (pick(language, "开户行及账号", "bank"), &buyer.bank_account),
    ] {
        if !value.is_empty() {
            parts.push(format!("{label} {value}"));
        }
    }
    parts.join(" · ")
}

pub fn form_facts(language: Language, form: &pb::RedConfirmation) -> String {
    let scope = if form.full_reversal {
        pick(language, "全额", "whole")
    } else {
        pick(language, "部分", "part")
    };
    let initiator = match form.initiator.as_str() {
        "buyer" => pick(language, "购方填开", "entered by the buyer"),
        _ => pick(language, "销方填开", "entered by us"),
    };
    let mut line = format!(
        "{} · {scope} {} · {initiator} · {}",
        form.form_no,
        money(&form.amount),
        form.reason
    );
    if !form.red_invoice_no.is_empty() {
        line.push_str(&format!(
            " · {} {}",
            pick(language, "红字发票", "red invoice"),
            form.red_invoice_no
        ));
    }
    line
}

pub fn event_line(language: Language, event: &pb::InvoiceEvent) -> String {
    let subject = if event.form_no.is_empty() {
        String::new()
    } else {
        format!("{} ", event.form_no)
    };
    let from = if event.from_status.is_empty() {
        String::new()
    } else {
        format!("{} → ", event.from_status)
    };
    let by = pick(language, "操作人", "by");
    format!(
        "{} {subject}{from}{} · {by} {} ({}) {}",
        event.at, event.to_status, event.actor, event.side, event.detail
    )
}

pub fn open_original(language: Language, number: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("打开原蓝字发票 {number}"),
        Language::English => format!("Open the original invoice {number}"),
    }
}

pub fn open_red(language: Language, number: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("打开红字发票 {number}"),
        Language::English => format!("Open the red invoice {number}"),
    }
}

pub fn red_line_label(language: Language, line: &RedLineChoice) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "第 {} 行 {} {}",
            line.line_no,
            line.item_name,
            money(&line.amount)
        ),
        Language::English => format!(
            "Line {} {} {}",
            line.line_no,
            line.item_name,
            money(&line.amount)
        ),
    }
}

pub fn quantity(line: &pb::InvoiceLine) -> String {
    if line.quantity.is_empty() {
        String::new()
    } else {
        format!("{} {}", line.quantity, line.unit)
    }
}

pub fn tax_rate(language: Language, line: &pb::InvoiceLine) -> String {
    if line.tax_treatment == "not_taxable" {
        return pick(language, "不征税", "not taxable").to_owned();
    }
    // Rates such as 0.09 fit a money amount; the percent is exact.
    match line.tax_rate.parse::<Money>() {
        Ok(rate) => {
            let percent = rate.as_decimal() * Money::from_fen(10000).as_decimal();
            format!("{}%", percent.normalize())
        }
        Err(_) => line.tax_rate.clone(),
    }
}

pub fn pdf_done(language: Language, invoice_no: &str, outcome: &PdfOutcome) -> String {
    match (outcome, language) {
        (PdfOutcome::Printed(_), Language::SimplifiedChinese) => {
            format!("发票 {invoice_no} 已送打印机")
        }
        (PdfOutcome::Printed(_), Language::English) => {
            format!("Invoice {invoice_no} sent to the printer")
        }
        (PdfOutcome::Saved(path), Language::SimplifiedChinese) => {
            format!("发票 {invoice_no} 已保存到 {}", path.display())
        }
        (PdfOutcome::Saved(path), Language::English) => {
            format!("Invoice {invoice_no} saved to {}", path.display())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_percent() {
        let line = |rate: &str, treatment: &str| pb::InvoiceLine {
            tax_rate: rate.into(),
            tax_treatment: treatment.into(),
            ..pb::InvoiceLine::default()
        };
        assert_eq!(tax_rate(Language::English, &line("0.09", "")), "9%");
        assert_eq!(tax_rate(Language::English, &line("0.13", "")), "13%");
        assert_eq!(
            tax_rate(Language::SimplifiedChinese, &line("0", "not_taxable")),
            "不征税"
        );
    }
}

//! Texts of the readings and billing area (抄表计费), in Simplified Chinese
//! and English: fixed texts by [`Key`], the names of the server's codes
//! (anomalies, statuses, sources, customer types, seasons), the server's
//! English reasons in the words a clerk reads, and the explanation of bill
//! lines.

use std::path::Path;

use gascis_common::proto::v1 as pb;

use super::{Language, Text, pick};
use crate::i18n::archive::money;
use crate::i18n::import::grouped;
use crate::screen::billing::Tab;
use crate::screen::billing::entry::Warning;
use crate::screen::billing::number::{self, ValueProblem};
use crate::screen::billing::review::{Decision, Done, FormProblem};
use crate::screen::billing::run::{Scope, SettingsProblem};

/// A fixed text of the readings and billing screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    // Shared
    Loading,
    Reload,
    Cancel,
    Submitting,
    AccountNo,
    CustomerName,
    Address,
    MeterNo,
    Consumption,
    Status,
    ReadOn,
    ChooseRouteBook,
    // Reading entry
    RouteBook,
    NoRouteBooks,
    ReadOnInvalid,
    LoadingSheet,
    ChooseRouteBookHint,
    Number,
    LastReading,
    InitialReading,
    DailyAverage,
    ThisReading,
    Result,
    NothingToSubmit,
    EntryKeys,
    ReloadSheet,
    Submit,
    Sending,
    RecordedBefore,
    // Review
    QueueEmpty,
    Reading,
    Anomalies,
    Source,
    Decide,
    CorrectedValue,
    NoteRequiredLabel,
    NoteOptionalLabel,
    NotePlaceholder,
    QueueReloaded,
    // Run
    Period,
    PeriodHint,
    PeriodInvalid,
    Scope,
    AreaPlaceholder,
    EstimateMissing,
    EstimateHint,
    RunHint,
    Preview,
    StartRun,
    ConfirmRun,
    Previewing,
    Starting,
    RunGoesOn,
    PreviewNote,
    StillRunning,
    NoBills,
    CustomerType,
    Bills,
    VolumeM3,
    AmountYuan,
    Total,
    NotBilled,
    Reason,
    Accounts,
    ExportBills,
    Exporting,
    ExportDialogTitle,
    ExportChoosing,
    CancelExport,
    ExportCancelled,
    // Bills
    NoBillsYet,
    Cancelled,
    Superseded,
    Estimated,
    CancelBill,
    CancelReasonPlaceholder,
    ConfirmCancelBill,
    CancelReasonRequired,
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
        Key::Loading => ("正在加载…", "Loading…"),
        Key::Reload => ("刷新", "Reload"),
        Key::Cancel => ("取消", "Cancel"),
        Key::Submitting => ("正在提交…", "Submitting…"),
        Key::AccountNo => ("户号", "Account no."),
        Key::CustomerName => ("户名", "Name"),
        Key::Address => ("地址", "Address"),
        Key::MeterNo => ("表号", "Meter no."),
        Key::Consumption => ("用量 m³", "Use m³"),
        Key::Status => ("状态", "Status"),
        Key::ReadOn => ("抄表日期", "Read on"),
        Key::ChooseRouteBook => ("请选择抄表册", "Choose a route book"),
        Key::RouteBook => ("抄表册", "Route book"),
        Key::NoRouteBooks => ("暂无抄表册", "No route books yet"),
        Key::ReadOnInvalid => (
            "请按 年-月-日 填写日期，例如 2024-03-31",
            "Write the date as year-month-day, e.g. 2024-03-31",
        ),
        Key::LoadingSheet => ("正在加载抄表单…", "Loading the reading sheet…"),
        Key::ChooseRouteBookHint => (
            "选择抄表册后，按走访顺序逐户录入本次读数。",
            "Choose a route book, then enter each meter's reading in walking order.",
        ),
        Key::Number => ("序号", "#"),
        Key::LastReading => ("上次读数 / 日期", "Last reading / date"),
        Key::InitialReading => ("初始读数", "initial reading"),
        Key::DailyAverage => ("日均 m³", "Daily m³"),
        Key::ThisReading => ("本次读数", "This reading"),
        Key::Result => ("结果 / 提示", "Result / hint"),
        Key::NothingToSubmit => (
            "没有可提交的读数：请先在“本次读数”中填写。",
            "Nothing to submit: enter readings under “This reading” first.",
        ),
        Key::EntryKeys => (
            "Enter 下一户 · ↑/↓ 上下移动 · Ctrl+Enter 提交全部 · F5 重新加载",
            "Enter next account · ↑/↓ move · Ctrl+Enter submit all · F5 reload",
        ),
        Key::ReloadSheet => ("重新加载", "Reload sheet"),
        Key::Submit => ("提交", "Submit"),
        Key::Sending => ("提交中…", "Sending…"),
        Key::RecordedBefore => ("（此前已提交）", "(sent before)"),
        Key::QueueEmpty => ("没有待审核的读数。", "No readings are waiting for review."),
        Key::Reading => ("读数", "Reading"),
        Key::Anomalies => ("异常", "Anomalies"),
        Key::Source => ("来源", "Source"),
        Key::Decide => ("处理", "Decide"),
        Key::CorrectedValue => ("正确读数", "Right value"),
        Key::NoteRequiredLabel => ("原因（必填）", "Why (required)"),
        Key::NoteOptionalLabel => ("备注（可选）", "Note (optional)"),
        Key::NotePlaceholder => (
            "例如：已电话核实，用户春节期间出租",
            "e.g. confirmed by phone, the flat was let over the holiday",
        ),
        Key::QueueReloaded => (
            "列表已刷新为最新状态，请重新选择并处理。",
            "The queue has been reloaded: choose the reading again.",
        ),
        Key::Period => ("计费月份", "Period"),
        Key::PeriodHint => ("格式：年-月，例如 2024-03", "As year-month, e.g. 2024-03"),
        Key::PeriodInvalid => (
            "请填写计费月份，格式为 年-月，例如 2024-03",
            "Enter the period as year-month, e.g. 2024-03",
        ),
        Key::Scope => ("范围", "Accounts"),
        Key::AreaPlaceholder => ("区县，例如 浦东新区", "District, e.g. 浦东新区"),
        Key::EstimateMissing => ("估抄缺失读数", "Estimate missing readings"),
        Key::EstimateHint => (
            "勾选后，本期没有读数的用户按近三期日均用量估算出账；下次实际抄表后自动冲正。",
            "Accounts without a reading this period are billed on their recent daily average; the next actual reading corrects it.",
        ),
        Key::RunHint => (
            "先预览核对户数和金额（不写入账单），再开始计费。",
            "Preview first to check counts and amounts (nothing is written), then run.",
        ),
        Key::Preview => ("预览", "Preview"),
        Key::StartRun => ("开始计费", "Run billing"),
        Key::ConfirmRun => ("确定开始计费", "Run it"),
        Key::Previewing => ("正在预览…", "Previewing…"),
        Key::Starting => ("正在启动计费…", "Starting the run…"),
        Key::RunGoesOn => (
            "计费在服务器上进行，离开本页面不会中断；再次运行将接着完成。",
            "The run goes on on the server if you leave this page; running it again resumes it.",
        ),
        Key::PreviewNote => (
            "这是预览：没有写入任何账单。",
            "This is a preview: no bill was written.",
        ),
        Key::StillRunning => (
            "其他服务器仍在处理部分批次，以下为目前的结果；稍后再次运行可查看完整结果。",
            "Other servers still hold some chunks; these are the results so far. Run again later for the whole result.",
        ),
        Key::NoBills => ("本次没有出账的用户。", "No account was billed."),
        Key::CustomerType => ("用户类型", "Customer type"),
        Key::Bills => ("账单数", "Bills"),
        Key::VolumeM3 => ("用气量（m³）", "Volume (m³)"),
        Key::AmountYuan => ("金额（元）", "Amount (CNY)"),
        Key::Total => ("合计", "Total"),
        Key::NotBilled => ("未出账", "Not billed"),
        Key::Reason => ("原因", "Reason"),
        Key::Accounts => ("户数", "Accounts"),
        Key::ExportBills => ("导出账单", "Export bills"),
        Key::Exporting => ("正在导出…", "Exporting…"),
        Key::ExportDialogTitle => ("导出账单到 Excel 文件", "Export the bills to an Excel file"),
        Key::ExportChoosing => (
            "请在弹出的窗口中选择保存位置…",
            "Choose where to save in the dialog…",
        ),
        Key::CancelExport => ("取消导出", "Cancel export"),
        Key::ExportCancelled => (
            "已取消导出，未写入文件。",
            "Export cancelled; no file was written.",
        ),
        Key::NoBillsYet => ("该账户还没有账单。", "This account has no bills yet."),
        Key::Cancelled => ("作废", "Cancelled"),
        Key::Superseded => ("已被后续修订取代", "replaced by a later revision"),
        Key::Estimated => ("估抄", "Estimated"),
        Key::CancelBill => ("作废账单", "Cancel bill"),
        Key::CancelReasonPlaceholder => (
            "作废原因，例如：抄表员录入错误",
            "Why, e.g. the reading was mistyped",
        ),
        Key::ConfirmCancelBill => ("确认作废", "Cancel the bill"),
        Key::CancelReasonRequired => ("请填写作废原因", "Say why the bill is cancelled"),
    }
}

/// The name of a tab.
pub fn tab_name(language: Language, tab: Tab) -> &'static str {
    match tab {
        Tab::Entry => pick(language, "抄表录入", "Reading entry"),
        Tab::Review => pick(language, "异常审核", "Anomaly review"),
        Tab::Run => pick(language, "计费", "Billing run"),
        Tab::Bills => pick(language, "账单", "Bills"),
    }
}

/// "PD-01 浦东阳光花园（3 户）".
pub fn route_book_label(language: Language, book: &pb::RouteBook) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("{} {}（{} 户）", book.code, book.name, book.accounts)
        }
        Language::English => format!("{} {} ({} accounts)", book.code, book.name, book.accounts),
    }
}

/// "PD-01 浦东阳光花园 · 抄表员 liqiang · 共 3 户，已录入 2 户，已提交 1 户".
pub fn sheet_summary(
    language: Language,
    book: &pb::RouteBook,
    rows: usize,
    entered: usize,
    done: usize,
) -> String {
    let reader = if book.reader.is_empty() {
        String::new()
    } else {
        match language {
            Language::SimplifiedChinese => format!(" · 抄表员 {}", book.reader),
            Language::English => format!(" · reader {}", book.reader),
        }
    };
    match language {
        Language::SimplifiedChinese => format!(
            "{} {}{reader} · 共 {rows} 户，已录入 {entered} 户，已提交 {done} 户",
            book.code, book.name
        ),
        Language::English => format!(
            "{} {}{reader} · {rows} accounts, {entered} entered, {done} recorded",
            book.code, book.name
        ),
    }
}

/// "本次提交：正常 2 户 · 待审核 1 户 · 未通过 1 户".
pub fn tally(language: Language, valid: usize, waiting: usize, refused: usize) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("本次提交：正常 {valid} 户 · 待审核 {waiting} 户 · 未通过 {refused} 户")
        }
        Language::English => {
            format!("Last submit: {valid} valid · {waiting} for review · {refused} refused")
        }
    }
}

/// `valid` or `anomaly`, as recorded.
pub fn reading_status(language: Language, status: &str) -> String {
    match status {
        "valid" => pick(language, "正常", "Valid").to_owned(),
        "anomaly" => pick(language, "待审核", "For review").to_owned(),
        other => other.to_owned(),
    }
}

/// `anomaly` or `reread` in the queue.
pub fn queue_status(language: Language, status: &str) -> String {
    match status {
        "anomaly" => pick(language, "待审核", "For review").to_owned(),
        "reread" => pick(language, "待复抄", "Re-read ordered").to_owned(),
        other => other.to_owned(),
    }
}

/// An anomaly code in words.
pub fn anomaly(language: Language, code: &str) -> String {
    match code {
        "negative" => pick(language, "读数倒退", "reading went backwards").to_owned(),
        "spike" => pick(language, "用量突增", "use spiked").to_owned(),
        "drop" => pick(language, "用量骤减", "use dropped").to_owned(),
        "zero_streak" => pick(language, "连续零用量", "zero use in a row").to_owned(),
        other => other.to_owned(),
    }
}

/// Anomaly codes in words, joined: "用量突增、连续零用量".
pub fn anomaly_list(language: Language, codes: &[String]) -> String {
    let separator = pick(language, "、", ", ");
    codes
        .iter()
        .map(|code| anomaly(language, code))
        .collect::<Vec<_>>()
        .join(separator)
}

/// Where a reading came from.
pub fn source(language: Language, source: &str) -> String {
    match source {
        "manual" | "" => pick(language, "人工", "Manual").to_owned(),
        "iot" => pick(language, "物联网", "IoT").to_owned(),
        "self" => pick(language, "自报", "Self-reported").to_owned(),
        "estimated" => pick(language, "估抄", "Estimated").to_owned(),
        other => other.to_owned(),
    }
}

/// What is wrong with a typed value.
pub fn value_problem(language: Language, problem: ValueProblem) -> &'static str {
    match problem {
        ValueProblem::NotANumber => pick(language, "请填写数字读数", "Enter a number"),
        ValueProblem::Negative => pick(language, "读数不能为负数", "A reading cannot be negative"),
        ValueProblem::TooPrecise => pick(
            language,
            "读数最多保留 3 位小数",
            "At most 3 decimals (litres)",
        ),
    }
}

/// The hint of a typed value.
pub fn warning(language: Language, warning: Warning) -> String {
    match warning {
        Warning::Invalid(problem) => value_problem(language, problem).to_owned(),
        Warning::Rollover => pick(
            language,
            "低于上次读数：按表具翻转计算用量，请核对",
            "Below the last value: counted as a rollover; check it",
        )
        .to_owned(),
        Warning::Backwards => pick(
            language,
            "低于上次读数：可能录错或表具倒转",
            "Below the last value: a typing error or a meter going backwards",
        )
        .to_owned(),
        Warning::Spike { expected_litres } => {
            let expected = number::format_litres(number::round_litres(expected_litres, 0));
            match language {
                Language::SimplifiedChinese => {
                    format!("用量远高于日均水平（约 {expected} m³），请核对")
                }
                Language::English => {
                    format!("Far above the usual use (about {expected} m³); check it")
                }
            }
        }
    }
}

/// A reading the server refused, in words; the server's own words when
/// they are not recognised.
pub fn reading_error(language: Language, error: &str) -> String {
    let known: &[(&str, &str, &str)] = &[
        (
            "cannot be negative",
            "读数不能为负数",
            "A reading cannot be negative",
        ),
        (
            "kept to 0.001",
            "读数最多保留 3 位小数",
            "Readings are kept to 0.001 m³",
        ),
        (
            "is not a decimal number",
            "读数不是有效数字",
            "The reading is not a number",
        ),
        (
            "before the meter was installed",
            "抄表日期早于表具安装日期",
            "The date is before the meter was installed",
        ),
        (
            "before the last reading",
            "抄表日期早于该户上次抄表日期",
            "The date is before this account's last reading",
        ),
        (
            "has no installed meter",
            "该户没有在用表具",
            "The account has no installed meter",
        ),
        (
            "is closed",
            "该户已销户，不能录入读数",
            "The account is closed and takes no readings",
        ),
        (
            "idempotency key",
            "此前以另一读数提交过，请修改读数后重新提交",
            "Sent before with another value; change the value and submit again",
        ),
    ];
    let found = known
        .iter()
        .find(|(needle, _, _)| error.contains(needle))
        .map(|(_, zh, en)| pick(language, zh, en));
    match (found, language) {
        (Some(words), Language::SimplifiedChinese) => format!("未通过：{words}"),
        (Some(words), Language::English) => format!("Refused: {words}"),
        (None, Language::SimplifiedChinese) if error.is_empty() => "未通过".to_owned(),
        (None, Language::English) if error.is_empty() => "Refused".to_owned(),
        (None, Language::SimplifiedChinese) => format!("未通过：{error}"),
        (None, Language::English) => format!("Refused: {error}"),
    }
}

/// "待审核 3 条".
pub fn queue_summary(language: Language, count: usize) -> String {
    match language {
        Language::SimplifiedChinese => format!("待审核读数 {count} 条（最早的在前）"),
        Language::English => format!("{count} readings waiting for review (oldest first)"),
    }
}

/// The name of a decision on its button.
pub fn decision_name(language: Language, decision: Decision) -> &'static str {
    match decision {
        Decision::Approve => pick(language, "确认", "Approve"),
        Decision::Reject => pick(language, "驳回", "Reject"),
        Decision::Reread => pick(language, "复抄", "Re-read"),
        Decision::Correct => pick(language, "更正", "Correct"),
    }
}

/// The submit button of a decision.
pub fn submit_decision(language: Language, decision: Decision) -> String {
    match decision {
        Decision::Approve => pick(language, "确认通过", "Approve it"),
        Decision::Reject => pick(language, "确认驳回", "Reject it"),
        Decision::Reread => pick(language, "安排复抄", "Order a re-read"),
        Decision::Correct => pick(language, "提交更正", "Correct it"),
    }
    .to_owned()
}

/// What is missing from a decision.
pub fn form_problem(language: Language, problem: FormProblem) -> String {
    match problem {
        FormProblem::NoteRequired => pick(language, "请填写原因", "Say why").to_owned(),
        FormProblem::ValueRequired => {
            pick(language, "请填写正确读数", "Enter the right value").to_owned()
        }
        FormProblem::Value(problem) => value_problem(language, problem).to_owned(),
    }
}

/// The selected reading in one line: "王芳（3101000003）· 2024-03-31 读数
/// 900，用量 900 m³ · 用量突增".
pub fn queued_reading(language: Language, reading: &pb::QueuedReading) -> String {
    let consumption = if reading.consumption.is_empty() {
        "—".to_owned()
    } else {
        number::volume(&reading.consumption)
    };
    let anomalies = anomaly_list(language, &reading.anomalies);
    match language {
        Language::SimplifiedChinese => format!(
            "{}（{}）· {} 读数 {}，用量 {consumption} m³ · {anomalies}",
            reading.customer_name,
            reading.account_no,
            reading.read_on,
            number::volume(&reading.value)
        ),
        Language::English => format!(
            "{} ({}) · {} reading {}, use {consumption} m³ · {anomalies}",
            reading.customer_name,
            reading.account_no,
            reading.read_on,
            number::volume(&reading.value)
        ),
    }
}

/// The green note after a decision.
pub fn review_done(language: Language, done: &Done) -> String {
    let who = match language {
        Language::SimplifiedChinese => format!("{}（{}）", done.customer_name, done.account_no),
        Language::English => format!("{} ({})", done.customer_name, done.account_no),
    };
    match (done.decision, language) {
        (Decision::Approve, Language::SimplifiedChinese) => {
            format!("已确认 {who}的读数，将在下次计费时出账")
        }
        (Decision::Approve, Language::English) => {
            format!("Approved the reading of {who}: the next run bills it")
        }
        (Decision::Reject, Language::SimplifiedChinese) => format!("已驳回 {who}的读数"),
        (Decision::Reject, Language::English) => format!("Rejected the reading of {who}"),
        (Decision::Reread, Language::SimplifiedChinese) => format!("已安排 {who}复抄"),
        (Decision::Reread, Language::English) => format!("Ordered a re-read of {who}"),
        (Decision::Correct, _) => {
            let corrected = done.corrected.as_ref();
            let status = corrected
                .map(|result| reading_status(language, &result.status))
                .unwrap_or_default();
            let consumption = corrected
                .map(|result| number::volume(&result.consumption))
                .unwrap_or_default();
            match language {
                Language::SimplifiedChinese => {
                    format!("已更正 {who}的读数：用量 {consumption} m³，{status}")
                }
                Language::English => {
                    format!("Corrected the reading of {who}: use {consumption} m³, {status}")
                }
            }
        }
    }
}

/// A reading reviewed by someone else meanwhile: "该读数已被 zhangmin 处理".
pub fn reviewed_meanwhile(language: Language, message: &str) -> String {
    let by = message
        .split_once(" reviewed by ")
        .map(|(_, rest)| rest.trim_end_matches(" meanwhile").trim())
        .filter(|user| !user.is_empty());
    match (by, language) {
        (Some(user), Language::SimplifiedChinese) => {
            format!("该读数已被 {user} 处理，您的操作未生效")
        }
        (Some(user), Language::English) => {
            format!("{user} reviewed this reading meanwhile; your decision was not recorded")
        }
        (None, Language::SimplifiedChinese) => "该读数已被他人处理，您的操作未生效".to_owned(),
        (None, Language::English) => {
            "Someone else reviewed this reading meanwhile; your decision was not recorded"
                .to_owned()
        }
    }
}

/// The name of a run's scope.
pub fn scope_name(language: Language, scope: Scope) -> &'static str {
    match scope {
        Scope::All => pick(language, "全部用户", "All"),
        Scope::Area => pick(language, "按区县", "A district"),
        Scope::RouteBook => pick(language, "按抄表册", "A route book"),
    }
}

/// What is wrong with the run's settings.
pub fn settings_problem(language: Language, problem: SettingsProblem) -> &'static str {
    match problem {
        SettingsProblem::Period => super::tr(language, Key::PeriodInvalid),
        SettingsProblem::AreaRequired => pick(language, "请填写区县", "Enter the district"),
        SettingsProblem::RouteBookRequired => {
            pick(language, "请选择抄表册", "Choose the route book")
        }
    }
}

/// The question before a run writes bills.
pub fn confirm_run(language: Language, request: &pb::RunBillingRequest) -> String {
    let scope = match (
        request.area.is_empty(),
        request.route_book.is_empty(),
        language,
    ) {
        (false, _, Language::SimplifiedChinese) => format!("{}的用户", request.area),
        (false, _, Language::English) => format!("the accounts of {}", request.area),
        (_, false, Language::SimplifiedChinese) => format!("抄表册 {} 的用户", request.route_book),
        (_, false, Language::English) => {
            format!("the accounts of route book {}", request.route_book)
        }
        (true, true, Language::SimplifiedChinese) => "全部用户".to_owned(),
        (true, true, Language::English) => "every account".to_owned(),
    };
    let estimate = match (request.estimate_missing, language) {
        (true, Language::SimplifiedChinese) => "，缺失读数将估抄",
        (true, Language::English) => ", estimating missing readings",
        (false, _) => "",
    };
    match language {
        Language::SimplifiedChinese => format!(
            "将为{scope}生成 {} 的账单{estimate}。账单写入后只能作废重开。确定开始吗？",
            request.period
        ),
        Language::English => format!(
            "This writes the {} bills of {scope}{estimate}. Bills once written can only be cancelled and redone. Run it?",
            request.period
        ),
    }
}

/// "第 3/10 批 · 已出账 1,234 户 · 未出账 12 户".
pub fn progress(language: Language, period: &str, progress: &pb::BillingProgress) -> String {
    let (done, chunks) = (progress.chunks_done, progress.chunks);
    let (bills, skipped) = (grouped(progress.bills), grouped(progress.skipped));
    match language {
        Language::SimplifiedChinese => format!(
            "正在计费 {period}：第 {done}/{chunks} 批 · 已出账 {bills} 户 · 未出账 {skipped} 户"
        ),
        Language::English => format!(
            "Billing {period}: chunk {done} of {chunks} · {bills} billed · {skipped} not billed"
        ),
    }
}

/// "2024-03 计费结果" or "2024-03 预览".
pub fn summary_title(language: Language, summary: &pb::BillingSummary) -> String {
    match (summary.preview, language) {
        (true, Language::SimplifiedChinese) => format!("{} 计费预览", summary.period),
        (true, Language::English) => format!("{} billing preview", summary.period),
        (false, Language::SimplifiedChinese) => {
            format!("{} 计费结果（批次 #{}）", summary.period, summary.run_id)
        }
        (false, Language::English) => {
            format!(
                "{} billing result (run #{})",
                summary.period, summary.run_id
            )
        }
    }
}

/// A customer type code of the server in words.
pub fn customer_type(language: Language, code: &str) -> String {
    let customer_type = match code {
        "residential" => pb::CustomerType::Residential,
        "commercial" => pb::CustomerType::Commercial,
        "industrial" => pb::CustomerType::Industrial,
        "public_welfare" => pb::CustomerType::PublicWelfare,
        other => return other.to_owned(),
    };
    super::archive::customer_type(language, customer_type).to_owned()
}

/// Why accounts were not billed, in words.
pub fn skip_reason(language: Language, reason: &str) -> String {
    let quoted = || {
        reason
            .split('\'')
            .nth(1)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    if reason == "no reading this period and no history to estimate from" {
        return pick(
            language,
            "本期无读数，且无历史用量可供估抄",
            "No reading this period and no history to estimate from",
        )
        .to_owned();
    }
    if reason == "no reading this period" {
        return pick(language, "本期无读数", "No reading this period").to_owned();
    }
    if reason == "a reading waits in the anomaly queue" {
        return pick(
            language,
            "有读数待异常审核",
            "A reading waits in the anomaly queue",
        )
        .to_owned();
    }
    if reason == "the reading has no consumption" {
        return pick(
            language,
            "读数无法计算用量",
            "The reading has no consumption",
        )
        .to_owned();
    }
    if reason.starts_with("no tariff") {
        return pick(
            language,
            "账户未指定气价方案，且未设置默认方案",
            "No tariff: the account names none and no default is set",
        )
        .to_owned();
    }
    if reason.ends_with("has no published revision") {
        return match language {
            Language::SimplifiedChinese => format!("气价方案 {} 尚未发布", quoted()),
            Language::English => format!("Tariff {} is not published", quoted()),
        };
    }
    if reason.ends_with("has no versions") {
        return match language {
            Language::SimplifiedChinese => format!("气价方案 {} 没有价格版本", quoted()),
            Language::English => format!("Tariff {} has no price versions", quoted()),
        };
    }
    if let Some(why) = reason.strip_prefix("cannot price: ") {
        return match language {
            Language::SimplifiedChinese => format!("无法计价：{why}"),
            Language::English => format!("Cannot price: {why}"),
        };
    }
    reason.to_owned()
}

/// The suggested name of a period's bills export.
pub fn export_file_name(language: Language, period: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("账单-{period}.xlsx"),
        Language::English => format!("bills-{period}.xlsx"),
    }
}

/// What 导出账单 exports.
pub fn export_hint(language: Language, period: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("导出 {period} 的全部账单（含作废和更正）到 Excel 文件。")
        }
        Language::English => format!(
            "Exports every bill of {period} (cancellations and corrections included) to Excel."
        ),
    }
}

pub fn exporting_to(language: Language, path: &Path) -> String {
    match language {
        Language::SimplifiedChinese => format!("正在导出到 {}…", path.display()),
        Language::English => format!("Exporting to {}…", path.display()),
    }
}

/// "王芳（3101000003）的账单".
pub fn bills_of(language: Language, account: &pb::AccountSummary) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "{}（户号 {}）的账单 · {}",
            account.customer_name, account.account_no, account.address
        ),
        Language::English => format!(
            "Bills of {} (account {}) · {}",
            account.customer_name, account.account_no, account.address
        ),
    }
}

/// The note after a cancellation.
pub fn bill_cancelled(language: Language, period: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("{period} 的账单已作废；更正读数后，下次计费将重新出账。")
        }
        Language::English => format!(
            "The {period} bill is cancelled; once the readings are right, the next run bills the period again."
        ),
    }
}

/// The question of a cancellation.
pub fn cancel_question(language: Language, period: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("作废 {period} 的账单？将冲销其金额，并记录原因。")
        }
        Language::English => {
            format!("Cancel the {period} bill? Its amount is reversed and the reason kept.")
        }
    }
}

/// "2024-03 账单 · 2024-03-01 至 2024-03-31".
pub fn bill_title(language: Language, bill: &pb::Bill) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("{} 账单 · {} 至 {}", bill.period, bill.from, bill.to)
        }
        Language::English => format!("{} bill · {} to {}", bill.period, bill.from, bill.to),
    }
}

/// "第 1 次更正".
pub fn revision(language: Language, revision: i32) -> String {
    match language {
        Language::SimplifiedChinese => format!("修订 {revision}"),
        Language::English => format!("revision {revision}"),
    }
}

/// "起止读数 1200 → 1600，用气量 400 m³"; the first bill of a meter
/// starts at its installation.
pub fn bill_readings(language: Language, bill: &pb::Bill) -> String {
    let previous = if bill.previous_value.trim().is_empty() {
        pick(language, "（装表）", "(installation)").to_owned()
    } else {
        number::volume(&bill.previous_value)
    };
    let current = if bill.current_value.trim().is_empty() {
        "—".to_owned()
    } else {
        number::volume(&bill.current_value)
    };
    let volume = number::volume(&bill.volume);
    match (bill.estimated, language) {
        (false, Language::SimplifiedChinese) => {
            format!("起止读数 {previous} → {current}，用气量 {volume} m³")
        }
        (true, Language::SimplifiedChinese) => {
            format!("起止读数 {previous} → {current}（估抄），用气量 {volume} m³")
        }
        (false, Language::English) => format!("Readings {previous} → {current}, {volume} m³ used"),
        (true, Language::English) => {
            format!("Readings {previous} → {current} (estimated), {volume} m³ used")
        }
    }
}

/// Due date, tariff, tier cycle and VAT of a bill.
pub fn bill_facts(language: Language, bill: &pb::Bill) -> String {
    let cycle = number::volume(&bill.cycle_to_date);
    match language {
        Language::SimplifiedChinese => format!(
            "缴费截止 {} · 气价方案 {}（修订 #{}）· 本阶梯年度此前累计 {cycle} m³ · 不含税 {} · 增值税 {}",
            bill.due_on,
            bill.tariff_code,
            bill.tariff_revision_id,
            money(&bill.net),
            money(&bill.tax)
        ),
        Language::English => format!(
            "Due {} · tariff {} (revision #{}) · {cycle} m³ billed earlier in the tier cycle · net {} · VAT {}",
            bill.due_on,
            bill.tariff_code,
            bill.tariff_revision_id,
            money(&bill.net),
            money(&bill.tax)
        ),
    }
}

/// Why a revision was made.
pub fn bill_reason(language: Language, bill: &pb::Bill) -> String {
    match (bill.cancelled, language) {
        (true, Language::SimplifiedChinese) => format!("作废原因：{}", bill.reason),
        (true, Language::English) => format!("Cancelled because: {}", bill.reason),
        (false, Language::SimplifiedChinese) => format!("说明：{}", bill.reason),
        (false, Language::English) => format!("Note: {}", bill.reason),
    }
}

/// "合计 ¥1,227.00".
pub fn bill_total(language: Language, bill: &pb::Bill) -> String {
    match language {
        Language::SimplifiedChinese => format!("合计 {}", money(&bill.amount)),
        Language::English => format!("Total {}", money(&bill.amount)),
    }
}

/// A season code of a tariff in words.
pub fn season(language: Language, code: &str) -> String {
    match code {
        "peak" => pick(language, "旺季", "peak season").to_owned(),
        "off_peak" => pick(language, "淡季", "off-peak season").to_owned(),
        "summer" => pick(language, "夏季", "summer").to_owned(),
        "winter" => pick(language, "冬季", "winter").to_owned(),
        "heating" => pick(language, "采暖季", "heating season").to_owned(),
        other => other.to_owned(),
    }
}

/// `2024-03-01`..`2024-03-31` as "03-01至03-31" (the year only when the
/// stretch crosses one).
fn stretch(language: Language, from: &str, to: &str) -> String {
    let same_year = from.len() == 10 && to.len() == 10 && from.get(..4) == to.get(..4);
    let (from, to) = if same_year {
        (from.get(5..).unwrap_or(from), to.get(5..).unwrap_or(to))
    } else {
        (from, to)
    };
    match language {
        Language::SimplifiedChinese => format!("{from}至{to}"),
        Language::English => format!("{from} to {to}"),
    }
}

/// A bill line in words: "第1阶梯 310 m³ × 3.00 = 930.00（2014-09-01价格，
/// 03-01至03-31，31天）".
pub fn line_explanation(language: Language, line: &pb::BillLine) -> String {
    let volume = number::volume(&line.volume);
    let price = number::price(&line.unit_price);
    let amount = line.amount.trim();
    let season = (!line.season.is_empty()).then(|| season(language, &line.season));
    let what = match (line.kind.as_str(), language) {
        ("tier", Language::SimplifiedChinese) => format!("第{}阶梯", line.tier),
        ("tier", Language::English) => format!("Tier {}", line.tier),
        ("flat", Language::SimplifiedChinese) => {
            format!("统一价（{}）", customer_type(language, &line.name))
        }
        ("flat", Language::English) => {
            format!("Flat rate ({})", customer_type(language, &line.name))
        }
        ("fixed_charge", _) => line.name.clone(),
        ("minimum_top_up", _) => pick(language, "最低消费补足", "Minimum charge top-up").to_owned(),
        (other, _) if line.name.is_empty() => other.to_owned(),
        (_, _) => line.name.clone(),
    };
    let what = match (season, language) {
        (Some(season), Language::SimplifiedChinese) => format!("{season}{what}"),
        (Some(season), Language::English) => format!("{what}, {season}"),
        (None, _) => what,
    };
    // No space after a closing full-width bracket: it carries its own.
    let gap = if what.ends_with('）') { "" } else { " " };
    let computation = if price.is_empty() {
        format!("{what}{gap}{amount}")
    } else {
        format!("{what}{gap}{volume} m³ × {price} = {amount}")
    };
    let stretch = stretch(language, &line.from, &line.to);
    let version = &line.version_effective_from;
    let days = line.days;
    match language {
        Language::SimplifiedChinese => {
            format!("{computation}（{version}价格，{stretch}，{days}天）")
        }
        Language::English => {
            format!("{computation} (prices of {version}, {stretch}, {days} days)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: Language = Language::SimplifiedChinese;
    const EN: Language = Language::English;

    fn tier_line() -> pb::BillLine {
        pb::BillLine {
            kind: "tier".into(),
            tier: 1,
            volume: "310.000".into(),
            unit_price: "3.0000".into(),
            amount: "930.00".into(),
            version_effective_from: "2014-09-01".into(),
            from: "2024-03-01".into(),
            to: "2024-03-31".into(),
            days: 31,
            ..pb::BillLine::default()
        }
    }

    #[test]
    fn a_tier_line_explains_itself() {
        assert_eq!(
            line_explanation(ZH, &tier_line()),
            "第1阶梯 310 m³ × 3.00 = 930.00（2014-09-01价格，03-01至03-31，31天）"
        );
        assert_eq!(
            line_explanation(EN, &tier_line()),
            "Tier 1 310 m³ × 3.00 = 930.00 (prices of 2014-09-01, 03-01 to 03-31, 31 days)"
        );
    }

    #[test]
    fn seasons_flat_prices_and_charges() {
        let winter = pb::BillLine {
            season: "peak".into(),
            tier: 2,
            volume: "12.500".into(),
            unit_price: "3.2450".into(),
            amount: "40.56".into(),
            from: "2024-12-20".into(),
            to: "2025-01-10".into(),
            days: 22,
            ..tier_line()
        };
        assert_eq!(
            line_explanation(ZH, &winter),
            "旺季第2阶梯 12.5 m³ × 3.245 = 40.56（2014-09-01价格，2024-12-20至2025-01-10，22天）"
        );
        let flat = pb::BillLine {
            kind: "flat".into(),
            tier: 0,
            name: "commercial".into(),
            ..tier_line()
        };
        assert!(line_explanation(ZH, &flat).starts_with("统一价（商业）310 m³ × 3.00"));
        let charge = pb::BillLine {
            kind: "fixed_charge".into(),
            tier: 0,
            name: "表具维护费".into(),
            volume: "0.000".into(),
            unit_price: String::new(),
            amount: "2.00".into(),
            ..tier_line()
        };
        assert_eq!(
            line_explanation(ZH, &charge),
            "表具维护费 2.00（2014-09-01价格，03-01至03-31，31天）"
        );
    }

    #[test]
    fn server_reasons_in_words() {
        assert_eq!(skip_reason(ZH, "no reading this period"), "本期无读数");
        assert_eq!(
            skip_reason(ZH, "tariff 'beijing-2019' has no published revision"),
            "气价方案 beijing-2019 尚未发布"
        );
        assert_eq!(skip_reason(ZH, "something new"), "something new");
        assert_eq!(
            reading_error(ZH, "value: a meter reading cannot be negative"),
            "未通过：读数不能为负数"
        );
        assert_eq!(
            reading_error(EN, "account 9 is on the moon"),
            "Refused: account 9 is on the moon"
        );
        assert_eq!(
            anomaly_list(
                ZH,
                &[
                    "negative".into(),
                    "spike".into(),
                    "drop".into(),
                    "zero_streak".into()
                ]
            ),
            "读数倒退、用量突增、用量骤减、连续零用量"
        );
        assert_eq!(
            reviewed_meanwhile(ZH, "reading 12 was reviewed by zhangmin meanwhile"),
            "该读数已被 zhangmin 处理，您的操作未生效"
        );
    }
}

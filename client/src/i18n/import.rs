//! Texts of the import area (数据导入), in Simplified Chinese and English:
//! fixed texts by [`Key`], the names of kinds, policies, phases and
//! outcomes, the labels of the import fields, and the server's English
//! row-error reasons in the words a back-office clerk reads.

use std::path::Path;

use gascis_common::proto::v1 as pb;

use super::{Language, Text, pick};

/// A fixed text of the import screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    // Steps
    StepChooseFile,
    StepMapping,
    StepDryRun,
    StepImport,
    // Choosing the file
    ImportKind,
    ReadingsHistoryNote,
    PaymentsHistoryNote,
    FilePath,
    FilePathPlaceholder,
    FileHint,
    Browse,
    ChooseLedgerTitle,
    SpreadsheetFilter,
    DownloadTemplate,
    DownloadingTemplate,
    TemplateHint,
    Upload,
    Uploading,
    Inspecting,
    PathRequired,
    PathWrongExtension,
    // Mapping
    Sheet,
    NoHeader,
    MappingHint,
    Field,
    Required,
    Column,
    MatchState,
    NotImported,
    MatchAuto,
    MatchChanged,
    MatchNone,
    MatchMissingRequired,
    ResetMapping,
    ColumnAbsent,
    SavedMappings,
    NoSavedMappings,
    ChooseSavedMapping,
    ApplyMapping,
    MappingName,
    MappingNamePlaceholder,
    MappingNameRequired,
    SaveMapping,
    MappingSaved,
    DeleteMapping,
    ConfirmDeleteMapping,
    Back,
    NextToDryRun,
    NextToImport,
    // Dry run
    Policy,
    PolicyUpdate,
    PolicySkip,
    PolicyFail,
    PolicyUpdateExplained,
    PolicySkipExplained,
    PolicyFailExplained,
    StartDryRun,
    DryRunHint,
    DryRunResult,
    DryRunStale,
    HistoryPolicyNote,
    Cancel,
    Cancelled,
    CannotCancel,
    Starting,
    RowsRead,
    RowsNew,
    RowsUpdated,
    RowsUnchanged,
    RowsSkipped,
    RowsInvalid,
    FileBalance,
    FileArrears,
    FileConsumption,
    FileAmount,
    Preview,
    NoPreview,
    RowNumber,
    AccountNo,
    Outcome,
    Differences,
    Errors,
    NoErrors,
    Value,
    Reason,
    WholeRow,
    ErrorFile,
    ErrorFileHint,
    ErrorFilePath,
    SaveErrorFile,
    SavingErrorFile,
    ChooseErrorFileTitle,
    // Import
    Partial,
    PartialHint,
    Chunked,
    ChunkedHint,
    ChunkedReadingsHint,
    StartImport,
    ImportHint,
    ImportHintChunked,
    CancelledChunked,
    NeedDryRun,
    ImportResult,
    Certificate,
    CertificateItem,
    CertificateFile,
    CertificateDatabase,
    CertificateAgrees,
    Prepayment,
    Arrears,
    Consumption,
    AmountPaid,
    Balanced,
    Unbalanced,
    BalancedNote,
    BalancedNoteReadings,
    BalancedNotePayments,
    UnbalancedAdvice,
    Yes,
    No,
    StartOver,
}

impl Text for Key {
    fn in_language(self, language: Language) -> &'static str {
        let (zh, en) = texts(self);
        match language {
            Language::SimplifiedChinese => zh,
            Language::English => en,
        }
    }
}

/// (中文, English) of a key.
fn texts(key: Key) -> (&'static str, &'static str) {
    match key {
        Key::StepChooseFile => ("选择文件", "Choose file"),
        Key::StepMapping => ("确认列映射", "Check columns"),
        Key::StepDryRun => ("预检", "Check run"),
        Key::StepImport => ("导入", "Import"),
        Key::ImportKind => ("导入内容", "The file holds"),
        Key::ReadingsHistoryNote => (
            "抄表记录作为历史导入：不进入异常复核，也不再计费，只标明新系统第一张账单从哪里开始。请先导入用户台账。",
            "Readings history is imported as history: it skips the anomaly review and is never billed again; it only marks where the first bill of this system starts. Import the accounts ledger first.",
        ),
        Key::PaymentsHistoryNote => (
            "缴费记录作为历史保存，不改变任何余额：导入用户台账时的预存款和欠费已经包含了这些缴费。收费台查询该户缴费时显示为“历史导入”。请先导入用户台账。",
            "Payments history is kept as history and changes no balance: the prepayments and arrears of the accounts ledger already include these payments. The counter lists them as “imported”. Import the accounts ledger first.",
        ),
        Key::FilePath => ("Excel 文件", "Spreadsheet file"),
        Key::FilePathPlaceholder => (
            "文件的完整路径，例如 D:\\台账\\2023年用户台账.xlsx",
            "Full path of the file, e.g. D:\\ledgers\\accounts-2023.xlsx",
        ),
        Key::FileHint => (
            "支持 .xlsx、.xlsm、.xls（Excel 97-2003）和 .ods（WPS、LibreOffice），最大 200 MB",
            "Accepts .xlsx, .xlsm, .xls (Excel 97-2003) and .ods (WPS, LibreOffice), up to 200 MB",
        ),
        Key::Browse => ("浏览…", "Browse…"),
        Key::ChooseLedgerTitle => (
            "选择要导入的 Excel 文件",
            "Choose the spreadsheet to import",
        ),
        Key::SpreadsheetFilter => ("Excel 表格", "Spreadsheets"),
        Key::DownloadTemplate => ("下载模板", "Download template"),
        Key::DownloadingTemplate => ("正在下载模板…", "Downloading the template…"),
        Key::TemplateHint => (
            "没有现成的台账？先下载模板，按模板填写后再导入。模板保存在所选文件旁边，未选文件时保存到“下载”文件夹。",
            "No ledger yet? Download the template, fill it in and import it. It is saved beside the chosen file, or in Downloads when none is chosen.",
        ),
        Key::Upload => ("上传并识别", "Upload and read"),
        Key::Uploading => ("正在上传…", "Uploading…"),
        Key::Inspecting => ("正在识别表头…", "Reading the header…"),
        Key::PathRequired => (
            "请填写要导入的文件路径，或点击“浏览…”选择文件",
            "Enter the path of the file, or choose it with “Browse…”",
        ),
        Key::PathWrongExtension => (
            "只能导入 .xlsx、.xlsm、.xls 或 .ods 文件",
            "Only .xlsx, .xlsm, .xls and .ods files can be imported",
        ),
        Key::Sheet => ("工作表", "Sheet"),
        Key::NoHeader => (
            "未能识别表头：该工作表前 50 行中没有一行包含至少两个已知的列名（户号、户名、表号…）。请选择其他工作表，或按模板整理后重新上传。",
            "No header found: none of the first 50 rows of this sheet names at least two known columns (account no., name, meter no., …). Choose another sheet, or arrange the file like the template and upload it again.",
        ),
        Key::MappingHint => (
            "系统已按表头自动对应字段。如有不对，请在“Excel 列”中改选；选“（不导入）”的字段不导入。",
            "Fields were matched to columns by their headers. Correct a match under “Column”; fields set to “(not imported)” are left out.",
        ),
        Key::Field => ("字段", "Field"),
        Key::Required => ("必填", "Required"),
        Key::Column => ("Excel 列", "Column"),
        Key::MatchState => ("状态", "Status"),
        Key::NotImported => ("（不导入）", "(not imported)"),
        Key::MatchAuto => ("自动识别", "Recognised"),
        Key::MatchChanged => ("已修改", "Changed"),
        Key::MatchNone => ("不导入", "Not imported"),
        Key::MatchMissingRequired => ("缺少必填列", "Required column missing"),
        Key::ResetMapping => ("恢复自动识别", "Back to automatic"),
        Key::ColumnAbsent => ("缺少列", "Column missing"),
        Key::SavedMappings => ("已保存的映射", "Saved mappings"),
        Key::NoSavedMappings => ("暂无", "None yet"),
        Key::ChooseSavedMapping => ("请选择", "Choose…"),
        Key::ApplyMapping => ("应用", "Apply"),
        Key::MappingName => ("保存为", "Save as"),
        Key::MappingNamePlaceholder => (
            "映射名称，例如 老系统台账2019版",
            "Mapping name, e.g. old system 2019",
        ),
        Key::MappingNameRequired => ("请填写映射名称", "Enter a name for the mapping"),
        Key::SaveMapping => ("保存当前映射", "Save current mapping"),
        Key::MappingSaved => ("已保存", "Saved"),
        Key::DeleteMapping => ("删除", "Delete"),
        Key::ConfirmDeleteMapping => ("确认删除", "Delete it"),
        Key::Back => ("上一步", "Back"),
        Key::NextToDryRun => ("下一步：预检", "Next: check run"),
        Key::NextToImport => ("下一步：导入", "Next: import"),
        Key::Policy => (
            "档案中已有该户号、且与文件不一致时",
            "When an account exists and differs from the file",
        ),
        Key::PolicyUpdate => ("更新", "Update"),
        Key::PolicySkip => ("跳过", "Skip"),
        Key::PolicyFail => ("报错", "Reject"),
        Key::PolicyUpdateExplained => (
            "以文件为准更新档案（户名、电话、地址、余额等），每处修改记入变更记录",
            "The archive is updated from the file (name, phone, address, balances, …); every change is recorded",
        ),
        Key::PolicySkipExplained => (
            "档案保持不变，这些行计为“跳过”",
            "The archive stays as it is; these rows count as skipped",
        ),
        Key::PolicyFailExplained => (
            "这些行计为无效，写入错误文件",
            "These rows count as invalid and go to the error file",
        ),
        Key::StartDryRun => ("开始预检", "Run the check"),
        Key::DryRunHint => (
            "预检会校验全部行并与档案比对，不写入任何数据。",
            "The check validates every row and compares it with the archive; nothing is written.",
        ),
        Key::DryRunResult => ("预检结果", "Check result"),
        Key::DryRunStale => (
            "工作表、列映射或处理方式已改变，请重新预检",
            "The sheet, the columns or the policy changed: run the check again",
        ),
        Key::HistoryPolicyNote => (
            "以前导入过的相同记录保持不变；同一日期（或同一票据号）内容不同的记录会被拒绝，不会覆盖。",
            "Records imported before stay as they are; a record that differs on the same date (or under the same receipt number) is refused, never overwritten.",
        ),
        Key::Cancel => ("取消", "Cancel"),
        Key::Cancelled => ("已取消，未写入任何数据", "Cancelled: nothing was written"),
        Key::CannotCancel => (
            "正在提交，已不能取消",
            "Committing: it can no longer be cancelled",
        ),
        Key::Starting => ("正在开始…", "Starting…"),
        Key::RowsRead => ("读取", "Read"),
        Key::RowsNew => ("新增", "New"),
        Key::RowsUpdated => ("更新", "Updated"),
        Key::RowsUnchanged => ("未变", "Unchanged"),
        Key::RowsSkipped => ("跳过", "Skipped"),
        Key::RowsInvalid => ("无效", "Invalid"),
        Key::FileBalance => ("文件中预存款合计", "Prepayments in the file"),
        Key::FileArrears => ("文件中欠费合计", "Arrears in the file"),
        Key::FileConsumption => ("新增记录用气量合计", "Consumption of the new rows"),
        Key::FileAmount => ("新增记录金额合计", "Amount of the new rows"),
        Key::Preview => ("逐行预览", "Row by row"),
        Key::NoPreview => ("没有可导入的行", "No row to import"),
        Key::RowNumber => ("行号", "Row"),
        Key::AccountNo => ("户号", "Account no."),
        Key::Outcome => ("结果", "Outcome"),
        Key::Differences => ("与档案的差异", "Differences from the archive"),
        Key::Errors => ("错误明细", "Errors"),
        Key::NoErrors => ("全部行校验通过", "Every row passed the checks"),
        Key::Value => ("值", "Value"),
        Key::Reason => ("原因", "Reason"),
        Key::WholeRow => ("整行", "Whole row"),
        Key::ErrorFile => ("错误文件", "Error file"),
        Key::ErrorFileHint => (
            "错误文件含全部无效行的原始数据，并标出出错的字段和原因；改正后可直接再次导入。",
            "The error file holds every invalid row as it was, with the bad field and the reason marked; corrected, it imports as it is.",
        ),
        Key::ErrorFilePath => ("保存到", "Save to"),
        Key::SaveErrorFile => ("保存错误文件", "Save error file"),
        Key::SavingErrorFile => ("正在保存…", "Saving…"),
        Key::ChooseErrorFileTitle => ("保存错误文件", "Save the error file"),
        Key::Partial => ("只导入有效行", "Import the valid rows only"),
        Key::PartialHint => (
            "勾选后，有效行导入、无效行留在错误文件中；不勾选时，只要有一行无效，就不导入任何数据。",
            "Ticked, the valid rows are imported and the invalid ones stay in the error file; unticked, one invalid row stops the whole import.",
        ),
        Key::Chunked => (
            "分批提交（每批 10,000 行）",
            "Commit in batches of 10,000 rows",
        ),
        Key::ChunkedHint => (
            "适合很大的台账：每批单独提交并记下进度；中断或取消后已提交的批次保留，再次导入同一文件并勾选分批提交，即从中断处继续，不会重复写入。",
            "For very large ledgers: each batch commits on its own with the position reached; after a stop or a cancel the committed batches stay, and importing the same file again in batches continues where it stopped, writing nothing twice.",
        ),
        Key::ChunkedReadingsHint => (
            "抄表记录按户分批：每批含若干户的全部读数（至少 10,000 行），按户号排序，续传从下一户开始。",
            "Readings are batched by account: each batch holds all readings of whole accounts (at least 10,000 rows), in account-number order, and a resume starts at the next account.",
        ),
        Key::StartImport => ("开始导入", "Import"),
        Key::ImportHint => (
            "导入在一个事务中完成：出错或取消时不写入任何数据。",
            "The import is one transaction: on an error or a cancel nothing is written.",
        ),
        Key::ImportHintChunked => (
            "分批导入：出错或取消时只回滚当前批次。",
            "In batches: an error or a cancel rolls back the current batch only.",
        ),
        Key::CancelledChunked => (
            "已取消：当前批次已回滚，已提交的批次保留；再次分批导入同一文件即从中断处继续",
            "Cancelled: the current batch was rolled back and the committed batches stay; import the same file in batches again to continue",
        ),
        Key::NeedDryRun => (
            "请先完成预检（工作表、列映射或处理方式改变后需重新预检）",
            "Run the check first (again after changing the sheet, the columns or the policy)",
        ),
        Key::ImportResult => ("导入结果", "Import result"),
        Key::Certificate => ("对账凭证", "Reconciliation certificate"),
        Key::CertificateItem => ("项目", "Item"),
        Key::CertificateFile => ("文件合计", "File total"),
        Key::CertificateDatabase => ("数据库合计", "Database total"),
        Key::CertificateAgrees => ("一致", "Agrees"),
        Key::Prepayment => ("预存款", "Prepayments"),
        Key::Arrears => ("欠费", "Arrears"),
        Key::Consumption => ("用气量", "Consumption"),
        Key::AmountPaid => ("缴费金额", "Amount paid"),
        Key::Balanced => ("平衡", "Balanced"),
        Key::Unbalanced => ("不平衡", "Not balanced"),
        Key::BalancedNote => (
            "文件与数据库的预存款、欠费合计一致到分。",
            "Prepayments and arrears of the file and the database agree to the fen.",
        ),
        Key::BalancedNoteReadings => (
            "文件与数据库的用气量合计一致到升。",
            "The consumption of the file and the database agree to the litre.",
        ),
        Key::BalancedNotePayments => (
            "文件与数据库的缴费金额合计一致到分；余额未变。",
            "The payment amounts of the file and the database agree to the fen; no balance changed.",
        ),
        Key::UnbalancedAdvice => (
            "文件与数据库的合计不一致。请暂停收费业务，保存本页截图并联系信息中心核查。",
            "The file and the database disagree. Hold off counter work on these accounts, keep a screenshot of this page and call IT.",
        ),
        Key::Yes => ("是", "Yes"),
        Key::No => ("否", "No"),
        Key::StartOver => ("导入其他文件", "Import another file"),
    }
}

/// The name of an import kind.
pub fn kind_name(language: Language, kind: pb::ImportKind) -> &'static str {
    match kind {
        pb::ImportKind::Accounts => pick(language, "用户台账", "Accounts ledger"),
        pb::ImportKind::Readings => pick(language, "抄表记录", "Meter readings"),
        pb::ImportKind::Payments => pick(language, "缴费记录", "Payments"),
        pb::ImportKind::Unspecified => pick(language, "未知", "Unknown"),
    }
}

/// The name of a policy choice.
pub fn policy_name(language: Language, policy: pb::ImportPolicy) -> &'static str {
    match policy {
        pb::ImportPolicy::Update => Key::PolicyUpdate.in_language(language),
        pb::ImportPolicy::Skip => Key::PolicySkip.in_language(language),
        pb::ImportPolicy::Fail => Key::PolicyFail.in_language(language),
    }
}

/// What a policy does, in a sentence.
pub fn policy_explained(language: Language, policy: pb::ImportPolicy) -> &'static str {
    match policy {
        pb::ImportPolicy::Update => Key::PolicyUpdateExplained.in_language(language),
        pb::ImportPolicy::Skip => Key::PolicySkipExplained.in_language(language),
        pb::ImportPolicy::Fail => Key::PolicyFailExplained.in_language(language),
    }
}

/// The name of a phase of a running import as the server spells it.
pub fn phase_name(language: Language, phase: &str) -> String {
    let known = match phase {
        "reading" => Some(pick(language, "读取文件", "Reading the file")),
        "validating" => Some(pick(language, "校验数据", "Validating")),
        "writing" => Some(pick(language, "写入数据", "Writing")),
        "merging" => Some(pick(language, "合并到档案", "Merging into the archive")),
        _ => None,
    };
    known.map_or_else(|| phase.to_owned(), str::to_owned)
}

/// "校验数据 350 / 1,000".
pub fn progress_text(language: Language, phase: &str, done: i64, total: i64) -> String {
    let phase = phase_name(language, phase);
    if total > 0 {
        format!("{phase} {} / {}", grouped(done), grouped(total))
    } else {
        phase
    }
}

/// The name of a row outcome as the server spells it.
pub fn outcome_name(language: Language, outcome: &str) -> String {
    let known = match outcome {
        "new" => Some(Key::RowsNew),
        "updated" => Some(Key::RowsUpdated),
        "unchanged" => Some(Key::RowsUnchanged),
        "skipped" => Some(Key::RowsSkipped),
        "failed" => Some(Key::RowsInvalid),
        _ => None,
    };
    known.map_or_else(
        || outcome.to_owned(),
        |key| key.in_language(language).to_owned(),
    )
}

/// English names of the import fields; Chinese ones come from the server.
fn english_field_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "account_no" => "Account no.",
        "customer_name" | "name" => "Name",
        "customer_type" => "Customer type",
        "id_number" => "ID number",
        "phone" => "Phone",
        "address" => "Address",
        "district" => "District",
        "community" => "Community",
        "building" => "Building",
        "unit" => "Unit",
        "room" => "Room",
        "meter_no" => "Meter no.",
        "meter_type" => "Meter type",
        "initial_reading" => "Initial reading",
        "card_no" => "Card no.",
        "household_size" => "Household size",
        "opened_on" => "Opened on",
        "balance" => "Prepayment",
        "arrears" => "Arrears",
        "read_on" => "Read on",
        "reading" => "Reading",
        "reader" => "Reader",
        "paid_on" => "Paid on",
        "amount" => "Amount",
        "channel" => "Channel",
        "receipt_no" => "Receipt no.",
        _ => return None,
    })
}

/// The label of the field with `key`: in Chinese the server's own label
/// (`server_label`), in English a known name; the key itself when neither
/// is known. `row` names a problem of the whole row.
pub fn field_label(language: Language, key: &str, server_label: Option<&str>) -> String {
    if key == "row" {
        return Key::WholeRow.in_language(language).to_owned();
    }
    let server_label = server_label.filter(|label| !label.is_empty());
    let label = match language {
        Language::SimplifiedChinese => server_label.or_else(|| chinese_field_label(key)),
        Language::English => english_field_label(key).or(server_label),
    };
    label.unwrap_or(key).to_owned()
}

/// Chinese names of keys the server uses outside the field list, e.g. in
/// the differences of an update ("name: 王芳 → 王芳芳").
fn chinese_field_label(key: &str) -> Option<&'static str> {
    Some(match key {
        "name" | "customer_name" => "户名",
        "customer_type" => "用户类型",
        "id_number" => "证件号码",
        "phone" => "联系电话",
        "address" => "用气地址",
        "household_size" => "人口数",
        "balance" => "预存款",
        "arrears" => "欠费",
        _ => return None,
    })
}

/// One difference of an update, "name: 王芳 → 王芳芳", with the field
/// named in the user's language: "户名：王芳 → 王芳芳". `labels` gives the
/// server's label of a key.
pub fn difference_text<'a>(
    language: Language,
    difference: &str,
    labels: impl Fn(&str) -> Option<&'a str>,
) -> String {
    let Some((key, change)) = difference.split_once(": ") else {
        return difference.to_owned();
    };
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return difference.to_owned();
    }
    let label = match (key, language) {
        // The server's `name` is the customer's name, `customer_name` in the
        // field list.
        ("name", _) => field_label(language, "customer_name", labels("customer_name")),
        _ => field_label(language, key, labels(key)),
    };
    match language {
        Language::SimplifiedChinese => format!("{label}：{change}"),
        Language::English => format!("{label}: {change}"),
    }
}

/// The reason of a row error in the user's language. The server words its
/// reasons in English; the common ones are said again in Chinese, anything
/// else is shown as the server wrote it.
pub fn reason_text(language: Language, reason: &str) -> String {
    if language == Language::English {
        return reason.to_owned();
    }
    let reason = reason.trim();
    let fixed = match reason {
        "is required" => Some("必填，不能为空"),
        "is in the future" => Some("日期晚于今天"),
        "must not be negative" => Some("不能为负数"),
        "incomplete row" => Some("该行缺少必填的内容"),
        "must be a whole number from 1 to 50" => Some("应为 1 到 50 的整数"),
        "may contain only letters, digits and '-'" => Some("只能包含字母、数字和“-”"),
        "only digits are allowed, with X as the last character" => {
            Some("只能是数字，最后一位可以是 X")
        }
        "amount out of range" => Some("金额超出范围"),
        "unknown account" => Some("户号不存在"),
        "must be more than 0.00 (refunds and reversals are not payments history)" => {
            Some("金额必须大于 0.00（退款、冲正不属于缴费历史）")
        }
        _ => None,
    };
    if let Some(fixed) = fixed {
        return fixed.to_owned();
    }
    if let Some(row) = reason.strip_prefix("duplicate of row ") {
        // "duplicate of row 7: a receipt number names one payment".
        let row = row.split(':').next().unwrap_or(row);
        return format!("与第 {row} 行重复");
    }
    if let Some((value, allowed)) = reason.split_once(" is not one of ") {
        return format!("{value} 不是以下之一：{allowed}");
    }
    if reason.starts_with("was imported before as a payment of ") {
        return format!("该票据号以前已导入，内容不同（{reason}）");
    }
    if reason.starts_with("the account is closed") {
        return "该户已销户".to_owned();
    }
    if let Some(max) = reason
        .strip_prefix("longer than ")
        .and_then(|rest| rest.strip_suffix(" characters"))
    {
        return format!("超过 {max} 个字");
    }
    if reason.ends_with(
        "was stored by Excel as a number and has lost its last digits; format the column as text and type the numbers again",
    ) {
        return "被 Excel 存成了数字，末几位已丢失；请将该列设为文本格式后重新录入".to_owned();
    }
    if let Some((value, _)) = reason.split_once(" is not a date (") {
        return format!(
            "{value} 不是日期（可写作 2023-01-05、2023/1/5、2023年1月5日 或 20230105）"
        );
    }
    if let Some(value) = reason.strip_suffix(" is not a number") {
        return format!("{value} 不是数字");
    }
    if let Some(value) = reason.strip_suffix(" has characters that are not part of a phone number")
    {
        return format!("{value} 含有电话号码以外的字符");
    }
    if let Some((value, _)) = reason.split_once(" is not a mobile number") {
        return format!(
            "{value} 不是手机号（13–19 开头的 11 位）或带区号的座机（如 021-12345678）"
        );
    }
    if let Some((meter, account)) = reason
        .strip_prefix("meter ")
        .and_then(|rest| rest.split_once(" is registered on account "))
    {
        return format!("表号 {meter} 已登记在户号 {account} 上");
    }
    if let Some((card, account)) = reason
        .strip_prefix("card ")
        .and_then(|rest| rest.split_once(" is issued to account "))
    {
        return format!("卡号 {card} 已发给户号 {account}");
    }
    if let Some(account) = reason
        .strip_prefix("account ")
        .and_then(|rest| rest.strip_suffix(" is closed"))
    {
        return format!("户号 {account} 已销户");
    }
    reason.to_owned()
}

/// "模板已保存到：D:\台账\用户台账导入模板.xlsx".
pub fn template_saved(language: Language, path: &Path) -> String {
    match language {
        Language::SimplifiedChinese => format!("模板已保存到：{}", path.display()),
        Language::English => format!("Template saved to {}", path.display()),
    }
}

/// "错误文件已保存到：…".
pub fn error_file_saved(language: Language, path: &Path) -> String {
    match language {
        Language::SimplifiedChinese => format!("错误文件已保存到：{}", path.display()),
        Language::English => format!("Error file saved to {}", path.display()),
    }
}

/// "2023年用户台账.xlsx · 31.5 KB · 2 个工作表".
pub fn uploaded_summary(
    language: Language,
    file_name: &str,
    size_bytes: i64,
    sheets: usize,
) -> String {
    let size = file_size(size_bytes);
    match language {
        Language::SimplifiedChinese => format!("已上传：{file_name} · {size} · {sheets} 个工作表"),
        Language::English => {
            let plural = if sheets == 1 { "" } else { "s" };
            format!("Uploaded: {file_name} · {size} · {sheets} sheet{plural}")
        }
    }
}

/// A file size as people read it: "812 B", "31.5 KB", "4.2 MB".
pub fn file_size(bytes: i64) -> String {
    const KIB: i64 = 1024;
    const MIB: i64 = 1024 * 1024;
    // Tenths by integer arithmetic: sizes are not money, but there is no
    // need for floats either.
    let tenths = |unit: i64| {
        let tenths = (bytes.max(0) * 10 + unit / 2) / unit;
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    if bytes < KIB {
        format!("{} B", bytes.max(0))
    } else if bytes < MIB {
        format!("{} KB", tenths(KIB))
    } else {
        format!("{} MB", tenths(MIB))
    }
}

/// "表头在第 4 行，其下 11 行数据".
pub fn header_found(language: Language, header_row: i32, data_rows: i32) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!(
                "表头在第 {header_row} 行，其下 {} 行数据",
                grouped(data_rows.into())
            )
        }
        Language::English => format!(
            "Header in row {header_row}, {} data rows below it",
            grouped(data_rows.into())
        ),
    }
}

/// "必填字段 户号、表号 还没有对应的列".
pub fn missing_required(language: Language, labels: &[String]) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "必填字段 {} 还没有对应的列，请在“Excel 列”中选择，否则不能预检",
            labels.join("、")
        ),
        Language::English => format!(
            "The required fields {} have no column yet: choose one under “Column” to run the check",
            labels.join(", ")
        ),
    }
}

/// "删除已保存的映射“老系统台账2019版”？其他人也将无法再使用它。".
pub fn delete_mapping_question(language: Language, name: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("删除已保存的映射“{name}”？其他人也将无法再使用它。")
        }
        Language::English => {
            format!("Delete the saved mapping “{name}”? Nobody will be able to use it any more.")
        }
    }
}

/// "另有 120 条未显示，请保存错误文件查看全部".
pub fn more_errors(language: Language, hidden: usize) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!(
                "另有 {} 条未显示，请保存错误文件查看全部",
                grouped(hidden as i64)
            )
        }
        Language::English => format!(
            "{} more not shown: save the error file to see them all",
            grouped(hidden as i64)
        ),
    }
}

/// "显示前 50 行，共 9,000 行可导入".
pub fn preview_note(language: Language, shown: usize, importable: i64) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("显示前 {shown} 行，共 {} 行可导入", grouped(importable))
        }
        Language::English => format!(
            "The first {shown} of {} importable rows",
            grouped(importable)
        ),
    }
}

/// "预检发现 1 行无效：不勾选“只导入有效行”时，将不导入任何数据。"
pub fn invalid_rows_warning(language: Language, invalid: i32) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("预检发现 {invalid} 行无效：不勾选“只导入有效行”时，将不导入任何数据。")
        }
        Language::English => format!(
            "The check found {invalid} invalid rows: unless “Import the valid rows only” is ticked, nothing will be imported."
        ),
    }
}

/// Why a refused import wrote nothing.
pub fn refused(language: Language, invalid: i32) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "有 {invalid} 行无效，本次未导入任何数据。请保存错误文件，改正后重新导入；或勾选“只导入有效行”，先导入有效的行。"
        ),
        Language::English => format!(
            "{invalid} rows are invalid, so nothing was imported. Save the error file, correct it and import it again, or tick “Import the valid rows only” to import the valid rows now."
        ),
    }
}

/// How a chunked import was committed: its batches, and where it resumed.
/// Readings resume after a number of accounts (in account-number order),
/// the others after a sheet row.
pub fn chunks_done(
    language: Language,
    chunks: i32,
    resumed_from_row: Option<i32>,
    resumed_after_accounts: Option<i32>,
) -> String {
    match (language, resumed_from_row, resumed_after_accounts) {
        (Language::SimplifiedChinese, Some(row), _) => {
            format!("分 {chunks} 批提交；从第 {row} 行之后续传，之前已提交的行未重复写入")
        }
        (Language::SimplifiedChinese, None, Some(accounts)) => format!(
            "分 {chunks} 批提交；从前 {accounts} 户之后续传，之前已提交的抄表记录未重复写入"
        ),
        (Language::SimplifiedChinese, None, None) => format!("分 {chunks} 批提交"),
        (Language::English, Some(row), _) => format!(
            "Committed in {chunks} batches; resumed after row {row}, the rows committed before were not written again"
        ),
        (Language::English, None, Some(accounts)) => format!(
            "Committed in {chunks} batches; resumed after the first {accounts} accounts, the readings committed before were not written again"
        ),
        (Language::English, None, None) => format!("Committed in {chunks} batches"),
    }
}

/// "导入编号 128".
pub fn import_number(language: Language, import_id: i64) -> String {
    match language {
        Language::SimplifiedChinese => format!("导入编号 {import_id}"),
        Language::English => format!("Import no. {import_id}"),
    }
}

/// "已导入 9 行：新增 9，更新 0，未变 0"; a history (readings, payments)
/// has no updated or skipped rows to name.
pub fn import_done(language: Language, kind: pb::ImportKind, report: &pb::ImportReport) -> String {
    let imported = i64::from(report.rows_new) + i64::from(report.rows_updated);
    if kind == pb::ImportKind::Readings || kind == pb::ImportKind::Payments {
        return match language {
            Language::SimplifiedChinese => format!(
                "导入完成：新增 {}，未变 {}，无效 {}",
                report.rows_new, report.rows_unchanged, report.rows_invalid
            ),
            Language::English => format!(
                "Imported {} new rows ({} unchanged, {} invalid)",
                report.rows_new, report.rows_unchanged, report.rows_invalid
            ),
        };
    }
    match language {
        Language::SimplifiedChinese => format!(
            "导入完成：新增 {}，更新 {}，未变 {}，跳过 {}，无效 {}",
            report.rows_new,
            report.rows_updated,
            report.rows_unchanged,
            report.rows_skipped,
            report.rows_invalid
        ),
        Language::English => format!(
            "Imported {imported} rows: {} new, {} updated ({} unchanged, {} skipped, {} invalid)",
            report.rows_new,
            report.rows_updated,
            report.rows_unchanged,
            report.rows_skipped,
            report.rows_invalid
        ),
    }
}

/// A count with thousands separators: "12,345".
pub fn grouped(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: Language = Language::SimplifiedChinese;
    const EN: Language = Language::English;

    #[test]
    fn field_keys_read_as_labels() {
        assert_eq!(field_label(ZH, "meter_no", Some("表号")), "表号");
        assert_eq!(field_label(EN, "meter_no", Some("表号")), "Meter no.");
        assert_eq!(field_label(ZH, "row", None), "整行");
        assert_eq!(field_label(EN, "row", None), "Whole row");
        // Without the inspection's labels, the known keys still read.
        assert_eq!(field_label(ZH, "id_number", None), "证件号码");
        assert_eq!(field_label(ZH, "id_number", Some("")), "证件号码");
        // A key nobody knows is shown as it is rather than hidden.
        assert_eq!(field_label(ZH, "future_field", None), "future_field");
        assert_eq!(field_label(EN, "future_field", Some("新字段")), "新字段");
    }

    #[test]
    fn differences_name_their_field() {
        let labels = |key: &str| match key {
            "customer_name" => Some("户名"),
            "phone" => Some("联系电话"),
            _ => None,
        };
        assert_eq!(
            difference_text(ZH, "name: 王芳 → 王芳芳", labels),
            "户名：王芳 → 王芳芳"
        );
        assert_eq!(
            difference_text(ZH, "phone: 138****5678 → 139****0000", labels),
            "联系电话：138****5678 → 139****0000"
        );
        assert_eq!(
            difference_text(EN, "balance: 120.50 → 100.00", labels),
            "Prepayment: 120.50 → 100.00"
        );
        assert_eq!(
            difference_text(ZH, "something else", labels),
            "something else"
        );
        assert_eq!(
            difference_text(ZH, "备注: x → y", labels),
            "备注: x → y",
            "only the server's keys are translated"
        );
    }

    #[test]
    fn common_reasons_are_said_in_chinese() {
        assert_eq!(reason_text(ZH, "is required"), "必填，不能为空");
        assert_eq!(reason_text(ZH, "duplicate of row 7"), "与第 7 行重复");
        assert_eq!(
            reason_text(ZH, "duplicate of row 7: a receipt number names one payment"),
            "与第 7 行重复"
        );
        assert_eq!(
            reason_text(
                ZH,
                "'支票' is not one of 现金/银行卡/微信/支付宝/银行代收/网上缴费/其他"
            ),
            "'支票' 不是以下之一：现金/银行卡/微信/支付宝/银行代收/网上缴费/其他"
        );
        assert_eq!(reason_text(ZH, "unknown account"), "户号不存在");
        assert_eq!(reason_text(ZH, "longer than 60 characters"), "超过 60 个字");
        assert_eq!(
            reason_text(
                ZH,
                "'1.10105E+17' was stored by Excel as a number and has lost its last digits; format the column as text and type the numbers again"
            ),
            "被 Excel 存成了数字，末几位已丢失；请将该列设为文本格式后重新录入"
        );
        assert_eq!(
            reason_text(ZH, "meter JK20000001 is registered on account 2000009"),
            "表号 JK20000001 已登记在户号 2000009 上"
        );
        assert_eq!(reason_text(ZH, "'abc' is not a number"), "'abc' 不是数字");
        // Unknown reasons and English keep the server's words.
        assert_eq!(reason_text(ZH, "something new"), "something new");
        assert_eq!(reason_text(EN, "is required"), "is required");
    }

    #[test]
    fn names_of_phases_and_outcomes() {
        assert_eq!(
            progress_text(ZH, "validating", 350, 1000),
            "校验数据 350 / 1,000"
        );
        assert_eq!(
            progress_text(EN, "merging", 0, 0),
            "Merging into the archive"
        );
        assert_eq!(progress_text(ZH, "compacting", 1, 2), "compacting 1 / 2");
        assert_eq!(outcome_name(ZH, "new"), "新增");
        assert_eq!(outcome_name(EN, "skipped"), "Skipped");
        assert_eq!(outcome_name(ZH, "odd"), "odd");
    }

    #[test]
    fn sizes_and_counts() {
        assert_eq!(file_size(812), "812 B");
        assert_eq!(file_size(3185), "3.1 KB");
        assert_eq!(file_size(4 * 1024 * 1024 + 200 * 1024), "4.2 MB");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(-1000), "-1,000");
    }

    #[test]
    fn every_key_has_both_languages() {
        let keys = [
            Key::StepChooseFile,
            Key::ReadingsHistoryNote,
            Key::PaymentsHistoryNote,
            Key::HistoryPolicyNote,
            Key::FileConsumption,
            Key::FileAmount,
            Key::Consumption,
            Key::AmountPaid,
            Key::BalancedNoteReadings,
            Key::BalancedNotePayments,
            Key::NoHeader,
            Key::Cancelled,
            Key::UnbalancedAdvice,
            Key::ColumnAbsent,
            Key::SavedMappings,
            Key::NoSavedMappings,
            Key::MappingNamePlaceholder,
            Key::SaveMapping,
            Key::MappingSaved,
            Key::ConfirmDeleteMapping,
        ];
        for key in keys {
            let (zh, en) = texts(key);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{key:?}");
        }
    }
}

//! Texts of the customer archive (客户档案), in Simplified Chinese and
//! English: fixed texts by [`Key`], the names of the proto enums, and the
//! texts of field problems.

use std::path::Path;

use chrono::NaiveDate;
use gascis_common::identity::ResidentIdError;
use gascis_common::proto::v1 as pb;

use super::{Language, Text, pick};
use crate::screen::customers::export::Scope;
use crate::screen::customers::form::FieldError;

/// A fixed text of the archive screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    // Search
    SearchPlaceholder,
    SearchButton,
    Searching,
    SearchBy,
    IncludeClosed,
    SearchResults,
    SearchHint,
    KeyboardHint,
    NoResults,
    NoResultsHint,
    PreviousPage,
    NextPage,
    // Export
    ExportResults,
    ExportAll,
    Exporting,
    ExportDialogTitle,
    ExportChoosing,
    ExportRunningHint,
    CancelExport,
    ExportCancelled,
    ExportFailed,
    // Columns and facts
    AccountNo,
    AccountHolder,
    Address,
    MeterNo,
    MeterType,
    Status,
    Phone,
    Phone2,
    PhonePlaceholder,
    CustomerName,
    CustomerType,
    PartyKind,
    IdType,
    IdNumber,
    CustomerId,
    Arrears,
    Prepayment,
    // Detail
    BackToResults,
    Reload,
    TabCustomer,
    TabPremise,
    TabMeters,
    TabAccount,
    TabContracts,
    TabChanges,
    RevealPii,
    HidePii,
    PiiRevealedNote,
    FullAddress,
    District,
    Community,
    Building,
    Unit,
    Room,
    Latitude,
    Longitude,
    Meters,
    MeterHistory,
    Maker,
    Model,
    MeterSize,
    Digits,
    InstalledOn,
    InitialReading,
    MeterInstalled,
    MeterRemoved,
    EventDate,
    EventKind,
    Reading,
    RecordedBy,
    Note,
    OpenedOn,
    ClosedOn,
    LowIncome,
    LowIncomeHousehold,
    BillNotices,
    DeclinesBillNotices,
    NoticesDeclined,
    NoticesWanted,
    HouseholdSize,
    TariffCode,
    HouseholdHistory,
    HolderHistory,
    EffectiveFrom,
    RecordedAt,
    HolderFrom,
    HolderTo,
    CurrentHolder,
    Contracts,
    ContractNo,
    SignedOn,
    GasPurpose,
    PricePolicy,
    IcCards,
    CardNo,
    IssueCount,
    ChangedAt,
    ChangedBy,
    ChangeAction,
    Reason,
    Differences,
    ApprovedBy,
    NoChanges,
    LoadOlderChanges,
    NoRecords,
    Yes,
    No,
    // Actions and dialogs
    OpenAccount,
    OpenAccountTitle,
    SubmitOpenAccount,
    AccountOpenedNotice,
    Transfer,
    CloseAccount,
    Suspend,
    Resume,
    ReplaceMeter,
    RegisterHousehold,
    EditCustomer,
    EditPremise,
    EditAccount,
    EditContract,
    RevealTitle,
    RevealExplained,
    ConfirmTransfer,
    ConfirmClose,
    ConfirmSuspend,
    ConfirmResume,
    ConfirmReplaceMeter,
    ConfirmHousehold,
    ConfirmReveal,
    SaveChanges,
    Cancel,
    Submitting,
    FinalReading,
    TransferredOn,
    CarryArrears,
    NewHolder,
    CloseWarning,
    Confirmation,
    ConfirmCloseCheck,
    SuspendExplained,
    ResumeExplained,
    OldMeter,
    OldFinalReading,
    ReplacedOn,
    NewMeter,
    RemovePhone2,
    ReasonPlaceholder,
    ApprovalTitle,
    ApprovalExplained,
    SupervisorUsername,
    SupervisorPassword,
    ApproveAndSubmit,
    ApprovalWrongPassword,
    ApprovalNotSupervisor,
    TransferDone,
    CloseDone,
    SuspendDone,
    ResumeDone,
    ReplaceMeterDone,
    HouseholdDone,
    ChangesSaved,
    // Forms
    SectionCustomer,
    SectionPremise,
    SectionMeter,
    SectionContractAndAccount,
    PleaseChoose,
    Optional,
    EmptyKeeps,
    NoDocument,
    RebuildAddress,
    GeneratedWhenEmpty,
    TodayWhenEmpty,
    IdempotencyKey,
    // Choosing the customer
    HolderNew,
    HolderExisting,
    FindExistingCustomer,
    FindCustomerPlaceholder,
    FindCustomer,
    FindCustomerIdle,
    FindCustomerHint,
    NoCustomerFound,
    ChosenCustomer,
    ChangeCustomer,
    HolderNow,
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
        Key::SearchPlaceholder => (
            "户号、姓名、电话、地址、表号、卡号或证件号",
            "Account no., name, phone, address, meter no., card no. or ID no.",
        ),
        Key::SearchButton => ("查询", "Search"),
        Key::Searching => ("正在查询…", "Searching…"),
        Key::SearchBy => ("查询方式", "Search by"),
        Key::IncludeClosed => ("包含已销户", "Include closed"),
        Key::SearchResults => ("查询结果", "Results"),
        Key::SearchHint => (
            "输入查询内容后按 Enter 查询",
            "Type what you are looking for and press Enter",
        ),
        Key::KeyboardHint => (
            "↑↓ 选择  ·  Enter 打开  ·  PgUp/PgDn 翻页",
            "↑↓ select  ·  Enter open  ·  PgUp/PgDn page",
        ),
        Key::NoResults => ("未找到匹配的账户", "No matching account"),
        Key::NoResultsHint => (
            "请检查输入，或换一种查询方式；已销户账户需勾选“包含已销户”",
            "Check the spelling or try another kind of search; closed accounts need “Include closed”",
        ),
        Key::PreviousPage => ("上一页", "Previous"),
        Key::NextPage => ("下一页", "Next"),
        Key::ExportResults => ("导出查询结果", "Export results"),
        Key::ExportAll => ("导出全部用户", "Export all accounts"),
        Key::Exporting => ("正在导出…", "Exporting…"),
        Key::ExportDialogTitle => ("导出到 Excel 文件", "Export to an Excel file"),
        Key::ExportChoosing => (
            "请在弹出的对话框中选择保存位置",
            "Choose where to save the file in the dialog",
        ),
        Key::ExportRunningHint => (
            "服务器正在生成 Excel 文件，用户较多时需要几分钟；完成前不会写入文件",
            "The server is building the Excel file, which takes a few minutes for a large archive; nothing is written until it is complete",
        ),
        Key::CancelExport => ("取消导出", "Cancel export"),
        Key::ExportCancelled => (
            "已取消导出，未保存任何文件",
            "Export cancelled; no file was saved",
        ),
        Key::ExportFailed => (
            "导出失败，未保存任何文件",
            "Export failed; no file was saved",
        ),
        Key::AccountNo => ("户号", "Account no."),
        Key::AccountHolder => ("户名", "Holder"),
        Key::Address => ("地址", "Address"),
        Key::MeterNo => ("表号", "Meter no."),
        Key::MeterType => ("表类型", "Meter type"),
        Key::Status => ("状态", "Status"),
        Key::Phone => ("电话", "Phone"),
        Key::Phone2 => ("备用电话", "Second phone"),
        Key::PhonePlaceholder => ("手机或带区号的座机", "Mobile or landline with area code"),
        Key::CustomerName => ("户名", "Name"),
        Key::CustomerType => ("客户类型", "Customer type"),
        Key::PartyKind => ("主体类型", "Party"),
        Key::IdType => ("证件类型", "ID document"),
        Key::IdNumber => ("证件号码", "ID number"),
        Key::CustomerId => ("客户编号", "Customer id"),
        Key::Arrears => ("欠费", "Arrears"),
        Key::Prepayment => ("预存", "Prepayment"),
        Key::BackToResults => ("← 返回查询", "← Back to search"),
        Key::Reload => ("刷新", "Reload"),
        Key::TabCustomer => ("客户信息", "Customer"),
        Key::TabPremise => ("用气地址", "Premise"),
        Key::TabMeters => ("表具", "Meters"),
        Key::TabAccount => ("账户", "Account"),
        Key::TabContracts => ("合同", "Contracts"),
        Key::TabChanges => ("变更记录", "Changes"),
        Key::RevealPii => ("显示完整", "Show in full"),
        Key::HidePii => ("隐藏完整信息", "Hide again"),
        Key::PiiRevealedNote => (
            "已显示完整的证件号码和电话，本次查看已记入审计日志",
            "ID number and phones are shown in full; this view is in the audit log",
        ),
        Key::FullAddress => ("完整地址", "Full address"),
        Key::District => ("区/县", "District"),
        Key::Community => ("小区", "Community"),
        Key::Building => ("栋", "Building"),
        Key::Unit => ("单元", "Unit"),
        Key::Room => ("室", "Room"),
        Key::Latitude => ("纬度", "Latitude"),
        Key::Longitude => ("经度", "Longitude"),
        Key::Meters => ("表具", "Meters"),
        Key::MeterHistory => ("表具事件", "Meter history"),
        Key::Maker => ("厂家", "Maker"),
        Key::Model => ("型号", "Model"),
        Key::MeterSize => ("规格", "Size"),
        Key::Digits => ("位数", "Digits"),
        Key::InstalledOn => ("安装日期", "Installed"),
        Key::InitialReading => ("初始读数", "Initial reading"),
        Key::MeterInstalled => ("在用", "Installed"),
        Key::MeterRemoved => ("已拆", "Removed"),
        Key::EventDate => ("日期", "Date"),
        Key::EventKind => ("事件", "Event"),
        Key::Reading => ("读数", "Reading"),
        Key::RecordedBy => ("记录人", "Recorded by"),
        Key::Note => ("备注", "Note"),
        Key::OpenedOn => ("开户日期", "Opened"),
        Key::ClosedOn => ("销户日期", "Closed"),
        Key::LowIncome => ("低保", "Low income"),
        Key::LowIncomeHousehold => ("低保户", "Low-income household"),
        Key::BillNotices => ("账单提醒", "Bill notices"),
        Key::DeclinesBillNotices => (
            "拒收账单及欠费短信提醒",
            "Declines bill and arrears messages",
        ),
        Key::NoticesDeclined => ("拒收", "Declined"),
        Key::NoticesWanted => ("接收", "Wanted"),
        Key::HouseholdSize => ("人口数", "Household size"),
        Key::TariffCode => ("气价方案", "Tariff"),
        Key::HouseholdHistory => ("人口登记记录", "Household registrations"),
        Key::HolderHistory => ("户主变更记录", "Holders"),
        Key::EffectiveFrom => ("生效日期", "Effective from"),
        Key::RecordedAt => ("登记时间", "Recorded"),
        Key::HolderFrom => ("起始日期", "From"),
        Key::HolderTo => ("截止日期", "To"),
        Key::CurrentHolder => ("至今", "current"),
        Key::Contracts => ("供气合同", "Supply contracts"),
        Key::ContractNo => ("合同编号", "Contract no."),
        Key::SignedOn => ("签订日期", "Signed"),
        Key::GasPurpose => ("用气性质", "Gas use"),
        Key::PricePolicy => ("价格政策", "Price policy"),
        Key::IcCards => ("IC 卡", "IC cards"),
        Key::CardNo => ("卡号", "Card no."),
        Key::IssueCount => ("发卡次数", "Issue no."),
        Key::ChangedAt => ("时间", "Time"),
        Key::ChangedBy => ("操作人", "User"),
        Key::ChangeAction => ("操作", "Action"),
        Key::Reason => ("原因", "Reason"),
        Key::Differences => ("变更内容", "Changes"),
        Key::ApprovedBy => ("审批人", "Approved by"),
        Key::NoChanges => ("暂无变更记录", "No change records yet"),
        Key::LoadOlderChanges => ("加载更早的记录", "Load older records"),
        Key::NoRecords => ("暂无记录", "None"),
        Key::Yes => ("是", "Yes"),
        Key::No => ("否", "No"),
        Key::OpenAccount => ("开户", "Open account"),
        Key::OpenAccountTitle => ("开户登记", "Open an account"),
        Key::SubmitOpenAccount => ("提交开户", "Open the account"),
        Key::AccountOpenedNotice => ("开户成功", "The account is open"),
        Key::Transfer => ("过户", "Transfer"),
        Key::CloseAccount => ("销户", "Close account"),
        Key::Suspend => ("报停", "Suspend"),
        Key::Resume => ("复用", "Resume"),
        Key::ReplaceMeter => ("换表", "Replace meter"),
        Key::RegisterHousehold => ("人口登记", "Register household"),
        Key::EditCustomer => ("修改客户信息", "Edit customer"),
        Key::EditPremise => ("修改用气地址", "Edit premise"),
        Key::EditAccount => ("修改账户", "Edit account"),
        Key::EditContract => ("修改合同", "Edit contract"),
        Key::RevealTitle => ("显示完整个人信息", "Show personal data in full"),
        Key::RevealExplained => (
            "查看完整的证件号码和电话将记入审计日志，请填写查看原因。",
            "Viewing the full ID number and phones is recorded in the audit log. Say why you need them.",
        ),
        Key::ConfirmTransfer => ("确认过户", "Transfer"),
        Key::ConfirmClose => ("确认销户", "Close the account"),
        Key::ConfirmSuspend => ("确认报停", "Suspend"),
        Key::ConfirmResume => ("确认复用", "Resume"),
        Key::ConfirmReplaceMeter => ("确认换表", "Replace the meter"),
        Key::ConfirmHousehold => ("确认登记", "Register"),
        Key::ConfirmReveal => ("显示", "Show"),
        Key::SaveChanges => ("保存修改", "Save changes"),
        Key::Cancel => ("取消", "Cancel"),
        Key::Submitting => ("正在提交…", "Submitting…"),
        Key::FinalReading => ("止码（最终读数）", "Final reading"),
        Key::TransferredOn => ("过户日期", "Transfer date"),
        Key::CarryArrears => ("欠费转给新户主", "Carry arrears to the new holder"),
        Key::NewHolder => ("新户主", "New holder"),
        Key::CloseWarning => (
            "销户后账户只读，不能再收费或恢复。",
            "A closed account is read-only: no more payments, and it cannot be reopened.",
        ),
        Key::Confirmation => ("确认", "Confirmation"),
        Key::ConfirmCloseCheck => (
            "已核对止码并结清费用，确认销户",
            "Final reading checked and account settled: close it",
        ),
        Key::SuspendExplained => (
            "报停后暂停供气和计费，可随时复用。",
            "Suspending stops supply and billing until the account is resumed.",
        ),
        Key::ResumeExplained => (
            "复用后恢复供气和计费。",
            "Resuming restarts supply and billing.",
        ),
        Key::OldMeter => ("原表号", "Old meter"),
        Key::OldFinalReading => ("原表止码", "Old meter's final reading"),
        Key::ReplacedOn => ("换表日期", "Replacement date"),
        Key::NewMeter => ("新表", "New meter"),
        Key::RemovePhone2 => ("删除备用电话", "Remove the second phone"),
        Key::ReasonPlaceholder => ("将记入变更记录", "Kept in the change record"),
        Key::ApprovalTitle => ("值班主管审批", "Supervisor approval"),
        Key::ApprovalExplained => (
            "该账户有欠费，过户需值班主管审批。请主管输入本人用户名和密码。",
            "The account has arrears: a supervisor must approve the transfer with their own user name and password.",
        ),
        Key::SupervisorUsername => ("主管用户名", "Supervisor user name"),
        Key::SupervisorPassword => ("主管密码", "Supervisor password"),
        Key::ApproveAndSubmit => ("审批并提交", "Approve and submit"),
        Key::ApprovalWrongPassword => (
            "主管用户名或密码不正确",
            "Wrong supervisor user name or password",
        ),
        Key::ApprovalNotSupervisor => (
            "该用户不能审批：需要值班主管角色",
            "This user cannot approve: the supervisor role is needed",
        ),
        Key::TransferDone => ("过户成功", "The account was transferred"),
        Key::CloseDone => ("已销户", "The account was closed"),
        Key::SuspendDone => ("已报停", "The account was suspended"),
        Key::ResumeDone => ("已复用", "The account was resumed"),
        Key::ReplaceMeterDone => ("换表成功", "The meter was replaced"),
        Key::HouseholdDone => ("人口登记成功", "The household size was registered"),
        Key::ChangesSaved => ("修改已保存", "Changes saved"),
        Key::SectionCustomer => ("客户信息", "Customer"),
        Key::SectionPremise => ("用气地址", "Premise"),
        Key::SectionMeter => ("表具", "Meter"),
        Key::SectionContractAndAccount => ("合同与账户", "Contract and account"),
        Key::PleaseChoose => ("请选择", "Choose"),
        Key::Optional => ("选填", "Optional"),
        Key::EmptyKeeps => ("留空不修改", "empty keeps it"),
        Key::NoDocument => ("无证件", "No document"),
        Key::RebuildAddress => ("自动生成", "Build from parts"),
        Key::GeneratedWhenEmpty => ("留空自动生成", "Generated when empty"),
        Key::TodayWhenEmpty => ("留空为今天", "Today when empty"),
        Key::IdempotencyKey => ("提交编号", "Submission key"),
        Key::HolderNew => ("新客户", "New customer"),
        Key::HolderExisting => ("已有客户", "Existing customer"),
        Key::FindExistingCustomer => ("查找已有客户", "Find the customer"),
        Key::FindCustomerPlaceholder => (
            "户名、户号、电话或证件号，按 Enter 查找",
            "Name, account no., phone or ID no., then Enter",
        ),
        Key::FindCustomer => ("查找", "Find"),
        Key::FindCustomerIdle => (
            "找到该客户名下的任一账户，其户主即为所选客户",
            "Find any account of the customer: its holder is the customer chosen",
        ),
        Key::FindCustomerHint => (
            "↑↓ 选择  ·  Enter 或单击选定",
            "↑↓ move  ·  Enter or a click chooses",
        ),
        Key::NoCustomerFound => ("未找到匹配的客户", "No matching customer"),
        Key::ChosenCustomer => ("所选客户", "Chosen customer"),
        Key::ChangeCustomer => ("更换", "Change"),
        Key::HolderNow => ("现户主", "current holder"),
    }
}

pub fn search_kind(language: Language, kind: pb::SearchKind) -> &'static str {
    match kind {
        pb::SearchKind::Auto => pick(language, "自动", "Auto"),
        pb::SearchKind::AccountNo => pick(language, "户号", "Account no."),
        pb::SearchKind::Name => pick(language, "姓名", "Name"),
        pb::SearchKind::Phone => pick(language, "电话", "Phone"),
        pb::SearchKind::Address => pick(language, "地址", "Address"),
        pb::SearchKind::MeterNo => pick(language, "表号", "Meter no."),
        pb::SearchKind::CardNo => pick(language, "卡号", "Card no."),
        pb::SearchKind::IdNumber => pick(language, "证件号", "ID no."),
    }
}

pub fn account_status(language: Language, status: pb::AccountStatus) -> &'static str {
    match status {
        pb::AccountStatus::Active => pick(language, "正常", "Active"),
        pb::AccountStatus::Suspended => pick(language, "报停", "Suspended"),
        pb::AccountStatus::Closed => pick(language, "销户", "Closed"),
        pb::AccountStatus::Unspecified => pick(language, "未知", "Unknown"),
    }
}

pub fn meter_type(language: Language, meter_type: pb::MeterType) -> &'static str {
    match meter_type {
        pb::MeterType::Mechanical => pick(language, "机械表", "Mechanical"),
        pb::MeterType::IcCard => pick(language, "IC卡表", "IC card"),
        pb::MeterType::Iot => pick(language, "物联网表", "IoT"),
        pb::MeterType::Unspecified => pick(language, "未知", "Unknown"),
    }
}

pub fn customer_type(language: Language, customer_type: pb::CustomerType) -> &'static str {
    match customer_type {
        pb::CustomerType::Residential => pick(language, "居民", "Residential"),
        pb::CustomerType::Commercial => pick(language, "商业", "Commercial"),
        pb::CustomerType::Industrial => pick(language, "工业", "Industrial"),
        pb::CustomerType::PublicWelfare => pick(language, "公福", "Public welfare"),
        pb::CustomerType::Unspecified => pick(language, "未知", "Unknown"),
    }
}

pub fn party_kind(language: Language, kind: pb::PartyKind) -> &'static str {
    match kind {
        pb::PartyKind::Person => pick(language, "个人", "Person"),
        pb::PartyKind::Organisation => pick(language, "单位", "Organisation"),
        pb::PartyKind::Unspecified => pick(language, "未知", "Unknown"),
    }
}

pub fn id_type(language: Language, id_type: pb::IdType) -> &'static str {
    match id_type {
        pb::IdType::ResidentId => pick(language, "居民身份证", "Resident ID card"),
        pb::IdType::Passport => pick(language, "护照", "Passport"),
        pb::IdType::HkMacaoPermit => pick(language, "港澳通行证", "HK/Macao permit"),
        pb::IdType::TaiwanPermit => pick(language, "台湾通行证", "Taiwan permit"),
        pb::IdType::UnifiedSocialCreditCode => {
            pick(language, "统一社会信用代码", "Unified social credit code")
        }
        pb::IdType::Other => pick(language, "其他证件", "Other document"),
        pb::IdType::None => pick(language, "无证件", "No document"),
        pb::IdType::Unspecified => pick(language, "未知", "Unknown"),
    }
}

pub fn gas_purpose(language: Language, purpose: pb::GasPurpose) -> &'static str {
    match purpose {
        pb::GasPurpose::Cooking => pick(language, "炊事/热水", "Cooking / hot water"),
        pb::GasPurpose::Heating => pick(language, "采暖", "Heating"),
        pb::GasPurpose::CookingAndHeating => pick(language, "炊事+采暖", "Cooking and heating"),
        pb::GasPurpose::Commercial => pick(language, "商业用气", "Commercial"),
        pb::GasPurpose::Industrial => pick(language, "工业用气", "Industrial"),
        pb::GasPurpose::Unspecified => pick(language, "未知", "Unknown"),
    }
}

/// The name of a meter event kind as the server spells it.
pub fn meter_event(language: Language, kind: &str) -> String {
    let known = match kind {
        "install" => Some(pick(language, "安装", "Installed")),
        "remove" => Some(pick(language, "拆除", "Removed")),
        "replaced_out" => Some(pick(language, "换表拆出", "Replaced (out)")),
        "replaced_in" => Some(pick(language, "换表装入", "Replaced (in)")),
        _ => None,
    };
    known.map_or_else(|| kind.to_owned(), str::to_owned)
}

/// The name of a card status as the server spells it.
pub fn card_status(language: Language, status: &str) -> String {
    let known = match status {
        "active" => Some(pick(language, "正常", "Active")),
        "lost" => Some(pick(language, "挂失", "Lost")),
        "cancelled" => Some(pick(language, "注销", "Cancelled")),
        _ => None,
    };
    known.map_or_else(|| status.to_owned(), str::to_owned)
}

/// The name of a change record's action as the server spells it.
pub fn change_action(language: Language, action: &str) -> String {
    let known = match action {
        "open_account" => Some(pick(language, "开户", "Open account")),
        "transfer" => Some(pick(language, "过户", "Transfer")),
        "close" => Some(pick(language, "销户", "Close")),
        "suspend" => Some(pick(language, "报停", "Suspend")),
        "resume" => Some(pick(language, "复用", "Resume")),
        "replace_meter" => Some(pick(language, "换表", "Replace meter")),
        "update_customer" => Some(pick(language, "修改客户", "Edit customer")),
        "update_premise" => Some(pick(language, "修改地址", "Edit premise")),
        "update_account" => Some(pick(language, "修改账户", "Edit account")),
        "update_contract" => Some(pick(language, "修改合同", "Edit contract")),
        "register_household" => Some(pick(language, "人口登记", "Household")),
        "import_open" => Some(pick(language, "导入开户", "Imported")),
        "import_update" => Some(pick(language, "导入更新", "Import update")),
        _ => None,
    };
    known.map_or_else(|| action.to_owned(), str::to_owned)
}

/// Chinese name of a field key the server writes into change records.
fn change_field_zh(key: &str) -> Option<&'static str> {
    Some(match key {
        "status" => "状态",
        "low_income" => "低保",
        "notices_opt_out" => "拒收账单提醒",
        "tariff_code" => "气价方案",
        "party_kind" => "主体类型",
        "customer_type" => "客户类型",
        "name" => "户名",
        "id_type" => "证件类型",
        "id_number" => "证件号码",
        "phone" => "电话",
        "phone2" => "备用电话",
        "district" => "区县",
        "community" => "小区",
        "building" => "栋",
        "unit" => "单元",
        "room" => "室",
        "address" => "地址",
        "latitude" => "纬度",
        "longitude" => "经度",
        "signed_on" => "签订日期",
        "gas_purpose" => "用气性质",
        "price_policy" => "价格政策",
        "account_no" => "户号",
        "meter_no" => "表号",
        "contract_no" => "合同号",
        "household_size" => "人口数",
        "holder" => "户主",
        "final_reading" => "止码",
        "meter" => "表具",
        "old final reading" => "旧表止码",
        "new initial reading" => "新表起码",
        "balance" => "预存款",
        "arrears" => "欠费",
        "arrears carried" => "结转欠费",
        "prepayment to refund" => "待退预存款",
        _ => return None,
    })
}

/// Chinese name of a value the server writes in English.
fn change_value_zh(value: &str) -> Option<&'static str> {
    Some(match value {
        "active" => "正常",
        "suspended" => "报停",
        "closed" => "销户",
        "true" => "是",
        "false" => "否",
        "person" => "个人",
        "organisation" => "单位",
        "residential" => "居民",
        "commercial" => "商业",
        "industrial" => "工业",
        "public_welfare" => "公福",
        "none" => "无",
        "resident_id" => "居民身份证",
        "passport" => "护照",
        "unified_social_credit_code" => "统一社会信用代码",
        "cooking" => "炊事",
        "heating" => "采暖",
        "cooking_and_heating" => "炊事+采暖",
        "changed" => "已更改",
        _ => return None,
    })
}

/// One difference of a change record ("status: active → suspended") in the
/// user's language ("状态：正常 → 报停"); what is not known stays as written.
pub fn change_difference(language: Language, difference: &str) -> String {
    if language == Language::English {
        return difference.to_owned();
    }
    let Some((key, change)) = difference.split_once(": ") else {
        if let Some(rest) = difference.strip_prefix("meter ")
            && let Some((meter, reading)) = rest.split_once(" removed at ")
        {
            return format!("表具 {meter} 拆除，止码 {reading}");
        }
        return difference.to_owned();
    };
    let (key, since) = match key.split_once(" from ") {
        Some((key, date)) => (key, Some(date)),
        None => (key, None),
    };
    let Some(label) = change_field_zh(key) else {
        return difference.to_owned();
    };
    let change = change.replace(" CNY", " 元");
    let values: Vec<String> = change
        .split(" → ")
        .map(|value| change_value_zh(value.trim()).map_or_else(|| value.to_owned(), str::to_owned))
        .collect();
    let since = since
        .map(|date| format!("（自 {date} 起）"))
        .unwrap_or_default();
    format!("{label}{since}：{}", values.join(" → "))
}

/// `¥1,234.50` from the decimal string of the wire; `¥0.00` when empty. The
/// digits are regrouped as text: no float ever touches the amount.
pub fn money(amount: &str) -> String {
    let amount = amount.trim();
    if amount.is_empty() {
        return "¥0.00".to_owned();
    }
    let (sign, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return amount.to_owned();
    }
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let fraction = format!("{fraction:0<2}");
    // "-0.00" is zero, and reads as zero.
    let is_zero = whole.chars().chain(fraction.chars()).all(|c| c == '0');
    let sign = if is_zero { "" } else { sign };
    format!("{sign}¥{grouped}.{fraction}")
}

/// Whether a decimal string is above zero (arrears to show in red).
pub fn is_positive_amount(amount: &str) -> bool {
    let amount = amount.trim();
    !amount.starts_with('-') && amount.chars().any(|c| c.is_ascii_digit() && c != '0')
}

/// "第 2 页 · 20 条 · 按姓名查询".
pub fn results_summary(
    language: Language,
    count: usize,
    page: usize,
    searched_as: pb::SearchKind,
) -> String {
    let kind = search_kind(language, searched_as);
    match language {
        Language::SimplifiedChinese => format!("第 {page} 页 · 本页 {count} 条 · 按{kind}查询"),
        Language::English => format!("Page {page} · {count} on this page · searched by {kind}"),
    }
}

/// "已导出 1,234 行 → D:\\导出\\用户档案-20260115.xlsx".
pub fn exported(language: Language, rows: i64, path: &Path) -> String {
    let rows = grouped(rows);
    match language {
        Language::SimplifiedChinese => format!("已导出 {rows} 行 → {}", path.display()),
        Language::English => format!("Exported {rows} rows → {}", path.display()),
    }
}

/// The name the save dialog suggests for an export on `date`:
/// "用户档案-20260115.xlsx" for every account, "查询结果-20260115.xlsx" for
/// a search. The server names its file only once it is built.
pub fn export_file_name(language: Language, scope: Scope, date: NaiveDate) -> String {
    let stem = match (scope, language) {
        (Scope::All, Language::SimplifiedChinese) => "用户档案",
        (Scope::All, Language::English) => "accounts",
        (Scope::Search, Language::SimplifiedChinese) => "查询结果",
        (Scope::Search, Language::English) => "search-results",
    };
    format!("{stem}-{}.xlsx", date.format("%Y%m%d"))
}

/// 1234567 -> "1,234,567".
fn grouped(number: i64) -> String {
    let digits = number.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    if number < 0 {
        out.insert(0, '-');
    }
    out
}

/// "已选择：王芳（户号 3101000123）".
pub fn chosen_customer(language: Language, name: &str, account_no: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("已选择：{name}（户号 {account_no}）"),
        Language::English => format!("Chosen: {name} (account {account_no})"),
    }
}

/// "还有 3 处需要修改".
pub fn fields_to_fix(language: Language, count: usize) -> String {
    match language {
        Language::SimplifiedChinese => format!("还有 {count} 处需要填写或修改，见标红的字段"),
        Language::English => format!("{count} fields need attention, marked in red"),
    }
}

/// The text of a field's problem.
pub fn field_error(language: Language, error: &FieldError) -> String {
    use Language::{English as En, SimplifiedChinese as Zh};

    match (error, language) {
        (FieldError::Required, Zh) => "必填".to_owned(),
        (FieldError::Required, En) => "Required".to_owned(),
        (FieldError::ResidentId(error), _) => resident_id_error(language, error),
        (FieldError::CreditCode, Zh) => "统一社会信用代码应为 18 位数字或大写字母".to_owned(),
        (FieldError::CreditCode, En) => "A credit code has 18 digits or capital letters".to_owned(),
        (FieldError::Phone, Zh) => "手机号 11 位；座机需带区号，如 021-12345678".to_owned(),
        (FieldError::Phone, En) => "11-digit mobile, or landline with area code".to_owned(),
        (FieldError::Reading, Zh) => "读数应为不小于 0 的数字，最多 3 位小数".to_owned(),
        (FieldError::Reading, En) => "A reading is a number ≥ 0 with at most 3 decimals".to_owned(),
        (FieldError::Date, Zh) => "日期格式为 年-月-日，如 2026-03-15".to_owned(),
        (FieldError::Date, En) => "Write the date as YYYY-MM-DD, e.g. 2026-03-15".to_owned(),
        (FieldError::Integer { min, max }, Zh) => format!("应为 {min} 到 {max} 的整数"),
        (FieldError::Integer { min, max }, En) => format!("A whole number from {min} to {max}"),
        (FieldError::Coordinate { limit }, Zh) => format!("应为 -{limit} 到 {limit} 之间的小数"),
        (FieldError::Coordinate { limit }, En) => format!("A decimal from -{limit} to {limit}"),
        (FieldError::CoordinatePair, Zh) => "经纬度须同时填写".to_owned(),
        (FieldError::CoordinatePair, En) => "Latitude and longitude go together".to_owned(),
        (FieldError::TooLong { max_chars }, Zh) => format!("最多 {max_chars} 个字"),
        (FieldError::TooLong { max_chars }, En) => format!("At most {max_chars} characters"),
        (FieldError::NothingChanged, Zh) => "没有任何修改".to_owned(),
        (FieldError::NothingChanged, En) => "Nothing was changed".to_owned(),
        (FieldError::NotConfirmed, Zh) => "请勾选确认".to_owned(),
        (FieldError::NotConfirmed, En) => "Tick to confirm".to_owned(),
        (FieldError::NoCustomerChosen, Zh) => "请查找并选定一位已有客户".to_owned(),
        (FieldError::NoCustomerChosen, En) => "Find and choose the customer".to_owned(),
        (FieldError::CurrentHolder, Zh) => {
            "所选客户就是本账户的现户主，不能过户给本人；请选择其他客户".to_owned()
        }
        (FieldError::CurrentHolder, En) => {
            "This customer already holds the account: choose the new holder".to_owned()
        }
        (FieldError::Server(message), _) => message.clone(),
    }
}

fn resident_id_error(language: Language, error: &ResidentIdError) -> String {
    use Language::{English as En, SimplifiedChinese as Zh};

    match (error, language) {
        (ResidentIdError::Length(found), Zh) => {
            format!("身份证号应为 18 位（旧证 15 位），当前 {found} 位")
        }
        (ResidentIdError::Length(found), En) => {
            format!("An ID number has 18 characters (15 digits on old cards), found {found}")
        }
        (ResidentIdError::Characters, Zh) => "只能是数字，最后一位可以是 X".to_owned(),
        (ResidentIdError::Characters, En) => "Digits only, with X allowed last".to_owned(),
        (ResidentIdError::Region(code), Zh) => format!("地区码 {code} 无效"),
        (ResidentIdError::Region(code), En) => format!("{code} is not a Chinese region code"),
        (ResidentIdError::BirthDate(date), Zh) => format!("出生日期 {date} 无效"),
        (ResidentIdError::BirthDate(date), En) => format!("{date} is not a real birth date"),
        (ResidentIdError::CheckDigit { expected, found }, Zh) => {
            format!("校验位错误：应为 {expected}，实际为 {found}")
        }
        (ResidentIdError::CheckDigit { expected, found }, En) => {
            format!("Wrong check digit: expected {expected}, found {found}")
        }
    }
}

/// A refusal of the server in the user's language: the common ones are
/// recognised by their words (as gascis-server writes them), the others
/// shown as the server wrote them.
pub fn refusal(language: Language, message: &str) -> String {
    let lowercase = message.to_lowercase();
    // "… has arrears of 120.50 CNY …"
    let arrears = lowercase
        .split_once("arrears of ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(str::to_owned);
    match (language, arrears) {
        (Language::SimplifiedChinese, Some(amount)) if lowercase.contains("before closing") => {
            format!("该账户欠费 {amount} 元，请先结清再销户")
        }
        (Language::English, Some(amount)) if lowercase.contains("before closing") => {
            format!("The account owes {amount} CNY: settle it before closing")
        }
        (Language::SimplifiedChinese, Some(amount)) => format!(
            "该账户欠费 {amount} 元：请先在柜台结清，或勾选“欠费转给新户主”并经值班主管审批"
        ),
        (Language::English, Some(amount)) => format!(
            "The account owes {amount} CNY: settle it at the counter first, or carry it to the new holder with a supervisor's approval"
        ),
        (language, None) => {
            let known: &[(&str, &str, &str)] = &[
                (
                    "was closed",
                    "该账户已销户，不能再办理",
                    "The account is closed and cannot be changed",
                ),
                (
                    "cannot be suspended",
                    "该账户当前不是正常状态，不能报停",
                    "Only an active account can be suspended",
                ),
                (
                    "cannot be resumed",
                    "该账户未报停，无需复用",
                    "Only a suspended account can be resumed",
                ),
                (
                    "no installed meter",
                    "该账户没有在用的表具",
                    "The account has no installed meter",
                ),
            ];
            let found = known
                .iter()
                .find(|(words, _, _)| lowercase.contains(words))
                .map(|(_, zh_text, en_text)| pick(language, zh_text, en_text));
            match (language, found) {
                (_, Some(text)) => text.to_owned(),
                (Language::SimplifiedChinese, None) => "操作未执行".to_owned(),
                (Language::English, None) => "Not done".to_owned(),
            }
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn change_records_read_in_chinese() {
        let zh = Language::SimplifiedChinese;
        assert_eq!(
            change_difference(zh, "status: active → suspended"),
            "状态：正常 → 报停"
        );
        assert_eq!(
            change_difference(zh, "low_income: false → true"),
            "低保：否 → 是"
        );
        assert_eq!(
            change_difference(zh, "phone: 139****0070 → 186****7070"),
            "电话：139****0070 → 186****7070"
        );
        assert_eq!(
            change_difference(zh, "household_size from 2024-06-01: 3 → 6"),
            "人口数（自 2024-06-01 起）：3 → 6"
        );
        assert_eq!(
            change_difference(zh, "arrears carried: 120.50 CNY"),
            "结转欠费：120.50 元"
        );
        assert_eq!(
            change_difference(zh, "meter JK1 removed at 15.75"),
            "表具 JK1 拆除，止码 15.75"
        );
        assert_eq!(
            change_difference(zh, "something new: x"),
            "something new: x"
        );
        assert_eq!(
            change_difference(Language::English, "status: active → suspended"),
            "status: active → suspended"
        );
    }
    use super::*;

    #[test]
    fn money_is_grouped_without_floats() {
        assert_eq!(money("1234567.5"), "¥1,234,567.50");
        assert_eq!(money("120.50"), "¥120.50");
        assert_eq!(money("0"), "¥0.00");
        assert_eq!(money(""), "¥0.00");
        assert_eq!(money("-12.3"), "-¥12.30");
        assert_eq!(money("-0.00"), "¥0.00");
        assert_eq!(money("abc"), "abc");
        assert!(is_positive_amount("120.50"));
        assert!(!is_positive_amount("0.00"));
        assert!(!is_positive_amount("-3"));
    }

    #[test]
    fn check_digit_errors_read_naturally() {
        let error = FieldError::ResidentId(ResidentIdError::CheckDigit {
            expected: 'X',
            found: '1',
        });
        assert_eq!(
            field_error(Language::SimplifiedChinese, &error),
            "校验位错误：应为 X，实际为 1"
        );
        assert_eq!(
            field_error(Language::English, &error),
            "Wrong check digit: expected X, found 1"
        );
    }

    #[test]
    fn known_refusals_are_translated() {
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "account 3101000123 was closed on 2025-06-30"
            ),
            "该账户已销户，不能再办理"
        );
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "account 3101000123 has arrears of 120.50 CNY: settle them at the counter first, or carry them to the new holder with a supervisor's approval"
            ),
            "该账户欠费 120.50 元：请先在柜台结清，或勾选“欠费转给新户主”并经值班主管审批"
        );
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "account 3101000123 has arrears of 8.00 CNY; settle them before closing"
            ),
            "该账户欠费 8.00 元，请先结清再销户"
        );
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "account 3101000123 is active, so it cannot be resumed"
            ),
            "该账户未报停，无需复用"
        );
        assert_eq!(
            refusal(Language::SimplifiedChinese, "something new"),
            "操作未执行"
        );
    }

    #[test]
    fn exports_are_named_and_counted() {
        let Some(date) = NaiveDate::from_ymd_opt(2026, 1, 15) else {
            panic!("a date");
        };
        assert_eq!(
            export_file_name(Language::SimplifiedChinese, Scope::All, date),
            "用户档案-20260115.xlsx"
        );
        assert_eq!(
            export_file_name(Language::SimplifiedChinese, Scope::Search, date),
            "查询结果-20260115.xlsx"
        );
        assert_eq!(
            export_file_name(Language::English, Scope::Search, date),
            "search-results-20260115.xlsx"
        );
        assert_eq!(
            exported(
                Language::SimplifiedChinese,
                1_234_567,
                Path::new("/home/li/用户档案.xlsx")
            ),
            "已导出 1,234,567 行 → /home/li/用户档案.xlsx"
        );
        assert_eq!(
            exported(Language::English, 8, Path::new("a.xlsx")),
            "Exported 8 rows → a.xlsx"
        );
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-200_000), "-200,000");
    }

    #[test]
    fn every_key_has_two_different_texts() {
        // Keys whose two languages may legitimately coincide.
        let same_allowed: &[Key] = &[];
        for key in all_keys() {
            let (zh, en) = texts(key);
            assert!(!zh.is_empty() && !en.is_empty(), "{key:?}");
            if !same_allowed.contains(&key) {
                assert_ne!(zh, en, "{key:?}");
            }
        }
    }

    fn all_keys() -> Vec<Key> {
        use Key::*;
        vec![
            SearchPlaceholder,
            SearchButton,
            Searching,
            SearchBy,
            IncludeClosed,
            SearchResults,
            SearchHint,
            KeyboardHint,
            NoResults,
            NoResultsHint,
            PreviousPage,
            NextPage,
            ExportResults,
            ExportAll,
            Exporting,
            ExportDialogTitle,
            ExportChoosing,
            ExportRunningHint,
            CancelExport,
            ExportCancelled,
            ExportFailed,
            AccountNo,
            AccountHolder,
            Address,
            MeterNo,
            MeterType,
            Status,
            Phone,
            Phone2,
            CustomerName,
            CustomerType,
            PartyKind,
            IdType,
            IdNumber,
            CustomerId,
            Arrears,
            Prepayment,
            BackToResults,
            Reload,
            TabCustomer,
            TabPremise,
            TabMeters,
            TabAccount,
            TabContracts,
            TabChanges,
            RevealPii,
            HidePii,
            FullAddress,
            Transfer,
            CloseAccount,
            Suspend,
            Resume,
            ReplaceMeter,
            RegisterHousehold,
            EditCustomer,
            EditPremise,
            EditAccount,
            Cancel,
            Submitting,
            OpenAccount,
            SubmitOpenAccount,
            HolderNew,
            HolderExisting,
            FindExistingCustomer,
            FindCustomerPlaceholder,
            FindCustomer,
            FindCustomerIdle,
            FindCustomerHint,
            NoCustomerFound,
            ChosenCustomer,
            ChangeCustomer,
            HolderNow,
        ]
    }
}

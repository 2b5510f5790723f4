//! Texts of the tariffs area (气价方案), in Simplified Chinese and English:
//! fixed texts by [`Key`], the names of seasons, purposes and customer
//! types, the problems of typed values, the tariff checks of
//! `gascis_common::tariff` in the words a back-office clerk reads, and the
//! lines of a quote.

use std::str::FromStr as _;

use chrono::NaiveDate;
use gascis_common::Money;
use gascis_common::proto::v1 as pb;
use gascis_common::tariff::{
    CustomerType, Cycle, IcCardAllowance, Rate, Season, Tariff, TariffError, TariffVersion,
};

use super::{Language, Text, pick};
use crate::screen::tariffs::editor::{FieldProblem, NewVersionProblem, error_message};
use crate::screen::tariffs::tables::VersionStatus;

/// A fixed text of the tariff screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    // List
    Title,
    ListHint,
    Refresh,
    Loading,
    NoTariffs,
    DefaultBadge,
    DraftBadge,
    UnsavedBadge,
    NeverPublished,
    SetDefault,
    SettingDefault,
    OpenTariff,
    LatestRevision,
    VersionDates,
    DraftState,
    DraftPresent,
    DraftAbsent,
    SourceNotes,
    KeepEditing,
    DiscardAndOpen,
    // Tariff page
    BackToList,
    TabView,
    TabEdit,
    TabAdvanced,
    TabQuote,
    Showing,
    ShowPublished,
    ShowDraft,
    ShowingDraft,
    NoDocument,
    // Document
    Cycle,
    StartMonth,
    VatRate,
    MinimumCharge,
    MinimumChargeYuan,
    LowIncome,
    LowIncomePinned,
    LowIncomeTiered,
    ResetsCycle,
    IcCardAllowance,
    Seasons,
    TierTables,
    Tier,
    TierVolume,
    UnitPrice,
    FlatClasses,
    FlatClass,
    CustomerTypePrices,
    CustomerType,
    FixedCharges,
    ChargeName,
    Amount,
    AppliesTo,
    LateFees,
    RatePerDay,
    GraceDays,
    ChargeGraceDays,
    LateMinimum,
    LateCap,
    CapOfPrincipal,
    VersionNotes,
    None,
    Yes,
    No,
    // Editing
    EditVersion,
    NewVersionFrom,
    PriceDelta,
    PriceDeltaPlaceholder,
    AddVersion,
    AddVersionHint,
    RemoveVersion,
    DatePlaceholder,
    EffectiveFrom,
    LowIncomePinnedOption,
    ResetsCycleOption,
    EditInAdvanced,
    InForceNote,
    AddTier,
    RemoveTier,
    TierEndsAt,
    TierPriceRow,
    NoLimit,
    WholeYear,
    OtherSeasons,
    AddTypePrice,
    Remove,
    NoLateFee,
    AddLateFee,
    RemoveRule,
    AllOtherTypes,
    LateMinimumYuan,
    LateCapYuan,
    ChargeGraceDaysOption,
    ValidationFailed,
    AdvancedTitle,
    AdvancedHint,
    // Draft bar
    Saving,
    FixErrorsFirst,
    UnsavedChanges,
    DraftReadyToPublish,
    NoChanges,
    Discard,
    SaveDraft,
    Publish,
    SaveRefused,
    PublishRefused,
    ServerField,
    DraftSavedNotice,
    // Publish dialog
    PublishTitle,
    PublishWarning,
    PublishNote,
    PublishNotePlaceholder,
    PublishNoteRequired,
    Cancel,
    ConfirmPublish,
    Publishing,
    // Quote
    QuoteSource,
    QuotePublished,
    QuoteDraft,
    QuoteCompare,
    QuoteVolume,
    QuoteVolumePlaceholder,
    QuoteFrom,
    QuoteTo,
    QuoteToPlaceholder,
    QuoteCycleToDate,
    QuoteHousehold,
    QuoteHouseholdPlaceholder,
    QuoteCustomerType,
    QuotePurpose,
    QuoteFlatClass,
    NoFlatClass,
    QuoteLowIncome,
    QuoteHint,
    QuoteUnsavedHint,
    RunQuote,
    Quoting,
    ResultPublished,
    ResultDraft,
    NoLines,
    QuoteNotes,
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
        Key::Title => ("气价方案", "Tariffs"),
        Key::ListHint => (
            "气价方案决定每个账户的用气如何计价。账户未指定方案时按默认方案计费。",
            "A tariff prices the gas of each account; accounts that name none are billed with the default.",
        ),
        Key::Refresh => ("刷新", "Refresh"),
        Key::Loading => ("正在加载…", "Loading…"),
        Key::NoTariffs => ("尚无气价方案", "No tariffs yet"),
        Key::DefaultBadge => ("默认", "Default"),
        Key::DraftBadge => ("有草稿", "Draft"),
        Key::UnsavedBadge => ("有未保存的修改", "Unsaved changes"),
        Key::NeverPublished => ("尚未发布", "Never published"),
        Key::SetDefault => ("设为默认", "Make default"),
        Key::SettingDefault => ("正在设置…", "Setting…"),
        Key::OpenTariff => ("查看", "Open"),
        Key::LatestRevision => ("最新发布", "Latest revision"),
        Key::VersionDates => ("版本生效日期", "Versions from"),
        Key::DraftState => ("草稿", "Draft"),
        Key::DraftPresent => ("有", "yes"),
        Key::DraftAbsent => ("无", "none"),
        Key::SourceNotes => (
            "说明（来源未给出的内容及所作假设）",
            "Notes (what the source lacked and what was assumed)",
        ),
        Key::KeepEditing => ("继续编辑", "Keep editing"),
        Key::DiscardAndOpen => ("放弃修改并打开", "Discard and open"),
        Key::BackToList => ("‹ 返回列表", "‹ Back to the list"),
        Key::TabView => ("方案内容", "Contents"),
        Key::TabEdit => ("编辑草稿", "Edit draft"),
        Key::TabAdvanced => ("高级", "Advanced"),
        Key::TabQuote => ("试算", "Quote"),
        Key::Showing => ("显示", "Show"),
        Key::ShowPublished => ("已发布", "Published"),
        Key::ShowDraft => ("草稿", "Draft"),
        Key::ShowingDraft => (
            "草稿（尚未发布，不用于计费）",
            "Draft (not published, not used for billing)",
        ),
        Key::NoDocument => (
            "该方案没有可显示的文档",
            "This tariff has no document to show",
        ),
        Key::Cycle => ("阶梯周期", "Tier cycle"),
        Key::StartMonth => ("起始", "starting"),
        Key::VatRate => ("增值税率", "VAT rate"),
        Key::MinimumCharge => ("最低收费", "Minimum charge"),
        Key::MinimumChargeYuan => (
            "最低收费（元，空为无）",
            "Minimum charge (CNY, empty: none)",
        ),
        Key::LowIncome => ("低保户", "Low-income households"),
        Key::LowIncomePinned => ("全部按第1阶梯计价", "always tier 1"),
        Key::LowIncomeTiered => ("按阶梯计价", "tiered as others"),
        Key::ResetsCycle => ("调价时阶梯累计清零", "Tier counter reset at this date"),
        Key::IcCardAllowance => ("IC卡阶梯额度", "IC-card tier allowance"),
        Key::Seasons => ("季节", "Seasons"),
        Key::TierTables => ("居民阶梯气价", "Residential tiers"),
        Key::Tier => ("阶梯", "Tier"),
        Key::TierVolume => ("周期用量（m³）", "Cycle volume (m³)"),
        Key::UnitPrice => ("单价（元/m³）", "Price (CNY/m³)"),
        Key::FlatClasses => ("平价类别（不分阶梯）", "Flat classes (no tiers)"),
        Key::FlatClass => ("类别", "Class"),
        Key::CustomerTypePrices => ("非居民用户类型价格", "Non-residential prices"),
        Key::CustomerType => ("用户类型", "Customer type"),
        Key::FixedCharges => ("固定费用（每张账单）", "Fixed charges (per bill)"),
        Key::ChargeName => ("名称", "Name"),
        Key::Amount => ("金额（元）", "Amount (CNY)"),
        Key::AppliesTo => ("适用用户类型", "For customer types"),
        Key::LateFees => ("滞纳金", "Late fees"),
        Key::RatePerDay => ("日费率", "Rate per day"),
        Key::GraceDays => ("宽限天数", "Grace days"),
        Key::ChargeGraceDays => ("逾期后宽限期也计", "Grace days charged once late"),
        Key::LateMinimum => ("最低（元）", "Minimum"),
        Key::LateCap => ("上限（元）", "Cap"),
        Key::CapOfPrincipal => ("不超过本金的", "At most of principal"),
        Key::VersionNotes => ("本版本说明", "Notes of this version"),
        Key::None => ("无", "none"),
        Key::Yes => ("是", "yes"),
        Key::No => ("否", "no"),
        Key::EditVersion => ("编辑版本", "Version"),
        Key::NewVersionFrom => ("新版本生效日期", "New version from"),
        Key::PriceDelta => ("所有单价统一调整（元）", "Add to every price (CNY)"),
        Key::PriceDeltaPlaceholder => ("如 +0.30，可不填", "e.g. +0.30, optional"),
        Key::AddVersion => ("新增版本", "Add version"),
        Key::AddVersionHint => (
            "调价的常规做法：复制最新版本，填写新的生效日期，再修改变动的价格。已生效的版本用于计费，不能修改。",
            "The usual price change: copy the latest version with a new date, then change what changed. Versions in force are used for billing and cannot change.",
        ),
        Key::RemoveVersion => ("删除此版本", "Remove this version"),
        Key::DatePlaceholder => ("年-月-日", "YYYY-MM-DD"),
        Key::EffectiveFrom => ("生效日期", "Effective from"),
        Key::LowIncomePinnedOption => (
            "低保户全部按第1阶梯计价",
            "Low-income households always pay tier 1",
        ),
        Key::ResetsCycleOption => (
            "本版本生效时阶梯累计用量清零",
            "Reset the tier counter when this version takes effect",
        ),
        Key::EditInAdvanced => ("在“高级”中修改", "change them in Advanced"),
        Key::InForceNote => (
            "此版本已生效并用于计费，不能修改。如需调价，请新增一个生效日期更晚的版本。",
            "This version is in force and used for billing; it cannot change. For a price change, add a version with a later date.",
        ),
        Key::AddTier => ("增加一档", "Add a tier"),
        Key::RemoveTier => ("删除最后一档", "Remove the last tier"),
        Key::TierEndsAt => ("阶梯上限（m³）", "Tier ends at (m³)"),
        Key::TierPriceRow => ("单价（元/m³）", "Price (CNY/m³)"),
        Key::NoLimit => ("不限", "no limit"),
        Key::WholeYear => ("全年", "Whole year"),
        Key::OtherSeasons => ("其他季节", "Other seasons"),
        Key::AddTypePrice => ("添加用户类型价格", "Add a price for"),
        Key::Remove => ("删除", "Remove"),
        Key::NoLateFee => (
            "未设置滞纳金规则，逾期不收滞纳金。",
            "No late-fee rule: nothing is charged for late payment.",
        ),
        Key::AddLateFee => ("添加滞纳金规则", "Add a late-fee rule"),
        Key::RemoveRule => ("删除此规则", "Remove this rule"),
        Key::AllOtherTypes => (
            "（未勾选：适用于所有没有单独规则的用户类型）",
            "(none ticked: every type without a rule of its own)",
        ),
        Key::LateMinimumYuan => ("最低（元）", "Minimum (CNY)"),
        Key::LateCapYuan => ("上限（元）", "Cap (CNY)"),
        Key::ChargeGraceDaysOption => (
            "超过宽限期后，宽限期内的天数也计收",
            "Once past the grace days, charge the grace days too",
        ),
        Key::ValidationFailed => (
            "方案检查未通过，修正后才能保存：",
            "The tariff does not pass its checks; correct it to save:",
        ),
        Key::AdvancedTitle => (
            "高级：方案文档（TOML）",
            "Advanced: the tariff document (TOML)",
        ),
        Key::AdvancedHint => (
            "表单未涵盖的内容（季节、用途、平价类别、说明等）在此修改，格式见 docs/tariff-format.md。输入时即检查，通过后与“编辑草稿”同步。小数请写成带引号的字符串，如 \"2.61\"。",
            "Change here what the form does not cover (seasons, purposes, flat classes, notes…); the format is in docs/tariff-format.md. It is checked as you type and, once valid, is the same draft as in Edit draft. Write decimals as quoted strings, e.g. \"2.61\".",
        ),
        Key::Saving => ("正在保存…", "Saving…"),
        Key::FixErrorsFirst => ("有错误，修正后才能保存", "Correct the errors to save"),
        Key::UnsavedChanges => ("有未保存的修改", "Unsaved changes"),
        Key::DraftReadyToPublish => (
            "草稿已保存，可以发布",
            "The draft is saved and can be published",
        ),
        Key::NoChanges => (
            "尚未修改。修改后保存为草稿，检查无误再发布。",
            "No changes yet. Save your changes as a draft, check it, then publish.",
        ),
        Key::Discard => ("放弃修改", "Discard changes"),
        Key::SaveDraft => ("保存草稿", "Save draft"),
        Key::Publish => ("发布…", "Publish…"),
        Key::SaveRefused => ("服务器未保存草稿：", "The server did not save the draft:"),
        Key::PublishRefused => ("发布被拒绝：", "Publishing was refused:"),
        Key::ServerField => ("字段", "Field"),
        Key::DraftSavedNotice => (
            "草稿已保存。草稿不用于计费，发布后才生效。",
            "The draft is saved. Drafts are not used for billing until published.",
        ),
        Key::PublishTitle => ("发布气价方案", "Publish the tariff"),
        Key::PublishWarning => (
            "发布后，新的修订立即用于计费与试算，不能撤回；已生效的版本不能修改。",
            "Once published, the new revision is used for billing and quotes at once and cannot be withdrawn; versions in force cannot change.",
        ),
        Key::PublishNote => ("发布说明（随修订保存）", "Note (kept with the revision)"),
        Key::PublishNotePlaceholder => (
            "例如：2025年调价，依据 X发改〔2025〕XX号",
            "e.g. 2025 price change, per notice No. XX",
        ),
        Key::PublishNoteRequired => ("请填写发布说明", "Please write a note"),
        Key::Cancel => ("取消", "Cancel"),
        Key::ConfirmPublish => ("确认发布", "Publish"),
        Key::Publishing => ("正在发布…", "Publishing…"),
        Key::QuoteSource => ("计价依据", "Price with"),
        Key::QuotePublished => ("已发布", "Published"),
        Key::QuoteDraft => ("草稿", "Draft"),
        Key::QuoteCompare => ("对比已发布与草稿", "Published and draft side by side"),
        Key::QuoteVolume => ("用气量（m³）", "Volume (m³)"),
        Key::QuoteVolumePlaceholder => ("如 350", "e.g. 350"),
        Key::QuoteFrom => ("起始日期", "From"),
        Key::QuoteTo => ("结束日期", "To"),
        Key::QuoteToPlaceholder => ("空为同起始日", "empty: same day"),
        Key::QuoteCycleToDate => ("本周期已用量（m³）", "Used in cycle (m³)"),
        Key::QuoteHousehold => ("人口数", "Household"),
        Key::QuoteHouseholdPlaceholder => ("人", "people"),
        Key::QuoteCustomerType => ("用户类型", "Customer type"),
        Key::QuotePurpose => ("用气用途", "Gas use"),
        Key::QuoteFlatClass => ("平价类别", "Flat class"),
        Key::NoFlatClass => ("无", "none"),
        Key::QuoteLowIncome => ("低保户", "Low-income household"),
        Key::QuoteHint => (
            "用气量按天数分摊到各价格版本与季节；本周期已用量为本次之前已计费的阶梯累计量。",
            "The volume is shared over price versions and seasons by days; used in cycle is what was billed in the tier cycle before.",
        ),
        Key::QuoteUnsavedHint => (
            "编辑中的修改尚未保存：草稿试算使用服务器上已保存的草稿。",
            "Your changes are not saved: the draft is quoted as saved on the server.",
        ),
        Key::RunQuote => ("计算", "Calculate"),
        Key::Quoting => ("正在计算…", "Pricing…"),
        Key::ResultPublished => ("已发布方案", "Published"),
        Key::ResultDraft => ("草稿方案", "Draft"),
        Key::NoLines => ("没有计费项", "Nothing to charge"),
        Key::QuoteNotes => ("方案说明", "Notes of the tariff"),
    }
}

/// The status of a version.
pub fn version_status(language: Language, status: VersionStatus) -> &'static str {
    match status {
        VersionStatus::InForce => pick(language, "现行", "In force"),
        VersionStatus::Future => pick(language, "未生效", "Upcoming"),
        VersionStatus::Replaced => pick(language, "已被替代", "Replaced"),
    }
}

/// "2019-01-01 起执行".
pub fn version_title(language: Language, date: NaiveDate) -> String {
    match language {
        Language::SimplifiedChinese => format!("{date} 起执行"),
        Language::English => format!("From {date}"),
    }
}

/// The name of a cycle length, for the pick list.
pub fn cycle_months_name(language: Language, months: u32) -> &'static str {
    match (months, language) {
        (1, Language::SimplifiedChinese) => "每月",
        (1, Language::English) => "Monthly",
        (2, Language::SimplifiedChinese) => "每2个月",
        (2, Language::English) => "Every 2 months",
        (3, Language::SimplifiedChinese) => "每3个月",
        (3, Language::English) => "Every 3 months",
        (4, Language::SimplifiedChinese) => "每4个月",
        (4, Language::English) => "Every 4 months",
        (6, Language::SimplifiedChinese) => "每6个月",
        (6, Language::English) => "Every 6 months",
        (12, Language::SimplifiedChinese) => "每年",
        (12, Language::English) => "Annual",
        (_, Language::SimplifiedChinese) => "（无效）",
        (_, Language::English) => "(invalid)",
    }
}

const MONTHS_ZH: [&str; 12] = [
    "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "1月" / "January"; "?" outside 1–12.
pub fn month_name(language: Language, month: u32) -> &'static str {
    let names = match language {
        Language::SimplifiedChinese => &MONTHS_ZH,
        Language::English => &MONTHS_EN,
    };
    month
        .checked_sub(1)
        .and_then(|index| names.get(index as usize))
        .copied()
        .unwrap_or("?")
}

/// "每年，1月起" / "每月" / "每2个月，2月起".
pub fn cycle_text(language: Language, cycle: Cycle) -> String {
    let length = cycle_months_name(language, cycle.months);
    if cycle.months == 1 {
        return length.to_owned();
    }
    let month = month_name(language, cycle.start_month);
    match language {
        Language::SimplifiedChinese => format!("{length}，{month}起"),
        Language::English => format!("{length}, from {month}"),
    }
}

/// A ratio as a percentage: "0.09" -> "9%".
pub fn percent(rate: Rate) -> String {
    rate.as_decimal()
        .checked_mul(100.into())
        .map_or_else(|| rate.to_string(), |p| format!("{}%", p.normalize()))
}

/// A daily rate in per mille: "0.001" -> "1‰".
pub fn per_mille(rate: Rate) -> String {
    rate.as_decimal()
        .checked_mul(1000.into())
        .map_or_else(|| rate.to_string(), |p| format!("{}‰", p.normalize()))
}

/// An amount with its currency.
pub fn yuan(language: Language, amount: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("{amount} 元"),
        Language::English => format!("CNY {amount}"),
    }
}

pub fn ic_card_allowance(language: Language, allowance: IcCardAllowance) -> &'static str {
    match allowance {
        IcCardAllowance::WholeCycle => pick(language, "整个周期一次给足", "whole cycle at once"),
        IcCardAllowance::Monthly => pick(language, "按月递增", "grows month by month"),
    }
}

/// The name of a season as people say it; unknown names as written.
pub fn season_name(language: Language, name: &str) -> String {
    let known = match name {
        "peak" => Some(("旺季", "Peak")),
        "off_peak" | "off-peak" => Some(("淡季", "Off-peak")),
        "summer" => Some(("夏季", "Summer")),
        "winter" => Some(("冬季", "Winter")),
        "heating" => Some(("采暖季", "Heating season")),
        "non_heating" => Some(("非采暖季", "Non-heating season")),
        _ => None,
    };
    known.map_or_else(
        || name.to_owned(),
        |(zh, en)| pick(language, zh, en).to_owned(),
    )
}

/// "旺季 11-01 – 03-31；淡季 04-01 – 10-31".
pub fn seasons_text(language: Language, seasons: &[Season]) -> String {
    seasons
        .iter()
        .map(|season| {
            format!(
                "{} {} – {}",
                season_name(language, &season.name),
                season.from,
                season.to
            )
        })
        .collect::<Vec<_>>()
        .join(pick(language, "；", "; "))
}

/// The name of a gas-use purpose; unknown codes as written.
pub fn purpose_name(language: Language, purpose: &str) -> String {
    let known = match purpose {
        "cooking" => Some(("炊事及生活热水", "Cooking and hot water")),
        "heating" => Some(("采暖", "Heating")),
        "wall_boiler_heating" => Some(("壁挂炉采暖", "Wall-boiler heating")),
        "rural_coal_to_gas" => Some(("农村煤改气", "Rural coal-to-gas")),
        "hot_water" => Some(("生活热水", "Hot water")),
        _ => None,
    };
    known.map_or_else(
        || purpose.to_owned(),
        |(zh, en)| pick(language, zh, en).to_owned(),
    )
}

/// Purposes joined: "炊事及生活热水、采暖".
pub fn purposes_text(language: Language, purposes: &[String]) -> String {
    purposes
        .iter()
        .map(|purpose| purpose_name(language, purpose))
        .collect::<Vec<_>>()
        .join(pick(language, "、", ", "))
}

pub fn customer_type_name(language: Language, kind: CustomerType) -> &'static str {
    match kind {
        CustomerType::Residential => pick(language, "居民", "Residential"),
        CustomerType::Commercial => pick(language, "商业", "Commercial"),
        CustomerType::Industrial => pick(language, "工业", "Industrial"),
        CustomerType::PublicWelfare => pick(language, "公福", "Public welfare"),
    }
}

/// Customer types joined; none listed means all.
pub fn customer_types_text(language: Language, kinds: &[CustomerType]) -> String {
    if kinds.is_empty() {
        return pick(language, "全部", "all").to_owned();
    }
    kinds
        .iter()
        .map(|kind| customer_type_name(language, *kind))
        .collect::<Vec<_>>()
        .join(pick(language, "、", ", "))
}

/// The title of a tier table: its name with its purposes, or the purposes
/// alone (once when the name says the same).
pub fn table_title(language: Language, table: &gascis_common::tariff::TierTable) -> String {
    let purposes = purposes_text(language, &table.purposes);
    match &table.name {
        Some(name) if *name != purposes => format!("{name}（{purposes}）"),
        Some(name) => name.clone(),
        None => purposes,
    }
}

/// "第1阶梯" / "Tier 1".
pub fn tier_name(language: Language, tier: usize) -> String {
    match language {
        Language::SimplifiedChinese => format!("第{tier}阶梯"),
        Language::English => format!("Tier {tier}"),
    }
}

/// The last tier's range: "500 以上" / "above 500".
pub fn above(language: Language, start: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("{start} 以上"),
        Language::English => format!("above {start}"),
    }
}

/// "5 人及以上的家庭：每个阶梯上限增加 150 m³".
pub fn uplift_text(language: Language, size: u32, add_m3: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("{size} 人及以上的家庭：每个阶梯上限增加 {add_m3} m³")
        }
        Language::English => {
            format!("Households of {size} or more: every tier boundary +{add_m3} m³")
        }
    }
}

/// The label before the uplift's input.
pub fn uplift_label(language: Language, size: u32) -> String {
    match language {
        Language::SimplifiedChinese => format!("{size} 人及以上的家庭，每个阶梯上限增加"),
        Language::English => format!("Households of {size} or more: every boundary +"),
    }
}

/// What a version does not set, so nobody looks for it: "未设置：…".
pub fn missing_parts(language: Language, version: &TariffVersion) -> String {
    let mut missing = Vec::new();
    if version.minimum_charge.is_none() {
        missing.push(pick(language, "最低收费", "minimum charge"));
    }
    if version.customer_type_prices.is_empty() {
        missing.push(pick(language, "非居民价格", "non-residential prices"));
    }
    if version.fixed_charges.is_empty() {
        missing.push(pick(language, "固定费用", "fixed charges"));
    }
    if version.late_fees.is_empty() {
        missing.push(pick(language, "滞纳金", "late fees"));
    }
    if missing.is_empty() {
        return String::new();
    }
    match language {
        Language::SimplifiedChinese => format!("未设置：{}", missing.join("、")),
        Language::English => format!("Not set: {}", missing.join(", ")),
    }
}

/// "修订 12 · zhangmin · 2025-01-02 10:00:00".
pub fn revision_text(
    language: Language,
    revision_id: i64,
    published_by: &str,
    at: Option<String>,
) -> String {
    let mut parts = vec![match language {
        Language::SimplifiedChinese => format!("修订 {revision_id}"),
        Language::English => format!("revision {revision_id}"),
    }];
    if !published_by.is_empty() {
        parts.push(published_by.to_owned());
    }
    if let Some(at) = at {
        parts.push(at);
    }
    parts.join(" · ")
}

/// What the 方案内容 tab shows.
pub fn showing_revision(language: Language, revision_id: i64) -> String {
    match language {
        Language::SimplifiedChinese => format!("已发布的修订 {revision_id}（用于计费）"),
        Language::English => format!("Published revision {revision_id} (used for billing)"),
    }
}

pub fn unreadable_document(language: Language, detail: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("无法读取该方案文档：{detail}"),
        Language::English => format!("The tariff document cannot be read: {detail}"),
    }
}

pub fn default_set(language: Language, name: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("已将“{name}”设为默认气价方案"),
        Language::English => format!("{name} is now the default tariff"),
    }
}

pub fn published_notice(language: Language, revision_id: i64) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("已发布为修订 {revision_id}，计费与试算即刻使用新修订。")
        }
        Language::English => {
            format!("Published as revision {revision_id}; billing and quotes use it from now on.")
        }
    }
}

/// Asked when another tariff is opened over unsaved changes.
pub fn unsaved_switch(language: Language, current: &str, other: &str) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("方案 {current} 有未保存的修改。打开 {other} 将放弃这些修改。")
        }
        Language::English => {
            format!("Tariff {current} has unsaved changes. Opening {other} discards them.")
        }
    }
}

/// What a publication changes, by version date.
pub fn publish_summary(
    language: Language,
    published: Option<&Tariff>,
    draft: Option<&Tariff>,
    today: NaiveDate,
) -> String {
    let Some(draft) = draft else {
        return pick(
            language,
            "没有可发布的草稿。",
            "There is no draft to publish.",
        )
        .to_owned();
    };
    let before: &[TariffVersion] = published.map_or(&[], |p| p.versions.as_slice());
    let dates = |versions: Vec<&TariffVersion>| {
        versions
            .iter()
            .map(|v| v.effective_from.to_string())
            .collect::<Vec<_>>()
            .join(pick(language, "、", ", "))
    };
    let added: Vec<&TariffVersion> = draft
        .versions
        .iter()
        .filter(|v| !before.iter().any(|o| o.effective_from == v.effective_from))
        .collect();
    let changed: Vec<&TariffVersion> = draft
        .versions
        .iter()
        .filter(|v| {
            before
                .iter()
                .any(|o| o.effective_from == v.effective_from && o != *v)
        })
        .collect();
    let removed: Vec<&TariffVersion> = before
        .iter()
        .filter(|o| {
            !draft
                .versions
                .iter()
                .any(|v| v.effective_from == o.effective_from)
        })
        .collect();
    let in_force_changed = changed
        .iter()
        .chain(removed.iter())
        .any(|v| v.effective_from <= today);
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(match language {
            Language::SimplifiedChinese => format!("新增版本：{}", dates(added)),
            Language::English => format!("new versions: {}", dates(added)),
        });
    }
    if !changed.is_empty() {
        parts.push(match language {
            Language::SimplifiedChinese => format!("修改的版本：{}", dates(changed)),
            Language::English => format!("changed versions: {}", dates(changed)),
        });
    }
    if !removed.is_empty() {
        parts.push(match language {
            Language::SimplifiedChinese => format!("删除的版本：{}", dates(removed)),
            Language::English => format!("removed versions: {}", dates(removed)),
        });
    }
    let mut summary = if parts.is_empty() {
        pick(
            language,
            "与已发布的修订相比，各版本没有变化。",
            "No version differs from the published revision.",
        )
        .to_owned()
    } else {
        parts.join(pick(language, "；", "; "))
    };
    if in_force_changed {
        summary.push_str(pick(
            language,
            "。注意：已生效的版本被修改或删除，服务器将拒绝发布。",
            ". Note: a version in force was changed or removed; the server will refuse this.",
        ));
    }
    summary
}

/// The warning over a changed version that is in force.
pub fn in_force_changed(language: Language, date: NaiveDate) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "{date} 起执行的版本已生效并用于计费，修改后服务器将拒绝发布。请放弃对此版本的修改，改为新增一个生效日期更晚的版本。"
        ),
        Language::English => format!(
            "The version from {date} is in force and used for billing: publishing this change will be refused. Undo the change to this version and add a version with a later date instead."
        ),
    }
}

/// The server's refusal of a publication, in the user's words.
pub fn refusal(language: Language, reason: &str) -> String {
    let after = |marker: &str| {
        reason
            .split_once(marker)
            .map(|(_, rest)| rest.split_whitespace().next().unwrap_or("").to_owned())
    };
    if let Some(date) = after("the version in force from ") {
        return match language {
            Language::SimplifiedChinese => format!(
                "{date} 起执行的版本已用于计费，不能修改。请撤销对该版本的修改，新增一个生效日期更晚的版本。"
            ),
            Language::English => format!(
                "The version from {date} is already used for billing and cannot change. Undo the change and add a version with a later date."
            ),
        };
    }
    if let Some(today) = after("must take effect after today (") {
        let today = today.trim_end_matches([')', ';']);
        let date = reason
            .rsplit_once("; ")
            .map(|(_, rest)| rest.trim_end_matches(" is not").to_owned())
            .unwrap_or_default();
        return match language {
            Language::SimplifiedChinese => {
                format!("新版本的生效日期必须晚于今天（{today}），{date} 不符合。")
            }
            Language::English => {
                format!("A new version must take effect after today ({today}); {date} does not.")
            }
        };
    }
    if reason.contains("no draft") {
        return pick(
            language,
            "该方案没有可发布的草稿。",
            "The tariff has no draft to publish.",
        )
        .to_owned();
    }
    pick(language, "服务器拒绝了此操作。", "The server refused this.").to_owned()
}

/// Why a typed value was not taken.
pub fn problem_text(language: Language, problem: &FieldProblem) -> String {
    match (problem, language) {
        (FieldProblem::Required, Language::SimplifiedChinese) => "必填".to_owned(),
        (FieldProblem::Required, Language::English) => "Required".to_owned(),
        (FieldProblem::NotANumber, Language::SimplifiedChinese) => "不是有效的数字".to_owned(),
        (FieldProblem::NotANumber, Language::English) => "Not a number".to_owned(),
        (FieldProblem::TooPrecise { places }, Language::SimplifiedChinese) => {
            format!("最多 {places} 位小数")
        }
        (FieldProblem::TooPrecise { places }, Language::English) => {
            format!("At most {places} decimal places")
        }
        (FieldProblem::Negative, Language::SimplifiedChinese) => "不能为负数".to_owned(),
        (FieldProblem::Negative, Language::English) => "Must not be negative".to_owned(),
        (FieldProblem::TooLarge { max }, Language::SimplifiedChinese) => {
            format!("不能大于 {max}")
        }
        (FieldProblem::TooLarge { max }, Language::English) => format!("At most {max}"),
        (FieldProblem::NotADate, Language::SimplifiedChinese) => {
            "日期格式为 年-月-日，如 2025-01-01".to_owned()
        }
        (FieldProblem::NotADate, Language::English) => {
            "Write the date as YYYY-MM-DD, e.g. 2025-01-01".to_owned()
        }
        (FieldProblem::NotAWholeNumber, Language::SimplifiedChinese) => "请填写正整数".to_owned(),
        (FieldProblem::NotAWholeNumber, Language::English) => {
            "Write a whole number above zero".to_owned()
        }
        (FieldProblem::BeforeStart, Language::SimplifiedChinese) => "不能早于起始日期".to_owned(),
        (FieldProblem::BeforeStart, Language::English) => "Must not be before the start".to_owned(),
    }
}

/// "有 2 处输入无效".
pub fn typed_problems(language: Language, count: usize) -> String {
    match language {
        Language::SimplifiedChinese => {
            format!("有 {count} 处输入无效，请按字段下方的提示修改后再保存")
        }
        Language::English if count == 1 => {
            "1 typed value is not valid: correct it as shown under the field".to_owned()
        }
        Language::English => {
            format!("{count} typed values are not valid: correct them as shown under each field")
        }
    }
}

pub fn new_version_problem(language: Language, problem: &NewVersionProblem) -> String {
    match (problem, language) {
        (NewVersionProblem::Date(problem), _) => problem_text(language, problem),
        (NewVersionProblem::NotAfter(latest), Language::SimplifiedChinese) => {
            format!("新版本的生效日期必须晚于最新版本的 {latest}")
        }
        (NewVersionProblem::NotAfter(latest), Language::English) => {
            format!("The new version must take effect after the latest one, {latest}")
        }
        (NewVersionProblem::Delta(problem), Language::SimplifiedChinese) => {
            format!("统一调整金额：{}", problem_text(language, problem))
        }
        (NewVersionProblem::Delta(problem), Language::English) => {
            format!("Amount added: {}", problem_text(language, problem))
        }
        (NewVersionProblem::PriceOutOfRange(detail), Language::SimplifiedChinese) => {
            format!("调整后有单价小于零或超出范围（{detail}）")
        }
        (NewVersionProblem::PriceOutOfRange(detail), Language::English) => {
            format!("A price would fall below zero or out of range ({detail})")
        }
    }
}

/// A place named by the tariff checks, in words:
/// `versions[1] (2030-01-01).tier_tables[0].prices[0]` -> "2030-01-01 起执行的版本 · 炊事及生活热水 · 第1阶梯单价".
pub fn error_location(language: Language, at: &str, tariff: &Tariff) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut version: Option<&TariffVersion> = None;
    let mut table: Option<&gascis_common::tariff::TierTable> = None;
    for segment in at.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (
                name,
                rest.split_once(']')
                    .and_then(|(number, _)| number.parse::<usize>().ok()),
            ),
            None => (segment, None),
        };
        let ordinal = index.map_or(0, |i| i + 1);
        let text = match (name, index) {
            ("versions", Some(i)) => {
                version = tariff.versions.get(i);
                match version {
                    Some(v) => {
                        version_title(language, v.effective_from) + pick(language, "的版本", "")
                    }
                    None => format!("versions[{i}]"),
                }
            }
            ("tier_tables", Some(i)) => {
                table = version.and_then(|v| v.tier_tables.get(i));
                match table {
                    Some(t) => match &t.name {
                        Some(name) => name.clone(),
                        None => purposes_text(language, &t.purposes),
                    },
                    None => format!("{}{ordinal}", pick(language, "阶梯表", "tier table ")),
                }
            }
            ("by_season", Some(i)) => {
                let season = table
                    .and_then(|t| t.by_season.get(i).map(|s| s.season.clone()))
                    .unwrap_or_else(|| format!("#{ordinal}"));
                season_name(language, &season)
            }
            ("boundaries_m3", Some(_)) => match language {
                Language::SimplifiedChinese => format!("第{ordinal}阶梯上限"),
                Language::English => format!("end of tier {ordinal}"),
            },
            ("boundaries_m3", None) => pick(language, "阶梯上限", "tier boundaries").to_owned(),
            ("prices", Some(_)) => match language {
                Language::SimplifiedChinese => format!("第{ordinal}阶梯单价"),
                Language::English => format!("tier {ordinal} price"),
            },
            ("prices", None) => pick(language, "单价", "prices").to_owned(),
            ("household_uplift", _) => pick(language, "人口增量", "household uplift").to_owned(),
            ("flat_classes", Some(i)) => version.and_then(|v| v.flat_classes.get(i)).map_or_else(
                || format!("{}{ordinal}", pick(language, "平价类别", "flat class ")),
                |class| class.name.clone().unwrap_or_else(|| class.code.clone()),
            ),
            ("customer_type_prices", Some(i)) => version
                .and_then(|v| v.customer_type_prices.get(i))
                .map_or_else(
                    || {
                        format!(
                            "{}{ordinal}",
                            pick(language, "用户类型价格", "customer type price ")
                        )
                    },
                    |entry| customer_type_name(language, entry.customer_type).to_owned(),
                ),
            ("fixed_charges", Some(i)) => version.and_then(|v| v.fixed_charges.get(i)).map_or_else(
                || format!("{}{ordinal}", pick(language, "固定费用", "fixed charge ")),
                |charge| charge.name.clone(),
            ),
            ("late_fees", Some(_)) => {
                format!(
                    "{}{ordinal}",
                    pick(language, "滞纳金规则", "late-fee rule ")
                )
            }
            ("seasons", _) => pick(language, "季节", "seasons").to_owned(),
            ("cycle", _) => pick(language, "阶梯周期", "cycle").to_owned(),
            ("months", _) => pick(language, "月数", "months").to_owned(),
            ("start_month", _) => pick(language, "起始月", "start month").to_owned(),
            ("vat_rate", _) => pick(language, "增值税率", "VAT rate").to_owned(),
            ("minimum_charge", _) => pick(language, "最低收费", "minimum charge").to_owned(),
            ("price", _) => pick(language, "单价", "price").to_owned(),
            ("amount", _) => pick(language, "金额", "amount").to_owned(),
            ("rate_per_day", _) => pick(language, "日费率", "rate per day").to_owned(),
            ("grace_days", _) => pick(language, "宽限天数", "grace days").to_owned(),
            ("minimum", _) => pick(language, "最低", "minimum").to_owned(),
            ("cap", _) => pick(language, "上限", "cap").to_owned(),
            ("cap_of_principal", _) => {
                pick(language, "不超过本金的比例", "cap of principal").to_owned()
            }
            ("customer_types", _) => pick(language, "适用用户类型", "customer types").to_owned(),
            ("purposes", _) => pick(language, "用途", "purposes").to_owned(),
            ("code", _) => pick(language, "方案代码", "code").to_owned(),
            ("name", _) => pick(language, "名称", "name").to_owned(),
            (other, _) => other.to_owned(),
        };
        if !text.trim().is_empty() {
            parts.push(text);
        }
    }
    parts.join(" · ")
}

/// What a tariff check says, without its place (shown apart), in the
/// user's language; uncommon ones keep the engine's English.
pub fn tariff_error(language: Language, error: &TariffError) -> String {
    if language == Language::English {
        return error_message(error);
    }
    match error {
        TariffError::Toml(detail) => format!("文档格式错误：{detail}"),
        TariffError::BadIdentifier { at, value } if at == "code" => {
            format!("方案代码“{value}”与所编辑的方案不同，不能在此修改")
        }
        TariffError::BadIdentifier { value, .. } => {
            format!("“{value}”只能由小写字母、数字、-、_ 组成")
        }
        TariffError::Empty { .. } => "不能为空".to_owned(),
        TariffError::NoVersions { .. } => "方案至少要有一个版本".to_owned(),
        TariffError::VersionsOutOfOrder { date, previous, .. } => {
            format!("生效日期 {date} 必须晚于上一个版本的 {previous}")
        }
        TariffError::CycleMonths { months, .. } => {
            format!("阶梯周期须为 1、2、3、4、6 或 12 个月，不能是 {months}")
        }
        TariffError::CycleStartMonth { month, .. } => format!("起始月须为 1 到 12，不能是 {month}"),
        TariffError::VatRate { rate, .. } => {
            format!("增值税率 {rate} 必须小于 1（9% 写作 0.09）")
        }
        TariffError::SeasonsOverlap {
            day, first, second, ..
        } => format!(
            "{day} 同时属于“{}”和“{}”",
            season_name(language, first),
            season_name(language, second)
        ),
        TariffError::SeasonGap { day, .. } => format!("{day} 不属于任何季节（季节须覆盖全年）"),
        TariffError::UnknownSeason { season, known, .. } => {
            format!("未定义的季节“{season}”（本版本的季节：{known}）")
        }
        TariffError::BoundaryNotPositive { .. } => "阶梯上限必须大于零".to_owned(),
        TariffError::BoundariesNotAscending { previous, next, .. } => format!(
            "阶梯上限必须逐档增大：{} m³ 不大于前一档的 {} m³",
            next.as_decimal().normalize(),
            previous.as_decimal().normalize()
        ),
        TariffError::PriceCount {
            boundaries,
            tiers,
            prices,
            ..
        } => format!("{boundaries} 个上限构成 {tiers} 档，需要 {tiers} 个单价，现有 {prices} 个"),
        TariffError::MissingTiers { what, season, .. } => {
            let what = if *what == "prices" {
                "单价"
            } else {
                "阶梯上限"
            };
            format!("缺少{what}（{season}）")
        }
        TariffError::PriceNotPositive { .. } => "单价必须大于零".to_owned(),
        TariffError::PricesFall {
            tier,
            price,
            previous_tier,
            previous,
            ..
        } => format!(
            "第{tier}阶梯单价 {price} 低于第{previous_tier}阶梯的 {previous}，阶梯单价不能下降"
        ),
        TariffError::UpliftSize { .. } => "人口数至少为 1".to_owned(),
        TariffError::DuplicateUplift { size, .. } => format!("人口 {size} 人有两条增量"),
        TariffError::MissingPrice { season, .. } => format!("缺少单价（{season}）"),
        TariffError::ResidentialTypePrice { .. } => {
            "居民用户按阶梯或平价类别计价，不能设置用户类型价格".to_owned()
        }
        TariffError::DuplicateCustomerType { customer_type, .. } => format!(
            "用户类型“{}”重复",
            customer_type_name(language, *customer_type)
        ),
        TariffError::NegativeAmount { amount, .. } => format!("金额 {amount} 不能为负"),
        TariffError::LateFeeRate { rate, .. } => format!("日费率 {rate} 超过 1（每天 100%）"),
        TariffError::DuplicateDefaultLateFee { .. } => {
            "已有一条适用于所有用户类型的滞纳金规则".to_owned()
        }
        TariffError::MinimumAboveCap { minimum, cap, .. } => {
            format!("最低 {minimum} 高于上限 {cap}")
        }
        other => error_message(other),
    }
}

/// One line of a quote: "第1阶梯 310 m³ × 3.00 = 930.00".
pub fn quote_line(
    language: Language,
    line: &pb::BillLine,
    flat_classes: &[(String, Option<String>)],
) -> String {
    let volume = plain_volume(&line.volume);
    let season = if line.season.is_empty() {
        String::new()
    } else {
        format!("{} ", season_name(language, &line.season))
    };
    match line.kind.as_str() {
        "tier" => format!(
            "{season}{} {volume} m³ × {} = {}",
            tier_name(language, usize::try_from(line.tier).unwrap_or(0)),
            line.unit_price,
            line.amount
        ),
        "flat" => {
            let name = CustomerType::from_str(&line.name)
                .map(|kind| customer_type_name(language, kind).to_owned())
                .ok()
                .or_else(|| {
                    flat_classes
                        .iter()
                        .find(|(code, _)| *code == line.name)
                        .and_then(|(_, name)| name.clone())
                })
                .unwrap_or_else(|| line.name.clone());
            format!(
                "{season}{name} {volume} m³ × {} = {}",
                line.unit_price, line.amount
            )
        }
        "minimum_top_up" => format!(
            "{} = {}",
            pick(language, "最低收费补足", "Minimum charge top-up"),
            line.amount
        ),
        _ => format!("{} = {}", line.name, line.amount),
    }
}

/// A volume string without trailing zeros: "310.000" -> "310".
fn plain_volume(volume: &str) -> String {
    if !volume.contains('.') {
        return volume.to_owned();
    }
    volume
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

/// The stretch a line covers: "2024-06-01 至 2024-06-30（30 天，2019-01-01 版）".
pub fn line_period(language: Language, line: &pb::BillLine) -> String {
    match language {
        Language::SimplifiedChinese => format!(
            "{} 至 {}（{} 天，{} 版）",
            line.from, line.to, line.days, line.version_effective_from
        ),
        Language::English => format!(
            "{} to {} ({} days, version of {})",
            line.from, line.to, line.days, line.version_effective_from
        ),
    }
}

pub fn quote_total(language: Language, total: &str) -> String {
    match language {
        Language::SimplifiedChinese => format!("合计 {total} 元（含税）"),
        Language::English => format!("Total CNY {total} (VAT included)"),
    }
}

pub fn quote_vat(language: Language, net: &str, tax: &str, rate: &str) -> String {
    let rate = Rate::from_str(rate).map_or_else(|_| rate.to_owned(), percent);
    match language {
        Language::SimplifiedChinese => {
            format!("其中不含税金额 {net} 元，增值税（{rate}）{tax} 元")
        }
        Language::English => format!("Net CNY {net}, VAT ({rate}) CNY {tax}"),
    }
}

/// How the draft's total differs from the published one's.
pub fn difference(language: Language, published: &str, draft: &str) -> Option<String> {
    let published = Money::from_str(published).ok()?;
    let draft = Money::from_str(draft).ok()?;
    let change = draft.checked_sub(published)?;
    Some(if change.is_negative() {
        let less = published.checked_sub(draft)?;
        match language {
            Language::SimplifiedChinese => format!("按草稿比已发布少 {less} 元"),
            Language::English => format!("The draft charges CNY {less} less"),
        }
    } else if change == Money::ZERO {
        pick(
            language,
            "草稿与已发布金额相同",
            "The draft charges the same",
        )
        .to_owned()
    } else {
        match language {
            Language::SimplifiedChinese => format!("按草稿比已发布多 {change} 元"),
            Language::English => format!("The draft charges CNY {change} more"),
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use gascis_common::tariff::preset;

    #[test]
    fn every_key_has_both_languages() {
        for key in [Key::Title, Key::SaveDraft, Key::RunQuote, Key::AdvancedHint] {
            let (zh, en) = texts(key);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{key:?}");
        }
    }

    #[test]
    fn quote_lines_read_as_people_write_them() {
        let line = pb::BillLine {
            kind: "tier".into(),
            tier: 1,
            volume: "310.000".into(),
            unit_price: "3.00".into(),
            amount: "930.00".into(),
            ..pb::BillLine::default()
        };
        assert_eq!(
            quote_line(Language::SimplifiedChinese, &line, &[]),
            "第1阶梯 310 m³ × 3.00 = 930.00"
        );
        assert_eq!(
            quote_line(Language::English, &line, &[]),
            "Tier 1 310 m³ × 3.00 = 930.00"
        );
        let flat = pb::BillLine {
            kind: "flat".into(),
            name: "school".into(),
            season: "peak".into(),
            volume: "0.500".into(),
            unit_price: "3.05".into(),
            amount: "1.53".into(),
            ..pb::BillLine::default()
        };
        assert_eq!(
            quote_line(
                Language::SimplifiedChinese,
                &flat,
                &[("school".into(), Some("学校".into()))]
            ),
            "旺季 学校 0.5 m³ × 3.05 = 1.53"
        );
    }

    #[test]
    fn rates_and_cycles_in_words() {
        assert_eq!(percent(Rate::from_str("0.09").unwrap()), "9%");
        assert_eq!(per_mille(Rate::from_str("0.0005").unwrap()), "0.5‰");
        let cycle = Cycle {
            months: 12,
            start_month: 1,
        };
        assert_eq!(
            cycle_text(Language::SimplifiedChinese, cycle),
            "每年，1月起"
        );
        let monthly = Cycle {
            months: 1,
            start_month: 1,
        };
        assert_eq!(cycle_text(Language::SimplifiedChinese, monthly), "每月");
        assert_eq!(
            cycle_text(
                Language::English,
                Cycle {
                    months: 2,
                    start_month: 2
                }
            ),
            "Every 2 months, from February"
        );
    }

    #[test]
    fn places_and_refusals_in_words() {
        let tariff = preset("beijing-2019").unwrap();
        assert_eq!(
            error_location(
                Language::SimplifiedChinese,
                "versions[0] (2019-01-01).tier_tables[0].prices[1]",
                &tariff
            ),
            format!(
                "2019-01-01 起执行的版本 · {} · 第2阶梯单价",
                tariff.versions[0].tier_tables[0]
                    .name
                    .clone()
                    .unwrap_or_default()
            )
        );
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "the version in force from 2014-09-01 is already used for billing; add a new version with a later effective date instead of changing it"
            ),
            "2014-09-01 起执行的版本已用于计费，不能修改。请撤销对该版本的修改，新增一个生效日期更晚的版本。"
        );
        assert_eq!(
            refusal(
                Language::SimplifiedChinese,
                "a new version must take effect after today (2025-06-15); 2025-06-01 is not"
            ),
            "新版本的生效日期必须晚于今天（2025-06-15），2025-06-01 不符合。"
        );
        assert_eq!(
            difference(Language::SimplifiedChinese, "300.00", "320.00").as_deref(),
            Some("按草稿比已发布多 20.00 元")
        );
    }
}

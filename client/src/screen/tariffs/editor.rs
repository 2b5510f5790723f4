//! The draft editor of a tariff: the document as a [`Tariff`] in memory,
//! the text typed into each field, and what is wrong with it.
//!
//! Every field is a text input read as an exact decimal (never a float):
//! a text that reads is written into the document at once, one that does
//! not stays typed with its problem beside it. After every change the whole
//! document is checked with [`Tariff::validate`], whose first error is shown
//! next to the field it names. The 高级 tab edits the same document as TOML.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use chrono::NaiveDate;
use gascis_common::Money;
use gascis_common::tariff::{
    CustomerType, CustomerTypePrice, LateFeeRule, Rate, Tariff, TariffError, TariffVersion,
    TierTable, UnitError, UnitPrice, Volume,
};
use iced::widget::text_editor;

/// A price list of a tier table: the table's own, or that of its
/// `by_season` entry at the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TierList {
    Own,
    Season(usize),
}

/// A field of a version that the form edits as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    EffectiveFrom,
    VatRate,
    /// Empty: none.
    MinimumCharge,
    /// Where tier `index + 1` ends.
    Boundary {
        table: usize,
        list: TierList,
        index: usize,
    },
    /// The price of tier `index + 1`.
    TierPrice {
        table: usize,
        list: TierList,
        index: usize,
    },
    UpliftAdd {
        table: usize,
        index: usize,
    },
    /// `season`: the index of the class's `by_season` entry.
    FlatPrice {
        class: usize,
        season: Option<usize>,
    },
    TypePrice {
        entry: usize,
        season: Option<usize>,
    },
    FixedAmount {
        charge: usize,
    },
    LateRate {
        rule: usize,
    },
    LateGraceDays {
        rule: usize,
    },
    /// Empty: none.
    LateMinimum {
        rule: usize,
    },
    /// Empty: none.
    LateCap {
        rule: usize,
    },
    /// Empty: none.
    LateCapOfPrincipal {
        rule: usize,
    },
}

/// A field of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldRef {
    pub version: usize,
    pub field: Field,
}

impl Field {
    /// Whether an empty text means "none".
    fn is_optional(self) -> bool {
        matches!(
            self,
            Field::MinimumCharge
                | Field::LateMinimum { .. }
                | Field::LateCap { .. }
                | Field::LateCapOfPrincipal { .. }
        )
    }
}

fn list_id(list: TierList) -> String {
    match list {
        TierList::Own => "own".to_owned(),
        TierList::Season(season) => format!("s{season}"),
    }
}

fn season_id(season: Option<usize>) -> String {
    season.map_or_else(|| "all".to_owned(), |season| format!("s{season}"))
}

impl FieldRef {
    pub fn new(version: usize, field: Field) -> Self {
        FieldRef { version, field }
    }

    /// The widget id of the field's input, stable for tests.
    pub fn input_id(self) -> String {
        let field = match self.field {
            Field::EffectiveFrom => "effective-from".to_owned(),
            Field::VatRate => "vat-rate".to_owned(),
            Field::MinimumCharge => "minimum-charge".to_owned(),
            Field::Boundary { table, list, index } => {
                format!("t{table}-{}-boundary-{index}", list_id(list))
            }
            Field::TierPrice { table, list, index } => {
                format!("t{table}-{}-price-{index}", list_id(list))
            }
            Field::UpliftAdd { table, index } => format!("t{table}-uplift-{index}"),
            Field::FlatPrice { class, season } => {
                format!("flat-{class}-{}", season_id(season))
            }
            Field::TypePrice { entry, season } => {
                format!("type-{entry}-{}", season_id(season))
            }
            Field::FixedAmount { charge } => format!("fixed-{charge}"),
            Field::LateRate { rule } => format!("late-{rule}-rate"),
            Field::LateGraceDays { rule } => format!("late-{rule}-grace"),
            Field::LateMinimum { rule } => format!("late-{rule}-minimum"),
            Field::LateCap { rule } => format!("late-{rule}-cap"),
            Field::LateCapOfPrincipal { rule } => format!("late-{rule}-cap-of-principal"),
        };
        format!("tariff-v{}-{field}", self.version)
    }

    /// The place [`Tariff::validate`] names for this field, e.g.
    /// `versions[0] (2019-01-01).tier_tables[0].prices[1]`.
    pub fn path(self, tariff: &Tariff) -> Option<String> {
        let version = tariff.versions.get(self.version)?;
        let at = format!("versions[{}] ({})", self.version, version.effective_from);
        let list_path = |table: usize, list: TierList| match list {
            TierList::Own => format!("{at}.tier_tables[{table}]"),
            TierList::Season(season) => format!("{at}.tier_tables[{table}].by_season[{season}]"),
        };
        let seasonal = |base: String, season: Option<usize>| match season {
            None => format!("{base}.price"),
            Some(season) => format!("{base}.by_season[{season}].price"),
        };
        Some(match self.field {
            // Dates out of order are named by the version alone.
            Field::EffectiveFrom => format!("versions[{}]", self.version),
            Field::VatRate => format!("{at}.vat_rate"),
            Field::MinimumCharge => format!("{at}.minimum_charge"),
            Field::Boundary { table, list, index } => {
                format!("{}.boundaries_m3[{index}]", list_path(table, list))
            }
            Field::TierPrice { table, list, index } => {
                format!("{}.prices[{index}]", list_path(table, list))
            }
            Field::UpliftAdd { table, index } => {
                format!("{at}.tier_tables[{table}].household_uplift[{index}]")
            }
            Field::FlatPrice { class, season } => {
                seasonal(format!("{at}.flat_classes[{class}]"), season)
            }
            Field::TypePrice { entry, season } => {
                seasonal(format!("{at}.customer_type_prices[{entry}]"), season)
            }
            Field::FixedAmount { charge } => format!("{at}.fixed_charges[{charge}].amount"),
            Field::LateRate { rule } => format!("{at}.late_fees[{rule}].rate_per_day"),
            Field::LateGraceDays { rule } => format!("{at}.late_fees[{rule}].grace_days"),
            Field::LateMinimum { rule } => format!("{at}.late_fees[{rule}].minimum"),
            Field::LateCap { rule } => format!("{at}.late_fees[{rule}].cap"),
            Field::LateCapOfPrincipal { rule } => {
                format!("{at}.late_fees[{rule}].cap_of_principal")
            }
        })
    }
}

/// Why a typed value was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldProblem {
    Required,
    NotANumber,
    TooPrecise {
        places: u32,
    },
    Negative,
    TooLarge {
        max: String,
    },
    NotADate,
    NotAWholeNumber,
    /// An end date before the start date.
    BeforeStart,
}

impl From<UnitError> for FieldProblem {
    fn from(error: UnitError) -> Self {
        match error {
            UnitError::NotANumber(_) => FieldProblem::NotANumber,
            UnitError::TooPrecise { places, .. } => FieldProblem::TooPrecise { places },
            UnitError::Negative { .. } => FieldProblem::Negative,
            UnitError::TooLarge { max, .. } => FieldProblem::TooLarge {
                max: max.to_string(),
            },
        }
    }
}

/// Reads a price as typed: an exact decimal of at most 4 places.
pub fn parse_price(text: &str) -> Result<UnitPrice, FieldProblem> {
    required(text)?;
    Ok(UnitPrice::from_str(text.trim())?)
}

/// Reads a volume as typed: an exact decimal of at most 3 places.
pub fn parse_volume(text: &str) -> Result<Volume, FieldProblem> {
    required(text)?;
    Ok(Volume::from_str(text.trim())?)
}

/// Reads a ratio as typed ("0.09").
pub fn parse_rate(text: &str) -> Result<Rate, FieldProblem> {
    required(text)?;
    Ok(Rate::from_str(text.trim())?)
}

/// Reads an amount in CNY as typed: at most 2 places, not negative.
pub fn parse_amount(text: &str) -> Result<Money, FieldProblem> {
    required(text)?;
    let money = Money::from_str(text.trim()).map_err(|error| match error {
        gascis_common::MoneyError::NotANumber(_) => FieldProblem::NotANumber,
        gascis_common::MoneyError::TooPrecise(_) => FieldProblem::TooPrecise { places: 2 },
        gascis_common::MoneyError::Overflow => FieldProblem::TooLarge {
            max: Money::MAX_ABS_YUAN.to_string(),
        },
    })?;
    if money.is_negative() {
        return Err(FieldProblem::Negative);
    }
    Ok(money)
}

/// Reads a date written YYYY-MM-DD.
pub fn parse_date(text: &str) -> Result<NaiveDate, FieldProblem> {
    required(text)?;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| FieldProblem::NotADate)
}

/// Reads a whole number of days (or people).
pub fn parse_count(text: &str) -> Result<u32, FieldProblem> {
    required(text)?;
    text.trim()
        .parse::<u32>()
        .map_err(|_| FieldProblem::NotAWholeNumber)
}

fn required(text: &str) -> Result<(), FieldProblem> {
    if text.trim().is_empty() {
        Err(FieldProblem::Required)
    } else {
        Ok(())
    }
}

/// A volume as people write it: "350", "0.5".
pub fn volume_text(volume: Volume) -> String {
    volume.as_decimal().normalize().to_string()
}

fn boundaries_mut(table: &mut TierTable, list: TierList) -> Option<&mut Vec<Volume>> {
    match list {
        TierList::Own => table.boundaries_m3.as_mut(),
        TierList::Season(season) => table.by_season.get_mut(season)?.boundaries_m3.as_mut(),
    }
}

fn prices_mut(table: &mut TierTable, list: TierList) -> Option<&mut Vec<UnitPrice>> {
    match list {
        TierList::Own => table.prices.as_mut(),
        TierList::Season(season) => table.by_season.get_mut(season)?.prices.as_mut(),
    }
}

/// The boundaries and prices of a list, as far as it has them.
pub fn tier_list(
    table: &TierTable,
    list: TierList,
) -> (Option<&Vec<Volume>>, Option<&Vec<UnitPrice>>) {
    match list {
        TierList::Own => (table.boundaries_m3.as_ref(), table.prices.as_ref()),
        TierList::Season(season) => table.by_season.get(season).map_or((None, None), |entry| {
            (entry.boundaries_m3.as_ref(), entry.prices.as_ref())
        }),
    }
}

/// The lists of a table in the order shown: its own, then each season's.
pub fn tier_lists(table: &TierTable) -> Vec<TierList> {
    std::iter::once(TierList::Own)
        .chain((0..table.by_season.len()).map(TierList::Season))
        .filter(|list| {
            let (boundaries, prices) = tier_list(table, *list);
            boundaries.is_some() || prices.is_some()
        })
        .collect()
}

/// The number of tiers a table has (its largest price list).
pub fn tier_count(table: &TierTable) -> usize {
    tier_lists(table)
        .into_iter()
        .map(|list| {
            let (boundaries, prices) = tier_list(table, list);
            let by_boundaries = boundaries.map_or(0, |b| b.len() + 1);
            let by_prices = prices.map_or(0, Vec::len);
            by_boundaries.max(by_prices)
        })
        .max()
        .unwrap_or(1)
}

/// The field's value in the document, as the form shows it.
fn read(tariff: &Tariff, at: FieldRef) -> Option<String> {
    let version = tariff.versions.get(at.version)?;
    let seasonal = |price: Option<UnitPrice>,
                    by_season: &[gascis_common::tariff::SeasonPriceEntry],
                    season: Option<usize>| {
        match season {
            None => price.map(|p| p.to_string()),
            Some(season) => by_season.get(season).map(|entry| entry.price.to_string()),
        }
    };
    let optional_money =
        |money: Option<Money>| Some(money.map(|m| m.to_string()).unwrap_or_default());
    match at.field {
        Field::EffectiveFrom => Some(version.effective_from.to_string()),
        Field::VatRate => Some(version.vat_rate.to_string()),
        Field::MinimumCharge => optional_money(version.minimum_charge),
        Field::Boundary { table, list, index } => {
            let (boundaries, _) = tier_list(version.tier_tables.get(table)?, list);
            boundaries?.get(index).map(|v| volume_text(*v))
        }
        Field::TierPrice { table, list, index } => {
            let (_, prices) = tier_list(version.tier_tables.get(table)?, list);
            prices?.get(index).map(ToString::to_string)
        }
        Field::UpliftAdd { table, index } => version
            .tier_tables
            .get(table)?
            .household_uplift
            .get(index)
            .map(|step| volume_text(step.add_m3)),
        Field::FlatPrice { class, season } => {
            let class = version.flat_classes.get(class)?;
            seasonal(class.price, &class.by_season, season)
        }
        Field::TypePrice { entry, season } => {
            let entry = version.customer_type_prices.get(entry)?;
            seasonal(entry.price, &entry.by_season, season)
        }
        Field::FixedAmount { charge } => version
            .fixed_charges
            .get(charge)
            .map(|c| c.amount.to_string()),
        Field::LateRate { rule } => version
            .late_fees
            .get(rule)
            .map(|r| r.rate_per_day.to_string()),
        Field::LateGraceDays { rule } => version
            .late_fees
            .get(rule)
            .map(|r| r.grace_days.to_string()),
        Field::LateMinimum { rule } => optional_money(version.late_fees.get(rule)?.minimum),
        Field::LateCap { rule } => optional_money(version.late_fees.get(rule)?.cap),
        Field::LateCapOfPrincipal { rule } => Some(
            version
                .late_fees
                .get(rule)?
                .cap_of_principal
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ),
    }
}

/// Reads `text` as the field's value and writes it into the document.
fn write(tariff: &mut Tariff, at: FieldRef, text: &str) -> Result<(), FieldProblem> {
    let field = at.field;
    if field.is_optional() && text.trim().is_empty() {
        return write_none(tariff, at);
    }
    let Some(version) = tariff.versions.get_mut(at.version) else {
        return Ok(());
    };
    match field {
        Field::EffectiveFrom => version.effective_from = parse_date(text)?,
        Field::VatRate => version.vat_rate = parse_rate(text)?,
        Field::MinimumCharge => version.minimum_charge = Some(parse_amount(text)?),
        Field::Boundary { table, list, index } => {
            let value = parse_volume(text)?;
            if let Some(slot) = version
                .tier_tables
                .get_mut(table)
                .and_then(|table| boundaries_mut(table, list))
                .and_then(|boundaries| boundaries.get_mut(index))
            {
                *slot = value;
            }
        }
        Field::TierPrice { table, list, index } => {
            let value = parse_price(text)?;
            if let Some(slot) = version
                .tier_tables
                .get_mut(table)
                .and_then(|table| prices_mut(table, list))
                .and_then(|prices| prices.get_mut(index))
            {
                *slot = value;
            }
        }
        Field::UpliftAdd { table, index } => {
            let value = parse_volume(text)?;
            if let Some(step) = version
                .tier_tables
                .get_mut(table)
                .and_then(|table| table.household_uplift.get_mut(index))
            {
                step.add_m3 = value;
            }
        }
        Field::FlatPrice { class, season } => {
            let value = parse_price(text)?;
            if let Some(class) = version.flat_classes.get_mut(class) {
                match season {
                    None => class.price = Some(value),
                    Some(season) => {
                        if let Some(entry) = class.by_season.get_mut(season) {
                            entry.price = value;
                        }
                    }
                }
            }
        }
        Field::TypePrice { entry, season } => {
            let value = parse_price(text)?;
            if let Some(entry) = version.customer_type_prices.get_mut(entry) {
                match season {
                    None => entry.price = Some(value),
                    Some(season) => {
                        if let Some(seasonal) = entry.by_season.get_mut(season) {
                            seasonal.price = value;
                        }
                    }
                }
            }
        }
        Field::FixedAmount { charge } => {
            let value = parse_amount(text)?;
            if let Some(charge) = version.fixed_charges.get_mut(charge) {
                charge.amount = value;
            }
        }
        Field::LateRate { rule } => {
            let value = parse_rate(text)?;
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.rate_per_day = value;
            }
        }
        Field::LateGraceDays { rule } => {
            let value = parse_count(text)?;
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.grace_days = value;
            }
        }
        Field::LateMinimum { rule } => {
            let value = parse_amount(text)?;
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.minimum = Some(value);
            }
        }
        Field::LateCap { rule } => {
            let value = parse_amount(text)?;
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.cap = Some(value);
            }
        }
        Field::LateCapOfPrincipal { rule } => {
            let value = parse_rate(text)?;
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.cap_of_principal = Some(value);
            }
        }
    }
    Ok(())
}

fn write_none(tariff: &mut Tariff, at: FieldRef) -> Result<(), FieldProblem> {
    let Some(version) = tariff.versions.get_mut(at.version) else {
        return Ok(());
    };
    match at.field {
        Field::MinimumCharge => version.minimum_charge = None,
        Field::LateMinimum { rule } => {
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.minimum = None;
            }
        }
        Field::LateCap { rule } => {
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.cap = None;
            }
        }
        Field::LateCapOfPrincipal { rule } => {
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.cap_of_principal = None;
            }
        }
        _ => return Err(FieldProblem::Required),
    }
    Ok(())
}

/// The place a validation error names (`versions[0] (2019-01-01).vat_rate`),
/// when it names one.
pub fn error_at(error: &TariffError) -> Option<String> {
    match error {
        TariffError::Toml(_) | TariffError::TomlWrite(_) | TariffError::NoVersions { .. } => None,
        other => {
            let message = other.to_string();
            let (at, _) = message.split_once(": ")?;
            (at.starts_with("versions[") || at == "code" || at == "name").then(|| at.to_owned())
        }
    }
}

/// What an error says after its place.
pub fn error_message(error: &TariffError) -> String {
    let message = error.to_string();
    match error_at(error) {
        Some(at) => message
            .strip_prefix(&at)
            .and_then(|rest| rest.strip_prefix(": "))
            .map_or_else(|| message.clone(), str::to_owned),
        None => message,
    }
}

/// A flag of a version or of one of its late-fee rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    LowIncomePinned,
    ResetsCycle,
    ChargeGraceDays {
        rule: usize,
    },
    LateFeeFor {
        rule: usize,
        customer_type: CustomerType,
    },
}

/// What is wrong with the new version asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewVersionProblem {
    Date(FieldProblem),
    /// It must take effect after the latest version.
    NotAfter(NaiveDate),
    Delta(FieldProblem),
    /// A price would fall below zero (or carry more than 4 places).
    PriceOutOfRange(String),
}

/// The editor's messages.
#[derive(Debug, Clone)]
pub enum Message {
    SelectVersion(usize),
    Edit(FieldRef, String),
    SetFlag {
        version: usize,
        flag: Flag,
        on: bool,
    },
    CycleMonths {
        version: usize,
        months: u32,
    },
    CycleStartMonth {
        version: usize,
        month: u32,
    },
    AddTier {
        version: usize,
        table: usize,
    },
    RemoveTier {
        version: usize,
        table: usize,
    },
    AddTypePrice {
        version: usize,
        customer_type: CustomerType,
    },
    RemoveTypePrice {
        version: usize,
        entry: usize,
    },
    AddLateFee {
        version: usize,
    },
    RemoveLateFee {
        version: usize,
        rule: usize,
    },
    RemoveVersion(usize),
    NewVersionDateChanged(String),
    NewVersionDeltaChanged(String),
    /// 新增版本: a copy of the latest version from the typed date.
    AddVersion,
    RawEdited(text_editor::Action),
    /// Back to the document the editing started from.
    Discard,
}

/// A draft being edited.
#[derive(Debug, Clone)]
pub struct Editor {
    /// The document as edited; fields whose text does not read keep their
    /// last good value here.
    tariff: Tariff,
    /// What the editing started from (the draft on the server, else the
    /// published revision), and what 保存草稿 last kept.
    base: Tariff,
    /// Texts as typed, where they may differ from the document's rendering.
    texts: BTreeMap<FieldRef, String>,
    /// Texts that did not read.
    problems: BTreeMap<FieldRef, FieldProblem>,
    /// The first error of [`Tariff::validate`] on the document.
    validation: Option<TariffError>,
    /// The version on show.
    version: usize,
    new_version_date: String,
    new_version_delta: String,
    new_version_problem: Option<NewVersionProblem>,
    /// The TOML of the 高级 tab.
    raw: text_editor::Content,
    /// Why the TOML typed in 高级 was not taken.
    raw_problem: Option<TariffError>,
    /// The document changed since the TOML was written from it.
    raw_stale: bool,
}

/// The first day of the month after `today`: when price changes usually
/// take effect.
pub fn next_month_start(today: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike as _;
    let (year, month) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
}

impl Editor {
    /// Edits `base` (the draft, else the published revision).
    pub fn new(base: Tariff, today: NaiveDate) -> Self {
        let version = base.versions.len().saturating_sub(1);
        let suggested = next_month_start(today)
            .filter(|date| base.versions.iter().all(|v| v.effective_from < *date))
            .map(|date| date.to_string())
            .unwrap_or_default();
        let mut editor = Editor {
            tariff: base.clone(),
            base,
            texts: BTreeMap::new(),
            problems: BTreeMap::new(),
            validation: None,
            version,
            new_version_date: suggested,
            new_version_delta: String::new(),
            new_version_problem: None,
            raw: text_editor::Content::new(),
            raw_problem: None,
            raw_stale: true,
        };
        editor.revalidate();
        editor
    }

    pub fn tariff(&self) -> &Tariff {
        &self.tariff
    }

    pub fn base(&self) -> &Tariff {
        &self.base
    }

    /// The version on show.
    pub fn version(&self) -> usize {
        self.version
    }

    pub fn new_version_date(&self) -> &str {
        &self.new_version_date
    }

    pub fn new_version_delta(&self) -> &str {
        &self.new_version_delta
    }

    pub fn new_version_problem(&self) -> Option<&NewVersionProblem> {
        self.new_version_problem.as_ref()
    }

    pub fn raw(&self) -> &text_editor::Content {
        &self.raw
    }

    pub fn raw_problem(&self) -> Option<&TariffError> {
        self.raw_problem.as_ref()
    }

    /// The text of a field as shown.
    pub fn text(&self, at: FieldRef) -> String {
        self.texts
            .get(&at)
            .cloned()
            .or_else(|| read(&self.tariff, at))
            .unwrap_or_default()
    }

    /// Why the field's text was not taken.
    pub fn problem(&self, at: FieldRef) -> Option<&FieldProblem> {
        self.problems.get(&at)
    }

    pub fn problems(&self) -> &BTreeMap<FieldRef, FieldProblem> {
        &self.problems
    }

    pub fn validation(&self) -> Option<&TariffError> {
        self.validation.as_ref()
    }

    /// The field the validation error names, when the form shows it.
    pub fn validation_field(&self) -> Option<FieldRef> {
        let at = self.validation.as_ref().and_then(error_at)?;
        self.fields_of(self.version)
            .into_iter()
            .find(|field| field.path(&self.tariff).as_deref() == Some(at.as_str()))
    }

    /// The tier table the validation error is about (version, table), for
    /// errors of a whole table.
    pub fn validation_table(&self) -> Option<(usize, usize)> {
        let at = self.validation.as_ref().and_then(error_at)?;
        let version = self.tariff.versions.get(self.version)?;
        let prefix = format!("versions[{}] ({})", self.version, version.effective_from);
        (0..version.tier_tables.len())
            .find(|table| {
                let table_at = format!("{prefix}.tier_tables[{table}]");
                at.strip_prefix(&table_at).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with(' ') || rest.starts_with('.')
                })
            })
            .map(|table| (self.version, table))
    }

    /// Whether the document differs from what the editing started from, or
    /// a typed text is waiting to be corrected.
    pub fn is_changed(&self) -> bool {
        self.tariff != self.base || !self.problems.is_empty() || self.raw_problem.is_some()
    }

    /// Whether every text reads and the document passes validation.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty() && self.raw_problem.is_none() && self.validation.is_none()
    }

    /// Whether 保存草稿 may be pressed.
    pub fn can_save(&self) -> bool {
        self.is_valid() && self.tariff != self.base
    }

    /// Whether versions, tiers and rules may be added or removed: not while
    /// a typed text is waiting, whose field could move.
    pub fn can_restructure(&self) -> bool {
        self.problems.is_empty() && self.raw_problem.is_none()
    }

    /// The document as the TOML 保存草稿 sends.
    pub fn toml(&self) -> Result<String, TariffError> {
        self.tariff.to_toml()
    }

    /// The draft was saved: it is the new starting point.
    pub fn saved(&mut self, saved: Tariff) {
        if saved == self.tariff {
            self.base = saved;
        } else {
            // The server wrote back something else: show what it keeps.
            self.reset(saved);
        }
    }

    /// Starts again from `base`.
    pub fn reset(&mut self, base: Tariff) {
        self.tariff = base.clone();
        self.base = base;
        self.texts.clear();
        self.problems.clear();
        self.raw_problem = None;
        self.raw_stale = true;
        self.new_version_problem = None;
        self.version = self
            .version
            .min(self.tariff.versions.len().saturating_sub(1));
        self.revalidate();
    }

    /// Writes the TOML of the 高级 tab from the document, unless the user is
    /// in the middle of fixing a text that does not read.
    pub fn refresh_raw(&mut self) {
        if self.raw_problem.is_some() || !self.raw_stale {
            return;
        }
        match self.tariff.to_toml() {
            Ok(toml) => {
                self.raw = text_editor::Content::with_text(&toml);
                self.raw_stale = false;
            }
            Err(error) => self.raw_problem = Some(error),
        }
    }

    fn revalidate(&mut self) {
        self.validation = self.tariff.validate().err();
    }

    fn changed(&mut self) {
        self.raw_stale = true;
        self.revalidate();
    }

    /// After a change of structure the typed texts all read (see
    /// [`Self::can_restructure`]) and the fields may have moved: show the
    /// document's own values.
    fn restructured(&mut self) {
        self.texts.clear();
        self.problems.clear();
        self.changed();
    }

    /// Every field of a version that the form shows.
    pub fn fields_of(&self, version_index: usize) -> Vec<FieldRef> {
        let Some(version) = self.tariff.versions.get(version_index) else {
            return Vec::new();
        };
        let at = |field| FieldRef::new(version_index, field);
        let mut fields = vec![
            at(Field::EffectiveFrom),
            at(Field::VatRate),
            at(Field::MinimumCharge),
        ];
        for (table_index, table) in version.tier_tables.iter().enumerate() {
            for list in tier_lists(table) {
                let (boundaries, prices) = tier_list(table, list);
                for index in 0..boundaries.map_or(0, Vec::len) {
                    fields.push(at(Field::Boundary {
                        table: table_index,
                        list,
                        index,
                    }));
                }
                for index in 0..prices.map_or(0, Vec::len) {
                    fields.push(at(Field::TierPrice {
                        table: table_index,
                        list,
                        index,
                    }));
                }
            }
            for index in 0..table.household_uplift.len() {
                fields.push(at(Field::UpliftAdd {
                    table: table_index,
                    index,
                }));
            }
        }
        for (class_index, class) in version.flat_classes.iter().enumerate() {
            if class.price.is_some() {
                fields.push(at(Field::FlatPrice {
                    class: class_index,
                    season: None,
                }));
            }
            for season in 0..class.by_season.len() {
                fields.push(at(Field::FlatPrice {
                    class: class_index,
                    season: Some(season),
                }));
            }
        }
        for (entry_index, entry) in version.customer_type_prices.iter().enumerate() {
            if entry.price.is_some() {
                fields.push(at(Field::TypePrice {
                    entry: entry_index,
                    season: None,
                }));
            }
            for season in 0..entry.by_season.len() {
                fields.push(at(Field::TypePrice {
                    entry: entry_index,
                    season: Some(season),
                }));
            }
        }
        for charge in 0..version.fixed_charges.len() {
            fields.push(at(Field::FixedAmount { charge }));
        }
        for rule in 0..version.late_fees.len() {
            fields.extend([
                at(Field::LateRate { rule }),
                at(Field::LateGraceDays { rule }),
                at(Field::LateMinimum { rule }),
                at(Field::LateCap { rule }),
                at(Field::LateCapOfPrincipal { rule }),
            ]);
        }
        fields
    }

    pub fn update(&mut self, message: Message) {
        match message {
            Message::SelectVersion(version) => {
                if version < self.tariff.versions.len() {
                    self.version = version;
                }
            }
            Message::Edit(at, text) => self.edit(at, text),
            Message::SetFlag { version, flag, on } => {
                if let Some(version) = self.tariff.versions.get_mut(version) {
                    set_flag(version, flag, on);
                    self.changed();
                }
            }
            Message::CycleMonths { version, months } => {
                if let Some(version) = self.tariff.versions.get_mut(version) {
                    version.cycle.months = months;
                    self.changed();
                }
            }
            Message::CycleStartMonth { version, month } => {
                if let Some(version) = self.tariff.versions.get_mut(version) {
                    version.cycle.start_month = month;
                    self.changed();
                }
            }
            Message::AddTier { version, table } => {
                if !self.can_restructure() {
                    return;
                }
                let Some(tier_table) = self
                    .tariff
                    .versions
                    .get_mut(version)
                    .and_then(|v| v.tier_tables.get_mut(table))
                else {
                    return;
                };
                let new_boundaries = add_tier(tier_table);
                self.restructured();
                // The new boundaries are for the user to give: empty until then.
                for (list, index) in new_boundaries {
                    let at = FieldRef::new(version, Field::Boundary { table, list, index });
                    self.texts.insert(at, String::new());
                    self.problems.insert(at, FieldProblem::Required);
                }
            }
            Message::RemoveTier { version, table } => {
                if !self.can_restructure() {
                    return;
                }
                if let Some(tier_table) = self
                    .tariff
                    .versions
                    .get_mut(version)
                    .and_then(|v| v.tier_tables.get_mut(table))
                    && remove_tier(tier_table)
                {
                    self.restructured();
                }
            }
            Message::AddTypePrice {
                version,
                customer_type,
            } => {
                if !self.can_restructure() || customer_type == CustomerType::Residential {
                    return;
                }
                let Some(version) = self.tariff.versions.get_mut(version) else {
                    return;
                };
                if version.customer_type_price(customer_type).is_some() {
                    return;
                }
                // Start from the highest residential tier-1 price, to be changed.
                let price = version
                    .tier_tables
                    .iter()
                    .filter_map(|table| table.tiers_for(None).and_then(|(_, p)| p.first()))
                    .max()
                    .copied()
                    .or_else(|| {
                        version
                            .customer_type_prices
                            .iter()
                            .filter_map(|entry| entry.price)
                            .max()
                    });
                let seasons = version.seasons.clone();
                version.customer_type_prices.push(CustomerTypePrice {
                    customer_type,
                    price,
                    by_season: Vec::new(),
                });
                if price.is_none() && !seasons.is_empty() {
                    // Without a price to copy, a price for each season.
                    if let Some(entry) = version.customer_type_prices.last_mut() {
                        entry.by_season = seasons
                            .iter()
                            .filter_map(|season| {
                                Some(gascis_common::tariff::SeasonPriceEntry {
                                    season: season.name.clone(),
                                    price: UnitPrice::from_str("1").ok()?,
                                })
                            })
                            .collect();
                    }
                }
                if price.is_none()
                    && seasons.is_empty()
                    && let Some(entry) = version.customer_type_prices.last_mut()
                {
                    entry.price = UnitPrice::from_str("1").ok();
                }
                self.restructured();
            }
            Message::RemoveTypePrice { version, entry } => {
                if !self.can_restructure() {
                    return;
                }
                if let Some(version) = self.tariff.versions.get_mut(version)
                    && entry < version.customer_type_prices.len()
                {
                    version.customer_type_prices.remove(entry);
                    self.restructured();
                }
            }
            Message::AddLateFee { version } => {
                if !self.can_restructure() {
                    return;
                }
                let Some(version) = self.tariff.versions.get_mut(version) else {
                    return;
                };
                // The general rule first; then one for the types without one.
                let has_general = version
                    .late_fees
                    .iter()
                    .any(|r| r.customer_types.is_empty());
                let customer_types = if has_general {
                    let free: Vec<CustomerType> = CustomerType::ALL
                        .into_iter()
                        .filter(|kind| {
                            !version
                                .late_fees
                                .iter()
                                .any(|rule| rule.customer_types.contains(kind))
                        })
                        .collect();
                    match free.first() {
                        Some(kind) => vec![*kind],
                        None => return,
                    }
                } else {
                    Vec::new()
                };
                let Ok(rate) = Rate::from_str("0.001") else {
                    return;
                };
                version.late_fees.push(LateFeeRule {
                    customer_types,
                    rate_per_day: rate,
                    grace_days: 0,
                    charge_grace_days_when_exceeded: false,
                    minimum: None,
                    cap: None,
                    cap_of_principal: None,
                });
                self.restructured();
            }
            Message::RemoveLateFee { version, rule } => {
                if !self.can_restructure() {
                    return;
                }
                if let Some(version) = self.tariff.versions.get_mut(version)
                    && rule < version.late_fees.len()
                {
                    version.late_fees.remove(rule);
                    self.restructured();
                }
            }
            Message::RemoveVersion(index) => {
                if !self.can_restructure() || self.tariff.versions.len() <= 1 {
                    return;
                }
                if index < self.tariff.versions.len() {
                    self.tariff.versions.remove(index);
                    self.version = self.version.min(self.tariff.versions.len() - 1);
                    self.restructured();
                }
            }
            Message::NewVersionDateChanged(text) => {
                self.new_version_date = text;
                self.new_version_problem = None;
            }
            Message::NewVersionDeltaChanged(text) => {
                self.new_version_delta = text;
                self.new_version_problem = None;
            }
            Message::AddVersion => {
                if !self.can_restructure() {
                    return;
                }
                match self.new_version() {
                    Ok(version) => {
                        self.tariff.versions.push(version);
                        self.version = self.tariff.versions.len() - 1;
                        self.new_version_problem = None;
                        self.new_version_date.clear();
                        self.new_version_delta.clear();
                        self.restructured();
                    }
                    Err(problem) => self.new_version_problem = Some(problem),
                }
            }
            Message::RawEdited(action) => {
                let is_edit = action.is_edit();
                self.raw.perform(action);
                if is_edit {
                    self.raw_edited();
                }
            }
            Message::Discard => self.reset(self.base.clone()),
        }
    }

    fn edit(&mut self, at: FieldRef, text: String) {
        match write(&mut self.tariff, at, &text) {
            Ok(()) => {
                self.problems.remove(&at);
            }
            Err(problem) => {
                self.problems.insert(at, problem);
            }
        }
        self.texts.insert(at, text);
        self.changed();
    }

    fn raw_edited(&mut self) {
        let text = self.raw.text();
        match Tariff::from_toml(&text) {
            Ok(tariff) if tariff.code != self.base.code => {
                self.raw_problem = Some(TariffError::BadIdentifier {
                    at: "code".to_owned(),
                    value: tariff.code,
                });
            }
            Ok(tariff) => {
                self.tariff = tariff;
                self.raw_problem = None;
                self.texts.clear();
                self.problems.clear();
                self.version = self
                    .version
                    .min(self.tariff.versions.len().saturating_sub(1));
                self.revalidate();
                // The text is the document: keep it as typed.
                self.raw_stale = false;
            }
            Err(error) => self.raw_problem = Some(error),
        }
    }

    /// The version 新增版本 would add: a copy of the latest with the typed
    /// date, every unit price moved by the typed amount.
    fn new_version(&self) -> Result<TariffVersion, NewVersionProblem> {
        let date = parse_date(&self.new_version_date).map_err(NewVersionProblem::Date)?;
        let Some(latest) = self.tariff.versions.last() else {
            return Err(NewVersionProblem::Date(FieldProblem::Required));
        };
        if date <= latest.effective_from {
            return Err(NewVersionProblem::NotAfter(latest.effective_from));
        }
        let delta = self.new_version_delta.trim();
        let mut version = if delta.is_empty() {
            let mut copy = latest.clone();
            copy.effective_from = date;
            copy
        } else {
            let (negative, magnitude) = match delta.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, delta.strip_prefix('+').unwrap_or(delta)),
            };
            let magnitude = parse_price(magnitude).map_err(NewVersionProblem::Delta)?;
            let delta = if negative {
                -magnitude.as_decimal()
            } else {
                magnitude.as_decimal()
            };
            latest
                .with_price_delta(date, delta)
                .map_err(|error| NewVersionProblem::PriceOutOfRange(error.to_string()))?
        };
        // The notes of a version say what was assumed for it, not for the next.
        version.notes.clear();
        Ok(version)
    }
}

fn set_flag(version: &mut TariffVersion, flag: Flag, on: bool) {
    match flag {
        Flag::LowIncomePinned => version.low_income_pinned_to_tier1 = on,
        Flag::ResetsCycle => version.price_change_resets_cycle = on,
        Flag::ChargeGraceDays { rule } => {
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.charge_grace_days_when_exceeded = on;
            }
        }
        Flag::LateFeeFor {
            rule,
            customer_type,
        } => {
            if let Some(rule) = version.late_fees.get_mut(rule) {
                rule.customer_types.retain(|kind| *kind != customer_type);
                if on {
                    rule.customer_types.push(customer_type);
                    rule.customer_types.sort();
                }
            }
        }
    }
}

/// Adds a tier at the end of every list of the table: a boundary after the
/// last (a litre above it, for the user to set) and the last price again.
/// Answers where the new boundaries are.
fn add_tier(table: &mut TierTable) -> Vec<(TierList, usize)> {
    let lists = tier_lists(table);
    let mut added = Vec::new();
    for list in lists {
        if let Some(boundaries) = boundaries_mut(table, list) {
            let next = boundaries
                .last()
                .and_then(|last| last.checked_add(Volume::from_litres(1)))
                .unwrap_or(Volume::from_m3(1));
            boundaries.push(next);
            added.push((list, boundaries.len() - 1));
        }
        if let Some(prices) = prices_mut(table, list)
            && let Some(last) = prices.last().copied()
        {
            prices.push(last);
        }
    }
    added
}

/// Removes the last tier of every list of the table; false when it has one
/// tier only.
fn remove_tier(table: &mut TierTable) -> bool {
    if tier_count(table) <= 1 {
        return false;
    }
    for list in tier_lists(table) {
        if let Some(boundaries) = boundaries_mut(table, list) {
            boundaries.pop();
        }
        if let Some(prices) = prices_mut(table, list)
            && prices.len() > 1
        {
            prices.pop();
        }
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use gascis_common::tariff::preset;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
    }

    fn price(version: usize, index: usize) -> FieldRef {
        FieldRef::new(
            version,
            Field::TierPrice {
                table: 0,
                list: TierList::Own,
                index,
            },
        )
    }

    #[test]
    fn a_price_that_reads_is_written_and_one_that_does_not_waits() {
        let mut editor = Editor::new(preset("beijing-2019").unwrap(), today());
        assert_eq!(editor.text(price(0, 0)), "2.61");
        assert!(!editor.can_save(), "nothing changed yet");

        editor.update(Message::Edit(price(0, 0), "2.6x".into()));
        assert_eq!(editor.problem(price(0, 0)), Some(&FieldProblem::NotANumber));
        assert_eq!(editor.text(price(0, 0)), "2.6x");
        assert!(!editor.can_save());

        editor.update(Message::Edit(price(0, 0), "2.61234".into()));
        assert_eq!(
            editor.problem(price(0, 0)),
            Some(&FieldProblem::TooPrecise { places: 4 })
        );

        editor.update(Message::Edit(price(0, 0), "2.70".into()));
        assert_eq!(editor.problem(price(0, 0)), None);
        assert!(editor.can_save());
        let prices = editor.tariff().versions[0].tier_tables[0].prices.clone();
        assert_eq!(prices.unwrap()[0].to_string(), "2.70");
    }

    #[test]
    fn a_falling_price_is_named_at_its_field() {
        let mut editor = Editor::new(preset("beijing-2019").unwrap(), today());
        editor.update(Message::Edit(price(0, 1), "2.50".into()));
        assert!(editor.validation().is_some());
        assert_eq!(editor.validation_field(), Some(price(0, 1)));
        assert!(!editor.can_save());
    }

    #[test]
    fn a_new_version_copies_the_latest_and_moves_its_prices() {
        let mut editor = Editor::new(preset("beijing-2019").unwrap(), today());
        assert_eq!(editor.new_version_date(), "2025-07-01");
        editor.update(Message::NewVersionDateChanged("2018-01-01".into()));
        editor.update(Message::AddVersion);
        assert!(matches!(
            editor.new_version_problem(),
            Some(NewVersionProblem::NotAfter(_))
        ));
        editor.update(Message::NewVersionDateChanged("2026-01-01".into()));
        editor.update(Message::NewVersionDeltaChanged("+0.30".into()));
        editor.update(Message::AddVersion);
        assert_eq!(editor.tariff().versions.len(), 2);
        assert_eq!(editor.version(), 1);
        assert_eq!(editor.text(price(1, 0)), "2.91");
        assert_eq!(editor.text(price(0, 0)), "2.61");
        assert!(editor.tariff().versions[1].notes.is_empty());
        assert!(editor.can_save());
    }

    #[test]
    fn tiers_are_added_with_a_boundary_to_give() {
        let mut editor = Editor::new(preset("chongqing-2021").unwrap(), today());
        editor.update(Message::AddTier {
            version: 0,
            table: 0,
        });
        let boundary = FieldRef::new(
            0,
            Field::Boundary {
                table: 0,
                list: TierList::Own,
                index: 0,
            },
        );
        assert_eq!(editor.problem(boundary), Some(&FieldProblem::Required));
        assert!(!editor.can_save());
        assert!(!editor.can_restructure());
        editor.update(Message::Edit(boundary, "300".into()));
        assert!(editor.can_save(), "{:?}", editor.validation());
        let table = &editor.tariff().versions[0].tier_tables[0];
        assert_eq!(tier_count(table), 2);
        editor.update(Message::RemoveTier {
            version: 0,
            table: 0,
        });
        assert_eq!(tier_count(&editor.tariff().versions[0].tier_tables[0]), 1);
    }

    #[test]
    fn late_fee_rules_are_added_and_edited() {
        let mut editor = Editor::new(preset("shanghai-2014").unwrap(), today());
        editor.update(Message::AddLateFee { version: 0 });
        let rate = FieldRef::new(0, Field::LateRate { rule: 0 });
        assert_eq!(editor.text(rate), "0.001");
        editor.update(Message::Edit(
            FieldRef::new(0, Field::LateMinimum { rule: 0 }),
            "5.00".into(),
        ));
        editor.update(Message::Edit(
            FieldRef::new(0, Field::LateCap { rule: 0 }),
            "1.00".into(),
        ));
        assert!(editor.validation().is_some(), "minimum above cap");
        editor.update(Message::Edit(
            FieldRef::new(0, Field::LateCap { rule: 0 }),
            String::new(),
        ));
        assert!(editor.is_valid());
        assert_eq!(editor.tariff().versions[0].late_fees[0].cap, None);
    }

    #[test]
    fn the_raw_text_replaces_the_document_when_it_reads() {
        let mut editor = Editor::new(preset("shanghai-2014").unwrap(), today());
        editor.refresh_raw();
        let text = editor.raw().text();
        assert!(text.contains("\"3.00\""));
        editor.update(Message::RawEdited(text_editor::Action::SelectAll));
        editor.update(Message::RawEdited(text_editor::Action::Edit(
            text_editor::Edit::Paste(std::sync::Arc::new(text.replace("\"3.30\"", "3.30"))),
        )));
        assert!(editor.raw_problem().is_some(), "a float is refused");
        assert!(!editor.can_save());
        editor.update(Message::RawEdited(text_editor::Action::SelectAll));
        editor.update(Message::RawEdited(text_editor::Action::Edit(
            text_editor::Edit::Paste(std::sync::Arc::new(text.replace("\"3.30\"", "\"3.40\""))),
        )));
        assert!(editor.raw_problem().is_none());
        assert_eq!(editor.text(price(0, 1)), "3.40");
        assert!(editor.can_save());
    }

    #[test]
    fn errors_are_split_into_place_and_message() {
        let mut tariff = preset("beijing-2019").unwrap();
        tariff.versions[0].vat_rate = Rate::from_str("1.5").unwrap();
        let error = tariff.validate().unwrap_err();
        assert_eq!(
            error_at(&error).as_deref(),
            Some("versions[0] (2019-01-01).vat_rate")
        );
        assert!(error_message(&error).starts_with("VAT rate 1.5"));
    }
}

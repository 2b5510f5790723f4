//! The tariff document: a tariff with its effective-dated versions. Tariffs are data edited by
//! back office; every rule of DOMAIN.md "Residential tiered pricing" is a field here, never code.
//! The same structure is the TOML file (docs/tariff-format.md) and the JSON the server stores.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::units::{
    CustomerType, MonthDay, Rate, UnitPrice, Volume, date_serde, money_serde, option_money_serde,
};
use crate::Money;

/// A price policy (价格政策): a code, a name, and its versions in order of `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Lower-case letters, digits, '-' and '_' (e.g. "beijing-2019").
    pub code: String,
    pub name: String,
    /// What the source lacked and what was assumed; shown with every quote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub versions: Vec<TariffVersion>,
}

/// The prices and rules in force from `effective_from` until the next version's date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffVersion {
    #[serde(with = "date_serde")]
    pub effective_from: NaiveDate,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// When this version takes effect, the tier counter starts again from zero (the cycle calendar
    /// itself is unchanged). DOMAIN.md: not reset by default (unverified, hence configurable).
    #[serde(default, skip_serializing_if = "is_false")]
    pub price_change_resets_cycle: bool,
    /// VAT rate used to split tax-inclusive amounts (natural gas: 9 %).
    #[serde(default = "Rate::natural_gas_vat")]
    pub vat_rate: Rate,
    /// Low-income (低保) residential accounts pay tier 1 for every m³.
    #[serde(default, skip_serializing_if = "is_false")]
    pub low_income_pinned_to_tier1: bool,
    /// How the tiers of IC-card purchases open up over the cycle.
    #[serde(default, skip_serializing_if = "IcCardAllowance::is_whole_cycle")]
    pub ic_card_allowance: IcCardAllowance,
    /// A bill below this is topped up to it (a "minimum" line).
    #[serde(
        default,
        with = "option_money_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum_charge: Option<Money>,
    pub cycle: Cycle,
    /// Named seasons by month-day; when any exist they cover the year exactly once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seasons: Vec<Season>,
    /// Residential tiers, one table per set of gas-use purposes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier_tables: Vec<TierTable>,
    /// Flat prices for classes of accounts (schools, care homes, shared meters…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flat_classes: Vec<FlatClass>,
    /// Flat or seasonal prices of the non-residential customer types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_type_prices: Vec<CustomerTypePrice>,
    /// Charges added once per bill.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_charges: Vec<FixedCharge>,
    /// Late-fee rules: one for all customer types and/or one per listed type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late_fees: Vec<LateFeeRule>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The tier cycle: `months` long (1, 2, 3, 4, 6 or 12, so cycles tile the calendar year),
/// starting on the first day of `start_month` and every `months` after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cycle {
    pub months: u32,
    #[serde(default = "january")]
    pub start_month: u32,
}

fn january() -> u32 {
    1
}

impl Cycle {
    /// The month lengths a cycle may have.
    pub const MONTHS_ALLOWED: [u32; 6] = [1, 2, 3, 4, 6, 12];

    /// The months (0-based) from this cycle's start month to the date's month, 0..months.
    fn offset(self, date: NaiveDate) -> Option<u32> {
        if !Self::MONTHS_ALLOWED.contains(&self.months) || !(1..=12).contains(&self.start_month) {
            return None;
        }
        let from_start = (date.month0() + 12 - (self.start_month - 1)) % 12;
        Some(from_start % self.months)
    }

    /// First day of the cycle that contains `date`; None for an invalid cycle or a date at the
    /// very edge of the calendar.
    pub fn start_of(self, date: NaiveDate) -> Option<NaiveDate> {
        let back = self.offset(date)?;
        let month0 = date.month0();
        let (year, month0) = if back > month0 {
            (date.year() - 1, month0 + 12 - back)
        } else {
            (date.year(), month0 - back)
        };
        NaiveDate::from_ymd_opt(year, month0 + 1, 1)
    }

    /// Months of the cycle reached on `date`, counting the current month: 1..=months.
    pub fn months_elapsed(self, date: NaiveDate) -> Option<u32> {
        Some(self.offset(date)? + 1)
    }
}

/// A named part of the year, `from` to `to` inclusive; may wrap the year end (11-01 to 03-31).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Season {
    pub name: String,
    pub from: MonthDay,
    pub to: MonthDay,
}

impl Season {
    pub fn contains(&self, day: MonthDay) -> bool {
        if self.from <= self.to {
            self.from <= day && day <= self.to
        } else {
            day >= self.from || day <= self.to
        }
    }
}

/// Residential tiers for some gas-use purposes. `boundaries_m3` are the cycle volumes where a
/// tier ends (ascending; n boundaries make n + 1 tiers, the last unbounded), `prices` one per
/// tier. Either may be given per season in `by_season`; a season not listed there uses the
/// table's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierTable {
    /// The gas-use purposes billed by this table ("cooking", "heating", "rural_coal_to_gas"…).
    pub purposes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundaries_m3: Option<Vec<Volume>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<UnitPrice>>,
    /// Volume added to every boundary for larger households; the step with the largest
    /// `from_household_size` not above the account's household size applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_uplift: Vec<HouseholdUplift>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_season: Vec<SeasonTiers>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonTiers {
    pub season: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundaries_m3: Option<Vec<Volume>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Vec<UnitPrice>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdUplift {
    pub from_household_size: u32,
    pub add_m3: Volume,
}

impl TierTable {
    /// Boundaries and prices in force in `season` (None when the table lacks one of them).
    pub fn tiers_for(&self, season: Option<&str>) -> Option<(&[Volume], &[UnitPrice])> {
        let seasonal = season.and_then(|name| self.by_season.iter().find(|s| s.season == name));
        let boundaries = seasonal
            .and_then(|s| s.boundaries_m3.as_deref())
            .or(self.boundaries_m3.as_deref())?;
        let prices = seasonal
            .and_then(|s| s.prices.as_deref())
            .or(self.prices.as_deref())?;
        Some((boundaries, prices))
    }

    /// Volume added to each boundary for a household of `household_size` people.
    pub fn uplift_for(&self, household_size: u32) -> Volume {
        self.household_uplift
            .iter()
            .filter(|step| step.from_household_size <= household_size)
            .max_by_key(|step| step.from_household_size)
            .map_or(Volume::ZERO, |step| step.add_m3)
    }

    pub fn uses_seasons(&self) -> bool {
        !self.by_season.is_empty()
    }
}

/// A price per m³ that may differ by season: `price` for every season not in `by_season`.
pub trait SeasonalPrice {
    fn base_price(&self) -> Option<UnitPrice>;
    fn seasonal_prices(&self) -> &[SeasonPriceEntry];

    fn price_for(&self, season: Option<&str>) -> Option<UnitPrice> {
        season
            .and_then(|name| self.seasonal_prices().iter().find(|s| s.season == name))
            .map(|s| s.price)
            .or(self.base_price())
    }

    fn uses_seasons(&self) -> bool {
        !self.seasonal_prices().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonPriceEntry {
    pub season: String,
    pub price: UnitPrice,
}

/// A class of accounts billed at one price whatever the volume (学校, 养老院, 合表…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatClass {
    /// What accounts refer to ("school", "care_home", "shared_meter"…).
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<UnitPrice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_season: Vec<SeasonPriceEntry>,
}

impl SeasonalPrice for FlatClass {
    fn base_price(&self) -> Option<UnitPrice> {
        self.price
    }
    fn seasonal_prices(&self) -> &[SeasonPriceEntry] {
        &self.by_season
    }
}

/// The price of a non-residential customer type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerTypePrice {
    pub customer_type: CustomerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<UnitPrice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_season: Vec<SeasonPriceEntry>,
}

impl SeasonalPrice for CustomerTypePrice {
    fn base_price(&self) -> Option<UnitPrice> {
        self.price
    }
    fn seasonal_prices(&self) -> &[SeasonPriceEntry] {
        &self.by_season
    }
}

/// A fixed amount added to every bill (e.g. a meter fee), for the listed customer types or, when
/// none are listed, for all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedCharge {
    pub name: String,
    #[serde(with = "money_serde")]
    pub amount: Money,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_types: Vec<CustomerType>,
}

impl FixedCharge {
    pub fn applies_to(&self, customer_type: CustomerType) -> bool {
        self.customer_types.is_empty() || self.customer_types.contains(&customer_type)
    }
}

/// Late fee (滞纳金/违约金) on an unpaid amount: `rate_per_day` of the principal for every day
/// overdue beyond `grace_days`, at least `minimum` once any is due, at most `cap` and at most
/// `cap_of_principal` × principal. See `late_fee.rs` for the exact rule and rounding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateFeeRule {
    /// Customer types this rule is for; empty = every type without a rule of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_types: Vec<CustomerType>,
    pub rate_per_day: Rate,
    #[serde(default)]
    pub grace_days: u32,
    /// Once the grace period is exceeded, charge the grace days too (counted from the due date).
    #[serde(default, skip_serializing_if = "is_false")]
    pub charge_grace_days_when_exceeded: bool,
    #[serde(
        default,
        with = "option_money_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub minimum: Option<Money>,
    #[serde(
        default,
        with = "option_money_serde",
        skip_serializing_if = "Option::is_none"
    )]
    pub cap: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_of_principal: Option<Rate>,
}

/// How IC-card purchases see the tier boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcCardAllowance {
    /// The whole cycle's boundaries from the first day.
    #[default]
    WholeCycle,
    /// Each boundary grows with the months elapsed in the cycle: boundary × elapsed / months
    /// (truncated to the litre), the current month included.
    Monthly,
}

impl IcCardAllowance {
    fn is_whole_cycle(&self) -> bool {
        *self == IcCardAllowance::WholeCycle
    }
}

impl Tariff {
    /// The version in force on `date`.
    pub fn version_at(&self, date: NaiveDate) -> Option<&TariffVersion> {
        self.version_index_at(date)
            .map(|index| &self.versions[index])
    }

    pub(crate) fn version_index_at(&self, date: NaiveDate) -> Option<usize> {
        self.versions
            .iter()
            .rposition(|version| version.effective_from <= date)
    }
}

impl TariffVersion {
    /// The season `date` falls in; None when the version has no seasons.
    pub fn season_of(&self, date: NaiveDate) -> Option<&Season> {
        let day = MonthDay::of(date);
        self.seasons.iter().find(|season| season.contains(day))
    }

    pub fn tier_table_for(&self, purpose: &str) -> Option<&TierTable> {
        self.tier_tables
            .iter()
            .find(|table| table.purposes.iter().any(|p| p == purpose))
    }

    pub fn flat_class(&self, code: &str) -> Option<&FlatClass> {
        self.flat_classes.iter().find(|class| class.code == code)
    }

    pub fn customer_type_price(&self, customer_type: CustomerType) -> Option<&CustomerTypePrice> {
        self.customer_type_prices
            .iter()
            .find(|entry| entry.customer_type == customer_type)
    }

    /// The late-fee rule for a customer type: its own rule, else the rule for all types.
    pub fn late_fee_rule(&self, customer_type: CustomerType) -> Option<&LateFeeRule> {
        self.late_fees
            .iter()
            .find(|rule| rule.customer_types.contains(&customer_type))
            .or_else(|| {
                self.late_fees
                    .iter()
                    .find(|rule| rule.customer_types.is_empty())
            })
    }

    /// A copy of this version taking effect on `effective_from` with `delta` added to every unit
    /// price (tiers of every season, flat classes, customer types): how Beijing passes a price
    /// change through "as the same amount added to every tier". Fails when a price would fall
    /// below zero or carry more than 4 places.
    pub fn with_price_delta(
        &self,
        effective_from: NaiveDate,
        delta: Decimal,
    ) -> Result<TariffVersion, super::units::UnitError> {
        let shift = |price: UnitPrice| -> Result<UnitPrice, super::units::UnitError> {
            UnitPrice::try_from_decimal(price.as_decimal() + delta)
        };
        let shift_all = |prices: &Option<Vec<UnitPrice>>| -> Result<_, super::units::UnitError> {
            prices
                .as_ref()
                .map(|prices| {
                    prices
                        .iter()
                        .map(|p| shift(*p))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
        };
        let mut next = self.clone();
        next.effective_from = effective_from;
        for table in &mut next.tier_tables {
            table.prices = shift_all(&table.prices)?;
            for season in &mut table.by_season {
                season.prices = shift_all(&season.prices)?;
            }
        }
        for class in &mut next.flat_classes {
            class.price = class.price.map(shift).transpose()?;
            for season in &mut class.by_season {
                season.price = shift(season.price)?;
            }
        }
        for entry in &mut next.customer_type_prices {
            entry.price = entry.price.map(shift).transpose()?;
            for season in &mut entry.by_season {
                season.price = shift(season.price)?;
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        date_serde::parse(text).unwrap()
    }

    #[test]
    fn cycle_starts() {
        let annual = Cycle {
            months: 12,
            start_month: 1,
        };
        assert_eq!(
            annual.start_of(date("2024-07-15")),
            Some(date("2024-01-01"))
        );
        assert_eq!(annual.months_elapsed(date("2024-07-15")), Some(7));
        let heating_year = Cycle {
            months: 12,
            start_month: 11,
        };
        assert_eq!(
            heating_year.start_of(date("2024-03-01")),
            Some(date("2023-11-01"))
        );
        assert_eq!(
            heating_year.start_of(date("2024-11-01")),
            Some(date("2024-11-01"))
        );
        assert_eq!(heating_year.months_elapsed(date("2024-03-01")), Some(5));
        let monthly = Cycle {
            months: 1,
            start_month: 1,
        };
        assert_eq!(
            monthly.start_of(date("2024-02-29")),
            Some(date("2024-02-01"))
        );
        let bimonthly = Cycle {
            months: 2,
            start_month: 2,
        };
        assert_eq!(
            bimonthly.start_of(date("2024-01-31")),
            Some(date("2023-12-01"))
        );
        assert_eq!(
            bimonthly.start_of(date("2024-03-31")),
            Some(date("2024-02-01"))
        );
        assert_eq!(bimonthly.months_elapsed(date("2024-03-31")), Some(2));
        let odd = Cycle {
            months: 5,
            start_month: 1,
        };
        assert_eq!(odd.start_of(date("2024-03-31")), None);
    }

    #[test]
    fn wrapping_season() {
        let peak = Season {
            name: "peak".into(),
            from: "11-01".parse().unwrap(),
            to: "03-31".parse().unwrap(),
        };
        assert!(peak.contains("01-15".parse().unwrap()));
        assert!(peak.contains("11-01".parse().unwrap()));
        assert!(peak.contains("03-31".parse().unwrap()));
        assert!(!peak.contains("04-01".parse().unwrap()));
        assert!(!peak.contains("10-31".parse().unwrap()));
    }
}

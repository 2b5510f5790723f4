//! Checks of a tariff document, run on load (TOML or JSON) and before every quote. Each error
//! names the place (`versions[0] (2019-01-01).tier_tables[1].boundaries_m3[2]`) and what is wrong.

use chrono::NaiveDate;

use super::model::{SeasonalPrice, Tariff, TariffVersion, TierTable};
use super::units::{CustomerType, MonthDay, UnitPrice, Volume};
use crate::Money;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("tariff file: {0}")]
    Toml(String),
    #[error("the tariff cannot be written as TOML: {0}")]
    TomlWrite(String),
    #[error("{at}: '{value}' must be lower-case letters, digits, '-' or '_'")]
    BadIdentifier { at: String, value: String },
    #[error("{at}: must not be empty")]
    Empty { at: String },
    #[error("tariff '{code}' has no versions; add at least one [[versions]]")]
    NoVersions { code: String },
    #[error(
        "versions[{index}]: effective_from {date} must be later than the previous version's {previous} (versions are listed in date order, one per date)"
    )]
    VersionsOutOfOrder {
        index: usize,
        date: NaiveDate,
        previous: NaiveDate,
    },
    #[error(
        "{at}: cycle months must be 1, 2, 3, 4, 6 or 12 (cycles tile the calendar year), not {months}"
    )]
    CycleMonths { at: String, months: u32 },
    #[error("{at}: cycle start_month must be 1 to 12, not {month}")]
    CycleStartMonth { at: String, month: u32 },
    #[error("{at}: VAT rate {rate} must be below 1 (write \"0.09\" for 9 %)")]
    VatRate { at: String, rate: String },
    #[error("{at}: season '{name}' is defined twice")]
    DuplicateSeason { at: String, name: String },
    #[error("{at}: {day} is in both season '{first}' and season '{second}'")]
    SeasonsOverlap {
        at: String,
        day: MonthDay,
        first: String,
        second: String,
    },
    #[error("{at}: {day} is in no season (seasons must cover the whole year)")]
    SeasonGap { at: String, day: MonthDay },
    #[error("{at}: unknown season '{season}' (seasons of this version: {known})")]
    UnknownSeason {
        at: String,
        season: String,
        known: String,
    },
    #[error("{at}: season '{season}' is listed twice")]
    DuplicateSeasonEntry { at: String, season: String },
    #[error("{at}: purpose '{purpose}' is already billed by tier_tables[{first}]")]
    DuplicatePurpose {
        at: String,
        purpose: String,
        first: usize,
    },
    #[error("{at}: boundary {value} m³ must be above zero")]
    BoundaryNotPositive { at: String, value: Volume },
    #[error("{at}: boundaries must rise: {next} m³ follows {previous} m³")]
    BoundariesNotAscending {
        at: String,
        previous: Volume,
        next: Volume,
    },
    #[error(
        "{at}: {boundaries} boundaries make {tiers} tiers, so {tiers} prices are needed, not {prices}"
    )]
    PriceCount {
        at: String,
        boundaries: usize,
        tiers: usize,
        prices: usize,
    },
    #[error("{at}: no {what} for {season}; give the table's own {what} or a by_season entry")]
    MissingTiers {
        at: String,
        what: &'static str,
        season: String,
    },
    #[error("{at}: unit price must be above zero")]
    PriceNotPositive { at: String },
    #[error(
        "{at}: tier {tier} costs {price}, less than tier {previous_tier} at {previous}; tier prices must not fall"
    )]
    PricesFall {
        at: String,
        tier: usize,
        price: UnitPrice,
        previous_tier: usize,
        previous: UnitPrice,
    },
    #[error("{at}: from_household_size must be at least 1")]
    UpliftSize { at: String },
    #[error("{at}: household size {size} has two uplift steps")]
    DuplicateUplift { at: String, size: u32 },
    #[error("{at}: flat class '{code}' is defined twice")]
    DuplicateFlatClass { at: String, code: String },
    #[error("{at}: no price for {season}; give price or a by_season entry for every season")]
    MissingPrice { at: String, season: String },
    #[error(
        "{at}: residential accounts are priced by tier_tables (or a flat class), not by customer_type_prices"
    )]
    ResidentialTypePrice { at: String },
    #[error("{at}: customer type {customer_type} already has {what}")]
    DuplicateCustomerType {
        at: String,
        customer_type: CustomerType,
        what: &'static str,
    },
    #[error("{at}: amount {amount} must not be negative")]
    NegativeAmount { at: String, amount: Money },
    #[error("{at}: rate_per_day {rate} is above 1 (100 % a day)")]
    LateFeeRate { at: String, rate: String },
    #[error("{at}: a second late-fee rule for every customer type (customer_types empty)")]
    DuplicateDefaultLateFee { at: String },
    #[error("{at}: minimum {minimum} is above cap {cap}")]
    MinimumAboveCap {
        at: String,
        minimum: Money,
        cap: Money,
    },
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn identifier(at: impl Fn() -> String, value: &str) -> Result<(), TariffError> {
    if is_identifier(value) {
        Ok(())
    } else {
        Err(TariffError::BadIdentifier {
            at: at(),
            value: value.to_owned(),
        })
    }
}

fn not_negative(at: impl Fn() -> String, amount: Money) -> Result<(), TariffError> {
    if amount.is_negative() {
        Err(TariffError::NegativeAmount { at: at(), amount })
    } else {
        Ok(())
    }
}

impl Tariff {
    /// Parses a TOML tariff file and validates it.
    pub fn from_toml(text: &str) -> Result<Tariff, TariffError> {
        let tariff: Tariff =
            toml::from_str(text).map_err(|error| TariffError::Toml(error.to_string()))?;
        tariff.validate()?;
        Ok(tariff)
    }

    /// The tariff as a TOML file (the format of docs/tariff-format.md).
    pub fn to_toml(&self) -> Result<String, TariffError> {
        toml::to_string(self).map_err(|error| TariffError::TomlWrite(error.to_string()))
    }

    /// Every rule a tariff must follow before it can price anything.
    pub fn validate(&self) -> Result<(), TariffError> {
        identifier(|| "code".to_owned(), &self.code)?;
        if self.name.trim().is_empty() {
            return Err(TariffError::Empty {
                at: "name".to_owned(),
            });
        }
        if self.versions.is_empty() {
            return Err(TariffError::NoVersions {
                code: self.code.clone(),
            });
        }
        for (index, pair) in self.versions.windows(2).enumerate() {
            if pair[1].effective_from <= pair[0].effective_from {
                return Err(TariffError::VersionsOutOfOrder {
                    index: index + 1,
                    date: pair[1].effective_from,
                    previous: pair[0].effective_from,
                });
            }
        }
        for (index, version) in self.versions.iter().enumerate() {
            let at = format!("versions[{index}] ({})", version.effective_from);
            validate_version(&at, version)?;
        }
        Ok(())
    }
}

fn validate_version(at: &str, version: &TariffVersion) -> Result<(), TariffError> {
    let cycle = version.cycle;
    if !super::model::Cycle::MONTHS_ALLOWED.contains(&cycle.months) {
        return Err(TariffError::CycleMonths {
            at: format!("{at}.cycle.months"),
            months: cycle.months,
        });
    }
    if !(1..=12).contains(&cycle.start_month) {
        return Err(TariffError::CycleStartMonth {
            at: format!("{at}.cycle.start_month"),
            month: cycle.start_month,
        });
    }
    if version.vat_rate.as_decimal() >= rust_decimal::Decimal::ONE {
        return Err(TariffError::VatRate {
            at: format!("{at}.vat_rate"),
            rate: version.vat_rate.to_string(),
        });
    }
    if let Some(minimum) = version.minimum_charge {
        not_negative(|| format!("{at}.minimum_charge"), minimum)?;
    }
    validate_seasons(at, version)?;
    let season_names: Vec<&str> = version.seasons.iter().map(|s| s.name.as_str()).collect();

    for (index, table) in version.tier_tables.iter().enumerate() {
        let table_at = format!("{at}.tier_tables[{index}]");
        validate_tier_table(&table_at, table, &season_names)?;
        for purpose in &table.purposes {
            if let Some(first) = version.tier_tables[..index]
                .iter()
                .position(|other| other.purposes.contains(purpose))
            {
                return Err(TariffError::DuplicatePurpose {
                    at: format!("{table_at}.purposes"),
                    purpose: purpose.clone(),
                    first,
                });
            }
        }
    }

    for (index, class) in version.flat_classes.iter().enumerate() {
        let class_at = format!("{at}.flat_classes[{index}]");
        identifier(|| format!("{class_at}.code"), &class.code)?;
        if version.flat_classes[..index]
            .iter()
            .any(|other| other.code == class.code)
        {
            return Err(TariffError::DuplicateFlatClass {
                at: class_at,
                code: class.code.clone(),
            });
        }
        validate_seasonal_price(&class_at, class, &season_names)?;
    }

    for (index, entry) in version.customer_type_prices.iter().enumerate() {
        let entry_at = format!("{at}.customer_type_prices[{index}]");
        if entry.customer_type == CustomerType::Residential {
            return Err(TariffError::ResidentialTypePrice { at: entry_at });
        }
        if version.customer_type_prices[..index]
            .iter()
            .any(|other| other.customer_type == entry.customer_type)
        {
            return Err(TariffError::DuplicateCustomerType {
                at: entry_at,
                customer_type: entry.customer_type,
                what: "a price",
            });
        }
        validate_seasonal_price(&entry_at, entry, &season_names)?;
    }

    for (index, charge) in version.fixed_charges.iter().enumerate() {
        let charge_at = format!("{at}.fixed_charges[{index}]");
        if charge.name.trim().is_empty() {
            return Err(TariffError::Empty {
                at: format!("{charge_at}.name"),
            });
        }
        not_negative(|| format!("{charge_at}.amount"), charge.amount)?;
    }

    for (index, rule) in version.late_fees.iter().enumerate() {
        let rule_at = format!("{at}.late_fees[{index}]");
        if rule.rate_per_day.as_decimal() > rust_decimal::Decimal::ONE {
            return Err(TariffError::LateFeeRate {
                at: format!("{rule_at}.rate_per_day"),
                rate: rule.rate_per_day.to_string(),
            });
        }
        for (name, amount) in [("minimum", rule.minimum), ("cap", rule.cap)] {
            if let Some(amount) = amount {
                not_negative(|| format!("{rule_at}.{name}"), amount)?;
            }
        }
        if let (Some(minimum), Some(cap)) = (rule.minimum, rule.cap)
            && minimum > cap
        {
            return Err(TariffError::MinimumAboveCap {
                at: rule_at,
                minimum,
                cap,
            });
        }
        let earlier = &version.late_fees[..index];
        if rule.customer_types.is_empty() {
            if earlier.iter().any(|other| other.customer_types.is_empty()) {
                return Err(TariffError::DuplicateDefaultLateFee { at: rule_at });
            }
        } else if let Some(customer_type) = rule.customer_types.iter().copied().find(|kind| {
            earlier
                .iter()
                .any(|other| other.customer_types.contains(kind))
                || rule.customer_types.iter().filter(|k| *k == kind).count() > 1
        }) {
            return Err(TariffError::DuplicateCustomerType {
                at: format!("{rule_at}.customer_types"),
                customer_type,
                what: "a late-fee rule",
            });
        }
    }
    Ok(())
}

fn validate_seasons(at: &str, version: &TariffVersion) -> Result<(), TariffError> {
    for (index, season) in version.seasons.iter().enumerate() {
        identifier(|| format!("{at}.seasons[{index}].name"), &season.name)?;
        if version.seasons[..index]
            .iter()
            .any(|other| other.name == season.name)
        {
            return Err(TariffError::DuplicateSeason {
                at: format!("{at}.seasons[{index}]"),
                name: season.name.clone(),
            });
        }
    }
    if version.seasons.is_empty() {
        return Ok(());
    }
    for day in MonthDay::every_day() {
        let mut holders = version.seasons.iter().filter(|s| s.contains(day));
        match (holders.next(), holders.next()) {
            (None, _) => {
                return Err(TariffError::SeasonGap {
                    at: format!("{at}.seasons"),
                    day,
                });
            }
            (Some(first), Some(second)) => {
                return Err(TariffError::SeasonsOverlap {
                    at: format!("{at}.seasons"),
                    day,
                    first: first.name.clone(),
                    second: second.name.clone(),
                });
            }
            (Some(_), None) => {}
        }
    }
    Ok(())
}

fn known_seasons(season_names: &[&str]) -> String {
    if season_names.is_empty() {
        "none".to_owned()
    } else {
        season_names.join(", ")
    }
}

fn check_season_entries<'a>(
    at: &str,
    entries: impl Iterator<Item = &'a str>,
    season_names: &[&str],
) -> Result<(), TariffError> {
    let mut seen: Vec<&str> = Vec::new();
    for (index, season) in entries.enumerate() {
        if !season_names.contains(&season) {
            return Err(TariffError::UnknownSeason {
                at: format!("{at}.by_season[{index}]"),
                season: season.to_owned(),
                known: known_seasons(season_names),
            });
        }
        if seen.contains(&season) {
            return Err(TariffError::DuplicateSeasonEntry {
                at: format!("{at}.by_season[{index}]"),
                season: season.to_owned(),
            });
        }
        seen.push(season);
    }
    Ok(())
}

/// The seasons a price must be known for: each named season, or "all year" without seasons.
fn seasons_to_cover<'a>(season_names: &[&'a str]) -> Vec<Option<&'a str>> {
    if season_names.is_empty() {
        vec![None]
    } else {
        season_names.iter().map(|name| Some(*name)).collect()
    }
}

fn season_text(season: Option<&str>) -> String {
    season.map_or_else(|| "the whole year".to_owned(), |s| format!("season '{s}'"))
}

fn validate_tier_table(
    at: &str,
    table: &TierTable,
    season_names: &[&str],
) -> Result<(), TariffError> {
    if table.purposes.is_empty() {
        return Err(TariffError::Empty {
            at: format!("{at}.purposes"),
        });
    }
    for (index, purpose) in table.purposes.iter().enumerate() {
        identifier(|| format!("{at}.purposes[{index}]"), purpose)?;
    }
    check_season_entries(
        at,
        table.by_season.iter().map(|s| s.season.as_str()),
        season_names,
    )?;
    let lists = std::iter::once((at.to_owned(), &table.boundaries_m3, &table.prices)).chain(
        table.by_season.iter().enumerate().map(|(index, s)| {
            (
                format!("{at}.by_season[{index}]"),
                &s.boundaries_m3,
                &s.prices,
            )
        }),
    );
    for (list_at, boundaries, prices) in lists {
        if let Some(boundaries) = boundaries {
            validate_boundaries(&format!("{list_at}.boundaries_m3"), boundaries)?;
        }
        if let Some(prices) = prices {
            validate_tier_prices(&format!("{list_at}.prices"), prices)?;
        }
    }
    for season in seasons_to_cover(season_names) {
        let seasonal = season.and_then(|name| table.by_season.iter().find(|s| s.season == name));
        let boundaries = seasonal
            .and_then(|s| s.boundaries_m3.as_ref())
            .or(table.boundaries_m3.as_ref());
        let prices = seasonal
            .and_then(|s| s.prices.as_ref())
            .or(table.prices.as_ref());
        let (boundaries, prices) = match (boundaries, prices) {
            (None, _) => {
                return Err(TariffError::MissingTiers {
                    at: at.to_owned(),
                    what: "boundaries_m3",
                    season: season_text(season),
                });
            }
            (_, None) => {
                return Err(TariffError::MissingTiers {
                    at: at.to_owned(),
                    what: "prices",
                    season: season_text(season),
                });
            }
            (Some(boundaries), Some(prices)) => (boundaries, prices),
        };
        if prices.len() != boundaries.len() + 1 {
            return Err(TariffError::PriceCount {
                at: match (season, seasonal) {
                    (Some(name), Some(_)) => format!("{at} (season '{name}')"),
                    _ => at.to_owned(),
                },
                boundaries: boundaries.len(),
                tiers: boundaries.len() + 1,
                prices: prices.len(),
            });
        }
    }
    for (index, step) in table.household_uplift.iter().enumerate() {
        let step_at = format!("{at}.household_uplift[{index}]");
        if step.from_household_size == 0 {
            return Err(TariffError::UpliftSize { at: step_at });
        }
        if table.household_uplift[..index]
            .iter()
            .any(|other| other.from_household_size == step.from_household_size)
        {
            return Err(TariffError::DuplicateUplift {
                at: step_at,
                size: step.from_household_size,
            });
        }
    }
    Ok(())
}

fn validate_boundaries(at: &str, boundaries: &[Volume]) -> Result<(), TariffError> {
    for (index, boundary) in boundaries.iter().enumerate() {
        if boundary.is_zero() {
            return Err(TariffError::BoundaryNotPositive {
                at: format!("{at}[{index}]"),
                value: *boundary,
            });
        }
        if index > 0 && boundaries[index - 1] >= *boundary {
            return Err(TariffError::BoundariesNotAscending {
                at: format!("{at}[{index}]"),
                previous: boundaries[index - 1],
                next: *boundary,
            });
        }
    }
    Ok(())
}

fn validate_tier_prices(at: &str, prices: &[UnitPrice]) -> Result<(), TariffError> {
    for (index, price) in prices.iter().enumerate() {
        if price.is_zero() {
            return Err(TariffError::PriceNotPositive {
                at: format!("{at}[{index}]"),
            });
        }
        if index > 0 && prices[index - 1] > *price {
            return Err(TariffError::PricesFall {
                at: format!("{at}[{index}]"),
                tier: index + 1,
                price: *price,
                previous_tier: index,
                previous: prices[index - 1],
            });
        }
    }
    Ok(())
}

fn validate_seasonal_price(
    at: &str,
    entry: &impl SeasonalPrice,
    season_names: &[&str],
) -> Result<(), TariffError> {
    check_season_entries(
        at,
        entry.seasonal_prices().iter().map(|s| s.season.as_str()),
        season_names,
    )?;
    if entry.base_price().is_some_and(UnitPrice::is_zero) {
        return Err(TariffError::PriceNotPositive {
            at: format!("{at}.price"),
        });
    }
    for (index, seasonal) in entry.seasonal_prices().iter().enumerate() {
        if seasonal.price.is_zero() {
            return Err(TariffError::PriceNotPositive {
                at: format!("{at}.by_season[{index}].price"),
            });
        }
    }
    for season in seasons_to_cover(season_names) {
        if entry.price_for(season).is_none() {
            return Err(TariffError::MissingPrice {
                at: at.to_owned(),
                season: season_text(season),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const BASE: &str = r#"
code = "test-city"
name = "Test city"

[[versions]]
effective_from = "2024-01-01"

[versions.cycle]
months = 12

[[versions.seasons]]
name = "summer"
from = "05-01"
to = "10-31"

[[versions.seasons]]
name = "winter"
from = "11-01"
to = "04-30"

[[versions.tier_tables]]
purposes = ["cooking"]
boundaries_m3 = ["350", "500"]
prices = ["2.61", "2.83", "4.23"]

[[versions.flat_classes]]
code = "school"
price = "3.05"
"#;

    fn load(text: &str) -> Result<Tariff, TariffError> {
        Tariff::from_toml(text)
    }

    fn with(from: &str, to: &str) -> Result<Tariff, TariffError> {
        assert!(BASE.contains(from), "{from}");
        load(&BASE.replacen(from, to, 1))
    }

    fn message(result: Result<Tariff, TariffError>) -> String {
        result.unwrap_err().to_string()
    }

    /// The full example of docs/tariff-format.md is a valid tariff that round-trips.
    #[test]
    fn the_documented_example_is_valid() {
        let doc = include_str!("../../../docs/tariff-format.md");
        let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
        let end = start + doc[start..].find("```").unwrap();
        let tariff = load(&doc[start..end]).unwrap();
        let version = &tariff.versions[0];
        assert_eq!(
            version.tier_tables[0].prices.as_ref().map(Vec::len),
            Some(4)
        );
        assert_eq!(version.late_fees.len(), 2);
        assert_eq!(
            Tariff::from_toml(&tariff.to_toml().unwrap()),
            Ok(tariff.clone())
        );
        // And it prices: a 5-person household, 1000 m³ in January (peak; boundaries 450/750/1050):
        // 450 × 2.60 = 1170.00; 300 × 2.86 = 858.00; 250 × 3.12 = 780.00; fixed 2.00. 2810.00.
        use super::super::{AccountAttributes, Consumption, Volume, quote};
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
        let bill = quote(
            &tariff,
            &AccountAttributes::residential("cooking", 5),
            &Consumption {
                volume: Volume::from_m3(1000),
                from: day,
                to: day,
                cycle_to_date: Volume::ZERO,
            },
        )
        .unwrap();
        assert_eq!(bill.total.to_string(), "2810.00");
        assert_eq!(bill.notes.len(), 2);
    }

    #[test]
    fn the_base_is_valid_with_defaults() {
        let tariff = load(BASE).unwrap();
        let version = &tariff.versions[0];
        assert_eq!(version.vat_rate.to_string(), "0.09");
        assert_eq!(version.cycle.start_month, 1);
        assert!(!version.price_change_resets_cycle);
        assert!(!version.low_income_pinned_to_tier1);
        assert_eq!(
            version.ic_card_allowance,
            super::super::IcCardAllowance::WholeCycle
        );
    }

    #[test]
    fn floats_are_refused_integers_and_native_dates_accepted() {
        let error = message(with(
            r#"prices = ["2.61", "2.83", "4.23"]"#,
            r#"prices = [2.61, "2.83", "4.23"]"#,
        ));
        assert!(
            error.contains("the float 2.61 is lossy; write the decimal as a string, e.g. \"2.61\""),
            "{error}"
        );
        assert!(error.contains("prices"), "names the field: {error}");
        let tariff = with(
            r#"prices = ["2.61", "2.83", "4.23"]"#,
            r#"prices = [3, 4, 5]"#,
        )
        .unwrap();
        assert_eq!(
            tariff.versions[0].tier_tables[0].prices.as_ref().unwrap()[0].to_string(),
            "3.00"
        );
        let tariff = with(
            r#"effective_from = "2024-01-01""#,
            "effective_from = 2024-01-01",
        )
        .unwrap();
        assert_eq!(tariff.versions[0].effective_from.to_string(), "2024-01-01");
        let error = message(with(
            r#"effective_from = "2024-01-01""#,
            r#"effective_from = "2024-13-01""#,
        ));
        assert!(
            error.contains("'2024-13-01' is not a date written YYYY-MM-DD"),
            "{error}"
        );
    }

    #[test]
    fn unknown_fields_and_bad_decimals_are_named() {
        let error = message(with("boundaries_m3 =", "boundries_m3 ="));
        assert!(error.contains("unknown field `boundries_m3`"), "{error}");
        let error = message(with(r#""350", "500""#, r#""350", "500.0001""#));
        assert!(
            error.contains("'500.0001' has more than 3 decimal places"),
            "{error}"
        );
        let error = message(with(r#""2.61", "2.83""#, r#""-2.61", "2.83""#));
        assert!(
            error.contains("unit price '-2.61' must not be negative"),
            "{error}"
        );
    }

    #[test]
    fn tiers() {
        assert_eq!(
            message(with(r#""350", "500""#, r#""500", "350""#)),
            "versions[0] (2024-01-01).tier_tables[0].boundaries_m3[1]: boundaries must rise: 350.000 m³ follows 500.000 m³"
        );
        assert_eq!(
            message(with(r#""350", "500""#, r#""0", "500""#)),
            "versions[0] (2024-01-01).tier_tables[0].boundaries_m3[0]: boundary 0.000 m³ must be above zero"
        );
        assert_eq!(
            message(with(r#""2.61", "2.83", "4.23""#, r#""2.61", "2.83""#)),
            "versions[0] (2024-01-01).tier_tables[0]: 2 boundaries make 3 tiers, so 3 prices are needed, not 2"
        );
        assert_eq!(
            message(with(
                r#""2.61", "2.83", "4.23""#,
                r#""2.61", "2.83", "2.70""#
            )),
            "versions[0] (2024-01-01).tier_tables[0].prices[2]: tier 3 costs 2.70, less than tier 2 at 2.83; tier prices must not fall"
        );
        assert_eq!(
            message(with(r#""2.61", "2.83", "4.23""#, r#""0", "2.83", "4.23""#)),
            "versions[0] (2024-01-01).tier_tables[0].prices[0]: unit price must be above zero"
        );
        // Four and more tiers are fine.
        with(
            r#"boundaries_m3 = ["350", "500"]
prices = ["2.61", "2.83", "4.23"]"#,
            r#"boundaries_m3 = ["100", "350", "500", "800"]
prices = ["2.00", "2.61", "2.83", "4.23", "5.00"]"#,
        )
        .unwrap();
        assert_eq!(
            message(with(
                r#"purposes = ["cooking"]"#,
                r#"purposes = ["Cooking"]"#
            )),
            "versions[0] (2024-01-01).tier_tables[0].purposes[0]: 'Cooking' must be lower-case letters, digits, '-' or '_'"
        );
        let twice = format!(
            "{BASE}\n[[versions.tier_tables]]\npurposes = [\"heating\", \"cooking\"]\nboundaries_m3 = []\nprices = [\"3\"]\n"
        );
        assert_eq!(
            message(load(&twice)),
            "versions[0] (2024-01-01).tier_tables[1].purposes: purpose 'cooking' is already billed by tier_tables[0]"
        );
    }

    #[test]
    fn seasons_cover_the_year_once() {
        assert_eq!(
            message(with(r#"to = "04-30""#, r#"to = "04-29""#)),
            "versions[0] (2024-01-01).seasons: 04-30 is in no season (seasons must cover the whole year)"
        );
        assert_eq!(
            message(with(r#"to = "04-30""#, r#"to = "05-02""#)),
            "versions[0] (2024-01-01).seasons: 05-01 is in both season 'summer' and season 'winter'"
        );
        let error = message(with(r#"from = "05-01""#, r#"from = "02-29""#));
        assert!(
            error.contains("02-29 cannot start or end a season"),
            "{error}"
        );
        let seasonal = format!(
            "{BASE}\n[[versions.tier_tables.by_season]]\nseason = \"spring\"\nprices = [\"1\", \"2\", \"3\"]\n"
        );
        assert_eq!(
            message(load(&seasonal)),
            "versions[0] (2024-01-01).tier_tables[0].by_season[0]: unknown season 'spring' (seasons of this version: summer, winter)"
        );
        // Seasonal boundaries without table-wide ones must cover every season.
        let partial = BASE.replace(r#"boundaries_m3 = ["350", "500"]"#, "")
            + "\n[[versions.tier_tables.by_season]]\nseason = \"summer\"\nboundaries_m3 = [\"30\", \"35\"]\n";
        assert_eq!(
            message(load(&partial)),
            "versions[0] (2024-01-01).tier_tables[0]: no boundaries_m3 for season 'winter'; give the table's own boundaries_m3 or a by_season entry"
        );
    }

    #[test]
    fn versions_cycles_and_rates() {
        let second = BASE.replace(
            "[[versions]]\neffective_from = \"2024-01-01\"",
            "[[versions]]\neffective_from = \"2023-01-01\"",
        );
        let two = format!("{BASE}{}", &second[second.find("[[versions]]").unwrap()..]);
        assert_eq!(
            message(load(&two)),
            "versions[1]: effective_from 2023-01-01 must be later than the previous version's 2024-01-01 (versions are listed in date order, one per date)"
        );
        assert_eq!(
            message(with("months = 12", "months = 5")),
            "versions[0] (2024-01-01).cycle.months: cycle months must be 1, 2, 3, 4, 6 or 12 (cycles tile the calendar year), not 5"
        );
        assert_eq!(
            message(with("months = 12", "months = 12\nstart_month = 13")),
            "versions[0] (2024-01-01).cycle.start_month: cycle start_month must be 1 to 12, not 13"
        );
        assert_eq!(
            message(with(
                "[versions.cycle]",
                "vat_rate = \"9\"\n\n[versions.cycle]"
            )),
            "versions[0] (2024-01-01).vat_rate: VAT rate 9 must be below 1 (write \"0.09\" for 9 %)"
        );
        assert_eq!(
            message(with("code = \"test-city\"", "code = \"Test City\"")),
            "code: 'Test City' must be lower-case letters, digits, '-' or '_'"
        );
        let none = "code = \"x\"\nname = \"X\"\nversions = []\n";
        assert_eq!(
            message(load(none)),
            "tariff 'x' has no versions; add at least one [[versions]]"
        );
    }

    #[test]
    fn prices_by_customer_type_class_and_late_fees() {
        let residential = format!(
            "{BASE}\n[[versions.customer_type_prices]]\ncustomer_type = \"residential\"\nprice = \"3\"\n"
        );
        assert_eq!(
            message(load(&residential)),
            "versions[0] (2024-01-01).customer_type_prices[0]: residential accounts are priced by tier_tables (or a flat class), not by customer_type_prices"
        );
        let seasonal_gap = format!(
            "{BASE}\n[[versions.customer_type_prices]]\ncustomer_type = \"commercial\"\n\n[[versions.customer_type_prices.by_season]]\nseason = \"summer\"\nprice = \"4\"\n"
        );
        assert_eq!(
            message(load(&seasonal_gap)),
            "versions[0] (2024-01-01).customer_type_prices[0]: no price for season 'winter'; give price or a by_season entry for every season"
        );
        let twice =
            format!("{BASE}\n[[versions.flat_classes]]\ncode = \"school\"\nprice = \"3\"\n");
        assert_eq!(
            message(load(&twice)),
            "versions[0] (2024-01-01).flat_classes[1]: flat class 'school' is defined twice"
        );
        let fees = format!(
            "{BASE}\n[[versions.late_fees]]\nrate_per_day = \"0.001\"\nminimum = \"1.00\"\n\n[[versions.late_fees]]\ncustomer_types = [\"commercial\"]\nrate_per_day = \"0.003\"\n\n[[versions.late_fees]]\ncustomer_types = [\"industrial\", \"commercial\"]\nrate_per_day = \"0.003\"\n"
        );
        assert_eq!(
            message(load(&fees)),
            "versions[0] (2024-01-01).late_fees[2].customer_types: customer type commercial already has a late-fee rule"
        );
        let cap = format!(
            "{BASE}\n[[versions.late_fees]]\nrate_per_day = \"0.001\"\nminimum = \"5.00\"\ncap = \"1.00\"\n"
        );
        assert_eq!(
            message(load(&cap)),
            "versions[0] (2024-01-01).late_fees[0]: minimum 5.00 is above cap 1.00"
        );
        let rate = format!("{BASE}\n[[versions.late_fees]]\nrate_per_day = \"1.5\"\n");
        assert_eq!(
            message(load(&rate)),
            "versions[0] (2024-01-01).late_fees[0].rate_per_day: rate_per_day 1.5 is above 1 (100 % a day)"
        );
        let fixed =
            format!("{BASE}\n[[versions.fixed_charges]]\nname = \"meter\"\namount = \"-2.00\"\n");
        assert_eq!(
            message(load(&fixed)),
            "versions[0] (2024-01-01).fixed_charges[0].amount: amount -2.00 must not be negative"
        );
        // A valid set: the late-fee rule per customer type falls back to the general one.
        let ok = format!(
            "{BASE}\n[[versions.late_fees]]\nrate_per_day = \"0.001\"\n\n[[versions.late_fees]]\ncustomer_types = [\"commercial\", \"industrial\"]\nrate_per_day = \"0.003\"\n"
        );
        let tariff = load(&ok).unwrap();
        let version = &tariff.versions[0];
        use super::super::CustomerType;
        assert_eq!(
            version
                .late_fee_rule(CustomerType::Industrial)
                .map(|r| r.rate_per_day.to_string()),
            Some("0.003".into())
        );
        assert_eq!(
            version
                .late_fee_rule(CustomerType::Residential)
                .map(|r| r.rate_per_day.to_string()),
            Some("0.001".into())
        );
    }
}

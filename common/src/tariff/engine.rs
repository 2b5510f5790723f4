//! Pricing a consumption: pure functions from (tariff, account, consumption) to bill lines.
//! The rounding rule is in the module doc of `tariff` (and docs/tariff-format.md).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::model::{SeasonalPrice, Tariff, TariffVersion, TierTable};
use super::units::{CustomerType, Rate, UnitPrice, Volume, date_serde, money_serde, round_to_fen};
use super::validate::TariffError;
use crate::Money;

/// At most this many days are priced in one call (a longer period is a data error).
pub const MAX_PERIOD_DAYS: i64 = 3660;

/// What the tariff needs to know about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAttributes {
    pub customer_type: CustomerType,
    /// Gas-use purpose, the key of the tier tables ("cooking", "heating"…).
    pub purpose: String,
    /// People in the household (人口数), for household uplifts.
    pub household_size: u32,
    /// Low-income household (低保).
    pub low_income: bool,
    /// A flat class code ("school"…): billed at that class's price whatever the volume.
    pub flat_class: Option<String>,
}

impl AccountAttributes {
    /// A residential household of `household_size` using gas for `purpose`.
    pub fn residential(purpose: &str, household_size: u32) -> AccountAttributes {
        AccountAttributes {
            customer_type: CustomerType::Residential,
            purpose: purpose.to_owned(),
            household_size,
            low_income: false,
            flat_class: None,
        }
    }
}

/// A metered consumption to price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumption {
    pub volume: Volume,
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period, inclusive.
    pub to: NaiveDate,
    /// Volume already billed in the tier cycle that contains `from`, before this period.
    pub cycle_to_date: Volume,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Volume in one tier of a tier table.
    Tier,
    /// Volume at a flat price (flat class or non-residential customer type).
    Flat,
    FixedCharge,
    /// The difference up to the version's minimum charge.
    MinimumTopUp,
}

impl LineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LineKind::Tier => "tier",
            LineKind::Flat => "flat",
            LineKind::FixedCharge => "fixed_charge",
            LineKind::MinimumTopUp => "minimum_top_up",
        }
    }
}

/// One line of a bill. Volume lines cover one segment; charges cover the whole period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillLine {
    pub kind: LineKind,
    /// 1-based tier number of `Tier` lines.
    pub tier: Option<u32>,
    pub season: Option<String>,
    /// Flat class code, customer type, or fixed charge name.
    pub name: Option<String>,
    pub volume: Volume,
    pub unit_price: Option<UnitPrice>,
    #[serde(with = "money_serde")]
    pub amount: Money,
    #[serde(with = "date_serde")]
    pub version_effective_from: NaiveDate,
    #[serde(with = "date_serde")]
    pub from: NaiveDate,
    #[serde(with = "date_serde")]
    pub to: NaiveDate,
    pub days: u32,
}

/// A stretch of the period with one price version, one tier cycle and one season.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    #[serde(with = "date_serde")]
    pub from: NaiveDate,
    #[serde(with = "date_serde")]
    pub to: NaiveDate,
    pub days: u32,
    /// The consumption's share, by days (see the rounding rule).
    pub volume: Volume,
    #[serde(with = "date_serde")]
    pub version_effective_from: NaiveDate,
    pub season: Option<String>,
    /// First day of the tier cycle (tiered accounts only).
    pub cycle_start: Option<NaiveDate>,
    /// Tier counter at the segment's start (tiered accounts only).
    pub cycle_to_date: Option<Volume>,
}

/// A tax-inclusive total split into net amount and VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VatSplit {
    pub rate: Rate,
    #[serde(with = "money_serde")]
    pub net: Money,
    #[serde(with = "money_serde")]
    pub tax: Money,
}

/// The priced consumption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub tariff_code: String,
    pub lines: Vec<BillLine>,
    pub segments: Vec<Segment>,
    /// Sum of the lines, tax included.
    #[serde(with = "money_serde")]
    pub total: Money,
    pub vat: VatSplit,
    /// Tier counter at the end of the period, this consumption included (tiered accounts).
    pub cycle_to_date_after: Option<Volume>,
    /// The tariff's notes and those of every version used.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error("the period ends on {to}, before it starts on {from}")]
    PeriodReversed { from: NaiveDate, to: NaiveDate },
    #[error("the period {from} to {to} has {days} days; at most {max} are priced at once", max = MAX_PERIOD_DAYS)]
    PeriodTooLong {
        from: NaiveDate,
        to: NaiveDate,
        days: i64,
    },
    #[error(
        "tariff '{code}' has no version in force on {date} (its first takes effect on {first})"
    )]
    NoVersion {
        code: String,
        date: NaiveDate,
        first: NaiveDate,
    },
    #[error(
        "tariff '{code}' version {version}: no tier table for purpose '{purpose}' (purposes: {known})"
    )]
    NoTierTable {
        code: String,
        version: NaiveDate,
        purpose: String,
        known: String,
    },
    #[error("tariff '{code}' version {version}: no flat class '{class}' (classes: {known})")]
    UnknownFlatClass {
        code: String,
        version: NaiveDate,
        class: String,
        known: String,
    },
    #[error(
        "tariff '{code}' version {version}: no price for customer type {customer_type} (priced types: {known})"
    )]
    NoCustomerTypePrice {
        code: String,
        version: NaiveDate,
        customer_type: CustomerType,
        known: String,
    },
    #[error("tariff '{code}' version {version}: no prices for {season}")]
    MissingPrices {
        code: String,
        version: NaiveDate,
        season: String,
    },
    #[error("{0} is outside the calendar this engine handles")]
    DateOutOfRange(NaiveDate),
    #[error("amounts out of range: {0}")]
    OutOfRange(String),
}

pub(crate) fn list_or_none<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// How one version prices the account.
#[derive(Clone, Copy)]
pub(crate) enum Basis<'a> {
    Tiers {
        table: &'a TierTable,
        /// Low-income account under a version that pins it to tier 1.
        pinned: bool,
    },
    Flat {
        price: &'a dyn SeasonalPrice,
        name: &'a str,
    },
}

impl Basis<'_> {
    pub(crate) fn uses_seasons(&self) -> bool {
        match self {
            Basis::Tiers { table, .. } => table.uses_seasons(),
            Basis::Flat { price, .. } => price.uses_seasons(),
        }
    }

    pub(crate) fn is_tiered(&self) -> bool {
        matches!(self, Basis::Tiers { .. })
    }
}

/// The flat class wins; then a non-residential customer type's price; else the purpose's tiers.
pub(crate) fn resolve_basis<'a>(
    code: &str,
    version: &'a TariffVersion,
    account: &'a AccountAttributes,
) -> Result<Basis<'a>, QuoteError> {
    if let Some(class) = &account.flat_class {
        let entry = version
            .flat_class(class)
            .ok_or_else(|| QuoteError::UnknownFlatClass {
                code: code.to_owned(),
                version: version.effective_from,
                class: class.clone(),
                known: list_or_none(version.flat_classes.iter().map(|c| c.code.as_str())),
            })?;
        return Ok(Basis::Flat {
            price: entry,
            name: &entry.code,
        });
    }
    if account.customer_type != CustomerType::Residential {
        let entry = version
            .customer_type_price(account.customer_type)
            .ok_or_else(|| QuoteError::NoCustomerTypePrice {
                code: code.to_owned(),
                version: version.effective_from,
                customer_type: account.customer_type,
                known: list_or_none(
                    version
                        .customer_type_prices
                        .iter()
                        .map(|p| p.customer_type.as_str()),
                ),
            })?;
        return Ok(Basis::Flat {
            price: entry,
            name: entry.customer_type.as_str(),
        });
    }
    let table =
        version
            .tier_table_for(&account.purpose)
            .ok_or_else(|| QuoteError::NoTierTable {
                code: code.to_owned(),
                version: version.effective_from,
                purpose: account.purpose.clone(),
                known: list_or_none(
                    version
                        .tier_tables
                        .iter()
                        .flat_map(|t| t.purposes.iter().map(String::as_str)),
                ),
            })?;
    Ok(Basis::Tiers {
        table,
        pinned: account.low_income && version.low_income_pinned_to_tier1,
    })
}

/// A part of a volume in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TierPiece {
    pub tier: u32,
    pub volume: Decimal,
    pub price: UnitPrice,
}

/// Splits `volume` consumed after `start` (the cycle counter) over the tiers. `boundaries` are
/// the ends of every tier but the last; `prices` has one more entry. None when they disagree.
pub(crate) fn walk_tiers(
    start: Decimal,
    volume: Decimal,
    boundaries: &[Decimal],
    prices: &[UnitPrice],
) -> Option<Vec<TierPiece>> {
    if prices.len() != boundaries.len() + 1 {
        return None;
    }
    let end = start + volume;
    let mut pieces = Vec::new();
    for (index, price) in prices.iter().enumerate() {
        let lower = if index == 0 {
            Decimal::ZERO
        } else {
            boundaries[index - 1]
        };
        let from = start.max(lower);
        let to = boundaries.get(index).map_or(end, |upper| end.min(*upper));
        if to > from {
            pieces.push(TierPiece {
                tier: u32::try_from(index + 1).ok()?,
                volume: to - from,
                price: *price,
            });
        }
    }
    Some(pieces)
}

/// Boundaries of `table` in `season` with the household uplift added, and the prices.
pub(crate) fn tiers_in_force<'a>(
    code: &str,
    version: &TariffVersion,
    table: &'a TierTable,
    season: Option<&str>,
    household_size: u32,
) -> Result<(Vec<Decimal>, &'a [UnitPrice]), QuoteError> {
    let (boundaries, prices) =
        table
            .tiers_for(season)
            .ok_or_else(|| QuoteError::MissingPrices {
                code: code.to_owned(),
                version: version.effective_from,
                season: season.map_or_else(|| "the whole year".into(), |s| format!("season '{s}'")),
            })?;
    let uplift = table.uplift_for(household_size).as_decimal();
    Ok((
        boundaries
            .iter()
            .map(|boundary| boundary.as_decimal() + uplift)
            .collect(),
        prices,
    ))
}

fn fen(value: Decimal) -> Result<Money, QuoteError> {
    round_to_fen(value).map_err(|error| QuoteError::OutOfRange(error.to_string()))
}

fn volume_of(value: Decimal) -> Result<Volume, QuoteError> {
    Volume::try_from_decimal(value).map_err(|error| QuoteError::OutOfRange(error.to_string()))
}

/// Net = tax-inclusive total / (1 + rate) rounded half-up to the fen; tax = total − net.
pub fn vat_split(total: Money, rate: Rate) -> Result<VatSplit, QuoteError> {
    let net = fen(total.as_decimal() / (Decimal::ONE + rate.as_decimal()))?;
    let tax = total
        .checked_sub(net)
        .ok_or_else(|| QuoteError::OutOfRange("VAT".into()))?;
    Ok(VatSplit { rate, net, tax })
}

/// Cuts `total` litres over `days` (in order) proportionally to the days, with cumulative
/// rounding half-up to the litre: share i = round(total × days up to i / all days) − the same
/// for i − 1. The shares sum exactly to the total.
pub fn allocate_by_days(total: Volume, days: &[u32]) -> Vec<Volume> {
    let all_days: i128 = days.iter().map(|d| i128::from(*d)).sum();
    let litres = total.litres();
    let mut cumulative_days = 0_i128;
    let mut allocated = 0_i128;
    days.iter()
        .map(|d| {
            cumulative_days += i128::from(*d);
            let cumulative = if all_days == 0 {
                litres
            } else {
                (2 * litres * cumulative_days + all_days) / (2 * all_days)
            };
            let share = cumulative - allocated;
            allocated = cumulative;
            Volume::from_litres(i64::try_from(share).unwrap_or(0))
        })
        .collect()
}

struct DayKey {
    version: usize,
    cycle_start: Option<NaiveDate>,
    season: Option<usize>,
}

impl DayKey {
    fn same(&self, other: &DayKey) -> bool {
        self.version == other.version
            && self.cycle_start == other.cycle_start
            && self.season == other.season
    }
}

/// Prices `consumption` for `account` under `tariff`.
///
/// The period is cut into segments at every price-version change, tier-cycle start (tiered
/// accounts) and season change (when the account's prices depend on the season); the volume is
/// shared over the segments by days. Each segment's volume is walked through the tiers from the
/// cycle counter. Fixed charges, the minimum charge and the VAT rate are those of the version in
/// force on the last day.
pub fn quote(
    tariff: &Tariff,
    account: &AccountAttributes,
    consumption: &Consumption,
) -> Result<Quote, QuoteError> {
    tariff.validate()?;
    let Consumption {
        volume,
        from,
        to,
        cycle_to_date,
    } = consumption.clone();
    if to < from {
        return Err(QuoteError::PeriodReversed { from, to });
    }
    let period_days = (to - from).num_days() + 1;
    if period_days > MAX_PERIOD_DAYS {
        return Err(QuoteError::PeriodTooLong {
            from,
            to,
            days: period_days,
        });
    }
    let no_version = |date: NaiveDate| QuoteError::NoVersion {
        code: tariff.code.clone(),
        date,
        first: tariff
            .versions
            .first()
            .map_or(date, |version| version.effective_from),
    };
    let first_version = tariff
        .version_index_at(from)
        .ok_or_else(|| no_version(from))?;

    // How each version in the period prices this account (resolved once per version).
    let mut bases: Vec<Option<Basis>> = vec![None; tariff.versions.len()];
    let mut keys: Vec<(NaiveDate, NaiveDate, DayKey)> = Vec::new();
    for day in from
        .iter_days()
        .take(usize::try_from(period_days).unwrap_or(0))
    {
        let index = tariff
            .version_index_at(day)
            .ok_or_else(|| no_version(day))?;
        let version = &tariff.versions[index];
        let basis = match bases[index] {
            Some(basis) => basis,
            None => {
                let basis = resolve_basis(&tariff.code, version, account)?;
                bases[index] = Some(basis);
                basis
            }
        };
        let cycle_start = if basis.is_tiered() {
            Some(
                version
                    .cycle
                    .start_of(day)
                    .ok_or(QuoteError::DateOutOfRange(day))?,
            )
        } else {
            None
        };
        let season = if basis.uses_seasons() {
            version
                .season_of(day)
                .and_then(|season| version.seasons.iter().position(|s| s.name == season.name))
        } else {
            None
        };
        let key = DayKey {
            version: index,
            cycle_start,
            season,
        };
        match keys.last_mut() {
            Some((_, last_day, last_key)) if last_key.same(&key) => *last_day = day,
            _ => keys.push((day, day, key)),
        }
    }

    let days: Vec<u32> = keys
        .iter()
        .map(|(first, last, _)| u32::try_from((*last - *first).num_days() + 1).unwrap_or(0))
        .collect();
    let shares = allocate_by_days(volume, &days);

    // The counter given by the caller belongs to the cycle containing `from`.
    let mut counter = cycle_to_date.as_decimal();
    let mut counter_cycle = tariff.versions[first_version].cycle.start_of(from);
    let mut counter_version = first_version;

    let mut lines = Vec::new();
    let mut segments = Vec::new();
    let mut notes: Vec<String> = tariff.notes.clone();
    let mut last_tiered_counter = None;
    for (((first, last, key), days), share) in keys.iter().zip(&days).zip(&shares) {
        let version = &tariff.versions[key.version];
        for note in &version.notes {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        let season = key
            .season
            .and_then(|index| version.seasons.get(index))
            .map(|s| s.name.clone());
        let basis = bases[key.version]
            .ok_or_else(|| QuoteError::OutOfRange("segment without prices".into()))?;
        let line = |kind, tier, name: Option<String>, volume, price: UnitPrice| {
            Ok::<_, QuoteError>(BillLine {
                kind,
                tier,
                season: season.clone(),
                name,
                volume: volume_of(volume)?,
                unit_price: Some(price),
                amount: fen(volume * price.as_decimal())?,
                version_effective_from: version.effective_from,
                from: *first,
                to: *last,
                days: *days,
            })
        };
        let mut segment = Segment {
            from: *first,
            to: *last,
            days: *days,
            volume: *share,
            version_effective_from: version.effective_from,
            season: season.clone(),
            cycle_start: key.cycle_start,
            cycle_to_date: None,
        };
        match basis {
            Basis::Tiers { table, pinned } => {
                let resets = key.version != counter_version && version.price_change_resets_cycle;
                if key.cycle_start != counter_cycle || resets {
                    counter = Decimal::ZERO;
                }
                counter_cycle = key.cycle_start;
                counter_version = key.version;
                segment.cycle_to_date = Some(volume_of(counter)?);
                let (boundaries, prices) = tiers_in_force(
                    &tariff.code,
                    version,
                    table,
                    season.as_deref(),
                    account.household_size,
                )?;
                let pieces = if pinned {
                    prices
                        .first()
                        .map(|price| {
                            vec![TierPiece {
                                tier: 1,
                                volume: share.as_decimal(),
                                price: *price,
                            }]
                        })
                        .unwrap_or_default()
                } else {
                    walk_tiers(counter, share.as_decimal(), &boundaries, prices).ok_or_else(
                        || QuoteError::MissingPrices {
                            code: tariff.code.clone(),
                            version: version.effective_from,
                            season: season.clone().unwrap_or_else(|| "the whole year".into()),
                        },
                    )?
                };
                for piece in pieces.into_iter().filter(|p| !p.volume.is_zero()) {
                    lines.push(line(
                        LineKind::Tier,
                        Some(piece.tier),
                        None,
                        piece.volume,
                        piece.price,
                    )?);
                }
                counter += share.as_decimal();
                last_tiered_counter = Some(volume_of(counter)?);
            }
            Basis::Flat { price, name } => {
                let unit_price = price.price_for(season.as_deref()).ok_or_else(|| {
                    QuoteError::MissingPrices {
                        code: tariff.code.clone(),
                        version: version.effective_from,
                        season: season.clone().unwrap_or_else(|| "the whole year".into()),
                    }
                })?;
                if !share.is_zero() {
                    lines.push(line(
                        LineKind::Flat,
                        None,
                        Some(name.to_owned()),
                        share.as_decimal(),
                        unit_price,
                    )?);
                }
            }
        }
        segments.push(segment);
    }

    // Charges of the version in force on the last day.
    let closing = tariff.version_at(to).ok_or_else(|| no_version(to))?;
    let charge_line = |kind, name: Option<String>, amount| BillLine {
        kind,
        tier: None,
        season: None,
        name,
        volume: Volume::ZERO,
        unit_price: None,
        amount,
        version_effective_from: closing.effective_from,
        from,
        to,
        days: u32::try_from(period_days).unwrap_or(0),
    };
    for charge in &closing.fixed_charges {
        if charge.applies_to(account.customer_type) {
            lines.push(charge_line(
                LineKind::FixedCharge,
                Some(charge.name.clone()),
                charge.amount,
            ));
        }
    }
    let subtotal = sum(&lines)?;
    if let Some(minimum) = closing.minimum_charge
        && subtotal < minimum
    {
        let top_up = minimum
            .checked_sub(subtotal)
            .ok_or_else(|| QuoteError::OutOfRange("minimum charge".into()))?;
        lines.push(charge_line(LineKind::MinimumTopUp, None, top_up));
    }
    let total = sum(&lines)?;
    let vat = vat_split(total, closing.vat_rate)?;
    Ok(Quote {
        tariff_code: tariff.code.clone(),
        lines,
        segments,
        total,
        vat,
        cycle_to_date_after: last_tiered_counter,
        notes,
    })
}

fn sum(lines: &[BillLine]) -> Result<Money, QuoteError> {
    lines.iter().try_fold(Money::ZERO, |total, line| {
        total
            .checked_add(line.amount)
            .ok_or_else(|| QuoteError::OutOfRange("bill total".into()))
    })
}

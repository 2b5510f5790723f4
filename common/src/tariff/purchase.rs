//! Pricing an IC-card gas purchase (购气): volume → amount or amount → volume across the tiers of
//! the cycle's cumulative purchases, with the account's money balance applied first.
//!
//! Rules:
//! - The version, season and tier table in force on the purchase date apply to the whole
//!   purchase; the tiers are walked from `cycle_purchases_to_date` (what was bought earlier in
//!   the cycle). Low-income pinning, flat classes and customer-type prices work as for bills.
//! - With `ic_card_allowance = "monthly"` every boundary (household uplift included) is
//!   boundary × months elapsed in the cycle (the current month counted) / cycle months,
//!   truncated to the litre.
//! - Each tier line's amount is volume × unit price rounded half-up to the fen; the amount is
//!   the sum of the lines (the same rule as bills).
//! - Amount → volume: the money offered is walked through the tiers exactly and the volume
//!   truncated to the litre; if the lines, each rounded to the fen, then cost more than offered,
//!   the volume steps down a litre at a time until they do not. So the volume is the largest
//!   whose cost is within the money both before and after rounding: one more litre would cost
//!   more than offered (exactly or rounded), and no money buys gas through rounding alone. The
//!   amount actually charged is returned; it never exceeds the money offered.
//! - The balance (if positive) pays first: balance used = min(balance, amount), cash due = amount
//!   − balance used. Arrears (a negative balance) are not touched here.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::AccountAttributes;
use super::engine::{Basis, QuoteError, TierPiece, resolve_basis, tiers_in_force, walk_tiers};
use super::model::{IcCardAllowance, Tariff};
use super::units::{UnitPrice, Volume, date_serde, money_serde, round_to_fen};
use crate::Money;

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseRequest {
    /// This much gas.
    Volume(Volume),
    /// As much gas as this money buys.
    Amount(Money),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseInput {
    pub date: NaiveDate,
    /// Volume bought earlier in the tier cycle containing `date`.
    pub cycle_purchases_to_date: Volume,
    /// The account's money balance (prepayment); a positive balance pays first.
    pub balance: Money,
    pub request: PurchaseRequest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseLine {
    pub tier: Option<u32>,
    /// Flat class or customer type of a flat-priced purchase.
    pub name: Option<String>,
    pub volume: Volume,
    pub unit_price: UnitPrice,
    #[serde(with = "money_serde")]
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purchase {
    pub tariff_code: String,
    #[serde(with = "date_serde")]
    pub version_effective_from: NaiveDate,
    pub season: Option<String>,
    /// Months of the cycle counted when the allowance grows monthly.
    pub allowance_months: Option<u32>,
    /// The tier boundaries the purchase was walked through (after uplift and allowance).
    pub boundaries_m3: Vec<Volume>,
    pub lines: Vec<PurchaseLine>,
    pub volume: Volume,
    /// What the gas costs, tax included (the sum of the lines).
    #[serde(with = "money_serde")]
    pub amount: Money,
    #[serde(with = "money_serde")]
    pub balance_used: Money,
    #[serde(with = "money_serde")]
    pub cash_due: Money,
    /// Cumulative purchases of the cycle after this one (tiered accounts).
    pub cycle_purchases_after: Option<Volume>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    #[error(transparent)]
    Pricing(#[from] QuoteError),
    #[error("the amount offered, {0}, must not be negative")]
    NegativeAmount(Money),
    #[error("a purchase of {0} m³ costs more than the largest amount this system holds")]
    TooLarge(Volume),
}

enum Schedule<'a> {
    Tiers {
        start: Decimal,
        boundaries: Vec<Decimal>,
        prices: &'a [UnitPrice],
        pinned: bool,
    },
    Flat {
        price: UnitPrice,
        name: String,
    },
}

impl Schedule<'_> {
    fn pieces(&self, volume: Decimal) -> Option<Vec<TierPiece>> {
        match self {
            Schedule::Tiers {
                start,
                boundaries,
                prices,
                pinned,
            } => {
                if *pinned {
                    let price = *prices.first()?;
                    Some(vec![TierPiece {
                        tier: 1,
                        volume,
                        price,
                    }])
                } else {
                    walk_tiers(*start, volume, boundaries, prices)
                }
            }
            Schedule::Flat { price, .. } => Some(vec![TierPiece {
                tier: 0,
                volume,
                price: *price,
            }]),
        }
    }

    /// The amount for `litres` (lines rounded to the fen) and the exact amount before rounding,
    /// or None when out of range.
    fn cost(&self, litres: i128) -> Option<(Money, Decimal)> {
        let volume = Decimal::try_from_i128_with_scale(litres, Volume::SCALE).ok()?;
        self.pieces(volume)?.iter().try_fold(
            (Money::ZERO, Decimal::ZERO),
            |(total, exact), piece| {
                let line = piece.volume.checked_mul(piece.price.as_decimal())?;
                Some((
                    total.checked_add(round_to_fen(line).ok()?)?,
                    exact.checked_add(line)?,
                ))
            },
        )
    }

    /// The exact (unrounded) volume `money` buys, walking the tiers.
    fn exact_volume(&self, money: Decimal) -> Decimal {
        let (start, boundaries, prices): (Decimal, &[Decimal], &[UnitPrice]) = match self {
            Schedule::Tiers {
                pinned: true,
                prices,
                ..
            } => (Decimal::ZERO, &[], &prices[..prices.len().min(1)]),
            Schedule::Tiers {
                start,
                boundaries,
                prices,
                ..
            } => (*start, boundaries, prices),
            Schedule::Flat { price, .. } => (Decimal::ZERO, &[], std::slice::from_ref(price)),
        };
        let mut remaining = money;
        let mut volume = Decimal::ZERO;
        for (index, price) in prices.iter().enumerate() {
            let lower = if index == 0 {
                Decimal::ZERO
            } else {
                boundaries.get(index - 1).copied().unwrap_or(Decimal::ZERO)
            };
            let from = start.max(lower);
            let capacity = boundaries.get(index).map(|upper| *upper - from);
            if capacity.is_some_and(|c| c <= Decimal::ZERO) {
                continue;
            }
            if price.is_zero() {
                continue;
            }
            let affordable = remaining / price.as_decimal();
            match capacity {
                Some(capacity) if capacity < affordable => {
                    volume += capacity;
                    remaining -= capacity * price.as_decimal();
                }
                _ => return volume + affordable,
            }
        }
        volume
    }
}

const MAX_LITRES: i128 = Volume::MAX_M3 as i128 * 1000;

/// The largest whole number of litres whose cost, exact and rounded, does not exceed `money`.
/// Both costs rise with the volume, so the litres that fit are 0..=answer: the exact inverse
/// gives a first estimate, then a galloping and binary search settles it.
fn litres_for(schedule: &Schedule, money: Money) -> i128 {
    let fits = |litres: i128| {
        schedule
            .cost(litres)
            .is_some_and(|(rounded, exact)| rounded <= money && exact <= money.as_decimal())
    };
    let estimate = schedule
        .exact_volume(money.as_decimal())
        .round_dp_with_strategy(Volume::SCALE, rust_decimal::RoundingStrategy::ToZero);
    let mut litres = estimate * Decimal::from(1000);
    litres.rescale(0);
    let estimate = litres.mantissa().clamp(0, MAX_LITRES);
    // Bracket the answer: `low` fits, `high` does not (or is past the largest volume).
    let (mut low, mut high);
    if fits(estimate) {
        low = estimate;
        let mut step = 1;
        loop {
            let candidate = low + step;
            if candidate > MAX_LITRES {
                high = MAX_LITRES + 1;
                break;
            }
            if fits(candidate) {
                low = candidate;
                step *= 2;
            } else {
                high = candidate;
                break;
            }
        }
    } else {
        high = estimate;
        let mut step = 1;
        loop {
            let candidate = (high - step).max(0);
            // Zero litres cost nothing, so this ends at the latest at zero.
            if fits(candidate) || candidate == 0 {
                low = candidate;
                break;
            }
            high = candidate;
            step *= 2;
        }
    }
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if fits(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// Prices an IC-card purchase for `account` under `tariff`.
pub fn price_purchase(
    tariff: &Tariff,
    account: &AccountAttributes,
    input: &PurchaseInput,
) -> Result<Purchase, PurchaseError> {
    tariff.validate().map_err(QuoteError::from)?;
    let date = input.date;
    let version = tariff
        .version_at(date)
        .ok_or_else(|| QuoteError::NoVersion {
            code: tariff.code.clone(),
            date,
            first: tariff.versions.first().map_or(date, |v| v.effective_from),
        })?;
    let basis = resolve_basis(&tariff.code, version, account)?;
    let season = if basis.uses_seasons() {
        version.season_of(date).map(|s| s.name.clone())
    } else {
        None
    };
    let mut allowance_months = None;
    let schedule = match basis {
        Basis::Tiers { table, pinned } => {
            let (mut boundaries, prices) = tiers_in_force(
                &tariff.code,
                version,
                table,
                season.as_deref(),
                account.household_size,
            )?;
            if version.ic_card_allowance == IcCardAllowance::Monthly {
                let elapsed = version
                    .cycle
                    .months_elapsed(date)
                    .ok_or(QuoteError::DateOutOfRange(date))?;
                allowance_months = Some(elapsed);
                for boundary in &mut boundaries {
                    *boundary = (*boundary * Decimal::from(elapsed)
                        / Decimal::from(version.cycle.months))
                    .round_dp_with_strategy(Volume::SCALE, rust_decimal::RoundingStrategy::ToZero);
                }
            }
            Schedule::Tiers {
                start: input.cycle_purchases_to_date.as_decimal(),
                boundaries,
                prices,
                pinned,
            }
        }
        Basis::Flat { price, name } => Schedule::Flat {
            price: price
                .price_for(season.as_deref())
                .ok_or_else(|| QuoteError::MissingPrices {
                    code: tariff.code.clone(),
                    version: version.effective_from,
                    season: season.clone().unwrap_or_else(|| "the whole year".into()),
                })?,
            name: name.to_owned(),
        },
    };

    let volume = match input.request {
        PurchaseRequest::Volume(volume) => volume,
        PurchaseRequest::Amount(money) => {
            if money.is_negative() {
                return Err(PurchaseError::NegativeAmount(money));
            }
            Volume::from_litres(i64::try_from(litres_for(&schedule, money)).unwrap_or(0))
        }
    };
    let pieces = schedule
        .pieces(volume.as_decimal())
        .ok_or_else(|| QuoteError::MissingPrices {
            code: tariff.code.clone(),
            version: version.effective_from,
            season: season.clone().unwrap_or_else(|| "the whole year".into()),
        })?;
    let mut lines = Vec::new();
    for piece in pieces.into_iter().filter(|p| !p.volume.is_zero()) {
        let (tier, name) = match &schedule {
            Schedule::Tiers { .. } => (Some(piece.tier), None),
            Schedule::Flat { name, .. } => (None, Some(name.clone())),
        };
        lines.push(PurchaseLine {
            tier,
            name,
            volume: Volume::try_from_decimal(piece.volume)
                .map_err(|_| PurchaseError::TooLarge(volume))?,
            unit_price: piece.price,
            amount: round_to_fen(piece.volume * piece.price.as_decimal())
                .map_err(|_| PurchaseError::TooLarge(volume))?,
        });
    }
    let amount = lines
        .iter()
        .try_fold(Money::ZERO, |total, line| total.checked_add(line.amount))
        .ok_or(PurchaseError::TooLarge(volume))?;
    let balance_used = if input.balance > Money::ZERO {
        input.balance.min(amount)
    } else {
        Money::ZERO
    };
    let cash_due = amount
        .checked_sub(balance_used)
        .ok_or(PurchaseError::TooLarge(volume))?;
    let (boundaries_m3, cycle_purchases_after) = match &schedule {
        Schedule::Tiers { boundaries, .. } => (
            boundaries
                .iter()
                .filter_map(|b| Volume::try_from_decimal(*b).ok())
                .collect(),
            input.cycle_purchases_to_date.checked_add(volume),
        ),
        Schedule::Flat { .. } => (Vec::new(), None),
    };
    let mut notes = tariff.notes.clone();
    notes.extend(version.notes.iter().cloned());
    Ok(Purchase {
        tariff_code: tariff.code.clone(),
        version_effective_from: version.effective_from,
        season,
        allowance_months,
        boundaries_m3,
        lines,
        volume,
        amount,
        balance_used,
        cash_due,
        cycle_purchases_after,
        notes,
    })
}

//! The tariff engine (气价方案): tariffs as data, and pure pricing of consumptions, IC-card
//! purchases and late fees. No I/O: presets are embedded, files are read by the caller.
//!
//! - `model` — the document: a tariff, its effective-dated versions (cycle, seasons, tier tables
//!   per purpose with seasonal boundaries and prices and household uplifts, flat classes,
//!   customer-type prices, fixed charges, minimum charge, VAT rate, late-fee rules, IC-card
//!   allowance). Serde for TOML files and the server's JSON. The file format is documented with
//!   a full example in `docs/tariff-format.md`.
//! - `validate` — the checks run on load and before every pricing, with errors that name the
//!   field.
//! - `engine` — [`quote`]: bill lines for a consumption over a period.
//! - `purchase` — [`price_purchase`]: IC-card purchase, volume ⇄ amount.
//! - `late_fee` — [`late_fee`](late_fee::late_fee).
//! - `presets` — the four cities of DOMAIN.md, from `assets/tariffs/`.
//!
//! # Rounding (the one rule)
//!
//! Volumes are exact to the litre (0.001 m³), unit prices to 0.0001 CNY, amounts to the fen.
//!
//! 1. **Segments.** The period (both ends inclusive) is cut at every price-version change, every
//!    tier-cycle start (tiered accounts) and every season change (when the account's prices
//!    depend on the season).
//! 2. **Volume by days.** Segment i gets round(V × Dᵢ / D) − round(V × Dᵢ₋₁ / D), where V is
//!    the consumption, D the days of the period, Dᵢ the days up to the end of segment i, and
//!    round is half-up to the litre. The segment volumes sum exactly to V.
//! 3. **Tiers.** A segment's volume is walked through the tiers from the cycle counter; the
//!    counter starts at the caller's cycle-to-date, returns to zero at each cycle start (and at a
//!    version with `price_change_resets_cycle`), and grows by each segment's volume. Tier
//!    volumes are exact (no rounding).
//! 4. **Lines.** Each line's amount = volume × unit price, rounded half-up to the fen.
//! 5. **Total** = the sum of the lines (volume lines, fixed charges, minimum top-up); nothing is
//!    rounded after the lines.
//! 6. **VAT.** Net = round(total / (1 + VAT rate)) half-up to the fen; tax = total − net.
//!
//! What this rule guarantees, and what it does not (each is a property test):
//! - lines sum to the total; segment volumes sum to the consumption; net + tax = total;
//! - each line can be checked by hand: volume × unit price, rounded;
//! - within one segment (e.g. a one-day quote) the total never falls as the volume rises;
//! - over a fixed period, a rise of a multiple of D litres raises every segment's volume, and the
//!   exact (unrounded) total never falls. The rounded total of the presets never falls either.
//!   But when one tier cycle spans two segments (a price change in mid-cycle, or seasonal tier
//!   tables), the later segment's counter moves up with the earlier segment's volume, shifting
//!   volume from a lower-tier line to a higher-tier line; each line rounds on its own, so the
//!   total can then come out one fen lower than for a little less gas (the test
//!   `a_fen_can_be_lost_to_rounding_across_a_mid_cycle_price_change` shows 26.16 -> 26.15 for 2
//!   litres more). The total stays within half a fen per line of the exact amount.
//! - a rise of a single litre can move a litre between neighbouring segments (step 2), so over
//!   several segments only rises that are multiples of D litres are compared.
//!
//! IC-card purchases use rules 3 and 4 on the purchase date; late fees round once, half-up
//! (see their modules).

mod engine;
pub mod late_fee;
mod model;
mod presets;
mod purchase;
mod units;
mod validate;

#[cfg(test)]
mod preset_tests;
#[cfg(test)]
mod properties;

pub use engine::{
    AccountAttributes, BillLine, Consumption, LineKind, MAX_PERIOD_DAYS, Quote, QuoteError,
    Segment, VatSplit, allocate_by_days, quote, vat_split,
};
pub use late_fee::{LateFeeError, chargeable_days, late_fee};
pub use model::{
    CustomerTypePrice, Cycle, FixedCharge, FlatClass, HouseholdUplift, IcCardAllowance,
    LateFeeRule, Season, SeasonPriceEntry, SeasonTiers, SeasonalPrice, Tariff, TariffVersion,
    TierTable,
};
pub use presets::{PresetError, PresetSource, preset, presets};
pub use purchase::{
    Purchase, PurchaseError, PurchaseInput, PurchaseLine, PurchaseRequest, price_purchase,
};
pub use units::{CustomerType, MonthDay, Rate, UnitError, UnitPrice, Volume};
pub use validate::TariffError;

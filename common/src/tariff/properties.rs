//! Property tests of the engine over the presets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, NaiveDate};
use proptest::prelude::*;

use super::preset_tests::{date, residential};
use super::*;
use crate::Money;

fn presets_parsed() -> Vec<Tariff> {
    presets()
        .iter()
        .map(|source| preset(source.code).unwrap())
        .collect()
}

/// Accounts of every kind the presets price (some presets lack some kinds; those are skipped).
fn account(kind: usize, household_size: u32) -> AccountAttributes {
    let mut account = residential("cooking", household_size);
    match kind {
        0 => {}
        1 => account.purpose = "heating".into(),
        2 => account.low_income = true,
        3 => account.customer_type = CustomerType::Commercial,
        4 => account.customer_type = CustomerType::PublicWelfare,
        _ => account.flat_class = Some("school".into()),
    }
    account
}

fn litres(value: i64) -> Volume {
    Volume::from_litres(value)
}

fn day(offset: u64) -> NaiveDate {
    date("2021-01-01")
        .checked_add_days(Days::new(offset))
        .unwrap()
}

/// Prices or skips when the preset has no price for this kind of account.
fn try_quote(
    tariff: &Tariff,
    account: &AccountAttributes,
    consumption: &Consumption,
) -> Option<Quote> {
    match quote(tariff, account, consumption) {
        Ok(quote) => Some(quote),
        Err(
            QuoteError::NoCustomerTypePrice { .. }
            | QuoteError::UnknownFlatClass { .. }
            | QuoteError::NoTierTable { .. },
        ) => None,
        Err(error) => panic!("{error}"),
    }
}

proptest! {
    #[test]
    fn lines_sum_to_the_total_and_segments_to_the_consumption(
        which in 0_usize..4,
        kind in 0_usize..6,
        household_size in 1_u32..8,
        start in 0_u64..1500,
        length in 0_u64..130,
        used in 0_i64..3_000_000,
        before in 0_i64..1_000_000,
    ) {
        let tariff = &presets_parsed()[which];
        let consumption = Consumption {
            volume: litres(used),
            from: day(start),
            to: day(start + length),
            cycle_to_date: litres(before),
        };
        let Some(quote) = try_quote(tariff, &account(kind, household_size), &consumption) else {
            return Ok(());
        };
        let sum = quote.lines.iter().try_fold(Money::ZERO, |t, l| t.checked_add(l.amount));
        prop_assert_eq!(sum, Some(quote.total));
        let segment_litres: i128 = quote.segments.iter().map(|s| s.volume.litres()).sum();
        prop_assert_eq!(segment_litres, i128::from(used));
        let days: u32 = quote.segments.iter().map(|s| s.days).sum();
        prop_assert_eq!(i64::from(days), i64::try_from(length).unwrap() + 1);
        // Volume lines sum to the consumption too.
        let line_litres: i128 = quote
            .lines
            .iter()
            .filter(|l| matches!(l.kind, LineKind::Tier | LineKind::Flat))
            .map(|l| l.volume.litres())
            .sum();
        prop_assert_eq!(line_litres, i128::from(used));
        // The VAT split adds up and is never negative.
        prop_assert_eq!(quote.vat.net.checked_add(quote.vat.tax), Some(quote.total));
        prop_assert!(!quote.vat.tax.is_negative() && !quote.vat.net.is_negative());
    }

    /// Within one segment (one day) the total never falls as the volume rises.
    #[test]
    fn total_never_falls_as_volume_rises_in_one_segment(
        which in 0_usize..4,
        kind in 0_usize..6,
        household_size in 1_u32..8,
        start in 0_u64..1500,
        used in 0_i64..3_000_000,
        more in 0_i64..200_000,
        before in 0_i64..1_000_000,
    ) {
        let tariff = &presets_parsed()[which];
        let account = account(kind, household_size);
        let at = |volume| Consumption {
            volume: litres(volume),
            from: day(start),
            to: day(start),
            cycle_to_date: litres(before),
        };
        let (Some(less), Some(plus)) = (
            try_quote(tariff, &account, &at(used)),
            try_quote(tariff, &account, &at(used + more)),
        ) else {
            return Ok(());
        };
        prop_assert!(plus.total >= less.total, "{} then {}", less.total, plus.total);
    }

    /// Over any fixed period, a rise by a multiple of (days of the period) litres raises every
    /// segment's volume, so the total of a preset never falls. (The presets never carry a tier
    /// counter from one segment to the next with more than one tier: see
    /// `a_fen_can_be_lost_to_rounding_across_a_mid_cycle_price_change` for a tariff that does.)
    #[test]
    fn total_never_falls_over_a_fixed_period(
        which in 0_usize..4,
        kind in 0_usize..6,
        start in 0_u64..1500,
        length in 0_u64..130,
        used in 0_i64..3_000_000,
        steps in 0_i64..2_000,
        before in 0_i64..1_000_000,
    ) {
        let tariff = &presets_parsed()[which];
        let account = account(kind, 3);
        let days = i64::try_from(length).unwrap() + 1;
        let at = |volume| Consumption {
            volume: litres(volume),
            from: day(start),
            to: day(start + length),
            cycle_to_date: litres(before),
        };
        let (Some(less), Some(plus)) = (
            try_quote(tariff, &account, &at(used)),
            try_quote(tariff, &account, &at(used + steps * days)),
        ) else {
            return Ok(());
        };
        prop_assert!(plus.total >= less.total, "{} then {}", less.total, plus.total);
        for (a, b) in less.segments.iter().zip(&plus.segments) {
            prop_assert!(b.volume >= a.volume);
        }
    }

    /// Beijing cooking: up to 350 m³ in the cycle is tier 1; every litre after it is tier 2 up
    /// to 500 m³.
    #[test]
    fn beijing_boundary_is_exact(before in 0_i64..=350_000, used in 0_i64..600_000) {
        let tariff = preset("beijing-2019").unwrap();
        let quote = quote(
            &tariff,
            &residential("cooking", 3),
            &Consumption {
                volume: litres(used),
                from: date("2024-05-01"),
                to: date("2024-05-01"),
                cycle_to_date: litres(before),
            },
        ).unwrap();
        let in_tier = |tier: u32| -> i128 {
            quote.lines.iter().filter(|l| l.tier == Some(tier)).map(|l| l.volume.litres()).sum()
        };
        let (before, used) = (i128::from(before), i128::from(used));
        let end = before + used;
        prop_assert_eq!(in_tier(1), end.min(350_000) - before);
        prop_assert_eq!(in_tier(2), end.clamp(350_000, 500_000) - before.max(350_000));
        prop_assert_eq!(in_tier(3), (end - 500_000).max(0));
    }

    #[test]
    fn allocation_by_days_is_exact(
        total in 0_i64..10_000_000_000,
        days in proptest::collection::vec(1_u32..400, 1..12),
    ) {
        let shares = allocate_by_days(litres(total), &days);
        prop_assert_eq!(shares.iter().map(|s| s.litres()).sum::<i128>(), i128::from(total));
        // Every share is within a litre of its exact proportion.
        let all: i128 = days.iter().map(|d| i128::from(*d)).sum();
        for (share, d) in shares.iter().zip(&days) {
            let exact_times_all = i128::from(total) * i128::from(*d);
            prop_assert!((share.litres() * all - exact_times_all).abs() <= all);
        }
    }

    /// amount -> volume -> amount never exceeds the money offered, and one more litre would.
    #[test]
    fn purchase_by_amount_is_the_most_the_money_buys(
        which in 0_usize..4,
        kind in 0_usize..6,
        household_size in 1_u32..8,
        start in 0_u64..1500,
        before in 0_i64..1_000_000,
        fen in 0_i64..1_000_000,
        monthly in any::<bool>(),
        balance_fen in -10_000_i64..100_000,
    ) {
        let mut tariff = presets_parsed()[which].clone();
        if monthly {
            tariff.versions[0].ic_card_allowance = IcCardAllowance::Monthly;
        }
        let account = account(kind, household_size);
        let offered = Money::from_fen(fen);
        let input = |request| PurchaseInput {
            date: day(start),
            cycle_purchases_to_date: litres(before),
            balance: Money::from_fen(balance_fen),
            request,
        };
        let purchase = match price_purchase(&tariff, &account, &input(PurchaseRequest::Amount(offered))) {
            Ok(purchase) => purchase,
            Err(PurchaseError::Pricing(
                QuoteError::NoCustomerTypePrice { .. }
                | QuoteError::UnknownFlatClass { .. }
                | QuoteError::NoTierTable { .. },
            )) => return Ok(()),
            Err(error) => panic!("{error}"),
        };
        prop_assert!(purchase.amount <= offered);
        // The same volume asked as a volume costs the same.
        let again = price_purchase(&tariff, &account, &input(PurchaseRequest::Volume(purchase.volume))).unwrap();
        prop_assert_eq!(again.amount, purchase.amount);
        // One more litre costs more than offered, exactly or after rounding.
        let one_more = purchase.volume.checked_add(litres(1)).unwrap();
        let dearer = price_purchase(&tariff, &account, &input(PurchaseRequest::Volume(one_more))).unwrap();
        let exact: rust_decimal::Decimal = dearer
            .lines
            .iter()
            .map(|l| l.volume.as_decimal() * l.unit_price.as_decimal())
            .sum();
        prop_assert!(
            dearer.amount > offered || exact > offered.as_decimal(),
            "{} buys {} but {} costs {} ({})", offered, purchase.volume, one_more, dearer.amount, exact
        );
        // The balance pays first.
        prop_assert_eq!(purchase.balance_used.checked_add(purchase.cash_due), Some(purchase.amount));
        prop_assert!(!purchase.balance_used.is_negative() && !purchase.cash_due.is_negative());
        let lines = purchase.lines.iter().try_fold(Money::ZERO, |t, l| t.checked_add(l.amount));
        prop_assert_eq!(lines, Some(purchase.amount));
    }
}

/// Beijing with a (test-only) second version from 2024-07-01, every price + 0.01: a price change
/// in the middle of a tier cycle, the one case where a segment's tier counter depends on the
/// volume of the segment before it.
fn beijing_with_mid_cycle_change() -> Tariff {
    let mut tariff = preset("beijing-2019").unwrap();
    let next = tariff.versions[0]
        .with_price_delta(date("2024-07-01"), rust_decimal::Decimal::new(1, 2))
        .unwrap();
    tariff.versions.push(next);
    tariff
}

fn exact_total(quote: &Quote) -> rust_decimal::Decimal {
    quote
        .lines
        .iter()
        .map(|line| match line.unit_price {
            Some(price) => line.volume.as_decimal() * price.as_decimal(),
            None => line.amount.as_decimal(),
        })
        .sum()
}

/// The documented exception to "the total never falls": 2 more litres over 30 June and 1 July
/// move the second day's tier counter up; its tier-1 line loses a fen to rounding that the other
/// lines do not win back. The exact amounts still rise (26.15198 -> 26.15765).
#[test]
fn a_fen_can_be_lost_to_rounding_across_a_mid_cycle_price_change() {
    let tariff = beijing_with_mid_cycle_change();
    let at = |used| {
        quote(
            &tariff,
            &residential("cooking", 3),
            &Consumption {
                volume: litres(used),
                from: date("2024-06-30"),
                to: date("2024-07-01"),
                cycle_to_date: litres(340_009),
            },
        )
        .unwrap()
    };
    let (less, more) = (at(10_000), at(10_002));
    // 5.000 × 2.61 = 13.05; 4.991 × 2.62 = 13.07642 -> 13.08; 0.009 × 2.84 = 0.02556 -> 0.03.
    // 5.001 × 2.61 = 13.05261 -> 13.05; 4.990 × 2.62 = 13.0738 -> 13.07; 0.011 × 2.84 = 0.03124
    // -> 0.03.
    assert_eq!(
        (less.total, more.total),
        ("26.16".parse().unwrap(), "26.15".parse().unwrap())
    );
    assert_eq!(exact_total(&less).to_string(), "26.15198");
    assert_eq!(exact_total(&more).to_string(), "26.15765");
}

proptest! {
    /// With a mid-cycle price change the exact (unrounded) total never falls when every segment's
    /// volume rises; the rounded total stays within half a fen per line of it.
    #[test]
    fn exact_total_never_falls_across_a_mid_cycle_price_change(
        start in 150_u64..200,
        length in 0_u64..60,
        used in 0_i64..1_000_000,
        steps in 0_i64..2_000,
        before in 0_i64..600_000,
    ) {
        let tariff = beijing_with_mid_cycle_change();
        let days = i64::try_from(length).unwrap() + 1;
        let from = date("2024-01-01").checked_add_days(Days::new(start)).unwrap();
        let to = from.checked_add_days(Days::new(length)).unwrap();
        let at = |volume| quote(
            &tariff,
            &residential("cooking", 3),
            &Consumption { volume: litres(volume), from, to, cycle_to_date: litres(before) },
        ).unwrap();
        let (less, more) = (at(used), at(used + steps * days));
        prop_assert!(exact_total(&more) >= exact_total(&less));
        for quote in [&less, &more] {
            let half_fen_per_line = rust_decimal::Decimal::new(5, 3)
                * rust_decimal::Decimal::from(quote.lines.len());
            prop_assert!((quote.total.as_decimal() - exact_total(quote)).abs() <= half_fen_per_line);
        }
    }
}

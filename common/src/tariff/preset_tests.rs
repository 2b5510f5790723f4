//! Hand-computed bills and purchases on the four presets of DOMAIN.md. Every expected figure is
//! worked out in the comment above it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;
use crate::Money;

pub(super) fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub(super) fn volume(text: &str) -> Volume {
    text.parse().unwrap()
}

pub(super) fn money(text: &str) -> Money {
    text.parse().unwrap()
}

pub(super) fn residential(purpose: &str, household_size: u32) -> AccountAttributes {
    AccountAttributes::residential(purpose, household_size)
}

fn of_type(customer_type: CustomerType) -> AccountAttributes {
    AccountAttributes {
        customer_type,
        ..residential("cooking", 1)
    }
}

fn flat(class: &str) -> AccountAttributes {
    AccountAttributes {
        customer_type: CustomerType::PublicWelfare,
        flat_class: Some(class.to_owned()),
        ..residential("cooking", 1)
    }
}

fn consumption(used: &str, from: &str, to: &str, cycle_to_date: &str) -> Consumption {
    Consumption {
        volume: volume(used),
        from: date(from),
        to: date(to),
        cycle_to_date: volume(cycle_to_date),
    }
}

fn bill(tariff: &Tariff, account: &AccountAttributes, used: &Consumption) -> Quote {
    quote(tariff, account, used).unwrap_or_else(|error| panic!("{error}"))
}

/// The lines as "tier1 summer 30.000 x 3.50 = 105.00", "flat school …", "fixed_charge NAME 2.00".
fn summary(quote: &Quote) -> Vec<String> {
    quote
        .lines
        .iter()
        .map(|line| {
            let mut text = match line.kind {
                LineKind::Tier => format!("tier{}", line.tier.unwrap_or(0)),
                kind => kind.as_str().to_owned(),
            };
            for part in [&line.season, &line.name].into_iter().flatten() {
                text.push(' ');
                text.push_str(part);
            }
            match line.unit_price {
                Some(price) => format!("{text} {} x {price} = {}", line.volume, line.amount),
                None => format!("{text} {}", line.amount),
            }
        })
        .collect()
}

fn beijing() -> Tariff {
    preset("beijing-2019").unwrap()
}
fn shanghai() -> Tariff {
    preset("shanghai-2014").unwrap()
}
fn shenzhen() -> Tariff {
    preset("shenzhen-2021").unwrap()
}
fn chongqing() -> Tariff {
    preset("chongqing-2021").unwrap()
}

#[test]
fn every_preset_loads_round_trips_and_explains_itself() {
    let codes: Vec<&str> = presets().iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [
            "beijing-2019",
            "shanghai-2014",
            "shenzhen-2021",
            "chongqing-2021"
        ]
    );
    for source in presets() {
        let tariff = preset(source.code).unwrap();
        assert_eq!(tariff.code, source.code);
        assert!(!tariff.notes.is_empty(), "{} has no notes", source.code);
        // TOML export and import give the same tariff.
        let text = tariff.to_toml().unwrap();
        assert_eq!(Tariff::from_toml(&text), Ok(tariff.clone()), "{text}");
        // So does the JSON the server stores; decimals travel as strings.
        let json = serde_json::to_string(&tariff).unwrap();
        assert!(json.contains("\"prices\":[\"") && json.contains("\"effective_from\":\""));
        let back: Tariff = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tariff);
    }
    assert!(matches!(
        preset("wuhan-2020"),
        Err(PresetError::Unknown { known, .. }) if known.contains("beijing-2019")
    ));
}

#[test]
fn beijing_cooking_tier_boundaries_are_exact() {
    let tariff = beijing();
    let cooking = residential("cooking", 3);
    // 350 m³ from zero: 350 × 2.61 = 913.50, all tier 1.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("350", "2024-05-10", "2024-05-10", "0"),
    );
    assert_eq!(summary(&q), ["tier1 350.000 x 2.61 = 913.50"]);
    assert_eq!(q.total, money("913.50"));
    assert_eq!(q.cycle_to_date_after, Some(volume("350")));
    // The 351st m³ is tier 2: 913.50 + 2.83 = 916.33.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("351", "2024-05-10", "2024-05-10", "0"),
    );
    assert_eq!(
        summary(&q),
        ["tier1 350.000 x 2.61 = 913.50", "tier2 1.000 x 2.83 = 2.83"]
    );
    assert_eq!(q.total, money("916.33"));
    // 600 m³: 913.50 + 150 × 2.83 (424.50) + 100 × 4.23 (423.00) = 1761.00.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("600", "2024-05-10", "2024-05-10", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 350.000 x 2.61 = 913.50",
            "tier2 150.000 x 2.83 = 424.50",
            "tier3 100.000 x 4.23 = 423.00"
        ]
    );
    assert_eq!(q.total, money("1761.00"));
    // From a cycle-to-date of 340: 10 × 2.61 (26.10) + 10 × 2.83 (28.30) = 54.40.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("20", "2024-05-10", "2024-05-10", "340"),
    );
    assert_eq!(
        summary(&q),
        ["tier1 10.000 x 2.61 = 26.10", "tier2 10.000 x 2.83 = 28.30"]
    );
    assert_eq!(q.total, money("54.40"));
    // One litre over 500: 0.001 × 4.23 = 0.00423 -> 0.00 (half-up to the fen).
    let q = bill(
        &tariff,
        &cooking,
        &consumption("0.001", "2024-05-10", "2024-05-10", "500"),
    );
    assert_eq!(summary(&q), ["tier3 0.001 x 4.23 = 0.00"]);
    // VAT: 913.50 / 1.09 = 838.0733… -> net 838.07, tax 75.43.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("350", "2024-05-10", "2024-05-10", "0"),
    );
    assert_eq!((q.vat.net, q.vat.tax), (money("838.07"), money("75.43")));
    assert_eq!(q.vat.rate.to_string(), "0.09");
}

#[test]
fn beijing_heating_and_rural_tables() {
    let tariff = beijing();
    // Heating 1600 m³: 1500 × 2.61 (3915.00) + 100 × 2.83 (283.00) = 4198.00.
    let q = bill(
        &tariff,
        &residential("heating", 2),
        &consumption("1600", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 1500.000 x 2.61 = 3915.00",
            "tier2 100.000 x 2.83 = 283.00"
        ]
    );
    // Rural coal-to-gas 3100 m³: 2500 × 2.61 (6525.00) + 500 × 2.83 (1415.00)
    // + 100 × 4.23 (423.00) = 8363.00.
    let q = bill(
        &tariff,
        &residential("rural_coal_to_gas", 2),
        &consumption("3100", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(q.total, money("8363.00"));
    // An unknown purpose names the ones there are.
    let error = quote(
        &tariff,
        &residential("sauna", 2),
        &consumption("1", "2024-01-01", "2024-01-01", "0"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "tariff 'beijing-2019' version 2019-01-01: no tier table for purpose 'sauna' (purposes: cooking, heating, rural_coal_to_gas)"
    );
}

#[test]
fn beijing_non_residential_at_two_sixty_three() {
    let tariff = beijing();
    // 100 × 2.63 = 263.00 for every non-residential type, whatever the cycle-to-date.
    for kind in [
        CustomerType::Commercial,
        CustomerType::Industrial,
        CustomerType::PublicWelfare,
    ] {
        let q = bill(
            &tariff,
            &of_type(kind),
            &consumption("100", "2024-03-01", "2024-03-31", "9000"),
        );
        assert_eq!(
            summary(&q),
            [format!("flat {kind} 100.000 x 2.63 = 263.00")]
        );
        assert_eq!(q.cycle_to_date_after, None);
    }
}

/// Beijing with a (hypothetical) second version from 2024-07-01: every price + 0.30, the way
/// Beijing passes price changes through.
fn beijing_with_july_change(resets: bool) -> Tariff {
    let mut tariff = beijing();
    let mut next = tariff.versions[0]
        .with_price_delta(date("2024-07-01"), Decimal::new(30, 2))
        .unwrap();
    next.price_change_resets_cycle = resets;
    next.notes = vec!["test version: +0.30 on every price".into()];
    tariff.versions.push(next);
    tariff.validate().unwrap();
    tariff
}

#[test]
fn price_change_mid_period_is_split_by_days() {
    let tariff = beijing_with_july_change(false);
    assert_eq!(
        tariff.versions[1].tier_tables[0]
            .prices
            .as_deref()
            .map(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>()),
        Some(vec!["2.91".to_owned(), "3.13".into(), "4.53".into()])
    );
    let cooking = residential("cooking", 3);
    // 2024-06-16..07-15 = 15 + 15 days; 30 m³ -> 15 + 15.
    // 15 × 2.61 = 39.15; 15 × 2.91 = 43.65; total 82.80.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("30", "2024-06-16", "2024-07-15", "0"),
    );
    assert_eq!(
        summary(&q),
        ["tier1 15.000 x 2.61 = 39.15", "tier1 15.000 x 2.91 = 43.65"]
    );
    assert_eq!(q.total, money("82.80"));
    assert_eq!(q.lines[0].version_effective_from, date("2019-01-01"));
    assert_eq!(q.lines[1].version_effective_from, date("2024-07-01"));
    assert_eq!(
        (q.lines[0].from, q.lines[0].to, q.lines[0].days),
        (date("2024-06-16"), date("2024-06-30"), 15)
    );
    assert_eq!(
        (q.lines[1].from, q.lines[1].to, q.lines[1].days),
        (date("2024-07-01"), date("2024-07-15"), 15)
    );
    assert!(q.notes.iter().any(|n| n.contains("test version")));
    // The counter is not reset by the price change: from 340,
    // June 15 m³: 10 × 2.61 (26.10) + 5 × 2.83 (14.15); July 15 m³ at tier 2, 3.13 (46.95).
    let q = bill(
        &tariff,
        &cooking,
        &consumption("30", "2024-06-16", "2024-07-15", "340"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 10.000 x 2.61 = 26.10",
            "tier2 5.000 x 2.83 = 14.15",
            "tier2 15.000 x 3.13 = 46.95"
        ]
    );
    assert_eq!(q.total, money("87.20"));
    assert_eq!(q.cycle_to_date_after, Some(volume("370")));
    // Uneven days: 2024-06-20..07-09 = 11 + 9 days; 10 m³ -> 5.500 + 4.500.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("10", "2024-06-20", "2024-07-09", "0"),
    );
    let shares: Vec<String> = q.segments.iter().map(|s| s.volume.to_string()).collect();
    assert_eq!(shares, ["5.500", "4.500"]);
    // 1 m³ over 2024-06-30..07-02 = 1 + 2 days: round(1/3) = 0.333, then 1.000 − 0.333 = 0.667.
    let q = bill(
        &tariff,
        &cooking,
        &consumption("1", "2024-06-30", "2024-07-02", "0"),
    );
    let shares: Vec<String> = q.segments.iter().map(|s| s.volume.to_string()).collect();
    assert_eq!(shares, ["0.333", "0.667"]);
    // 0.333 × 2.61 = 0.86913 -> 0.87; 0.667 × 2.91 = 1.94097 -> 1.94.
    assert_eq!(q.total, money("2.81"));
}

#[test]
fn price_change_can_reset_the_counter_when_configured() {
    let tariff = beijing_with_july_change(true);
    // From 340: June as before (26.10 + 14.15); July starts again from 0: 15 × 2.91 = 43.65.
    let q = bill(
        &tariff,
        &residential("cooking", 3),
        &consumption("30", "2024-06-16", "2024-07-15", "340"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 10.000 x 2.61 = 26.10",
            "tier2 5.000 x 2.83 = 14.15",
            "tier1 15.000 x 2.91 = 43.65"
        ]
    );
    assert_eq!(q.total, money("83.90"));
    assert_eq!(q.segments[1].cycle_to_date, Some(Volume::ZERO));
    assert_eq!(q.cycle_to_date_after, Some(volume("15")));
}

#[test]
fn annual_cycle_restarts_on_the_first_of_january() {
    // Beijing 2024-12-17..2025-01-15 = 15 + 15 days, 30 m³, cycle-to-date 345:
    // December 15 m³: 5 × 2.61 (13.05) + 10 × 2.83 (28.30); January from 0: 15 × 2.61 (39.15).
    let q = bill(
        &beijing(),
        &residential("cooking", 3),
        &consumption("30", "2024-12-17", "2025-01-15", "345"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 5.000 x 2.61 = 13.05",
            "tier2 10.000 x 2.83 = 28.30",
            "tier1 15.000 x 2.61 = 39.15"
        ]
    );
    assert_eq!(q.segments[1].cycle_start, Some(date("2025-01-01")));
    assert_eq!(q.total, money("80.50"));
}

#[test]
fn shanghai_households_of_five_get_150_more_on_each_boundary() {
    let tariff = shanghai();
    // 4 people, 500 m³: 310 × 3.00 (930.00) + 190 × 3.30 (627.00) = 1557.00.
    let q = bill(
        &tariff,
        &residential("cooking", 4),
        &consumption("500", "2024-12-31", "2024-12-31", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 310.000 x 3.00 = 930.00",
            "tier2 190.000 x 3.30 = 627.00"
        ]
    );
    assert_eq!(q.total, money("1557.00"));
    // 5 people, boundaries 460 / 670: 460 × 3.00 (1380.00) + 40 × 3.30 (132.00) = 1512.00.
    let q = bill(
        &tariff,
        &residential("cooking", 5),
        &consumption("500", "2024-12-31", "2024-12-31", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 460.000 x 3.00 = 1380.00",
            "tier2 40.000 x 3.30 = 132.00"
        ]
    );
    assert_eq!(q.total, money("1512.00"));
    // 6 people, 700 m³: 1380.00 + 210 × 3.30 (693.00) + 30 × 4.20 (126.00) = 2199.00.
    let q = bill(
        &tariff,
        &residential("heating", 6),
        &consumption("700", "2024-12-31", "2024-12-31", "0"),
    );
    assert_eq!(q.total, money("2199.00"));
    assert_eq!(q.lines.len(), 3);
    // Before the tariff took effect there is no price.
    let error = quote(
        &tariff,
        &residential("cooking", 4),
        &consumption("1", "2014-08-31", "2014-09-01", "0"),
    )
    .unwrap_err();
    assert!(matches!(error, QuoteError::NoVersion { .. }), "{error}");
}

#[test]
fn shanghai_schools_and_care_homes_are_flat() {
    let tariff = shanghai();
    // 1000 m³ × 3.05 = 3050.00, no tiers.
    for class in ["school", "care_home"] {
        let q = bill(
            &tariff,
            &flat(class),
            &consumption("1000", "2024-01-01", "2024-02-29", "0"),
        );
        assert_eq!(
            summary(&q),
            [format!("flat {class} 1000.000 x 3.05 = 3050.00")]
        );
    }
    let q = bill(
        &tariff,
        &of_type(CustomerType::PublicWelfare),
        &consumption("10", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(q.total, money("30.50"));
    // Shanghai has no commercial price in DOMAIN.md: say so rather than guess.
    let error = quote(
        &tariff,
        &of_type(CustomerType::Commercial),
        &consumption("10", "2024-01-01", "2024-01-31", "0"),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "tariff 'shanghai-2014' version 2014-09-01: no price for customer type commercial (priced types: public_welfare)"
    );
    let error = quote(
        &tariff,
        &flat("hospital"),
        &consumption("10", "2024-01-01", "2024-01-31", "0"),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no flat class 'hospital' (classes: school, care_home)")
    );
}

#[test]
fn shenzhen_summer_and_winter_volumes() {
    let tariff = shenzhen();
    let home = residential("cooking", 3);
    // January (winter, 40 / 45): 40 m³ all tier 1, 40 × 3.50 = 140.00.
    let q = bill(
        &tariff,
        &home,
        &consumption("40", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(summary(&q), ["tier1 winter 40.000 x 3.50 = 140.00"]);
    // June (summer, 30 / 35): 30 × 3.50 (105.00) + 5 × 4.00 (20.00) + 5 × 5.25 (26.25) = 151.25.
    let q = bill(
        &tariff,
        &home,
        &consumption("40", "2024-06-01", "2024-06-30", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 summer 30.000 x 3.50 = 105.00",
            "tier2 summer 5.000 x 4.00 = 20.00",
            "tier3 summer 5.000 x 5.25 = 26.25"
        ]
    );
    assert_eq!(q.total, money("151.25"));
    // A period across the season change (10-17..11-15 = 15 + 15 days), 90 m³ -> 45 + 45:
    // October (summer, own cycle from 0): 30 × 3.50 + 5 × 4.00 + 10 × 5.25 = 177.50;
    // November (winter, new cycle from 0): 40 × 3.50 + 5 × 4.00 = 160.00. Total 337.50.
    let q = bill(
        &tariff,
        &home,
        &consumption("90", "2024-10-17", "2024-11-15", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 summer 30.000 x 3.50 = 105.00",
            "tier2 summer 5.000 x 4.00 = 20.00",
            "tier3 summer 10.000 x 5.25 = 52.50",
            "tier1 winter 40.000 x 3.50 = 140.00",
            "tier2 winter 5.000 x 4.00 = 20.00"
        ]
    );
    assert_eq!(q.total, money("337.50"));
}

#[test]
fn shenzhen_bimonthly_reading_spans_two_monthly_cycles() {
    // 2021-06-01..07-31 = 30 + 31 days, 61 m³ -> 30 + 31 (both summer, 30 / 35).
    // June: 30 × 3.50 = 105.00. July from 0: 30 × 3.50 (105.00) + 1 × 4.00 (4.00). Total 214.00.
    let q = bill(
        &shenzhen(),
        &residential("cooking", 3),
        &consumption("61", "2021-06-01", "2021-07-31", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 summer 30.000 x 3.50 = 105.00",
            "tier1 summer 30.000 x 3.50 = 105.00",
            "tier2 summer 1.000 x 4.00 = 4.00"
        ]
    );
    assert_eq!(q.total, money("214.00"));
    let cycles: Vec<_> = q.segments.iter().map(|s| s.cycle_start).collect();
    assert_eq!(cycles, [Some(date("2021-06-01")), Some(date("2021-07-01"))]);
    // Had it all been billed in one cycle it would have cost more: 30 × 3.50 + 5 × 4.00
    // + 26 × 5.25 = 261.50.
    assert!(q.total < money("261.50"));
}

#[test]
fn shenzhen_schools_welfare_and_business() {
    let tariff = shenzhen();
    let used = consumption("100", "2024-06-01", "2024-06-30", "0");
    // 100 × 3.70 = 370.00 for schools and welfare; 100 × 4.39 = 439.00 for business.
    assert_eq!(bill(&tariff, &flat("school"), &used).total, money("370.00"));
    assert_eq!(
        bill(&tariff, &flat("welfare"), &used).total,
        money("370.00")
    );
    assert_eq!(
        bill(&tariff, &of_type(CustomerType::PublicWelfare), &used).total,
        money("370.00")
    );
    for kind in [CustomerType::Commercial, CustomerType::Industrial] {
        let q = bill(&tariff, &of_type(kind), &used);
        assert_eq!(
            summary(&q),
            [format!("flat {kind} 100.000 x 4.39 = 439.00")]
        );
    }
}

#[test]
fn chongqing_peak_and_off_peak_prices() {
    let tariff = chongqing();
    let home = residential("cooking", 3);
    // Peak (January): 100 × 2.13 = 213.00. Off-peak (July): 100 × 1.96 = 196.00.
    let q = bill(
        &tariff,
        &home,
        &consumption("100", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(summary(&q), ["tier1 peak 100.000 x 2.13 = 213.00"]);
    let q = bill(
        &tariff,
        &home,
        &consumption("100", "2024-07-01", "2024-07-31", "0"),
    );
    assert_eq!(summary(&q), ["tier1 off_peak 100.000 x 1.96 = 196.00"]);
    // Across 31 March (03-17..04-15 = 15 + 15 days), 30 m³ -> 15 + 15:
    // 15 × 2.13 = 31.95 and 15 × 1.96 = 29.40; total 61.35.
    let q = bill(
        &tariff,
        &home,
        &consumption("30", "2024-03-17", "2024-04-15", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 peak 15.000 x 2.13 = 31.95",
            "tier1 off_peak 15.000 x 1.96 = 29.40"
        ]
    );
    assert_eq!(q.total, money("61.35"));
    // Without tier volumes everything is tier 1, and the quote says why.
    let q = bill(
        &tariff,
        &home,
        &consumption("9000", "2024-01-01", "2024-01-31", "0"),
    );
    assert_eq!(q.lines.len(), 1);
    assert!(q.notes[0].contains("everything is billed at tier 1"));
    // No non-residential price in DOMAIN.md.
    assert!(matches!(
        quote(
            &tariff,
            &of_type(CustomerType::Commercial),
            &consumption("1", "2024-01-01", "2024-01-01", "0")
        ),
        Err(QuoteError::NoCustomerTypePrice { .. })
    ));
}

/// Chongqing with (hypothetical, test-only) tier volumes 0–300 / 300–600 / >600 and the
/// DOMAIN.md prices of tiers 2 and 3.
fn chongqing_with_test_volumes() -> Tariff {
    let mut tariff = chongqing();
    let table = &mut tariff.versions[0].tier_tables[0];
    table.boundaries_m3 = Some(vec![volume("300"), volume("600")]);
    table.by_season[0].prices = Some(
        ["2.13", "2.30", "2.65"]
            .map(|p| p.parse().unwrap())
            .to_vec(),
    );
    table.by_season[1].prices = Some(
        ["1.96", "2.13", "2.48"]
            .map(|p| p.parse().unwrap())
            .to_vec(),
    );
    tariff.validate().unwrap();
    tariff
}

#[test]
fn chongqing_low_income_always_pays_tier_1() {
    let tariff = chongqing_with_test_volumes();
    let used = consumption("700", "2024-01-01", "2024-01-31", "0");
    // Ordinary household, peak: 300 × 2.13 (639.00) + 300 × 2.30 (690.00) + 100 × 2.65 (265.00)
    // = 1594.00.
    let q = bill(&tariff, &residential("cooking", 3), &used);
    assert_eq!(q.total, money("1594.00"));
    // Low-income: 700 × 2.13 = 1491.00, tier 1.
    let low_income = AccountAttributes {
        low_income: true,
        ..residential("cooking", 3)
    };
    let q = bill(&tariff, &low_income, &used);
    assert_eq!(summary(&q), ["tier1 peak 700.000 x 2.13 = 1491.00"]);
    // Its counter still runs (the next bill of the cycle starts from 700).
    assert_eq!(q.cycle_to_date_after, Some(volume("700")));
    // Off-peak with a high counter, still tier 1: 10 × 1.96 = 19.60.
    let q = bill(
        &tariff,
        &low_income,
        &consumption("10", "2024-07-01", "2024-07-31", "5000"),
    );
    assert_eq!(summary(&q), ["tier1 off_peak 10.000 x 1.96 = 19.60"]);
    // In Beijing, where the version does not pin low-income accounts, they pay the tiers.
    let q = bill(
        &beijing(),
        &low_income,
        &consumption("351", "2024-01-01", "2024-01-01", "0"),
    );
    assert_eq!(q.total, money("916.33"));
}

#[test]
fn fixed_charges_and_minimum_charge() {
    let mut tariff = beijing();
    let version = &mut tariff.versions[0];
    version.fixed_charges.push(FixedCharge {
        name: "表具维护费".into(),
        amount: money("2.00"),
        customer_types: vec![CustomerType::Residential],
    });
    version.minimum_charge = Some(money("10.00"));
    tariff.validate().unwrap();
    // 1 m³: 2.61 + 2.00 = 4.61, topped up by 5.39 to 10.00.
    let q = bill(
        &tariff,
        &residential("cooking", 3),
        &consumption("1", "2024-03-01", "2024-04-30", "0"),
    );
    assert_eq!(
        summary(&q),
        [
            "tier1 1.000 x 2.61 = 2.61",
            "fixed_charge 表具维护费 2.00",
            "minimum_top_up 5.39"
        ]
    );
    assert_eq!(q.total, money("10.00"));
    assert_eq!(
        (q.lines[1].from, q.lines[1].to, q.lines[1].days),
        (date("2024-03-01"), date("2024-04-30"), 61)
    );
    // 10 m³: 26.10 + 2.00 = 28.10, above the minimum.
    let q = bill(
        &tariff,
        &residential("cooking", 3),
        &consumption("10", "2024-03-01", "2024-04-30", "0"),
    );
    assert_eq!(q.total, money("28.10"));
    // The fixed charge is for residential accounts only: 100 × 2.63 = 263.00.
    let q = bill(
        &tariff,
        &of_type(CustomerType::Commercial),
        &consumption("100", "2024-03-01", "2024-04-30", "0"),
    );
    assert_eq!(q.total, money("263.00"));
    // Nothing used: the minimum alone (2.00 + 8.00).
    let q = bill(
        &tariff,
        &residential("cooking", 3),
        &consumption("0", "2024-03-01", "2024-04-30", "0"),
    );
    assert_eq!(
        summary(&q),
        ["fixed_charge 表具维护费 2.00", "minimum_top_up 8.00"]
    );
}

#[test]
fn period_checks() {
    let tariff = beijing();
    let home = residential("cooking", 3);
    assert!(matches!(
        quote(
            &tariff,
            &home,
            &consumption("1", "2024-02-01", "2024-01-31", "0")
        ),
        Err(QuoteError::PeriodReversed { .. })
    ));
    assert!(matches!(
        quote(
            &tariff,
            &home,
            &consumption("1", "2010-01-01", "2024-01-31", "0")
        ),
        Err(QuoteError::PeriodTooLong { .. })
    ));
}

// ---- IC-card purchases ----

fn buy(
    tariff: &Tariff,
    account: &AccountAttributes,
    on: &str,
    bought: &str,
    balance: &str,
    request: PurchaseRequest,
) -> Purchase {
    price_purchase(
        tariff,
        account,
        &PurchaseInput {
            date: date(on),
            cycle_purchases_to_date: volume(bought),
            balance: money(balance),
            request,
        },
    )
    .unwrap_or_else(|error| panic!("{error}"))
}

fn purchase_summary(purchase: &Purchase) -> Vec<String> {
    purchase
        .lines
        .iter()
        .map(|line| {
            format!(
                "{} {} x {} = {}",
                line.tier.map_or_else(
                    || line.name.clone().unwrap_or_default(),
                    |t| format!("tier{t}")
                ),
                line.volume,
                line.unit_price,
                line.amount
            )
        })
        .collect()
}

#[test]
fn purchase_by_volume_across_tiers() {
    // Beijing 400 m³ from 0: 350 × 2.61 (913.50) + 50 × 2.83 (141.50) = 1055.00; a balance of
    // 50.00 pays first, cash due 1005.00.
    let p = buy(
        &beijing(),
        &residential("cooking", 3),
        "2024-03-10",
        "0",
        "50.00",
        PurchaseRequest::Volume(volume("400")),
    );
    assert_eq!(
        purchase_summary(&p),
        [
            "tier1 350.000 x 2.61 = 913.50",
            "tier2 50.000 x 2.83 = 141.50"
        ]
    );
    assert_eq!(
        (p.amount, p.balance_used, p.cash_due),
        (money("1055.00"), money("50.00"), money("1005.00"))
    );
    assert_eq!(p.cycle_purchases_after, Some(volume("400")));
    // Arrears are not a balance to spend.
    let p = buy(
        &beijing(),
        &residential("cooking", 3),
        "2024-03-10",
        "0",
        "-20.00",
        PurchaseRequest::Volume(volume("10")),
    );
    assert_eq!((p.balance_used, p.cash_due), (Money::ZERO, money("26.10")));
}

#[test]
fn purchase_by_amount_walks_the_tiers() {
    // 1000.00 from 0: tier 1 takes 350 m³ for 913.50; 86.50 left at 2.83.
    // 86.50 / 2.83 = 30.5653… -> 30.565 m³ (30.565 × 2.83 = 86.49895 -> 86.50). 30.566 m³ would
    // cost 86.50178, more than offered, even though it rounds to 86.50: rounding gives nothing.
    // So 380.565 m³ for exactly 1000.00.
    let p = buy(
        &beijing(),
        &residential("cooking", 3),
        "2024-03-10",
        "0",
        "0",
        PurchaseRequest::Amount(money("1000.00")),
    );
    assert_eq!(
        purchase_summary(&p),
        [
            "tier1 350.000 x 2.61 = 913.50",
            "tier2 30.565 x 2.83 = 86.50"
        ]
    );
    assert_eq!((p.volume, p.amount), (volume("380.565"), money("1000.00")));
    // 10.00 at tier 3 (from 600): 10 / 4.23 = 2.3640… -> 2.364 m³, 2.364 × 4.23 = 9.99972 ->
    // 10.00; the balance of 3.00 pays first, 7.00 in cash.
    let p = buy(
        &beijing(),
        &residential("cooking", 3),
        "2024-03-10",
        "600",
        "3.00",
        PurchaseRequest::Amount(money("10.00")),
    );
    assert_eq!((p.volume, p.amount), (volume("2.364"), money("10.00")));
    assert_eq!((p.balance_used, p.cash_due), (money("3.00"), money("7.00")));
    // Nothing for nothing (one litre would round to 0.00 but costs 0.00261).
    let p = buy(
        &beijing(),
        &residential("cooking", 3),
        "2024-03-10",
        "0",
        "0",
        PurchaseRequest::Amount(Money::ZERO),
    );
    assert_eq!(
        (p.volume, p.amount, p.lines.len()),
        (Volume::ZERO, Money::ZERO, 0)
    );
}

#[test]
fn purchase_allowance_grows_monthly_when_configured() {
    let mut tariff = beijing();
    tariff.versions[0].ic_card_allowance = IcCardAllowance::Monthly;
    // March = month 3 of 12: boundaries 350 × 3/12 = 87.5 and 500 × 3/12 = 125.
    // 100 m³: 87.5 × 2.61 = 228.375 -> 228.38; 12.5 × 2.83 = 35.375 -> 35.38. Total 263.76.
    let p = buy(
        &tariff,
        &residential("cooking", 3),
        "2024-03-31",
        "0",
        "0",
        PurchaseRequest::Volume(volume("100")),
    );
    assert_eq!(p.allowance_months, Some(3));
    assert_eq!(
        p.boundaries_m3
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["87.500", "125.000"]
    );
    assert_eq!(
        purchase_summary(&p),
        [
            "tier1 87.500 x 2.61 = 228.38",
            "tier2 12.500 x 2.83 = 35.38"
        ]
    );
    assert_eq!(p.amount, money("263.76"));
    // December: the whole year's allowance.
    let p = buy(
        &tariff,
        &residential("cooking", 3),
        "2024-12-01",
        "0",
        "0",
        PurchaseRequest::Volume(volume("100")),
    );
    assert_eq!(p.amount, money("261.00"));
    // A Shanghai household of 5 in January: (310 + 150) / 12 = 38.333 (truncated).
    let mut tariff = shanghai();
    tariff.versions[0].ic_card_allowance = IcCardAllowance::Monthly;
    let p = buy(
        &tariff,
        &residential("cooking", 5),
        "2024-01-15",
        "0",
        "0",
        PurchaseRequest::Volume(volume("1")),
    );
    assert_eq!(p.boundaries_m3[0], volume("38.333"));
}

#[test]
fn purchase_for_flat_and_low_income_accounts() {
    // Shenzhen commercial: 4.39 a m³. 100.00 / 4.39 = 22.7790… -> 22.779 m³,
    // 22.779 × 4.39 = 99.99981 -> 100.00.
    let p = buy(
        &shenzhen(),
        &of_type(CustomerType::Commercial),
        "2024-06-01",
        "0",
        "0",
        PurchaseRequest::Amount(money("100.00")),
    );
    assert_eq!(purchase_summary(&p), ["commercial 22.779 x 4.39 = 100.00"]);
    assert_eq!(p.cycle_purchases_after, None);
    // Chongqing low-income, off-peak, far past the (test) tier volumes: 50 × 1.96 = 98.00.
    let low_income = AccountAttributes {
        low_income: true,
        ..residential("cooking", 2)
    };
    let p = buy(
        &chongqing_with_test_volumes(),
        &low_income,
        "2024-08-01",
        "900",
        "0",
        PurchaseRequest::Volume(volume("50")),
    );
    assert_eq!(purchase_summary(&p), ["tier1 50.000 x 1.96 = 98.00"]);
    assert_eq!(p.season.as_deref(), Some("off_peak"));
}

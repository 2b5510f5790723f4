//! Late fees (滞纳金/违约金) on an unpaid amount.
//!
//! The rule, for a principal, a due date and an as-of date:
//! 1. Days overdue = as-of date − due date (paying on the due date is not late).
//! 2. Within the grace days nothing is due. Beyond them the chargeable days are the days overdue
//!    minus the grace days, or all days overdue when `charge_grace_days_when_exceeded` is set.
//! 3. Fee = principal × rate per day × chargeable days, rounded half-up to the fen (one rounding,
//!    on the product; the fee is not compounded).
//! 4. When the exact fee is above zero (even if it rounds to 0.00) it is raised to `minimum`;
//!    then it is lowered to `cap` and to
//!    principal × `cap_of_principal` truncated to the fen (the caps win over the minimum).
//!
//! A principal of zero or less carries no fee.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::model::LateFeeRule;
use super::units::round_to_fen;
use crate::Money;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LateFeeError {
    #[error("the late fee on {principal} is out of range")]
    OutOfRange { principal: Money },
}

/// Days charged on `as_of` for an amount due on `due_date` (step 1 and 2 of the rule).
pub fn chargeable_days(due_date: NaiveDate, as_of: NaiveDate, rule: &LateFeeRule) -> i64 {
    let overdue = (as_of - due_date).num_days();
    let grace = i64::from(rule.grace_days);
    if overdue <= grace {
        0
    } else if rule.charge_grace_days_when_exceeded {
        overdue
    } else {
        overdue - grace
    }
}

/// The late fee on `principal`, due on `due_date`, as of `as_of`, under `rule`.
pub fn late_fee(
    principal: Money,
    due_date: NaiveDate,
    as_of: NaiveDate,
    rule: &LateFeeRule,
) -> Result<Money, LateFeeError> {
    let out_of_range = || LateFeeError::OutOfRange { principal };
    let days = chargeable_days(due_date, as_of, rule);
    if days == 0 || principal <= Money::ZERO || rule.rate_per_day.as_decimal().is_zero() {
        return Ok(Money::ZERO);
    }
    let exact = principal
        .as_decimal()
        .checked_mul(rule.rate_per_day.as_decimal())
        .and_then(|per_day| per_day.checked_mul(Decimal::from(days)))
        .ok_or_else(out_of_range)?;
    let mut fee = round_to_fen(exact).map_err(|_| out_of_range())?;
    if let Some(minimum) = rule.minimum
        && exact > Decimal::ZERO
        && fee < minimum
    {
        fee = minimum;
    }
    if let Some(cap) = rule.cap {
        fee = fee.min(cap);
    }
    if let Some(ratio) = rule.cap_of_principal {
        let cap = principal
            .as_decimal()
            .checked_mul(ratio.as_decimal())
            .ok_or_else(out_of_range)?
            .round_dp_with_strategy(2, RoundingStrategy::ToZero);
        let cap = Money::try_from_decimal(cap).map_err(|_| out_of_range())?;
        fee = fee.min(cap);
    }
    Ok(fee)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    fn rule(rate: &str) -> LateFeeRule {
        LateFeeRule {
            customer_types: Vec::new(),
            rate_per_day: rate.parse().unwrap(),
            grace_days: 0,
            charge_grace_days_when_exceeded: false,
            minimum: None,
            cap: None,
            cap_of_principal: None,
        }
    }

    #[test]
    fn three_per_mille_a_day() {
        // 100.00 × 0.003 × 10 days = 3.00
        let fee = late_fee(
            money("100.00"),
            date("2024-03-01"),
            date("2024-03-11"),
            &rule("0.003"),
        );
        assert_eq!(fee, Ok(money("3.00")));
        // Paying on the due date is not late.
        let fee = late_fee(
            money("100.00"),
            date("2024-03-01"),
            date("2024-03-01"),
            &rule("0.003"),
        );
        assert_eq!(fee, Ok(Money::ZERO));
        // Paying early is not late either.
        let fee = late_fee(
            money("100.00"),
            date("2024-03-01"),
            date("2024-02-01"),
            &rule("0.003"),
        );
        assert_eq!(fee, Ok(Money::ZERO));
    }

    #[test]
    fn rounds_half_up_once() {
        // 123.45 × 0.001 × 7 = 0.86415 -> 0.86
        let fee = late_fee(
            money("123.45"),
            date("2024-01-31"),
            date("2024-02-07"),
            &rule("0.001"),
        );
        assert_eq!(fee, Ok(money("0.86")));
        // 50.00 × 0.001 × 3 = 0.15 exactly; 10.50 × 0.001 × 1 = 0.0105 -> 0.01;
        // 15.00 × 0.001 × 1 = 0.015 -> 0.02 (half-up)
        let fee = late_fee(
            money("15.00"),
            date("2024-01-31"),
            date("2024-02-01"),
            &rule("0.001"),
        );
        assert_eq!(fee, Ok(money("0.02")));
    }

    #[test]
    fn grace_days() {
        let mut with_grace = rule("0.001");
        with_grace.grace_days = 10;
        // 10 days overdue: within grace.
        let fee = late_fee(
            money("1000.00"),
            date("2024-03-01"),
            date("2024-03-11"),
            &with_grace,
        );
        assert_eq!(fee, Ok(Money::ZERO));
        // 15 days overdue: 5 days charged -> 1000 × 0.001 × 5 = 5.00
        let fee = late_fee(
            money("1000.00"),
            date("2024-03-01"),
            date("2024-03-16"),
            &with_grace,
        );
        assert_eq!(fee, Ok(money("5.00")));
        // Counting from the due date once the grace is exceeded: 15 days -> 15.00
        with_grace.charge_grace_days_when_exceeded = true;
        let fee = late_fee(
            money("1000.00"),
            date("2024-03-01"),
            date("2024-03-16"),
            &with_grace,
        );
        assert_eq!(fee, Ok(money("15.00")));
    }

    #[test]
    fn minimum_then_caps() {
        // The electricity analogue: 1 ‰ a day, at least 1 CNY.
        let mut electricity = rule("0.001");
        electricity.minimum = Some(money("1.00"));
        // 20.00 × 0.001 × 5 = 0.10 -> raised to 1.00
        let fee = late_fee(
            money("20.00"),
            date("2024-03-01"),
            date("2024-03-06"),
            &electricity,
        );
        assert_eq!(fee, Ok(money("1.00")));
        // 0.50 × 0.001 × 5 = 0.0025 rounds to 0.00 but is a fee: raised to the minimum 1.00,
        // then a cap of 100 % of the principal wins over the minimum -> 0.50.
        electricity.cap_of_principal = Some("1".parse().unwrap());
        let fee = late_fee(
            money("0.50"),
            date("2024-03-01"),
            date("2024-03-06"),
            &electricity,
        );
        assert_eq!(fee, Ok(money("0.50")));
        // Long overdue: 100.00 × 0.001 × 2000 = 200.00, capped at the principal 100.00
        let fee = late_fee(
            money("100.00"),
            date("2020-01-01"),
            date("2025-06-23"),
            &electricity,
        );
        assert_eq!(fee, Ok(money("100.00")));
        // An absolute cap.
        electricity.cap = Some(money("30.00"));
        let fee = late_fee(
            money("100.00"),
            date("2020-01-01"),
            date("2025-06-23"),
            &electricity,
        );
        assert_eq!(fee, Ok(money("30.00")));
        // cap_of_principal is truncated to the fen: 33.33 × 0.5 = 16.665 -> 16.66
        let mut half = rule("0.01");
        half.cap_of_principal = Some("0.5".parse().unwrap());
        let fee = late_fee(
            money("33.33"),
            date("2024-01-01"),
            date("2024-12-31"),
            &half,
        );
        assert_eq!(fee, Ok(money("16.66")));
    }

    #[test]
    fn nothing_on_nothing() {
        let mut with_minimum = rule("0.001");
        with_minimum.minimum = Some(money("1.00"));
        for principal in ["0", "-50.00"] {
            let fee = late_fee(
                money(principal),
                date("2024-01-01"),
                date("2024-12-31"),
                &with_minimum,
            );
            assert_eq!(fee, Ok(Money::ZERO));
        }
        // A zero rate charges nothing, not the minimum.
        with_minimum.rate_per_day = "0".parse().unwrap();
        let fee = late_fee(
            money("100.00"),
            date("2024-01-01"),
            date("2024-12-31"),
            &with_minimum,
        );
        assert_eq!(fee, Ok(Money::ZERO));
    }
}

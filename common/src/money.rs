//! Money in CNY. Exact decimals only: amounts at rest carry 2 decimal places
//! (fen); on the wire they travel as decimal strings such as "1234.50".

use std::{fmt, ops, str::FromStr};

use rust_decimal::Decimal;

/// An amount of CNY with exactly two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not a decimal amount")]
    NotANumber(String),
    #[error("'{0}' has more than 2 decimal places (amounts are kept to the fen)")]
    TooPrecise(String),
    #[error("amount out of range")]
    Overflow,
}

impl Money {
    // Scale 2, so that zero prints as "0.00" like every other amount.
    pub const ZERO: Money = Money(Decimal::from_parts(0, 0, 0, false, 2));
    /// Largest magnitude that fits the database's NUMERIC(14,2).
    pub const MAX_ABS_YUAN: i64 = 999_999_999_999;

    /// Exact amount from a decimal that already has at most two places.
    pub fn try_from_decimal(value: Decimal) -> Result<Self, MoneyError> {
        if value.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise(value.to_string()));
        }
        if value.abs() > Decimal::from(Self::MAX_ABS_YUAN) {
            return Err(MoneyError::Overflow);
        }
        let mut exact = value;
        exact.rescale(2);
        Ok(Money(exact))
    }

    /// Whole fen (1/100 CNY).
    pub fn from_fen(fen: i64) -> Self {
        Money(Decimal::new(fen, 2))
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let value = Decimal::from_str_exact(trimmed)
            .map_err(|_| MoneyError::NotANumber(text.to_owned()))?;
        Money::try_from_decimal(value).map_err(|error| match error {
            MoneyError::TooPrecise(_) => MoneyError::TooPrecise(text.to_owned()),
            other => other,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl ops::Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money(-self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints_to_the_fen() {
        assert_eq!(
            "12.5".parse::<Money>().map(|m| m.to_string()),
            Ok("12.50".into())
        );
        assert_eq!(
            " 0 ".parse::<Money>().map(|m| m.to_string()),
            Ok("0.00".into())
        );
        assert_eq!("-3.10".parse::<Money>(), Ok(Money::from_fen(-310)));
    }

    #[test]
    fn refuses_sub_fen_and_junk() {
        assert!(matches!(
            "1.005".parse::<Money>(),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            "1,00".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "NaN".parse::<Money>(),
            Err(MoneyError::NotANumber(_))
        ));
        assert!(matches!(
            "1000000000000".parse::<Money>(),
            Err(MoneyError::Overflow)
        ));
        // Trailing zeros beyond the fen carry no value, so they are accepted.
        assert_eq!("1.500".parse::<Money>(), Ok(Money::from_fen(150)));
    }

    proptest! {
        #[test]
        fn fen_round_trip_through_text(fen in -99_999_999_999_i64..99_999_999_999) {
            let money = Money::from_fen(fen);
            prop_assert_eq!(money.to_string().parse::<Money>(), Ok(money));
        }

        #[test]
        fn addition_conserves_fen(a in -1_000_000_000_i64..1_000_000_000, b in -1_000_000_000_i64..1_000_000_000) {
            let sum = Money::from_fen(a).checked_add(Money::from_fen(b));
            prop_assert_eq!(sum, Some(Money::from_fen(a + b)));
            let back = sum.and_then(|s| s.checked_sub(Money::from_fen(b)));
            prop_assert_eq!(back, Some(Money::from_fen(a)));
        }
    }
}

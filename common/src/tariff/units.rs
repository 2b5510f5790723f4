//! The exact quantities of a tariff: volumes (m³ to 0.001), unit prices (CNY/m³ to 0.0001),
//! rates, customer types, month-days, and their serde forms.
//!
//! Every decimal is read from a string (`"2.61"`) or an integer (`350`); a float is refused
//! because it is lossy (`2.61` as a binary float is 2.609999…). Written back, every decimal is a
//! string.

use std::{fmt, str::FromStr};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::Money;

/// Why a decimal quantity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("'{0}' is not a decimal number")]
    NotANumber(String),
    #[error("'{value}' has more than {places} decimal places (a {what} is kept to {places})")]
    TooPrecise {
        what: &'static str,
        value: String,
        places: u32,
    },
    #[error("{what} '{value}' must not be negative")]
    Negative { what: &'static str, value: String },
    #[error("{what} '{value}' is above the largest allowed, {max}")]
    TooLarge {
        what: &'static str,
        value: String,
        max: Decimal,
    },
}

fn checked_decimal(
    value: Decimal,
    what: &'static str,
    places: u32,
    max: Decimal,
) -> Result<Decimal, UnitError> {
    if value.normalize().scale() > places {
        return Err(UnitError::TooPrecise {
            what,
            value: value.to_string(),
            places,
        });
    }
    if value.is_sign_negative() && !value.is_zero() {
        return Err(UnitError::Negative {
            what,
            value: value.to_string(),
        });
    }
    if value > max {
        return Err(UnitError::TooLarge {
            what,
            value: value.to_string(),
            max,
        });
    }
    Ok(value.abs())
}

fn parse_decimal(text: &str) -> Result<Decimal, UnitError> {
    Decimal::from_str_exact(text.trim()).map_err(|_| UnitError::NotANumber(text.to_owned()))
}

/// A non-negative gas volume in m³, exact to 0.001 m³ (one litre).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Volume(Decimal);

impl Volume {
    pub const ZERO: Volume = Volume(Decimal::ZERO);
    /// Decimal places kept.
    pub const SCALE: u32 = 3;
    /// Largest volume accepted (fits NUMERIC(12,3)).
    pub const MAX_M3: i64 = 999_999_999;

    /// Exact volume from a decimal with at most 3 places, not negative, at most [`Self::MAX_M3`].
    pub fn try_from_decimal(value: Decimal) -> Result<Volume, UnitError> {
        let mut exact = checked_decimal(value, "volume", Self::SCALE, Decimal::from(Self::MAX_M3))?;
        exact.rescale(Self::SCALE);
        Ok(Volume(exact))
    }

    /// Whole litres (0.001 m³); negative input is clamped to zero.
    pub fn from_litres(litres: i64) -> Volume {
        Volume(Decimal::new(litres.max(0), Self::SCALE))
    }

    /// Whole cubic metres; negative input is clamped to zero.
    pub fn from_m3(m3: i64) -> Volume {
        let mut value = Decimal::from(m3.max(0));
        value.rescale(Self::SCALE);
        Volume(value)
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// The volume in litres (0.001 m³).
    pub fn litres(self) -> i128 {
        self.0.mantissa()
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn checked_add(self, other: Volume) -> Option<Volume> {
        Volume::try_from_decimal(self.0.checked_add(other.0)?).ok()
    }

    /// `self - other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Volume) -> Volume {
        if other >= self {
            Volume::ZERO
        } else {
            Volume(self.0 - other.0)
        }
    }
}

impl FromStr for Volume {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Volume::try_from_decimal(parse_decimal(text)?)
    }
}

impl fmt::Display for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A price per m³ in CNY, tax included, at most 4 decimal places, not negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnitPrice(Decimal);

impl UnitPrice {
    pub const SCALE: u32 = 4;
    /// Largest unit price accepted, CNY/m³.
    pub const MAX_YUAN: i64 = 10_000;

    pub fn try_from_decimal(value: Decimal) -> Result<UnitPrice, UnitError> {
        let mut exact = checked_decimal(
            value,
            "unit price",
            Self::SCALE,
            Decimal::from(Self::MAX_YUAN),
        )?;
        // Shown to the fen at least ("3.00"), with the extra places only when they are used.
        exact = exact.normalize();
        if exact.scale() < 2 {
            exact.rescale(2);
        }
        Ok(UnitPrice(exact))
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl FromStr for UnitPrice {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        UnitPrice::try_from_decimal(parse_decimal(text)?)
    }
}

impl fmt::Display for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A non-negative ratio (0.09 = 9 %), at most 6 decimal places, at most 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(Decimal);

impl Rate {
    pub const SCALE: u32 = 6;

    pub fn try_from_decimal(value: Decimal) -> Result<Rate, UnitError> {
        Ok(Rate(
            checked_decimal(value, "rate", Self::SCALE, Decimal::ONE_HUNDRED)?.normalize(),
        ))
    }

    /// The 9 % VAT rate of natural gas.
    pub fn natural_gas_vat() -> Rate {
        Rate(Decimal::new(9, 2))
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }
}

impl FromStr for Rate {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Rate::try_from_decimal(parse_decimal(text)?)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Rounds a non-negative exact amount to the fen, half away from zero (half-up).
pub(crate) fn round_to_fen(value: Decimal) -> Result<Money, crate::MoneyError> {
    Money::try_from_decimal(value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// The customer types used across gascis (the `customer_type` column and proto enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerType {
    Residential,
    Commercial,
    Industrial,
    PublicWelfare,
}

impl CustomerType {
    pub const ALL: [CustomerType; 4] = [
        CustomerType::Residential,
        CustomerType::Commercial,
        CustomerType::Industrial,
        CustomerType::PublicWelfare,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Residential => "residential",
            CustomerType::Commercial => "commercial",
            CustomerType::Industrial => "industrial",
            CustomerType::PublicWelfare => "public_welfare",
        }
    }
}

impl fmt::Display for CustomerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CustomerType {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CustomerType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "unknown customer type '{text}' (residential, commercial, industrial or public_welfare)"
                )
            })
    }
}

/// A day of the year as month and day, written "MM-DD" ("11-01"). 29 February is not a valid
/// season edge: it always belongs to the season of 28 February.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    pub fn new(month: u32, day: u32) -> Result<MonthDay, String> {
        if month == 2 && day == 29 {
            return Err(
                "02-29 cannot start or end a season; 29 February belongs to the season of 28 February"
                    .to_owned(),
            );
        }
        // 2001 is not a leap year: the calendar of month-days that seasons must cover.
        NaiveDate::from_ymd_opt(2001, month, day)
            .map(|_| MonthDay { month, day })
            .ok_or_else(|| format!("{month:02}-{day:02} is not a day of the year"))
    }

    /// The month-day of a date, 29 February counted as 28 February.
    pub fn of(date: NaiveDate) -> MonthDay {
        use chrono::Datelike;
        let (month, day) = (date.month(), date.day());
        if month == 2 && day == 29 {
            MonthDay { month, day: 28 }
        } else {
            MonthDay { month, day }
        }
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    /// The 365 month-days of a common year, in order.
    pub(crate) fn every_day() -> impl Iterator<Item = MonthDay> {
        use chrono::Datelike;
        let first = NaiveDate::from_ymd_opt(2001, 1, 1);
        first
            .into_iter()
            .flat_map(|first| first.iter_days().take(365))
            .map(|date| MonthDay {
                month: date.month(),
                day: date.day(),
            })
    }
}

impl FromStr for MonthDay {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{text}' is not a month-day written MM-DD (e.g. \"11-01\")");
        let (month, day) = text.trim().split_once('-').ok_or_else(bad)?;
        if month.len() != 2 || day.len() != 2 {
            return Err(bad());
        }
        let month = month.parse::<u32>().map_err(|_| bad())?;
        let day = day.parse::<u32>().map_err(|_| bad())?;
        MonthDay::new(month, day)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

/// Reads a decimal from a string or an integer; refuses floats.
struct DecimalVisitor;

impl<'de> de::Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal written as a string (\"2.61\") or an integer")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_decimal(text).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
        Err(E::custom(format!(
            "the float {value} is lossy; write the decimal as a string, e.g. \"{value}\""
        )))
    }
}

fn deserialize_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

macro_rules! decimal_serde {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$type>::try_from_decimal(deserialize_decimal(deserializer)?)
                    .map_err(de::Error::custom)
            }
        }
    };
}

decimal_serde!(Volume);
decimal_serde!(UnitPrice);
decimal_serde!(Rate);

/// [`Money`] as a decimal string; read from a string or an integer, never a float.
pub(crate) mod money_serde {
    use super::*;

    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(money)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        Money::try_from_decimal(deserialize_decimal(deserializer)?).map_err(de::Error::custom)
    }
}

/// `Option<Money>` as an optional decimal string.
pub(crate) mod option_money_serde {
    use super::*;

    #[derive(Deserialize)]
    #[serde(transparent)]
    struct Text(#[serde(with = "money_serde")] Money);

    pub fn serialize<S: Serializer>(
        money: &Option<Money>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match money {
            Some(money) => serializer.collect_str(money),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Money>, D::Error> {
        Ok(Option::<Text>::deserialize(deserializer)?.map(|text| text.0))
    }
}

/// A date as "YYYY-MM-DD"; in TOML also a bare local date (`2019-01-01`).
pub(crate) mod date_serde {
    use super::*;

    const FORMAT: &str = "%Y-%m-%d";

    pub fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format(FORMAT))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }

    pub(crate) fn parse(text: &str) -> Result<NaiveDate, String> {
        NaiveDate::parse_from_str(text.trim(), FORMAT)
            .map_err(|_| format!("'{text}' is not a date written YYYY-MM-DD"))
    }

    struct DateVisitor;

    impl<'de> de::Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date written YYYY-MM-DD")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<NaiveDate, E> {
            parse(text).map_err(E::custom)
        }

        /// The toml crate hands a native TOML date over as a one-entry map whose value is its
        /// text; anything else in a map is refused by the date parser.
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            match map.next_entry::<String, String>()? {
                Some((_, text)) => parse(&text).map_err(de::Error::custom),
                None => Err(de::Error::custom("a date written YYYY-MM-DD")),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn volumes_keep_three_places() {
        assert_eq!(
            "350".parse::<Volume>().map(|v| v.to_string()),
            Ok("350.000".into())
        );
        assert_eq!(
            "0.0010".parse::<Volume>().map(|v| v.litres()),
            Ok(1),
            "trailing zeros carry no value"
        );
        assert!(matches!(
            "1.0001".parse::<Volume>(),
            Err(UnitError::TooPrecise { places: 3, .. })
        ));
        assert!(matches!(
            "-1".parse::<Volume>(),
            Err(UnitError::Negative { .. })
        ));
        assert!(matches!(
            "1000000000".parse::<Volume>(),
            Err(UnitError::TooLarge { .. })
        ));
        assert!(matches!(
            "abc".parse::<Volume>(),
            Err(UnitError::NotANumber(_))
        ));
        assert_eq!(
            Volume::from_litres(1500),
            Volume::from_m3(1)
                .checked_add(Volume::from_litres(500))
                .unwrap()
        );
    }

    #[test]
    fn prices_show_the_fen_and_keep_four_places() {
        assert_eq!(
            "3".parse::<UnitPrice>().map(|p| p.to_string()),
            Ok("3.00".into())
        );
        assert_eq!(
            "2.610".parse::<UnitPrice>().map(|p| p.to_string()),
            Ok("2.61".into())
        );
        assert_eq!(
            "2.6125".parse::<UnitPrice>().map(|p| p.to_string()),
            Ok("2.6125".into())
        );
        assert!("2.61255".parse::<UnitPrice>().is_err());
    }

    #[test]
    fn month_days() {
        assert_eq!("11-01".parse::<MonthDay>(), MonthDay::new(11, 1));
        assert!("02-29".parse::<MonthDay>().is_err());
        assert!("04-31".parse::<MonthDay>().is_err());
        assert!("4-1".parse::<MonthDay>().is_err());
        assert_eq!(MonthDay::every_day().count(), 365);
        let leap_day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(MonthDay::of(leap_day), MonthDay { month: 2, day: 28 });
    }

    #[test]
    fn customer_types_round_trip() {
        for kind in CustomerType::ALL {
            assert_eq!(kind.as_str().parse::<CustomerType>(), Ok(kind));
        }
        assert!("household".parse::<CustomerType>().is_err());
    }
}

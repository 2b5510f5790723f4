//! Resident identity numbers (居民身份证号码, GB 11643-1999): validation of the
//! check digit and the birth date, and upgrade of 15-digit legacy numbers.

use std::fmt;

/// A valid 18-character resident identity number (upper-case `X`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("must have 18 characters (or 15 digits for an old card), found {0}")]
    Length(usize),
    #[error("only digits are allowed, with X as the last character")]
    Characters,
    #[error("the region code {0} is not a Chinese region")]
    Region(String),
    #[error("the birth date {0} is not a real date")]
    BirthDate(String),
    #[error("wrong check digit: expected {expected}, found {found}")]
    CheckDigit { expected: char, found: char },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of the first 17 digits.
pub fn check_digit(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0_u32;
    for (character, weight) in first17.chars().zip(WEIGHTS) {
        sum += character.to_digit(10)? * weight;
    }
    Some(CHECK_CHARS[(sum % 11) as usize])
}

fn valid_date(yyyymmdd: &str) -> bool {
    let (Ok(year), Ok(month), Ok(day)) = (
        yyyymmdd[0..4].parse::<u32>(),
        yyyymmdd[4..6].parse::<u32>(),
        yyyymmdd[6..8].parse::<u32>(),
    ) else {
        return false;
    };
    if !(1880..=2100).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

impl ResidentId {
    /// Parses an 18-character number, or upgrades a 15-digit one (born
    /// 19xx, as all 15-digit cards were).
    pub fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let full = match cleaned.chars().count() {
            18 => cleaned,
            15 => {
                if !cleaned.chars().all(|c| c.is_ascii_digit()) {
                    return Err(ResidentIdError::Characters);
                }
                let first17 = format!("{}19{}", &cleaned[..6], &cleaned[6..]);
                let check = check_digit(&first17).ok_or(ResidentIdError::Characters)?;
                format!("{first17}{check}")
            }
            other => return Err(ResidentIdError::Length(other)),
        };
        let (body, last) = full.split_at(17);
        if !body.chars().all(|c| c.is_ascii_digit())
            || !last.chars().all(|c| c.is_ascii_digit() || c == 'X')
        {
            return Err(ResidentIdError::Characters);
        }
        let region = &body[..2];
        let province: u32 = region.parse().unwrap_or(0);
        if !(11..=91).contains(&province) {
            return Err(ResidentIdError::Region(body[..6].to_owned()));
        }
        if !valid_date(&body[6..14]) {
            return Err(ResidentIdError::BirthDate(body[6..14].to_owned()));
        }
        let expected = check_digit(body).ok_or(ResidentIdError::Characters)?;
        let found = last.chars().next().unwrap_or(' ');
        if expected != found {
            return Err(ResidentIdError::CheckDigit { expected, found });
        }
        Ok(ResidentId(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Birth date as YYYYMMDD.
    pub fn birth_date(&self) -> &str {
        &self.0[6..14]
    }
}

// Never print the number in logs by accident.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", crate::masking::mask_id_number(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A well-known specimen number (GB 11643 example, not a real person).
    const SPECIMEN: &str = "11010519491231002X";

    #[test]
    fn accepts_valid_numbers_and_upper_cases_x() {
        assert_eq!(
            ResidentId::parse(SPECIMEN).map(|i| i.0),
            Ok(SPECIMEN.to_owned())
        );
        assert_eq!(
            ResidentId::parse(" 11010519491231002x ").map(|i| i.0),
            Ok(SPECIMEN.to_owned())
        );
    }

    #[test]
    fn upgrades_fifteen_digit_numbers() {
        let upgraded = ResidentId::parse("110105491231002").map(|i| i.0);
        assert_eq!(
            upgraded.as_deref().map(|s| &s[..17]),
            Ok("11010519491231002")
        );
        assert_eq!(upgraded.map(|s| s.len()), Ok(18));
    }

    #[test]
    fn refuses_each_kind_of_mistake_with_its_reason() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(ResidentIdError::CheckDigit {
                expected: 'X',
                found: '1'
            })
        );
        assert_eq!(
            ResidentId::parse("1101051949"),
            Err(ResidentIdError::Length(10))
        );
        assert_eq!(
            ResidentId::parse("11010519491231002A"),
            Err(ResidentIdError::Characters)
        );
        assert!(matches!(
            ResidentId::parse("110105194902300021"),
            Err(ResidentIdError::BirthDate(_))
        ));
        assert!(matches!(
            ResidentId::parse("000105194912310021"),
            Err(ResidentIdError::Region(_))
        ));
    }

    proptest! {
        #[test]
        fn any_single_digit_change_is_caught(position in 0_usize..17, delta in 1_u32..10) {
            let mut digits: Vec<char> = SPECIMEN.chars().collect();
            let old = digits[position].to_digit(10).unwrap_or(0);
            digits[position] = char::from_digit((old + delta) % 10, 10).unwrap_or('0');
            let changed: String = digits.into_iter().collect();
            prop_assert!(ResidentId::parse(&changed).is_err());
        }
    }
}

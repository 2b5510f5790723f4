//! The unified social credit code (统一社会信用代码, GB 32100-2015), which
//! is an organisation's taxpayer id (纳税人识别号) on VAT invoices.
//!
//! 18 characters from the code's alphabet (digits and upper-case letters
//! without I, O, S, V, Z): registration authority, organisation category,
//! 6-digit administrative division, 9-character organisation code, and a
//! check character: `31 - (Σ value_i × weight_i mod 31)`, where 31 means 0,
//! with the weights 3^i mod 31.

/// The 31 characters of the code, in value order.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("a unified social credit code has 18 characters; this one has {0}")]
    Length(usize),
    #[error(
        "character {position} '{found}' is not allowed (digits and capital letters except I, O, S, V, Z)"
    )]
    Character { position: usize, found: char },
    #[error("the check character should be '{expected}', not '{found}' (a typo?)")]
    Check { expected: char, found: char },
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).and_then(|index| u32::try_from(index).ok())
}

/// The code normalised (trimmed, upper-case) when it is valid.
pub fn validate_unified_social_credit_code(text: &str) -> Result<String, TaxIdError> {
    let code = text.trim().to_uppercase();
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(TaxIdError::Length(chars.len()));
    }
    let mut sum = 0_u32;
    for (index, c) in chars.iter().enumerate() {
        let Some(value) = value_of(*c) else {
            return Err(TaxIdError::Character {
                position: index + 1,
                found: *c,
            });
        };
        if let Some(weight) = WEIGHTS.get(index) {
            sum += value * weight;
        }
    }
    let check = (31 - sum % 31) % 31;
    let expected = ALPHABET
        .chars()
        .nth(usize::try_from(check).unwrap_or(0))
        .unwrap_or('0');
    let found = chars[17];
    if expected != found {
        return Err(TaxIdError::Check { expected, found });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences and invoices.
        for code in ["91350100M000100Y43", "91110000100005220B"] {
            assert_eq!(
                validate_unified_social_credit_code(code),
                Ok(code.to_owned()),
                "{code}"
            );
        }
        assert_eq!(
            validate_unified_social_credit_code(" 91350100m000100y43 "),
            Ok("91350100M000100Y43".to_owned())
        );
    }

    #[test]
    fn refuses_with_the_reason() {
        assert_eq!(
            validate_unified_social_credit_code("9135010"),
            Err(TaxIdError::Length(7))
        );
        assert_eq!(
            validate_unified_social_credit_code("91350100M000100I43"),
            Err(TaxIdError::Character {
                position: 16,
                found: 'I'
            })
        );
        assert!(matches!(
            validate_unified_social_credit_code("91350100M000100Y44"),
            Err(TaxIdError::Check {
                expected: '3',
                found: '4'
            })
        ));
    }
}

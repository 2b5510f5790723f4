//! Chinese phone numbers: mobiles (11 digits, 1[3-9]…) and landlines with
//! their area code, normalised so that one number has one spelling.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("'{0}' has characters that are not part of a phone number")]
    Characters(String),
    #[error(
        "'{0}' is not a mobile number (11 digits starting 13-19) or a landline with area code (e.g. 021-12345678)"
    )]
    Shape(String),
}

/// The normalised form: `13812345678` for mobiles, `021-12345678` or
/// `0571-87654321` (with `-NNN` extension when given) for landlines.
pub fn normalise(text: &str) -> Result<String, PhoneError> {
    let trimmed = text.trim();
    let mut digits = String::new();
    let mut extension = String::new();
    let mut in_extension = false;
    for character in trimmed.chars() {
        match character {
            '0'..='9' if in_extension => extension.push(character),
            '0'..='9' => digits.push(character),
            // Full-width digits from Chinese input methods.
            '０'..='９' => {
                let digit =
                    char::from_u32(character as u32 - '０' as u32 + '0' as u32).unwrap_or('0');
                if in_extension {
                    extension.push(digit);
                } else {
                    digits.push(digit);
                }
            }
            ' ' | '-' | '(' | ')' | '（' | '）' | '－' | '.' => {}
            '+' if digits.is_empty() => {}
            '转' | '#' | 'x' | 'X' => in_extension = true,
            _ => return Err(PhoneError::Characters(text.to_owned())),
        }
    }
    let shape = || PhoneError::Shape(text.to_owned());
    // Country code written before a mobile number.
    for prefix in ["0086", "86"] {
        if digits.len() == 11 + prefix.len() && digits.starts_with(prefix) {
            digits.drain(..prefix.len());
        }
    }
    let number = if digits.len() == 11 && digits.starts_with('1') {
        let second = digits.as_bytes()[1];
        if !(b'3'..=b'9').contains(&second) {
            return Err(shape());
        }
        digits
    } else if digits.starts_with('0') {
        // 010 and 02x are three-digit area codes; every other is four.
        let area_len = if digits.starts_with("01") || digits.starts_with("02") {
            3
        } else {
            4
        };
        if digits.len() <= area_len {
            return Err(shape());
        }
        let local = &digits[area_len..];
        if !(7..=8).contains(&local.len()) || local.starts_with('0') {
            return Err(shape());
        }
        format!("{}-{local}", &digits[..area_len])
    } else {
        return Err(shape());
    };
    if !extension.is_empty() {
        if number.len() == 11 && !number.contains('-') {
            return Err(shape());
        }
        return Ok(format!("{number}-{extension}"));
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_lose_spaces_dashes_and_country_code() {
        for text in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "008613812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(normalise(text), Ok("13812345678".to_owned()), "{text}");
        }
    }

    #[test]
    fn landlines_keep_their_area_code() {
        assert_eq!(normalise("021-12345678"), Ok("021-12345678".to_owned()));
        assert_eq!(normalise("(021) 1234 5678"), Ok("021-12345678".to_owned()));
        assert_eq!(normalise("057187654321"), Ok("0571-87654321".to_owned()));
        assert_eq!(
            normalise("010-8765432 转 801"),
            Ok("010-8765432-801".to_owned())
        );
    }

    #[test]
    fn junk_and_wrong_shapes_are_refused() {
        assert!(matches!(
            normalise("12812345678"),
            Err(PhoneError::Shape(_))
        ));
        assert!(matches!(normalise("12345678"), Err(PhoneError::Shape(_))));
        assert!(matches!(
            normalise("138abc"),
            Err(PhoneError::Characters(_))
        ));
        assert!(matches!(normalise(""), Err(PhoneError::Shape(_))));
    }
}

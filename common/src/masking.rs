//! How personal data looks to people who may not see it whole: in the
//! client for most roles, in logs and in exports.

/// `110***********1234`: first three and last four characters.
pub fn mask_id_number(id_number: &str) -> String {
    let characters: Vec<char> = id_number.chars().collect();
    if characters.len() <= 7 {
        return "*".repeat(characters.len());
    }
    let head: String = characters[..3].iter().collect();
    let tail: String = characters[characters.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(characters.len() - 7))
}

/// `138****5678` for mobiles, `021-****5678` for landlines.
pub fn mask_phone(phone: &str) -> String {
    if let Some((area, rest)) = phone.split_once('-') {
        let digits: Vec<char> = rest.chars().collect();
        let keep = digits.len().min(4);
        let tail: String = digits[digits.len() - keep..].iter().collect();
        return format!("{area}-{}{tail}", "*".repeat(digits.len() - keep));
    }
    let characters: Vec<char> = phone.chars().collect();
    if characters.len() <= 7 {
        return "*".repeat(characters.len());
    }
    let head: String = characters[..3].iter().collect();
    let tail: String = characters[characters.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(characters.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_the_ends() {
        assert_eq!(mask_id_number("110105194912310021"), "110***********0021");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("021-12345678"), "021-****5678");
        assert_eq!(mask_id_number("123"), "***");
    }
}

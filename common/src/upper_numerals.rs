//! Amounts in Chinese financial upper-case numerals (大写金额), as printed on
//! receipts and invoices beside the figures so that neither can be altered
//! alone.
//!
//! The rules are those of the People's Bank of China for filling in bills
//! and settlement vouchers (《正确填写票据和结算凭证的基本规定》):
//!
//! - 整 after 元 when there are no 角 and 分; nothing after 角 or 分.
//! - One 零 for a run of zeros between non-zero digits (6007.14 →
//!   陆仟零柒元壹角肆分).
//! - 零 after 元 when 角 is zero but 分 is not (325.04 → 叁佰贰拾伍元零肆分):
//!   mandatory.
//! - Where the 万 or 元 digit is zero but the next lower digit (仟 or 角) is
//!   not, the rules allow writing one 零 or none. We write what the rules
//!   list first in their examples: 1680.32 → 壹仟陆佰捌拾元零叁角贰分 (so
//!   100000.10 → 壹拾万元零壹角), and 107000.53 → 壹拾万柒仟元零伍角叁分
//!   (no 零 between 万 and a non-zero 仟). The 零 after 元 also keeps 角
//!   from being added in front of a bare 元 later.
//! - 10 to 19 are written 壹拾…, never a bare 拾, for the same reason.

use crate::Money;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const GROUP_UNITS: [&str; 4] = ["仟", "佰", "拾", ""];

/// The amount in upper-case numerals, e.g. 1234.56 → "壹仟贰佰叁拾肆元伍角陆分",
/// 0 → "零元整", -5 → "负伍元整".
pub fn money_in_upper(amount: Money) -> String {
    let mut exact = amount.as_decimal();
    // Money keeps at most two places, so this only pads (e.g. a scale-0
    // default) and never rounds.
    exact.rescale(2);
    let fen_total = exact.mantissa().unsigned_abs();
    let yuan = fen_total / 100;
    let jiao = (fen_total / 10 % 10) as usize;
    let fen = (fen_total % 10) as usize;

    let mut out = String::new();
    if amount.is_negative() {
        out.push('负');
    }
    if yuan == 0 && jiao == 0 && fen == 0 {
        out.push_str("零元整");
        return out;
    }
    if yuan > 0 {
        integer_in_upper(yuan, &mut out);
        out.push('元');
    }
    if jiao == 0 && fen == 0 {
        out.push('整');
        return out;
    }
    if jiao > 0 {
        if yuan > 0 && yuan.is_multiple_of(10) {
            out.push('零');
        }
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if yuan > 0 {
        // 角 is zero and 分 is not: the zero must be written.
        out.push('零');
    }
    if fen > 0 {
        out.push(DIGITS[fen]);
        out.push('分');
    }
    out
}

/// A positive whole number of yuan, grouped by 亿 and 万. Larger amounts than
/// Money allows recurse into 万亿 and 亿亿 rather than failing.
fn integer_in_upper(n: u128, out: &mut String) {
    const WAN: u128 = 10_000;
    const YI: u128 = 100_000_000;
    if n >= YI {
        integer_in_upper(n / YI, out);
        out.push('亿');
        lower_part(n % YI, YI, out);
    } else if n >= WAN {
        integer_in_upper(n / WAN, out);
        out.push('万');
        lower_part(n % WAN, WAN, out);
    } else {
        group_in_upper(n, out);
    }
}

/// What follows a 亿 or 万: a 零 when its leading digit is zero (a whole zero
/// group, or a group below 仟), none when it starts right below the unit.
fn lower_part(rest: u128, unit: u128, out: &mut String) {
    if rest == 0 {
        return;
    }
    if rest < unit / 10 {
        out.push('零');
    }
    integer_in_upper(rest, out);
}

/// 1 to 9999: one 零 per run of inner zeros, nothing for trailing zeros.
fn group_in_upper(n: u128, out: &mut String) {
    let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10];
    let mut started = false;
    let mut pending_zero = false;
    for (digit, unit) in digits.into_iter().zip(GROUP_UNITS) {
        if digit == 0 {
            pending_zero = started;
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        out.push(DIGITS[digit as usize]);
        out.push_str(unit);
        started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn upper(text: &str) -> String {
        match text.parse::<Money>() {
            Ok(money) => money_in_upper(money),
            Err(error) => format!("bad test amount {text}: {error}"),
        }
    }

    /// Reads an upper-case amount back into fen; None when it is malformed.
    fn parse_upper(text: &str) -> Option<i128> {
        let (negative, text) = match text.strip_prefix('负') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (yuan_text, rest) = match text.split_once('元') {
            Some((yuan, rest)) => (yuan, rest),
            None => ("", text),
        };
        let yuan = if yuan_text.is_empty() {
            0
        } else {
            parse_integer(yuan_text)?
        };
        let mut fen = yuan * 100;
        let rest = rest.strip_prefix('零').unwrap_or(rest);
        if rest == "整" {
            if yuan_text.is_empty() {
                return None;
            }
        } else {
            let mut chars = rest.chars().peekable();
            let mut seen_any = false;
            while let Some(c) = chars.next() {
                let digit = DIGITS.iter().position(|d| *d == c)? as i128;
                match chars.next()? {
                    '角' => fen += digit * 10,
                    '分' => fen += digit,
                    _ => return None,
                }
                seen_any = true;
            }
            if !seen_any {
                return None;
            }
        }
        Some(if negative { -fen } else { fen })
    }

    fn parse_integer(text: &str) -> Option<i128> {
        // The part after the last 亿 is below one 亿, the part before it is
        // the count of 亿 (itself possibly with 亿 in it).
        if let Some((high, low)) = text.rsplit_once('亿') {
            return Some(parse_integer(high)? * 100_000_000 + parse_optional(low)?);
        }
        if let Some((high, low)) = text.split_once('万') {
            return Some(parse_group(high)? * 10_000 + parse_optional(low)?);
        }
        parse_group(text)
    }

    fn parse_optional(text: &str) -> Option<i128> {
        let text = text.strip_prefix('零').unwrap_or(text);
        if text.is_empty() {
            Some(0)
        } else {
            parse_integer(text)
        }
    }

    fn parse_group(text: &str) -> Option<i128> {
        let mut total = 0;
        let mut digit: Option<i128> = None;
        for c in text.chars() {
            match c {
                '零' => {}
                '拾' => total += digit.take()? * 10,
                '佰' => total += digit.take()? * 100,
                '仟' => total += digit.take()? * 1000,
                _ => digit = Some(DIGITS.iter().position(|d| *d == c)? as i128),
            }
        }
        Some(total + digit.unwrap_or(0))
    }

    #[test]
    fn examples_from_the_rules_and_the_brief() {
        for (figures, words) in [
            ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
            ("100", "壹佰元整"),
            ("1001.05", "壹仟零壹元零伍分"),
            ("100000.10", "壹拾万元零壹角"),
            ("0", "零元整"),
            ("0.00", "零元整"),
            ("0.05", "伍分"),
            ("0.50", "伍角"),
            ("0.55", "伍角伍分"),
            ("1409.50", "壹仟肆佰零玖元伍角"),
            ("6007.14", "陆仟零柒元壹角肆分"),
            ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
            ("107000.53", "壹拾万柒仟元零伍角叁分"),
            ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
            ("325.04", "叁佰贰拾伍元零肆分"),
            ("100000001", "壹亿零壹元整"),
            ("-12.30", "负壹拾贰元叁角"),
            ("-0.01", "负壹分"),
        ] {
            assert_eq!(upper(figures), words, "{figures}");
        }
    }

    #[test]
    fn tricky_zeros() {
        for (figures, words) in [
            ("1", "壹元整"),
            ("10", "壹拾元整"),
            ("11", "壹拾壹元整"),
            ("10.01", "壹拾元零壹分"),
            ("10.10", "壹拾元零壹角"),
            ("10.11", "壹拾元零壹角壹分"),
            ("11.10", "壹拾壹元壹角"),
            ("101", "壹佰零壹元整"),
            ("110", "壹佰壹拾元整"),
            ("1000", "壹仟元整"),
            ("1010", "壹仟零壹拾元整"),
            ("1100", "壹仟壹佰元整"),
            ("1227.00", "壹仟贰佰贰拾柒元整"),
            ("10000", "壹万元整"),
            ("10001", "壹万零壹元整"),
            ("10010", "壹万零壹拾元整"),
            ("10100", "壹万零壹佰元整"),
            ("11000", "壹万壹仟元整"),
            ("100100", "壹拾万零壹佰元整"),
            ("1000100", "壹佰万零壹佰元整"),
            ("1010000", "壹佰零壹万元整"),
            ("10001000", "壹仟万壹仟元整"),
            ("10000000", "壹仟万元整"),
            ("100000000", "壹亿元整"),
            ("100001000", "壹亿零壹仟元整"),
            ("100010000", "壹亿零壹万元整"),
            ("110000000", "壹亿壹仟万元整"),
            ("101000000", "壹亿零壹佰万元整"),
            ("110001000", "壹亿壹仟万壹仟元整"),
            ("1000000000.01", "壹拾亿元零壹分"),
            (
                "999999999998.99",
                "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾捌元玖角玖分",
            ),
            (
                "999999999999",
                "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整",
            ),
            (
                "-999999999999",
                "负玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整",
            ),
        ] {
            assert_eq!(upper(figures), words, "{figures}");
        }
    }

    #[test]
    fn beyond_the_database_range_still_reads() {
        // Money::from_fen does not check the range; 万亿 and 亿亿 appear.
        assert_eq!(
            money_in_upper(Money::from_fen(100_000_000_000_000)),
            "壹万亿元整"
        );
        assert_eq!(
            money_in_upper(Money::from_fen(1_000_010_000_000_000)),
            "壹拾万零壹亿元整"
        );
        assert_eq!(
            money_in_upper(Money::from_fen(i64::MIN)),
            "负玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零捌分"
        );
        assert_eq!(
            parse_upper(&money_in_upper(Money::from_fen(i64::MIN))),
            Some(i128::from(i64::MIN))
        );
    }

    #[test]
    fn default_money_is_zero() {
        assert_eq!(money_in_upper(Money::default()), "零元整");
        assert_eq!(money_in_upper(Money::ZERO), "零元整");
    }

    #[test]
    fn parser_rejects_junk() {
        assert_eq!(parse_upper("元整"), None);
        assert_eq!(parse_upper("壹元伍"), None);
        assert_eq!(parse_upper("整"), None);
    }

    proptest! {
        #[test]
        fn round_trips_within_the_database_range(
            fen in -Money::MAX_ABS_YUAN * 100..=Money::MAX_ABS_YUAN * 100
        ) {
            let words = money_in_upper(Money::from_fen(fen));
            prop_assert_eq!(parse_upper(&words), Some(i128::from(fen)), "{}", words);
        }

        #[test]
        fn never_panics_and_round_trips_anywhere(fen in any::<i64>()) {
            let words = money_in_upper(Money::from_fen(fen));
            prop_assert!(!words.is_empty());
            prop_assert_eq!(parse_upper(&words), Some(i128::from(fen)), "{}", words);
        }

        #[test]
        fn small_amounts_round_trip(fen in -2_000_000_i64..2_000_000) {
            let words = money_in_upper(Money::from_fen(fen));
            prop_assert_eq!(parse_upper(&words), Some(i128::from(fen)), "{}", words);
        }
    }
}
